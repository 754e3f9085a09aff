/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the command line: parse options, load rules, wire the stages,
 * map the outcome to the documented exit status. No scanning logic here.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "detect/ere.h"
#include "report/explain.h"
#include "run/live.h"
#include "run/jobs.h"
#include "run/progress.h"
#include "run/merge.h"
#include "report/report.h"
#include "report/report_util.h"
#include "detect/rulecheck.h"
#include "report/rules_list.h"
#include "correlate/correlate.h"
#include "detect/rules.h"
#include "detect/scan.h"
#include "run/state.h"
#include "util/util.h"
#include "util/versions.h"

#ifndef IPS_VERSION
#define IPS_VERSION "0.1.0"
#endif
/* where `make install` puts the documents (the Makefile's DOCDIR) */
#ifndef IPS_DOCDIR
#define IPS_DOCDIR "/usr/local/share/doc/ipsec-scan"
#endif

/* Exit status: a contract (SPEC.md, man page). Never renumber. */
enum {
	EXIT_CLEAN = 0,     /* scanned everything, nothing at or above --fail-on */
	EXIT_FINDINGS = 1,  /* findings at or above --fail-on (rules test: an example failed) */
	EXIT_USAGE = 2,     /* usage, invalid rules, unknown key, lint problems */
	EXIT_INPUT = 3,     /* some input unreadable, truncated or corrupt */
	EXIT_INTERNAL = 4,  /* internal error, or the report could not be written */
};

static const char *prog = "ipsec-scan";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' or 'man ipsec-scan' for more information.\n", prog);
	exit(EXIT_USAGE);
}

static void print_help(FILE *out)
{
	fputs(
"Usage: ipsec-scan [OPTIONS] [INPUT...]\n"
"       ipsec-scan explain [--format text|json] KEY...   (or --all)\n"
"       ipsec-scan rules list|lint|test [--rules PATH]...\n"
"       ipsec-scan merge [OPTIONS] FILE.ndjson...  (or directories, '-')\n"
"\n"
"Find IPsec and IKE failures in Windows event exports and VPN gateway logs,\n"
"and say what went wrong and how to fix it. Windows codes 13000-13999 and the\n"
"RAS/VPN codes are found in every form logs use: 13801, 0x35E9, 0x000035E9,\n"
"HRESULT 0x800735E9 or -2147011095, ERROR_IPSEC_IKE_AUTH_FAIL, and the system\n"
"message text. A number alone (a PID, a port, a byte count) is not a finding.\n"
"\n"
"INPUT is a file, a directory (read recursively), a FIFO, or '-' for standard\n"
"input (the default when no INPUT is given, stdin is not a terminal and\n"
"--journal is not given). Journal files (*.journal) and folders of them are\n"
"read with sd-journal, a folder's files as one journal.\n"
"\n"
"Examples:\n"
"  ipsec-scan events.log                    what failed, and what to do\n"
"  ipsec-scan -f json -o report.json logs/  machine-readable report of a folder\n"
"  ipsec-scan --fail-on warning bundle/     exit 1 if anything >= warning\n"
"  ipsec-scan explain 13801                 the knowledge-base page of a code\n"
"  ipsec-scan explain 0x800735E9 AUTHENTICATION_FAILED\n"
"  journalctl -u strongswan | ipsec-scan -  read standard input\n"
"  ipsec-scan --journal --journal-unit strongswan\n"
"                                           the local systemd journal\n"
"  ipsec-scan --state /var/lib/ipsec-scan/state -q /var/log/charon.log\n"
"                                           from cron: only what is new\n"
"  ipsec-scan --follow -o /var/log/ipsec-scan.ndjson /var/log/charon.log\n"
"                                           live: findings as they happen\n"
"  ipsec-scan merge -f html -o fleet.html gw1.ndjson gw2.ndjson client/\n"
"                                           one picture from many hosts' NDJSON\n"
"\n"
"Output:\n"
"  -f, --format FORMAT     text (default), json, ndjson, sarif, junit,\n"
"                          markdown, html, csv, github (annotations and a\n"
"                          job summary), codequality (GitLab)\n"
"  -o, --output FILE       write the report to FILE instead of standard output\n"
"      --color WHEN        auto (default: on a terminal, unless NO_COLOR is set),\n"
"                          always, never\n"
"  -q, --quiet             print nothing when nothing is found (after filters)\n"
"      --summary-only      a short text report: one line per incident (severity,\n"
"                          first time, title) and the summary line; for mail\n"
"\n"
"What counts:\n"
"      --fail-on LEVEL     exit 1 when a finding is at or above LEVEL: none,\n"
"                          info, warning, error (default), critical\n"
"      --min-severity LEVEL  leave out findings below LEVEL (default info)\n"
"      --since TIME        only records at or after TIME: ISO 8601\n"
"                          (2026-03-05, 2026-03-05T07:00:00Z) or an age: 90m, 24h, 7d\n"
"      --until TIME        only records at or before TIME (same forms)\n"
"                          (records without a time are always kept)\n"
"\n"
"Reading inputs:\n"
"      --input-format NAME force the format instead of detecting it per input:\n"
"                          evtx, winxml, wintext, wincsv, winjson, ndjson,\n"
"                          wfpxml, pslist, pstable, evcopy, strongswan,\n"
"                          libreswan, cisco-asa, juniper-srx, nps, syslog, journal,\n"
"                          journal-export, journal-json, lines\n"
"      --tz ZONE           zone of timestamps that carry none (default: local,\n"
"                          as date(1) uses), e.g. UTC, Europe/Berlin\n"
"      --year YYYY         year of timestamps that carry none (default: the\n"
"                          year of the input's modification time)\n"
"      --max-record SIZE   bytes of one record kept for matching (default 1M);\n"
"                          longer records are cut, counted and noted\n"
"      --match-limit N     PCRE2 match limit per record and rule (default 1000000)\n"
"      --depth-limit N     PCRE2 backtracking depth limit (default 10000) and\n"
"      --heap-limit SIZE   heap limit (default 20M) per match, without JIT;\n"
"                          a rule that hits any limit is named once in a note\n"
"      --max-member SIZE   decompressed bytes read from one archive member or\n"
"                          compressed file (default 64G); the rest is skipped\n"
"      --max-input SIZE    decompressed bytes read from one archive or compressed\n"
"                          file, all its members together (default 64G)\n"
"      --max-ratio N       stop an archive or compressed file whose members\n"
"                          together decompress to more than N times the\n"
"                          compressed bytes read, once past 64 MiB (default\n"
"                          1000: a compression bomb)\n"
"      --max-depth N       open containers nested up to N levels (default 8)\n"
"      --include GLOB      in directories and archives, read only files whose\n"
"                          path (relative to the named directory) or name\n"
"                          matches GLOB (repeatable; as ripgrep's -g)\n"
"      --exclude GLOB      leave out files and directories that match GLOB\n"
"                          (repeatable; the last --include/--exclude that\n"
"                          matches decides). Files that are not logs\n"
"                          (Markdown, HTML, pictures, office documents,\n"
"                          configuration files) are skipped with a note unless\n"
"                          named or --include'd\n"
"      --missing-ok        a named INPUT that does not exist is a note in the\n"
"                          report, not an error (no exit status 3)\n"
"\n"
"The systemd journal (see journal.md):\n"
"      --journal           also read the local journal (as the input\n"
"                          \"(journal)\"; in cron mode from its saved cursor)\n"
"      --journal-match FIELD=VALUE  only journal entries that match\n"
"                          (repeatable; as journalctl: the same field twice is\n"
"                          either, different fields both, '+' an alternative)\n"
"      --journal-unit NAME only entries of the unit NAME (repeatable, any of\n"
"                          them): _SYSTEMD_UNIT=NAME.service\n"
"                          Matches and units apply to every binary journal read\n"
"                          (--journal, journal files and folders).\n"
"      --follow-links      follow symbolic links found inside directories too\n"
"                          (by default each is listed with a note, not read;\n"
"                          a link named on the command line is followed)\n"
"\n"
"Rules:\n"
"      --rules PATH        add a rules file or directory (repeatable); an item\n"
"                          with the id/name of a built-in one replaces it\n"
"      --no-builtin-rules  use only the --rules files\n"
"\n"
"Cron mode:\n"
"      --state FILE        remember in FILE how far each input was read, and\n"
"                          read only what is new since the last run: growing,\n"
"                          rotated and truncated logs, archives by fingerprint;\n"
"                          FILE.lock stops two runs from overlapping, FILE is\n"
"                          saved only after the report (see cron.md);\n"
"                          not with standard input, nor --jobs 2 or more.\n"
"                          Delete FILE to start over.\n"
"\n"
"Speed:\n"
"  -j, --jobs N            read up to N inputs at once (default: one thread per\n"
"                          processor for inputs of 16 MiB or more per thread);\n"
"                          the report is the same as with --jobs 1\n"
"      --progress          a progress bar on stderr (bytes, rate, time left);\n"
"                          default: on when stderr is a terminal\n"
"      --no-progress       no progress bar\n"
"\n"
"Merge (ipsec-scan merge FILE.ndjson..., see scale.md):\n"
"      --source-host NAME  (when scanning) name the machine the inputs come\n"
"                          from: kept in the report and in finding ids, so\n"
"                          equal paths on two machines stay apart in a merge\n"
"  merge reads the -f ndjson reports of many hosts or runs, keeps each finding\n"
"  once (by id), correlates across all of them and writes any format; it takes\n"
"  -f, -o, -q, --color, --summary-only, --fail-on, --min-severity, --since,\n"
"  --until and the rules options. A bad line is named (FILE:LINE), skipped,\n"
"  and makes the exit status 3.\n"
"\n"
"Live mode (see live.md):\n"
"      --follow            keep reading: files as they grow, from their end,\n"
"                          across rotation and truncation (like tail -F), and\n"
"                          standard input to its end; writes NDJSON, each\n"
"                          finding at once and each incident when its window\n"
"                          closes, inputs and summary at the end. SIGTERM and\n"
"                          SIGINT close the open incidents and exit 0; SIGHUP\n"
"                          reopens -o FILE (appended to). Line formats only;\n"
"                          not with --state nor --jobs 2 or more. -f ndjson\n"
"                          reading a pipe on standard input streams the same\n"
"                          way.\n"
"\n"
"Other:\n"
"  -h, --help              this help\n"
"  -V, --version           version and library versions\n"
"\n"
"Exit status: 0 nothing at or above --fail-on; 1 findings at or above it;\n"
"2 usage error, invalid rules, unusable state file or its lock held; 3 some\n"
"input could not be read (the rest is still scanned and reported); 4 internal\n"
"error, or the report (or state) could not be written.\n"
"\n"
"Manual: man ipsec-scan. Documents (usage.md, rules.md, ci.md, cron.md, live.md,\n"
"journal.md, scale.md, codes.md): " IPS_DOCDIR "/\n",
	      out);
}

