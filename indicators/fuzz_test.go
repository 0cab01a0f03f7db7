package indicators

import (
	"testing"

	"github.com/trawl-dev/trawl/search"
)

// FuzzSearchQuery checks that every queryString the translation accepts
// becomes a query trawl's parser accepts.
func FuzzSearchQuery(f *testing.F) {
	for _, s := range []string{"q=metrics+extension:xml", `q="a b"+filename:pom.xml`, "q=x+path:src/main+language:java", `q=a\"b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		q, err := SearchQuery(in)
		if err != nil {
			return
		}
		if _, err := search.Parse(q); err != nil {
			t.Fatalf("%q -> %q: %v", in, q, err)
		}
	})
}

// FuzzRedirects checks that a repository-side file never redirects
// outside the repository.
func FuzzRedirects(f *testing.F) {
	f.Add("filesToParse:\n  - name: Dockerfile\n    redirectTo: routing/Dockerfile\n")
	f.Add("filesToParse: [{name: a, redirectTo: ../../etc/passwd}]\n")
	f.Fuzz(func(t *testing.T, in string) {
		for name, to := range parseRedirects([]byte(in)) {
			if !cleanPath(to) || name == "" {
				t.Fatalf("redirect %q -> %q accepted", name, to)
			}
		}
	})
}
