#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench/run.sh - ipsec-scan against GNU grep, ripgrep, the EVTX readers and
# SEC, in one go.
#
#   sh bench/run.sh          the full benchmark (make bench): 1 GB of noise,
#                            1 GB of loghub lines, bundles, EVTX, 5 rounds
#                            per case, SEC on a 10 MB slice, callgrind
#   sh bench/run.sh smoke    a few MB, one round, and consistency checks
#                            (make bench-smoke): keeps this script working
#
# Environment (full / smoke defaults):
#   IPSEC_SCAN        the binary (./ipsec-scan)
#   BENCH_GEN         the generator (build/bench-gen)
#   BENCH_DIR         data and results (build/bench)
#   BENCH_CORPUS      the corpus (../shared/corpus)
#   BENCH_RUNS        rounds per case (5 / 1); a round runs every tool of the
#                     case once, in turn, so that load changes hit all alike
#   BENCH_SIZE        the noise, also the single-file --jobs case (1G / 4M)
#   BENCH_LOGHUB_SIZE the loghub-only mix (BENCH_SIZE / 2M)
#   BENCH_GREP_MAX    what grep reads of each input at most (16M / 1M): with
#                     the detectors' patterns it runs under 1 MB/s on the noise
#   BENCH_CG_SIZE     the slices ipsec-scan runs under callgrind (16M / 1M)
#   BENCH_CG          1 runs callgrind (if valgrind is there), 0 skips it
#   BENCH_SEC_SLICE   the slice SEC reads (10M / 256k)
#   BENCH_SEC         1 runs SEC, 0 skips it
#   BENCH_SEC_RUNS    SEC's rounds (1: a run takes minutes)
#
# The data is generated, deterministically (seeded), from samples/ and the
# corpus: noise lines from the loghub Linux, OpenSSH and Windows CBS logs and
# from strongSwan/libreswan debug logs, with 0.1% of lines that ipsec-scan
# reports (failures, negotiation events); a second mix of loghub lines only.
# Every tool gets the same detectors: `ipsec-scan rules list --patterns`
# turns them into EREs for grep -E and rg, and into SEC rules.
# Prints the table and the figures documented in docs/performance.md.
set -eu

mode=${1:-full}
case $mode in full | smoke) ;; *) echo "usage: $0 [full|smoke]" >&2; exit 2 ;; esac
IPSEC_SCAN=${IPSEC_SCAN:-./ipsec-scan}
GEN=${BENCH_GEN:-build/bench-gen}
DIR=${BENCH_DIR:-build/bench}
CORPUS=${BENCH_CORPUS:-../shared/corpus}
[ -d "$CORPUS" ] || CORPUS=/work/shared/corpus
if [ "$mode" = smoke ]; then
	RUNS=${BENCH_RUNS:-1} SIZE=${BENCH_SIZE:-4M} SLICE=${BENCH_SEC_SLICE:-256k}
	LOGHUB_SIZE=${BENCH_LOGHUB_SIZE:-2M} GREP_MAX=${BENCH_GREP_MAX:-1M} CG_SIZE=${BENCH_CG_SIZE:-1M}
	BUNDLE_LOGS=3 BUNDLE_EACH=1M LONG=3M EVTX_COPIES=1 FOUR_EACH=1M
else
	RUNS=${BENCH_RUNS:-5} SIZE=${BENCH_SIZE:-1G} SLICE=${BENCH_SEC_SLICE:-10M}
	LOGHUB_SIZE=${BENCH_LOGHUB_SIZE:-$SIZE} GREP_MAX=${BENCH_GREP_MAX:-16M} CG_SIZE=${BENCH_CG_SIZE:-16M}
	BUNDLE_LOGS=6 BUNDLE_EACH=40M LONG=300M EVTX_COPIES=24 FOUR_EACH=128M
