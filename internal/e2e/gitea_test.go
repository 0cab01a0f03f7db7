package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/source/gitea/giteatest"
	"github.com/trawl-dev/trawl/source/sources"
	"github.com/trawl-dev/trawl/webhook"
)

// TestGiteaOrganisationThenPushWebhooks crawls a Gitea organisation (the
// API answered by giteatest, clones through git http-backend) as trawl
// serve does (sources.Set, the crawler, Bleve), checks every branch against
// git grep and the permalinks, checks that a pass without changes fetches
// nothing, then pushes twice and delivers each push as Gitea and as
// Forgejo would, with a missing, a wrong and a valid signature, through
// the handler sources.Hooks mounts at POST /hooks/gitea.
func TestGiteaOrganisationThenPushWebhooks(t *testing.T) {
	const token = "9c1f0e2d3b4a59687a6b5c4d3e2f1a0b9c8d7e6f" // fake, shaped like a Gitea token
	f := giteatest.New(t, token)
	f.SetPageSize(1) // three repositories, three pages
	api := giteatest.NewWork(t, map[string]string{"main.go": "package main\n\nfunc main() { println(\"hello trawl\") }\n"})
	api.Git("checkout", "-q", "-b", "feature/louder")
	api.Commit("louder", map[string]string{"main.go": "package main\n\nfunc main() { println(\"hello trawl!!\") }\n"})
	api.Git("checkout", "-q", "main")
	f.AddRepo(api, "acme/api", map[string]any{"private": true})
	tools := giteatest.NewWork(t, map[string]string{"tool.sh": "echo sharpen\n", "docs/read me.md": "hello trawl, with spaces\n"})
	f.AddRepo(tools, "acme/tools", nil)
	fork := giteatest.NewWork(t, map[string]string{"main.go": "// hello trawl from a fork\n"})
	f.AddRepo(fork, "acme/fork", map[string]any{"fork": true})

	t.Setenv("TRAWL_TEST_GITEA_TOKEN", token)
	t.Setenv("TRAWL_TEST_GITEA_HOOK", "gitea hook secret")
	cfg := loadConfig(t, fmt.Sprintf("sources:\n  - gitea:\n      org: acme\n      api_url: %s\n      token_env: TRAWL_TEST_GITEA_TOKEN\n      webhook_secret_env: TRAWL_TEST_GITEA_HOOK\n", f.APIURL()))
	set := sources.New(sources.Options{})
	srcs, err := set.For(cfg)
	if err != nil {
		t.Fatal(err)
	}
	idx := openIndex(t, cfg)
	crawlOK := crawlerOK(t, cfg, idx, srcs)

	if sum := crawlOK(); sum.Repos != 2 {
		t.Errorf("first crawl: %+v (the fork is left out)", sum)
	}
	works := map[string]string{"acme/api": api.Dir, "acme/tools": tools.Dir}
	checkParity(t, idx, works, `"hello trawl"`, "-i", "-F", "-e", "hello trawl")
	checkParity(t, idx, works, `/echo [a-z]+/`, "-E", "-e", "echo [a-z]+")
	res, err := search.New(idx).Search(context.Background(), `"hello trawl"`, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	links := 0
	for _, file := range res.Files {
		want := map[string]string{"main.go": "/main.go#L3", "docs/read me.md": "/docs/read%20me.md#L1"}[file.Path]
		prefix := "https://gitea.example/" + file.Repo + "/src/commit/"
		if !strings.HasPrefix(file.URL, prefix) || want == "" || !strings.HasSuffix(file.URL, want) {
			t.Errorf("permalink %s of %s:%s, want %s<commit>%s", file.URL, file.Repo, file.Path, prefix, want)
		}
		links++
	}
	if links < 3 {
		t.Errorf("%d files found, want main.go on two branches and docs/read me.md", links)
	}

	// A pass with nothing changed: the listing's three pages, no fetch.
	calls, clones := f.CallCount(""), f.Clones()
	crawlOK()
	if f.CallCount("")-calls != 3 || f.Clones() != clones {
		t.Errorf("an unchanged pass made %d API calls and %d fetches, want 3 and 0", f.CallCount("")-calls, f.Clones()-clones)
	}

	// The source's API calls are counted where trawl serve's /metrics reads them.
	reg := prometheus.NewRegistry()
	reg.MustRegister(set.Collectors()...)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counted := 0.0
	for _, fam := range families {
		if fam.GetName() == "trawl_gitea_api_calls_total" {
			for _, m := range fam.GetMetric() {
				if l := m.GetLabel(); len(l) == 1 && strings.HasPrefix(l[0].GetValue(), "gitea org acme on ") {
					counted = m.GetCounter().GetValue()
				}
			}
		}
	}
	if counted != float64(f.CallCount("")) {
		t.Errorf("trawl_gitea_api_calls_total %v, want the %d calls the API answered", counted, f.CallCount(""))
	}

	pushed := make(chan string, 10)
	srv := hookServer(t, cfg, webhook.Events{Push: func(repo, branch string) {
		set.MarkChanged(repo) // before the listing shows the push, as can happen
		pushed <- repo + "@" + branch
	}})

	for i, forge := range []string{"Gitea", "Forgejo"} {
		line := fmt.Sprintf("HELLO WEBHOOK %d", i)
		before := strings.TrimSpace(api.Git("rev-parse", "main"))
		api.Commit("greet louder", map[string]string{"main.go": "package main\n\nfunc main() { println(\"" + line + "\") }\n"})
		api.Git("push", "-q", f.PushURL("acme/api"), "main")
		body := giteatest.PushPayload("acme/api", "main", before, strings.TrimSpace(api.Git("rev-parse", "main")))
		for _, c := range []struct {
			name, signature string
			want            int
		}{
			{"missing signature", "", http.StatusUnauthorized},
			{"wrong signature", giteatest.Sign([]byte("not the secret"), body), http.StatusUnauthorized},
			{"valid signature", giteatest.Sign([]byte("gitea hook secret"), body), http.StatusAccepted},
		} {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/gitea", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-"+forge+"-Event", "push")
			if c.signature != "" {
				req.Header.Set("X-"+forge+"-Signature", c.signature)
			}
			if code := deliver(t, req); code != c.want {
				t.Fatalf("%s webhook with %s: status %d, want %d", forge, c.name, code, c.want)
			}
			if c.want != http.StatusAccepted && len(pushed) != 0 {
				t.Fatalf("%s webhook with %s reported a push: %s", forge, c.name, <-pushed)
			}
		}
		if got := <-pushed; got != "acme/api@main" || len(pushed) != 0 {
			t.Fatalf("%s webhook reported %s (and %d more), want acme/api@main once", forge, got, len(pushed))
		}
		if sum := crawlOK("acme/api"); sum.BranchesChanged != 1 {
			t.Errorf("crawl after the %s webhook: %+v", forge, sum)
		}
		checkParity(t, idx, works, "/"+line+"/", "-E", "-e", line)
		checkParity(t, idx, works, `"hello trawl"`, "-i", "-F", "-e", "hello trawl")
	}
}
