#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The lab scenarios check (issue 19): for each directory of
# ../shared/corpus/strongswan-generated, scan its files (not config/) with
# --tz UTC, take the most severe incident (ties: the earliest, i.e. the first
# in the report's order) and compare its verdict.class with the scenario's
# line of expected-class.tsv (a directory NAME--VARIANT has NAME's class;
# "-": no incident at error or above). Each directory is scanned twice:
# files in name order and in reverse order; both must give the class, and
# the same incidents (ids, verdicts, findings). Then the whole folder is scanned
# at once: it must not come out as a few giant incidents.
#
#   sh tests/verdicts/lab.sh           prints each miss and the count
#   LAB_MIN=N                          fail below N of 62 (default: the level reached)
#
# Skipped, with a message, where ../shared/corpus is absent.
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
LAB=${CORPUS:-../shared/corpus}/strongswan-generated
MIN=${LAB_MIN:-62}
if [ ! -f "$LAB/expected-class.tsv" ]; then
	echo "SKIP lab verdicts: $LAB is absent (it ships beside the project, not in it)"
	exit 0
fi
OUT=${TMPDIR:-/tmp}/ipsec-scan-lab.$$
mkdir -p "$OUT" && trap 'rm -rf "$OUT"' EXIT INT TERM
# the most severe incident, first of equals: "class<TAB>severity"; "-" when none at error or above
top='[.incidents[] | {s: ({"info":1,"warning":2,"error":3,"critical":4}[.severity]), c: (.verdict.class // "none"), v: .severity}]
     | (map(.s) | max // 0) as $m | if $m < 3 then "-" else (map(select(.s == $m)) | .[0] | "\(.c)") end'
same='[.incidents[] | {id, kind, severity, root_cause, verdict, findings: (.findings | sort)}] | sort_by(.id)'
total=0 ok=0
for dir in "$LAB"/*/; do
	name=$(basename "$dir")
	scen=${name%%--*}
	want=$(awk -F '\t' -v s="$scen" '$1 == s { print $2 }' "$LAB/expected-class.tsv")
	[ -n "$want" ] || continue
	total=$((total + 1))
	files=$(find "$dir" -maxdepth 1 -type f | LC_ALL=C sort)
	rev=$(printf '%s\n' "$files" | LC_ALL=C sort -r)
	# shellcheck disable=SC2086
	"$BIN" -f json --tz UTC --fail-on none $files >"$OUT/a.json" 2>/dev/null
	# shellcheck disable=SC2086
	"$BIN" -f json --tz UTC --fail-on none $rev >"$OUT/b.json" 2>/dev/null
	got=$(jq -r "$top" "$OUT/a.json")
	got_rev=$(jq -r "$top" "$OUT/b.json")
	jq -S "$same" "$OUT/a.json" >"$OUT/a.inc"
	jq -S "$same" "$OUT/b.json" >"$OUT/b.inc"
	if [ "$got" != "$want" ]; then
		echo "MISS $name: $got, expected $want"
	elif [ "$got_rev" != "$want" ]; then
		echo "MISS $name (files in reverse order): $got_rev, expected $want"
	elif ! cmp -s "$OUT/a.inc" "$OUT/b.inc"; then
		echo "MISS $name: the incidents differ with the files in reverse order"
		diff "$OUT/a.inc" "$OUT/b.inc" | head -10
	else
		ok=$((ok + 1))
	fi
done
echo "lab verdicts: $ok/$total scenarios give the expected class (both file orders)"
[ "$ok" -ge "$MIN" ] || { echo "FAIL lab verdicts: $ok is below $MIN"; exit 1; }

# The whole folder at once: grouping never merges different classes, so there is
# no giant incident of every scenario (the lab ran all scenarios minutes apart
# between the same two addresses, so neighbouring ones of one class may join).
"$BIN" -f json --tz UTC --fail-on none "$LAB" >"$OUT/all.json" 2>/dev/null
spread=$(jq '(.findings | map({(.id): (.path | split("/") | .[-2])}) | add) as $dir
	| [.incidents[] | [.findings[] | $dir[.]] | unique | length] | max // 0' "$OUT/all.json")
n=$(jq '[.incidents[] | select(.severity == "error" or .severity == "critical")] | length' "$OUT/all.json")
echo "lab verdicts: the whole folder gives $n incidents at error or above, the widest spans $spread scenario directories"
[ "$n" -ge 26 ] && [ "$spread" -le 16 ] ||
	{ echo "FAIL lab verdicts: the whole folder is lumped together ($n incidents, one spans $spread directories)"; exit 1; }
