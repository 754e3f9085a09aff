/* SPDX-License-Identifier: Apache-2.0 */
/*
 * window.c - the streaming stage: while each input is read, its events and
 * findings open, extend and close windows (negotiation brackets and code
 * ranges, start/outcome pairs) by key; a closed window with findings is a
 * segment, published into the results as a window record. Keys are bounded
 * strings (KEY_MAX) with a counted cut. See internal.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/correlate.h"
#include "correlate/internal.h"

void free_item(open_item_t *o)
{
	free(o->key);
	free(o->f);
	for (size_t i = 0; i < o->nkv; i++) {
		free(o->kv[i].key);
		free(o->kv[i].value);
	}
}

/* ---- streaming stage --------------------------------------------------- */

char *make_key(ips_correlator_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A key (owned by the caller), cut at KEY_MAX bytes and counted when longer. */
char *make_key(ips_correlator_t *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n;
	if (len > KEY_MAX) {
		len = KEY_MAX;
		c->keys_cut++;
	}
	char *k = ips_xmalloc(len + 1);
	va_start(ap, fmt);
	vsnprintf(k, len + 1, fmt, ap);
	va_end(ap);
	return k;
}

void free_keys(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
}

/* The key of a record for a correlation: its first listed field present
 * (the caller frees it); NULL when it has none. */
static char *item_key(ips_correlator_t *c, const corr_t *k, const ips_kv_t *kv, size_t n,
		      const char *host)
{
	for (int i = 0; i < k->nkeys; i++) {
		const char *name = k->keys.items[i];
		const char *v = !strcmp(name, "host") ? host : ips_kv_get(kv, n, name);
		if (v && *v)
			return make_key(c, "%s=%s", name, v);
	}
	if (host && *host && k->kind == C_NEG) /* markers of a host that names no peer */
		return make_key(c, "host=%s", host);
	return NULL;
}

static bool in_list(const ips_strlist_t *l, const char *name)
{
	for (size_t i = 0; i < l->len; i++)
		if (!strcmp(l->items[i], name))
			return true;
	return false;
}

bool elapsed(const ips_time_t *from, uint64_t from_line, const ips_time_t *now,
		    uint64_t now_line, int64_t window)
{
	if (from->valid && now->valid)
		return now->sec - from->sec > window;
	return now_line > from_line + UNTIMED_LINES;
}

static segment_t *new_segment(ips_correlator_t *c)
{
	if (c->nsegs == c->capsegs) {
		c->capsegs = c->capsegs ? c->capsegs * 2 : 64;
		c->segs = ips_xrealloc(c->segs, c->capsegs * sizeof *c->segs);
	}
	segment_t *s = &c->segs[c->nsegs];
	memset(s, 0, sizeof *s);
	return s;
}

/* The segment just filled in is the one of its findings; count it. */
static void commit_segment(ips_correlator_t *c, const segment_t *s)
{
	for (size_t i = 0; i < s->nf; i++) {
		if (s->f[i] >= c->capseg_of) {
			size_t cap = c->capseg_of ? c->capseg_of : 256;
			while (cap <= s->f[i])
				cap *= 2;
			c->seg_of = ips_xrealloc(c->seg_of, cap * sizeof *c->seg_of);
			for (size_t j = c->capseg_of; j < cap; j++)
				c->seg_of[j] = -1;
			c->capseg_of = cap;
		}
		c->seg_of[s->f[i]] = (long)c->nsegs;
	}
	c->nsegs++;
}

static void add_segment(ips_correlator_t *c, open_item_t *o, ips_incident_kind_t kind)
{
	segment_t *s = new_segment(c);
	s->corr = o->corr;
	s->kind = kind;
	s->f = o->f;
	s->nf = o->nf;
	o->f = NULL;
	o->nf = o->capf = 0;
	s->first = o->start;
	s->last = o->last;
	s->input = o->input;
	s->line = o->line;
	s->nkv = o->nkv;
	memcpy(s->kv, o->kv, sizeof o->kv);
	o->nkv = 0;
	commit_segment(c, s);
}

/* Finding f was followed by success of its attempt. */
static void flag_recovered(ips_correlator_t *c, size_t f)
{
	if (f >= c->caprecovered) {
		size_t cap = c->caprecovered ? c->caprecovered : 256;
		while (cap <= f)
			cap *= 2;
		c->recovered = ips_xrealloc(c->recovered, cap * sizeof *c->recovered);
		memset(c->recovered + c->caprecovered, 0, (cap - c->caprecovered) * sizeof *c->recovered);
		c->caprecovered = cap;
	}
	c->recovered[f] = true;
}

void ips_correlator_absorb(ips_correlator_t *c, ips_correlator_t *from, size_t input_off,
			   size_t finding_off)
{
	ips_correlator_end_input(from);
	c->keys_cut += from->keys_cut;
	from->keys_cut = 0;
	for (size_t i = 0; i < from->caprecovered; i++) /* what recovered there */
		if (from->recovered[i])
			flag_recovered(c, i + finding_off);
	for (size_t i = 0; i < from->nsegs; i++) {
		segment_t *s = new_segment(c);
		*s = from->segs[i];
		s->input += input_off;
		for (size_t j = 0; j < s->nf; j++)
			s->f[j] += finding_off;
		commit_segment(c, s);
	}
	from->nsegs = 0;
}

/* Close open item i: a segment or nothing, by what it saw. */
void close_item(ips_correlator_t *c, size_t i, bool input_ended)
{
	open_item_t *o = &c->open[i];
	const corr_t *k = &c->corrs[o->corr];
	if (o->type == O_BRACKET) {
		add_segment(c, o, IPS_INC_UNTERMINATED);
	} else if (o->type == O_PAIR) {
		if (o->nf)
			add_segment(c, o, IPS_INC_PAIR);
		else if (!input_ended || (c->input_last.valid && o->start.valid &&
					  c->input_last.sec - o->start.sec > k->window))
			add_segment(c, o, IPS_INC_UNANSWERED);
	} else if (o->nf >= 2) {
		add_segment(c, o, IPS_INC_NEGOTIATION);
	}
	free_item(o);
	c->open[i] = c->open[--c->nopen];
}

static void expire(ips_correlator_t *c, const ips_time_t *t, uint64_t line)
{
	for (size_t i = 0; i < c->nopen;) {
		open_item_t *o = &c->open[i];
		if (elapsed(&o->start, o->line, t, line, c->corrs[o->corr].window))
			close_item(c, i, false);
		else
			i++;
	}
}

open_item_t *find_open(ips_correlator_t *c, int corr, int type, const char *key)
{
	for (size_t i = 0; i < c->nopen; i++)
		if (c->open[i].corr == corr && c->open[i].type == type && !strcmp(c->open[i].key, key))
			return &c->open[i];
	return NULL;
}

open_item_t *open_new(ips_correlator_t *c, int corr, int type, const char *key,
			     const ips_kv_t *kv, size_t nkv, const char *host, const ips_time_t *t,
			     size_t input, uint64_t line)
{
	if (c->nopen == MAX_OPEN) { /* bounded: the oldest window closes early */
		size_t oldest = 0;
		for (size_t i = 1; i < c->nopen; i++)
			if (c->open[i].line < c->open[oldest].line)
				oldest = i;
		close_item(c, oldest, false);
	}
	if (c->nopen == c->capopen) {
		c->capopen = c->capopen ? c->capopen * 2 : 32;
		c->open = ips_xrealloc(c->open, c->capopen * sizeof *c->open);
	}
	open_item_t *o = &c->open[c->nopen++];
	memset(o, 0, sizeof *o);
	o->corr = corr;
	o->type = type;
	o->key = ips_xstrdup(key); /* made by make_key() or saved by an earlier run: bounded */
	static const char *const keep[] = {"peer", "local", "conn", "user"};
	for (size_t i = 0; i < 4; i++) {
		const char *v = ips_kv_get(kv, nkv, keep[i]);
		if (v) {
			o->kv[o->nkv].key = ips_xstrdup(keep[i]);
			o->kv[o->nkv].value = ips_xstrdup(v);
			o->nkv++;
		}
	}
	if (host && o->nkv < 4) {
		o->kv[o->nkv].key = ips_xstrdup("host");
		o->kv[o->nkv].value = ips_xstrdup(host);
		o->nkv++;
	}
	o->start = o->last = *t;
	o->opened = c->wall;
	o->input = input;
	o->line = o->last_line = line;
	return o;
}

static void attach(open_item_t *o, size_t finding, const ips_time_t *t, uint64_t line)
{
	if (o->nf == o->capf) {
		o->capf = o->capf ? o->capf * 2 : 4;
		o->f = ips_xrealloc(o->f, o->capf * sizeof *o->f);
	}
	o->f[o->nf++] = finding;
	if (t->valid)
		o->last = *t;
	o->last_line = line;
}

/* The attempt of o succeeded: its findings were followed by success. */
static void mark_recovered(ips_correlator_t *c, const open_item_t *o)
{
	for (size_t i = 0; i < o->nf; i++)
		flag_recovered(c, o->f[i]);
}

static void note_time(ips_correlator_t *c, const ips_time_t *t, uint64_t line)
{
	if (t->valid && (!c->input_last.valid || t->sec > c->input_last.sec))
		c->input_last = *t;
	if (line > c->input_last_line)
		c->input_last_line = line;
}

void ips_correlator_event(ips_correlator_t *c, const ips_event_t *e)
{
	note_time(c, &e->time, e->line);
	expire(c, &e->time, e->line);
	char *key = NULL;
	for (int i = 0; i < c->ncorrs; i++) {
		const corr_t *k = &c->corrs[i];
		free(key);
		key = NULL;
		if (k->kind == C_NEG && e->entry->marker) {
			if (!(key = item_key(c, k, e->fields, e->nfields, e->host)))
				continue;
			open_item_t *o = find_open(c, i, O_BRACKET, key);
			if (!strcmp(e->entry->marker, "begin")) {
				if (o) /* a new BEGIN: the previous one never ended */
					close_item(c, (size_t)(o - c->open), false);
				open_new(c, i, O_BRACKET, key, e->fields, e->nfields, e->host, &e->time,
					 e->input, e->line);
			} else if (o) {
				if (e->time.valid)
					o->last = e->time;
				o->last_line = e->line;
				if (o->nf)
					add_segment(c, o, IPS_INC_NEGOTIATION);
				/* BEGIN..END with no failure in it: a negotiation that went well */
				free_item(o);
				*o = c->open[--c->nopen];
			}
		} else if (k->kind == C_PAIR) {
			bool is_start = in_list(&k->start, e->entry->name);
			bool is_ok = in_list(&k->success, e->entry->name);
			if (!is_start && !is_ok)
				continue;
			if (!(key = item_key(c, k, e->fields, e->nfields, e->host)))
				continue;
			open_item_t *o = find_open(c, i, O_PAIR, key);
			if (is_ok) {
				if (o) { /* it succeeded: what it logged on the way is loose */
					mark_recovered(c, o);
					free_item(o);
					*o = c->open[--c->nopen];
				}
				continue;
			}
			/*
			 * A start again for the same key before any outcome is a retry
			 * of the same attempt (charon starts IKE_SA site[1] again after
			 * INVALID_KE_PAYLOAD or a COOKIE, or after a restart when the
			 * ids start over): the window starts over, nothing is reported.
			 * One that collected failures keeps them: the attempt goes on,
			 * and its outcome decides whether they were a failure or a
			 * round trip that recovered.
			 */
			if (o && !o->nf) {
				free_item(o);
				*o = c->open[--c->nopen];
			} else if (o) {
				o->start = e->time;
				o->line = o->last_line = e->line;
				o->retried = true;
				continue;
			}
			open_new(c, i, O_PAIR, key, e->fields, e->nfields, e->host, &e->time, e->input,
				 e->line);
		}
	}
	free(key);
}

void ips_correlator_finding(ips_correlator_t *c, size_t idx)
{
	const ips_finding_t *f = c->res->findings.items[idx];
	if (c->wall) { /* live mode: when it was read, for ips_correlator_settle() */
		if (idx >= c->caparrived) {
			c->caparrived = c->caparrived ? c->caparrived * 2 : 256;
			while (c->caparrived <= idx)
				c->caparrived *= 2;
			c->arrived = ips_xrealloc(c->arrived, c->caparrived * sizeof *c->arrived);
		}
		c->arrived[idx] = c->wall;
	}
	note_time(c, &f->time, f->line);
	expire(c, &f->time, f->line);
	/* a bracket, then a pair, then the code range: the first that takes it */
	for (int type = O_BRACKET; type <= O_RANGE; type++) {
		for (int i = 0; i < c->ncorrs; i++) {
			const corr_t *k = &c->corrs[i];
			if ((type == O_PAIR) != (k->kind == C_PAIR) || (k->kind != C_NEG && k->kind != C_PAIR))
				continue;
			if (type == O_RANGE && (!f->entry->has_code || f->entry->code < k->code_lo ||
						f->entry->code > k->code_hi))
				continue;
			char *key = item_key(c, k, f->fields, f->nfields, f->host);
			if (!key)
				continue;
			open_item_t *o = find_open(c, i, type, key);
			if (!o && type == O_RANGE)
				o = open_new(c, i, O_RANGE, key, f->fields, f->nfields, f->host, &f->time,
					     f->input, f->line);
			free(key);
			if (o) {
				attach(o, idx, &f->time, f->line);
				return;
			}
		}
	}
	/*
	 * A console transcript (swanctl --initiate, ipsec up): its records
	 * carry no time and no SA id, and all belong to the attempt it
	 * started, the latest start still open in this input.
	 */
	if (!f->time.valid) {
		open_item_t *best = NULL;
		for (size_t i = 0; i < c->nopen; i++)
			if (c->open[i].type == O_PAIR && !c->open[i].start.valid &&
			    (!best || c->open[i].line > best->line))
				best = &c->open[i];
		char *key = best ? item_key(c, &c->corrs[best->corr], f->fields, f->nfields, NULL) : NULL;
		if (best && !key)
			attach(best, idx, &f->time, f->line);
		free(key);
	}
}

void ips_correlator_end_input(ips_correlator_t *c)
{
	while (c->nopen)
		close_item(c, c->nopen - 1, true);
	c->input_last.valid = false;
	c->input_last_line = 0;
}

void ips_correlator_note_time(ips_correlator_t *c, const ips_time_t *t, uint64_t line)
{
	note_time(c, t, line);
}

bool ips_correlator_add_window(ips_correlator_t *c, const ips_window_t *w)
{
	bool neg = w->kind == IPS_INC_NEGOTIATION || w->kind == IPS_INC_UNTERMINATED;
	if (!neg && w->kind != IPS_INC_PAIR && w->kind != IPS_INC_UNANSWERED)
		return false;
	int corr = -1;
	for (int i = 0; i < c->ncorrs && corr < 0; i++)
		if (!strcmp(c->corrs[i].decl->id, w->correlation) &&
		    c->corrs[i].kind == (neg ? C_NEG : C_PAIR))
			corr = i;
	if (corr < 0)
		return false;
	open_item_t o;
	memset(&o, 0, sizeof o);
	o.corr = corr;
	o.type = neg ? O_BRACKET : O_PAIR;
	for (size_t i = 0; i < w->nkey && o.nkv < 4; i++) {
		o.kv[o.nkv].key = ips_xstrdup(w->key[i].key);
		o.kv[o.nkv].value = ips_xstrdup(w->key[i].value);
		o.nkv++;
	}
	o.start = w->first;
	o.last = w->last;
	o.input = w->input;
	o.line = o.last_line = w->line;
	if (w->nfindings) {
		o.f = ips_xmalloc(w->nfindings * sizeof *o.f);
		memcpy(o.f, w->findings, w->nfindings * sizeof *o.f);
		o.nf = o.capf = w->nfindings;
	}
	add_segment(c, &o, w->kind);
	free_item(&o);
	return true;
}

int cmp_window(const void *a, const void *b)
{
	const ips_window_t *x = *(ips_window_t *const *)a, *y = *(ips_window_t *const *)b;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	size_t fx = x->nfindings ? x->findings[0] : (size_t)-1;
	size_t fy = y->nfindings ? y->findings[0] : (size_t)-1;
	if (fx != fy)
		return fx < fy ? -1 : 1;
	return strcmp(x->correlation, y->correlation);
}

/* The window record of a closed segment (freed by ips_window_free()). */
ips_window_t *window_of(const ips_correlator_t *c, const segment_t *sg)
{
	ips_window_t *w = ips_xcalloc(1, sizeof *w);
	w->correlation = ips_xstrdup(c->corrs[sg->corr].decl->id);
	w->kind = sg->kind;
	w->input = sg->input;
	w->line = sg->line;
	w->first = sg->first;
	w->last = sg->last;
	w->key = ips_xcalloc(sg->nkv ? sg->nkv : 1, sizeof *w->key);
	for (size_t i = 0; i < sg->nkv; i++) {
		w->key[i].key = ips_xstrdup(sg->kv[i].key);
		w->key[i].value = ips_xstrdup(sg->kv[i].value);
	}
	w->nkey = sg->nkv;
	w->findings = ips_xmalloc((sg->nf ? sg->nf : 1) * sizeof *w->findings);
	if (sg->nf)
		memcpy(w->findings, sg->f, sg->nf * sizeof *w->findings);
	w->nfindings = sg->nf;
	return w;
}

/* The closed windows into the results, in input and line order. */
void publish_windows(ips_correlator_t *c)
{
	size_t first = c->res->windows.len;
	for (size_t s = 0; s < c->nsegs; s++)
		ips_vec_push(&c->res->windows, window_of(c, &c->segs[s]));
	if (c->res->windows.len - first > 1)
		qsort(c->res->windows.items + first, c->res->windows.len - first, sizeof(void *),
		      cmp_window);
}
