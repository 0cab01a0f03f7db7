package webhook

import (
	"encoding/json"
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

// PullRequests routes pull_request deliveries to fn and passes every other
// delivery to next untouched, so it wraps Handler without changing it.
// They are read and checked as Handler reads its own (readSigned: bounded
// in size and time, signature verified) and answered the same way.
func PullRequests(secret []byte, fn func(PullRequestEvent), next http.Handler) http.Handler {
	h := &handler{secret: secret, readTimeout: ReadTimeout}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("X-GitHub-Event") != "pull_request" || fn == nil {
			next.ServeHTTP(w, r)
			return
		}
		body, ok := h.readSigned(w, r, h.logger().With("event", "pull_request", "delivery", r.Header.Get("X-GitHub-Delivery")))
		if !ok {
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
			writeError(w, http.StatusBadRequest, "payload is not JSON")
			return
		}
		pr := p.PullRequest
		if pr.Number == 0 {
			pr.Number = p.Number
		}
		if p.Repository.FullName == "" || pr.Head.Ref == "" {
			writeStatus(w, http.StatusAccepted, "ignored")
			return
		}
		fn(PullRequestEvent{Action: p.Action, Repo: p.Repository.FullName, Head: pr.Head.Ref, Number: pr.Number,
			URL: pr.HTMLURL, State: pr.State, Merged: pr.Merged})
		writeStatus(w, http.StatusAccepted, "recorded")
	})
}
