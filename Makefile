# SPDX-License-Identifier: Apache-2.0
# ipsec-scan - a plain Makefile (Redis style): explicit objects, generated
# dependency files, pkg-config for every library.
#
#   make            build ./ipsec-scan
#   make run        build and scan samples/ (exit 0)
#   make test       build and run every test (unit, rules, end-to-end, cron mode, merge)
#   make deps       install the Debian packages the build and tests need
#   make asan       the test suite under AddressSanitizer + UBSan
#   make valgrind   the test suite under valgrind
#   make docs       regenerate docs/codes.md from the knowledge base
#   make install    binary, man page, completion, rules examples, systemd units, docs
#                   (PREFIX=/usr/local, DESTDIR for staging); make uninstall removes them
#   make deb        a Debian package (dpkg-buildpackage) in build/deb/; make deb-check tests it
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (clang; docs/security.md)

VERSION   := 0.1.0
CC        ?= cc
PKG_CONFIG ?= pkg-config
PKGS      := libpcre2-8 yaml-0.1 yajl libarchive expat libevtx libsystemd
OPT       ?= -O2
CFLAGS    ?= $(OPT) -g
WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wformat=2 -Wno-format-nonliteral -Wvla -Wpointer-arith
ifeq ($(WERROR),1)
WARN      += -Werror
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# SARIF's informationUri and rules' helpUri (HELP_URL#NAME): make HOMEPAGE=URL; left out when empty
HOMEPAGE  ?=
HELP_URL  ?= $(if $(HOMEPAGE),$(HOMEPAGE)/docs/codes.md,)
ALL_CFLAGS = $(CPPFLAGS) -std=c11 -D_GNU_SOURCE -DIPS_VERSION='"$(VERSION)"' $(WARN) $(CFLAGS) \
             -DIPS_HOMEPAGE='"$(HOMEPAGE)"' -DIPS_HELP_URL='"$(HELP_URL)"' -DIPS_DOCDIR='"$(DOCDIR)"' \
             -Ianalyzer -Ibuild $(PKG_CFLAGS) $(SAN)
LDLIBS     = $(PKG_LIBS) $(SAN)

B := build
LIB_OBJS := $(B)/util.o $(B)/status.o $(B)/versions.o $(B)/rules.o $(B)/rules_parse.o $(B)/rules_load.o $(B)/rules_check.o $(B)/prefilter.o $(B)/match.o $(B)/normalize.o \
            $(B)/source.o $(B)/framer.o $(B)/framer_lines.o $(B)/results.o $(B)/context.o $(B)/scan.o $(B)/scan_record.o $(B)/scan_resume.o $(B)/scan_split.o \
            $(B)/report.o $(B)/report_json.o $(B)/report_text.o $(B)/explain.o \
            $(B)/rulecheck.o $(B)/proposal.o $(B)/container.o $(B)/correlate.o $(B)/state.o $(B)/state_file.o \
            $(B)/config.o $(B)/window.o $(B)/join.o $(B)/incident.o $(B)/settle.o \
            $(B)/cron.o $(B)/decode.o $(B)/winevent.o $(B)/winevent_derive.o $(B)/xmlfeed.o \
            $(B)/jsonevent.o $(B)/framer_evtx.o $(B)/evtx_binxml.o $(B)/framer_winxml.o $(B)/framer_wfpxml.o \
            $(B)/framer_wintext.o $(B)/framer_wincsv.o $(B)/framer_winjson.o \
            $(B)/framer_ndjson.o $(B)/framer_pslist.o $(B)/framer_evcopy.o $(B)/framer_pstable.o $(B)/winparams.o $(B)/builtin_rules.o \
            $(B)/report_util.o $(B)/report_evidence.o $(B)/report_json_incident.o $(B)/report_ndjson.o \
            $(B)/report_sarif.o $(B)/report_junit.o $(B)/report_markdown.o \
            $(B)/report_html.o $(B)/report_html_timeline.o $(B)/report_csv.o $(B)/rules_list.o $(B)/verdict.o $(B)/verdict_fixes.o
