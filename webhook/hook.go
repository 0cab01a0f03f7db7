package webhook

import (
	"log/slog"
	"net/http"
)

// Hook is what every forge's hook handler holds: the secrets a delivery
// must prove, where what it reports goes, and the log. The forge's
// handler adds its own headers, events and payloads.
type Hook struct {
	Secrets Secrets
	Events  Events
	Log     *slog.Logger // never nil
}

// NewHook keeps the non-empty secrets; a nil log discards.
func NewHook(secrets [][]byte, ev Events, log *slog.Logger) Hook {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return Hook{Secrets: NewSecrets(secrets), Events: ev, Log: log}
}

// OnlyPost answers 405, with Allow: POST, a request that is not a POST,
// saying "<what> are POSTed", and reports whether the request may go on.
func OnlyPost(w http.ResponseWriter, r *http.Request, what string) bool {
	if r.Method == http.MethodPost {
		return true
	}
	w.Header().Set("Allow", http.MethodPost)
	writeError(w, http.StatusMethodNotAllowed, what+" are POSTed")
	return false
}
