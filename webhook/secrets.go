package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// Secrets are the secrets a forge's hook handler accepts, one per
// configured source of that forge (empty ones dropped): a delivery proves
// itself with any of them. Every check compares against all of them, in
// constant time, so the answer's timing tells nothing of which secret
// nearly matched.
type Secrets struct {
	keys [][]byte
	sums [][sha256.Size]byte // of keys: equal lengths, so a token comparison leaks no length
}

// NewSecrets keeps the non-empty secrets of list.
func NewSecrets(list [][]byte) Secrets {
	var s Secrets
	for _, k := range list {
		if len(k) > 0 {
			s.keys = append(s.keys, k)
			s.sums = append(s.sums, sha256.Sum256(k))
		}
	}
	return s
}

// None reports that no secret is configured: such a handler refuses every
// delivery, since a hook nobody authenticates would let anyone trigger
// crawls.
func (s Secrets) None() bool { return len(s.keys) == 0 }

// Token reports whether token (sent as is, unsigned: GitLab's
// X-Gitlab-Token, Azure DevOps's basic-auth password) equals one of the
// secrets.
func (s Secrets) Token(token string) bool {
	if token == "" {
		return false
	}
	got := sha256.Sum256([]byte(token))
	match := 0
	for _, want := range s.sums {
		match |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	return match == 1
}

// Signed reports whether any of sigs is the HMAC-SHA256 of body under any
// of the secrets.
func (s Secrets) Signed(body []byte, sigs ...[]byte) bool {
	ok := false
	for _, key := range s.keys {
		mac := hmac.New(sha256.New, key)
		mac.Write(body)
		sum := mac.Sum(nil)
		for _, sig := range sigs {
			if hmac.Equal(sig, sum) {
				ok = true
			}
		}
	}
	return ok
}

// ParseSignature decodes a "sha256=<64 hex digits>" header (GitHub's
// X-Hub-Signature-256, Bitbucket's X-Hub-Signature). Anything else is not
// a signature, and is refused before the body is read.
func ParseSignature(header string) ([]byte, bool) {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(hexSig) != 2*sha256.Size {
		return nil, false
	}
	sig, err := hex.DecodeString(hexSig)
	return sig, err == nil
}
