package compliance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Target is one webhook receiving transitions. URL may hold a secret
// (Slack and Teams put one in the path): it never reaches logs, errors or
// the status, which name the target by scheme and host only.
type Target struct {
	URL    string
	Format string // generic, slack or teams
}

// Name shows the target without its secret path.
func (t Target) Name() string {
	u, err := url.Parse(t.URL)
	if err != nil || u.Host == "" {
		return "webhook " + t.Format
	}
	return t.Format + " " + u.Scheme + "://" + u.Host
}

// maxSent bounds the delivered transition ids remembered to refuse a
// second delivery; older ones are forgotten oldest first. A transition is
// computed once per stored evaluation, so this only guards against the
// same transition being queued twice within a process.
const maxSent = 100_000

// maxRecentErrors bounds the delivery errors kept for the status.
const maxRecentErrors = 20

// Notifier delivers transitions to webhooks: each one once per target,
// retried with exponential backoff while the target fails, and kept
// pending (shown in Status) rather than dropped when retries run out; the
// next Enqueue tries it again.
type Notifier struct {
	Targets []Target
	Client  *http.Client  // default: 10 s timeout
	Log     *slog.Logger  // default slog.Default()
	Retries int           // attempts per round beyond the first; default 5
	Backoff time.Duration // first wait between attempts, doubled each time (max 1 min); default 1 s
	// StatePath, when set, is a file keeping the pending deliveries and
	// the ids already delivered, so that a restart neither loses an alert
	// nor sends one twice.
	StatePath string

	mu       sync.Mutex
	pending  []delivery
	sent     map[string]bool
	sentList []string
	status   AlertStatus
	wake     chan struct{}
	loaded   bool
}

type delivery struct {
	target int
	t      Transition
}

// savedState is the StatePath file. Targets are named by a hash of their
// URL, which may be a secret.
type savedState struct {
	Pending []savedDelivery `json:"pending"`
	Sent    []string        `json:"sent"`
}

type savedDelivery struct {
	Target     string     `json:"target"`
	Transition Transition `json:"transition"`
}

func targetID(t Target) string { return fingerprint(t.URL, t.Format) }

// load reads StatePath once; n.mu is held. A pending delivery to a
// target no longer configured is dropped.
func (n *Notifier) load() {
	if n.loaded {
		return
	}
	n.loaded = true
	if n.sent == nil {
		n.sent = map[string]bool{}
	}
	if n.StatePath == "" {
		return
	}
	data, err := os.ReadFile(n.StatePath)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			n.logger().Error("read alert state", "path", n.StatePath, "err", err)
		}
		return
	}
	var st savedState
	if err := json.Unmarshal(data, &st); err != nil {
		n.logger().Error("read alert state", "path", n.StatePath, "err", err)
		return
	}
	byID := map[string]int{}
	for i, t := range n.Targets {
		byID[targetID(t)] = i
	}
	for _, d := range st.Pending {
		if i, ok := byID[d.Target]; ok {
			n.pending = append(n.pending, delivery{i, d.Transition})
		}
	}
	for _, k := range st.Sent {
		if !n.sent[k] {
			n.sent[k] = true
			n.sentList = append(n.sentList, k)
		}
	}
	n.status.Pending = len(n.pending)
}

// save writes StatePath; n.mu is held.
func (n *Notifier) save() {
	if n.StatePath == "" {
		return
	}
	st := savedState{Pending: []savedDelivery{}, Sent: n.sentList}
	for _, d := range n.pending {
		st.Pending = append(st.Pending, savedDelivery{targetID(n.Targets[d.target]), d.t})
	}
	data, err := json.Marshal(st)
	if err == nil {
		tmp := n.StatePath + ".tmp"
		if err = os.MkdirAll(filepath.Dir(n.StatePath), 0o755); err == nil {
			err = os.WriteFile(tmp, data, 0o600)
		}
		if err == nil {
			err = os.Rename(tmp, n.StatePath)
		}
	}
	if err != nil {
		n.logger().Error("write alert state", "path", n.StatePath, "err", err)
	}
}

func (n *Notifier) logger() *slog.Logger {
	if n.Log == nil {
		return slog.Default()
	}
	return n.Log
}

// AlertStatus is what GET /api/status shows of the alerts.
type AlertStatus struct {
	Delivered int          `json:"delivered"`
	Pending   int          `json:"pending"`         // waiting or failing deliveries
	Failures  int          `json:"failed_attempts"` // attempts that failed, all targets
	Errors    []AlertError `json:"errors,omitempty"`
}

// AlertError is one failed attempt.
type AlertError struct {
	Target string    `json:"target"`
	Rule   string    `json:"rule"`
	Repo   string    `json:"repo"`
	Branch string    `json:"branch"`
	At     time.Time `json:"at"`
	Error  string    `json:"error"`
}

// Enqueue adds the deliveries of ts (one per target) not already sent
// or queued, and wakes Run.
func (n *Notifier) Enqueue(ts []Transition) {
	n.mu.Lock()
	n.load()
	queued := map[string]bool{}
	for _, d := range n.pending {
		queued[n.key(d)] = true
	}
	for _, t := range ts {
		for i := range n.Targets {
			d := delivery{i, t}
			if k := n.key(d); !n.sent[k] && !queued[k] {
				queued[k] = true
				n.pending = append(n.pending, d)
			}
		}
	}
	n.status.Pending = len(n.pending)
	n.save()
	n.mu.Unlock()
	select {
	case n.wakeChan() <- struct{}{}:
	default:
	}
}

