#!/bin/sh
# tests/live/rsyslog.sh - gateway lines through a real rsyslog into ipsec-scan.
#
# Starts rsyslogd as an ordinary foreground process (-n) with its own
# configuration, pid file and work directory: imudp and imtcp bound to
# 127.0.0.1 on a free port, omprog running ./ipsec-scan in live mode (one
# message per line on its standard input, NDJSON to a file). Real strongSwan
# and libreswan syslog lines from ../shared/corpus (samples/ when absent)
# are sent with logger over TCP and UDP; the findings ipsec-scan writes must
# be the ones a batch scan of the same lines gives. The rsyslogd started
# here is stopped by its PID; the machine's own syslog is never touched.
#
# Debian's rsyslog is installed when missing, with a policy-rc.d that stops
# the package from starting its system daemon. Skips (exit 0, with a
# message) where rsyslog cannot be installed.
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh
BIN=$(pwd)/ipsec-scan

if ! command -v rsyslogd >/dev/null 2>&1 && [ ! -x /usr/sbin/rsyslogd ]; then
	echo "rsyslog: installing Debian rsyslog (its daemon is not started)"
	install_quietly rsyslog || { echo "SKIP rsyslog: rsyslog is not installed and cannot be installed here"; exit 0; }
fi
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
for m in imudp imtcp omprog; do
	found=""
	for so in /usr/lib/*/rsyslog/$m.so /usr/lib/rsyslog/$m.so; do
		[ -e "$so" ] && found=1
	done
	[ -n "$found" ] || { echo "SKIP rsyslog: rsyslog module $m not found"; exit 0; }
done
command -v logger >/dev/null 2>&1 || { echo "SKIP rsyslog: logger (bsdutils) not found"; exit 0; }
command -v jq >/dev/null 2>&1 || { echo "SKIP rsyslog: jq not found"; exit 0; }

GEN=../shared/corpus/strongswan-generated
if [ -d "$GEN" ]; then
	FILES="$GEN/ikev2-wrong-psk--syslog/initiator.log $GEN/ikev2-peer-down--syslog/initiator.log
	       $GEN/libreswan-init-ikev1-wrong-psk--syslog/initiator.log"
else
	echo "rsyslog: ../shared/corpus is absent: sending samples/ lines instead"
	FILES="samples/strongswan/charon-syslog-wrong-psk.log"
fi

W=$(mktemp -d /tmp/ipsec-scan-rsyslog.XXXXXX)
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait_for 50 sh -c "! kill -0 $PID 2>/dev/null"
	if [ -n "${KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT INT TERM
mkdir "$W/spool"
PORT=$(free_port)
# the tested configuration of docs/live.md, with this test's paths and port
cat >"$W/rsyslog.conf" <<CONF
global(workDirectory="$W/spool")
module(load="imudp")
module(load="imtcp")
module(load="omprog")
# one message per line: time with its zone, host, program, message
template(name="ipsec-scan" type="string"
	 string="%timereported:::date-rfc3339% %hostname% %programname%:%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n")
input(type="imudp" address="127.0.0.1" port="$PORT" ruleset="ipsec")
input(type="imtcp" address="127.0.0.1" port="$PORT" ruleset="ipsec")
ruleset(name="ipsec") {
	action(type="omprog" name="ipsec-scan" template="ipsec-scan"
	       binary="$BIN --follow --tz UTC -o $W/findings.ndjson -"
	       output="$W/ipsec-scan.stderr" signalOnClose="on" killUnresponsive="on")
}
CONF
"$RSYSLOGD" -n -f "$W/rsyslog.conf" -i "$W/rsyslogd.pid" >"$W/rsyslogd.log" 2>&1 &
PID=$!
# ready when it listens on the TCP port
if ! wait_for 100 sh -c "ss -ltn 2>/dev/null | grep -q '127.0.0.1:$PORT '"; then
	echo "FAIL rsyslog: rsyslogd did not start:"; cat "$W/rsyslogd.log"; exit 1
fi

fail=0
proto=tcp
: >"$W/expected.log"
for f in $FILES; do
	cat "$f" >>"$W/expected.log"
	t0=$(date +%s.%N)
	send_syslog_lines $proto "$PORT" "$f" || { echo "FAIL rsyslog: logger failed"; fail=1; }
	proto=udp
done
# what a batch scan of the same lines finds
"$BIN" -f ndjson --tz UTC --year 2025 $FILES | finding_names /dev/stdin >"$W/want"
nwant=$(wc -l <"$W/want")
got_all() { [ -f "$W/findings.ndjson" ] && [ "$(finding_names "$W/findings.ndjson" | wc -l)" -ge "$nwant" ]; }
if wait_for 150 got_all; then
	t1=$(date +%s.%N)
	finding_names "$W/findings.ndjson" >"$W/got"
	if cmp -s "$W/want" "$W/got"; then
		echo "ok rsyslog: $nwant findings through rsyslog omprog (tcp and udp), the same names as a batch scan"
	else
		echo "FAIL rsyslog: findings differ from a batch scan of the same lines:"
		diff "$W/want" "$W/got" | head -20
		fail=1
	fi
else
	echo "FAIL rsyslog: expected $nwant findings within 15 s, got $(finding_names "$W/findings.ndjson" 2>/dev/null | wc -l)"
	cat "$W/ipsec-scan.stderr" "$W/rsyslogd.log" 2>/dev/null | head -20
	fail=1
fi
if ! jq -c . "$W/findings.ndjson" >/dev/null 2>&1; then
	echo "FAIL rsyslog: the output is not NDJSON"; fail=1
fi
# stop rsyslogd: it closes ipsec-scan's stdin, which writes the rest and ends
kill "$PID"
if wait_for 100 sh -c "! kill -0 $PID 2>/dev/null"; then
	PID=""
	if wait_for 50 sh -c "grep -q '\"type\":\"summary\"' '$W/findings.ndjson'"; then
		echo "ok rsyslog: rsyslogd stopped by its PID; ipsec-scan closed its incidents and wrote its summary"
	else
		echo "FAIL rsyslog: no summary after rsyslogd stopped"; fail=1
	fi
else
	echo "FAIL rsyslog: rsyslogd $PID did not stop"; fail=1
fi
exit $fail
