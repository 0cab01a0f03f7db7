package bitbucket

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/trawl-dev/trawl/webhook"
)

// Webhook receives Bitbucket webhooks, Data Center/Server's and Cloud's
// alike (both name the event in X-Event-Key and sign the raw body with
// HMAC-SHA256 in X-Hub-Signature: sha256=<hex>), and accepts a delivery
// signed with any of secrets. Pushes (Data Center repo:refs_changed, Cloud
// repo:push) report each branch pushed, created or deleted; repository
// changes (repo:modified, repo:forked; Cloud repo:updated, repo:transfer,
// repo:fork, repo:created, repo:deleted) report the names involved, old
// and new, for a new listing. Data Center's "Test connection"
// (diagnostics:ping) is answered 200.
//
// With no secret every delivery is answered 401 unread, since an
// unverified hook would let anyone trigger crawls; a missing or wrong
// signature is 401 too. Events trawl does not use are answered 202
// "ignored" without reading their body, so a hook sending every event
// shows no failed deliveries.
func Webhook(secrets [][]byte, ev webhook.Events, log *slog.Logger) http.Handler {
	return &hook{webhook.NewHook(secrets, ev, log)}
}

type hook struct{ webhook.Hook }

// usedEvents are the X-Event-Key values whose payload trawl reads.
var usedEvents = map[string]bool{
	"diagnostics:ping": true,
	// Data Center / Server
	"repo:refs_changed": true, "repo:modified": true, "repo:forked": true,
	// Cloud
	"repo:push": true, "repo:updated": true, "repo:transfer": true, "repo:fork": true,
	"repo:created": true, "repo:deleted": true,
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !webhook.OnlyPost(w, r, "webhooks") {
		return
	}
	event := r.Header.Get("X-Event-Key")
	log := h.Log.With("forge", "bitbucket", "event", event,
		"delivery", firstOf(r.Header.Get("X-Request-Id"), r.Header.Get("X-Request-UUID")))
	sig, wellFormed := webhook.ParseSignature(r.Header.Get("X-Hub-Signature"))
	switch {
	case h.Secrets.None():
		log.Warn("webhook refused: no secret configured (webhook_secret_env)", "remote", r.RemoteAddr)
		webhook.ReplyError(w, http.StatusUnauthorized, "Bitbucket webhooks are off: this server has no webhook secret (webhook_secret_env)")
		return
	case !wellFormed:
		log.Warn("webhook refused: missing or malformed signature", "remote", r.RemoteAddr)
		webhook.ReplyError(w, http.StatusUnauthorized, "missing or wrong X-Hub-Signature (set a secret on the Bitbucket webhook)")
		return
	case !usedEvents[event]:
		log.Debug("webhook ignored: event not used")
		webhook.ReplyStatus(w, http.StatusAccepted, "ignored")
		return
	}
	body, ok := webhook.Read(w, r, log)
	if !ok {
		return
	}
	if !h.Secrets.Signed(body, sig) {
		log.Warn("webhook refused: wrong signature", "remote", r.RemoteAddr)
		webhook.ReplyError(w, http.StatusUnauthorized, "missing or wrong X-Hub-Signature (set a secret on the Bitbucket webhook)")
		return
	}
	if event == "diagnostics:ping" {
		webhook.ReplyStatus(w, http.StatusOK, "pong")
		return
	}
	got, err := parseEvent(event, body)
	if err != nil {
		webhook.ReplyError(w, http.StatusBadRequest, err.Error())
		return
	}
	acted := false
	for _, p := range got.pushes {
		if h.Events.Push != nil {
			h.Events.Push(p.repo, p.branch)
			acted = true
		}
	}
	for _, name := range got.repos {
		if h.Events.Repository != nil {
			h.Events.Repository(name)
			acted = true
		}
	}
	if !acted {
		log.Debug("webhook ignored: nothing trawl uses", "repo", got.repo)
		webhook.ReplyStatus(w, http.StatusAccepted, "ignored")
		return
	}
	log.Info("webhook", "repo", got.repo, "branches", len(got.pushes), "repositories", len(got.repos))
	webhook.ReplyStatus(w, http.StatusAccepted, "queued")
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Sign returns the X-Hub-Signature value Bitbucket sends for body: for
// tests and for tools that replay deliveries.
func Sign(secret, body []byte) string { return webhook.Sign(secret, body) }

// event is what a delivery asks of trawl.
type event struct {
	repo   string // the repository named, for logs
	pushes []pushed
	repos  []string // full names for a new listing
}

type pushed struct{ repo, branch string }

// payload holds the fields trawl reads from both products' payloads.
type payload struct {
	Repository *hookRepo `json:"repository"`
	// Data Center: an array of ref changes (repo:refs_changed); Cloud: an
	// object of changed fields (repo:updated).
	Changes json.RawMessage `json:"changes"`
	Old     *hookRepo       `json:"old"` // Data Center repo:modified
	New     *hookRepo       `json:"new"`
	Push    struct {        // Cloud repo:push
		Changes []struct {
			New *cloudRef `json:"new"`
			Old *cloudRef `json:"old"`
		} `json:"changes"`
	} `json:"push"`
	Fork *hookRepo `json:"fork"` // Cloud repo:fork
}

// hookRepo is a repository in either product's payloads: Data Center names
// it by project key and slug, Cloud by full_name.
type hookRepo struct {
	Slug    string `json:"slug"`
	Project *struct {
		Key string `json:"key"`
	} `json:"project"`
	FullName string `json:"full_name"`
}

func (r *hookRepo) name() string {
	switch {
	case r == nil:
		return ""
	case r.FullName != "":
		return r.FullName
	case r.Project != nil && r.Project.Key != "" && r.Slug != "":
		return r.Project.Key + "/" + r.Slug
	}
	return ""
}

type cloudRef struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// dcChange is one ref of a Data Center push.
type dcChange struct {
	Ref struct {
		ID        string `json:"id"`
		DisplayID string `json:"displayId"`
		Type      string `json:"type"`
	} `json:"ref"`
	RefID string `json:"refId"`
	Type  string `json:"type"` // ADD, UPDATE, DELETE
}

// cloudChanges is repo:updated's record of what changed.
type cloudChanges struct {
	FullName struct {
		Old string `json:"old"`
		New string `json:"new"`
	} `json:"full_name"`
}

var errNotJSON = errors.New("payload is not a Bitbucket event in JSON")

// parseEvent reads what a delivery of the event key asks of trawl.
func parseEvent(key string, body []byte) (event, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return event{}, errNotJSON
	}
	var e event
	e.repo = p.Repository.name()
	addRepo := func(name string) {
		if name != "" && !slices.Contains(e.repos, name) {
			e.repos = append(e.repos, name)
		}
	}
	switch key {
	case "repo:refs_changed":
		var changes []dcChange
		if len(p.Changes) > 0 && json.Unmarshal(p.Changes, &changes) != nil {
			return event{}, errNotJSON
		}
		for _, c := range changes {
			id := c.Ref.ID
			if id == "" {
				id = c.RefID
			}
			if branch, ok := strings.CutPrefix(id, "refs/heads/"); ok && branch != "" && e.repo != "" {
				e.pushes = append(e.pushes, pushed{e.repo, branch})
			}
		}
	case "repo:push":
		for _, c := range p.Push.Changes {
			ref := c.New
			if ref == nil {
				ref = c.Old // a deleted branch
			}
			if ref != nil && ref.Type == "branch" && ref.Name != "" && e.repo != "" {
				e.pushes = append(e.pushes, pushed{e.repo, ref.Name})
			}
		}
	case "repo:modified":
		addRepo(p.Old.name())
		addRepo(p.New.name())
		if e.repo == "" {
			e.repo = p.New.name()
		}
	case "repo:updated":
		var ch cloudChanges
		if len(p.Changes) > 0 && p.Changes[0] == '{' {
			json.Unmarshal(p.Changes, &ch) // a shape trawl does not know only loses the old name
		}
		addRepo(ch.FullName.Old)
		addRepo(e.repo)
		addRepo(ch.FullName.New)
	case "repo:fork":
		addRepo(p.Fork.name())
	case "repo:forked", "repo:transfer", "repo:created", "repo:deleted":
		// repo:forked (Data Center): repository is the new fork.
		addRepo(e.repo)
	}
	return e, nil
}
