#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# End-to-end tests: run the built binary on files and compare whole reports.
#
#   sh tests/e2e/run.sh            run every case
#   UPDATE=1 sh tests/e2e/run.sh   rewrite the expected files from the current output
#                                  (read the diff before committing it!)
#
# Cases (tests/e2e/cases/NAME/):
#   cmd       ipsec-scan's arguments, one line, run from the repository root
#   expected  the whole expected standard output
#   rc        the expected exit status (0 when absent)
#   stdin     fed as standard input (optional; otherwise /dev/null)
#   env       VAR=value words set in the environment of the run (optional; e.g. TZ=...)
#   stderr    a fixed string the standard error must contain (optional)
#   setup     a shell script run first, from the repository root, with $OUT set: it
#             makes generated inputs (archives, large or odd files) under $OUT/NAME/
#   filter    a jq program applied to the standard output before it is compared with
#             expected (checks across inputs, e.g. that several exports agree)
#
# Corpus fixtures (tests/corpus/PATH.expected, PATH relative to ../shared/corpus):
#   one line per finding: line, name, fields.conn, fields.peer (tab-separated),
#   from `ipsec-scan -f json --tz UTC --year 2025 ../shared/corpus/PATH`.
#   PATH.inputs (optional, beside it): each input's records and status (tab-separated),
#   e.g. to check that every record of an EVTX file was read.
#   Skipped, with a message, where ../shared/corpus is absent.
#
# VALGRIND, when set, prefixes every run (make valgrind).
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
CORPUS=${CORPUS:-../shared/corpus}
OUT=tests/out
rm -rf "$OUT" && mkdir -p "$OUT"
pass=0 fail=0 skip=0

run_bin() { # args... ; stdin from $STDIN
	# shellcheck disable=SC2086
	env ${ENVS:-} ${VALGRIND:-} "$BIN" "$@"
}

for dir in tests/e2e/cases/*/; do
	name=$(basename "$dir")
	[ -f "$dir/cmd" ] || continue
	args=$(cat "$dir/cmd")
	want_rc=0
	[ -f "$dir/rc" ] && want_rc=$(cat "$dir/rc")
	stdin=/dev/null
	[ -f "$dir/stdin" ] && stdin="$dir/stdin"
	ENVS=
	[ -f "$dir/env" ] && ENVS=$(cat "$dir/env")
	if [ -f "$dir/setup" ]; then
		mkdir -p "$OUT/$name"
		if ! OUT="$OUT/$name" sh "$dir/setup" >"$OUT/$name.setup" 2>&1; then
			echo "FAIL $name: setup failed:"; head -5 "$OUT/$name.setup"
			fail=$((fail + 1)); continue
		fi
	fi
	# shellcheck disable=SC2086
	eval "set -- $args"
	run_bin "$@" <"$stdin" >"$OUT/$name.out" 2>"$OUT/$name.err"
	rc=$?
	if [ -f "$dir/filter" ]; then
		jq -f "$dir/filter" "$OUT/$name.out" >"$OUT/$name.filtered" 2>&1
		mv "$OUT/$name.filtered" "$OUT/$name.out"
	fi
	if [ "${UPDATE:-}" = 1 ]; then
		cp "$OUT/$name.out" "$dir/expected"
		[ "$rc" = 0 ] && rm -f "$dir/rc" || echo "$rc" >"$dir/rc"
	fi
	ok=1
	if [ "$rc" != "$want_rc" ]; then
		echo "FAIL $name: exit status $rc, expected $want_rc"; ok=0
	fi
	if [ -f "$dir/expected" ] && ! cmp -s "$dir/expected" "$OUT/$name.out"; then
		echo "FAIL $name: output differs from $dir/expected:"
		diff -u "$dir/expected" "$OUT/$name.out" | head -40
		ok=0
	fi
	if [ -f "$dir/stderr" ] && ! grep -qF -- "$(cat "$dir/stderr")" "$OUT/$name.err"; then
		echo "FAIL $name: standard error lacks '$(cat "$dir/stderr")':"
		head -5 "$OUT/$name.err"
		ok=0
	fi
	if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done

# corpus fixtures
ENVS=
if [ -d "$CORPUS" ]; then
	for exp in $(find tests/corpus -name '*.expected' 2>/dev/null | LC_ALL=C sort); do
		rel=${exp#tests/corpus/}
		rel=${rel%.expected}
		src="$CORPUS/$rel"
		if [ ! -f "$src" ]; then
			echo "FAIL corpus $rel: $src is missing"; fail=$((fail + 1)); continue
		fi
		run_bin -f json --tz UTC --year 2025 --fail-on none "$src" 2>/dev/null >"$OUT/corpus.json"
		jq -r '.findings[] | [.line, .name, (.fields.conn // "-"), (.fields.peer // "-")] | @tsv' \
			"$OUT/corpus.json" >"$OUT/corpus.tsv"
		inputs=${exp%.expected}.inputs
		[ -f "$inputs" ] && jq -r '.inputs[] | [.records, .status] | @tsv' "$OUT/corpus.json" \
			>"$OUT/corpus.inputs"
		if [ "${UPDATE:-}" = 1 ]; then
			cp "$OUT/corpus.tsv" "$exp"
			[ -f "$inputs" ] && cp "$OUT/corpus.inputs" "$inputs"
		fi
		if ! cmp -s "$exp" "$OUT/corpus.tsv"; then
			echo "FAIL corpus $rel: findings differ from $exp:"
			diff -u "$exp" "$OUT/corpus.tsv" | head -30
			fail=$((fail + 1))
		elif [ -f "$inputs" ] && ! cmp -s "$inputs" "$OUT/corpus.inputs"; then
			echo "FAIL corpus $rel: records or status differ from $inputs:"
			diff -u "$inputs" "$OUT/corpus.inputs" | head -10
			fail=$((fail + 1))
		else
			pass=$((pass + 1))
		fi
	done
else
	n=$(find tests/corpus -name '*.expected' 2>/dev/null | wc -l)
	echo "SKIP $n corpus fixtures: $CORPUS is absent (it ships beside the project, not in it)"
	skip=$((skip + n))
fi

echo "e2e: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
