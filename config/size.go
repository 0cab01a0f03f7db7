package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// sizeUnits maps a lower-case unit to its multiplier. Decimal units count
// in 1000s and binary units in 1024s, as their names promise.
var sizeUnits = map[string]int64{
	"":    1,
	"b":   1,
	"kb":  1000,
	"mb":  1000 * 1000,
	"gb":  1000 * 1000 * 1000,
	"tb":  1000 * 1000 * 1000 * 1000,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
	"tib": 1 << 40,
}

const sizeExamples = "(examples: 1048576, 512KiB, 1MiB)"

// ParseSize reads a byte count such as 1048576, "512 KiB", "1MiB" or "2MB".
// Units are case-insensitive; KB, MB, GB and TB count in 1000s, KiB, MiB,
// GiB and TiB in 1024s.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("%s is not a size %s", show(s), sizeExamples)
	}
	mult, ok := sizeUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	if !ok {
		return 0, fmt.Errorf("%s is not a size %s", show(s), sizeExamples)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%s is too large a size", show(s))
	}
	return Size(n * mult), nil
}

// UnmarshalYAML accepts an integer or a number with a unit.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("must be a size %s, not %s", sizeExamples, kindName(n))
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// decodeNode reads the size within a configuration file, reporting a
// problem at its node so that the decoder keeps going.
func (s *Size) decodeNode(d *decoder, _ string, n *yaml.Node) {
	if err := s.UnmarshalYAML(n); err != nil {
		d.at(n, "%v", err)
	}
}

// MarshalYAML writes the size as String does, so that a marshalled
// configuration reads back to the same value.
func (s Size) MarshalYAML() (any, error) {
	return s.String(), nil
}

// String writes the size with the largest unit that divides it exactly,
// preferring binary units: 1048576 is "1MiB", 2000000 is "2MB", 1500 is
// "1500B".
func (s Size) String() string {
	n := int64(s)
	if n != 0 {
		for _, u := range []struct {
			name string
			mult int64
		}{
			{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
			{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3},
		} {
			if n%u.mult == 0 {
				return strconv.FormatInt(n/u.mult, 10) + u.name
			}
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
