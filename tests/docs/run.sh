#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Every ipsec-scan command shown in README.md and docs/*.md works as shown.
#
# The convention (docs/guide.md, "How the examples are checked"):
#   - In a fenced block opened with ```sh or ```console, every line "$ COMMAND" is run with
#     sh -c from the repository root (really: from a scratch directory whose entries link
#     to the repository's, so files a command writes land there), with `ipsec-scan` the
#     binary just built; commands run in order, so one may make the file the next reads
#     (the scratch directory is shared by all pages). A command may continue on the next line after a trailing "\".
#   - "# exit N" at the end of the command line is the exit status it must give
#     (0 when absent).
#   - The lines after the command, up to the next "$ " line or the end of the block, are
#     its expected standard output. A line "..." stands for any number of lines; "..."
#     inside a line for any text (at the end of a line, " ..." for the rest of it, so
#     long lines can be cut). A command with no lines after it has its exit status
#     checked only.
#   - Blocks without "$ " lines (placeholders such as events.log, snippets for other
#     platforms, marked as such in the text) are not run. A block right after a line
#     <!-- docs-check: skip --> is not run either.
#   - A command naming ../shared is skipped, with a message, when ../shared is absent.
#
#   sh tests/docs/run.sh [FILE.md...]
#   UPDATE=1 sh tests/docs/run.sh  rewrite the shown output of every command whose output
#                                  differs (lines over 100 characters cut with " ..."); a
#                                  block with a "..." line is left for a person to edit.
#                                  Read the diff before committing it!
set -u
cd "$(dirname "$0")/../.." || exit 2
REPO=$(pwd)
BIN=${BIN:-$REPO/ipsec-scan}
[ -x "$BIN" ] || { echo "tests/docs: build ipsec-scan first"; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/ipsec-scan-docs.XXXXXX") || exit 2
trap 'rm -rf "$W"' EXIT INT TERM
mkdir -p "$W/bin" "$W/repo"
ln -s "$BIN" "$W/bin/ipsec-scan"
for e in "$REPO"/* "$REPO"/.[!.]*; do
	[ -e "$e" ] || continue
	case ${e##*/} in ipsec-scan | .git) continue ;; esac
	ln -s "$e" "$W/repo/${e##*/}"
done
[ -e "$REPO/../shared" ] && ln -s "$(cd "$REPO/../shared" && pwd)" "$W/shared"

