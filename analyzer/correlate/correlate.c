/* SPDX-License-Identifier: Apache-2.0 */
/*
 * correlate.c - the correlator's life (create, free, who owns what), the
 * finding sink that feeds it, and its open windows handed out and taken
 * back as plain data (a driver keeps them, e.g. in the cron state); the stages are
 * in window.c, join.c, incident.c and settle.c, the parsed configuration
 * in config.c (see internal.h, correlate.h and docs/correlation.md).
 */
#include "correlate/correlate.h"

#include <stdlib.h>
#include <string.h>

#include "correlate/internal.h"
#include "correlate/verdict.h"
#include "util/util.h"

ips_correlator_t *ips_correlator_new(const ips_rules_t *rules, ips_results_t *res)
{
	ips_correlator_t *c = ips_xcalloc(1, sizeof *c);
	c->rules = rules;
	c->res = res;
	const corr_config_t *cfg = config_of(rules, &c->own_cfg);
	c->vr = cfg->vr;
	c->corrs = cfg->corrs;
	c->ncorrs = cfg->ncorrs;
	c->threshold = cfg->threshold;
	c->group = cfg->group;
	return c;
}

void ips_correlator_free(ips_correlator_t *c)
{
	if (!c)
		return;
	config_free(c->own_cfg);
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
	free(c);
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
