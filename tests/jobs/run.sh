#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# --jobs and --progress end to end.
#
# --jobs N must give the report --jobs 1 gives, byte for byte, in every
# format, with the same standard error and exit status: over samples/, the
# e2e data, odd inputs (a missing name, a directory loop, an archive, standard
# input among files, more inputs than the workers may run ahead) and, when
# present, ../shared/corpus (skipped with a message otherwise).
# --progress: without a terminal nothing is drawn unless forced; forced, the
# frames go to standard error only, have the documented shape and end with a
# cleared line; on a terminal (script(1)) the bar appears on its own for a
# scan that lasts, and is cleared before the report.
#
#   sh tests/jobs/run.sh       (make jobs-check, part of make test)
# VALGRIND, when set, prefixes every run of the binary.
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
CORPUS=${CORPUS:-../shared/corpus}
T=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-jobs.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
run() { # OUTPREFIX args...: stdout, stderr, rc of one run
	o=$1
	shift
	# shellcheck disable=SC2086
	${VALGRIND:-} "$BIN" "$@" >"$o.out" 2>"$o.err" </dev/null
	echo $? >"$o.rc"
}
same() { # NAME A B: the two runs' outputs are identical
	if cmp -s "$2.out" "$3.out" && cmp -s "$2.err" "$3.err" && cmp -s "$2.rc" "$3.rc"; then
		ok
	else
		bad "$1: $3 differs from $2"
		diff "$2.out" "$3.out" | head -5
		diff "$2.err" "$3.err" | head -5
	fi
}

