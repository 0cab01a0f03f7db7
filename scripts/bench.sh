#!/usr/bin/env bash
# make bench: measure both backends on the same generated org. Starts the
# Elasticsearch test node (scripts/elasticsearch.sh) unless TRAWL_ES_URL
# names one, or BENCH_ES=0 asks for Bleve only; stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
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
