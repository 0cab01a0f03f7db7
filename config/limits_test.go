package config

import (
	"testing"
	"time"
)

func TestLimits(t *testing.T) {
	const src = "sources:\n  - dir: /srv\n"
	cfg, err := Parse([]byte(src), "trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Limits.MaxFilesPerBranch != 1_000_000 || cfg.Limits.MaxRepoDuration != 30*time.Minute {
		t.Errorf("defaults: %+v", cfg.Limits)
	}
	cfg, err = Parse([]byte(src+"limits:\n  max_files_per_branch: 5000\n  max_repo_duration: 2h\n"), "trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Limits.MaxFilesPerBranch != 5000 || cfg.Limits.MaxRepoDuration != 2*time.Hour {
		t.Errorf("set: %+v", cfg.Limits)
	}
	for _, c := range []struct{ yaml, want string }{
		{"limits:\n  max_files_per_branch: 0\n", "trawl.yaml:4: limits.max_files_per_branch: must be at least 1 (default 1000000)"},
		{"limits:\n  max_repo_duration: -1s\n", "trawl.yaml:4: limits.max_repo_duration: must be greater than 0 (default 30m0s)"},
		{"limits:\n  max_repo_duration: soon\n", `trawl.yaml:4: limits.max_repo_duration: "soon" is not a duration (examples: 30s, 15m, 1h30m)`},
		{"limits:\n  max_files: 3\n", `trawl.yaml:4: limits: unknown key "max_files"`},
	} {
		_, err := Parse([]byte(src+c.yaml), "trawl.yaml")
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: error %v, want %s", c.yaml, err, c.want)
		}
	}
}
