#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Checks -f github and -f codequality against the shapes docs/usage.md and
# docs/ci.md document, on one INPUT (file or directory):
#   github: every line a workflow command `::LEVEL file=P,line=N,title=T::MSG`
#     (LEVEL error|warning|notice), or the final `::notice title=ipsec-scan::` count;
#     at most 10 of each level; one annotation per incident (the count notice
#     included); the job summary in $GITHUB_STEP_SUMMARY starts `## ipsec-scan`
#     and has one table row per incident;
#   codequality: a JSON array, one issue per incident and per finding in no
#     incident, each with description, check_name, fingerprint (unique),
#     severity (info|minor|major|critical|blocker), location.path (string),
#     location.lines.begin (integer >= 1); the same fingerprints on a second run.
#   sh tests/report/ci-formats.sh INPUT     (BIN: the binary, ./ipsec-scan by default)
set -u
BIN=${BIN:-./ipsec-scan}
in=$1
T=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-ci.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
command -v jq >/dev/null 2>&1 || { echo "SKIP: jq is needed"; exit 0; }
fail=0
no() { echo "FAIL $in: $*"; fail=1; }
args="--tz UTC --year 2025 --fail-on none"

# shellcheck disable=SC2086
"$BIN" -f json $args "$in" >"$T/r.json" 2>/dev/null
incidents=$(jq '.incidents | length' "$T/r.json")
loose=$(jq '[.incidents[].findings[]] as $in | [.findings[] | select(.id as $i | $in | index($i) | not)] | length' "$T/r.json")
groups=$(jq '[.incidents[].findings[]] as $in | [.findings[] | select(.id as $i | $in | index($i) | not) | .name] | unique | length' "$T/r.json")

# ---- github ----
: >"$T/summary.md"
# shellcheck disable=SC2086
GITHUB_STEP_SUMMARY="$T/summary.md" "$BIN" -f github $args "$in" >"$T/gh" 2>"$T/gh.err" || no "github: exit status $?"
if grep -vE '^::(error|warning|notice) file=[^,:]+(,line=[1-9][0-9]*)?,title=[^:]+::.+$' "$T/gh" |
	grep -vE '^::notice title=ipsec-scan::[0-9]+ more error, [0-9]+ more warning and [0-9]+ more notice annotation\(s\) not shown' >"$T/gh.bad"; then
	no "github: lines that are not annotations:"; head -3 "$T/gh.bad"
fi
for l in error warning; do
	n=$(grep -c "^::$l " "$T/gh")
	[ "$n" -le 10 ] || no "github: $n $l annotations (GitHub shows 10)"
done
[ "$(grep -c '^::notice ' "$T/gh")" -le 10 ] || no "github: more than 10 notices"
shown=$(grep -c '^::[a-z]* file=' "$T/gh")
more=$(sed -n 's/^::notice title=ipsec-scan::\([0-9]*\) more error, \([0-9]*\) more warning and \([0-9]*\) more notice.*/\1 \2 \3/p' "$T/gh")
left=0
for k in $more; do left=$((left + k)); done
[ $((shown + left)) = $((incidents + groups)) ] ||
	no "github: $shown shown + $left counted, but $incidents incidents and $groups loose conditions"
head -1 "$T/summary.md" | grep -qx '## ipsec-scan' || no "github: the job summary does not start with '## ipsec-scan'"
rows=$(grep -cE '^\| (info|warning|error|critical) \|' "$T/summary.md")
[ "$rows" = $((incidents + groups)) ] || no "github: $rows summary rows for $((incidents + groups)) items"
# without GITHUB_STEP_SUMMARY nothing but standard output is written
( unset GITHUB_STEP_SUMMARY; "$BIN" -f github $args "$in" >"$T/gh2" 2>/dev/null )
cmp -s "$T/gh" "$T/gh2" || no "github: standard output depends on GITHUB_STEP_SUMMARY"

# ---- codequality ----
# shellcheck disable=SC2086
"$BIN" -f codequality $args "$in" >"$T/cq.json" 2>/dev/null || no "codequality: exit status $?"
if ! jq -e --argjson n $((incidents + loose)) '
	type == "array" and length == $n and
	all(.[]; (.description | type == "string" and length > 0) and
		(.check_name | type == "string" and length > 0) and
		(.fingerprint | type == "string" and length > 0) and
		(.severity | IN("info", "minor", "major", "critical", "blocker")) and
		(.location.path | type == "string" and length > 0) and
		(.location.lines.begin | type == "number" and . >= 1 and floor == .)) and
	(map(.fingerprint) | unique | length) == length' "$T/cq.json" >/dev/null; then
	no "codequality: not the documented shape ($incidents incidents, $loose loose findings)"
fi
# shellcheck disable=SC2086
"$BIN" -f codequality $args "$in" 2>/dev/null | jq -c 'map(.fingerprint)' >"$T/fp2"
jq -c 'map(.fingerprint)' "$T/cq.json" | cmp -s - "$T/fp2" || no "codequality: fingerprints change between runs"
exit $fail
