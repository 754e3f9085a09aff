#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Cron mode with --jobs: the new lines of a file are read in byte ranges on
# threads, from the point earlier runs reached (after the look back for
# context), joined through cron mode's scanner (run/jobs.h,
# detect/scan_split.c). Each run of a chain of cron runs over logs that
# grow, rotate and change must give, with --jobs 2 and 3, the report,
# standard error and exit status of --jobs 1 (each jobs count keeps its own
# state), in several formats; the next run then shows that the states agree.
#
# The test hook IPSEC_SCAN_SPLIT_BYTES=N splits from N new bytes on, in
# ranges of about N bytes, and says so on standard error ("--jobs: PATH: K
# ranges from offset O"): a step that must be split fails without that line
# (the comparison would prove nothing), and one that must not be (nothing
# or little new) fails with it.
#
# Chains: samples/ concatenated (with long lines, a NUL byte, CRLF), by
# default and with --max-record 1k; a directory where the log rotates (the
# rest of the old file, a last line without newline), is copied and
# truncated, and changes before the resume point; and, when present, a real
# strongSwan log of ../shared/corpus with --match-limit 1000 (the limit note
# counts each record once).
#
#   sh tests/cron/jobs.sh      (make cron-check)
# VALGRIND, when set, prefixes every run (then only json is compared).
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
CORPUS=${CORPUS:-../shared/corpus}
T=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-cronjobs.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
FORMATS="json text sarif"
[ -n "${VALGRIND:-}" ] && FORMATS=json
. tests/compare.sh
HOOK='^ipsec-scan: --jobs: .*: [0-9]* ranges from offset [0-9]*$'

# run OUT args...: one run with the hook (SPLIT bytes); stdout, stderr
# without the hook's lines, the hook's lines, exit status
run() {
	o=$1
	shift
	IPSEC_SCAN_SPLIT_BYTES=$SPLIT ${VALGRIND:-} "$BIN" "$@" >"$o.out" 2>"$o.raw" </dev/null
	echo $? >"$o.rc"
	grep -v "$HOOK" "$o.raw" >"$o.err"
	grep "$HOOK" "$o.raw" >"$o.split"
}

n=0
# step NAME SPLIT [options --] INPUT...: one cron run of each jobs count on
# its own state chain (CHAIN names it), in each format from a copy of the
# state; the json run's state goes on. SPLIT: yes (the --jobs 2 run must
# split), no (it must not), any.
step() {
	name=$1 want=$2
	shift 2
	opts=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts="$opts $1"; shift; done
	[ $# -gt 0 ] && shift
	n=$((n + 1))
	for j in 1 2 3; do
		st=$T/$CHAIN.state$j
		for f in $FORMATS; do
			[ -e "$st" ] && cp "$st" "$st.$f"
			# shellcheck disable=SC2086
			run "$T/$n-$f-$j" -f $f --tz UTC --year 2025 --fail-on warning $opts \
				--state "$st.$f" --jobs $j "$@"
			[ $j = 1 ] || same "$CHAIN: $name -f $f --jobs $j" "$T/$n-$f-1" "$T/$n-$f-$j"
		done
		mv "$st.json" "$st"
		for f in $FORMATS; do rm -f "$st.$f"; done
	done
	[ -s "$T/$n-json-1.split" ] && bad "$CHAIN: $name: --jobs 1 split a file"
	case $want in
	yes) [ -s "$T/$n-json-2.split" ] && ok || bad "$CHAIN: $name: nothing was split" ;;
	no) [ -s "$T/$n-json-2.split" ] && bad "$CHAIN: $name: split: $(cat "$T/$n-json-2.split")" || ok ;;
	esac
}

