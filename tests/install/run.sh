#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make install / make uninstall into a temporary DESTDIR with PREFIX=/usr:
#   - the installed binary runs from / on a sample (built-in rules, no rules folder)
#   - --version names every library linked
#   - the man page renders with no groff warnings (and no mandoc lint message, if mandoc is here)
#   - the bash completion loads and completes formats, options, subcommands and explain keys
#   - the systemd units run the installed binary and pass systemd-analyze verify
#     (where it exists); the shipped service's command, run in a temporary root
#     with no log files and an empty journal folder (a mount namespace, as root),
#     exits 0, then 1 once a failure is in the journal, then 0 again
#   - the logrotate snippet parses (logrotate -d, where it exists)
#   - make uninstall leaves no file behind
set -u
cd "$(dirname "$0")/../.." || exit 2
REPO=$(pwd)
D=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-install.XXXXXX") || exit 2
trap 'rm -rf "$D"' EXIT INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # description command...
	what=$1; shift
	if "$@" >"$D/out" 2>&1; then ok; else bad "$what"; sed 's/^/    /' "$D/out" | head -20; fi
}

if ! make --no-print-directory -s install DESTDIR="$D/root" PREFIX=/usr >"$D/install.log" 2>&1; then
	echo "FAIL: make install"; cat "$D/install.log"; exit 1
fi
R=$D/root
BIN=$R/usr/bin/ipsec-scan

for f in usr/bin/ipsec-scan usr/share/man/man1/ipsec-scan.1 \
	usr/share/bash-completion/completions/ipsec-scan \
	usr/share/ipsec-scan/rules/kb/winerror.yaml usr/share/ipsec-scan/rules/correlate/default.yaml \
	usr/share/doc/ipsec-scan/README.md usr/share/doc/ipsec-scan/guide.md \
	lib/systemd/system/ipsec-scan.service lib/systemd/system/ipsec-scan.timer \
	lib/systemd/system/ipsec-scan-live.service lib/systemd/system/ipsec-scan-notify@.service \
	etc/logrotate.d/ipsec-scan; do
	check "installed: $f" test -f "$R/$f"
done
check "binary is executable" test -x "$BIN"

# from /, on a copy of a sample: the rules come from the binary itself
cp samples/windows/wevtutil-qe.xml "$D/sample.xml"
(cd / && "$BIN" -f json --tz UTC "$D/sample.xml") >"$D/scan.json" 2>"$D/scan.err"
rc=$?
if [ "$rc" = 1 ] && grep -q '"name": "ERROR_IPSEC_IKE_AUTH_FAIL"' "$D/scan.json"; then ok; else
	bad "installed binary from / (rc $rc, want 1 with ERROR_IPSEC_IKE_AUTH_FAIL)"; head -5 "$D/scan.err"
fi
(cd / && "$BIN" explain 13801) >"$D/explain.txt" 2>&1
check "explain from /" grep -q ERROR_IPSEC_IKE_AUTH_FAIL "$D/explain.txt"
"$BIN" --version >"$D/version" 2>&1
for lib in "ipsec-scan " "PCRE2 " "libyaml " "libarchive " "libevtx " "yajl " "expat"; do
	check "--version names $lib" grep -q "^$lib" "$D/version"
done
# the man page is of this version
v=$(sed -n '1s/^ipsec-scan //p' "$D/version")
check "man page .TH names version $v" grep -q "^\.TH IPSEC-SCAN 1 .*\"ipsec-scan $v\"" "$R/usr/share/man/man1/ipsec-scan.1"
check "rules examples lint" "$BIN" rules lint --no-builtin-rules --rules "$R/usr/share/ipsec-scan/rules"

# the systemd units start the binary that was installed
check "service ExecStart is /usr/bin/ipsec-scan" grep -q '^ExecStart=/usr/bin/ipsec-scan ' "$R/lib/systemd/system/ipsec-scan.service"
check "live service ExecStart is /usr/bin/ipsec-scan" grep -q '^ExecStart=/usr/bin/ipsec-scan ' "$R/lib/systemd/system/ipsec-scan-live.service"
check "no unit names /usr/local" sh -c "! grep -l /usr/local '$R'/lib/systemd/system/*"
check "the service's OnFailure= unit is installed" sh -c \
	"grep -q '^OnFailure=ipsec-scan-notify@%n.service' '$R/lib/systemd/system/ipsec-scan.service' && test -f '$R/lib/systemd/system/ipsec-scan-notify@.service'"
# systemd-analyze verify: the units as installed, the binary at its DESTDIR path
# (verify checks that ExecStart's program exists; man pages are not looked up)
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$D/units"
	for u in "$R"/lib/systemd/system/*; do
		sed "s|/usr/bin/ipsec-scan|$BIN|" "$u" >"$D/units/${u##*/}"
	done
	check "systemd-analyze verify" systemd-analyze verify --man=no "$D/units/ipsec-scan.service" \
		"$D/units/ipsec-scan.timer" "$D/units/ipsec-scan-live.service" \
		"$D/units/ipsec-scan-notify@.service"
else
	echo "SKIP: systemd-analyze verify (no systemd-analyze)"
