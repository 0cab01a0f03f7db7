// Package indexer owns trawl's data model (blobs stored once, locations
// many, branch states, skips) and the Index interface that the embedded
// Bleve backend and the Elasticsearch backend implement.
//
// A backend stores and answers; it does not decide. The crawler decides what
// changed, trigram.Extract computes the terms, and the search package plans
// and verifies queries. A backend only answers "which blobs hold these
// trigrams" and "which locations point at these blobs, on these branches".
package indexer

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trawl-dev/trawl/deps"
	"github.com/trawl-dev/trawl/trigram"
)

// Blob is one unique file content, keyed by its git blob id. It is written
// once and never rewritten; it is deleted when no location points to it.
type Blob struct {
	ID       string   // git blob id, lower-case hex
	Text     []byte   // valid UTF-8
	Trigrams []string // trigram.Extract(Text), computed by the caller
	Lines    int      // number of lines (a final line without newline counts)
}

// CountLines counts lines as Blob.Lines and git grep number them: a final
// line without a newline counts, an empty text has none.
func CountLines(text []byte) int {
	n := bytes.Count(text, []byte{'\n'})
	if len(text) > 0 && text[len(text)-1] != '\n' {
		n++
	}
	return n
}

// Location says that Path on Branch of Repo holds Blob. A location with a
// Skip reason matched the file patterns but was not indexed; its Blob is
// still the git blob id, so a content change is seen as a change.
type Location struct {
	Repo     string `json:"repo"`
	Branch   string `json:"branch"`
	Path     string `json:"path"`
	Blob     string `json:"blob"`
	Language string `json:"language,omitempty"` // Linguist name, from the path (package lang)
	Size     int64  `json:"size"`
	Skip     string `json:"skip,omitempty"` // why it was not indexed; empty when indexed
}

// Key identifies the location.
func (l Location) Key() LocationKey {
	return LocationKey{Repo: l.Repo, Branch: l.Branch, Path: l.Path}
}

// LocationKey identifies one (repo, branch, path).
type LocationKey struct {
	Repo, Branch, Path string
}

// Skip reasons recorded on locations.
const (
	SkipTooLarge   = "too large"
	SkipBinary     = "binary"     // NUL byte in the first 8 KiB
	SkipNotUTF8    = "not UTF-8"  // text that is not valid UTF-8
	SkipUnreadable = "unreadable" // object missing or corrupt in the repository
)

// SkipCorrupt: the content read does not hash to its id, twice; SkipBadPath: a name git stores but trawl cannot use (control characters, "/", "." or "..").
const SkipCorrupt, SkipBadPath = "corrupt", "bad path"

// Repo is what trawl knows of a repository besides its files. It is kept
// with each branch state rather than on every location, so that a push
// rewrites only the locations that changed.
type Repo struct {
	Name string `json:"name"`          // full name: acme/api, git.example.com/team/api
	URL  string `json:"url,omitempty"` // web page; permalinks are {URL}/blob/{commit}/{path}#L{line} unless Link says otherwise
	// Link is the forge's permalink of a file at a commit, as a template
	// the source fills in: {commit}, {path} (segments escaped for a URL
	// path) and {qpath} (escaped for a query value, '/' kept). LineLink is
	// appended for a line, with {line}. Each forge has its own shape
	// (GitLab /-/blob/, Bitbucket /browse/...?at=, Azure DevOps ?path=).
	Link          string    `json:"link,omitempty"`
	LineLink      string    `json:"line_link,omitempty"`
	DefaultBranch string    `json:"default_branch,omitempty"` //
	Archived      bool      `json:"archived,omitempty"`
	Fork          bool      `json:"fork,omitempty"`
	Topics        []string  `json:"topics,omitempty"`
	Visibility    string    `json:"visibility,omitempty"`
	PushedAt      time.Time `json:"pushed_at,omitzero"`
	CreatedAt     time.Time `json:"created_at,omitzero"` // GitHub's created_at: github-crawler's creationDate
	UpdatedAt     time.Time `json:"updated_at,omitzero"` // GitHub's updated_at: github-crawler's lastUpdateDate
}

// Permalink is the forge's link to path at commit, at line when line > 0:
// Link and LineLink filled in, or {URL}/blob/{commit}/{path}#L{line} (the
// GitHub shape) without a Link. Path segments are escaped so '#' or '?'
// in a name stay in it. It is empty when the host's web address or the
// commit is unknown.
func (r Repo) Permalink(commit, path string, line int) string {
	return r.permalink(commit, path, line, strconv.Itoa(line))
}

// LinePermalink is the permalink of a line of path at commit with the line
// number left as "{line}", for a client that picks the line (the file
// view); empty like Permalink.
func (r Repo) LinePermalink(commit, path string) string {
	return r.permalink(commit, path, 1, "{line}")
}