# --jobs N and the progress bar
LIB_OBJS += $(B)/jobs.o $(B)/plan.o $(B)/progress.o
# the batch driver (the default run mode, and cron mode)
LIB_OBJS += $(B)/batch.o $(B)/cron_scan.o $(B)/scan_run.o $(B)/help.o
# detector regexes as grep -E / rg patterns (rules list --patterns)
LIB_OBJS += $(B)/ere.o
# live mode (--follow, streamed stdin: docs/live.md)
LIB_OBJS += $(B)/live.o
# merge: NDJSON reports of many hosts or runs into one (docs/scale.md)
LIB_OBJS += $(B)/merge_read.o $(B)/merge_join.o
# what a key names: explain, lookup: detectors, rules test's lookups:
LIB_OBJS += $(B)/lookup.o
# the systemd journal: files, folders, the local journal, export and json (docs/journal.md)
LIB_OBJS += $(B)/journal.o $(B)/journal_text.o
# CI-native reports: GitHub annotations and job summary, GitLab Code Quality (docs/ci.md)
LIB_OBJS += $(B)/report_github.o $(B)/report_codequality.o
# files that are not logs, --include/--exclude
LIB_OBJS += $(B)/nonlog.o
# gateway and cloud formats: their sniffers, and cisco-show's reader (docs/formats.md)
LIB_OBJS += $(B)/framer_gateways.o $(B)/framer_ciscoshow.o
# the one directory walker (scan, merge, --rules DIR)
LIB_OBJS += $(B)/walk.o
# the cron state's prefix fingerprint, resumable (util/phash.h)
LIB_OBJS += $(B)/phash.o
RULE_FILES := $(shell find rules -name '*.yaml' -o -name '*.yml' 2>/dev/null | LC_ALL=C sort)

UNIT_TESTS := test_util test_normalize test_prefilter test_rules test_match test_scan test_correlate test_proposal test_state test_cron test_reports test_winformats
UNIT_TESTS += test_ere test_jobs test_merge test_lookup test_journal test_walk
UNIT_TESTS += test_phash
UNIT_BINS  := $(addprefix $(B)/tests/,$(UNIT_TESTS))

.PHONY: prefilter-check verdicts-check includes-check all run test unit e2e report-check html-check cron-check jobs-check evtx-check rules-check deps clean asan valgrind check-deps docs docs-check live-check soak soak-parallel merge-check bad-check coverage-docs coverage-check score-check journal-check mmap-check

all: ipsec-scan

ipsec-scan: $(B)/main.o $(B)/libipsecscan.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/libipsecscan.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

# one folder per pipeline stage (docs/design.md); objects stay flat in build/
SRC_DIRS := analyzer analyzer/util analyzer/input analyzer/detect analyzer/correlate \
            analyzer/report analyzer/run
vpath %.c $(SRC_DIRS)

$(B)/%.o: %.c | $(B)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/builtin_rules.o: $(B)/builtin_rules.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# the rules parsed at build time into node tables (no YAML parsing at start-up)
$(B)/builtin_rules.c: $(B)/rules-blob $(RULE_FILES) Makefile
	$(B)/rules-blob $@.tmp rules/ $(RULE_FILES) && mv $@.tmp $@

# %%NNNN words of the Security-Auditing events (data: rules/params/*.tsv)
$(B)/winparams.c: rules/params/security-auditing.tsv Makefile | $(B)
	LC_ALL=C awk -F'\t' 'BEGIN { print "/* generated from rules/params/security-auditing.tsv: do not edit */"; \
	    print "#include \"input/winparams.h\""; print "#include <stddef.h>"; \
	    print "const ips_winparam_t ips_winparams[] = {" } \
	    /^[0-9]/ && NF >= 2 { w = $$2; gsub(/\\/, "\\\\", w); gsub(/"/, "\\\"", w); \
	    printf "\t{%u, \"%s\"},\n", $$1, w } \
	    END { print "\t{0, NULL},"; print "};" }' $< > $@.tmp && mv $@.tmp $@

$(B)/winparams.o: $(B)/winparams.c analyzer/input/winparams.h
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/rules-blob: tools/rules-blob.c | $(B)
	$(CC) -O1 $(shell $(PKG_CONFIG) --cflags yaml-0.1) -o $@ $< $(shell $(PKG_CONFIG) --libs yaml-0.1)

$(B):
	mkdir -p $(B)/tests

# ---- tests ---------------------------------------------------------------

$(B)/tests/%: tests/unit/%.c tests/unit/unit.h $(B)/libipsecscan.a | $(B)
	$(CC) $(ALL_CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka) -o $@ $< \
	    $(B)/libipsecscan.a $(LDLIBS) $(shell $(PKG_CONFIG) --libs cmocka)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $(VALGRIND) $$t; done

