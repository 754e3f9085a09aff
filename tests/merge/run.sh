#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `ipsec-scan merge` end to end (docs/scale.md):
#   - two "hosts" made from samples/ (and, where ../shared/corpus is present,
#     the initiator's and the responder's logs of every strongswan-generated
#     scenario): merging their NDJSON reports gives the same findings,
#     windows and incidents as one scan of all the logs together, in any
#     argument order, and a failure seen on both hosts becomes one incident;
#   - idempotence: merge(a,a) = merge(a), merge(merge(a),b) = merge(a,b);
#   - overlapping cron runs: the runs' reports and a full scan's merge to
#     the full scan's findings, whatever the order;
#   - --source-host keeps two machines' logs with one path apart;
#   - bad lines: named FILE:LINE, skipped, exit 3, the rest merged;
#   - live mode (a log piped to `ipsec-scan -`) writes the windows of a
#     batch scan, so a merge of either output gives the same incidents;
#   - the map/reduce shape: map (a scan per log, xargs -P) -> key by peer
#     (contrib/mapreduce/key-by-peer.jq) -> shuffle (sort) -> reduce (a
#     merge per key, xargs -P) -> a last merge equals one merge of all.
#
#   sh tests/merge/run.sh      (make merge-check, part of make test)
# VALGRIND, when set, prefixes every run of the binary.
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
CORPUS=${CORPUS:-../shared/corpus}
T=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-merge.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
pass=0 fail=0 skip=0
TAB=$(printf '\t')

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
expect() { # NAME WANT GOT
	if [ "$2" = "$3" ]; then ok; else bad "$1: expected '$2', got '$3'"; fi
}
same() { # NAME FILE1 FILE2
	if cmp -s "$2" "$3"; then ok; else bad "$1: $2 and $3 differ:"; diff "$2" "$3" | head -6; fi
}
run() { # ipsec-scan ARGS...; stderr to $T/err, status in $rc
	# shellcheck disable=SC2086
	${VALGRIND:-} "$BIN" "$@" 2>"$T/err"
	rc=$?
	[ $rc = 99 ] && bad "valgrind found errors in: ipsec-scan $*: $(head -20 "$T/err")"
	return 0
}
scan() { run -f ndjson --tz UTC --year 2025 --fail-on none "$@"; }
merge() { run merge -f ndjson --fail-on none "$@"; }
# a report without its summary line, and the summary without "events":
# merge cannot count the correlation events (they are not in NDJSON)
body() { grep -v '^{"type":"summary"' "$1"; grep '^{"type":"summary"' "$1" | jq -c 'del(.events)'; }

# two hosts -> per-host reports, their merge, and one scan of everything
two_hosts() { # NAME LISTA LISTB (files with one log path a line)
	LC_ALL=C sort "$2" "$3" >"$T/$1.all"
	# shellcheck disable=SC2046
	scan $(cat "$2") >"$T/$1.a.ndjson"
	# shellcheck disable=SC2046
	scan $(cat "$3") >"$T/$1.b.ndjson"
	# shellcheck disable=SC2046
	scan $(cat "$T/$1.all") >"$T/$1.joint.ndjson"
	merge "$T/$1.a.ndjson" "$T/$1.b.ndjson" >"$T/$1.ab.ndjson"
	expect "$1: merge exit status" 0 "$rc"
	merge "$T/$1.b.ndjson" "$T/$1.a.ndjson" >"$T/$1.ba.ndjson"
	same "$1: merge in either order" "$T/$1.ab.ndjson" "$T/$1.ba.ndjson"
	body "$T/$1.joint.ndjson" >"$T/$1.joint.body"
	body "$T/$1.ab.ndjson" >"$T/$1.ab.body"
	same "$1: merge of two hosts = one scan of both" "$T/$1.joint.body" "$T/$1.ab.body"
	n=$(grep -c '"type":"incident"' "$T/$1.ab.ndjson")
	[ "$n" -gt 0 ] && ok || bad "$1: no incidents to compare"
	# the same incidents in another format
	run merge -f json --fail-on none "$T/$1.a.ndjson" "$T/$1.b.ndjson" >"$T/$1.ab.json"
	run -f json --tz UTC --year 2025 --fail-on none $(cat "$T/$1.all") >"$T/$1.joint.json"
	expect "$1: json incidents" "$(jq -c .incidents "$T/$1.joint.json")" "$(jq -c .incidents "$T/$1.ab.json")"
	# idempotent
	merge "$T/$1.ab.ndjson" "$T/$1.ab.ndjson" "$T/$1.a.ndjson" >"$T/$1.again.ndjson"
	same "$1: merge(merge(a,b),merge(a,b),a) = merge(a,b)" "$T/$1.ab.ndjson" "$T/$1.again.ndjson"
	merge "$T/$1.a.ndjson" >"$T/$1.ma.ndjson"
	merge "$T/$1.ma.ndjson" "$T/$1.b.ndjson" >"$T/$1.mab.ndjson"
	same "$1: merge(merge(a),b) = merge(a,b)" "$T/$1.ab.ndjson" "$T/$1.mab.ndjson"
	merge - <"$T/$1.a.ndjson" >"$T/$1.stdin.ndjson"
	same "$1: standard input" "$T/$1.ma.ndjson" "$T/$1.stdin.ndjson"
}

