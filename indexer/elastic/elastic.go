// Package elastic is trawl's Elasticsearch backend: an indexer.Index kept in
// four indices of an Elasticsearch 8 cluster.
//
//	{prefix}-blobs      one document per unique blob: its trigram set (an
//	                    indexed keyword array) and its text (kept in _source only)
//	{prefix}-locations  one small document per (repo, branch, path), routed by repo
//	{prefix}-branches   one document per branch state, plus the dirty flag and
//	                    the generation token (states.go)
//	{prefix}-deps       one document per dependency record, routed by repo
//	{prefix}-lease      the writer lease: who may write the other four (lease.go)
//
// The trigram query tree becomes a bool query in filter context, so clauses
// are cached and unscored; candidates and locations are paged with
// search_after. The backend needs nothing beyond the server and the HTTP
// transport: it runs on Elastic's integration-test distribution
// (scripts/elasticsearch.sh), which has no analysis-common and no
// _delete_by_query.
//
// The requests are the package's own (api.go), sent through
// elastictransport; client.go says why not go-elasticsearch's.
package elastic

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/trawl-dev/trawl/indexer"
)

// schemaVersion is stored in each index's mapping _meta; an index written
// with another schema is refused rather than misread.
const schemaVersion = 2

// Index is an indexer.Index stored in Elasticsearch. It is safe for
// concurrent use: reads run concurrently with each other and with one
// writer.
type Index struct {
	client                           *client
	blobs, locations, branches, deps string
	lease                            *lease
	states                           branchCache
	stateFile                        *stateFile // nil: states kept in memory only
}

var _ indexer.Index = (*Index)(nil)

// Index names must be lower case and may not hold these; checking early
// gives a clearer error than the server's.
var validPrefix = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// Options say which cluster to use and how. The caller resolves the
// secrets: the backend never reads the configuration file or the
// environment.
type Options struct {
	Addresses   []string // http(s) URLs of nodes; default http://127.0.0.1:9200
	CloudID     string   // Elastic Cloud deployment, instead of Addresses
	IndexPrefix string   // names the indices PREFIX-blobs, ...; default trawl
	Username    string
	Password    string // with Username: basic authentication
	APIKey      string // base64 API key, instead of Username and Password
	CACertFile  string // PEM file of the CA that signed the cluster's certificate
	// Compress asks the cluster for gzip answers. Searches read candidate
	// texts by the hundred megabytes, and compressing them costs the
	// cluster more time than it saves on a fast link: on the bench org,
	// with one node on the same two cores, "err != nil" took 7.5 s with
	// gzip and 4.5 s without. Worth it only where the link is slower than
	// the cluster compresses (about 100 MB/s a core), as to a cloud region.
	Compress bool
	// StateFile keeps the branch states between processes (stateFile);
	// "" keeps them in this process's memory only.
	StateFile string
	// ReadOnly says the process only reads (trawl search, deps, sbom,
	// skipped): Open then skips waiting for the cluster to take writes, a
	// round trip, unless an index or field is missing. Writes are not
	// refused.
	ReadOnly bool
}

