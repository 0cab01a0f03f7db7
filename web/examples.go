package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/trawl-dev/trawl/indexer"
)

// Example is one query the empty search page offers, computed from what
// the index holds rather than written in the page: a newcomer sees
// questions that have answers here.
type Example struct {
	Kind  string `json:"kind"` // dependency, path or config
	Query string `json:"query"`
	Why   string `json:"why"`
}

// Bounds of the example computation: it runs on the request path, so it
// reads a sample, never the whole index. Each bound only makes an example
// less interesting, never wrong: every example is a query that matches.
const (
	exampleMaxDeps        = 20_000 // dependency records read to pick one with several versions
	exampleMaxConfigPaths = 200    // configuration paths whose locations are read
	exampleMaxLocations   = 50_000 // locations read for those paths
	exampleMaxConfigFiles = 8      // (repo, path) pairs whose blob texts are compared
	exampleMaxBlobs       = 6      // blobs read per pair
	exampleTTL            = time.Minute
)

// ownerFiles are the well-known files whose presence or absence a
// newcomer asks about first, most telling first.
var ownerFiles = []string{"CODEOWNERS", "Dockerfile", "pom.xml", "package.json", "go.mod", "Jenkinsfile", ".gitlab-ci.yml"}

// configPath selects files whose key/value lines the config example reads.
var configPath = regexp.MustCompile(`\.(ya?ml|properties|toml|ini|conf|env)$`)

// keyValue is one "key: value" or "key=value" line.
var keyValue = regexp.MustCompile(`^\s*([A-Za-z0-9_][A-Za-z0-9_.\-]*)\s*([:=])\s*(\S.*?)\s*$`)

// errEnough stops a stream once a bound is reached.
var errEnough = errors.New("enough")

// examples computes and caches the examples of one index. The cache is
// keyed by the branch states, so a crawl that changes anything refreshes it.
type examples struct {
	idx indexer.Index

	mu   sync.Mutex
	key  string
	at   time.Time
	list []Example
}

func newExamples(idx indexer.Index) *examples { return &examples{idx: idx} }

// handle answers GET /api/examples: {"examples": [...]}.
func (e *examples) handle(w http.ResponseWriter, r *http.Request) {
	list, err := e.get(r.Context())
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			writeError(w, http.StatusGatewayTimeout, "examples: timed out")
			return
		}
		writeError(w, http.StatusInternalServerError, "examples: internal error")
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Examples []Example `json:"examples"`
	}{list})
}

func (e *examples) get(ctx context.Context) ([]Example, error) {
	branches, err := e.idx.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("list branches: %w", err)
	}
	key := branchesKey(branches)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.list != nil && e.key == key && time.Since(e.at) < exampleTTL {
		return e.list, nil
	}
	list, err := computeExamples(ctx, e.idx, branches)
	if err != nil {
		return nil, err
	}
	e.key, e.at, e.list = key, time.Now(), list
	return list, nil
}

func branchesKey(branches []indexer.Branch) string {
	var b strings.Builder
	for _, br := range branches {
		b.WriteString(br.Repo + "@" + br.Name + "=" + br.Commit + "\n")
	}
	return b.String()
}

func computeExamples(ctx context.Context, idx indexer.Index, branches []indexer.Branch) ([]Example, error) {
	list := []Example{}
	if len(branches) == 0 {
		return list, nil
	}
	if ex, err := dependencyExample(ctx, idx); err != nil {
		return nil, err
	} else if ex != nil {
		list = append(list, *ex)
	}
	paths, err := samplePaths(ctx, idx)
	if err != nil {
		return nil, err
	}
	if ex := pathExample(paths, branches); ex != nil {
		list = append(list, *ex)
	}
	if ex, err := configExample(ctx, idx, paths); err != nil {
		return nil, err
	} else if ex != nil {
		list = append(list, *ex)
	}
	return list, nil
}

