#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The bad-input matrix (docs/security.md): the built binary on inputs that are
# broken, hostile or odd, each generated here at test time (nothing large is
# committed), each given together with a good log.
#
#   sh tests/bad/run.sh            every case
#   sh tests/bad/run.sh NAME...    only these cases
#
# For each case it checks:
#   - the exit status SPEC.md documents for it (3: an input unreadable, 2: an
#     unusable rules or state file, 4: the report cannot be written);
#   - the one-line error on standard error names the input, and the offset or
#     line where one is known;
#   - the good log given in the same run is still scanned and its finding
#     reported (where the case lets scanning start at all);
#   - bounded time (timeout) and memory (peak RSS from /usr/bin/time), and no
#     crash: a signal or sanitizer report fails the case.
# Cases already covered by tests/e2e/cases/ reuse those cases' generators
# (container-truncated, container-bomb) and add the checks above.
#
# VALGRIND, when set, prefixes every run (make valgrind); SAN, when set
# (make asan), raises the memory bounds for the sanitizers' shadow memory.
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
W=tests/out/bad
rm -rf "$W" && mkdir -p "$W"
GOOD=samples/strongswan/charon-syslog-wrong-psk.log
FIND='2026-03-05T07:58:15Z CLIENT01 RasClient: The connection failed with error 13801'
TIME=/usr/bin/time
pass=0 fail=0 skip=0
MEMX=1
[ -n "${SAN:-}" ] && MEMX=8
[ -n "${VALGRIND:-}" ] && MEMX=16
TX=1
[ -n "${SAN:-}" ] && TX=4
[ -n "${VALGRIND:-}" ] && TX=30

if [ ! -x "$TIME" ]; then
	echo "bad inputs: $TIME is missing (Debian package 'time'): run make deps"
	exit 1
fi

want() { # NAME: is this case selected?
	[ $# -ge 1 ] || return 0
	case " $SELECTED " in *" $1 "*) return 0 ;; esac
	return 1
}
SELECTED=" $* "
[ $# -eq 0 ] && SELECTED=""
selected() { [ -z "$SELECTED" ] || want "$1"; }
# the cases that read hundreds of MB: minutes under valgrind, so skipped there
heavy() {
	[ -z "${VALGRIND:-}" ] && return 0
	skip_case "$1" "reads hundreds of MB: not run under valgrind (make test and make asan run it)"
	return 1
}

# run NAME SECONDS MIB ARGS... : ipsec-scan -f json --fail-on none ARGS, with
# stdout in $W/NAME.out, stderr in $W/NAME.err, peak RSS (KiB) in $W/NAME.rss
run() {
	name=$1 secs=$(($2 * TX)) mib=$(($3 * MEMX))
	shift 3
	CASE=$name
	ok=1 why=""
	timeout -k 5 "$secs" "$TIME" -f "%e %M" -o "$W/$name.rss" ${VALGRIND:-} "$BIN" \
		-f json --tz UTC --year 2025 --fail-on none "$@" >"$W/$name.out" 2>"$W/$name.err"
	rc=$?
	bounded "$secs" "$mib"
}

# runm NAME SECONDS MIB ARGS... : ipsec-scan merge -f json --fail-on none ARGS
runm() {
	name=$1 secs=$(($2 * TX)) mib=$(($3 * MEMX))
	shift 3
	CASE=$name
	ok=1 why=""
	timeout -k 5 "$secs" "$TIME" -f "%e %M" -o "$W/$name.rss" ${VALGRIND:-} "$BIN" \
		merge -f json --fail-on none "$@" >"$W/$name.out" 2>"$W/$name.err"
	rc=$?
	bounded "$secs" "$mib"
}

# bounded SECONDS MIB: no timeout, no crash, peak RSS under the bound
bounded() {
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		bad "took longer than $1 s"
	elif [ "$rc" -gt 128 ] && [ "$rc" != 141 ]; then
		bad "killed by signal $((rc - 128))"
	fi
	if grep -q -E 'Sanitizer|runtime error|Command terminated by signal' "$W/$CASE.err"; then
		bad "crash or sanitizer report"
	fi
	kib=$(tail -n 1 "$W/$CASE.rss" 2>/dev/null | cut -d' ' -f2)
	case $kib in
	'' | *[!0-9]*) bad "no peak RSS measured" ;;
	*) [ "$kib" -le $(($2 * 1024)) ] || bad "peak RSS $((kib / 1024)) MiB > $2 MiB" ;;
	esac
	# /usr/bin/time notes a non-zero exit in its output file: keep only the figure
	sed -i '/^Command exited/d' "$W/$CASE.rss" 2>/dev/null
}

bad() {
	ok=0
	why="$why${why:+; }$*"
}

expect_rc() {
	[ "$rc" = "$1" ] || bad "exit $rc, expected $1"
}

# expect_err ERE: a line of stderr matches (each line starts with the
# program name: one line per problem)
expect_err() {
	grep -q -E -- "$1" "$W/$CASE.err" || bad "stderr lacks /$1/"
	# a rules file's diagnostics read FILE:LINE:COL: error: ..., like a compiler's
	if grep -v -E '^ipsec-scan: |^[^ ]+:[0-9]+:[0-9]+: (error|warning): ' "$W/$CASE.err" |
		grep -q .; then
		bad "stderr has a line not from ipsec-scan"
	fi
}

expect_quiet() {
	[ ! -s "$W/$CASE.err" ] || bad "unexpected stderr"
}

# expect_found PATH [NAME]: the JSON report is valid and has a finding in PATH
expect_found() {
	n=$(jq --arg p "$1" --arg n "${2:-}" \
		'[.findings[] | select(.path == $p and ($n == "" or .name == $n))] | length' \
		"$W/$CASE.out" 2>/dev/null)
	case $n in
	'' | 0) bad "no finding in $1 ${2:-}" ;;
	esac
}

expect_good() {
	expect_found "$GOOD" IKEV2_AUTHENTICATION_FAILED
}

# expect_input PATH JQ-EXPR: the report's entry for the input satisfies EXPR
expect_input() {
	r=$(jq --arg p "$1" "[.inputs[] | select(.path == \$p) | ($2)] | all" "$W/$CASE.out" 2>/dev/null)
	[ "$r" = true ] || bad "input $1: not ($2)"
}

done_case() {
	secs=$(tail -n 1 "$W/$CASE.rss" 2>/dev/null | cut -d' ' -f1)
	kib=$(tail -n 1 "$W/$CASE.rss" 2>/dev/null | cut -d' ' -f2)
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		printf 'ok   %-24s exit %s, %s s, %s MiB\n' "$CASE" "$rc" "$secs" "$((${kib:-0} / 1024))"
	else
		fail=$((fail + 1))
		printf 'FAIL %-24s %s\n' "$CASE" "$why"
		sed 's/^/     | /' "$W/$CASE.err" | head -5
	fi
}

skip_case() {
	skip=$((skip + 1))
	printf 'skip %-24s %s\n' "$1" "$2"
}

# ---- the cases -------------------------------------------------------------

# Binary garbage (a deflate stream: incompressible, deterministic).
if selected random-binary; then
	seq 1 400000 | gzip -n -1 | tail -c +11 >"$W/random.bin"
	run random-binary 30 64 "$W/random.bin" "$GOOD"
	expect_rc 0
	expect_quiet
	expect_good
	expect_input "$W/random.bin" '.status == "ok"'
	done_case
fi

