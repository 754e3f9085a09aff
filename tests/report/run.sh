#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Checks of the report formats that a golden file cannot express:
#   - every format is deterministic (two runs give the same bytes);
#   - SARIF keeps GitHub code scanning's limits and fields (results limit, line hashes,
#     %SRCROOT%, rule metadata) and validates against the official SARIF 2.1.0 JSON schema
#     (tests/data/sarif-schema-2.1.0.json, with ajv + ajv-formats from npm,
#     installed under tests/node_modules by `npm ci`; skipped with a message
#     where node or npm is missing, or, outside CI, where the install fails);
#   - JUnit XML is well-formed (xmllint), valid against tests/data/junit-10.xsd, has one
#     test case per incident with one <failure>, and its counts match its elements;
#   - HTML refers to nothing outside itself and shows log text inert
#     (a <script> planted in a log comes out escaped);
#   - Markdown (rendered by cmark-gfm where present), CSV and NDJSON keep hostile
#     log text in its place;
#   - github and codequality have the shapes docs/usage.md documents
#     (tests/report/ci-formats.sh).
#
#   sh tests/report/run.sh      (from anywhere; make test runs it)
# VALGRIND, when set, prefixes every run of the binary.
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
# a directory of its own: tests/e2e/run.sh empties tests/out/ when it starts
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-report.XXXXXX") || exit 2
pass=0 fail=0 skip=0
FORMATS="text json ndjson sarif junit markdown html csv github codequality"
# the github writer appends a job summary where this names a file: not during the runs above
unset GITHUB_STEP_SUMMARY
HOSTILE=tests/e2e/data/report-hostile.log
# what the checks run on: one Windows client log, one strongSwan log, the hostile log,
# and everything in samples/ (several inputs, several incidents)
SETS="plain:samples/plain/vpn-client.log strongswan:samples/strongswan/charon-syslog-wrong-psk.log hostile:$HOSTILE samples:samples/"

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
skipped() { echo "SKIP $*"; skip=$((skip + 1)); }

run() { # format set-name input -> $OUT/set.format
	# shellcheck disable=SC2086
	${VALGRIND:-} "$BIN" -f "$1" --tz UTC --year 2025 --fail-on none "$3" >"$OUT/$2.$1" 2>"$OUT/$2.$1.err"
}

