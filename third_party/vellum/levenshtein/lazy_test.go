package levenshtein

import (
	"sync"
	"testing"
)

// trawl's patch: a builder is made without its parametric DFA, which the
// first BuildDfa computes once, safely from many goroutines.
func TestBuilderIsLazy(t *testing.T) {
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := NewLevenshteinAutomatonBuilder(2, true); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Errorf("NewLevenshteinAutomatonBuilder allocated %v times; it should defer the DFA", allocs)
	}

	lb, err := NewLevenshteinAutomatonBuilder(1, true)
	if err != nil {
		t.Fatal(err)
	}
	if lb.MaxDistance() != 1 {
		t.Errorf("MaxDistance = %d, want 1", lb.MaxDistance())
	}
	var wg sync.WaitGroup
	dfas := make([]*DFA, 8)
	for i := range dfas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := lb.BuildDfa("cat", 1)
			if err != nil {
				t.Error(err)
				return
			}
			dfas[i] = d
		}()
	}
	wg.Wait()
	for _, d := range dfas {
		if d == nil {
			continue
		}
		for word, want := range map[string]bool{"cat": true, "cut": true, "at": true, "cart": true, "dog": false, "cattle": false} {
			s := d.Start()
			for _, b := range []byte(word) {
				s = d.Accept(s, b)
			}
			if got := d.IsMatch(s); got != want {
				t.Errorf("BuildDfa(cat, 1) matches %q = %v, want %v", word, got, want)
			}
		}
	}
}