fi
WITH_SEC=${BENCH_SEC:-1} SEC_RUNS=${BENCH_SEC_RUNS:-1} WITH_CG=${BENCH_CG:-1}
SEED=20251123

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
mb() { # 4M / 1G / 123 -> megabytes
	case $1 in *G) echo $((${1%G} * 1024)) ;; *M) echo "${1%M}" ;; *k) echo 1 ;; *) echo $(($1 / 1048576)) ;; esac
}
bytes_of() { # 4M / 1G / 256k / 123 -> bytes
	case $1 in *G) echo $((${1%G} << 30)) ;; *M) echo $((${1%M} << 20)) ;; *k) echo $((${1%k} << 10)) ;; *) echo "$1" ;; esac
}
smaller() { # the smaller of two sizes
	if [ "$(bytes_of "$1")" -lt "$(bytes_of "$2")" ]; then echo "$1"; else echo "$2"; fi
}

[ -x "$IPSEC_SCAN" ] || die "no $IPSEC_SCAN: run make first"
[ -x "$GEN" ] || die "no $GEN: run make $GEN"
[ -d "$CORPUS/loghub" ] || die "no corpus at $CORPUS (set BENCH_CORPUS)"

# ---- tools ----------------------------------------------------------------
missing=""
[ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1 || missing="$missing time"
have rg || missing="$missing ripgrep"
have sec || missing="$missing sec"
# the EVTX readers ipsec-scan is compared with: libevtx's own exporter and python-evtx
have evtxexport || missing="$missing libevtx-utils"
have evtx_dump.py || missing="$missing python3-evtx"
have zstd || missing="$missing zstd"
[ "$WITH_CG" = 1 ] && ! have valgrind && missing="$missing valgrind"
for t in perl jq gzip tar awk; do have $t || die "needs $t"; done
if [ -n "$missing" ]; then
	if [ "$mode" = full ] && [ "$(id -u)" = 0 ] && have apt-get; then
		say "bench: installing$missing"
		apt-get update -qq >/dev/null
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
		missing=""
	else
		say "bench: missing$missing - install with: sudo apt-get install$missing"
	fi
fi
case $missing in *time*) die "GNU time (/usr/bin/time, Debian package 'time') is needed for peak RSS" ;; esac

# ---- disk ---------------------------------------------------------------
mkdir -p "$DIR"
need=$(( $(mb "$SIZE") + $(mb "$LOGHUB_SIZE") + $(mb "$LONG") + BUNDLE_LOGS * $(mb "$BUNDLE_EACH") \
	+ (EVTX_COPIES + 1) * 5 + $(mb "$SLICE") + 4 * $(mb "$FOUR_EACH") + 2 * $(mb "$GREP_MAX") + 3 * $(mb "$CG_SIZE") + 200 ))
avail=$(df -Pk "$DIR" | awk 'NR == 2 { print int($4 / 1024) }')
if [ "$avail" -lt "$need" ]; then
	die "needs about $need MB free in $DIR, only $avail MB: stop (set BENCH_DIR or BENCH_SIZE)"
fi
say "bench: $mode, data in $DIR ($avail MB free, about $need MB needed)"

