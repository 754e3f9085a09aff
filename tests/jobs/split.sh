#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# --jobs within one file (detect/scan_split.c): a plain file of a line format
# read in byte ranges, an EVTX file in ranges of chunks, by several threads
# gives the report --jobs 1 gives, byte for byte, in every format, with the
# same standard error (but for the test hook's line) and exit status.
#
# The test hook IPSEC_SCAN_SPLIT_BYTES=N splits files from N bytes on, in
# ranges of about N bytes, and names on standard error how many ranges each
# split file got: every file expected to be split must show at least 2 (a
# check that can fail: without a split the comparison proves nothing), and
# formats that are never split (XML, Event Viewer text, CSV, archives,
# EVTX files of one chunk) must show none. EVTX files of several chunks are
# split in ranges of whole chunks (see the EVTX part below). Inputs: samples/, files written here (lines across range
# boundaries, no final newline, NUL bytes, lines longer than --max-record
# and than the read buffer, CRLF, the negotiation context of a failure in
# the range before it) and, when present, real logs of ../shared/corpus
# (skipped with a message otherwise).
#
#   sh tests/jobs/split.sh       (make jobs-check, part of make test)
# VALGRIND, when set, prefixes every run of the binary (then only json and
# text are compared, and the corpus is left out: it would take too long).
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
# The fuzz regression inputs hold a record for which libevtx asks 8 GiB; the
# address-space cap makes that allocation fail (docs/security.md). Under
# ASan it must return NULL, as malloc does, not end the run (as fuzz-replay).
# libevtx's own leak on a record it cannot parse is suppressed, as there.
ASAN_OPTIONS=allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}
LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp
export ASAN_OPTIONS LSAN_OPTIONS
[ -n "${VALGRIND:-}" ] && VALGRIND="$VALGRIND --suppressions=$PWD/tests/fuzz/valgrind.supp"
CORPUS=${CORPUS:-../shared/corpus}
T=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-split.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
FORMATS="json text ndjson sarif junit markdown html csv github codequality"
[ -n "${VALGRIND:-}" ] && FORMATS="json text" CORPUS=/nonexistent
. tests/compare.sh

# run BYTES OUT args...: one run with the hook; stdout, stderr without the
# hook's lines, the hook's lines, exit status
run() {
	b=$1 o=$2
	shift 2
	IPSEC_SCAN_SPLIT_BYTES=$b ${VALGRIND:-} "$BIN" "$@" >"$o.out" 2>"$o.raw" </dev/null
	echo $? >"$o.rc"
	grep -v -e '^ipsec-scan: --jobs: .*: [0-9]* ranges$' -e '^ipsec-scan: mmap: ' "$o.raw" >"$o.err"
	grep '^ipsec-scan: --jobs: .*: [0-9]* ranges$' "$o.raw" >"$o.split"
	grep '^ipsec-scan: mmap: ' "$o.raw" >"$o.mmap"
}

n=0
# check NAME BYTES SPLIT [options --] FILE...: --jobs 2 (every format) and
# --jobs 3 (json, text) against --jobs 1; SPLIT: yes when every file named
# must be split, no when none may be, any when some are
check() {
	name=$1 b=$2 want=$3
	shift 3
	opts=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts="$opts $1"; shift; done
	[ $# -gt 0 ] && shift
	n=$((n + 1))
	for f in $FORMATS; do
		js=2
		case $f in json | text) js="2 3" ;; esac
		# shellcheck disable=SC2086
		run "$b" "$T/$n-$f-1" -f $f --fail-on warning --tz UTC --year 2025 $opts --jobs 1 "$@"
		for j in $js; do
			# shellcheck disable=SC2086
			run "$b" "$T/$n-$f-$j" -f $f --fail-on warning --tz UTC --year 2025 $opts --jobs $j "$@"
			same "$name -f $f --jobs $j" "$T/$n-$f-1" "$T/$n-$f-$j"
		done
	done
	s=$T/$n-json-2.split
	if [ "$want" = yes ]; then
		for file in "$@"; do
			k=$(grep -F ": $file: " "$s" | sed 's/.*: \([0-9]*\) ranges$/\1/')
			if [ -n "$k" ] && [ "$k" -ge 2 ]; then ok; else bad "$name: $file was not split (${k:-no} ranges)"; fi
		done
	elif [ "$want" = any ]; then
		ok
	elif [ -s "$s" ]; then
		bad "$name: split, but must not be: $(cat "$s")"
	else
		ok
	fi
}

