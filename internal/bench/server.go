package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"
)

// ServerResult is one query as answers of a running `trawl serve`.
type ServerResult struct {
	Runs int
	P50  time.Duration
}

// serverBudget bounds the timed runs of one query against the server, like
// csearch's: a user of the server cares about its p50, not about the run.
const serverBudget = 10 * time.Second

// measureServer starts `trawl serve --no-crawl` on the index cfgPath names
// and times each selective query (Query.selective) as GET
// /api/search?limit=0, from the request to the last byte of the answer,
// over a kept-alive connection: runs timed runs after a warm-up run, fewer
// once serverBudget has gone. The server's branch states and index stay
// open between requests, which is what the in-process figures leave out
// (HTTP, JSON) and the whole-process ones add to (start, open).
func measureServer(ctx context.Context, bin, cfgPath string, qs []Query, runs int) (map[string]ServerResult, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "serve", "-c", cfgPath, "--no-crawl", "--listen", addr, "-log-level", "warn")
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start trawl serve: %w", err)
	}
	stop := func() error {
		_ = cmd.Process.Signal(os.Interrupt)
		return cmd.Wait()
	}
	base := "http://" + addr
	client := &http.Client{Timeout: time.Minute}
	if err := waitHealthy(ctx, client, base); err != nil {
		stop()
		return nil, fmt.Errorf("trawl serve: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	out := map[string]ServerResult{}
	for _, q := range qs {
		if !q.selective() {
			continue
		}
		r, err := timeServer(ctx, client, base, q, runs)
		if err != nil {
			stop()
			return nil, err
		}
		out[q.Query] = r
	}
	if err := stop(); err != nil {
		return out, fmt.Errorf("stop trawl serve: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

func timeServer(ctx context.Context, client *http.Client, base string, q Query, runs int) (ServerResult, error) {
	u := base + "/api/search?" + url.Values{"q": {q.Query}, "limit": {"0"}}.Encode()
	var times []time.Duration
	start := time.Now()
	for i := range runs + 1 {
		if i > 1 && time.Since(start) > serverBudget {
			break
		}
		t := time.Now()
		if err := get(ctx, client, u); err != nil {
			return ServerResult{}, fmt.Errorf("GET /api/search %q: %w", q.Query, err)
		}
		if i > 0 {
			times = append(times, time.Since(t))
		}
	}
	return ServerResult{Runs: len(times), P50: percentile(times, 50)}, nil
}

// get reads the whole answer of u, which must be 200 OK.
func get(ctx context.Context, client *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %.200s", resp.Status, body)
	}
	return nil
}

// waitHealthy waits up to a minute for base's /healthz to answer 200.
func waitHealthy(ctx context.Context, client *http.Client, base string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := get(ctx, client, base+"/healthz")
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("not healthy after a minute: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
