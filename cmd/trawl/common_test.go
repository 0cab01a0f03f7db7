package main

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestReadSecret(t *testing.T) {
	t.Setenv("TRAWL_TEST_TOKEN", "s3cret")
	v := "from the file"
	if err := readSecret(&v, "server.api_token_env", ""); err != nil || v != "from the file" {
		t.Errorf("no variable named: %q, %v; want the value left as it was", v, err)
	}
	if err := readSecret(&v, "server.api_token_env", "TRAWL_TEST_TOKEN"); err != nil || v != "s3cret" {
		t.Errorf("set variable: %q, %v", v, err)
	}
	err := readSecret(&v, "compliance.alerts[0].url_env", "TRAWL_TEST_UNSET_VARIABLE")
	var u usageError
	if !errors.As(err, &u) || !strings.HasPrefix(err.Error(), "compliance.alerts[0].url_env: ") || v != "s3cret" {
		t.Errorf("unset variable: %v (value %q); want a usage error naming the key, the value untouched", err, v)
	}
}

func TestCompileRegexps(t *testing.T) {
	var repo, branch *regexp.Regexp
	if err := compileRegexps("deps", regexpFlag{"--repo", "^acme/", &repo}, regexpFlag{"--branch", "", &branch}); err != nil {
		t.Fatal(err)
	}
	if repo == nil || !repo.MatchString("acme/api") || branch != nil {
		t.Errorf("repo %v, branch %v; want --repo compiled and --branch left nil", repo, branch)
	}
	err := compileRegexps("indicators", regexpFlag{"--branch", "(", &branch})
	var u usageError
	if !errors.As(err, &u) || !strings.HasPrefix(err.Error(), "indicators: --branch: ") {
		t.Errorf("bad expression: %v; want a usage error naming command and flag", err)
	}
}

func TestNoArgumentsAndCountSet(t *testing.T) {
	if err := noArguments("check", nil); err != nil {
		t.Error(err)
	}
	if err := noArguments("check", []string{"a", "b"}); err == nil || err.Error() != `check: unexpected argument "a"` {
		t.Errorf("err = %v", err)
	}
	if n := countSet(true, false, true); n != 2 {
		t.Errorf("countSet = %d, want 2", n)
	}
}