# ---- written here -----------------------------------------------------------
W=$T/w
mkdir -p "$W"
SS=samples/strongswan/charon-ike-proposal-mismatch.log
PSK=samples/strongswan/charon-syslog-wrong-psk.log
# failures between lines of every length up to 9000 bytes: with 4 KiB ranges
# many lines, failures among them, cross a nominal cut
awk -v seed=7 'BEGIN { srand(seed) }
	FNR == 1 { f++ }
	{ print; if (f == 1 && rand() < 0.5) { n = int(rand() * 9000); s = sprintf("%*s", n, ""); gsub(/ /, "x", s); print "Nov 23 00:58:36 00[NET] pad " s } }' \
	$SS $PSK $SS $PSK $SS $SS $PSK >"$W/straddle.log"
# the negotiation context: the facts of a failure are in lines one range
# (here: many ranges) before it
{
	head -n 14 $SS
	i=0
	while [ $i -lt 400 ]; do echo "Nov 23 00:58:36 05[NET] unrelated line $i of some length to fill a range"; i=$((i + 1)); done
	tail -n +15 $SS
} >"$W/context.log"
# no final newline, the last line a failure
{ cat $PSK $SS; tail -n 3 $PSK | tr -d '\n'; } >"$W/nonl.log"
# NUL bytes: in the first bytes (the note) and in a part of binary data
{ printf 'Nov 23 00:58:35 00[DMN] \000\000 binary\000head\n'; cat $SS; head -c 20000 /dev/zero; printf '\n'; cat $PSK; } >"$W/nul.log"
# CRLF lines
sed 's/$/\r/' $PSK >"$W/crlf.log"
cat $SS >>"$W/crlf.log"
# a line longer than --max-record (1 MiB: cut, counted, noted) and one longer
# than the read buffer (block + max-record: cut as a record, the rest
# skipped), both starting with a failure
long() { # BYTES: a failure line padded to BYTES bytes
	grep -m1 'no matching proposal\|NO_PROPOSAL_CHOSEN\|received proposals' $SS | tr -d '\n'
	head -c "$1" /dev/zero | tr '\0' 'y'
	echo
}
{ cat $SS; long 1300000; cat $PSK; long 2300000; cat $SS; } >"$W/long.log"

check "lines across range boundaries" 4096 yes "$W/straddle.log"
check "lines across range boundaries, tiny ranges" 300 yes "$W/straddle.log"
check "context from earlier ranges" 2048 yes "$W/context.log"
check "no final newline" 512 yes "$W/nonl.log"
check "NUL bytes" 1024 yes "$W/nul.log"
check "CRLF" 512 yes "$W/crlf.log"
check "long lines" 65536 yes "$W/long.log"
check "long lines, --max-record 4k" 65536 yes --max-record 4k -- "$W/long.log"
check "long lines, --min-severity, --since" 65536 yes --min-severity error --since 2025-11-23T00:58:36Z -- "$W/long.log"
# ranges read through mapped windows (IPSEC_SCAN_MMAP: windows of 4 pages,
# from any size; tests/mmap/run.sh compares --jobs 1's own mapped read with
# read()): lines across windows, and lines longer than a window or the
# buffer, which the ranges' preads then take
IPSEC_SCAN_MMAP="16384 0"
export IPSEC_SCAN_MMAP
for lf in 1 2 3 4 5 6 7 8; do cat "$W/straddle.log"; done >"$W/straddle8.log"
for lf in straddle8 long; do
	check "$lf lines, ranges in mapped windows" 65536 yes "$W/$lf.log"
	if grep -q ': range at [0-9]*: [1-9][0-9]* windows' "$T/$n-json-2.mmap"; then
		ok
	else
		bad "$lf lines: no range was read through mapped windows"
	fi