# NUL bytes inside lines: the failure after them is still found, on its line.
if selected nul-in-lines; then
	{
		printf 'Mar  5 07:58:10 gw charon: 05[NET] \000\000 received packet\000 from 10.0.0.1\n'
		printf 'Mar  5 07:58:11 gw charon: 05[NET] \000\n'
		echo "$FIND"
	} >"$W/nul.log"
	run nul-in-lines 30 64 "$W/nul.log" "$GOOD"
	expect_rc 0
	expect_good
	expect_found "$W/nul.log"
	r=$(jq --arg p "$W/nul.log" '[.findings[] | select(.path == $p) | .line] | first' "$W/$CASE.out")
	[ "$r" = 3 ] || bad "finding on line $r, expected 3"
	done_case
fi

# Invalid UTF-8 (stray continuation bytes, overlongs, a cut sequence): the
# JSON report stays valid, the failure is found.
if selected invalid-utf8; then
	{
		printf 'Mar  5 07:58:10 gw charon: \200\277 \300\257 \355\240\200 \370\210\200\200\200 \342\202\n'
		printf '%s \377\376 peer \300\n' "$FIND"
	} >"$W/utf8.log"
	run invalid-utf8 30 64 "$W/utf8.log" "$GOOD"
	expect_rc 0
	expect_good
	expect_found "$W/utf8.log"
	jq -e . "$W/$CASE.out" >/dev/null 2>&1 || bad "JSON report does not parse"
	done_case
fi

# UTF-16 LE with a BOM and an odd number of bytes (the last unit cut).
if selected odd-utf16; then
	{ printf '\377\376'; printf '%s\r\nMar  5 07:58:16 gw x: tail\r\n' "$FIND" | iconv -f UTF-8 -t UTF-16LE; printf 'A'; } >"$W/odd16.log"
	run odd-utf16 30 64 "$W/odd16.log" "$GOOD"
	expect_good
	expect_found "$W/odd16.log"
	expect_rc 3
	expect_err "odd16.log: .*offset [0-9]+"
	done_case
fi

# A 300 MB line without a newline, through a FIFO (no 300 MB file on disk):
# cut at --max-record, memory stays small.
if selected long-line && heavy long-line; then
	mkfifo "$W/long.fifo"
	{ head -c 314572800 /dev/zero | tr '\0' a; printf ' %s' "$FIND"; } >"$W/long.fifo" &
	run long-line 120 96 "$W/long.fifo" "$GOOD"
	wait
	expect_rc 0
	expect_good
	expect_input "$W/long.fifo" '.truncated == 1 and .bytes > 314572800'
	done_case
fi

# An empty file (tests/e2e/cases/core-empty-input checks the report alone).
if selected empty; then
	: >"$W/empty.log"
	run empty 30 64 "$W/empty.log" "$GOOD"
	expect_rc 0
	expect_quiet
	expect_good
	expect_input "$W/empty.log" '.status == "empty"'
	done_case
fi

# A truncated .gz: the generator of tests/e2e/cases/container-truncated.
if selected truncated-gz; then
	mkdir -p "$W/trunc" && OUT=$W/trunc sh tests/e2e/cases/container-truncated/setup
	run truncated-gz 60 64 "$W/trunc/cut.log.gz" "$GOOD"
	expect_rc 3
	expect_err "cut.log.gz!cut.log: at offset [0-9]+: .*truncated"
	expect_good
	done_case
fi

# A compression bomb: the generator of tests/e2e/cases/container-bomb
# (256 MiB of xz in a few KiB), stopped by the ratio limit.
if selected compression-bomb && heavy compression-bomb; then
	mkdir -p "$W/bomb" && OUT=$W/bomb sh tests/e2e/cases/container-bomb/setup
	run compression-bomb 60 64 "$W/bomb/bomb.log.xz" "$GOOD"
	expect_rc 3
	expect_err "bomb.log.xz.*1000 times its size"
	expect_good
	done_case
	# and the per-member byte cap, set low on the command line
	run member-cap 60 64 --max-member 1M "$W/bomb/bomb.log.xz" "$GOOD"
	expect_rc 3
	expect_err "bomb.log.xz.*1 MiB|bomb.log.xz.*1048576"
	expect_good
	done_case
fi

# A compressed log that begins with NUL bytes (1024: two tar blocks of
# zeros, libarchive's "empty tar") is still a compressed log: read as one
# stream, the failure after the zeros found. A tar is a tar only with a
# valid header checksum: a text file with "ustar" at offset 257 is a log.
if selected nul-compressed; then
	for c in gzip bzip2 xz; do
		{ head -c 1024 /dev/zero; echo; echo "$FIND"; } | $c >"$W/nul-$c.log.$c"
	done
	{ printf '%-257s' "$FIND"; printf 'ustar  \n'; head -c 300 /dev/zero | tr '\0' ' '; echo; } >"$W/fake.tar"
	run nul-compressed 30 64 "$W/nul-gzip.log.gzip" "$W/nul-bzip2.log.bzip2" "$W/nul-xz.log.xz" \
		"$W/fake.tar" "$GOOD"
	expect_rc 0
	expect_good
	expect_found "$W/nul-gzip.log.gzip!nul-gzip.log.gzip.data"
	expect_found "$W/nul-bzip2.log.bzip2!nul-bzip2.log.bzip2.data"
	expect_found "$W/nul-xz.log.xz!nul-xz.log"
	expect_found "$W/fake.tar"
	done_case
fi

# A bomb of many members each under the 64 MiB grace (4 x 40 MiB of zeros
# in a tar.xz of a few KiB): the ratio is the whole input's, all members
# together, so it stops past 64 MiB; --max-input stops it at its size.
if selected bomb-members && heavy bomb-members; then
	mkdir -p "$W/bm"
	for i in 1 2 3 4; do truncate -s 40M "$W/bm/z$i.log"; done
	tar -C "$W/bm" --owner=0 --group=0 --mtime=2025-01-01 -cf - z1.log z2.log z3.log z4.log |
		xz -0 >"$W/members.tar.xz"
	rm -rf "$W/bm"
	run bomb-members 30 64 "$W/members.tar.xz" "$GOOD"
	expect_rc 3
	expect_err "members.tar.xz: .*1000 times its size, its members together.*--max-ratio"
	expect_good
	expect_input "$W/members.tar.xz" '.status == "partial" and (.error | test("--max-ratio"))'
	done_case
	run max-input 30 64 --max-ratio 1000000000 --max-input 50M "$W/members.tar.xz" "$GOOD"
	expect_rc 3
	expect_err "members.tar.xz: .*more than 50 MiB in all.*--max-input"
	expect_good
	done_case
fi

# A zip whose members are named ../../ and /tmp/...: read as streams under
# those names, nothing is written anywhere.
if selected zip-slip; then
	mkdir -p "$W/slip/XX/XX" "$W/slip/Atmp"
	echo "$FIND" >"$W/slip/XX/XX/up.log"
	echo "$FIND" >"$W/slip/Atmp/abs.log"
	(cd "$W/slip" && zip -q -X ../slip.zip XX/XX/up.log Atmp/abs.log)
	# the names are not covered by the CRC: rewrite them in place
	sed -i 's|XX/XX/up.log|../../up.log|g; s|Atmp/abs.log|/tmp/abs.log|g' "$W/slip.zip"
	rm -f /tmp/abs.log
	run zip-slip 30 64 "$W/slip.zip" "$GOOD"
	expect_rc 0
	expect_good
	expect_found "$W/slip.zip!../../up.log"
	expect_found "$W/slip.zip!/tmp/abs.log"
	[ ! -e /tmp/abs.log ] && [ ! -e tests/up.log ] && [ ! -e up.log ] || bad "a member was written to disk"
	done_case
fi

# Zip members with non-ASCII names, flagged UTF-8 (bit 11) or in CP437 (the
# zip default, no flag), under the C locale and a UTF-8 one: each member
# keeps its own name (UTF-8 in the report), so findings get distinct ids.
if selected zip-names; then
	if command -v python3 >/dev/null 2>&1; then
		python3 - "$W/names.zip" "$FIND" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], "w")
