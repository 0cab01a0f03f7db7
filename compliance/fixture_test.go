package compliance

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/crawler"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indexer/bleve"
	"github.com/trawl-dev/trawl/internal/gittest"
	"github.com/trawl-dev/trawl/source"
)

// repoSource lists real git repositories with the metadata a forge would give
// (web address, topics), which a dir source does not have.
type repoSource struct{ repos []fixtureRepo }

type fixtureRepo struct {
	meta indexer.Repo
	git  *gittest.Repo
}

func (s *repoSource) Name() string { return "test repositories" }

func (s *repoSource) List(context.Context) ([]source.Repo, error) {
	var out []source.Repo
	for _, r := range s.repos {
		dir := r.git.Dir
		out = append(out, source.Repo{Meta: r.meta, Open: func(context.Context) (*git.Repository, error) {
			return git.PlainOpen(dir)
		}})
	}
	return out, nil
}

func pom(log4j, boot string) string {
	return `<project>
  <parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId><version>` + boot + `</version></parent>
  <artifactId>api</artifactId>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>` + log4j + `</version>
    </dependency>
  </dependencies>
</project>
`
}

// org is a small organisation crawled into a real Bleve index:
//
//	acme/api (topic java) main: log4j 2.14.1, boot 3.1.0, CODEOWNERS, LICENSE, a password
//	acme/api release/1.2: log4j 2.17.1, boot 3.3.0, no CODEOWNERS, an id_rsa
//	acme/web (topic deprecated) main: lodash 4.17.15, no LICENSE
type org struct {
	t    *testing.T
	idx  indexer.Index
	cfg  *config.Config
	src  *repoSource
	api  *gittest.Repo
	web  *gittest.Repo
	root string
}

const rulesYAML = `sources:
  - dir: /unused
indicators:
  pom.xml:
    - {name: springBootVersion, type: findDependencyVersionInXml, params: {artifactId: spring-boot-starter-parent}}
rules:
  - id: codeowners
    title: Every repository names its owners
    branches: default
    require_file: [CODEOWNERS, .github/CODEOWNERS]
  - id: no-private-keys
    severity: error
    forbid_file: ['**/id_rsa', '**/*.pem']
  - id: log4shell
    severity: error
    forbid_dependency: {name: org.apache.logging.log4j:log4j-core, version: '<2.17.1'}
  - id: no-plain-passwords
    forbid_match: '/password\s*[:=]\s*\S+/ file:\.(properties|ya?ml)$'
  - id: has-license
    severity: info
    topics: {exclude: ['^deprecated$']}
    require_match: 'file:(^|/)LICENSE'
  - id: boot-3-2
    indicator: {name: springBootVersion, constraint: '>= 3.2'}
  - id: vulnerable
    severity: error
    forbid_vulnerable: true
`

func newOrg(t *testing.T) *org {
	t.Helper()
	root := t.TempDir()
	o := &org{t: t, root: root}
	cfg, err := config.Parse([]byte(rulesYAML), filepath.Join(root, "trawl.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	o.cfg = cfg

	o.api = gittest.Init(t, filepath.Join(root, "repos", "api"))
	o.api.Commit("first", map[string]string{
		"pom.xml":    pom("2.14.1", "3.1.0"),
		"CODEOWNERS": "* @acme/platform\n",
		"LICENSE":    "Apache 2.0\n",
		"src/main/resources/application.properties": "db.user=app\ndb.password = hunter2\n",
	})
	o.api.Checkout("release/1.2")
	o.api.Commit("release", map[string]string{
		"pom.xml":       pom("2.17.1", "3.3.0"),
		"CODEOWNERS!":   "",
		"deploy/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
		"src/main/resources/application.properties": "db.user=app\n",
	})
	o.api.Checkout("main")
	o.web = gittest.Init(t, filepath.Join(root, "repos", "web"))
	o.web.Commit("first", map[string]string{
		"package.json":      `{"name": "web", "dependencies": {"lodash": "4.17.15"}}` + "\n",
		"package-lock.json": `{"name": "web", "lockfileVersion": 3, "packages": {"": {"dependencies": {"lodash": "4.17.15"}}, "node_modules/lodash": {"version": "4.17.15"}}}` + "\n",
	})
	o.src = &repoSource{repos: []fixtureRepo{
		{indexer.Repo{Name: "acme/api", URL: "https://git.example.com/acme/api", Topics: []string{"java"}}, o.api},
		{indexer.Repo{Name: "acme/web", URL: "https://git.example.com/acme/web", Topics: []string{"deprecated"}}, o.web},
	}}
	idx, err := bleve.Open(context.Background(), filepath.Join(root, "index"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	o.idx = idx
	o.crawl()
	return o
}

// crawl runs a real crawl of the repositories into the index.
func (o *org) crawl() {
	o.t.Helper()
	c, err := crawler.New(o.cfg, o.idx, crawler.Options{Sources: []source.Source{o.src}})
	if err != nil {
		o.t.Fatal(err)
	}
	sum, err := c.Run(context.Background())
	if err != nil {
		o.t.Fatal(err)
	}
	if len(sum.Errors) > 0 {
		o.t.Fatalf("crawl errors: %+v", sum.Errors)
	}
}

// head returns the indexed commit of a branch.
func (o *org) head(repo, branch string) string {
	o.t.Helper()
	bs, err := o.idx.Branches(context.Background())
	if err != nil {
		o.t.Fatal(err)
	}
	for _, b := range bs {
		if b.Repo == repo && b.Name == branch {
			return b.Commit
		}
	}
	o.t.Fatalf("branch %s@%s not indexed", repo, branch)
	return ""
}
