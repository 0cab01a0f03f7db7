// Package deploy holds no code: it keeps the deployment examples (a
// Containerfile, a systemd unit, a Kubernetes manifest) and the tests that
// lint them with the tools Debian ships, so the examples stay valid.
package deploy
