package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"
)

//go:embed ui
var uiFS embed.FS

// asset is one embedded static file with a hash of its content, which the
// pages put in the URL so that browsers may cache it forever.
type asset struct {
	data        []byte
	hash        string
	contentType string
}

func loadAssets() map[string]asset {
	out := map[string]asset{}
	entries, err := fs.ReadDir(uiFS, "ui")
	if err != nil {
		panic("web: read embedded ui: " + err.Error()) // the embed is fixed at build time
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) == ".html" {
			continue
		}
		data, err := uiFS.ReadFile("ui/" + name)
		if err != nil {
			panic("web: read embedded ui/" + name + ": " + err.Error())
		}
		sum := sha256.Sum256(data)
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		out[name] = asset{data: data, hash: hex.EncodeToString(sum[:8]), contentType: ct}
	}
	return out
}

func (s *Server) assetURL(name string) string {
	a, ok := s.assets[name]
	if !ok {
		panic("web: page refers to missing asset " + name)
	}
	return "/static/" + name + "?v=" + a.hash
}

func (s *Server) handleAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := s.assets[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", `"`+a.hash+`"`)
	if r.URL.Query().Get("v") == a.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}

// pageData is what the page template sees. It holds no data from the
// index: the pages fetch everything from the API, with the token the user
// typed, so a page is safe to serve without one.
type pageData struct {
	Page  string // search, file, status, deps
	Title string
	Query string // the search box's initial value
	Auth  bool   // the API wants a bearer token
}

func (s *Server) page(name string) http.HandlerFunc {
	titles := map[string]string{"search": "trawl code search", "file": "file · trawl", "status": "status · trawl",
		"deps": "dependencies · trawl", "changes": "changes · trawl"}
	return func(w http.ResponseWriter, r *http.Request) {
		d := pageData{Page: name, Title: titles[name], Query: r.URL.Query().Get("q"), Auth: s.authOn}
		var buf bytes.Buffer
		if err := s.pages.Execute(&buf, d); err != nil {
			s.log.Error("render page", "page", name, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(buf.Bytes())
	}
}
