package config

import (
	"testing"
	"time"
)

// TestScheduleNext checks that the schedule parsed when the file is read
// is the one Next follows: the cron expression when set, else the interval.
func TestScheduleNext(t *testing.T) {
	start := time.Date(2026, 3, 1, 10, 7, 0, 0, time.UTC)
	for _, tt := range []struct {
		yaml string
		want time.Time
	}{
		{"schedule:\n  cron: '*/15 * * * *'\n", time.Date(2026, 3, 1, 10, 15, 0, 0, time.UTC)},
		{"schedule:\n  cron: '@hourly'\n", time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)},
		{"schedule:\n  interval: 2m\n", start.Add(2 * time.Minute)},
		{"schedule:\n  cron: ''\n  interval: 3m\n", start.Add(3 * time.Minute)},
	} {
		cfg, err := Parse([]byte("sources:\n  - dir: /srv\n"+tt.yaml), "trawl.yaml")
		if err != nil {
			t.Fatalf("%q: %v", tt.yaml, err)
		}
		if got := cfg.Schedule.Next(start); !got.Equal(tt.want) {
			t.Errorf("%q: Next = %v, want %v", tt.yaml, got, tt.want)
		}
	}
	_, err := Parse([]byte("sources:\n  - dir: /srv\nschedule:\n  cron: [hourly]\n"), "trawl.yaml")
	want := `trawl.yaml:4: schedule.cron: must be a cron schedule (examples: "*/15 * * * *", "@hourly", "@every 10m"), not a list`
	if err == nil || err.Error() != want {
		t.Errorf("Parse error:\n got: %v\nwant: %s", err, want)
	}
}
