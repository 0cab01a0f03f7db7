package elastic

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/trawl-dev/trawl/indexer"
)

// generationID is the document of the branches index whose token changes
// with every commit that changes a branch state.
const generationID = "meta:generation"

// branchCacheTTL bounds how long a cached list of branch states is used
// while a crawl is writing (the dirty flag is set). Every commit of this
// code changes the generation token, but an older trawl's commits do not;
// they go unseen for at most this long, and its crawl's end, which clears
// the flag, is seen at once.
const branchCacheTTL = 10 * time.Second

// branchCache keeps the branch states between queries. Every query needs
// them, and listing them is a search whose cost grows with the org (1,000
// states on the bench org: 13-15 ms of a 21-24 ms selective query, in
// process); reading what says whether they changed is one real-time
// _mget.
type branchCache struct {
	mu     sync.Mutex
	key    indexVersion
	listed time.Time // when the listing of states began
	states []indexer.Branch
	// listing admits one listing at a time, so that the queries of a busy
	// server that miss together (after a commit) wait for one listing and
	// share it rather than each listing the states.
	listing chan struct{}
}

// indexVersion is what changes when branch states may have: the
// generation token, which every commit of this code rewrites, and the
// version of the dirty flag's document, which every crawl of every trawl
// sets before its first write and clears at its end.
type indexVersion struct {
	token        string
	dirtyVersion int64
	dirty        bool
}

func newBranchCache() branchCache { return branchCache{listing: make(chan struct{}, 1)} }

// get returns a copy of the cached states if they were listed at version v
// and, while a crawl is writing, less than branchCacheTTL before now.
func (c *branchCache) get(v indexVersion, now time.Time) ([]indexer.Branch, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.states == nil || v != c.key || (v.dirty && now.Sub(c.listed) >= branchCacheTTL) {
		return nil, false
	}
	return slices.Clone(c.states), true
}

// put caches states, listed from listed on at version v.
func (c *branchCache) put(v indexVersion, listed time.Time, states []indexer.Branch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if listed.Before(c.listed) {
		return
	}
	if states == nil {
		states = []indexer.Branch{}
	}
	c.key, c.listed, c.states = v, listed, slices.Clone(states)
}

// Branches returns every branch state, ordered by repo and name: from the
// cache, or else the state file, while the index's version is the one they
// were listed at, else by listing them.
//
// The version is read before the listing and a commit writes its token
// after its refresh, so a listing at a version holds every state written
// before it; one that also holds a later commit's is listed again at the
// next call, which reads the later version.
func (x *Index) Branches(ctx context.Context) ([]indexer.Branch, error) {
	v, err := x.version(ctx)
	if err != nil {
		return nil, fmt.Errorf("list branches: %w", err)
	}
	if states, ok := x.states.get(v, time.Now()); ok {
		return states, nil
	}
	select {
	case x.states.listing <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("list branches: %w", ctx.Err())
	}
	defer func() { <-x.states.listing }()
	now := time.Now()
	if states, ok := x.states.get(v, now); ok {
		return states, nil // listed while this call waited
	}
	if states, listed, ok := x.stateFile.load(v, now); ok {
		x.states.put(v, listed, states)
		return states, nil
	}
	states, err := x.listBranches(ctx)
	if err != nil {
		return nil, err
	}
	x.states.put(v, now, states)
	x.stateFile.save(v, now, states) // a failure costs the next process a listing
	return states, nil
}

