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

#include "report/ere.h"
#include "report/explain.h"
#include "run/options.h"
#include "run/scan_run.h"
#include "run/help.h"
#include "run/live.h"
#include "report/report.h"
#include "report/report_util.h"
#include "detect/rulecheck.h"
#include "report/rules_list.h"
#include "correlate/correlate.h"
#include "detect/rules.h"
#include "detect/scan.h"
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

/*
 * --output-tz: NULL for UTC; "local" is the zone of the environment, read
 * here, before --tz sets TZ for reading.
 */
static const char *output_tz_arg(const char *zone)
{
	if (!strcmp(zone, "UTC") || !strcmp(zone, "GMT") || !strcmp(zone, "Z"))
		return NULL;
	if (!strcmp(zone, "local")) {
		const char *env = getenv("TZ");
		if (!env)
			return ":/etc/localtime";
		return *env ? env : NULL; /* TZ= is UTC; copied by the caller (--tz changes TZ) */
	}
	if (!tz_known(zone))
		usage_error("--output-tz: unknown time zone '%s' (use local, UTC or a name such as Europe/Berlin)", zone);
	return zone;
}


static void add_rules_path(ips_rules_opts_t *ro, const char *p)
{
	if (ro->npaths == sizeof ro->paths / sizeof ro->paths[0])
		usage_error("too many --rules options (at most 64)");
	ro->paths[ro->npaths++] = p;
}

/* Load and finalize rules; diagnostics go to stderr. NULL on failure. */
static ips_rules_t *load_rules(const ips_rules_opts_t *ro, ips_diag_t *d, bool quiet_warnings)
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


/* ---- explain ----------------------------------------------------------- */

