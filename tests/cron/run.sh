#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Cron mode (--state) end to end: runs over logs that grow, rotate and get
# truncated between runs, and checks that every finding is reported once:
#   - three runs over a growing file report each finding once, a last line
#     still being written waits for its newline, --quiet prints nothing
#     when nothing is new;
#   - rotation by renaming (the unread rest in PATH.1, or compressed at
#     once in PATH.1.gz or a dated .xz; another file as PATH.1.gz is not
#     used), copytruncate (the rest in the copy), truncation, compression of
#     a rotated file, a directory, an unchanged archive, a structured format
#     (ndjson);
#   - a BEGIN in one run and its END in the next still pair up; a BEGIN
#     whose window elapsed in the next run is reported as unterminated;
#   - a state of version 3 (its prefix fingerprints FNV-1a, checked once) is
#     continued without reporting anything twice and written back as version 4;
#   - a corrupt, truncated or newer state file, a held lock and standard
#     input stop the run with exit 2 and a message naming the file;
#   - a report that cannot be written (exit 4) leaves the state as it was;
#   - --summary-only.
# The kill test is tests/cron/kill.sh.
#
#   sh tests/cron/run.sh       (make cron-check runs it)
# VALGRIND, when set, prefixes every run of the binary.
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
T=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-cron.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
MARKERS=tests/e2e/data/negotiation-markers.log
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
# expect NAME WANT GOT
expect() {
	if [ "$2" = "$3" ]; then ok; else bad "$1: expected '$2', got '$3'"; fi
}
scan() { # ipsec-scan with the options every run here uses; stdout, stderr to $T/err
	# shellcheck disable=SC2086
	${VALGRIND:-} "$BIN" --tz UTC --fail-on none "$@" 2>"$T/err"
	rc=$?
	[ $rc = 99 ] && bad "valgrind found errors in: ipsec-scan $*: $(head -20 "$T/err")"
	return $rc
}
ids() { jq -r 'select(.type == "finding") | .id' "$@" | sort; }
count() { grep -c . "$@" 2>/dev/null || true; }
# lines FROM TO: a syslog with a finding on every 10th line, every line unique
lines() {
	awk -v a="$1" -v b="$2" 'BEGIN { for (i = a; i <= b; i++) {
		t = 1772697600 + i
		ts = strftime("%Y-%m-%dT%H:%M:%SZ", t, 1)
		if (i % 10 == 0)
			printf "%s gw01 ikeagent[880]: peer 198.51.100.%d: authentication ended with error 13801 (seq %d)\n", ts, i % 250, i
		else
			printf "%s gw01 sshd[%d]: session opened for user%d (seq %d)\n", ts, 1000 + i, i % 30, i
	} }'
}

# ---- a growing file: each finding once -----------------------------------
D=$T/grow && mkdir -p "$D"
lines 1 30 >"$D/log"
scan --state "$D/st" -f ndjson "$D/log" >"$D/r1"
expect "grow: run 1 exit" 0 $?
lines 31 55 >>"$D/log"
printf '%s' "$(lines 56 60)" >>"$D/log" # the last line is still being written
scan --state "$D/st" -f ndjson "$D/log" >"$D/r2"
expect "grow: run 2 exit" 0 $?
expect "grow: run 2 leaves the unfinished line for later" 2 "$(ids "$D/r2" | wc -l)"
echo >>"$D/log"
lines 61 90 >>"$D/log"
scan --state "$D/st" -f ndjson "$D/log" >"$D/r3"
expect "grow: run 3 exit" 0 $?
expect "grow: run 3 line numbers are the file's" "60 70 80 90" \
	"$(jq -r 'select(.type == "finding") | .line' "$D/r3" | tr '\n' ' ' | sed 's/ $//')"
scan -f ndjson "$D/log" >"$D/full"
expect "grow: the three runs report every finding once" "$(ids "$D/full")" \
	"$(ids "$D/r1" "$D/r2" "$D/r3")"
