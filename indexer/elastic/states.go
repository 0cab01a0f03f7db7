package elastic

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/trawl-dev/trawl/indexer"
)

// generationID is the document of the branches index whose token changes
// with every commit that changes a branch state.
const generationID = "meta:generation"

// branchCacheTTL bounds how long a cached list of branch states is used
// under an unchanged token. Every commit of this code changes the token,
// but an older trawl writing to the same indices does not, nor does a
// commit that failed between its branch states and its token; they go
// unseen for at most this long.
const branchCacheTTL = 10 * time.Second

// branchCache keeps the branch states between queries. Every query needs
// them, and listing them is a search whose cost grows with the org (1,000
// states on the bench org: 13-15 ms of a 21-24 ms selective query, in
// process); reading the generation token is one real-time get.
type branchCache struct {
	mu     sync.Mutex
	token  string
	listed time.Time // when the listing of states began
	states []indexer.Branch
	// listing admits one listing at a time, so that the queries of a busy
	// server that miss together (after a commit) wait for one listing and
	// share it rather than each listing the states.
	listing chan struct{}
}

func newBranchCache() branchCache { return branchCache{listing: make(chan struct{}, 1)} }

// get returns a copy of the cached states if they were listed under token
// less than branchCacheTTL before now.
func (c *branchCache) get(token string, now time.Time) ([]indexer.Branch, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if token == "" || token != c.token || now.Sub(c.listed) >= branchCacheTTL {
		return nil, false
	}
	return slices.Clone(c.states), true
}

// put caches states, listed from listed on under token.
func (c *branchCache) put(token string, listed time.Time, states []indexer.Branch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if token == "" || listed.Before(c.listed) {
		return
	}
	c.token, c.listed, c.states = token, listed, slices.Clone(states)
}

// Branches returns every branch state, ordered by repo and name: from the
// cache while the generation token is the one it was listed under, else by
// listing them.
//
// The token is read before the listing and the commit writes it after its
// refresh, so a listing under a token holds every state that token's
// commit wrote; one that also holds a later commit's is listed again at
// the next call, which reads the later token.
func (x *Index) Branches(ctx context.Context) ([]indexer.Branch, error) {
	token, err := x.generation(ctx)
	if err != nil {
		return nil, fmt.Errorf("list branches: %w", err)
	}
	if states, ok := x.states.get(token, time.Now()); ok {
		return states, nil
	}
	select {
	case x.states.listing <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("list branches: %w", ctx.Err())
	}
	defer func() { <-x.states.listing }()
	now := time.Now()
	if states, ok := x.states.get(token, now); ok {
		return states, nil // listed while this call waited
	}
	states, err := x.listBranches(ctx)
	if err != nil {
		return nil, err
	}
	x.states.put(token, now, states)
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

// generation reads the generation token, "" when no commit of this code
// wrote one. A get is real-time: it sees the last token written without a
// refresh.
func (x *Index) generation(ctx context.Context) (string, error) {
	res, err := x.client.do(ctx, getDoc(x.branches, generationID, nil))
	if err == nil && res.StatusCode == http.StatusNotFound {
		res.Body.Close()
		return "", nil
	}
	var doc struct {
		Source struct {
			Generation string `json:"generation"`
		} `json:"_source"`
	}
	if err := decode(res, err, &doc); err != nil {
		return "", fmt.Errorf("read generation in %s: %w", x.branches, err)
	}
	return doc.Source.Generation, nil
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
