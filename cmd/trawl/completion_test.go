package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/demo"
)

// crawledDemo writes and crawls the demo organisation; it returns its
// configuration file.
func crawledDemo(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "demo-org")
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"demo", "init", dir}, &out, &errb); code != exitOK {
		t.Fatalf("demo init: exit %d %s", code, errb.String())
	}
	cfg := filepath.Join(dir, demo.ConfigFile)
	if code := run(ctx, []string{"crawl", "-c", cfg}, &out, &errb); code != exitOK {
		t.Fatalf("crawl: exit %d %s", code, errb.String())
	}
	return cfg
}

func complete(t *testing.T, args ...string) []string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"__complete"}, args...), &out, &errb); code != exitOK || errb.Len() > 0 {
		t.Fatalf("__complete %v: exit %d, stderr %q", args, code, errb.String())
	}
	return strings.Fields(out.String())
}

func TestCompleteHelper(t *testing.T) {
	cfg := crawledDemo(t)
	repos := complete(t, "repos", "-c", cfg)
	want := []string{"acme/auth-service", "acme/data-pipeline", "acme/inventory-service", "acme/payments-api", "acme/platform-config", "acme/web-frontend"}
	if !slices.Equal(repos, want) {
		t.Errorf("repos %v, want %v", repos, want)
	}
	branches := complete(t, "branches", "-c", cfg, "acme/payments-api")
	if !slices.Equal(branches, []string{"develop", "feature/refunds", "main", "release/1.0", "release/2.0"}) {
		t.Errorf("branches of acme/payments-api: %v", branches)
	}
	if all := complete(t, "branches", "-c", cfg); len(all) <= len(branches) || !slices.Contains(all, "production") {
		t.Errorf("branches of every repository: %v", all)
	}
	// Quiet on error: no configuration, no index, nothing printed.
	if got := complete(t, "repos", "-c", filepath.Join(t.TempDir(), "none.yaml")); len(got) != 0 {
		t.Errorf("repos without a configuration: %v", got)
	}

	cmds := complete(t, "commands")
	for _, c := range []string{"crawl", "search", "serve", "deps", "demo", "version", "completion"} {
		if !slices.Contains(cmds, c) {
			t.Errorf("commands %v lack %s", cmds, c)
		}
	}
	if slices.Contains(cmds, "__complete") {
		t.Errorf("the hidden helper is offered: %v", cmds)
	}
	if got := complete(t, "subcommands", "config"); !slices.Equal(got, []string{"check", "example", "import"}) {
		t.Errorf("config subcommands %v", got)
	}
	if got := complete(t, "subcommands", "demo"); !slices.Equal(got, []string{"init", "tour"}) {
		t.Errorf("demo subcommands %v", got)
	}
	for _, c := range []string{"search", "crawl", "deps", "serve", "skipped"} {
		if got := complete(t, "subcommands", c); len(got) != 0 {
			t.Errorf("%s has no subcommands, got %v", c, got)
		}
	}
	flags := complete(t, "flags", "deps")
	for _, f := range []string{"-c", "--json", "--csv", "--repo", "--branch", "--version"} {
		if !slices.Contains(flags, f) {
			t.Errorf("deps flags %v lack %s", flags, f)
		}
	}
	if got := complete(t, "flags", "demo", "init"); !slices.Equal(got, []string{"--force"}) {
		t.Errorf("demo init flags %v", got)
	}
}

// TestCompletionScripts checks that each script parses in its shell and,
// where the shell can be driven from a test, that it completes the
// repository names of the index after --repo.
func TestCompletionScripts(t *testing.T) {
	cfg := crawledDemo(t)
	bin := buildTrawl(t)
	path := filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH")
	dir := t.TempDir()
	script := func(shell string) string {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"completion", shell}, &out, &errb); code != exitOK {
			t.Fatalf("completion %s: exit %d", shell, code)
		}
		p := filepath.Join(dir, "trawl."+shell)
		if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	shell := func(t *testing.T, name string, args ...string) string {
		t.Helper()
		if _, err := exec.LookPath(name); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required in CI (.ci/run installs it)", name)
			}
			t.Skipf("%s is not installed", name)
		}
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "PATH="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	repos := "acme/auth-service acme/data-pipeline acme/inventory-service acme/payments-api acme/platform-config acme/web-frontend"

	t.Run("bash", func(t *testing.T) {
		p := script("bash")
		shell(t, "bash", "-n", p)
		got := shell(t, "bash", "-c", `source "$1"; COMP_WORDS=(trawl crawl -c "$2" --repo ""); COMP_CWORD=5; _trawl; echo "${COMPREPLY[*]}"`, "bash", p, cfg)
		if strings.TrimSpace(got) != repos {
			t.Errorf("bash completes --repo with %q, want %q", got, repos)
		}
		got = shell(t, "bash", "-c", `source "$1"; COMP_WORDS=(trawl dem); COMP_CWORD=1; _trawl; echo "${COMPREPLY[*]}"`, "bash", p)
		if strings.TrimSpace(got) != "demo" {
			t.Errorf("bash completes dem with %q", got)
		}
		got = shell(t, "bash", "-c", `source "$1"; COMP_WORDS=(trawl deps --cs); COMP_CWORD=2; _trawl; echo "${COMPREPLY[*]}"`, "bash", p)
		if strings.TrimSpace(got) != "--csv" {
			t.Errorf("bash completes deps --cs with %q", got)
		}
	})
	t.Run("zsh", func(t *testing.T) {
		shell(t, "zsh", "-n", script("zsh"))
	})
	t.Run("fish", func(t *testing.T) {
		p := script("fish")
		shell(t, "fish", "--no-execute", p)
		got := shell(t, "fish", "-c", `source $argv[1]; complete -C "trawl crawl -c $argv[2] --repo "`, p, cfg)
		if strings.Join(strings.Fields(got), " ") != repos {
			t.Errorf("fish completes --repo with %q, want %q", got, repos)
		}
	})
}
