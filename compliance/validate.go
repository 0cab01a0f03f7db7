package compliance

import (
	"errors"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/deps"
	"github.com/trawl-dev/trawl/search"
)

// Validate parses what each rule's check holds in another package's
// language: a query (search.Parse), a dependency and its version range
// (deps.ParseTarget), an indicator's constraint (deps.ParseRange). config
// checks a rule's structure but imports none of these, so that the schema
// stays a leaf; Validate reports each problem as a *config.Error at the
// value's place in the file, worded as config's own errors are, and joins
// them as config.Parse does.
func Validate(rules []config.Rule) error {
	var errs []error
	for i := range rules {
		if err := validateRule(&rules[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func validateRule(r *config.Rule) error {
	switch {
	case r.ForbidMatch != "" || r.RequireMatch != "":
		q := r.ForbidMatch + r.RequireMatch
		if _, err := search.Parse(q); err != nil {
			return r.CheckPos.Errorf("query %q does not parse: %v", q, err)
		}
	case r.ForbidDependency != nil:
		c := r.ForbidDependency
		if _, err := deps.ParseTarget(c.Name, c.Version); err != nil {
			pos := r.CheckPos
			if c.VersionPos != (config.Pos{}) {
				pos = c.VersionPos
			}
			return pos.Errorf("%v", err)
		}
	case r.Indicator != nil:
		c := r.Indicator
		if _, err := deps.ParseRange(ecosystemOr(c.Ecosystem), c.Constraint); err != nil {
			return c.ConstraintPos.Errorf("%v", err)
		}
	}
	return nil
}
