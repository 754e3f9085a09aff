#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The systemd journal as an input (docs/journal.md), on real journal files
# that systemd-journal-remote writes from export-format streams made here:
#   - a journal file: findings with the journal's fields (_HOSTNAME,
#     _SYSTEMD_UNIT, _PID, realtime and monotonic time, cursor), the
#     negotiation context from charon-systemd's THREAD/GROUP/IKE_SA fields,
#     and messages that keep charon's "NN[IKE] " in MESSAGE;
#   - a folder of journal files is one input; a non-journal log beside them
#     is its own; a journal inside a tar archive is read;
#   - --journal-unit and --journal-match (journalctl's semantics);
#   - journalctl -o json and -o export of the same file give the same findings;
#   - bad input: a truncated or garbage journal file is named with the reason,
#     exit 3, the rest is read; a truncated export stream too;
#   - --missing-ok; --jobs 2 gives the --jobs 1 report;
#   - cron mode (--state): each run reports only new entries; an injected
#     failure is reported once and not by the next run; a folder that gains a
#     file; a state journal record that is malformed stops the run (exit 2).
# The kill test is tests/journal/kill.sh.
#
#   sh tests/journal/run.sh        (make journal-check runs it)
# VALGRIND, when set, prefixes every run of the binary.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/journal/lib.sh
BIN=${BIN:-./ipsec-scan}
need_journal_remote
T=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-journal.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
SAMPLE=samples/journal/charon-systemd.export
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
expect() { # NAME WANT GOT
	if [ "$2" = "$3" ]; then ok; else bad "$1: expected '$2', got '$3'"; fi
}
scan() { # ipsec-scan ARGS: stdout; stderr in $T/err, exit status in $rc
	# shellcheck disable=SC2086
	${VALGRIND:-} "$BIN" --tz UTC --fail-on none "$@" 2>"$T/err"
	rc=$?
}
# one line per finding: name, line, the journal fields, the text
summary() {
	jq -r '.findings[] | [.name, .line, .time, .fields._HOSTNAME, .fields._SYSTEMD_UNIT,
		.fields._PID, .fields.SYSLOG_IDENTIFIER, .fields.__REALTIME_TIMESTAMP,
		.fields.__MONOTONIC_TIMESTAMP, .fields.conn, .fields.peer, .text] | @tsv'
}

# ---- a journal file -------------------------------------------------------
to_journal "$T/gw.journal" <"$SAMPLE"
[ -s "$T/gw.journal" ] || { echo "FAIL systemd-journal-remote wrote no journal"; exit 1; }
scan -f json "$T/gw.journal" >"$T/gw.json"
expect "journal file: exit status" 0 "$rc"
expect "journal file: format" "journal" "$(jq -r '.inputs[0].format' "$T/gw.json")"
expect "journal file: records (entries)" 14 "$(jq -r '.inputs[0].records' "$T/gw.json")"
summary <"$T/gw.json" >"$T/gw.tsv"
cat >"$T/gw.want" <<'EOF'
IKEV2_AUTHENTICATION_FAILED	12	2026-11-23T00:58:32.991000Z	west	strongswan.service	1203	null	1795395512991000	41000991000	site	10.99.0.2	2026-11-23T00:58:32.991000Z west charon-systemd[1203]: 05[IKE] <site|1> received AUTHENTICATION_FAILED notify error
STRONGSWAN_RETRANSMIT_GIVEUP	13	2026-11-23T00:58:34.000000Z	west	strongswan-starter.service	1203	charon	1795395514000000	41002000000	null	null	2026-11-23T00:58:34.000000Z west charon[1203]: 14[IKE] giving up after 5 retransmits
EOF
sed -i 's/\tnull\t/\t\t/g; s/\tnull\t/\t\t/g' "$T/gw.want"
if cmp -s "$T/gw.want" "$T/gw.tsv"; then ok; else
	bad "journal file: findings with their journal fields differ:"; diff "$T/gw.want" "$T/gw.tsv"
fi
cursor=$(jq -r '.findings[0].fields.__CURSOR' "$T/gw.json")
case $cursor in s=*\;i=*) ok ;; *) bad "journal file: no cursor field ($cursor)" ;; esac
# the cursor in the finding is one journalctl accepts
if command -v journalctl >/dev/null 2>&1; then
	got=$(journalctl --file "$T/gw.journal" --cursor "$cursor" -n 1 -o cat 2>/dev/null | head -1)
	expect "journal file: journalctl --cursor finds the entry" \
		"received AUTHENTICATION_FAILED notify error" "$got"
