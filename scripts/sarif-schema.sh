#!/usr/bin/env bash
# Prints the path of the SARIF 2.1.0 JSON schema that trawl's SARIF test
# validates against, fetching it first when it is missing. The schema comes
# from the npm registry: @microsoft/jest-sarif ships it (lib/schemas/
# sarif-2.1.0-rtm.5.json, the final 2.1.0 schema as published on
# schemastore). Set TRAWL_SARIF_SCHEMA to what this prints.
set -euo pipefail
cache=${TRAWL_SARIF_CACHE:-$HOME/.cache/trawl/sarif}
pkg=@microsoft/jest-sarif@1.0.0-beta.0
schema=$cache/package/lib/schemas/sarif-2.1.0-rtm.5.json
if [[ ! -s $schema ]]; then
	command -v npm >/dev/null || { echo "sarif-schema.sh: npm not found: it fetches $pkg" >&2; exit 1; }
	mkdir -p "$cache"
	tgz=$(cd "$cache" && npm pack --silent "$pkg")
	tar -xzf "$cache/$tgz" -C "$cache" package/lib/schemas/sarif-2.1.0-rtm.5.json
fi
echo "$schema"
