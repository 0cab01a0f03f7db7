// Package sources builds the sources a configuration names, once per
// process, so that a long-running server keeps each forge source's ETags,
// rate-limit state and the repositories webhooks marked as changed. It
// also gathers what the sources expose besides repositories: one metrics
// collector and one webhook handler per forge. Commands call it; the
// crawler only consumes the sources it returns.
package sources

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/source"
	"github.com/trawl-dev/trawl/source/azure"
	"github.com/trawl-dev/trawl/source/bitbucket"
	"github.com/trawl-dev/trawl/source/forgeapi"
	"github.com/trawl-dev/trawl/source/gitea"
	"github.com/trawl-dev/trawl/source/github"
	"github.com/trawl-dev/trawl/source/gitlab"
	"github.com/trawl-dev/trawl/webhook"
)

// Options tune the sources a Set builds.
type Options struct {
	Logger *slog.Logger
	// Transport carries forge API calls; default http.DefaultTransport.
	Transport http.RoundTripper
	// Sleep replaces rate-limit and backoff waits (tests).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Set builds and keeps the configured sources.
type Set struct {
	opts  Options
	mu    sync.Mutex
	built map[any]entry // by the configuration block's pointer
}

type entry struct {
	forge string // "github", "gitlab"...; "" for git and dir sources
	src   source.Source
}

// New makes an empty set.
func New(opts Options) *Set {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Set{opts: opts, built: map[any]entry{}}
}

// For returns the sources of cfg, in the configuration's order, building
// those not built yet. Secrets are read from the environment as each is
// built, so a missing one is reported before any work.
func (s *Set) For(cfg *config.Config) ([]source.Source, error) {
	mirrors := filepath.Join(cfg.Index.Path, "mirrors")
	var out []source.Source
	for i := range cfg.Sources {
		src, err := s.get(&cfg.Sources[i], mirrors)
		if err != nil {
			return nil, fmt.Errorf("sources[%d]: %w", i, err)
		}
		out = append(out, src)
	}
	return out, nil
}

func (s *Set) get(sc *config.Source, mirrors string) (source.Source, error) {
	key, forge := block(sc)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.built[key]; ok {
		return e.src, nil
	}
	src, err := s.build(sc, mirrors)
	if err != nil {
		return nil, err
	}
	s.built[key] = entry{forge: forge, src: src}
	return src, nil
}

// build makes the source of one configuration entry.
func (s *Set) build(sc *config.Source, mirrors string) (source.Source, error) {
	switch {
	case sc.Git != nil:
		return source.NewGit(sc.Git, mirrors)
	case sc.Dir != "":
		return source.NewDir(sc.Dir), nil
	case sc.GitHub != nil:
		return github.New(sc.GitHub, mirrors, github.Options{Logger: s.opts.Logger, Transport: s.opts.Transport, Sleep: s.opts.Sleep})
	case sc.GitLab != nil:
		return gitlab.New(sc.GitLab, mirrors, gitlab.Options{Logger: s.opts.Logger, Transport: s.opts.Transport, Sleep: s.opts.Sleep})
	case sc.Azure != nil:
		return azure.New(sc.Azure, mirrors, azure.Options{Logger: s.opts.Logger, Transport: s.opts.Transport, Sleep: s.opts.Sleep})
	case sc.Bitbucket != nil:
		return bitbucket.New(sc.Bitbucket, mirrors, bitbucket.Options{Logger: s.opts.Logger, Transport: s.opts.Transport, Sleep: s.opts.Sleep})
	case sc.Gitea != nil:
		return gitea.New(sc.Gitea, mirrors, gitea.Options{Logger: s.opts.Logger, Transport: s.opts.Transport, Sleep: s.opts.Sleep})
	}
	return nil, errors.New("this build of trawl has no source for this entry")
}

// block is the configuration block of an entry, which identifies its
// source across calls, and its forge.
func block(sc *config.Source) (any, string) {
	switch {
	case sc.Git != nil:
		return sc.Git, ""
	case sc.GitHub != nil:
		return sc.GitHub, "github"
	case sc.GitLab != nil:
		return sc.GitLab, "gitlab"
	case sc.Bitbucket != nil:
		return sc.Bitbucket, "bitbucket"
	case sc.Gitea != nil:
		return sc.Gitea, "gitea"
	case sc.Azure != nil:
		return sc.Azure, "azure"
	}
	return "dir:" + sc.Dir, ""
}

// GitHub returns the source of a github block (repository tasks call
// the GitHub API through it, sharing its rate-limit state).
func (s *Set) GitHub(cfg *config.Config, gc *config.GitHub) (*github.Source, error) {
	for i := range cfg.Sources {
		if cfg.Sources[i].GitHub == gc {
			src, err := s.get(&cfg.Sources[i], filepath.Join(cfg.Index.Path, "mirrors"))
			if err != nil {
				return nil, err
			}
			return src.(*github.Source), nil
		}
	}
	return nil, fmt.Errorf("github source %s%s is not in the configuration", gc.Org, gc.User)
}

// MarkChanged tells every source that skips fetches that repo moved.
func (s *Set) MarkChanged(repo string) {
	for _, e := range s.entries() {
		if c, ok := e.src.(source.Changer); ok {
			c.MarkChanged(repo)
		}
	}
}

func (s *Set) entries() []entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]entry, 0, len(s.built))
	for _, e := range s.built {
		out = append(out, e)
	}
	return out
}

