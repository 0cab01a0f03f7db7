package change

import (
	"strings"
	"testing"

	"github.com/trawl-dev/trawl/deps"
)

const pomWithPlugins = `<project>
  <modelVersion>4.0.0</modelVersion>
  <dependencies>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <version>4.12</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>2.14.1</version>
    </dependency>
  </dependencies>
  <build><plugins/></build>
</project>
`

func TestXMLRemoveAndAdd(t *testing.T) {
	out, err := xmlRemove([]byte(pomWithPlugins), "/project/dependencies/dependency[artifactId='junit']")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(pomWithPlugins, "    <dependency>\n      <groupId>junit</groupId>\n      <artifactId>junit</artifactId>\n      <version>4.12</version>\n    </dependency>\n", "", 1)
	if string(out) != want {
		t.Fatalf("remove:\n%s", out)
	}
	m, err := deps.Parse("pom.xml", out)
	if err != nil || len(m.Pom.Deps) != 1 || m.Pom.Deps[0].ArtifactID != "log4j-core" {
		t.Fatalf("after remove: %v %+v", err, m)
	}

	frag := `
		<dependency>
		  <groupId>org.slf4j</groupId>
		  <artifactId>slf4j-api</artifactId>
		  <version>2.0.9</version>
		</dependency>
	`
	out, err = xmlAdd([]byte(pomWithPlugins), "//dependencies", frag)
	if err != nil {
		t.Fatal(err)
	}
	added := "    <dependency>\n      <groupId>org.slf4j</groupId>\n      <artifactId>slf4j-api</artifactId>\n      <version>2.0.9</version>\n    </dependency>\n  </dependencies>"
	if string(out) != strings.Replace(pomWithPlugins, "  </dependencies>", added, 1) {
		t.Fatalf("add:\n%s", out)
	}
	m, err = deps.Parse("pom.xml", out)
	if err != nil || len(m.Pom.Deps) != 3 || m.Pom.Deps[2].ArtifactID != "slf4j-api" {
		t.Fatalf("after add: %v %+v", err, m)
	}
	// Run again: the element already holds it.
	again, err := xmlAdd(out, "//dependencies", frag)
	if err != nil || string(again) != string(out) {
		t.Errorf("second add changed the file:\n%s", again)
	}
	if _, err := xmlAdd([]byte(pomWithPlugins), "//plugins", "<plugin/>"); err == nil || !strings.Contains(err.Error(), "self-closing") {
		t.Errorf("self-closing parent: %v", err)
	}
	if err := (Action{Kind: KindXMLAdd, XPath: "//dependencies", Content: "<dependency>"}).Check(); err == nil {
		t.Error("a fragment that is not well-formed was accepted")
	}
	if err := (Action{Kind: KindXMLRemove, XPath: "//a[("}).Check(); err == nil {
		t.Error("a bad XPath was accepted")
	}
}

func TestRegexReplacementGroups(t *testing.T) {
	for _, tc := range []struct {
		re, with string
		ok       bool
	}{
		{`(a)(b)`, "$2$1", true},
		{`(a)(b)`, "${1}x $$3", true},
		{`(?P<ver>\d+)`, "v${ver}", true},
		{`(a)`, "$2", false},
		{`(a)`, "$1x", false}, // Expand reads $1x as a group named 1x
		{`(a)`, "${nope}", false},
	} {
		err := Action{Kind: KindRegex, Old: tc.re, New: tc.with}.Check()
		if (err == nil) != tc.ok {
			t.Errorf("%s -> %s: %v", tc.re, tc.with, err)
		}
	}
	out, _ := Action{Kind: KindRegex, Old: `version: (\d+)\.(\d+)`, New: "version: $1.${2}1"}.edit([]byte("a\nversion: 1.2\n"))
	if string(out) != "a\nversion: 1.21\n" {
		t.Errorf("expansion: %q", out)
	}
}
