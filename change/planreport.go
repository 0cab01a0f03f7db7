package change

import (
	"encoding/json"
	"io"
)

// Tally counts a plan's resources by outcome: what trawl change plan
// sums up, and whether it exits 1.
type Tally struct {
	Planned, NoChange, Failed int
}

// Tally counts p's changes; a state that is none of planned, no_change
// or failed (a rerun of a plan already applied) is not counted.
func (p *Plan) Tally() Tally {
	var t Tally
	for _, ch := range p.Changes {
		switch {
		case IsFailed(ch.State):
			t.Failed++
		case ch.State == StatePlanned:
			t.Planned++
		case ch.State == StateNoChange:
			t.NoChange++
		}
	}
	return t
}

// WritePlanJSON writes p in DESIGN.md §9's shape, {"id", "changes": [{repo,
// branch, base_commit, state, files: [{path, diff}]}]}: the plan without
// the new contents and the pushing state the store keeps.
func WritePlanJSON(w io.Writer, p *Plan) error {
	type file struct {
		Path string `json:"path"`
		Diff string `json:"diff"`
	}
	type res struct {
		Repo       string `json:"repo"`
		Branch     string `json:"branch"`
		BaseCommit string `json:"base_commit"`
		State      string `json:"state"`
		Files      []file `json:"files"`
	}
	out := struct {
		ID      string `json:"id"`
		Changes []res  `json:"changes"`
	}{ID: p.ID, Changes: []res{}}
	for _, ch := range p.Changes {
		r := res{Repo: ch.Repo, Branch: ch.Branch, BaseCommit: ch.BaseCommit, State: ch.State, Files: []file{}}
		for _, f := range ch.Files {
			r.Files = append(r.Files, file{Path: f.Path, Diff: f.Diff})
		}
		out.Changes = append(out.Changes, r)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // diffs of XML and HTML stay readable
	return enc.Encode(out)
}
