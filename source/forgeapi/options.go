package forgeapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// SourceOptions tune a forge source (the Options of source/github,
// source/gitea, source/azure and source/bitbucket): what its caller
// chooses of the Transport under its API client.
type SourceOptions struct {
	Logger *slog.Logger
	// Sleep waits for d or until ctx ends. Rate-limit pauses and retry
	// backoffs go through it; tests replace it to avoid real waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Transport carries API calls; default http.DefaultTransport.
	Transport http.RoundTripper
	// Retries bounds the repeats of a call after a 5xx answer or a
	// network error; default 4.
	Retries int
}