// Open connects to the cluster opts names, checks that it answers, and
// creates the indices if they are absent. Secrets are never logged.
func Open(ctx context.Context, cfg Options) (*Index, error) {
	prefix := cfg.IndexPrefix
	if prefix == "" {
		prefix = "trawl"
	}
	if !validPrefix.MatchString(prefix) {
		return nil, fmt.Errorf("open elasticsearch: index_prefix %q: want lower-case letters, digits, ., _ and -", prefix)
	}
	c, err := newClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("open elasticsearch: %w", err)
	}
	x := &Index{
		client:    c,
		blobs:     prefix + "-blobs",
		locations: prefix + "-locations",
		branches:  prefix + "-branches",
		deps:      prefix + "-deps",
		lease:     newLease(prefix + "-lease"),
		states:    newBranchCache(),
	}
	if cfg.StateFile != "" {
		x.stateFile = &stateFile{path: cfg.StateFile}
	}
	where := c.where
	ok := false
	defer func() {
		if !ok {
			c.Close(context.Background())
		}
	}()
	// The root endpoint (GET /) is not served by every distribution; cluster
	// health is, and it proves the cluster can take writes. A reader needs
	// only answers, which reading the mappings proves, unless it must
	// create an index.
	ready := false
	waitReady := func() error {
		if ready {
			return nil
		}
		res, err := c.do(ctx, clusterHealth("yellow", 30*time.Second))
		if err := check(res, err); err != nil {
			return fmt.Errorf("cluster health: %w", err)
		}
		res.Body.Close()
		ready = true
		return nil
	}
	if !cfg.ReadOnly {
		if err := waitReady(); err != nil {
			return nil, fmt.Errorf("open elasticsearch at %s: %w", where, err)
		}
	}
	if err := x.ensureIndices(ctx, waitReady); err != nil {
		return nil, fmt.Errorf("open elasticsearch at %s: %w", where, err)
	}
	ok = true
	return x, nil
}