# ---- samples/: every other file on the second host ------------------------
find samples -type f | LC_ALL=C sort | awk 'NR % 2' >"$T/s.a"
find samples -type f | LC_ALL=C sort | awk '!(NR % 2)' >"$T/s.b"
two_hosts samples "$T/s.a" "$T/s.b"

# ---- containers: a tar's and a .gz's own entries count no records ---------
# (a container's input counts its members; summary.records leaves it out in
# a scan, and so must merge)
# (members in name order, as merge orders inputs; distinct logs, as merge
# folds a record delivered twice)
tar czf "$T/bundle.tgz" --sort=name -C samples strongswan
gzip -c samples/libreswan/pluto-ts-mismatch.log >"$T/one.log.gz"
echo "$T/bundle.tgz" >"$T/k.a"
echo "$T/one.log.gz" >"$T/k.b"
two_hosts containers "$T/k.a" "$T/k.b"
expect "containers: summary.records" "$(jq -c .summary.records "$T/containers.joint.json")" \
	"$(jq -c .summary.records "$T/containers.ab.json")"

# ---- corpus: the initiator and the responder of each lab scenario ----------
GEN=$CORPUS/strongswan-generated
if [ -d "$GEN" ]; then
	find "$GEN" -name initiator.log | LC_ALL=C sort >"$T/c.a"
	find "$GEN" -name responder.log | LC_ALL=C sort >"$T/c.b"
	two_hosts corpus "$T/c.a" "$T/c.b"
	# a failure seen by both daemons is one incident: an incident with
	# findings from both hosts' logs
	both=$(jq -r -s '
		(map(select(.type == "finding") | {key: .id, value: .path}) | from_entries) as $p
		| [.[] | select(.type == "incident")
		   | [.findings[] | $p[.] | test("initiator")] | unique | length]
		| map(select(. == 2)) | length' "$T/corpus.ab.ndjson")
	[ "$both" -gt 0 ] && ok || bad "corpus: no incident joins the initiator's and the responder's findings"
	echo "merge: corpus: $(grep -c '"type":"finding"' "$T/corpus.ab.ndjson") findings, $(grep -c '"type":"incident"' "$T/corpus.ab.ndjson") incidents, $both across both hosts"
else
	echo "SKIP corpus hosts: $CORPUS is absent"
	skip=$((skip + 1))
fi

# ---- live mode writes the windows merge needs ---------------------------------
# Each log of samples/ and the corpus's strongSwan/libreswan logs, streamed
# through a pipe (live mode, docs/live.md) and scanned whole: the live
# output carries the batch scan's windows, and `merge -f json` of either
# gives the same incidents (correlation, kind, key, times, and findings in
# order). Findings are compared by line, offset and rule, since
# their ids hash the path: "(stdin)" in live mode. Each log is streamed alone
# and in its own order, so live mode's one known difference (lines far out
# of time order, docs/live.md) does not arise and no file is left out; a
# file whose live and batch outputs disagreed would fail here.
# shellcheck disable=SC2016 # $p, $bn ... are jq's own variables
LIVE_CMP='(def fid: map(select(.type == "finding") | {key: .id, value: "\(.line):\(.offset):\(.rule)"})
		| from_entries;
	def path: if . == $p or . == "(stdin)" then "PATH" else . end;
	def inc($f): [.incidents[] | {correlation, kind, first, last,
		key: (.key | map_values(path)), findings: [.findings[] | $f[.]]}];
	def win($f): [.[] | select(.type == "window") | del(.type, .source) | .path |= path
		| .key |= map_values(path) | .findings |= map($f[.])];
	($bn | fid) as $fb | ($ln | fid) as $fl
	| if ($bn | win($fb)) != ($ln | win($fl)) then "windows differ"
	  elif ($bj[0] | inc($bj[0].findings | fid)) != ($lj[0] | inc($lj[0].findings | fid))
	  then "merged incidents differ" else "same:\($lj[0].incidents | length)" end)'
