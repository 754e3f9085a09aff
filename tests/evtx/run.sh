#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/evtx/run.sh - the EVTX fast path (evtx_binxml.c reads the records'
# binary XML itself) gives the same report as the XML path (libevtx renders
# each record to XML, expat reads it: IPSEC_SCAN_EVTX=xml).
#
# Inputs: every .evtx of ../shared/corpus/evtx (skipped, with a message,
# where absent), the project's own EVTX files (tests/evtx/ipsec-events.evtx,
# written by tests/evtx/gen-evtx.py, and tests/fuzz/corpus/evtx), the
# same read from stdin (the spooled copy), and mutated copies (a few bytes
# changed, tests/evtx/mutate.py, where python3 is present): there records
# the fast path does not take, or that libevtx cannot read, must come out
# the same too. Each file is scanned with the built-in rules, and with
# tests/evtx/every.yaml, a detector that matches every record, so that every
# record's text and fields are compared. On the corpus, every record must be
# read by the fast path (IPSEC_SCAN_EVTX=stats), so this test fails if the
# fast path silently stops being used.
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
CORPUS=${CORPUS:-../shared/corpus}
OUT=tests/out/evtx
# Under ASan an allocation past the address-space cap around libevtx returns
# NULL (as malloc does) and libevtx's own leak on a record it cannot parse is
# suppressed, as in fuzz-replay: a fuzz input with either would otherwise end
# each run with a report that differs by PID (docs/security.md, limitations).
ASAN_OPTIONS=allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}
LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp
export ASAN_OPTIONS LSAN_OPTIONS
[ -n "${VALGRIND:-}" ] && VALGRIND="$VALGRIND --suppressions=$PWD/tests/fuzz/valgrind.supp"
rm -rf "$OUT" && mkdir -p "$OUT"
pass=0 fail=0

scan() { # scan MODE OUTFILE ARGS...
	mode=$1 out=$2
	shift 2
	IPSEC_SCAN_EVTX=$mode ${VALGRIND:-} "$BIN" -f json --fail-on none --tz UTC "$@" >"$out" 2>"$out.err"
	echo $? >"$out.rc"
}

same() { # same NAME ARGS...: fast and XML path give the same report and status
	name=$1
	shift
	for rules in builtin every; do
		set -- "$@"
		if [ $rules = every ]; then
			scan fast "$OUT/$name.$rules.fast" --rules tests/evtx/every.yaml "$@"
			scan xml "$OUT/$name.$rules.xml" --rules tests/evtx/every.yaml "$@"
		else
			scan fast "$OUT/$name.$rules.fast" "$@"
			scan xml "$OUT/$name.$rules.xml" "$@"
		fi
		if cmp -s "$OUT/$name.$rules.fast" "$OUT/$name.$rules.xml" &&
			cmp -s "$OUT/$name.$rules.fast.rc" "$OUT/$name.$rules.xml.rc" &&
			cmp -s "$OUT/$name.$rules.fast.err" "$OUT/$name.$rules.xml.err"; then
			pass=$((pass + 1))
		else
			echo "FAIL $name ($rules rules): the fast path and the XML path differ:"
			diff "$OUT/$name.$rules.fast" "$OUT/$name.$rules.xml" | head -10
			fail=$((fail + 1))
		fi
	done
}

