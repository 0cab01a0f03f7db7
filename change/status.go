package change

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Row is one resource in trawl change status --json (DESIGN.md §9).
type Row struct {
	ID          string `json:"id"`
	Repo        string `json:"repo"`
	Branch      string `json:"branch"`
	State       string `json:"state"`
	PullRequest string `json:"pull_request"`
}

// Status lists the resources of campaign id, or of every campaign when id
// is empty. With refresh, the state of each pull request trawl opened is
// read again through the API first (a webhook keeps it fresh in between);
// a resource whose refresh fails keeps its last known state.
func (c *Campaigns) Status(ctx context.Context, id string, refresh bool) ([]Row, error) {
	var plans []*Plan
	if id != "" {
		p, err := c.store.Load(id)
		if err != nil {
			return nil, err
		}
		plans = []*Plan{p}
	} else {
		var err error
		if plans, err = c.store.List(); err != nil {
			return nil, err
		}
	}
	rows := []Row{}
	for _, p := range plans {
		if refresh {
			if err := c.refresh(ctx, p); err != nil {
				return nil, err
			}
		}
		for _, ch := range p.Changes {
			rows = append(rows, Row{ID: p.ID, Repo: ch.Repo, Branch: ch.Branch, State: ch.State, PullRequest: ch.PullRequest})
		}
	}
	return rows, nil
}

// refresh asks the API for each pull request of p.
func (c *Campaigns) refresh(ctx context.Context, p *Plan) error {
	for _, ch := range p.Changes {
		if ch.PRNumber == 0 || ch.State == StatePRMerged {
			continue
		}
		t, err := c.res.locate(ch.Repo)
		if err != nil {
			continue
		}
		acc, err := c.res.access(ctx, t)
		if err != nil || acc.prs == nil {
			continue
		}
		pr, err := acc.prs.Get(ctx, ch.Repo, ch.PRNumber)
		if err != nil {
			continue
		}
		state := prState(pr.State)
		if state == ch.State {
			continue
		}
		ch.State, ch.UpdatedAt = state, c.now().UTC()
		snapshot := *ch
		if _, err := c.store.Update(p.ID, func(fresh *Plan) error {
			if f := fresh.find(ch.Repo, ch.Branch); f != nil {
				f.State, f.UpdatedAt = snapshot.State, snapshot.UpdatedAt
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// PullRequestEvent records what a pull_request webhook says of a pull
// request trawl opened: head is its head branch (trawl/ID/BRANCH), state
// GitHub's open or closed, merged whether it was merged. Deliveries for
// other pull requests are ignored (false, nil).
func (c *Campaigns) PullRequestEvent(repo, head string, number int, url, state string, merged bool) (bool, error) {
	rest, ok := strings.CutPrefix(head, "trawl/")
	if !ok {
		return false, nil
	}
	id, _, ok := strings.Cut(rest, "/")
	if !ok || CheckID(id) != nil {
		return false, nil
	}
	newState := prState(state)
	if merged {
		newState = StatePRMerged
	}
	found := false
	_, err := c.store.Update(id, func(p *Plan) error {
		for _, ch := range p.Changes {
			if ch.Repo != repo || ch.HeadBranch != head {
				continue
			}
			found = true
			ch.State, ch.PRNumber, ch.UpdatedAt = newState, number, c.now().UTC()
			if url != "" {
				ch.PullRequest = url
			}
		}
		return nil
	})
	if errors.Is(err, ErrNoPlan) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pull request webhook for %s: %w", repo, err)
	}
	return found, nil
}
