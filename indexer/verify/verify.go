// Package verify checks that an index holds what git holds: every stored
// text hashes to its blob id, every indexed location points to a stored
// blob, every location and dependency record belongs to a branch with a
// state, and every branch state is well formed. Repair removes what is
// wrong and has the crawler read it again from git.
//
// It works through indexer.Index only, so it checks both backends alike.
package verify

import (
	"cmp"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/trawl-dev/trawl/indexer"
)

// Kinds of problem.
const (
	// KindCorrupt is a stored text that does not hash to its blob id:
	// searches over it answer from bytes that are not in git.
	KindCorrupt = "corrupt blob"
	// KindBadID is a stored blob whose id is neither 40 (SHA-1) nor 64
	// (SHA-256) lower-case hex digits, so its text cannot be checked.
	KindBadID = "bad blob id"
	// KindDangling is an indexed location whose blob is not stored:
	// searches cannot read the file.
	KindDangling = "dangling location"
	// KindStray is a location (or dependency record) on a branch that has
	// no state. A killed crawl leaves these and the next crawl removes
	// them, so they are a problem only when no crawl is marked as writing
	// (see Report.Dirty).
	KindStray = "stray location"
	// KindBadBranch is a branch state whose commit is not a git object id.
	KindBadBranch = "bad branch state"
)

// Problem is one thing found wrong.
type Problem struct {
	Kind   string `json:"kind"`
	Blob   string `json:"blob,omitempty"`
	Repo   string `json:"repo,omitempty"`
	Branch string `json:"branch,omitempty"`
	Path   string `json:"path,omitempty"`
	Detail string `json:"detail"`
	// Branches are the branches with a location of a corrupt blob: they
	// are what repair re-crawls.
	Branches []indexer.BranchKey `json:"branches,omitempty"`
}

func (p Problem) String() string {
	s := p.Kind + ":"
	if p.Blob != "" {
		s += " blob " + p.Blob
	}
	if p.Repo != "" {
		s += " " + p.Repo + "@" + p.Branch
		if p.Path != "" {
			s += ":" + strconv.Quote(p.Path)
		}
	}
	s += ": " + p.Detail
	if n := len(p.Branches); n > 0 {
		s += fmt.Sprintf(" (on %d branches)", n)
	}
	return s
}

// Report is what Check found.
type Report struct {
	Blobs       int   `json:"blobs"` // stored blobs hashed
	BytesHashed int64 `json:"bytes_hashed"`
	Locations   int   `json:"locations"`
	Branches    int   `json:"branches"`
	// Unreferenced counts stored blobs no location points to; the next
	// crawl that removes anything collects them. Not a problem.
	Unreferenced int `json:"unreferenced"`
	// Dirty says a crawl is writing or was killed: stray locations are
	// then expected and are listed in Notes rather than Problems.
	Dirty    bool          `json:"dirty"`
	Problems []Problem     `json:"problems"`
	Notes    []Problem     `json:"notes"`
	Duration time.Duration `json:"duration_ns"`
}

// OK reports whether nothing is wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Progress is a snapshot of a running check.
type Progress struct {
	Phase             string // "blobs" then "locations"
	Blobs, BlobsTotal int
	Bytes             int64
	Locations         int
	LocationsTotal    int
	Elapsed           time.Duration
}

// Options tune Check.
type Options struct {
	// Progress, when set, is called every few hundred objects.
	Progress func(Progress)
	// MaxProblems bounds the problems of each kind kept in the report
	// (default 1000); the count in Detail of a last summary problem says
	// how many more there were. Repair handles only those kept.
	MaxProblems int
}

// blobKey is a blob id decoded to bytes, so the set of every stored id
// takes about half the memory of hex strings.
type blobKey struct {
	n uint8
	b [32]byte
}

func keyOf(id string) (blobKey, bool) {
	var k blobKey
	if (len(id) != 40 && len(id) != 64) || id != toLowerHex(id) {
		return k, false
	}
	n, err := hex.Decode(k.b[:], []byte(id))
	if err != nil {
		return k, false
	}
	k.n = uint8(n)
	return k, true
}

