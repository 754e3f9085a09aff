#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Debian package: `make deb` (the test suite is run by `make test`, so the
# package build skips it with DEB_BUILD_OPTIONS=nocheck unless told otherwise),
# lintian with no error or warning, the package's contents, and, as root on a
# machine where ipsec-scan is not installed yet, `dpkg -i`, a scan from / with
# the installed binary, and `dpkg --purge`, after which nothing of it is left.
#
#   sh tests/deb/run.sh               (make deb-check)
#   DEB_BUILD_OPTIONS= sh tests/deb/run.sh   with the package's own test run
set -u
cd "$(dirname "$0")/../.." || exit 2
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
for t in dpkg-buildpackage dh lintian fakeroot; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "SKIP: $t is missing (apt-get install dpkg-dev debhelper lintian fakeroot)"
		exit 0
	fi
done
D=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-deb.XXXXXX") || exit 2
installed_here=0
cleanup() {
	[ "$installed_here" = 1 ] && dpkg --purge ipsec-scan >/dev/null 2>&1
	rm -rf "$D"
}
trap cleanup EXIT INT TERM

export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS-nocheck}"
if ! make --no-print-directory deb >"$D/build.log" 2>&1; then
	echo "FAIL: make deb"; tail -30 "$D/build.log"; exit 1
fi
DEB=$(ls build/deb/ipsec-scan_*_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] && ok || { echo "FAIL: no .deb in build/deb/"; exit 1; }
echo "built $DEB"

# lintian: errors and warnings fail; the rest is printed
lintian --fail-on error,warning -I "$DEB" >"$D/lintian" 2>&1
rc=$?
grep -v '^running with root privileges' "$D/lintian" | grep '^[EWIP]:' | sed 's/^/    lintian /'
[ "$rc" = 0 ] && ok || bad "lintian reports errors or warnings"

# what the package holds
dpkg-deb -c "$DEB" | awk '{print $6}' >"$D/contents"
for f in ./usr/bin/ipsec-scan ./usr/share/man/man1/ipsec-scan.1.gz \
	./usr/share/bash-completion/completions/ipsec-scan ./usr/share/ipsec-scan/rules/kb/winerror.yaml \
	./lib/systemd/system/ipsec-scan.service ./lib/systemd/system/ipsec-scan.timer \
	./lib/systemd/system/ipsec-scan-live.service ./lib/systemd/system/ipsec-scan-notify@.service \
	./etc/logrotate.d/ipsec-scan \
	./usr/share/doc/ipsec-scan/copyright ./usr/share/doc/ipsec-scan/guide.md.gz; do
	grep -qx -- "$f" "$D/contents" && ok || bad "the package lacks $f"
done
dpkg-deb -x "$DEB" "$D/x"
grep -q '^ExecStart=/usr/bin/ipsec-scan ' "$D/x/lib/systemd/system/ipsec-scan.service" && ok ||
	bad "the service does not start /usr/bin/ipsec-scan"
grep -q '^ExecStart=/usr/bin/ipsec-scan ' "$D/x/lib/systemd/system/ipsec-scan-live.service" && ok ||
	bad "the live service does not start /usr/bin/ipsec-scan"
"$D/x/usr/bin/ipsec-scan" --version | grep -q '^libevtx ' && ok || bad "the packaged binary's --version"

# install it for real, when that is safe
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: dpkg -i needs root"
elif dpkg -s ipsec-scan >/dev/null 2>&1; then
	echo "SKIP: dpkg -i: ipsec-scan is already installed on this machine; left alone"
else
	if dpkg -i "$DEB" >"$D/dpkg.log" 2>&1; then
		installed_here=1; ok
	else
		bad "dpkg -i"; cat "$D/dpkg.log"
	fi
	if [ "$installed_here" = 1 ]; then
		cp samples/strongswan/charon-syslog-wrong-psk.log "$D/charon.log"
		(cd / && /usr/bin/ipsec-scan -f json --tz UTC --year 2025 "$D/charon.log") >"$D/scan.json" 2>&1
		rc=$?
		[ "$rc" = 1 ] && grep -q '"name": "IKEV2_AUTHENTICATION_FAILED"' "$D/scan.json" && ok ||
			bad "the installed binary from / (rc $rc)"
		if command -v man >/dev/null 2>&1; then
			[ "$(man -w ipsec-scan 2>/dev/null)" = /usr/share/man/man1/ipsec-scan.1.gz ] && ok ||
				bad "man -w ipsec-scan"
		fi
		# not enabled: the admin points it at the right logs first
		if [ -d /etc/systemd/system/timers.target.wants ] &&
			[ -e /etc/systemd/system/timers.target.wants/ipsec-scan.timer ]; then
			bad "the package enabled the timer"
		else
			ok
		fi
		dpkg --purge ipsec-scan >"$D/purge.log" 2>&1 && installed_here=0 && ok || bad "dpkg --purge"
		left=""
		for f in /usr/bin/ipsec-scan /usr/share/man/man1/ipsec-scan.1.gz /usr/share/ipsec-scan \
			/usr/share/bash-completion/completions/ipsec-scan /lib/systemd/system/ipsec-scan.service \
			/usr/share/doc/ipsec-scan; do
			[ -e "$f" ] && left="$left $f"
		done
		[ -z "$left" ] && ok || bad "left after dpkg --purge:$left"
	fi
fi
echo "deb checks: $pass passed, $fail failed"
[ "$fail" = 0 ]
