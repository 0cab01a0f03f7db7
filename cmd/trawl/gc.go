package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
)

// ballastBytes is the heap a process may reach before its first garbage
// collection.
const ballastBytes = 32 << 20

// gcBallast returns memory that is allocated and never written: the
// collector counts it as live, so the heap goal stays twice its size above
// the live heap instead of starting at 4 MiB. No page of it is touched, so
// it costs address space and not memory. A server's own heap is small
// between crawls, so without it each query's allocations go through several
// collections.
func gcBallast() []byte { return make([]byte, ballastBytes) }

// firstGC defers a process's first garbage collection (deferFirstGC).
type firstGC struct {
	ballast atomic.Pointer[[]byte] // set at the first collection
}

// deferFirstGC keeps the collector off until the process's memory reaches
// ballastBytes, then hands it back to GOGC with a ballast. A search lives
// tens of milliseconds and its first cycles, at 4, 8 and 16 MiB, cost more
// than they free (measured on the bench org: four cycles in a selective
// query, 6 ms of 45; a fifth of "err != nil"). A ballast from the start
// avoids them too, but allocating it starts a cycle at once: a trawl search
// process finding nothing took 12.6-13.9 ms with it and 12.3-13.3 ms
// without any cycle. So the memory limit starts the first cycle, and a
// cleanup on an object that cycle frees lifts the limit, allocates the
// ballast (a search that got that far goes on as with one from the start)
// and restores GOGC. GOGC or GOMEMLIMIT in the environment are the user's
// choice: then nothing changes. Keep the result alive as long as the
// process works.
func deferFirstGC() *firstGC {
	g := &firstGC{}
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return g
	}
	percent := debug.SetGCPercent(-1)
	debug.SetMemoryLimit(ballastBytes)
	// Larger than the tiny allocator's 16 bytes, whose blocks may outlive
	// their objects and never run a cleanup.
	sentinel := new([64]byte)
	runtime.AddCleanup(sentinel, func(percent int) {
		debug.SetMemoryLimit(math.MaxInt64)
		b := gcBallast()
		g.ballast.Store(&b)
		debug.SetGCPercent(percent)
	}, percent)
	return g
}
