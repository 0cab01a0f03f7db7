// Package estest gives tests a place of their own on the Elasticsearch
// node named by TRAWL_ES_URL (bash scripts/elasticsearch.sh start), and
// removes it afterwards: test runs must not pile up shards until the node
// refuses new indices (1,000 by default).
package estest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"testing"
)

// URL is the node's address, "" when the tests run without one.
func URL() string { return os.Getenv("TRAWL_ES_URL") }

// Prefix is a fresh index prefix; every index under it is deleted when
// the test ends.
func Prefix(t testing.TB) string {
	prefix := fmt.Sprintf("trawltest-%x", rand.Uint64())
	t.Cleanup(func() { deleteIndices(t, prefix) })
	return prefix
}

// deleteIndices drops the indices under prefix. Wildcard deletes are
// refused by default, so each index is named.
func deleteIndices(t testing.TB, prefix string) {
	resp, err := http.Get(URL() + "/_cat/indices/" + prefix + "-*?h=index")
	if err != nil {
		t.Logf("list test indices: %v", err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	names := strings.Fields(string(body))
	if len(names) == 0 {
		return
	}
	req, _ := http.NewRequest(http.MethodDelete, URL()+"/"+strings.Join(names, ","), nil)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Logf("delete test indices: %v", err)
	} else {
		resp.Body.Close()
	}
}
