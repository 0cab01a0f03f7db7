package web

import (
	"net/http"
	"runtime"
	"testing"

	"github.com/trawl-dev/trawl/internal/buildinfo"
)

// TestStatusReportsVersion checks that GET /api/status says which trawl
// answers, as trawl version --json does.
func TestStatusReportsVersion(t *testing.T) {
	srv := serve(t, openIndex(t, apiRepos), Options{})
	var got struct {
		Version buildinfo.Info `json:"version"`
	}
	decode(t, get(t, srv, "/api/status", ""), http.StatusOK, &got)
	if got.Version != buildinfo.Read() || got.Version.GoVersion != runtime.Version() || got.Version.Version == "" {
		t.Errorf("status version %+v, want %+v", got.Version, buildinfo.Read())
	}
}
