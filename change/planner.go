package change

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/depquery"
	"github.com/trawl-dev/trawl/indexer"
	"github.com/trawl-dev/trawl/search"
	"github.com/trawl-dev/trawl/source/github"
)

// Spec is what a user asks of trawl change plan.
type Spec struct {
	ID       string
	Query    string // trawl query selecting (repo, branch, path)
	DepName  string // dependency selector: name or purl, as trawl deps
	DepRange string // with DepName: only versions in this range
	Action   Action
	Message  string // commit message; default names the campaign, action and query
}

// Campaigns plans, applies and reports campaigns over one configuration
// and index.
type Campaigns struct {
	cfg   *config.Config
	idx   indexer.Index
	store *Store
	res   *resolver
	now   func() time.Time
}

// Options tune Campaigns.
type Options struct {
	// GitHub tunes the pull-request client (tests point it at a fake API).
	GitHub github.Options
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// New returns the campaigns of cfg, reading idx and the mirrors below
// cfg.Index.Path, and storing plans in its changes folder.
func New(cfg *config.Config, idx indexer.Index, opt Options) *Campaigns {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Campaigns{cfg: cfg, idx: idx, store: NewStore(cfg.Index.Path), res: newResolver(cfg, opt.GitHub), now: opt.Now}
}

// Store returns where plans are kept.
func (c *Campaigns) Store() *Store { return c.store }

// selected is one (repo, branch) a campaign touches.
type selected struct {
	repo, branch, commit string
	paths                map[string]bool
}

// Plan computes and stores the campaign spec describes. It reads only the
// index and the mirrors. A resource that fails (a template error, a
// manifest that does not parse, a missing mirror) is recorded as failed
// and the others go on; Plan's error is for the campaign as a whole.
func (c *Campaigns) Plan(ctx context.Context, spec Spec) (*Plan, error) {
	if err := CheckID(spec.ID); err != nil {
		return nil, err
	}
	if err := spec.Action.Check(); err != nil {
		return nil, err
	}
	if spec.Action.Kind == KindSetDependency && spec.DepName == "" {
		spec.DepName = spec.Action.Dependency
	}
	if spec.Query == "" && spec.DepName == "" {
		switch spec.Action.Kind {
		case KindReplace:
			spec.Query = quoteLiteral(spec.Action.Old)
		case KindRegex:
			spec.Query = "/" + spec.Action.Old + "/"
		default:
			return nil, errors.New("give --query or a dependency selector (--dependency) to choose the targets")
		}
	}
	sel, err := c.selectTargets(ctx, spec)
	if err != nil {
		return nil, err
	}
	prev, err := c.store.Load(spec.ID)
	if err != nil && !errors.Is(err, ErrNoPlan) {
		return nil, err
	}
	p := &Plan{
		ID: spec.ID, Query: spec.Query, DepName: spec.DepName, DepRange: spec.DepRange,
		Action: spec.Action, Message: spec.Message, CreatedAt: c.now().UTC().Truncate(time.Second),
	}
	if p.Message == "" {
		p.Message = defaultMessage(p)
	}
	repos := map[string]*git.Repository{}
	for _, s := range sel {
		ch := &Change{Repo: s.repo, Branch: s.branch, BaseCommit: s.commit, HeadBranch: HeadBranch(spec.ID, s.branch), Files: []*FileChange{}}
		if err := c.planOne(ctx, p, ch, s.paths, repos); err != nil {
			ch.State = Failed(err.Error())
			ch.Files = []*FileChange{}
		} else if len(ch.Files) == 0 {
			ch.State = StateNoChange
		} else {
			ch.State = StatePlanned
		}
		ch.UpdatedAt = p.CreatedAt
		p.Changes = append(p.Changes, ch)
	}
	if prev != nil {
		carryOver(p, prev)
	}
	if err := c.store.Save(p); err != nil {
		return nil, err
	}
	return p, nil
}

// carryOver keeps what earlier applies of the same campaign pushed and
// opened, so that applying the new plan updates that branch and pull
// request instead of refusing a branch it cannot tell from a stranger's.
func carryOver(p, prev *Plan) {
	old := map[[2]string]*Change{}
	for _, c := range prev.Changes {
		old[[2]string{c.Repo, c.Branch}] = c
	}
	for _, c := range p.Changes {
		if o := old[[2]string{c.Repo, c.Branch}]; o != nil {
			c.HeadCommit, c.PullRequest, c.PRNumber = o.HeadCommit, o.PullRequest, o.PRNumber
		}
	}
}

func quoteLiteral(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func defaultMessage(p *Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "trawl change %s: %s\n\nCampaign: %s\n", p.ID, p.Action.Describe(), p.ID)
	if p.Query != "" {
		fmt.Fprintf(&b, "Query: %s\n", p.Query)
	}
	if p.DepName != "" {
		fmt.Fprintf(&b, "Dependency: %s %s\n", p.DepName, p.DepRange)
	}
	return strings.TrimRight(b.String(), " \n") + "\n"
}

// selectTargets runs the query (exhaustive: no limit) and the dependency
// selector; with both, a (repo, branch) must be chosen by both.
func (c *Campaigns) selectTargets(ctx context.Context, spec Spec) ([]*selected, error) {
	type key struct{ repo, branch string }
	var byQuery, byDep map[key]*selected
	add := func(m map[key]*selected, repo, branch, commit, p string) {
		k := key{repo, branch}
		s := m[k]
		if s == nil {
			s = &selected{repo: repo, branch: branch, commit: commit, paths: map[string]bool{}}
			m[k] = s
		}
		s.paths[p] = true
	}
	if spec.Query != "" {
		byQuery = map[key]*selected{}
		_, err := search.New(c.idx).Stream(ctx, spec.Query, search.Options{}, func(f search.File) error {
			for _, b := range f.Branches {
				add(byQuery, f.Repo, b.Name, b.Commit, f.Path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("--query: %w", err)
		}
	}
	if spec.DepName != "" {
		f, err := depquery.ParseFilter(spec.DepName, spec.DepRange)
		if err != nil {
			return nil, fmt.Errorf("dependency selector: %w", err)
		}
		byDep = map[key]*selected{}
		err = depquery.Find(ctx, c.idx, f, func(d indexer.Dependency) error {
			add(byDep, d.Repo, d.Branch, d.Commit, d.Path)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("dependency selector: %w", err)
		}
	}
	chosen := byQuery
	switch {
	case byQuery == nil:
		chosen = byDep
	case byDep != nil:
		chosen = map[key]*selected{}
		for k, s := range byDep {
			if q := byQuery[k]; q != nil {
				if spec.Action.Kind != KindSetDependency {
					s.paths = q.paths // the query says which files; deps which branches
				}
				chosen[k] = s
			}
		}
	}
	out := make([]*selected, 0, len(chosen))
	for _, s := range chosen {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *selected) int {
		return cmp.Or(strings.Compare(a.repo, b.repo), strings.Compare(a.branch, b.branch))
	})
	return out, nil
}

// planOne computes ch's file changes from its base commit.
func (c *Campaigns) planOne(ctx context.Context, p *Plan, ch *Change, paths map[string]bool, repos map[string]*git.Repository) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r, ok := repos[ch.Repo]
	if !ok {
		t, err := c.res.locate(ch.Repo)
		if err == nil {
			r, err = t.open()
		}
		if err != nil {
			repos[ch.Repo] = nil
			return err
		}
		repos[ch.Repo] = r
	}
	if r == nil {
		return fmt.Errorf("repository %s cannot be read (see its first branch)", ch.Repo)
	}
	tree, err := treeAt(r, ch.BaseCommit)
	if err != nil {
		return fmt.Errorf("read %s at %s: %w", ch.Repo, short(ch.BaseCommit), err)
	}
	files, err := computeFiles(p, ch, tree, sortedPaths(paths))
	if err != nil {
		return err
	}
	ch.Files = files
	return nil
}

func treeAt(r *git.Repository, commit string) (*object.Tree, error) {
	cm, err := r.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return nil, err
	}
	return cm.Tree()
}

func short(h string) string { return h[:min(len(h), 12)] }

func sortedPaths(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// readFile returns a file of tree; ok is false when it does not exist.
func readFile(tree *object.Tree, p string) ([]byte, bool, error) {
	f, err := tree.File(p)
	if errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	s, err := f.Contents()
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	return []byte(s), true, nil
}

// computeFiles applies p's action to the selected paths of one tree.
func computeFiles(p *Plan, ch *Change, tree *object.Tree, paths []string) ([]*FileChange, error) {
	e := &fileEdit{tree: tree, old: map[string][]byte{}, newContent: map[string][]byte{}}
	var err error
	switch a := p.Action; a.Kind {
	case KindReplace, KindRegex, KindXMLAdd, KindXMLRemove:
		err = e.editEach(a, paths)
	case KindDelete:
		err = e.deleteEach(paths)
	case KindWrite:
		err = e.write(p, ch)
	case KindSetDependency:
		err = e.setDependency(a, paths)
	}
	if err != nil {
		return nil, err
	}
	return e.changes(), nil
}

// fileEdit is the state of computing one change's files: what was read of
// the base tree, and what each touched path becomes.
type fileEdit struct {
	tree       *object.Tree
	old        map[string][]byte // path -> content at the base commit, as read
	newContent map[string][]byte // path -> new content; nil value: delete
}

// read returns a file of the base tree, once read kept in old so that
// the diff of a changed file has its old side.
func (e *fileEdit) read(path string) ([]byte, bool, error) {
	if b, ok := e.old[path]; ok {
		return b, true, nil
	}
	b, ok, err := readFile(e.tree, path)
	if ok {
		e.old[path] = b
	}
	return b, ok, err
}

// eachExisting calls fn with each of paths that exists on the branch and
// what it holds there.
func (e *fileEdit) eachExisting(paths []string, fn func(path string, b []byte) error) error {
	for _, path := range paths {
		b, ok, err := e.read(path)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := fn(path, b); err != nil {
			return err
		}
	}
	return nil
}

// editEach applies a's edit to each path that exists.
func (e *fileEdit) editEach(a Action, paths []string) error {
	return e.eachExisting(paths, func(path string, b []byte) error {
		nb, err := a.edit(b)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		e.newContent[path] = nb
		return nil
	})
}

// deleteEach deletes each path that exists.
func (e *fileEdit) deleteEach(paths []string) error {
	return e.eachExisting(paths, func(path string, _ []byte) error {
		e.newContent[path] = nil
		return nil
	})
}

// write writes the action's file, its content rendered as a template of
// the change when the action says so.
func (e *fileEdit) write(p *Plan, ch *Change) error {
	a := p.Action
	content := []byte(a.Content)
	if a.Template {
		owner, name := splitName(ch.Repo)
		data := TemplateData{Repo: ch.Repo, Branch: ch.Branch, Path: a.Path, Commit: ch.BaseCommit, Campaign: p.ID, Owner: owner, Name: name}
		var err error
		content, err = render(a.Content, data, func(fp string) (string, error) {
			b, ok, err := e.read(fp)
			if err != nil {
				return "", err
			}
			if !ok {
				return "", fmt.Errorf("file %s does not exist on this branch", fp)
			}
			return string(b), nil
		})
		if err != nil {
			return err // text/template's errors start with "template: NAME:LINE:COL"
		}
	}
	// Read what the file held, if anything, for the diff's old side.
	if _, _, err := e.read(a.Path); err != nil {
		return err
	}
	e.newContent[a.Path] = content
	return nil
}

// inheritedProp is a ${prop} that the POM from uses for a dependency's
// version but does not define.
type inheritedProp struct{ from, prop string }

// setDependency sets the dependency's version in each manifest that
// exists, and then the properties those manifests inherit.
func (e *fileEdit) setDependency(a Action, paths []string) error {
	var missing []inheritedProp
	err := e.eachExisting(paths, func(path string, b []byte) error {
		nb, props, err := setVersion(path, b, a.Dependency, a.Version)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		e.newContent[path] = nb
		for _, prop := range props {
			missing = append(missing, inheritedProp{path, prop})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return e.setInherited(missing, a.Version)
}

// setInherited sets each property a declaring POM does not define, and so
// inherits, in the nearest POM above that defines it; an edit already
// planned for that POM is built on.
func (e *fileEdit) setInherited(missing []inheritedProp, version string) error {
	for _, m := range missing {
		for _, anc := range ancestorPOMs(m.from) {
			b, ok, err := e.read(anc)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if cur, seen := e.newContent[anc]; seen && cur != nil {
				b = cur
			}
			nb, found, err := setMavenProperty(b, m.prop, version)
			if err != nil {
				return fmt.Errorf("%s: %w", anc, err)
			}
			if found {
				e.newContent[anc] = nb
				break
			}
		}
	}
	return nil
}

// changes are the planned files, by path, with their diffs; a path whose
// content stays the same, or that is deleted but never existed, is left
// out.
func (e *fileEdit) changes() []*FileChange {
	var files []*FileChange
	for _, path := range sortedPaths(keys(e.newContent)) {
		nb := e.newContent[path]
		ob, existed := e.old[path]
		switch {
		case nb == nil && !existed:
			continue
		case nb != nil && existed && bytes.Equal(nb, ob):
			continue
		}
		fc := &FileChange{Path: path, Content: string(nb), Delete: nb == nil}
		fc.Diff = unified(path, ob, existed, nb)
		files = append(files, fc)
	}
	return files
}

func keys(m map[string][]byte) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// ancestorPOMs lists the pom.xml files above p's folder, nearest first:
// Maven's default parent relativePath is ../pom.xml.
func ancestorPOMs(p string) []string {
	var out []string
	dir := path.Dir(p)
	for dir != "." && dir != "/" {
		dir = path.Dir(dir)
		out = append(out, path.Join(dir, "pom.xml"))
	}
	return out
}

func splitName(full string) (owner, name string) {
	i := strings.LastIndex(full, "/")
	if i < 0 {
		return "", full
	}
	return full[:i], full[i+1:]
}

// unified is the git-style unified diff of one file, made with go-udiff
// (a maintained port of gopls's Myers diff with unified output; go-git's
// own diff works on trees already stored, not on planned contents).
func unified(p string, old []byte, existed bool, new []byte) string {
	from, to := "a/"+p, "b/"+p
	if !existed {
		from = "/dev/null"
	}
	if new == nil {
		to = "/dev/null"
	}
	return udiff.Unified(from, to, string(old), string(new))
}
