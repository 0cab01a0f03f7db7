package config

import "testing"

func TestFilterMatch(t *testing.T) {
	cfg, err := Parse([]byte("sources: [{dir: /x}]\nrepos:\n  include: ['^acme/', '^tools/']\n  exclude: ['-sandbox$', '^acme/legacy']\n"), "/t/trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	built := Filter{Include: cfg.Repos.Include, Exclude: cfg.Repos.Exclude} // not compiled
	tests := []struct {
		name string
		want bool
	}{
		{"acme/api", true},
		{"tools/lint", true},
		{"acme/api-sandbox", false},
		{"acme/legacy-billing", false},
		{"other/api", false},
		{"xacme/api", false},
	}
	for _, tt := range tests {
		if got := cfg.Repos.Match(tt.name); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.name, got, tt.want)
		}
		if got := built.Match(tt.name); got != tt.want {
			t.Errorf("uncompiled Match(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}

	var empty Filter
	if !empty.Match("anything/at-all") {
		t.Errorf("an empty filter rejects a name")
	}
	onlyExclude := Filter{Exclude: []string{"^x/"}}
	if err := onlyExclude.Compile(); err != nil {
		t.Fatal(err)
	}
	if !onlyExclude.Match("a/b") || onlyExclude.Match("x/b") {
		t.Errorf("exclude-only filter matches wrongly")
	}
	bad := Filter{Include: []string{"("}}
	if err := bad.Compile(); err == nil {
		t.Errorf("Compile accepted %q", bad.Include)
	}
	if bad.Match("(") {
		t.Errorf("an invalid include pattern matched")
	}
}

func TestGlobsMatch(t *testing.T) {
	g := Globs{Include: []string{"main", "release/**"}, Exclude: []string{"release/old-*"}}
	tests := []struct {
		name string
		want bool
	}{
		{"main", true},
		{"release/1.2", true},
		{"release/1.x/hotfix", true},
		{"release/old-1.0", false},
		{"mainline", false},
		{"feature/x", false},
	}
	for _, tt := range tests {
		if got := g.Match(tt.name); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
	all := Globs{Exclude: []string{"dependabot/**"}}
	if !all.Match("feature/a/b") || all.Match("dependabot/npm/lodash") {
		t.Errorf("exclude-only globs match wrongly")
	}
}

func TestFilesMatch(t *testing.T) {
	f := Files{Include: []string{"**"}, Exclude: []string{"**/node_modules/**", "*.min.js"}}
	for path, want := range map[string]bool{
		"main.go":                      true,
		"web/src/app.ts":               true,
		"node_modules/a/index.js":      false,
		"web/node_modules/a/index.js":  false,
		"app.min.js":                   false,
		"web/app.min.js":               true, // '*' does not cross a slash
		"docs/node_modules.md":         true,
		"deep/a/b/c/node_modules/x.js": false,
	} {
		if got := f.Match(path); got != want {
			t.Errorf("Match(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestFileSettings(t *testing.T) {
	parse := func(files string) string {
		t.Helper()
		cfg, err := Parse([]byte("sources: [{dir: /x}]\n"+files), "/t/trawl.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return cfg.FileSettings()
	}
	base := parse("")
	if len(base) != 64 {
		t.Fatalf("FileSettings() = %q, want 64 hex digits", base)
	}
	same := []string{
		"files: {max_size: 1MiB}\n",
		"files: {include: ['**'], max_size: 1048576}\n",
		"files: {include: []}\n",
		"branches: {include: [main]}\nrepos: {include: [x]}\n", // not file settings
	}
	for _, s := range same {
		if got := parse(s); got != base {
			t.Errorf("FileSettings changed for %q", s)
		}
	}
	seen := map[string]string{base: "defaults"}
	for _, s := range []string{
		"files: {max_size: 2MiB}\n",
		"files: {exclude: ['**/vendor/**']}\n",
		"files: {include: ['**/*.go']}\n",
		"files: {include: ['**/*.go', '**/*.md']}\n",
		"files: {include: ['**/*.go,**/*.md']}\n",
	} {
		got := parse(s)
		if prev, dup := seen[got]; dup {
			t.Errorf("FileSettings of %q equals that of %s", s, prev)
		}
		seen[got] = s
	}
}
