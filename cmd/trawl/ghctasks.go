package main

import (
	"context"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/indicators"
	"github.com/trawl-dev/trawl/source/github"
	"github.com/trawl-dev/trawl/source/sources"
)

// ghAPI adapts a GitHub source to what the repository tasks ask.
type ghAPI struct{ s *github.Source }

func (a ghAPI) CountBranches(ctx context.Context, repo string) (int, error) {
	return a.s.CountBranches(ctx, repo)
}

func (a ghAPI) CountOpenPulls(ctx context.Context, repo string) (int, error) {
	return a.s.CountOpenPulls(ctx, repo)
}

func (a ghAPI) RecentCommits(ctx context.Context, repo string, n int) ([]indicators.Commit, error) {
	cs, err := a.s.RecentCommits(ctx, repo, n)
	out := make([]indicators.Commit, len(cs))
	for i, c := range cs {
		out[i] = indicators.Commit{Author: c.Author, Changes: c.Changes}
	}
	return out, err
}

func (a ghAPI) Teams(ctx context.Context) (map[string][]string, error) { return a.s.Teams(ctx) }

// taskEnv gives the repository tasks the index and the configured GitHub
// sources (the same ones the crawl uses, so they share rate-limit state).
func taskEnv(cfg *config.Config, idx indexer.Index, gh *sources.Set) (indicators.TaskEnv, error) {
	var apis []*github.Source
	for _, s := range cfg.Sources {
		if s.GitHub == nil {
			continue
		}
		src, err := gh.GitHub(cfg, s.GitHub)
		if err != nil {
			return indicators.TaskEnv{}, err
		}
		apis = append(apis, src)
	}
	return indicators.TaskEnv{Index: idx, GitHub: func(repo string) indicators.GitHubAPI {
		for _, a := range apis {
			if a.Owns(repo) {
				return ghAPI{a}
			}
		}
		return nil
	}}, nil
}

// computeDocuments computes cfg's indicator documents, the repository
// tasks asking gh's GitHub sources (the crawl's, sharing its rate-limit
// state).
func computeDocuments(ctx context.Context, cfg *config.Config, idx indexer.Index, gh *sources.Set, opts indicators.Options) ([]indicators.Document, []error, error) {
	env := func() (indicators.TaskEnv, error) { return taskEnv(cfg, idx, gh) }
	return indicators.ComputeConfigured(ctx, cfg, idx, env, opts)
}
