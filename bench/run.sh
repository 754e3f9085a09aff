#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench/run.sh - ipsec-scan against GNU grep, ripgrep and SEC, in one go.
#
#   sh bench/run.sh          the full benchmark (make bench): about 1 GB of
#                            log, 3 runs each, then SEC on a 10 MB slice
#   sh bench/run.sh smoke    a few MB, one run, and consistency checks
#                            (make bench-smoke): keeps this script working
#
# Environment: IPSEC_SCAN (binary, ./ipsec-scan), BENCH_GEN (build/bench-gen),
# BENCH_DIR (data, build/bench), BENCH_RUNS (3; smoke 1), BENCH_SIZE (1G;
# smoke 4M), BENCH_SEC_SLICE (10M; smoke 256k), BENCH_SEC (1; 0 skips SEC).
#
# The data is generated, deterministically (seeded), from samples/ and the
# corpus (../shared/corpus, or BENCH_CORPUS): noise lines from the loghub
# Linux, OpenSSH and Windows CBS logs and from strongSwan/libreswan debug
# logs, with 0.1% of lines that ipsec-scan reports (failures, negotiation
# events). Every tool gets the same detectors: `ipsec-scan rules list
# --patterns` turns them into EREs for grep -E and rg, and into SEC rules.
# Prints the table documented in docs/performance.md.
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
	BUNDLE_LOGS=3 BUNDLE_EACH=1M LONG=3M EVTX_COPIES=1 FOUR_EACH=1M
else
	RUNS=${BENCH_RUNS:-3} SIZE=${BENCH_SIZE:-1G} SLICE=${BENCH_SEC_SLICE:-10M}
	BUNDLE_LOGS=6 BUNDLE_EACH=40M LONG=300M EVTX_COPIES=24 FOUR_EACH=128M
fi
WITH_SEC=${BENCH_SEC:-1}
SEED=20251123

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }
mb() { # 4M / 1G / 123 -> megabytes
	case $1 in *G) echo $((${1%G} * 1024)) ;; *M) echo "${1%M}" ;; *k) echo 1 ;; *) echo $(($1 / 1048576)) ;; esac
}

[ -x "$IPSEC_SCAN" ] || die "no $IPSEC_SCAN: run make first"
[ -x "$GEN" ] || die "no $GEN: run make $GEN"
[ -d "$CORPUS/loghub" ] || die "no corpus at $CORPUS (set BENCH_CORPUS)"

