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
	start := time.Now()
	if opt.MaxProblems <= 0 {
		opt.MaxProblems = 1000
	}
	rep := &Report{Problems: []Problem{}, Notes: []Problem{}}
	var err error
	if rep.Dirty, err = idx.Dirty(ctx); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	stats, err := idx.Stats(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	prog := Progress{Phase: "blobs", BlobsTotal: stats.Blobs, LocationsTotal: stats.Locations}
	report := func(force bool) {
		if opt.Progress != nil && (force || (prog.Blobs+prog.Locations)%256 == 0) {
			prog.Elapsed = time.Since(start)
			opt.Progress(prog)
		}
	}
	counts := map[string]int{}
	add := func(list *[]Problem, p Problem) {
		counts[p.Kind]++
		if counts[p.Kind] <= opt.MaxProblems {
			*list = append(*list, p)
		}
	}

	branches, err := idx.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	rep.Branches = len(branches)
	states := make(map[indexer.BranchKey]bool, len(branches))
	for _, b := range branches {
		states[b.Key()] = true
		if _, ok := keyOf(b.Commit); !ok {
			add(&rep.Problems, Problem{Kind: KindBadBranch, Repo: b.Repo, Branch: b.Name,
				Detail: fmt.Sprintf("commit %q is not a git object id", b.Commit)})
		}
	}

	stored := map[blobKey]bool{} // value: some location points to it
	// suspect maps the id of a corrupt or badly named blob to its problem's
	// place in rep.Problems, or -1 when over the limit.
	suspect := map[string]int{}
	addBlob := func(p Problem) {
		add(&rep.Problems, p)
		suspect[p.Blob] = -1
		if counts[p.Kind] <= opt.MaxProblems {
			suspect[p.Blob] = len(rep.Problems) - 1
		}
	}
	err = idx.ScanBlobs(ctx, func(id string, text []byte) error {
		rep.Blobs++
		rep.BytesHashed += int64(len(text))
		prog.Blobs, prog.Bytes = rep.Blobs, rep.BytesHashed
		report(false)
		k, ok := keyOf(id)
		if !ok {
			addBlob(Problem{Kind: KindBadID, Blob: id,
				Detail: "not 40 or 64 lower-case hex digits, so the text cannot be checked"})
			return nil
		}
		stored[k] = false
		if got := BlobID(text, len(id) == 64); got != id {
			addBlob(Problem{Kind: KindCorrupt, Blob: id,
				Detail: fmt.Sprintf("stored text (%d bytes) does not hash to its id but to %s", len(text), got)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}

	prog.Phase = "locations"
	report(true)
	var dangling []indexer.Location
	strays := map[indexer.BranchKey]int{}
	err = idx.Locations(ctx, indexer.LocationQuery{Skipped: indexer.AnySkipped}, func(l indexer.Location) error {
		rep.Locations++
		prog.Locations = rep.Locations
		report(false)
		if k, ok := keyOf(l.Blob); ok {
			if _, has := stored[k]; has {
				stored[k] = true
			} else if l.Skip == "" {
				dangling = append(dangling, l)
			}
		} else if l.Skip == "" {
			dangling = append(dangling, l)
		}
		if i, ok := suspect[l.Blob]; ok && i >= 0 {
			p := &rep.Problems[i]
			if bk := (indexer.BranchKey{Repo: l.Repo, Name: l.Branch}); !slices.Contains(p.Branches, bk) {
				p.Branches = append(p.Branches, bk)
			}
		}
		if bk := (indexer.BranchKey{Repo: l.Repo, Name: l.Branch}); !states[bk] {
			strays[bk]++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	for _, used := range stored {
		if !used {
			rep.Unreferenced++
		}
	}
	strayDeps := map[indexer.BranchKey]int{}
	err = idx.Deps(ctx, indexer.DepQuery{}, func(d indexer.Dependency) error {
		if bk := (indexer.BranchKey{Repo: d.Repo, Name: d.Branch}); !states[bk] {
			strayDeps[bk]++
			if _, ok := strays[bk]; !ok {
				strays[bk] = 0
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}

	if len(dangling) > 0 {
		if dangling, err = stillDangling(ctx, idx, dangling); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
	}
	for _, l := range dangling {
		add(&rep.Problems, Problem{Kind: KindDangling, Blob: l.Blob, Repo: l.Repo, Branch: l.Branch, Path: l.Path,
			Detail: "indexed location points to a blob the index does not hold"})
	}
	keys := make([]indexer.BranchKey, 0, len(strays))
	for k := range strays {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareBranch)
	for _, k := range keys {
		p := Problem{Kind: KindStray, Repo: k.Repo, Branch: k.Name,
			Detail: fmt.Sprintf("%d locations and %d dependency records on a branch with no state", strays[k], strayDeps[k])}
		if rep.Dirty {
			p.Detail += " (a crawl is writing or was killed; the next crawl removes them)"
			add(&rep.Notes, p)
		} else {
			add(&rep.Problems, p)
		}
	}
	for kind, n := range counts {
		if n > opt.MaxProblems {
			rep.Problems = append(rep.Problems, Problem{Kind: kind,
				Detail: fmt.Sprintf("%d more not listed (limit %d per kind)", n-opt.MaxProblems, opt.MaxProblems)})
		}
	}
	rep.Duration = time.Since(start)
	report(true)
	return rep, nil
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