/* Names and messages from the inputs, on a terminal: escaped as in the text
 * report (report_util.h: controls C0, DEL, C1 as '?', malformed UTF-8 as U+FFFD). */
static void put_safe(FILE *out, const char *s)
{
	ips_text_put(out, s, SIZE_MAX);
}

/* Parse "1M", "64K", "1048576", "2G", "1T" within [lo, hi]. */
static bool parse_bytes(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*s == '-')
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || v > (1ULL << 40))
		return false;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	else if (*end == 'T' || *end == 't')
		v <<= 40, end++;
	if (*end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* Parse "1M", "64K", "1048576" (64 bytes to 1G). */
static bool parse_size(const char *s, size_t *out)
{
	uint64_t v;
	if (!parse_bytes(s, 64, 1ULL << 30, &v))
		return false;
	*out = (size_t)v;
	return true;
}

/* A whole number in [lo, hi], or a usage error naming the option. */
static int64_t number_arg(const char *opt, const char *s, int64_t lo, int64_t hi)
{
	int64_t v;
	if (!ips_parse_i64(s, 10, &v) || v < lo || v > hi)
		usage_error("%s must be a number from %lld to %lld, not '%s'", opt, (long long)lo,
			    (long long)hi, s);
	return v;
}

static bool tz_known(const char *zone)
{
	if (!strcmp(zone, "UTC") || !strcmp(zone, "GMT") || !strcmp(zone, "Z"))
		return true;
	const char *dir = getenv("TZDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	struct stat st;
	return strstr(zone, "..") == NULL && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

typedef struct rules_opts {
	const char *paths[64];
	size_t npaths;
	bool no_builtin;
} rules_opts_t;

static void add_rules_path(rules_opts_t *ro, const char *p)
{
	if (ro->npaths == sizeof ro->paths / sizeof ro->paths[0])
		usage_error("too many --rules options (at most 64)");
	ro->paths[ro->npaths++] = p;
}

/* Load and finalize rules; diagnostics go to stderr. NULL on failure. */
static ips_rules_t *load_rules(const rules_opts_t *ro, ips_diag_t *d, bool quiet_warnings)
{
	ips_rules_t *r = ips_rules_new();
	ips_status_t st = IPS_OK;
	if (!ro->no_builtin && ips_rules_add_builtin(r, d) != IPS_OK)
		st = IPS_E_RULES;
	for (size_t i = 0; i < ro->npaths; i++)
		if (ips_rules_add_path(r, ro->paths[i], d) != IPS_OK)
			st = IPS_E_RULES;
	if (ips_correlate_finalize_rules(r, d) != IPS_OK)
		st = IPS_E_RULES;
	if (st != IPS_OK) {
		for (size_t i = 0; i < d->lines.len; i++)
			if (strstr(d->lines.items[i], ": error: "))
				fprintf(stderr, "%s\n", (const char *)d->lines.items[i]);
		fprintf(stderr, "%s: the rules have %zu error(s); nothing was scanned\n", prog,
			d->errors);
		ips_rules_free(r);
		return NULL;
	}
	(void)quiet_warnings;
	return r;
}

static bool want_color(const char *when, FILE *out)
{
	if (!strcmp(when, "always"))
		return true;
	if (!strcmp(when, "never"))
		return false;
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return false;
	/* a dumb terminal (Emacs shell, some CI logs) shows escape sequences as text */
	const char *term = getenv("TERM");
	if (term && !strcmp(term, "dumb"))
		return false;
	return isatty(fileno(out));
}

/* ---- explain ----------------------------------------------------------- */

static int cmd_explain(int argc, char **argv)
{
	const char *format = "text", *color = "auto";
	bool all_entries = false;
	rules_opts_t ro = {0};
	const char **keys = ips_xcalloc((size_t)argc, sizeof *keys);
	size_t nkeys = 0;
	bool dashdash = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!dashdash && !strcmp(a, "--")) {
			dashdash = true;
		} else if (!dashdash && (!strcmp(a, "-f") || !strcmp(a, "--format"))) {
			if (++i >= argc)
				usage_error("%s needs a value", a);
			format = argv[i];
		} else if (!dashdash && !strncmp(a, "--format=", 9)) {
			format = a + 9;
		} else if (!dashdash && !strcmp(a, "--rules")) {
			if (++i >= argc)
				usage_error("--rules needs a path");
			add_rules_path(&ro, argv[i]);
		} else if (!dashdash && !strncmp(a, "--rules=", 8)) {
			add_rules_path(&ro, a + 8);
		} else if (!dashdash && !strcmp(a, "--no-builtin-rules")) {
			ro.no_builtin = true;
		} else if (!dashdash && !strcmp(a, "--all")) {
			all_entries = true;
		} else if (!dashdash && !strncmp(a, "--color=", 8)) {
			color = a + 8;
		} else if (!dashdash && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			printf("Usage: ipsec-scan explain [--format text|json] [--rules PATH] KEY...\n"
			       "       ipsec-scan explain --all [--format text|json|markdown]\n\n"
			       "KEY is a code (13801), hex (0x35E9, 0x000035E9), HRESULT (0x800735E9,\n"
			       "-2147011095), a symbolic name (ERROR_IPSEC_IKE_AUTH_FAIL), an IKE\n"
			       "notify name (AUTHENTICATION_FAILED), a gateway condition\n"
			       "(STRONGSWAN_RETRANSMIT_GIVEUP), or words of the message\n"
			       "(\"authentication credentials\"). Quote a key that has spaces.\n"
			       "All digits is decimal; hex needs 0x or a digit A-F (800735E9);\n"
			       "strongSwan's N(NO_PROP), N(MS_STATUS(13863)) and NO-PROPOSAL-CHOSEN work.\n"
			       "--all prints every entry; --all --format markdown is codes.md (in " IPS_DOCDIR ").\n"
			       "Exit status: 0 all keys found; 2 a key is unknown or ambiguous, or usage error.\n");
			free(keys);
			return EXIT_CLEAN;
		} else if (!dashdash && a[0] == '-' && a[1] == '-') {
			usage_error("explain: unknown option '%s'", a);
		} else {
			keys[nkeys++] = a; /* "-2147011095" is a key, not an option */
		}
	}
	if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "markdown"))
		usage_error("explain: --format must be text, json or markdown, not '%s'", format);
	if (strcmp(color, "auto") && strcmp(color, "always") && strcmp(color, "never"))
		usage_error("--color must be auto, always or never");
	if (!nkeys && !all_entries)
		usage_error("explain: give at least one KEY (a code, hex, name or words), or --all");
	if (!strcmp(format, "markdown") && !all_entries)
		usage_error("explain: --format markdown writes the whole reference: use it with --all");
	ips_diag_t d;
	ips_diag_init(&d);
	ips_rules_t *r = load_rules(&ro, &d, true);
	ips_diag_free(&d);
	if (!r) {
		free(keys);
		return EXIT_USAGE;
	}
	bool colored = want_color(color, stdout);
	int rc = EXIT_CLEAN;
	if (all_entries && !strcmp(format, "markdown")) {
		ips_explain_markdown_all(stdout, r);
		free(keys);
		ips_rules_free(r);
		return ips_report_stream_status(stdout) == IPS_OK ? EXIT_CLEAN : EXIT_INTERNAL;
	}
	size_t nentries = ips_rules_entry_count(r);
	const ips_entry_t **all = ips_xcalloc(nkeys * 20 + nentries, sizeof *all);
	size_t nall = 0;
	for (size_t i = 0; all_entries && i < nentries; i++)
		all[nall++] = ips_rules_entry_at(r, i);
	for (size_t k = 0; k < nkeys; k++) {
		const ips_entry_t *found[20];
		size_t n = ips_explain_key(stderr, prog, r, keys[k], found, 20);
		if (!n) { /* unknown or ambiguous: ips_explain_key said why */
			rc = EXIT_USAGE;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			all[nall++] = found[i];
	}
	if (!strcmp(format, "json")) {
		ips_explain_json(stdout, all, nall);
	} else {
		for (size_t i = 0; i < nall; i++) {
			if (i)
				fputs("\n----------------------------------------------------------------\n\n", stdout);
			ips_explain_text(stdout, r, all[i], colored);
		}
	}
	free(all);
	free(keys);
	ips_rules_free(r);
	if (ips_report_stream_status(stdout) != IPS_OK)
		return EXIT_INTERNAL;
	return rc;
}

