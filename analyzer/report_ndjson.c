/*
 * report_ndjson.c - newline-delimited JSON: one object per line, each with
 * a "type" ("input", "finding", "window", "incident", "summary") and
 * otherwise the same keys as the JSON report's objects, written by the same
 * helpers. Order: inputs, findings, windows (what `merge` needs to rebuild
 * the incidents, docs/scale.md), incidents, summary. (In live mode findings will
 * be written as they are found; a whole-run report writes them in order.)
 * Log text need not be valid UTF-8: malformed bytes are written as U+FFFD,
 * so every line is valid JSON.
 */
#include <string.h>
#include <yajl_gen.h>

#include "report.h"
#include "report_json.h"
#include "report_util.h"

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
		ips_utf8_fwrite(out, (const char *)buf + 1, len - 1);
	} else {
		fputc('}', out);
	}
	fputc('\n', out);
	yajl_gen_clear(g);
	yajl_gen_reset(g, NULL);
}

static ips_status_t write_ndjson(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
				 const ips_report_opts_t *o)
{
	(void)rules;
	(void)o;
	yajl_gen g = yajl_gen_alloc(NULL);
	for (size_t i = 0; i < res->inputs.len; i++) {
		ips_json_input(g, res->inputs.items[i]);
		emit(out, g, "input");
	}
	for (size_t i = 0; i < res->findings.len; i++) {
		ips_json_finding(g, res, res->findings.items[i]);
		emit(out, g, "finding");
	}
	for (size_t i = 0; i < res->windows.len; i++) {
		ips_json_window(g, res, res->windows.items[i]);
		emit(out, g, "window");
	}
	for (size_t i = 0; i < res->incidents.len; i++) {
		ips_json_incident(g, res, res->incidents.items[i]);
		emit(out, g, "incident");
	}
	ips_json_summary(g, res);
	emit(out, g, "summary");
	yajl_gen_free(g);
	return ips_report_stream_status(out);
}

const ips_reporter_ops_t ips_report_ndjson = {"ndjson", write_ndjson};
