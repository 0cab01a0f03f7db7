package verify

// NeedsRepair reports whether Repair has something to do for r: a
// problem, a note (what a killed crawl left) or unreferenced blobs to
// collect. A clean report without notes is left alone.
func (r *Report) NeedsRepair() bool {
	return !r.OK() || len(r.Notes) > 0 || r.Unreferenced > 0
}