rules-check: ipsec-scan docs-check
	$(VALGRIND) ./ipsec-scan rules lint
	$(VALGRIND) ./ipsec-scan rules test
	sh tests/kb/check-reference.sh

docs: ipsec-scan
	./ipsec-scan explain --all --format markdown > docs/codes.md

# docs/codes.md is generated: fail when it is older than the knowledge base
docs-check: ipsec-scan
	@./ipsec-scan explain --all --format markdown | cmp -s - docs/codes.md || \
	    { echo "docs/codes.md is out of date: run 'make docs'"; exit 1; }

# docs/coverage.md (product x release x condition) is generated from the detectors' covers:
# (written whole or not at all: a failing generator must not leave a cut file behind)
coverage-docs: ipsec-scan
	sh tools/coverage-docs.sh ./ipsec-scan > $(B)/coverage.md && mv $(B)/coverage.md docs/coverage.md

coverage-check: ipsec-scan
	@sh tools/coverage-docs.sh ./ipsec-scan > $(B)/coverage.check.md || \
	    { echo "tools/coverage-docs.sh failed"; exit 1; }
	@cmp -s $(B)/coverage.check.md docs/coverage.md || \
	    { echo "docs/coverage.md is out of date: run 'make coverage-docs'"; exit 1; }

# the external-dev score (../shared) never drops below tests/score/floor.tsv; skipped
# with a message where ../shared is absent
score-check: ipsec-scan
	sh tests/score/check.sh ./ipsec-scan

e2e: ipsec-scan
	VALGRIND="$(VALGRIND)" sh tests/e2e/run.sh

# report formats: determinism, SARIF schema (node + npm), JUnit XML, HTML inert
report-check: ipsec-scan
	VALGRIND="$(VALGRIND)" sh tests/report/run.sh

# the HTML report in headless Chromium: a screenshot that is not blank, no console message
# (`make html-check SHOT=docs/report-screenshot.png` also refreshes the picture in the docs)
html-check: ipsec-scan
	SHOT="$(SHOT)" sh tests/report/browser.sh

# the bad-input matrix: hostile and broken inputs, bounded time and memory
bad-check: ipsec-scan
	VALGRIND="$(VALGRIND)" SAN="$(SAN)" sh tests/bad/run.sh

# cron mode (--state): growth, rotation, locking, windows across runs; a kill test;
# 20,000 files: time within 2x a plain scan, at most 160 bytes a file for the plain scan
# (above a scan of one file) and 120 more for the state (78-98 measured; 162-201 when a
# record was 96 bytes and the report's entries kept copies of the paths)
cron-check: ipsec-scan
	VALGRIND="$(VALGRIND)" sh tests/cron/run.sh
	VALGRIND="$(VALGRIND)" sh tests/cron/kill.sh
	VALGRIND="$(VALGRIND)" sh tests/cron/jobs.sh
	SAN="$(SAN)" VALGRIND="$(VALGRIND)" MANY_FILES=20000 MANY_MAX_PLAIN_BYTES=160 MANY_MAX_BYTES=120 \
	    sh tests/cron/many.sh

# the systemd journal on real journal files written by systemd-journal-remote
# (installed when root, skipped otherwise): fields, folders, matches, bad
# files, cron cursors; SIGKILLs during journal scans (5 here, 20 in make soak)
journal-check: ipsec-scan
	VALGRIND="$(VALGRIND)" sh tests/journal/run.sh
	KILLS=5 sh tests/journal/kill.sh

# live mode (--follow, streamed stdin): follow/rotate/signals, a real rsyslog
# and syslog-ng (installed quietly if missing, skipped where impossible), a
# fleet of two instances behind rsyslog merged (redelivered messages once), a
# 20 s soak
live-check: ipsec-scan
	sh tests/live/run.sh
	sh tests/live/rsyslog.sh
	sh tests/live/fleet.sh
	sh tests/live/syslog-ng.sh
	SAN="$(SAN)" SOAK_SHORT=1 SOAK_SECONDS=20 sh tests/live/soak.sh

# live mode fed for 10 minutes (SOAK_SECONDS, SOAK_RATE): latency and memory;
# cron mode killed 300+ times across rotations (TORTURE_ROUNDS), over a directory of a
# million files (MANY_FILES), and over journals killed 20 times. Not part of `make test`.
soak: ipsec-scan
	sh tests/live/soak.sh
	sh tests/cron/torture.sh
	sh tests/cron/many.sh
	KILLS=20 sh tests/journal/kill.sh
	sh tests/soak/parallel.sh

