#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/soak/parallel.sh - the batch recipe of docs/scale.md ("Many bundles on
# many machines: GNU parallel") run for real: GNU parallel sends support
# bundles over ssh to two "machines", each scans its bundles to NDJSON, the
# reports come back, and `ipsec-scan merge` combines them. The machines are
# two ports of one sshd of our own on 127.0.0.1 (its own config, host key and
# user key in a temporary folder; the system's sshd is never started).
# Checked:
#   - every job ran on one of the two machines, and both machines were used;
#   - one job is killed (SIGKILL) on the first run: parallel exits non-zero and
#     the joblog records it; a second run with --resume-failed runs that job
#     and no other;
#   - the merged report has the same findings (id, name, time, text, path)
#     and incidents as one batch scan of the same bundles on this machine,
#     and the same body byte for byte (the summary's "events" and "records"
#     aside: merge does not carry correlation events, docs/scale.md, and it
#     counts each bundle's own tar record in "records").
# Installs openssh-server, parallel and rsync when missing (root and apt-get only,
# with a policy-rc.d that keeps the package from starting its daemon: see
# install_quietly in tests/live/lib.sh); skips (exit 0) where that is
# impossible. The sshd started here is stopped by its PID. Part of `make soak`.
#
#   sh tests/soak/parallel.sh        (KEEP=1 keeps the work folder)
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/live/lib.sh
BIN=$(pwd)/ipsec-scan
[ -x "$BIN" ] || { echo "FAIL parallel: build ipsec-scan first"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP parallel: python3 not found"; exit 0; }
command -v jq >/dev/null 2>&1 || { echo "SKIP parallel: jq not found"; exit 0; }
# rsync: parallel's --transferfile and --return use it (on both ends)
if [ ! -x /usr/sbin/sshd ] || ! command -v parallel >/dev/null 2>&1 || ! command -v ssh >/dev/null 2>&1 ||
	! command -v rsync >/dev/null 2>&1; then
	install_quietly openssh-server parallel rsync ||
		{ echo "SKIP parallel: openssh-server, GNU parallel or rsync missing and not installable here"; exit 0; }
fi
parallel --version 2>/dev/null | grep -q 'GNU parallel' || { echo "SKIP parallel: parallel is not GNU parallel"; exit 0; }

W=$(mktemp -d /tmp/ipsec-scan-parallel.XXXXXX) || exit 2
chmod 700 "$W"
SSHD_PID=""
RUNDIR_MADE=""
cleanup() {
	if [ -n "$SSHD_PID" ]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
	fi
	[ -n "$RUNDIR_MADE" ] && rmdir /run/sshd 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM
fail=0
ok() { echo "ok parallel: $*"; }
bad() { echo "FAIL parallel: $*"; fail=1; }

# ---- our own sshd: two ports, a host key, root's key, nothing system-wide
ssh-keygen -q -t ed25519 -N '' -f "$W/host_key" || exit 2
ssh-keygen -q -t ed25519 -N '' -f "$W/user_key" || exit 2
cp "$W/user_key.pub" "$W/authorized_keys"
chmod 600 "$W/authorized_keys"
P1=$(free_port)
P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
USER_NAME=$(id -un)
cat >"$W/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $P1
Port $P2
HostKey $W/host_key
PidFile $W/sshd.pid
AuthorizedKeysFile $W/authorized_keys
AllowUsers $USER_NAME
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 50
MaxSessions 50
Subsystem sftp internal-sftp
CONF
# privilege separation needs /run/sshd (made here only if missing, removed after)
if [ ! -d /run/sshd ]; then
	mkdir -p /run/sshd && chmod 755 /run/sshd && RUNDIR_MADE=1
fi
/usr/sbin/sshd -t -f "$W/sshd_config" 2>"$W/sshd.err" ||
	{ echo "SKIP parallel: sshd refuses its test config: $(head -3 "$W/sshd.err")"; exit 0; }
/usr/sbin/sshd -D -e -f "$W/sshd_config" 2>>"$W/sshd.err" &
SSHD_PID=$!

# the two machines, as an operator's ~/.ssh/config would name them
cat >"$W/ssh_config" <<CONF
Host m1 m2
	HostName 127.0.0.1
	User $USER_NAME
	IdentityFile $W/user_key
	IdentitiesOnly yes
	UserKnownHostsFile $W/known_hosts
	StrictHostKeyChecking accept-new
	BatchMode yes
	ControlMaster auto
	ControlPath $W/ctl-%n
	ControlPersist 60
Host m1
	Port $P1
Host m2
	Port $P2
CONF
SSH="ssh -F $W/ssh_config"
wait_for 100 $SSH m1 true 2>/dev/null || { bad "sshd on port $P1 does not answer: $(tail -3 "$W/sshd.err")"; exit 1; }
wait_for 100 $SSH m2 true 2>/dev/null || { bad "sshd on port $P2 does not answer: $(tail -3 "$W/sshd.err")"; exit 1; }
ok "sshd (pid $SSHD_PID) on 127.0.0.1 ports $P1 and $P2"

# ---- the bundles: support bundles as a site receives them (tar.gz, zip-less)
L="$W/local"
mkdir -p "$L/bundles" "$W/remote"
i=0
for s in samples/strongswan/charon-syslog-wrong-psk.log samples/strongswan/charon-ike-proposal-mismatch.log \
	samples/windows/wevtutil-qe.txt samples/windows/get-eventlog-format-list.txt \
	samples/windows/eventviewer-saved.xml samples/windows/nps-accounting.log \
	samples/libreswan/* samples/windows/azure-vpn-client*.log; do
	[ -f "$s" ] || continue
	i=$((i + 1))
	d="$W/b/case-$i/logs"
	mkdir -p "$d"
	cp "$s" "$d/"
	tar -czf "$L/bundles/case-$i.tar.gz" -C "$W/b/case-$i" logs
done
[ "$i" -ge 6 ] || { bad "only $i bundles made from samples/"; exit 1; }
ok "$i bundles"

# ---- the recipe (docs/scale.md), with the scanner's command in $SCAN
# (the first run puts a wrapper there that kills one job)
recipe() { # SCAN
	(cd "$L" && ls bundles/*.tar.gz | parallel --ssh "$SSH" --sshlogin 2/m1,2/m2 \
		--joblog scan.joblog --resume-failed \
		--workdir "$W/remote" --transferfile {} --return {}.ndjson --cleanup \
		"$1" -f ndjson --fail-on none -o {}.ndjson {} ) >"$W/parallel.out" 2>"$W/parallel.err"
}

KILLED=bundles/case-3.tar.gz
cat >"$W/scan-killed" <<KILLER
#!/bin/sh
# ipsec-scan, except for $KILLED: that scan is SIGKILLed once it runs
case "\$*" in
*$KILLED*)
	"$BIN" "\$@" &
	kill -KILL \$!
	wait \$!
	kill -KILL \$\$ ;;
esac
exec "$BIN" "\$@"
KILLER
chmod 755 "$W/scan-killed"

t0=$(date +%s)
recipe "$W/scan-killed"
rc=$?
t1=$(date +%s)
if [ "$rc" -ne 0 ]; then ok "first run: parallel exit $rc (one job killed)"; else bad "first run: parallel exit 0 though a job was killed"; fi
rows=$(awk -F'\t' 'NR > 1' "$L/scan.joblog" | wc -l)
failed=$(awk -F'\t' 'NR > 1 && ($7 != 0 || $8 != 0) { print $9 }' "$L/scan.joblog")
[ "$rows" -eq "$i" ] && ok "joblog: $rows jobs" || bad "joblog: $rows jobs, expected $i"
case "$failed" in
*"$KILLED"*) ok "joblog: the killed job is recorded ($(awk -F'\t' 'NR > 1 && ($7 != 0 || $8 != 0) { print "exit " $7 ", signal " $8 }' "$L/scan.joblog"))" ;;
*) bad "joblog: the killed job is not recorded as failed: $failed" ;;
esac
[ "$(printf '%s\n' "$failed" | grep -c .)" -eq 1 ] || bad "joblog: more than one failed job: $failed"

# second run: the real scanner; only the failed job runs again
recipe "$BIN"
rc=$?
t2=$(date +%s)
[ "$rc" -eq 0 ] && ok "resumed run: parallel exit 0" || bad "resumed run: parallel exit $rc: $(tail -3 "$W/parallel.err")"
rows2=$(awk -F'\t' 'NR > 1' "$L/scan.joblog" | wc -l)
[ "$rows2" -eq $((i + 1)) ] && ok "--resume-failed ran one job again" || bad "--resume-failed: $rows2 joblog rows, expected $((i + 1))"
last=$(awk -F'\t' 'END { print $9 " exit " $7 " signal " $8 }' "$L/scan.joblog")
case "$last" in
*"$KILLED exit 0 signal 0") ok "the rerun: $last" ;;
*) bad "the rerun: $last" ;;
esac
hosts=$(awk -F'\t' 'NR > 1 { print $2 }' "$L/scan.joblog" | LC_ALL=C sort -u | tr '\n' ' ')
case "$hosts" in
*m1*m2*) ok "both machines used: $hosts" ;;
*) bad "machines used: $hosts (expected m1 and m2)" ;;
esac
n=$(ls "$L"/bundles/*.ndjson 2>/dev/null | wc -l)
[ "$n" -eq "$i" ] && ok "$n reports returned" || bad "$n reports returned, expected $i"
left=0
[ -d "$W/remote" ] && left=$(find "$W/remote" -type f | wc -l)
[ "$left" -eq 0 ] && ok "--cleanup left nothing on the machines" || bad "$left files left in the remote work folder"

# ---- merge = one batch scan
(cd "$L" && "$BIN" merge -f ndjson --fail-on none bundles/*.ndjson) >"$W/merged.ndjson" 2>"$W/merge.err" ||
	bad "merge failed: $(head -3 "$W/merge.err")"
(cd "$L" && "$BIN" -f ndjson --fail-on none bundles/*.tar.gz) >"$W/batch.ndjson" 2>"$W/batch.err" ||
	bad "batch scan failed: $(head -3 "$W/batch.err")"
# merge counts a bundle's own input record (the tar itself, 1 record) in
# summary.records where a scan does not, so records is left out with events
body() { grep -v '^{"type":"summary"' "$1"; grep '^{"type":"summary"' "$1" | jq -c 'del(.events, .records)'; }
proj() { jq -c 'select(.type == "finding") | [.id, .name, .time, .text, .path]' "$1"; }
inc() { jq -c 'select(.type == "incident")' "$1"; }
nf=$(proj "$W/batch.ndjson" | wc -l)
ni=$(inc "$W/batch.ndjson" | wc -l)
[ "$nf" -gt 0 ] && [ "$ni" -gt 0 ] || bad "the batch scan found $nf findings, $ni incidents (expected some)"
proj "$W/merged.ndjson" >"$W/m.f"; proj "$W/batch.ndjson" >"$W/b.f"
inc "$W/merged.ndjson" >"$W/m.i"; inc "$W/batch.ndjson" >"$W/b.i"
if cmp -s "$W/m.f" "$W/b.f"; then ok "merged findings = batch scan ($nf)"; else bad "findings differ:"; diff "$W/b.f" "$W/m.f" | head -6; fi
if cmp -s "$W/m.i" "$W/b.i"; then ok "merged incidents = batch scan ($ni)"; else bad "incidents differ:"; diff "$W/b.i" "$W/m.i" | head -6; fi
body "$W/merged.ndjson" >"$W/m.body"; body "$W/batch.ndjson" >"$W/b.body"
if cmp -s "$W/m.body" "$W/b.body"; then ok "merged report = batch scan, byte for byte (summary events and records aside)"; else bad "report bodies differ:"; diff "$W/b.body" "$W/m.body" | head -6; fi
echo "parallel: $i bundles on 2 machines: first run $((t1 - t0)) s (one job killed), resumed run $((t2 - t1)) s"

$SSH -O exit m1 >/dev/null 2>&1
$SSH -O exit m2 >/dev/null 2>&1
[ "$fail" -eq 0 ] && echo "PASS parallel" || echo "FAIL parallel"
exit "$fail"
