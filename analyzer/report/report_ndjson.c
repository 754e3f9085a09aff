/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_ndjson.c - newline-delimited JSON: one object per line, each with
 * a "type" ("input", "finding", "window", "incident", "summary") and
 * otherwise the same keys as the JSON report's objects, written by the same
 * helpers. Order: inputs, findings, windows (what `merge` needs to rebuild
 * the incidents, docs/scale.md), incidents, summary. (Live mode writes
 * findings as they are found, each incident when it closes with the
 * windows in it just before it, inputs and the summary at the end: live.c,
 * docs/live.md.)
 * Log text need not be valid UTF-8: malformed bytes are written as U+FFFD,
 * so every line is valid JSON.
 */
#include <string.h>
#include <yajl_gen.h>

#include "report/report.h"
#include "report/report_json.h"
#include "report/report_ndjson.h"
#include "report/report_util.h"

/*
 * The shared helpers write whole objects, so "type" is put in front of the
 * generated text: `{"type":"finding",` + the object without its `{`. yajl
 * without beautify writes no white space, so the object starts with `{`.
 */
static void emit(FILE *out, yajl_gen g, const char *type)
{
	const unsigned char *buf;
	size_t len;
	yajl_gen_get_buf(g, &buf, &len);
	fprintf(out, "{\"type\":\"%s\"", type);
	if (len > 2 && buf[0] == '{') {
		fputc(',', out);
		ips_json_fwrite(out, (const char *)buf + 1, len - 1);
	} else {
		fputc('}', out);
	}
	fputc('\n', out);
	yajl_gen_clear(g);
	yajl_gen_reset(g, NULL);
}

void ips_ndjson_input(FILE *out, yajl_gen g, const ips_input_t *in)
{
	ips_json_input(g, in);
	emit(out, g, "input");
}

void ips_ndjson_finding(FILE *out, yajl_gen g, const ips_results_t *res, const ips_finding_t *f)
{
	ips_json_finding(g, res, f);
	emit(out, g, "finding");
}

void ips_ndjson_window(FILE *out, yajl_gen g, const ips_results_t *res, const ips_window_t *w)
{
	ips_json_window(g, res, w);
	emit(out, g, "window");
}

void ips_ndjson_incident(FILE *out, yajl_gen g, const ips_results_t *res, const ips_incident_t *x)
{
	ips_json_incident(g, res, x);
	emit(out, g, "incident");
}

void ips_ndjson_summary(FILE *out, yajl_gen g, const ips_summary_counts_t *sc)
{
	ips_json_summary_counts(g, sc);
	emit(out, g, "summary");
}

static ips_status_t write_ndjson(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
				 const ips_report_opts_t *o)
{
	(void)rules;
	(void)o;
	yajl_gen g = yajl_gen_alloc(NULL);
	for (size_t i = 0; i < res->inputs.len; i++)
		ips_ndjson_input(out, g, res->inputs.items[i]);
	for (size_t i = 0; i < res->findings.len; i++)
		ips_ndjson_finding(out, g, res, res->findings.items[i]);
	for (size_t i = 0; i < res->windows.len; i++)
		ips_ndjson_window(out, g, res, res->windows.items[i]);
	for (size_t i = 0; i < res->incidents.len; i++)
		ips_ndjson_incident(out, g, res, res->incidents.items[i]);
	ips_json_summary(g, res);
	emit(out, g, "summary");
	yajl_gen_free(g);
	return ips_report_stream_status(out);
}

const ips_reporter_ops_t ips_report_ndjson = {"ndjson", write_ndjson};
