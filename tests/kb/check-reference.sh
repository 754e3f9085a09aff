#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Check every knowledge-base entry against the reference tables it was built from:
# winerror-ipsec.tsv and raserror-vpn.tsv (code, hex, name, exact message), ike-notify.tsv
# (IKEV2_/IKEV1_ names, notify number, meaning), cisco-asa-ipsec.tsv (ASA_<id>, meaning)
# and the NTSTATUS table of hresult-and-ntstatus.md (STATUS_IPSEC_* forms).
# Each row must be in the built binary's knowledge base, found by every lookup form.
# Skips where ../shared/reference is absent (it ships beside the project, not in it).
set -u
cd "$(dirname "$0")/../.." || exit 2
REF=${REF:-../shared/reference}
BIN=${BIN:-./ipsec-scan}
if [ ! -d "$REF" ]; then
	echo "SKIP knowledge base vs reference tables: $REF is absent"
	exit 0
fi
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
"$BIN" explain --all -f json > "$tmp/kb.json" || exit 2

# 1. Windows codes: every field exact, and the code found by each form explain accepts.
for t in winerror-ipsec raserror-vpn; do
	tail -n +2 "$REF/$t.tsv" | jq -R -r --slurpfile kb "$tmp/kb.json" '
		split("\t") as $r
		| ($kb[0] | map(select(.code == ($r[0] | tonumber))) | first) as $e
		| if $e == null then "FAIL \($r[0]): no entry"
		  elif $e.name != $r[2] then "FAIL \($r[0]): name \($e.name) != \($r[2])"
		  elif $e.hex != $r[1] then "FAIL \($r[0]): hex \($e.hex) != \($r[1])"
		  elif $e.message != $r[3] then "FAIL \($r[0]): message differs"
		  else "ok \($r[0]) \($r[1]) \($e.hresult) \($e.hresult_signed) \($r[2])" end'
done > "$tmp/codes.txt"

# every lookup form of every code resolves to that code (one explain run per form)
grep '^ok ' "$tmp/codes.txt" | while read -r _ code hex hr hrs name; do
	printf '%s\n%s\n%s\n%s\n%s\n' "$code" "$hex" "$hr" "$hrs" "$name"
done > "$tmp/keys.txt"
if [ -s "$tmp/keys.txt" ]; then
	# shellcheck disable=SC2046
	"$BIN" explain -f json -- $(cat "$tmp/keys.txt") | jq -r '.[].code' > "$tmp/found.txt"
	grep '^ok ' "$tmp/codes.txt" | while read -r _ code _; do
		for i in 1 2 3 4 5; do echo "$code"; done
	done > "$tmp/want.txt"
	if ! cmp -s "$tmp/want.txt" "$tmp/found.txt"; then
		echo "FAIL lookup forms: explain resolved some forms to other codes:"
		diff "$tmp/want.txt" "$tmp/found.txt" | head -10
		echo "FAIL lookup" >> "$tmp/codes.txt"
	fi
fi

# 2. IKE notify errors
tail -n +2 "$REF/ike-notify.tsv" | jq -R -r --slurpfile kb "$tmp/kb.json" '
	split("\t") as $r
	| ((if $r[0] == "IKEv2" then "IKEV2_" else "IKEV1_" end) + ($r[2] | ascii_upcase)) as $n
	| ($kb[0] | map(select(.name == $n)) | first) as $e
	| if $e == null then "FAIL \($n): no entry"
	  elif $e.notify != ($r[1] | tonumber) then "FAIL \($n): notify \($e.notify) != \($r[1])"
	  elif $e.message != $r[3] then "FAIL \($n): meaning differs"
	  else "ok \($n)" end' > "$tmp/notify.txt"

# 3. Cisco ASA/FTD messages
tail -n +2 "$REF/cisco-asa-ipsec.tsv" | jq -R -r --slurpfile kb "$tmp/kb.json" '
	split("\t") as $r | ("ASA_" + $r[0]) as $n
	| ($kb[0] | map(select(.name == $n)) | first) as $e
	| if $e == null then "FAIL \($n): no entry"
	  elif $e.message != $r[2] then "FAIL \($n): meaning differs"
	  else "ok \($n)" end' > "$tmp/asa.txt"

# 4. The IPsec driver's NTSTATUS twins (hresult-and-ntstatus.md, section 3): the name,
#    the value, its signed decimal (WFP's INT32 failureStatus) and the HRESULT_FROM_NT
#    form (value | 0x10000000) all resolve to the Win32 code with the same text.
sed -n '/^## 3\. NTSTATUS/,/^## 4\./p' "$REF/hresult-and-ntstatus.md" |
	sed -n 's/^| \(STATUS_IPSEC_[A-Z_]*\) | \(0xC036[0-9A-F]*\) | \(-[0-9]*\) | \([0-9]*\).*/\1 \2 \3 \4/p' |
	while read -r name val dec code; do
		ntres="0xD${val#0xC}"
		for k in "$name" "$val" "$dec" "$ntres"; do
			got=$("$BIN" explain -f json -- "$k" 2>/dev/null | jq -r '.[0].code')
			if [ "$got" = "$code" ]; then echo "ok $k"; else echo "FAIL $k: resolves to '$got', not $code"; fi
		done
	done > "$tmp/ntstatus.txt"
[ -s "$tmp/ntstatus.txt" ] || echo "FAIL ntstatus: no rows read from hresult-and-ntstatus.md" > "$tmp/ntstatus.txt"

all="$tmp/codes.txt $tmp/notify.txt $tmp/asa.txt $tmp/ntstatus.txt"
# shellcheck disable=SC2086
cat $all | grep '^FAIL'
# shellcheck disable=SC2086
pass=$(cat $all | grep -c '^ok ')
# shellcheck disable=SC2086
fail=$(cat $all | grep -c '^FAIL')
echo "knowledge base vs reference tables: $pass passed, $fail failed"
[ "$fail" = 0 ]
