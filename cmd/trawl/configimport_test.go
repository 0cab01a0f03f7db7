package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigImport runs trawl config import on a github-crawler file and
// checks the written trawl.yaml loads, the report names the unmapped key
// and its line, and a refused pattern exits 2 naming the construct.
func TestConfigImport(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "application.yml")
	os.WriteFile(in, []byte("crawler:\n  source-control:\n    organizationName: acme\n  repositoriesToExclude: ['^(?!api-.*$).*']\n  crawlerFancy: 3\n"), 0o644)
	out := filepath.Join(dir, "trawl.yaml")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"config", "import", "github-crawler", in, "-o", out, "--json"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	var rep struct {
		Entries []struct {
			Key, Status string
			Line        int
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range rep.Entries {
		if e.Key == "crawler.crawlerFancy" && e.Line == 5 && e.Status == "unmapped" {
			found = true
		}
	}
	if !found || !strings.Contains(stderr.String(), "application.yml:5: crawler.crawlerFancy") {
		t.Errorf("unmapped key not reported: %+v\n%s", rep, stderr.String())
	}
	stdout.Reset()
	t.Setenv("GITHUB_TOKEN", "test-token") // the import names the variable; config check wants it set
	if code := run(context.Background(), []string{"config", "check", "-c", out}, &stdout, &stderr); code != 0 {
		t.Errorf("config check of the import: exit %d\n%s", code, stderr.String())
	}
	// Again: the file exists.
	if code := run(context.Background(), []string{"config", "import", "github-crawler", in, "-o", out}, &stdout, &stderr); code != 2 {
		t.Errorf("second import without --force: exit %d, want 2", code)
	}
	os.WriteFile(in, []byte("repositoriesToExclude: ['(?<=x)y']\n"), 0o644)
	stderr.Reset()
	if code := run(context.Background(), []string{"config", "import", "github-crawler", in, "-o", "-"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "lookbehind") {
		t.Errorf("refused pattern: exit %d\n%s", code, stderr.String())
	}
}
