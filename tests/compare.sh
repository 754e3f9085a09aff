# SPDX-License-Identifier: Apache-2.0
# tests/compare.sh - sourced by the tests that compare two runs of the
# binary (tests/jobs/split.sh, tests/mmap/run.sh): pass and fail counts, and
# same(), which compares the standard output, standard error and exit status
# a run() of theirs left in OUT.out, OUT.err and OUT.rc.
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
same() { # NAME A B
	if cmp -s "$2.out" "$3.out" && cmp -s "$2.err" "$3.err" && cmp -s "$2.rc" "$3.rc"; then
		ok
	else
		bad "$1: $3 differs from $2"
		diff "$2.out" "$3.out" | head -5
		diff "$2.err" "$3.err" | head -5
	fi
}
