package gitea

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/trawl-dev/trawl/webhook"
)

// Webhook is the handler of Gitea's and Forgejo's webhooks (POST
// /hooks/gitea). Gitea names the event in X-Gitea-Event and signs the
// body in X-Gitea-Signature (hex HMAC-SHA256, no prefix); Forgejo sends
// X-Forgejo-Event and X-Forgejo-Signature, and the Gitea headers too. A
// delivery signed with any of secrets is accepted.
//
// A push to refs/heads/x, or a branch created or deleted, reports
// ev.Push(full name, x); a repository created or deleted reports
// ev.Repository. Answers are JSON: 401 without a secret configured (the
// body unread), or without a valid signature; 202 "queued" for an event
// acted on and 202 "ignored" for the rest (events trawl does not use are
// not read, but still need a well-formed signature); 400 for a body that
// is not JSON; 413 and 408 from webhook.Read's bounds.
func Webhook(secrets [][]byte, ev webhook.Events, log *slog.Logger) http.Handler {
	return &hook{webhook.NewHook(secrets, ev, log)}
}

type hook struct{ webhook.Hook }

const sigHeaders = "X-Gitea-Signature or X-Forgejo-Signature"

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !webhook.OnlyPost(w, r, "webhooks") {
		return
	}
	event := r.Header.Get("X-Forgejo-Event")
	if event == "" {
		event = r.Header.Get("X-Gitea-Event")
	}
	delivery := r.Header.Get("X-Forgejo-Delivery")
	if delivery == "" {
		delivery = r.Header.Get("X-Gitea-Delivery")
	}
	log := h.Log.With("event", event, "delivery", delivery)
	sigs := signatures(r.Header)
	switch {
	case h.Secrets.None():
		log.Warn("Gitea webhook refused: no secret configured (webhook_secret_env)", "remote", r.RemoteAddr)
		webhook.ReplyError(w, http.StatusUnauthorized, "Gitea webhooks are off: this server has no webhook secret (webhook_secret_env of the gitea source, or server.webhook_secret_env)")
		return
	case len(sigs) == 0:
		log.Warn("Gitea webhook refused: missing or malformed signature", "remote", r.RemoteAddr)
		webhook.ReplyError(w, http.StatusUnauthorized, "missing or wrong "+sigHeaders+" (set the webhook's secret in Gitea)")
		return
	case !used(event):
		log.Debug("Gitea webhook ignored: event not used")
		webhook.ReplyStatus(w, http.StatusAccepted, "ignored")
		return
	}
	body, ok := webhook.Read(w, r, log)
	if !ok {
		return
	}
	if !h.Secrets.Signed(body, sigs...) {
		log.Warn("Gitea webhook refused: wrong signature", "remote", r.RemoteAddr)
		webhook.ReplyError(w, http.StatusUnauthorized, "missing or wrong "+sigHeaders)
		return
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		webhook.ReplyError(w, http.StatusBadRequest, "payload is not JSON")
		return
	}
	repo, branch, changed := p.route(event)
	acted := false
	switch {
	case branch != "" && h.Events.Push != nil:
		h.Events.Push(repo, branch)
		acted = true
	case changed && h.Events.Repository != nil:
		h.Events.Repository(repo)
		acted = true
	}
	if !acted {
		log.Debug("Gitea webhook ignored", "repo", repo, "ref", p.Ref, "action", p.Action)
		webhook.ReplyStatus(w, http.StatusAccepted, "ignored")
		return
	}
	log.Info("Gitea webhook", "repo", repo, "ref", p.Ref, "action", p.Action)
	webhook.ReplyStatus(w, http.StatusAccepted, "queued")
}

// used reports whether trawl reads the payload of event.
func used(event string) bool {
	switch event {
	case "push", "create", "delete", "repository":
		return true
	}
	return false
}

// signatures are the well-formed signature headers of a delivery
// (Forgejo sends both names), decoded.
func signatures(hd http.Header) [][]byte {
	var out [][]byte
	for _, k := range []string{"X-Forgejo-Signature", "X-Gitea-Signature"} {
		v := strings.TrimSpace(hd.Get(k))
		if len(v) != 2*sha256.Size {
			continue
		}
		if b, err := hex.DecodeString(v); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// payload holds the fields trawl reads from push, create, delete and
// repository deliveries.
type payload struct {
	Ref        string `json:"ref"`
	RefType    string `json:"ref_type"`
	Action     string `json:"action"`
	Repository struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

// route is what a delivery asks for: a branch of repo that moved, or a
// repository created or deleted.
func (p payload) route(event string) (repo, branch string, changed bool) {
	repo = p.Repository.FullName
	if repo == "" {
		return "", "", false
	}
	switch event {
	case "push":
		if b, ok := strings.CutPrefix(p.Ref, "refs/heads/"); ok && b != "" {
			return repo, b, false
		}
	case "create", "delete":
		// Gitea names the ref without refs/heads/ here.
		if p.RefType == "branch" && p.Ref != "" {
			return repo, strings.TrimPrefix(p.Ref, "refs/heads/"), false
		}
	case "repository":
		return repo, "", p.Action == "created" || p.Action == "deleted"
	}
	return repo, "", false
}
