/* SPDX-License-Identifier: Apache-2.0 */
/*
 * live.h - live mode: `--follow` on growing files (like tail -F) and
 * standard input that may never end, with results written as NDJSON the
 * moment they are known (docs/live.md).
 *
 * Findings are written and flushed as soon as their line is matched;
 * incidents when their correlation window closes (ips_correlator_settle()),
 * each after the streamed stage's windows in it (for `merge`);
 * the inputs and the summary when the run ends (end of every input, or
 * SIGTERM/SIGINT). SIGHUP reopens the output file. Memory holds only the
 * open windows and the findings of groups still open, with caps.
 *
 * Ownership: borrows the rules and options for the duration of the call;
 * owns, for that time, the scanner, the correlator its finding sink feeds
 * (and settles by the clock) and the results.
 */
#ifndef IPS_LIVE_H
#define IPS_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "detect/rules.h"
#include "detect/scan.h"
#include "util/status.h"

typedef struct ips_live_opts {
	char *const *inputs;   /* paths; "-" is standard input */
	size_t ninputs;
	bool follow;           /* keep reading files as they grow, across rotation */
	const char *output;    /* NULL or "-": standard output; else appended to */
	bool quiet;            /* no closing input and summary records when nothing was found */
} ips_live_opts_t;

typedef struct ips_live_result {
	ips_severity_t max_severity; /* of the findings written */
	bool input_failed;           /* an input could not be opened or read */
	bool stopped;                /* ended by SIGTERM or SIGINT */
	bool output_failed;          /* the output could not be written (or reopened) */
} ips_live_result_t;

/*
 * Run until every input has ended (standard input at its end; followed
 * files never end) or a stop signal. Writes to the output; problems with
 * inputs, and a write to the output that failed while running, go to stderr
 * as they happen (live mode's stderr is its log) and into the input
 * records. Returns IPS_E_OUTPUT when the output could not be opened or
 * written, IPS_OK otherwise (see r); when the output could not be opened or
 * closed, err (the caller's, util/status.h) says so.
 */
ips_status_t ips_live_run(const ips_rules_t *rules, const ips_scan_opts_t *so,
			  const ips_live_opts_t *lo, ips_live_result_t *r, ips_error_t *err);

#endif
