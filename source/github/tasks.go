package github

import (
	"context"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v57/github"
)

// These calls serve github-crawler's repository tasks (trawl indicators):
// they go through the source's transport, so they share its token, rate
// limit handling, retries and ETag cache, and they page through every
// result where github-crawler read one page of 30.

// Owns reports whether repo (owner/name) belongs to this source's owner.
func (s *Source) Owns(repo string) bool {
	owner, _, ok := strings.Cut(repo, "/")
	return ok && strings.EqualFold(owner, s.owner)
}

func split(repo string) (string, string, error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("%q is not owner/name", repo)
	}
	return owner, name, nil
}

// CountBranches returns how many branches repo has.
func (s *Source) CountBranches(ctx context.Context, repo string) (int, error) {
	owner, name, err := split(repo)
	if err != nil {
		return 0, err
	}
	n := 0
	opt := &gh.BranchListOptions{ListOptions: gh.ListOptions{PerPage: 100, Page: 1}}
	for {
		page, resp, err := s.client.Repositories.ListBranches(ctx, owner, name, opt)
		if err != nil {
			return n, fmt.Errorf("list branches of %s: %w", repo, s.redact(ctx, err))
		}
		n += len(page)
		if resp.NextPage == 0 {
			return n, nil
		}
		opt.Page = resp.NextPage
	}
}

// CountOpenPulls returns how many pull requests of repo are open.
func (s *Source) CountOpenPulls(ctx context.Context, repo string) (int, error) {
	owner, name, err := split(repo)
	if err != nil {
		return 0, err
	}
	n := 0
	opt := &gh.PullRequestListOptions{State: "open", ListOptions: gh.ListOptions{PerPage: 100, Page: 1}}
	for {
		page, resp, err := s.client.PullRequests.List(ctx, owner, name, opt)
		if err != nil {
			return n, fmt.Errorf("list open pull requests of %s: %w", repo, s.redact(ctx, err))
		}
		n += len(page)
		if resp.NextPage == 0 {
			return n, nil
		}
		opt.Page = resp.NextPage
	}
}

// CommitStat is one commit's author login ("" when GitHub matched no
// account) and its changed lines (additions + deletions).
type CommitStat struct {
	Author  string
	Changes int
}

// RecentCommits returns the last n commits of repo's default branch with
// their stats: one call per page of the list, then one per commit, as
// GitHub gives stats only on the single-commit endpoint.
func (s *Source) RecentCommits(ctx context.Context, repo string, n int) ([]CommitStat, error) {
	owner, name, err := split(repo)
	if err != nil {
		return nil, err
	}
	var shas []string
	opt := &gh.CommitsListOptions{ListOptions: gh.ListOptions{PerPage: min(n, 100), Page: 1}}
	for len(shas) < n {
		page, resp, err := s.client.Repositories.ListCommits(ctx, owner, name, opt)
		if err != nil {
			return nil, fmt.Errorf("list commits of %s: %w", repo, s.redact(ctx, err))
		}
		for _, c := range page {
			if len(shas) < n {
				shas = append(shas, c.GetSHA())
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	out := make([]CommitStat, 0, len(shas))
	for _, sha := range shas {
		c, _, err := s.client.Repositories.GetCommit(ctx, owner, name, sha, nil)
		if err != nil {
			return nil, fmt.Errorf("read commit %s of %s: %w", sha, repo, s.redact(ctx, err))
		}
		out = append(out, CommitStat{Author: c.GetAuthor().GetLogin(), Changes: c.GetStats().GetTotal()})
	}
	return out, nil
}

// Teams returns the organisation's teams by name, each with its members'
// logins.
func (s *Source) Teams(ctx context.Context) (map[string][]string, error) {
	if !s.isOrg {
		return map[string][]string{}, nil
	}
	var teams []*gh.Team
	opt := &gh.ListOptions{PerPage: 100, Page: 1}
	for {
		page, resp, err := s.client.Teams.ListTeams(ctx, s.owner, opt)
		if err != nil {
			return nil, fmt.Errorf("list teams of %s: %w", s.owner, s.redact(ctx, err))
		}
		teams = append(teams, page...)
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	out := map[string][]string{}
	for _, t := range teams {
		mopt := &gh.TeamListTeamMembersOptions{ListOptions: gh.ListOptions{PerPage: 100, Page: 1}}
		for {
			page, resp, err := s.client.Teams.ListTeamMembersBySlug(ctx, s.owner, t.GetSlug(), mopt)
			if err != nil {
				return nil, fmt.Errorf("list members of team %s: %w", t.GetSlug(), s.redact(ctx, err))
			}
			for _, u := range page {
				out[t.GetName()] = append(out[t.GetName()], u.GetLogin())
			}
			if resp.NextPage == 0 {
				break
			}
			mopt.Page = resp.NextPage
		}
		if _, ok := out[t.GetName()]; !ok {
			out[t.GetName()] = nil
		}
	}
	return out, nil
}
