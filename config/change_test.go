package config

import (
	"strings"
	"testing"
)

func TestChangeSection(t *testing.T) {
	good := "sources:\n  - dir: /srv\nchange:\n  max_repos: 3\n  author: {name: bot, email: bot@example.com}\n  write:\n    - repos: '^acme/'\n      username: ci\n      write_token_env: GH_WRITE\n"
	cfg, err := Parse([]byte(good), "trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Change.MaxRepos != 3 || cfg.Change.Write[0].WriteTokenEnv != "GH_WRITE" || cfg.Change.Author.Email != "bot@example.com" {
		t.Errorf("%+v", cfg.Change)
	}
	bad := "sources:\n  - dir: /srv\nchange:\n  max_repos: -1\n  write:\n    - repos: '(('\n      write_token_env: ghp_abcdefghijklmnopqrstuvwxyz0123456789\n    - repos: x\n  wrong: 1\n"
	_, err = Parse([]byte(bad), "trawl.yaml")
	if err == nil {
		t.Fatal("bad change section accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		"trawl.yaml:4: change.max_repos: must be 0",
		"trawl.yaml:6: change.write[0].repos: error parsing regexp",
		"trawl.yaml:7: change.write[0].write_token_env: must name an environment variable, not hold the secret",
		"change.write[1].write_token_env: is required",
		`trawl.yaml:9: change: unknown key "wrong"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "ghp_abcdefghijklmnopqrstuvwxyz0123456789") {
		t.Error("the secret reached the error")
	}
}
