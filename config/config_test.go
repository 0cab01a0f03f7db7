package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	fakeGitHubToken = "ghp_Zq3vX9kLmN2pR7sT4uW8yA1bC5dE6fG0hJ2k"
	fakePAT         = "github_pat_11ABCDEFG0123456789_abcdefghijklmnop"
	fakeRandom      = "a8f5f167f44f4964e6c998dee827110c1e0a9b2d"
)

// TestParseErrors checks that each problem is reported with the file, the
// line and the key path of the offending key.
func TestParseErrors(t *testing.T) {
	const src = "sources:\n  - dir: /srv\n"
	tests := []struct {
		name string
		yaml string
		want string // the whole error text; several errors one per line
	}{
		{"unknown top-level key", src + "sourcez: []\n",
			`trawl.yaml:3: unknown key "sourcez"`},
		{"unknown key in github", "sources:\n  - github:\n      orgg: acme\n",
			`trawl.yaml:3: sources[0].github: unknown key "orgg"`},
		{"unknown key in second source", src + "  - git:\n      url: https://x.example/a.git\n",
			`trawl.yaml:4: sources[1].git: unknown key "url"`},
		{"unknown key three levels down", src + "index:\n  elasticsearch:\n    adresses: [http://es:9200]\n",
			`trawl.yaml:5: index.elasticsearch: unknown key "adresses"`},
		{"unknown key in topics", "sources:\n  - github:\n      org: acme\n      topics:\n        includes: [x]\n",
			`trawl.yaml:5: sources[0].github.topics: unknown key "includes"`},
		{"unknown key in a flow mapping", "sources: [{dir: /srv, dri: /x}]\n",
			`trawl.yaml:1: sources[0]: unknown key "dri"`},
		{"no sources", "index:\n  backend: bleve\n",
			`trawl.yaml:1: sources: at least one source (github, gitlab, bitbucket, gitea, azure, git or dir) is required`},
		{"empty sources", "server:\n  listen: :80\nsources: []\n",
			`trawl.yaml:3: sources: at least one source (github, gitlab, bitbucket, gitea, azure, git or dir) is required`},
		{"two kinds in one source", "sources:\n  - dir: /srv\n    git:\n      urls: [/a.git]\n",
			`trawl.yaml:2: sources[0]: set exactly one of github, gitlab, bitbucket, gitea, azure, git or dir`},
		{"empty source", src + "  - {}\n",
			`trawl.yaml:3: sources[1]: set exactly one of github, gitlab, bitbucket, gitea, azure, git or dir`},
		{"github with org and user", src + "  - github:\n      org: acme\n      user: bob\n",
			`trawl.yaml:3: sources[1].github: set exactly one of org or user`},
		{"github with neither", src + "  - github:\n      token_env: GITHUB_TOKEN\n",
			`trawl.yaml:3: sources[1].github: set exactly one of org or user`},
		{"github api_url", "sources:\n  - github:\n      org: a\n      api_url: ghe.example.com\n",
			`trawl.yaml:4: sources[0].github.api_url: must be an http or https URL`},
		{"token_env not a name", "sources:\n  - github:\n      org: a\n      token_env: my-token\n",
			`trawl.yaml:4: sources[0].github.token_env: must name an environment variable (letters, digits and _, not starting with a digit), e.g. GITHUB_TOKEN`},
		{"token_env holds a ghp token", "sources:\n  - github:\n      org: a\n      token_env: " + fakeGitHubToken + "\n",
			`trawl.yaml:4: sources[0].github.token_env: must name an environment variable, not hold the secret`},
		{"password_env holds a fine-grained token", "sources:\n  - git:\n      urls: [/a.git]\n      password_env: " + fakePAT + "\n",
			`trawl.yaml:4: sources[0].git.password_env: must name an environment variable, not hold the secret`},
		{"webhook_secret_env holds a random string", src + "server:\n  webhook_secret_env: " + fakeRandom + "\n",
			`trawl.yaml:4: server.webhook_secret_env: must name an environment variable, not hold the secret`},
		{"api_key_env and api_token_env", src + "index:\n  elasticsearch:\n    api_key_env: 1KEY\nserver:\n  api_token_env: a b\n",
			"trawl.yaml:5: index.elasticsearch.api_key_env: must name an environment variable (letters, digits and _, not starting with a digit), e.g. GITHUB_TOKEN\n" +
				"trawl.yaml:7: server.api_token_env: must name an environment variable (letters, digits and _, not starting with a digit), e.g. GITHUB_TOKEN"},
		{"concurrency", "sources:\n  - github:\n      org: a\n      concurrency: 0\n",
			`trawl.yaml:4: sources[0].github.concurrency: must be at least 1`},
		{"partial github app", "sources:\n  - github:\n      org: a\n      app_id: 12\n",
			`trawl.yaml:2: sources[0].github: a GitHub App needs all of app_id, installation_id and private_key_file`},
		{"git without urls", "sources:\n  - git:\n      username: bob\n",
			`trawl.yaml:2: sources[0].git.urls: at least one URL is required`},
		{"git empty url list", "sources:\n  - git:\n      urls: []\n",
			`trawl.yaml:3: sources[0].git.urls: at least one URL is required`},
		{"git urls", "sources:\n  - git:\n      urls:\n        - https://ok.example/a.git\n        - ftp://x.example/a.git\n        - \"\"\n        - https:///a.git\n        - \"git@:a.git\"\n        - https://bob:" + fakeGitHubToken + "@x.example/a.git\n        - \"http://x.example/%zz\"\n",
			"trawl.yaml:5: sources[0].git.urls[1]: has unsupported scheme \"ftp\" (use http, https, ssh, git, file or a local path)\n" +
				"trawl.yaml:6: sources[0].git.urls[2]: must not be empty\n" +
				"trawl.yaml:7: sources[0].git.urls[3]: has no host\n" +
				"trawl.yaml:8: sources[0].git.urls[4]: is not a valid ssh address (example: git@github.com:acme/api.git)\n" +
				"trawl.yaml:9: sources[0].git.urls[5]: must not hold a password; name an environment variable in password_env instead\n" +
				"trawl.yaml:10: sources[0].git.urls[6]: is not a URL: invalid URL escape \"%zz\""},
		{"repo regex", src + "repos:\n  include: ['^acme/', 'api(']\n",
			"trawl.yaml:4: repos.include[1]: invalid regular expression: missing closing ): `api(`"},
		{"repo exclude regex on its own line", src + "repos:\n  exclude:\n    - ok\n    - '[z-a]'\n",
			"trawl.yaml:6: repos.exclude[1]: invalid regular expression: invalid character class range: `z-a`"},
		{"topic regex", "sources:\n  - github:\n      org: a\n      topics:\n        include: ['*x']\n",
			"trawl.yaml:5: sources[0].github.topics.include[0]: invalid regular expression: missing argument to repetition operator: `*`"},
		{"branch glob", src + "branches:\n  exclude: ['release/[']\n",
			`trawl.yaml:4: branches.exclude[0]: "release/[" is not a valid glob (examples: '**', 'src/**/*.go', 'release/*')`},
		{"file glob", src + "files:\n  include:\n    - '**/*.go'\n    - 'a/{b'\n",
			`trawl.yaml:6: files.include[1]: "a/{b" is not a valid glob (examples: '**', 'src/**/*.go', 'release/*')`},
		{"max_size not a size", src + "files:\n  max_size: 12 parsecs\n",
			`trawl.yaml:4: files.max_size: "12 parsecs" is not a size (examples: 1048576, 512KiB, 1MiB)`},
		{"max_size zero", src + "files:\n  max_size: 0\n",
			`trawl.yaml:4: files.max_size: must be greater than 0`},
		{"max_size a list", src + "files:\n  max_size: [1]\n",
			`trawl.yaml:4: files.max_size: must be a size (examples: 1048576, 512KiB, 1MiB), not a list`},
		{"backend", src + "index:\n  backend: solr\n",
			`trawl.yaml:4: index.backend: "solr" is not a backend (use bleve or elasticsearch)`},
		{"elasticsearch", src + "index:\n  backend: elasticsearch\n  elasticsearch:\n    addresses: [http://es:9200, 'es:9200']\n    index_prefix: Trawl\n",
			"trawl.yaml:6: index.elasticsearch.addresses[1]: must be an http or https URL\n" +
				`trawl.yaml:7: index.elasticsearch.index_prefix: "Trawl" is not a valid index name prefix (lower-case letters, digits, '.', '_' and '-', starting with a letter or digit)`},
		{"addresses and cloud_id", src + "index:\n  elasticsearch:\n    cloud_id: abc\n    addresses: [http://es:9200]\n",
			`trawl.yaml:4: index.elasticsearch: set addresses or cloud_id, not both`},
		{"interval zero", src + "schedule:\n  interval: 0s\n",
			`trawl.yaml:4: schedule.interval: must be greater than 0 (or set cron)`},
		{"interval not a duration", src + "schedule:\n  interval: 15 minutes\n",
			`trawl.yaml:4: schedule.interval: "15 minutes" is not a duration (examples: 30s, 15m, 1h30m)`},
		{"cron", src + "schedule:\n  cron: '61 * * * *'\n",
			`trawl.yaml:4: schedule.cron: "61 * * * *" is not a cron schedule: end of range (61) above maximum (59): 61 (examples: "*/15 * * * *", "@hourly", "@every 10m")`},
		{"cron and interval", src + "schedule:\n  interval: 5m\n  cron: '@hourly'\n",
			`trawl.yaml:3: schedule: set interval or cron, not both`},
		{"listen without port", src + "server:\n  listen: localhost\n",
			`trawl.yaml:4: server.listen: "localhost" is not host:port (example: 127.0.0.1:8080)`},
		{"listen with a bad port", src + "server:\n  listen: 'localhost:99999'\n",
			`trawl.yaml:4: server.listen: "localhost:99999" has no port number between 0 and 65535`},
		{"bool", "sources:\n  - github:\n      org: a\n      include_forks: maybe\n",
			`trawl.yaml:4: sources[0].github.include_forks: "maybe" is not true or false`},
		{"integer", "sources:\n  - github:\n      org: a\n      app_id: twelve\n      installation_id: 1\n      private_key_file: k.pem\n",
			`trawl.yaml:4: sources[0].github.app_id: "twelve" is not an integer`},
		{"list given as a string", "sources:\n  - git:\n      urls: https://x.example/a.git\n",
			`trawl.yaml:3: sources[0].git.urls: must be a list, not a string`},
		{"mapping given as a list", src + "index: [bleve]\n",
			`trawl.yaml:3: index: must be a mapping, not a list`},
		{"duplicate key", "sources:\n  - github:\n      org: a\n      org: b\n",
			`trawl.yaml:4: sources[0].github: key "org" is already defined at line 3`},
		{"syntax error", "sources:\n\t- dir: /srv\n",
			`trawl.yaml:2: found character that cannot start any token`},
		{"syntax error in a later line", src + "index:\n  path: a\n   backend: b\n",
			`trawl.yaml:5: mapping values are not allowed in this context`},
		{"not a mapping", "just text\n",
			`trawl.yaml:1: the file must be a mapping of keys such as sources, index and server`},
		{"several errors in file order", "sources:\n  - github:\n      org: a\n      token_env: bad-name\nfiles:\n  max_size: lots\nserver:\n  listen: nowhere\n  color: blue\n",
			"trawl.yaml:4: sources[0].github.token_env: must name an environment variable (letters, digits and _, not starting with a digit), e.g. GITHUB_TOKEN\n" +
				`trawl.yaml:6: files.max_size: "lots" is not a size (examples: 1048576, 512KiB, 1MiB)` + "\n" +
				`trawl.yaml:8: server.listen: "nowhere" is not host:port (example: 127.0.0.1:8080)` + "\n" +
				`trawl.yaml:9: server: unknown key "color"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.yaml), "trawl.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want error:\n%s", cfg, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Parse error:\n got: %s\nwant: %s", got, tt.want)
			}
			if cfg != nil {
				t.Errorf("Parse returned a configuration with an error")
			}
		})
	}
}

// TestSecretsNotEchoed checks that a token pasted where a variable name
// belongs never reaches the error text, wherever it is pasted.
func TestSecretsNotEchoed(t *testing.T) {
	for _, secret := range []string{fakeGitHubToken, fakePAT, fakeRandom, "glpat-abcdefghij0123456789"} {
		docs := []string{
			"sources:\n  - github:\n      org: a\n      token_env: " + secret + "\n",
			"sources:\n  - git:\n      urls: ['https://u:" + secret + "@h.example/a.git']\n",
			"sources:\n  - github:\n      org: a\n      app_id: " + secret + "\n",
			"sources:\n  - dir: /x\nserver:\n  listen: " + secret + "\n",
			"sources:\n  - dir: /x\n" + secret + ": 1\n",
		}
		for _, doc := range docs {
			_, err := Parse([]byte(doc), "trawl.yaml")
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want an error", doc)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[:7]) {
				t.Errorf("error echoes the secret: %v", err)
			}
		}
	}
}

func TestErrorsAs(t *testing.T) {
	_, err := Parse([]byte("sources:\n  - github:\n      orgg: a\nfiles:\n  max_size: 0\n"), "x/trawl.yaml")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(%v, *Error) = false", err)
	}
	if e.File != "x/trawl.yaml" || e.Line != 3 || e.Path != "sources[0].github" {
		t.Errorf("first error = %+v, want x/trawl.yaml line 3 at sources[0].github", e)
	}
}

func TestDefaults(t *testing.T) {
	dir := t.TempDir()
	cfg, err := Parse([]byte("sources:\n  - github:\n      org: acme\n"), filepath.Join(dir, "trawl.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"branches.include", strings.Join(cfg.Branches.Include, ","), "**"},
		{"files.include", strings.Join(cfg.Files.Include, ","), "**"},
		{"files.max_size", cfg.Files.MaxSize, Size(1 << 20)},
		{"index.backend", cfg.Index.Backend, "bleve"},
		{"index.path", cfg.Index.Path, filepath.Join(dir, "trawl-data")},
		{"index.elasticsearch.index_prefix", cfg.Index.Elasticsearch.IndexPrefix, "trawl"},
		{"index.elasticsearch.addresses", strings.Join(cfg.Index.Elasticsearch.Addresses, ","), "http://127.0.0.1:9200"},
		{"schedule.interval", cfg.Schedule.Interval, 15 * time.Minute},
		{"server.listen", cfg.Server.Listen, "127.0.0.1:8080"},
		{"github.api_url", cfg.Sources[0].GitHub.APIURL, "https://api.github.com"},
		{"github.concurrency", cfg.Sources[0].GitHub.Concurrency, 4},
		{"path", cfg.Path, filepath.Join(dir, "trawl.yaml")},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestExplicitValuesKept(t *testing.T) {
	cfg, err := Parse([]byte(`sources:
  - github: {user: bob, api_url: "https://ghe.example.com/api/v3", concurrency: 9}
branches: {include: [main, 'release/**']}
files: {max_size: 512 KiB}
index:
  backend: elasticsearch
  elasticsearch: {cloud_id: "dep:abc"}
schedule: {cron: "*/5 * * * *"}
server: {listen: ":9000"}
`), "/etc/trawl/trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	gh := cfg.Sources[0].GitHub
	if gh.User != "bob" || gh.APIURL != "https://ghe.example.com/api/v3" || gh.Concurrency != 9 {
		t.Errorf("github = %+v", gh)
	}
	if cfg.Files.MaxSize != 512*1024 {
		t.Errorf("max_size = %d, want %d", cfg.Files.MaxSize, 512*1024)
	}
	if len(cfg.Index.Elasticsearch.Addresses) != 0 {
		t.Errorf("addresses = %v, want none beside cloud_id", cfg.Index.Elasticsearch.Addresses)
	}
	if cfg.Schedule.Cron.String() != "*/5 * * * *" || cfg.Server.Listen != ":9000" || cfg.Index.Backend != "elasticsearch" {
		t.Errorf("schedule/server/index = %+v %+v %+v", cfg.Schedule, cfg.Server, cfg.Index)
	}
	if !cfg.Branches.Match("release/1.2") || cfg.Branches.Match("feature/x") {
		t.Errorf("branches %v match wrongly", cfg.Branches.Include)
	}
}

func TestRelativePaths(t *testing.T) {
	cfg, err := Parse([]byte(`sources:
  - dir: checkouts
  - dir: /abs/checkouts
  - git:
      urls:
        - ../mirrors/a.git
        - /srv/b.git
        - https://x.example/c.git
        - git@x.example:team/d.git
        - file:///srv/e.git
  - github:
      org: acme
      app_id: 1
      installation_id: 2
      private_key_file: keys/app.pem
index:
  path: data
  elasticsearch:
    ca_cert: ./ca.pem
`), "/etc/trawl/trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"dir", cfg.Sources[0].Dir, "/etc/trawl/checkouts"},
		{"absolute dir", cfg.Sources[1].Dir, "/abs/checkouts"},
		{"relative git path", cfg.Sources[2].Git.URLs[0], "/etc/mirrors/a.git"},
		{"absolute git path", cfg.Sources[2].Git.URLs[1], "/srv/b.git"},
		{"https url", cfg.Sources[2].Git.URLs[2], "https://x.example/c.git"},
		{"scp-like url", cfg.Sources[2].Git.URLs[3], "git@x.example:team/d.git"},
		{"file url", cfg.Sources[2].Git.URLs[4], "file:///srv/e.git"},
		{"private_key_file", cfg.Sources[3].GitHub.PrivateKeyFile, "/etc/trawl/keys/app.pem"},
		{"index.path", cfg.Index.Path, "/etc/trawl/data"},
		{"ca_cert", cfg.Index.Elasticsearch.CACert, "/etc/trawl/ca.pem"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "trawl.yaml")
	if err := os.WriteFile(path, []byte("sources:\n  - dir: repos\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "repos"); cfg.Sources[0].Dir != want {
		t.Errorf("dir = %q, want %q", cfg.Sources[0].Dir, want)
	}

	missing := filepath.Join(dir, "nope.yaml")
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(%s) error = %v, want one naming the file", missing, err)
	}

	if err := os.WriteFile(path, []byte("sources:\n  - dir: repos\n    bad: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || err.Error() != path+`:3: sources[0]: unknown key "bad"` {
		t.Errorf("Load error = %v", err)
	}
}

func TestExample(t *testing.T) {
	cfg, err := Parse([]byte(Example()), "/etc/trawl/trawl.yaml")
	if err != nil {
		t.Fatalf("the example does not parse:\n%v", err)
	}
	if len(cfg.Sources) != 3 || cfg.Sources[0].GitHub == nil || cfg.Sources[1].Git == nil || cfg.Sources[2].Dir == "" {
		t.Errorf("example sources = %+v, want github, git and dir", cfg.Sources)
	}
	// The filter keeps the names the example's own sources produce (a dir
	// source names repositories by their path below it).
	if !cfg.Repos.Match("acme/api") || !cfg.Repos.Match("git.example.com/team/api") || !cfg.Repos.Match("api") || cfg.Repos.Match("acme/api-sandbox") {
		t.Errorf("example repos filter matches wrongly")
	}
	if cfg.Files.Match("web/node_modules/x/index.js") || !cfg.Files.Match("web/index.js") {
		t.Errorf("example files globs match wrongly")
	}
}

func TestSecret(t *testing.T) {
	t.Setenv("TRAWL_TEST_TOKEN", "s3cr3t-value")
	if v, err := Secret("TRAWL_TEST_TOKEN"); err != nil || v != "s3cr3t-value" {
		t.Errorf("Secret = %q, %v", v, err)
	}
	t.Setenv("TRAWL_TEST_EMPTY", "")
	for _, name := range []string{"TRAWL_TEST_UNSET_X", "TRAWL_TEST_EMPTY"} {
		if _, err := Secret(name); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Secret(%s) error = %v, want one naming the variable", name, err)
		}
	}
	if _, err := Secret(fakeGitHubToken); err == nil || strings.Contains(err.Error(), fakeGitHubToken) {
		t.Errorf("Secret(token) error = %v, want one that hides the value", err)
	}
}
