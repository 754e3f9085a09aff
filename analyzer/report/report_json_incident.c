/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_json_incident.c - the incident object of the JSON-based reports
 * (json, ndjson): the keys SPEC.md gives, plus names (the entry names of
 * codes), root_name, and path/line where an incident without findings
 * starts (extra keys are welcome, none is ever renamed).
 */
#include <string.h>
#include <yajl_gen.h>

#include "report/report_json.h"

/* A code where the entry has one, else its name (SPEC: incident codes, root_cause). */
static void code_or_name(yajl_gen g, const ips_entry_t *e)
{
	if (!e)
		yajl_gen_null(g);
	else if (e->has_code)
		yajl_gen_integer(g, e->code);
	else
		ips_json_str(g, e->name);
}

static void side(yajl_gen g, const ips_results_t *res, const ips_verdict_side_t *s)
{
	yajl_gen_map_open(g);
	ips_json_key(g, "side");
	ips_json_str(g, s->side);
	ips_json_key(g, "host");
	ips_json_str(g, s->host);
	if (s->input < res->inputs.len) {
		ips_json_key(g, "path");
		ips_json_str(g, ((const ips_input_t *)res->inputs.items[s->input])->path);
	}
	yajl_gen_map_close(g);
}

/* The verdict object (SPEC "Verdicts"; docs/correlation.md#verdicts). */
static void verdict(yajl_gen g, const ips_results_t *res, const ips_verdict_t *v)
{
	if (!v) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	ips_json_key(g, "class");
	ips_json_str(g, v->cls);
	ips_json_key(g, "phase");
	ips_json_str(g, v->phase);
	ips_json_key(g, "refused_by");
	side(g, res, &v->refused_by);
	ips_json_key(g, "reason_in");
	side(g, res, &v->reason_in);
	ips_json_key(g, "evidence");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < v->nevidence; i++)
		if (v->evidence[i] < res->findings.len)
			ips_json_str(g, ((const ips_finding_t *)res->findings.items[v->evidence[i]])->id);
	yajl_gen_array_close(g);
	ips_json_key(g, "ruled_out");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < v->nruled_out; i++) {
		yajl_gen_map_open(g);
		ips_json_key(g, "class");
		ips_json_str(g, v->ruled_out[i].a);
		ips_json_key(g, "why");
		ips_json_str(g, v->ruled_out[i].b);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	ips_json_key(g, "collect");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < v->ncollect; i++) {
		yajl_gen_map_open(g);
		ips_json_key(g, "implementation");
		ips_json_str(g, v->collect[i].a);
		ips_json_key(g, "kind");
		ips_json_str(g, v->collect[i].b);
		ips_json_key(g, "what");
		ips_json_str(g, v->collect[i].c);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	ips_json_key(g, "fixes");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < v->nfixes; i++) {
		yajl_gen_map_open(g);
		ips_json_key(g, "implementation");
		ips_json_str(g, v->fixes[i].a);
		ips_json_key(g, "class");
		ips_json_str(g, v->fixes[i].b);
		ips_json_key(g, "fix");
		ips_json_str(g, v->fixes[i].c);
		ips_json_key(g, "why");
		ips_json_str(g, v->fixes[i].d);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	ips_json_key(g, "clock_offsets");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < v->noffsets; i++) {
		if (v->offset_input[i] >= res->inputs.len)
			continue;
		yajl_gen_map_open(g);
		ips_json_key(g, "path");
		ips_json_str(g, ((const ips_input_t *)res->inputs.items[v->offset_input[i]])->path);
		ips_json_key(g, "seconds");
		yajl_gen_integer(g, (long long)v->offset_sec[i]);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

void ips_json_incident(yajl_gen g, const ips_results_t *res, const ips_incident_t *x)
{
	yajl_gen_map_open(g);
	ips_json_key(g, "id");
	ips_json_str(g, x->id);
	ips_json_key(g, "correlation");
	ips_json_str(g, x->correlation);
	ips_json_key(g, "kind");
	ips_json_str(g, ips_incident_kind_name(x->kind));
	ips_json_key(g, "key");
	yajl_gen_map_open(g);
	for (size_t i = 0; i < x->nkey; i++) {
		ips_json_key(g, x->key[i].key);
		ips_json_str(g, x->key[i].value);
	}
	yajl_gen_map_close(g);
	ips_json_key(g, "first");
	ips_json_time(g, &x->first);
	ips_json_key(g, "last");
	ips_json_time(g, &x->last);
	ips_json_key(g, "severity");
	ips_json_str(g, ips_severity_name(x->severity));
	ips_json_key(g, "codes");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < x->ncodes; i++)
		code_or_name(g, x->codes[i]);
	yajl_gen_array_close(g);
	ips_json_key(g, "names");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < x->ncodes; i++)
		ips_json_str(g, x->codes[i]->name);
	yajl_gen_array_close(g);
	ips_json_key(g, "findings");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < x->nfindings; i++)
		if (x->findings[i] < res->findings.len)
			ips_json_str(g, ((const ips_finding_t *)res->findings.items[x->findings[i]])->id);
	yajl_gen_array_close(g);
	ips_json_key(g, "root_cause");
	code_or_name(g, x->root);
	ips_json_key(g, "root_name");
	ips_json_str(g, x->root ? x->root->name : NULL);
	ips_json_key(g, "title");
	ips_json_str(g, x->title);
	ips_json_key(g, "verdict");
	verdict(g, res, x->verdict);
	ips_json_key(g, "remediation");
	yajl_gen_array_open(g);
	if (x->root)
		for (size_t i = 0; i < x->root->resolve.len; i++)
			ips_json_str(g, x->root->resolve.items[i]);
	yajl_gen_array_close(g);
	/* an incident without findings says where it starts */
	if (!x->nfindings && x->input < res->inputs.len) {
		ips_json_key(g, "path");
		ips_json_str(g, ((const ips_input_t *)res->inputs.items[x->input])->path);
		ips_json_key(g, "line");
		yajl_gen_integer(g, (long long)x->line);
	}
	yajl_gen_map_close(g);
}