// listBranches searches for every branch state.
func (x *Index) listBranches(ctx context.Context) ([]indexer.Branch, error) {
	var out []indexer.Branch
	query := map[string]any{"term": map[string]any{"kind": kindBranch}}
	err := x.scan(ctx, x.branches, query, []string{"repo", "name"}, true, func(h hit) error {
		var d branchDoc
		if err := unmarshal(h.Source, &d); err != nil {
			return fmt.Errorf("decode branch %s: %w", h.ID, err)
		}
		out = append(out, indexer.Branch{Repo: d.Repo, Name: d.Name, Commit: d.Commit,
			Settings: d.Settings, CrawledAt: d.CrawledAt, Meta: d.Meta, Counts: d.Counts})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list branches: %w", err)
	}
	return out, nil
}

// version reads the generation token and the dirty flag's document in
// one _mget, which is real-time: it sees the last writes without a
// refresh. A missing document reads as "" or version 0.
func (x *Index) version(ctx context.Context) (indexVersion, error) {
	var v indexVersion
	res, err := x.client.do(ctx, multiGet(x.branches, jsonBody(map[string]any{"ids": []string{generationID, dirtyID}}), nil))
	var resp struct {
		Docs []struct {
			ID      string `json:"_id"`
			Found   bool   `json:"found"`
			Version int64  `json:"_version"`
			Source  struct {
				Generation string `json:"generation"`
				Dirty      bool   `json:"dirty"`
			} `json:"_source"`
		} `json:"docs"`
	}
	if err := decode(res, err, &resp); err != nil {
		return v, fmt.Errorf("read generation in %s: %w", x.branches, err)
	}
	for _, d := range resp.Docs {
		switch {
		case !d.Found:
		case d.ID == generationID:
			v.token = d.Source.Generation
		case d.ID == dirtyID:
			v.dirtyVersion, v.dirty = d.Version, d.Source.Dirty
		}
	}
	return v, nil
}

// newGeneration writes a new random generation token. A commit calls it
// once its branch states are written and refreshed.
func (x *Index) newGeneration(ctx context.Context) error {
	var b [16]byte
	rand.Read(b[:])
	res, err := x.client.do(ctx, putDoc(x.branches, generationID,
		jsonBody(map[string]any{"kind": kindMeta, "generation": hex.EncodeToString(b[:])}), nil))
	if err := check(res, err); err != nil {
		return fmt.Errorf("write generation in %s: %w", x.branches, err)
	}
	res.Body.Close()
	return nil
}

// stateFile keeps the branch states between processes. `trawl search` is
// a process of its own each time, so the memory cache never serves it,
// and listing a thousand states was about 9 ms of its 21 ms on the bench
// org. The file holds the states with the version they were listed at and
// is used under the memory cache's rules. The generation token is random,
// so a record matches only the index generation it was listed from,
// whichever address reached it; an index without a token (never committed
// by this code) is not kept in a file. A file that cannot be read or
// written costs a listing, nothing else.
type stateFile struct{ path string }

// stateRecord is the file's content, in gob, which decodes a thousand
// states in 0.4 ms where JSON took 1.2 ms of a 15 ms search process.
type stateRecord struct {
	Token        string
	DirtyVersion int64
	Dirty        bool
	Listed       time.Time
	Count        int // len(States), which gob cannot tell from nil when 0
	States       []indexer.Branch
}

// load returns the states of the file and when their listing began, if
// they were listed at version v and, while a crawl is writing, less than
// branchCacheTTL before now.
func (f *stateFile) load(v indexVersion, now time.Time) ([]indexer.Branch, time.Time, bool) {
	if f == nil || v.token == "" {
		return nil, time.Time{}, false
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, time.Time{}, false
	}
	var r stateRecord
	if gob.NewDecoder(bytes.NewReader(data)).Decode(&r) != nil || len(r.States) != r.Count ||
		(indexVersion{r.Token, r.DirtyVersion, r.Dirty}) != v || (v.dirty && now.Sub(r.Listed) >= branchCacheTTL) {
		return nil, time.Time{}, false
	}
	if r.States == nil {
		r.States = []indexer.Branch{}
	}
	return r.States, r.Listed, true
}

// save replaces the file with states listed from listed on at version v,
// through a temporary file and a rename, so that a reader sees the old
// record or the new one whole.
func (f *stateFile) save(v indexVersion, listed time.Time, states []indexer.Branch) error {
	if f == nil || v.token == "" {
		return nil
	}
	var data bytes.Buffer
	if err := gob.NewEncoder(&data).Encode(stateRecord{v.token, v.dirtyVersion, v.dirty, listed, len(states), states}); err != nil {
		return err
	}
	// The data folder of an Elasticsearch configuration may hold nothing
	// else yet.
	if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".states-*") // mode 0600
	if err != nil {
		return err
	}
	_, err = tmp.Write(data.Bytes())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
