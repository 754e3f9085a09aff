#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run fuzz targets (built by `make fuzz-build` into build/fuzz/) one after the
# other, each for FUZZ_SECONDS, and fold what they found into the committed
# corpora (tests/fuzz/corpus/TARGET, minimised with -merge=1 and kept under
# FUZZ_CORPUS_KB each).
#
#   sh tests/fuzz/run.sh [TARGET...]       (default: every target)
#
# FUZZ_SECONDS   seconds per target (default 60; 0: only minimise the corpora)
# FUZZ_BIN       where the targets are (default build/fuzz)
# FUZZ_LOGS      where the libFuzzer logs and summary.tsv go (default build/fuzz)
#
# A crash, leak, sanitizer report or timeout leaves its input as
# $FUZZ_LOGS/TARGET-crash-* (or -leak-, -timeout-, -oom-); the script goes on
# with the next target and exits 1 at the end. Keep each such input under
# tests/fuzz/regress/TARGET/ once it is fixed: `make test` replays them.
set -u
cd "$(dirname "$0")/../.." || exit 2
FZ=${FUZZ_BIN:-build/fuzz}
SECS=${FUZZ_SECONDS:-60}
LOGS=${FUZZ_LOGS:-$FZ}
mkdir -p "$LOGS"
[ $# -gt 0 ] || set -- lines winxml wfpxml wintext wincsv winjson ndjson evtx container \
	timestamp rules state proposal
# the EVTX framer spools non-file inputs to $TMPDIR: keep that in memory
[ -d /dev/shm ] && [ -w /dev/shm ] && TMPDIR=${TMPDIR:-/dev/shm}
export TMPDIR=${TMPDIR:-/tmp}
# leaks inside libevtx are not ours (tests/fuzz/lsan.supp)
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# an allocation past the address-space cap framer_evtx.c sets around libevtx fails (NULL,
# as with malloc): libevtx then reports the record, where ASan would abort
export ASAN_OPTIONS="allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# minimise TARGET BIN CORPUS NEW: the inputs of CORPUS and NEW that add
# coverage (-merge=1 into an empty directory), then, smallest first, as many
# as fit in FUZZ_CORPUS_KB (default 24), so the committed corpora stay small;
# evtx keeps 96 KiB, largest first: its smallest valid file is 68 KiB.
minimise() {
	min=$LOGS/$1.min
	rm -rf "$min" && mkdir -p "$min"
	if ! "$2" -merge=1 "$min" "$3" "$4" >"$LOGS/$1.merge.log" 2>&1 ||
		[ -z "$(ls "$min")" ]; then
		echo "   merge failed: corpus left as it was (see $LOGS/$1.merge.log)"
		rm -rf "$min"
		return
	fi
	budget=$((${FUZZ_CORPUS_KB:-24} * 1024))
	[ "$1" = evtx ] && budget=$((96 * 1024))
	total=0
	# smallest first; for evtx largest first, so a whole valid file stays
	order=-r
	[ "$1" = evtx ] && order=
	for f in $(ls -S $order "$min"); do
		sz=$(wc -c <"$min/$f")
		if [ $((total + sz)) -le $budget ]; then
			total=$((total + sz))
		else
			rm -f "$min/$f"
		fi
	done
	rm -rf "$3" && mv "$min" "$3"
}

failed=0
for t in "$@"; do
	bin=$FZ/fuzz_$t
	[ -x "$bin" ] || { echo "$bin: not built (make fuzz-build)"; exit 2; }
	corpus=tests/fuzz/corpus/$t
	new=$LOGS/$t.new
	mkdir -p "$corpus" "$new"
	before=$(ls "$corpus" | wc -l)
	echo "== fuzz_$t for $SECS s (corpus: $before inputs)"
	start=$(date +%s)
	if [ "$SECS" = 0 ]; then
		minimise "$t" "$bin" "$corpus" "$new"
		rm -rf "$new"
		echo "   corpus $before -> $(ls "$corpus" | wc -l) inputs, $(($(cat "$corpus"/* | wc -c) / 1024)) KiB"
		continue
	fi
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=1024 -max_len=131072 \
		-artifact_prefix="$LOGS/$t-" -print_final_stats=1 "$new" "$corpus" \
		>"$LOGS/$t.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOGS/$t.log")
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$LOGS/$t.log")
	minimise "$t" "$bin" "$corpus" "$new"
	rm -rf "$new"
	after=$(ls "$corpus" | wc -l)
	kb=$(($(cat "$corpus"/* 2>/dev/null | wc -c) / 1024))
	finding=none
	if [ $rc -ne 0 ]; then
		failed=1
		finding=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' \
			"$LOGS/$t.log" | cut -c1-160)
		finding=${finding:-"exit $rc"}
		grep -E -m3 -A12 'ERROR:|runtime error' "$LOGS/$t.log" | head -40
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$secs" "${execs:-?}" \
		"$after" "$kb" "${rss:-?}" "$finding" >>"$LOGS/summary.tsv"
	echo "   $secs s, ${execs:-?} runs, corpus $before -> $after inputs ($kb KiB), peak RSS ${rss:-?} MB, finding: $finding"
done
exit $failed