expect "grow: the runs' records add up" 90 \
	"$(jq -s 'map(select(.type == "input") | .records) | add' "$D/r1" "$D/r2" "$D/r3")"
scan --state "$D/st" --quiet "$D/log" >"$D/r4"
expect "grow: --quiet with nothing new exits 0" 0 $?
expect "grow: --quiet with nothing new prints nothing" 0 "$(wc -c <"$D/r4")"
lines 91 100 >>"$D/log"
scan --state "$D/st" --quiet "$D/log" >"$D/r5"
expect "grow: --quiet with something new reports it" 1 "$(grep -c 'seq 100' "$D/r5")"

# ---- a state of version 3: its FNV-1a prefixes checked once ---------------
# A run over it reports nothing twice (a grown file, one only touched, a copy
# made since under another inode, a compressed one), reads again a file rewritten in place, and
# writes version 4 with each prefix as a first run computes it; the next run
# continues that hash.
D=$T/v3 && mkdir -p "$D/d"
lines 1 40 >"$D/d/log"
lines 1 20 >"$D/d/same"
lines 1 60 | sed 's/gw01/gw02/' >"$D/d/other"
lines 1 300 | sed 's/gw01/gw03/' >"$D/d/inplace"
lines 1 50 | sed 's/gw01/gw05/' >"$D/d/z"
scan --state "$D/st" -f ndjson "$D/d" >"$D/r1"
# as version 3 wrote it: the prefix the FNV-1a of the bytes before offset
python3 - "$D/st" <<'EOF'
import re, sys
out = []
for line in open(sys.argv[1]):
    m = re.match(r'input (\S+) .* offset=(\d+) ', line)
    if m:
        h = 0xcbf29ce484222325
        with open(m.group(1), 'rb') as f:
            for c in f.read(int(m.group(2))):
                h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
        line = re.sub(r' prefix=[0-9a-f]{16} ', ' prefix=%016x ' % h, line)
    out.append(line)
out[0] = 'ipsec-scan-state 3\n'
open(sys.argv[1], 'w').writelines(out)
EOF
expect "v3: the state as version 3 wrote it" "ipsec-scan-state 3" "$(head -1 "$D/st")"
lines 41 70 >>"$D/d/log"
touch -d '2020-01-01 00:00:00' "$D/d/same" # written to, no larger: checked whole
cp "$D/d/other" "$D/d/other.copy" && rm "$D/d/other"
lines 61 70 | sed 's/gw01/gw02/' >>"$D/d/other.copy"
off=$(grep -bo '(seq 150)' "$D/d/inplace" | cut -d: -f1) # past its first and last 4 KiB
printf '(seq 999)' | dd of="$D/d/inplace" bs=1 seek="$off" conv=notrunc 2>/dev/null
gzip "$D/d/z"
scan --state "$D/st" -f ndjson "$D/d" >"$D/r2"
expect "v3: run 2 exit" 0 $?
jq -r 'select(.type == "input") | .note' "$D/r2" | grep -q '^a compressed copy of .*/z, read up' ||
	bad "v3: z.gz is the compressed copy of z: $(jq -c 'select(.type == "input")' "$D/r2")"
# NAME:FINDINGS of each file
per_file() {
	jq -r 'select(.type == "finding") | .path' "$@" | sed 's|.*/||' | sort | uniq -c |
		awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 }'
}
expect "v3: run 2 reads what is new, and the file rewritten in place whole" \
	"inplace:30 log:3 other.copy:1" "$(per_file "$D/r2")"
expect "v3: the next state is version 4" "ipsec-scan-state 4" "$(head -1 "$D/st")"
# PATH PREFIX of each record, sorted; the removed files' records aside
prefixes() {
	sed -n 's/^input \([^ ]*\) .* prefix=\([0-9a-f-]*\) .*/\1 \2/p' "$1" | grep -v -e '/other ' -e '/z ' | sort
}
scan --state "$D/fresh" "$D/d" >/dev/null
expect "v3: the prefixes computed again, as a first run's" "$(prefixes "$D/fresh")" \
	"$(prefixes "$D/st")"