fi
# finding ids are stable: the same file scanned again (its sequence numbers)
scan -f json "$T/gw.journal" | jq -r '.findings[].id' >"$T/ids2"
expect "journal file: finding ids are stable" "$(jq -r '.findings[].id' "$T/gw.json")" "$(cat "$T/ids2")"
# the sample as export text gives the same findings (line = entry number)
scan -f json "$SAMPLE" | jq -r '.findings[] | [.name, .line, .fields.conn, .text] | @tsv' >"$T/s.tsv"
jq -r '.findings[] | [.name, .line, .fields.conn, .text] | @tsv' "$T/gw.json" >"$T/b.tsv"
if cmp -s "$T/s.tsv" "$T/b.tsv"; then ok; else bad "export text and journal file differ"; diff "$T/s.tsv" "$T/b.tsv"; fi

# ---- journalctl -o json / -o export of that file ---------------------------
if command -v journalctl >/dev/null 2>&1; then
	for o in json export; do
		journalctl --file "$T/gw.journal" -o $o >"$T/gw-out.$o" 2>/dev/null
		scan -f json "$T/gw-out.$o" >"$T/o.json"
		expect "journalctl -o $o: format" "journal-$o" "$(jq -r '.inputs[0].format' "$T/o.json")"
		jq -r '.findings[] | [.name, .fields._HOSTNAME, .fields._SYSTEMD_UNIT, .fields.__CURSOR,
			.fields.conn, .text] | @tsv' "$T/o.json" >"$T/o.tsv"
		jq -r '.findings[] | [.name, .fields._HOSTNAME, .fields._SYSTEMD_UNIT, .fields.__CURSOR,
			.fields.conn, .text] | @tsv' "$T/gw.json" >"$T/b.tsv"
		if cmp -s "$T/b.tsv" "$T/o.tsv"; then ok; else
			bad "journalctl -o $o: findings differ from the journal file's"; diff "$T/b.tsv" "$T/o.tsv"
		fi
	done
else
	echo "SKIP journalctl -o json/export: no journalctl"
fi

# ---- charon's "NN[IKE] " kept in MESSAGE (no THREAD/GROUP fields) ----------
printf '%s\n' '__REALTIME_TIMESTAMP=1772697494000000' '_HOSTNAME=gw2' '_COMM=charon' '_PID=77' \
	'_SYSTEMD_UNIT=strongswan-starter.service' 'MESSAGE=09[IKE] received NO_PROPOSAL_CHOSEN notify error' '' \
	'__REALTIME_TIMESTAMP=1772697495000000' '_HOSTNAME=gw2' 'SYSLOG_IDENTIFIER=charon' '_PID=77' \
	'_SYSTEMD_UNIT=strongswan-starter.service' 'MESSAGE=11[IKE] peer not responding, trying again (2/3)' '' \
	'__REALTIME_TIMESTAMP=1772697496000000' '_HOSTNAME=gw2' 'SYSLOG_IDENTIFIER=charon' '_PID=77' \
	'_SYSTEMD_UNIT=strongswan-starter.service' 'MESSAGE=12[IKE] giving up after 5 retransmits' '' |
	to_journal "$T/prefix.journal"
scan -f json "$T/prefix.journal" >"$T/p.json"
expect "NN[IKE] in MESSAGE: findings" "IKEV2_NO_PROPOSAL_CHOSEN STRONGSWAN_RETRANSMIT_GIVEUP" \
	"$(jq -r '[.findings[].name] | join(" ")' "$T/p.json")"

# ---- a folder of journal files, a log beside them, an archive --------------
mkdir -p "$T/dir/remote"
to_journal "$T/dir/remote/remote-gw1.journal" <"$SAMPLE"
gen_entries 1 200 1772697600 gw3 | to_journal "$T/dir/remote/remote-gw3.journal"
cp samples/strongswan/charon-syslog-wrong-psk.log "$T/dir/remote/charon.log"
scan -f json --year 2025 "$T/dir" >"$T/d.json"
expect "folder: inputs" "$T/dir/remote/charon.log strongswan $T/dir/remote journal" \
	"$(jq -r '[.inputs[] | .path, .format] | join(" ")' "$T/d.json")"
expect "folder: journal entries of both files" 214 "$(jq -r '.inputs[1].records' "$T/d.json")"
expect "folder: hosts of the journal's findings" "gw3 west" \
	"$(jq -r '[.findings[] | select(.path | endswith("remote")) | .fields._HOSTNAME] | unique | join(" ")' "$T/d.json")"
