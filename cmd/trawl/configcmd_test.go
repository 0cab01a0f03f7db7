package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/config"
)

// TestConfigCheckNamesUnsetSecrets: config check says "ok" only when crawl
// and serve would start, so an unset *_env variable is an error naming the
// key and the variable, never a value.
func TestConfigCheckNamesUnsetSecrets(t *testing.T) {
	const secretVar = "TRAWL_TEST_UNSET_WEBHOOK_SECRET"
	os.Unsetenv(secretVar)
	path := filepath.Join(t.TempDir(), "trawl.yaml")
	yaml := "sources:\n  - dir: .\nserver:\n  webhook_secret_env: " + secretVar + "\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"config", "check", "-c", path}, &out, &errb); code != exitUsage {
		t.Fatalf("config check with %s unset: exit %d, want %d", secretVar, code, exitUsage)
	}
	if !strings.Contains(errb.String(), "server.webhook_secret_env: environment variable "+secretVar+" is not set") {
		t.Errorf("stderr does not name the key and variable:\n%s", errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := run(ctx, []string{"config", "check", "--no-env", "-c", path}, &out, &errb); code != exitOK {
		t.Errorf("--no-env: exit %d %s", code, errb.String())
	}
	t.Setenv(secretVar, "a-value-that-must-not-show")
	out.Reset()
	errb.Reset()
	if code := run(ctx, []string{"config", "check", "-c", path}, &out, &errb); code != exitOK || !strings.Contains(out.String(), ": ok") {
		t.Errorf("with %s set: exit %d %s%s", secretVar, code, out.String(), errb.String())
	}
	if strings.Contains(out.String()+errb.String(), "a-value-that-must-not-show") {
		t.Errorf("config check printed the secret")
	}
}

// TestExampleConfigChecks: the commented example passes config check in a
// shell that exported nothing, as the quick start runs it.
func TestExampleConfigChecks(t *testing.T) {
	cfg, err := config.Parse([]byte(config.Example()), filepath.Join(t.TempDir(), "trawl.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if unset := config.UnsetSecrets(cfg); len(unset) > 0 {
		t.Errorf("the example needs variables a newcomer has not set: %v", unset)
	}
}

// TestConfigCheckParsesRules: a rule's query is parsed when the file is
// checked, not at the first evaluation, and the error names its line.
func TestConfigCheckParsesRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trawl.yaml")
	yaml := "sources:\n  - dir: .\nrules:\n  - id: a\n    forbid_match: '/foo(/'\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"config", "check", "-c", path}, &out, &errb); code != exitUsage {
		t.Fatalf("config check of a rule whose query does not parse: exit %d, want %d\n%s", code, exitUsage, errb.String())
	}
	if want := path + `:5: rules[0].forbid_match: query "/foo(/" does not parse`; !strings.Contains(errb.String(), want) {
		t.Errorf("stderr does not say %q:\n%s", want, errb.String())
	}
}
