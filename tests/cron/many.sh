#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Cron mode over a directory of many files stays linear in their number.
#
# MANY_FILES small logs (default 1,000,000) in one directory, a failure in
# every 1000th; run 1 reads them all, 1% of them grow, run 2 reads only that.
# Checks: each run's findings (run 1 all failures, run 2 only the new ones),
# and prints time and peak RSS of both runs (docs/security.md keeps figures).
#
#   sh tests/cron/many.sh          (make soak; MANY_FILES=100000 for a quick run)
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
N=${MANY_FILES:-1000000}
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
fail=0
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
f1=$(grep -c '"type":"finding"' "$T/r1")
f2=$(grep -c '"type":"finding"' "$T/r2")
want1=$((N / 1000)) want2=$((N / 100))
set -- $(tail -1 "$T/t1") $(tail -1 "$T/t2")
echo "many files: $N files; run 1: $1 s, $(($2 / 1024)) MiB, $f1 findings; run 2 (1% grown): $3 s," \
	"$(($4 / 1024)) MiB, $f2 findings"
[ $rc1 = 0 ] && [ $rc2 = 0 ] || { echo "FAIL many files: exit $rc1, $rc2: $(head -2 "$T/e1" "$T/e2")"; fail=1; }
[ "$f1" = "$want1" ] || { echo "FAIL many files: run 1 found $f1, expected $want1"; fail=1; }
[ "$f2" = "$want2" ] || { echo "FAIL many files: run 2 found $f2, expected $want2"; fail=1; }
[ $fail = 0 ] && echo "many files: passed"
exit $fail