func toLowerHex(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'F' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'F' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// BlobID is git's object id of a blob holding text: the SHA-1 (or, for a
// repository in the SHA-256 object format, the SHA-256) of "blob <size>\0"
// followed by text, in lower-case hex.
func BlobID(text []byte, sha256Format bool) string {
	var h hash.Hash
	if sha256Format {
		h = sha256.New()
	} else {
		h = sha1.New()
	}
	h.Write([]byte("blob " + strconv.Itoa(len(text)) + "\x00"))
	h.Write(text)
	return hex.EncodeToString(h.Sum(nil))
}

// Check reads the whole index once and returns what is wrong with it. The
// error is for an index that cannot be read; problems are in the report.
//
// Checking while a crawl writes (the Elasticsearch backend lets searches
// and checks run beside a crawler) can see a location before the blob it
// was written after; every dangling location is therefore looked up again
// at the end and reported only if it is still dangling.
func Check(ctx context.Context, idx indexer.Index, opt Options) (*Report, error) {
	if opt.MaxProblems <= 0 {
		opt.MaxProblems = 1000
	}
	c := &checker{
		idx:       idx,
		opt:       opt,
		start:     time.Now(),
		rep:       &Report{Problems: []Problem{}, Notes: []Problem{}},
		counts:    map[string]int{},
		stored:    map[blobKey]bool{},
		suspect:   map[string]int{},
		strays:    map[indexer.BranchKey]int{},
		strayDeps: map[indexer.BranchKey]int{},
	}
	for _, step := range []func(context.Context) error{
		c.begin,
		c.checkBranches,
		c.checkBlobs,
		c.checkLocations,
		c.checkDeps,
		c.recheckDangling,
	} {
		if err := step(ctx); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
	}
	c.reportStrays()
	c.summarizeOverLimit()
	c.rep.Duration = time.Since(c.start)
	c.progress(true)
	return c.rep, nil
}

// checker holds the state of one Check: the report being built and what
// one pass over the index leaves for the next.
type checker struct {
	idx   indexer.Index
	opt   Options
	start time.Time
	rep   *Report
	prog  Progress
	// counts is the number of problems of each kind found, kept or not.
	counts map[string]int
	// states holds every branch with a state.
	states map[indexer.BranchKey]bool
	// stored holds every well-named stored blob; its value says some
	// location points to it.
	stored map[blobKey]bool
	// suspect maps the id of a corrupt or badly named blob to its problem's
	// place in rep.Problems, or -1 when over the limit.
	suspect map[string]int
	// dangling are the locations whose blob was not seen in the blob pass.
	dangling []indexer.Location
	// strays and strayDeps count the locations and dependency records of
	// each branch with no state.
	strays, strayDeps map[indexer.BranchKey]int
}

// progress calls Options.Progress every 256 objects, or now when force.
func (c *checker) progress(force bool) {
	if c.opt.Progress != nil && (force || (c.prog.Blobs+c.prog.Locations)%256 == 0) {
		c.prog.Elapsed = time.Since(c.start)
		c.opt.Progress(c.prog)
	}
}

// add counts p and keeps it in list while its kind is under the limit.
func (c *checker) add(list *[]Problem, p Problem) {
	c.counts[p.Kind]++
	if c.counts[p.Kind] <= c.opt.MaxProblems {
		*list = append(*list, p)
	}
}

// addBlob adds a problem of a stored blob and remembers the blob as
// suspect, so the location pass can list the branches that hold it.
func (c *checker) addBlob(p Problem) {
	c.add(&c.rep.Problems, p)
	c.suspect[p.Blob] = -1
	if c.counts[p.Kind] <= c.opt.MaxProblems {
		c.suspect[p.Blob] = len(c.rep.Problems) - 1
	}
}

// begin records whether a crawl is writing and the totals that progress
// counts towards.
func (c *checker) begin(ctx context.Context) error {
	var err error
	if c.rep.Dirty, err = c.idx.Dirty(ctx); err != nil {
		return err
	}
	stats, err := c.idx.Stats(ctx)
	if err != nil {
		return err
	}
	c.prog = Progress{Phase: "blobs", BlobsTotal: stats.Blobs, LocationsTotal: stats.Locations}
	return nil
}

// checkBranches checks each branch state's commit and records which
// branches have a state.
func (c *checker) checkBranches(ctx context.Context) error {
	branches, err := c.idx.Branches(ctx)
	if err != nil {
		return err
	}
	c.rep.Branches = len(branches)
	c.states = make(map[indexer.BranchKey]bool, len(branches))
	for _, b := range branches {
		c.states[b.Key()] = true
		if _, ok := keyOf(b.Commit); !ok {
			c.add(&c.rep.Problems, Problem{Kind: KindBadBranch, Repo: b.Repo, Branch: b.Name,
				Detail: fmt.Sprintf("commit %q is not a git object id", b.Commit)})
		}
	}
	return nil
}

// checkBlobs hashes every stored text against its id.
func (c *checker) checkBlobs(ctx context.Context) error {
	return c.idx.ScanBlobs(ctx, func(id string, text []byte) error {
		c.rep.Blobs++
		c.rep.BytesHashed += int64(len(text))
		c.prog.Blobs, c.prog.Bytes = c.rep.Blobs, c.rep.BytesHashed
		c.progress(false)
		k, ok := keyOf(id)
		if !ok {
			c.addBlob(Problem{Kind: KindBadID, Blob: id,
				Detail: "not 40 or 64 lower-case hex digits, so the text cannot be checked"})
			return nil
		}
		c.stored[k] = false
		if got := BlobID(text, len(id) == 64); got != id {
			c.addBlob(Problem{Kind: KindCorrupt, Blob: id,
				Detail: fmt.Sprintf("stored text (%d bytes) does not hash to its id but to %s", len(text), got)})
		}
		return nil
	})
}

// checkLocations reads every location, skipped ones included: it marks
// the blobs in use, collects those pointing to no stored blob, lists the
// branches of suspect blobs and counts locations on branches with no
// state. Blobs no location uses are counted as unreferenced.
func (c *checker) checkLocations(ctx context.Context) error {
	c.prog.Phase = "locations"
	c.progress(true)
	err := c.idx.Locations(ctx, indexer.LocationQuery{Skipped: indexer.AnySkipped}, func(l indexer.Location) error {
		c.rep.Locations++
		c.prog.Locations = c.rep.Locations
		c.progress(false)
		c.markUsed(l)
		bk := indexer.BranchKey{Repo: l.Repo, Name: l.Branch}
		if i, ok := c.suspect[l.Blob]; ok && i >= 0 {
			if p := &c.rep.Problems[i]; !slices.Contains(p.Branches, bk) {
				p.Branches = append(p.Branches, bk)
			}
		}
		if !c.states[bk] {
			c.strays[bk]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, used := range c.stored {
		if !used {
			c.rep.Unreferenced++
		}
	}
	return nil
}

// markUsed marks the blob of l as used, or, when it is not stored and l
// is not a skipped file (which has no blob), keeps l as dangling.
func (c *checker) markUsed(l indexer.Location) {
	if k, ok := keyOf(l.Blob); ok {
		if _, has := c.stored[k]; has {
			c.stored[k] = true
			return
		}
	}
	if l.Skip == "" {
		c.dangling = append(c.dangling, l)
	}
}

// checkDeps counts dependency records on branches with no state; such a
// branch is a stray even when it has no locations.
func (c *checker) checkDeps(ctx context.Context) error {
	return c.idx.Deps(ctx, indexer.DepQuery{}, func(d indexer.Dependency) error {
		if bk := (indexer.BranchKey{Repo: d.Repo, Name: d.Branch}); !c.states[bk] {
			c.strayDeps[bk]++
			if _, ok := c.strays[bk]; !ok {
				c.strays[bk] = 0
			}
		}
		return nil
	})
}

// recheckDangling reports the dangling locations that are still dangling
// when looked up again (see Check).
func (c *checker) recheckDangling(ctx context.Context) error {
	if len(c.dangling) > 0 {
		var err error
		if c.dangling, err = stillDangling(ctx, c.idx, c.dangling); err != nil {
			return err
		}
	}
	for _, l := range c.dangling {
		c.add(&c.rep.Problems, Problem{Kind: KindDangling, Blob: l.Blob, Repo: l.Repo, Branch: l.Branch, Path: l.Path,
			Detail: "indexed location points to a blob the index does not hold"})
	}
	return nil
}

// reportStrays reports each branch with no state, in branch order: as a
// note when a crawl is writing or was killed, else as a problem.
func (c *checker) reportStrays() {
	keys := make([]indexer.BranchKey, 0, len(c.strays))
	for k := range c.strays {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareBranch)
	for _, k := range keys {
		p := Problem{Kind: KindStray, Repo: k.Repo, Branch: k.Name,
			Detail: fmt.Sprintf("%d locations and %d dependency records on a branch with no state", c.strays[k], c.strayDeps[k])}
		if c.rep.Dirty {
			p.Detail += " (a crawl is writing or was killed; the next crawl removes them)"
			c.add(&c.rep.Notes, p)
		} else {
			c.add(&c.rep.Problems, p)
		}
	}
}

// summarizeOverLimit adds, for each kind over the limit, one problem
// saying how many were not listed, in order of kind so that two checks
// of the same index report alike.
func (c *checker) summarizeOverLimit() {
	for _, kind := range slices.Sorted(maps.Keys(c.counts)) {
		if n := c.counts[kind]; n > c.opt.MaxProblems {
			c.rep.Problems = append(c.rep.Problems, Problem{Kind: kind,
				Detail: fmt.Sprintf("%d more not listed (limit %d per kind)", n-c.opt.MaxProblems, c.opt.MaxProblems)})
		}
	}
}

// stillDangling looks the locations up again, with a real-time blob
// lookup, and keeps those that still exist and still point nowhere.
func stillDangling(ctx context.Context, idx indexer.Index, locs []indexer.Location) ([]indexer.Location, error) {
	ids := make([]string, 0, len(locs))
	for _, l := range locs {
		ids = append(ids, l.Blob)
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	has, err := idx.HasBlobs(ctx, ids)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, id := range ids {
		if !has[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	var out []indexer.Location
	err = idx.Locations(ctx, indexer.LocationQuery{Blobs: missing}, func(l indexer.Location) error {
		out = append(out, l)
		return nil
	})
	return out, err
}

func compareBranch(a, b indexer.BranchKey) int {
	return cmp.Or(cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.Name, b.Name))
}
