// Package webhook receives GitHub webhooks (organisation or repository
// hooks) and turns them into crawl requests: a push, or a branch created or
// deleted, asks for that repository; a repository created, deleted,
// renamed, archived or transferred asks for a new listing. It also holds
// what every forge's hook handler shares (Hook, Events, the constant-time
// Secrets checks, OnlyPost, Read, the JSON replies): the other forges'
// handlers live with their sources.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// MaxBody is the largest payload GitHub delivers ("Payloads are capped at
// 25 MB"); anything larger is not from GitHub. A Content-Length over it is
// refused before any byte of the body is read.
const MaxBody = 25 << 20

// ReadTimeout bounds the reading of one delivery: GitHub sends a whole
// payload at once, while a sender trickling bytes would hold a connection
// and a goroutine for as long as it likes.
const ReadTimeout = 10 * time.Second

// Events receives what the webhooks report. Either function may be nil.
// They are called on the request's goroutine and should only queue work.
type Events struct {
	// Push reports that branch of repo (full name, owner/name) moved, was
	// created or was deleted.
	Push func(repo, branch string)
	// Repository reports that repo was created, deleted, renamed (then
	// both the old and the new name are reported), archived, unarchived,
	// transferred or had its visibility changed: only a full listing of
	// the source sees such changes, deletions included.
	Repository func(repo string)
}

// Handler verifies each delivery's X-Hub-Signature-256 (HMAC-SHA256 of the
// raw body with secret) and dispatches it. A missing or wrong signature is
// answered 401 and nothing is done; with an empty secret every delivery is
// answered 401 too, unread, since an unverified hook would let anyone
// trigger crawls.
//
// Answers, every one but ping's as {"error": ...} or {"status": ...}
// JSON: ping 200; an event acted on 202; an event or ref trawl does not
// use (issues, tags...) also 202, since an organisation hook often sends
// every event and GitHub shows any 4xx as a failed delivery (events trawl
// never uses are answered without reading their body); a payload that is
// not JSON 400; a body over MaxBody 413; a body not sent within
// ReadTimeout 408.
func Handler(secret []byte, ev Events, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &handler{secret: secret, ev: ev, log: log, readTimeout: ReadTimeout}
}

type handler struct {
	secret      []byte
	ev          Events
	log         *slog.Logger
	readTimeout time.Duration
}

// used reports whether trawl reads the payload of event.
func used(event string) bool {
	switch event {
	case "ping", "push", "create", "delete", "repository":
		return true
	}
	return false
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !OnlyPost(w, r, "webhooks") {
		return
	}
	event := r.Header.Get("X-GitHub-Event")
	log := h.logger().With("event", event, "delivery", r.Header.Get("X-GitHub-Delivery"))
	if !used(event) {
		// Never read: only what the headers say is checked.
		if !h.refuseUnread(w, r, log) {
			log.Debug("webhook ignored: event not used")
			writeStatus(w, http.StatusAccepted, "ignored")
		}
		return
	}
	body, ok := h.readSigned(w, r, log)
	if !ok {
		return
	}
	if event == "ping" {
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "pong\n")
		return
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		writeError(w, http.StatusBadRequest, "payload is not JSON")
		return
	}
	repo := p.Repository.FullName
	acted := false
	switch event {
	case "push":
		if branch, ok := strings.CutPrefix(p.Ref, "refs/heads/"); ok && repo != "" {
			acted = h.push(repo, branch)
		}
	case "create", "delete":
		if p.RefType == "branch" && repo != "" && p.Ref != "" {
			acted = h.push(repo, p.Ref)
		}
	case "repository":
		if repo != "" {
			acted = h.repository(repo)
			if from := p.Changes.Repository.Name.From; from != "" && p.Action == "renamed" {
				if owner, _, ok := strings.Cut(repo, "/"); ok {
					h.repository(owner + "/" + from)
				}
			}
			if p.Action == "transferred" {
				from := p.Changes.Owner.From.Organization.Login
				if from == "" {
					from = p.Changes.Owner.From.User.Login
				}
				if from != "" {
					h.repository(from + "/" + p.Repository.Name)
				}
			}
		}
	}
	if acted {
		log.Info("webhook", "repo", repo, "ref", p.Ref, "action", p.Action)
		writeStatus(w, http.StatusAccepted, "queued")
		return
	}
	log.Debug("webhook ignored", "repo", repo, "ref", p.Ref, "action", p.Action)
	writeStatus(w, http.StatusAccepted, "ignored")
}

func (h *handler) logger() *slog.Logger {
	if h.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.log
}

