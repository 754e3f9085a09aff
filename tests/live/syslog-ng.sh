#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/live/syslog-ng.sh - gateway lines through a real syslog-ng into
# ipsec-scan (its program() destination), as tests/live/rsyslog.sh does for
# rsyslog: syslog-ng in the foreground with its own configuration, pid,
# persist and control files, listening on 127.0.0.1 only; stopped by its PID.
# Debian's syslog-ng-core conflicts with rsyslog (both are the system
# logger), so unless syslog-ng is installed already, the package is unpacked
# under build/syslog-ng (apt-get download, dpkg -x) and run from there; only
# its libraries are installed (never removing anything). Skips with a message
# where that cannot be done.
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh
BIN=$(pwd)/ipsec-scan
SNG=$(command -v syslog-ng || true)
SNG_ENV=""
if [ -z "$SNG" ]; then
	R=$(pwd)/build/syslog-ng
	if [ ! -x "$R/usr/sbin/syslog-ng" ]; then
		echo "syslog-ng: unpacking Debian syslog-ng-core under build/syslog-ng (not installed)"
		deps=$(apt-cache depends syslog-ng-core 2>/dev/null | sed -n 's/^  Depends: \([a-z0-9][^ <]*\)$/\1/p' |
			grep -v -e '^lsb-base$' -e '^sysvinit-utils$' | tr '\n' ' ')
		rm -rf "$R.tmp" && mkdir -p "$R.tmp" &&
			(cd "$R.tmp" && apt-get download syslog-ng-core >/dev/null 2>&1) &&
			dpkg -x "$R.tmp"/syslog-ng-core_*.deb "$R.tmp/root" &&
			{ [ -z "$deps" ] || install_quietly $deps; } &&
			rm -rf "$R" && mv "$R.tmp/root" "$R" && rm -rf "$R.tmp" ||
			{ rm -rf "$R.tmp"; echo "SKIP syslog-ng: cannot download or unpack syslog-ng-core here"; exit 0; }
	fi
	SNG="$R/usr/sbin/syslog-ng"
	MODDIR=$(ls -d "$R"/usr/lib/syslog-ng/[0-9]* | head -1)
	SNG_ENV="LD_LIBRARY_PATH=$R/usr/lib/syslog-ng"
	SNG_OPTS="--module-path=$MODDIR"
fi
for t in logger ss jq; do
	command -v $t >/dev/null 2>&1 || { echo "SKIP syslog-ng: $t not found"; exit 0; }
done
GEN=../shared/corpus/strongswan-generated
if [ -d "$GEN" ]; then
	FILES="$GEN/ikev2-wrong-psk--syslog/initiator.log $GEN/libreswan-init-ikev1-wrong-psk--syslog/initiator.log"
else
	echo "syslog-ng: ../shared/corpus is absent: sending samples/ lines instead"
	FILES="samples/strongswan/charon-syslog-wrong-psk.log"
fi
W=$(mktemp -d /tmp/ipsec-scan-syslogng.XXXXXX)
PID=""
cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null
		wait_for 100 sh -c "! kill -0 $PID 2>/dev/null"
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM
PORT=$(free_port)
syslogng_conf "$W" "$PORT" "$BIN" "$W/findings.ndjson" --tz UTC >"$W/syslog-ng.conf"
env $SNG_ENV "$SNG" ${SNG_OPTS:-} -F -f "$W/syslog-ng.conf" -p "$W/syslog-ng.pid" -R "$W/syslog-ng.persist" \
	-c "$W/syslog-ng.ctl" >"$W/syslog-ng.log" 2>&1 &
PID=$!
if ! wait_for 100 sh -c "ss -ltn 2>/dev/null | grep -q '127.0.0.1:$PORT '"; then
	echo "FAIL syslog-ng: it did not start:"; cat "$W/syslog-ng.log"; exit 1
fi
fail=0
# shellcheck disable=SC2086
send_and_check syslog-ng "$PORT" "$W/findings.ndjson" --rfc3164 $FILES || {
	fail=1
	head -10 "$W/syslog-ng.log"
}
stop_and_check syslog-ng "$PID" "$W/findings.ndjson" && PID="" || fail=1
exit $fail
