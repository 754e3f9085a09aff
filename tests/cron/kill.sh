#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Cron mode killed at random moments loses nothing.
#
# A large generated log (KILL_LINES lines, default 200000, a finding on every
# 97th) grows in chunks; before each chunk's run, a few runs are killed with
# SIGKILL after a random delay (seeded: KILL_SEED), each writing its own NDJSON
# report (-o). A last run goes to completion. Then:
#   - the findings of all complete reports together are those of one full
#     scan of the final file (compared by finding id): nothing is lost;
#   - runs that completed never repeat a finding;
#   - a finding is repeated only after a run that was killed between writing
#     its report and saving its state (its report is complete, its exit
#     status is that of the kill): docs/cron.md, "What is guaranteed".
#
#   sh tests/cron/kill.sh     (make cron-check runs it; KILLS=12 by default)
# VALGRIND, when set, prefixes every run (and the test uses 20000 lines).
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
SEED=${KILL_SEED:-20260305}
KILLS=${KILLS:-12}
if [ -n "${VALGRIND:-}" ]; then N=${KILL_LINES:-20000}; else N=${KILL_LINES:-200000}; fi
command -v timeout >/dev/null 2>&1 || { echo "SKIP kill test: no timeout(1)"; exit 0; }
T=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-kill.XXXXXX") || exit 2
[ -n "${KILL_KEEP:-}" ] || trap 'rm -rf "$T"' EXIT

# the whole log, released in chunks below
awk -v n="$N" 'BEGIN { t = 1772697600; for (i = 1; i <= n; i++) {
	t += (i % 3 == 0)
	ts = strftime("%Y-%m-%dT%H:%M:%SZ", t, 1)
	if (i % 97 == 0)
		printf "%s gw%02d ikeagent[880]: peer 198.51.%d.%d: authentication ended with error 13801 (seq %d)\n", ts, i % 7, int(i / 250) % 250, i % 250, i
	else
		printf "%s gw%02d sshd[%d]: Accepted publickey for user%d from 192.0.2.%d port %d ssh2\n", ts, i % 7, 1000 + i % 5000, i % 300, i % 250, 20000 + i % 40000
} }' >"$T/all.log"

scan() { # ipsec-scan ARGS...: one run, its exit status
	# shellcheck disable=SC2086
	${VALGRIND:-} "$BIN" --tz UTC --fail-on none "$@"
}

# how long a full run takes here: the kills fall within that
start=$(date +%s%N)
scan -f ndjson "$T/all.log" >"$T/full.ndjson" 2>/dev/null
full_ms=$(( ($(date +%s%N) - start) / 1000000 ))

# the kill delays (seconds) and the chunk sizes, from the seed
awk -v seed="$SEED" -v k="$KILLS" -v ms="$full_ms" -v n="$N" 'BEGIN {
	srand(seed)
	for (i = 1; i <= k; i++)
		printf "%.3f %d\n", (0.002 + rand() * ms * 0.8 / 1000), int(n / (k + 1) * (0.5 + rand()))
}' >"$T/plan"

: >"$T/log"
released=0
run=0 kills=0 completed=0 complete_reports=0
: >"$T/runs"
while read -r delay chunk; do
	# the log grows, then a run is killed after `delay` seconds
	released=$((released + chunk))
	[ $released -gt "$N" ] && released=$N
	head -n "$released" "$T/all.log" | tail -n +"$(($(wc -l <"$T/log") + 1))" >>"$T/log"
	run=$((run + 1))
	timeout -s KILL "$delay" sh -c '"$@"' sh ${VALGRIND:-} "$BIN" --tz UTC --fail-on none \
		--state "$T/state" -f ndjson -o "$T/run$run.ndjson" "$T/log" 2>"$T/run$run.err"
	rc=$?
	echo "$run $rc $delay" >>"$T/runs"
	if [ $rc = 137 ] || [ $rc = 124 ]; then kills=$((kills + 1)); fi
done <"$T/plan"
# the rest of the log, and runs to completion (a second one finds nothing)
tail -n +"$(($(wc -l <"$T/log") + 1))" "$T/all.log" >>"$T/log"
for last in 1 2; do
	run=$((run + 1))
	scan --state "$T/state" -f ndjson -o "$T/run$run.ndjson" "$T/log" 2>"$T/run$run.err"
	echo "$run $? -" >>"$T/runs"
done
cmp -s "$T/log" "$T/all.log" || { echo "FAIL kill test: the log was not rebuilt"; exit 1; }
# what one full scan of it finds (ids hash the path: the same file name)
scan -f ndjson "$T/log" 2>/dev/null | jq -r 'select(.type == "finding") | .id' | sort >"$T/full.ids"
expected=$(wc -l <"$T/full.ids")

fail=0
# every run either completed (0) or was killed; none met an unusable state or a held lock
while read -r r rc delay; do
	case $rc in
	0) completed=$((completed + 1)) ;;
	137|124) ;;
	*) echo "FAIL kill test: run $r exited $rc: $(head -3 "$T/run$r.err")"; fail=1 ;;
	esac
	f=$T/run$r.ndjson
	[ -f "$f" ] || continue
	# a report is complete when it has its summary line
	if tail -1 "$f" | grep -q '"type":"summary"'; then
		complete_reports=$((complete_reports + 1))
		jq -r 'select(.type == "finding") | .id' "$f" | sed "s/\$/ $r $rc/" >>"$T/found"
	fi
done <"$T/runs"
touch "$T/found"
cut -d' ' -f1 "$T/found" | sort -u >"$T/found.ids"
missing=$(comm -23 "$T/full.ids" "$T/found.ids" | wc -l)
extra=$(comm -13 "$T/full.ids" "$T/found.ids" | wc -l)
found=$(wc -l <"$T/found.ids")
# repeated ids: allowed only after a killed run's report (found is in run order)
dups=$(cut -d' ' -f1 "$T/found" | sort | uniq -d | wc -l)
bad_dups=$(awk 'done[$1] { print $1 } $3 == 0 { done[$1] = 1 }' "$T/found" | sort -u | wc -l)
last_run_ids=$(jq -r 'select(.type == "finding") | .id' "$T/run$run.ndjson" | wc -l)

echo "kill test: $N lines, seed $SEED, $run runs: $kills killed" \
	"($((complete_reports - completed)) of them after writing their report), $completed completed; findings: $expected expected, $found found," \
	"$missing missing, $extra unknown, $dups repeated ($bad_dups after a completed run)"
[ "$missing" = 0 ] || { echo "FAIL kill test: $missing finding(s) lost"; fail=1; }
[ "$extra" = 0 ] || { echo "FAIL kill test: $extra finding(s) a full scan does not have"; fail=1; }
[ "$bad_dups" = 0 ] || { echo "FAIL kill test: $bad_dups finding(s) repeated after a completed run"; fail=1; }
[ "$last_run_ids" = 0 ] || { echo "FAIL kill test: a run with nothing new reported $last_run_ids"; fail=1; }
[ "$kills" -gt 0 ] || { echo "FAIL kill test: no run was killed (delays too long?)"; fail=1; }
[ $fail = 0 ] && echo "kill test: passed"
exit $fail