lines 71 97 >>"$D/d/log"
scan --state "$D/st" -f ndjson "$D/d" >"$D/r3"
expect "v3: run 3 continues" "log:2" "$(per_file "$D/r3")"
rm -f "$D/fresh"
scan --state "$D/fresh" "$D/d" >/dev/null
expect "v3: a grown file's prefix continued, as a first run's" "$(prefixes "$D/fresh")" \
	"$(prefixes "$D/st")"
# a record no run touched since (its file is gone) is written without its prefix
expect "v3: the prefixes left unknown" "$D/d/other $D/d/z" \
	"$(sed -n 's/^input \([^ ]*\) .* prefix=- .*/\1/p' "$D/st" | sort | tr '\n' ' ' | sed 's/ $//')"

# ---- rotation: rename to .1 with an unread rest, a new file ----------------
D=$T/rotate && L=$D/logs && mkdir -p "$L"
lines 1 20 >"$L/log"
scan --state "$D/st" -f ndjson "$L/log" >"$D/r1"
lines 21 40 >>"$L/log"        # written after the run ...
mv "$L/log" "$L/log.1"        # ... then rotated
lines 41 60 >"$L/log"
scan --state "$D/st" -f ndjson "$L/log" >"$D/r2"
expect "rotate: exit" 0 $?
expect "rotate: the rest of log.1, then the new log" "$L/log.1 20 $L/log 20" \
	"$(jq -r 'select(.type == "input") | "\(.path) \(.records)"' "$D/r2" | tr '\n' ' ' | sed 's/ $//')"
expect "rotate: every finding once" "$(seq 10 10 60 | sed 's/^/seq /')" \
	"$(jq -r 'select(.type == "finding") | .text' "$D/r1" "$D/r2" | sed 's/.*(\(seq [0-9]*\))/\1/')"
jq -r 'select(.type == "input") | .note' "$D/r2" | grep -q "rotated: the rest of" ||
	bad "rotate: the .1 entry says why it is read"
# the directory holds log and log.1, both read: nothing again
scan --state "$D/st" -f ndjson "$L" >"$D/r3"
expect "rotate: a directory scan after it finds nothing new" "" "$(ids "$D/r3")"
# compressed the next time round (logrotate's compress), with the live file grown
lines 61 70 >>"$L/log"
mv "$L/log.1" "$L/log.2" && gzip -n "$L/log.2"
mv "$L/log" "$L/log.1"
lines 71 80 >"$L/log"
scan --state "$D/st" -f ndjson "$L" >"$D/r4"
expect "rotate: compressed and renamed files are not read again" "seq 70 seq 80" \
	"$(jq -r 'select(.type == "finding") | .text' "$D/r4" | sed 's/.*(\(seq [0-9]*\))/\1/' | tr '\n' ' ' | sed 's/ $//')"
scan --state "$D/st" -f ndjson "$L" >"$D/r5"
jq -r 'select(.type == "input" and (.path | endswith(".gz"))) | .note' "$D/r5" |
	grep -q "unchanged since the last run" || bad "rotate: an unchanged archive is noted"
expect "rotate: an unchanged archive has no records" 0 \
	"$(jq -r 'select(.type == "input" and (.path | endswith(".gz"))) | .records' "$D/r5")"
expect "rotate: nothing new at all" "" "$(ids "$D/r5")"

# ---- rotation with compress and no delaycompress: the rest in log.1.gz -------
D=$T/rotate-gz && L=$D/logs && mkdir -p "$L"
lines 1 20 >"$L/log"
scan --state "$D/st" -f ndjson "$L/log" >"$D/r1"
lines 21 40 >>"$L/log"                            # written after the run ...
mv "$L/log" "$L/log.1" && gzip -n "$L/log.1"      # ... then rotated and compressed at once
lines 41 60 >"$L/log"                             # logrotate's create: a new file
scan --state "$D/st" -f ndjson "$L/log" >"$D/r2"
expect "rotate-gz: exit" 0 $?
expect "rotate-gz: the rest of log.1.gz, then the new log" "$L/log.1.gz 20 $L/log 20" \
	"$(jq -r 'select(.type == "input") | "\(.path) \(.records)"' "$D/r2" | tr '\n' ' ' | sed 's/ $//')"