// ensureIndices checks the schema of the indices that exist, creates the
// others, and adds the fields a branches index made before them lacks,
// calling beforeWrite before its first write.
// The mappings are read in one request and nothing is written when all is
// in place: every trawl search opens the index, and creating an index
// that exists or putting a mapping is a task for the master node even
// when it changes nothing (on the bench org's node, 12 requests and 44 ms
// of each search process's start; now 2).
func (x *Index) ensureIndices(ctx context.Context, beforeWrite func() error) error {
	specs := []struct{ name, mapping string }{
		{x.blobs, blobsMapping}, {x.locations, locationsMapping}, {x.branches, branchesMapping},
		{x.deps, depsMapping}, {x.lease.index, leaseMapping},
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	got, err := x.mappings(ctx, strings.Join(names, ","))
	if err != nil {
		return err
	}
	for _, s := range specs {
		m, ok := got[s.name]
		if !ok {
			if err := beforeWrite(); err != nil {
				return err
			}
			if err := x.ensureIndex(ctx, s.name, s.mapping); err != nil {
				return err
			}
			continue
		}
		if err := m.check(s.name); err != nil {
			return err
		}
	}
	// A branches index created above may be another process's, made
	// meanwhile by a trawl that predates the fields: add them then too.
	if b, ok := got[x.branches]; !ok || b.Mappings.Properties["counts"] == nil || b.Mappings.Properties["generation"] == nil {
		if err := beforeWrite(); err != nil {
			return err
		}
		return x.addBranchFields(ctx)
	}
	return nil
}

// indexMapping is what ensureIndices reads of an index's mapping.
type indexMapping struct {
	Mappings struct {
		Meta struct {
			Schema int `json:"trawl_schema"`
		} `json:"_meta"`
		Properties map[string]json.RawMessage `json:"properties"`
	} `json:"mappings"`
}

func (m indexMapping) check(name string) error {
	if m.Mappings.Meta.Schema != schemaVersion {
		return fmt.Errorf("index %s exists with trawl schema %d, want %d: delete it or choose another index_prefix",
			name, m.Mappings.Meta.Schema, schemaVersion)
	}
	return nil
}

// mappings reads the mappings of the comma-separated indices that exist,
// by index name.
func (x *Index) mappings(ctx context.Context, indices string) (map[string]indexMapping, error) {
	req := getMapping(indices)
	req.query = url.Values{"ignore_unavailable": {"true"}}
	res, err := x.client.do(ctx, req)
	var got map[string]indexMapping
	if err := decode(res, err, &got); err != nil {
		return nil, fmt.Errorf("read mappings of %s: %w", indices, err)
	}
	return got, nil
}

// addBranchFields adds the counts and generation fields to a branches
// index made before they existed. Adding a field is allowed in place and
// repeating it is harmless, so the schema version stays.
func (x *Index) addBranchFields(ctx context.Context) error {
	res, err := x.client.do(ctx, putMapping(x.branches, strings.NewReader(
		`{"properties": {"counts": {"type": "object", "enabled": false}, "generation": {"type": "keyword", "index": false}}}`)))
	if err := check(res, err); err != nil {
		return fmt.Errorf("add fields to the mapping of %s: %w", x.branches, err)
	}
	return nil
}

// Mappings are strict so that a field this code does not know about is an
// error, not a silently guessed type. auto_expand_replicas gives a replica
// when a second node exists and keeps a single node green.
//
// The blobs index keeps the default codec. best_compression stores
// sources in blocks of about 240 KB, and a search reads candidate texts
// one at a time, each decompressing on average half a block: on the bench
// org an _mget of 256 texts (3.4 MB) took 86-107 ms, against 21-37 ms with
// the default codec, and "err != nil" fell from 7.1-7.7 to 4.9-5.7 s. The
// texts take twice the disk (the indices, merged right after a crawl,
// 0.95× of the bytes indexed instead of 0.65×). The codec is fixed when
// an index is created: indices created before keep best_compression.
const (
	blobsMapping = `{
  "settings": {"index": {"auto_expand_replicas": "0-1", "refresh_interval": "30s"}},
  "mappings": {
    "dynamic": "strict",
    "_meta": {"trawl_schema": 2},
    "_source": {"excludes": ["tri"]},
    "properties": {
      "id":    {"type": "keyword"},
      "tri":   {"type": "keyword", "index_options": "docs", "norms": false, "doc_values": false},
      "text":  {"type": "object", "enabled": false},
      "lines": {"type": "integer", "index": false, "doc_values": false}
    }
  }
}`
	locationsMapping = `{
  "settings": {"index": {"auto_expand_replicas": "0-1", "refresh_interval": "30s"}},
  "mappings": {
    "dynamic": "strict",
    "_meta": {"trawl_schema": 2},
    "_routing": {"required": true},
    "properties": {
      "repo":     {"type": "keyword"},
      "branch":   {"type": "keyword"},
      "path":     {"type": "keyword"},
      "blob":     {"type": "keyword"},
      "language": {"type": "keyword"},
      "skip":     {"type": "keyword"},
      "rb":       {"type": "keyword"},
      "size":     {"type": "long"}
    }
  }
}`
	branchesMapping = `{
  "settings": {"index": {"auto_expand_replicas": "0-1"}},
  "mappings": {
    "dynamic": "strict",
    "_meta": {"trawl_schema": 2},
    "properties": {
      "kind":       {"type": "keyword"},
      "repo":       {"type": "keyword"},
      "name":       {"type": "keyword"},
      "commit":     {"type": "keyword"},
      "settings":   {"type": "keyword"},
      "crawled_at": {"type": "date"},
      "meta":       {"type": "object", "enabled": false},
      "counts":     {"type": "object", "enabled": false},
      "dirty":      {"type": "boolean"},
      "generation": {"type": "keyword", "index": false}
    }
  }
}`
	// seq, the record's place in its branch's list, makes the sort that
	// pages dependencies unique.
	depsMapping = `{
  "settings": {"index": {"auto_expand_replicas": "0-1", "refresh_interval": "30s"}},
  "mappings": {
    "dynamic": "strict",
    "_meta": {"trawl_schema": 2},
    "_routing": {"required": true},
    "properties": {
      "repo":             {"type": "keyword"},
      "branch":           {"type": "keyword"},
      "rb":               {"type": "keyword"},
      "seq":              {"type": "integer"},
      "commit":           {"type": "keyword", "index": false, "doc_values": false},
      "path":             {"type": "keyword"},
      "line":             {"type": "integer"},
      "ecosystem":        {"type": "keyword"},
      "name":             {"type": "keyword"},
      "purl":             {"type": "keyword", "index": false, "doc_values": false},
      "version":          {"type": "keyword"},
      "resolved_version": {"type": "keyword"},
      "version_source":   {"type": "keyword", "index": false, "doc_values": false},
      "scope":            {"type": "keyword"},
      "direct":           {"type": "boolean", "index": false, "doc_values": false}
    }
  }
}`
)

// ensureIndex creates name with body unless it exists, and refuses an
// existing index written with another schema.
func (x *Index) ensureIndex(ctx context.Context, name, body string) error {
	res, err := x.client.do(ctx, createIndex(name, strings.NewReader(body)))
	err = check(res, err)
	var ee *esError
	switch {
	case err == nil:
		res.Body.Close()
		return nil
	case errors.As(err, &ee) && ee.Type == "resource_already_exists_exception":
	default:
		return fmt.Errorf("create index %s: %w", name, err)
	}
	// Another process created it since the mappings were read.
	got, err := x.mappings(ctx, name)
	if err != nil {
		return err
	}
	for _, m := range got {
		if err := m.check(name); err != nil {
			return err
		}
	}
	return nil
}

// Close releases the writer lease, if this Index took it, and the client.
// Every committed write is already durable in the cluster.
func (x *Index) Close() error {
	x.releaseLease()
	return x.client.Close(context.Background())
}

// esError is an error answer of Elasticsearch.
type esError struct {
	Status int
	Type   string
	Reason string
}

func (e *esError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("status %d: %s", e.Status, e.Reason)
	}
	return fmt.Sprintf("status %d: %s: %s", e.Status, e.Type, e.Reason)
}