for n in ["\u00e9.log", "\u00fc.log", "\u65e5\u672c.log", "CP1x.log", "CP2x.log"]:
    z.writestr(n, sys.argv[2] + "\n")  # python flags non-ASCII names UTF-8
z.close()
d = open(sys.argv[1], "rb").read()
# CP437 0x82 and 0x81 (e acute, u diaeresis), without the flag: the names
# are not covered by the CRC
d = d.replace(b"CP1x.log", b"CP1\x82.log").replace(b"CP2x.log", b"CP2\x81.log")
open(sys.argv[1], "wb").write(d)
PY
		for loc in C C.UTF-8; do
			LC_ALL=$loc run "zip-names-$loc" 30 64 "$W/names.zip" "$GOOD"
			expect_rc 0
			expect_good
			for n in é ü 日本 CP1é CP2ü; do
				expect_found "$W/names.zip!$n.log"
			done
			r=$(jq '[.findings[] | select(.path | startswith("'"$W"'/names.zip!")) | .id] | unique | length' "$W/$CASE.out" 2>/dev/null)
			[ "$r" = 5 ] || bad "$r distinct finding ids in the zip, expected 5"
			done_case
		done
	else
		skip_case zip-names "no python3 to write the zip"
	fi
fi

# Data that libarchive would hand to an external program (lzop, lrzip,
# grzip) inside a .gz: scanned as bytes, no program is ever started. Fake
# programs of those names first in PATH would leave a mark.
if selected no-exec; then
	mkdir -p "$W/bin"
	for p in lzop lrzip grzip lz4 zstd gzip bzip2 xz lzma lzip; do
		printf '#!/bin/sh\ntouch "%s/ran-${0##*/}"\nexit 1\n' "$PWD/$W" >"$W/bin/$p"
		chmod +x "$W/bin/$p"
	done
	{ printf '\211LZO\000\015\012\032\012'; echo "$FIND"; } | gzip -n >"$W/lzo.gz"
	{ printf 'LRZI\000\006'; echo "$FIND"; } | gzip -n >"$W/lrz.gz"
	{ printf 'GRZipII\000\002\004:)'; echo "$FIND"; } | gzip -n >"$W/grz.gz"
	PATH="$PWD/$W/bin:$PATH" run no-exec 30 64 "$W/lzo.gz" "$W/lrz.gz" "$W/grz.gz" "$GOOD"
	expect_rc 0
	expect_good
	! ls "$W"/ran-* >/dev/null 2>&1 || bad "an external program was run: $(ls "$W"/ran-*)"
	done_case
fi

# An archive nested 20 deep (tar, gz, zip in turn): stopped at the depth limit.
if selected nested-20; then
	mkdir -p "$W/nest" && echo "$FIND" >"$W/nest/l0"
	i=0
	while [ $i -lt 20 ]; do
		n=$((i + 1))
		case $((i % 3)) in
		0) tar -C "$W/nest" --owner=0 --group=0 --mtime=2025-01-01 -cf "$W/nest/l$n" "l$i" ;;
		1) gzip -n -c "$W/nest/l$i" >"$W/nest/l$n" ;;
		2) (cd "$W/nest" && zip -q -X "l$n.zip" "l$i" && mv "l$n.zip" "l$n") ;;
		esac
		rm "$W/nest/l$i"
		i=$n
	done
	run nested-20 30 64 "$W/nest/l20" "$GOOD"
	expect_rc 3
	expect_err "l20.*(deep|depth|levels)"
	expect_good
	done_case
	# and the depth limit raised on the command line: the log at the bottom is read
	run nested-20-max-depth 30 64 --max-depth 25 "$W/nest/l20" "$GOOD"
	expect_rc 0
	expect_good
	r=$(jq '[.findings[] | select(.path | test("l20!"))] | length' "$W/$CASE.out" 2>/dev/null)
	[ "${r:-0}" -ge 1 ] || bad "no finding at the bottom of the nest"
	done_case
fi

# A fake .evtx: the right magic, a garbage body.
if selected fake-evtx; then
	{ printf 'ElfFile\000'; seq 1 20000 | gzip -n -1 | tail -c +11 | head -c 70000; } >"$W/fake.evtx"
	run fake-evtx 30 64 "$W/fake.evtx" "$GOOD"
	expect_rc 3
	expect_err "fake.evtx: "
	expect_good
	done_case
fi

# Unterminated XML: the events before the cut are still read.
if selected unterminated-xml; then
	head -c 3000 samples/windows/wevtutil-qe.xml >"$W/cut.xml"
	run unterminated-xml 30 64 "$W/cut.xml" "$GOOD"
	expect_rc 3
	expect_err "cut.xml: .*(line|offset) [0-9]+"
	expect_good
	expect_found "$W/cut.xml"
	done_case
fi

# XML with entity bombs ("billion laughs") and an external entity naming a
# local file: nothing expands, nothing is fetched.
if selected xml-entities; then
	{
		printf '<?xml version="1.0"?>\n<!DOCTYPE e [\n <!ENTITY a "aaaaaaaaaaaaaaaaaaaa">\n'
		i=1
		while [ $i -le 9 ]; do
			p=$([ $i = 1 ] && echo a || echo "b$((i - 1))")
			printf ' <!ENTITY b%d "&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;">\n' $i $p $p $p $p $p $p $p $p $p $p
			i=$((i + 1))
		done
		printf ' <!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n'
		printf "<Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"
		printf "<System><Provider Name='RasClient'/><EventID>20227</EventID></System>"
		printf '<EventData><Data>&b9; &x;</Data></EventData></Event></Events>\n'
	} >"$W/entities.xml"
	# detected as plain lines: a DTD is no Windows export
	run xml-entities 30 64 "$W/entities.xml" "$GOOD"
	expect_rc 0
	expect_good
	! grep -q 'root:' "$W/$CASE.out" || bad "/etc/passwd was read"
	done_case
	# forced through the XML framer, beside a good XML export
	run xml-entities-winxml 30 64 --input-format winxml "$W/entities.xml" \
		samples/windows/wevtutil-qe.xml
	expect_rc 3
	expect_err "entities.xml: at offset [0-9]+: XML error at line [0-9]+"
	expect_found samples/windows/wevtutil-qe.xml
	! grep -q 'root:' "$W/$CASE.out" || bad "/etc/passwd was read"
	done_case
fi

# A CSV with an unclosed quote: the records before it are still read.
if selected csv-unclosed-quote; then
	{
		printf 'Level,Date and Time,Source,Event ID,Task Category,Message\r\n'
		printf 'Error,3/5/2026 7:58:14 AM,RasClient,20227,None,"The connection failed with error 13801."\r\n'
		printf 'Error,3/5/2026 7:58:15 AM,RasClient,20227,None,"This quote never closes\r\n'
		seq 1 2000 | sed 's/^/more text /'
	} >"$W/quote.csv"
	run csv-unclosed-quote 30 64 "$W/quote.csv" "$GOOD"
	expect_rc 3
	expect_err "quote.csv: .*(line|offset) [0-9]+"
	expect_good
	expect_found "$W/quote.csv"
	done_case
fi

