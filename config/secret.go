package config

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// secretPrefixes start the tokens people most often paste by mistake:
// GitHub, GitLab, Slack, AWS, OpenAI-style keys and PEM blocks.
var secretPrefixes = []string{
	"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
	"glpat-", "xoxb-", "xoxp-", "AKIA", "sk-", "-----BEGIN",
}

// looksSecret guesses whether s is a credential rather than a name. It errs
// on the side of "secret": the cost of a false positive is a vaguer error
// message, the cost of a false negative is a token in a log.
func looksSecret(s string) bool {
	for _, p := range secretPrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	var lower, upper, digit bool
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	// Environment variable names of this length are UPPER_SNAKE_CASE;
	// random tokens rarely contain an underscore and mix letters and digits.
	noUnderscore := !strings.Contains(s, "_")
	switch {
	case len(s) >= 32 && noUnderscore:
		return true
	case len(s) >= 20 && noUnderscore && digit && (lower || upper):
		return true
	case len(s) >= 24 && lower && upper && digit:
		return true
	}
	return false
}

// show quotes a value for an error message, unless it looks like a secret:
// configuration errors end up in logs and terminals.
func show(s string) string {
	if looksSecret(s) {
		return "the value (hidden: it looks like a secret)"
	}
	return strconv.Quote(s)
}

// Secret returns the value of the environment variable envName, which
// configuration fields ending in _env name. The error names the variable
// and never holds a value.
func Secret(envName string) (string, error) {
	if envName == "" {
		return "", fmt.Errorf("read secret: no environment variable named")
	}
	if looksSecret(envName) || !envNameRE.MatchString(envName) {
		return "", fmt.Errorf("read secret: %s is not an environment variable name", show(envName))
	}
	v, ok := os.LookupEnv(envName)
	if !ok {
		return "", fmt.Errorf("read secret: environment variable %s is not set", envName)
	}
	if v == "" {
		return "", fmt.Errorf("read secret: environment variable %s is empty", envName)
	}
	return v, nil
}