done
unset IPSEC_SCAN_MMAP
grep -q '"truncated": 2' "$T/$n-json-1.out" && ok || bad "long.log: two lines cut"
# decoded and compressed files are read whole
{ printf '\377\376'; iconv -f UTF-8 -t UTF-16LE "$W/straddle.log"; } >"$W/utf16.log"
gzip -c "$W/straddle.log" >"$W/straddle.log.gz"
check "UTF-16 and gzip (not split)" 1024 no "$W/utf16.log" "$W/straddle.log.gz"
# several inputs, split and not, in one run
check "mixed inputs" 1024 no samples/windows/eventviewer-saved.xml samples/windows/get-winevent-format-list.txt \
	samples/windows/eventviewer.csv
check "split among whole inputs" 1024 yes "$W/straddle.log" "$W/nonl.log"
run 1024 "$T/all" -f json --jobs 2 samples "$W" "$W/straddle.log"
grep -q ': 3 ranges\|: [0-9][0-9]* ranges' "$T/all.split" && ok || bad "a directory's files are split"
run 1024 "$T/all1" -f json --jobs 1 samples "$W" "$W/straddle.log"
same "samples and the written files" "$T/all1" "$T/all"

# ---- EVTX: ranges of whole 64 KiB chunks ------------------------------------------
# IPSEC_SCAN_SPLIT_BYTES=4096: one chunk a range. Files of chunks taken from
# our own EVTX files, the fuzz regression inputs and the corpus's
# (tests/jobs/evtx-chunks.py: records numbered again, checksums set): with
# the built-in rules (findings and incidents across chunks), with
# tests/evtx/every.yaml (every record a hit: each read again by the join),
# with a small --max-record (records cut at the cap, with and without a
# hit); damaged copies (tests/evtx/mutate.py: records the fast path refuses,
# records libevtx cannot read, chunks failing their checksums), a file
# header that counts fewer chunks, the same marked dirty, a chunk without
# its signature, a file libevtx cannot open (read whole by the join). With
# IPSEC_SCAN_EVTX=stats both runs say how many records went through libevtx
# (standard error is compared); some split runs must show such records.
EV=""
for f in "$CORPUS"/evtx/*.evtx; do [ -f "$f" ] && EV="$EV $f"; done
E=tests/evtx/ipsec-events.evtx
if command -v python3 >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	python3 tests/jobs/evtx-chunks.py "$W/chunks.evtx" 24 $E $EV $E
	python3 tests/jobs/evtx-chunks.py "$W/regress.evtx" 12 tests/fuzz/regress/evtx/* $E \
		tests/fuzz/corpus/evtx/*
	mkdir -p "$W/evtx-bad"
	python3 tests/evtx/mutate.py "$W/chunks.evtx" "$W/evtx-bad" 6 5
	python3 - "$W/chunks.evtx" "$W/evtx-bad" <<'PY'
import struct, sys, zlib
src, out = sys.argv[1], sys.argv[2]
d = open(src, "rb").read()
def head(b):
    struct.pack_into("<I", b, 124, zlib.crc32(bytes(b[:120])))
def put(name, b):
    open("%s/%s.evtx" % (out, name), "wb").write(b)
b = bytearray(d); struct.pack_into("<H", b, 42, 10); head(b); put("count10", b)
b2 = bytearray(b); struct.pack_into("<I", b2, 120, 1); head(b2); put("dirty", b2)
b = bytearray(d); o = 4096 + 5 * 65536; b[o:o + 8] = b"XXXXXXXX"; put("nosig", b)
b = bytearray(d); o = 4096 + 3 * 65536; struct.pack_into("<I", b, o + 40, 40); put("unopenable", b)
PY
	export IPSEC_SCAN_EVTX=stats
	check "EVTX chunks" 4096 yes "$W/chunks.evtx"
	check "EVTX chunks, 3 chunks a range" 196608 yes "$W/chunks.evtx"
	check "EVTX chunks, every record a hit" 4096 yes --rules tests/evtx/every.yaml -- "$W/chunks.evtx"
	check "EVTX chunks, --max-record 1k" 4096 yes --max-record 1k --rules tests/evtx/every.yaml -- "$W/chunks.evtx"
	grep -q '"truncated": [1-9]' "$T/$n-json-1.out" && ok || bad "EVTX --max-record 1k: records cut"
	check "EVTX chunks of the fuzz inputs" 4096 yes --rules tests/evtx/every.yaml -- "$W/regress.evtx"
	# PCRE2 limit hits (tests/jobs/evtx-limit.yaml hits it on every record):
	# counted once per record, also on records only libevtx reads (the
	# join's), and not for the probes of a file the join reads whole
	for f in "$W/regress.evtx" "$W/evtx-bad/unopenable.evtx" $EV; do
		check "EVTX $(basename "$f"), --match-limit 1000" 4096 any --match-limit 1000 \
			--rules tests/jobs/evtx-limit.yaml -- "$f"
	done
	grep -q 'test-limit-event.*hit a PCRE2 limit' "$T/$n-json-2.out" && ok ||
		bad "EVTX --match-limit 1000: no limit note"
	libevtx=0
	for f in "$W"/evtx-bad/*.evtx; do
		check "EVTX damaged $(basename "$f")" 4096 yes --rules tests/evtx/every.yaml -- "$f"
		grep -q 'read here, [1-9][0-9]* through libevtx$' "$T/$n-json-2.err" && libevtx=$((libevtx + 1))
	done
	[ "$libevtx" -ge 2 ] && ok || bad "EVTX: only $libevtx damaged files had records read through libevtx in a split"
	# (the stats line is written as a file is read: with several files at
	# once, in the order they are read)
	unset IPSEC_SCAN_EVTX
	check "EVTX chunks among other inputs" 4096 any "$W/straddle.log" "$W/chunks.evtx" "$W/evtx-bad/m000.evtx"
	check "EVTX files in a directory" 4096 any "$W/evtx-bad"
	check "EVTX chunks, --since, --min-severity" 4096 yes --since 2025-03-01T10:03:00Z \
		--min-severity error -- "$W/chunks.evtx"
	grep -q '"filtered": [1-9]' "$T/$n-json-1.out" && grep -q '"findings": [1-9]' "$T/$n-json-1.out" &&
		ok || bad "EVTX --since: findings kept and filtered"
	check "EVTX of one chunk (not split)" 4096 no $E tests/fuzz/regress/evtx/*
else
	echo "split: python3 absent: the EVTX files written here are skipped"
fi

# ---- samples -------------------------------------------------------------------
for f in samples/strongswan/*.log samples/libreswan/*.log samples/plain/*.log \
	samples/gateways/*.log; do
	[ "$(wc -c <"$f")" -ge 3072 ] || continue
	check "$f" 1024 yes "$f"
done
check "samples/windows (not line formats)" 1024 no samples/windows/eventviewer-saved.xml \
	samples/windows/netsh-wfp-netevents.xml samples/windows/get-eventlog-format-list.txt \
	samples/windows/eventviewer-copy-details.txt
check "a journal export" 1024 no samples/journal/charon-systemd.export

# ---- the corpus -----------------------------------------------------------------
if [ -d "$CORPUS" ]; then
	check "loghub" 16384 yes "$CORPUS"/loghub/*.log
	check "fcss-charon" 131072 yes "$CORPUS/strongswan-charon/fcss-charon.log"
	check "fcss-charon, tiny ranges" 8192 yes "$CORPUS/strongswan-charon/fcss-charon.log"
	# PCRE2 limits: counted once per record (the probes'), not again by the join
	check "fcss-charon, --match-limit 1000" 65536 yes --match-limit 1000 -- "$CORPUS/strongswan-charon/fcss-charon.log"
	grep -q 'hit a PCRE2 limit (match, depth or heap) on 26 record' "$T/$n-json-2.out" && ok ||
		bad "fcss-charon, --match-limit 1000: the limit note counts 26 records"
	for f in $(ls "$CORPUS"/strongswan-generated/*/*.log | head -6) \
		"$CORPUS"/elastic-integrations/*.log; do
		[ "$(wc -c <"$f")" -ge 3072 ] || continue
		check "$f" 1024 yes "$f"
	done
	for f in "$CORPUS"/evtx/*.evtx; do
		if [ "$(wc -c <"$f")" -ge 200000 ]; then
			check "$f" 4096 yes --rules tests/evtx/every.yaml -- "$f"
			check "$f, built-in rules" 65536 yes "$f"
		else
			check "$f (one chunk: not split)" 4096 no "$f"
		fi
	done
	check "the whole corpus" 65536 any -- "$CORPUS"
else
	echo "split: $CORPUS absent: the corpus comparison is skipped"
fi

echo "split: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