# ---- pools: the lines the generator draws from ---------------------------
# Each source's lines become "host program: message"; ipsec-scan splits them
# into the relevant (it reports them) and the rest (noise).
P=$DIR/pools
mkdir -p "$P"
pool() {
	name=$1
	shift
	perl bench/normalize.pl "$@" > "$P/$name.src" 2>/dev/null || true
	sed 's/^/Mar  1 00:00:00 /' "$P/$name.src" > "$P/$name.log"
	"$IPSEC_SCAN" -f json --fail-on none --tz UTC --year 2025 --input-format syslog "$P/$name.log" |
		jq -r '[.findings[]?.line, .events[]?.line] | .[]' | sort -n -u > "$P/$name.rel"
	awk -v rel="$P/$name.rel" -v noise="$P/noise-$name.txt" -v hit="$P/rel-$name.txt" '
		BEGIN { while ((getline l < rel) > 0) r[l] = 1 }
		{ if (FNR in r) print > hit; else print > noise }' "$P/$name.src"
	touch "$P/rel-$name.txt" "$P/noise-$name.txt"
}
C=$CORPUS
pool charon "$C/strongswan-charon/fcss-charon.log" $(ls "$C"/strongswan-generated/*/*.log | grep -v libreswan)
pool pluto $(ls "$C"/strongswan-generated/libreswan*/*.log) samples/libreswan/*.log
pool linux "$C/loghub/Linux_2k.log"
pool ssh "$C/loghub/OpenSSH_2k.log"
pool win "$C/loghub/Windows_2k.log"
pool gw samples/strongswan/*.log samples/plain/*.log "$C"/elastic-integrations/*.log
cat "$P"/rel-*.txt > "$P/relevant.txt"
NOISE="$P/noise-charon.txt:4 $P/noise-pluto.txt:1 $P/noise-linux.txt:2 $P/noise-ssh.txt:2 $P/noise-win.txt:1"
# the loghub-only mix: every line of the three loghub logs (those ipsec-scan
# reports too, if any), no IPsec daemon output, one log as likely as another
LOGHUB="$P/linux.src:1 $P/ssh.src:1 $P/win.src:1"

gen() { # gen OUT SIZE SEED [extra args]: the noise
	out=$1 size=$2 seed=$3
	shift 3
	# shellcheck disable=SC2086
	"$GEN" -o "$out" -s "$size" -S "$seed" -R 1000 "$@" -r "$P/relevant.txt" $NOISE 2>/dev/null
}
gen_loghub() { # gen_loghub OUT SIZE SEED: the loghub-only mix
	# shellcheck disable=SC2086
	"$GEN" -o "$1" -s "$2" -S "$3" -R 0 -r "$P/linux.src" $LOGHUB 2>/dev/null
}

# ---- data (kept while the inputs and parameters are the same) -------------
stamp="$SIZE $LOGHUB_SIZE $GREP_MAX $CG_SIZE $SLICE $BUNDLE_LOGS $BUNDLE_EACH $LONG $EVTX_COPIES $FOUR_EACH $SEED $(command -v zstd) $(cat "$P"/*.txt "$P"/*.src bench/gen.c | cksum)"
# the smoke run's few MB apart from the full run's GBs: one does not make the
# other generate its data again
D=$DIR/data
[ "$mode" = smoke ] && D=$DIR/data-smoke
if [ "$(cat "$D/stamp" 2>/dev/null)" != "$stamp" ]; then
	say "bench: generating data"
	rm -rf "$D"
	mkdir -p "$D/bundle" "$D/evtx" "$D/four"
	# the same seed gives the same first lines: grep's share of noise.log
	# (grep.noise.log), the SEC slice and the callgrind slice are its start
	gen "$D/noise.log" "$SIZE" $SEED
	gen "$D/grep.noise.log" "$(smaller "$GREP_MAX" "$SIZE")" $SEED
	gen "$D/slice.log" "$SLICE" $SEED
	gen "$D/cg.noise.log" "$CG_SIZE" $SEED
	head -n 1 "$D/noise.log" > "$D/cg.one.log" # start-up, subtracted under callgrind
	gen_loghub "$D/loghub.log" "$LOGHUB_SIZE" $SEED
	gen_loghub "$D/grep.loghub.log" "$(smaller "$GREP_MAX" "$LOGHUB_SIZE")" $SEED
	gen_loghub "$D/cg.loghub.log" "$CG_SIZE" $SEED
	i=1
	while [ $i -le $BUNDLE_LOGS ]; do
		gen "$D/bundle/gw$i.log" "$BUNDLE_EACH" $((SEED + i))
		i=$((i + 1))
	done
	i=1
	while [ $i -le 4 ]; do # --jobs 2 against --jobs 1
		gen "$D/four/gw$i.log" "$FOUR_EACH" $((SEED + 10 + i))
		i=$((i + 1))
	done
	# one bundle, two compressions: gzip (tar's default) and zstd at its default level
	tar -C "$D" -czf "$D/bundle.tar.gz" bundle
	if have zstd; then tar -C "$D" -cf - bundle | zstd -q -c > "$D/bundle.tar.zst"; fi
	rm -rf "$D/bundle"
	i=1
	while [ $i -le $EVTX_COPIES ]; do
		for f in "$C"/evtx/*.evtx; do cp "$f" "$D/evtx/$i-$(basename "$f")"; done
		i=$((i + 1))
	done
	gen "$D/longline.log" "$LONG" $((SEED + 99)) -1
	echo "$stamp" > "$D/stamp"
fi

# ---- the same detectors for every tool -----------------------------------
"$IPSEC_SCAN" rules list --patterns > "$DIR/patterns.ere" 2> "$DIR/patterns.notes"
{
	cat bench/sec.conf
	awk '{ printf "\ntype=Single\nptype=RegExp\npattern=%s\ndesc=detector %d\naction=write - $0; event FINDING %d\ncontinue=TakeNext\n", $0, NR, NR }' "$DIR/patterns.ere"
} > "$DIR/sec-full.conf"

# ---- measuring -------------------------------------------------------------
O=$DIR/out
mkdir -p "$O"
rm -f "$O"/*.runs "$O"/*.failed
RES=$DIR/results.tsv
: > "$RES"

# run_once TOOL CASE COMMAND: one run, its output in $O/TOOL.CASE.out and a
# line "wall peak-RSS-KiB CPU% user sys" added to $O/TOOL.CASE.runs. Exit
# status 0, 1 (grep and rg: nothing matched) or 3 (ipsec-scan: an input read
# in part, as the corpus's damaged EVTX file) is a run; anything else (the
# tool failed, ran out of its 8 GiB or 2 hours) drops the tool from the case.
run_once() {
	[ -e "$O/$1.$2.failed" ] && return 0
	st=0
	# 8 GiB of address space and 2 hours at most: a tool that runs away
	# (rg on binary data can) must not take the machine with it
	/usr/bin/time -f "%e %M %P %U %S" -o "$O/time" sh -c "ulimit -v 8388608; exec timeout 7200 sh -c \"$3\"" \
		> "$O/$1.$2.out" 2> "$O/$1.$2.err" || st=$?
	ok=1
	case $st in 0 | 1 | 3) ;; *) ok=0 ;; esac
	if [ $ok = 0 ] || ! tail -n 1 "$O/time" | grep -q '^[0-9]'; then
		say "bench: $1 on $2 failed (exit $st): $(head -c 300 "$O/$1.$2.err")"
		touch "$O/$1.$2.failed"
		return 0
	fi
	tail -n 1 "$O/time" | tr -d % >> "$O/$1.$2.runs"
}

# summarise TOOL CASE BYTES: the tool's line in $RES: tool, case, input bytes,
# median wall s, largest peak RSS KiB, output lines, the walls of every round,
# their CPU %, median CPU s (user + sys), the CPU s of every round
summarise() {
	[ -s "$O/$1.$2.runs" ] && [ ! -e "$O/$1.$2.failed" ] || return 0
	awk -v tool="$1" -v cs="$2" -v bytes="$3" -v lines="$(wc -l < "$O/$1.$2.out")" '
		function median(s,   a, n, i, j, x) {
			n = split(s, a, " ")
			for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		{ w = w " " $1; p = p " " $3; c = c " " ($4 + $5); if ($2 > rss) rss = $2 }
		END { printf "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%.2f\t%s\n", tool, cs, bytes, median(w), rss, lines, substr(w, 2), substr(p, 2), median(c), substr(c, 2) }' \
		"$O/$1.$2.runs" >> "$RES"
	tail -n 1 "$RES" | awk -F '\t' '{ printf "  %s %s: %ss wall, %ss CPU, %d MiB\n", $1, $2, $4, $9, $5 / 1024 }' >&2
}

# race CASE TOOL BYTES COMMAND [TOOL BYTES COMMAND]...: RUNS rounds, each
# running every tool of the case once, in the order given (A B C A B C ...),
# so that a change of load on the machine hits every tool alike; the first
# tool is the one the others are compared with, round by round
race() {
	rc=$1
	shift
	r=1
	while [ $r -le "$RUNS" ]; do
		k=0
		for a in "$@"; do
			case $k in
			0) rt=$a k=1 ;;
			1) k=2 ;;
			2) run_once "$rt" "$rc" "$a"; k=0 ;;
			esac
		done
		r=$((r + 1))
	done
	k=0
	for a in "$@"; do
		case $k in
		0) rt=$a k=1 ;;
		1) summarise "$rt" "$rc" "$a"; k=2 ;;
		2) k=0 ;;
		esac
	done
}
size_of() { wc -c < "$1" | tr -d ' '; }

# one core unless said otherwise (the default --jobs uses every core for large inputs)
IPS="$IPSEC_SCAN -f json --fail-on none --tz UTC --year 2025 --jobs 1"
GREP="env LC_ALL=C grep -E -f $DIR/patterns.ere"
RG="rg --no-config -f $DIR/patterns.ere"
GREP_BYTES=$(bytes_of "$GREP_MAX")

# case_lines NAME FILE [GREP_FILE]: ipsec-scan, grep (on GREP_FILE, the start
# of FILE, if given) and rg (if installed) on a plain log
case_lines() {
	set -- "$1" ipsec-scan "$(size_of "$2")" "exec $IPS '$2'" \
		grep "$(size_of "${3:-$2}")" "exec $GREP '${3:-$2}'" \
		rg "$(size_of "$2")" "exec $RG '$2'"
	have rg || set -- "$1" "$2" "$3" "$4" "$5" "$6" "$7"
	race "$@"
}
# case_bundle NAME ARCHIVE DECOMPRESSOR: ipsec-scan reads the archive itself,
# grep and rg get the decompressed stream (grep its first GREP_MAX bytes)
case_bundle() {
	b=$($3 -dc "$2" | wc -c | tr -d ' ')
	gb=$((b < GREP_BYTES ? b : GREP_BYTES))
	set -- "$1" ipsec-scan "$b" "exec $IPS '$2'" \
		grep "$gb" "$3 -dc '$2' | head -c $gb | $GREP -a" \
		rg "$b" "$3 -dc '$2' | $RG -a"
	have rg || set -- "$1" "$2" "$3" "$4" "$5" "$6" "$7"
	race "$@"
}
# same_report CASE: the reports of ipsec-scan --jobs 1 and --jobs 2 are the same bytes
same_report() {
	cmp -s "$O/ipsec-scan.$1.out" "$O/ips -j 2.$1.out" || die "--jobs 2 and --jobs 1 reports differ on the $1 case"
}

say "bench: $(grep -c . "$DIR/patterns.ere") patterns ($(tail -n 1 "$DIR/patterns.notes" | sed 's/^# //'))"
# all detectors on the noise and on loghub lines alone
case_lines noise "$D/noise.log" "$D/grep.noise.log"
case_lines loghub "$D/loghub.log" "$D/grep.loghub.log"
# one large file, --jobs 2 against --jobs 1: the same report, and the speed-up
# (1.0 while one file is read by one thread)
bytes=$(size_of "$D/noise.log")
race single ipsec-scan "$bytes" "exec $IPS '$D/noise.log'" "ips -j 2" "$bytes" "exec $IPS --jobs 2 '$D/noise.log'"
same_report single
# cron mode over the same log, all of it new (a first run; the state records
# where it stopped): --jobs 2 splits the new lines as without --state
race cron ipsec-scan "$bytes" "rm -f '$O/cron1.state'; exec $IPS --state '$O/cron1.state' '$D/noise.log'" \
	"ips -j 2" "$bytes" "rm -f '$O/cron2.state'; exec $IPS --state '$O/cron2.state' --jobs 2 '$D/noise.log'"
same_report cron
# the compressed bundles
case_bundle tar.gz "$D/bundle.tar.gz" gzip
if [ -s "$D/bundle.tar.zst" ]; then
	case_bundle tar.zst "$D/bundle.tar.zst" zstd
	# the same logs inside: the same findings (only the archive's name differs)
	for z in gz zst; do jq -c '.summary' "$O/ipsec-scan.tar.$z.out" > "$O/summary.$z"; done
	cmp -s "$O/summary.gz" "$O/summary.zst" || die "ipsec-scan reports bundle.tar.zst differently from bundle.tar.gz: $(cat "$O/summary.zst")"
else
	say "bench: skipping the zstd bundle: no zstd to make it"
fi
# EVTX: only if this ipsec-scan reads it. grep and rg have no EVTX reader: the
# records are binary XML with UTF-16 text, which no pattern matches (and rg
# -a on them grew past 18 GB in a test), so they are not run on it. The EVTX
# readers are: libevtx's evtxexport (C; renders every record to XML, which
# is what ipsec-scan did before its own reader) on every copy, and
# python-evtx's evtx_dump.py (pure Python) on one copy of the three files
# (case evtx1; ipsec-scan and evtxexport run on it too). Their XML goes to
# /dev/null; each gets one file per process, as their command lines take.
one=$(ls "$D"/evtx/*.evtx | head -n 1)
if "$IPSEC_SCAN" --input-format evtx -f json --fail-on none "$one" > /dev/null 2>&1; then
	bytes=$(cat "$D"/evtx/*.evtx | wc -c | tr -d ' ')
	printf 'for f in "$1"/*.evtx; do evtxexport -f xml "$f" || exit 2; done > /dev/null\n' > "$DIR/evtxexport-all.sh"
	printf 'for f in "$1"/*.evtx; do evtx_dump.py "$f" || exit 2; done > /dev/null\n' > "$DIR/evtx_dump-all.sh"
	set -- evtx ipsec-scan "$bytes" "exec $IPS --input-format evtx '$D/evtx'" \
		"ips -j 2" "$bytes" "exec $IPS --jobs 2 --input-format evtx '$D/evtx'"
	have evtxexport && set -- "$@" evtxexport "$bytes" "exec sh $DIR/evtxexport-all.sh '$D/evtx'"
	race "$@"
	cp "$O/ipsec-scan.evtx.out" "$O/evtx-records.json"
	same_report evtx
	mkdir -p "$D/evtx1"
	cp "$D"/evtx/1-*.evtx "$D/evtx1/"
	bytes=$(cat "$D"/evtx1/*.evtx | wc -c | tr -d ' ')
	set -- evtx1 ipsec-scan "$bytes" "exec $IPS --input-format evtx '$D/evtx1'"
	have evtxexport && set -- "$@" evtxexport "$bytes" "exec sh $DIR/evtxexport-all.sh '$D/evtx1'"
	have evtx_dump.py && set -- "$@" evtx_dump "$bytes" "exec sh $DIR/evtx_dump-all.sh '$D/evtx1'"
	race "$@"
	cp "$O/ipsec-scan.evtx1.out" "$O/evtx1-records.json"
else
	say "bench: skipping the EVTX case: $IPSEC_SCAN cannot read EVTX (--input-format evtx)"
fi
# four files: --jobs 2 against --jobs 1; the reports must be the same
bytes=$(cat "$D"/four/*.log | wc -c | tr -d ' ')
race four ipsec-scan "$bytes" "exec $IPS '$D/four'" "ips -j 2" "$bytes" "exec $IPS --jobs 2 '$D/four'"
same_report four
# one line longer than everything: memory stays bounded (grep reads all of
# it: it stops at the first match and prints the line)
case_lines longline "$D/longline.log"
# SEC on the slice, and the others on the same slice
if [ "$WITH_SEC" = 1 ] && have sec; then
	case_lines slice "$D/slice.log"
	bytes=$(size_of "$D/slice.log")
	(RUNS=$SEC_RUNS; race slice sec "$bytes" "exec sec --conf=$DIR/sec-full.conf --input='$D/slice.log' --notail --fromstart --nodetach --log=/dev/null --debug=1")
fi

# ---- callgrind: instructions per byte ------------------------------------
# ipsec-scan on the first CG_SIZE of the noise and of the loghub mix, minus
# the same command on a one-line file (start-up: rules, matcher tables)
CG=$DIR/callgrind.tsv
: > "$CG"
if [ "$WITH_CG" = 1 ] && have valgrind; then
	for c in one noise loghub; do
		# shellcheck disable=SC2086
		valgrind --tool=callgrind --callgrind-out-file="$O/callgrind.$c" $IPS "$D/cg.$c.log" \
			> /dev/null 2> "$O/callgrind.$c.err" || die "callgrind on $D/cg.$c.log failed: $(tail -n 3 "$O/callgrind.$c.err")"
		printf '%s\t%s\t%s\n' "$c" "$(size_of "$D/cg.$c.log")" "$(sed -n 's/^summary: *//p' "$O/callgrind.$c")" >> "$CG"
	done
	say "bench: callgrind: $(awk -F '\t' '{ printf "%s %.1f M instructions; ", $1, $3 / 1e6 }' "$CG")"
