# tests/live/lib.sh - shared by the live-mode tests (sourced, POSIX sh).

# A free TCP/UDP port on 127.0.0.1 (python3 binds port 0 and reports it).
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p)); u.close()
print(p)'
}

# Install Debian packages without letting them start their daemons: a
# policy-rc.d that answers 101 ("action forbidden") while apt-get runs, and
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
	{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
		>/dev/null 2>&1 ||
	  { apt-get update -qq >/dev/null 2>&1 &&
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
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
send_syslog_lines() { # PROTO(tcp|udp) PORT FILE
	sed -n 's/^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]\{8\} [^ ]* \([^:]*\): \(.*\)$/\1\t\2/p' "$3" |
	while IFS="	" read -r tag msg; do
		logger --"$1" --server 127.0.0.1 --port "$2" -t "$tag" -- "$msg" || return 1
	done
}
