/*
 * report_json_incident.c - the incident object of the JSON-based reports
 * (json, ndjson): the keys SPEC.md gives, plus names (the entry names of
 * codes), root_name, and path/line where an incident without findings
 * starts (extra keys are welcome, none is ever renamed).
 */
#include <string.h>
#include <yajl_gen.h>

#include "report_json.h"

#define KEY(g, k) yajl_gen_string(g, (const unsigned char *)(k), strlen(k))

static void str(yajl_gen g, const char *s)
{
	if (s)
		yajl_gen_string(g, (const unsigned char *)s, strlen(s));
	else
		yajl_gen_null(g);
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

/* A code where the entry has one, else its name (SPEC: incident codes, root_cause). */
static void code_or_name(yajl_gen g, const ips_entry_t *e)
{
	if (!e)
		yajl_gen_null(g);
	else if (e->has_code)
		yajl_gen_integer(g, e->code);
	else
		str(g, e->name);
}

void ips_json_incident(yajl_gen g, const ips_results_t *res, const ips_incident_t *x)
{
	yajl_gen_map_open(g);
	KEY(g, "id");
	str(g, x->id);
	KEY(g, "correlation");
	str(g, x->correlation);
	KEY(g, "kind");
	str(g, ips_incident_kind_name(x->kind));
	KEY(g, "key");
	yajl_gen_map_open(g);
	for (size_t i = 0; i < x->nkey; i++) {
		KEY(g, x->key[i].key);
		str(g, x->key[i].value);
	}
	yajl_gen_map_close(g);
	KEY(g, "first");
	time_val(g, &x->first);
	KEY(g, "last");
	time_val(g, &x->last);
	KEY(g, "severity");
	str(g, ips_severity_name(x->severity));
	KEY(g, "codes");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < x->ncodes; i++)
		code_or_name(g, x->codes[i]);
	yajl_gen_array_close(g);
	KEY(g, "names");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < x->ncodes; i++)
		str(g, x->codes[i]->name);
	yajl_gen_array_close(g);
	KEY(g, "findings");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < x->nfindings; i++)
		if (x->findings[i] < res->findings.len)
			str(g, ((const ips_finding_t *)res->findings.items[x->findings[i]])->id);
	yajl_gen_array_close(g);
	KEY(g, "root_cause");
	code_or_name(g, x->root);
	KEY(g, "root_name");
	str(g, x->root ? x->root->name : NULL);
	KEY(g, "title");
	str(g, x->title);
	KEY(g, "remediation");
	yajl_gen_array_open(g);
	if (x->root)
		for (size_t i = 0; i < x->root->resolve.len; i++)
			str(g, x->root->resolve.items[i]);
	yajl_gen_array_close(g);
	/* an incident without findings says where it starts */
	if (!x->nfindings && x->input < res->inputs.len) {
		KEY(g, "path");
		str(g, ((const ips_input_t *)res->inputs.items[x->input])->path);
		KEY(g, "line");
		yajl_gen_integer(g, (long long)x->line);
	}
	yajl_gen_map_close(g);
}
