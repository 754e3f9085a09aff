/* SPDX-License-Identifier: Apache-2.0 */
/* rulecheck.c - see rulecheck.h. */
#include "detect/rulecheck.h"

#include <string.h>

#include "detect/lookup.h"
#include "util/util.h"

#define MAX_HITS 64

typedef struct collect {
	const ips_detector_t *want;
	ips_hit_t hits[MAX_HITS];
	size_t n;
} collect_t;

static void on_hit(void *ctx, const ips_hit_t *h)
{
	collect_t *c = ctx;
	if ((h->det == c->want || h->det->parent == c->want) && c->n < MAX_HITS)
		c->hits[c->n++] = *h;
}

static bool field_is(const ips_hit_t *h, const char *key, const char *value)
{
	for (size_t i = 0; i < h->ncaps; i++)
		if (!strcmp(h->caps[i].name, key))
			return h->caps[i].len == strlen(value) &&
			       !memcmp(h->caps[i].value, value, h->caps[i].len);
	return false;
}

static const char *field_of(const ips_hit_t *h, const char *key, size_t *len)
{
	for (size_t i = 0; i < h->ncaps; i++)
		if (!strcmp(h->caps[i].name, key)) {
			*len = h->caps[i].len;
			return h->caps[i].value;
		}
	return NULL;
}

static bool listed(const ips_strlist_t *l, const char *name)
{
	for (size_t i = 0; i < l->len; i++)
		if (!strcmp(l->items[i], name))
			return true;
	return false;
}

/* A lookups: example: the key gives exactly the names listed (and is ambiguous or not). */
static void check_lookup(const ips_rules_t *r, const ips_lookup_example_t *x, FILE *out,
			 ips_rulecheck_result_t *res)
{
	ips_key_match_t m[32];
	bool amb = false;
	size_t n = ips_rules_find(r, x->key, m, 32, &amb);
	char why[512] = "";
	if (x->names.len) {
		for (size_t i = 0; i < n && !why[0]; i++)
			if (!listed(&x->names, m[i].entry->name))
				snprintf(why, sizeof why, "gives %s, which is not listed", m[i].entry->name);
		for (size_t j = 0; j < x->names.len && !why[0]; j++) {
			bool found = false;
			for (size_t i = 0; i < n; i++)
				found |= !strcmp(m[i].entry->name, x->names.items[j]);
			if (!found)
				snprintf(why, sizeof why, "does not give %s", x->names.items[j]);
		}
		if (!why[0] && amb != x->ambiguous)
			snprintf(why, sizeof why, "is %sambiguous", amb ? "" : "not ");
	} else if (n) {
		snprintf(why, sizeof why, "names %s, expected an unknown key", m[0].entry->name);
	}
	if (!why[0] && x->suggests.len) {
		ips_key_suggestion_t s[8];
		size_t ns = ips_rules_suggest(r, x->key, s, 8);
		for (size_t j = 0; j < x->suggests.len && !why[0]; j++) {
			bool found = false;
			for (size_t i = 0; i < ns; i++)
				found |= !strcmp(s[i].entry->name, x->suggests.items[j]);
			if (!found)
				snprintf(why, sizeof why, "does not suggest %s", x->suggests.items[j]);
		}
	}
	if (why[0]) {
		fprintf(out, "%s:%d: lookup '%s' %s\n", x->file, x->line, x->key, why);
		res->failed++;
	} else {
		res->passed++;
	}
}

void ips_rulecheck_run(const ips_rules_t *r, const ips_match_limits_t *lim, FILE *out,
		       ips_rulecheck_result_t *res)
{
	ips_matcher_t *m = ips_matcher_new(r, lim);
	ips_matcher_report_all(m, true);
	memset(res, 0, sizeof *res);
	for (size_t i = 0; i < ips_rules_detector_count(r); i++) {
		const ips_detector_t *d = ips_rules_detector_at(r, i);
		collect_t c;
		for (size_t j = 0; j < d->nmatch; j++) {
			const ips_example_t *ex = &d->match[j];
			c.want = d;
			c.n = 0;
			ips_matcher_match_record(m, NULL, ex->line, strlen(ex->line), on_hit, &c);
			const char *why = NULL;
			char detail[512] = "";
			if (!c.n) {
				why = "example did not match";
			} else {
				/* some hit must carry the expected name and fields */
				bool ok = false;
				for (size_t k = 0; k < c.n && !ok; k++) {
					const ips_hit_t *h = &c.hits[k];
					if (ex->name && strcmp(h->entry->name, ex->name)) {
						snprintf(detail, sizeof detail, " (found %s, expected %s)",
							 h->entry->name, ex->name);
						continue;
					}
					ok = true;
					for (size_t f = 0; f < ex->nfields && ok; f++) {
						if (!field_is(h, ex->fields[f].key, ex->fields[f].value)) {
							size_t len = 0;
							const char *got = field_of(h, ex->fields[f].key, &len);
							snprintf(detail, sizeof detail,
								 " (field %s: expected '%s', got %s%.*s%s)",
								 ex->fields[f].key, ex->fields[f].value,
								 got ? "'" : "nothing", got ? (int)len : 0,
								 got ? got : "", got ? "'" : "");
							ok = false;
						}
					}
				}
				if (!ok)
					why = "example matched, but not as expected";
			}
			if (why) {
				fprintf(out, "%s:%d: detector %s: %s%s\n    %s\n", d->file, ex->src_line,
					d->id, why, detail, ex->line);
				res->failed++;
			} else {
				res->passed++;
			}
		}
		for (size_t j = 0; j < d->nno_match; j++) {
			const ips_example_t *ex = &d->no_match[j];
			c.want = d;
			c.n = 0;
			ips_matcher_match_record(m, NULL, ex->line, strlen(ex->line), on_hit, &c);
			if (c.n) {
				fprintf(out, "%s:%d: detector %s: no_match example matched (as %s)\n    %s\n",
					d->file, ex->src_line, d->id, c.hits[0].entry->name, ex->line);
				res->failed++;
			} else {
				res->passed++;
			}
		}
	}
	ips_matcher_free(m);
	for (size_t i = 0; i < ips_rules_lookup_example_count(r); i++)
		check_lookup(r, ips_rules_lookup_example_at(r, i), out, res);
}
