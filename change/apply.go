package change

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// DefaultMaxRepos is how many repositories apply changes without --yes
// when change.max_repos is not set: a mistyped query should not open
// hundreds of pull requests before anyone reads the plan.
const DefaultMaxRepos = 10

// ApplyOptions tune Apply.
type ApplyOptions struct {
	Yes    bool // apply however many repositories the campaign touches
	Rebase bool // re-plan a resource whose base branch moved, instead of base_moved
	// Progress, when set, is told of each resource once it is done.
	Progress func(*Change)
}

// TooManyError refuses a campaign larger than change.max_repos without --yes.
type TooManyError struct{ Repos, Max int }

func (e *TooManyError) Error() string {
	return fmt.Sprintf("the campaign changes %d repositories, more than change.max_repos (%d): read the plan, then run again with --yes", e.Repos, e.Max)
}

// Apply pushes the planned changes of campaign id and opens their pull
// requests. Each resource's outcome is in its State, saved as soon as it
// is known, so an interrupted apply leaves nothing unreported; a failure
// of one resource does not stop the others. The error is for the campaign
// as a whole (no plan, too many repositories, the plan cannot be saved).
func (c *Campaigns) Apply(ctx context.Context, id string, opt ApplyOptions) (*Plan, error) {
	p, err := c.store.Load(id)
	if err != nil {
		return nil, err
	}
	limit := c.cfg.Change.MaxRepos
	if limit <= 0 {
		limit = DefaultMaxRepos
	}
	if n := p.Repos(); n > limit && !opt.Yes {
		return nil, &TooManyError{Repos: n, Max: limit}
	}
	for _, ch := range p.Changes {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		if !applicable(ch) {
			continue
		}
		c.applyOne(ctx, p, ch, opt)
		ch.UpdatedAt = c.now().UTC()
		_, err := c.store.Update(id, func(fresh *Plan) error {
			if f := fresh.find(ch.Repo, ch.Branch); f != nil {
				*f = *ch
			}
			return nil
		})
		if err != nil {
			return p, err
		}
		if opt.Progress != nil {
			opt.Progress(ch)
		}
	}
	return p, nil
}

// applicable reports whether apply has something to do for ch: merged or
// closed pull requests are left alone, as are resources with no change.
func applicable(ch *Change) bool {
	switch ch.State {
	case StateNoChange, StatePRMerged, StatePRClosed:
		return false
	}
	if IsFailed(ch.State) && len(ch.Files) == 0 && ch.BaseCommit != "" {
		return false // failed at plan time: there is nothing planned to push
	}
	return true
}

func (c *Campaigns) applyOne(ctx context.Context, p *Plan, ch *Change, opt ApplyOptions) {
	t, err := c.res.locate(ch.Repo)
	if err != nil {
		ch.State = Failed(err.Error())
		return
	}
	acc, err := c.res.access(ctx, t)
	if err != nil {
		ch.State = Failed(err.Error())
		return
	}
	repo, err := t.open()
	if err != nil {
		ch.State = Failed(err.Error())
		return
	}
	refs, err := remoteHeads(ctx, repo, t, acc)
	if err != nil {
		ch.State = Failed(acc.redact(err).Error())
		return
	}
	base, ok := refs[ch.Branch]
	if !ok {
		ch.State = Failed(fmt.Sprintf("branch %s no longer exists", ch.Branch))
		return
	}
	if base.String() != ch.BaseCommit {
		if !opt.Rebase {
			ch.State = StateBaseMoved
			return
		}
		if err := c.rebase(ctx, p, ch, repo, t, acc, base); err != nil {
			ch.State = Failed("rebase: " + acc.redact(err).Error())
			return
		}
		if len(ch.Files) == 0 {
			ch.State = StateNoChange
			return
		}
	}
	remoteHead, exists := refs[ch.HeadBranch]
	if exists && remoteHead.String() != ch.HeadCommit {
		// Someone else made or moved this branch: trawl never
		// overwrites a branch it did not push.
		ch.State = Failed(fmt.Sprintf("branch %s exists and was not pushed by trawl (at %s): delete it or choose another campaign id", ch.HeadBranch, short(remoteHead.String())))
		return
	}
	baseCommit, err := repo.CommitObject(plumbing.NewHash(ch.BaseCommit))
	if err != nil {
		ch.State = Failed(fmt.Sprintf("read base commit %s: %v", short(ch.BaseCommit), err))
		return
	}
	head, err := buildCommit(repo.Storer, baseCommit, ch.Files, c.signature(p), p.Message)
	if err != nil {
		ch.State = Failed("make commit: " + err.Error())
		return
	}
	if !exists || remoteHead != head {
		if err := push(ctx, repo, t, acc, head, ch.HeadBranch, remoteHead, exists); err != nil {
			ch.State = Failed("push: " + acc.redact(err).Error())
			return
		}
	}
	ch.HeadCommit = head.String()
	ch.State = StatePushed
	if acc.prs == nil {
		return
	}
	title, _, _ := strings.Cut(p.Message, "\n")
	pr, _, err := acc.prs.Ensure(ctx, ch.Repo, ch.HeadBranch, ch.Branch, title, prBody(p, ch))
	if err != nil {
		ch.State = Failed(acc.redact(err).Error())
		return
	}
	ch.PullRequest, ch.PRNumber = pr.URL, pr.Number
	ch.State = prState(pr.State)
}

func prState(s string) string {
	switch s {
	case "merged":
		return StatePRMerged
	case "closed":
		return StatePRClosed
	}
	return StatePROpen
}

