# SPDX-License-Identifier: Apache-2.0
# tests/live/lib.sh - shared by the live-mode tests (sourced, POSIX sh).

# A free TCP/UDP port on 127.0.0.1 (python3 binds port 0 and reports it).
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p)); u.close()
print(p)'
}

# Install Debian packages without letting them start their daemons: a
# policy-rc.d that answers 101 ("action forbidden") while apt-get runs, never
# removing a package to make room (--no-remove: rsyslog and syslog-ng conflict), and
# the machine's own policy-rc.d (if any) put back afterwards.
install_quietly() { # PKG...
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
	pol=/usr/sbin/policy-rc.d
	saved=""
	if [ -e "$pol" ]; then
		saved=$(mktemp)
		cp -p "$pol" "$saved"
	fi
	printf '#!/bin/sh\nexit 101\n' >"$pol"
	chmod 755 "$pol"
	ok=0
	{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-remove "$@" \
		>/dev/null 2>&1 ||
	  { apt-get update -qq >/dev/null 2>&1 &&
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-remove "$@" \
		>/dev/null 2>&1; }; } || ok=1
	if [ -n "$saved" ]; then
		cp -p "$saved" "$pol"
		rm -f "$saved"
	else
		rm -f "$pol"
	fi
	return $ok
}

# Wait until command "$@" succeeds, up to $1 tenths of a second.
# until process PID has FILE open (a follower starts at the end of what the
# file holds when it opens it: under load that can be well after the start)
wait_open() { # PID FILE
	wait_for 100 sh -c "ls -l /proc/$1/fd 2>/dev/null | grep -q -F '$2'"
}
wait_for() { # TENTHS CMD...
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# The finding names of an NDJSON output, sorted, one per line.
finding_names() { # FILE
	jq -r 'select(.type == "finding") | .name' "$1" | LC_ALL=C sort
}

# Syslog lines (RFC 3164 header: "Mon DD HH:MM:SS host tag: message") sent
# one by one with logger to 127.0.0.1:PORT, tag and message kept.
send_syslog_lines() { # PROTO(tcp|udp) PORT FILE [LOGGER-OPTION]
	sed -n 's/^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]\{8\} [^ ]* \([^:]*\): \(.*\)$/\1\t\2/p' "$3" |
	while IFS="	" read -r tag msg; do
		logger --"$1" --server 127.0.0.1 --port "$2" ${4:-} -t "$tag" -- "$msg" || return 1
	done
}

# The rsyslog configuration of docs/live.md with a work directory, port and
# output: UDP and TCP on 127.0.0.1:PORT, every message to ipsec-scan (omprog).
# Extra ipsec-scan options follow OUT.
rsyslog_conf() { # DIR PORT BIN OUT [OPTION...]
	dir=$1 port=$2 bin=$3 out=$4
	shift 4
	cat <<CONF
global(workDirectory="$dir/spool")
module(load="imudp")
module(load="imtcp")
module(load="omprog")
# one message per line: time with its zone, host, program, message
template(name="ipsec-scan" type="string"
	 string="%timereported:::date-rfc3339% %hostname% %programname%:%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\n")
input(type="imudp" address="127.0.0.1" port="$port" ruleset="ipsec")
input(type="imtcp" address="127.0.0.1" port="$port" ruleset="ipsec")
ruleset(name="ipsec") {
	action(type="omprog" name="ipsec-scan" template="ipsec-scan"
	       binary="$bin --follow $* -o $out -"
	       output="$dir/ipsec-scan.stderr" signalOnClose="on" killUnresponsive="on")
}
CONF
}

# rsyslogd with that configuration in the foreground, in the background of
# this shell; sets RSYSLOG_PID; false when it does not listen within 10 s.
rsyslog_start() { # DIR PORT BIN OUT [OPTION...]
	mkdir -p "$1/spool"
	rsyslog_conf "$@" >"$1/rsyslog.conf"
	rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
	"$rsyslogd" -n -f "$1/rsyslog.conf" -i "$1/rsyslogd.pid" >"$1/rsyslogd.log" 2>&1 &
	RSYSLOG_PID=$!
	wait_for 100 sh -c "ss -ltn 2>/dev/null | grep -q '127.0.0.1:$2 '"
}

# Stop that rsyslogd by its PID and wait for it (and so for ipsec-scan) to end.
rsyslog_stop() {
	[ -n "${RSYSLOG_PID:-}" ] || return 0
	kill "$RSYSLOG_PID" 2>/dev/null
	wait_for 100 sh -c "! kill -0 $RSYSLOG_PID 2>/dev/null" || return 1
	RSYSLOG_PID=""
}

# rsyslogd, omprog and logger are here (installed quietly when missing);
# prints why not and returns false otherwise.
rsyslog_ready() {
	if ! command -v rsyslogd >/dev/null 2>&1 && [ ! -x /usr/sbin/rsyslogd ]; then
		echo "installing Debian rsyslog (its daemon is not started)"
		install_quietly rsyslog || { echo "rsyslog is not installed and cannot be installed here"; return 1; }
	fi
	for m in imudp imtcp omprog; do
		found=""
		for so in /usr/lib/*/rsyslog/$m.so /usr/lib/rsyslog/$m.so; do
			[ -e "$so" ] && found=1
		done
		[ -n "$found" ] || { echo "rsyslog module $m not found"; return 1; }
	done
	command -v logger >/dev/null 2>&1 || { echo "logger (bsdutils) not found"; return 1; }
	command -v ss >/dev/null 2>&1 || { echo "ss (iproute2) not found"; return 1; }
}

# The syslog-ng configuration of docs/live.md: RFC 3164 over TCP and UDP on
# 127.0.0.1:PORT, every message to ipsec-scan through program().
syslogng_conf() { # DIR PORT BIN OUT [OPTION...]
	dir=$1 port=$2 bin=$3 out=$4
	shift 4
	cat <<CONF
@version: 3.35
options { frac-digits(6); keep-hostname(yes); stats-freq(0); };
source s_gateways {
	network(ip("127.0.0.1") port($port) transport("tcp"));
	network(ip("127.0.0.1") port($port) transport("udp"));
};
destination d_ipsec_scan {
	program("$bin --follow $* -o $out -"
		template("\${ISODATE} \${HOST} \${PROGRAM}: \${MESSAGE}\n"));
};
log { source(s_gateways); destination(d_ipsec_scan); };
CONF
}

# Send the syslog lines of FILES (the first file over TCP, the others over
# UDP) to 127.0.0.1:PORT, then wait up to 15 s for OUT (ipsec-scan's NDJSON)
# to hold the findings a whole-run scan of FILES gives, by name. Prints
# ok/FAIL lines naming the daemon; false on failure.
send_and_check() { # NAME PORT OUT LOGGER-OPTION FILE...
	name=$1 port=$2 out=$3 lopt=$4
	shift 4
	proto=tcp
	for f in "$@"; do
		send_syslog_lines $proto "$port" "$f" "$lopt" || { echo "FAIL $name: logger failed"; return 1; }
		proto=udp
	done
	"$BIN" -f ndjson --tz UTC --year 2025 "$@" | finding_names /dev/stdin >"$out.want"
	nwant=$(wc -l <"$out.want")
	got_all() { [ -f "$out" ] && [ "$(finding_names "$out" | wc -l)" -ge "$nwant" ]; }
	if ! wait_for 150 got_all; then
		echo "FAIL $name: expected $nwant findings within 15 s, got $(finding_names "$out" 2>/dev/null | wc -l)"
		return 1
	fi
	if ! finding_names "$out" | cmp -s "$out.want" -; then
		echo "FAIL $name: the findings differ from a whole-run scan of the same lines:"
		finding_names "$out" | diff "$out.want" - | head -20
		return 1
	fi
	if ! jq -c . "$out" >/dev/null 2>&1; then
		echo "FAIL $name: the output is not NDJSON"
		return 1
	fi
	echo "ok $name: $nwant findings through $name (tcp and udp), the same names as a whole-run scan"
}

# Stop the daemon PID; it closes ipsec-scan's standard input, so OUT must then
# end with ipsec-scan's summary. Prints ok/FAIL; false on failure.
stop_and_check() { # NAME PID OUT
	kill "$2" 2>/dev/null
	if ! wait_for 100 sh -c "! kill -0 $2 2>/dev/null"; then
		echo "FAIL $1: $2 did not stop"
		return 1
	fi
	if ! wait_for 50 sh -c "grep -q '\"type\":\"summary\"' '$3'"; then
		echo "FAIL $1: no summary after it stopped"
		return 1
	fi
	echo "ok $1: stopped by its PID; ipsec-scan wrote its open incidents and its summary"
}