# ---- one growing file -----------------------------------------------------
# samples' logs over and over, with a 3 KB line, a NUL byte and CRLF lines
mkdir -p "$T/data"
DATA=$T/data/all.log
i=0
while [ $i -lt 12 ]; do
	cat samples/strongswan/*.log samples/libreswan/*.log samples/plain/*.log
	if [ $i = 5 ]; then
		printf 'Mar  3 10:00:00 gw charon: 07[IKE] %3000s received AUTHENTICATION_FAILED notify error\n' x
		printf 'Mar  3 10:00:01 gw charon: 07[IKE] a NUL \000 byte\r\n'
		printf 'Mar  3 10:00:02 gw charon: 07[IKE] received NO_PROPOSAL_CHOSEN notify error\r\n'
	fi
	i=$((i + 1))
done >"$DATA"
size=$(wc -c <"$DATA")

for chain in plain maxrec; do
	CHAIN=$chain
	SPLIT=16384
	opts=""
	[ $chain = maxrec ] && opts="--max-record 1k"
	mkdir -p "$T/$chain"
	LOG=$T/$chain/gw.log
	# shellcheck disable=SC2086
	{
		head -c 50001 "$DATA" >"$LOG" # a last line still being written
		step "a new file, its last line without newline" yes $opts -- "$LOG"
		head -c $((size * 2 / 3)) "$DATA" | tail -c +50002 >>"$LOG"
		step "grown by many ranges" yes $opts -- "$LOG"
		step "nothing new" no $opts -- "$LOG"
		printf 'Mar  3 11:00:00 gw charon: 07[IKE] received NO_PROPOSAL_CHOSEN notify error\n' >>"$LOG"
		step "one new line" no $opts -- "$LOG"
		tail -c +$((size * 2 / 3 + 1)) "$DATA" >>"$LOG"
		step "grown to the end" yes $opts -- "$LOG"
	}
done

# ---- a directory: rotation, copytruncate, a change before the resume point --
CHAIN=dir
SPLIT=16384
D=$T/dir
mkdir -p "$D"
head -c 70000 "$DATA" >"$D/gw.log"
step "first run" yes -- "$D"
# more lines, the last without newline, then rotated: the rest of gw.log.1
# and the new gw.log are both split
head -c 150000 "$DATA" | tail -c +70001 >>"$D/gw.log"
mv "$D/gw.log" "$D/gw.log.1"
tail -c 90000 "$DATA" >"$D/gw.log"
step "rotated, the rest of the old file" yes -- "$D"
# copytruncate: the copy holds the rest, the file starts over
tail -c +90001 "$DATA" | head -c 60000 >>"$D/gw.log"
cp "$D/gw.log" "$D/gw.log.1"
: >"$D/gw.log"
head -c 40000 "$DATA" >>"$D/gw.log"
step "copied and truncated" any -- "$D"
# changed in place after its first bytes and before the resume point, grown
{
	head -c 20000 "$D/gw.log"
	printf 'Mar  3 12:00:00 gw charon: 07[IKE] inserted line\n'
	tail -c +20001 "$D/gw.log"
	head -c 80000 "$DATA"
} >"$T/changed"
cat "$T/changed" >"$D/gw.log"
step "changed before the resume point" yes -- "$D"
grep -q 'changed before the point earlier runs reached\|changed since the last run' "$T/$n-json-2.out" &&
	ok || bad "dir: the change before the resume point is not noted"

# ---- the input's clock: a BEGIN whose window elapsed by lines with no hit ----
# (the last lines' times close it at the end of the run; without them it
# would be kept open in the state for the next run)
CHAIN=clock
SPLIT=16384
mkdir -p "$T/clock"
filler() { # FROM TO HH:MM: lines with no hit
	k=$1
	while [ "$k" -le "$2" ]; do
		printf '2026-03-05T%s:%02d.%03dZ CLIENT01 ikeagent[880]: peer 192.0.2.99: keepalive %d sent\n' \
			"$3" $((k / 1000 % 60)) $((k % 1000)) "$k"
		k=$((k + 1))
	done
}
{
	filler 1 600 08:09
	sed -n 7,8p tests/e2e/data/negotiation-markers.log # BEGIN for a peer, a failure
	filler 1 600 08:40
} >"$T/clock/agent.log"
step "a BEGIN, then only lines with no hit" yes -- "$T/clock/agent.log"
grep -q 'unterminated' "$T/$n-text-1.out" 2>/dev/null || grep -q 'unterminated' "$T/$n-json-1.out" &&
	ok || bad "clock: the BEGIN's elapsed window is not reported as unterminated"

# ---- a real log: PCRE2 limit hits counted once ------------------------------
REAL=$CORPUS/strongswan-charon/fcss-charon.log
if [ -r "$REAL" ] && [ -z "${VALGRIND:-}" ]; then
	CHAIN=real
	SPLIT=65536
	mkdir -p "$T/real"
	head -c 1000000 "$REAL" >"$T/real/charon.log"
	step "a real log, first run" yes --match-limit 1000 -- "$T/real/charon.log"
	tail -c +1000001 "$REAL" >>"$T/real/charon.log"
	step "a real log, grown" yes --match-limit 1000 -- "$T/real/charon.log"
	grep -q 'hit a PCRE2 limit' "$T/$n-json-1.out" && ok ||
		bad "real: --match-limit 1000 gave no limit note to compare"
else
	echo "cron --jobs: $REAL absent (or valgrind): the real log's chain skipped"
fi

echo "cron --jobs: $pass passed, $fail failed"
[ "$fail" = 0 ]
