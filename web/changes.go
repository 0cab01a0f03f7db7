package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/trawl-dev/trawl/change"
)

// The Changes page lists the campaigns of trawl change (DESIGN.md §9)
// with each resource's state and pull request, and previews a campaign's
// diffs. It only reads the plans; planning and applying stay on the
// command line, where the write credentials are.

// changesRoutes mounts GET /api/changes, GET /api/changes/{id} and the
// page, when the server was given the campaigns' store.
func (s *Server) changesRoutes(mux *http.ServeMux) {
	if s.changes == nil {
		return
	}
	s.api(mux, "GET /api/changes", s.timeout, s.handleChanges)
	s.api(mux, "GET /api/changes/{id}", s.timeout, s.handleChange)
	mux.HandleFunc("GET /changes", s.page("changes"))
}

type campaignJSON struct {
	ID        string         `json:"id"`
	Query     string         `json:"query,omitempty"`
	DepName   string         `json:"dependency,omitempty"`
	DepRange  string         `json:"version_range,omitempty"`
	Action    string         `json:"action"`
	Message   string         `json:"message"`
	CreatedAt time.Time      `json:"created_at"`
	States    map[string]int `json:"states"` // resources per state ("failed" for every failure)
	Changes   []resourceJSON `json:"changes"`
}

type resourceJSON struct {
	Repo        string     `json:"repo"`
	Branch      string     `json:"branch"`
	BaseCommit  string     `json:"base_commit"`
	HeadBranch  string     `json:"head_branch"`
	State       string     `json:"state"`
	PullRequest string     `json:"pull_request,omitempty"`
	Files       []fileJSON `json:"files"`
}

type fileJSON struct {
	Path string `json:"path"`
	Diff string `json:"diff,omitempty"` // only in GET /api/changes/{id}
}

// campaignOf shapes p for the API. States are scrubbed as the crawl
// status is (a failure may name a folder of the server); diffs are the
// repositories' own content and are left as they are.
func (s *Server) campaignOf(p *change.Plan, withDiffs bool) campaignJSON {
	c := campaignJSON{ID: p.ID, Query: p.Query, DepName: p.DepName, DepRange: p.DepRange, Action: p.Action.Describe(),
		Message: p.Message, CreatedAt: p.CreatedAt, States: map[string]int{}, Changes: []resourceJSON{}}
	for _, ch := range p.Changes {
		state := ch.State
		if s.scrub != nil {
			state = s.scrub.text(state)
		}
		if change.IsFailed(state) {
			c.States["failed"]++
		} else {
			c.States[state]++
		}
		r := resourceJSON{Repo: ch.Repo, Branch: ch.Branch, BaseCommit: ch.BaseCommit, HeadBranch: ch.HeadBranch,
			State: state, PullRequest: ch.PullRequest, Files: []fileJSON{}}
		for _, f := range ch.Files {
			fj := fileJSON{Path: f.Path}
			if withDiffs {
				fj.Diff = f.Diff
			}
			r.Files = append(r.Files, fj)
		}
		c.Changes = append(c.Changes, r)
	}
	return c
}

func (s *Server) handleChanges(w http.ResponseWriter, r *http.Request) {
	plans, err := s.changes.List()
	if err != nil {
		s.log.Error("list campaigns", "err", err)
		writeError(w, http.StatusInternalServerError, "cannot read the campaigns")
		return
	}
	out := []campaignJSON{}
	for _, p := range plans {
		out = append(out, s.campaignOf(p, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"campaigns": out})
}

func (s *Server) handleChange(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := change.CheckID(id); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	p, err := s.changes.Load(id)
	if errors.Is(err, change.ErrNoPlan) {
		writeError(w, http.StatusNotFound, "no campaign "+id)
		return
	}
	if err != nil {
		s.log.Error("load campaign", "id", id, "err", err)
		writeError(w, http.StatusInternalServerError, "cannot read campaign "+id)
		return
	}
	writeJSON(w, http.StatusOK, s.campaignOf(p, true))
}