# PowerShell Format-List output gone wrong: a value continued over 200000
# lines (far past the record cap), a line of 3 MiB, NUL bytes, a property name
# too long to be one; the RasClient failure after them is still found, the
# cut record is counted and does not change the exit status.
if selected pslist-hostile; then
	{
		printf '\r\nEventID            : 20221\r\nSource             : RasClient\r\n'
		printf 'Message            : CoId={6D5C2E1A-3B4F-4C8D-9E7A-1F2B3C4D5E6F}: start\r\n'
		seq 1 200000 | sed 's/^/                     continued line /'
		head -c 3145728 /dev/zero | tr '\0' 'x'
		printf '\n%0300d : value\n\000\000 : \000\n' 7
		printf '\nEventID            : 20227\nMachineName        : CLIENT01\nEntryType          : Error\n'
		printf 'Message            : CoId={6D5C2E1A-3B4F-4C8D-9E7A-1F2B3C4D5E6F}: The user CONTOSO\\alice dialed a\n'
		printf '                     connection named Contoso VPN that has failed. The error code returned on failure is\n'
		printf '                     13801.\nSource             : RasClient\nTimeGenerated      : 3/5/2026 7:58:14 AM\n'
	} >"$W/fl.txt"
	run pslist-hostile 60 128 "$W/fl.txt" "$GOOD"
	expect_rc 0
	expect_good
	expect_found "$W/fl.txt" ERROR_IPSEC_IKE_AUTH_FAIL
	expect_input "$W/fl.txt" '.format == "pslist" and .truncated >= 1 and .status == "ok"'
	done_case
fi

# Event Viewer "Copy details" pastes gone wrong: the XML of the first event cut
# in the middle of an element, an XML block that never closes, collapse markers
# with nothing after them, and 10000 lines of XML of 2 KiB each (past the
# record cap); the events are still read from their text, the bad XML is
# reported with the line of its event, and the failure at the end is found.
if selected evcopy-broken; then
	{
		printf 'Log Name:      Application\r\nSource:        RasClient\r\nEvent ID:      20227\r\n'
		printf 'Description:\r\nThe user X dialed a connection named Y that has failed. The error code returned on failure is 809.\r\n'
		printf 'Event Xml:\r\n<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">\r\n  <System>\r\n    <Provider Na\r\n'
		printf -- '- \n- <\n+ <Event>\n'
		printf 'Log Name:      System\nSource:        RemoteAccess\nEvent ID:      20111\nDescription:\nbig\nEvent Xml:\n<Event>\n'
		i=0
		head -c 2048 /dev/zero | tr '\0' 'y' >"$W/line2k"
		while [ $i -lt 100 ]; do cat "$W/line2k"; echo; i=$((i + 1)); done >"$W/block"
		i=0
		while [ $i -lt 100 ]; do cat "$W/block"; i=$((i + 1)); done
		printf 'Log Name:      Application\nSource:        RasClient\nDate:          3/5/2026 9:20:31 AM\nEvent ID:      20227\n'
		printf 'Description:\nCoId={0B7E4C21-58D3-4F6A-9C2E-7D1A3B5C8E90}: The user CONTOSO\\carol dialed a connection named Contoso VPN that has failed. The error code returned on failure is 13805.\n'
	} >"$W/evcopy.txt"
	run evcopy-broken 60 128 "$W/evcopy.txt" "$GOOD"
	expect_rc 3
	expect_err "evcopy.txt: at offset 0: the event XML copied with the event at line 1 cannot be read"
	expect_good
	expect_found "$W/evcopy.txt" ERROR_IPSEC_IKE_TIMED_OUT
	expect_found "$W/evcopy.txt" ERROR_VPN_TIMEOUT
	expect_input "$W/evcopy.txt" '.format == "evcopy" and .status == "partial"'
	done_case
fi

# A Security log export of 4653 events cut off inside the fourth one, as raw
# XML (wevtutil qe Security /f:xml) and as Get-WinEvent | Format-List: the
# three failures before the cut are still found, each with its peer.
if selected cut-security-4653; then
	i=1
	for r in 'Negotiation timed out' 'IKE authentication credentials are unacceptable' \
		'No policy configured' 'Negotiation timed out'; do
		printf "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
		printf "<Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4653</EventID>"
		printf "<TimeCreated SystemTime='2026-03-05T08:0%d:14.5Z'/><Computer>GW02</Computer></System>" $i
		printf "<EventData><Data Name='RemoteAddress'>198.51.100.%d</Data>" $i
		printf "<Data Name='KeyModName'>%%%%8244</Data><Data Name='FailureReason'>%s</Data>" "$r"
		printf "<Data Name='State'>%%%%8202</Data></EventData></Event>\n"
		i=$((i + 1))
	done | head -c -60 >"$W/sec4653.xml"
	i=1
	for r in 'Negotiation timed out' 'IKE authentication credentials are unacceptable' \
		'No policy configured' 'Negotiation timed out'; do
		printf '\nTimeCreated  : 3/5/2026 8:0%d:14 AM\nProviderName : Microsoft-Windows-Security-Auditing\n' $i
		printf 'Id           : 4653\nMessage      : An IPsec main mode negotiation failed.\n\n'
		printf '               Remote Endpoint:\n               \tNetwork Address:\t198.51.100.%d\n\n' $i
		printf '               Failure Information:\n               \tFailure Reason:\t\t%s\n' "$r"
		i=$((i + 1))
	done | head -c -40 >"$W/sec4653-fl.txt"
	run cut-security-4653 30 64 "$W/sec4653.xml" "$W/sec4653-fl.txt"
	expect_rc 3
	expect_err "sec4653.xml: at offset [0-9]+: XML: the input ends inside <Event>"
	for f in sec4653.xml sec4653-fl.txt; do
		n=$(jq --arg p "$W/$f" '[.findings[] | select(.path == $p) | .fields.peer] | unique | length' \
			"$W/$CASE.out" 2>/dev/null)
		[ "$n" = 3 ] || bad "$f: $n peers with a finding before the cut, expected 3"
	done
	expect_found "$W/sec4653.xml" ERROR_IPSEC_IKE_NO_POLICY
	expect_found "$W/sec4653-fl.txt" ERROR_IPSEC_IKE_NO_POLICY
	done_case
fi

# Format-Table output gone wrong: 40 columns of dashes (past the column
# limit), a continuation of 100000 lines (past the record cap), continuation
# lines before any row, a dash line with no header; the row after them is
# still read and its failure found.
if selected pstable-hostile; then
	{
		printf '   Index Message\n'
		i=0
		while [ $i -lt 40 ]; do printf -- '-- '; i=$((i + 1)); done
		printf '\n                  only a continuation\n12 start\n'
		seq 1 100000 | sed 's/^/   more text of the message /'
		printf -- '----- -----\n\n   ProviderName: RasClient\n\n'
		printf 'TimeCreated                     Id LevelDisplayName Message\n'
		printf -- '-----------                     -- ---------------- -------\n'
		printf '3/5/2026 7:58:14 AM          20227 Error            CoId={A1}: The user X dialed a connection named\n'
		printf '                                                    Y that has failed. The error code returned on failure\n'
		printf '                                                    is 13806.\n'
	} >"$W/ft.txt"
	run pstable-hostile 60 128 "$W/ft.txt" "$GOOD"
	expect_rc 0
	expect_good
	expect_found "$W/ft.txt" ERROR_IPSEC_IKE_NO_CERT
	expect_input "$W/ft.txt" '.format == "pstable" and .truncated >= 1'
	done_case
fi