func (c *Campaigns) signature(p *Plan) object.Signature {
	a := c.cfg.Change.Author
	if a.Name == "" {
		a.Name = "trawl"
	}
	if a.Email == "" {
		a.Email = "trawl@localhost"
	}
	// The plan's time, not now: applying the same plan twice makes the same
	// commit, so a rerun pushes nothing new.
	return object.Signature{Name: a.Name, Email: a.Email, When: p.CreatedAt}
}

func prBody(p *Plan, ch *Change) string {
	var b strings.Builder
	fmt.Fprintf(&b, "This pull request was made by trawl for campaign `%s`.\n\n", p.ID)
	if p.Query != "" {
		fmt.Fprintf(&b, "Query: `%s`\n\n", p.Query)
	}
	if p.DepName != "" {
		fmt.Fprintf(&b, "Dependency: `%s %s`\n\n", p.DepName, p.DepRange)
	}
	fmt.Fprintf(&b, "Action: %s\n\nBase: `%s` at %s\n\nFiles:\n", p.Action.Describe(), ch.Branch, ch.BaseCommit)
	for _, f := range ch.Files {
		fmt.Fprintf(&b, "- `%s`\n", f.Path)
	}
	return b.String()
}

// remoteHeads lists the branches of t's remote (of the repository itself
// for a dir source), by branch name.
func remoteHeads(ctx context.Context, repo *git.Repository, t *target, acc *writeAccess) (map[string]plumbing.Hash, error) {
	out := map[string]plumbing.Hash{}
	if t.kind == sourceDir {
		iter, err := repo.Branches()
		if err != nil {
			return nil, fmt.Errorf("list branches: %w", err)
		}
		err = iter.ForEach(func(r *plumbing.Reference) error {
			out[r.Name().Short()] = r.Hash()
			return nil
		})
		return out, err
	}
	if t.pushURL == "" {
		return nil, errors.New("no remote URL known for this repository (crawl it first)")
	}
	rem := git.NewRemote(repo.Storer, &gitconfig.RemoteConfig{Name: "trawl-change", URLs: []string{t.pushURL}})
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: acc.auth})
	if err != nil {
		if errors.Is(err, transport.ErrAuthenticationRequired) || errors.Is(err, transport.ErrAuthorizationFailed) {
			return nil, fmt.Errorf("authentication failed for %s: check the write token", t.name)
		}
		return nil, fmt.Errorf("list branches of %s: %w", t.name, err)
	}
	for _, r := range refs {
		if r.Name().IsBranch() {
			out[r.Name().Short()] = r.Hash()
		}
	}
	return out, nil
}

// push sends head to branch. An existing branch (which the caller checked
// trawl pushed) is replaced only if it still holds old: a lease, so a push
// made in between is never lost.
func push(ctx context.Context, repo *git.Repository, t *target, acc *writeAccess, head plumbing.Hash, branch string, old plumbing.Hash, exists bool) error {
	ref := plumbing.NewBranchReferenceName(branch)
	if t.kind == sourceDir {
		// The repository is read in place: the branch is made in it.
		return repo.Storer.CheckAndSetReference(plumbing.NewHashReference(ref, head), checkRef(ref, old, exists))
	}
	spec := gitconfig.RefSpec(head.String() + ":" + ref.String())
	opt := &git.PushOptions{
		RemoteName: "trawl-change",
		RefSpecs:   []gitconfig.RefSpec{spec},
		Auth:       acc.auth,
	}
	if exists {
		opt.RefSpecs = []gitconfig.RefSpec{"+" + spec}
		opt.RequireRemoteRefs = []gitconfig.RefSpec{gitconfig.RefSpec(old.String() + ":" + ref.String())}
	}
	rem := git.NewRemote(repo.Storer, &gitconfig.RemoteConfig{Name: "trawl-change", URLs: []string{t.pushURL}})
	err := rem.PushContext(ctx, opt)
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}

func checkRef(name plumbing.ReferenceName, old plumbing.Hash, exists bool) *plumbing.Reference {
	if !exists {
		return nil
	}
	return plumbing.NewHashReference(name, old)
}

// rebase re-plans ch on base, the branch's new head: it fetches the
// branch into the mirror and recomputes the same files from there.
func (c *Campaigns) rebase(ctx context.Context, p *Plan, ch *Change, repo *git.Repository, t *target, acc *writeAccess, base plumbing.Hash) error {
	if t.kind != sourceDir {
		if _, err := repo.CommitObject(base); err != nil {
			rem := git.NewRemote(repo.Storer, &gitconfig.RemoteConfig{Name: "trawl-change", URLs: []string{t.pushURL}})
			spec := gitconfig.RefSpec("+refs/heads/" + ch.Branch + ":refs/heads/" + ch.Branch)
			err := rem.FetchContext(ctx, &git.FetchOptions{RefSpecs: []gitconfig.RefSpec{spec}, Auth: acc.auth, Tags: git.NoTags})
			if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
				return fmt.Errorf("fetch %s: %w", ch.Branch, err)
			}
		}
	}
	tree, err := treeAt(repo, base.String())
	if err != nil {
		return fmt.Errorf("read %s at %s: %w", ch.Repo, short(base.String()), err)
	}
	paths := make([]string, 0, len(ch.Files))
	for _, f := range ch.Files {
		paths = append(paths, f.Path)
	}
	files, err := computeFiles(p, ch, tree, paths)
	if err != nil {
		return err
	}
	ch.BaseCommit, ch.Files = base.String(), files
	return nil
}
