/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_json.c - the JSON report (keys as SPEC.md gives them; extra keys
 * are added, none is ever renamed). Written with yajl's generator, which
 * streams: no document tree is built in memory.
 */
#include <stdlib.h>
#include <string.h>
#include <yajl_gen.h>

#include "report/report.h"
#include "report/report_json.h"
#include "report/report_util.h"

void ips_json_key(yajl_gen g, const char *k)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

void ips_json_str(yajl_gen g, const char *s)
{
	if (s)
		yajl_gen_string(g, (const unsigned char *)s, strlen(s));
	else
		yajl_gen_null(g);
}

void ips_json_kstr(yajl_gen g, const char *k, const char *v)
{
	ips_json_key(g, k);
	ips_json_str(g, v);
}

void ips_json_kint(yajl_gen g, const char *k, long long v)
{
	ips_json_key(g, k);
	yajl_gen_integer(g, v);
}

void ips_json_time(yajl_gen g, const ips_time_t *t)
{
	if (!t->valid) {
		yajl_gen_null(g);
		return;
	}
	char buf[64];
	ips_time_format(t, buf, sizeof buf);
	ips_json_str(g, buf);
}

static void fields_obj(yajl_gen g, const ips_kv_t *kv, size_t n)
{
	yajl_gen_map_open(g);
	for (size_t i = 0; i < n; i++)
		ips_json_kstr(g, kv[i].key, kv[i].value);
	yajl_gen_map_close(g);
}

/* Write the finding object (shared with ndjson). */
void ips_json_finding(yajl_gen g, const ips_results_t *res, const ips_finding_t *f)
{
	const ips_input_t *in = res->inputs.items[f->input];
	yajl_gen_map_open(g);
	ips_json_kstr(g, "id", f->id);
	ips_json_kstr(g, "rule", f->det->id);
	ips_json_key(g, "code");
	if (f->entry->has_code)
		yajl_gen_integer(g, f->entry->code);
	else
		yajl_gen_null(g);
	ips_json_kstr(g, "name", f->entry->name);
	ips_json_kstr(g, "severity", ips_severity_name(f->severity));
	ips_json_kstr(g, "message", f->entry->message);
	ips_json_kstr(g, "path", in->path);
	ips_json_kint(g, "line", (long long)f->line);
	ips_json_kint(g, "offset", (long long)f->offset);
	ips_json_key(g, "time");
	ips_json_time(g, &f->time);
	ips_json_key(g, "fields");
	fields_obj(g, f->fields, f->nfields);
	ips_json_kstr(g, "text", f->text);
	ips_json_kstr(g, "host", f->host);
	ips_json_kstr(g, "hex", f->entry->hex);
	ips_json_kstr(g, "category", f->entry->category);
	ips_json_kstr(g, "summary", f->entry->summary);
	if (in->source)
		ips_json_kstr(g, "source", in->source);
	if (f->entry->cand_len) { /* a text several codes share: code is null, these are the choices */
		ips_json_key(g, "candidates");
		ips_json_candidates(g, f->entry);
	}
	yajl_gen_map_close(g);
}

