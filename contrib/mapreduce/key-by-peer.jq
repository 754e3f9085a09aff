# SPDX-License-Identifier: Apache-2.0
# key-by-peer.jq - the mapper's second half for a map/reduce run of ipsec-scan
# (docs/scale.md): one NDJSON report in (read whole: jq -r -s), one
# "KEY<TAB>RECORD" line out per record, KEY being the finding's peer address.
# A correlation window and every finding in it get the key of its first
# finding, so that a reducer (ipsec-scan merge) sees each window whole.
# Records without a peer (inputs, findings that name none) get the key "-";
# incidents and the summary are left out: merge makes them again.
#
#   ipsec-scan -f ndjson --fail-on none LOG | jq -r -s -f key-by-peer.jq
def peer: (.fields.peer // "-") | tostring | gsub("[\t\n]"; " ");
(map(select(.type == "finding") | {key: .id, value: peer}) | from_entries) as $fk
| (reduce (.[] | select(.type == "window" and (.findings | length) > 0)) as $w ({};
      ($fk[$w.findings[0]] // "-") as $k
      | reduce $w.findings[] as $id (.; .[$id] = $k))) as $wk
| .[]
| select(.type != "incident" and .type != "summary")
| (if .type == "finding" then ($wk[.id] // $fk[.id])
   elif .type == "window" and (.findings | length) > 0 then ($wk[.findings[0]] // "-")
   elif .type == "window" then ((.key.peer // "-") | tostring | gsub("[\t\n]"; " "))
   else "-" end) as $k
| "\($k)\t\(tojson)"
