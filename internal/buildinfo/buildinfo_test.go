package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/trawl-dev/trawl", Version: "v0.3.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	got := fromBuildInfo(bi, Info{Version: "unknown", Platform: "linux/amd64"})
	want := Info{Version: "v0.3.0", Commit: "0123456789abcdef0123456789abcdef01234567", Modified: true,
		BuildDate: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), GoVersion: "go1.26.0", Platform: "linux/amd64"}
	if got != want {
		t.Fatalf("fromBuildInfo = %+v, want %+v", got, want)
	}
	line := got.String()
	for _, part := range []string{"trawl v0.3.0", "commit 0123456789ab (modified)", "2026-12-01T10:00:00Z", "go1.26.0", "linux/amd64"} {
		if !strings.Contains(line, part) {
			t.Errorf("String() = %q lacks %q", line, part)
		}
	}
}

func TestReadInTestBinary(t *testing.T) {
	i := Read()
	if i.GoVersion == "" || i.Version == "" || i.Platform == "" {
		t.Fatalf("Read() = %+v: empty fields", i)
	}
}
