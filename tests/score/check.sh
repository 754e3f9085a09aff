#!/bin/sh
# The external-dev score never drops: run ../shared/tools/score-real-logs and compare its
# per-family numbers (and the clean count) with tests/score/floor.txt.
#   sh tests/score/check.sh [BINARY]
# Skipped, with a message, where ../shared (the tool or the corpus) is absent.
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${1:-./ipsec-scan}
TOOL=../shared/tools/score-real-logs
CORPUS=../shared/corpus/external-dev
FLOOR=tests/score/floor.txt
if [ ! -f "$TOOL" ] || [ ! -f "$CORPUS/labels.tsv" ]; then
	echo "score-check: skipped: $TOOL or $CORPUS/labels.tsv is absent"
	exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "score-check: skipped: python3 (needed by $TOOL) is not installed"
	exit 0
fi
out=$(python3 "$TOOL" "$BIN" "$CORPUS") || { echo "score-check: $TOOL failed"; exit 1; }
# "daemon: found 25/26, root cause 25/26" -> daemon.found 25, daemon.root 25;
# "score: found ..., clean 3/3" -> clean 3
now=$(printf '%s\n' "$out" | sed -n \
	-e 's|^\([a-z-]*\): found \([0-9]*\)/[0-9]*, root cause \([0-9]*\)/[0-9]*$|\1.found \2\n\1.root \3|p' \
	-e 's|^score: .*, clean \([0-9]*\)/[0-9]*$|clean \1|p')
fail=0 n=0
while read -r key want; do
	case $key in ''|\#*) continue ;; esac
	n=$((n + 1))
	got=$(printf '%s\n' "$now" | awk -v k="$key" '$1 == k { print $2 }')
	if [ -z "$got" ]; then
		echo "FAIL score $key: not in the score tool's output"; fail=1
	elif [ "$got" -lt "$want" ]; then
		echo "FAIL score $key: $got, below the floor $want"; fail=1
	elif [ "$got" -gt "$want" ]; then
		echo "note: score $key is $got, above the floor $want: raise it in $FLOOR"
	fi
done < "$FLOOR"
if [ "$fail" -ne 0 ]; then
	printf '%s\n' "$out" | grep -v '^right \|^clean ' | sed 's/^/  /'
	exit 1
fi
echo "score-check: $n numbers at or above the floor ($(printf '%s\n' "$out" | tail -1))"
