package deps

import (
	"strings"
	"testing"
)

func TestRangeContains(t *testing.T) {
	tests := []struct {
		eco, rng string
		in, out  []string
	}{
		{"maven", "<2.17.1", []string{"2.14.1", "2.17.0", "2.17.1-rc1", "2.0-beta9"}, []string{"2.17.1", "2.17.2", "3.0.0"}},
		{"maven", ">=2.0 <2.17.1", []string{"2.0", "2.16.0"}, []string{"1.2.17", "2.17.1"}},
		{"maven", ">=2.0,<2.17.1", []string{"2.0.1", "2.17.0"}, []string{"1.9", "2.17.1"}},
		{"maven", "vers:maven/>=2.0|<2.17.1", []string{"2.0", "2.17.0"}, []string{"1.9", "2.17.1"}},
		{"maven", "[2.0,2.17.1)", []string{"2.0", "2.17.0"}, []string{"1.9", "2.17.1"}},
		{"maven", "< 1.0 || >= 2.0", []string{"0.9", "2.0", "3.1"}, []string{"1.0", "1.5"}},
		// Maven orders qualifiers: alpha < beta < rc < release < sp.
		{"maven", ">1.0-rc1 <1.0-sp", []string{"1.0", "1.0-rc2"}, []string{"1.0-beta", "1.0-sp1"}},
		{"npm", "<4.17.21", []string{"4.17.20", "4.17.21-beta.1", "3.10.1"}, []string{"4.17.21", "5.0.0"}},
		{"npm", "^18.0.0", []string{"18.2.0"}, []string{"17.0.2", "19.0.0"}},
		{"npm", "vers:npm/1.0.0|>=2.0.0|<3.0.0", []string{"1.0.0", "2.5.0"}, []string{"1.5.0", "3.0.0"}},
		{"golang", "<v0.23.0", []string{"v0.17.0", "0.22.9", "v0.0.0-20230101000000-abcdefabcdef"}, []string{"v0.23.0", "v1.0.0"}},
		{"golang", ">=1.9.0 <1.9.3", []string{"v1.9.0", "v1.9.2"}, []string{"v1.8.9", "v1.9.3"}},
		{"pypi", "<2.31.0", []string{"2.30.0", "2.31.0rc1", "2.31.0.dev1"}, []string{"2.31.0", "2.31.0.post1"}},
		{"pypi", "~=6.0", []string{"6.0", "6.9.1"}, []string{"5.4", "7.0"}},
		{"pypi", ">=4.2,!=4.2.3,<5", []string{"4.2", "4.2.4"}, []string{"4.2.3", "5.0"}},
		{"docker", "<1.26", []string{"1.25.3"}, []string{"1.26.0"}},
		{"pypi", "vers:pypi/*", []string{"0.1", "99"}, nil},
		{"maven", "vers:maven/!=2.0|>=1.0", []string{"1.0", "3.0"}, []string{"0.5", "2.0"}},
	}
	for _, tt := range tests {
		r, err := ParseRange(tt.eco, tt.rng)
		if err != nil {
			t.Errorf("ParseRange(%q, %q): %v", tt.eco, tt.rng, err)
			continue
		}
		for _, v := range tt.in {
			if !r.Contains(v) {
				t.Errorf("%s range %q does not contain %q", tt.eco, tt.rng, v)
			}
		}
		for _, v := range tt.out {
			if r.Contains(v) {
				t.Errorf("%s range %q contains %q", tt.eco, tt.rng, v)
			}
		}
	}
}

func TestParseRangeErrors(t *testing.T) {
	for _, s := range []string{"", "<", "vers:maven", "<not a version", ">=1.0 ||", "[1.0"} {
		if _, err := ParseRange("maven", s); err == nil {
			t.Errorf("ParseRange(maven, %q) succeeded", s)
		}
	}
}

// The question the package exists for: which records use log4j-core below
// 2.17.1? Across Maven (parent, property override) and Gradle (catalog).
func TestMatchLog4j(t *testing.T) {
	r, err := ParseRange("maven", "<2.17.1")
	if err != nil {
		t.Fatal(err)
	}
	var hits []string
	for _, tree := range []string{"testdata/maven", "testdata/gradle"} {
		for _, d := range loadTree(t, tree) {
			if d.Name != "org.apache.logging.log4j:log4j-core" {
				continue
			}
			in, known := r.Match(d)
			if !known {
				t.Errorf("%s:%d: version unknown", d.Path, d.Line)
			}
			if in {
				hits = append(hits, tree+"/"+d.Path)
			}
		}
	}
	want := "testdata/maven/api/pom.xml testdata/maven/pom.xml testdata/gradle/app/build.gradle.kts"
	if got := strings.Join(hits, " "); got != want {
		t.Errorf("vulnerable log4j-core at %s, want %s", got, want)
	}
}

func TestMatchUnknown(t *testing.T) {
	r, _ := ParseRange("npm", "<4.17.21")
	for _, d := range []Dependency{
		{Ecosystem: "npm", Version: "^4.17.0"},
		{Ecosystem: "npm", Version: ""},
		{Ecosystem: "npm", Version: "latest"},
	} {
		if in, known := r.Match(d); in || known {
			t.Errorf("Match(%q) = %v, %v; want false, false", d.Version, in, known)
		}
	}
	if in, known := r.Match(Dependency{Version: "^4.17.0", ResolvedVersion: "4.17.20"}); !in || !known {
		t.Errorf("Match with a resolved version = %v, %v; want true, true", in, known)
	}
	if in, known := r.Match(Dependency{Version: "4.17.21"}); in || !known {
		t.Errorf("Match(4.17.21) = %v, %v; want false, true", in, known)
	}
}