expect "rotate-gz: run 2 reports the appended lines' findings and the new file's" \
	"seq 30 seq 40 seq 50 seq 60" \
	"$(jq -r 'select(.type == "finding") | .text' "$D/r2" | sed 's/.*(\(seq [0-9]*\))/\1/' | tr '\n' ' ' | sed 's/ $//')"
expect "rotate-gz: the file's line numbers" "30 40" \
	"$(jq -r 'select(.type == "finding" and (.path | endswith(".gz"))) | .line' "$D/r2" | tr '\n' ' ' | sed 's/ $//')"
expect "rotate-gz: every finding once" "$(seq 10 10 60 | sed 's/^/seq /')" \
	"$(jq -r 'select(.type == "finding") | .text' "$D/r1" "$D/r2" | sed 's/.*(\(seq [0-9]*\))/\1/')"
jq -r 'select(.type == "input" and (.path | endswith(".gz"))) | .note' "$D/r2" |
	grep -q "rotated: the rest of $L/log's previous file, from line 21" ||
	bad "rotate-gz: the .1.gz entry says why it is read"
# the directory holds log and log.1.gz, both read: nothing again
scan --state "$D/st" -f ndjson "$L" >"$D/r3"
expect "rotate-gz: a directory scan after it finds nothing new" "" "$(ids "$D/r3")"
# dateext and xz: log-20261123.xz
D=$T/rotate-xz && L=$D/logs && mkdir -p "$L"
if command -v xz >/dev/null 2>&1; then
	lines 1 20 >"$L/log"
	scan --state "$D/st" -f ndjson "$L/log" >"$D/r1"
	lines 21 30 >>"$L/log"
	mv "$L/log" "$L/log-20261123" && xz "$L/log-20261123"
	lines 31 40 >"$L/log"
	scan --state "$D/st" -f ndjson "$L/log" >"$D/r2"
	expect "rotate-xz: the rest of log-20261123.xz, then the new log" \
		"$L/log-20261123.xz seq 30 $L/log seq 40" \
		"$(jq -r 'select(.type == "finding") | "\(.path) \(.text)"' "$D/r2" | sed 's/ 20.*(\(seq [0-9]*\))/ \1/' | tr '\n' ' ' | sed 's/ $//')"
else
	echo "SKIP rotate-xz: no xz here"
fi
# log.1.gz is some other file (other first bytes): not the previous file's rest
D=$T/rotate-gz-other && L=$D/logs && mkdir -p "$L"
lines 1 20 >"$L/log"
scan --state "$D/st" -f ndjson "$L/log" >"$D/r1"
lines 21 40 >>"$L/log"
mv "$L/log" "$D/gone"                             # the previous file is not beside it
lines 101 120 | gzip -n >"$L/log.1.gz"            # another file under the name
lines 41 60 >"$L/log"
scan --state "$D/st" -f ndjson "$L/log" >"$D/r2"
expect "rotate-gz-other: exit" 0 $?
expect "rotate-gz-other: only the new log is read" "$L/log 20" \
	"$(jq -r 'select(.type == "input") | "\(.path) \(.records)"' "$D/r2" | tr '\n' ' ' | sed 's/ $//')"
expect "rotate-gz-other: only the new log's findings" "seq 50 seq 60" \
	"$(jq -r 'select(.type == "finding") | .text' "$D/r2" | sed 's/.*(\(seq [0-9]*\))/\1/' | tr '\n' ' ' | sed 's/ $//')"

