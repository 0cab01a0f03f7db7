package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/demo"
)

// TestDemoTour generates the demo organisation, crawls it into a temporary
// index and asks every question of the tour through the command line, as
// make run does; each question's expected answer is checked here, and a
// question added to the tour without an expected answer fails the test.
func TestDemoTour(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "demo-org")
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"demo", "init", dir}, &out, &errb); code != exitOK {
		t.Fatalf("demo init: exit %d\n%s", code, errb.String())
	}
	cfg := filepath.Join(dir, demo.ConfigFile)
	out.Reset()
	if code := run(ctx, []string{"crawl", "-c", cfg}, &out, &errb); code != exitOK {
		t.Fatalf("crawl: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "crawled 6 repositories (0 failed") || !strings.Contains(out.String(), "branches: 30 seen") {
		t.Fatalf("crawl summary:\n%s", out.String())
	}

	ask := func(q demo.Question) string {
		t.Helper()
		var out, errb bytes.Buffer
		if q.Missing {
			if err := tourMissing(ctx, cfg, q, &out); err != nil {
				t.Fatalf("%s: %v", q.ID, err)
			}
			return out.String()
		}
		want := exitOK
		if q.Gate {
			want = exitError // a failing rule is the answer
		}
		if code := run(ctx, append(append([]string{}, q.Args...), "-c", cfg), &out, &errb); code != want {
			t.Fatalf("%s: exit %d, want %d\n%s", q.ID, code, want, errb.String())
		}
		return out.String()
	}
	// lines returns the output's lines that start with a repo@branch, sorted.
	located := regexp.MustCompile(`^acme/[a-z-]+@[^:\s]+`)
	heads := func(s string) []string {
		var got []string
		for _, l := range strings.Split(s, "\n") {
			if m := located.FindString(l); m != "" {
				got = append(got, m)
			}
		}
		sort.Strings(got)
		return compact(got)
	}
	vulnerable := demo.VulnerableRepo + "@" + demo.VulnerableBranch

	checks := map[string]func(t *testing.T, out string){
		"log4j-search": func(t *testing.T, out string) {
			if got := heads(out); len(got) != 1 || got[0] != vulnerable {
				t.Errorf("branches found %v, want only %s", got, vulnerable)
			}
		},
		"log4j-deps": func(t *testing.T, out string) {
			got := heads(out)
			if len(got) != 10 {
				t.Errorf("log4j-core on %d branches %v, want 10 (every branch of payments-api and auth-service)", len(got), got)
			}
			if !regexp.MustCompile(regexp.QuoteMeta(vulnerable) + `:pom\.xml:\d+\s.*\s` + regexp.QuoteMeta(demo.VulnerableVersion) + `\s+property`).MatchString(out) {
				t.Errorf("the property-resolved %s is not shown for %s:\n%s", demo.VulnerableVersion, vulnerable, out)
			}
		},
		"log4j-vulnerable": func(t *testing.T, out string) {
			if got := heads(out); len(got) != 1 || got[0] != vulnerable {
				t.Errorf("vulnerable branches %v, want only %s", got, vulnerable)
			}
		},
		"config-key": func(t *testing.T, out string) {
			for br, v := range demo.ConfigValues {
				want := demo.VulnerableRepo + "@" + br + ":src/main/resources/application.yml:7:  " + demo.ConfigKey + ": " + v
				if !strings.Contains(out, want+"\n") {
					t.Errorf("missing %q in:\n%s", want, out)
				}
			}
		},
		"codeowners": func(t *testing.T, out string) {
			if got := heads(out); len(got) != 5 {
				t.Errorf("repositories with CODEOWNERS %v, want 5", got)
			}
			if !strings.HasSuffix(out, "not in this answer: "+demo.NoOwnersRepo+"\n") {
				t.Errorf("the repository without CODEOWNERS is not named:\n%s", out)
			}
		},
		"check": func(t *testing.T, out string) {
			for _, want := range []string{
				`(?m)^log4shell\s+error\s+fail\s+30\s+1\s`,
				`(?m)^codeowners\s+warning\s+fail\s+6\s+1\s`,
				`(?m)^  ` + regexp.QuoteMeta(vulnerable) + `:pom\.xml:\d+: org\.apache\.logging\.log4j:log4j-core .*\(` + regexp.QuoteMeta(demo.VulnerableVersion) + `\)$`,
				`(?m)^  ` + regexp.QuoteMeta(demo.NoOwnersRepo) + `@main$`,
			} {
				if !regexp.MustCompile(want).MatchString(out) {
					t.Errorf("check output lacks %s:\n%s", want, out)
				}
			}
		},
		"change-plan": func(t *testing.T, out string) {
			if n := len(regexp.MustCompile(`(?m)^# acme/`).FindAllString(out, -1)); n != 1 || !strings.Contains(out, "# "+vulnerable+" (base ") {
				t.Errorf("planned %d resources, want only %s:\n%s", n, vulnerable, out)
			}
			for _, want := range []string{"-    <log4j2.version>" + demo.VulnerableVersion + "</log4j2.version>\n", "+    <log4j2.version>" + demo.FixedVersion + "</log4j2.version>\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("plan lacks %q:\n%s", want, out)
				}
			}
		},
		"skipped": func(t *testing.T, out string) {
			for _, want := range []string{demo.LargeFile + `\s+1\.5 MiB\s+too large`, demo.BinaryFile + `\s+\d+ B\s+binary`} {
				if n := len(regexp.MustCompile(want).FindAllString(out, -1)); n != 5 {
					t.Errorf("%q on %d branches, want all 5 of acme/web-frontend:\n%s", want, n, out)
				}
			}
		},
	}
	for _, q := range demo.Tour() {
		check, ok := checks[q.ID]
		if !ok {
			t.Errorf("tour question %q has no expected answer in this test", q.ID)
			continue
		}
		t.Run(q.ID, func(t *testing.T) { check(t, ask(q)) })
	}

	// The tour command itself prints every question and its answer.
	out.Reset()
	if code := run(ctx, []string{"demo", "tour", "-c", cfg}, &out, &errb); code != exitOK {
		t.Fatalf("demo tour: exit %d\n%s", code, errb.String())
	}
	for _, q := range demo.Tour() {
		if !strings.Contains(out.String(), "$ trawl "+shellJoin(q.Args)+"\n") {
			t.Errorf("demo tour does not show %q", shellJoin(q.Args))
		}
	}
}

func compact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"search", "a b", "it's", "file:pom.xml", "<2.17.1", ""})
	want := `search 'a b' 'it'\''s' file:pom.xml '<2.17.1' ''`
	if got != want {
		t.Errorf("shellJoin = %s, want %s", got, want)
	}
}