/* ---- rules ------------------------------------------------------------- */

static int cmd_rules(int argc, char **argv)
{
	if (argc < 2)
		usage_error("rules: say list, lint or test");
	const char *sub = argv[1];
	const char *format = "text";
	rules_opts_t ro = {0};
	int what = 0; /* list: 'p' --patterns (grep -E / rg), 'l' --literals (grep -F) */
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(sub, "list") && (!strcmp(a, "--patterns") || !strcmp(a, "--literals")))
			what = a[2];
		else if (!strcmp(a, "--rules") && i + 1 < argc)
			add_rules_path(&ro, argv[++i]);
		else if (!strncmp(a, "--rules=", 8))
			add_rules_path(&ro, a + 8);
		else if (!strcmp(a, "--no-builtin-rules"))
			ro.no_builtin = true;
		else if ((!strcmp(a, "-f") || !strcmp(a, "--format")) && i + 1 < argc)
			format = argv[++i];
		else if (!strncmp(a, "--format=", 9))
			format = a + 9;
		else
			usage_error("rules %s: unknown argument '%s'", sub, a);
	}
	if (strcmp(format, "text") && strcmp(format, "json"))
		usage_error("rules: --format must be text or json");
	if (!strcmp(sub, "lint")) {
		ips_diag_t d;
		ips_diag_init(&d);
		ips_rules_t *r = ips_rules_new();
		if (!ro.no_builtin)
			ips_rules_add_builtin(r, &d);
		for (size_t i = 0; i < ro.npaths; i++)
			ips_rules_add_path(r, ro.paths[i], &d);
		ips_correlate_finalize_rules(r, &d);
		ips_diag_print(&d, stdout);
		int rc = d.errors ? EXIT_USAGE : EXIT_CLEAN;
		printf("%zu entries, %zu detectors, %zu correlations: %zu error(s), %zu warning(s)\n",
		       ips_rules_entry_count(r), ips_rules_detector_count(r),
		       ips_rules_correlation_count(r), d.errors, d.warnings);
		ips_diag_free(&d);
		ips_rules_free(r);
		return rc;
	}
	ips_diag_t d;
	ips_diag_init(&d);
	ips_rules_t *r = load_rules(&ro, &d, true);
	ips_diag_free(&d);
	if (!r)
		return EXIT_USAGE;
	int rc = EXIT_CLEAN;
	if (!strcmp(sub, "list") && what == 'p') {
		ips_ere_list_patterns(stdout, stderr, r);
	} else if (!strcmp(sub, "list") && what == 'l') {
		ips_ere_list_literals(stdout, stderr, r);
	} else if (!strcmp(sub, "list")) {
		ips_rules_list(stdout, r, !strcmp(format, "json"));
	} else if (!strcmp(sub, "test")) {
		ips_scan_opts_t so;
		ips_scan_opts_default(&so);
		ips_rulecheck_result_t res;
		ips_rulecheck_run(r, &so.match, stdout, &res);
		printf("rules test: %zu passed, %zu failed\n", res.passed, res.failed);
		rc = res.failed ? EXIT_FINDINGS : EXIT_CLEAN;
	} else {
		ips_rules_free(r);
		usage_error("rules: unknown subcommand '%s' (list, lint, test)", sub);
	}
	ips_rules_free(r);
	if (ips_report_stream_status(stdout) != IPS_OK)
		return EXIT_INTERNAL;
	return rc;
}

