package deps

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestKind(t *testing.T) {
	tests := map[string]string{
		"pom.xml":                            KindMaven,
		"services/api/pom.xml":               KindMaven,
		"build.gradle":                       KindGradle,
		"app/build.gradle.kts":               KindGradle,
		"gradle/libs.versions.toml":          KindGradleCatalog,
		"libs.versions.toml":                 "",
		"gradle.lockfile":                    KindGradleLock,
		"gradle.properties":                  KindGradleProps,
		"package.json":                       KindNPM,
		"node_modules/left-pad/package.json": "",
		"web/package-lock.json":              KindNPMLock,
		"yarn.lock":                          KindYarnLock,
		"go.mod":                             KindGoMod,
		"go.sum":                             "",
		"requirements.txt":                   KindRequirements,
		"requirements-dev.txt":               KindRequirements,
		"dev-requirements.txt":               KindRequirements,
		"requirements/base.txt":              KindRequirements,
		"notes.txt":                          "",
		"pyproject.toml":                     KindPyProject,
		"poetry.lock":                        KindPoetryLock,
		"Dockerfile":                         KindDockerfile,
		"docker/Dockerfile.prod":             KindDockerfile,
		"build.dockerfile":                   KindDockerfile,
		"docker-compose.yml":                 KindCompose,
		"docker-compose.prod.yaml":           KindCompose,
		"compose.yaml":                       KindCompose,
		"charts/api/Chart.yaml":              KindHelmChart,
		"charts/api/values.yaml":             KindHelmValues,
		"charts/api/values-prod.yaml":        KindHelmValues,
		".github/workflows/ci.yml":           KindActions,
		".github/workflows/docs/readme.md":   "",
		"action.yml":                         KindActions,
		"Jenkinsfile":                        KindJenkinsfile,
		"ci/Jenkinsfile.release":             KindJenkinsfile,
		"README.md":                          "",
	}
	for p, want := range tests {
		if got := Kind(p); got != want {
			t.Errorf("Kind(%q) = %q, want %q", p, got, want)
		}
	}
}

// A manifest that does not parse is an error naming the path and line.
func TestParseErrors(t *testing.T) {
	tests := []struct{ path, content, want string }{
		{"pom.xml", "<project>\n  <dependencies>\n    <dependency>\n</project>\n", "parse pom.xml: line 4:"},
		{"pom.xml", "<settings/>", "parse pom.xml: line 1: root element is <settings>"},
		{"package.json", "{\n  \"dependencies\": {\n    \"a\": \"1\",\n  }\n}", "parse package.json: line 4:"},
		{"web/package-lock.json", "{\"packages\": {", "parse web/package-lock.json: line 1: unexpected end of JSON"},
		{"go.mod", "module x\n\nrequire (\n\tgithub.com/a/b\n)\n", "parse go.mod: line 4: require needs"},
		{"go.mod", "module x\nrequire (\n", "unclosed require block"},
		{"pyproject.toml", "[project]\ndependencies = [\n  \"a\",\n  oops\n]\n", "parse pyproject.toml: line 4:"},
		{"poetry.lock", "[[package]]\nversion = \"1\"\n", "parse poetry.lock: line 1: [[package]] without a name"},
		{"gradle/libs.versions.toml", "[versions]\na = \"1\"\na = \"2\"\n", "line 3: duplicate key"},
		{"requirements.txt", "requests==2.0\n%%%\n", "parse requirements.txt: line 2: not a requirement"},
		{"Dockerfile", "FROM alpine\nFROM --platform=linux/amd64\n", "parse Dockerfile: line 2: FROM without an image"},
		{"docker-compose.yml", "services:\n  a:\n    image: [\n", "parse docker-compose.yml: line"},
		{"gradle.lockfile", "a:b:1=x\nbroken\n", "parse gradle.lockfile: line 2:"},
		{"yarn.lock", "lodash@^4:\n  version \"4\"\n  oops\nstray line\n", "parse yarn.lock: line 4:"},
	}
	for _, tt := range tests {
		m, err := Parse(tt.path, []byte(tt.content))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%s) = %v, %v; want error containing %q", tt.path, m, err, tt.want)
		}
	}
	if m, err := Parse("README.md", []byte("# hi")); m != nil || err != nil {
		t.Errorf("Parse(README.md) = %v, %v; want nil, nil", m, err)
	}
}

// fuzzPaths are the file names FuzzParse dispatches on, one per parser.
var fuzzPaths = []string{
	"pom.xml", "build.gradle", "gradle.properties", "gradle/libs.versions.toml", "gradle.lockfile",
	"package.json", "package-lock.json", "yarn.lock", "go.mod", "requirements.txt", "pyproject.toml",
	"poetry.lock", "Dockerfile", "docker-compose.yml", "Chart.yaml", "values.yaml",
	".github/workflows/ci.yml", "Jenkinsfile",
}

// FuzzParse feeds every parser (the first byte picks the file name): no
// panic, a JSON-serialisable manifest, lines within the file, and Resolve
// survives whatever Parse accepted.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, sel uint8, content []byte) {
		p := fuzzPaths[int(sel)%len(fuzzPaths)]
		m, err := Parse(p, content)
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("Parse(%s) panicked: %v", p, err)
			}
			return
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("manifest of %s does not marshal: %v", p, err)
		}
		// YAML also breaks lines at a lone \r.
		lines := bytes.Count(content, []byte("\n")) + bytes.Count(content, []byte("\r")) + 1
		for _, d := range Resolve(map[string]*Manifest{p: m}) {
			if d.Line < 1 || d.Line > lines {
				t.Fatalf("%s: record at line %d of a %d-line file", p, d.Line, lines)
			}
			if !strings.HasPrefix(d.PURL, "pkg:"+d.Ecosystem+"/") {
				t.Fatalf("%s: purl %q does not match ecosystem %q", p, d.PURL, d.Ecosystem)
			}
		}
	})
}