func (r Repo) permalink(commit, path string, line int, lineText string) string {
	if commit == "" || (r.URL == "" && r.Link == "") {
		return ""
	}
	if raw, err := UnescapePath(path); err == nil {
		path = raw // stored paths are escaped (EscapePath); the link needs git's bytes
	}
	link, lineLink := r.Link, r.LineLink
	if link == "" {
		link, lineLink = strings.TrimSuffix(r.URL, "/")+"/blob/{commit}/{path}", "#L{line}"
	}
	if line > 0 {
		link += lineLink
	}
	segs := strings.Split(path, "/")
	qsegs := make([]string, len(segs))
	for i, s := range segs {
		segs[i], qsegs[i] = url.PathEscape(s), url.QueryEscape(s)
	}
	return strings.NewReplacer(
		"{commit}", url.PathEscape(commit),
		"{path}", strings.Join(segs, "/"),
		"{qpath}", strings.Join(qsegs, "/"),
		"{line}", lineText,
	).Replace(link)
}

// Branch is the state of one (repo, branch): every location for Commit is
// in the index. It is written after the locations, so a killed crawl leaves
// the previous state and the next crawl redoes the work.
type Branch struct {
	Repo      string    `json:"repo"`
	Name      string    `json:"name"`
	Commit    string    `json:"commit"`
	Settings  string    `json:"settings"` // fingerprint of the file settings the locations were computed with
	CrawledAt time.Time `json:"crawled_at"`
	Meta      Repo      `json:"meta"`
	// Counts are the branch's totals at Commit, computed by the crawl that
	// wrote the state, so that status pages never list locations to count
	// them. Nil in states written before counts existed.
	Counts *BranchCounts `json:"counts,omitempty"`
}

// BranchCounts totals the locations of one branch head.
type BranchCounts struct {
	Files   int            `json:"files"`             // indexed locations
	Bytes   int64          `json:"bytes"`             // size of the indexed locations
	Skipped map[string]int `json:"skipped,omitempty"` // skipped locations by reason
}

// Add counts one location of the branch.
func (c *BranchCounts) Add(l Location) {
	if l.Skip == "" {
		c.Files++
		c.Bytes += l.Size
		return
	}
	if c.Skipped == nil {
		c.Skipped = map[string]int{}
	}
	c.Skipped[l.Skip]++
}

// Remove takes one location that Add counted out again.
func (c *BranchCounts) Remove(l Location) {
	if l.Skip == "" {
		c.Files--
		c.Bytes -= l.Size
		return
	}
	if c.Skipped[l.Skip] <= 1 {
		delete(c.Skipped, l.Skip) // a no-op on a nil map
		return
	}
	c.Skipped[l.Skip]--
}

// Clone returns a copy that shares nothing with c.
func (c *BranchCounts) Clone() BranchCounts {
	d := *c
	d.Skipped = maps.Clone(c.Skipped)
	return d
}

// SkippedTotal is the number of skipped locations.
func (c *BranchCounts) SkippedTotal() int {
	n := 0
	for _, v := range c.Skipped {
		n += v
	}
	return n
}

// Key identifies the branch.
func (b Branch) Key() BranchKey { return BranchKey{Repo: b.Repo, Name: b.Name} }

// BranchKey identifies one (repo, branch).
type BranchKey struct {
	Repo, Name string
}

// Dependency is one dependency record of docs/design.md §7. Package deps
// defines it, since it is what parsing manifests produces; the index stores
// and answers it.
type Dependency = deps.Dependency

// BranchDeps replaces every dependency record of one branch.
type BranchDeps struct {
	Branch BranchKey
	Deps   []Dependency
}

// Changes is one unit of writing. A backend applies it in this order:
// blobs, location deletes, location puts, branch deletes, dependency
// replacements, branch states. A backend that cannot apply it atomically
// must at least make the branch states durable only after everything
// before them.
type Changes struct {
	Blobs          []Blob
	DeleteLocs     []LocationKey
	PutLocs        []Location
	DeleteBranches []BranchKey // the state, every location and every dependency of the branch
	PutDeps        []BranchDeps
	PutBranches    []Branch
}

// Size estimates the bytes c holds, for batching by bytes.
func (c *Changes) Size() int {
	n := 0
	for _, b := range c.Blobs {
		n += len(b.Text) + 4*len(b.Trigrams) + 64
	}
	for _, l := range c.PutLocs {
		n += len(l.Repo) + len(l.Branch) + len(l.Path) + 96
	}
	for _, k := range c.DeleteLocs {
		n += len(k.Repo) + len(k.Branch) + len(k.Path) + 16
	}
	for _, d := range c.PutDeps {
		n += 160 * len(d.Deps)
	}
	return n + 256*(len(c.PutBranches)+len(c.DeleteBranches)+len(c.PutDeps))
}

// Empty reports whether c holds nothing to write.
func (c *Changes) Empty() bool {
	return len(c.Blobs) == 0 && len(c.DeleteLocs) == 0 && len(c.PutLocs) == 0 &&
		len(c.DeleteBranches) == 0 && len(c.PutBranches) == 0 && len(c.PutDeps) == 0
}

