package config

// Example returns a commented trawl.yaml that parses as is: the README and
// "trawl config check --example" show it.
func Example() string {
	return `# trawl.yaml: what to crawl, how to index it and how to serve it.
# Only sources is required; max_size, backend, path, addresses, index_prefix,
# interval and listen below show the defaults. Relative paths are relative to
# this file's folder. Secrets never appear here: keys ending in _env name the
# environment variable that holds them; trawl config check says when one is
# unset, so the keys that need one are commented out until you export it.

sources:                               # at least one; each sets one of github, gitlab, bitbucket, gitea, azure, git or dir
  - github:
      org: acme                        # or user: somebody
      api_url: https://api.github.com  # GitHub Enterprise: https://ghe.example.com/api/v3
      # token_env: GITHUB_TOKEN        # private repositories, higher rate limit: export GITHUB_TOKEN first
      include_forks: false
      include_archived: false
      topics:                          # RE2 on repository topics (optional)
        exclude: ['^deprecated$']
      concurrency: 4                   # parallel API calls and fetches
  - git:
      urls:                            # http(s), ssh, git, file URLs or local paths
        - https://git.example.com/team/api.git
        - ./mirrors/tools.git
      # username: trawl                # optional, with password_env (export GIT_PASSWORD first)
      # password_env: GIT_PASSWORD
  - dir: ./checkouts                   # every git repository below this folder, read in place
  # Other forges, one block each (README, "Other forges"):
  # - gitlab:                          # gitlab.com or self-managed
  #     group: acme                    # with every subgroup; or user: somebody
  #     api_url: https://gitlab.com/api/v4
  #     token_env: GITLAB_TOKEN        # scopes read_api and read_repository
  # - bitbucket:                       # Data Center/Server; workspace: acme for Bitbucket Cloud
  #     project: ACME
  #     api_url: https://bitbucket.example.com/rest/api/1.0
  #     token_env: BITBUCKET_TOKEN
  # - gitea:                           # Gitea, Forgejo, Codeberg
  #     org: acme
  #     api_url: https://gitea.example.com/api/v1
  #     token_env: GITEA_TOKEN
  # - azure:                           # Azure DevOps Services or Server
  #     organization: acme
  #     project: platform              # optional: every project when absent
  #     token_env: AZURE_DEVOPS_PAT

repos:                                 # RE2 on full names: acme/api, git.example.com/team/api, a dir's path below it
  # include: ['^acme/']                # default: every repository the sources list
  exclude: ['-sandbox$']

branches:                              # doublestar globs on branch names
  include: ['**']
  exclude: ['dependabot/**']

files:                                 # doublestar globs on paths in the repository
  include: ['**']
  exclude: ['**/node_modules/**', '**/vendor/**']
  max_size: 1MiB                       # larger files are skipped and listed by trawl skipped

index:
  backend: bleve                       # or elasticsearch
  path: ./trawl-data                   # index, mirrors and state
  elasticsearch:                       # used when backend is elasticsearch
    addresses: [http://127.0.0.1:9200] # or cloud_id: ...
    index_prefix: trawl
    # username: elastic
    # password_env: ES_PASSWORD
    # api_key_env: ES_API_KEY
    # ca_cert: ./es-ca.pem
    # compress: true                   # gzip answers: for links slower than about 100 MB/s, such as Elastic Cloud's

schedule:
  interval: 15m                        # or cron: "*/15 * * * *" (not both)

indicators:                            # github-crawler compatible: trawl indicators, GET /api/indicators
  pom.xml:
    - name: springBootVersion
      type: findDependencyVersionInXml
      params: {artifactId: spring-boot-starter-parent}
  Dockerfile:
    - name: baseImage
      type: findFirstValueWithRegexpCapture
      params: {pattern: 'FROM\s+(\S+)'}
# compatibility: github-crawler        # its parsers' exact behaviour (trawl config import github-crawler writes it)
# groups: [backend]                    # copied into every indicator document
# repository_tasks:                    # github-crawler's misc-repository-tasks
#   - {name: nbBranches, type: nbBranchesOnRepo}
# indicators_export:                   # trawl serve sends the documents after every crawl
#   elasticsearch: {url: 'http://127.0.0.1:9200', index: 'technologymap-{yyyy-MM}'}

server:
  listen: 127.0.0.1:8080
  # webhook_secret_env: TRAWL_WEBHOOK_SECRET  # POST /hooks/github: export the variable first
  # api_token_env: TRAWL_API_TOKEN     # require "Authorization: Bearer" on the API
  # allowed_hosts: [trawl.example.com] # Host names served without a token, besides localhost and IPs
  # max_concurrent_searches: 4         # more limits: README, "Query and server limits"

change:                                # trawl change: bulk changes through pull requests
  max_repos: 10                        # apply refuses more repositories without --yes
  author: {name: trawl, email: trawl@localhost}
  write:                               # write credentials; the crawl's read token never writes
    - repos: '^acme/'                  # first entry whose repos (RE2) matches wins
      write_token_env: GITHUB_WRITE_TOKEN
`
}
