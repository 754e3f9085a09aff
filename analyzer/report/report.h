/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.h - report writers, one module per output format.
 *
 * A writer reads the results and the rules (for knowledge-base text) and
 * writes one whole report to out. Output is deterministic: the same results
 * give the same bytes. Writers never close out.
 */
#ifndef IPS_REPORT_H
#define IPS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "detect/results.h"
#include "detect/rules.h"
#include "util/status.h"

typedef struct ips_report_opts {
	bool color;              /* ANSI colours (text) */
	const char *version;
	size_t max_evidence;     /* evidence lines shown per group (text) */
	/*
	 * --output-tz: the zone of the times in the human reports (text,
	 * Markdown, HTML, JUnit and GitHub texts), a TZ value such as
	 * "Europe/Berlin" or ":/etc/localtime"; NULL for UTC. JSON, NDJSON,
	 * SARIF, CSV and Code Quality stay in UTC.
	 */
	const char *output_tz;
	bool verbose;            /* --verbose: every input listed (text) */
} ips_report_opts_t;

typedef struct ips_reporter_ops {
	const char *name;
	ips_status_t (*write)(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
			      const ips_report_opts_t *o);
} ips_reporter_ops_t;

/* --summary-only: one line per incident and the summary line (not a --format). */
extern const ips_reporter_ops_t ips_report_summary;

/* NULL when the format is unknown (or not available yet). */
const ips_reporter_ops_t *ips_reporter_by_name(const char *name);
/* Comma-separated names of the available formats, for messages. */
const char *ips_reporter_names(void);

/* Map the stream's state after writing to a status (EPIPE -> IPS_E_PIPE). */
ips_status_t ips_report_stream_status(FILE *out);

#endif
