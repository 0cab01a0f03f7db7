// Package change plans and applies bulk changes across repositories and
// branches (DESIGN.md §9): a campaign selects its targets with a trawl
// query or a dependency selector, computes each (repo, branch)'s new file
// contents from the mirrors, and stores the plan with each base commit.
// Apply then pushes exactly what was planned as one commit per (repo,
// branch) on branch trawl/ID/BRANCH and opens one pull request for it.
package change

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// States of a resource, as DESIGN.md §9 names them. A failure is
// "failed: REASON".
const (
	StatePlanned   = "planned"
	StatePushed    = "pushed"
	StatePROpen    = "pr_open"
	StatePRMerged  = "pr_merged"
	StatePRClosed  = "pr_closed"
	StateNoChange  = "no_change"
	StateBaseMoved = "base_moved"
	failedPrefix   = "failed: "
)

// Failed is the state of a resource that failed for reason.
func Failed(reason string) string { return failedPrefix + oneLine(reason) }

// IsFailed reports whether state is a failure.
func IsFailed(state string) bool { return strings.HasPrefix(state, failedPrefix) }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Plan is one campaign: what it does, where, and how far it got.
type Plan struct {
	ID        string    `json:"id"`
	Query     string    `json:"query,omitempty"`      // trawl query selecting the targets
	DepName   string    `json:"dependency,omitempty"` // dependency selector: name
	DepRange  string    `json:"version_range,omitempty"`
	Action    Action    `json:"action"`
	Message   string    `json:"message"` // commit message and pull request title (first line)
	CreatedAt time.Time `json:"created_at"`
	Changes   []*Change `json:"changes"`
}

// Change is one (repo, branch) of a campaign.
type Change struct {
	Repo       string        `json:"repo"`
	Branch     string        `json:"branch"`
	BaseCommit string        `json:"base_commit"`
	Files      []*FileChange `json:"files"`
	State      string        `json:"state"`
	// HeadCommit is the commit trawl last pushed to HeadBranch: a remote
	// branch holding anything else was not made by trawl and is never
	// overwritten.
	HeadBranch  string    `json:"head_branch"`
	HeadCommit  string    `json:"head_commit,omitempty"`
	PullRequest string    `json:"pull_request,omitempty"` // web address of the pull request
	PRNumber    int       `json:"pr_number,omitempty"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// FileChange is one file's planned change. Content is the whole new
// content; Delete removes the file.
type FileChange struct {
	Path    string `json:"path"`
	Diff    string `json:"diff"`
	Content string `json:"content,omitempty"`
	Delete  bool   `json:"delete,omitempty"`
}

// HeadBranch is the branch a campaign pushes for base branch: trawl/ID/BRANCH.
func HeadBranch(id, branch string) string { return "trawl/" + id + "/" + branch }

var idRE = lazyRegexp(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// CheckID reports whether id can name a campaign (and a branch segment).
func CheckID(id string) error {
	if !idRE().MatchString(id) || strings.Contains(id, "..") || strings.HasSuffix(id, ".lock") {
		return fmt.Errorf("campaign id %q: use 1 to 63 of a-z 0-9 . _ - starting with a letter or digit", id)
	}
	return nil
}

// Store keeps plans as one JSON file per campaign in a folder of the data
// folder (changes/ID.json), each written through a temporary file and a
// rename so that a crash leaves the old plan or the new one.
type Store struct {
	Dir string
	// mu orders read-modify-write cycles within one process: an apply and
	// a pull_request webhook may update the same campaign at once.
	mu sync.Mutex
}

// NewStore returns the store of the data folder data.
func NewStore(data string) *Store { return &Store{Dir: filepath.Join(data, "changes")} }

// Update loads campaign id, lets fn change it and saves it, as one step
// for the callers sharing s.
func (s *Store) Update(id string, fn func(*Plan) error) (*Plan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := s.lock(id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, err := s.Load(id)
	if err != nil {
		return nil, err
	}
	if err := fn(p); err != nil {
		return nil, err
	}
	return p, s.save(p)
}

// find returns the change of (repo, branch), or nil.
func (p *Plan) find(repo, branch string) *Change {
	for _, c := range p.Changes {
		if c.Repo == repo && c.Branch == branch {
			return c
		}
	}
	return nil
}

// ErrNoPlan is returned for a campaign that was never planned.
var ErrNoPlan = errors.New("no such campaign")

// Load reads the plan of campaign id.
func (s *Store) Load(id string) (*Plan, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(s.Dir, id+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("load campaign %s: %w", id, ErrNoPlan)
	}
	if err != nil {
		return nil, fmt.Errorf("load campaign %s: %w", id, err)
	}
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("load campaign %s: %w", id, err)
	}
	return &p, nil
}

// Save writes p atomically.
func (s *Store) Save(p *Plan) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := CheckID(p.ID); err != nil {
		return err
	}
	unlock, err := s.lock(p.ID)
	if err != nil {
		return err
	}
	defer unlock()
	return s.save(p)
}

// staleLock is the age after which a campaign's lock file is taken to be
// left by a killed process: a holder keeps it only for one read and one
// write of the plan.
const staleLock = 30 * time.Second

// lockWait bounds how long Update and Save wait for another process (a
// trawl change apply and a trawl serve receiving webhooks, say).
const lockWait = 10 * time.Second

// lock takes the campaign's lock file, shared by every process using the
// data folder; os.O_EXCL makes the creation atomic on every platform.
func (s *Store) lock(id string) (func(), error) {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock campaign %s: %w", id, err)
	}
	path := filepath.Join(s.Dir, "."+id+".lock")
	deadline := time.Now().Add(lockWait)
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("lock campaign %s: %w", id, err)
		}
		if fi, err := os.Stat(path); err == nil && time.Since(fi.ModTime()) > staleLock {
			os.Remove(path)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("lock campaign %s: %s is held by another trawl process (remove it if none runs)", id, path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Store) save(p *Plan) error {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("save campaign %s: %w", p.ID, err)
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("save campaign %s: %w", p.ID, err)
	}
	tmp, err := os.CreateTemp(s.Dir, "."+p.ID+".*.tmp")
	if err != nil {
		return fmt.Errorf("save campaign %s: %w", p.ID, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save campaign %s: %w", p.ID, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save campaign %s: %w", p.ID, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save campaign %s: %w", p.ID, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.Dir, p.ID+".json")); err != nil {
		return fmt.Errorf("save campaign %s: %w", p.ID, err)
	}
	return nil
}

// List returns every stored plan, sorted by id.
func (s *Store) List() ([]*Plan, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	var out []*Plan
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		p, err := s.Load(strings.TrimSuffix(name, ".json"))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *Plan) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Repos counts the distinct repositories of p's changes that have
// something to push.
func (p *Plan) Repos() int {
	seen := map[string]bool{}
	for _, c := range p.Changes {
		if len(c.Files) > 0 {
			seen[c.Repo] = true
		}
	}
	return len(seen)
}
