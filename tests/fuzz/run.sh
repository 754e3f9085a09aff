#!/bin/sh
# Run fuzz targets (built by `make fuzz-build` into build/fuzz/) one after the
# other, each for FUZZ_SECONDS, and fold what they found into the committed
# corpora (tests/fuzz/corpus/TARGET, minimised with -merge=1).
#
#   sh tests/fuzz/run.sh [TARGET...]       (default: every target)
#
# FUZZ_SECONDS   seconds per target (default 60)
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
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=1024 -max_len=131072 \
		-artifact_prefix="$LOGS/$t-" -print_final_stats=1 "$new" "$corpus" \
		>"$LOGS/$t.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOGS/$t.log")
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$LOGS/$t.log")
	# keep only inputs that add coverage
	"$bin" -merge=1 "$corpus" "$new" >"$LOGS/$t.merge.log" 2>&1 || true
	rm -rf "$new"
	after=$(ls "$corpus" | wc -l)
	kb=$(du -sk "$corpus" | cut -f1)
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