# the GNU parallel recipe of docs/scale.md over ssh to an sshd of its own (part of make soak)
soak-parallel: ipsec-scan
	sh tests/soak/parallel.sh

# --jobs N gives the --jobs 1 report in every format, also when one file is
# read in ranges (split.sh); the progress bar
jobs-check: ipsec-scan
	VALGRIND="$(VALGRIND)" sh tests/jobs/run.sh
	VALGRIND="$(VALGRIND)" sh tests/jobs/split.sh

# large plain files read through mapped windows give the report read() gives;
# a file that shrinks under its window (SIGBUS) is noted, not a crash
mmap-check: ipsec-scan
	VALGRIND="$(VALGRIND)" sh tests/mmap/run.sh

# EVTX: the fast path (our reader of the records' binary XML) against the XML path
evtx-check: ipsec-scan
	VALGRIND="$(VALGRIND)" SAN="$(SAN)" sh tests/evtx/run.sh

# merge: two hosts = one scan, idempotence, cron overlaps, map/reduce with sort
merge-check: ipsec-scan
	VALGRIND="$(VALGRIND)" sh tests/merge/run.sh

# the lab scenarios (../shared/corpus/strongswan-generated): each one's most severe
# incident has the verdict class expected-class.tsv gives, in both file orders
verdicts-check: ipsec-scan
	sh tests/verdicts/lab.sh

# the include graph of analyzer/ is a chain: no circles, stages in pipeline order
includes-check:
	sh tools/check-includes

test: check-deps includes-check
	$(MAKE) --no-print-directory WERROR=1 ipsec-scan $(UNIT_BINS) $(REPLAY_BINS)
	$(MAKE) --no-print-directory WERROR=1 unit rules-check coverage-check score-check e2e verdicts-check report-check html-check cron-check bad-check fuzz-replay jobs-check mmap-check evtx-check merge-check live-check journal-check prefilter-check
	$(MAKE) --no-print-directory install-check docs-commands-check

run: check-deps
	$(MAKE) --no-print-directory ipsec-scan
	./ipsec-scan --fail-on none --tz UTC samples/

asan:
	$(MAKE) --no-print-directory clean
	$(MAKE) --no-print-directory CC=gcc OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test

valgrind: check-deps
	$(MAKE) --no-print-directory ipsec-scan $(UNIT_BINS)
	$(MAKE) --no-print-directory $(REPLAY_BINS)
	IPSEC_SCAN_NO_JIT=1 $(MAKE) --no-print-directory VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" unit rules-check e2e report-check cron-check bad-check fuzz-replay jobs-check mmap-check evtx-check merge-check

# ---- benchmark: ipsec-scan against grep, rg and SEC (docs/performance.md) --
# Not part of `make test`: the full run writes about 3 GB and takes about 20 minutes.

.PHONY: bench bench-smoke

$(B)/bench-gen: bench/gen.c | $(B)
	$(CC) -O2 -std=c11 -D_GNU_SOURCE $(WARN) -o $@ $<

# the literal prefilter alone, on a file in memory: build/bench-prefilter FILE
$(B)/bench-prefilter: bench/prefilter.c $(B)/libipsecscan.a | $(B)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libipsecscan.a $(LDLIBS)

# does the prefilter lose a match? every detector's regex on every line:
# build/pfcheck [-v] [-t N] FILE... (make prefilter-check, in make test)
$(B)/pfcheck: bench/pfcheck.c $(B)/libipsecscan.a | $(B)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libipsecscan.a $(LDLIBS)

# issue 21: every detector's regex against what the prefilter passes (tests/prefilter/run.sh)
prefilter-check: $(B)/pfcheck $(B)/bench-gen
	sh tests/prefilter/run.sh

# Vectorscan as the whole-pattern prefilter, for comparison (docs/performance.md):
# build/bench-vectorscan PATTERNS FILE [RUNS] [lines|blocks]; needs libvectorscan-dev
$(B)/bench-vectorscan: bench/vectorscan.c | $(B)
	$(CC) -O2 -std=c11 -D_GNU_SOURCE $(WARN) $$($(PKG_CONFIG) --cflags libhs) -o $@ $< $$($(PKG_CONFIG) --libs libhs)

bench: ipsec-scan $(B)/bench-gen
	sh bench/run.sh full

bench-smoke: ipsec-scan $(B)/bench-gen
	sh bench/run.sh smoke

