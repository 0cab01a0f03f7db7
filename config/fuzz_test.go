package config

import (
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse panic and that every error
// names the file. Seeds live in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(Example()))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "f.yaml")
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "f.yaml") {
					t.Fatalf("error line %q does not name the file", line)
				}
			}
			return
		}
		if len(cfg.Sources) == 0 || cfg.Files.MaxSize <= 0 || cfg.FileSettings() == "" {
			t.Fatalf("Parse accepted an invalid configuration: %+v", cfg)
		}
	})
}