// check turns a failed request or an error answer into an error and closes
// the body of an error answer.
func check(res *http.Response, err error) error {
	if err != nil {
		return err
	}
	if res.StatusCode < 300 {
		return nil
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	e := &esError{Status: res.StatusCode}
	var parsed struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &parsed) == nil && len(parsed.Error) > 0 {
		var detail struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		}
		if json.Unmarshal(parsed.Error, &detail) == nil && detail.Type != "" {
			e.Type, e.Reason = detail.Type, detail.Reason
			return e
		}
		e.Reason = string(parsed.Error)
		return e
	}
	e.Reason = strings.TrimSpace(string(body))
	return e
}

// decode checks res and decodes its JSON body into v.
func decode(res *http.Response, err error, v any) error {
	if err := check(res, err); err != nil {
		return err
	}
	defer res.Body.Close()
	if err := jsonv2.UnmarshalRead(res.Body, v, lenient); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}

// Answers are decoded with the v2 JSON implementation
// (github.com/go-json-experiment/json, encoding/json's successor), which
// reads strings at about twice encoding/json's speed: encoding/json reads
// each one three times (to find the value's end, to decode it, to unquote
// it). Searches decode megabytes of texts and thousands of hits (an _mget
// answer of 53 texts of net/http, 1.2 MB: 4.0-4.5 ms against 8-10 ms; the
// 1,000 branch states of the bench org, 510 KB, were 9 ms of a search
// process). lenient keeps encoding/json's tolerance of what Elasticsearch
// does not send: invalid UTF-8, duplicate names, names in another case.
var lenient = jsonv2.JoinOptions(jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true), jsonv2.MatchCaseInsensitiveNames(true))

// unmarshal decodes one value of an answer, such as a hit's _source, as
// decode does.
func unmarshal(data []byte, v any) error { return jsonv2.Unmarshal(data, v, lenient) }

// jsonBody encodes v for a request body.
func jsonBody(v any) *bytes.Reader {
	b, err := json.Marshal(v)
	if err != nil {
		// Only this package's own maps and structs are encoded.
		panic(err)
	}
	return bytes.NewReader(b)
}

// Document ids must stay under 512 bytes while paths need not, so keys are
// hashed.
func locationID(k indexer.LocationKey) string {
	return hashID(k.Repo, k.Branch, k.Path)
}

func branchID(k indexer.BranchKey) string {
	return hashID(k.Repo, k.Name)
}

func depID(k indexer.BranchKey, seq int) string {
	return hashID(k.Repo, k.Name, strconv.Itoa(seq))
}

func hashID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

// rb is the keyword that selects every location of one branch.
func rb(repo, branch string) string { return repo + "\x00" + branch }
