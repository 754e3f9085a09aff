#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/live/run.sh - live mode (docs/live.md) without rsyslog: standard
# input streamed, --follow across growth, rotation and truncation, incidents
# closed by the event clock and by the wall clock, SIGHUP and SIGTERM, and
# the refusals. Each check names what it saw when it fails.
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh
BIN=${BIN:-$(pwd)/ipsec-scan}
W=$(mktemp -d /tmp/ipsec-scan-live.XXXXXX)
cleanup() {
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done # our own, still running
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM
fail=0
ok() { echo "ok live: $*"; }
bad() { echo "FAIL live: $*"; fail=1; }
count() { # TYPE FILE
	c=$(grep -c "^{\"type\":\"$1\"" "$2" 2>/dev/null)
	echo "${c:-0}"
}
PSK=samples/strongswan/charon-syslog-wrong-psk.log

# 1. a finding comes out while standard input is still open
mkfifo "$W/fifo"
"$BIN" -f ndjson --tz UTC --year 2025 - <"$W/fifo" >"$W/s1.ndjson" 2>"$W/s1.err" &
P=$!
exec 7>"$W/fifo"
cat "$PSK" >&7
if wait_for 30 sh -c "grep -q '\"type\":\"finding\"' '$W/s1.ndjson'"; then
	ok "stdin: the finding was written while standard input was still open"
else
	bad "stdin: no finding within 3 s of its line (stdin open)"
fi
[ "$(count summary "$W/s1.ndjson")" = 0 ] || bad "stdin: a summary before the end of input"
kill -HUP "$P" # no -o: nothing to reopen, and standard input goes on
sleep 0.3
cat "$PSK" >&7
if wait_for 30 sh -c "[ \$(grep -c '\"type\":\"finding\"' '$W/s1.ndjson') = 2 ]"; then
	ok "stdin: after SIGHUP, reading goes on"
else
	bad "stdin: no second finding after SIGHUP"
fi
exec 7>&-
wait "$P"
rc=$?
[ "$rc" = 1 ] && [ "$(count summary "$W/s1.ndjson")" = 1 ] && [ "$(count input "$W/s1.ndjson")" = 1 ] ||
	bad "stdin: at its end, expected exit 1 (an error finding) with input and summary records; rc=$rc"

# 2. streamed standard input gives the records a batch scan gives (in its own order)
stream_like_batch() { # FILE: streamed in three pieces 0.3 s apart, the batch scan's records?
	"$BIN" -f ndjson --tz UTC --year 2025 - <"$1" | LC_ALL=C sort >"$W/batch"
	(split -n l/3 --filter='cat; sleep 0.3' "$1") |
		"$BIN" -f ndjson --tz UTC --year 2025 - | LC_ALL=C sort >"$W/stream"
	cmp -s "$W/batch" "$W/stream" && return 0
	bad "stdin: streaming $1 differs from a batch scan:"
	diff "$W/batch" "$W/stream" | cut -c1-160 | head -6
	return 1
}
same=0 n=0
for f in samples/*/*.log; do
	n=$((n + 1))
	stream_like_batch "$f" && same=$((same + 1))
done
[ "$same" = "$n" ] && ok "stdin: $n samples streamed in pieces give the batch scan's records"

# 2b. ... and so do the structured Windows exports (XML, JSON, NDJSON, CSV, the text forms):
# live mode feeds the same push framers as a batch scan, UTF-16 and BOM files decoded as
# in a batch scan (split at a '\n' byte: a UTF-16 unit cut between two reads)
same=0 n=0 wide=0
for f in samples/windows/*; do
	case $(head -c 2 "$f" | od -An -tx1 | tr -d ' ') in fffe | feff | efbb) wide=$((wide + 1)) ;; esac
	n=$((n + 1))
	stream_like_batch "$f" && same=$((same + 1))
done
[ "$n" -ge 8 ] || bad "stdin: only $n structured Windows samples to stream"
[ "$wide" -ge 2 ] || bad "stdin: only $wide UTF-16 or BOM Windows samples to stream"
[ "$same" = "$n" ] && ok "stdin: $n structured Windows exports streamed in pieces give the batch scan's records"

# 3. incidents close by the event clock: a line 10 minutes later closes the first one
# (standard input is a FIFO held open by this script until the check is done)
stream_start() { # OUT ARGS...: ipsec-scan reading $W/fifo, written through fd 7
	out=$1
	shift
	"$BIN" -f ndjson "$@" - <"$W/fifo" >"$out" &
	P=$!
		exec 7>"$W/fifo"
}
stream_end() {
	exec 7>&-
	wait "$P"
}
stream_start "$W/s3.ndjson" --tz UTC --year 2025
grep 'AUTHENTICATION_FAILED' "$PSK" | head -1 >&7
sleep 1.5
[ "$(count incident "$W/s3.ndjson")" = 0 ] || bad "event clock: the incident was written too early"
echo "Nov 23 01:10:00 west charon: 01[NET] a line ten minutes later" >&7
if wait_for 30 sh -c "grep -q '\"type\":\"incident\"' '$W/s3.ndjson'"; then
	ok "event clock: the incident was written when a later line's time passed its window"
else
	bad "event clock: no incident 3 s after a line 10 minutes later (stdin open)"
fi
stream_end

# 4. ... and by the wall clock, with the incident gap and skew set to 1 s
cat >"$W/short.yaml" <<'YAML'
correlations:
  - id: related-findings
    kind: group
    gap: 1
    skew: 1
YAML
stream_start "$W/s4.ndjson" --rules "$W/short.yaml" --tz UTC --year 2025
grep 'AUTHENTICATION_FAILED' "$PSK" | head -1 >&7
if wait_for 80 sh -c "grep -q '\"type\":\"incident\"' '$W/s4.ndjson'"; then
	ok "wall clock: the incident was written about 2 s after its last finding (gap 1 s, skew 1 s)"
else
	bad "wall clock: no incident within 8 s (gap 1 s, skew 1 s, stdin open)"
fi
stream_end

# 5. --follow: starts at the end; growth, rotation (with SIGHUP for -o), truncation
cd "$W"
head -5 "$OLDPWD/$PSK" >gw.log
"$BIN" --follow --tz UTC --year 2025 -o out.ndjson gw.log 2>follow.err &
P=$!
wait_open "$P" "$W/gw.log" || bad "follow: gw.log not opened within 10 s"
[ "$(count finding out.ndjson)" = 0 ] || bad "follow: read what the file held before it started"
cat "$OLDPWD/$PSK" >>gw.log
if wait_for 30 sh -c "grep -q '\"type\":\"finding\"' out.ndjson"; then
	ok "follow: a line appended to the file was reported"
else
	bad "follow: nothing reported 3 s after appending"
fi
mv gw.log gw.log.1
mv out.ndjson out.ndjson.1
kill -HUP "$P"
cat "$OLDPWD/$PSK" >gw.log
if wait_for 30 sh -c "[ -f out.ndjson ] && grep -q '\"type\":\"finding\"' out.ndjson"; then
	ok "follow: after rotation the new file is read, and SIGHUP reopened -o"
else
	bad "follow: no finding in the reopened output 3 s after rotation"
fi
: >gw.log
sleep 0.6 # as tail -F, a truncation is seen by the size shrinking
cat "$OLDPWD/$PSK" >>gw.log
if wait_for 30 sh -c "[ \$(grep -c '\"type\":\"finding\"' out.ndjson) -ge 2 ]"; then
	ok "follow: after truncation the file is read again from its start"
else
	bad "follow: the truncated and rewritten file was not read again"
fi
grep -q 'a new file under this name' follow.err && grep -q 'truncated' follow.err ||
	bad "follow: rotation and truncation were not named on stderr: $(cat follow.err)"
kill -TERM "$P"
wait "$P"
rc=$?
[ "$rc" = 0 ] || bad "follow: SIGTERM should end with exit 0, got $rc"
if [ "$(count summary out.ndjson)" = 1 ] && [ "$(count incident out.ndjson)" -ge 1 ]; then
	ok "follow: SIGTERM closed the open incidents, wrote the summary and exited 0"
else
	bad "follow: after SIGTERM expected incidents and one summary in out.ndjson"
fi
jq -c . out.ndjson out.ndjson.1 >/dev/null 2>&1 || bad "follow: the output is not NDJSON"
cd "$OLDPWD"

# 5b. --follow of a structured format: NDJSON events (winlogbeat) appended to a followed
# file are read as ndjson, with the file's own line numbers and offsets
NDJ=samples/windows/winlogbeat.ndjson
cp "$NDJ" "$W/beat.ndjson"
before=$(wc -c <"$W/beat.ndjson")
lines=$(wc -l <"$W/beat.ndjson")
"$BIN" --follow --tz UTC --year 2025 -o "$W/s5b.ndjson" "$W/beat.ndjson" 2>"$W/s5b.err" &
P=$!
wait_open "$P" "$W/beat.ndjson" || bad "follow ndjson: beat.ndjson not opened within 10 s"
[ "$(count finding "$W/s5b.ndjson")" = 0 ] || bad "follow ndjson: read what the file held before it started"
# the first event in two writes, the second cut inside a JSON string
head -c 100 "$NDJ" >>"$W/beat.ndjson"
sleep 0.3
tail -c +101 "$NDJ" >>"$W/beat.ndjson"
if wait_for 30 sh -c "grep -q '\"type\":\"finding\"' '$W/s5b.ndjson'"; then
	ok "follow ndjson: an event appended to the file was reported"
else
	bad "follow ndjson: nothing reported 3 s after appending: $(cat "$W/s5b.err")"
fi
kill -TERM "$P"
wait "$P"
want=$("$BIN" -f ndjson --tz UTC --year 2025 "$NDJ" | jq -c --argjson o "$before" --argjson l "$lines" \
	'select(.type=="finding") | [.name, .line + $l, .offset + $o, .text]' | LC_ALL=C sort)
got=$(jq -c 'select(.type=="finding") | [.name, .line, .offset, .text]' "$W/s5b.ndjson" | LC_ALL=C sort)
if [ -n "$want" ] && [ "$want" = "$got" ]; then
	ok "follow ndjson: the findings of a batch scan, at the file's own lines and offsets"
else
	bad "follow ndjson: expected $want, got $got"
fi
fmt=$(jq -r 'select(.type=="input") | "\(.format) \(.status) \(.note)"' "$W/s5b.ndjson")
[ "$fmt" = "ndjson ok null" ] || bad "follow ndjson: the input record says '$fmt', not 'ndjson ok null'"

# 5c. --follow of a UTF-16 file (a byte order mark at its start, then lines appended
# without one): started at its end, the appended lines decoded, at the lines and
# offsets of a batch scan of the whole file; and an odd last byte on standard input
# named as a batch scan names it
head -10 "$PSK" | iconv -f UTF-8 -t UTF-16 >"$W/wide.log"
"$BIN" --follow --tz UTC --year 2025 -o "$W/s5c.ndjson" "$W/wide.log" 2>"$W/s5c.err" &
P=$!
wait_open "$P" "$W/wide.log" || bad "follow UTF-16: wide.log not opened within 10 s"
tail -n +11 "$PSK" | iconv -f UTF-8 -t UTF-16LE >>"$W/wide.log"
wait_for 30 sh -c "grep -q '\"type\":\"finding\"' '$W/s5c.ndjson'" ||
	bad "follow UTF-16: nothing reported 3 s after appending: $(cat "$W/s5c.err")"
kill -TERM "$P"
wait "$P"
want=$("$BIN" -f ndjson --tz UTC --year 2025 --fail-on none "$W/wide.log" |
	jq -c 'select(.type=="finding") | [.name, .line, .offset, .text]')
got=$(jq -c 'select(.type=="finding") | [.name, .line, .offset, .text]' "$W/s5c.ndjson")
if [ -n "$want" ] && [ "$want" = "$got" ]; then
	ok "follow UTF-16: the appended lines decoded, at a batch scan's lines and offsets"
else
	bad "follow UTF-16: expected $want, got $got"
fi
(iconv -f UTF-8 -t UTF-16 "$PSK"; printf x) >"$W/odd.log"
want=$("$BIN" -f ndjson --fail-on none "$W/odd.log" | jq -r 'select(.type=="input") | .status + " " + .error')
got=$(cat "$W/odd.log" | "$BIN" -f ndjson --fail-on none - 2>/dev/null | jq -r 'select(.type=="input") | .status + " " + .error')
case $got in
*"odd byte"*) [ "$got" = "$want" ] && ok "stdin UTF-16: an odd last byte named as in a batch scan" ||
	bad "stdin UTF-16: '$got', a batch scan says '$want'" ;;
*) bad "stdin UTF-16: an odd last byte not named: '$got'" ;;
esac

# 6. a file that does not exist yet is waited for
"$BIN" --follow --tz UTC --year 2025 "$W/later.log" >"$W/s6.ndjson" 2>"$W/s6.err" &
P=$!
# only once it says so: a file there at the start is followed from its end
# (a slow start under load would take the copy for an old file)
wait_for 100 grep -qs "waiting for it to appear" "$W/s6.err" ||
	bad "follow: no 'waiting for it to appear' for a missing file: $(cat "$W/s6.err")"
cp "$PSK" "$W/later.log"
if wait_for 30 sh -c "grep -q '\"type\":\"finding\"' '$W/s6.ndjson'"; then
	ok "follow: a file created after the start is read from its start"
else
	bad "follow: the file created later was not read: $(cat "$W/s6.err")"
fi
kill -INT "$P"
wait "$P" || bad "follow: SIGINT should end with exit 0"

# 7. refusals: exit 2 with a message
check_refused() { # WHAT ARGS...
	what=$1
	shift
	"$BIN" "$@" </dev/null >/dev/null 2>"$W/err"
	rc=$?
	if [ "$rc" = 2 ] && [ -s "$W/err" ]; then
		ok "refused: $what"
	else
		bad "refused: $what: rc=$rc $(cat "$W/err")"
	fi
}
check_refused "--follow with --format text" --follow -f text "$PSK"
check_refused "--follow with --state" --follow --state "$W/st" "$PSK"
check_refused "--follow with --summary-only" --follow --summary-only "$PSK"
check_refused "--follow on a directory" --follow samples
check_refused "--follow with a structured --input-format" --follow --input-format evtx "$PSK"
: >"$W/self.ndjson"
check_refused "--follow of its own output" --follow -o "$W/self.ndjson" "$W/self.ndjson"
exit $fail
