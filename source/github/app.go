package github

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
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	gh "github.com/google/go-github/v57/github"

	"github.com/trawl-dev/trawl/config"
)

// appToken authenticates as a GitHub App installation: it signs a short
// JWT with the App's private key and exchanges it for an installation
// token (POST /app/installations/{id}/access_tokens), renewed before it
// expires.
type appToken struct {
	appID, installationID int64
	key                   *rsa.PrivateKey
	client                *gh.Client

	mu      sync.Mutex
	token   string
	expires time.Time
}

func newAppToken(cfg *config.GitHub, baseURL *url.URL, opts Options) (*appToken, error) {
	data, err := os.ReadFile(cfg.PrivateKeyFile)
	if err != nil {
		return nil, fmt.Errorf("read GitHub App key: %w", err)
	}
	key, err := parseRSAKey(data)
	if err != nil {
		return nil, fmt.Errorf("read GitHub App key %s: %w", cfg.PrivateKeyFile, err)
	}
	a := &appToken{appID: cfg.AppID, installationID: cfg.InstallationID, key: key}
	tr := newTransport(baseURL.Host, func(context.Context) (string, error) { return a.jwt(time.Now()) }, opts, 1, nil)
	a.client = gh.NewClient(&http.Client{Transport: tr})
	a.client.BaseURL = baseURL
	return a, nil
}

func parseRSAKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("not an RSA private key (PKCS#1 or PKCS#8)")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA private key")
	}
	return rk, nil
}

// Token returns a valid installation token, asking GitHub for a new one
// when the current one has less than five minutes left.
func (a *appToken) Token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && time.Until(a.expires) > 5*time.Minute {
		return a.token, nil
	}
	it, _, err := a.client.Apps.CreateInstallationToken(ctx, a.installationID, nil)
	if err != nil {
		return "", fmt.Errorf("get installation token for GitHub App %d: %w", a.appID, err)
	}
	if it.GetToken() == "" {
		return "", fmt.Errorf("get installation token for GitHub App %d: empty token", a.appID)
	}
	a.token, a.expires = it.GetToken(), it.GetExpiresAt().Time
	return a.token, nil
}

// jwt makes the App's RS256-signed JSON Web Token. GitHub accepts at most
// ten minutes of validity; iat is set a minute back for clock drift.
func (a *appToken) jwt(now time.Time) (string, error) {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, err := json.Marshal(map[string]any{
		"iat": now.Add(-time.Minute).Unix(),
		"exp": now.Add(9 * time.Minute).Unix(),
		"iss": a.appID,
	})
	if err != nil {
		return "", err
	}
	signed := header + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, a.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign GitHub App JWT: %w", err)
	}
	return signed + "." + enc.EncodeToString(sig), nil
}