// Skipped selects locations by whether they were indexed.
type Skipped uint8

const (
	IndexedOnly Skipped = iota // locations whose blob is indexed (the default)
	SkippedOnly                // locations with a skip reason
	AnySkipped                 // both
)

// LocationQuery selects locations. Nil slices mean no restriction.
type LocationQuery struct {
	Blobs    []string    // only locations of these blobs
	Branches []BranchKey // only locations on these branches
	Paths    []string    // only these exact paths
	Skipped  Skipped
}

// DepQuery selects dependency records. Empty fields mean no restriction.
type DepQuery struct {
	Names     []string    // exact names (groupId:artifactId, @scope/name, module path...)
	Ecosystem string      // exact purl type
	Branches  []BranchKey // only these branches
}

// ErrNotFound is returned for a blob or branch the index does not hold.
var ErrNotFound = errors.New("not found")

// Stats describes the stored index.
type Stats struct {
	Blobs     int   `json:"blobs"`
	Locations int   `json:"locations"`
	Branches  int   `json:"branches"`
	DiskBytes int64 `json:"disk_bytes"`
}

// Index is a storage backend. Implementations are safe for concurrent use:
// reads run concurrently with each other and with one writer.
type Index interface {
	ComplianceStore // compliance results and history (compliance.go)
	// HasBlobs returns the subset of ids already stored.
	HasBlobs(ctx context.Context, ids []string) (map[string]bool, error)
	// Commit writes c (see Changes for the order).
	Commit(ctx context.Context, c *Changes) error
	// Branches returns every branch state.
	Branches(ctx context.Context) ([]Branch, error)
	// Locations streams the locations q selects, ordered by blob id, then
	// repo, branch and path. fn returning an error stops the stream and
	// Locations returns that error.
	Locations(ctx context.Context, q LocationQuery, fn func(Location) error) error
	// Paths calls fn once for every distinct path of a stored location, in
	// no particular order. It may also report paths that no location holds
	// any more (a term dictionary keeps the terms of deleted documents until
	// a merge) but never leaves out a stored one, so callers may use it only
	// to narrow LocationQuery.Paths. fn returning an error stops the stream
	// and Paths returns that error.
	Paths(ctx context.Context, fn func(path string) error) error
	// MatchBlobs streams, in no particular order, the id of every stored blob
	// whose trigram set satisfies q; q is never trigram.OpAll (callers list
	// locations instead). Returning an error from fn stops the stream.
	MatchBlobs(ctx context.Context, q *trigram.Query, fn func(id string) error) error
	// Deps streams the dependency records q selects, ordered by repo,
	// branch, path, line and name.
	Deps(ctx context.Context, q DepQuery, fn func(Dependency) error) error
	// BlobText returns the text of a stored blob, or ErrNotFound.
	BlobText(ctx context.Context, id string) ([]byte, error)
	// ScanBlobs calls fn with the id and text of every stored blob, in no
	// particular order; text is valid only during the call. It is for
	// integrity checks (trawl verify), which read every text once. fn
	// returning an error stops the stream and ScanBlobs returns that error.
	ScanBlobs(ctx context.Context, fn func(id string, text []byte) error) error
	// CollectGarbage deletes every blob no location points to and returns
	// how many it deleted.
	CollectGarbage(ctx context.Context) (int, error)
	// SetDirty records (true) or clears (false) that a crawl is writing, so
	// the next crawl knows a previous one was killed and collects garbage.
	SetDirty(ctx context.Context, dirty bool) error
	// Dirty reports whether a crawl was writing and did not finish.
	Dirty(ctx context.Context) (bool, error)
	// Stats describes the stored index.
	Stats(ctx context.Context) (Stats, error)
	// Close releases the index. Writes committed before Close are durable.
	Close() error
}

// Compactor is implemented by a backend whose storage a crawl leaves in many
// pieces that it can rewrite into few: the embedded Bleve index, whose
// segments a crawl writes batch by batch. Fewer pieces make queries faster
// and the index smaller. The crawler calls Compact after every crawl that
// wrote, and the backend decides whether the rewrite is worth its cost.
// Elasticsearch merges its own segments and does not implement it.
type Compactor interface {
	// Compact rewrites the index into as few pieces as it can when enough
	// of it lies outside the largest piece, or whenever force is set, and
	// reports what it found and did. Readers go on meanwhile; writers wait.
	Compact(ctx context.Context, force bool) (Compaction, error)
}

// Compaction reports one call of Compactor.Compact.
type Compaction struct {
	Merged bool `json:"merged"`
	// Reason says why the index was or was not rewritten.
	Reason         string        `json:"reason"`
	SegmentsBefore int           `json:"segments_before"`
	SegmentsAfter  int           `json:"segments_after"`
	BytesBefore    int64         `json:"bytes_before"`
	BytesAfter     int64         `json:"bytes_after"`
	Duration       time.Duration `json:"duration_ns"`
}