fi
# the shipped service's command in a temporary root: no log files, an empty journal
cmd=$(sed -n 's/^ExecStart=//p' "$R/lib/systemd/system/ipsec-scan.service" | sed "s|^/usr/bin/ipsec-scan|$BIN|")
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null; then
	. "$REPO/tests/journal/lib.sh"
	( need_journal_remote >/dev/null ) && need_journal_remote >/dev/null && have_jr=1 || have_jr=0
	mid=$(cat /etc/machine-id 2>/dev/null || echo 00000000000000000000000000000000)
	[ $have_jr = 1 ] && printf '%s\n' '__REALTIME_TIMESTAMP=1795395512991000' '_HOSTNAME=gw' \
		'_COMM=charon-systemd' '_PID=1203' '_SYSTEMD_UNIT=strongswan.service' 'GROUP=IKE' 'THREAD=5' \
		'MESSAGE=received AUTHENTICATION_FAILED notify error' '' | to_journal "$D/injected.journal"
	# shellcheck disable=SC2016
	unshare -m sh -c '
		mount -t tmpfs tmpfs /var/log && mkdir -p /var/log/journal/"$2" || exit 9
		mount -t tmpfs tmpfs /var/lib && mkdir -p /var/lib/ipsec-scan || exit 9
		mkdir -p /run/log 2>/dev/null; mount -t tmpfs tmpfs /run/log || exit 9
		eval "$1"; echo "first $?"
		eval "$1"; echo "again $?"
		if [ -f "$3" ]; then
			cp "$3" /var/log/journal/"$2"/system.journal
			eval "$1" >/dev/null; echo "failure $?"
			eval "$1"; echo "after $?"
		fi' sh "$cmd" "$mid" "$D/injected.journal" >"$D/root-run.out" 2>&1
	want="first 0
again 0"
	[ $have_jr = 1 ] && want="$want
failure 1
after 0"
	if [ "$(cat "$D/root-run.out")" = "$want" ]; then ok; else
		bad "the service's command in a temporary root: $(cat "$D/root-run.out")"
	fi
else
	echo "SKIP: the service's command in a temporary root (needs root and unshare -m)"
fi
if command -v logrotate >/dev/null 2>&1; then
	check "logrotate -d parses the snippet" logrotate -d -s "$D/logrotate.status" "$R/etc/logrotate.d/ipsec-scan"
else
	echo "SKIP: logrotate -d (no logrotate)"
fi

# man page: no warnings from groff, none from mandoc's linter
MAN=$R/usr/share/man/man1/ipsec-scan.1
groff -man -ww -z "$MAN" >"$D/groff.out" 2>&1
if [ $? = 0 ] && [ ! -s "$D/groff.out" ]; then ok; else bad "groff -man -ww warns"; cat "$D/groff.out"; fi
if command -v mandoc >/dev/null 2>&1; then
	check "mandoc -T lint" mandoc -T lint "$MAN"
else
	echo "SKIP: mandoc not installed (apt-get install mandoc)"
fi
# every long option --help shows is in the man page
"$BIN" --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$D/help-opts"
while read -r o; do
	esc=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
	grep -q -- "$esc" "$MAN" || bad "man page lacks $o"
done <"$D/help-opts"

# bash completion: source it and ask it
COMP=$R/usr/share/bash-completion/completions/ipsec-scan
if command -v bash >/dev/null 2>&1; then
	cat >"$D/comp.bash" <<EOF
. "$COMP" || exit 9
try() { COMP_WORDS=("\$@"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _ipsec_scan; printf '%s\n' "\${COMPREPLY[@]}"; }
echo "== format"; try "$BIN" --format j
echo "== input"; try "$BIN" --input-format win
echo "== option"; try "$BIN" --fail
echo "== sub"; try "$BIN" ex
echo "== explain"; try "$BIN" explain ERROR_IPSEC_IKE_AUTH_F
echo "== explain-code"; try "$BIN" explain 1380
echo "== explain-notify"; try "$BIN" explain AUTHENTICATION_F
echo "== rules"; try "$BIN" rules l
echo "== eq"; try "$BIN" --color=al
echo "== jinput"; try "$BIN" --input-format journal-e
echo "== jopt"; try "$BIN" --journal-u
echo "== junit"; try "$BIN" --journal-unit strongswan-s
echo "== missing"; try "$BIN" --missing
EOF
	bash --norc --noprofile "$D/comp.bash" >"$D/comp.out" 2>&1
	want() { # section expected-word
		sed -n "/^== $1\$/,/^==/p" "$D/comp.out" | grep -qx -- "$2" || { bad "completion $1 lacks '$2'"; cat "$D/comp.out"; }
	}
	want format json && ok
	want input wincsv && ok
	want option --fail-on && ok
	want sub explain && ok
	want explain ERROR_IPSEC_IKE_AUTH_FAIL && ok
	want explain-code 13801 && ok
	want explain-notify AUTHENTICATION_FAILED && ok
	want rules lint && ok
	want eq always && ok
	want jinput journal-export && ok
	want jopt --journal-unit && ok
	want junit strongswan-starter && ok
	want missing --missing-ok && ok
fi

# uninstall: nothing of ours is left
if ! make --no-print-directory -s uninstall DESTDIR="$D/root" PREFIX=/usr >"$D/uninstall.log" 2>&1; then
	bad "make uninstall"; cat "$D/uninstall.log"
fi
left=$(find "$R" -type f -o -type l | sed "s|^$R||")
if [ -z "$left" ]; then ok; else bad "left after uninstall: $left"; fi
left=$(find "$R" -name '*ipsec-scan*' | sed "s|^$R||")
if [ -z "$left" ]; then ok; else bad "left after uninstall: $left"; fi

cd "$REPO" || exit 2
echo "install checks: $pass passed, $fail failed"
[ "$fail" = 0 ]