# `show crypto ipsec sa` built against the cisco-show block reader: 100000 SA blocks that
# never count, counters of 100000 digits, a value longer than the field buffers, a line of
# 300000 bytes; then a one-way SA that must still be found, named by its peer. And a
# FortiOS-looking file whose key=value lines are 200000 bytes of "logid=" and "date=".
if selected gateway-hostile; then
	{
		printf 'asa# show crypto ipsec sa\n'
		seq 1 100000 | sed 's|.*|   local  ident (addr/mask/prot/port): (&|'
		printf '    #pkts encaps: '; head -c 100000 /dev/zero | tr '\0' '9'; printf ', #pkts decaps: 0\n'
		printf '   current_peer '; head -c 5000 /dev/zero | tr '\0' 'p'; printf '\n'
		head -c 300000 /dev/zero | tr '\0' '#'; printf '\n'
		printf 'interface: outside\n    Crypto map tag: m, seq num: 1, local addr: 192.0.2.1\n'
		printf '      local ident (addr/mask/prot/port): (10.1.0.0/255.255.0.0/0/0)\n'
		printf '      current_peer: 198.51.100.99\n'
		printf '      #pkts encaps: 10, #pkts encrypt: 10, #pkts digest: 10\n'
		printf '      #pkts decaps: 0, #pkts decrypt: 0, #pkts verify: 0\n'
	} >"$W/show.txt"
	{
		i=0
		while [ $i -lt 20000 ]; do printf 'logid= type= date=2026-13-45 time=99:99:99 '; i=$((i + 1)); done
		printf '\n'
		printf 'date=2026-03-05 time=08:01:11 devname="fgt" logid="0101037124" type="event" subtype="vpn" level="error" logdesc="IPsec phase 1 error" msg="IPsec phase 1 error" action="negotiate" remip=198.51.100.98 locip=192.0.2.1 vpntunnel="t" status="negotiate_error" reason="probable pre-shared secret mismatch"\n'
	} >"$W/fgt.log"
	run gateway-hostile 60 128 --max-record 65536 "$W/show.txt" "$W/fgt.log" "$GOOD"
	expect_rc 0
	expect_good
	expect_found "$W/show.txt" IOS_ONE_WAY_TRAFFIC
	expect_found "$W/fgt.log" FORTIGATE_PSK_MISMATCH
	expect_input "$W/show.txt" '.format == "cisco-show"'
	expect_input "$W/fgt.log" '.format == "fortigate"'
	done_case
fi

# NPS accounting lines built to make the CSV and DTS regexes backtrack: a
# line of 200000 commas and quotes, an unclosed quote, an <Event> with
# 50000 elements and no Reason-Code; the reject after them is still found.
if selected nps-hostile; then
	{
		printf '"NPS01","IAS",03/05/2026,08:10:09,3,"x'
		i=0
		while [ $i -lt 2000 ]; do printf '",,"",,,"'; i=$((i + 1)); done | head -c 200000
		printf '\n"NPS01","IAS",03/05/2026,08:10:09,3,"never closed,'
		seq 1 30000 | tr '\n' ','
		printf '\n<Event><Packet-Type data_type="0">3</Packet-Type>'
		seq 1 50000 | sed 's|.*|<X data_type="1">&</X>|' | tr -d '\n'
		printf '</Event>\n'
		printf '"NPS01","IAS",03/05/2026,08:12:44,3,"CONTOSO\\carol",,"203.0.113.10","198.51.100.77",,,"RRAS01","192.0.2.10",14,311,"192.0.2.10","RRAS01",,,5,,1,2,,,48,,,\n'
	} >"$W/nps.log"
	run nps-hostile 60 128 "$W/nps.log" "$GOOD"
	expect_rc 0
	expect_good
	expect_found "$W/nps.log" NPS_NO_MATCHING_POLICY
	expect_input "$W/nps.log" '.format == "nps"'
	done_case
fi

# JSON nested 100000 deep.
if selected json-deep; then
	{ printf '[{"Message":"%s"},' "$FIND"; head -c 100000 /dev/zero | tr '\0' '['; } >"$W/deep.json"
	run json-deep 30 64 "$W/deep.json" "$GOOD"
	expect_rc 3
	expect_err "deep.json: .*(offset|line) [0-9]+"
	expect_good
	done_case
fi

# merge: a line of a million '[' (yajl's tree parser and free recurse once
# per level) is refused at the depth limit of 64, the other lines merged.
if selected merge-deep; then
	"$BIN" -f ndjson --tz UTC --fail-on none "$GOOD" >"$W/good.ndjson"
	{ head -c 1000000 /dev/zero | tr '\0' '['; echo; cat "$W/good.ndjson"; } >"$W/deep.ndjson"
	runm merge-deep 30 64 "$W/deep.ndjson"
	expect_rc 3
	expect_err "deep.ndjson:1: JSON nested deeper than 64 levels"
	expect_good
	done_case
fi

# merge: a forged record with a finding's id, severity info and more
# fields: the higher severity is kept, the conflict named on stderr, in the
# notes and on the input, exit 3 (and --fail-on error still fails).
if selected merge-conflict; then
	"$BIN" -f ndjson --tz UTC --fail-on none "$GOOD" >"$W/good.ndjson"
	grep '"type":"finding"' "$W/good.ndjson" | head -n 1 |
		sed 's/"severity":"error"/"severity":"info"/; s/"fields":{/"fields":{"x1":"1","x2":"2","x3":"3","x4":"4","x5":"5","x6":"6","x7":"7","x8":"8","x9":"9",/' \
			>"$W/forged.ndjson"
	runm merge-conflict 30 64 "$W/forged.ndjson" "$W/good.ndjson"
	expect_rc 3
	expect_err "forged.ndjson:1 .*same id but differ in severity.*severity error\) was kept"
	expect_good
	r=$(jq '[.findings[] | select(.severity == "info")] | length' "$W/$CASE.out" 2>/dev/null)
	[ "$r" = 0 ] || bad "the forged severity won"
	jq -e '.notes | any(test("differ"))' "$W/$CASE.out" >/dev/null 2>&1 || bad "no note names the conflict"
	expect_input "$GOOD" '.error | test("differ in severity")'
	"$BIN" merge -f json --fail-on error "$W/good.ndjson" "$W/forged.ndjson" >/dev/null 2>&1
	r=$?
	[ "$r" != 0 ] || bad "merge --fail-on error exited 0 on a forged record"
	done_case
fi

# A directory with symlink loops: each file once, no endless walk.
if selected symlink-loop; then
	mkdir -p "$W/loop/sub"
	cp "$GOOD" "$W/loop/sub/good.log"
	ln -s .. "$W/loop/sub/up"
	ln -s self "$W/loop/self"
	ln -s ../../loop "$W/loop/sub/again"
	ln -s nowhere "$W/loop/dangling"
	# links inside a directory are not followed by default: each is listed
	run symlink-loop 30 64 "$W/loop"
	n=$(jq '[.findings[] | select(.name == "IKEV2_AUTHENTICATION_FAILED")] | length' "$W/$CASE.out" 2>/dev/null)
	[ "$n" = 1 ] || bad "the log was reported $n times, expected once"
	expect_rc 0
	expect_input "$W/loop/self" '.note | test("symbolic link.*not followed")'
	done_case
	# followed on request: the loops are found and named
	run symlink-loop-follow 30 64 --follow-links "$W/loop"
	n=$(jq '[.findings[] | select(.name == "IKEV2_AUTHENTICATION_FAILED")] | length' "$W/$CASE.out" 2>/dev/null)
	[ "$n" = 1 ] || bad "the log was reported $n times, expected once"
	expect_rc 3
	expect_err "loop/self: .*(loop|symbolic links)"
	done_case
fi