// refuseUnread answers the deliveries that can be refused without reading
// their body: no secret configured, no well-formed signature, a
// Content-Length over MaxBody. It reports whether it answered.
func (h *handler) refuseUnread(w http.ResponseWriter, r *http.Request, log *slog.Logger) bool {
	switch {
	case len(h.secret) == 0:
		log.Warn("webhook refused: no secret configured (server.webhook_secret_env)", "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, "webhooks are off: this server has no webhook secret (server.webhook_secret_env)")
	case !wellFormed(r.Header.Get("X-Hub-Signature-256")):
		log.Warn("webhook refused: missing or malformed signature", "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, "missing or wrong X-Hub-Signature-256")
	case r.ContentLength > MaxBody:
		log.Warn("webhook refused: payload too large", "bytes", r.ContentLength, "limit", MaxBody)
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("payload of %d bytes is over GitHub's cap of %d", r.ContentLength, MaxBody))
	default:
		return false
	}
	return true
}

// readSigned reads a delivery's body within the read timeout and MaxBody
// and checks its signature; it answers the request itself and returns
// false when the delivery is refused. Wrappers of Handler that read other
// events (pull_request) use it too, so that every delivery is bounded and
// checked alike.
func (h *handler) readSigned(w http.ResponseWriter, r *http.Request, log *slog.Logger) ([]byte, bool) {
	if h.refuseUnread(w, r, log) {
		return nil, false
	}
	body, ok := read(w, r, log, h.readTimeout)
	if !ok {
		return nil, false
	}
	if !h.verify(r.Header.Get("X-Hub-Signature-256"), body) {
		log.Warn("webhook refused: missing or wrong signature", "remote", r.RemoteAddr)
		writeError(w, http.StatusUnauthorized, "missing or wrong X-Hub-Signature-256")
		return nil, false
	}
	return body, true
}

// Read reads a delivery's body within ReadTimeout and MaxBody (a
// Content-Length over it is refused unread). On failure it answers the
// request itself (413, 408 or 400) and returns false. Every forge's
// handler reads through it, so that every delivery is bounded alike.
func Read(w http.ResponseWriter, r *http.Request, log *slog.Logger) ([]byte, bool) {
	return read(w, r, log, ReadTimeout)
}

func read(w http.ResponseWriter, r *http.Request, log *slog.Logger, timeout time.Duration) ([]byte, bool) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if r.ContentLength > MaxBody {
		log.Warn("webhook refused: payload too large", "bytes", r.ContentLength, "limit", MaxBody)
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("payload of %d bytes is over the cap of %d", r.ContentLength, MaxBody))
		return nil, false
	}
	if timeout <= 0 {
		timeout = ReadTimeout
	}
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &tooBig):
			log.Warn("webhook refused: payload too large", "limit", MaxBody)
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("payload over the cap of %d bytes", MaxBody))
		case errors.As(err, &ne) && ne.Timeout():
			log.Warn("webhook refused: payload not sent in time", "timeout", timeout, "remote", r.RemoteAddr)
			writeError(w, http.StatusRequestTimeout, fmt.Sprintf("payload not received within %s", timeout))
		default:
			writeError(w, http.StatusBadRequest, "cannot read payload")
		}
		return nil, false
	}
	return body, true
}

// ReplyError answers {"error": msg} with code.
func ReplyError(w http.ResponseWriter, code int, msg string) { writeError(w, code, msg) }

// ReplyStatus answers {"status": status} with code.
func ReplyStatus(w http.ResponseWriter, code int, status string) { writeStatus(w, code, status) }

// wellFormed reports whether header can be a signature: "sha256=" and 64
// hex digits.
func wellFormed(header string) bool {
	_, ok := ParseSignature(header)
	return ok
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, struct {
		Error string `json:"error"`
	}{msg})
}

func writeStatus(w http.ResponseWriter, code int, status string) {
	writeJSON(w, code, struct {
		Status string `json:"status"`
	}{status})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func (h *handler) push(repo, branch string) bool {
	if h.ev.Push == nil {
		return false
	}
	h.ev.Push(repo, branch)
	return true
}

func (h *handler) repository(repo string) bool {
	if h.ev.Repository == nil {
		return false
	}
	h.ev.Repository(repo)
	return true
}

// verify checks "sha256=<hex HMAC>" in constant time.
func (h *handler) verify(header string, body []byte) bool {
	sig, ok := ParseSignature(header)
	return ok && NewSecrets([][]byte{h.secret}).Signed(body, sig)
}

// Sign returns the X-Hub-Signature-256 value GitHub sends for body: for
// tests and for tools that replay deliveries.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// payload holds the fields trawl reads from push, create, delete and
// repository events.
type payload struct {
	Ref        string `json:"ref"`
	RefType    string `json:"ref_type"`
	Action     string `json:"action"`
	Repository struct {
		FullName string `json:"full_name"`
		Name     string `json:"name"`
	} `json:"repository"`
	Changes struct {
		Repository struct {
			Name struct {
				From string `json:"from"`
			} `json:"name"`
		} `json:"repository"`
		Owner struct {
			From struct {
				Organization struct {
					Login string `json:"login"`
				} `json:"organization"`
				User struct {
					Login string `json:"login"`
				} `json:"user"`
			} `json:"from"`
		} `json:"owner"`
	} `json:"changes"`
}
