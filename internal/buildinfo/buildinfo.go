// Package buildinfo reports which trawl is running: the module version, the
// commit it was built from and the Go toolchain, as the Go linker recorded
// them (runtime/debug.ReadBuildInfo). `trawl version` prints it and
// GET /api/status serves it.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"time"
)

// Info describes the running binary.
type Info struct {
	// Version is the module version: v1.2.3 from `go install ...@v1.2.3`,
	// a pseudo-version for a commit, "(devel)" for a build in a checkout.
	Version string `json:"version"`
	// Commit is the VCS revision a build in a checkout was made from;
	// empty for `go install` builds, which record the module version instead.
	Commit string `json:"commit,omitempty"`
	// Modified reports uncommitted changes in that checkout.
	Modified bool `json:"modified,omitempty"`
	// BuildDate is the commit time of Commit: Go records no wall-clock
	// build time, so that two builds of one commit are byte for byte equal.
	BuildDate time.Time `json:"build_date,omitzero"`
	GoVersion string    `json:"go_version"`
	Platform  string    `json:"platform"` // GOOS/GOARCH
}

// Read returns the running binary's Info.
func Read() Info {
	info := Info{Version: "unknown", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	return fromBuildInfo(bi, info)
}

func fromBuildInfo(bi *debug.BuildInfo, info Info) Info {
	if bi.Main.Version != "" {
		info.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		case "vcs.time":
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				info.BuildDate = t
			}
		}
	}
	return info
}

// String is the one line `trawl --version` prints.
func (i Info) String() string {
	s := "trawl " + i.Version
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " commit " + c
		if i.Modified {
			s += " (modified)"
		}
	}
	if !i.BuildDate.IsZero() {
		s += " built from a commit of " + i.BuildDate.UTC().Format(time.RFC3339)
	}
	return s + " " + i.GoVersion + " " + i.Platform
}
