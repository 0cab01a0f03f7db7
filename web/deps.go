package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	"github.com/trawl-dev/trawl/depquery"
	"github.com/trawl-dev/trawl/deps"
	"github.com/trawl-dev/trawl/indexer"
)

// Limits of GET /api/deps. A JSON answer is built in memory, so it is
// capped; CSV and NDJSON are written as records arrive and are not. A
// summary needs every record before it can count, hence its larger cap.
const (
	maxDeps        = 100_000
	maxDepsSummary = 1_000_000
)

// errDepsLimit stops depquery.Find once a capped answer is full.
var errDepsLimit = errors.New("dependency limit reached")

// depsRequest is a parsed GET /api/deps.
type depsRequest struct {
	filter  depquery.Filter
	format  string // json, csv or ndjson
	summary bool
	limit   int // records; 0 means no cap
}

// regexpParam compiles parameter name as an RE2 expression; absent is nil.
func regexpParam(v url.Values, name string) (*regexp.Regexp, error) {
	s, err := textParam(v, name, false, maxParamBytes)
	if err != nil || s == "" {
		return nil, err
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, badRequest(fmt.Sprintf("parameter %s: %v", name, err))
	}
	return re, nil
}

// boolParam reads a flag: absent is false; 1, true, 0, false and the like
// are accepted.
func boolParam(v url.Values, name string) (bool, error) {
	s := v.Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, badRequest("parameter " + name + " must be 1 or 0")
	}
	return b, nil
}

func parseDepsRequest(v url.Values) (depsRequest, error) {
	var req depsRequest
	name, err := textParam(v, "name", false, maxParamBytes)
	if err != nil {
		return req, err
	}
	version, err := textParam(v, "version", false, maxParamBytes)
	if err != nil {
		return req, err
	}
	// Parsing the name alone first tells which parameter is wrong.
	if _, err := deps.ParseTarget(name, ""); err != nil {
		return req, badRequest("parameter name: " + err.Error())
	}
	if req.filter, err = depquery.ParseFilter(name, version); err != nil {
		return req, badRequest("parameter version: " + err.Error())
	}
	if req.filter.Repo, err = regexpParam(v, "repo"); err != nil {
		return req, err
	}
	if req.filter.Branch, err = regexpParam(v, "branch"); err != nil {
		return req, err
	}
	if req.filter.Undecided, err = boolParam(v, "undecided"); err != nil {
		return req, err
	}
	if req.summary, err = boolParam(v, "summary"); err != nil {
		return req, err
	}
	switch req.format = v.Get("format"); req.format {
	case "":
		req.format = "json"
	case "json", "csv", "ndjson":
	default:
		return req, badRequest("parameter format must be json, csv or ndjson")
	}
	limit, err := intParam(v, "limit", 0, 0, math.MaxInt)
	if err != nil {
		return req, err
	}
	req.limit = limit
	if req.format == "json" && !req.summary && (limit == 0 || limit > maxDeps) {
		req.limit = maxDeps
	}
	return req, nil
}

// handleDeps answers GET /api/deps?name=&version=&repo=&branch=&undecided=
// &summary=&format=&limit= with the records of docs/design.md §7: JSON
// {"dependencies": [...], "limit_hit": b} (at most maxDeps records), CSV
// with a header row, or NDJSON, one record a line. With summary=1 it
// answers how many repositories, branches and files use each version
// instead. The route runs under the stream timeout; answers built in
// memory get the shorter API timeout.
func (s *Server) handleDeps(w http.ResponseWriter, r *http.Request) {
	req, err := parseDepsRequest(r.URL.Query())
	if err != nil {
		s.fail(w, r, "list dependencies", err)
		return
	}
	if req.summary {
		s.depsSummary(w, r, req)
		return
	}
	switch req.format {
	case "json":
		s.depsJSON(w, r, req)
	default:
		s.depsStream(w, r, req)
	}
}

