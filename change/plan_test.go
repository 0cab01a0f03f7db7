package change

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestStoreUpdatesFromTwoProcesses updates one campaign through two
// stores, as trawl change apply and trawl serve do from two processes: the
// lock file keeps every update.
func TestStoreUpdatesFromTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	a, b := NewStore(dir), NewStore(dir)
	if err := a.Save(&Plan{ID: "c", Changes: []*Change{{Repo: "r", Branch: "main"}}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, s := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 40 {
				if _, err := s.Update("c", func(p *Plan) error {
					p.Changes[0].PRNumber++
					return nil
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	p, err := a.Load("c")
	if err != nil {
		t.Fatal(err)
	}
	if p.Changes[0].PRNumber != 80 {
		t.Errorf("%d of 80 updates kept", p.Changes[0].PRNumber)
	}
	if _, err := os.Stat(filepath.Join(a.Dir, ".c.lock")); !os.IsNotExist(err) {
		t.Errorf("the lock file stays: %v", err)
	}
	plans, err := a.List()
	if err != nil || len(plans) != 1 {
		t.Errorf("list: %v %d", err, len(plans))
	}
	if _, err := a.Load("../etc"); err == nil || !strings.Contains(err.Error(), "campaign id") {
		t.Errorf("a path as id: %v", err)
	}
}
