package elastic

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
)

// The backend talks to the cluster through its own requests (api.go) over
// elastictransport (connection pool, retries, authentication) rather than
// through the go-elasticsearch client: its root package brings the typed
// API, about 860 packages, and esapi holds builders for every endpoint in
// one package of 565 files that alone took about 40 s of a cold build.
// trawl sends a dozen kinds of request.

// client is elastictransport plus the product check the official client
// would have made.
type client struct {
	tp    *elastictransport.Client
	where string // addresses or cloud id, for errors; never credentials
	// identity asks for uncompressed answers (Options.Compress unset).
	// Otherwise net/http asks for gzip and decompresses on its own.
	identity bool
	// genuine is set once a successful answer carried the product header.
	genuine atomic.Bool
}

// errNotElasticsearch is returned when a 2xx answer lacks the
// X-Elastic-Product header.
var errNotElasticsearch = errors.New("the server does not identify itself as Elasticsearch " +
	"(no X-Elastic-Product: Elasticsearch header, which Elasticsearch sends from 7.14 on); " +
	"older Elasticsearch versions and OpenSearch are not supported")

// perform sends req. Like the official client, it refuses the answers of a
// server that does not identify itself as Elasticsearch, checking 2xx
// answers until one passes: error answers of proxies in front of the
// cluster carry no header and prove nothing, and one good answer shows
// who is behind the address.
func (c *client) perform(req *http.Request) (*http.Response, error) {
	res, err := c.tp.Perform(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 && !c.genuine.Load() {
		if res.Header.Get("X-Elastic-Product") != "Elasticsearch" {
			res.Body.Close()
			return nil, errNotElasticsearch
		}
		c.genuine.Store(true)
	}
	return res, nil
}

// Close releases the connection pool.
func (c *client) Close(ctx context.Context) error { return c.tp.Close(ctx) }

// newClient builds the transport cfg describes. Secrets are never logged.
func newClient(cfg Options) (*client, error) {
	tc := elastictransport.Config{
		UserAgent: "trawl",
		Username:  cfg.Username,
		// 429 is the cluster pushing back (queues full); 5xx are mostly a
		// node restarting or a shard relocating. Both pass with time.
		RetryOnStatus: []int{http.StatusTooManyRequests, 500, 502, 503, 504},
		MaxRetries:    5,
		RetryBackoff:  backoff,
	}
	addrs := cfg.Addresses
	where := strings.Join(addrs, ", ")
	if cfg.CloudID != "" {
		if len(addrs) > 0 {
			return nil, errors.New("addresses and cloud_id are both set: choose one")
		}
		a, err := cloudAddress(cfg.CloudID)
		if err != nil {
			return nil, err
		}
		addrs = []string{a}
		where = "cloud id " + strings.SplitN(cfg.CloudID, ":", 2)[0]
	}
	if len(addrs) == 0 {
		addrs = []string{"http://127.0.0.1:9200"}
		where = addrs[0]
	}
	for i, a := range addrs {
		u, err := url.Parse(strings.TrimRight(a, "/"))
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("addresses[%d]: %q is not an http:// or https:// URL", i, a)
		}
		if u.User != nil {
			// Credentials in the URL would end up in errors; ask for the
			// fields made for them.
			return nil, fmt.Errorf("addresses[%d]: credentials belong in the username, password or API key options, not in the URL", i)
		}
		tc.URLs = append(tc.URLs, u)
	}
	tc.Password, tc.APIKey = cfg.Password, cfg.APIKey
	var err error
	if cfg.CACertFile != "" {
		if tc.CACert, err = os.ReadFile(cfg.CACertFile); err != nil {
			return nil, fmt.Errorf("read CA certificate: %w", err)
		}
	}
	tp, err := elastictransport.New(tc)
	if err != nil {
		return nil, err
	}
	return &client{tp: tp, where: where, identity: !cfg.Compress}, nil
}

// cloudAddress decodes an Elastic Cloud id, "name:" then base64 of
// "host[:port]$es-uuid$kibana-uuid", into the cluster's https address.
func cloudAddress(id string) (string, error) {
	name, enc, ok := strings.Cut(id, ":")
	if !ok || name == "" {
		return "", fmt.Errorf("cloud_id: want NAME:BASE64, got no colon")
	}
	data, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return "", fmt.Errorf("cloud_id %s: %w", name, err)
	}
	parts := strings.Split(string(data), "$")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return "", fmt.Errorf("cloud_id %s: decoded value is not host$uuid[$kibana-uuid]", name)
	}
	host, port, hasPort := strings.Cut(parts[0], ":")
	addr := "https://" + parts[1] + "." + host
	if hasPort {
		addr += ":" + port
	}
	return addr, nil
}

// backoff waits 50 ms, 100 ms, 200 ms... up to 3 s before retry attempt
// (1-based). The transport also waits after its last attempt, so a cluster
// that does not answer at all fails after about 3 s with MaxRetries 5.
func backoff(attempt int) time.Duration {
	d := 50 * time.Millisecond << min(max(attempt-1, 0), 10)
	return min(d, 3*time.Second)
}
