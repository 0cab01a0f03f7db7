package forgeapitest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"
)

func TestAnswersAreOneShotInOrder(t *testing.T) {
	var q Answers
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	if q.Serve(httptest.NewRecorder(), r) {
		t.Fatal("an empty queue answered")
	}
	q.Add(func(w http.ResponseWriter, _ *http.Request) bool { w.WriteHeader(http.StatusTeapot); return true })
	q.Add(func(http.ResponseWriter, *http.Request) bool { return false })
	w := httptest.NewRecorder()
	if !q.Serve(w, r) || w.Code != http.StatusTeapot {
		t.Fatalf("first answer: code %d", w.Code)
	}
	if q.Serve(httptest.NewRecorder(), r) {
		t.Error("the second answer declined, yet Serve says answered")
	}
	if q.Next() != nil {
		t.Error("answers left after both were taken")
	}
}

func TestCalls(t *testing.T) {
	var c Calls
	if c.Count("/a") != 0 || c.Total() != 0 {
		t.Fatal("zero value counts calls")
	}
	c.Add("/a")
	c.Add("/a")
	c.Add("/b")
	if c.Count("/a") != 2 || c.Count("/b") != 1 || c.Count("") != 0 || c.Total() != 3 {
		t.Errorf("counts /a %d /b %d total %d", c.Count("/a"), c.Count("/b"), c.Total())
	}
}

func TestSleepsRecordWithoutWaiting(t *testing.T) {
	after := 0
	s := &Sleeps{After: func() { after++ }}
	if err := s.Sleep(context.Background(), time.Hour); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Sleep(ctx, time.Minute); err == nil {
		t.Error("a cancelled context's wait returned nil")
	}
	if got := s.Waits(); !slices.Equal(got, []time.Duration{time.Hour, time.Minute}) || after != 2 {
		t.Errorf("waits %v, After ran %d times", got, after)
	}
}

func TestPageOf(t *testing.T) {
	for _, c := range []struct {
		query        string
		size         string
		limit, total int
		want         Page
		description  string
	}{
		{"", "per_page", 2, 5, Page{N: 1, Size: 2, Last: 3, Lo: 0, Hi: 2}, "no query: first page, the server's size"},
		{"page=3&per_page=2", "per_page", 2, 5, Page{N: 3, Size: 2, Last: 3, Lo: 4, Hi: 5}, "the last page is short"},
		{"page=4", "per_page", 2, 5, Page{N: 4, Size: 2, Last: 3, Lo: 5, Hi: 5}, "past the last page: empty"},
		{"page=0&per_page=100", "per_page", 2, 5, Page{N: 1, Size: 2, Last: 3, Lo: 0, Hi: 2}, "page 0 is the first; a size over the cap is capped"},
		{"page=2&limit=1", "limit", 2, 5, Page{N: 2, Size: 1, Last: 5, Lo: 1, Hi: 2}, "a smaller size is honoured"},
		{"per_page=-1", "per_page", 2, 5, Page{N: 1, Size: 2, Last: 3, Lo: 0, Hi: 2}, "a negative size is the server's"},
		{"page=2&per_page=1", "", 3, 5, Page{N: 2, Size: 3, Last: 2, Lo: 3, Hi: 5}, "a fixed size ignores the client"},
		{"", "pagelen", 2, 0, Page{N: 1, Size: 2, Last: 1, Lo: 0, Hi: 0}, "an empty listing has one page"},
	} {
		q, _ := url.ParseQuery(c.query)
		if got := PageOf(q, "page", c.size, c.limit, c.total); got != c.want {
			t.Errorf("%s: PageOf(%q, %q, %d, %d) = %+v, want %+v", c.description, c.query, c.size, c.limit, c.total, got, c.want)
		}
	}
}

func TestETag(t *testing.T) {
	a, b := ETag([]byte(`[1]`)), ETag([]byte(`[2]`))
	if a != ETag([]byte(`[1]`)) || a == b {
		t.Errorf("tags %s and %s: the same body must get the same tag, another body another", a, b)
	}
	if len(a) != 34 || a[0] != '"' || a[33] != '"' {
		t.Errorf("tag %s is not a quoted 32-digit strong tag", a)
	}
}
