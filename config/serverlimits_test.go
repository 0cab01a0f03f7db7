package config

import (
	"testing"
	"time"
)

func TestServerLimits(t *testing.T) {
	cfg, err := Parse([]byte("sources:\n  - dir: /srv\nserver:\n  listen: 127.0.0.1:9000\n  max_concurrent_searches: 2\n  search_queue_wait: 500ms\n"+
		"  max_answer_bytes: 8MiB\n  search_timeout: 5s\n  write_timeout: 1m\n  allowed_hosts: [trawl.example.com]\n"), "trawl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.Server.ServerLimits
	if l.MaxConcurrentSearches != 2 || l.SearchQueueWait != 500*time.Millisecond || l.MaxAnswerBytes != 8<<20 ||
		l.SearchTimeout != 5*time.Second || l.WriteTimeout != time.Minute || len(l.AllowedHosts) != 1 || l.AllowedHosts[0] != "trawl.example.com" {
		t.Errorf("limits = %+v", l)
	}

	for _, tt := range []struct{ yaml, want string }{
		{"  max_concurrent_searches: -1\n", "trawl.yaml:4: server.max_concurrent_searches: must not be negative (leave it out for the default)"},
		{"  idle_timeout: -1s\n", "trawl.yaml:4: server.idle_timeout: must not be negative (leave it out for the default)"},
		{"  search_timeout: 30s\n  write_timeout: 10s\n", "trawl.yaml:5: server.write_timeout: must be longer than server.search_timeout (30s), or answers would be cut before the search ends"},
		{"  allowed_hosts: ['https://x.example']\n", `trawl.yaml:4: server.allowed_hosts: entry 0: "https://x.example" is not a host name (write example.com, without scheme or port)`},
		{"  max_answer_bytes: lots\n", `trawl.yaml:4: server.max_answer_bytes: "lots" is not a size (examples: 1048576, 512KiB, 1MiB)`},
	} {
		_, err := Parse([]byte("sources:\n  - dir: /srv\nserver:\n"+tt.yaml), "trawl.yaml")
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: error\n got: %v\nwant: %s", tt.yaml, err, tt.want)
		}
	}
}