# ---- copytruncate -----------------------------------------------------------
D=$T/copytruncate && mkdir -p "$D"
lines 1 20 >"$D/log"
scan --state "$D/st" -f ndjson "$D/log" >"$D/r1"
lines 21 30 >>"$D/log"
cp "$D/log" "$D/log.1" && : >"$D/log" # logrotate copytruncate
lines 31 40 >>"$D/log"
scan --state "$D/st" -f ndjson "$D/log" >"$D/r2"
expect "copytruncate: the rest of the copy, then the truncated log" "$D/log.1 10 $D/log 10" \
	"$(jq -r 'select(.type == "input") | "\(.path) \(.records)"' "$D/r2" | tr '\n' ' ' | sed 's/ $//')"
expect "copytruncate: every finding once" "seq 10 seq 20 seq 30 seq 40" \
	"$(jq -r 'select(.type == "finding") | .text' "$D/r1" "$D/r2" | sed 's/.*(\(seq [0-9]*\))/\1/' | tr '\n' ' ' | sed 's/ $//')"
# truncated with no copy beside it: read from the start
: >"$D/log" && rm "$D/log.1"
lines 41 50 >>"$D/log"
scan --state "$D/st" -f ndjson "$D/log" >"$D/r3"
expect "truncate: read from the start" "seq 50" \
	"$(jq -r 'select(.type == "finding") | .text' "$D/r3" | sed 's/.*(\(seq [0-9]*\))/\1/')"
jq -r 'select(.type == "input") | .note' "$D/r3" | grep -q "truncated\|first bytes changed" ||
	bad "truncate: the entry says why it is read from the start"

# ---- rewritten in place, same size, mtime restored: read again -------------
# bytes in the middle change (neither the first 4 KiB nor the 4 KiB before where
# the run stopped), the size stays, touch -r puts the modification time back:
# only the inode change time (which no user can set) tells
D=$T/inplace && mkdir -p "$D"
lines 1 300 >"$D/log"
scan --state "$D/st" -f ndjson "$D/log" >"$D/r1"
touch -r "$D/log" "$D/ref"
off=$(grep -bo '(seq 150)' "$D/log" | cut -d: -f1)
printf '(seq 999)' | dd of="$D/log" bs=1 seek="$off" conv=notrunc 2>/dev/null
touch -r "$D/ref" "$D/log"
scan --state "$D/st" -f ndjson "$D/log" >"$D/r2"
jq -r 'select(.type == "finding") | .text' "$D/r2" | grep -q '(seq 999)' ||
	bad "in-place rewrite, same size and mtime: the new record is reported"
jq -r 'select(.type == "input") | .note' "$D/r2" | grep -q "first bytes changed" ||
	bad "in-place rewrite: the entry says why it is read again"
# a file only touched (chmod, a rename back and forth: its ctime changes, not its
# bytes) is checked by all its bytes and continues where it stopped
chmod 600 "$D/log"
scan --state "$D/st" -f ndjson "$D/log" >"$D/r3"
expect "ctime changed, bytes the same: nothing again" 0 "$(jq -r 'select(.type == "finding") | .id' "$D/r3" | count)"

# ---- a structured format cannot resume: read again, reported once -----------
D=$T/ndjson && mkdir -p "$D"
for i in 1 2 3 4; do
	printf '{"@timestamp":"2026-03-05T07:58:1%dZ","host":{"name":"CLIENT01"},"message":"IKE failed, error 13801 (seq %d)"}\n' "$i" "$i"
done >"$D/all"
head -2 "$D/all" >"$D/w.ndjson"
scan --state "$D/st" -f ndjson "$D/w.ndjson" >"$D/r1"
tail -2 "$D/all" >>"$D/w.ndjson"
scan --state "$D/st" -f ndjson "$D/w.ndjson" >"$D/r2"
scan -f ndjson "$D/w.ndjson" >"$D/full"
expect "ndjson: format" ndjson "$(jq -r 'select(.type == "input") | .format' "$D/r2")"
expect "ndjson: every finding once" "$(ids "$D/full")" "$(ids "$D/r1" "$D/r2")"
expect "ndjson: 2 findings in each run" "2 2" "$(ids "$D/r1" | wc -l) $(ids "$D/r2" | wc -l)"

