# SPDX-License-Identifier: Apache-2.0
# Shared by tests/journal/*.sh: real journal files, written by
# systemd-journal-remote from export-format streams the tests make (no
# running journald is needed).
#
#   need_journal_remote     sets JR, or exits 0 with a SKIP message
#   to_journal FILE.journal < STREAM   writes (or appends to) a journal file
#   gen_entries FIRST COUNT T0 [HOST [BOOT]]  an export stream of COUNT
#                           charon-systemd entries, numbered from FIRST, one a
#                           second from T0 (seconds); every 97th gives up after
#                           retransmits

need_journal_remote() {
	JR=/lib/systemd/systemd-journal-remote
	[ -x "$JR" ] || JR=/usr/lib/systemd/systemd-journal-remote
	if [ ! -x "$JR" ]; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd-journal-remote \
				>/dev/null 2>&1 || apt-get update -qq >/dev/null 2>&1
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd-journal-remote \
				>/dev/null 2>&1
		fi
		JR=/lib/systemd/systemd-journal-remote
		[ -x "$JR" ] || JR=/usr/lib/systemd/systemd-journal-remote
	fi
	if [ ! -x "$JR" ]; then
		echo "SKIP $(basename "$0"): systemd-journal-remote is missing (as root the test" \
			"installs the Debian package systemd-journal-remote; else: sudo apt-get install" \
			"systemd-journal-remote)"
		exit 0
	fi
}

to_journal() {
	"$JR" --output="$1" - >/dev/null 2>&1
}

gen_entries() {
	awk -v first="$1" -v n="$2" -v t0="$3" -v host="${4:-gw1}" \
	    -v boot="${5:-5f0c6a1d2e3b4c5d8e9f0a1b2c3d4e5f}" 'BEGIN {
		for (i = first; i < first + n; i++) {
			us = (t0 + i) * 1000000
			printf "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n", us, 5000000000 + i * 1000000
			printf "_BOOT_ID=%s\n_HOSTNAME=%s\n", boot, host
			printf "_COMM=charon-systemd\n_PID=1203\n_SYSTEMD_UNIT=strongswan.service\n"
			printf "_TRANSPORT=journal\nGROUP=IKE\nLEVEL=1\nTHREAD=%d\n", 1 + i % 16
			if (i % 97 == 0)
				printf "PRIORITY=5\nIKE_SA_UNIQUE_ID=%d\nIKE_SA_NAME=site%d\nMESSAGE=giving up after 5 retransmits\n\n", i, i % 7
			else
				printf "PRIORITY=7\nMESSAGE=sending keep alive to 192.0.2.%d[4500] (entry %d)\n\n", i % 250, i
		}
	}'
}
