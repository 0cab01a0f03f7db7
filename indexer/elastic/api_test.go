package elastic

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// sent is what a test server saw of one request.
type sent struct {
	method, target, contentType, body string
}

// recorder is a server that answers every request with status and body,
// as Elasticsearch, and records what it was sent.
func recorder(t *testing.T, status int, answer string) (*client, *[]sent) {
	t.Helper()
	var got []sent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got = append(got, sent{r.Method, r.RequestURI, r.Header.Get("Content-Type"), string(body)})
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	c, err := newClient(Options{Addresses: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c, &got
}

// The requests reach the server with the paths and parameters of the REST
// API: segments escaped (an id may hold any character), index lists
// joined by bare commas, bodies typed.
func TestRequests(t *testing.T) {
	for _, tc := range []struct {
		req  request
		want sent
	}{
		{getDoc("blobs", "a/b?c#d%e f,g+h", url.Values{"_source_includes": {"text"}}),
			sent{"GET", "/blobs/_doc/a%2Fb%3Fc%23d%25e%20f,g+h?_source_includes=text", "", ""}},
		{putDoc("lease", "writer", strings.NewReader(`{"a":1}`), url.Values{"if_seq_no": {"7"}, "if_primary_term": {"2"}, "refresh": {"true"}}),
			sent{"PUT", "/lease/_doc/writer?if_primary_term=2&if_seq_no=7&refresh=true", "application/json", `{"a":1}`}},
		{deleteDoc("lease", "writer-3", url.Values{"refresh": {"true"}}),
			sent{"DELETE", "/lease/_doc/writer-3?refresh=true", "", ""}},
		{refreshIndices("p-blobs", "p-locations"), sent{"POST", "/p-blobs,p-locations/_refresh", "", ""}},
		{indexStats("store", "p-blobs", "p-deps"), sent{"GET", "/p-blobs,p-deps/_stats/store", "", ""}},
		{clusterHealth("yellow", 30*time.Second), sent{"GET", "/_cluster/health?timeout=30000ms&wait_for_status=yellow", "", ""}},
		{bulkWrite(strings.NewReader("{}\n")), sent{"POST", "/_bulk", "application/x-ndjson", "{}\n"}},
		{multiGet("p-blobs", strings.NewReader(`{"ids":["x"]}`), url.Values{"_source": {"false"}}),
			sent{"POST", "/p-blobs/_mget?_source=false", "application/json", `{"ids":["x"]}`}},
		{searchIndex("p.x_y-1", strings.NewReader(`{}`)), sent{"POST", "/p.x_y-1/_search", "application/json", `{}`}},
	} {
		c, got := recorder(t, http.StatusOK, `{}`)
		res, err := c.do(context.Background(), tc.req)
		if err := check(res, err); err != nil {
			t.Fatalf("%+v: %v", tc.req, err)
		}
		res.Body.Close()
		if len(*got) != 1 || (*got)[0] != tc.want {
			t.Errorf("sent %+v, want %+v", *got, tc.want)
		}
	}
}

// An error answer becomes an *esError with the status, type and reason
// the cluster gave; an answer that is not an error document keeps its
// text as the reason.
func TestErrorAnswer(t *testing.T) {
	for _, tc := range []struct {
		status int
		answer string
		want   esError
	}{
		{409, `{"error":{"type":"version_conflict_engine_exception","reason":"[writer]: version conflict"},"status":409}`,
			esError{409, "version_conflict_engine_exception", "[writer]: version conflict"}},
		{400, "Bad Request\n", esError{400, "", "Bad Request"}},
		{404, `{"error":"no handler found"}`, esError{404, "", `"no handler found"`}},
	} {
		c, _ := recorder(t, tc.status, tc.answer)
		res, err := c.do(context.Background(), getDoc("i", "d", nil))
		var answer struct{}
		err = decode(res, err, &answer)
		var ee *esError
		if !errors.As(err, &ee) || *ee != tc.want {
			t.Errorf("answer %d %q: error %#v, want %#v", tc.status, tc.answer, err, tc.want)
		}
	}
}
