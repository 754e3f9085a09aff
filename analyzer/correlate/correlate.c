/* SPDX-License-Identifier: Apache-2.0 */
/* correlate.c - see correlate.h and docs/correlation.md. */
#include "correlate/correlate.h"

#include <stdlib.h>
#include <string.h>

#include "correlate/verdict.h"
#include "util/util.h"

#define MAX_KEYS 8
#define MAX_ORDER 32
#define MAX_OPEN 4096          /* open windows at once; the oldest closes first */
#define UNTIMED_LINES 2000     /* "within the window" for records without a time */

enum { C_NEG, C_PAIR, C_THRESHOLD, C_GROUP, C_VERDICT };
enum { O_BRACKET, O_PAIR, O_RANGE };

typedef struct corr {
	const ips_correlation_t *decl;
	int kind;
	int64_t code_lo, code_hi;          /* negotiation range */
	ips_strlist_t start, success;      /* pair: entry names */
	char keys[MAX_KEYS][24];
	int nkeys;
	int64_t window, gap, skew, count;
	int64_t span;                      /* group, live mode: the longest an incident stays open */
	char order[MAX_ORDER][24];         /* group: root-cause order of categories */
	int norder;
} corr_t;

typedef struct open_item {
	int corr;
	int type;
	char key[160];
	ips_kv_t kv[4];                    /* key fields for the incident */
	size_t nkv;
	ips_time_t start, last;
	size_t input;
	uint64_t line, last_line;
	int64_t opened;                    /* live mode: the wall clock when it opened */
	bool retried;                      /* pair: started again after a failure */
	size_t *f;
	size_t nf, capf;
} open_item_t;

typedef struct segment {
	int corr;
	ips_incident_kind_t kind;
	size_t *f;
	size_t nf;
	ips_time_t first, last;
	size_t input;
	uint64_t line;
	ips_kv_t kv[4];
	size_t nkv;
} segment_t;

struct ips_correlator {
	const ips_rules_t *rules;
	ips_results_t *res;
	corr_t *corrs;
	int ncorrs;
	int threshold, group;              /* index of the first of each kind, or -1 */
	open_item_t *open;
	size_t nopen, capopen;
	segment_t *segs;
	size_t nsegs, capsegs;
	long *seg_of;                      /* finding -> segment, -1 */
	size_t capseg_of;
	ips_time_t input_last;             /* the latest time seen in the current input */
	uint64_t input_last_line;          /* the latest line seen in the current input */
	/* live mode (ips_correlator_settle) */
	int64_t wall;                      /* the wall clock at the last settle */
	int64_t *arrived;                  /* finding -> wall clock when it was read */
	size_t caparrived;
	uint64_t forced;                   /* incidents written early at the cap */
	ips_verdict_rules_t *vr;           /* entries -> fault classes */
	bool *recovered;                   /* finding -> a success of its attempt followed */
	size_t caprecovered;
};

/* ---- configuration ----------------------------------------------------- */

static const char *param(const ips_correlation_t *d, const char *key)
{
	for (size_t i = 0; i < d->nparams; i++)
		if (!strcmp(d->params[i].key, key))
			return d->params[i].value;
	return NULL;
}

static int64_t num_param(const ips_correlation_t *d, const char *key, int64_t def, bool *bad)
{
	const char *v = param(d, key);
	int64_t x;
	if (!v)
		return def;
	if (!ips_parse_i64(v, 10, &x) || x < 0) {
		*bad = true;
		return def;
	}
	return x;
}

static void split_list(const char *v, ips_strlist_t *out)
{
	out->items = NULL;
	out->len = 0;
	while (v && *v) {
		while (*v == ' ' || *v == ',')
			v++;
		const char *s = v;
		while (*v && *v != ',')
			v++;
		size_t len = (size_t)(v - s);
		while (len && s[len - 1] == ' ')
			len--;
		if (len) {
			out->items = ips_xrealloc(out->items, (out->len + 1) * sizeof(char *));
			out->items[out->len++] = ips_xstrndup(s, len);
		}
	}
}

static void free_list(ips_strlist_t *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->items[i]);
	free(l->items);
}

/* "a,b,c" into fixed slots (names are cut at 23 bytes). */
static int split(const char *v, char out[][24], int max)
{
	ips_strlist_t l;
	split_list(v, &l);
	int n = 0;
	for (size_t i = 0; i < l.len && n < max; i++)
		snprintf(out[n++], 24, "%s", l.items[i]);
	free_list(&l);
	return n;
}

static const char *const default_order =
	"certificate,configuration,policy-store,policy,proposal,traffic-selector,nat,network,"
	"authentication,protocol,resource,service,driver,dos-protection,timeout,sa-lifecycle";

/* Fill c from its declaration; returns an error message or NULL. */
static const char *parse_corr(const ips_correlation_t *d, corr_t *c)
{
	bool bad = false;
	memset(c, 0, sizeof *c);
	c->decl = d;
	if (!d->kind)
		return "kind is missing";
	if (!strcmp(d->kind, "negotiation"))
		c->kind = C_NEG;
	else if (!strcmp(d->kind, "pair"))
		c->kind = C_PAIR;
	else if (!strcmp(d->kind, "threshold"))
		c->kind = C_THRESHOLD;
	else if (!strcmp(d->kind, "group"))
		c->kind = C_GROUP;
	else if (!strcmp(d->kind, "verdict"))
		c->kind = C_VERDICT; /* entry -> class table: verdict.c reads it */
	else
		return "kind must be negotiation, pair, threshold, group or verdict";
	if (c->kind == C_VERDICT)
		return NULL;
	c->window = num_param(d, "window", c->kind == C_THRESHOLD ? 600 : 120, &bad);
	c->gap = num_param(d, "gap", 300, &bad);
	c->skew = num_param(d, "skew", 120, &bad);
	c->count = num_param(d, "count", 5, &bad);
	c->span = num_param(d, "span", 300, &bad);
	if (bad)
		return "window, gap, skew, span and count must be whole numbers of seconds (count: findings)";
	const char *keys = param(d, "key");
	if (!keys)
		keys = c->kind == C_PAIR ? "ike_sa,conn,user,peer" : "peer,conn,user";
	c->nkeys = split(keys, c->keys, MAX_KEYS);
	if (c->kind == C_NEG) {
		const char *r = param(d, "codes");
		if (!r)
			r = "13800-13909";
		char *end;
		c->code_lo = strtoll(r, &end, 10);
		c->code_hi = (*end == '-') ? strtoll(end + 1, NULL, 10) : c->code_lo;
		if (c->code_lo <= 0 || c->code_hi < c->code_lo)
			return "codes must be a range such as 13800-13909";
	}
	if (c->kind == C_PAIR) {
		split_list(param(d, "start"), &c->start);
		split_list(param(d, "success"), &c->success);
		if (!c->start.len)
			return "a pair needs start: the entry names that open it";
	}
	c->norder = split(param(d, "root_order") ? param(d, "root_order") : default_order, c->order,
			  MAX_ORDER);
	return NULL;
}

size_t ips_correlations_check(const ips_rules_t *rules, ips_diag_t *d)
{
	size_t errors = 0;
	for (size_t i = 0; i < ips_rules_correlation_count(rules); i++) {
		const ips_correlation_t *decl = ips_rules_correlation_at(rules, i);
		corr_t c;
		const char *why = parse_corr(decl, &c);
		if (why) {
			ips_diag_add(d, true, decl->file, decl->line, 0, "correlation '%s': %s", decl->id, why);
			errors++;
		}
		ips_strlist_t *lists[2] = {&c.start, &c.success};
		for (int l = 0; !why && l < 2; l++)
			for (size_t j = 0; j < lists[l]->len; j++)
				if (!ips_rules_by_name(rules, lists[l]->items[j])) {
					ips_diag_add(d, true, decl->file, decl->line, 0,
						     "correlation '%s': '%s' is not a knowledge entry",
						     decl->id, lists[l]->items[j]);
					errors++;
				}
		/* parse_corr zeroes c first, so the lists are valid on every path */
		free_list(&c.start);
		free_list(&c.success);
	}
	return errors + ips_verdict_check(rules, d);
}

