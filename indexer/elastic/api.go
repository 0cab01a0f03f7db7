package elastic

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// request is one call of the Elasticsearch REST API.
type request struct {
	method string
	// path holds the segments unescaped; a segment may name several
	// indices joined by commas.
	path   []string
	query  url.Values
	body   io.Reader
	ndjson bool // the body is newline-delimited JSON (_bulk)
}

// target is the escaped path and query of r.
func (r request) target() string {
	var b strings.Builder
	for _, s := range r.path {
		b.WriteByte('/')
		// Commas stay as they are: they separate the names of a
		// multi-index segment, and index names cannot hold one.
		b.WriteString(strings.ReplaceAll(url.PathEscape(s), "%2C", ","))
	}
	if len(r.query) > 0 {
		b.WriteByte('?')
		b.WriteString(r.query.Encode())
	}
	return b.String()
}

// do sends r. The caller closes the body of the answer, which check and
// decode do.
func (c *client) do(ctx context.Context, r request) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, r.method, r.target(), r.body)
	if err != nil {
		return nil, err
	}
	if r.body != nil {
		ct := "application/json"
		if r.ndjson {
			ct = "application/x-ndjson"
		}
		req.Header.Set("Content-Type", ct)
	}
	if c.identity {
		req.Header.Set("Accept-Encoding", "identity")
	}
	return c.perform(req)
}

// The requests the backend sends. query carries the optional parameters,
// named as in the REST API reference.

func clusterHealth(waitForStatus string, timeout time.Duration) request {
	return request{method: http.MethodGet, path: []string{"_cluster", "health"}, query: url.Values{
		"wait_for_status": {waitForStatus},
		"timeout":         {strconv.FormatInt(timeout.Milliseconds(), 10) + "ms"},
	}}
}

func createIndex(index string, body io.Reader) request {
	return request{method: http.MethodPut, path: []string{index}, body: body}
}

func getMapping(index string) request {
	return request{method: http.MethodGet, path: []string{index, "_mapping"}}
}

func putMapping(index string, body io.Reader) request {
	return request{method: http.MethodPut, path: []string{index, "_mapping"}, body: body}
}

func refreshIndices(indices ...string) request {
	return request{method: http.MethodPost, path: []string{strings.Join(indices, ","), "_refresh"}}
}

// indexStats asks for one metric (store, docs, ...) of indices.
func indexStats(metric string, indices ...string) request {
	return request{method: http.MethodGet, path: []string{strings.Join(indices, ","), "_stats", metric}}
}

func getDoc(index, id string, query url.Values) request {
	return request{method: http.MethodGet, path: []string{index, "_doc", id}, query: query}
}

func putDoc(index, id string, body io.Reader, query url.Values) request {
	return request{method: http.MethodPut, path: []string{index, "_doc", id}, query: query, body: body}
}

func deleteDoc(index, id string, query url.Values) request {
	return request{method: http.MethodDelete, path: []string{index, "_doc", id}, query: query}
}

func multiGet(index string, body io.Reader, query url.Values) request {
	return request{method: http.MethodPost, path: []string{index, "_mget"}, query: query, body: body}
}

// bulkWrite sends a _bulk body, whose action lines name their indices.
func bulkWrite(body io.Reader) request {
	return request{method: http.MethodPost, path: []string{"_bulk"}, body: body, ndjson: true}
}

func searchIndex(index string, body io.Reader) request {
	return request{method: http.MethodPost, path: []string{index, "_search"}, body: body}
}

func countDocs(index string, body io.Reader) request {
	return request{method: http.MethodPost, path: []string{index, "_count"}, body: body}
}
