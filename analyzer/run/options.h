/* SPDX-License-Identifier: Apache-2.0 */
/*
 * options.h - the command line of a scan or merge, parsed (main.c fills it,
 * the drivers of run/ read it).
 *
 * Owns: nothing but the --include/--exclude strings in globs (made by the
 * parser, kept until exit: the scanners borrow them) and output_tz_own.
 * Borrows: every other string, from argv.
 */
#ifndef IPS_OPTIONS_H
#define IPS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "detect/scan.h"

#define IPS_OPTS_MAX 64 /* of each repeatable option */

/* Which rules to load (--rules, --no-builtin-rules). */
typedef struct ips_rules_opts {
	const char *paths[IPS_OPTS_MAX];
	size_t npaths;
	bool no_builtin;
} ips_rules_opts_t;

typedef struct ips_run_opts {
	bool merging;              /* `ipsec-scan merge`: NDJSON reports in, not logs */
	const char *format;        /* -f, default "text" */
	bool format_given;
	const char *output;        /* -o, NULL: standard output */
	const char *color;         /* --color auto|always|never */
	const char *since, *until, *tz;
	ips_severity_t fail_on;    /* --fail-on */
	bool quiet, summary_only, follow, journal;
	bool verbose;              /* --verbose: the text report lists every input */
	const char *output_tz;     /* --output-tz for the human reports; NULL: UTC */
	char *output_tz_own;       /* --output-tz local: the copy of $TZ output_tz points to */
	const char *state_path;    /* --state: cron mode */
	int jobs;                  /* 0: as many as help (ips_jobs_threads()) */
	int progress;              /* 1 --progress, 0 --no-progress, -1: when stderr is a terminal */
	const char *jmatch[IPS_OPTS_MAX], *junit[IPS_OPTS_MAX];
	size_t njmatch, njunit;
	const char *globs[IPS_OPTS_MAX]; /* --include +GLOB, --exclude -GLOB, in order (owned) */
	size_t nglobs;
	ips_rules_opts_t rules;
	ips_scan_opts_t scan;      /* what the scanner is told (borrows the arrays above) */
	const char *const *inputs; /* the named INPUTs (argv), or none */
	size_t ninputs;
} ips_run_opts_t;

/* Colour for out, as --color `when` says (NO_COLOR, TERM=dumb, a terminal). */
bool ips_want_color(const char *when, FILE *out);

#endif
