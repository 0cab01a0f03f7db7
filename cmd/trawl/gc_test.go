package main

import (
	"math"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// gcHelperEnv makes TestDeferFirstGCHelper run: it needs a process of its
// own, whose heap is small when it starts and whose GC settings no other
// test shares.
const gcHelperEnv = "TRAWL_TEST_GC_HELPER"

// TestDeferFirstGC runs TestDeferFirstGCHelper in a new process.
func TestDeferFirstGC(t *testing.T) {
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run", "^TestDeferFirstGCHelper$", "-test.v")
	cmd.Env = append(os.Environ(), gcHelperEnv+"=1", "GOGC=", "GOMEMLIMIT=")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestDeferFirstGCHelper") {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestDeferFirstGCHelper checks that no collection runs while the process
// allocates less than ballastBytes, that one runs once it allocates more,
// and that the collector's settings are then GOGC's again, with a ballast.
func TestDeferFirstGCHelper(t *testing.T) {
	if os.Getenv(gcHelperEnv) == "" {
		t.Skip("run by TestDeferFirstGC in a process of its own")
	}
	numGC := func() uint32 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.NumGC
	}
	start := numGC()
	g := deferFirstGC()
	piece := 16 * os.Getpagesize() // not a constant: on the heap, not the stack
	var keep [][]byte
	for range 4 << 20 / piece { // 4 MiB, held
		keep = append(keep, make([]byte, piece))
	}
	if n := numGC(); n != start {
		t.Errorf("%d collections ran with 4 MiB allocated", n-start)
	}
	for range 64 << 20 / piece { // 64 MiB of garbage
		b := make([]byte, piece)
		b[0] = 1
	}
	if numGC() == start {
		t.Fatal("no collection ran with 64 MiB allocated")
	}
	deadline := time.Now().Add(10 * time.Second)
	for g.ballast.Load() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if b := g.ballast.Load(); b == nil || len(*b) != ballastBytes {
		t.Fatal("no ballast after the first collection")
	}
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC after the first collection = %d, want 100", p)
	}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("memory limit after the first collection = %d, want none", l)
	}
	runtime.KeepAlive(keep)
}
