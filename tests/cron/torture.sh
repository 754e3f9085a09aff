#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Cron mode killed hundreds of times across rotations loses nothing.
#
# A log in a directory grows in chunks and is rotated by renaming every few
# rounds (logrotate's dateext: app.log -> app.log-NNNN, a new app.log). Each
# round one cron run scans the directory and is killed with SIGKILL after a
# random delay (seeded: TORTURE_SEED) between 0 and 1.6 times the last
# complete run's duration: most runs die somewhere in their work, some
# complete and move the state on. Two last runs complete. Then, by the sequence number each failure
# line carries (finding ids hash the path, which rotation changes):
#   - every failure written is in some complete report: 0 lost;
#   - one is repeated only after a run killed between writing its report and
#     saving its state (docs/cron.md, "What is guaranteed"): 0 other repeats;
#   - at least TORTURE_MIN_KILLS (300) runs were killed.
#
#   sh tests/cron/torture.sh        (make soak; TORTURE_ROUNDS=700 by default)
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
SEED=${TORTURE_SEED:-20261207}
ROUNDS=${TORTURE_ROUNDS:-700}
MIN_KILLS=${TORTURE_MIN_KILLS:-300}
ROTATE=${TORTURE_ROTATE:-7}
T=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-torture.XXXXXX") || exit 2
[ -n "${TORTURE_KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
mkdir "$T/d"

# each round's chunk: 300 lines, a failure on every 31st, numbered
chunk() { # ROUND
	awk -v r="$1" 'BEGIN { t = 1772697600 + r * 400; for (i = 1; i <= 300; i++) {
		n = r * 300 + i
		ts = strftime("%Y-%m-%dT%H:%M:%SZ", t + i, 1)
		if (n % 31 == 0)
			printf "%s gw%02d ikeagent[880]: peer 198.51.100.%d: authentication ended with error 13801 (seq %d)\n", ts, n % 7, n % 250, n
		else
			printf "%s gw%02d sshd[%d]: Accepted publickey for user%d from 192.0.2.%d port %d ssh2\n", ts, n % 7, 1000 + n % 5000, n % 300, n % 250, 20000 + n % 40000
	} }'
}

# how long a run takes on a directory of a few rotated files
for r in 1 2 3; do chunk $r >>"$T/probe.log"; done
start=$(date +%s%N)
"$BIN" --tz UTC --fail-on none -f ndjson "$T/probe.log" >/dev/null 2>&1
run_ms=$(( ($(date +%s%N) - start) / 1000000 + 5 ))
rm -f "$T/probe.log"

awk -v seed="$SEED" -v k="$ROUNDS" 'BEGIN {
	srand(seed)
	for (i = 1; i <= k; i++)
		printf "%.4f\n", rand() * 1.6
}' >"$T/plan"

run=0 kills=0 est=$run_ms
: >"$T/runs"
while read -r frac; do
	delay=$(awk -v f="$frac" -v ms="$est" 'BEGIN { printf "%.3f", 0.001 + f * ms / 1000 }')
	run=$((run + 1))
	chunk $run >>"$T/d/app.log"
	if [ $((run % ROTATE)) = 0 ]; then
		mv "$T/d/app.log" "$(printf '%s/d/app.log-%04d' "$T" $run)"
		: >"$T/d/app.log"
	fi
	start=$(date +%s%N)
	timeout -s KILL "$delay" "$BIN" --tz UTC --fail-on none --state "$T/state" -f ndjson \
		-o "$T/run$run.ndjson" "$T/d" 2>"$T/run$run.err"
	rc=$?
	[ $rc = 0 ] && est=$(( ($(date +%s%N) - start) / 1000000 + 1 ))
	echo "$run $rc" >>"$T/runs"
	[ $rc = 137 ] && kills=$((kills + 1))
done <"$T/plan"
for last in 1 2; do
	run=$((run + 1))
	"$BIN" --tz UTC --fail-on none --state "$T/state" -f ndjson -o "$T/run$run.ndjson" "$T/d" \
		2>"$T/run$run.err"
	echo "$run $?" >>"$T/runs"
done

# every failure line written
cat "$T"/d/app.log* | sed -n 's/.*(seq \([0-9]*\))$/\1/p' | sort -n >"$T/expected"
fail=0
: >"$T/found"
after_report=0
while read -r r rc; do
	case $rc in
	0 | 137) ;;
	*) echo "FAIL torture: run $r exited $rc: $(head -3 "$T/run$r.err")"; fail=1 ;;
	esac
	f=$T/run$r.ndjson
	[ -f "$f" ] || continue
	tail -1 "$f" | grep -q '"type":"summary"' || continue # an incomplete report
	[ $rc = 137 ] && after_report=$((after_report + 1))
	jq -r 'select(.type == "finding") | .text' "$f" | sed -n 's/.*(seq \([0-9]*\))$/\1/p' |
		sed "s/\$/ $r $rc/" >>"$T/found"
done <"$T/runs"
cut -d' ' -f1 "$T/found" | sort -n -u >"$T/found.seq"
expected=$(wc -l <"$T/expected")
missing=$(comm -23 "$T/expected" "$T/found.seq" | wc -l)
# a repeat is excused only when an earlier report of it came from a run
# killed after writing its report (rc 137 with a complete report)
bad_dups=$(awk '$1 in seen && !excused[$1] { print $1 } { seen[$1] = 1; excused[$1] = ($3 == 137) }' \
	"$T/found" | sort -u | wc -l)
dups=$(cut -d' ' -f1 "$T/found" | sort | uniq -d | wc -l)
files=$(ls "$T/d" | wc -l)
completed=$(awk '$2 == 0' "$T/runs" | wc -l)
echo "torture: $ROUNDS rounds, seed $SEED, rotation every $ROTATE rounds ($files files at the end):" \
	"$kills runs killed ($after_report after writing their report), $completed completed; failures: $expected written," \
	"$missing lost, $dups repeated ($bad_dups not excused by a kill after the report)"
[ "$missing" = 0 ] || { echo "FAIL torture: $missing failure(s) lost"; fail=1; }
[ "$bad_dups" = 0 ] || { echo "FAIL torture: $bad_dups failure(s) repeated"; fail=1; }
[ "$completed" -ge 10 ] || { echo "FAIL torture: only $completed runs completed: the state hardly moved"; fail=1; }
[ "$kills" -ge "$MIN_KILLS" ] || { echo "FAIL torture: only $kills runs killed (< $MIN_KILLS)"; fail=1; }
[ $fail = 0 ] && echo "torture: passed"
exit $fail
