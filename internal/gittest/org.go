package gittest

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// words is the vocabulary of generated files: config keys, punctuation,
// mixed case and a few non-ASCII words, so literal, regex and case queries
// all find something.
var words = []string{
	"log4j-core", "spring.datasource.url", "Timeout", "timeout", "TIMEOUT", "err != nil", "func", "return",
	"version=2.14.1", "version=2.17.1", "<artifactId>", "foo_bar", "FooBar", "naïve", "Straße", "ΣΊΣΥΦΟΣ",
	"kelvin", "KELVIN", "x := 42", "# TODO", "password:", "${project.version}", "{}", "[x]", "a.b.c", "tab\there",
}

// genFile makes a text file from the vocabulary.
func genFile(r *rand.Rand, lines int) string {
	var b strings.Builder
	for i := range lines {
		n := 1 + r.IntN(6)
		for j := range n {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		if i < lines-1 || r.IntN(4) > 0 { // some files lack a final newline
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// MakeOrg builds n repositories below root, each with several branches
// holding shared and diverging files, renames, deletions, and the awkward
// files code search meets: binary, not UTF-8, CRLF, very long lines, no
// final newline, empty. It returns the repositories by name.
func MakeOrg(t testing.TB, root string, n int, seed uint64) map[string]*Repo {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	repos := map[string]*Repo{}
	for i := range n {
		name := fmt.Sprintf("team%d/svc%d", i%2, i)
		repo := Init(t, filepath.Join(root, name))
		files := map[string]string{
			"README.md":                  genFile(r, 5),
			"go.mod":                     fmt.Sprintf("module example.com/svc%d\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n", i),
			"pom.xml":                    "<project>\n  <artifactId>log4j-core</artifactId>\n  <version>2.14.1</version>\n</project>\n",
			"src/main.go":                "package main\n\nfunc main() {\n\tif err != nil {\n\t\treturn\n\t}\n}\n",
			"config/app.yaml":            genFile(r, 20),
			"crlf.txt":                   "Timeout = 30\r\nlog4j-core\r\nend\r\n",
			"long.txt":                   strings.Repeat("abcdefghij", 20000) + " needle-in-long-line " + strings.Repeat("z", 5000) + "\n",
			"empty.txt":                  "",
			"nofinal.txt":                "last line without newline timeout",
			"bin/data.bin":               "header\x00\x01\x02 log4j-core timeout\n",
			"latin1.txt":                 "caf\xe9 timeout log4j-core\n",
			"docs/unicode.txt":           "Straße kelvin \u212a ΣΊΣΥΦΟΣ σίσυφος\nnaïve\n",
			fmt.Sprintf("gen/%d.txt", i): genFile(r, 50),
		}
		repo.Commit("initial", files)
		for b := range 4 {
			branch := []string{"develop", "release/1.2", "feature/x-y", "hotfix"}[b]
			repo.Checkout("main")
			repo.Checkout(branch)
			change := map[string]string{
				"config/app.yaml":                 genFile(r, 20),
				fmt.Sprintf("gen/%s.txt", branch): genFile(r, 10),
			}
			switch b {
			case 1:
				repo.Git("mv", "src/main.go", "src/app.go")
				change["pom.xml"] = strings.Replace(files["pom.xml"], "2.14.1", "2.17.1", 1)
				change["go.mod"] = strings.Replace(files["go.mod"], "v1.6.0", "v1.5.0", 1)
			case 2:
				change["README.md!"] = ""
			case 3:
				change["crlf.txt"] = "TIMEOUT=1\r\n"
			}
			repo.Commit("work on "+branch, change)
		}
		repo.Checkout("main")
		repos[name] = repo
	}
	return repos
}
