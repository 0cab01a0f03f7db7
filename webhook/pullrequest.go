package webhook

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// PullRequestEvent is what a pull_request delivery says of one pull
// request: enough for trawl change to follow the ones it opened.
type PullRequestEvent struct {
	Action string // opened, closed, reopened, synchronize...
	Repo   string // base repository full name
	Head   string // head branch
	Number int
	URL    string // web page
	State  string // open or closed
	Merged bool
}

// PullRequests routes signed pull_request deliveries to fn and passes every
// other delivery to next untouched, so it wraps Handler without changing
// it. Signatures are checked as Handler checks them.
func PullRequests(secret []byte, fn func(PullRequestEvent), next http.Handler) http.Handler {
	v := &handler{secret: secret}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("X-GitHub-Event") != "pull_request" || fn == nil {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read payload", http.StatusBadRequest)
			return
		}
		if !v.verify(r.Header.Get("X-Hub-Signature-256"), body) {
			http.Error(w, "missing or wrong X-Hub-Signature-256", http.StatusUnauthorized)
			return
		}
		var p struct {
			Action      string `json:"action"`
			Number      int    `json:"number"`
			PullRequest struct {
				Number  int    `json:"number"`
				HTMLURL string `json:"html_url"`
				State   string `json:"state"`
				Merged  bool   `json:"merged"`
				Head    struct {
					Ref string `json:"ref"`
				} `json:"head"`
			} `json:"pull_request"`
			Repository struct {
				FullName string `json:"full_name"`
			} `json:"repository"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "payload is not JSON", http.StatusBadRequest)
			return
		}
		pr := p.PullRequest
		if pr.Number == 0 {
			pr.Number = p.Number
		}
		if p.Repository.FullName != "" && pr.Head.Ref != "" {
			fn(PullRequestEvent{Action: p.Action, Repo: p.Repository.FullName, Head: pr.Head.Ref, Number: pr.Number,
				URL: pr.HTMLURL, State: pr.State, Merged: pr.Merged})
		}
		w.WriteHeader(http.StatusAccepted)
	})
}