# ---- install ----------------------------------------------------------------
# Everything under $(DESTDIR)$(PREFIX); systemd units where systemd looks for them
# (/lib/systemd/system for PREFIX=/usr on Debian 12, $(PREFIX)/lib/systemd/system else).

.PHONY: install uninstall deb install-check deb-check docs-commands-check

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/ipsec-scan
DOCDIR     ?= $(PREFIX)/share/doc/ipsec-scan
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ifeq ($(PREFIX),/usr)
SYSTEMDUNITDIR ?= /lib/systemd/system
SYSCONFDIR ?= /etc
else
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= $(PREFIX)/etc
endif
# the units, ExecStart pointing at the installed binary (docs/cron.md, docs/live.md)
UNITS := ipsec-scan.service ipsec-scan.timer ipsec-scan-live.service ipsec-scan-notify@.service
INSTALL    ?= install
DOC_FILES  := README.md $(wildcard docs/*.md) $(wildcard docs/*.png)
RULE_DIRS  := $(sort $(dir $(RULE_FILES)))

install: ipsec-scan
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
	    $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSTEMDUNITDIR) $(addprefix $(DESTDIR)$(DATADIR)/,$(RULE_DIRS))
	$(INSTALL) -m 755 ipsec-scan $(DESTDIR)$(BINDIR)/ipsec-scan
	$(INSTALL) -m 644 man/ipsec-scan.1 $(DESTDIR)$(MANDIR)/man1/ipsec-scan.1
	$(INSTALL) -m 644 contrib/bash-completion/ipsec-scan $(DESTDIR)$(BASHCOMPDIR)/ipsec-scan
	$(INSTALL) -m 644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -d $(DESTDIR)$(DOCDIR)/examples
	$(INSTALL) -m 644 $(wildcard docs/examples/*) $(DESTDIR)$(DOCDIR)/examples/
	for f in $(RULE_FILES); do $(INSTALL) -m 644 $$f $(DESTDIR)$(DATADIR)/$$f || exit 1; done
	for u in $(UNITS); do \
	    sed 's|/usr/local/bin/ipsec-scan|$(BINDIR)/ipsec-scan|' contrib/systemd/$$u \
	        > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u && chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; done
	$(INSTALL) -d $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	$(INSTALL) -m 644 contrib/logrotate/ipsec-scan $(DESTDIR)$(SYSCONFDIR)/logrotate.d/ipsec-scan

# removes what install put there, then the directories of ours that are left empty
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ipsec-scan $(DESTDIR)$(MANDIR)/man1/ipsec-scan.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/ipsec-scan $(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(UNITS)) \
	    $(DESTDIR)$(SYSCONFDIR)/logrotate.d/ipsec-scan
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

# a .deb of the working tree, built in a copy under build/deb/ (the .deb lands there)
DEB_SRC := $(B)/deb/ipsec-scan-$(VERSION)
deb:
	rm -rf $(B)/deb && mkdir -p $(DEB_SRC)
	tar --anchored --exclude=./build --exclude=./.git --exclude=./ipsec-scan \
	    --exclude=./tests/out --exclude=./tests/node_modules -cf - . | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	@ls $(B)/deb/*.deb

# make install/uninstall into a temporary DESTDIR: binary from /, man page, completion
install-check: ipsec-scan
	sh tests/install/run.sh

# every `$ ` command in README.md and docs/*.md, with the output shown there
docs-commands-check: ipsec-scan
	sh tests/docs/run.sh

# make deb, lintian, dpkg -i / --purge (as root); about a minute, so not in `make test`
DEB_TOOLS := dpkg-dev debhelper lintian fakeroot
deb-check:
	@command -v dh >/dev/null 2>&1 && command -v lintian >/dev/null 2>&1 || \
	    { if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_TOOLS); \
	      else echo "install them with: sudo apt-get install $(DEB_TOOLS)"; exit 1; fi; }
	sh tests/deb/run.sh

# ---- fuzzing (docs/security.md) ------------------------------------------
# One target per parser in tests/fuzz/. `make fuzz` builds them with clang,
# libFuzzer, ASan and UBSan and runs each for FUZZ_SECONDS, adding what it
# finds to the committed corpora (tests/fuzz/corpus/TARGET); a crash input is
# left in build/fuzz/TARGET-crash-*; keep it under tests/fuzz/regress/TARGET.
# `make fuzz-replay` (part of `make test`) runs the corpora and the kept crash
# inputs through the same targets built with CC and a small main, no clang.

.PHONY: fuzz fuzz-build fuzz-replay fuzz-deps
FUZZ_TARGETS := lines winxml wfpxml wintext wincsv winjson ndjson evtx pslist evcopy pstable nps \
                ciscoshow \
                container journal \
                timestamp rules state proposal
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FZ           := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_BINS    := $(addprefix $(FZ)/fuzz_,$(FUZZ_TARGETS))
REPLAY_BINS  := $(addprefix $(B)/tests/replay_,$(FUZZ_TARGETS))

$(B)/tests/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.c tests/fuzz/replay.c \
		tests/fuzz/fuzz.h $(B)/libipsecscan.a | $(B)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ tests/fuzz/fuzz_$*.c tests/fuzz/fuzz_common.c \
	    tests/fuzz/replay.c $(B)/libipsecscan.a $(LDLIBS)

# ASan returns NULL for an allocation past the address-space cap framer_evtx.c sets around
# libevtx (as malloc does), instead of aborting
fuzz-replay: $(REPLAY_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    ASAN_OPTIONS=allocator_may_return_null=1$${ASAN_OPTIONS:+:$$ASAN_OPTIONS} \
	    LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp $(VALGRIND) $(if $(VALGRIND),--suppressions=$(CURDIR)/tests/fuzz/valgrind.supp) \
	        $(B)/tests/replay_$$t tests/fuzz/corpus/$$t \
	        $$(test -d tests/fuzz/regress/$$t && echo tests/fuzz/regress/$$t); done

$(FZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.c tests/fuzz/fuzz.h $(FZ)/libipsecscan.a \
		tests/fuzz/coverage-ignore.txt
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ tests/fuzz/fuzz_$*.c \
	    tests/fuzz/fuzz_common.c $(FZ)/libipsecscan.a $(LDLIBS) $(FUZZ_SAN)

ifneq ($(B),$(FZ))
$(FZ)/libipsecscan.a: FORCE
	$(MAKE) --no-print-directory B=$(FZ) CC=$(FUZZ_CC) OPT=-O1 \
	    SAN="$(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	    -fsanitize-coverage-ignorelist=tests/fuzz/coverage-ignore.txt" $(FZ)/libipsecscan.a
endif

fuzz-deps:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 && \
	    echo 'int LLVMFuzzerTestOneInput(const char *d, long n){(void)d;(void)n;return 0;}' | \
	    $(FUZZ_CC) -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null || { \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FUZZ_DEB_PKGS); \
	    else echo "install them with: sudo apt-get install $(FUZZ_DEB_PKGS)"; exit 1; fi; }

fuzz-build: check-deps fuzz-deps
	$(MAKE) --no-print-directory $(FUZZ_BINS)

# each target for FUZZ_SECONDS; new inputs go to the committed corpus
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZ_TARGETS)

FORCE:

# ---- dependencies --------------------------------------------------------

FUZZ_DEB_PKGS := clang libclang-rt-14-dev
DEB_PKGS := build-essential pkg-config libpcre2-dev libyaml-dev libyajl-dev libarchive-dev libexpat1-dev libevtx-dev libcmocka-dev jq libxml2-utils zip time
# the systemd journal (sd-journal)
DEB_PKGS += libsystemd-dev
# the man page checks (tests/install/run.sh)
DEB_PKGS += groff-base mandoc
# the HTML report rendered in a real browser (make html-check)
DEB_PKGS += chromium

check-deps:
	@missing=""; \
	for p in $(PKGS) cmocka; do $(PKG_CONFIG) --exists $$p 2>/dev/null || missing="$$missing $$p"; done; \
	command -v jq >/dev/null 2>&1 || missing="$$missing jq"; \
	command -v xmllint >/dev/null 2>&1 || missing="$$missing xmllint"; \
	command -v groff >/dev/null 2>&1 || missing="$$missing groff"; \
	command -v mandoc >/dev/null 2>&1 || missing="$$missing mandoc"; \
	command -v zip >/dev/null 2>&1 || missing="$$missing zip"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	test -x /usr/bin/time || missing="$$missing time"; \
	if [ -n "$$missing" ]; then \
	    echo "missing:$$missing"; \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	        $(MAKE) --no-print-directory deps; \
	    else \
	        echo "install them with: sudo apt-get install $(DEB_PKGS)"; exit 1; \
	    fi; \
	fi

deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PKGS)

clean:
	rm -rf $(B) ipsec-scan

-include $(wildcard $(B)/*.d)
