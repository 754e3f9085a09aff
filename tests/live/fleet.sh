#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/live/fleet.sh - a fleet on rsyslog (docs/scale.md, "A fleet on rsyslog"):
# messages of six gateways go to a real rsyslogd, which partitions them by
# a hash of the host name (fmhash's hash64mod) to two omprog instances of
# `ipsec-scan --follow`, each writing its own NDJSON; then `ipsec-scan merge`
# combines them. Two gateways' messages are delivered twice (as rsyslog does
# when it retries an action after a restart). Checked:
#   - each host's findings land in one partition, and both partitions are used;
#   - the partitions together hold every finding, the redelivered ones twice;
#   - the merge holds each finding once: by name and host, the findings a
#     whole-run scan of the six gateways' lines gives, and a note counts the
#     copies it dropped (same host, time, rule and text: run/merge.c).
# Skips (exit 0, with a message) where rsyslog or its fmhash module is missing
# and cannot be installed. The rsyslogd started here is stopped by its PID.
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh
BIN=$(pwd)/ipsec-scan

why=$(rsyslog_ready) || { echo "SKIP fleet: $why"; exit 0; }
[ -n "$why" ] && echo "fleet: $why"
found=""
for so in /usr/lib/*/rsyslog/fmhash.so /usr/lib/rsyslog/fmhash.so; do
	[ -e "$so" ] && found=1
done
[ -n "$found" ] || { echo "SKIP fleet: rsyslog's fmhash module (hash64mod) is missing"; exit 0; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP fleet: python3 not found"; exit 0; }

W=$(mktemp -d /tmp/ipsec-scan-fleet.XXXXXX)
cleanup() {
	rsyslog_stop
	if [ -n "${KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM
fail=0
ok() { echo "ok fleet: $*"; }
bad() { echo "FAIL fleet: $*"; fail=1; }

# six gateways: the sample's syslog lines under each name
mkdir -p "$W/hosts" "$W/spool"
for h in gw1 gw2 gw3 gw4 gw5 gw6; do
	sed "s/^\([A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]\{8\}\) [^ ]* /\1 $h /" \
		samples/strongswan/charon-syslog-wrong-psk.log >"$W/hosts/$h.log"
done

PORT=$(free_port)
template='%timereported:::date-rfc3339% %hostname% %programname%:%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n'
cat >"$W/rsyslog.conf" <<CONF
global(workDirectory="$W/spool")
module(load="imtcp")
module(load="omprog")
module(load="fmhash")
template(name="ipsec-scan" type="string" string="$template")
input(type="imtcp" address="127.0.0.1" port="$PORT" ruleset="fleet")
ruleset(name="fleet") {
	# the same host always goes to the same instance, so its negotiations stay whole
	if (hash64mod(\$hostname, 2) == 0) then {
		action(type="omprog" name="ipsec-scan-0" template="ipsec-scan"
		       binary="$BIN --follow --tz UTC -o $W/part-0.ndjson -"
		       output="$W/part-0.stderr" signalOnClose="on" killUnresponsive="on")
	} else {
		action(type="omprog" name="ipsec-scan-1" template="ipsec-scan"
		       binary="$BIN --follow --tz UTC -o $W/part-1.ndjson -"
		       output="$W/part-1.stderr" signalOnClose="on" killUnresponsive="on")
	}
}
CONF
rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
"$rsyslogd" -n -f "$W/rsyslog.conf" -i "$W/rsyslogd.pid" >"$W/rsyslogd.log" 2>&1 &
RSYSLOG_PID=$!
if ! wait_for 100 sh -c "ss -ltn 2>/dev/null | grep -q '127.0.0.1:$PORT '"; then
	echo "FAIL fleet: rsyslogd did not start:"; cat "$W/rsyslogd.log"; exit 1
fi

# RFC 3164 messages over TCP, one a line, the host named in each; gw1 and
# gw4 twice (a redelivery)
send() { # FILE...
	python3 - "$PORT" "$@" <<'PY'
import socket, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
for path in sys.argv[2:]:
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line:
            s.sendall(("<30>" + line + "\n").encode())
s.close()
PY
}
send "$W"/hosts/*.log || bad "sending failed"
send "$W/hosts/gw1.log" "$W/hosts/gw4.log" || bad "sending again failed"

"$BIN" -f json --fail-on none --tz UTC "$W"/hosts/*.log >"$W/want.json"
want=$(jq '.findings | length' "$W/want.json")
twice=$(jq '[.findings[] | select(.host == "gw1" or .host == "gw4")] | length' "$W/want.json")
count() { cat "$W"/part-*.ndjson 2>/dev/null | grep -c '"type":"finding"'; }
enough() { [ "$(count)" -ge $((want + twice)) ]; }
wait_for 200 enough || bad "expected $((want + twice)) findings within 20 s, got $(count)"
rsyslog_stop || bad "rsyslogd did not stop"
for p in 0 1; do
	wait_for 50 sh -c "grep -q '\"type\":\"summary\"' '$W/part-$p.ndjson'" ||
		bad "part $p: no summary after rsyslogd stopped"
done

# partitions: each host in one, both used
for p in 0 1; do
	jq -r 'select(.type == "finding") | .host' "$W/part-$p.ndjson" | sort -u >"$W/hosts-$p"
done
[ -s "$W/hosts-0" ] && [ -s "$W/hosts-1" ] && ok "hosts spread over both instances: $(tr '\n' ' ' <"$W/hosts-0")| $(tr '\n' ' ' <"$W/hosts-1")" ||
	bad "one instance got every host"
[ -z "$(comm -12 "$W/hosts-0" "$W/hosts-1")" ] && ok "each host's messages went to one instance" ||
	bad "a host in both instances: $(comm -12 "$W/hosts-0" "$W/hosts-1")"
got=$(count)
[ "$got" = $((want + twice)) ] && ok "the instances wrote $got findings: $want, $twice of them twice" ||
	bad "the instances wrote $got findings, expected $want + $twice"

# the merge: each finding once
"$BIN" merge -f json --fail-on none "$W"/part-*.ndjson >"$W/merged.json" 2>"$W/merge.err"
key='[.findings[] | "\(.host) \(.name)"] | sort | .[]'
jq -r "$key" "$W/want.json" >"$W/want.keys"
jq -r "$key" "$W/merged.json" >"$W/merged.keys"
if cmp -s "$W/want.keys" "$W/merged.keys"; then
	ok "the merge holds each of the $want findings once, by host and name, as a whole-run scan"
else
	bad "the merge differs from a whole-run scan (- scan, + merge):"; diff "$W/want.keys" "$W/merged.keys" | head -20
fi
jq -r '.notes[]' "$W/merged.json" | grep -q "^merge: $twice finding(s) were copies of others" &&
	ok "the merge's note counts the $twice copies" || bad "no note on the copies: $(jq -c .notes "$W/merged.json")"
exit $fail
