#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The HTML report in a real browser: headless Chromium renders the report of
# the corpus (../shared/corpus; samples/ where it is absent) and must give a
# screenshot that is not blank and no console message (a script the CSP
# blocks, a resource it refuses, a parse problem it reports all show there).
#
#   sh tests/report/browser.sh                 (make test runs it: make html-check)
#   SHOT=docs/report-screenshot.png sh tests/report/browser.sh
#                                              also keep the screenshot there
# Skipped, with a message, where chromium is missing (Debian: chromium; `make deps`
# installs it), except under CI (CI set), where that fails.
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${BIN:-./ipsec-scan}
CORPUS=${CORPUS:-../shared/corpus}
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
	if [ -n "${CI:-}" ]; then echo "FAIL html-check: chromium is needed (Debian: chromium)"; exit 1; fi
	echo "SKIP html-check: chromium is needed (Debian: chromium; make deps installs it)"
	exit 0
fi
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-browser.XXXXXX") || exit 2
fail=0
bad() { echo "FAIL html-check: $*"; fail=$((fail + 1)); }
input=samples/
[ -d "$CORPUS" ] && input=$CORPUS
"$BIN" -f html --fail-on none --no-progress --tz UTC --year 2025 -o "$OUT/report.html" "$input" 2>/dev/null
[ -s "$OUT/report.html" ] || { bad "no report from $input"; exit 1; }

# one profile per run, nothing fetched or updated in the background
chrome() {
	profile=$(mktemp -d "$OUT/profile.XXXXXX")
	timeout 180 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" --enable-logging=stderr --v=0 "$@" "file://$OUT/report.html"
}
chrome --screenshot="$OUT/report.png" --window-size=1280,2000 >"$OUT/shot.out" 2>"$OUT/shot.err"
rc=$?
[ $rc = 0 ] || bad "chromium --screenshot exited with $rc: $(tail -2 "$OUT/shot.err")"
# a PNG of 1280x2000; a blank page compresses to a few kilobytes, the report to far more
if ! [ -s "$OUT/report.png" ] || [ "$(head -c 8 "$OUT/report.png" | od -An -c | tr -d ' ')" != '211PNG\r\n032\n' ]; then
	bad "no PNG screenshot"
elif [ "$(wc -c <"$OUT/report.png")" -lt 40000 ]; then
	bad "the screenshot is nearly blank ($(wc -c <"$OUT/report.png") bytes)"
fi
chrome --dump-dom >"$OUT/dom.html" 2>"$OUT/dom.err"
# the whole page was read (its last line is in the DOM)
grep -q 'Written by ipsec-scan' "$OUT/dom.html" || bad "the DOM lacks the end of the page"
# Chromium logs every console message as ":CONSOLE"
if grep -h ':CONSOLE' "$OUT/shot.err" "$OUT/dom.err" >"$OUT/console"; then
	bad "console messages:"; head -5 "$OUT/console"
fi
if [ $fail = 0 ] && [ -n "${SHOT:-}" ]; then cp "$OUT/report.png" "$SHOT"; fi
if [ $fail = 0 ]; then
	echo "html-check: the report of $input renders in $("$CHROMIUM" --version 2>/dev/null | head -1) ($(wc -c <"$OUT/report.html") bytes, screenshot $(wc -c <"$OUT/report.png") bytes), no console message"
	rm -rf "$OUT"
else
	echo "outputs kept in $OUT"; exit 1
fi
