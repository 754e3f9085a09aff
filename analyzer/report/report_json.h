/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_json.h - JSON pieces shared by the JSON-based reports (json,
 * ndjson): one input, one finding, the summary, written with a yajl
 * generator the caller owns.
 */
#ifndef IPS_REPORT_JSON_H
#define IPS_REPORT_JSON_H

#include <yajl_gen.h>

#include "detect/results.h"

/* Small writers every JSON output uses: a key; a string (NULL gives null);
 * key and string; key and integer; an ISO 8601 UTC time (null when unknown). */
void ips_json_key(yajl_gen g, const char *k);
void ips_json_str(yajl_gen g, const char *s);
void ips_json_kstr(yajl_gen g, const char *k, const char *v);
void ips_json_kint(yajl_gen g, const char *k, long long v);
void ips_json_time(yajl_gen g, const ips_time_t *t);

void ips_json_input(yajl_gen g, const ips_input_t *in);
void ips_json_finding(yajl_gen g, const ips_results_t *res, const ips_finding_t *f);
/* An entry's candidates (a text several codes share) as [{"code","name"}...]. */
void ips_json_candidates(yajl_gen g, const ips_entry_t *e);
void ips_json_summary(yajl_gen g, const ips_results_t *res);
/* The summary object from counts (live mode counts as it goes). */
typedef struct ips_summary_counts {
	uint64_t records, findings, incidents, events, filtered;
	uint64_t by_severity[IPS_SEV_CRITICAL + 1];
	const char *const *names;    /* by_code, sorted by name */
	const uint64_t *counts;
	size_t ncodes;
} ips_summary_counts_t;
void ips_json_summary_counts(yajl_gen g, const ips_summary_counts_t *sc);
/*
 * A window of the correlator's streamed stage (ndjson "window" records, which
 * merge reads back): correlation, kind, source (when known), path, line,
 * first, last, key{...}, findings (ids).
 */
void ips_json_window(yajl_gen g, const ips_results_t *res, const ips_window_t *w);
/*
 * The incident object: id, correlation, kind, key{...}, first, last,
 * severity, codes, names, findings (ids), root_cause, root_name, title,
 * remediation, and path/line for an incident without findings.
 * In report_json_incident.c.
 */
void ips_json_incident(yajl_gen g, const ips_results_t *res, const ips_incident_t *x);

#endif