# ---- odd inputs -----------------------------------------------------------
D=$T/odd
mkdir -p "$D/tree/sub" "$D/many"
cp samples/strongswan/*.log "$D/tree/"
cp samples/windows/* "$D/tree/sub/" 2>/dev/null
ln -s .. "$D/tree/sub/loop"
tar -C samples -czf "$D/tree/bundle.tar.gz" plain libreswan
i=0
while [ $i -lt 150 ]; do # more than IPS_JOBS_AHEAD inputs
	cp "samples/plain/$(ls samples/plain | head -1)" "$D/many/f$(printf %03d $i).log"
	i=$((i + 1))
done
[ "$(ls "$D/many" | wc -l)" = 150 ] || bad "setup: 150 files"

sets="samples tests/e2e/data $D/tree $D/many"
[ -d "$CORPUS" ] && sets="$sets $CORPUS" || echo "jobs: $CORPUS absent: the corpus comparison is skipped"
n=0
for set in $sets; do
	n=$((n + 1))
	for f in text json ndjson sarif junit markdown html csv; do
		args="-f $f --fail-on warning --tz UTC --year 2025"
		# shellcheck disable=SC2086
		run "$T/$n-$f-1" $args --jobs 1 "$set" samples/does-not-exist.log
		js=2
		[ "$f" = json ] && js="2 3"
		for j in $js; do
			# shellcheck disable=SC2086
			run "$T/$n-$f-$j" $args --jobs $j "$set" samples/does-not-exist.log
			same "$set -f $f" "$T/$n-$f-1" "$T/$n-$f-$j"
		done
	done
	# the default (as many threads as help) is the same report too
	run "$T/$n-default" -f json --fail-on warning --tz UTC --year 2025 "$set" samples/does-not-exist.log
	same "$set default jobs" "$T/$n-json-1" "$T/$n-default"
done
# a symbolic link inside a directory is listed, not followed (--follow-links
# follows it: tests/bad symlink-loop-follow finds the loop)
grep -q 'symbolic link inside a directory: not followed' "$T/3-json-1.out" ||
	bad "the loop link is listed as not followed"
grep -q '"path": "samples/does-not-exist.log"' "$T/1-json-1.out" || bad "the missing input is listed"

# names that cannot be read among many that can, past the read-ahead bound:
# workers skip them while others wait at the bound
set --
i=0
while [ $i -lt 150 ]; do
	set -- "$@" "$D/many/f$(printf %03d $i).log" "$D/missing-$i.log"
	i=$((i + 1))
done
for j in 1 3; do
	run "$T/mixed-$j" -f ndjson --fail-on none --tz UTC --year 2025 --jobs $j "$@"
done
same "150 files and 150 missing names" "$T/mixed-1" "$T/mixed-3"
[ "$(grep -c 'cannot open' "$T/mixed-1.err")" = 150 ] && ok || bad "150 missing names reported"

# standard input among files: read by a worker like any other input
for j in 1 2; do
	${VALGRIND:-} "$BIN" -f json --fail-on none --tz UTC --year 2025 --jobs $j samples/plain - samples/strongswan \
		<"$(ls samples/libreswan/*.log | head -1)" >"$T/stdin-$j.out" 2>"$T/stdin-$j.err"
done
if cmp -s "$T/stdin-1.out" "$T/stdin-2.out" && grep -q '"(stdin)"' "$T/stdin-1.out"; then ok; else bad "stdin among files"; fi
# standard input named twice: read whole the first time, empty the second, as serially
for j in 1 2; do
	${VALGRIND:-} "$BIN" -f json --fail-on none --tz UTC --year 2025 --jobs $j - samples/strongswan - \
		<"$(ls samples/libreswan/*.log | head -1)" >"$T/stdin2-$j.out" 2>"$T/stdin2-$j.err"
done
if cmp -s "$T/stdin2-1.out" "$T/stdin2-2.out" && [ "$(grep -c '"path": "(stdin)"' "$T/stdin2-1.out")" -ge 2 ]; then
	ok
else
	bad "stdin named twice"
fi

# --input-format forced: files named *.journal in a folder are read in that
# format, each its own input, as serially (not as a folder of journal files)
mkdir -p "$T/fj"
cp "$(ls samples/strongswan/*.log | head -1)" "$T/fj/a.journal"
cp "$(ls samples/strongswan/*.log | head -1)" "$T/fj/b.log"
for j in 1 2; do
	run "$T/fj-$j" -f json --fail-on none --tz UTC --year 2025 --input-format syslog --jobs $j "$T/fj"
done
same "--input-format over *.journal files" "$T/fj-1" "$T/fj-2"

# many incidents (300 here, from 600 findings in two files): --jobs builds
# them on its threads at the end, in the order and with the ids of one
mkdir -p "$T/inc"
for f in a b; do
	i=1
	while [ $i -le 150 ]; do
		printf 'Mar  3 10:%02d:%02d gw%s charon: 07[IKE] <conn%d|%d> received AUTHENTICATION_FAILED notify error\n' \
			$((i / 60)) $((i % 60)) $f $i $i
		printf 'Mar  3 10:%02d:%02d gw%s charon: 07[IKE] <peer%d|%d> received NO_PROPOSAL_CHOSEN notify error\n' \
			$((i / 60)) $((i % 60)) $f $i $i
		i=$((i + 1))
	done >"$T/inc/$f.log"
done
for j in 1 2 3; do
	run "$T/inc-$j" -f json --fail-on none --tz UTC --year 2025 --jobs $j "$T/inc"
done
same "300 incidents, --jobs 2" "$T/inc-1" "$T/inc-2"
same "300 incidents, --jobs 3" "$T/inc-1" "$T/inc-3"
[ "$(jq '.incidents | length' "$T/inc-2.out" 2>/dev/null)" = 300 ] && ok ||
	bad "300 incidents: $(jq '.incidents | length' "$T/inc-2.out" 2>/dev/null) in the report"

# cron mode reads its files in turn, --jobs or not (a file with many new
# lines is split: tests/cron/jobs.sh); the report is the same
for j in 1 2; do
	run "$T/state-j$j" -f json --tz UTC --year 2025 --fail-on none --state "$T/state$j" --jobs $j samples
done
same "--state, --jobs 2" "$T/state-j1" "$T/state-j2"
[ "$(cat "$T/state-j2.rc")" = 0 ] && [ -s "$T/state2" ] && ok || bad "--state --jobs 2: exit 0 and a state"
run "$T/state-def" --state "$T/state" --fail-on none samples
[ "$(cat "$T/state-def.rc")" = 0 ] && [ -s "$T/state" ] && ok || bad "--state with the default jobs"

# ---- progress ---------------------------------------------------------------
BIG=$T/big
mkdir -p "$BIG"
i=0
while [ $i -lt 8 ]; do
	cat samples/strongswan/*.log samples/plain/*.log >>"$BIG/a.log"
	i=$((i + 1))
done
cp "$BIG/a.log" "$BIG/b.log"
# not a terminal, not forced: nothing on stderr (the report is the same)
run "$T/p-auto" -f json --fail-on none "$BIG"
run "$T/p-off" -f json --fail-on none --no-progress "$BIG"
[ ! -s "$T/p-auto.err" ] && ok || bad "progress drawn without a terminal: $(head -c 200 "$T/p-auto.err")"
same "progress auto/off" "$T/p-off" "$T/p-auto"
# forced: frames on stderr only, in shape, the line cleared at the end. The frame
# fits the terminal width (COLUMNS here, stderr being a file): at the default 80 a
# frame with a time left ("..., 0:01 left", drawn when the scan is slow, e.g. on a
# loaded machine) loses its bar, so the full shape is checked at a fixed width.
export COLUMNS=200
for j in 1 2; do
	run "$T/p-on$j" -f json --fail-on none --progress --jobs $j "$BIG"
	cmp -s "$T/p-off.out" "$T/p-on$j.out" && ok || bad "--progress --jobs $j changed the report"
	esc=$(printf '\033')
	if tr '\r' '\n' <"$T/p-on$j.err" | sed "s/${esc}\[K//" | grep -v '^$' |
		grep -v -E '^ipsec-scan: \[[#.]{20}\] +[0-9]{1,3}%  [0-9.]+ [KMGT]?B of [0-9.]+ [KMGT]?B, [0-9.]+ [KMGT]?B/s(, [0-9]+:[0-9]{2}(:[0-9]{2})? left)?$' |
		grep -q .; then
		bad "--progress frame shape: $(od -c "$T/p-on$j.err" | head -5)"
	else
		ok
	fi
	grep -q '100%' "$T/p-on$j.err" && ok || bad "--progress: no last frame at 100%"
	[ "$(tail -c 4 "$T/p-on$j.err" | od -An -c | tr -d ' ')" = '\r033[K' ] && ok ||
		bad "--progress: the line is not cleared at the end"
done
unset COLUMNS
# standard input: no total, bytes and rate
run "$T/p-stdin" --progress --fail-on none - <"$BIG/a.log"
${VALGRIND:-} "$BIN" --progress --fail-on none - <"$BIG/a.log" >/dev/null 2>"$T/p-stdin.err"
grep -q -E 'ipsec-scan: [0-9.]+ [KMGT]?B read, [0-9.]+ [KMGT]?B/s' "$T/p-stdin.err" && ok || bad "--progress on stdin"
# a terminal (script(1)): the bar comes on its own once a scan lasts (here a
# FIFO written after 1.5 s) and is cleared before the report and messages
if command -v script >/dev/null 2>&1; then
	mkfifo "$T/fifo"
	(sleep 1.5; cat samples/strongswan/*.log >"$T/fifo") &
	script -qec "$BIN --fail-on none --color never $T/fifo" /dev/null >"$T/tty.out" 2>&1 </dev/null
	wait
	if grep -q 'B read, ' "$T/tty.out" && tr '\r' '\n' <"$T/tty.out" | grep -q 'incident' &&
		[ "$(grep -c 'B read' "$T/tty.out")" -ge 1 ]; then
		ok
	else
		bad "no bar on a terminal: $(od -c "$T/tty.out" | head -8)"
	fi
	# the clear comes before the first line of the report
	awk -v e="$(printf '\033')" 'BEGIN { RS = "\n" } /read, / { bar = NR } END { exit !(bar == 1) }' "$T/tty.out" &&
		ok || bad "the bar is not on the first line, before the report"
	script -qec "$BIN --fail-on none --no-progress $T/../$(basename "$T")/big" /dev/null >"$T/tty-off.out" 2>&1 </dev/null
	grep -q '% ' "$T/tty-off.out" && bad "--no-progress on a terminal drew a bar" || ok
else
	echo "jobs: script(1) absent: the terminal checks are skipped"
fi

echo "jobs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
