package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/internal/gittest"
)

// TestCheckCommand crawls a real repository, imports an OSV archive and
// runs trawl check as CI would, through run() for the exit codes.
func TestCheckCommand(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	repo := gittest.Init(t, filepath.Join(root, "acme", "api"))
	repo.Commit("first", map[string]string{
		"pom.xml": "<project><dependencies><dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.14.1</version></dependency></dependencies></project>\n",
		"LICENSE": "MIT\n",
	})
	data := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "trawl.yaml")
	yaml := "sources:\n  - dir: " + root + "\nindex:\n  path: " + data + "\nrules:\n" +
		"  - {id: log4shell, severity: error, forbid_dependency: {name: 'org.apache.logging.log4j:log4j-core', version: '<2.17.1'}}\n" +
		"  - {id: codeowners, severity: warning, require_file: [CODEOWNERS]}\n" +
		"  - {id: has-license, severity: info, require_match: 'file:^LICENSE$'}\n" +
		"  - {id: vulnerable, severity: error, forbid_vulnerable: true}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := cmdCrawl(ctx, []string{"-c", cfg}, &out, &errOut); err != nil {
		t.Fatalf("crawl: %v\n%s", err, errOut.String())
	}
	check := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := run(ctx, append([]string{"check", "-c", cfg}, args...), &o, &e)
		return code, o.String(), e.String()
	}

	// Without advisories the vulnerability rule is an error, never a pass.
	code, stdout, _ := check("--rule", "vulnerable", "--json")
	if code != exitError || !strings.Contains(stdout, `"status": "error"`) || !strings.Contains(stdout, "trawl osv import") {
		t.Errorf("vulnerable without OSV: exit %d\n%s", code, stdout)
	}

	zipPath := filepath.Join(t.TempDir(), "all.zip")
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("GHSA-jfh8-c2jp-5v3q.json")
	w.Write([]byte(`{"id": "GHSA-jfh8-c2jp-5v3q", "summary": "Remote code injection in Log4j", "affected": [{"package": {"ecosystem": "Maven", "name": "org.apache.logging.log4j:log4j-core"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.13.0"}, {"fixed": "2.15.0"}]}]}]}`))
	zw.Close()
	os.WriteFile(zipPath, zb.Bytes(), 0o644)
	var o, e bytes.Buffer
	if code := run(ctx, []string{"osv", "-c", cfg, "import", zipPath}, &o, &e); code != exitOK || !strings.Contains(o.String(), "1 advisories") {
		t.Fatalf("osv import: exit %d\n%s%s", code, o.String(), e.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.zip")
	zb.Reset()
	zw = zip.NewWriter(&zb)
	w, _ = zw.Create("broken/X-1.json")
	w.Write([]byte(`{"id": `))
	zw.Close()
	os.WriteFile(bad, zb.Bytes(), 0o644)
	o.Reset()
	e.Reset()
	if code := run(ctx, []string{"osv", "-c", cfg, "import", bad}, &o, &e); code != exitError || !strings.Contains(e.String(), "entry broken/X-1.json") {
		t.Errorf("bad archive: exit %d, %s", code, e.String())
	}

	code, stdout, stderr := check("--json")
	if code != exitError {
		t.Errorf("failing error rule: exit %d, want 1\n%s", code, stderr)
	}
	var rep struct {
		Rules []struct {
			ID, Status      string
			BranchesFailing int `json:"branches_failing"`
			Failing         []struct {
				Evidence []struct {
					Path, Text, Advisory, Fixed string
					Line                        int
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	got := map[string]string{}
	for _, r := range rep.Rules {
		got[r.ID] = r.Status
	}
	if got["log4shell"] != "fail" || got["codeowners"] != "fail" || got["has-license"] != "pass" || got["vulnerable"] != "fail" {
		t.Errorf("statuses %v", got)
	}
	if ev := rep.Rules[3].Failing[0].Evidence[0]; ev.Advisory != "GHSA-jfh8-c2jp-5v3q" || ev.Fixed != "2.15.0" || ev.Path != "pom.xml" || ev.Line != 1 {
		t.Errorf("vulnerability evidence %+v", ev)
	}

	// The gate: only the warning rule fails among warning and info rules.
	if code, _, _ := check("--rule", "has-license", "--fail-on", "info"); code != exitOK {
		t.Errorf("passing rule: exit %d", code)
	}
	if code, _, _ := check("--rule", "codeowners", "--rule", "has-license"); code != exitOK {
		t.Errorf("failing warning with --fail-on error: exit %d, want 0", code)
	}
	if code, _, _ := check("--rule", "codeowners", "--fail-on", "warning"); code != exitError {
		t.Errorf("failing warning with --fail-on warning: exit %d, want 1", code)
	}
	code, stdout, _ = check("--rule", "log4shell")
	if !strings.Contains(stdout, "acme/api@main:pom.xml:1: org.apache.logging.log4j:log4j-core 2.14.1") {
		t.Errorf("table:\n%s", stdout)
	}
	code, stdout, _ = check("--sarif", "--fail-on", "info")
	if code != exitError || !strings.Contains(stdout, `"version": "2.1.0"`) {
		t.Errorf("sarif: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = check("--csv", "--rule", "log4shell")
	if !strings.HasPrefix(stdout, "rule,severity,status,repo,branch") || !strings.Contains(stdout, "log4shell,error,fail,acme/api,main") {
		t.Errorf("csv:\n%s", stdout)
	}

	if es := os.Getenv("TRAWL_ES_URL"); es != "" {
		// A prefix of this run's own: the export writes one index per day,
		// and a name shared with an earlier run would count its documents.
		var rnd [6]byte
		rand.Read(rnd[:])
		prefix := "trawltest-check-" + hex.EncodeToString(rnd[:])
		t.Cleanup(func() {
			// Elasticsearch 8 refuses to delete indices by wildcard
			// (action.destructive_requires_name), so list them first.
			var names []string
			if res, err := http.Get(es + "/_cat/indices/" + prefix + "-*?h=index"); err == nil {
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				names = strings.Fields(string(body))
			}
			paths := []string{"/_index_template/" + prefix}
			if len(names) > 0 {
				paths = append(paths, "/"+strings.Join(names, ","))
			}
			for _, p := range paths {
				req, _ := http.NewRequest(http.MethodDelete, es+p, nil)
				if res, err := http.DefaultClient.Do(req); err == nil {
					res.Body.Close()
				}
			}
		})
		if code, _, stderr := check("--es", es, "--es-prefix", prefix, "--fail-on", "info", "--rule", "has-license"); code != exitOK {
			t.Fatalf("check --es: exit %d\n%s", code, stderr)
		}
		res, err := http.Get(es + "/" + prefix + "-*/_count?q=rule:has-license")
		if err != nil {
			t.Fatal(err)
		}
		var n struct{ Count int }
		json.NewDecoder(res.Body).Decode(&n)
		res.Body.Close()
		if n.Count != 1 {
			t.Errorf("check --es indexed %d documents of has-license, want 1", n.Count)
		}
	}

	for _, args := range [][]string{
		{"--es-prefix", "x"},
		{"--es", "ftp://x"},
		{"--rule", "nope"},
		{"--json", "--csv"},
		{"--fail-on", "fatal"},
		{"extra"},
	} {
		if code, _, stderr := check(args...); code != exitUsage {
			t.Errorf("check %q: exit %d, want 2\n%s", args, code, stderr)
		}
	}
}
