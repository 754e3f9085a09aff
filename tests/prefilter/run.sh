#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# prefilter-check (make test): no detector loses a match to the prefilter.
# Every active detector's regex runs on every line of a fixed 20 MiB slice of
# benchmark lines (bench-gen over the pools bench/run.sh draws from, seed
# 20251123), on each pool line once, on samples/ and on every rule's own
# examples; each line a regex matches must have been handed to the matcher
# with that detector among its candidates (build/pfcheck, bench/pfcheck.c).
# Without the corpus (../shared/corpus or BENCH_CORPUS) the pools are made of
# samples/ alone, with a note.
set -eu
CHECK=${PFCHECK:-build/pfcheck}
GEN=${BENCH_GEN:-build/bench-gen}
C=${BENCH_CORPUS:-../shared/corpus}
SIZE=${PFCHECK_SIZE:-20M}
T=$(mktemp -d "${TMPDIR:-/tmp}/pfcheck.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM

pool() { # pool NAME FILE...: "host program: message" lines, as bench/run.sh makes them
	name=$1
	shift
	perl bench/normalize.pl "$@" > "$T/$name.txt" 2>/dev/null || true
}
pool samples samples/*/*.log
noise="$T/samples.txt:1"
if [ -d "$C/loghub" ]; then
	pool charon "$C/strongswan-charon/fcss-charon.log" $(ls "$C"/strongswan-generated/*/*.log | grep -v libreswan)
	pool pluto $(ls "$C"/strongswan-generated/libreswan*/*.log) samples/libreswan/*.log
	pool linux "$C/loghub/Linux_2k.log"
	pool ssh "$C/loghub/OpenSSH_2k.log"
	pool win "$C/loghub/Windows_2k.log"
	pool gw samples/strongswan/*.log samples/plain/*.log "$C"/elastic-integrations/*.log
	noise="$T/charon.txt:4 $T/pluto.txt:1 $T/linux.txt:2 $T/ssh.txt:2 $T/win.txt:1 $T/gw.txt:1"
else
	echo "prefilter-check: no corpus at $C: the slice is made of samples/ only"
fi
# shellcheck disable=SC2086
"$GEN" -o "$T/slice.log" -s "$SIZE" -S 20251123 -R 1000 -r "$T/samples.txt" $noise 2>/dev/null
"$CHECK" "$T/slice.log" "$T"/*.txt samples/*/*.log
