/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.c - the rule set: names, diagnostics, the indexes, freeing and the
 * accessors (see rules.h, docs/rules.md). Reading rules files is in
 * rules_load.c (where documents come from) and rules_parse.c (a document's
 * items); checking and compiling them in rules_check.c.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "detect/rules.h"

#include <pcre2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rules_impl.h"

/* ---- severity ---------------------------------------------------------- */

static const char *const sev_names[] = {"none", "info", "warning", "error", "critical"};

const char *ips_severity_name(ips_severity_t s)
{
	return (s >= IPS_SEV_NONE && s <= IPS_SEV_CRITICAL) ? sev_names[s] : "unknown";
}

bool ips_severity_parse(const char *s, bool allow_none, ips_severity_t *out)
{
	for (int i = allow_none ? 0 : 1; i <= IPS_SEV_CRITICAL; i++)
		if (ips_streq_nocase(s, sev_names[i])) {
			*out = (ips_severity_t)i;
			return true;
		}
	return false;
}

static const char *const format_names[] = {
	"evtx", "winxml", "wintext", "wincsv", "winjson", "ndjson", "wfpxml", "pslist", "evcopy",
	"pstable",
	"strongswan", "libreswan", "cisco-asa", "juniper-srx", "nps", "syslog", "lines",
	"journal", "journal-export", "journal-json", NULL};

bool ips_format_name_known(const char *name)
{
	for (int i = 0; format_names[i]; i++)
		if (strcmp(format_names[i], name) == 0)
			return true;
	return false;
}

const char *const rules_categories[] = {
	"authentication", "certificate", "proposal", "traffic-selector", "policy",
	"policy-store", "network", "timeout", "nat", "configuration", "protocol",
	"resource", "service", "driver", "dos-protection", "sa-lifecycle", "marker", NULL};

bool rules_in_list(const char *const *list, const char *s)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* ---- diagnostics ------------------------------------------------------- */

void ips_diag_init(ips_diag_t *d)
{
	memset(d, 0, sizeof *d);
}

void ips_diag_free(ips_diag_t *d)
{
	for (size_t i = 0; i < d->lines.len; i++)
		free(d->lines.items[i]);
	ips_vec_free(&d->lines);
	d->errors = d->warnings = 0;
}

void ips_diag_add(ips_diag_t *d, bool error, const char *file, int line, int col,
		  const char *fmt, ...)
{
	if (!d)
		return;
	va_list ap;
	va_start(ap, fmt);
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char *s;
	if (line > 0)
		s = ips_xasprintf("%s:%d:%d: %s: %s", file, line, col > 0 ? col : 1,
				  error ? "error" : "warning", msg);
	else
		s = ips_xasprintf("%s: %s: %s", file, error ? "error" : "warning", msg);
	ips_vec_push(&d->lines, s);
	if (error)
		d->errors++;
	else
		d->warnings++;
}

void ips_diag_print(const ips_diag_t *d, FILE *out)
{
	for (size_t i = 0; i < d->lines.len; i++)
		fprintf(out, "%s\n", (const char *)d->lines.items[i]);
}

/* ---- a small string map (keys compared case-insensitively) ------------- */

static uint64_t hash_nocase(const char *s)
{
	uint64_t h = IPS_FNV_INIT;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 'a' && c <= 'z')
			c -= 32;
		h = ips_fnv1a(h, &c, 1);
	}
	return h;
}

static void strmap_grow(strmap_t *m)
{
	strmap_t n = {0};
	n.cap = m->cap ? m->cap * 2 : 256;
	n.keys = ips_xcalloc(n.cap, sizeof *n.keys);
	n.vals = ips_xcalloc(n.cap, sizeof *n.vals);
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i]) {
			rules_strmap_put(&n, m->keys[i], m->vals[i], true);
			free(m->keys[i]);
		}
	free(m->keys);
	free(m->vals);
	*m = n;
}

void rules_strmap_put(strmap_t *m, const char *key, void *val, bool replace)
{
	if ((m->len + 1) * 2 > m->cap)
		strmap_grow(m);
	size_t i = hash_nocase(key) & (m->cap - 1);
	while (m->keys[i]) {
		if (ips_streq_nocase(m->keys[i], key)) {
			if (replace)
				m->vals[i] = val;
			return;
		}
		i = (i + 1) & (m->cap - 1);
	}
	m->keys[i] = ips_xstrdup(key);
	m->vals[i] = val;
	m->len++;
}

