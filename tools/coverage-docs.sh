#!/bin/sh
# Print docs/coverage.md (product x release x condition) from the built-in rules'
# covers: lists.   make coverage-docs   writes it;   make test   checks it is current.
#   sh tools/coverage-docs.sh [BINARY]
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-./ipsec-scan}
"$BIN" rules list --format json | jq -r -f tools/coverage.jq