# ---- tools ----------------------------------------------------------------
missing=""
[ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1 || missing="$missing time"
command -v rg >/dev/null 2>&1 || missing="$missing ripgrep"
command -v sec >/dev/null 2>&1 || missing="$missing sec"
# the EVTX readers ipsec-scan is compared with: libevtx's own exporter and python-evtx
command -v evtxexport >/dev/null 2>&1 || missing="$missing libevtx-utils"
command -v evtx_dump.py >/dev/null 2>&1 || missing="$missing python3-evtx"
for t in perl jq gzip tar awk; do command -v $t >/dev/null 2>&1 || die "needs $t"; done
if [ -n "$missing" ]; then
	if [ "$mode" = full ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
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
have() { command -v "$1" >/dev/null 2>&1; }

# ---- disk ---------------------------------------------------------------
mkdir -p "$DIR"
need=$(( $(mb "$SIZE") + $(mb "$LONG") + BUNDLE_LOGS * $(mb "$BUNDLE_EACH") + (EVTX_COPIES + 1) * 5 + $(mb "$SLICE") + 4 * $(mb "$FOUR_EACH") + 200 ))
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

gen() { # gen OUT SIZE SEED [extra args]
	out=$1 size=$2 seed=$3
	shift 3
	# shellcheck disable=SC2086
	"$GEN" -o "$out" -s "$size" -S "$seed" -R 1000 "$@" -r "$P/relevant.txt" $NOISE 2>/dev/null
}

# ---- data (kept while the inputs and parameters are the same) -------------
stamp="$SIZE $SLICE $BUNDLE_LOGS $BUNDLE_EACH $LONG $EVTX_COPIES $FOUR_EACH $SEED $(cat "$P"/*.txt bench/gen.c | cksum)"
D=$DIR/data
if [ "$(cat "$D/stamp" 2>/dev/null)" != "$stamp" ]; then
	say "bench: generating data"
	rm -rf "$D"
	mkdir -p "$D/bundle" "$D/evtx" "$D/four"
	gen "$D/noise.log" "$SIZE" $SEED
	gen "$D/slice.log" "$SLICE" $SEED # the same seed: the first lines of noise.log
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
	tar -C "$D" -czf "$D/bundle.tar.gz" bundle
	rm -rf "$D/bundle"
	i=1
	while [ $i -le $EVTX_COPIES ]; do
		for f in "$C"/evtx/*.evtx; do cp "$f" "$D/evtx/$i-$(basename "$f")"; done
		i=$((i + 1))
	done
	gen "$D/longline.log" "$LONG" $((SEED + 99)) -1
	echo "$stamp" > "$D/stamp"
fi
size_of() { wc -c < "$1" | awk '{ printf "%.1f", $1 / 1048576 }'; }

# ---- the same detectors for every tool -----------------------------------
"$IPSEC_SCAN" rules list --patterns > "$DIR/patterns.ere" 2> "$DIR/patterns.notes"
{
	cat bench/sec.conf
	awk '{ printf "\ntype=Single\nptype=RegExp\npattern=%s\ndesc=detector %d\naction=write - $0; event FINDING %d\ncontinue=TakeNext\n", $0, NR, NR }' "$DIR/patterns.ere"
} > "$DIR/sec-full.conf"

# ---- measuring -------------------------------------------------------------
O=$DIR/out
mkdir -p "$O"
RES=$DIR/results.tsv
: > "$RES"
# measure TOOL CASE INPUT_BYTES COMMAND: RUNS runs, median wall time, max RSS
measure() {
	tool=$1 case=$2 bytes=$3 cmd=$4
	times="" rss=0 r=1 cpus=""
	while [ $r -le $RUNS ]; do
		# 8 GiB of address space and 2 hours at most: a tool that runs away
		# (rg on binary data can) must not take the machine with it
		if ! /usr/bin/time -f "%e %M %P" -o "$O/time" sh -c "ulimit -v 8388608; exec timeout 7200 sh -c \"$cmd\"" \
			> "$O/$tool.$case.out" 2> "$O/$tool.$case.err"; then
			if ! grep -q . "$O/time"; then
				say "bench: $tool on $case failed: $(head -c 300 "$O/$tool.$case.err")"
				return 0
			fi
		fi
		t=$(tail -n 1 "$O/time" | awk '{ print $1 }')
		m=$(tail -n 1 "$O/time" | awk '{ print $2 }')
		cpus="$cpus $(tail -n 1 "$O/time" | awk '{ print $3 }')"
		times="$times $t"
		[ "$m" -gt "$rss" ] && rss=$m
		r=$((r + 1))
	done
	med=$(printf '%s\n' $times | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	lines=$(wc -l < "$O/$tool.$case.out")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$case" "$bytes" "$med" "$rss" "$lines" "$times" "$cpus" >> "$RES"
	say "  $tool $case: ${med}s, $((rss / 1024)) MiB"
}

# one core unless said otherwise (the default --jobs uses every core for large inputs)
IPS="$IPSEC_SCAN -f json --fail-on none --tz UTC --year 2025 --jobs 1"
GREP="env LC_ALL=C grep -E -f $DIR/patterns.ere"
RG="rg --no-config -f $DIR/patterns.ere"

case_lines() { # case_lines NAME FILE
	name=$1 f=$2 bytes=$(wc -c < "$2")
	measure ipsec-scan "$name" "$bytes" "exec $IPS '$f'"
	measure grep "$name" "$bytes" "exec $GREP '$f'"
	have rg && measure rg "$name" "$bytes" "exec $RG '$f'"
	return 0
}

say "bench: $(grep -c . "$DIR/patterns.ere") patterns ($(tail -n 1 "$DIR/patterns.notes" | sed 's/^# //'))"
case_lines noise "$D/noise.log"
# the compressed bundle: ipsec-scan reads the archive, grep and rg a gzip -dc pipe
bytes=$(gzip -dc "$D/bundle.tar.gz" | wc -c)
measure ipsec-scan bundle "$bytes" "exec $IPS '$D/bundle.tar.gz'"
measure grep bundle "$bytes" "gzip -dc '$D/bundle.tar.gz' | $GREP -a"
have rg && measure rg bundle "$bytes" "gzip -dc '$D/bundle.tar.gz' | $RG -a"
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
	bytes=$(cat "$D"/evtx/*.evtx | wc -c)
	printf 'for f in "$1"/*.evtx; do evtxexport -f xml "$f" || exit 1; done > /dev/null\n' > "$DIR/evtxexport-all.sh"
	printf 'for f in "$1"/*.evtx; do evtx_dump.py "$f" || exit 1; done > /dev/null\n' > "$DIR/evtx_dump-all.sh"
	measure ipsec-scan evtx "$bytes" "exec $IPS --input-format evtx '$D/evtx'"
	cp "$O/ipsec-scan.evtx.out" "$O/evtx-records.json"
	measure "ips -j 2" evtx "$bytes" "exec $IPS --jobs 2 --input-format evtx '$D/evtx'"
	have evtxexport && measure evtxexport evtx "$bytes" "exec sh $DIR/evtxexport-all.sh '$D/evtx'"
	mkdir -p "$D/evtx1"
	cp "$D"/evtx/1-*.evtx "$D/evtx1/"
	bytes1=$(cat "$D"/evtx1/*.evtx | wc -c)
	measure ipsec-scan evtx1 "$bytes1" "exec $IPS --input-format evtx '$D/evtx1'"
	cp "$O/ipsec-scan.evtx1.out" "$O/evtx1-records.json"
	have evtxexport && measure evtxexport evtx1 "$bytes1" "exec sh $DIR/evtxexport-all.sh '$D/evtx1'"
	have evtx_dump.py && measure evtx_dump evtx1 "$bytes1" "exec sh $DIR/evtx_dump-all.sh '$D/evtx1'"
else
	say "bench: skipping the EVTX case: $IPSEC_SCAN cannot read EVTX (--input-format evtx)"
fi
# four files: --jobs 2 against --jobs 1 (the ratio column); the reports must be the same
bytes=$(cat "$D"/four/*.log | wc -c)
measure ipsec-scan four "$bytes" "exec $IPS '$D/four'"
cp "$O/ipsec-scan.four.out" "$O/four-j1.json"
measure "ips -j 2" four "$bytes" "exec $IPS --jobs 2 '$D/four'"
cmp -s "$O/four-j1.json" "$O/ips -j 2.four.out" || die "--jobs 2 and --jobs 1 reports differ on $D/four"
# one line longer than everything: memory stays bounded
case_lines longline "$D/longline.log"
# SEC on the slice, and the others on the same slice
if [ "$WITH_SEC" = 1 ] && have sec; then
	case_lines slice "$D/slice.log"
	bytes=$(wc -c < "$D/slice.log")
	measure sec slice "$bytes" "exec sec --conf=$DIR/sec-full.conf --input='$D/slice.log' --notail --fromstart --nodetach --log=/dev/null --debug=1"
fi

# ---- checks (smoke): the tools agree -----------------------------------------
if [ "$mode" = smoke ]; then
	# every line ipsec-scan reports is one the exported patterns match
	jq -r '[.findings[]?.line, .events[]?.line] | .[]' "$O/ipsec-scan.noise.out" | sort -n -u > "$O/ips.lines"
	LC_ALL=C grep -n -E -f "$DIR/patterns.ere" "$D/noise.log" | cut -d: -f1 | sort -n -u > "$O/grep.lines"
	if [ -n "$(comm -23 "$O/ips.lines" "$O/grep.lines")" ]; then
		die "grep -E misses lines ipsec-scan reports: $(comm -23 "$O/ips.lines" "$O/grep.lines" | head -n 5 | tr '\n' ' ')"
	fi
	if have rg; then
		rg -n --no-config -f "$DIR/patterns.ere" "$D/noise.log" | cut -d: -f1 | sort -n -u > "$O/rg.lines"
		cmp -s "$O/grep.lines" "$O/rg.lines" || die "grep -E and rg match different lines"
	fi
	if have sec; then
		sec --conf="$DIR/sec-full.conf" --testonly > "$O/sec.test" 2>&1 || die "sec rejects the rules: $(head -c 300 "$O/sec.test")"
	fi
	[ -s "$O/ipsec-scan.noise.out" ] || die "ipsec-scan wrote nothing"
	say "bench: checks passed ($(wc -l < "$O/ips.lines") reported lines all matched by the patterns)"
fi

# ---- the table ---------------------------------------------------------------
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
mhz=$(lscpu 2>/dev/null | sed -n 's/^CPU MHz: *//p' | head -n 1)
echo
echo "machine: ${cpu:-unknown CPU}${mhz:+, ${mhz%%.*} MHz}, $(nproc) cores, $(free -g | awk '/^Mem/ { print $2 }') GiB, $(uname -sr)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews wall times)"
echo "versions: $($IPSEC_SCAN --version 2>/dev/null | head -n 1); $(grep --version | head -n 1);" \
	"$(have rg && rg --version | head -n 1)$(have sec && printf '; SEC %s' "$(sec --version 2>/dev/null | head -n 1 | awk '{ print $NF }')")"
echo "wall time: median of $RUNS run(s); RSS: the largest of them (GNU time %M)"
echo
awk -F '\t' '
	{ tool[NR] = $1; cs[NR] = $2; b[NR] = $3; t[NR] = $4; m[NR] = $5; n = NR
	  if ($1 == "ipsec-scan") { ref_t[$2] = $4; ref_m[$2] = $5 } }
	END {
		printf "| %-10s | %-8s | %9s | %9s | %8s | %9s | %14s | %9s |\n", "tool", "case", "input MB", "wall s", "MB/s", "RSS MiB", "speed vs ips", "RSS vs ips"
		printf "|------------|----------|-----------|-----------|----------|-----------|----------------|-----------|\n"
		for (i = 1; i <= n; i++) {
			mbs = t[i] > 0 ? b[i] / 1048576 / t[i] : 0
			r = (t[i] > 0 && ref_t[cs[i]] > 0) ? ref_t[cs[i]] / t[i] : -1
			sp = r < 0 ? "-" : sprintf(r >= 0.1 ? "%.2fx" : "%.4fx", r)
			rs = ref_m[cs[i]] > 0 ? sprintf("%.1fx", m[i] / ref_m[cs[i]]) : "-"
			printf "| %-10s | %-8s | %9.1f | %9.2f | %8.1f | %9.1f | %14s | %9s |\n", tool[i], cs[i], b[i] / 1048576, t[i], mbs, m[i] / 1024, sp, rs
		}
	}' "$RES"
echo
for c in evtx evtx1; do
	[ -s "$O/$c-records.json" ] || continue
	recs=$(jq '.summary.records' "$O/$c-records.json")
	awk -F '\t' -v c=$c -v n="$recs" '$2 == c && $4 > 0 { printf "%s on %s: %d records, %.0f records/s\n", $1, c, n, n / $4 }' "$RES"
done
echo "speed vs ips: the tool's speed over ipsec-scan's on the same input (below 1: slower);"
echo "ipsec-scan runs with --jobs 1, 'ips -j 2' with --jobs 2 (target: 1.6x on four files)."
awk -F '\t' '$2 == "four" { printf "CPU used on four files, %s:%s (100%% = one core; below about 180%% with --jobs 2, other\n", $1, $8 }' "$RES" | tail -n 1
echo "work on the machine held the second core: the kernel shares cores between sessions)."
echo "grep and rg print matching lines; ipsec-scan writes its JSON report; SEC runs the"
echo "detector patterns as Single rules plus the pairing and threshold rules of bench/sec.conf."