# ---- open windows carry over ------------------------------------------------
D=$T/windows && mkdir -p "$D"
sed -n 1,2p "$MARKERS" >"$D/log"    # BEGIN, a failure
scan --state "$D/st" -f json "$D/log" >"$D/r1"
expect "windows: a BEGIN whose window is open is not unterminated" "group" \
	"$(jq -r '[.incidents[].kind] | join(" ")' "$D/r1")"
grep -q '^window ike-negotiation type=0 key=peer=203.0.113.45 ' "$D/st" ||
	bad "windows: the open BEGIN is in the state"
sed -n 3,4p "$MARKERS" >>"$D/log"   # a failure, END
scan --state "$D/st" -f json "$D/log" >"$D/r2"
expect "windows: BEGIN of run 1 and END of run 2 bracket a negotiation" "negotiation 2026-03-05T07:58:10Z" \
	"$(jq -r '.incidents[] | "\(.kind) \(.first)"' "$D/r2")"
expect "windows: its finding is run 2's" 3 "$(jq -r '.findings[].line' "$D/r2")"
grep -q '^window' "$D/st" && bad "windows: a closed window stays in the state"
sed -n 7,8p "$MARKERS" >>"$D/log"   # BEGIN for another peer, a failure
scan --state "$D/st" -f json "$D/log" >"$D/r3"
expect "windows: no unterminated yet" "" "$(jq -r '.incidents[] | select(.kind == "unterminated") | .kind' "$D/r3")"
sed -n 9,10p "$MARKERS" >>"$D/log"  # ten minutes later: its window elapsed
scan --state "$D/st" -f json "$D/log" >"$D/r4"
expect "windows: the BEGIN of run 3 is unterminated in run 4" "unterminated 5 2026-03-05T08:10:00Z" \
	"$(jq -r '.incidents[] | select(.kind == "unterminated") | "\(.kind) \(.line) \(.first)"' "$D/r4")"
grep -q '^window' "$D/st" && bad "windows: an elapsed window stays in the state"

# ---- the state file: corrupt, truncated, newer, locked; stdin ---------------
D=$T/bad && mkdir -p "$D"
lines 1 10 >"$D/log"
printf 'garbage\n' >"$D/st1"
scan --state "$D/st1" "$D/log" >/dev/null
expect "corrupt state: exit" 2 $?
grep -q "unusable state file $D/st1" "$T/err" || bad "corrupt state: message names the file: $(cat "$T/err")"
expect "corrupt state: left as it was" garbage "$(cat "$D/st1")"
scan --state "$D/st2" "$D/log" >/dev/null && head -c 40 "$D/st2" >"$D/st2.cut" && mv "$D/st2.cut" "$D/st2"
scan --state "$D/st2" "$D/log" >/dev/null
expect "truncated state: exit" 2 $?
grep -q "$D/st2.*truncated file" "$T/err" || bad "truncated state: message: $(cat "$T/err")"
printf 'ipsec-scan-state 7\nend\n' >"$D/st3"
scan --state "$D/st3" "$D/log" >/dev/null
expect "newer state: exit" 2 $?
grep -q "$D/st3.*newer ipsec-scan" "$T/err" || bad "newer state: message: $(cat "$T/err")"
: | scan --state "$D/st4" - >/dev/null
expect "stdin: exit" 2 $?
grep -q "standard input" "$T/err" || bad "stdin: message: $(cat "$T/err")"
[ -e "$D/st4" ] && bad "stdin: no state is written"
mkdir -p "$D/ro" && scan --state "$D/nodir/st" "$D/log" >/dev/null
expect "state in a missing directory: exit" 2 $?
# two runs at once: the first waits on a FIFO while it holds the lock
mkfifo "$D/fifo"
${VALGRIND:-} "$BIN" --tz UTC --state "$D/st5" "$D/fifo" >/dev/null 2>&1 &
first=$!
i=0
while [ "$(cat "$D/st5.lock" 2>/dev/null)" != "$first" ] && [ $i -lt 600 ]; do
	sleep 0.1; i=$((i + 1))