// dependencyExample picks the dependency declared in the most versions
// (then on the most branches): the question "who still uses the old one".
func dependencyExample(ctx context.Context, idx indexer.Index) (*Example, error) {
	type use struct {
		dep      indexer.Dependency
		versions map[string]bool
		branches map[indexer.BranchKey]bool
	}
	uses := map[string]*use{}
	n := 0
	err := idx.Deps(ctx, indexer.DepQuery{}, func(d indexer.Dependency) error {
		if n++; n > exampleMaxDeps {
			return errEnough
		}
		if searchNeedle(d) == "" {
			return nil
		}
		u := uses[d.Name]
		if u == nil {
			u = &use{dep: d, versions: map[string]bool{}, branches: map[indexer.BranchKey]bool{}}
			uses[d.Name] = u
		}
		v := d.ResolvedVersion
		if v == "" {
			v = d.Version
		}
		u.versions[v] = true
		u.branches[indexer.BranchKey{Repo: d.Repo, Name: d.Branch}] = true
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, fmt.Errorf("read dependencies: %w", err)
	}
	var best *use
	for _, u := range uses {
		if best == nil || len(u.versions) > len(best.versions) ||
			len(u.versions) == len(best.versions) && (len(u.branches) > len(best.branches) ||
				len(u.branches) == len(best.branches) && u.dep.Name < best.dep.Name) {
			best = u
		}
	}
	if best == nil {
		return nil, nil
	}
	q := quoteQuery(searchNeedle(best.dep)) + " file:" + regexp.QuoteMeta(path.Base(best.dep.Path)) + "$"
	return &Example{Kind: "dependency", Query: q,
		Why: fmt.Sprintf("%s: %d versions on %d branches (trawl deps %s)", best.dep.Name, len(best.versions), len(best.branches), best.dep.Name)}, nil
}

// searchNeedle is the text a manifest holds for d: Maven manifests name
// the artifact apart from its group, the others write the name whole.
func searchNeedle(d indexer.Dependency) string {
	switch d.Ecosystem {
	case "maven", "gradle":
		_, artifact, ok := strings.Cut(d.Name, ":")
		if !ok {
			return ""
		}
		return artifact
	}
	return d.Name
}

// samplePaths returns up to exampleMaxConfigPaths configuration paths and
// the base names of every path, with how many distinct paths have each.
type pathSample struct {
	config []string
	bases  map[string]int
}

func samplePaths(ctx context.Context, idx indexer.Index) (*pathSample, error) {
	s := &pathSample{bases: map[string]int{}}
	err := idx.Paths(ctx, func(p string) error {
		s.bases[path.Base(p)]++
		if len(s.config) < exampleMaxConfigPaths && configPath.MatchString(p) &&
			!strings.HasPrefix(p, ".github/") && !strings.Contains(p, "lock") {
			s.config = append(s.config, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list paths: %w", err)
	}
	sort.Strings(s.config)
	return s, nil
}

// pathExample lists a well-known file on the default branches: which
// repositories have one, and by elimination which do not.
func pathExample(s *pathSample, branches []indexer.Branch) *Example {
	name := ""
	for _, f := range ownerFiles {
		if s.bases[f] > 0 {
			name = f
			break
		}
	}
	if name == "" {
		return nil
	}
	q := "file:(^|/)" + regexp.QuoteMeta(name) + "$"
	if def := commonDefaultBranch(branches); def != "" {
		q += " branch:^" + regexp.QuoteMeta(def) + "$"
	}
	return &Example{Kind: "path", Query: q, Why: "which repositories have a " + name + " on their default branch"}
}

// commonDefaultBranch is the default branch most repositories share.
func commonDefaultBranch(branches []indexer.Branch) string {
	count := map[string]int{}
	seen := map[string]bool{}
	for _, b := range branches {
		if b.Meta.DefaultBranch != "" && !seen[b.Repo] {
			seen[b.Repo] = true
			count[b.Meta.DefaultBranch]++
		}
	}
	best := ""
	for name, n := range count {
		if best == "" || n > count[best] || n == count[best] && name < best {
			best = name
		}
	}
	return best
}

// configExample finds a configuration key whose value differs between
// branches of one repository: the question trawl answers and per-branch
// code search cannot.
func configExample(ctx context.Context, idx indexer.Index, s *pathSample) (*Example, error) {
	if len(s.config) == 0 {
		return nil, nil
	}
	type file struct{ repo, path string }
	blobs := map[file]map[string][]string{} // blob -> branches
	n := 0
	err := idx.Locations(ctx, indexer.LocationQuery{Paths: s.config}, func(l indexer.Location) error {
		if n++; n > exampleMaxLocations {
			return errEnough
		}
		f := file{l.Repo, l.Path}
		if blobs[f] == nil {
			blobs[f] = map[string][]string{}
		}
		blobs[f][l.Blob] = append(blobs[f][l.Blob], l.Branch)
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, fmt.Errorf("read locations: %w", err)
	}
	var files []file
	for f, bs := range blobs {
		if len(bs) > 1 {
			files = append(files, f)
		}
	}
	// Most versions first: the likeliest to hold a key that differs.
	sort.Slice(files, func(i, j int) bool {
		a, b := files[i], files[j]
		if len(blobs[a]) != len(blobs[b]) {
			return len(blobs[a]) > len(blobs[b])
		}
		return a.repo+"\x00"+a.path < b.repo+"\x00"+b.path
	})
	if len(files) > exampleMaxConfigFiles {
		files = files[:exampleMaxConfigFiles]
	}
	for _, f := range files {
		ids := make([]string, 0, len(blobs[f]))
		for id := range blobs[f] {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		if len(ids) > exampleMaxBlobs {
			ids = ids[:exampleMaxBlobs]
		}
		key, sep, values, err := differingKey(ctx, idx, ids)
		if err != nil {
			return nil, err
		}
		if key == "" {
			continue
		}
		q := quoteQuery(key+sep) + " file:" + regexp.QuoteMeta(path.Base(f.path)) + "$"
		return &Example{Kind: "config", Query: q,
			Why: fmt.Sprintf("%s differs between branches of %s: %s", key, f.repo, strings.Join(values, ", "))}, nil
	}
	return nil, nil
}

// differingKey returns the first key, in file order, that every blob sets
// exactly once and not all to the same value.
func differingKey(ctx context.Context, idx indexer.Index, ids []string) (key, sep string, values []string, err error) {
	var order []string
	per := make([]map[string]setting, 0, len(ids))
	for _, id := range ids {
		text, err := idx.BlobText(ctx, id)
		if errors.Is(err, indexer.ErrNotFound) {
			continue // a skipped file has a location but no text
		}
		if err != nil {
			return "", "", nil, fmt.Errorf("read blob %s: %w", id, err)
		}
		keys, m := parseSettings(text)
		if len(per) == 0 {
			order = keys // the first readable blob's order
		}
		per = append(per, m)
	}
	if len(per) < 2 {
		return "", "", nil, nil
	}
	for _, k := range order {
		var vals []string
		ok := true
		for _, m := range per {
			s, has := m[k]
			if !has {
				ok = false
				break
			}
			if !slices.Contains(vals, s.value) {
				vals = append(vals, s.value)
			}
		}
		if ok && len(vals) > 1 {
			sort.Strings(vals)
			return k, per[0][k].sep, vals, nil
		}
	}
	return "", "", nil, nil
}

// setting is the separator and value of one key in a configuration file.
type setting struct{ sep, value string }

// parseSettings reads the "key: value" and "key=value" lines of a
// configuration file, in file order, leaving out comments and keys set more
// than once (nested YAML repeats leaf names; such a key names no one line).
func parseSettings(text []byte) ([]string, map[string]setting) {
	var order []string
	m := map[string]setting{}
	dup := map[string]bool{}
	for _, line := range strings.Split(string(text), "\n") {
		sm := keyValue.FindStringSubmatch(line)
		if sm == nil || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if _, ok := m[sm[1]]; ok {
			dup[sm[1]] = true
		} else {
			order = append(order, sm[1])
		}
		m[sm[1]] = setting{sm[2], sm[3]}
	}
	for k := range dup {
		delete(m, k)
	}
	kept := order[:0]
	for _, k := range order {
		if !dup[k] {
			kept = append(kept, k)
		}
	}
	return kept, m
}

// quoteQuery makes s one literal term of the query language.
func quoteQuery(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"\\()") && !strings.HasPrefix(s, "-") && !strings.HasPrefix(s, "/") &&
		!strings.EqualFold(s, "or") && !strings.Contains(s, ":") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