// Forges are the forge kinds whose sources call an API: each has metrics
// and a webhook endpoint.
func Forges() []string { return []string{"github", "gitlab", "bitbucket", "gitea", "azure"} }

// Collectors export each forge's API counters (trawl_<forge>_api_calls_total
// and the like), for the sources built so far and any built later.
func (s *Set) Collectors() []prometheus.Collector {
	var out []prometheus.Collector
	for _, forge := range Forges() {
		out = append(out, forgeapi.NewCollector(forge, func() []forgeapi.Instrumented {
			var list []forgeapi.Instrumented
			for _, e := range s.entries() {
				if i, ok := e.src.(forgeapi.Instrumented); ok && e.forge == forge {
					list = append(list, i)
				}
			}
			return list
		}))
	}
	return out
}

// A hookFunc makes a forge's webhook handler: it accepts deliveries
// signed (or authenticated) with any of secrets.
type hookFunc func(secrets [][]byte, ev webhook.Events, log *slog.Logger) http.Handler

// hook is the webhook handler maker of a forge other than GitHub, whose
// handler the server mounts itself (it also serves pull-request events).
func hook(forge string) hookFunc {
	switch forge {
	case "azure":
		return azure.Webhook
	case "bitbucket":
		return bitbucket.Webhook
	case "gitlab":
		return gitlab.Webhook
	case "gitea":
		return gitea.Webhook
	}
	return nil
}

// Hooks are the webhook handlers of the forges cfg names, other than
// GitHub, by route ("POST /hooks/gitlab"). Each accepts the secrets of its
// forge's sources: a block's webhook_secret_env, else the server's
// webhook_secret_env. A forge whose sources have no secret still gets its
// handler, which answers every delivery 401 and says why.
func Hooks(cfg *config.Config, ev webhook.Events, log *slog.Logger) (map[string]http.Handler, error) {
	secrets := map[string][][]byte{}
	configured := map[string]bool{}
	for i := range cfg.Sources {
		_, forge := block(&cfg.Sources[i])
		env := secretEnv(&cfg.Sources[i])
		if env == "" {
			env = cfg.Server.WebhookSecretEnv
		}
		if forge == "" || forge == "github" {
			continue
		}
		configured[forge] = true
		if env == "" {
			continue
		}
		secret, err := config.Secret(env)
		if err != nil {
			return nil, fmt.Errorf("sources[%d]: webhook secret: %w", i, err)
		}
		secrets[forge] = append(secrets[forge], []byte(secret))
	}
	out := map[string]http.Handler{}
	for forge := range configured {
		if h := hook(forge); h != nil {
			out["POST /hooks/"+forge] = h(secrets[forge], ev, log)
		}
	}
	return out, nil
}

// secretEnv is a forge block's own webhook_secret_env.
func secretEnv(sc *config.Source) string {
	switch {
	case sc.GitLab != nil:
		return sc.GitLab.WebhookSecretEnv
	case sc.Bitbucket != nil:
		return sc.Bitbucket.WebhookSecretEnv
	case sc.Gitea != nil:
		return sc.Gitea.WebhookSecretEnv
	case sc.Azure != nil:
		return sc.Azure.WebhookSecretEnv
	}
	return ""
}

// For builds the sources of cfg for one pass (a command that crawls once,
// a test); a server keeps a Set instead.
func For(cfg *config.Config, opts Options) ([]source.Source, error) {
	return New(opts).For(cfg)
}
