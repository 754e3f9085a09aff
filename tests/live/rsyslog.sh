#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
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

why=$(rsyslog_ready) || { echo "SKIP rsyslog: $why"; exit 0; }
[ -n "$why" ] && echo "rsyslog: $why"
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
cleanup() {
	rsyslog_stop
	if [ -n "${KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM
PORT=$(free_port)
if ! rsyslog_start "$W" "$PORT" "$BIN" "$W/findings.ndjson" --tz UTC; then
	echo "FAIL rsyslog: rsyslogd did not start:"; cat "$W/rsyslogd.log"; exit 1
fi

fail=0
# shellcheck disable=SC2086
send_and_check rsyslog "$PORT" "$W/findings.ndjson" "" $FILES || {
	fail=1
	cat "$W/ipsec-scan.stderr" "$W/rsyslogd.log" 2>/dev/null | head -20
}
stop_and_check rsyslogd "$RSYSLOG_PID" "$W/findings.ndjson" && RSYSLOG_PID="" || fail=1
exit $fail
