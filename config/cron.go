package config

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

// Cron is a cron schedule (five fields, @hourly, @every 10m), parsed once
// when the file is read. The zero Cron is unset.
type Cron struct {
	expr  string
	sched cron.Schedule
}

const cronExamples = `(examples: "*/15 * * * *", "@hourly", "@every 10m")`

// ParseCron parses a standard five-field cron expression or a descriptor
// such as @hourly or @every 10m.
func ParseCron(expr string) (Cron, error) {
	s, err := cron.ParseStandard(expr)
	if err != nil {
		return Cron{}, fmt.Errorf("%s is not a cron schedule: %v %s", show(expr), err, cronExamples)
	}
	return Cron{expr: expr, sched: s}, nil
}

// IsZero reports whether no schedule is set.
func (c Cron) IsZero() bool { return c.sched == nil }

// String returns the expression as written.
func (c Cron) String() string { return c.expr }

// Next returns the first time after t that the schedule names; t itself
// when it is unset.
func (c Cron) Next(t time.Time) time.Time {
	if c.sched == nil {
		return t
	}
	return c.sched.Next(t)
}

// MarshalYAML writes the expression, so that a marshalled configuration
// reads back to the same schedule.
func (c Cron) MarshalYAML() (any, error) { return c.expr, nil }

func (c *Cron) decodeNode(d *decoder, _ string, n *yaml.Node) {
	if n.Kind != yaml.ScalarNode {
		d.at(n, "must be a cron schedule %s, not %s", cronExamples, kindName(n))
		return
	}
	if n.Value == "" {
		return // cron: "" leaves it unset, as it always has
	}
	parsed, err := ParseCron(n.Value)
	if err != nil {
		d.at(n, "%v", err)
		return
	}
	*c = parsed
}

// Next returns when the crawl after one that started at t begins: on the
// cron schedule when set, else after the interval.
func (s Schedule) Next(t time.Time) time.Time {
	if !s.Cron.IsZero() {
		return s.Cron.Next(t)
	}
	return t.Add(s.Interval)
}
