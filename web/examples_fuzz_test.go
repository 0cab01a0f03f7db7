package web

import (
	"slices"
	"strings"
	"testing"
)

func TestParseSettings(t *testing.T) {
	keys, m := parseSettings([]byte("# comment\nname: api\ntimeout: 30s\nretry:\n  timeout: 5s\nport=8080\n  # key: hidden\n"))
	if !slices.Equal(keys, []string{"name", "port"}) {
		t.Errorf("keys %v: want name and port (timeout is set twice, retry has no value)", keys)
	}
	if m["port"] != (setting{"=", "8080"}) || m["name"] != (setting{":", "api"}) {
		t.Errorf("settings %v", m)
	}
}

// FuzzParseSettings: whatever the text, every key returned is set once,
// with a value, on a line of the text.
func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{
		"a: 1\nb=2\n", "server:\n  port: 8080\n", "# x: 1\n", "k: v\nk: w\n", "key :  spaced value  \r\n", "=x\n:y\n", "ü: 1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		keys, m := parseSettings(text)
		if len(keys) != len(m) {
			t.Fatalf("%d keys, %d settings", len(keys), len(m))
		}
		for _, k := range keys {
			s, ok := m[k]
			if !ok || s.value == "" || (s.sep != ":" && s.sep != "=") {
				t.Fatalf("key %q: setting %+v", k, s)
			}
			if !strings.Contains(string(text), k) || !strings.Contains(string(text), s.value) {
				t.Fatalf("key %q or value %q is not in the text", k, s.value)
			}
		}
	})
}
