package github_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawl-dev/trawl/config"
	"github.com/trawl-dev/trawl/source/forgeapi/forgeapitest"
	"github.com/trawl-dev/trawl/source/github/githubtest"
)

// TestGitHubAppInstallationToken checks the App flow: an RS256 JWT signed
// with the App key is exchanged for an installation token, which then
// authenticates both the API calls and the clones, and is reused while it
// is valid.
func TestGitHubAppInstallationToken(t *testing.T) {
	installationToken := "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
	f := githubtest.New(t, "acme", installationToken)
	work := githubtest.NewWork(t, map[string]string{"a.txt": "one\n"})
	f.AddRepo(work, "api", nil)

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	exchanges := 0
	f.Handle("POST /api/v3/app/installations/42/access_tokens", func(w http.ResponseWriter, r *http.Request) {
		exchanges++
		if msg := checkJWT(r.Header.Get("Authorization"), &key.PublicKey, "7"); msg != "" {
			githubtest.WriteJSON(w, http.StatusUnauthorized, map[string]string{"message": msg})
			return
		}
		githubtest.WriteJSON(w, http.StatusCreated, map[string]any{
			"token":                installationToken,
			"expires_at":           time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
			"permissions":          map[string]string{"contents": "read", "metadata": "read"},
			"repository_selection": "all",
		})
	})

	cfg := &config.GitHub{Org: "acme", APIURL: f.APIURL(), Concurrency: 2, AppID: 7, InstallationID: 42, PrivateKeyFile: keyFile}
	src := newSource(t, cfg, t.TempDir(), nil, 0)
	repos, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := branchHead(t, forgeapitest.Find(t, repos, "acme/api")), work.Git("rev-parse", "HEAD"); got != want {
		t.Errorf("main at %s, want %s", got, want)
	}
	if exchanges != 1 {
		t.Errorf("%d token exchanges, want 1 reused token", exchanges)
	}
}

// checkJWT verifies an App JWT as GitHub does; it returns what is wrong.
func checkJWT(auth string, pub *rsa.PublicKey, iss string) string {
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return "no bearer token"
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "not a JWT"
	}
	header, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if !strings.Contains(string(header), `"RS256"`) {
		return "not RS256"
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "bad signature encoding"
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return "A JSON web token could not be decoded"
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Iat, Exp int64
		Iss      json.Number
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Iss.String() != iss {
		return "wrong issuer"
	}
	now := time.Now().Unix()
	if claims.Iat > now || claims.Exp <= now || claims.Exp-claims.Iat > 600 {
		return "'Expiration time' claim ('exp') is too far in the future"
	}
	return ""
}
