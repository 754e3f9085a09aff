#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Large plain files of a line format are read through mapped windows
# (input/framer_lines.c lines_map, input/source.c ips_map_*) instead of
# read(): the report must be the one read() gives, byte for byte, in every
# format, with the same standard error (but for the hook's line) and exit
# status.
#
# Test hooks: IPSEC_SCAN_MMAP="WINDOW MIN" sets the window size and the
# least size a file needs to be mapped, and says on standard error how far
# each mapped file was read from windows ("ipsec-scan: mmap: PATH: K
# windows, to OFFSET"): every file expected to be mapped must show K >= 1
# (a check that can fail: without windows the comparison proves nothing);
# "0 0" turns windows off (the reference runs). IPSEC_SCAN_MMAP_CUT=N
# truncates the file to N bytes once a window reaching past N is mapped:
# the SIGBUS path. Inputs: samples/, files written here (lines across
# window boundaries, a line longer than --max-record and one longer than the
# read buffer, no final newline, CRLF, NUL bytes, cron mode's resume with
# bytes appended between runs) and, when present, ../shared/corpus (skipped
# with a message otherwise).
#
#   sh tests/mmap/run.sh       (make mmap-check, part of make test)
# VALGRIND, when set, prefixes every run of the binary (then only json and
# text are compared, and the corpus is left out).
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
CORPUS=${CORPUS:-../shared/corpus}
T=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-mmap.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
FORMATS="json text ndjson sarif junit markdown html csv github codequality"
[ -n "${VALGRIND:-}" ] && FORMATS="json text" CORPUS=/nonexistent
HOOK='^ipsec-scan: mmap: .*: [0-9]* windows, to [0-9]*$'
. tests/compare.sh

# run "WINDOW MIN" OUT args...: one run with the hook; stdout, stderr
# without the hook's lines, the hook's lines, exit status
run() {
	m=$1 o=$2
	shift 2
	IPSEC_SCAN_MMAP=$m ${VALGRIND:-} "$BIN" "$@" >"$o.out" 2>"$o.raw" </dev/null
	echo $? >"$o.rc"
	grep -v "$HOOK" "$o.raw" >"$o.err"
	grep "$HOOK" "$o.raw" >"$o.map"
}
# mapped FILE MAPFILE: FILE was read from at least one window
mapped() {
	k=$(grep -F ": $1: " "$2" | sed 's/.*: \([0-9]*\) windows, to [0-9]*$/\1/')
	if [ -n "$k" ] && [ "$k" -ge 1 ]; then ok; else bad "$1 was not read from windows (${k:-no} windows)"; fi
}