ips_status_t ips_correlate_finalize_rules(ips_rules_t *rules, ips_diag_t *d)
{
	ips_status_t st = ips_rules_finalize(rules, d);
	if (ips_correlations_check(rules, d))
		st = IPS_E_RULES;
	return st;
}

ips_correlator_t *ips_correlator_new(const ips_rules_t *rules, ips_results_t *res)
{
	ips_correlator_t *c = ips_xcalloc(1, sizeof *c);
	c->rules = rules;
	c->res = res;
	c->threshold = c->group = -1;
	c->vr = ips_verdict_rules_new(rules);
	size_t n = ips_rules_correlation_count(rules);
	c->corrs = ips_xcalloc(n ? n : 1, sizeof *c->corrs);
	for (size_t i = 0; i < n; i++) {
		corr_t *k = &c->corrs[c->ncorrs];
		if (parse_corr(ips_rules_correlation_at(rules, i), k)) {
			free_list(&k->start); /* rules lint reports it; load refuses it */
			free_list(&k->success);
			continue;
		}
		if (k->kind == C_THRESHOLD && c->threshold < 0)
			c->threshold = c->ncorrs;
		if (k->kind == C_GROUP && c->group < 0)
			c->group = c->ncorrs;
		c->ncorrs++;
	}
	return c;
}

static void free_item(open_item_t *o)
{
	free(o->f);
	for (size_t i = 0; i < o->nkv; i++) {
		free(o->kv[i].key);
		free(o->kv[i].value);
	}
}

void ips_correlator_free(ips_correlator_t *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->ncorrs; i++) {
		free_list(&c->corrs[i].start);
		free_list(&c->corrs[i].success);
	}
	free(c->corrs);
	for (size_t i = 0; i < c->nopen; i++)
		free_item(&c->open[i]);
	free(c->open);
	for (size_t i = 0; i < c->nsegs; i++) {
		free(c->segs[i].f);
		for (size_t j = 0; j < c->segs[i].nkv; j++) {
			free(c->segs[i].kv[j].key);
			free(c->segs[i].kv[j].value);
		}
	}
	free(c->segs);
	free(c->seg_of);
	free(c->arrived);
	free(c->recovered);
	ips_verdict_rules_free(c->vr);
	free(c);
}

/* ---- streaming stage --------------------------------------------------- */

/* The key of a record for a correlation: its first listed field present. */
static bool item_key(const corr_t *k, const ips_kv_t *kv, size_t n, const char *host,
		     char *out, size_t outn)
{
	for (int i = 0; i < k->nkeys; i++) {
		const char *v = !strcmp(k->keys[i], "host") ? host : ips_kv_get(kv, n, k->keys[i]);
		if (v && *v) {
			snprintf(out, outn, "%s=%s", k->keys[i], v);
			return true;
		}
	}
	if (host && *host && k->kind == C_NEG) { /* markers of a host that names no peer */
		snprintf(out, outn, "host=%s", host);
		return true;
	}
	return false;
}

static bool in_list(const ips_strlist_t *l, const char *name)
{
	for (size_t i = 0; i < l->len; i++)
		if (!strcmp(l->items[i], name))
			return true;
	return false;
}

