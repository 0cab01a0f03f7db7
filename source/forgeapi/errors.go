package forgeapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// HTMLError is a 2xx answer in HTML where JSON was asked: most often a
// single-sign-on or login page in front of the API, or an api_url that
// names the web interface rather than the API.
type HTMLError struct {
	Forge  string
	URL    string // without query parameters, which may hold secrets
	Status int
}

func (e *HTMLError) Error() string {
	return fmt.Sprintf("%s answered %s with an HTML page (%d), not JSON: a login or single-sign-on page in front of the API? check api_url and the token", e.Forge, e.URL, e.Status)
}

// StatusError is a non-2xx answer to GetJSON.
type StatusError struct {
	Forge   string
	URL     string // without query parameters
	Status  int
	Message string // the forge's own message, when it sent one
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s answered %d %s for %s", e.Forge, e.Status, http.StatusText(e.Status), e.URL)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	switch e.Status {
	case http.StatusUnauthorized:
		msg += " (is the token expired or revoked?)"
	case http.StatusForbidden:
		msg += " (does the token have the scopes the README lists?)"
	}
	return msg
}

// GetJSON GETs u through c and decodes the JSON answer into v. A non-2xx
// answer is a *StatusError, an HTML one a *HTMLError (from the Transport),
// and an answer that is not JSON says so rather than quoting the decoder.
func GetJSON(ctx context.Context, c *http.Client, u string, v any) (http.Header, error) {
	forge := "forge"
	if t, ok := c.Transport.(*Transport); ok {
		forge = t.forge
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%s request: %w", forge, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp.Header, fmt.Errorf("read %s answer from %s: %w", forge, redactURL(req.URL), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, &StatusError{Forge: forge, URL: redactURL(req.URL), Status: resp.StatusCode, Message: message(body)}
	}
	if isHTML(resp.Header) {
		return resp.Header, &HTMLError{Forge: forge, URL: redactURL(req.URL), Status: resp.StatusCode}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return resp.Header, fmt.Errorf("%s answered %s with something that is not the JSON expected (%d bytes): %w", forge, redactURL(req.URL), len(body), err)
	}
	return resp.Header, nil
}

// maxBody bounds one API answer: a listing page is kilobytes, and a forge
// that streams without end must not take the crawler's memory.
const maxBody = 64 << 20

// message is a forge's error text from a JSON error body, short; every
// forge names it differently.
func message(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	for _, k := range []string{"message", "error", "error_description", "errors"} {
		switch v := m[k].(type) {
		case string:
			return clip(v)
		case map[string]any:
			if s, ok := v["message"].(string); ok {
				return clip(s)
			}
		case []any:
			if len(v) > 0 {
				if e, ok := v[0].(map[string]any); ok {
					if s, ok := e["message"].(string); ok {
						return clip(s)
					}
				}
			}
		}
	}
	return ""
}

func clip(s string) string {
	const limit = 200
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}

// isHTML reports whether an answer says it is an HTML page.
func isHTML(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && (mt == "text/html" || mt == "application/xhtml+xml")
}

// redactURL is u without its query and user info, for messages: forges
// accept tokens as query parameters (private_token, access_token).
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.RawQuery, c.User, c.Fragment = "", nil, ""
	return strings.TrimSuffix(c.String(), "?")
}
