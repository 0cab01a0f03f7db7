package main

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/internal/buildinfo"
)

func TestVersion(t *testing.T) {
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"version", "--json"}, &out, &errb); code != exitOK {
		t.Fatalf("version --json: exit %d %s", code, errb.String())
	}
	var got buildinfo.Info
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("version --json: %v\n%s", err, out.String())
	}
	if got.GoVersion != runtime.Version() || got.Version == "" || got.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("version --json = %+v", got)
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out.Reset()
		if code := run(ctx, args, &out, &errb); code != exitOK || !strings.HasPrefix(out.String(), "trawl ") || !strings.Contains(out.String(), runtime.Version()) {
			t.Errorf("%v: exit %d, %q", args, code, out.String())
		}
	}
	if code := run(ctx, []string{"version", "extra"}, &out, &errb); code != exitUsage {
		t.Errorf("version extra: exit %d, want %d", code, exitUsage)
	}
}
