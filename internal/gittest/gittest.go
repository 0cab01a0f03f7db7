// Package gittest owns the real git fixtures trawl's tests use: repositories
// built with the git CLI, and a smart-HTTP server (git http-backend behind
// net/http/cgi) with optional basic auth.
package gittest

import (
	"crypto/subtle"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Repo is a working repository made with the git CLI.
type Repo struct {
	t   testing.TB
	Dir string
}

// Init creates a repository in dir whose first branch is main.
func Init(t testing.TB, dir string) *Repo {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &Repo{t: t, Dir: dir}
	r.Git("init", "-q", "-b", "main")
	return r
}

// Git runs git in the repository with a fixed identity and dates, and
// returns its trimmed output.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	return Run(r.t, r.Dir, args...)
}

// Run runs git in dir and fails the test on error.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=trawl test", "GIT_AUTHOR_EMAIL=test@trawl.invalid",
		"GIT_COMMITTER_NAME=trawl test", "GIT_COMMITTER_EMAIL=test@trawl.invalid",
		"GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return strings.TrimSpace(string(out))
}

// Write writes files (path -> content) into the work tree; an empty
// content with a path ending in "!" deletes the file instead.
func (r *Repo) Write(files map[string]string) {
	r.t.Helper()
	for path, content := range files {
		if strings.HasSuffix(path, "!") {
			r.Git("rm", "-q", "--", strings.TrimSuffix(path, "!"))
			continue
		}
		full := filepath.Join(r.Dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// Commit writes files, stages everything and commits; it returns the new
// commit id.
func (r *Repo) Commit(msg string, files map[string]string) string {
	r.t.Helper()
	r.Write(files)
	r.Git("add", "-A")
	r.Git("commit", "-q", "--allow-empty", "-m", msg)
	return r.Git("rev-parse", "HEAD")
}

// Checkout switches to branch, creating it from the current HEAD when new.
func (r *Repo) Checkout(branch string) {
	r.t.Helper()
	if err := exec.Command("git", "-C", r.Dir, "rev-parse", "--verify", "-q", "refs/heads/"+branch).Run(); err != nil {
		r.Git("checkout", "-q", "-b", branch)
		return
	}
	r.Git("checkout", "-q", branch)
}

// Server serves every repository below Root over smart HTTP.
type Server struct {
	*httptest.Server
	Root string
}

// Serve starts git http-backend for the repositories below root, with
// push enabled. When user is not empty, every request needs that basic auth.
func Serve(t testing.TB, root, user, password string) *Server {
	t.Helper()
	s := &Server{Server: httptest.NewServer(handler(t, root, user, password)), Root: root}
	t.Cleanup(s.Close)
	return s
}

// ServeTLS is Serve over https, with httptest's certificate: Client()
// trusts it.
func ServeTLS(t testing.TB, root, user, password string) *Server {
	t.Helper()
	s := &Server{Server: httptest.NewTLSServer(handler(t, root, user, password)), Root: root}
	t.Cleanup(s.Close)
	return s
}

func handler(t testing.TB, root, user, password string) http.Handler {
	t.Helper()
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	backend := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_CONFIG_NOSYSTEM=1",
			// http-backend refuses pushes from unauthenticated users
			// unless told otherwise.
			"REMOTE_USER=trawl",
		},
	}
	h := http.Handler(backend)
	if user != "" {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 ||
				subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			backend.ServeHTTP(w, r)
		})
	}
	return h
}

// Bare makes a bare clone of work under the server's root as name.git and
// enables pushes to it; it returns its clone URL.
func (s *Server) Bare(t testing.TB, work *Repo, name string) string {
	t.Helper()
	dst := filepath.Join(s.Root, name+".git")
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	Run(t, s.Root, "clone", "-q", "--bare", work.Dir, dst)
	Run(t, dst, "config", "http.receivepack", "true")
	return s.URL + "/" + name + ".git"
}
