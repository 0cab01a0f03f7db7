package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A server that answers like a cluster but does not say it is
// Elasticsearch (OpenSearch, a stray proxy) is refused at Open with a
// clear error; the same answers with the header are accepted.
func TestProductCheck(t *testing.T) {
	for _, genuine := range []bool{false, true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if genuine {
				w.Header().Set("X-Elastic-Product", "Elasticsearch")
			}
			w.Header().Set("Content-Type", "application/json")
			switch {
			case strings.HasPrefix(r.URL.Path, "/_cluster/health"):
				w.Write([]byte(`{"status":"green"}`))
			case r.Method == http.MethodPut:
				w.Write([]byte(`{"acknowledged":true}`))
			case strings.HasSuffix(r.URL.Path, "/_mapping"):
				w.Write([]byte(`{}`)) // none of the indices exists yet
			default:
				http.NotFound(w, r)
			}
		}))
		_, err := Open(context.Background(), Options{Addresses: []string{srv.URL}, IndexPrefix: "p"})
		srv.Close()
		if genuine && err != nil {
			t.Errorf("genuine server: %v", err)
		}
		if !genuine && (!errors.Is(err, errNotElasticsearch) || !strings.Contains(err.Error(), srv.URL)) {
			t.Errorf("server without X-Elastic-Product: got %v, want %v naming %s", err, errNotElasticsearch, srv.URL)
		}
	}
}

func TestCloudAddress(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		// name:base64("us-east-1.aws.found.io$abc$def")
		{"my:dXMtZWFzdC0xLmF3cy5mb3VuZC5pbyRhYmMkZGVm", "https://abc.us-east-1.aws.found.io"},
		// name:base64("h:9243$u")
		{"x:aDo5MjQzJHU=", "https://u.h:9243"},
		{"nocolon", ""},
		{"a:%%%", ""},
		{"a:" + "aG9zdA==", ""}, // "host": no uuid
	} {
		got, err := cloudAddress(tc.id)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("cloudAddress(%q) = %q, %v; want %q", tc.id, got, err, tc.want)
		}
	}
}

func FuzzCloudAddress(f *testing.F) {
	f.Fuzz(func(t *testing.T, id string) {
		addr, err := cloudAddress(id)
		if err != nil {
			return
		}
		if !strings.HasPrefix(addr, "https://") || len(addr) <= len("https://") {
			t.Fatalf("cloudAddress(%q) = %q", id, addr)
		}
		if _, err := newClient(Options{CloudID: id}); err != nil && !strings.Contains(err.Error(), "addresses[") {
			t.Fatalf("newClient with cloud id %q: %v", id, err)
		}
	})
}

// TestCompress checks, against a real node, that answers come
// uncompressed unless Options.Compress asks for gzip: a node compresses
// every answer a client accepts gzip for, and net/http accepts it unless
// told otherwise.
func TestCompress(t *testing.T) {
	cfg := esConfig(t)
	for _, compress := range []bool{false, true} {
		cfg.Compress = compress
		c, err := newClient(cfg)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.do(context.Background(), clusterHealth("yellow", 10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var health struct{ Status string }
		err = json.NewDecoder(res.Body).Decode(&health)
		res.Body.Close()
		c.Close(context.Background())
		if err != nil || health.Status == "" {
			t.Fatalf("compress %v: health answer %+v, %v", compress, health, err)
		}
		// Uncompressed is set when net/http took gzip off the answer.
		if res.Uncompressed != compress {
			t.Errorf("compress %v: answer was gzipped: %v", compress, res.Uncompressed)
		}
	}
}