/* ---- scan -------------------------------------------------------------- */

enum {
	OPT_FAIL_ON = 256, OPT_MIN_SEV, OPT_RULES, OPT_NO_BUILTIN, OPT_INPUT_FORMAT, OPT_SINCE,
	OPT_UNTIL, OPT_TZ, OPT_YEAR, OPT_STATE, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_COLOR,
	OPT_FOLLOW, OPT_MAX_RECORD, OPT_MATCH_LIMIT, OPT_SUMMARY_ONLY,
	OPT_SOURCE_HOST,
	OPT_DEPTH_LIMIT, OPT_HEAP_LIMIT, OPT_MAX_MEMBER, OPT_MAX_RATIO, OPT_MAX_DEPTH,
	OPT_JOURNAL, OPT_JOURNAL_MATCH, OPT_JOURNAL_UNIT, OPT_MISSING_OK, OPT_FOLLOW_LINKS, OPT_MAX_INPUT, OPT_INCLUDE, OPT_EXCLUDE,
};

static const struct option long_opts[] = {
	{"format", required_argument, NULL, 'f'},
	{"output", required_argument, NULL, 'o'},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	{"min-severity", required_argument, NULL, OPT_MIN_SEV},
	{"rules", required_argument, NULL, OPT_RULES},
	{"no-builtin-rules", no_argument, NULL, OPT_NO_BUILTIN},
	{"input-format", required_argument, NULL, OPT_INPUT_FORMAT},
	{"since", required_argument, NULL, OPT_SINCE},
	{"until", required_argument, NULL, OPT_UNTIL},
	{"tz", required_argument, NULL, OPT_TZ},
	{"year", required_argument, NULL, OPT_YEAR},
	{"state", required_argument, NULL, OPT_STATE},
	{"jobs", required_argument, NULL, 'j'},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	{"quiet", no_argument, NULL, 'q'},
	{"color", required_argument, NULL, OPT_COLOR},
	{"colour", required_argument, NULL, OPT_COLOR},
	{"follow", no_argument, NULL, OPT_FOLLOW},
	{"max-record", required_argument, NULL, OPT_MAX_RECORD},
	{"match-limit", required_argument, NULL, OPT_MATCH_LIMIT},
	{"depth-limit", required_argument, NULL, OPT_DEPTH_LIMIT},
	{"heap-limit", required_argument, NULL, OPT_HEAP_LIMIT},
	{"max-member", required_argument, NULL, OPT_MAX_MEMBER},
	{"max-input", required_argument, NULL, OPT_MAX_INPUT},
	{"max-ratio", required_argument, NULL, OPT_MAX_RATIO},
	{"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
	{"summary-only", no_argument, NULL, OPT_SUMMARY_ONLY},
	{"source-host", required_argument, NULL, OPT_SOURCE_HOST},
	{"journal", no_argument, NULL, OPT_JOURNAL},
	{"journal-match", required_argument, NULL, OPT_JOURNAL_MATCH},
	{"journal-unit", required_argument, NULL, OPT_JOURNAL_UNIT},
	{"missing-ok", no_argument, NULL, OPT_MISSING_OK},
	{"follow-links", no_argument, NULL, OPT_FOLLOW_LINKS},
	{"include", required_argument, NULL, OPT_INCLUDE},
	{"exclude", required_argument, NULL, OPT_EXCLUDE},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

/* Time options shared by the batch and live runs; exits on a usage error. */
static void set_times(const char *tz, const char *since, const char *until, ips_scan_opts_t *so)
{
	if (tz) {
		if (!tz_known(tz))
			usage_error("--tz: unknown time zone '%s' (use a name such as UTC or Europe/Berlin)", tz);
		setenv("TZ", tz, 1);
	} else if (!getenv("TZ")) {
		/*
		 * The zone glibc uses without TZ, named: with TZ unset, every
		 * mktime() reads the zone again (a stat of the file, and under
		 * --jobs a free and strdup between threads); named, it does not.
		 */
		setenv("TZ", ":/etc/localtime", 1);
	}
	tzset();
	time_t now = time(NULL);
	if (since && !ips_time_parse_arg(since, (int64_t)now, &so->since))
		usage_error("--since: cannot read '%s' (ISO 8601 such as 2026-03-05T07:00:00Z, or 24h, 7d)", since);
	if (until && !ips_time_parse_arg(until, (int64_t)now, &so->until))
		usage_error("--until: cannot read '%s' (ISO 8601 such as 2026-03-05T07:00:00Z, or 24h, 7d)", until);
}

/* ---- live mode (--follow, streamed stdin) ------------------------------ */

static int cmd_live(int argc, char **argv, const char *format, const char *output,
		    const char *state_path, bool summary_only, bool quiet, ips_severity_t fail_on,
		    const char *tz, const char *since, const char *until, const rules_opts_t *ro,
		    ips_scan_opts_t *so)
{
	if (format && strcmp(format, "ndjson"))
		usage_error("--follow writes NDJSON only (one finding or incident per line as soon as "
			    "it is known): use --format ndjson, or scan without --follow for a %s report",
			    format);
	if (summary_only)
		usage_error("--summary-only is a whole-run report: it cannot be combined with --follow");
	if (state_path)
		usage_error("--state cannot be used with --follow: live mode starts at the end of "
			    "each file (see live.md in " IPS_DOCDIR ")");
	if (so->input_format && !ips_framer_can_push(ips_framer_by_name(so->input_format)))
		usage_error("--follow reads formats that can be read as they grow (line formats, "
			    "ndjson, winjson, winxml, wintext, wincsv, ...), not --input-format %s",
			    so->input_format);
	char *dash[] = {(char *)"-"};
	char *const *inputs = argv + optind;
	size_t ninputs = (size_t)(argc - optind);
	if (!ninputs) {
		if (isatty(STDIN_FILENO))
			usage_error("no INPUT given (name files to follow, or '-' for standard input)");
		inputs = dash;
		ninputs = 1;
	}
	if (ninputs > 64)
		usage_error("--follow takes at most 64 inputs");
	struct stat ost;
	bool out_file = output && strcmp(output, "-") && stat(output, &ost) == 0;
	for (size_t i = 0; i < ninputs; i++) {
		struct stat st;
		if (strcmp(inputs[i], "-") && stat(inputs[i], &st) == 0 && S_ISDIR(st.st_mode))
			usage_error("--follow takes files, not directories: '%s'", inputs[i]);
		if (out_file && strcmp(inputs[i], "-") && stat(inputs[i], &st) == 0 &&
		    st.st_dev == ost.st_dev && st.st_ino == ost.st_ino)
			usage_error("--follow: '%s' is the output (-o): it would read its own findings",
				    inputs[i]);
	}
	set_times(tz, since, until, so);
	ips_diag_t d;
	ips_diag_init(&d);
	ips_rules_t *r = load_rules(ro, &d, true);
	ips_diag_free(&d);
	if (!r)
		return EXIT_USAGE;
	ips_live_opts_t lo = {.inputs = inputs, .ninputs = ninputs, .follow = true,
			      .output = output, .quiet = quiet};
	ips_live_result_t res;
	ips_status_t st = ips_live_run(r, so, &lo, &res);
	ips_rules_free(r);
	if (st != IPS_OK || res.output_failed)
		return EXIT_INTERNAL;
	if (res.stopped) /* a service stopped on purpose: that is not a failure */
		return EXIT_CLEAN;
	if (res.input_failed)
		return EXIT_INPUT;
	if (fail_on != IPS_SEV_NONE && res.max_severity >= fail_on)
		return EXIT_FINDINGS;
	return EXIT_CLEAN;
}

/* merge: the options that are about reading logs, by the name the user gave */
static const char *scan_only_option(int c)
{
	switch (c) {
	case OPT_INPUT_FORMAT: return "--input-format";
	case OPT_TZ: return "--tz";
	case OPT_YEAR: return "--year";
	case OPT_STATE: return "--state";
	case OPT_FOLLOW: return "--follow";
	case OPT_MAX_RECORD: return "--max-record";
	case OPT_MATCH_LIMIT: return "--match-limit";
	case OPT_SOURCE_HOST: return "--source-host";
	case OPT_FOLLOW_LINKS: return "--follow-links";
	case OPT_DEPTH_LIMIT: return "--depth-limit";
	case OPT_HEAP_LIMIT: return "--heap-limit";
	case OPT_MAX_MEMBER: return "--max-member";
	case OPT_MAX_INPUT: return "--max-input";
	case OPT_MAX_RATIO: return "--max-ratio";
	case OPT_MAX_DEPTH: return "--max-depth";
	case OPT_JOURNAL: return "--journal";
	case OPT_JOURNAL_MATCH: return "--journal-match";
	case OPT_JOURNAL_UNIT: return "--journal-unit";
	case OPT_MISSING_OK: return "--missing-ok";
	case OPT_INCLUDE: return "--include";
	case OPT_EXCLUDE: return "--exclude";
	default: return NULL;
	}
}

/*
 * -o FILE: a regular file (or a new one) is written to FILE.tmp.PID beside
 * it and renamed over it once complete, so a full disk or a kill leaves the
 * previous report whole; *tmp gets that name (caller frees). Anything else
 * (a device such as /dev/full, a FIFO, a symbolic link) is written in place.
 */
static FILE *open_report(const char *output, char **tmp)
{
	struct stat sb;
	*tmp = NULL;
	bool exists = lstat(output, &sb) == 0;
	if (exists && !S_ISREG(sb.st_mode))
		return fopen(output, "w");
	*tmp = ips_xasprintf("%s.tmp.%ld", output, (long)getpid());
	int fd = open(*tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		      exists ? (sb.st_mode & 07777) : 0666);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(*tmp);
		}
		free(*tmp);
		*tmp = NULL;
		errno = e;
		return NULL;
	}
	if (exists)
		(void)fchmod(fd, sb.st_mode & 07777); /* the umask took from the mode */
	return out;
}