expect "folder: findings" 4 "$(jq -r '[.findings[] | select(.path | endswith("remote"))] | length' "$T/d.json")"
# --jobs 2 gives the --jobs 1 report
scan -f json --year 2025 --jobs 1 "$T/dir" "$T/gw.journal" >"$T/j1.json"
scan -f json --year 2025 --jobs 2 "$T/dir" "$T/gw.journal" >"$T/j2.json"
if cmp -s "$T/j1.json" "$T/j2.json"; then ok; else bad "--jobs 2 differs from --jobs 1"; fi
# a journal in a tar archive (a support bundle's /var/log/journal)
tar -C "$T/dir/remote" -cf "$T/bundle.tar" remote-gw1.journal
scan -f json "$T/bundle.tar" >"$T/t.json"
expect "archive member: format and findings" "journal 2" \
	"$(jq -r '[(.inputs[] | select(.path | endswith(".journal")) | .format), (.findings | length)] | join(" ")' "$T/t.json")"

# ---- --journal-unit, --journal-match ---------------------------------------
names() { jq -r '[.findings[].name] | join(" ")'; }
scan -f json --journal-unit strongswan "$T/gw.journal" >"$T/u.json"
expect "--journal-unit strongswan" "IKEV2_AUTHENTICATION_FAILED" "$(names <"$T/u.json")"
scan -f json --journal-unit strongswan-starter.service "$T/gw.journal" >"$T/u.json"
expect "--journal-unit strongswan-starter.service" "STRONGSWAN_RETRANSMIT_GIVEUP" "$(names <"$T/u.json")"
scan -f json --journal-unit strongswan --journal-unit strongswan-starter "$T/gw.journal" >"$T/u.json"
expect "--journal-unit twice: either" "IKEV2_AUTHENTICATION_FAILED STRONGSWAN_RETRANSMIT_GIVEUP" "$(names <"$T/u.json")"
scan -f json --journal-match PRIORITY=5 --journal-match _SYSTEMD_UNIT=strongswan.service "$T/gw.journal" >"$T/u.json"
expect "--journal-match: different fields, both" "IKEV2_AUTHENTICATION_FAILED" "$(names <"$T/u.json")"
expect "--journal-match: entries read" 2 "$(jq -r '.inputs[0].records' "$T/u.json")"
scan -f json --journal-match _COMM=nothing --journal-match + --journal-match SYSLOG_IDENTIFIER=charon "$T/gw.journal" >"$T/u.json"
expect "--journal-match: '+' between alternatives" "STRONGSWAN_RETRANSMIT_GIVEUP" "$(names <"$T/u.json")"
scan -f json --journal-match nofield "$T/gw.journal" >/dev/null
expect "--journal-match without '=': exit status" 2 "$rc"
scan -f json --journal-unit a/b "$T/gw.journal" >/dev/null
expect "--journal-unit with a '/': exit status" 2 "$rc"

# ---- bad input ---------------------------------------------------------------
mkdir -p "$T/bad"
cp "$T/gw.journal" "$T/bad/good.journal"
head -c 3000 "$T/gw.journal" >"$T/bad/cut.journal"
echo "not a journal" >"$T/bad/text.journal"
scan -f json "$T/bad" >"$T/bad.json"
expect "bad folder: exit status" 3 "$rc"
expect "bad folder: the bad files named" "$T/bad/cut.journal error $T/bad/text.journal error" \
	"$(jq -r '[.inputs[] | select(.status == "error") | .path, .status] | join(" ")' "$T/bad.json")"
grep -q "cut.journal: not a readable journal file: the file is truncated" "$T/err" || bad "bad folder: stderr lacks the truncated file: $(cat "$T/err")"
grep -q "text.journal: not a journal file" "$T/err" || bad "bad folder: stderr lacks the text file: $(cat "$T/err")"
expect "bad folder: the good file is read" 2 "$(jq -r '.findings | length' "$T/bad.json")"
scan -f json "$T/bad/cut.journal" "$SAMPLE" >"$T/bad2.json"
expect "a truncated journal named: exit status" 3 "$rc"
grep -q "cut.journal: .*truncated" "$T/err" || bad "a truncated journal named: $(cat "$T/err")"
expect "a truncated journal named: the rest is read" 2 "$(jq -r '.findings | length' "$T/bad2.json")"
# an export stream cut in a binary field's data
{ sed -n '1,/^$/p' "$SAMPLE"; printf '_HOSTNAME=west\nMESSAGE\n\020\000\000\000\000\000\000\000short'; } >"$T/cut.export"
scan -f json "$T/cut.export" >"$T/c.json"
expect "a cut export stream: exit status" 3 "$rc"
grep -q "cut.export: .*binary field at line .* is cut short" "$T/err" || bad "a cut export stream: $(cat "$T/err")"