static bool elapsed(const ips_time_t *from, uint64_t from_line, const ips_time_t *now,
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
static void close_item(ips_correlator_t *c, size_t i, bool input_ended)
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

static open_item_t *find_open(ips_correlator_t *c, int corr, int type, const char *key)
{
	for (size_t i = 0; i < c->nopen; i++)
		if (c->open[i].corr == corr && c->open[i].type == type && !strcmp(c->open[i].key, key))
			return &c->open[i];
	return NULL;
}

static open_item_t *open_new(ips_correlator_t *c, int corr, int type, const char *key,
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
	snprintf(o->key, sizeof o->key, "%s", key);
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
	char key[160];
	for (int i = 0; i < c->ncorrs; i++) {
		const corr_t *k = &c->corrs[i];
		if (k->kind == C_NEG && e->entry->marker) {
			if (!item_key(k, e->fields, e->nfields, e->host, key, sizeof key))
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
			if (!item_key(k, e->fields, e->nfields, e->host, key, sizeof key))
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
}

static void sink_finding(void *ctx, const ips_results_t *res, size_t index)
{
	(void)res;
	ips_correlator_finding(ctx, index);
}

static void sink_event(void *ctx, const ips_event_t *e)
{
	ips_correlator_event(ctx, e);
}

static void sink_end_input(void *ctx)
{
	ips_correlator_end_input(ctx);
}

static void sink_clock(void *ctx, const ips_time_t *t, uint64_t line)
{
	ips_correlator_note_time(ctx, t, line);
}

void ips_correlator_sink(ips_correlator_t *c, ips_finding_sink_t *sink)
{
	*sink = (ips_finding_sink_t){.finding = sink_finding, .event = sink_event,
				     .end_input = sink_end_input, .clock = sink_clock, .ctx = c};
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
	char key[160];
	/* a bracket, then a pair, then the code range: the first that takes it */
	for (int type = O_BRACKET; type <= O_RANGE; type++) {
		for (int i = 0; i < c->ncorrs; i++) {
			const corr_t *k = &c->corrs[i];
			if ((type == O_PAIR) != (k->kind == C_PAIR) || (k->kind != C_NEG && k->kind != C_PAIR))
				continue;
			if (!item_key(k, f->fields, f->nfields, f->host, key, sizeof key))
				continue;
			if (type == O_RANGE) {
				if (!f->entry->has_code || f->entry->code < k->code_lo ||
				    f->entry->code > k->code_hi)
					continue;
				open_item_t *o = find_open(c, i, O_RANGE, key);
				if (!o)
					o = open_new(c, i, O_RANGE, key, f->fields, f->nfields, f->host,
						     &f->time, f->input, f->line);
				attach(o, idx, &f->time, f->line);
				return;
			}
			open_item_t *o = find_open(c, i, type, key);
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
		if (best && !item_key(&c->corrs[best->corr], f->fields, f->nfields, NULL, key, sizeof key))
			attach(best, idx, &f->time, f->line);
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

/* "k=v\tk=v" of an open item's key fields (tabs inside values become spaces). */
static char *kv_join(const open_item_t *o)
{
	ips_buf_t b;
	ips_buf_init(&b, 4096);
	for (size_t i = 0; i < o->nkv; i++) {
		ips_buf_printf(&b, "%s%s=", i ? "\t" : "", o->kv[i].key);
		for (const char *p = o->kv[i].value; *p; p++)
			ips_buf_putc(&b, *p == '\t' || *p == '\n' ? ' ' : *p);
	}
	return ips_buf_steal(&b);
}

size_t ips_correlator_end_input_export(ips_correlator_t *c, ips_open_window_cb_t keep, void *ctx)
{
	size_t saved = 0;
	for (size_t i = c->nopen; i-- > 0;) {
		open_item_t *o = &c->open[i];
		/* a start that met its failure is decided: a pair, reported now */
		if ((o->type != O_BRACKET && o->type != O_PAIR) || (o->type == O_PAIR && o->nf))
			continue;
		/* elapsed by the input's own clock: decided now, as at any input's end */
		if (elapsed(&o->start, o->line, &c->input_last, c->input_last_line,
			    c->corrs[o->corr].window))
			continue;
		char *kv = kv_join(o);
		ips_open_window_t w = {.corr = c->corrs[o->corr].decl->id,
				       .type = o->type == O_BRACKET ? 0 : 1, .key = o->key, .kv = kv,
				       .start_sec = o->start.sec, .start_valid = o->start.valid,
				       .line = o->line};
		keep(ctx, &w);
		free(kv);
		saved++;
		/* its findings so far stay loose: the group stage joins them */
		free_item(o);
		c->open[i] = c->open[--c->nopen];
	}
	ips_correlator_end_input(c);
	return saved;
}

bool ips_correlator_import(ips_correlator_t *c, const ips_open_window_t *w, size_t input)
{
	int corr = -1;
	for (int i = 0; i < c->ncorrs && corr < 0; i++)
		if (!strcmp(c->corrs[i].decl->id, w->corr) &&
		    c->corrs[i].kind == (w->type == 0 ? C_NEG : C_PAIR))
			corr = i;
	if (corr < 0 || (w->type != 0 && w->type != 1))
		return false; /* the rules changed: nothing to continue */
	int type = w->type == 0 ? O_BRACKET : O_PAIR;
	if (find_open(c, corr, type, w->key))
		return false;
	ips_kv_t kv[8];
	size_t nkv = 0;
	const char *host = NULL;
	char *copy = ips_xstrdup(w->kv ? w->kv : "");
	for (char *p = copy; p && *p && nkv < 8;) {
		char *tab = strchr(p, '\t'), *eq;
		if (tab)
			*tab = '\0';
		if ((eq = strchr(p, '=')) && eq > p) {
			*eq = '\0';
			if (!strcmp(p, "host"))
				host = eq + 1;
			else {
				kv[nkv].key = p;
				kv[nkv].value = eq + 1;
				nkv++;
			}
		}
		p = tab ? tab + 1 : NULL;
	}
	ips_time_t t = {0};
	t.sec = w->start_sec;
	t.valid = w->start_valid;
	open_new(c, corr, type, w->key, kv, nkv, host, &t, input, w->line);
	free(copy);
	return true;
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

static int cmp_window(const void *a, const void *b)
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
static ips_window_t *window_of(const ips_correlator_t *c, const segment_t *sg)
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
static void publish_windows(ips_correlator_t *c)
{
	size_t first = c->res->windows.len;
	for (size_t s = 0; s < c->nsegs; s++)
		ips_vec_push(&c->res->windows, window_of(c, &c->segs[s]));
	if (c->res->windows.len - first > 1)
		qsort(c->res->windows.items + first, c->res->windows.len - first, sizeof(void *),
		      cmp_window);
}

/* ---- joining stage ----------------------------------------------------- */

static size_t uf_find(size_t *parent, size_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

/*
 * Join a and b unless their classes have nothing in common (grouping never
 * merges different fault classes); `force` joins anyway (one window is one
 * attempt). mask[root] is what the component's findings agree on.
 */
static bool uf_union_m(size_t *parent, uint64_t *mask, size_t a, size_t b, bool force)
{
	a = uf_find(parent, a);
	b = uf_find(parent, b);
	if (a == b)
		return true;
	uint64_t m = mask[a] & mask[b];
	if (!m && !force)
		return false;
	size_t r = a < b ? a : b;
	parent[a > b ? a : b] = r; /* the earlier finding is the root */
	mask[r] = m ? m : mask[a] != UINT64_MAX ? mask[a] : mask[b];
	return true;
}

typedef struct lastseen {
	char *key;
	size_t finding;
} lastseen_t;

/* Findings' group keys: the address pair, peer, connection, user. */
static size_t group_keys(const ips_finding_t *f, char keys[4][200])
{
	size_t n = 0;
	const char *peer = ips_finding_field(f, "peer"), *local = ips_finding_field(f, "local");
	if (peer && local) {
		const char *a = strcmp(peer, local) < 0 ? peer : local, *b = a == peer ? local : peer;
		snprintf(keys[n++], 200, "addresses=%s|%s", a, b);
	}
	if (peer)
		snprintf(keys[n++], 200, "peer=%s", peer);
	const char *conn = ips_finding_field(f, "conn"), *user = ips_finding_field(f, "user");
	if (conn)
		snprintf(keys[n++], 200, "conn=%s", conn);
	if (user)
		snprintf(keys[n++], 200, "user=%s", user);
	return n;
}

static int cmp_time_idx(const void *a, const void *b, void *ctx)
{
	const ips_results_t *r = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const ips_finding_t *fx = r->findings.items[x], *fy = r->findings.items[y];
	if (fx->time.sec != fy->time.sec)
		return fx->time.sec < fy->time.sec ? -1 : 1;
	if (fx->time.nsec != fy->time.nsec)
		return fx->time.nsec < fy->time.nsec ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int category_rank(const corr_t *g, const ips_entry_t *e)
{
	for (int i = 0; g && i < g->norder; i++)
		if (e->category && !strcmp(g->order[i], e->category))
			return i;
	return MAX_ORDER;
}

static int cmp_finding_pos(const void *a, const void *b, void *ctx);

/* Is finding ai a better root cause than bi (by source, severity, category, position)? */
static bool better_root(const corr_t *g, const ips_results_t *res, size_t ai, size_t bi)
{
	const ips_finding_t *a = res->findings.items[ai], *b = res->findings.items[bi];
	/* a RAS client code reports what the IKE layer or the gateway explains */
	bool sa = a->entry->source && !strcmp(a->entry->source, "raserror");
	bool sb = b->entry->source && !strcmp(b->entry->source, "raserror");
	if (sa != sb)
		return !sa;
	/* a warning (a retransmit, a key that failed to load at start-up) rarely
	 * explains an error; among equals, the category order decides */
	if (a->severity != b->severity)
		return a->severity > b->severity;
	int ra = category_rank(g, a->entry), rb = category_rank(g, b->entry);
	if (ra != rb)
		return ra < rb;
	return cmp_finding_pos(&ai, &bi, (void *)res) < 0;
}

typedef struct rank_ctx {
	const corr_t *g;
	const ips_results_t *res;
	const size_t *f;
} rank_ctx_t;

static int cmp_rank(const void *a, const void *b, void *ctx)
{
	const rank_ctx_t *c = ctx;
	size_t x = c->f[*(const size_t *)a], y = c->f[*(const size_t *)b];
	if (x == y)
		return 0;
	return better_root(c->g, c->res, x, y) ? -1 : better_root(c->g, c->res, y, x) ? 1 : 0;
}

static void key_desc(const ips_kv_t *kv, size_t n, char *out, size_t outn)
{
	const char *v;
	if ((v = ips_kv_get(kv, n, "peer")))
		snprintf(out, outn, "peer %s", v);
	else if ((v = ips_kv_get(kv, n, "conn")))
		snprintf(out, outn, "connection '%s'", v);
	else if ((v = ips_kv_get(kv, n, "user")))
		snprintf(out, outn, "user %s", v);
	else if ((v = ips_kv_get(kv, n, "host")))
		snprintf(out, outn, "host %s", v);
	else
		out[0] = '\0'; /* the title names the input instead */
}

/* "in a.log", "in a.log and b.log", "in a.log, b.log and 2 more inputs" */
static void name_inputs(ips_buf_t *b, const ips_incident_t *x, const ips_results_t *res)
{
	size_t seen[3], ns = 0, more = 0;
	if (!x->nfindings) {
		const ips_input_t *in = res->inputs.items[x->input];
		ips_buf_printf(b, " in %s:%llu", in->path, (unsigned long long)x->line);
		return;
	}
	/* the root's input first, then the others by path */
	seen[ns++] = ((const ips_finding_t *)res->findings.items[x->findings[0]])->input;
	size_t *all = ips_xmalloc(x->nfindings * sizeof *all), na = 0;
	for (size_t i = 0; i < x->nfindings; i++) {
		size_t in = ((const ips_finding_t *)res->findings.items[x->findings[i]])->input;
		bool dup = in == seen[0];
		for (size_t j = 0; j < na && !dup; j++)
			dup = all[j] == in;
		if (!dup)
			all[na++] = in;
	}
	for (size_t i = 1; i < na; i++) /* few inputs: insertion sort by path */
		for (size_t j = i; j > 0 && strcmp(((const ips_input_t *)res->inputs.items[all[j - 1]])->path,
						 ((const ips_input_t *)res->inputs.items[all[j]])->path) > 0; j--) {
			size_t t = all[j];
			all[j] = all[j - 1];
			all[j - 1] = t;
		}
	for (size_t i = 0; i < na; i++) {
		if (ns < 2)
			seen[ns++] = all[i];
		else
			more++;
	}
	free(all);
	for (size_t i = 0; i < ns; i++)
		ips_buf_printf(b, "%s%s", i == 0 ? " in " : (i == ns - 1 && !more) ? " and " : ", ",
			       ((const ips_input_t *)res->inputs.items[seen[i]])->path);
	if (more)
		ips_buf_printf(b, " and %zu more input%s", more, more == 1 ? "" : "s");
}

/*
 * "CLASS: ROOT for WHO in INPUTS: summary". The title names the verdict's
 * class, the root cause and where it was read; a threshold says what
 * repeated and how often.
 */
static char *make_title(ips_incident_t *x, const ips_results_t *res, int threshold_n,
			const ips_entry_t *repeated)
{
	char who[300];
	key_desc(x->key, x->nkey, who, sizeof who);
	ips_buf_t b;
	ips_buf_init(&b, 4096);
	if (x->verdict)
		ips_buf_printf(&b, "%s: ", x->verdict->cls);
	if (!x->root)
		ips_buf_printf(&b, "%s", x->kind == IPS_INC_UNANSWERED
					 ? "Connection attempt got no outcome"
					 : "IKE negotiation began but never ended");
	else
		ips_buf_printf(&b, "%s", x->root->name);
	if (who[0])
		ips_buf_printf(&b, " for %s", who);
	name_inputs(&b, x, res);
	if (x->kind == IPS_INC_THRESHOLD && repeated)
		ips_buf_printf(&b, " (%s %d times)", repeated->name, threshold_n);
	else if (x->nfindings > 1)
		ips_buf_printf(&b, " (%zu findings)", x->nfindings);
	if (x->root) {
		const char *sm = x->root->summary ? x->root->summary : x->root->message;
		size_t len = strlen(sm);
		while (len && sm[len - 1] == '.')
			len--;
		ips_buf_printf(&b, ": %.*s", (int)len, sm);
	}
	return ips_buf_steal(&b);
}

static void set_key(ips_incident_t *x, const ips_finding_t *root, const ips_kv_t *kv, size_t nkv)
{
	static const char *const keep[] = {"peer", "local", "conn", "user", "host"};
	x->key = ips_xcalloc(5, sizeof *x->key);
	for (size_t i = 0; i < 5; i++) {
		const char *v = root ? (i == 4 ? root->host : ips_finding_field(root, keep[i])) : NULL;
		if (!v)
			v = ips_kv_get(kv, nkv, keep[i]);
		if (v) {
			x->key[x->nkey].key = ips_xstrdup(keep[i]);
			x->key[x->nkey].value = ips_xstrdup(v);
			x->nkey++;
		}
	}
}

static void incident_id(ips_incident_t *x, const ips_results_t *res)
{
	uint64_t h = ips_fnv1a(IPS_FNV_INIT, x->correlation, strlen(x->correlation) + 1);
	for (size_t i = 0; i < x->nfindings; i++) {
		const ips_finding_t *f = res->findings.items[x->findings[i]];
		h = ips_fnv1a(h, f->id, sizeof f->id);
	}
	if (!x->nfindings) {
		const ips_input_t *in = res->inputs.items[x->input];
		char line[32];
		snprintf(line, sizeof line, "%llu", (unsigned long long)x->line);
		if (in->source)
			h = ips_fnv1a(h, in->source, strlen(in->source) + 1);
		h = ips_fnv1a(h, in->path, strlen(in->path) + 1);
		h = ips_fnv1a(h, line, strlen(line));
	}
	snprintf(x->id, sizeof x->id, "%016llx", (unsigned long long)h);
}

/* Incidents by first time, then where they start: never by the inputs' order. */
static int cmp_incident(const void *a, const void *b, void *ctx)
{
	const ips_results_t *res = ctx;
	const ips_incident_t *x = *(ips_incident_t *const *)a, *y = *(ips_incident_t *const *)b;
	if (x->first.valid != y->first.valid)
		return x->first.valid ? -1 : 1;
	if (x->first.valid && x->first.sec != y->first.sec)
		return x->first.sec < y->first.sec ? -1 : 1;
	if (x->first.valid && x->first.nsec != y->first.nsec)
		return x->first.nsec < y->first.nsec ? -1 : 1;
	int c = strcmp(((const ips_input_t *)res->inputs.items[x->input])->path,
		       ((const ips_input_t *)res->inputs.items[y->input])->path);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Findings by time (untimed last), then path and line. */
static int cmp_finding_pos(const void *a, const void *b, void *ctx)
{
	const ips_results_t *r = ctx;
	const ips_finding_t *x = r->findings.items[*(const size_t *)a];
	const ips_finding_t *y = r->findings.items[*(const size_t *)b];
	if (x->time.valid != y->time.valid)
		return x->time.valid ? -1 : 1;
	if (x->time.valid && (x->time.sec != y->time.sec || x->time.nsec != y->time.nsec))
		return x->time.sec < y->time.sec ||
		       (x->time.sec == y->time.sec && x->time.nsec < y->time.nsec) ? -1 : 1;
	int c = strcmp(((const ips_input_t *)r->inputs.items[x->input])->path,
		       ((const ips_input_t *)r->inputs.items[y->input])->path);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void extend(ips_time_t *first, ips_time_t *last, const ips_time_t *t)
{
	if (!t->valid)
		return;
	if (!first->valid || t->sec < first->sec || (t->sec == first->sec && t->nsec < first->nsec))
		*first = *t;
	if (!last->valid || t->sec > last->sec || (t->sec == last->sec && t->nsec > last->nsec))
		*last = *t;
}

typedef struct etime {
	const ips_entry_t *e;
	size_t input;
	uint64_t attempt;                  /* segment, IKE_SA id or the finding itself */
	int64_t sec;
	bool valid;
} etime_t;

static int cmp_etime(const void *a, const void *b)
{
	const etime_t *x = a, *y = b;
	if (x->e != y->e)
		return (uintptr_t)x->e < (uintptr_t)y->e ? -1 : 1;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	if (x->attempt != y->attempt)
		return x->attempt < y->attempt ? -1 : 1;
	if (x->valid != y->valid)
		return x->valid ? -1 : 1;
	return x->sec < y->sec ? -1 : x->sec > y->sec;
}

static int cmp_etime_time(const void *a, const void *b)
{
	const etime_t *x = a, *y = b;
	if (x->e != y->e)
		return (uintptr_t)x->e < (uintptr_t)y->e ? -1 : 1;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	if (x->valid != y->valid)
		return x->valid ? -1 : 1;
	return x->sec < y->sec ? -1 : x->sec > y->sec;
}

/*
 * The most attempts of one condition within `window` seconds (untimed ones
 * all count), counted per attempt, not per line: the retransmits of one
 * IKE_SA are one attempt (its window, or its IKE_SA id in its input), and
 * the same attempt seen in several inputs (initiator, responder, console
 * transcript) counts once (the input with the most).
 */
static int max_in_window(const ips_correlator_t *c, const size_t *members, size_t m,
			 int64_t window)
{
	const ips_results_t *res = c->res;
	etime_t *t = ips_xmalloc((m ? m : 1) * sizeof *t);
	for (size_t j = 0; j < m; j++) {
		const ips_finding_t *f = res->findings.items[members[j]];
		long sg = members[j] < c->capseg_of ? c->seg_of[members[j]] : -1;
		const char *sa = ips_finding_field(f, "ike_sa");
		t[j].e = f->entry;
		t[j].input = f->input;
		if (sg >= 0 && c->segs[sg].kind == IPS_INC_PAIR)
			t[j].attempt = (uint64_t)sg << 1;
		else if (sa)
			t[j].attempt = (ips_fnv1a(IPS_FNV_INIT, sa, strlen(sa)) << 1) | 1;
		else
			t[j].attempt = ((uint64_t)members[j] << 1) | 1; /* its own */
		t[j].sec = f->time.sec;
		t[j].valid = f->time.valid;
	}
	/* each attempt's first finding stands for it */
	qsort(t, m, sizeof *t, cmp_etime);
	size_t k = 0;
	for (size_t j = 0; j < m; j++)
		if (!k || t[j].e != t[k - 1].e || t[j].input != t[k - 1].input ||
		    t[j].attempt != t[k - 1].attempt)
			t[k++] = t[j];
	qsort(t, k, sizeof *t, cmp_etime_time);
	int best = 0;
	for (size_t lo = 0, hi = 0; hi < k; hi++) {
		if (t[hi].e != t[lo].e || t[hi].input != t[lo].input)
			lo = hi;
		while (t[hi].valid && t[lo].valid && t[hi].sec - t[lo].sec > window)
			lo++;
		if ((int)(hi - lo + 1) > best)
			best = (int)(hi - lo + 1);
	}
	free(t);
	return best;
}

/* The group keys of a window's opening record (peer, conn, user, the address pair). */
static size_t seg_keys(const segment_t *sg, char keys[4][200])
{
	size_t n = 0;
	const char *peer = ips_kv_get(sg->kv, sg->nkv, "peer"), *local = ips_kv_get(sg->kv, sg->nkv, "local");
	if (peer && local) {
		const char *a = strcmp(peer, local) < 0 ? peer : local, *b = a == peer ? local : peer;
		snprintf(keys[n++], 200, "addresses=%s|%s", a, b);
	}
	if (peer)
		snprintf(keys[n++], 200, "peer=%s", peer);
	const char *conn = ips_kv_get(sg->kv, sg->nkv, "conn"), *user = ips_kv_get(sg->kv, sg->nkv, "user");
	if (conn)
		snprintf(keys[n++], 200, "conn=%s", conn);
	if (user)
		snprintf(keys[n++], 200, "user=%s", user);
	return n;
}

static size_t group_keys(const ips_finding_t *f, char keys[4][200]);

/*
 * A component without any time (a console transcript's attempt) joins the
 * one timed component of another input that shares a key with it and
 * agrees on the class; with none or several, it stays on its own (so the
 * result does not depend on the order of the inputs).
 */
static void join_untimed(ips_correlator_t *c, size_t *parent, uint64_t *mask)
{
	ips_results_t *res = c->res;
	size_t n = res->findings.len;
	bool *timed = ips_xcalloc(n ? n : 1, sizeof *timed);
	size_t nuntimed = 0;
	for (size_t i = 0; i < n; i++) {
		if (((ips_finding_t *)res->findings.items[i])->time.valid)
			timed[uf_find(parent, i)] = true;
		else
			nuntimed++;
	}
	if (!nuntimed || nuntimed * n > 20000000) {
		free(timed);
		return;
	}
	bool *done = ips_xcalloc(n, sizeof *done);
	for (size_t u = 0; u < n; u++) {
		size_t r = uf_find(parent, u);
		if (timed[r] || done[r])
			continue;
		done[r] = true;
		/* the keys of the component: its findings' and its windows' */
		char (*keys)[200] = NULL;
		size_t nk = 0;
		for (size_t i = 0; i < n; i++) {
			if (uf_find(parent, i) != r)
				continue;
			char k[4][200];
			size_t m = group_keys(res->findings.items[i], k);
			long s = i < c->capseg_of ? c->seg_of[i] : -1;
			if (s >= 0 && m == 0)
				m = seg_keys(&c->segs[s], k);
			keys = ips_xrealloc(keys, (nk + m + 1) * sizeof *keys);
			for (size_t j = 0; j < m; j++)
				memcpy(keys[nk++], k[j], 200);
		}
		size_t found = SIZE_MAX;
		bool several = false;
		/* a transcript that names nothing joins the only incident it fits */
		for (size_t i = 0; i < n && !several; i++) {
			const ips_finding_t *f = res->findings.items[i];
			size_t ri = uf_find(parent, i);
			if (!f->time.valid || ri == found || !(mask[ri] & mask[r]))
				continue;
			char k[4][200];
			size_t m = group_keys(f, k);
			bool hit = nk == 0;
			for (size_t a = 0; a < m && !hit; a++)
				for (size_t b = 0; b < nk && !hit; b++)
					hit = !strcmp(k[a], keys[b]);
			if (!hit)
				continue;
			if (found == SIZE_MAX)
				found = ri;
			else
				several = true;
		}
		/* no key in common: the only incident it fits, if there is one */
		bool none = found == SIZE_MAX && !several;
		for (size_t i = 0; none && nk && i < n && !several; i++) {
			const ips_finding_t *f = res->findings.items[i];
			size_t ri = uf_find(parent, i);
			if (!f->time.valid || ri == found || !(mask[ri] & mask[r]))
				continue;
			if (found == SIZE_MAX)
				found = ri;
			else if (found != ri)
				several = true;
		}
		if (found != SIZE_MAX && !several)
			uf_union_m(parent, mask, found, r, false);
		free(keys);
	}
	free(done);
	free(timed);
}

/*
 * Both sides of one attempt, each naming only its peer (an initiator and
 * a responder that logged no local address), or one of them no address at
 * all (charon via syslog, pluto before it knows the peer): findings of two
 * inputs (and hosts) within the skew join when each component has exactly
 * one such partner and they agree on the class.
 */
static void join_crossed(ips_correlator_t *c, size_t *parent, uint64_t *mask, int64_t skew)
{
	ips_results_t *res = c->res;
	size_t n = res->findings.len, nh = 0;
	size_t *h = ips_xmalloc((n ? n : 1) * sizeof *h);
	for (size_t i = 0; i < n; i++) {
		const ips_finding_t *f = res->findings.items[i];
		if (f->time.valid)
			h[nh++] = i;
	}
	if (nh < 2 || nh > 20000) {
		free(h);
		return;
	}
	qsort_r(h, nh, sizeof *h, cmp_time_idx, res);
	size_t *partner = ips_xmalloc(n * sizeof *partner);
	for (size_t i = 0; i < n; i++)
		partner[i] = SIZE_MAX;
	const size_t SEVERAL = SIZE_MAX - 1;
	for (size_t i = 0; i < nh; i++) {
		const ips_finding_t *f = res->findings.items[h[i]];
		for (size_t j = i + 1; j < nh; j++) {
			const ips_finding_t *g = res->findings.items[h[j]];
			if (g->time.sec - f->time.sec > skew)
				break;
			if (j - i > 256) { /* a burst: too many to tell the partner */
				partner[uf_find(parent, h[i])] = SEVERAL;
				break;
			}
			const char *pf = ips_finding_field(f, "peer"), *pg = ips_finding_field(g, "peer");
			const char *lf = ips_finding_field(f, "local"), *lg = ips_finding_field(g, "local");
			if (g->input == f->input || (f->host && g->host && !strcmp(f->host, g->host)))
				continue;
			/* both name only their peer, and each names another one; or one
			 * names no address at all and the other its peer */
			bool both = pf && pg && !lf && !lg && strcmp(pf, pg);
			bool one = (!pf && !lf && pg) || (!pg && !lg && pf);
			if (!both && !one)
				continue;
			size_t a = uf_find(parent, h[i]), b = uf_find(parent, h[j]);
			if (a == b || !(mask[a] & mask[b]))
				continue;
			size_t ab[2][2] = {{a, b}, {b, a}};
			for (int k = 0; k < 2; k++) {
				size_t x = ab[k][0], y = ab[k][1];
				if (partner[x] == SIZE_MAX)
					partner[x] = y;
				else if (partner[x] != y)
					partner[x] = SEVERAL;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t p = partner[i];
		if (p < SEVERAL && partner[p] == i && i < p)
			uf_union_m(parent, mask, i, p, false);
	}
	free(partner);
	free(h);
}

/*
 * Union-find over all findings held: the findings of one segment, and
 * findings that share a group key within the gap (plus the skew across
 * inputs) and agree on the fault class. Returns the parent array (the
 * caller frees it); *mask_out, when wanted, each component's classes.
 */
static size_t *join_findings(ips_correlator_t *c, uint64_t **mask_out)
{
	ips_results_t *res = c->res;
	size_t n = res->findings.len;
	const corr_t *g = c->group >= 0 ? &c->corrs[c->group] : NULL;
	size_t *parent = ips_xmalloc((n ? n : 1) * sizeof *parent);
	uint64_t *mask = ips_xmalloc((n ? n : 1) * sizeof *mask);
	for (size_t i = 0; i < n; i++) {
		parent[i] = i;
		mask[i] = ips_verdict_mask(c->vr, res->findings.items[i]);
	}
	for (size_t s = 0; s < c->nsegs; s++)
		for (size_t i = 1; i < c->segs[s].nf; i++)
			uf_union_m(parent, mask, c->segs[s].f[0], c->segs[s].f[i], true);
	/* an attempt whose findings go with any class (retransmits only, a DH
	 * group round trip) is of the class its first finding names: it does
	 * not glue other attempts together */
	for (size_t s = 0; s < c->nsegs; s++) {
		if (!c->segs[s].nf)
			continue;
		size_t r = uf_find(parent, c->segs[s].f[0]);
		if (mask[r] != IPS_VERDICT_ALL)
			continue;
		const ips_finding_t *best = NULL;
		for (size_t i = 0; i < c->segs[s].nf; i++) {
			const ips_finding_t *f = res->findings.items[c->segs[s].f[i]];
			if (!best || f->severity > best->severity)
				best = f;
		}
		mask[r] = ips_verdict_first(c->vr, best);
	}

	/* join on shared keys: timed findings in time order, untimed ones per input */
	if (g) {
		size_t *order = ips_xmalloc((n ? n : 1) * sizeof *order);
		size_t nt = 0;
		for (size_t i = 0; i < n; i++)
			if (((ips_finding_t *)res->findings.items[i])->time.valid)
				order[nt++] = i;
		qsort_r(order, nt, sizeof *order, cmp_time_idx, res);
		size_t nu = nt;
		for (size_t i = 0; i < n; i++)
			if (!((ips_finding_t *)res->findings.items[i])->time.valid)
				order[nu++] = i;
		/*
		 * Last finding seen per key, in a small open-addressing table. The
		 * host joins differently from the other keys: a finding that names
		 * no peer, connection or user joins the host's last finding of any
		 * kind ("A:"), and any finding joins the host's last such host-only
		 * finding ("O:"); so a gateway's findings for two peers never meet
		 * through the gateway's own name.
		 */
		size_t cap = 64;
		while (cap < 4 * n * 6 + 64)
			cap *= 2;
		lastseen_t *tab = ips_xcalloc(cap, sizeof *tab);
		for (size_t oi = 0; oi < n; oi++) {
			size_t i = order[oi];
			const ips_finding_t *f = res->findings.items[i];
			const ips_input_t *in = res->inputs.items[f->input];
			char keys[8][200];
			bool look[8], store[8], half[8];
			size_t nk = group_keys(f, keys);
			bool host_only = nk == 0;
			for (size_t k = 0; k < nk; k++) {
				look[k] = store[k] = true;
				half[k] = false;
			}
			/*
			 * One side often logs only the peer's address (an initiator
			 * before IKE_AUTH), the other both: the finding with peer P
			 * and no local meets one whose local address is P, from
			 * another input, within the clock skew.
			 */
			const char *fp = ips_finding_field(f, "peer"), *fl = ips_finding_field(f, "local");
			if (f->time.valid && (fl || fp)) {
				snprintf(keys[nk], 200, "%s%s", fl ? "F:" : "H:", fl ? fl : fp);
				look[nk] = false;
				store[nk] = half[nk] = true;
				nk++;
				snprintf(keys[nk], 200, "%s%s", fl ? "H:" : "F:", fl ? fl : fp);
				look[nk] = half[nk] = true;
				store[nk] = false;
				nk++;
			}
			/* no host named: the input stands for it (with its machine, as
			 * two machines' logs can share a path) */
			char host[198];
			if (f->host)
				snprintf(host, sizeof host, "%s", f->host);
			else if (in->source)
				snprintf(host, sizeof host, "%s:%s", in->source, in->path);
			else
				snprintf(host, sizeof host, "%s", in->path);
			snprintf(keys[nk], 200, "A:%s", host);
			look[nk] = host_only;
			half[nk] = false;
			store[nk++] = true;
			snprintf(keys[nk], 200, "O:%s", host);
			look[nk] = true;
			half[nk] = false;
			store[nk++] = host_only;
			for (size_t k = 0; k < nk; k++) {
				if (!f->time.valid) /* untimed: only within its own input */
					snprintf(keys[k] + strlen(keys[k]), 200 - strlen(keys[k]), "#%zu", f->input);
				uint64_t h = ips_fnv1a(IPS_FNV_INIT, keys[k], strlen(keys[k]));
				size_t slot = h & (cap - 1);
				while (tab[slot].key && strcmp(tab[slot].key, keys[k]))
					slot = (slot + 1) & (cap - 1);
				if (tab[slot].key && look[k]) {
					const ips_finding_t *p = res->findings.items[tab[slot].finding];
					bool join = true;
					if (f->time.valid && p->time.valid) {
						int64_t limit = g->gap + (p->input != f->input ? g->skew : 0);
						join = f->time.sec - p->time.sec <= limit;
					}
					if (half[k]) /* the two sides of one attempt */
						join = p->input != f->input && p->time.valid &&
						       f->time.sec - p->time.sec <= g->skew;
					if (join)
						uf_union_m(parent, mask, tab[slot].finding, i, false);
				}
				if (store[k]) {
					if (!tab[slot].key)
						tab[slot].key = ips_xstrdup(keys[k]);
					tab[slot].finding = i;
				}
			}
		}
		for (size_t i = 0; i < cap; i++)
			free(tab[i].key);
		free(tab);
		free(order);
		join_crossed(c, parent, mask, g->skew);
		join_untimed(c, parent, mask);
	}
	if (mask_out)
		*mask_out = mask;
	else
		free(mask);
	return parent;
}

/* The incident of one component: members are finding indexes, ascending. */
static ips_incident_t *build_incident(ips_correlator_t *c, const size_t *members, size_t m,
				      uint64_t mask)
{
	ips_results_t *res = c->res;
	const corr_t *g = c->group >= 0 ? &c->corrs[c->group] : NULL;
	ips_incident_t *x = ips_xcalloc(1, sizeof *x);
	/* which segments are in it, and is anything outside a segment */
	long seg = -1;
	int nseg = 0;
	bool loose = false;
	for (size_t j = 0; j < m; j++) {
		long s = members[j] < c->capseg_of ? c->seg_of[members[j]] : -1;
		if (s < 0)
			loose = true;
		else if (s != seg) {
			bool seen = false;
			for (size_t q = 0; q < j && !seen; q++)
				seen = (members[q] < c->capseg_of ? c->seg_of[members[q]] : -1) == s;
			if (!seen) {
				nseg++;
				seg = s;
			}
		}
	}
	/* threshold: the most frequent condition within its window */
	int best_count = 0;
	if (c->threshold >= 0)
		best_count = max_in_window(c, members, m, c->corrs[c->threshold].window);
	if (nseg == 1 && !loose) {
		x->kind = c->segs[seg].kind;
		x->correlation = c->corrs[c->segs[seg].corr].decl->id;
		x->first = c->segs[seg].first;
		x->last = c->segs[seg].last;
	} else if (c->threshold >= 0 && best_count >= c->corrs[c->threshold].count) {
		x->kind = IPS_INC_THRESHOLD;
		x->correlation = c->corrs[c->threshold].decl->id;
	} else {
		x->kind = IPS_INC_GROUP;
		x->correlation = g ? g->decl->id : "findings";
	}
	/* the findings in time order; their rank as a root cause by category */
	size_t *sorted = ips_xmalloc(m * sizeof *sorted);
	memcpy(sorted, members, m * sizeof *sorted);
	qsort_r(sorted, m, sizeof *sorted, cmp_finding_pos, res);
	size_t *rank = ips_xmalloc(m * sizeof *rank);
	{
		/* positions in sorted, ordered by better_root: rank = place in that order */
		rank_ctx_t rc = {.g = g, .res = res, .f = sorted};
		size_t *pos = ips_xmalloc(m * sizeof *pos);
		for (size_t j = 0; j < m; j++)
			pos[j] = j;
		qsort_r(pos, m, sizeof *pos, cmp_rank, &rc);
		for (size_t j = 0; j < m; j++)
			rank[pos[j]] = j;
		free(pos);
	}
	x->findings = sorted;
	x->nfindings = m;
	x->input = ((ips_finding_t *)res->findings.items[sorted[0]])->input;
	bool recovered = c->caprecovered > 0, attempt = false;
	for (size_t j = 0; j < m; j++) {
		recovered &= sorted[j] < c->caprecovered && c->recovered[sorted[j]];
		long s = sorted[j] < c->capseg_of ? c->seg_of[sorted[j]] : -1;
		attempt |= s >= 0 && c->segs[s].kind == IPS_INC_PAIR;
	}
	ips_verdict_hints_t h = {.attempt = attempt, .recovered = recovered, .mask = mask, .rank = rank};
	/* the verdict's decider is the root cause: first, the rest in time order */
	size_t root = ips_verdict_build(c->vr, res, x, &h);
	size_t rf_idx = sorted[root];
	memmove(sorted + 1, sorted, root * sizeof *sorted);
	sorted[0] = rf_idx;
	size_t rr = rank[root]; /* rank stays parallel to the findings */
	memmove(rank + 1, rank, root * sizeof *rank);
	rank[0] = rr;
	const ips_finding_t *rf = res->findings.items[rf_idx];
	x->root = rf->entry;
	x->codes = ips_xcalloc(m, sizeof *x->codes);
	for (size_t j = 0; j < m; j++) {
		const ips_finding_t *f = res->findings.items[x->findings[j]];
		bool seen = false;
		for (size_t q = 0; q < x->ncodes && !seen; q++)
			seen = x->codes[q] == f->entry;
		if (!seen)
			x->codes[x->ncodes++] = f->entry;
		extend(&x->first, &x->last, &f->time);
		if (f->severity > x->severity)
			x->severity = f->severity;
	}
	x->input = rf->input;
	x->line = rf->line;
	set_key(x, rf, nseg == 1 ? c->segs[seg].kv : NULL, nseg == 1 ? c->segs[seg].nkv : 0);
	/* the sides name the peer of the key where the findings did not */
	ips_verdict_free(x->verdict);
	x->verdict = NULL;
	ips_verdict_build(c->vr, res, x, &h);
	free(rank);
	/* a retry that recovered is no failure; an attempt nobody answered is */
	const char *cls = x->verdict->cls;
	if (!strcmp(cls, "recovered") || !strcmp(cls, "benign-retry"))
		x->severity = IPS_SEV_INFO;
	else if (!strcmp(cls, "peer-unreachable") && attempt && x->severity < IPS_SEV_ERROR)
		x->severity = IPS_SEV_ERROR;
	const ips_entry_t *repeated = NULL;
	if (x->kind == IPS_INC_THRESHOLD) /* the repeated condition, for the title */
		for (size_t j = 0; j < x->ncodes && !repeated; j++) {
			size_t cnt = 0;
			for (size_t q = 0; q < m; q++)
				cnt += ((ips_finding_t *)res->findings.items[x->findings[q]])->entry == x->codes[j];
			if ((int)cnt >= best_count)
				repeated = x->codes[j];
		}
	x->title = make_title(x, res, best_count, repeated);
	incident_id(x, res);
	return x;
}

/* The incident of a window that closed with no finding in it. */
static ips_incident_t *build_empty(ips_correlator_t *c, const segment_t *sg)
{
	ips_incident_t *x = ips_xcalloc(1, sizeof *x);
	x->kind = sg->kind;
	x->correlation = c->corrs[sg->corr].decl->id;
	x->first = sg->first;
	x->last = sg->last;
	x->severity = IPS_SEV_WARNING;
	x->input = sg->input;
	x->line = sg->line;
	set_key(x, NULL, sg->kv, sg->nkv);
	ips_verdict_build(c->vr, c->res, x, NULL);
	x->title = make_title(x, c->res, 0, NULL);
	incident_id(x, c->res);
	return x;
}

/*
 * Bucket findings by their component root, O(n): on return members holds
 * the finding indexes grouped by root (ascending within each), and the
 * component of root r is members[start[r] .. start[r + 1]).
 */
static void components(const size_t *parent, size_t n, size_t **start_out, size_t **members_out)
{
	size_t *start = ips_xcalloc(n + 1, sizeof *start);
	size_t *members_all = ips_xmalloc((n ? n : 1) * sizeof *members_all);
	size_t *root_of = ips_xmalloc((n ? n : 1) * sizeof *root_of);
	for (size_t i = 0; i < n; i++) {
		root_of[i] = uf_find((size_t *)parent, i);
		start[root_of[i] + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		start[i + 1] += start[i];
	size_t *fill = ips_xmalloc((n ? n : 1) * sizeof *fill);
	memcpy(fill, start, n * sizeof *fill);
	for (size_t i = 0; i < n; i++)
		members_all[fill[root_of[i]]++] = i;
	free(fill);
	free(root_of);
	*start_out = start;
	*members_out = members_all;
}

void ips_correlator_finish(ips_correlator_t *c)
{
	ips_correlator_end_input(c);
	publish_windows(c);
	ips_results_t *res = c->res;
	size_t n = res->findings.len;
	uint64_t *mask;
	size_t *parent = join_findings(c, &mask);
	size_t *start, *members_all;
	components(parent, n, &start, &members_all);
	for (size_t r = 0; r < n; r++) {
		size_t m = start[r + 1] - start[r];
		if (m)
			ips_vec_push(&res->incidents,
				     build_incident(c, members_all + start[r], m, mask[r]));
	}
	/* windows that closed with no finding in them */
	for (size_t s = 0; s < c->nsegs; s++)
		if (!c->segs[s].nf)
			ips_vec_push(&res->incidents, build_empty(c, &c->segs[s]));
	if (res->incidents.len)
		qsort_r(res->incidents.items, res->incidents.len, sizeof(void *), cmp_incident, res);
	free(start);
	free(members_all);
	free(parent);
	free(mask);
}

/* ---- live mode --------------------------------------------------------- */

static void free_segment(segment_t *sg)
{
	free(sg->f);
	for (size_t j = 0; j < sg->nkv; j++) {
		free(sg->kv[j].key);
		free(sg->kv[j].value);
	}
}

/*
 * Forget the findings marked gone (freeing them) and renumber the rest in
 * the results, the open windows, the segments kept and the arrival times.
 */
static void compact(ips_correlator_t *c, const bool *gone)
{
	ips_results_t *res = c->res;
	size_t n = res->findings.len, k = 0;
	size_t *map = ips_xmalloc((n ? n : 1) * sizeof *map);
	for (size_t i = 0; i < n; i++) {
		if (gone[i]) {
			ips_finding_free(res->findings.items[i]);
			map[i] = (size_t)-1;
			continue;
		}
		map[i] = k;
		res->findings.items[k] = res->findings.items[i];
		if (i < c->caparrived)
			c->arrived[k] = c->arrived[i];
		if (i < c->caprecovered)
			c->recovered[k] = c->recovered[i];
		k++;
	}
	res->findings.len = k;
	for (size_t i = 0; i < c->nopen; i++)
		for (size_t j = 0; j < c->open[i].nf; j++)
			c->open[i].f[j] = map[c->open[i].f[j]];
	size_t ks = 0;
	for (size_t s = 0; s < c->nsegs; s++) {
		segment_t *sg = &c->segs[s];
		if (!sg->nf || map[sg->f[0]] == (size_t)-1) { /* written */
			free_segment(sg);
			continue;
		}
		for (size_t j = 0; j < sg->nf; j++)
			sg->f[j] = map[sg->f[j]];
		c->segs[ks++] = *sg;
	}
	c->nsegs = ks;
	for (size_t i = 0; i < c->capseg_of; i++)
		c->seg_of[i] = -1;
	for (size_t s = 0; s < c->nsegs; s++)
		for (size_t j = 0; j < c->segs[s].nf; j++)
			c->seg_of[c->segs[s].f[j]] = (long)s;
	free(map);
}

size_t ips_correlator_settle(ips_correlator_t *c, int64_t wall, bool all,
			     ips_window_cb_t emit_window, ips_incident_cb_t emit, void *ctx)
{
	ips_results_t *res = c->res;
	c->wall = wall;
	if (all) {
		ips_correlator_end_input(c);
	} else {
		/* a window closes when the newest record read, or the wall clock
		 * since it opened, has passed it */
		for (size_t i = 0; i < c->nopen;) {
			open_item_t *o = &c->open[i];
			int64_t w = c->corrs[o->corr].window;
			if (elapsed(&o->start, o->line, &c->input_last, c->input_last_line, w) ||
			    wall - o->opened > w)
				close_item(c, i, false);
			else
				i++;
		}
	}
	size_t n = res->findings.len;
	const corr_t *g = c->group >= 0 ? &c->corrs[c->group] : NULL;
	int64_t quiet = g ? g->gap + g->skew : 420, span = g ? g->span : 300;
	bool force = n > IPS_LIVE_MAX_FINDINGS;
	uint64_t *mask;
	size_t *parent = join_findings(c, &mask);
	size_t *start, *members_all;
	components(parent, n, &start, &members_all);
	bool *held = ips_xcalloc(n ? n : 1, sizeof *held);
	for (size_t i = 0; i < c->nopen; i++)
		for (size_t j = 0; j < c->open[i].nf; j++)
			held[c->open[i].f[j]] = true;
	bool *gone = ips_xcalloc(n ? n : 1, sizeof *gone);
	ips_vec_t out = {0};
	for (size_t r = 0; r < n; r++) {
		size_t m = start[r + 1] - start[r];
		if (!m)
			continue;
		const size_t *mem = members_all + start[r];
		bool open = false, timed = false;
		int64_t first_t = 0, last_t = 0, first_w = wall, last_w = 0;
		for (size_t j = 0; j < m; j++) {
			const ips_finding_t *f = res->findings.items[mem[j]];
			open |= held[mem[j]];
			if (f->time.valid && (!timed || f->time.sec > last_t))
				last_t = f->time.sec;
			if (f->time.valid && (!timed || f->time.sec < first_t))
				first_t = f->time.sec;
			timed |= f->time.valid;
			int64_t a = mem[j] < c->caparrived ? c->arrived[mem[j]] : wall;
			if (a > last_w)
				last_w = a;
			if (a < first_w)
				first_w = a;
		}
		bool clock = timed && c->input_last.valid;
		/* nothing read later can join it: no key of it can come back
		 * within the gap (plus the skew), by either clock; or it has been
		 * open for its span: written as it stands, what follows starts
		 * the next one */
		bool quiet_now = wall - last_w > quiet || (clock && c->input_last.sec - last_t > quiet);
		bool long_now = wall - first_w > span || (clock && c->input_last.sec - first_t > span);
		bool done = all || (!open && (force || quiet_now || long_now));
		if (!done)
			continue;
		if (force && !all && !quiet_now && !long_now)
			c->forced++;
		ips_vec_push(&out, build_incident(c, mem, m, mask[uf_find(parent, mem[0])]));
		for (size_t j = 0; j < m; j++)
			gone[mem[j]] = true;
	}
	for (size_t s = 0; s < c->nsegs; s++)
		if (!c->segs[s].nf)
			ips_vec_push(&out, build_empty(c, &c->segs[s]));
	/* the windows of the incidents written now, before them and while
	 * their findings still exist, in the order a whole-run report has */
	ips_vec_t wins = {0};
	for (size_t s = 0; s < c->nsegs; s++)
		if (!c->segs[s].nf || gone[c->segs[s].f[0]])
			ips_vec_push(&wins, window_of(c, &c->segs[s]));
	if (wins.len > 1)
		qsort(wins.items, wins.len, sizeof(void *), cmp_window);
	for (size_t i = 0; i < wins.len; i++) {
		if (emit_window)
			emit_window(ctx, res, wins.items[i]);
		ips_window_free(wins.items[i]);
	}
	ips_vec_free(&wins);
	if (out.len)
		qsort_r(out.items, out.len, sizeof(void *), cmp_incident, res);
	for (size_t i = 0; i < out.len; i++) {
		if (emit)
			emit(ctx, res, out.items[i]);
		ips_incident_free(out.items[i]);
	}
	size_t written = out.len;
	ips_vec_free(&out);
	compact(c, gone);
	free(gone);
	free(held);
	free(start);
	free(members_all);
	free(parent);
	free(mask);
	return written;
}

uint64_t ips_correlator_forced(const ips_correlator_t *c)
{
	return c->forced;
}