# A symbolic link inside a scanned directory that points outside it (to
# another log, to a directory): not read unless --follow-links; a link
# named on the command line is read.
if selected symlink-outside; then
	mkdir -p "$W/so/in" "$W/so/out"
	cp "$GOOD" "$W/so/in/good.log"
	echo "$FIND" >"$W/so/out/secret.log"
	ln -s ../out/secret.log "$W/so/in/link.log"
	ln -s ../out "$W/so/in/outdir"
	for j in 1 2; do
		run "symlink-outside-j$j" 30 64 -j $j "$W/so/in"
		expect_rc 0
		expect_found "$W/so/in/good.log"
		r=$(jq '[.findings[] | select(.path | test("link.log|outdir"))] | length' "$W/$CASE.out" 2>/dev/null)
		[ "$r" = 0 ] || bad "a link inside the directory was followed"
		expect_input "$W/so/in/link.log" '.note | test("not followed")'
		expect_input "$W/so/in/outdir" '.note | test("not followed")'
		done_case
	done
	run symlink-outside-follow 30 64 --follow-links "$W/so/in"
	expect_rc 0
	expect_found "$W/so/in/link.log"
	expect_found "$W/so/in/outdir/secret.log"
	done_case
	run symlink-outside-named 30 64 "$W/so/in/link.log"
	expect_rc 0
	expect_found "$W/so/in/link.log"
	done_case
fi

# merge walks directories like the scanner (input/walk.c): a symbolic link
# inside a directory (to another report, to a directory) is not followed
# unless merge --follow-links, and is counted in a note; directories nested
# deeper than 64 levels are named, the rest merged.
if selected merge-symlink; then
	mkdir -p "$W/ms/in" "$W/ms/out"
	"$BIN" -f ndjson --tz UTC --fail-on none "$GOOD" >"$W/ms/in/good.ndjson"
	echo "$FIND" >"$W/ms/secret.log"
	"$BIN" -f ndjson --tz UTC --fail-on none "$W/ms/secret.log" >"$W/ms/out/secret.ndjson"
	ln -s ../out/secret.ndjson "$W/ms/in/link.ndjson"
	ln -s ../out "$W/ms/in/outdir"
	runm merge-symlink 30 64 "$W/ms/in"
	expect_rc 0
	expect_good
	r=$(jq '[.findings[] | select(.path | test("secret"))] | length' "$W/$CASE.out" 2>/dev/null)
	[ "$r" = 0 ] || bad "a link inside the directory was followed"
	jq -e '.notes | any(test("2 symbolic link.*not followed.*link.ndjson"))' "$W/$CASE.out" >/dev/null 2>&1 ||
		bad "no note counts the links not followed"
	done_case
	runm merge-symlink-follow 30 64 --follow-links "$W/ms/in"
	expect_rc 0
	expect_good
	r=$(jq '[.findings[] | select(.path | test("secret"))] | length' "$W/$CASE.out" 2>/dev/null)
	# both links lead to one report: its finding once (merge keeps an id once)
	[ "$r" = 1 ] || bad "--follow-links: the linked report's finding is there $r times, expected once"
	done_case
	d="$W/ms/deep"
	i=0
	while [ $i -lt 66 ]; do d="$d/d"; i=$((i + 1)); done
	mkdir -p "$d"
	cp "$W/ms/out/secret.ndjson" "$d/secret.ndjson"
	cp "$W/ms/in/good.ndjson" "$W/ms/deep/good.ndjson"
	runm merge-deep-dirs 30 64 "$W/ms/deep"
	expect_rc 3
	expect_err "directories nested deeper than 64: not read"
	expect_good
	done_case
fi

# merge: a time offset outside RFC 3339 (+99:99) makes the record invalid.
if selected merge-bad-offset; then
	"$BIN" -f ndjson --tz UTC --fail-on none "$GOOD" >"$W/off.ndjson"
	sed -i '0,/"time":"\([-0-9T:.]*\)Z"/s//"time":"\1+99:99"/' "$W/off.ndjson"
	grep -q '+99:99' "$W/off.ndjson" || bad "the test could not forge the offset"
	runm merge-bad-offset 30 64 "$W/off.ndjson"
	expect_rc 3
	expect_err "off.ndjson:[0-9]+: .*time must be null or ISO 8601"
	done_case
fi

# A FIFO whose writer writes a failure and closes.
if selected fifo; then
	mkfifo "$W/in.fifo"
	(echo "$FIND" >"$W/in.fifo") &
	run fifo 30 64 "$W/in.fifo" "$GOOD"
	wait
	expect_rc 0
	expect_quiet
	expect_good
	expect_found "$W/in.fifo"
	done_case
fi

# An unreadable file. Root reads any file whatever its mode, so the run is
# made as the user nobody (setpriv) on a file of mode 000; and, as root, a
# directory entry nothing can read: a UNIX socket.
if selected unreadable; then
	cp "$GOOD" "$W/good-copy.log"
	echo "$FIND" >"$W/secret.log"
	chmod 000 "$W/secret.log"
	chmod 644 "$W/good-copy.log"
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 &&
		setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$BIN" 2>/dev/null &&
		setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$W/good-copy.log" 2>/dev/null; then
		CASE=unreadable ok=1 why=""
		timeout -k 5 $((30 * TX)) "$TIME" -f "%e %M" -o "$W/$CASE.rss" \
			setpriv --reuid=nobody --regid=nogroup --clear-groups ${VALGRIND:-} "$BIN" \
			-f json --tz UTC --fail-on none "$W/secret.log" "$W/good-copy.log" \
			>"$W/$CASE.out" 2>"$W/$CASE.err"
		rc=$?
		bounded $((30 * TX)) $((64 * MEMX))
		expect_rc 3
		expect_err "secret.log: cannot open: Permission denied"
		expect_found "$W/good-copy.log" IKEV2_AUTHENTICATION_FAILED
		done_case
	elif [ "$(id -u)" != 0 ]; then
		run unreadable 30 64 "$W/secret.log" "$GOOD"
		expect_rc 3
		expect_err "secret.log: cannot open: Permission denied"
		expect_good
		done_case
	else
		skip_case unreadable "running as root without setpriv, or nobody cannot reach $BIN"
	fi
	chmod 644 "$W/secret.log"
	mkdir -p "$W/sock"
	sock=$W/sock/socket
	if command -v python3 >/dev/null 2>&1 &&
		python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$sock" 2>/dev/null; then
		run unreadable-socket 30 64 "$sock" "$GOOD"
		expect_rc 3
		expect_err "socket: cannot open"
		expect_good
		done_case
	else
		skip_case unreadable-socket "no python3 to make a UNIX socket"
	fi
fi

# Escape sequences in file names and log text reach no terminal: the text
# report and the error lines show control characters as '?'.
if selected terminal-escapes; then
	esc=$(printf '\033')
	mkdir -p "$W/esc"
	printf '%s \033]0;title\007 \033[2J\n' "$FIND" >"$W/esc/a${esc}[2Jb.log"
	ln -s nowhere "$W/esc/gone${esc}]0;x"
	run terminal-escapes 30 64 -f text --follow-links "$W/esc" "$GOOD"
	expect_rc 3
	expect_err "esc/gone\?\]0;x: "
	if grep -q "$esc" "$W/$CASE.out" "$W/$CASE.err"; then
		bad "an escape character reached the text report or stderr"
	fi
	grep -q 'a?\[2Jb.log' "$W/$CASE.out" || bad "the file is not in the text report"
	done_case
fi

# Output escaping (report_util.h): a line feed in a file name cannot forge a
# line of the text report; C1 controls (U+009B as UTF-8, a raw 0x9B byte)
# reach no terminal; -f json, -f ndjson and merge -f json are valid UTF-8
# (a CESU-encoded surrogate, raw binary, a "\ud800" escape given to merge);
# a NUL byte in a record does not cut its evidence text.
if selected output-escaping; then
	mkdir -p "$W/oe"
	nlname="$W/oe/a
