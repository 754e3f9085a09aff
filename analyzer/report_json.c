/*
 * report_json.c - the JSON report (keys as SPEC.md gives them; extra keys
 * are added, none is ever renamed). Written with yajl's generator, which
 * streams: no document tree is built in memory.
 */
#include <stdlib.h>
#include <string.h>
#include <yajl_gen.h>

#include "report.h"
#include "report_json.h"

static void print_cb(void *ctx, const char *s, size_t n)
{
	fwrite(s, 1, n, (FILE *)ctx);
}

#define KEY(g, k) yajl_gen_string(g, (const unsigned char *)(k), strlen(k))

static void str(yajl_gen g, const char *s)
{
	if (s)
		yajl_gen_string(g, (const unsigned char *)s, strlen(s));
	else
		yajl_gen_null(g);
}

static void kstr(yajl_gen g, const char *k, const char *v)
{
	KEY(g, k);
	str(g, v);
}

static void kint(yajl_gen g, const char *k, long long v)
{
	KEY(g, k);
	yajl_gen_integer(g, v);
}

static void time_val(yajl_gen g, const ips_time_t *t)
{
	if (!t->valid) {
		yajl_gen_null(g);
		return;
	}
	char buf[64];
	ips_time_format(t, buf, sizeof buf);
	str(g, buf);
}

static void fields_obj(yajl_gen g, const ips_kv_t *kv, size_t n)
{
	yajl_gen_map_open(g);
	for (size_t i = 0; i < n; i++)
		kstr(g, kv[i].key, kv[i].value);
	yajl_gen_map_close(g);
}

/* Write the finding object (shared with ndjson). */
void ips_json_finding(yajl_gen g, const ips_results_t *res, const ips_finding_t *f)
{
	const ips_input_t *in = res->inputs.items[f->input];
	yajl_gen_map_open(g);
	kstr(g, "id", f->id);
	kstr(g, "rule", f->det->id);
	KEY(g, "code");
	if (f->entry->has_code)
		yajl_gen_integer(g, f->entry->code);
	else
		yajl_gen_null(g);
	kstr(g, "name", f->entry->name);
	kstr(g, "severity", ips_severity_name(f->severity));
	kstr(g, "message", f->entry->message);
	kstr(g, "path", in->path);
	kint(g, "line", (long long)f->line);
	kint(g, "offset", (long long)f->offset);
	KEY(g, "time");
	time_val(g, &f->time);
	KEY(g, "fields");
	fields_obj(g, f->fields, f->nfields);
	kstr(g, "text", f->text);
	kstr(g, "host", f->host);
	kstr(g, "hex", f->entry->hex);
	kstr(g, "category", f->entry->category);
	kstr(g, "summary", f->entry->summary);
	yajl_gen_map_close(g);
}

void ips_json_input(yajl_gen g, const ips_input_t *in)
{
	yajl_gen_map_open(g);
	kstr(g, "path", in->path);
	kstr(g, "format", in->format);
	kint(g, "records", (long long)in->records);
	kint(g, "bytes", (long long)in->bytes);
	kstr(g, "status", ips_input_status_name(in->status));
	kstr(g, "error", in->error);
	kstr(g, "note", in->note);
	kint(g, "truncated", (long long)in->truncated);
	kint(g, "findings", (long long)in->findings);
	yajl_gen_map_close(g);
}

void ips_json_summary(yajl_gen g, const ips_results_t *res)
{
	yajl_gen_map_open(g);
	kint(g, "records", (long long)res->records);
	kint(g, "findings", (long long)res->findings.len);
	kint(g, "incidents", (long long)res->incidents.len);
	kint(g, "events", (long long)res->events_total);
	kint(g, "filtered", (long long)res->filtered);
	KEY(g, "by_severity");
	yajl_gen_map_open(g);
	for (int s = IPS_SEV_CRITICAL; s >= IPS_SEV_INFO; s--) {
		long long c = 0;
		for (size_t i = 0; i < res->findings.len; i++)
			c += (int)((const ips_finding_t *)res->findings.items[i])->severity == s;
		kint(g, ips_severity_name((ips_severity_t)s), c);
	}
	yajl_gen_map_close(g);
	/* by_code: names in sorted order, for deterministic output */
	KEY(g, "by_code");
	yajl_gen_map_open(g);
	size_t n = res->findings.len;
	const char **names = ips_xcalloc(n, sizeof *names);
	for (size_t i = 0; i < n; i++)
		names[i] = ((const ips_finding_t *)res->findings.items[i])->entry->name;
	for (size_t i = 1; i < n; i++) /* insertion sort: n is the number of findings */
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && !strcmp(names[j], names[i]))
			j++;
		kint(g, names[i], (long long)(j - i));
		i = j;
	}
	free(names);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static ips_status_t write_json(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
			       const ips_report_opts_t *o)
{
	(void)rules;
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	yajl_gen_config(g, yajl_gen_print_callback, print_cb, out);
	yajl_gen_map_open(g);
	KEY(g, "tool");
	yajl_gen_map_open(g);
	kstr(g, "name", "ipsec-scan");
	kstr(g, "version", o->version);
	yajl_gen_map_close(g);
	KEY(g, "inputs");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->inputs.len; i++)
		ips_json_input(g, res->inputs.items[i]);
	yajl_gen_array_close(g);
	KEY(g, "findings");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->findings.len; i++)
		ips_json_finding(g, res, res->findings.items[i]);
	yajl_gen_array_close(g);
	KEY(g, "incidents");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->incidents.len; i++)
		ips_json_incident(g, res, res->incidents.items[i]);
	yajl_gen_array_close(g);
	KEY(g, "events");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->events.len; i++) {
		const ips_event_t *e = res->events.items[i];
		const ips_input_t *in = res->inputs.items[e->input];
		yajl_gen_map_open(g);
		kstr(g, "name", e->entry->name);
		KEY(g, "code");
		if (e->entry->has_code)
			yajl_gen_integer(g, e->entry->code);
		else
			yajl_gen_null(g);
		kstr(g, "marker", e->entry->marker);
		kstr(g, "kind", e->entry->marker ? "marker" : "event");
		kstr(g, "path", in->path);
		kint(g, "line", (long long)e->line);
		kint(g, "offset", (long long)e->offset);
		KEY(g, "time");
		time_val(g, &e->time);
		kstr(g, "host", e->host);
		KEY(g, "fields");
		fields_obj(g, e->fields, e->nfields);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	KEY(g, "notes");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->notes.len; i++)
		str(g, res->notes.items[i]);
	yajl_gen_array_close(g);
	KEY(g, "summary");
	ips_json_summary(g, res);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	fputc('\n', out);
	return ips_report_stream_status(out);
}

const ips_reporter_ops_t ips_report_json = {"json", write_json};