# ---- determinism --------------------------------------------------------
for s in $SETS; do
	name=${s%%:*} input=${s#*:}
	for f in $FORMATS; do
		run "$f" "$name" "$input"
		rc=$?
		if [ $rc != 0 ]; then
			bad "$f on $input: exit status $rc"; head -3 "$OUT/$name.$f.err"; continue
		fi
		cp "$OUT/$name.$f" "$OUT/$name.$f.first"
		run "$f" "$name" "$input"
		if cmp -s "$OUT/$name.$f" "$OUT/$name.$f.first"; then ok; else
			bad "$f on $input: two runs differ"; fi
	done
done

# ---- SARIF: GitHub code scanning's limits and fields ------------------------
# the 25,000-results limit, lowered to 5 for the test (IPSEC_SCAN_SARIF_MAX_RESULTS)
IPSEC_SCAN_SARIF_MAX_RESULTS=5 "$BIN" -f sarif --tz UTC --year 2025 --fail-on none samples/ >"$OUT/limited.sarif" 2>/dev/null
# an absolute input under the working directory: relative to %SRCROOT%
"$BIN" -f sarif --tz UTC --year 2025 --fail-on none "$(pwd)/samples/strongswan" >"$OUT/absolute.sarif" 2>/dev/null
if command -v jq >/dev/null 2>&1; then
	total=$(jq '.runs[0].results | length' "$OUT/samples.sarif")
	if jq -e --argjson total "$total" '.runs[0] | (.results | length) == 5 and
		.properties.omittedResults == $total - 5 and .properties.resultsLimit == 25000 and
		any(.invocations[0].toolExecutionNotifications[]; .descriptor.id == "results-limit") and
		([.results[].level] | index("note") | not)' "$OUT/limited.sarif" >/dev/null; then ok; else
		bad "SARIF past the results limit: not 5 results, omittedResults, a notification"; fi
	if jq -e '.runs[0] | .automationDetails.id == "ipsec-scan/" and .originalUriBaseIds["%SRCROOT%"] and
		all(.results[]; .partialFingerprints.primaryLocationLineHash | test("^[0-9a-f]{16}:[1-9][0-9]*$")) and
		all(.results[]; .partialFingerprints["ipsecScanFindingId/v1"] or .partialFingerprints["ipsecScanIncidentId/v1"]) and
		all(.tool.driver.rules[]; (.name | test("^[A-Z][A-Za-z0-9]*$")) and
			(.properties.precision | IN("very-high", "high", "medium", "low")) and
			(.properties["problem.severity"] | IN("error", "warning", "recommendation")))' \
		"$OUT/samples.sarif" >/dev/null &&
		jq -e '[.runs[0].results[].locations[0].physicalLocation.artifactLocation] |
			length > 0 and all(.[]; .uriBaseId == "%SRCROOT%" and (.uri | startswith("samples/strongswan/")))' \
		"$OUT/absolute.sarif" >/dev/null; then ok; else
		bad "SARIF: automationDetails, %SRCROOT%, line hashes, rule name/precision/problem.severity"; fi
else
	skipped "SARIF field checks: jq is needed"
fi

# ---- SARIF: the official schema ------------------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	skipped "SARIF schema validation: node and npm are needed (Debian: nodejs npm)"
else
	if [ ! -f tests/node_modules/ajv/package.json ] || [ ! -f tests/node_modules/ajv-formats/package.json ]; then
		echo "installing the SARIF validator (ajv, ajv-formats) under tests/node_modules"
		npm ci --prefix tests --no-audit --no-fund --loglevel=error >"$OUT/npm.log" 2>&1 ||
			{ echo "npm ci failed:"; tail -5 "$OUT/npm.log"; }
	fi
	if [ -f tests/node_modules/ajv/package.json ]; then
		files=""
		for s in $SETS; do files="$files $OUT/${s%%:*}.sarif"; done
		files="$files $OUT/limited.sarif $OUT/absolute.sarif"
		# shellcheck disable=SC2086
		if node tests/report/validate-sarif.js $files >"$OUT/sarif.log" 2>&1; then ok; else
			bad "SARIF does not validate:"; cat "$OUT/sarif.log"; fi
	elif [ "${CI:-}" = true ]; then
		bad "SARIF schema validation: could not install ajv:"; tail -5 "$OUT/npm.log"
	else
		skipped "SARIF schema validation: could not install ajv from npm (offline?)"
	fi
fi

# ---- JUnit: well-formed, counts match the elements ------------------------
if command -v xmllint >/dev/null 2>&1; then
	for s in $SETS; do
		x="$OUT/${s%%:*}.junit"
		if ! xmllint --noout "$x" 2>"$OUT/xmllint.err"; then
			bad "$x is not well-formed XML:"; head -5 "$OUT/xmllint.err"; continue
		fi
		q() { xmllint --xpath "$1" "$x" 2>/dev/null; }
		want="$(q 'count(//testcase)') $(q 'count(//testcase[failure])') $(q 'count(//testcase[error])')"
		got="$(q 'string(/testsuites/testsuite/@tests)') $(q 'string(/testsuites/testsuite/@failures)') $(q 'string(/testsuites/testsuite/@errors)')"
		top="$(q 'string(/testsuites/@tests)') $(q 'string(/testsuites/@failures)') $(q 'string(/testsuites/@errors)')"
		if [ "$want" = "$got" ] && [ "$want" = "$top" ] && [ "$(q 'count(/testsuites/testsuite)')" = 1 ] &&
			[ "$(q 'count(//testcase[not(@classname) or not(@name)])')" = 0 ]; then ok; else
			bad "$x: tests/failures/errors say '$got' (testsuites '$top'), the elements '$want'"; fi
		# valid against Jenkins' xUnit schema (MIT, copied from ../shared/reference/junit-10.xsd)
		if xmllint --noout --schema tests/data/junit-10.xsd "$x" 2>"$OUT/xsd.err"; then ok; else
			bad "$x does not validate against junit-10.xsd:"; head -5 "$OUT/xsd.err"; fi
		# one failed case per incident, at most one <failure> per case, a passing case per
		# input without a failed case, times with three decimals
		incidents=$(jq '.incidents | length' "$OUT/${s%%:*}.json")
		cases="$(q 'count(//testcase[failure[starts-with(normalize-space(.), "Incident ")]])') $(q 'count(//testcase[count(failure) > 1])') $(q 'count(//testcase[@time and not(contains(@time, "."))])')"
		if [ "$cases" = "$incidents 0 0" ]; then ok; else
			bad "$x: '$cases' (incident cases, cases with several failures, times without decimals), want '$incidents 0 0'"; fi
		passing=$(q 'count(//testcase[@name="no incident"][not(failure)])')
		want=$(jq '[.incidents[].findings[]] as $in |
			([.findings[] | select((.id as $i | $in | index($i)) or .severity != "info") | .path] +
			 [.incidents[] | select(.findings | length == 0) | .path]) as $busy |
			[.inputs[] | select(.status == "ok" or .status == "empty") | select(.path as $p | $busy | index($p) | not)] | length' \
			"$OUT/${s%%:*}.json")
		if [ "$passing" = "$want" ]; then ok; else
			bad "$x: $passing passing cases, $want inputs without a finding at warning or above"; fi
	done
else
	skipped "JUnit well-formedness: xmllint is needed (Debian: libxml2-utils)"
fi

# ---- HTML: self-contained and inert ----------------------------------------
for s in $SETS; do
	h="$OUT/${s%%:*}.html"
	# the plain check, outside the cells that show log text (key=value logs such as
	# SonicWall's carry src= themselves; the tag check below covers those cells)
	if [ "${s%%:*}" != hostile ] &&
		sed -E 's/<td class="text">[^<]*//g; s/<div class="why">[^<]*//g' "$h" |
		grep -nE 'src=|href="http' >"$OUT/html-refs"; then
		bad "$h refers to something outside itself:"; head -3 "$OUT/html-refs"
	else ok; fi
	# every tag: no attribute that loads anything, links only within the page
	if grep -oE '<[^>]+>' "$h" | grep -iE '[[:space:]](src|srcset|action|data|poster|background)=|href="[^#]|@import|url\(' \
		>"$OUT/html-refs"; then
		bad "$h: a tag loads or links outside the page:"; head -3 "$OUT/html-refs"
	else ok; fi
	if [ "$(grep -ci '<script' "$h")" != 0 ]; then bad "$h contains a <script> element"; else ok; fi
done
h="$OUT/hostile.html"
if grep -qF '&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;' "$h" &&
	grep -qF '&lt;img src=x onerror=alert(1)&gt;' "$h" && ! grep -q '<img' "$h"; then ok; else
	bad "$h does not show the planted <script> and <img> as text"; fi

# ---- Markdown: log text stays text -------------------------------------------
m="$OUT/hostile.markdown"
# the record with ``` in it is fenced by four backticks; the | inside a cell is escaped
if grep -qF '````2026-03-05T07:58:15Z CLIENT01 vpnhelper[4120]: <script>' "$m" &&
	grep -qF '@SUM(1)\|<img' "$m"; then ok; else
	bad "$m: hostile text is not held in code spans"; fi

# rendered as GitHub-flavoured Markdown, log text makes no link, image or HTML
if command -v cmark-gfm >/dev/null 2>&1; then
	cmark-gfm --unsafe -e table -e autolink -e strikethrough "$m" >"$OUT/hostile.md.html"
	if grep -qiE '<(a|img|script|b)[ >]' "$OUT/hostile.md.html"; then
		bad "$m renders markup from log text:"; grep -oiE '<(a|img|script|b)[ >][^>]*' "$OUT/hostile.md.html" | head -3
	else ok; fi
else
	skipped "Markdown rendering check: cmark-gfm is needed (Debian: cmark-gfm)"
fi

# ---- CSV: formula injection neutralised, RFC 4180 quoting ------------------
c="$OUT/hostile.csv"
if grep -qF ",\"'@SUM(1)|<img src=x onerror=alert(1)>\",\"'=HYPERLINK(\"\"http://evil.example/?\"\")\"," "$c" &&
	[ "$(head -1 "$c")" = "$(printf 'id,time,severity,code,name,path,line,host,peer,local,conn,user,incident,message,text\r')" ] &&
	! LC_ALL=C grep -q "$(printf '\033')" "$c"; then ok; else
	bad "$c: formula guard, quoting or control characters wrong"; fi

# ---- NDJSON: one valid object per line, types in order ---------------------
if command -v jq >/dev/null 2>&1; then
	for s in $SETS; do
		n="$OUT/${s%%:*}.ndjson"
		types=$(jq -r .type "$n" 2>"$OUT/jq.err" | uniq | tr '\n' ' ')
		lines=$(wc -l <"$n")
		objs=$(jq -c . "$n" 2>/dev/null | wc -l)
		case "$types" in
		"input finding incident summary " | "input finding summary " | "input summary " | \
		"input finding window incident summary " | "input window incident summary ")
			if [ "$lines" = "$objs" ]; then ok; else bad "$n: $lines lines but $objs objects"; fi ;;
		*) bad "$n: types in the wrong order or invalid JSON: '$types'"; head -3 "$OUT/jq.err" ;;
		esac
	done
