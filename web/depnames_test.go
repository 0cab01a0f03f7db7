package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestDepNames(t *testing.T) {
	srv := depsServer(t, Options{})
	type answer struct {
		Names []depName `json:"names"`
		Total int       `json:"total"`
	}
	for q, want := range map[string][]string{
		"log4j": {log4j},
		"LOG":   {log4j},                                  // case does not matter
		"o":     {log4j, "org.slf4j:slf4j-api", "lodash"}, // starting with "o", most used first; then the rest
		"zzz":   {},
	} {
		var got answer
		decode(t, get(t, srv, "/api/deps/names?"+url.Values{"q": {q}}.Encode(), ""), http.StatusOK, &got)
		var names []string
		for _, n := range got.Names {
			names = append(names, n.Name)
		}
		if !slices.Equal(names, want) && !(len(names) == 0 && len(want) == 0) || got.Total != len(want) {
			t.Errorf("names %q: %q (total %d), want %q", q, names, got.Total, want)
		}
	}
	var got answer
	decode(t, get(t, srv, "/api/deps/names?q=log4j", ""), http.StatusOK, &got)
	if n := got.Names[0]; n.Repos != 2 || n.Branches != 3 || n.Ecosystem != "maven" {
		t.Errorf("log4j: %+v, want 2 repositories, 3 branches", n)
	}
	wantError(t, get(t, srv, "/api/deps/names", ""), http.StatusBadRequest)
}

func TestDepsSummaryNamesRepos(t *testing.T) {
	srv := depsServer(t, Options{})
	var got struct {
		Summary []versionSummary `json:"summary"`
	}
	decode(t, get(t, srv, "/api/deps?summary=1&name="+url.QueryEscape(log4j), ""), http.StatusOK, &got)
	if len(got.Summary) != 2 || !slices.Equal(got.Summary[0].RepoNames, []string{"acme/api", "acme/web"}) ||
		!slices.Equal(got.Summary[1].RepoNames, []string{"acme/api"}) {
		t.Errorf("summary %+v", got.Summary)
	}
}

func TestDepsBadRangePoints(t *testing.T) {
	srv := depsServer(t, Options{})
	for rng, at := range map[string]string{">>2": "character 1", "2.6.*": "character 5", ">=2 <": "character 5"} {
		msg := wantError(t, get(t, srv, "/api/deps?"+url.Values{"name": {log4j}, "version": {rng}}.Encode(), ""), http.StatusBadRequest)
		if !strings.Contains(msg, "parameter version") || !strings.Contains(msg, at) {
			t.Errorf("range %q: %q, want it to name the parameter and %s", rng, msg, at)
		}
	}
}
