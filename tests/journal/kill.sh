#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Cron mode over journals, killed at random moments, loses nothing and
# repeats nothing outside the documented window (docs/cron.md, "What is
# guaranteed"; docs/journal.md).
#
# A folder of two journal files (two hosts, written by systemd-journal-remote)
# grows in chunks, JOURNAL_ENTRIES entries in all (default 20000 per host, a
# finding every 97th). Before each chunk's last run, KILLS runs are killed
# with SIGKILL after a random delay (seeded: KILL_SEED), each writing its own
# NDJSON report (-o). Then runs go to completion. Checked:
#   - the findings of all complete reports together are those of one full
#     scan of the final folder (by finding id): nothing is lost;
#   - a finding is repeated only after a run whose report was complete but
#     which was killed before saving its state;
#   - a last run with nothing new reports nothing.
#
#   sh tests/journal/kill.sh            (make journal-check: KILLS=5)
#   KILLS=20 sh tests/journal/kill.sh   (make soak)
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/journal/lib.sh
BIN=${BIN:-./ipsec-scan}
SEED=${KILL_SEED:-20261207}
KILLS=${KILLS:-5}
N=${JOURNAL_ENTRIES:-20000}
need_journal_remote
command -v timeout >/dev/null 2>&1 || { echo "SKIP journal kill test: no timeout(1)"; exit 0; }
T=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-jkill.XXXXXX") || exit 2
[ -n "${KILL_KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
mkdir -p "$T/j"

scan() { "$BIN" --tz UTC --fail-on none "$@"; }

# a chunk of both hosts: entries FIRST..FIRST+COUNT-1 (times interleave)
grow() {
	gen_entries "$1" "$2" 1772697600 gwa 0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a | to_journal "$T/j/remote-gwa.journal"
	gen_entries "$1" "$2" 1772697600 gwb 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b | to_journal "$T/j/remote-gwb.journal"
}

# how long a full run over everything takes: the kills fall within that
grow 1 "$N"
start=$(date +%s%N)
scan -f ndjson "$T/j" >/dev/null 2>&1
full_ms=$(( ($(date +%s%N) - start) / 1000000 ))
rm -f "$T/j"/*.journal

awk -v seed="$SEED" -v k="$KILLS" -v ms="$full_ms" -v n="$N" 'BEGIN {
	srand(seed)
	for (i = 1; i <= k; i++) {
		r = rand(); printf "%.3f %d\n", (0.002 + r * r * ms * 0.9 / 1000), int(n / (k + 1) * (0.5 + rand()))
	}
}' >"$T/plan"

released=0 run=0 kills=0
: >"$T/runs"
while read -r delay chunk; do
	[ $((released + chunk)) -gt "$N" ] && chunk=$((N - released))
	[ "$chunk" -gt 0 ] && grow $((released + 1)) "$chunk"
	released=$((released + chunk))
	run=$((run + 1))
	timeout -s KILL "$delay" "$BIN" --tz UTC --fail-on none --state "$T/state" -f ndjson \
		-o "$T/run$run.ndjson" "$T/j" 2>"$T/run$run.err"
	rc=$?
	echo "$run $rc" >>"$T/runs"
	if [ $rc = 137 ] || [ $rc = 124 ]; then kills=$((kills + 1)); fi
done <"$T/plan"
[ "$released" -lt "$N" ] && grow $((released + 1)) $((N - released))
for last in 1 2; do
	run=$((run + 1))
	scan --state "$T/state" -f ndjson -o "$T/run$run.ndjson" "$T/j" 2>"$T/run$run.err"
	echo "$run $?" >>"$T/runs"
done
scan -f ndjson "$T/j" 2>/dev/null | jq -r 'select(.type == "finding") | .id' | sort >"$T/full.ids"
expected=$(wc -l <"$T/full.ids")

fail=0 completed=0 complete_reports=0
: >"$T/found"
while read -r r rc; do
	case $rc in
	0) completed=$((completed + 1)) ;;
	137|124) ;;
	*) echo "FAIL journal kill test: run $r exited $rc: $(head -3 "$T/run$r.err")"; fail=1 ;;
	esac
	f=$T/run$r.ndjson
	[ -f "$f" ] || continue
	if tail -1 "$f" | grep -q '"type":"summary"'; then
		complete_reports=$((complete_reports + 1))
		jq -r 'select(.type == "finding") | .id' "$f" | sed "s/\$/ $r $rc/" >>"$T/found"
	fi
done <"$T/runs"
cut -d' ' -f1 "$T/found" | sort -u >"$T/found.ids"
missing=$(comm -23 "$T/full.ids" "$T/found.ids" | wc -l)
extra=$(comm -13 "$T/full.ids" "$T/found.ids" | wc -l)
found=$(wc -l <"$T/found.ids")
dups=$(cut -d' ' -f1 "$T/found" | sort | uniq -d | wc -l)
# a repeat is allowed only when the earlier report came from a killed run
bad_dups=$(awk 'done[$1] { print $1 } $3 == 0 { done[$1] = 1 }' "$T/found" | sort -u | wc -l)
last_run_ids=$(jq -r 'select(.type == "finding") | .id' "$T/run$run.ndjson" | wc -l)

echo "journal kill test: 2 x $N entries, seed $SEED, $run runs: $kills killed" \
	"($((complete_reports - completed)) after writing their report), $completed completed;" \
	"findings: $expected expected, $found found, $missing missing, $extra unknown," \
	"$dups repeated ($bad_dups after a completed run)"
[ "$expected" -gt 0 ] || { echo "FAIL journal kill test: a full scan found nothing"; fail=1; }
[ "$missing" = 0 ] || { echo "FAIL journal kill test: $missing finding(s) lost"; fail=1; }
[ "$extra" = 0 ] || { echo "FAIL journal kill test: $extra finding(s) a full scan does not have"; fail=1; }
[ "$bad_dups" = 0 ] || { echo "FAIL journal kill test: $bad_dups finding(s) repeated after a completed run"; fail=1; }
[ "$last_run_ids" = 0 ] || { echo "FAIL journal kill test: a run with nothing new reported $last_run_ids"; fail=1; }
[ "$kills" -gt 0 ] || { echo "FAIL journal kill test: no run was killed (delays too long?)"; fail=1; }
[ $fail = 0 ] && echo "journal kill test: passed"
exit $fail