if [ $# -gt 0 ]; then files="$*"; else files="README.md $(ls docs/*.md)"; fi

# Cut the docs into cases: $W/cases/N.{cmd,want,rc,where}
mkdir -p "$W/cases"
for f in $files; do
	awk -v out="$W/cases" -v file="$f" -v start="$(ls "$W/cases" | grep -c '\.cmd$')" '
	function close_case() { if (n) { close(out "/" n ".want"); close(out "/" n ".cmd") } }
	BEGIN { n = start; inblk = 0; run = 0; skipnext = 0; cont = 0 }
	/^<!-- docs-check: skip -->/ { skipnext = 1; next }
	/^```/ {
		if (!inblk) {
			inblk = 1
			run = ($0 ~ /^```(sh|console)[ \t]*$/) && !skipnext
			skipnext = 0; cur = 0
		} else { inblk = 0; close_case(); cur = 0 }
		next
	}
	!inblk { if ($0 !~ /^[ \t]*$/) skipnext = 0; next }
	!run { next }
	cont {
		line = $0; more = sub(/\\$/, "", line)
		printf " %s", line > (out "/" n ".cmd")
		if (!more) { cont = 0; printf "\n" > (out "/" n ".cmd") }
		next
	}
	/^\$ / {
		close_case(); n++; cur = n
		cmd = substr($0, 3); rc = 0
		if (match(cmd, /# exit [0-9]+[ \t]*$/)) rc = substr(cmd, RSTART + 7) + 0
		print file ":" NR > (out "/" n ".where"); close(out "/" n ".where")
		print rc > (out "/" n ".rc"); close(out "/" n ".rc")
		printf "" > (out "/" n ".want")
		more = sub(/\\$/, "", cmd)
		printf "%s", cmd > (out "/" n ".cmd")
		if (more) cont = 1; else printf "\n" > (out "/" n ".cmd")
		next
	}
	cur { print > (out "/" n ".want") }
	' "$f"
done

# Does the output ($1) match the expected lines ($2)? "..." lines and "...$" prefixes.
matches() {
	awk -v wantf="$2" '
	BEGIN { while ((getline l < wantf) > 0) { sub(/[ \t]+$/, "", l); w[++nw] = l } }
	{ sub(/[ \t]+$/, ""); a[++na] = $0 }
	# "..." inside a line stands for any text ("a ...": a, then anything)
	function eq(x, y,   re, i, c) {
		if (x == y) return 1
		if (index(x, "...") == 0) return 0
		sub(/ \.\.\.$/, "...", x)
		re = ""
		for (i = 1; i <= length(x); i++) {
			if (substr(x, i, 3) == "...") { re = re ".*"; i += 2; continue }
			c = substr(x, i, 1)
			re = re (index("\\^$.[]|()*+?{}/", c) ? "\\" c : c)
		}
		return y ~ ("^" re "$")
	}
	# segments between "..." lines must appear in order; the first at the start unless
	# "..." comes first, the last at the end unless "..." comes last
	END {
		while (nw > 0 && w[nw] == "") nw--
		while (na > 0 && a[na] == "") na--
		pos = 1; i = 1
		while (i <= nw) {
			if (w[i] == "...") { i++; continue }
			j = i; while (j <= nw && w[j] != "...") j++
			len = j - i; free = (i > 1 && w[i - 1] == "...")
			last = (j > nw)
			found = 0
			for (s = pos; s + len - 1 <= na; s++) {
				if (!free && s != pos) break
				if (last && s + len - 1 != na) continue
				ok = 1
				for (k = 0; k < len; k++) if (!eq(w[i + k], a[s + k])) { ok = 0; break }
				if (ok) { found = 1; break }
			}
			if (!found) exit 1
			pos = s + len; i = j
		}
		if (nw > 0 && w[nw] != "..." && pos <= na) exit 1
		exit 0
	}' "$1"
}

pass=0 fail=0 skip=0
for c in $(ls "$W/cases" | grep '\.cmd$' | sort -n); do
	n=${c%.cmd}
	cmd=$(cat "$W/cases/$n.cmd")
	where=$(cat "$W/cases/$n.where")
	want_rc=$(cat "$W/cases/$n.rc")
	case $cmd in *../shared*)
		if [ ! -e "$W/shared" ]; then
			skip=$((skip + 1)); echo "SKIP: $where: needs ../shared, which is absent"; continue
		fi ;;
	esac
	(cd "$W/repo" && PATH="$W/bin:$PATH" TZ=UTC NO_COLOR=1 sh -c "$cmd") >"$W/out" 2>"$W/err" </dev/null
	rc=$?
	if [ "$rc" != "$want_rc" ]; then
		fail=$((fail + 1)); echo "FAIL: $where: \$ $cmd"
		echo "    exit status $rc, the doc says $want_rc"; sed 's/^/    stderr: /' "$W/err" | head -5
		continue
	fi
	if [ -s "$W/cases/$n.want" ] && ! matches "$W/out" "$W/cases/$n.want"; then
		fail=$((fail + 1)); echo "FAIL: $where: \$ $cmd"
		echo "    the output differs from the doc (- doc, + now):"
		diff -u "$W/cases/$n.want" "$W/out" | sed -n '3,40p' | sed 's/^/    /'
		if [ "${UPDATE:-}" = 1 ]; then
			if grep -qx '\.\.\.' "$W/cases/$n.want"; then
				echo "    UPDATE: not rewritten (the doc elides lines with ...): edit it by hand"
			else
				cp "$W/out" "$W/cases/$n.got"
				echo "${where%%:*} ${where##*:} $(wc -l <"$W/cases/$n.want") $W/cases/$n.got" >>"$W/updates"
			fi
		fi
		continue
	fi
	pass=$((pass + 1))
done
# Coverage: every long option --help shows is in docs/usage.md, and every input and
# container format name is in docs/formats.md (only when checking all the docs).
if [ $# = 0 ]; then
	for o in $("$BIN" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		if grep -q -- "$o" docs/usage.md; then pass=$((pass + 1)); else
			fail=$((fail + 1)); echo "FAIL: docs/usage.md does not mention $o (shown by --help)"
		fi
	done
	fmts=$("$BIN" --help | sed -n '/--input-format/,/--tz/p' | sed '$d' | sed 's/.*://' | tr -s ', ' '\n\n' |
		grep -x '[a-z0-9-]*' | grep -v '^$')
	[ -n "$fmts" ] || { fail=$((fail + 1)); echo "FAIL: no format names found in --help"; }
	for f in $fmts gz bz2 xz zst zip tar dir; do
		if grep -q "\`$f\`" docs/formats.md; then pass=$((pass + 1)); else
			fail=$((fail + 1)); echo "FAIL: docs/formats.md does not describe \`$f\`"
		fi
	done
fi
# UPDATE=1: put each differing command's output in its doc, last place first per file so
# that line numbers stay right. The shown output is the lines after the command (and its
# continuation lines) up to the next "$ " line or the end of the block.
if [ "${UPDATE:-}" = 1 ] && [ -s "$W/updates" ]; then
	sort -k1,1 -k2,2nr "$W/updates" | while read -r file line nwant got; do
		awk -v at="$line" -v n="$nwant" -v got="$got" '
		function emit(   l) {
			while ((getline l < got) > 0) {
				if (length(l) > 100) {
					l = substr(l, 1, 96)
					sub(/[. ]+$/, "", l) # "x." + " ..." would read as "x" "..." "."
					l = l " ..."
				}
				print l
			}
			left = n
		}
		NR < at { print; next }
		NR == at { print; if ($0 ~ /\\$/) state = 1; else { state = 2; emit() }; next }
		state == 1 { print; if ($0 !~ /\\$/) { state = 2; emit() }; next }
		state == 2 && left > 0 { left--; next }
		{ print }' "$file" >"$W/upd.tmp" && cat "$W/upd.tmp" >"$file"
		echo "UPDATE: $file:$line rewritten"
	done
fi
echo "docs commands: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