/* Scan logs, or (merging) read the NDJSON reports of earlier scans. */
static int cmd_scan(int argc, char **argv, bool merging)
{
	const char *format = "text", *output = NULL, *color = "auto";
	const char *since = NULL, *until = NULL, *tz = NULL;
	ips_severity_t fail_on = IPS_SEV_ERROR;
	bool quiet = false, summary_only = false, format_given = false, follow = false;
	const char *state_path = NULL;
	int jobs = 0;     /* 0: as many as help (ips_jobs_threads()) */
	int progress = -1; /* --progress 1, --no-progress 0, -1: when stderr is a terminal */
	bool journal = false;
	/* --journal-match and --journal-unit values, borrowed from argv */
	static const char *jmatch[64], *junit[64];
	static const char *globs[64]; /* --include +GLOB, --exclude -GLOB, in order */
	size_t nglobs = 0;
	size_t njmatch = 0, njunit = 0;
	rules_opts_t ro = {0};
	ips_scan_opts_t so;
	ips_scan_opts_default(&so);
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:o:j:qhV", long_opts, NULL)) != -1) {
		if (merging && scan_only_option(c))
			usage_error("merge: %s is for scanning logs; merge reads NDJSON reports",
				    scan_only_option(c));
		switch (c) {
		case 'f': format = optarg; format_given = true; break;
		case 'o': output = optarg; break;
		case 'q': quiet = true; break;
		case 'h': print_help(stdout); return EXIT_CLEAN;
		case 'V': ips_versions_print(stdout, IPS_VERSION); return EXIT_CLEAN;
		case OPT_FAIL_ON:
			if (!ips_severity_parse(optarg, true, &fail_on))
				usage_error("--fail-on must be none, info, warning, error or critical, not '%s'", optarg);
			break;
		case OPT_MIN_SEV:
			if (!ips_severity_parse(optarg, false, &so.min_severity))
				usage_error("--min-severity must be info, warning, error or critical, not '%s'", optarg);
			break;
		case OPT_RULES: add_rules_path(&ro, optarg); break;
		case OPT_NO_BUILTIN: ro.no_builtin = true; break;
		case OPT_INPUT_FORMAT:
			if (!ips_framer_by_name(optarg))
				usage_error("--input-format: unknown or not yet supported format '%s' "
					    "(evtx, winxml, wintext, wincsv, winjson, ndjson, wfpxml, pslist, pstable, evcopy, strongswan, "
					    "libreswan, cisco-asa, juniper-srx, nps, syslog, journal, journal-export, "
					    "journal-json, lines)", optarg);
			so.input_format = optarg;
			break;
		case OPT_SINCE: since = optarg; break;
		case OPT_UNTIL: until = optarg; break;
		case OPT_TZ: tz = optarg; break;
		case OPT_YEAR: {
			int64_t y;
			if (!ips_parse_i64(optarg, 10, &y) || y < 1970 || y > 9999)
				usage_error("--year must be a year such as 2026, not '%s'", optarg);
			so.year = (int)y;
			break;
		}
		case OPT_STATE:
			if (!*optarg)
				usage_error("--state needs a file name");
			state_path = optarg;
			break;
		case OPT_SUMMARY_ONLY: summary_only = true; break;
		case OPT_FOLLOW_LINKS: so.follow_links = true; break;
		case OPT_SOURCE_HOST:
			for (const char *p = optarg; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					usage_error("--source-host: a control character in '%s'", optarg);
			if (!*optarg)
				usage_error("--source-host needs a name (e.g. \"$(hostname -f)\")");
			so.source = optarg;
			break;
		case 'j': {
			int64_t j;
			if (!ips_parse_i64(optarg, 10, &j) || j < 1 || j > 64)
				usage_error("--jobs must be a number from 1 to 64, not '%s'", optarg);
			jobs = (int)j;
			break;
		}
		case OPT_JOURNAL: journal = true; break;
		case OPT_JOURNAL_MATCH: {
			const char *why = ips_journal_match_check(optarg);
			if (why)
				usage_error("--journal-match '%s': %s", optarg, why);
			if (njmatch == 64)
				usage_error("--journal-match: at most 64");
			jmatch[njmatch++] = optarg;
			break;
		}
		case OPT_JOURNAL_UNIT:
			if (!*optarg || strchr(optarg, '/') || strchr(optarg, '='))
				usage_error("--journal-unit needs a unit name such as strongswan or "
					    "strongswan.service, not '%s'", optarg);
			if (njunit == 64)
				usage_error("--journal-unit: at most 64");
			junit[njunit++] = optarg;
			break;
		case OPT_MISSING_OK: so.missing_ok = true; break;
		case OPT_INCLUDE:
		case OPT_EXCLUDE:
			/* kept until exit: the scanners borrow them */
			if (nglobs == sizeof globs / sizeof *globs)
				usage_error("at most %zu --include and --exclude options",
					    sizeof globs / sizeof *globs);
			if (!*optarg)
				usage_error("%s needs a GLOB", c == OPT_INCLUDE ? "--include" : "--exclude");
			globs[nglobs++] = ips_xasprintf("%c%s", c == OPT_INCLUDE ? '+' : '-', optarg);
			so.globs = globs;
			so.nglobs = nglobs;
			break;
		case OPT_PROGRESS: progress = 1; break;
		case OPT_NO_PROGRESS: progress = 0; break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
				usage_error("--color must be auto, always or never, not '%s'", optarg);
			color = optarg;
			break;
		case OPT_FOLLOW: follow = true; break;
		case OPT_MAX_RECORD:
			if (!parse_size(optarg, &so.frame.max_record))
				usage_error("--max-record must be a size from 64 to 1G (e.g. 65536, 64K, 1M), not '%s'", optarg);
			break;
		case OPT_MATCH_LIMIT: {
			int64_t v;
			if (!ips_parse_i64(optarg, 10, &v) || v < 1000 || v > 4000000000LL)
				usage_error("--match-limit must be a number from 1000 to 4000000000");
			so.match.match_limit = (uint32_t)v;
			break;
		}
		case OPT_DEPTH_LIMIT:
			so.match.depth_limit = (uint32_t)number_arg("--depth-limit", optarg, 100, 100000000);
			break;
		case OPT_HEAP_LIMIT: {
			uint64_t v;
			if (!parse_bytes(optarg, 64 << 10, 1ULL << 32, &v))
				usage_error("--heap-limit must be a size from 64K to 4G (e.g. 20M), not '%s'", optarg);
			so.match.heap_limit_kib = (uint32_t)(v >> 10);
			break;
		}
		case OPT_MAX_MEMBER:
			if (!parse_bytes(optarg, 1 << 10, 1ULL << 40, &so.archive.max_member_bytes))
				usage_error("--max-member must be a size from 1K to 1T (e.g. 512M, 64G), not '%s'", optarg);
			break;
		case OPT_MAX_INPUT:
			if (!parse_bytes(optarg, 1 << 10, 1ULL << 40, &so.archive.max_input_bytes))
				usage_error("--max-input must be a size from 1K to 1T (e.g. 512M, 64G), not '%s'", optarg);
			break;
		case OPT_MAX_RATIO:
			so.archive.max_ratio = (uint64_t)number_arg("--max-ratio", optarg, 2, 1000000000);
			break;
		case OPT_MAX_DEPTH:
			so.archive.max_depth = (int)number_arg("--max-depth", optarg, 0, 64);
			break;
		case ':': usage_error("option '%s' needs a value", argv[optind - 1]);
		default: usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	so.journal.matches = jmatch;
	so.journal.nmatches = njmatch;
	so.journal.units = junit;
	so.journal.nunits = njunit;
	if (njmatch && !strcmp(jmatch[njmatch - 1], "+"))
		usage_error("--journal-match '+' stands between two alternatives: one follows it");
	if (follow && journal)
		usage_error("--journal cannot be used with --follow: live mode follows files and "
			    "standard input (journalctl -f -o export | ipsec-scan --follow "
			    "--input-format journal-export -)");
	/*
	 * Live mode (docs/live.md): --follow, or NDJSON from a standard input
	 * that is a pipe, which may never end (rsyslog omprog, syslog-ng
	 * program()): results are written as they are known.
	 */
	if (follow && jobs > 1)
		usage_error("--jobs %d cannot be used with --follow: live mode reads its inputs as "
			    "they grow, in one thread", jobs);
	struct stat in_st;
	bool stdin_only = (optind >= argc && !journal) ||
			  (optind == argc - 1 && !strcmp(argv[optind], "-"));
	if (!merging && !follow && !state_path && !summary_only && !strcmp(format, "ndjson") && stdin_only &&
	    !isatty(STDIN_FILENO) && fstat(STDIN_FILENO, &in_st) == 0 && !S_ISREG(in_st.st_mode))
		follow = true;
	if (follow)
		return cmd_live(argc, argv, format_given ? format : NULL, output, state_path,
				summary_only, quiet, fail_on, tz, since, until, &ro, &so);
	const ips_reporter_ops_t *rep = ips_reporter_by_name(format);
	if (!rep)
		usage_error("--format: '%s' is not available (available: %s)", format,
			    ips_reporter_names());
	if (summary_only) {
		if (format_given && strcmp(format, "text"))
			usage_error("--summary-only is a text report: it cannot be combined with --format %s",
				    format);
		rep = &ips_report_summary;
	}
	if (state_path && jobs > 1)
		usage_error("--jobs %d cannot be used with --state: cron mode reads the files of "
			    "one log in turn (use --jobs 1, or leave --jobs out)", jobs);
	if (state_path) {
		if (optind >= argc && !journal)
			usage_error("--state needs INPUT files or directories: standard input cannot "
				    "be resumed");
		for (int i = optind; i < argc; i++)
			if (!strcmp(argv[i], "-"))
				usage_error("--state cannot be used with standard input ('-'): what was "
					    "read from it cannot be read again nor skipped");
	}
	set_times(tz, since, until, &so);

	ips_diag_t d;
	ips_diag_init(&d);
	ips_rules_t *r = load_rules(&ro, &d, true);
	ips_diag_free(&d);
	if (!r)
		return EXIT_USAGE;

	/* cron mode: the lock is taken and the state read before anything is scanned */
	ips_state_t *state = NULL;
	if (state_path) {
		char *why = NULL;
		state = ips_state_open(state_path, &why);
		if (!state) {
			fprintf(stderr, "%s: %s\n", prog, why);
			free(why);
			ips_rules_free(r);
			return EXIT_USAGE;
		}
	}

	ips_results_t *res = ips_results_new();
	bool input_failed = false;
	ips_merge_t *mg = NULL;
	if (merging) {
		ips_merge_opts_t mo;
		ips_merge_opts_default(&mo);
		mo.min_severity = so.min_severity;
		mo.since = so.since;
		mo.until = so.until;
		mg = ips_merge_new(r, &mo);
		if (optind >= argc && isatty(STDIN_FILENO)) {
			ips_merge_free(mg);
			ips_results_free(res);
			ips_rules_free(r);
			usage_error("merge: no FILE given (NDJSON reports of 'ipsec-scan -f ndjson', "
				    "directories of them, or '-' for standard input)");
		}
		if (optind >= argc)
			input_failed |= ips_merge_add_path(mg, "-") != IPS_OK;
		for (int i = optind; i < argc; i++)
			input_failed |= ips_merge_add_path(mg, argv[i]) != IPS_OK;
		ips_merge_finish(mg, res);
		input_failed |= ips_merge_conflicted(mg);
		for (size_t i = 0; i < ips_merge_errors_kept(mg); i++) {
			fprintf(stderr, "%s: ", prog);
			put_safe(stderr, ips_merge_error_at(mg, i));
			fputc('\n', stderr);
		}
		if (ips_merge_error_count(mg) > ips_merge_errors_kept(mg))
			fprintf(stderr, "%s: ... and %zu more problem(s)\n", prog,
				ips_merge_error_count(mg) - ips_merge_errors_kept(mg));
		goto report;
	}

	if (optind >= argc && !journal && isatty(STDIN_FILENO)) {
		ips_state_close(state);
		ips_results_free(res);
		ips_rules_free(r);
		usage_error("no INPUT given (name files or directories, or '-' for standard input)");
	}
	static const char *const stdin_path[] = {"-"};
	const char *const *paths = optind < argc ? (const char *const *)argv + optind : stdin_path;
	size_t npaths = optind < argc ? (size_t)(argc - optind) : journal ? 0 : 1;
	bool bar_forced = progress == 1;
	if (progress < 0) { /* a bar redraws its line: not on a dumb terminal */
		const char *term = getenv("TERM");
		progress = isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb"));
	}
	/* what will be read, in order: for the threads and the progress bar's total */
	ips_vec_t units = {0};
	uint64_t total = 0;
	int threads = 1;
	if (progress || (!state && jobs != 1))
		ips_jobs_plan_opts(paths, npaths, &so, journal, &units, &total);
	if (!state && jobs != 1)
		threads = ips_jobs_threads(jobs, &units, total);
	ips_progress_t *bar = progress ? ips_progress_start(stderr, total, bar_forced) : NULL;

	if (threads > 1) {
		input_failed = ips_jobs_scan(r, &so, res, &units, threads) != IPS_OK;
	} else {
		ips_scanner_t *sc = ips_scanner_new(r, &so, res);
		if (state) {
			ips_scanner_set_state(sc, state);
			/* a report appended to a file in a scanned directory would be read
			 * back by the next run, findings and all */
			struct stat ost;
			if (output && strcmp(output, "-") && stat(output, &ost) == 0 && S_ISREG(ost.st_mode))
				ips_scanner_exclude(sc, (uint64_t)ost.st_dev, (uint64_t)ost.st_ino);
			if ((!output || !strcmp(output, "-")) && fstat(STDOUT_FILENO, &ost) == 0 &&
			    S_ISREG(ost.st_mode))
				ips_scanner_exclude(sc, (uint64_t)ost.st_dev, (uint64_t)ost.st_ino);
		}
		for (size_t i = 0; i < npaths; i++)
			input_failed |= ips_scanner_scan_path(sc, paths[i]) != IPS_OK;
		if (journal)
			input_failed |= ips_scanner_scan_journal_local(sc) != IPS_OK;
		ips_scanner_finish(sc);
		ips_scanner_free(sc);
	}
	ips_progress_stop(bar);
	for (size_t i = 0; i < units.len; i++)
		ips_scan_unit_free(units.items[i]);
	ips_vec_free(&units);

	for (size_t i = 0; i < res->inputs.len; i++) {
		const ips_input_t *in = res->inputs.items[i];
		if (in->error) {
			fprintf(stderr, "%s: ", prog);
			put_safe(stderr, in->path);
			fputs(": ", stderr);
			put_safe(stderr, in->error);
			fputc('\n', stderr);
		}
	}
report:
	for (size_t i = 0; i < res->notes.len; i++) {
		fprintf(stderr, "%s: note: ", prog);
		put_safe(stderr, res->notes.items[i]);
		fputc('\n', stderr);
	}

	int rc = EXIT_CLEAN;
	/*
	 * Cron mode: the new state is written to its temporary file (and fsynced)
	 * before the report, and renamed over the old one right after it, so a
	 * run killed in between repeats at most this report (docs/cron.md). A
	 * state that cannot be written stops the report: reporting findings that
	 * the next run would report again is what the state is there to prevent.
	 */
	if (state) {
		char *why = NULL;
		if (ips_state_prepare(state, &why) != IPS_OK) {
			fprintf(stderr, "%s: cannot save the state: %s; no report was written, the next "
				"run reports these findings\n", prog, why);
			free(why);
			ips_state_close(state);
			ips_results_free(res);
			ips_rules_free(r);
			return EXIT_INTERNAL;
		}
	}
	if (!(quiet && res->findings.len == 0 && res->incidents.len == 0)) {
		FILE *out = stdout;
		char *out_tmp = NULL; /* a regular file is replaced whole, never left cut */
		if (output && strcmp(output, "-")) {
			out = open_report(output, &out_tmp);
			if (!out) {
				fprintf(stderr, "%s: cannot write the report to %s: %s\n", prog, output,
					strerror(errno));
				ips_state_close(state); /* removes the prepared state: nothing is saved */
				ips_results_free(res);
				ips_rules_free(r);
				return EXIT_INTERNAL;
			}
		}
		ips_report_opts_t ro2 = {.color = want_color(color, out), .version = IPS_VERSION,
					 .max_evidence = 5};
		ips_status_t st = rep->write(out, res, r, &ro2);
		/* the report is on disk before the state says it was written */
		struct stat ost;
		if (st == IPS_OK && state && fstat(fileno(out), &ost) == 0 && S_ISREG(ost.st_mode) &&
		    (fflush(out) != 0 || fsync(fileno(out)) != 0))
			st = IPS_E_OUTPUT;
		if (st == IPS_OK && out_tmp && (fflush(out) != 0 || fsync(fileno(out)) != 0))
			st = IPS_E_OUTPUT;
		int werr = errno;
		if (out != stdout && fclose(out) != 0 && st == IPS_OK) {
			st = IPS_E_OUTPUT;
			werr = errno;
		}
		if (st == IPS_OK && out_tmp && rename(out_tmp, output) != 0) {
			st = IPS_E_OUTPUT;
			werr = errno;
		}
		if (out_tmp && st != IPS_OK)
			unlink(out_tmp); /* the previous report stays as it was */
		free(out_tmp);
		if (st != IPS_OK) {
			fprintf(stderr, "%s: cannot write the report to %s: %s\n", prog,
				output ? output : "standard output", strerror(werr ? werr : EIO));
			rc = EXIT_INTERNAL;
		}
	}
	if (state) {
		char *why = NULL;
		if (rc == EXIT_CLEAN && ips_state_commit(state, &why) != IPS_OK) {
			fprintf(stderr, "%s: cannot save the state: %s; the next run reports these "
				"findings again\n", prog, why);
			rc = EXIT_INTERNAL;
		}
		free(why);
		ips_state_close(state); /* without a commit, the prepared state is removed */
	}
	if (rc == EXIT_CLEAN) {
		if (input_failed)
			rc = EXIT_INPUT;
		else if (fail_on != IPS_SEV_NONE && ips_results_max_severity(res) >= fail_on)
			rc = EXIT_FINDINGS;
	}
	ips_results_free(res);
	ips_merge_free(mg); /* after the results: they borrow its entries */
	ips_rules_free(r);
	return rc;
}

int main(int argc, char **argv)
{
	/* Into a closed pipe we stop quietly, as grep does: by SIGPIPE. */
	signal(SIGPIPE, SIG_DFL);
	if (argc > 1 && !strcmp(argv[1], "explain"))
		return cmd_explain(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "rules"))
		return cmd_rules(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "merge"))
		return cmd_scan(argc - 1, argv + 1, true);
	return cmd_scan(argc, argv, false);
}
