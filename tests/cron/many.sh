#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Cron mode over a directory of many files: linear time, bounded memory.
#
# MANY_FILES small logs (default 1,000,000) in one directory, a failure in
# every 1000th. A plain scan (no state) first, for comparison; then cron
# run 1 reads them all, 1% of them grow, run 2 reads only that; a plain scan
# again (the faster of the two is the reference: the machine may be shared).
# Checks: each run's findings (run 1 all failures, run 2 only the new ones),
# and prints time and peak RSS of the three runs (docs/security.md keeps the
# figures). MANY_MAX_RATIO (default 2) bounds each cron run's time against
# the plain scan's. Memory, per file (make test: a 20,000-file run):
# MANY_MAX_PLAIN_BYTES, when set, bounds the plain scan's peak RSS above
# that of a scan of one file (the input entries, the walker's names, the
# planner's units); MANY_MAX_BYTES bounds a cron run's above the plain scan's
# (the state).
#
# Under a sanitizer (SAN) or valgrind (VALGRIND) neither time nor memory is
# checked (their allocators and slow-down make both meaningless); VALGRIND
# itself is not used (a run of 20,000 files under valgrind takes minutes).
#
#   sh tests/cron/many.sh          (make soak; MANY_FILES=100000 for a quick run)
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
N=${MANY_FILES:-1000000}
RATIO=${MANY_MAX_RATIO:-2}
TIME=/usr/bin/time
T=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-many.XXXXXX") || exit 2
[ -n "${MANY_KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
mkdir "$T/d"
awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++)
	if (i % 1000 == 0)
		printf "2026-03-05T07:58:15Z gw ikeagent[880]: peer 198.51.100.1: authentication ended with error 13801 (file %d)\n", i
	else
		printf "2026-03-05T07:58:15Z gw sshd[%d]: Accepted publickey for user%d ssh2\n", 1000 + i % 5000, i % 300
}' | (cd "$T/d" && split -l 1 -a 7 -d - f)
mkdir "$T/one" && cp "$T/d/f0000001" "$T/one/"
fail=0
# the plain scan twice: the first warms the page cache for every run after it
"$BIN" --tz UTC --fail-on none -f ndjson "$T/d" >/dev/null 2>&1
"$TIME" -f "%e %M" -o "$T/t0" "$BIN" --tz UTC --fail-on none -f ndjson "$T/d" >"$T/r0" 2>"$T/e0"
rc0=$?
"$TIME" -f "%e %M" -o "$T/t1" "$BIN" --tz UTC --fail-on none --state "$T/state" -f ndjson \
	"$T/d" >"$T/r1" 2>"$T/e1"
rc1=$?
# 1% of the files grow by one failure line
ls "$T/d" | awk 'NR % 100 == 0' | while read -r f; do
	echo "2026-03-05T08:10:00Z gw ikeagent[880]: peer 198.51.100.2: authentication ended with error 13801 (again)" >>"$T/d/$f"
done
"$TIME" -f "%e %M" -o "$T/t2" "$BIN" --tz UTC --fail-on none --state "$T/state" -f ndjson \
	"$T/d" >"$T/r2" 2>"$T/e2"
rc2=$?
# the plain scan once more (the machine's load changes): the faster one is the reference
"$TIME" -f "%e %M" -o "$T/t3" "$BIN" --tz UTC --fail-on none -f ndjson "$T/d" >/dev/null 2>&1
# what a scan costs without the files (the rules, the binary): one file
"$TIME" -f "%e %M" -o "$T/t4" "$BIN" --tz UTC --fail-on none -f ndjson "$T/one" >/dev/null 2>&1
p0=$(tail -1 "$T/t0" | cut -d' ' -f1) p3=$(tail -1 "$T/t3" | cut -d' ' -f1)
awk -v a="$p3" -v b="$p0" 'BEGIN { exit !(a < b) }' && cp "$T/t3" "$T/t0"
f0=$(grep -c '"type":"finding"' "$T/r0")
f1=$(grep -c '"type":"finding"' "$T/r1")
f2=$(grep -c '"type":"finding"' "$T/r2")
want1=$((N / 1000)) want2=$((N / 100))
st=$(wc -c <"$T/state" 2>/dev/null || echo 0)
set -- $(tail -1 "$T/t0") $(tail -1 "$T/t1") $(tail -1 "$T/t2")
echo "many files: $N files; plain scan: $1 s (runs of $p0 and $p3 s), $(($2 / 1024)) MiB, $f0 findings;" \
	"cron run 1: $3 s, $(($4 / 1024)) MiB, $f1 findings; run 2 (1% grown): $5 s," \
	"$(($6 / 1024)) MiB, $f2 findings; state $((st / 1024)) KiB"
[ $rc0 = 0 ] && [ $rc1 = 0 ] && [ $rc2 = 0 ] ||
	{ echo "FAIL many files: exit $rc0, $rc1, $rc2: $(head -2 "$T/e0" "$T/e1" "$T/e2")"; fail=1; }
[ "$f0" = "$want1" ] || { echo "FAIL many files: the plain scan found $f0, expected $want1"; fail=1; }
[ "$f1" = "$want1" ] || { echo "FAIL many files: run 1 found $f1, expected $want1"; fail=1; }
[ "$f2" = "$want2" ] || { echo "FAIL many files: run 2 found $f2, expected $want2"; fail=1; }
if [ -n "${SAN:-}${VALGRIND:-}" ]; then
	[ $fail = 0 ] && echo "many files: passed (findings only: a sanitizer or valgrind build)"
	exit $fail
fi
# time: each cron run within RATIO times the plain scan (0.5 s of slack for small runs)
for r in "1 $3" "2 $5"; do
	set -- $(tail -1 "$T/t0") $r
	awk -v p="$1" -v c="$4" -v k="$RATIO" 'BEGIN { exit !(c <= k * p + 0.5) }' ||
		{ echo "FAIL many files: cron run $3 took $4 s, more than $RATIO x the plain scan's $1 s"; fail=1; }
done
# memory: what the plain scan costs per file, above a scan of one file
if [ -n "${MANY_MAX_PLAIN_BYTES:-}" ]; then
	set -- $(tail -1 "$T/t4") $(tail -1 "$T/t0")
	per=$(( ($4 - $2) * 1024 / N ))
	echo "many files: the plain scan: $per bytes per file (one file: $(($2 / 1024)) MiB)"
	[ "$per" -le "$MANY_MAX_PLAIN_BYTES" ] ||
		{ echo "FAIL many files: the plain scan costs $per bytes per file (at most $MANY_MAX_PLAIN_BYTES)"; fail=1; }
fi
# memory: what the state costs per file, above the plain scan
if [ -n "${MANY_MAX_BYTES:-}" ]; then
	set -- $(tail -1 "$T/t0") $(tail -1 "$T/t1") $(tail -1 "$T/t2")
	for r in "1 $4" "2 $6"; do
		set -- $(tail -1 "$T/t0") $r
		per=$(( ($4 - $2) * 1024 / N ))
		echo "many files: cron run $3: $per bytes per file above the plain scan"
		[ "$per" -le "$MANY_MAX_BYTES" ] ||
			{ echo "FAIL many files: cron run $3 costs $per bytes per file (at most $MANY_MAX_BYTES)"; fail=1; }
	done
fi
[ $fail = 0 ] && echo "many files: passed"
exit $fail