n=0
# check NAME WINDOW MAPPED [options --] FILE...: every format with windows of
# WINDOW bytes (any file size) against windows off; MAPPED: yes when every
# file named must be read from windows, no when none may be, any otherwise
check() {
	name=$1 w=$2 want=$3
	shift 3
	opts=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts="$opts $1"; shift; done
	[ $# -gt 0 ] && shift
	n=$((n + 1))
	for f in $FORMATS; do
		# shellcheck disable=SC2086
		run "0 0" "$T/$n-$f-0" -f $f --fail-on warning --tz UTC --year 2025 $opts --jobs 1 "$@"
		# shellcheck disable=SC2086
		run "$w 0" "$T/$n-$f-m" -f $f --fail-on warning --tz UTC --year 2025 $opts --jobs 1 "$@"
		same "$name -f $f" "$T/$n-$f-0" "$T/$n-$f-m"
	done
	s=$T/$n-json-m.map
	if [ "$want" = yes ]; then
		for file in "$@"; do mapped "$file" "$s"; done
	elif [ "$want" = any ]; then
		ok
	elif [ -s "$s" ]; then
		bad "$name: read from windows, but must not be: $(cat "$s")"
	else
		ok
	fi
}

# ---- written here -----------------------------------------------------------
W=$T/w
mkdir -p "$W"
SS=samples/strongswan/charon-ike-proposal-mismatch.log
PSK=samples/strongswan/charon-syslog-wrong-psk.log
# failures between lines of every length up to 8000 bytes: with windows of
# 16 KiB, many lines, failures among them, cross a window's end
awk -v seed=11 'BEGIN { srand(seed) }
	FNR == 1 { f++ }
	{ print; if (rand() < 0.3) { n = int(rand() * 8000); s = sprintf("%*s", n, ""); gsub(/ /, "x", s); print "Nov 23 00:58:36 00[NET] pad " s } }' \
	$SS $PSK $SS $PSK $SS $SS $PSK $SS $PSK $SS $PSK $SS $PSK $SS $SS $PSK $SS $PSK \
	$SS $PSK $SS $PSK $SS $SS $PSK $SS $PSK >"$W/straddle.log"
# no final newline, the last line a failure
{ cat "$W/straddle.log" $PSK $SS; tail -n 3 $PSK | tr -d '\n'; } >"$W/nonl.log"
# NUL bytes: in the first bytes (the note) and in a part of binary data
{ printf 'Nov 23 00:58:35 00[DMN] \000\000 binary\000head\n'; cat "$W/straddle.log"; head -c 20000 /dev/zero; printf '\n'; cat $PSK $SS; } >"$W/nul.log"
# CRLF lines
sed 's/$/\r/' "$W/straddle.log" >"$W/crlf.log"
cat $SS >>"$W/crlf.log"
# a line longer than --max-record and one longer than the read buffer
# (block + max-record: cut as a record, the rest skipped), both starting
# with a failure, after enough lines for whole windows
long() { # BYTES: a failure line padded to BYTES bytes
	grep -m1 'no matching proposal\|NO_PROPOSAL_CHOSEN\|received proposals' $SS | tr -d '\n'
	head -c "$1" /dev/zero | tr '\0' 'y'
	echo
}
{
	cat "$W/straddle.log" "$W/straddle.log"
	long 300000
	cat $PSK
	long 1300000
	for i in 1 2 3 4 5 6 7 8 9; do cat "$W/straddle.log"; done
	cat $SS
} >"$W/long.log"

check "lines across window ends" 16384 yes "$W/straddle.log"
check "lines across window ends, 5 pages" 20480 yes "$W/straddle.log"
check "no final newline" 16384 yes "$W/nonl.log"
check "NUL bytes" 16384 yes "$W/nul.log"
check "CRLF" 16384 yes "$W/crlf.log"
check "long lines, --max-record 4k" 65536 yes --max-record 4k -- "$W/long.log"
grep -q '"truncated": 2' "$T/$n-json-0.out" && ok || bad "long.log, --max-record 4k: two lines cut"
# windows larger than the buffer (1 MiB + 4 KiB): the line longer than the
# buffer is found inside a window, and read from its start by read()
check "long lines, windows of 2 MiB" 2097152 yes --max-record 4k -- "$W/long.log"
grep -q '"truncated": 2' "$T/$n-json-0.out" && ok || bad "long.log, windows of 2 MiB: two lines cut"
check "long lines, --min-severity, --since" 65536 yes --min-severity error --since 2025-11-23T00:58:36Z -- "$W/long.log"
# decoded and compressed files are read as before
{ printf '\377\376'; iconv -f UTF-8 -t UTF-16LE "$W/straddle.log"; } >"$W/utf16.log"
gzip -c "$W/straddle.log" >"$W/straddle.log.gz"
check "UTF-16 and gzip (not mapped)" 16384 no "$W/utf16.log" "$W/straddle.log.gz"
run "16384 0" "$T/stdin" -f json --fail-on none - <"$W/straddle.log"
[ -s "$T/stdin.map" ] && bad "standard input read from windows: $(cat "$T/stdin.map")" || ok
run "16384 0" "$T/all" -f json --jobs 1 samples "$W"
run "0 0" "$T/all0" -f json --jobs 1 samples "$W"
same "samples and the written files" "$T/all0" "$T/all"
# --jobs 2: several framers at once, each with its windows
run "16384 0" "$T/all2" -f json --jobs 2 samples "$W"
same "samples and the written files, --jobs 2" "$T/all0" "$T/all2"

# cron mode: a first run from the start, then lines appended (the last one
# without its '\n' at first); each run's report and the state's offsets as
# without windows (the same paths: finding ids hash them)
cron() { # TAG "WINDOW MIN"
	cp "$W/straddle.log" "$T/cron.log"
	tail -n 2 $PSK | tr -d '\n' >>"$T/cron.log"
	rm -f "$T/state"
	for r in 1 2 3; do
		run "$2" "$T/cron-$1-$r" -f json --fail-on none --tz UTC --year 2025 --state "$T/state" "$T/cron.log"
		grep -o ' size=[0-9]* \| offset=[0-9]* line=[0-9]*' "$T/state" >"$T/cron-$1-$r.state"
		{ echo; cat "$W/straddle.log"; tail -n 2 $PSK | tr -d '\n'; } >>"$T/cron.log"
	done
}
cron 0 "0 0"
cron m "16384 0"
for r in 1 2 3; do
	same "cron run $r" "$T/cron-0-$r" "$T/cron-m-$r"
	cmp -s "$T/cron-0-$r.state" "$T/cron-m-$r.state" && ok || bad "cron run $r: the state differs with windows"
	mapped "$T/cron.log" "$T/cron-m-$r.map"
done

# ---- a file that shrinks while it is mapped ------------------------------------------
# copytruncate: the file is cut to N bytes once the window reaching past
# that is mapped; touching its pages past the new end raises SIGBUS, which
# must not end the process: the input is partial with a note (exit status
# 3), and the
# findings are those of the part before the cut (the file as it is after)
for cut in 150000 150001 163840 300000; do
	cp "$W/straddle.log" "$T/shrink.log"
	IPSEC_SCAN_MMAP_CUT=$cut run "16384 0" "$T/shrink" -f json --fail-on none --tz UTC --year 2025 "$T/shrink.log"
	# exit status 3: an input was truncated (SPEC.md); a crash gives 128 + SIGBUS
	if [ "$(cat "$T/shrink.rc")" = 3 ] && [ "$(wc -c <"$T/shrink.log")" -eq "$cut" ]; then ok; else
		bad "shrink to $cut: exit status $(cat "$T/shrink.rc") (3 expected), size $(wc -c <"$T/shrink.log")"
		cat "$T/shrink.err"
	fi
	mapped "$T/shrink.log" "$T/shrink.map"
	jq -e '.inputs[0] | .status == "partial" and (.error | test("the file shrank while it was read"))' \
		"$T/shrink.out" >/dev/null && ok || bad "shrink to $cut: no note: $(jq -c '.inputs[0]' "$T/shrink.out")"
	run "0 0" "$T/shrunk" -f json --fail-on none --tz UTC --year 2025 "$T/shrink.log"
	if [ "$(jq -c '[.findings, .incidents]' "$T/shrink.out")" = "$(jq -c '[.findings, .incidents]' "$T/shrunk.out")" ] &&
		[ "$(jq '.findings | length' "$T/shrink.out")" -gt 0 ]; then ok; else
		bad "shrink to $cut: findings differ from those of the file as cut"
	fi
done

# ---- samples -------------------------------------------------------------------
for f in samples/strongswan/*.log samples/libreswan/*.log samples/plain/*.log \
	samples/gateways/*.log; do
	[ "$(wc -c <"$f")" -ge 40960 ] || continue
	check "$f" 16384 yes "$f"
done
check "samples (windows only where large enough)" 16384 any samples
check "samples/windows (not line formats)" 16384 no samples/windows/eventviewer-saved.xml \
	samples/windows/netsh-wfp-netevents.xml samples/windows/get-eventlog-format-list.txt \
	samples/windows/eventviewer-copy-details.txt

# ---- tests/ fixtures of line formats ---------------------------------------------
fx=$(find tests/e2e tests/cron tests/jobs -type f -size +40k \( -name '*.log' -o -name '*.txt' \) 2>/dev/null | sort | head -20)
if [ -n "$fx" ]; then
	# shellcheck disable=SC2086
	check "tests/ fixtures" 16384 any $fx
fi
check "tests/e2e inputs" 16384 any tests/e2e

# ---- the corpus -----------------------------------------------------------------
if [ -d "$CORPUS" ]; then
	check "loghub" 16384 yes "$CORPUS"/loghub/*.log
	check "fcss-charon" 65536 yes "$CORPUS/strongswan-charon/fcss-charon.log"
	check "fcss-charon, tiny windows" 16384 yes "$CORPUS/strongswan-charon/fcss-charon.log"
	check "the whole corpus" 16384 any -- "$CORPUS"
else
	echo "mmap: $CORPUS absent: the corpus comparison is skipped"
fi

echo "mmap: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
