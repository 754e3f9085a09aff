#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/live/soak.sh - live mode fed continuously (make soak; docs/live.md).
#
#   SOAK_SECONDS  how long to feed (default 600)
#   SOAK_RATE     lines a second (default 100)
#   SOAK_SHORT=1  the short variant in make test: incidents close within
#                 seconds (gap 2 s, skew 1 s, span 5 s), so memory must be
#                 flat within the run (256 KiB of slack)
# Either way it fails unless the 99th percentile latency is under 1 s and the
# second half's highest RSS is at most the first half's plus the slack
# (1 MiB for the full run: its incidents are written after 5 minutes).
#   SOAK_VIA      rsyslog (default where rsyslog can run) or pipe
#   SOAK_BIN      the ipsec-scan to run (default ./ipsec-scan)
#
# Through rsyslog, lines go logger -> rsyslogd (imtcp, 127.0.0.1) -> omprog
# -> ipsec-scan --follow; through a pipe, straight to ipsec-scan's stdin.
# Lines: the strongSwan and libreswan syslog logs of ../shared/corpus
# (samples/ when absent), cycled.
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh
BIN=${SOAK_BIN:-$(pwd)/ipsec-scan}
SECONDS_=${SOAK_SECONDS:-600}
RATE=${SOAK_RATE:-100}
VIA=${SOAK_VIA:-rsyslog}
W=$(mktemp -d /tmp/ipsec-scan-soak.XXXXXX)
cleanup() {
	rsyslog_stop
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM

GEN=../shared/corpus/strongswan-generated
if [ -d "$GEN" ]; then
	cat "$GEN"/*--syslog/initiator.log "$GEN"/*--syslog/responder.log >"$W/lines"
else
	echo "soak: ../shared/corpus is absent: cycling samples/ lines"
	cat samples/strongswan/*.log >"$W/lines"
fi
OPTS="--tz UTC"
CHECK="--check --rss-slack 1024"
if [ "${SOAK_SHORT:-}" = 1 ]; then
	cat >"$W/short.yaml" <<'YAML'
correlations:
  - id: related-findings
    kind: group
    gap: 2
    skew: 1
    span: 5
YAML
	OPTS="$OPTS --rules $W/short.yaml"
	CHECK="--check --rss-slack 256"
fi
# Under AddressSanitizer (make asan sets SAN) freed memory waits in ASan's
# quarantine (256 MiB by default), so RSS climbs for a reason that is not
# ours: keep the quarantine small while memory is what is checked.
if [ -n "${SAN:-}" ]; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
	export ASAN_OPTIONS
fi
if [ "$VIA" = rsyslog ]; then
	if why=$(rsyslog_ready); then
		PORT=$(free_port)
		# shellcheck disable=SC2086
		rsyslog_start "$W" "$PORT" "$BIN" "$W/out.ndjson" $OPTS ||
			{ echo "soak: rsyslogd did not start"; cat "$W/rsyslogd.log"; exit 1; }
		echo "soak: via rsyslog (rsyslogd $RSYSLOG_PID, 127.0.0.1:$PORT)"
		# shellcheck disable=SC2086
		nice -n 5 python3 tests/live/soak.py --seconds "$SECONDS_" --rate "$RATE" \
			--lines "$W/lines" --out "$W/out.ndjson" --via logger --port "$PORT" \
			--rsyslog-pid "$RSYSLOG_PID" $CHECK
		exit $?
	fi
	echo "soak: rsyslog cannot run here ($why): feeding a pipe instead"
fi
# shellcheck disable=SC2086
nice -n 5 python3 tests/live/soak.py --seconds "$SECONDS_" --rate "$RATE" --lines "$W/lines" \
	--out "$W/out.ndjson" --via pipe $CHECK --cmd "$BIN" --follow $OPTS -o "$W/out.ndjson" -
