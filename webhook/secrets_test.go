package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"
)

func TestSecrets(t *testing.T) {
	s := NewSecrets([][]byte{nil, []byte("one"), {}, []byte("two")})
	if s.None() {
		t.Fatal("None with two secrets")
	}
	if !NewSecrets([][]byte{nil, {}}).None() {
		t.Error("empty secrets kept")
	}
	for tok, want := range map[string]bool{"one": true, "two": true, "": false, "three": false, "on": false} {
		if got := s.Token(tok); got != want {
			t.Errorf("Token(%q) = %v, want %v", tok, got, want)
		}
	}
	body := []byte(`{"ref":"refs/heads/main"}`)
	sign := func(key string) []byte {
		m := hmac.New(sha256.New, []byte(key))
		m.Write(body)
		return m.Sum(nil)
	}
	if !s.Signed(body, sign("two")) || !s.Signed(body, []byte("junk"), sign("one")) {
		t.Error("a signature with a configured secret refused")
	}
	if s.Signed(body, sign("three")) || s.Signed(body) || NewSecrets(nil).Signed(body, sign("")) {
		t.Error("a signature with no configured secret accepted")
	}
	if sig, ok := ParseSignature(Sign([]byte("one"), body)); !ok || !s.Signed(body, sig) {
		t.Errorf("ParseSignature(Sign(...)) = %x, %v", sig, ok)
	}
	for _, h := range []string{"", "sha256=", "sha1=" + Sign([]byte("one"), body)[7:], Sign([]byte("one"), body)[:70], "sha256=" + string(make([]byte, 64))} {
		if _, ok := ParseSignature(h); ok {
			t.Errorf("ParseSignature(%q) accepted", h)
		}
	}
}