done
scan --state "$D/st5" "$D/log" >/dev/null
expect "lock held: exit" 2 $?
grep -q "another ipsec-scan run holds the lock $D/st5.lock (pid $first)" "$T/err" ||
	bad "lock held: message: $(cat "$T/err")"
: >"$D/fifo" # let the first run finish
wait $first
expect "lock held: the first run finishes" 0 $?
scan --state "$D/st5" "$D/log" >/dev/null
expect "lock released: exit" 0 $?

# ---- a report that cannot be written leaves the state alone -----------------
D=$T/disk-full && mkdir -p "$D"
lines 1 10 >"$D/log"
scan --state "$D/st" -f ndjson "$D/log" >"$D/r1"
lines 11 20 >>"$D/log"
cp "$D/st" "$D/st.before"
if [ -w /dev/full ]; then
	scan --state "$D/st" -f ndjson -o /dev/full "$D/log"
	expect "disk full: exit" 4 $?
	cmp -s "$D/st" "$D/st.before" || bad "disk full: the state was saved"
	ls "$D" | grep -q 'st\.tmp\.' && bad "disk full: a temporary state file is left"
else
	echo "SKIP disk full: /dev/full is not writable here"
fi
scan --state "$D/st" -f ndjson -o "$D/r2" "$D/log"
expect "disk full: the next run reports what the failed one could not" "seq 20" \
	"$(jq -r 'select(.type == "finding") | .text' "$D/r2" | sed 's/.*(\(seq [0-9]*\))/\1/')"
# a run killed after writing its temporary state: the file is removed, the state is the old one
cp "$D/st" "$D/st.tmp.99999"
scan --state "$D/st" -f ndjson "$D/log" >/dev/null
[ -e "$D/st.tmp.99999" ] && bad "a stale temporary state file is removed"

# ---- the state and the report inside a scanned directory are not logs ------
D=$T/own && mkdir -p "$D"
lines 1 10 >"$D/log"
scan --state "$D/st" --quiet -f ndjson "$D" >>"$D/report.ndjson"
lines 11 20 >>"$D/log"
scan --state "$D/st" --quiet -f ndjson "$D" >>"$D/report.ndjson"
scan --state "$D/st" -f ndjson -o "$D/last.ndjson" "$D" >/dev/null
scan --state "$D/st" -f ndjson -o "$D/last.ndjson" "$D" >/dev/null
expect "own files: only the log is read" "$D/log" \
	"$(jq -r 'select(.type == "input") | .path' "$D/last.ndjson" | grep -v 'report.ndjson$')"
expect "own files: each finding once in the appended report" "seq 10 seq 20" \
	"$(jq -r 'select(.type == "finding") | .text' "$D/report.ndjson" | sed 's/.*(\(seq [0-9]*\))/\1/' | tr '\n' ' ' | sed 's/ $//')"

# ---- --summary-only ------------------------------------------------------------
D=$T/summary && mkdir -p "$D"
cp "$MARKERS" "$D/log"
scan --state "$D/st" --summary-only "$D/log" >"$D/r1"
expect "summary-only: one line per incident and the summary" \
	"$(($(scan -f json "$D/log" | jq '.incidents | length') + 1))" "$(count "$D/r1")"
tail -1 "$D/r1" | grep -q '^Summary: ' || bad "summary-only: ends with the summary line"
head -1 "$D/r1" | grep -q '^ERROR  *2026-03-05T07:58:10Z  cert-missing: ERROR_IPSEC_IKE_NO_CERT for peer 203.0.113.45' ||
	bad "summary-only: first line: $(head -1 "$D/r1")"
scan --state "$D/st" --summary-only --quiet "$D/log" >"$D/r2"
expect "summary-only --quiet with nothing new" 0 "$(wc -c <"$D/r2")"
scan --summary-only -f json "$D/log" >/dev/null
expect "summary-only with -f json is a usage error" 2 $?

echo "cron: $pass passed, $fail failed"
[ $fail = 0 ]
