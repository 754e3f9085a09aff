/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_ndjson.h - the NDJSON records, one function per record type, for
 * the whole-run report (report_ndjson.c), live mode (live.c) and anything
 * else that writes NDJSON records one at a time.
 *
 * Each call writes exactly one line, `{"type":"...",...}\n`, to out with the
 * same keys as the JSON report's object; g is a yajl generator the caller
 * owns (cleared after each call). Nothing is flushed: the caller decides.
 */
#ifndef IPS_REPORT_NDJSON_H
#define IPS_REPORT_NDJSON_H

#include <stdio.h>
#include <yajl_gen.h>

#include "report/report_json.h"

void ips_ndjson_input(FILE *out, yajl_gen g, const ips_input_t *in);
void ips_ndjson_finding(FILE *out, yajl_gen g, const ips_results_t *res, const ips_finding_t *f);
void ips_ndjson_window(FILE *out, yajl_gen g, const ips_results_t *res, const ips_window_t *w);
void ips_ndjson_incident(FILE *out, yajl_gen g, const ips_results_t *res, const ips_incident_t *x);
void ips_ndjson_summary(FILE *out, yajl_gen g, const ips_summary_counts_t *sc);

#endif
