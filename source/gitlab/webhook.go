package gitlab

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/trawl-dev/trawl/webhook"
)

// Webhook serves GitLab's project and group webhooks (Push Hook) and its
// system hooks (System Hook: push and repository_update, and the
// project_create, project_destroy, project_rename and project_transfer
// events). GitLab authenticates a delivery by sending the hook's secret
// token as X-Gitlab-Token, unsigned: it is compared, in constant time,
// with each of secrets (one per configured source) before the body is
// read. Without any secret every delivery is refused, since a hook
// nobody authenticates would let anyone make trawl fetch.
func Webhook(secrets [][]byte, ev webhook.Events, log *slog.Logger) http.Handler {
	return &hook{webhook.NewHook(secrets, ev, log)}
}

type hook struct{ webhook.Hook }

// payload holds the fields trawl reads of a Push Hook and of the System
// Hook events it uses.
type payload struct {
	ObjectKind string `json:"object_kind"` // "push" (Push Hook, system push)
	EventName  string `json:"event_name"`  // system hooks: "push", "project_create"...
	Ref        string `json:"ref"`
	Project    struct {
		PathWithNamespace string `json:"path_with_namespace"`
	} `json:"project"`
	// System hook project events carry the path at the top level.
	PathWithNamespace    string `json:"path_with_namespace"`
	OldPathWithNamespace string `json:"old_path_with_namespace"`
	// repository_update lists the refs a push moved.
	Changes []struct {
		Ref string `json:"ref"`
	} `json:"changes"`
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !webhook.OnlyPost(w, r, "webhooks") {
		return
	}
	event := r.Header.Get("X-Gitlab-Event")
	log := h.Log.With("forge", "gitlab", "event", event, "delivery", r.Header.Get("X-Gitlab-Event-UUID"))
	if h.Secrets.None() {
		log.Warn("webhook refused: no secret configured (webhook_secret_env)", "remote", r.RemoteAddr)
		webhook.ReplyError(w, http.StatusUnauthorized, "GitLab webhooks are off: no webhook secret is configured (webhook_secret_env)")
		return
	}
	if !h.Secrets.Token(r.Header.Get("X-Gitlab-Token")) {
		log.Warn("webhook refused: missing or wrong X-Gitlab-Token", "remote", r.RemoteAddr)
		webhook.ReplyError(w, http.StatusUnauthorized, "missing or wrong X-Gitlab-Token")
		return
	}
	if event != "Push Hook" && event != "System Hook" {
		log.Debug("webhook ignored: event not used")
		webhook.ReplyStatus(w, http.StatusAccepted, "ignored")
		return
	}
	body, ok := webhook.Read(w, r, log)
	if !ok {
		return
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		webhook.ReplyError(w, http.StatusBadRequest, "payload is not JSON")
		return
	}
	acted := false
	kind := p.EventName
	if kind == "" {
		kind = p.ObjectKind
	}
	switch kind {
	case "push":
		repo := p.Project.PathWithNamespace
		if branch, ok := strings.CutPrefix(p.Ref, "refs/heads/"); ok && repo != "" && h.Events.Push != nil {
			h.Events.Push(repo, branch)
			acted = true
		}
	case "repository_update":
		repo := p.Project.PathWithNamespace
		for _, c := range p.Changes {
			if branch, ok := strings.CutPrefix(c.Ref, "refs/heads/"); ok && repo != "" && h.Events.Push != nil {
				h.Events.Push(repo, branch)
				acted = true
			}
		}
	case "project_create", "project_destroy", "project_rename", "project_transfer":
		for _, repo := range []string{p.PathWithNamespace, p.OldPathWithNamespace} {
			if repo != "" && h.Events.Repository != nil {
				h.Events.Repository(repo)
				acted = true
			}
		}
	}
	if acted {
		log.Info("webhook", "kind", kind, "repo", p.Project.PathWithNamespace+p.PathWithNamespace, "ref", p.Ref)
		webhook.ReplyStatus(w, http.StatusAccepted, "queued")
		return
	}
	log.Debug("webhook ignored", "kind", kind, "ref", p.Ref)
	webhook.ReplyStatus(w, http.StatusAccepted, "ignored")
}