static int cmd_explain(int argc, char **argv)
{
	const char *format = "text", *color = "auto";
	bool all_entries = false;
	ips_rules_opts_t ro = {0};
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
	bool colored = ips_want_color(color, stdout);
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
	ips_rules_opts_t ro = {0};
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
	OPT_OUTPUT_TZ, OPT_VERBOSE,
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
	{"output-tz", required_argument, NULL, OPT_OUTPUT_TZ},
	{"verbose", no_argument, NULL, OPT_VERBOSE},
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

static int cmd_live(const ips_run_opts_t *o, ips_scan_opts_t *so)
{
	const char *format = o->format_given ? o->format : NULL, *output = o->output;
	if (format && strcmp(format, "ndjson"))
		usage_error("--follow writes NDJSON only (one finding or incident per line as soon as "
			    "it is known): use --format ndjson, or scan without --follow for a %s report",
			    format);
	if (o->summary_only)
		usage_error("--summary-only is a whole-run report: it cannot be combined with --follow");
	if (o->state_path)
		usage_error("--state cannot be used with --follow: live mode starts at the end of "
			    "each file (see live.md in " IPS_DOCDIR ")");
	if (so->input_format && !ips_framer_can_push(ips_framer_by_name(so->input_format)))
		usage_error("--follow reads formats that can be read as they grow (line formats, "
			    "the gateway and cloud logs but cisco-show, ndjson, winjson, winxml, "
			    "wintext, wincsv, ...), not --input-format %s", so->input_format);
	char *dash[] = {(char *)"-"};
	char *const *inputs = (char *const *)o->inputs;
	size_t ninputs = o->ninputs;
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
	set_times(o->tz, o->since, o->until, so);
	ips_diag_t d;
	ips_diag_init(&d);
	ips_rules_t *r = load_rules(&o->rules, &d, true);
	ips_diag_free(&d);
	if (!r)
		return EXIT_USAGE;
	ips_live_opts_t lo = {.inputs = inputs, .ninputs = ninputs, .follow = true,
			      .output = output, .quiet = o->quiet};
	ips_live_result_t res;
	ips_error_t err = IPS_ERROR_INIT;
	ips_status_t st = ips_live_run(r, so, &lo, &res, &err);
	if (err.status != IPS_OK)
		fprintf(stderr, "%s: %s\n", prog, err.msg ? err.msg : ips_status_str(err.status));
	ips_error_clear(&err);
	ips_rules_free(r);
	if (st != IPS_OK || res.output_failed)
		return EXIT_INTERNAL;
	if (res.stopped) /* a service stopped on purpose: that is not a failure */
		return EXIT_CLEAN;
	if (res.input_failed)
		return EXIT_INPUT;
	if (o->fail_on != IPS_SEV_NONE && res.max_severity >= o->fail_on)
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
 * The options of a scan or merge into *o; exits on a usage error. Returns -1
 * to go on, or the exit status of an option that ends the run (--help,
 * --version).
 */
static int parse_scan(int argc, char **argv, bool merging, ips_run_opts_t *o)
{
	memset(o, 0, sizeof *o);
	o->merging = merging;
	o->format = "text";
	o->color = "auto";
	o->fail_on = IPS_SEV_ERROR;
	o->progress = -1;
	ips_scan_opts_default(&o->scan);
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:o:j:qhV", long_opts, NULL)) != -1) {
		if (merging && scan_only_option(c))
			usage_error("merge: %s is for scanning logs; merge reads NDJSON reports",
				    scan_only_option(c));
		switch (c) {
		case 'f': o->format = optarg; o->format_given = true; break;
		case 'o': o->output = optarg; break;
		case 'q': o->quiet = true; break;
		case 'h': ips_print_help(stdout); return EXIT_CLEAN;
		case 'V': ips_versions_print(stdout, IPS_VERSION); return EXIT_CLEAN;
		case OPT_FAIL_ON:
			if (!ips_severity_parse(optarg, true, &o->fail_on))
				usage_error("--fail-on must be none, info, warning, error or critical, not '%s'", optarg);
			break;
		case OPT_MIN_SEV:
			if (!ips_severity_parse(optarg, false, &o->scan.min_severity))
				usage_error("--min-severity must be info, warning, error or critical, not '%s'", optarg);
			break;
		case OPT_RULES: add_rules_path(&o->rules, optarg); break;
		case OPT_NO_BUILTIN: o->rules.no_builtin = true; break;
		case OPT_INPUT_FORMAT:
			if (!ips_framer_by_name(optarg))
				usage_error("--input-format: unknown or not yet supported format '%s' "
					    "(evtx, winxml, wintext, wincsv, winjson, ndjson, wfpxml, pslist, pstable, evcopy, strongswan, "
					    "libreswan, cisco-asa, juniper-srx, nps, syslog, journal, journal-export, "
					    "journal-json, lines, fortigate, panos, cisco-ios, cisco-show, mikrotik, "
					    "sonicwall, checkpoint, nsx, racoon, huawei, azure-ike, wfpdiag, aws-vpn)",
					    optarg);
			o->scan.input_format = optarg;
			break;
		case OPT_SINCE: o->since = optarg; break;
		case OPT_UNTIL: o->until = optarg; break;
		case OPT_TZ: o->tz = optarg; break;
		case OPT_YEAR: {
			int64_t y;
			if (!ips_parse_i64(optarg, 10, &y) || y < 1970 || y > 9999)
				usage_error("--year must be a year such as 2026, not '%s'", optarg);
			o->scan.year = (int)y;
			break;
		}
		case OPT_STATE:
			if (!*optarg)
				usage_error("--state needs a file name");
			o->state_path = optarg;
			break;
		case OPT_SUMMARY_ONLY: o->summary_only = true; break;
		case OPT_FOLLOW_LINKS: o->scan.follow_links = true; break;
		case OPT_SOURCE_HOST:
			for (const char *p = optarg; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					usage_error("--source-host: a control character in '%s'", optarg);
			if (!*optarg)
				usage_error("--source-host needs a name (e.g. \"$(hostname -f)\")");
			o->scan.source = optarg;
			break;
		case 'j': {
			int64_t j;
			if (!ips_parse_i64(optarg, 10, &j) || j < 1 || j > 64)
				usage_error("--jobs must be a number from 1 to 64, not '%s'", optarg);
			o->jobs = (int)j;
			break;
		}
		case OPT_JOURNAL: o->journal = true; break;
		case OPT_JOURNAL_MATCH: {
			const char *why = ips_journal_match_check(optarg);
			if (why)
				usage_error("--journal-match '%s': %s", optarg, why);
			if (o->njmatch == 64)
				usage_error("--journal-match: at most 64");
			o->jmatch[o->njmatch++] = optarg;
			break;
		}
		case OPT_JOURNAL_UNIT:
			if (!*optarg || strchr(optarg, '/') || strchr(optarg, '='))
				usage_error("--journal-unit needs a unit name such as strongswan or "
					    "strongswan.service, not '%s'", optarg);
			if (o->njunit == 64)
				usage_error("--journal-unit: at most 64");
			o->junit[o->njunit++] = optarg;
			break;
		case OPT_MISSING_OK: o->scan.missing_ok = true; break;
		case OPT_INCLUDE:
		case OPT_EXCLUDE:
			/* kept until exit: the scanners borrow them */
			if (o->nglobs == sizeof o->globs / sizeof *o->globs)
				usage_error("at most %zu --include and --exclude options",
					    sizeof o->globs / sizeof *o->globs);
			if (!*optarg)
				usage_error("%s needs a GLOB", c == OPT_INCLUDE ? "--include" : "--exclude");
			o->globs[o->nglobs++] = ips_xasprintf("%c%s", c == OPT_INCLUDE ? '+' : '-', optarg);
			o->scan.globs = o->globs;
			o->scan.nglobs = o->nglobs;
			break;
		case OPT_PROGRESS: o->progress = 1; break;
		case OPT_NO_PROGRESS: o->progress = 0; break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
				usage_error("--color must be auto, always or never, not '%s'", optarg);
			o->color = optarg;
			break;
		case OPT_FOLLOW: o->follow = true; break;
		case OPT_OUTPUT_TZ:
			free(o->output_tz_own);
			o->output_tz_own = NULL;
			o->output_tz = output_tz_arg(optarg);
			if (o->output_tz && o->output_tz == getenv("TZ"))
				o->output_tz = o->output_tz_own = ips_xstrdup(o->output_tz);
			break;
		case OPT_VERBOSE: o->verbose = true; break;
		case OPT_MAX_RECORD:
			if (!parse_size(optarg, &o->scan.frame.max_record))
				usage_error("--max-record must be a size from 64 to 1G (e.g. 65536, 64K, 1M), not '%s'", optarg);
			break;
		case OPT_MATCH_LIMIT: {
			int64_t v;
			if (!ips_parse_i64(optarg, 10, &v) || v < 1000 || v > 4000000000LL)
				usage_error("--match-limit must be a number from 1000 to 4000000000");
			o->scan.match.match_limit = (uint32_t)v;
			break;
		}
		case OPT_DEPTH_LIMIT:
			o->scan.match.depth_limit = (uint32_t)number_arg("--depth-limit", optarg, 100, 100000000);
			break;
		case OPT_HEAP_LIMIT: {
			uint64_t v;
			if (!parse_bytes(optarg, 64 << 10, 1ULL << 32, &v))
				usage_error("--heap-limit must be a size from 64K to 4G (e.g. 20M), not '%s'", optarg);
			o->scan.match.heap_limit_kib = (uint32_t)(v >> 10);
			break;
		}
		case OPT_MAX_MEMBER:
			if (!parse_bytes(optarg, 1 << 10, 1ULL << 40, &o->scan.archive.max_member_bytes))
				usage_error("--max-member must be a size from 1K to 1T (e.g. 512M, 64G), not '%s'", optarg);
			break;
		case OPT_MAX_INPUT:
			if (!parse_bytes(optarg, 1 << 10, 1ULL << 40, &o->scan.archive.max_input_bytes))
				usage_error("--max-input must be a size from 1K to 1T (e.g. 512M, 64G), not '%s'", optarg);
			break;
		case OPT_MAX_RATIO:
			o->scan.archive.max_ratio = (uint64_t)number_arg("--max-ratio", optarg, 2, 1000000000);
			break;
		case OPT_MAX_DEPTH:
			o->scan.archive.max_depth = (int)number_arg("--max-depth", optarg, 0, 64);
			break;
		case ':': usage_error("option '%s' needs a value", argv[optind - 1]);
		default: usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	o->scan.journal.matches = o->jmatch;
	o->scan.journal.nmatches = o->njmatch;
	o->scan.journal.units = o->junit;
	o->scan.journal.nunits = o->njunit;
	if (o->njmatch && !strcmp(o->jmatch[o->njmatch - 1], "+"))
		usage_error("--journal-match '+' stands between two alternatives: one follows it");
	if (o->follow && o->journal)
		usage_error("--journal cannot be used with --follow: live mode follows files and "
			    "standard input (journalctl -f -o export | ipsec-scan --follow "
			    "--input-format journal-export -)");
	/*
	 * Live mode (docs/live.md): --follow, or NDJSON from a standard input
	 * that is a pipe, which may never end (rsyslog omprog, syslog-ng
	 * program()): results are written as they are known.
	 */
	if (o->follow && o->jobs > 1)
		usage_error("--jobs %d cannot be used with --follow: live mode reads its inputs as "
			    "they grow, in one thread", o->jobs);
	struct stat in_st;
	bool stdin_only = (optind >= argc && !o->journal) ||
			  (optind == argc - 1 && !strcmp(argv[optind], "-"));
	if (!merging && !o->follow && !o->state_path && !o->summary_only && !strcmp(o->format, "ndjson") && stdin_only &&
	    !isatty(STDIN_FILENO) && fstat(STDIN_FILENO, &in_st) == 0 && !S_ISREG(in_st.st_mode))
		o->follow = true;
	o->inputs = (const char *const *)argv + optind;
	o->ninputs = optind < argc ? (size_t)(argc - optind) : 0;
	return -1;
}

/* What only a scan or merge (not live mode) must check; exits on a usage error. */
static void check_scan(const ips_run_opts_t *o)
{
	if (o->merging && !o->ninputs && isatty(STDIN_FILENO))
		usage_error("merge: no FILE given (NDJSON reports of 'ipsec-scan -f ndjson', "
			    "directories of them, or '-' for standard input)");
	if (!ips_reporter_by_name(o->format))
		usage_error("--format: '%s' is not available (available: %s)", o->format,
			    ips_reporter_names());
	if (o->summary_only && o->format_given && strcmp(o->format, "text"))
		usage_error("--summary-only is a text report: it cannot be combined with --format %s",
			    o->format);
	if (o->state_path) {
		if (!o->ninputs && !o->journal)
			usage_error("--state needs INPUT files or directories: standard input cannot "
				    "be resumed");
		for (size_t i = 0; i < o->ninputs; i++)
			if (!strcmp(o->inputs[i], "-"))
				usage_error("--state cannot be used with standard input ('-'): what was "
					    "read from it cannot be read again nor skipped");
	}
	if (!o->merging && !o->ninputs && !o->journal && isatty(STDIN_FILENO))
		usage_error("no INPUT given (name files or directories, or '-' for standard input)");
}

/*
 * Scan logs, or (merging) read the NDJSON reports of earlier scans: parse,
 * pick the driver (live mode, or a batch, jobs, cron or merge run), map its
 * outcome to the exit status.
 */
static int cmd_scan(int argc, char **argv, bool merging)
{
	ips_run_opts_t o;
	int rc = parse_scan(argc, argv, merging, &o);
	if (rc < 0 && o.follow)
		rc = cmd_live(&o, &o.scan);
	if (rc < 0) {
		check_scan(&o);
		set_times(o.tz, o.since, o.until, &o.scan);
		ips_diag_t d;
		ips_diag_init(&d);
		ips_rules_t *r = load_rules(&o.rules, &d, true);
		ips_diag_free(&d);
		ips_run_outcome_t oc = {0};
		ips_error_t err = IPS_ERROR_INIT;
		ips_status_t st = r ? ips_scan_run(&o, r, &oc, &err) : IPS_E_RULES;
		if (err.status != IPS_OK)
			fprintf(stderr, "%s: %s\n", prog, err.msg ? err.msg : ips_status_str(st));
		if (st == IPS_E_USAGE || st == IPS_E_RULES)
			rc = EXIT_USAGE;
		else if (st != IPS_OK)
			rc = EXIT_INTERNAL;
		else if (oc.input_failed)
			rc = EXIT_INPUT;
		else if (o.fail_on != IPS_SEV_NONE && oc.max_severity >= o.fail_on)
			rc = EXIT_FINDINGS;
		else
			rc = EXIT_CLEAN;
		ips_error_clear(&err);
		ips_rules_free(r);
	}
	for (size_t i = 0; i < o.nglobs; i++)
		free((char *)o.globs[i]);
	free(o.output_tz_own);
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
