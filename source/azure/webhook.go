package azure

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/trawl-dev/trawl/webhook"
)

// Webhook is the handler for Azure DevOps service hooks ("Web Hooks"
// consumer), mounted at POST /hooks/azure. Azure signs nothing: a
// subscription sends the basic-auth user name and password configured on
// it, so the password (any user name) must equal one of secrets,
// compared in constant time. git.push reports each pushed branch;
// git.repo.created, git.repo.deleted and git.repo.renamed report the
// repository (a full listing follows). Azure shows any answer outside
// 2xx as a failed delivery, so events trawl does not use are answered
// 202 "ignored"; the event type is in the body, so they are read (within
// webhook.MaxBody and webhook.ReadTimeout) once authenticated.
func Webhook(secrets [][]byte, ev webhook.Events, log *slog.Logger) http.Handler {
	return &hook{webhook.NewHook(secrets, ev, log)}
}

type hook struct{ webhook.Hook }

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !webhook.OnlyPost(w, r, "service hooks") {
		return
	}
	if h.Secrets.None() {
		h.Log.Warn("Azure DevOps service hook refused: no secret configured (webhook_secret_env)", "remote", r.RemoteAddr)
		webhook.ReplyError(w, http.StatusUnauthorized, "service hooks are off: no webhook secret is configured (sources[].azure.webhook_secret_env or server.webhook_secret_env)")
		return
	}
	if !h.authorized(r) {
		h.Log.Warn("Azure DevOps service hook refused: missing or wrong basic-auth password", "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Basic realm="trawl service hooks"`)
		webhook.ReplyError(w, http.StatusUnauthorized, "missing or wrong basic authentication: set the subscription's password to the webhook secret")
		return
	}
	body, ok := webhook.Read(w, r, h.Log)
	if !ok {
		return
	}
	ev, err := parseEvent(body)
	if err != nil {
		webhook.ReplyError(w, http.StatusBadRequest, "payload is not a service hook event in JSON")
		return
	}
	log := h.Log.With("event", ev.Type, "notification", ev.ID)
	acted := false
	switch {
	case ev.Type == "git.push" && h.Events.Push != nil && ev.Repo != "":
		for _, b := range ev.Branches {
			h.Events.Push(ev.Repo, b)
			acted = true
		}
	case ev.Repository() && h.Events.Repository != nil:
		for _, name := range ev.Names {
			h.Events.Repository(name)
			acted = true
		}
	}
	if acted {
		log.Info("Azure DevOps service hook", "repo", ev.Repo, "branches", ev.Branches)
		webhook.ReplyStatus(w, http.StatusAccepted, "queued")
		return
	}
	log.Debug("Azure DevOps service hook ignored", "repo", ev.Repo)
	webhook.ReplyStatus(w, http.StatusAccepted, "ignored")
}

// authorized checks the basic-auth password against every secret, each
// time all of them, in constant time.
func (h *hook) authorized(r *http.Request) bool {
	_, password, ok := r.BasicAuth()
	return ok && h.Secrets.Token(password)
}

// event is what trawl reads of a service hook delivery.
type event struct {
	Type, ID string
	// Repo is the full name organization/project/repo; Names the full
	// names a repository event concerns (old and new for a rename).
	Repo     string
	Names    []string
	Branches []string
}

// Repository reports a repository event.
func (e event) Repository() bool {
	switch e.Type {
	case "git.repo.created", "git.repo.deleted", "git.repo.renamed":
		return true
	}
	return false
}

// payload holds the fields of git.push and git.repo.* events trawl reads.
type payload struct {
	ID        string `json:"id"`
	EventType string `json:"eventType"`
	Resource  struct {
		RefUpdates []struct {
			Name string `json:"name"`
		} `json:"refUpdates"`
		Repository hookRepo `json:"repository"`
		// git.repo.deleted and git.repo.renamed
		RepositoryName string `json:"repositoryName"`
		OldName        string `json:"oldName"`
		NewName        string `json:"newName"`
	} `json:"resource"`
	ResourceContainers struct {
		Collection struct {
			BaseURL string `json:"baseUrl"`
		} `json:"collection"`
		Account struct {
			BaseURL string `json:"baseUrl"`
		} `json:"account"`
	} `json:"resourceContainers"`
}

type hookRepo struct {
	Name    string `json:"name"`
	Project struct {
		Name string `json:"name"`
	} `json:"project"`
	RemoteURL string `json:"remoteUrl"`
}

// parseEvent reads a delivery. Full names are built as the source builds
// them: the organisation (or Server collection) from the repository's
// remoteUrl, else from the delivery's collection or account baseUrl.
func parseEvent(body []byte) (event, error) {
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return event{}, err
	}
	ev := event{Type: p.EventType, ID: p.ID}
	res := p.Resource
	proj := res.Repository.Project.Name
	org := organization(res.Repository.RemoteURL, proj)
	if org == "" {
		org = organization(p.ResourceContainers.Collection.BaseURL, "")
	}
	if org == "" {
		org = organization(p.ResourceContainers.Account.BaseURL, "")
	}
	full := func(name string) string {
		if org == "" || proj == "" || name == "" {
			return ""
		}
		return org + "/" + proj + "/" + name
	}
	ev.Repo = full(res.Repository.Name)
	for _, u := range res.RefUpdates {
		if b, ok := strings.CutPrefix(u.Name, "refs/heads/"); ok && b != "" {
			ev.Branches = append(ev.Branches, b)
		}
	}
	for _, n := range []string{res.Repository.Name, res.RepositoryName, res.OldName, res.NewName} {
		if f := full(n); f != "" && !contains(ev.Names, f) {
			ev.Names = append(ev.Names, f)
		}
	}
	if ev.Repository() && len(ev.Names) == 0 {
		// A full listing follows whatever the name: say which project.
		ev.Names = []string{strings.Trim(org+"/"+proj, "/")}
	}
	return ev, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// organization is the organisation (or Server collection) a repository
// URL or a base URL names: the host's first label on
// {org}.visualstudio.com, else the path segment before the project (or
// before _git, when Azure leaves out a project named like its
// repository), else the last segment of a base URL.
//
//	https://acme@dev.azure.com/acme/web/_git/api      -> acme
//	https://acme.visualstudio.com/DefaultCollection/web/_git/api -> acme
//	https://tfs.example.com/tfs/DefaultCollection/web/_git/api -> DefaultCollection
//	https://dev.azure.com/acme/                       -> acme
func organization(raw, project string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	if host := strings.ToLower(u.Hostname()); strings.HasSuffix(host, ".visualstudio.com") {
		return strings.TrimSuffix(host, ".visualstudio.com")
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i, s := range segs {
		if s == "_git" {
			segs = segs[:i]
			if len(segs) > 1 && project != "" && strings.EqualFold(unescape(segs[len(segs)-1]), project) {
				segs = segs[:len(segs)-1]
			}
			break
		}
	}
	if len(segs) == 0 || segs[len(segs)-1] == "" {
		return ""
	}
	return unescape(segs[len(segs)-1])
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}