INCIDENT 9 of 9  CRITICAL  forged.log"
	echo "$FIND" >"$nlname"
	printf '%s \302\233[2J c1 \233[2J raw \355\240\200 cesu \377\000 bin\n' "$FIND" >"$W/oe/c1.log"
	printf '%s a\000b after-nul\n' "$FIND" >"$W/oe/nul.log"
	run output-escaping 30 64 -f text "$W/oe" "$GOOD"
	expect_rc 0
	! grep -q '^INCIDENT 9 of 9' "$W/$CASE.out" || bad "a line feed in a name forged a report line"
	grep -q 'oe/a?INCIDENT 9 of 9  CRITICAL  forged.log' "$W/$CASE.out" || bad "the name is not shown with '?'"
	! LC_ALL=C grep -q "$(printf '\233')" "$W/$CASE.out" "$W/$CASE.err" || bad "a C1 control (0x9B) reached the text report or stderr"
	grep -q 'a␀b after-nul' "$W/$CASE.out" || bad "the text after a NUL is cut"
	done_case
	for f in json ndjson; do
		run "output-escaping-$f" 30 64 -f $f "$W/oe" "$GOOD"
		expect_rc 0
		grep -q 'IKEV2_AUTHENTICATION_FAILED' "$W/$CASE.out" || bad "the good log's finding is missing"
		iconv -f UTF-8 -t UTF-8 "$W/$CASE.out" >/dev/null 2>&1 || bad "-f $f is not valid UTF-8"
		! LC_ALL=C grep -q "$(printf '\302\233')" "$W/$CASE.out" || bad "a raw C1 control in -f $f"
		grep -q 'a␀b after-nul' "$W/$CASE.out" || bad "the text after a NUL is cut in -f $f"
		done_case
	done
	"$BIN" -f ndjson --tz UTC --fail-on none "$GOOD" >"$W/oe.ndjson"
	sed -i 's/"text":"/"text":"lone \\ud800 surrogate /' "$W/oe.ndjson"
	runm output-escaping-merge 30 64 "$W/oe.ndjson"
	expect_rc 0
	expect_good
	iconv -f UTF-8 -t UTF-8 "$W/$CASE.out" >/dev/null 2>&1 || bad "merge -f json is not valid UTF-8"
	done_case
fi

# A malformed state file: refused before scanning (exit 2), never overwritten.
if selected bad-state; then
	printf 'ipsec-scan-state 1\ninput /x dev=1 ino=2 size=zz\n\001\002garbage\n' >"$W/state"
	cp "$W/state" "$W/state.orig"
	run bad-state 30 64 --state "$W/state" "$GOOD"
	expect_rc 2
	expect_err "state.*line 2"
	cmp -s "$W/state" "$W/state.orig" || bad "the state file was changed"
	done_case
fi