void ips_json_candidates(yajl_gen g, const ips_entry_t *e)
{
	yajl_gen_array_open(g);
	for (size_t i = 0; i < e->cand_len; i++) {
		yajl_gen_map_open(g);
		ips_json_key(g, "code");
		yajl_gen_integer(g, e->cand[i]->code);
		ips_json_kstr(g, "name", e->cand[i]->name);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

void ips_json_window(yajl_gen g, const ips_results_t *res, const ips_window_t *w)
{
	const ips_input_t *in = res->inputs.items[w->input];
	yajl_gen_map_open(g);
	ips_json_kstr(g, "correlation", w->correlation);
	ips_json_kstr(g, "kind", ips_incident_kind_name(w->kind));
	if (in->source)
		ips_json_kstr(g, "source", in->source);
	ips_json_kstr(g, "path", in->path);
	ips_json_kint(g, "line", (long long)w->line);
	ips_json_key(g, "first");
	ips_json_time(g, &w->first);
	ips_json_key(g, "last");
	ips_json_time(g, &w->last);
	ips_json_key(g, "key");
	fields_obj(g, w->key, w->nkey);
	ips_json_key(g, "findings");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < w->nfindings; i++)
		ips_json_str(g, ((const ips_finding_t *)res->findings.items[w->findings[i]])->id);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

void ips_json_input(yajl_gen g, const ips_input_t *in)
{
	yajl_gen_map_open(g);
	ips_json_kstr(g, "path", in->path);
	ips_json_kstr(g, "format", in->format);
	ips_json_kint(g, "records", (long long)in->records);
	ips_json_kint(g, "bytes", (long long)in->bytes);
	ips_json_kstr(g, "status", ips_input_status_name(in->status));
	ips_json_kstr(g, "error", in->error);
	ips_json_kstr(g, "note", in->note);
	ips_json_kint(g, "truncated", (long long)in->truncated);
	ips_json_kint(g, "findings", (long long)in->findings);
	if (in->source)
		ips_json_kstr(g, "source", in->source);
	yajl_gen_map_close(g);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void ips_json_summary_counts(yajl_gen g, const ips_summary_counts_t *sc)
{
	yajl_gen_map_open(g);
	ips_json_kint(g, "records", (long long)sc->records);
	ips_json_kint(g, "findings", (long long)sc->findings);
	ips_json_kint(g, "incidents", (long long)sc->incidents);
	ips_json_kint(g, "events", (long long)sc->events);
	ips_json_kint(g, "filtered", (long long)sc->filtered);
	ips_json_key(g, "by_severity");
	yajl_gen_map_open(g);
	for (int s = IPS_SEV_CRITICAL; s >= IPS_SEV_INFO; s--)
		ips_json_kint(g, ips_severity_name((ips_severity_t)s), (long long)sc->by_severity[s]);
	yajl_gen_map_close(g);
	ips_json_key(g, "by_code");
	yajl_gen_map_open(g);
	for (size_t i = 0; i < sc->ncodes; i++)
		ips_json_kint(g, sc->names[i], (long long)sc->counts[i]);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

void ips_json_summary(yajl_gen g, const ips_results_t *res)
{
	ips_summary_counts_t sc = {.records = res->records, .findings = res->findings.len,
				   .incidents = res->incidents.len, .events = res->events_total,
				   .filtered = res->filtered};
	for (size_t i = 0; i < res->findings.len; i++) {
		int s = (int)((const ips_finding_t *)res->findings.items[i])->severity;
		if (s >= 0 && s < IPS_SEV_CRITICAL + 1)
			sc.by_severity[s]++;
	}
	/* by_code: names in sorted order, for deterministic output */
	size_t n = res->findings.len;
	const char **names = ips_xcalloc(n ? n : 1, sizeof *names);
	uint64_t *counts = ips_xcalloc(n ? n : 1, sizeof *counts);
	for (size_t i = 0; i < n; i++)
		names[i] = ((const ips_finding_t *)res->findings.items[i])->entry->name;
	if (n > 1) /* (an insertion sort took seconds on 30,000 findings) */
		qsort(names, n, sizeof *names, cmp_name);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && !strcmp(names[j], names[i]))
			j++;
		names[sc.ncodes] = names[i];
		counts[sc.ncodes++] = j - i;
		i = j;
	}
	sc.names = names;
	sc.counts = counts;
	ips_json_summary_counts(g, &sc);
	free(names);
	free(counts);
}

static ips_status_t write_json(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
			       const ips_report_opts_t *o)
{
	(void)rules;
	yajl_gen g = yajl_gen_alloc(NULL);
	/* valid UTF-8 whatever the inputs held, C1 controls escaped (report_util.h) */
	ips_utf8_stream_t us = {.out = out, .json = true};
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	yajl_gen_config(g, yajl_gen_print_callback, ips_utf8_stream_write, &us);
	yajl_gen_map_open(g);
	ips_json_key(g, "tool");
	yajl_gen_map_open(g);
	ips_json_kstr(g, "name", "ipsec-scan");
	ips_json_kstr(g, "version", o->version);
	yajl_gen_map_close(g);
	ips_json_key(g, "inputs");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->inputs.len; i++)
		ips_json_input(g, res->inputs.items[i]);
	yajl_gen_array_close(g);
	ips_json_key(g, "findings");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->findings.len; i++)
		ips_json_finding(g, res, res->findings.items[i]);
	yajl_gen_array_close(g);
	ips_json_key(g, "incidents");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->incidents.len; i++)
		ips_json_incident(g, res, res->incidents.items[i]);
	yajl_gen_array_close(g);
	ips_json_key(g, "events");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->events.len; i++) {
		const ips_event_t *e = res->events.items[i];
		const ips_input_t *in = res->inputs.items[e->input];
		yajl_gen_map_open(g);
		ips_json_kstr(g, "name", e->entry->name);
		ips_json_key(g, "code");
		if (e->entry->has_code)
			yajl_gen_integer(g, e->entry->code);
		else
			yajl_gen_null(g);
		ips_json_kstr(g, "marker", e->entry->marker);
		ips_json_kstr(g, "kind", e->entry->marker ? "marker" : "event");
		ips_json_kstr(g, "path", in->path);
		ips_json_kint(g, "line", (long long)e->line);
		ips_json_kint(g, "offset", (long long)e->offset);
		ips_json_key(g, "time");
		ips_json_time(g, &e->time);
		ips_json_kstr(g, "host", e->host);
		ips_json_key(g, "fields");
		fields_obj(g, e->fields, e->nfields);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	ips_json_key(g, "notes");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->notes.len; i++)
		ips_json_str(g, res->notes.items[i]);
	yajl_gen_array_close(g);
	ips_json_key(g, "summary");
	ips_json_summary(g, res);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	ips_utf8_stream_flush(&us);
	fputc('\n', out);
	return ips_report_stream_status(out);
}

const ips_reporter_ops_t ips_report_json = {"json", write_json};
