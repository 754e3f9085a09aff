/* SPDX-License-Identifier: Apache-2.0 */
/* results.c - see results.h. */
#include "detect/results.h"

#include <stddef.h>
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

_Static_assert(sizeof(ips_input_t) == 72, "an input entry is 72 bytes (an 80-byte malloc chunk)");

/* An entry with `extra` bytes after it for strings; source copied there. */
static ips_input_t *input_alloc(size_t extra, const char *source)
{
	size_t sl = source ? strlen(source) + 1 : 0;
	ips_input_t *in = ips_xcalloc(1, sizeof *in + extra + sl);
	if (source)
		in->source = memcpy((char *)(in + 1) + extra, source, sl);
	in->status = IPS_INPUT_OK;
	return in;
}

ips_input_t *ips_input_new(const char *path, const char *source)
{
	size_t pl = strlen(path) + 1;
	ips_input_t *in = input_alloc(pl, source);
	in->path = memcpy(in + 1, path, pl);
	return in;
}

ips_input_t *ips_input_borrow(const char *path, const char *source)
{
	ips_input_t *in = input_alloc(0, source);
	in->path = path;
	return in;
}

void ips_input_free(ips_input_t *in)
{
	if (!in)
		return;
	free(in->error);
	free(in->note);
	if (!in->pooled)
		free(in);
}

ips_results_t *ips_results_new(void)
{
	return ips_xcalloc(1, sizeof(ips_results_t));
}

ips_input_t *ips_results_borrow_input(ips_results_t *r, const char *path, const char *source)
{
	if (source)
		return ips_input_borrow(path, source);
	size_t b = r->npool / IPS_INPUT_POOL;
	if (r->npool % IPS_INPUT_POOL == 0) {
		r->pool = ips_xrealloc(r->pool, (b + 1) * sizeof *r->pool);
		r->pool[b] = ips_xmalloc(IPS_INPUT_POOL * sizeof **r->pool);
	}
	ips_input_t *in = &r->pool[b][r->npool++ % IPS_INPUT_POOL];
	memset(in, 0, sizeof *in);
	in->path = path;
	in->status = IPS_INPUT_OK;
	in->pooled = 1;
	return in;
}

static void kv_free(ips_kv_t *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void event_free(ips_event_t *e)
{
	free(e->host);
	kv_free(e->fields, e->nfields);
	free(e);
}

void ips_finding_free(ips_finding_t *f)
{
	free(f->host);
	kv_free(f->fields, f->nfields);
	free(f->text);
	free(f);
}

static void vitems_free(ips_verdict_item_t *it, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(it[i].a);
		free(it[i].b);
		free(it[i].c);
		free(it[i].d);
	}
	free(it);
}

void ips_verdict_free(ips_verdict_t *v)
{
	if (!v)
		return;
	free(v->refused_by.host);
	free(v->reason_in.host);
	free(v->evidence);
	vitems_free(v->ruled_out, v->nruled_out);
	vitems_free(v->collect, v->ncollect);
	vitems_free(v->fixes, v->nfixes);
	free(v->offset_input);
	free(v->offset_sec);
	free(v);
}

void ips_incident_free(ips_incident_t *x)
{
	ips_verdict_free(x->verdict);
	kv_free(x->key, x->nkey);
	free(x->findings);
	free(x->codes);
	free(x->title);
	free(x);
}

void ips_window_free(ips_window_t *w)
{
	free(w->correlation);
	kv_free(w->key, w->nkey);
	free(w->findings);
	free(w);
}

/* The same entry in a new allocation of this thread (in is freed; its error and note move;
 * a borrowed path stays borrowed). */
static ips_input_t *input_moved(ips_input_t *in)
{
	bool own = !in->pooled && in->path == (const char *)(in + 1);
	ips_input_t *c = own ? ips_input_new(in->path, in->source)
			     : ips_input_borrow(in->path, in->source);
	const char *path = c->path, *source = c->source;
	*c = *in;
	c->path = path;
	c->source = source;
	c->pooled = 0;
	if (!in->pooled) /* (a pooled one goes with its results) */
		free(in);
	return c;
}

void ips_results_append(ips_results_t *to, ips_results_t *from)
{
	size_t off = to->inputs.len;
	/* --jobs: each worker's entries are made in its thread's malloc arena,
	 * where the units the main thread frees as it merges are never reused;
	 * copied, they take that memory (a million files: 230 MiB, now 160) */
	for (size_t i = 0; i < from->inputs.len; i++)
		ips_vec_push(&to->inputs, input_moved(from->inputs.items[i]));
	for (size_t i = 0; i < from->findings.len; i++) {
		ips_finding_t *f = from->findings.items[i];
		f->input += off;
		ips_vec_push(&to->findings, f);
	}
	for (size_t i = 0; i < from->events.len; i++) {
		ips_event_t *e = from->events.items[i];
		e->input += off;
		if (to->events.len < IPS_EVENTS_KEPT)
			ips_vec_push(&to->events, e);
		else
			event_free(e);
	}
	for (size_t i = 0; i < from->notes.len; i++)
		ips_vec_push(&to->notes, from->notes.items[i]);
	to->records += from->records;
	to->events_total += from->events_total;
	to->filtered += from->filtered;
	ips_vec_free(&from->inputs);
	ips_vec_free(&from->findings);
	ips_vec_free(&from->events);
	ips_vec_free(&from->notes);
	from->records = from->events_total = from->filtered = 0;
}

void ips_results_free(ips_results_t *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->inputs.len; i++)
		ips_input_free(r->inputs.items[i]);
	for (size_t i = 0; i < r->findings.len; i++)
		ips_finding_free(r->findings.items[i]);
	for (size_t i = 0; i < r->events.len; i++)
		event_free(r->events.items[i]);
	for (size_t i = 0; i < r->incidents.len; i++)
		ips_incident_free(r->incidents.items[i]);
	ips_vec_free(&r->incidents);
	for (size_t i = 0; i < r->windows.len; i++)
		ips_window_free(r->windows.items[i]);
	ips_vec_free(&r->windows);
	for (size_t i = 0; i < r->notes.len; i++)
		free(r->notes.items[i]);
	ips_vec_free(&r->inputs);
	for (size_t b = 0; b * IPS_INPUT_POOL < r->npool; b++)
		free(r->pool[b]);
	free(r->pool);
	ips_vec_free(&r->findings);
	ips_vec_free(&r->events);
	ips_vec_free(&r->notes);
	free(r);
}

ips_severity_t ips_results_max_severity(const ips_results_t *r)
{
	ips_severity_t m = IPS_SEV_NONE;
	/* correlated: the incidents' verdicts decide (an attempt nobody answered
	 * is an error, a retry that recovered is not) */
	if (r->incidents.len) {
		for (size_t i = 0; i < r->incidents.len; i++) {
			const ips_incident_t *x = r->incidents.items[i];
			if (x->severity > m)
				m = x->severity;
		}
		return m;
	}
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