else
	say "bench: skipping callgrind (BENCH_CG=0 or no valgrind)"
fi

# ---- checks (smoke): the tools agree -----------------------------------------
if [ "$mode" = smoke ]; then
	for c in noise loghub; do
		# every line ipsec-scan reports is one the exported patterns match
		jq -r '[.findings[]?.line, .events[]?.line] | .[]' "$O/ipsec-scan.$c.out" | sort -n -u > "$O/ips.$c.lines"
		awk 'NR == FNR { want[$1]; next } FNR in want' "$O/ips.$c.lines" "$D/$c.log" > "$O/ips.$c.text"
		if LC_ALL=C grep -v -E -f "$DIR/patterns.ere" "$O/ips.$c.text" > "$O/missed.$c"; then
			die "grep -E misses lines ipsec-scan reports on $c: $(head -n 3 "$O/missed.$c" | cut -c 1-200)"
		fi
		# grep and rg match the same lines (on grep's share)
		if have rg; then
			rg --no-config -f "$DIR/patterns.ere" "$D/grep.$c.log" > "$O/rg.$c.check" || true
			cmp -s "$O/grep.$c.out" "$O/rg.$c.check" || die "grep -E and rg match different lines of $D/grep.$c.log"
		fi
	done
	if have sec; then
		sec --conf="$DIR/sec-full.conf" --testonly > "$O/sec.test" 2>&1 || die "sec rejects the rules: $(head -c 300 "$O/sec.test")"
	fi
	[ -s "$O/ipsec-scan.noise.out" ] || die "ipsec-scan wrote nothing"
	say "bench: checks passed ($(wc -l < "$O/ips.noise.lines") reported lines all matched by the patterns)"