func (n *Notifier) wakeChan() chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.wake == nil {
		n.wake = make(chan struct{}, 1)
	}
	return n.wake
}

func (n *Notifier) key(d delivery) string { return targetID(n.Targets[d.target]) + "/" + d.t.ID() }

// Status returns a copy of the delivery state.
func (n *Notifier) Status() AlertStatus {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.status
	s.Errors = append([]AlertError(nil), s.Errors...)
	return s
}

// Run delivers what an earlier process left pending, then queued
// transitions as they come, until ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	wake := n.wakeChan()
	n.Flush(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
			n.Flush(ctx)
		}
	}
}

// Flush tries every pending delivery now, with retries, and returns when
// each has been delivered or has run out of retries for this round.
func (n *Notifier) Flush(ctx context.Context) {
	n.mu.Lock()
	n.load()
	work := append([]delivery(nil), n.pending...)
	n.mu.Unlock()
	for _, d := range work {
		if ctx.Err() != nil {
			return
		}
		err := n.deliver(ctx, d)
		n.mu.Lock()
		if err == nil {
			k := n.key(d)
			n.sent[k] = true
			n.sentList = append(n.sentList, k)
			if len(n.sentList) > maxSent {
				delete(n.sent, n.sentList[0])
				n.sentList = n.sentList[1:]
			}
			n.status.Delivered++
			for i, p := range n.pending {
				if n.key(p) == k {
					n.pending = append(n.pending[:i], n.pending[i+1:]...)
					break
				}
			}
		}
		n.status.Pending = len(n.pending)
		n.save()
		n.mu.Unlock()
	}
}

func (n *Notifier) deliver(ctx context.Context, d delivery) error {
	target := n.Targets[d.target]
	body, err := Payload(target.Format, d.t)
	if err != nil {
		return err
	}
	retries, wait := n.Retries, n.Backoff
	if retries <= 0 {
		retries = 5
	}
	if wait <= 0 {
		wait = time.Second
	}
	client := n.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	log := n.logger()
	for attempt := 0; ; attempt++ {
		err = post(ctx, client, target.URL, body)
		if err == nil {
			return nil
		}
		err = fmt.Errorf("post %s alert for %s on %s@%s: %w", target.Name(), d.t.Rule, d.t.Repo, d.t.Branch, err)
		log.Warn("compliance alert failed", "target", target.Name(), "rule", d.t.Rule, "repo", d.t.Repo, "branch", d.t.Branch, "attempt", attempt+1, "err", err)
		n.mu.Lock()
		n.status.Failures++
		n.status.Errors = append(n.status.Errors, AlertError{Target: target.Name(), Rule: d.t.Rule, Repo: d.t.Repo, Branch: d.t.Branch, At: time.Now().UTC(), Error: err.Error()})
		if len(n.status.Errors) > maxRecentErrors {
			n.status.Errors = n.status.Errors[len(n.status.Errors)-maxRecentErrors:]
		}
		n.mu.Unlock()
		if attempt >= retries {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

// post sends body; an error never holds the URL, which may be a secret.
func post(ctx context.Context, client *http.Client, target string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: invalid URL")
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err // url.Error repeats the URL
		}
		return err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("status %s", res.Status)
	}
	return nil
}

// Payload is the JSON body of one transition for a format: generic (the
// transition itself under "event"), slack (an incoming-webhook message
// with text) or teams (an Office 365 connector MessageCard).
func Payload(format string, t Transition) ([]byte, error) {
	event := "compliance.failing"
	verb := "newly fails"
	color := "D70000"
	if t.To == Pass {
		event, verb, color = "compliance.recovered", "recovered", "2EB67D"
	}
	summary := fmt.Sprintf("%s: rule %s (%s) %s on %s@%s", t.Title, t.Rule, t.Severity, verb, t.Repo, t.Branch)
	var lines []string
	for i, ev := range t.Evidence {
		if i == 5 {
			lines = append(lines, fmt.Sprintf("and %d more", len(t.Evidence)-5))
			break
		}
		l := ev.Path
		if ev.Line > 0 {
			l += fmt.Sprintf(":%d", ev.Line)
		}
		if ev.Text != "" {
			l += " " + ev.Text
		}
		if ev.Advisory != "" {
			l += " " + ev.Advisory
		}
		if ev.URL != "" {
			l += " " + ev.URL
		}
		lines = append(lines, l)
	}
	var v any
	switch format {
	case "", "generic":
		v = map[string]any{"event": event, "transition": t}
	case "slack":
		text := summary
		if len(lines) > 0 {
			text += "\n" + strings.Join(lines, "\n")
		}
		v = map[string]any{"text": text}
	case "teams":
		v = map[string]any{"@type": "MessageCard", "@context": "https://schema.org/extensions",
			"summary": summary, "themeColor": color, "title": summary, "text": strings.Join(lines, "\n\n")}
	default:
		return nil, fmt.Errorf("alert format %q is not generic, slack or teams", format)
	}
	return json.Marshal(v)
}
