/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c - the `correlations:` declarations parsed into corr_t: once, by
 * ips_correlate_finalize_rules(), for every correlator the rules make;
 * ips_correlations_check() names what does not parse (rules lint). See
 * internal.h and docs/correlation.md.
 */
#include <stdlib.h>
#include <string.h>

#include "correlate/correlate.h"
#include "correlate/internal.h"

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

/* "a,b,c" into a list; the count used, at most max. */
static int split(const char *v, ips_strlist_t *out, int max)
{
	split_list(v, out);
	return out->len < (size_t)max ? (int)out->len : max;
}

static void corr_free(corr_t *c)
{
	free_list(&c->start);
	free_list(&c->success);
	free_list(&c->keys);
	free_list(&c->order);
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
	else if (!strcmp(d->kind, "verdict") || !strcmp(d->kind, "fixes"))
		c->kind = C_VERDICT; /* tables (entry -> classes, class -> fixes): verdict.c reads them */
	else
		return "kind must be negotiation, pair, threshold, group, verdict or fixes";
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
	c->nkeys = split(keys, &c->keys, MAX_KEYS);
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
	c->norder = split(param(d, "root_order") ? param(d, "root_order") : default_order, &c->order,
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
		corr_free(&c);
	}
	return errors + ips_verdict_check(rules, d);
}

void config_free(void *p)
{
	corr_config_t *cfg = p;
	if (!cfg)
		return;
	for (int i = 0; i < cfg->ncorrs; i++)
		corr_free(&cfg->corrs[i]);
	free(cfg->corrs);
	ips_verdict_rules_free(cfg->vr);
	free(cfg);
}

/* Every correlation that parses (rules lint reports the others; load refuses them). */
static corr_config_t *config_parse(const ips_rules_t *rules)
{
	corr_config_t *cfg = ips_xcalloc(1, sizeof *cfg);
	cfg->threshold = cfg->group = -1;
	cfg->vr = ips_verdict_rules_new(rules);
	size_t n = ips_rules_correlation_count(rules);
	cfg->corrs = ips_xcalloc(n ? n : 1, sizeof *cfg->corrs);
	for (size_t i = 0; i < n; i++) {
		corr_t *k = &cfg->corrs[cfg->ncorrs];
		if (parse_corr(ips_rules_correlation_at(rules, i), k)) {
			corr_free(k);
			continue;
		}
		if (k->kind == C_THRESHOLD && cfg->threshold < 0)
			cfg->threshold = cfg->ncorrs;
		if (k->kind == C_GROUP && cfg->group < 0)
			cfg->group = cfg->ncorrs;
		cfg->ncorrs++;
	}
	return cfg;
}

/* The rules' parse; rules finalised otherwise get one of their own (*own). */
const corr_config_t *config_of(const ips_rules_t *rules, corr_config_t **own)
{
	const corr_config_t *cfg = ips_rules_correlation_config(rules);
	*own = cfg ? NULL : config_parse(rules);
	return cfg ? cfg : *own;
}

ips_status_t ips_correlate_finalize_rules(ips_rules_t *rules, ips_diag_t *d)
{
	ips_status_t st = ips_rules_finalize(rules, d);
	if (ips_correlations_check(rules, d))
		st = IPS_E_RULES;
	/* parsed once here: every correlator (one per --jobs worker, per merge) shares it */
	ips_rules_set_correlation_config(rules, config_parse(rules), config_free);
	return st;
}