// collectDeps returns up to limit records (0: all), and whether more exist.
func (s *Server) collectDeps(ctx context.Context, f depquery.Filter, limit int) ([]indexer.Dependency, bool, error) {
	recs := []indexer.Dependency{}
	limitHit := false
	err := depquery.Find(ctx, s.idx, f, func(d indexer.Dependency) error {
		if limit > 0 && len(recs) >= limit {
			limitHit = true
			return errDepsLimit
		}
		recs = append(recs, d)
		return nil
	})
	if err != nil && !errors.Is(err, errDepsLimit) {
		return nil, false, err
	}
	return recs, limitHit, nil
}

func (s *Server) depsJSON(w http.ResponseWriter, r *http.Request, req depsRequest) {
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()
	recs, limitHit, err := s.collectDeps(ctx, req.filter, req.limit)
	if err != nil {
		s.fail(w, r, "list dependencies", err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Dependencies []indexer.Dependency `json:"dependencies"`
		LimitHit     bool                 `json:"limit_hit"`
	}{recs, limitHit})
}

func (s *Server) depsSummary(w http.ResponseWriter, r *http.Request, req depsRequest) {
	limit := req.limit
	if limit == 0 || limit > maxDepsSummary {
		limit = maxDepsSummary
	}
	recs, limitHit, err := s.collectDeps(r.Context(), req.filter, limit)
	if err != nil {
		s.fail(w, r, "summarize dependencies", err)
		return
	}
	sum := depquery.Summarize(recs)
	switch req.format {
	case "json":
		writeJSON(w, http.StatusOK, struct {
			Summary  []versionSummary `json:"summary"` // depnames.go
			Records  int              `json:"records"` // records counted
			LimitHit bool             `json:"limit_hit"`
		}{namedSummary(sum, recs), len(recs), limitHit})
	case "csv":
		setCSVHeaders(w, "dependency-versions.csv")
		depquery.WriteSummary(w, depquery.CSV, sum)
	case "ndjson":
		w.Header().Set("Content-Type", "application/x-ndjson")
		depquery.WriteSummary(w, depquery.NDJSON, sum)
	}
}

func setCSVHeaders(w http.ResponseWriter, filename string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
}

// depsStream writes CSV or NDJSON as records arrive, so an export of a
// whole organisation needs no memory for it. The status line goes out with
// the first record; an error after it ends an NDJSON stream with an
// {"error": ...} line, and a CSV one with a "# error" line, which a CSV
// reader rejects for its field count rather than taking it for a record.
func (s *Server) depsStream(w http.ResponseWriter, r *http.Request, req depsRequest) {
	rc := http.NewResponseController(w)
	var (
		rw *depquery.RecordWriter
		n  int
	)
	start := func() error {
		if rw != nil {
			return nil
		}
		if req.format == "csv" {
			setCSVHeaders(w, "dependencies.csv")
		} else {
			w.Header().Set("Content-Type", "application/x-ndjson")
		}
		w.WriteHeader(http.StatusOK)
		var err error
		rw, err = depquery.NewRecordWriter(w, req.format)
		return err
	}
	err := depquery.Find(r.Context(), s.idx, req.filter, func(d indexer.Dependency) error {
		if req.limit > 0 && n >= req.limit {
			return errDepsLimit
		}
		if err := start(); err != nil {
			return err
		}
		n++
		if err := rw.Write(d); err != nil {
			return err
		}
		// Flush every few hundred rows: often enough for the client to see
		// progress, seldom enough to keep the writes large.
		if n%512 == 0 {
			rw.Flush()
			rc.Flush()
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDepsLimit) {
		if rw == nil {
			s.fail(w, r, "list dependencies", err)
			return
		}
		s.log.Warn("dependency export failed", "format", req.format, "err", err)
		rw.Flush()
		if req.format == "csv" {
			fmt.Fprintf(w, "# error: list dependencies: %s\n", streamErrorText(err))
		} else {
			json.NewEncoder(w).Encode(errorBody{Error: "list dependencies: " + streamErrorText(err)})
		}
		return
	}
	if err := start(); err == nil {
		rw.Flush()
	}
}

// handleIndicators answers GET /api/indicators with Options.Indicators.
func (s *Server) handleIndicators(w http.ResponseWriter, r *http.Request) {
	v, err := s.indicators(r.Context())
	if err != nil {
		s.fail(w, r, "indicators", err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