ours=0
for f in tests/evtx/*.evtx tests/fuzz/corpus/evtx/*; do
	[ -f "$f" ] || continue
	same "own-$(basename "$f")" --input-format evtx "$f"
	ours=$((ours + 1))
done

# ipsec-events.evtx (tests/evtx/gen-evtx.py: two Security 4653, two RasClient
# 20227) gives its four findings through the fast path, with record offsets
f=tests/evtx/ipsec-events.evtx
IPSEC_SCAN_EVTX=stats "$BIN" -f json --fail-on none --tz UTC "$f" >"$OUT/ipsec-events.json" 2>"$OUT/ipsec-events.stats"
got=$(jq -r '[.findings[] | "\(.line)/\(.offset)/\(.name)/\(.fields.peer // .fields.conn)"] | join(" ")' "$OUT/ipsec-events.json")
want="1/4608/ERROR_IPSEC_IKE_AUTH_FAIL/203.0.113.45 2/7547/ERROR_IPSEC_IKE_AUTH_FAIL/AzureGateway 3/8743/ERROR_IPSEC_IKE_TIMED_OUT/198.51.100.7 4/11630/ERROR_IPSEC_IKE_NO_CERT/Branch VPN"
if [ "$got" = "$want" ] && grep -q ' 4 read here, 0 through libevtx$' "$OUT/ipsec-events.stats"; then
	pass=$((pass + 1))
else
	echo "FAIL ipsec-events.evtx: want $want"
	echo "  got $got; $(cat "$OUT/ipsec-events.stats")"
	fail=$((fail + 1))
fi

n=0
if ls "$CORPUS"/evtx/*.evtx >/dev/null 2>&1; then
	for f in "$CORPUS"/evtx/*.evtx; do
		b=$(basename "$f" .evtx)
		same "corpus-$b" "$f"
		n=$((n + 1))
		# every record through the fast path
		IPSEC_SCAN_EVTX=stats "$BIN" -f json --fail-on none "$f" 2>&1 >/dev/null |
			grep '^ipsec-scan: evtx: ' >"$OUT/corpus-$b.stats"
		if grep -q ' 0 through libevtx$' "$OUT/corpus-$b.stats"; then
			pass=$((pass + 1))
		else
			echo "FAIL corpus-$b: not every record read by the fast path: $(cat "$OUT/corpus-$b.stats")"
			fail=$((fail + 1))
		fi
	done
	# stdin: the framer reads a spooled copy
	f=$(ls "$CORPUS"/evtx/*.evtx | head -n 1)
	for mode in fast xml; do
		IPSEC_SCAN_EVTX=$mode "$BIN" -f json --fail-on none --tz UTC --rules tests/evtx/every.yaml \
			--input-format evtx - <"$f" >"$OUT/stdin.$mode" 2>&1
	done
	if cmp -s "$OUT/stdin.fast" "$OUT/stdin.xml"; then
		pass=$((pass + 1))
	else
		echo "FAIL stdin: the fast path and the XML path differ"
		fail=$((fail + 1))
	fi
	if command -v python3 >/dev/null 2>&1; then
		mkdir -p "$OUT/mut"
		python3 tests/evtx/mutate.py "$f" "$OUT/mut" 12 21
		python3 tests/evtx/mutate.py "$(ls "$CORPUS"/evtx/*.evtx | tail -n 1)" "$OUT/mut" 12 22
		for m in "$OUT"/mut/*.evtx; do
			same "mutated-$(basename "$m" .evtx)" "$m"
		done
	else
		echo "SKIP mutated copies: no python3"
	fi
else
	echo "SKIP the corpus's EVTX files: $CORPUS/evtx is absent"
fi
# Memory: the pages of the mapped file already read are given back, so a
# 64 MiB file of our own chunks (tests/jobs/evtx-chunks.py) is read in less
# resident memory than its size (before: about 1.5 times its size). Not
# under a sanitizer or valgrind, whose allocators make the figure meaningless.
if [ -z "${VALGRIND:-}" ] && [ -z "${SAN:-}" ] && [ -x /usr/bin/time ] &&
	command -v python3 >/dev/null 2>&1; then
	python3 tests/jobs/evtx-chunks.py "$OUT/big.evtx" 1024 tests/evtx/ipsec-events.evtx
	size=$(wc -c <"$OUT/big.evtx" | tr -d ' ')
	/usr/bin/time -f %M -o "$OUT/big.rss" "$BIN" --jobs 1 -f json --fail-on none \
		"$OUT/big.evtx" >"$OUT/big.json" 2>"$OUT/big.err"
	rss=$(($(tail -n 1 "$OUT/big.rss") * 1024))
	recs=$(jq .summary.records "$OUT/big.json" 2>/dev/null)
	if [ "$rss" -lt "$size" ] && [ "${recs:-0}" -gt 1024 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL a $size-byte EVTX file: peak RSS $rss bytes, $recs records"
	fi
else
	echo "SKIP the EVTX memory check (sanitizer, valgrind, no /usr/bin/time or no python3)"
fi
echo "evtx fast path: $pass passed, $fail failed ($n corpus files, $ours of our own)"
[ "$fail" -eq 0 ]
