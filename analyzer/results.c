/* results.c - see results.h. */
#include "results.h"

#include <stdlib.h>
#include <string.h>

const char *ips_incident_kind_name(ips_incident_kind_t k)
{
	static const char *const names[] = {"negotiation", "unterminated", "pair",
					    "unanswered", "threshold", "group"};
	return (k >= IPS_INC_NEGOTIATION && k <= IPS_INC_GROUP) ? names[k] : "group";
}

bool ips_incident_kind_parse(const char *name, ips_incident_kind_t *out)
{
	for (int k = IPS_INC_NEGOTIATION; k <= IPS_INC_GROUP; k++)
		if (!strcmp(ips_incident_kind_name((ips_incident_kind_t)k), name)) {
			*out = (ips_incident_kind_t)k;
			return true;
		}
	return false;
}

const char *ips_input_status_name(ips_input_status_t s)
{
	switch (s) {
	case IPS_INPUT_OK: return "ok";
	case IPS_INPUT_PARTIAL: return "partial";
	case IPS_INPUT_ERROR: return "error";
	case IPS_INPUT_EMPTY: return "empty";
	}
	return "error";
}

ips_results_t *ips_results_new(void)
{
	return ips_xcalloc(1, sizeof(ips_results_t));
}

static void kv_free(ips_kv_t *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void ips_results_free(ips_results_t *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->inputs.len; i++) {
		ips_input_t *in = r->inputs.items[i];
		free(in->path);
		free(in->source);
		free(in->error);
		free(in->note);
		free(in);
	}
	for (size_t i = 0; i < r->findings.len; i++) {
		ips_finding_t *f = r->findings.items[i];
		free(f->host);
		kv_free(f->fields, f->nfields);
		free(f->text);
		free(f);
	}
	for (size_t i = 0; i < r->events.len; i++) {
		ips_event_t *e = r->events.items[i];
		free(e->host);
		kv_free(e->fields, e->nfields);
		free(e);
	}
	for (size_t i = 0; i < r->incidents.len; i++) {
		ips_incident_t *x = r->incidents.items[i];
		kv_free(x->key, x->nkey);
		free(x->findings);
		free(x->codes);
		free(x->title);
		free(x);
	}
	ips_vec_free(&r->incidents);
	for (size_t i = 0; i < r->windows.len; i++) {
		ips_window_t *w = r->windows.items[i];
		free(w->correlation);
		kv_free(w->key, w->nkey);
		free(w->findings);
		free(w);
	}
	ips_vec_free(&r->windows);
	for (size_t i = 0; i < r->notes.len; i++)
		free(r->notes.items[i]);
	ips_vec_free(&r->inputs);
	ips_vec_free(&r->findings);
	ips_vec_free(&r->events);
	ips_vec_free(&r->notes);
	free(r);
}

ips_severity_t ips_results_max_severity(const ips_results_t *r)
{
	ips_severity_t m = IPS_SEV_NONE;
	for (size_t i = 0; i < r->findings.len; i++) {
		const ips_finding_t *f = r->findings.items[i];
		if (f->severity > m)
			m = f->severity;
	}
	return m;
}

const char *ips_finding_field(const ips_finding_t *f, const char *key)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (strcmp(f->fields[i].key, key) == 0)
			return f->fields[i].value;
	return NULL;
}