void *rules_strmap_get(const strmap_t *m, const char *key)
{
	if (!m->cap)
		return NULL;
	size_t i = hash_nocase(key) & (m->cap - 1);
	while (m->keys[i]) {
		if (ips_streq_nocase(m->keys[i], key))
			return m->vals[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

static void strmap_free(strmap_t *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

/* Names to positions (rules_impl.h): a linear search each was quadratic
 * (100,000 detectors took minutes). */
size_t rules_idx_slot(const idindex_t *x, const char *key)
{
	size_t i = ips_fnv1a(IPS_FNV_INIT, key, strlen(key)) & (x->cap - 1);
	while (x->keys[i] && strcmp(x->keys[i], key))
		i = (i + 1) & (x->cap - 1);
	return i;
}

bool rules_idx_get(const idindex_t *x, const char *key, size_t *val)
{
	if (!x->cap)
		return false;
	size_t i = rules_idx_slot(x, key);
	if (!x->keys[i])
		return false;
	*val = x->vals[i];
	return true;
}

void rules_idx_put(idindex_t *x, const char *key, size_t val)
{
	if ((x->len + 1) * 2 > x->cap) {
		idindex_t n = {0};
		n.cap = x->cap ? x->cap * 2 : 256;
		n.keys = ips_xcalloc(n.cap, sizeof *n.keys);
		n.vals = ips_xcalloc(n.cap, sizeof *n.vals);
		for (size_t i = 0; i < x->cap; i++)
			if (x->keys[i])
				rules_idx_put(&n, x->keys[i], x->vals[i]);
		free(x->keys);
		free(x->vals);
		*x = n;
	}
	size_t i = rules_idx_slot(x, key);
	if (!x->keys[i])
		x->len++;
	x->keys[i] = key;
	x->vals[i] = val;
}

void rules_idx_free(idindex_t *x)
{
	free(x->keys);
	free(x->vals);
	memset(x, 0, sizeof *x);
}

/* ---- the rule set ------------------------------------------------------ */

void rules_strlist_free(ips_strlist_t *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->len = 0;
}

void rules_entry_free(ips_entry_t *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->hex);
	free(e->source);
	free(e->message);
	free(e->range);
	free(e->marker);
	free(e->category);
	free(e->summary);
	rules_strlist_free(&e->causes);
	rules_strlist_free(&e->diagnose);
	rules_strlist_free(&e->resolve);
	rules_strlist_free(&e->related);
	rules_strlist_free(&e->aliases);
	rules_strlist_free(&e->references);
	rules_strlist_free(&e->candidates);
	free(e->cand);
	free(e->ike_version);
	free(e->file);
	free(e);
}

static void kv_free(ips_kv_t *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void rules_examples_free(ips_example_t *ex, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ex[i].line);
		free(ex[i].name);
		kv_free(ex[i].fields, ex[i].nfields);
	}
	free(ex);
}

void rules_detector_free(ips_detector_t *d)
{
	if (!d)
		return;
	free(d->id);
	free(d->description);
	rules_strlist_free(&d->literals);
	rules_strlist_free(&d->literals_and);
	rules_strlist_free(&d->covers);
	free(d->regex);
	free(d->name);
	free(d->lookup);
	free(d->promote_after);
	free(d->promote_name);
	rules_strlist_free(&d->formats);
	rules_strlist_free(&d->messages);
	rules_examples_free(d->match, d->nmatch);
	rules_examples_free(d->no_match, d->nno_match);
	if (d->re)
		pcre2_code_free(d->re);
	free(d->file);
	free(d);
}

void rules_lookup_example_free(ips_lookup_example_t *x)
{
	if (!x)
		return;
	free(x->key);
	rules_strlist_free(&x->names);
	rules_strlist_free(&x->suggests);
	free(x->file);
	free(x);
}

void rules_correlation_free(ips_correlation_t *c)
{
	if (!c)
		return;
	free(c->id);
	free(c->kind);
	kv_free(c->params, c->nparams);
	free(c->file);
	free(c);
}

ips_rules_t *ips_rules_new(void)
{
	return ips_xcalloc(1, sizeof(ips_rules_t));
}

void ips_rules_set_correlation_config(ips_rules_t *r, void *cfg, void (*free_fn)(void *))
{
	if (r->corr_cfg && r->corr_cfg_free)
		r->corr_cfg_free(r->corr_cfg);
	r->corr_cfg = cfg;
	r->corr_cfg_free = free_fn;
}

const void *ips_rules_correlation_config(const ips_rules_t *r)
{
	return r->corr_cfg;
}

void ips_rules_free(ips_rules_t *r)
{
	if (!r)
		return;
	ips_rules_set_correlation_config(r, NULL, NULL);
	for (size_t i = 0; i < r->entries.len; i++)
		rules_entry_free(r->entries.items[i]);
	for (size_t i = 0; i < r->detectors.len; i++)
		rules_detector_free(r->detectors.items[i]);
	for (size_t i = 0; i < r->generated.len; i++)
		rules_detector_free(r->generated.items[i]);
	for (size_t i = 0; i < r->correlations.len; i++)
		rules_correlation_free(r->correlations.items[i]);
	for (size_t i = 0; i < r->extractors.len; i++)
		rules_detector_free(r->extractors.items[i]);
	ips_vec_free(&r->extractors);
	for (size_t i = 0; i < r->lookups.len; i++)
		rules_lookup_example_free(r->lookups.items[i]);
	ips_vec_free(&r->lookups);
	ips_vec_free(&r->entries);
	ips_vec_free(&r->detectors);
	ips_vec_free(&r->active);
	ips_vec_free(&r->generated);
	ips_vec_free(&r->correlations);
	strmap_free(&r->by_name);
	strmap_free(&r->by_message);
	rules_idx_free(&r->entry_at);
	rules_idx_free(&r->detector_at);
	free(r);
}

/* ---- accessors --------------------------------------------------------- */

size_t ips_rules_entry_count(const ips_rules_t *r) { return r->entries.len; }
const ips_entry_t *ips_rules_entry_at(const ips_rules_t *r, size_t i) { return r->entries.items[i]; }
size_t ips_rules_detector_count(const ips_rules_t *r) { return r->detectors.len; }
const ips_detector_t *ips_rules_detector_at(const ips_rules_t *r, size_t i) { return r->detectors.items[i]; }
size_t ips_rules_active_count(const ips_rules_t *r) { return r->active.len; }
const ips_detector_t *ips_rules_active_at(const ips_rules_t *r, size_t i) { return r->active.items[i]; }
size_t ips_rules_correlation_count(const ips_rules_t *r) { return r->correlations.len; }
size_t ips_rules_lookup_example_count(const ips_rules_t *r) { return r->lookups.len; }
const ips_lookup_example_t *ips_rules_lookup_example_at(const ips_rules_t *r, size_t i) { return r->lookups.items[i]; }

const ips_entry_t *ips_rules_by_message(const ips_rules_t *r, const char *text, size_t len)
{
	char *m = rules_norm_message(text, len);
	const ips_entry_t *e = rules_strmap_get(&r->by_message, m);
	free(m);
	return e;
}
size_t ips_rules_extractor_count(const ips_rules_t *r) { return r->extractors.len; }
const ips_detector_t *ips_rules_extractor_at(const ips_rules_t *r, size_t i) { return r->extractors.items[i]; }
const ips_correlation_t *ips_rules_correlation_at(const ips_rules_t *r, size_t i) { return r->correlations.items[i]; }

const ips_entry_t *ips_rules_by_name(const ips_rules_t *r, const char *name)
{
	return rules_strmap_get(&r->by_name, name);
}

const ips_entry_t *ips_rules_by_code(const ips_rules_t *r, int64_t code)
{
	return (code >= 0 && code < 16384) ? r->by_code[code] : NULL;
}

/* ips_rules_lookup() is in lookup.c. */

void ips_entry_hresult(const ips_entry_t *e, char *buf, size_t n, int64_t *signed_out)
{
	uint32_t hr = 0x80070000u | (uint32_t)(e->code & 0xFFFF);
	snprintf(buf, n, "0x%08X", hr);
	if (signed_out)
		*signed_out = (int64_t)hr - 4294967296LL;
}

