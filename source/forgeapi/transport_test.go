package forgeapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCachedPagesKeepPagingHeaders: a forge that pages with headers
// (GitLab's X-Next-Page, Azure's continuation token) and answers 304 to a
// repeated page without repeating them still lists every page from the
// cache, also after the state file is saved and read back.
func TestCachedPagesKeepPagingHeaders(t *testing.T) {
	calls, notModified := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		etag := fmt.Sprintf(`"p%d"`, page)
		if r.Header.Get("If-None-Match") == etag {
			notModified++
			w.WriteHeader(http.StatusNotModified) // no paging headers, as forges may answer
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Set-Cookie", "session=secret")
		if page < 3 {
			w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
			w.Header().Set("X-Ms-Continuationtoken", "tok"+strconv.Itoa(page+1))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `[%d]`, page)
	}))
	defer srv.Close()
	path := t.TempDir() + "/state.json"
	list := func(st *State) []string {
		c := &http.Client{Transport: NewTransport(Options{Forge: "Test", State: st, Sleep: func(context.Context, time.Duration) error { return nil }})}
		var got []string
		for page := 1; page != 0; {
			var v []int
			h, err := GetJSON(context.Background(), c, fmt.Sprintf("%s/items?page=%d", srv.URL, page), &v)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprint(v), h.Get("X-Ms-Continuationtoken"))
			page, _ = strconv.Atoi(h.Get("X-Next-Page"))
		}
		return got
	}
	st := LoadState(path)
	first := list(st)
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	second := list(LoadState(path))
	if fmt.Sprint(first) != fmt.Sprint(second) || len(first) != 6 {
		t.Errorf("from the cache the listing is %v, first %v", second, first)
	}
	if notModified != 3 {
		t.Errorf("%d answers 304, want 3 (every page of the second listing)", notModified)
	}
	if data, _ := os.ReadFile(path); strings.Contains(string(data), "secret") {
		t.Error("the state file holds a cookie")
	}
}
