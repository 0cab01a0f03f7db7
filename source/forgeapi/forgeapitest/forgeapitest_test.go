package forgeapitest

import (
	"context"
	"net/http"
	"net/http/httptest"
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
