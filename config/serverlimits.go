package config

import (
	"net"
	"strings"
	"time"
)

// ServerLimits bound what one request, or many, may cost trawl serve.
// Zero values mean the defaults README's "Query and server limits" lists
// (the web package holds them), so a file that sets none keeps up with
// them.
type ServerLimits struct {
	SearchTimeout         time.Duration `yaml:"search_timeout"`          // GET /api/search, /api/file and the other API calls; default 10s
	StreamTimeout         time.Duration `yaml:"stream_timeout"`          // GET /api/search/stream and exports; default 10m
	MaxConcurrentSearches int           `yaml:"max_concurrent_searches"` // searches verified at once; default 4
	SearchQueueWait       time.Duration `yaml:"search_queue_wait"`       // how long a search waits for a slot before 503; default 2s
	MaxAnswerBytes        Size          `yaml:"max_answer_bytes"`        // GET /api/search answer size; default 32MiB
	ReadTimeout           time.Duration `yaml:"read_timeout"`            // whole request, body included; default 30s
	WriteTimeout          time.Duration `yaml:"write_timeout"`           // whole answer; default search_timeout + 30s (the stream extends its own)
	IdleTimeout           time.Duration `yaml:"idle_timeout"`            // keep-alive connection without a request; default 2m
	// AllowedHosts are the Host names the server answers besides loopback
	// names, IP addresses and the listen host, when no API token is set:
	// the check stops DNS rebinding.
	AllowedHosts []string `yaml:"allowed_hosts"`
}

func (c *checker) serverLimits(s *ServerLimits) {
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"server.search_timeout", s.SearchTimeout},
		{"server.stream_timeout", s.StreamTimeout},
		{"server.search_queue_wait", s.SearchQueueWait},
		{"server.read_timeout", s.ReadTimeout},
		{"server.write_timeout", s.WriteTimeout},
		{"server.idle_timeout", s.IdleTimeout},
	} {
		if d.v < 0 {
			c.errorf(d.key, "must not be negative (leave it out for the default)")
		}
	}
	if s.MaxConcurrentSearches < 0 {
		c.errorf("server.max_concurrent_searches", "must not be negative (leave it out for the default)")
	}
	if s.MaxAnswerBytes < 0 {
		c.errorf("server.max_answer_bytes", "must not be negative (leave it out for the default)")
	}
	if s.WriteTimeout > 0 && s.SearchTimeout > 0 && s.WriteTimeout <= s.SearchTimeout {
		c.errorf("server.write_timeout", "must be longer than server.search_timeout (%s), or answers would be cut before the search ends", s.SearchTimeout)
	}
	for i, h := range s.AllowedHosts {
		if h == "" || strings.ContainsAny(h, "/ ") || strings.Contains(h, ":") && net.ParseIP(h) == nil {
			c.errorf("server.allowed_hosts", "entry %d: %s is not a host name (write example.com, without scheme or port)", i, show(h))
		}
	}
}