# ---- --missing-ok -------------------------------------------------------------
scan -f json "$T/nope.log" "$T/gw.journal" >"$T/m.json"
expect "a missing input: exit status" 3 "$rc"
scan -f json --missing-ok "$T/nope.log" "$T/gw.journal" >"$T/m.json"
expect "--missing-ok: exit status" 0 "$rc"
expect "--missing-ok: the note" "empty does not exist (--missing-ok): nothing read" \
	"$(jq -r '.inputs[0] | "\(.status) \(.note)"' "$T/m.json")"
scan -f json --missing-ok --jobs 2 "$T/nope.log" "$T/gw.journal" >/dev/null
expect "--missing-ok --jobs 2: exit status" 0 "$rc"

# ---- cron mode ------------------------------------------------------------------
S=$T/state
cp "$T/gw.journal" "$T/c.journal"
scan -f json --state "$S" "$T/c.journal" >"$T/r1.json"
expect "cron: first run" "0 2" "$rc $(jq -r '.findings | length' "$T/r1.json")"
grep -q "^journal $T/c.journal cursor=s=" "$S" || bad "cron: no journal record in the state: $(cat "$S")"
scan -f json --state "$S" "$T/c.journal" >"$T/r2.json"
expect "cron: nothing new" "0 0 0 ok" "$rc $(jq -r '"\(.findings | length) \(.inputs[0].records) \(.inputs[0].status)"' "$T/r2.json")"
# an injected failure: reported by the next run, not by the one after
printf '%s\n' '__REALTIME_TIMESTAMP=1795482000000000' '_HOSTNAME=west' '_COMM=charon-systemd' '_PID=1203' \
	'_SYSTEMD_UNIT=strongswan.service' 'GROUP=IKE' 'THREAD=9' 'IKE_SA_UNIQUE_ID=4' 'IKE_SA_NAME=site' \
	'MESSAGE=received TS_UNACCEPTABLE notify error' '' | to_journal "$T/c.journal"
scan -f json --state "$S" "$T/c.journal" >"$T/r3.json"
expect "cron: the injected failure" "IKEV2_TS_UNACCEPTABLE 15 site" \
	"$(jq -r '[.findings[] | .name, .line, .fields.conn] | join(" ")' "$T/r3.json")"
expect "cron: only the new entry read" 1 "$(jq -r '.inputs[0].records' "$T/r3.json")"
scan -f json --state "$S" "$T/c.journal" >"$T/r4.json"
expect "cron: not reported again" 0 "$(jq -r '.findings | length' "$T/r4.json")"
# the ids are those a full scan gives
scan -f json "$T/c.journal" >"$T/full.json"
expect "cron: ids as a full scan's" \
	"$(jq -r '.findings[].id' "$T/full.json" | sort | tr '\n' ' ')" \
	"$(cat "$T/r1.json" "$T/r3.json" | jq -r '.findings[].id' | sort | tr '\n' ' ')"
# -q prints nothing when nothing is new
scan -q --state "$S" "$T/c.journal" >"$T/q.out"
expect "cron: -q with nothing new" "0 0" "$rc $(wc -c <"$T/q.out")"
# a folder that gains a journal file between runs (a new remote host)
S2=$T/state2
mkdir -p "$T/fold"
gen_entries 1 100 1772697600 gwa | to_journal "$T/fold/remote-gwa.journal"
scan -f json --state "$S2" "$T/fold" >"$T/f1.json"
expect "cron folder: first run" 1 "$(jq -r '.findings | length' "$T/f1.json")"
gen_entries 101 200 1772697600 gwa | to_journal "$T/fold/remote-gwa.journal"
gen_entries 1 100 1772697900 gwb | to_journal "$T/fold/remote-gwb.journal"
scan -f json --state "$S2" "$T/fold" >"$T/f2.json"
expect "cron folder: the new entries of both files" "300 gwa gwa gwb" \
	"$(jq -r '[.inputs[0].records, ([.findings[] | .fields._HOSTNAME] | sort | .[])] | join(" ")' "$T/f2.json")"
scan -f json --state "$S2" "$T/fold" >"$T/f3.json"
expect "cron folder: nothing new" 0 "$(jq -r '.findings | length' "$T/f3.json")"
# a malformed journal record stops the run (exit 2), the state is left as it was
cp "$S" "$T/state.bad"
sed -i 's/^journal \(.*\) cursor=[^ ]*/journal \1 cursor=/' "$T/state.bad"
cp "$T/state.bad" "$T/state.bad.orig"
scan --state "$T/state.bad" "$T/c.journal" >/dev/null
expect "cron: malformed journal record: exit status" 2 "$rc"
grep -q "malformed journal record" "$T/err" || bad "cron: malformed journal record: $(cat "$T/err")"
cmp -s "$T/state.bad" "$T/state.bad.orig" || bad "cron: a malformed state was rewritten"

echo "journal: $pass passed, $fail failed"
[ "$fail" = 0 ]
