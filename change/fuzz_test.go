package change

import (
	"bytes"
	"testing"
)

var fuzzPaths = []string{"pom.xml", "package.json", "go.mod", "Dockerfile", ".github/workflows/ci.yml", "gradle/libs.versions.toml"}

// FuzzSetVersion checks the in-place editors on any input: they never
// panic, never add or remove a line, and leave a file that does not
// mention the dependency byte for byte as it was.
func FuzzSetVersion(f *testing.F) {
	f.Fuzz(func(t *testing.T, sel uint8, content []byte, name string) {
		p := fuzzPaths[int(sel)%len(fuzzPaths)]
		out, _, err := setVersion(p, content, "zz.absent.group:zz-absent-artifact", "9.9.9")
		if err == nil && !bytes.Equal(out, content) {
			t.Fatalf("%s: an absent dependency changed the file:\n%q\n%q", p, content, out)
		}
		if name == "" {
			return
		}
		out, _, err = setVersion(p, content, name, "1.2.3")
		if err != nil {
			return
		}
		if bytes.Count(out, []byte("\n")) != bytes.Count(content, []byte("\n")) {
			t.Fatalf("%s: setting %q changed the line count:\n%q\n%q", p, name, content, out)
		}
	})
}

// FuzzXMLEdit checks the XML editors never panic and that removing never
// grows a document.
func FuzzXMLEdit(f *testing.F) {
	f.Fuzz(func(t *testing.T, doc []byte, xpath, frag string) {
		if out, err := xmlRemove(doc, xpath); err == nil && len(out) > len(doc) {
			t.Fatalf("remove %q grew the document", xpath)
		}
		xmlAdd(doc, xpath, frag)
	})
}