fi

# ---- the table ---------------------------------------------------------------
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
mhz=$(lscpu 2>/dev/null | sed -n 's/^CPU MHz: *//p' | head -n 1)
echo
echo "machine: ${cpu:-unknown CPU}${mhz:+, ${mhz%%.*} MHz}, $(nproc) cores, $(free -g | awk '/^Mem/ { print $2 }') GiB, $(uname -sr)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews wall times)"
echo "versions: $($IPSEC_SCAN --version 2>/dev/null | head -n 1); $(grep --version | head -n 1);" \
	"$(have rg && rg --version 2>/dev/null | head -n 1)$(have sec && printf '; SEC %s' "$(sec --version 2>/dev/null | head -n 1 | awk '{ print $NF }')")"
echo "$RUNS round(s) per case (SEC: $SEC_RUNS), each running the case's tools in turn; wall and CPU (user + sys)"
echo "time: the median; RSS: the largest (GNU time %M); the ratios: the median of the rounds' ratios"
echo
# the table and the figures share the ratio: the median over the rounds of
# (the tool's MB/s / ipsec-scan's MB/s in the same round); with unequal round
# counts (SEC) the ratio of the medians
awk -F '\t' -v cgfile="$CG" '
	function median(s,   a, n, i, j, x) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	# speed of row i over speed of row k (the MB/s ratio), by rounds
	function ratio(i, k, wall,   x, y, nx, ny, j, s) {
		nx = split(wall ? W[i] : U[i], x, " ")
		ny = split(wall ? W[k] : U[k], y, " ")
		if (nx != ny) return (wall ? t[k] / t[i] : u[k] / u[i]) * b[i] / b[k]
		s = ""
		for (j = 1; j <= nx; j++) if (x[j] > 0 && y[j] > 0) s = s " " (b[i] / x[j]) / (b[k] / y[j])
		return s == "" ? -1 : median(s)
	}
	function fmt(r) { return r < 0 ? "-" : sprintf(r >= 10 ? "%.1fx" : r >= 0.1 ? "%.2fx" : "%.4fx", r) }
	function mbs(by, s) { return s > 0 ? by / 1048576 / s : 0 }
	{ tool[NR] = $1; cs[NR] = $2; b[NR] = $3; t[NR] = $4; m[NR] = $5; W[NR] = $7; P[NR] = $8; u[NR] = $9; U[NR] = $10; n = NR
	  if ($1 == "ipsec-scan") ref[$2] = NR }
	END {
		printf "| %-10s | %-8s | %8s | %7s | %7s | %7s | %8s | %7s | %12s | %10s | %6s |\n", "tool", "case", "input MB", "wall s", "MB/s", "CPU s", "MB/s CPU", "RSS MiB", "speed vs ips", "CPU vs ips", "RSS vs"
		printf "|------------|----------|----------|---------|---------|---------|----------|---------|--------------|------------|--------|\n"
		for (i = 1; i <= n; i++) {
			k = ref[cs[i]]
			printf "| %-10s | %-8s | %8.1f | %7.2f | %7.1f | %7.2f | %8.1f | %7.1f | %12s | %10s | %6s |\n", tool[i], cs[i], b[i] / 1048576, t[i], mbs(b[i], t[i]), u[i], mbs(b[i], u[i]), m[i] / 1024,
				(k ? fmt(ratio(i, k, 1)) : "-"), (k ? fmt(ratio(i, k, 0)) : "-"), (k && m[k] > 0 ? sprintf("%.1fx", m[i] / m[k]) : "-")
		}
		print ""
		print "figures (docs/performance.md, Summary): ipsec-scan --jobs 1; 9.0x grep: 9 times as fast as grep"
		for (i = 1; i <= n; i++) {
			if (tool[i] != "ipsec-scan" || cs[i] ~ /^(single|four|cron)$/) continue
			line = sprintf("  %-8s %7.1f MB/s wall, %7.1f MB/s of CPU time, peak RSS %.1f MiB", cs[i], mbs(b[i], t[i]), mbs(b[i], u[i]), m[i] / 1024)
			for (j = 1; j <= n; j++)
				if (cs[j] == cs[i] && j != i && tool[j] != "ips -j 2")
					line = line sprintf("; %s %s (CPU %s)", fmt(ratio(i, j, 1)), tool[j], fmt(ratio(i, j, 0)))
			print line
		}
		for (i = 1; i <= n; i++)
			if (tool[i] == "ips -j 2" && (k = ref[cs[i]]))
				printf "  %-8s --jobs 2 %s the speed of --jobs 1 (CPU %% by round: %s against %s), reports identical\n", cs[i], fmt(ratio(i, k, 1)), P[i], P[k]
		while ((getline l < cgfile) > 0) { split(l, f, "\t"); cgb[f[1]] = f[2]; cgi[f[1]] = f[3] }
		split("noise loghub", names, " ")
		for (j = 1; j <= 2; j++)
			if ((c = names[j]) in cgi && cgb[c] > cgb["one"])
				printf "  %-8s %.2f instructions per byte under callgrind (%.1f M on the first %.1f MB, start-up %.1f M subtracted)\n", c,
					(cgi[c] - cgi["one"]) / (cgb[c] - cgb["one"]), cgi[c] / 1e6, cgb[c] / 1048576, cgi["one"] / 1e6
	}' "$RES"
for c in evtx evtx1; do
	[ -s "$O/$c-records.json" ] || continue
	recs=$(jq '.summary.records' "$O/$c-records.json")
	awk -F '\t' -v c=$c -v n="$recs" '$2 == c && $4 > 0 && $9 > 0 { printf "  %-8s %s: %d records, %.0f records/s wall, %.0f records/s of CPU time\n", c, $1, n, n / $4, n / $9 }' "$RES"
done
echo
echo "speed vs ips: the tool's speed over ipsec-scan's on the same input (below 1: slower); 'CPU"
echo "vs ips' the same by CPU time. grep reads at most the first $GREP_MAX of each input (its input MB)."
echo "ipsec-scan runs with --jobs 1, 'ips -j 2' with --jobs 2 (targets: 1.6x on four files, 1.7x on one);"
echo "with --jobs 2 a CPU % below about 180 means other work held the second core."
echo "grep and rg print matching lines; ipsec-scan writes its JSON report; SEC runs the"
echo "detector patterns as Single rules plus the pairing and threshold rules of bench/sec.conf."