# (under valgrind, samples only: 190 logs times four runs would take half an hour)
{
	ls samples/*/*.log
	if [ -d "$CORPUS" ] && [ -z "${VALGRIND:-}" ]; then
		find "$CORPUS"/strongswan-* -name '*.log'
		find "$CORPUS"/libreswan-testing -name '*.console.txt'
	fi
} 2>/dev/null | LC_ALL=C sort >"$T/live.list"
if [ ! -d "$CORPUS" ] || [ -n "${VALGRIND:-}" ]; then
	echo "SKIP live -> merge on the corpus: $CORPUS is absent or VALGRIND is set (samples only)"
	skip=$((skip + 1))
fi
nlive=0 nwin=0 ninc=0
while IFS= read -r F; do
	nlive=$((nlive + 1))
	scan "$F" >"$T/lb.ndjson"
	# shellcheck disable=SC2002 # a pipe, not a file: that is what starts live mode
	cat "$F" | run -f ndjson --tz UTC --year 2025 --fail-on none - >"$T/ll.ndjson"
	found='^{"type":"(finding|window)"'
	if ! grep -q -E "$found" "$T/lb.ndjson" && ! grep -q -E "$found" "$T/ll.ndjson"; then
		ok # nothing to merge in either (a third of the corpus: saves the merges)
		continue
	fi
	run merge -f json --fail-on none "$T/lb.ndjson" >"$T/lb.json"
	run merge -f json --fail-on none "$T/ll.ndjson" >"$T/ll.json"
	r=$(jq -n -r --arg p "$F" --slurpfile bn "$T/lb.ndjson" --slurpfile ln "$T/ll.ndjson" \
		--slurpfile bj "$T/lb.json" --slurpfile lj "$T/ll.json" "$LIVE_CMP" 2>&1)
	expect "live -> merge: $F" same "${r%:*}"
	nwin=$((nwin + $(grep -c '^{"type":"window"' "$T/ll.ndjson")))
	[ "${r%:*}" = same ] && ninc=$((ninc + ${r#same:}))
done <"$T/live.list"
[ "$nwin" -gt 0 ] && ok || bad "live -> merge: no window records in any live output"
echo "merge: live mode: $nlive logs streamed, $nwin windows, $ninc merged incidents as in batch"

# ---- overlapping cron runs -------------------------------------------------
LOG=tests/e2e/data/negotiation-markers.log
[ -f "$GEN/ikev2-wrong-psk--syslog/responder.log" ] && LOG=$GEN/ikev2-wrong-psk--syslog/responder.log
half=$(($(wc -c <"$LOG") / 2))
head -c "$half" "$LOG" >"$T/cron.log"
scan --state "$T/state" "$T/cron.log" >"$T/run1.ndjson"
tail -c +"$((half + 1))" "$LOG" >>"$T/cron.log"
scan --state "$T/state" "$T/cron.log" >"$T/run2.ndjson"
scan "$T/cron.log" >"$T/full.ndjson"
findings() { grep '"type":"finding"' "$1"; }
merge "$T/run1.ndjson" "$T/run2.ndjson" >"$T/m12.ndjson"
findings "$T/full.ndjson" >"$T/full.f"
findings "$T/m12.ndjson" >"$T/m12.f"
same "cron: two runs' findings = a full scan's" "$T/full.f" "$T/m12.f"
merge "$T/run1.ndjson" "$T/run2.ndjson" "$T/full.ndjson" >"$T/m12f.ndjson"
findings "$T/m12f.ndjson" >"$T/m12f.f"
same "cron: runs and a full scan overlap: each finding once" "$T/full.f" "$T/m12f.f"
merge "$T/full.ndjson" "$T/run2.ndjson" "$T/run1.ndjson" "$T/run2.ndjson" >"$T/mf21.ndjson"
same "cron: any order, repeats" "$T/m12f.ndjson" "$T/mf21.ndjson"

# ---- --source-host: one path on two machines --------------------------------
mkdir -p "$T/gw1" "$T/gw2"
cp samples/strongswan/charon-syslog-wrong-psk.log "$T/gw1/charon.log"
cp samples/strongswan/charon-syslog-wrong-psk.log "$T/gw2/charon.log"
(cd "$T/gw1" && ${VALGRIND:-} "$OLDPWD/$BIN" -f ndjson --fail-on none --tz UTC --source-host gw1 charon.log) >"$T/gw1.ndjson"
(cd "$T/gw2" && ${VALGRIND:-} "$OLDPWD/$BIN" -f ndjson --fail-on none --tz UTC --source-host gw2 charon.log) >"$T/gw2.ndjson"
(cd "$T/gw2" && ${VALGRIND:-} "$OLDPWD/$BIN" -f ndjson --fail-on none --tz UTC charon.log) >"$T/gw2-anon.ndjson"
(cd "$T/gw1" && ${VALGRIND:-} "$OLDPWD/$BIN" -f ndjson --fail-on none --tz UTC charon.log) >"$T/gw1-anon.ndjson"
n1=$(findings "$T/gw1.ndjson" | wc -l)
merge "$T/gw1.ndjson" "$T/gw2.ndjson" >"$T/gw.ndjson"
expect "source-host: both machines' findings kept" "$((2 * n1))" "$(findings "$T/gw.ndjson" | wc -l)"
expect "source-host: two inputs named by machine" "gw1 gw2" \
	"$(jq -r 'select(.type == "input") | .source' "$T/gw.ndjson" | tr '\n' ' ' | sed 's/ $//')"
merge "$T/gw1-anon.ndjson" "$T/gw2-anon.ndjson" >"$T/gw-anon.ndjson"
expect "no source-host: the same record on one path is one finding" "$n1" "$(findings "$T/gw-anon.ndjson" | wc -l)"

# ---- bad lines ---------------------------------------------------------------
{
	head -3 "$T/samples.a.ndjson"
	echo '{"type":"finding","id":"nothex"'
	echo 'not json at all'
	echo '[1,2]'
	echo '{"type":"finding","id":"0123456789abcdef","rule":"r","name":"N","severity":"loud","path":"p","line":1,"offset":0}'
	echo '{"no":"type"}'
	tail -n +4 "$T/samples.a.ndjson"
} >"$T/bad.ndjson"
merge "$T/bad.ndjson" >"$T/bad.out"
expect "bad lines: exit 3" 3 "$rc"
expect "bad lines: one error each, naming FILE:LINE" "4 5 6 7 8" \
	"$(sed -n 's/^[^:]*: [^:]*bad\.ndjson:\([0-9]*\): .*/\1/p' "$T/err" | tr '\n' ' ' | sed 's/ $//')"
findings "$T/bad.out" >"$T/bad.f"
findings "$T/samples.ma.ndjson" >"$T/a.f"
same "bad lines: the rest is merged" "$T/a.f" "$T/bad.f"
run merge --fail-on none "$T/no-such.ndjson" >/dev/null
expect "missing file: exit 3" 3 "$rc"
run merge --tz UTC "$T/bad.ndjson" >/dev/null
expect "scan-only option: exit 2" 2 "$rc"

# ---- map/reduce with sort as the shuffle -----------------------------------------
MR=$T/mr
mkdir -p "$MR/map" "$MR/reduce"
LC_ALL=C sort "$T/s.a" "$T/s.b" >"$MR/inputs"
[ -d "$GEN" ] && cat "$T/c.a" "$T/c.b" | LC_ALL=C sort >>"$MR/inputs"
# map: one scan per log, two at a time, keyed by peer
nl -ba -nrz -w6 "$MR/inputs" | tr -s ' ' | xargs -P 2 -L 1 sh -c \
	"${VALGRIND:-} $BIN -f ndjson --tz UTC --year 2025 --fail-on none \"\$1\" 2>/dev/null >$MR/map/\$0.ndjson; \
	 jq -r -s -f contrib/mapreduce/key-by-peer.jq $MR/map/\$0.ndjson >$MR/map/\$0.kv"
# shuffle: sort on the key; reduce: one merge per key, two at a time
cat "$MR"/map/*.kv | LC_ALL=C sort -t "$TAB" -k1,1 -s |
	awk -F '\t' -v dir="$MR/reduce" '$1 != last { n++; last = $1 }
		{ sub(/^[^\t]*\t/, ""); print > (dir "/part-" sprintf("%05d", n)) }'
ls "$MR"/reduce/part-* | xargs -P 2 -I{} sh -c \
	"${VALGRIND:-} $BIN merge -f ndjson --fail-on none {} >{}.ndjson 2>/dev/null"
merge "$MR"/reduce/*.ndjson >"$MR/final.ndjson"
merge "$MR"/map/*.ndjson >"$MR/all.ndjson"
same "map/reduce: merge of the reducers = merge of all maps" "$MR/all.ndjson" "$MR/final.ndjson"
dups=$(cat "$MR"/reduce/*.ndjson | jq -r 'select(.type == "finding") | .id' | sort | uniq -d | wc -l)
expect "map/reduce: each finding in one reducer" 0 "$dups"
expect "map/reduce: no finding lost" "$(findings "$MR/all.ndjson" | wc -l)" \
	"$(cat "$MR"/reduce/*.ndjson | jq -r 'select(.type == "finding") | .id' | sort -u | wc -l)"
echo "merge: map/reduce: $(wc -l <"$MR/inputs") logs, $(ls "$MR"/reduce/part-*[0-9] | wc -l) keys"

echo "merge checks: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