else
	skipped "NDJSON checks: jq is needed"
fi

# ---- github, codequality: the documented shapes -----------------------------
for s in $SETS; do
	if BIN="$BIN" sh tests/report/ci-formats.sh "${s#*:}" >"$OUT/ci-formats.log" 2>&1; then ok; else
		bad "github/codequality shapes on ${s#*:}:"; tail -5 "$OUT/ci-formats.log"; fi
done

# ---- --help and usage errors point at the man page and the installed documents
if "$BIN" --help | grep -q 'docs/[a-z]*\.md' || ! "$BIN" --help | grep -q 'man ipsec-scan' ||
	! "$BIN" --help | grep -q 'share/doc/ipsec-scan' || ! "$BIN" --no-such-option 2>&1 | grep -q "man ipsec-scan"; then
	bad "--help names docs/*.md, or not the man page and the installed documents"
else ok; fi

# ---- TERM=dumb: no colour, no escape sequences in the progress line ----------
esc=$(printf '\033')
if TERM=dumb "$BIN" --progress --fail-on none --tz UTC samples/plain/vpn-client.log 2>&1 >/dev/null |
	grep -q "$esc"; then bad "TERM=dumb: the progress line holds escape sequences"; else ok; fi
if command -v script >/dev/null 2>&1; then
	# on a terminal (script(1) gives one): colour, but not when TERM is dumb
	TERM=xterm script -qc "$BIN --fail-on none --tz UTC samples/plain/vpn-client.log" /dev/null >"$OUT/tty.xterm" 2>&1
	TERM=dumb script -qc "$BIN --fail-on none --tz UTC samples/plain/vpn-client.log" /dev/null >"$OUT/tty.dumb" 2>&1
	if grep -q "$esc" "$OUT/tty.xterm" && ! grep -q "$esc" "$OUT/tty.dumb"; then ok; else
		bad "colour on a terminal: TERM=xterm should colour, TERM=dumb should not"; fi
else
	skipped "TERM=dumb colour check: script(1) is needed (Debian: bsdutils)"
fi

echo "report checks: $pass passed, $fail failed, $skip skipped"
if [ $fail = 0 ]; then rm -rf "$OUT"; else echo "outputs kept in $OUT"; exit 1; fi
