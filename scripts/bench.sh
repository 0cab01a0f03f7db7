#!/usr/bin/env bash
# make bench: measure both backends on the same generated org. Starts the
# Elasticsearch test node (scripts/elasticsearch.sh) unless TRAWL_ES_URL
# names one, or BENCH_ES=0 asks for Bleve only; stops what it started.
# Installs Debian's codesearch (cindex, csearch: the csearch baseline) when
# it is missing and apt-get can, like .ci/run; without it the report says
# the baseline was skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cindex >/dev/null || ! command -v csearch >/dev/null; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  if command -v apt-get >/dev/null && { [ -z "$sudo" ] || sudo -n true 2>/dev/null; }; then
    echo "bench: installing codesearch for the csearch baseline"
    { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends codesearch >/dev/null; } ||
      echo "bench: could not install codesearch; the report skips the csearch baseline" >&2
  else
    echo "bench: cindex/csearch missing and apt-get unavailable; the report skips the csearch baseline" >&2
  fi
fi
started=""
if [ -z "${TRAWL_ES_URL:-}" ] && [ "${BENCH_ES:-1}" = 1 ]; then
  running=""
  bash scripts/elasticsearch.sh status >/dev/null 2>&1 && running=1
  if out=$(bash scripts/elasticsearch.sh start); then
    echo "$out"
    [ -n "$running" ] || started=1
    TRAWL_ES_URL=$(sed -n 's/^TRAWL_ES_URL=//p' <<<"$out" | tail -1)
    export TRAWL_ES_URL
  else
    echo "bench: Elasticsearch did not start; measuring Bleve only" >&2
  fi
fi
[ -n "$started" ] && trap 'bash scripts/elasticsearch.sh stop >/dev/null || true' EXIT
go run ./cmd/trawl-bench -out BENCHMARKS.md "$@"