# Cron mode: a state that is no regular file (a FIFO would block the read
# for ever) is refused, exit 2; times of INT64_MIN in a state are taken
# (saturated), no overflow; the lock holds even when the lock file is
# deleted during a run (the state's directory is flocked).
if selected state-hostile; then
	mkdir -p "$W/sh"
	mkfifo "$W/sh/fifo.state"
	run state-fifo 10 64 --state "$W/sh/fifo.state" "$GOOD"
	expect_rc 2
	expect_err "fifo.state is not a regular file"
	done_case
	printf 'ipsec-scan-state 1\ninput %s dev=1 ino=2 size=10 mtime=-9223372036854775808 fp=0000000000000000 fplen=0 offset=0 line=0\nwindow c type=0 key=k fields=%%09 start=-9223372036854775808 path=/x line=1\nend\n' \
		"$PWD/$W/sh/gone.log" >"$W/sh/min.state"
	run state-int64-min 30 64 --state "$W/sh/min.state" "$GOOD"
	expect_rc 0
	expect_good
	done_case
	mkdir -p "$W/sh/lock"
	mkfifo "$W/sh/lock/slow.fifo"
	"$BIN" --tz UTC --fail-on none --state "$W/sh/lock/st" "$W/sh/lock/slow.fifo" >/dev/null 2>&1 &
	first=$!
	i=0
	while [ "$(cat "$W/sh/lock/st.lock" 2>/dev/null)" != "$first" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	rm -f "$W/sh/lock/st.lock"
	run state-lock-deleted 30 64 --state "$W/sh/lock/st" "$GOOD"
	expect_rc 2
	expect_err "another ipsec-scan run holds the lock"
	: >"$W/sh/lock/slow.fifo"
	wait $first
	done_case
fi

# Cron mode knows a file by its content, not its head only: a file replaced
# in place by another of the same size and the same first 4 KiB is read again
# (the bytes before where the last run stopped changed); a new log that
# begins with an older log's first 4500 bytes and then differs is no "copy"
# of it (every byte before the older log's offset must match).
if selected cron-identity; then
	mkdir -p "$W/ci"
	i=0
	: >"$W/ci/filler"
	while [ $i -lt 100 ]; do
		echo "Mar  5 07:58:10 gw charon: 05[NET] sending packet: from 10.0.0.1[500] to 10.0.0.2[500] ($i)" >>"$W/ci/filler"
		i=$((i + 1))
	done
	cp "$W/ci/filler" "$W/ci/a.log"
	cp "$W/ci/filler" "$W/ci/b.log"
	run cron-identity-1 30 64 --state "$W/ci/state" "$W/ci/a.log" "$W/ci/b.log"
	expect_rc 0
	done_case
	# a.log, same size, same first 4 KiB, the failure after them
	size=$(wc -c <"$W/ci/filler")
	{ head -c 4500 "$W/ci/filler"; echo "$FIND"; } >"$W/ci/other"
	tail -c $((size - $(wc -c <"$W/ci/other"))) "$W/ci/filler" >>"$W/ci/other"
	[ "$(wc -c <"$W/ci/other")" = "$size" ] || bad "the replacement is not the same size"
	cat "$W/ci/other" >"$W/ci/a.log" # in place: the same inode
	touch -d '2026-03-05 08:00:00' "$W/ci/a.log" # (in case both runs fall in one second)
	# c.log: b.log's first 4500 bytes, then a failure, then more
	{ head -c 4500 "$W/ci/filler"; echo "$FIND"; cat "$W/ci/filler"; } >"$W/ci/c.log"
	run cron-identity-2 30 64 --state "$W/ci/state" "$W/ci/a.log" "$W/ci/b.log" "$W/ci/c.log"
	expect_rc 0
	expect_found "$W/ci/a.log"
	expect_found "$W/ci/c.log"
	done_case
fi

# Cron mode keeps one record per file, not per path: a log rotated during a
# run, between a directory scan that read it and the same log named again,
# keeps its record (and its rotated file is not reported again next run).
if selected cron-rotation-midrun; then
	mkdir -p "$W/cr/d"
	echo "$FIND" >"$W/cr/d/charon.log"
	run cron-rotation-1 30 64 --state "$W/cr/state" "$W/cr/d"
	expect_rc 0
	expect_found "$W/cr/d/charon.log"
	done_case
	echo "$FIND" >>"$W/cr/d/charon.log"
	mkfifo "$W/cr/pause"
	(
		# while the run waits on the FIFO: rotate, then let it go on
		i=0
		while [ ! -s "$W/cr/started" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
		sleep 0.3
		mv "$W/cr/d/charon.log" "$W/cr/d/charon.log.1"
		echo "$FIND" | sed 's/07:58:15/07:59:40/' >"$W/cr/d/charon.log"
		echo "$FIND" >"$W/cr/pause"
	) &
	echo x >"$W/cr/started"
	run cron-rotation-2 30 64 --state "$W/cr/state" "$W/cr/d" "$W/cr/pause" "$W/cr/d/charon.log"
	wait
	expect_rc 0
	n=$(jq '[.findings[] | select(.path | test("cr/d/"))] | length' "$W/$CASE.out" 2>/dev/null)
	[ "$n" = 2 ] || bad "run 2 reported $n findings in the log, expected 2 (the new line, the new file)"
	done_case
	run cron-rotation-3 30 64 --state "$W/cr/state" "$W/cr/d"
	expect_rc 0
	n=$(jq '[.findings[]] | length' "$W/$CASE.out" 2>/dev/null)
	[ "$n" = 0 ] || bad "run 3 reported $n findings again, expected none"
	done_case
fi

# -o FILE on a full disk (a file size limit: EFBIG) leaves the previous
# report whole: the report is written beside it and renamed when complete.
if selected output-replace; then
	yes "$FIND" | head -n 300 >"$W/many300.log"
	"$BIN" --tz UTC --fail-on none -o "$W/report.txt" "$GOOD" >/dev/null 2>&1
	cp "$W/report.txt" "$W/report.orig"
	CASE=output-replace ok=1 why=""
	(trap '' XFSZ; ulimit -f 16; exec timeout -k 5 30 "$TIME" -f "%e %M" -o "$W/$CASE.rss" \
		${VALGRIND:-} "$BIN" --tz UTC -f json --fail-on none -o "$W/report.txt" "$W/many300.log" \
		"$GOOD" >"$W/$CASE.out" 2>"$W/$CASE.err")
	rc=$?
	bounded 30 $((64 * MEMX))
	expect_rc 4
	expect_err "report.txt: File too large"
	cmp -s "$W/report.txt" "$W/report.orig" || bad "the previous report was replaced by a cut one"
	! ls "$W"/report.txt.tmp.* >/dev/null 2>&1 || bad "a temporary report was left"
	done_case
fi

# A malformed rules file (YAML syntax, not only meaning: see
# tests/e2e/cases/core-bad-rules): exit 2 before scanning, with line:column.
if selected bad-rules-yaml; then
	printf 'detectors:\n  - id: x\n    regex: "unclosed\n    literals: [a\n\t- tab\n' >"$W/bad.yaml"
	run bad-rules-yaml 30 64 --rules "$W/bad.yaml" "$GOOD"
	expect_rc 2
	expect_err "bad.yaml:[0-9]+(:[0-9]+)?: "
	done_case
fi

# --rules DIR walks like the scanner (input/walk.c): a symbolic link inside
# the rules directory (here to a malformed file outside it) is not followed,
# a warning in `rules lint`; the scan runs on the rest.
if selected rules-dir-symlink; then
	mkdir -p "$W/rd/sub" "$W/rdout"
	printf 'detectors:\n  - id: x\n    regex: "unclosed\n' >"$W/rdout/evil.yaml"
	ln -s ../rdout/evil.yaml "$W/rd/evil.yaml"
	ln -s ../../rdout "$W/rd/sub/outdir"
	run rules-dir-symlink 30 64 --rules "$W/rd" "$GOOD"
	expect_rc 0
	expect_good
	"$BIN" rules lint --rules "$W/rd" >"$W/$CASE.lint" 2>&1
	grep -q "rd/evil.yaml: warning: a symbolic link inside a rules directory: not followed" \
		"$W/$CASE.lint" || bad "rules lint does not name the link not followed"
	done_case
fi

# Rules files that would take unbounded memory or time to load: aliases of
# aliases ("billion laughs" in YAML), nesting 100,000 deep (libyaml slows
# down with depth), more detectors than the limit (the checks for an id
# given twice were quadratic). Each stops before scanning (exit 2) with
# FILE:LINE:COL, checked on the YAML events before a document is built.
if selected rules-limits; then
	{
		echo 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'
		i=1
		while [ $i -le 9 ]; do
			p="*a$((i - 1))"
			printf 'a%d: &a%d [%s, %s, %s, %s, %s, %s, %s, %s, %s, %s]\n' $i $i $p $p $p $p $p $p $p $p $p $p
			i=$((i + 1))
		done
		echo 'detectors: []'
	} >"$W/alias.yaml"
	run rules-alias-bomb 30 64 --rules "$W/alias.yaml" "$GOOD"
	expect_rc 2
	expect_err "alias.yaml:[0-9]+:[0-9]+: error: YAML aliases expand to more than 10000 nodes"
	done_case
	{ printf 'detectors: '; head -c 100000 /dev/zero | tr '\0' '['; echo; } >"$W/deep.yaml"
	run rules-deep 30 64 --rules "$W/deep.yaml" "$GOOD"
	expect_rc 2
	expect_err "deep.yaml:1:[0-9]+: error: YAML nested deeper than 64 levels"
	done_case
	awk 'BEGIN { print "detectors:"; for (i = 0; i < 60000; i++)
		printf "  - id: d%d\n    literals: [\"zq%dmark\"]\n    regex: \"zq%dmark\"\n    name: ERROR_IPSEC_IKE_AUTH_FAIL\n", i, i, i }' \
		>"$W/many.yaml"
	run rules-many 30 200 --rules "$W/many.yaml" "$GOOD"
	expect_rc 2
	expect_err "many.yaml:[0-9]+:[0-9]+: error: more than 50000 detectors"
	done_case
fi

# A catastrophic regex on long lines: the PCRE2 match limit stops each
# attempt, the rule is reported once, the rest is scanned.
if selected catastrophic-regex; then
	cat >"$W/slow.yaml" <<'EOF'
detectors:
  - id: slow-rule
    description: nested quantifiers that backtrack exponentially
    literals: ['aaaa']
    regex: '(a+)+$'
    name: ERROR_IPSEC_IKE_AUTH_FAIL
EOF
	# 200 lines (3 under valgrind: each costs the whole match limit)
	nl=200
	[ -n "${VALGRIND:-}" ] && nl=3
	awk -v n=$nl 'BEGIN { s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"; s = s s s s s s s s; for (i = 0; i < n; i++) print s "b" }' >"$W/slow.log"
	run catastrophic-regex 60 64 --rules "$W/slow.yaml" "$W/slow.log" "$GOOD"
	expect_rc 0
	expect_good
	expect_err "note: .*slow-rule.*limit"
	n=$(grep -c 'slow-rule' "$W/$CASE.err")
	[ "$n" = 1 ] || bad "the rule is named $n times on stderr, expected once"
	done_case
fi

# Output to a full disk.
if selected dev-full; then
	if [ -w /dev/full ]; then
		run dev-full 30 64 -o /dev/full "$GOOD"
		expect_rc 4
		expect_err "/dev/full: No space left on device"
		done_case
	else
		skip_case dev-full "/dev/full is missing"
	fi
fi

# Output into a closed pipe: stop quietly, as grep does (SIGPIPE, no message).
if selected closed-pipe && heavy closed-pipe; then
	CASE=closed-pipe ok=1 why=""
	yes "$FIND" | head -n 200000 >"$W/many.log"
	(timeout -k 5 $((60 * TX)) "$TIME" -f "%e %M" -o "$W/$CASE.rss" ${VALGRIND:-} "$BIN" \
		--tz UTC -f ndjson --fail-on none "$W/many.log" "$GOOD" 2>"$W/$CASE.err"
		echo $? >"$W/$CASE.rc") | head -n 1 >"$W/$CASE.out"
	rc=$(cat "$W/$CASE.rc")
	bounded $((60 * TX)) $((256 * MEMX))
	grep -v -e '^Command terminated by signal 13' "$W/$CASE.err" >"$W/$CASE.err2"
	mv "$W/$CASE.err2" "$W/$CASE.err"
	[ "$rc" = 141 ] || [ "$rc" = 0 ] || bad "exit $rc, expected SIGPIPE (141)"
	expect_quiet
	[ "$(wc -l <"$W/$CASE.out")" = 1 ] || bad "no first line"
	done_case
fi

echo "bad inputs: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
