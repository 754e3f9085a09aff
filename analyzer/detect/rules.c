/* SPDX-License-Identifier: Apache-2.0 */
/* rules.c - load, validate and index rules (see rules.h, docs/rules.md). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "detect/rules.h"

#include <dirent.h>
#include <errno.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "detect/builtin_rules.h"

#define RULES_FILE_LIMIT (16u << 20) /* one rules file: 16 MiB at most */

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

static const char *const categories[] = {
	"authentication", "certificate", "proposal", "traffic-selector", "policy",
	"policy-store", "network", "timeout", "nat", "configuration", "protocol",
	"resource", "service", "driver", "dos-protection", "sa-lifecycle", "marker", NULL};

static bool in_list(const char *const *list, const char *s)
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

typedef struct strmap {
	char **keys;
	void **vals;
	size_t cap;
	size_t len;
} strmap_t;

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

static void strmap_put(strmap_t *m, const char *key, void *val, bool replace);

static void strmap_grow(strmap_t *m)
{
	strmap_t n = {0};
	n.cap = m->cap ? m->cap * 2 : 256;
	n.keys = ips_xcalloc(n.cap, sizeof *n.keys);
	n.vals = ips_xcalloc(n.cap, sizeof *n.vals);
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i]) {
			strmap_put(&n, m->keys[i], m->vals[i], true);
			free(m->keys[i]);
		}
	free(m->keys);
	free(m->vals);
	*m = n;
}

static void strmap_put(strmap_t *m, const char *key, void *val, bool replace)
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

static void *strmap_get(const strmap_t *m, const char *key)
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

/*
 * Names (borrowed from the items) to positions, compared exactly: the checks
 * for an id or name given twice stay linear in the number of items (a
 * linear search each was quadratic: 100,000 detectors took minutes).
 */
typedef struct idindex {
	const char **keys;
	size_t *vals;
	size_t cap, len;
} idindex_t;

static size_t idx_slot(const idindex_t *x, const char *key)
{
	size_t i = ips_fnv1a(IPS_FNV_INIT, key, strlen(key)) & (x->cap - 1);
	while (x->keys[i] && strcmp(x->keys[i], key))
		i = (i + 1) & (x->cap - 1);
	return i;
}

static bool idx_get(const idindex_t *x, const char *key, size_t *val)
{
	if (!x->cap)
		return false;
	size_t i = idx_slot(x, key);
	if (!x->keys[i])
		return false;
	*val = x->vals[i];
	return true;
}

static void idx_put(idindex_t *x, const char *key, size_t val)
{
	if ((x->len + 1) * 2 > x->cap) {
		idindex_t n = {0};
		n.cap = x->cap ? x->cap * 2 : 256;
		n.keys = ips_xcalloc(n.cap, sizeof *n.keys);
		n.vals = ips_xcalloc(n.cap, sizeof *n.vals);
		for (size_t i = 0; i < x->cap; i++)
			if (x->keys[i])
				idx_put(&n, x->keys[i], x->vals[i]);
		free(x->keys);
		free(x->vals);
		*x = n;
	}
	size_t i = idx_slot(x, key);
	if (!x->keys[i])
		x->len++;
	x->keys[i] = key;
	x->vals[i] = val;
}

static void idx_free(idindex_t *x)
{
	free(x->keys);
	free(x->vals);
	memset(x, 0, sizeof *x);
}

/* ---- the rule set ------------------------------------------------------ */

struct ips_rules {
	ips_vec_t entries;      /* ips_entry_t *, sorted by name after finalize */
	ips_vec_t detectors;    /* ips_detector_t *, sorted by id after finalize */
	ips_vec_t active;       /* ips_detector_t *, what the matcher runs */
	ips_vec_t generated;    /* ips_detector_t * owned here (from messages:) */
	ips_vec_t correlations; /* ips_correlation_t * */
	ips_vec_t extractors;   /* ips_detector_t * */
	ips_vec_t lookups;      /* ips_lookup_example_t * */
	strmap_t by_name;       /* name and aliases -> entry */
	strmap_t by_message;    /* normalised message -> entry */
	idindex_t entry_at;     /* name -> index into entries (until finalize sorts them) */
	idindex_t detector_at;  /* id -> index into detectors (likewise) */
	const ips_entry_t *by_code[16384];
	bool finalized;
};

static void strlist_free(ips_strlist_t *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->len = 0;
}

static void entry_free(ips_entry_t *e)
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
	strlist_free(&e->causes);
	strlist_free(&e->diagnose);
	strlist_free(&e->resolve);
	strlist_free(&e->related);
	strlist_free(&e->aliases);
	strlist_free(&e->references);
	strlist_free(&e->candidates);
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

static void examples_free(ips_example_t *ex, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ex[i].line);
		free(ex[i].name);
		kv_free(ex[i].fields, ex[i].nfields);
	}
	free(ex);
}

static void detector_free(ips_detector_t *d)
{
	if (!d)
		return;
	free(d->id);
	free(d->description);
	strlist_free(&d->literals);
	strlist_free(&d->covers);
	free(d->regex);
	free(d->name);
	free(d->lookup);
	free(d->promote_after);
	free(d->promote_name);
	strlist_free(&d->formats);
	strlist_free(&d->messages);
	examples_free(d->match, d->nmatch);
	examples_free(d->no_match, d->nno_match);
	if (d->re)
		pcre2_code_free(d->re);
	free(d->file);
	free(d);
}

static void lookup_example_free(ips_lookup_example_t *x)
{
	if (!x)
		return;
	free(x->key);
	strlist_free(&x->names);
	strlist_free(&x->suggests);
	free(x->file);
	free(x);
}

static void correlation_free(ips_correlation_t *c)
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

void ips_rules_free(ips_rules_t *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->entries.len; i++)
		entry_free(r->entries.items[i]);
	for (size_t i = 0; i < r->detectors.len; i++)
		detector_free(r->detectors.items[i]);
	for (size_t i = 0; i < r->generated.len; i++)
		detector_free(r->generated.items[i]);
	for (size_t i = 0; i < r->correlations.len; i++)
		correlation_free(r->correlations.items[i]);
	for (size_t i = 0; i < r->extractors.len; i++)
		detector_free(r->extractors.items[i]);
	ips_vec_free(&r->extractors);
	for (size_t i = 0; i < r->lookups.len; i++)
		lookup_example_free(r->lookups.items[i]);
	ips_vec_free(&r->lookups);
	ips_vec_free(&r->entries);
	ips_vec_free(&r->detectors);
	ips_vec_free(&r->active);
	ips_vec_free(&r->generated);
	ips_vec_free(&r->correlations);
	strmap_free(&r->by_name);
	strmap_free(&r->by_message);
	idx_free(&r->entry_at);
	idx_free(&r->detector_at);
	free(r);
}

/* ---- YAML helpers ------------------------------------------------------ */

typedef struct yctx {
	yaml_document_t *doc;
	const char *file;
	ips_diag_t *d;
	bool failed;
} yctx_t;

#define YLINE(n) ((int)(n)->start_mark.line + 1)
#define YCOL(n) ((int)(n)->start_mark.column + 1)

static void yerr(yctx_t *y, yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void yerr(yctx_t *y, yaml_node_t *n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ips_diag_add(y->d, true, y->file, n ? YLINE(n) : 0, n ? YCOL(n) : 0, "%s", msg);
	y->failed = true;
}

static const char *yscalar(yaml_node_t *n)
{
	return (n && n->type == YAML_SCALAR_NODE) ? (const char *)n->data.scalar.value : NULL;
}

static char *ystr(yctx_t *y, yaml_node_t *n, const char *what)
{
	const char *s = yscalar(n);
	if (!s) {
		yerr(y, n, "%s must be a string", what);
		return NULL;
	}
	return ips_xstrdup(s);
}

static bool yint(yctx_t *y, yaml_node_t *n, const char *what, int64_t *out)
{
	const char *s = yscalar(n);
	if (!s || !ips_parse_i64(s, 10, out)) {
		yerr(y, n, "%s must be a whole number", what);
		return false;
	}
	return true;
}

static bool ybool(yctx_t *y, yaml_node_t *n, const char *what, bool *out)
{
	const char *s = yscalar(n);
	if (s && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)) {
		*out = true;
		return true;
	}
	if (s && (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)) {
		*out = false;
		return true;
	}
	yerr(y, n, "%s must be true or false", what);
	return false;
}

static void ystrlist(yctx_t *y, yaml_node_t *n, const char *what, ips_strlist_t *out)
{
	strlist_free(out);
	if (n->type == YAML_SCALAR_NODE) {
		out->items = ips_xmalloc(sizeof *out->items);
		out->items[0] = ips_xstrdup(yscalar(n));
		out->len = 1;
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		yerr(y, n, "%s must be a list of strings", what);
		return;
	}
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	out->items = ips_xcalloc(cnt, sizeof *out->items);
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *c = yaml_document_get_node(y->doc, *it);
		const char *s = yscalar(c);
		if (!s) {
			yerr(y, c, "%s must hold only strings", what);
			continue;
		}
		out->items[out->len++] = ips_xstrdup(s);
	}
}

static void ykv(yctx_t *y, yaml_node_t *n, const char *what, ips_kv_t **out, size_t *nout)
{
	if (n->type != YAML_MAPPING_NODE) {
		yerr(y, n, "%s must be a mapping", what);
		return;
	}
	size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	ips_kv_t *kv = ips_xcalloc(cnt, sizeof *kv);
	size_t k = 0;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(y->doc, p->value);
		const char *ks = yscalar(kn), *vs = yscalar(vn);
		if (!ks || !vs) {
			yerr(y, vn, "%s: keys and values must be strings", what);
			continue;
		}
		kv[k].key = ips_xstrdup(ks);
		kv[k].value = ips_xstrdup(vs);
		k++;
	}
	*out = kv;
	*nout = k;
}

/* A key given twice in one mapping: an error (the later one is not read). */
static bool ydup(yctx_t *y, yaml_node_t *map, const yaml_node_pair_t *p, const char *key)
{
	for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
		const char *k = yscalar(yaml_document_get_node(y->doc, q->key));
		if (k && !strcmp(k, key)) {
			yerr(y, yaml_document_get_node(y->doc, p->key), "duplicate key '%s'", key);
			return true;
		}
	}
	return false;
}

/*
 * Iterate a mapping: kname is the key text, kname##_node its node, vnode the
 * value. A repeated key is reported and skipped.
 */
#define FOR_PAIRS(y, node, kname, vnode)                                                  \
	for (yaml_node_pair_t *kname##_p = (node)->data.mapping.pairs.start;              \
	     kname##_p < (node)->data.mapping.pairs.top; kname##_p++)                     \
		for (yaml_node_t *kname##_node = yaml_document_get_node((y)->doc,         \
									kname##_p->key),  \
				 *vnode = yaml_document_get_node((y)->doc,                \
								 kname##_p->value);       \
		     kname##_node; kname##_node = NULL)                                   \
			for (const char *kname = yscalar(kname##_node);                   \
			     kname && !ydup(y, node, kname##_p, kname); kname = NULL)

/* ---- parsing items ----------------------------------------------------- */

static ips_entry_t *parse_entry(yctx_t *y, yaml_node_t *n)
{
	if (n->type != YAML_MAPPING_NODE) {
		yerr(y, n, "an entry must be a mapping");
		return NULL;
	}
	ips_entry_t *e = ips_xcalloc(1, sizeof *e);
	e->file = ips_xstrdup(y->file);
	e->line = YLINE(n);
	e->col = YCOL(n);
	FOR_PAIRS(y, n, k, v)
	{
		if (!strcmp(k, "name"))
			e->name = ystr(y, v, "name");
		else if (!strcmp(k, "code"))
			e->has_code = yint(y, v, "code", &e->code);
		else if (!strcmp(k, "hex"))
			e->hex = ystr(y, v, "hex");
		else if (!strcmp(k, "source"))
			e->source = ystr(y, v, "source");
		else if (!strcmp(k, "message"))
			e->message = ystr(y, v, "message");
		else if (!strcmp(k, "range"))
			e->range = ystr(y, v, "range");
		else if (!strcmp(k, "marker"))
			e->marker = ystr(y, v, "marker");
		else if (!strcmp(k, "event"))
			ybool(y, v, "event", &e->event);
		else if (!strcmp(k, "severity")) {
			const char *s = yscalar(v);
			if (!s || !ips_severity_parse(s, false, &e->severity))
				yerr(y, v, "severity must be info, warning, error or critical");
		} else if (!strcmp(k, "category"))
			e->category = ystr(y, v, "category");
		else if (!strcmp(k, "summary"))
			e->summary = ystr(y, v, "summary");
		else if (!strcmp(k, "causes"))
			ystrlist(y, v, "causes", &e->causes);
		else if (!strcmp(k, "diagnose"))
			ystrlist(y, v, "diagnose", &e->diagnose);
		else if (!strcmp(k, "resolve"))
			ystrlist(y, v, "resolve", &e->resolve);
		else if (!strcmp(k, "related"))
			ystrlist(y, v, "related", &e->related);
		else if (!strcmp(k, "aliases"))
			ystrlist(y, v, "aliases", &e->aliases);
		else if (!strcmp(k, "references"))
			ystrlist(y, v, "references", &e->references);
		else if (!strcmp(k, "candidates"))
			ystrlist(y, v, "candidates", &e->candidates);
		else if (!strcmp(k, "event_id"))
			yint(y, v, "event_id", &e->event_id);
		else if (!strcmp(k, "notify")) {
			int64_t x;
			if (yint(y, v, "notify", &x))
				e->notify = (int)x;
		} else if (!strcmp(k, "ike_version"))
			e->ike_version = ystr(y, v, "ike_version");
		else
			yerr(y, k_node, "unknown entry key '%s'", k);
	}
	if (!e->name) {
		yerr(y, n, "entry without a name");
		entry_free(e);
		return NULL;
	}
	return e;
}

static void parse_examples(yctx_t *y, yaml_node_t *n, bool want_match, ips_example_t **out,
			   size_t *nout)
{
	if (n->type != YAML_SEQUENCE_NODE) {
		yerr(y, n, "examples must be a list");
		return;
	}
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	ips_example_t *ex = ips_xcalloc(cnt, sizeof *ex);
	size_t k = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *c = yaml_document_get_node(y->doc, *it);
		ips_example_t *x = &ex[k];
		x->src_line = YLINE(c);
		if (c->type == YAML_SCALAR_NODE) {
			x->line = ips_xstrdup(yscalar(c));
		} else if (c->type == YAML_MAPPING_NODE && want_match) {
			FOR_PAIRS(y, c, key, v)
			{
				if (!strcmp(key, "line"))
					x->line = ystr(y, v, "line");
				else if (!strcmp(key, "name"))
					x->name = ystr(y, v, "name");
				else if (!strcmp(key, "fields"))
					ykv(y, v, "fields", &x->fields, &x->nfields);
				else
					yerr(y, key_node, "unknown example key '%s'", key);
			}
		}
		if (!x->line) {
			yerr(y, c, "an example must be a line (or, under match, {line, name, fields})");
			examples_free(ex, k + 1);
			return;
		}
		k++;
	}
	*out = ex;
	*nout = k;
}

static ips_detector_t *parse_detector(yctx_t *y, yaml_node_t *n, bool builtin)
{
	if (n->type != YAML_MAPPING_NODE) {
		yerr(y, n, "a detector must be a mapping");
		return NULL;
	}
	ips_detector_t *d = ips_xcalloc(1, sizeof *d);
	d->file = ips_xstrdup(y->file);
	d->line = YLINE(n);
	d->col = YCOL(n);
	d->builtin = builtin;
	FOR_PAIRS(y, n, k, v)
	{
		if (!strcmp(k, "id"))
			d->id = ystr(y, v, "id");
		else if (!strcmp(k, "description"))
			d->description = ystr(y, v, "description");
		else if (!strcmp(k, "literals"))
			ystrlist(y, v, "literals", &d->literals);
		else if (!strcmp(k, "covers"))
			ystrlist(y, v, "covers", &d->covers);
		else if (!strcmp(k, "nocase"))
			ybool(y, v, "nocase", &d->nocase);
		else if (!strcmp(k, "regex"))
			d->regex = ystr(y, v, "regex");
		else if (!strcmp(k, "name"))
			d->name = ystr(y, v, "name");
		else if (!strcmp(k, "lookup"))
			d->lookup = ystr(y, v, "lookup");
		else if (!strcmp(k, "messages"))
			ystrlist(y, v, "messages", &d->messages);
		else if (!strcmp(k, "severity")) {
			const char *s = yscalar(v);
			if (!s || !ips_severity_parse(s, false, &d->severity))
				yerr(y, v, "severity must be info, warning, error or critical");
		} else if (!strcmp(k, "formats"))
			ystrlist(y, v, "formats", &d->formats);
		else if (!strcmp(k, "promote")) {
			if (v->type != YAML_MAPPING_NODE) {
				yerr(y, v, "promote must be a mapping with after and name");
				continue;
			}
			FOR_PAIRS(y, v, pk, pv)
			{
				if (!strcmp(pk, "after"))
					d->promote_after = ystr(y, pv, "promote.after");
				else if (!strcmp(pk, "name"))
					d->promote_name = ystr(y, pv, "promote.name");
				else
					yerr(y, pk_node, "unknown promote key '%s' (after, name)", pk);
			}
		} else if (!strcmp(k, "examples")) {
			if (v->type != YAML_MAPPING_NODE) {
				yerr(y, v, "examples must be a mapping with match and no_match");
				continue;
			}
			FOR_PAIRS(y, v, ek, ev)
			{
				if (!strcmp(ek, "match"))
					parse_examples(y, ev, true, &d->match, &d->nmatch);
				else if (!strcmp(ek, "no_match"))
					parse_examples(y, ev, false, &d->no_match, &d->nno_match);
				else
					yerr(y, ek_node, "unknown examples key '%s'", ek);
			}
		} else
			yerr(y, k_node, "unknown detector key '%s'", k);
	}
	if (!d->id) {
		yerr(y, n, "detector without an id");
		detector_free(d);
		return NULL;
	}
	return d;
}

static ips_lookup_example_t *parse_lookup_example(yctx_t *y, yaml_node_t *n)
{
	if (n->type != YAML_MAPPING_NODE) {
		yerr(y, n, "a lookups item must be a mapping with key and names (or suggests)");
		return NULL;
	}
	ips_lookup_example_t *x = ips_xcalloc(1, sizeof *x);
	x->file = ips_xstrdup(y->file);
	x->line = YLINE(n);
	FOR_PAIRS(y, n, k, v)
	{
		if (!strcmp(k, "key"))
			x->key = ystr(y, v, "key");
		else if (!strcmp(k, "names"))
			ystrlist(y, v, "names", &x->names);
		else if (!strcmp(k, "suggests"))
			ystrlist(y, v, "suggests", &x->suggests);
		else if (!strcmp(k, "ambiguous"))
			ybool(y, v, "ambiguous", &x->ambiguous);
		else
			yerr(y, k_node, "unknown lookups key '%s' (key, names, ambiguous, suggests)", k);
	}
	if (!x->key || (!x->names.len && !x->suggests.len)) {
		yerr(y, n, "a lookups item needs a key and names or suggests");
		lookup_example_free(x);
		return NULL;
	}
	return x;
}

static ips_correlation_t *parse_correlation(yctx_t *y, yaml_node_t *n)
{
	if (n->type != YAML_MAPPING_NODE) {
		yerr(y, n, "a correlation must be a mapping");
		return NULL;
	}
	ips_correlation_t *c = ips_xcalloc(1, sizeof *c);
	c->file = ips_xstrdup(y->file);
	c->line = YLINE(n);
	size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	c->params = ips_xcalloc(cnt, sizeof *c->params);
	FOR_PAIRS(y, n, k, v)
	{
		if (!strcmp(k, "id")) {
			c->id = ystr(y, v, "id");
		} else if (!strcmp(k, "kind")) {
			c->kind = ystr(y, v, "kind");
		} else if (v->type == YAML_SCALAR_NODE) {
			c->params[c->nparams].key = ips_xstrdup(k);
			c->params[c->nparams].value = ips_xstrdup(yscalar(v));
			c->nparams++;
		} else if (v->type == YAML_SEQUENCE_NODE) {
			/* lists are kept comma-joined: key fields, names */
			ips_strlist_t l = {0};
			ystrlist(y, v, k, &l);
			ips_buf_t b;
			ips_buf_init(&b, 1 << 20);
			for (size_t i = 0; i < l.len; i++) {
				if (i)
					ips_buf_putc(&b, ',');
				ips_buf_append(&b, l.items[i], strlen(l.items[i]));
			}
			strlist_free(&l);
			c->params[c->nparams].key = ips_xstrdup(k);
			c->params[c->nparams].value = ips_buf_steal(&b);
			c->nparams++;
		} else {
			yerr(y, v, "correlation key '%s' must be a string or a list", k);
		}
	}
	if (!c->id) {
		yerr(y, n, "correlation without an id");
		correlation_free(c);
		return NULL;
	}
	return c;
}

/* Insert, replacing an item with the same key (an earlier file's, or a built-in). */
static void put_entry(ips_rules_t *r, ips_entry_t *e)
{
	if (r->entry_at.len != r->entries.len) { /* sorted since: index again */
		idx_free(&r->entry_at);
		for (size_t i = 0; i < r->entries.len; i++)
			idx_put(&r->entry_at, ((ips_entry_t *)r->entries.items[i])->name, i);
	}
	size_t i;
	if (idx_get(&r->entry_at, e->name, &i)) {
		/* the key is the old item's name: point it at the new one's first */
		r->entry_at.keys[idx_slot(&r->entry_at, e->name)] = e->name;
		entry_free(r->entries.items[i]);
		r->entries.items[i] = e;
		return;
	}
	idx_put(&r->entry_at, e->name, r->entries.len);
	ips_vec_push(&r->entries, e);
}

static void put_detector(ips_rules_t *r, ips_detector_t *d)
{
	if (r->detector_at.len != r->detectors.len) {
		idx_free(&r->detector_at);
		for (size_t i = 0; i < r->detectors.len; i++)
			idx_put(&r->detector_at, ((ips_detector_t *)r->detectors.items[i])->id, i);
	}
	size_t i;
	if (idx_get(&r->detector_at, d->id, &i)) {
		r->detector_at.keys[idx_slot(&r->detector_at, d->id)] = d->id;
		detector_free(r->detectors.items[i]);
		r->detectors.items[i] = d;
		return;
	}
	idx_put(&r->detector_at, d->id, r->detectors.len);
	ips_vec_push(&r->detectors, d);
}

static void put_correlation(ips_rules_t *r, ips_correlation_t *c)
{
	for (size_t i = 0; i < r->correlations.len; i++) {
		ips_correlation_t *o = r->correlations.items[i];
		if (strcmp(o->id, c->id) == 0) {
			correlation_free(o);
			r->correlations.items[i] = c;
			return;
		}
	}
	ips_vec_push(&r->correlations, c);
}

/*
 * Bounds checked on libyaml's event stream before the document is built
 * (docs/security.md): libyaml's loader and scanner slow down with the
 * nesting depth (100,000 levels took 93 s) and a document keeps an alias as
 * a reference, so walking it follows every alias again (a 1.1 MB file of
 * aliases of aliases grew to 2.4 GB). An alias counts the nodes it stands
 * for, aliases inside them included, and a file may expand at most
 * MAX_ALIAS_NODES of them in all.
 */
#define MAX_YAML_DEPTH 64
#define MAX_ALIAS_NODES 10000
#define MAX_DETECTORS 50000

typedef struct yframe {
	char *anchor;
	uint64_t nodes;
} yframe_t;

static bool yaml_bounded(const char *file, const char *data, size_t len, ips_diag_t *d)
{
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return true; /* the loader meets the same failure and says so */
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	yframe_t st[MAX_YAML_DEPTH];
	int depth = 0;
	ips_vec_t names = {0}; /* char *: the anchors' names, owned here */
	idindex_t sizes = {0}; /* anchor -> index into names and nodes */
	uint64_t *nodes = NULL, expanded = 0;
	bool ok = true, done = false;
	while (ok && !done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev))
			break; /* a syntax error: the loader reports it with its place */
		int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
		uint64_t size = 0;
		char *anchor = NULL;
		bool owned = false;
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= MAX_YAML_DEPTH) {
				ips_diag_add(d, true, file, line, col,
					     "YAML nested deeper than %d levels", MAX_YAML_DEPTH);
				ok = false;
				break;
			}
			anchor = (char *)(ev.type == YAML_SEQUENCE_START_EVENT
						  ? ev.data.sequence_start.anchor
						  : ev.data.mapping_start.anchor);
			st[depth].anchor = anchor ? ips_xstrdup(anchor) : NULL;
			st[depth].nodes = 1;
			depth++;
			anchor = NULL;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth) {
				depth--;
				size = st[depth].nodes;
				anchor = st[depth].anchor;
				owned = true;
			}
			break;
		case YAML_SCALAR_EVENT:
			size = 1;
			anchor = (char *)ev.data.scalar.anchor;
			break;
		case YAML_ALIAS_EVENT: {
			size_t at;
			if (idx_get(&sizes, (const char *)ev.data.alias.anchor, &at))
				size = nodes[at];
			expanded += size;
			if (expanded > MAX_ALIAS_NODES) {
				ips_diag_add(d, true, file, line, col,
					     "YAML aliases expand to more than %d nodes in this file",
					     MAX_ALIAS_NODES);
				ok = false;
			}
			break;
		}
		case YAML_DOCUMENT_END_EVENT: /* the loader reads the first document only */
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		if (size && anchor) {
			size_t at;
			if (!idx_get(&sizes, anchor, &at)) {
				at = names.len;
				ips_vec_push(&names, owned ? anchor : ips_xstrdup(anchor));
				nodes = ips_xrealloc(nodes, names.len * sizeof *nodes);
				idx_put(&sizes, names.items[at], at);
			} else if (owned) {
				free(anchor);
			}
			nodes[at] = size; /* an anchor defined again names the new node */
		} else if (owned) {
			free(anchor);
		}
		if (size && depth) /* saturating: the limit stops long before */
			st[depth - 1].nodes = st[depth - 1].nodes + size < st[depth - 1].nodes
						      ? UINT64_MAX : st[depth - 1].nodes + size;
		yaml_event_delete(&ev);
	}
	while (depth)
		free(st[--depth].anchor);
	for (size_t i = 0; i < names.len; i++)
		free(names.items[i]);
	ips_vec_free(&names);
	idx_free(&sizes);
	free(nodes);
	yaml_parser_delete(&p);
	return ok;
}

static ips_status_t add_document(ips_rules_t *r, const char *file, yaml_document_t *doc,
				 bool builtin, ips_diag_t *d);

ips_status_t ips_rules_add_buffer(ips_rules_t *r, const char *file, const char *data,
				  size_t len, bool builtin, ips_diag_t *d)
{
	/* the limits guard against hostile user files; the built-in rules are
	 * ours (rules lint checks them) and the pass would parse them twice */
	if (!builtin && !yaml_bounded(file, data, len, d))
		return IPS_E_RULES;
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser))
		return IPS_E_NOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		ips_diag_add(d, true, file, (int)parser.problem_mark.line + 1,
			     (int)parser.problem_mark.column + 1, "YAML: %s%s%s",
			     parser.problem ? parser.problem : "parse error",
			     parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return IPS_E_RULES;
	}
	ips_status_t st = add_document(r, file, &doc, builtin, d);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return st;
}

/* The items of one parsed document (a rules file). */
static ips_status_t add_document(ips_rules_t *r, const char *file, yaml_document_t *doc,
				 bool builtin, ips_diag_t *d)
{
	yctx_t y = {.doc = doc, .file = file, .d = d};
	yaml_node_t *root = yaml_document_get_root_node(doc);
	/* Collect into local lists first: items of a file with errors are dropped. */
	ips_vec_t ents = {0}, dets = {0}, cors = {0}, exts = {0}, looks = {0};
	idindex_t ent_at = {0}, det_at = {0};
	if (!root) {
		/* an empty file holds no rules: fine */
	} else if (root->type != YAML_MAPPING_NODE) {
		yerr(&y, root, "a rules file must be a mapping with entries, detectors or correlations");
	} else {
		FOR_PAIRS(&y, root, k, v)
		{
			if (v->type != YAML_SEQUENCE_NODE) {
				yerr(&y, v, "'%s' must be a list", k);
				continue;
			}
			int kind = !strcmp(k, "entries") ? 0 : !strcmp(k, "detectors") ? 1
				   : !strcmp(k, "correlations") ? 2 : !strcmp(k, "extractors") ? 3
				   : !strcmp(k, "lookups") ? 4 : -1;
			if (kind < 0) {
				yerr(&y, k_node, "unknown top-level key '%s' (expected entries, detectors, extractors, correlations, lookups)", k);
				continue;
			}
			for (yaml_node_item_t *it = v->data.sequence.items.start;
			     it < v->data.sequence.items.top; it++) {
				yaml_node_t *c = yaml_document_get_node(doc, *it);
				size_t at;
				if (kind == 0) {
					ips_entry_t *e = parse_entry(&y, c);
					if (e) {
						if (idx_get(&ent_at, e->name, &at))
							yerr(&y, c, "entry '%s' is defined twice in this file (first at line %d)",
							     e->name, ((ips_entry_t *)ents.items[at])->line);
						else
							idx_put(&ent_at, e->name, ents.len);
						ips_vec_push(&ents, e);
					}
				} else if (kind == 1) {
					if (r->detectors.len + dets.len >= MAX_DETECTORS) {
						yerr(&y, c, "more than %d detectors: the rest of this file was not read",
						     MAX_DETECTORS);
						break;
					}
					ips_detector_t *dt = parse_detector(&y, c, builtin);
					if (dt) {
						if (idx_get(&det_at, dt->id, &at))
							yerr(&y, c, "detector '%s' is defined twice in this file (first at line %d)",
							     dt->id, ((ips_detector_t *)dets.items[at])->line);
						else
							idx_put(&det_at, dt->id, dets.len);
						ips_vec_push(&dets, dt);
					}
				} else if (kind == 3) {
					ips_detector_t *ex = parse_detector(&y, c, builtin);
					if (ex)
						ips_vec_push(&exts, ex);
				} else if (kind == 4) {
					ips_lookup_example_t *lx = parse_lookup_example(&y, c);
					if (lx)
						ips_vec_push(&looks, lx);
				} else {
					ips_correlation_t *co = parse_correlation(&y, c);
					if (co)
						ips_vec_push(&cors, co);
				}
			}
		}
	}
	for (size_t i = 0; i < ents.len; i++)
		put_entry(r, ents.items[i]);
	for (size_t i = 0; i < dets.len; i++)
		put_detector(r, dets.items[i]);
	for (size_t i = 0; i < cors.len; i++)
		put_correlation(r, cors.items[i]);
	for (size_t i = 0; i < exts.len; i++) {
		ips_detector_t *ex = exts.items[i];
		bool replaced = false;
		for (size_t j = 0; j < r->extractors.len && !replaced; j++)
			if (!strcmp(((ips_detector_t *)r->extractors.items[j])->id, ex->id)) {
				detector_free(r->extractors.items[j]);
				r->extractors.items[j] = ex;
				replaced = true;
			}
		if (!replaced)
			ips_vec_push(&r->extractors, ex);
	}
	for (size_t i = 0; i < looks.len; i++)
		ips_vec_push(&r->lookups, looks.items[i]);
	ips_vec_free(&looks);
	ips_vec_free(&exts);
	ips_vec_free(&ents);
	ips_vec_free(&dets);
	ips_vec_free(&cors);
	idx_free(&ent_at);
	idx_free(&det_at);
	return y.failed ? IPS_E_RULES : IPS_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_yaml_ext(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml"));
}

static ips_status_t add_path_depth(ips_rules_t *r, const char *path, ips_diag_t *d, int depth)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		ips_diag_add(d, true, path, 0, 0, "cannot read rules: %s", strerror(errno));
		return IPS_E_RULES;
	}
	if (S_ISDIR(st.st_mode)) {
		if (depth > 16) {
			ips_diag_add(d, true, path, 0, 0, "rules directories nested too deep (symlink loop?)");
			return IPS_E_RULES;
		}
		DIR *dir = opendir(path);
		if (!dir) {
			ips_diag_add(d, true, path, 0, 0, "cannot open rules directory: %s", strerror(errno));
			return IPS_E_RULES;
		}
		ips_vec_t names = {0};
		struct dirent *de;
		while ((de = readdir(dir)))
			if (de->d_name[0] != '.')
				ips_vec_push(&names, ips_xstrdup(de->d_name));
		closedir(dir);
		if (names.len)
			qsort(names.items, names.len, sizeof *names.items, cmp_str);
		ips_status_t res = IPS_OK;
		for (size_t i = 0; i < names.len; i++) {
			char *sub = ips_xasprintf("%s/%s", path, (char *)names.items[i]);
			struct stat s2;
			if (stat(sub, &s2) == 0 && (S_ISDIR(s2.st_mode) || has_yaml_ext(sub))) {
				ips_status_t s = add_path_depth(r, sub, d, depth + 1);
				if (s != IPS_OK)
					res = s;
			}
			free(sub);
			free(names.items[i]);
		}
		ips_vec_free(&names);
		return res;
	}
	char *data;
	size_t len;
	ips_status_t s = ips_read_file(path, RULES_FILE_LIMIT, &data, &len);
	if (s != IPS_OK) {
		ips_diag_add(d, true, path, 0, 0, "cannot read rules: %s",
			     s == IPS_E_LIMIT ? "file larger than 16 MiB" : strerror(errno));
		return IPS_E_RULES;
	}
	s = ips_rules_add_buffer(r, path, data, len, false, d);
	free(data);
	return s;
}

ips_status_t ips_rules_add_path(ips_rules_t *r, const char *path, ips_diag_t *d)
{
	return add_path_depth(r, path, d, 0);
}

/*
 * Rebuild a built-in file's document from its node table (tools/rules-blob.c
 * wrote it at build time from libyaml's own document): the nodes point into
 * the static pool, so the three arrays (nodes, *items, *pairs) are freed by
 * the caller, never by yaml_document_delete(). False when the table is not
 * well formed.
 */
static bool builtin_doc(const ips_builtin_file_t *f, yaml_document_t *doc,
			yaml_node_item_t **items_out, yaml_node_pair_t **pairs_out)
{
	const uint32_t *w = f->nodes, *end = f->nodes + f->nwords;
	memset(doc, 0, sizeof *doc);
	if (w >= end)
		return false;
	size_t nn = *w++, nitems = 0, npairs = 0;
	/* first pass: check and count */
	const uint32_t *q = w;
	for (size_t i = 0; i < nn; i++) {
		if (end - q < 4)
			return false;
		uint32_t type = q[0], k = q[3];
		q += 4;
		if (type == YAML_SCALAR_NODE)
			continue;
		size_t per = type == YAML_MAPPING_NODE ? 2 : 1;
		if ((type != YAML_SEQUENCE_NODE && type != YAML_MAPPING_NODE) ||
		    (size_t)(end - q) < per * k)
			return false;
		for (size_t j = 0; j < per * k; j++)
			if (q[j] < 1 || q[j] > nn)
				return false;
		q += per * k;
		if (per == 2)
			npairs += k;
		else
			nitems += k;
	}
	yaml_node_t *nodes = ips_xcalloc(nn ? nn : 1, sizeof *nodes);
	yaml_node_item_t *items = ips_xmalloc((nitems ? nitems : 1) * sizeof *items);
	yaml_node_pair_t *pairs = ips_xmalloc((npairs ? npairs : 1) * sizeof *pairs);
	yaml_node_item_t *it = items;
	yaml_node_pair_t *pr = pairs;
	for (size_t i = 0; i < nn; i++) {
		yaml_node_t *n = &nodes[i];
		n->type = (yaml_node_type_t)w[0];
		n->start_mark.line = w[1];
		n->start_mark.column = w[2];
		n->end_mark = n->start_mark;
		uint32_t k = w[3];
		w += 4;
		if (n->type == YAML_SCALAR_NODE) {
			n->data.scalar.value = (yaml_char_t *)(uintptr_t)(f->pool + k);
			n->data.scalar.length = strlen(f->pool + k);
		} else if (n->type == YAML_SEQUENCE_NODE) {
			n->data.sequence.items.start = it;
			for (uint32_t j = 0; j < k; j++)
				*it++ = (yaml_node_item_t)*w++;
			n->data.sequence.items.top = n->data.sequence.items.end = it;
		} else {
			n->data.mapping.pairs.start = pr;
			for (uint32_t j = 0; j < k; j++, pr++) {
				pr->key = (int)*w++;
				pr->value = (int)*w++;
			}
			n->data.mapping.pairs.top = n->data.mapping.pairs.end = pr;
		}
	}
	doc->nodes.start = nodes;
	doc->nodes.top = doc->nodes.end = nodes + nn;
	*items_out = items;
	*pairs_out = pairs;
	return true;
}

ips_status_t ips_rules_add_builtin(ips_rules_t *r, ips_diag_t *d)
{
	ips_status_t res = IPS_OK;
	for (size_t i = 0; i < ips_builtin_rules_count; i++) {
		const ips_builtin_file_t *f = &ips_builtin_rules[i];
		char *name = ips_xasprintf("(built-in) %s", f->name);
		yaml_document_t doc;
		yaml_node_item_t *items;
		yaml_node_pair_t *pairs;
		ips_status_t s;
		if (!f->name[0]) {
			s = IPS_OK; /* built without rules */
		} else if (builtin_doc(f, &doc, &items, &pairs)) {
			s = add_document(r, name, &doc, true, d);
			free(doc.nodes.start);
			free(items);
			free(pairs);
		} else {
			ips_diag_add(d, true, name, 0, 0, "the built-in node table is damaged");
			s = IPS_E_RULES;
		}
		free(name);
		if (s != IPS_OK)
			res = s;
	}
	return res;
}

/* ---- finalize ---------------------------------------------------------- */

/* Normalise a message for comparison: trim, collapse white space, drop final periods. */
static char *norm_message(const char *s, size_t n)
{
	char *out = ips_xmalloc(n + 1);
	size_t k = 0;
	bool space = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = k > 0;
			continue;
		}
		if (space)
			out[k++] = ' ';
		space = false;
		out[k++] = (char)c;
	}
	while (k && (out[k - 1] == '.' || out[k - 1] == ' '))
		k--;
	out[k] = '\0';
	return out;
}

static int cmp_entry(const void *a, const void *b)
{
	const ips_entry_t *x = *(ips_entry_t *const *)a, *y = *(ips_entry_t *const *)b;
	return strcmp(x->name, y->name);
}

static int cmp_detector(const void *a, const void *b)
{
	const ips_detector_t *x = *(ips_detector_t *const *)a, *y = *(ips_detector_t *const *)b;
	return strcmp(x->id, y->id);
}

/* Escape a literal for a PCRE2 pattern, with white-space runs as \s+. */
static void regex_escape(ips_buf_t *b, const char *s)
{
	bool space = false;
	for (; *s; s++) {
		if (*s == ' ') {
			if (!space)
				ips_buf_append(b, "\\s+", 3);
			space = true;
			continue;
		}
		space = false;
		if (strchr("\\^$.|?*+()[]{}#/-", *s))
			ips_buf_putc(b, '\\');
		ips_buf_putc(b, *s);
	}
}

/*
 * JIT is a speed-up, not a requirement: without it PCRE2 interprets.
 * IPSEC_SCAN_NO_JIT=1 turns it off (valgrind cannot follow JIT code).
 * Compiling every regex at start-up cost two thirds of a one-line scan's
 * instructions, so each detector is compiled when a matcher first runs it.
 */
static pthread_mutex_t jit_lock = PTHREAD_MUTEX_INITIALIZER;

void *ips_detector_code(const ips_detector_t *d)
{
	if (!d->re || __atomic_load_n(&d->jit_done, __ATOMIC_ACQUIRE))
		return d->re;
	pthread_mutex_lock(&jit_lock);
	ips_detector_t *w = (ips_detector_t *)d; /* the one field set after finalize */
	if (!w->jit_done) {
		const char *nojit = getenv("IPSEC_SCAN_NO_JIT");
		if (!nojit || !*nojit || !strcmp(nojit, "0"))
			(void)pcre2_jit_compile(w->re, PCRE2_JIT_COMPLETE);
		__atomic_store_n(&w->jit_done, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&jit_lock);
	return d->re;
}

static bool compile_detector(ips_detector_t *dt, ips_diag_t *d)
{
	int err;
	PCRE2_SIZE off;
	uint32_t opts = PCRE2_MULTILINE | (dt->nocase ? PCRE2_CASELESS : 0);
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)dt->regex, PCRE2_ZERO_TERMINATED, opts, &err,
				       &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof msg);
		ips_diag_add(d, true, dt->file, dt->line, dt->col,
			     "detector '%s': regex does not compile at offset %zu: %s", dt->id,
			     (size_t)off, (char *)msg);
		return false;
	}
	dt->re = re; /* JIT-compiled on first use: ips_detector_code() */
	if (dt->lookup) {
		int g = pcre2_substring_number_from_name(re, (PCRE2_SPTR)dt->lookup);
		if (g <= 0) {
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': lookup names capture '%s', which the regex does not have",
				     dt->id, dt->lookup);
			return false;
		}
		dt->lookup_group = (uint32_t)g;
	}
	return true;
}

static bool contains(const char *hay, const char *needle, bool nocase)
{
	if (!nocase)
		return strstr(hay, needle) != NULL;
	size_t n = strlen(needle);
	for (const char *p = hay; *p; p++) {
		size_t i = 0;
		while (i < n && p[i]) {
			int a = (unsigned char)p[i], b = (unsigned char)needle[i];
			if (a >= 'A' && a <= 'Z')
				a += 32;
			if (b >= 'A' && b <= 'Z')
				b += 32;
			if (a != b)
				break;
			i++;
		}
		if (i == n)
			return true;
	}
	return false;
}

/* A reference starts with where the fact is: an address, an RFC or a repository path. */
static bool reference_ok(const char *s)
{
	if (!strncmp(s, "https://", 8) || !strncmp(s, "http://", 7))
		return s[s[4] == 's' ? 8 : 7] != '\0';
	if (!strncmp(s, "RFC ", 4))
		return s[4] >= '1' && s[4] <= '9';
	/* owner/repo:path */
	const char *slash = NULL, *p = s;
	for (; *p && *p != ' ' && *p != ':'; p++)
		if (*p == '/' && !slash)
			slash = p;
	return slash && slash > s && slash[1] != ':' && *p == ':' && p[1] && p[1] != ' ';
}

static void check_entry(ips_rules_t *r, ips_entry_t *e, ips_diag_t *d)
{
	if (!ips_is_upper_snake(e->name))
		ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': name must be UPPER_SNAKE", e->name);
	if (!e->message)
		ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': message is missing", e->name);
	if (!e->severity)
		ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': severity is missing", e->name);
	if (!e->category)
		ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': category is missing", e->name);
	else if (!in_list(categories, e->category))
		ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': unknown category '%s'", e->name,
			     e->category);
	if (!e->summary)
		ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': summary is missing", e->name);
	if (e->has_code) {
		if (e->code < 0 || e->code > 0xFFFF)
			ips_diag_add(d, true, e->file, e->line, e->col,
				     "entry '%s': code %lld is outside 0..65535", e->name,
				     (long long)e->code);
		char want[16];
		snprintf(want, sizeof want, "0x%04llX", (long long)e->code);
		if (!e->hex)
			ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': hex is missing (%s)",
				     e->name, want);
		else if (!ips_streq_nocase(e->hex, want))
			ips_diag_add(d, true, e->file, e->line, e->col,
				     "entry '%s': hex %s does not equal code %lld (%s)", e->name,
				     e->hex, (long long)e->code, want);
	}
	if (e->marker) {
		if (strcmp(e->marker, "begin") && strcmp(e->marker, "end") &&
		    strcmp(e->marker, "extended-end"))
			ips_diag_add(d, true, e->file, e->line, e->col,
				     "entry '%s': marker must be begin, end or extended-end", e->name);
	} else if (!e->event && (!e->causes.len || !e->diagnose.len || !e->resolve.len)) {
		ips_diag_add(d, false, e->file, e->line, e->col,
			     "entry '%s': causes, diagnose and resolve should each list something",
			     e->name);
	}
	for (size_t i = 0; i < e->references.len; i++)
		if (!reference_ok(e->references.items[i]))
			ips_diag_add(d, true, e->file, e->line, e->col,
				     "entry '%s': reference '%s' must start with an address (https://...), "
				     "'RFC <number>' or a repository path (owner/repo:path)",
				     e->name, e->references.items[i]);
	if (e->event_id < 0 || e->event_id > 65535)
		ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': event_id %lld is outside 1..65535",
			     e->name, (long long)e->event_id);
	if (e->candidates.len) {
		if (e->has_code)
			ips_diag_add(d, true, e->file, e->line, e->col,
				     "entry '%s': an entry with candidates stands for several codes and takes no code",
				     e->name);
		if (e->candidates.len < 2)
			ips_diag_add(d, true, e->file, e->line, e->col,
				     "entry '%s': candidates must name at least two entries", e->name);
		free(e->cand);
		e->cand = ips_xcalloc(e->candidates.len, sizeof *e->cand);
		e->cand_len = 0;
		char *mine = e->message ? norm_message(e->message, strlen(e->message)) : NULL;
		for (size_t i = 0; i < e->candidates.len; i++) {
			const ips_entry_t *c = strmap_get(&r->by_name, e->candidates.items[i]);
			char *theirs = c && c->message ? norm_message(c->message, strlen(c->message)) : NULL;
			if (!c || !c->has_code)
				ips_diag_add(d, true, e->file, e->line, e->col,
					     "entry '%s': candidate '%s' is not an entry with a code", e->name,
					     e->candidates.items[i]);
			else if (!mine || !theirs || strcmp(mine, theirs))
				ips_diag_add(d, true, e->file, e->line, e->col,
					     "entry '%s': candidate '%s' has another message text", e->name,
					     e->candidates.items[i]);
			else
				e->cand[e->cand_len++] = c;
			free(theirs);
		}
		free(mine);
	}
	for (size_t i = 0; i < e->related.len; i++)
		if (!strmap_get(&r->by_name, e->related.items[i]))
			ips_diag_add(d, true, e->file, e->line, e->col,
				     "entry '%s': related names unknown entry '%s'", e->name,
				     e->related.items[i]);
}

static void check_detector(ips_rules_t *r, ips_detector_t *dt, ips_diag_t *d)
{
	if (!ips_is_lower_kebab(dt->id))
		ips_diag_add(d, true, dt->file, dt->line, dt->col, "detector '%s': id must be lower-kebab-case",
			     dt->id);
	int ways = (dt->name != NULL) + (dt->lookup != NULL) + (dt->messages.len > 0);
	if (ways != 1)
		ips_diag_add(d, true, dt->file, dt->line, dt->col,
			     "detector '%s': give exactly one of name, lookup or messages", dt->id);
	if (dt->name) {
		dt->entry = strmap_get(&r->by_name, dt->name);
		if (!dt->entry)
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': name '%s' is not a knowledge entry", dt->id,
				     dt->name);
	}
	if (dt->promote_after || dt->promote_name) {
		const ips_entry_t *after = dt->promote_after ? strmap_get(&r->by_name, dt->promote_after) : NULL;
		dt->promote_entry = dt->promote_name ? strmap_get(&r->by_name, dt->promote_name) : NULL;
		if (!after || !after->event)
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': promote.after must name an event entry", dt->id);
		if (!dt->promote_entry)
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': promote.name must name a knowledge entry", dt->id);
	}
	for (size_t i = 0; i < dt->formats.len; i++)
		if (!ips_format_name_known(dt->formats.items[i]))
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': unknown input format '%s'", dt->id,
				     dt->formats.items[i]);
	if (dt->messages.len) {
		if (dt->regex || dt->literals.len)
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': a messages detector takes no regex or literals "
				     "(they come from the entries' message texts)",
				     dt->id);
		return;
	}
	if (!dt->regex) {
		ips_diag_add(d, true, dt->file, dt->line, dt->col, "detector '%s': regex is missing", dt->id);
		return;
	}
	if (!dt->literals.len)
		ips_diag_add(d, true, dt->file, dt->line, dt->col,
			     "detector '%s': literals are missing (the prefilter needs at least one)",
			     dt->id);
	for (size_t i = 0; i < dt->literals.len; i++)
		if (!dt->literals.items[i][0])
			ips_diag_add(d, true, dt->file, dt->line, dt->col, "detector '%s': empty literal",
				     dt->id);
	for (size_t i = 0; i < dt->covers.len; i++) {
		/* "product: releases", product in lower case: docs/rules.md */
		const char *c = dt->covers.items[i], *colon = strchr(c, ':');
		bool ok = colon && colon > c && colon[1] == ' ' && colon[2];
		for (const char *p = c; ok && p < colon; p++)
			ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
		if (!ok)
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': covers item '%s' is not 'product: releases' "
				     "(e.g. 'strongswan: 5.0-5.9')",
				     dt->id, c);
	}
	compile_detector(dt, d);
	for (size_t i = 0; i < dt->nmatch; i++) {
		bool ok = false;
		for (size_t j = 0; j < dt->literals.len && !ok; j++)
			ok = contains(dt->match[i].line, dt->literals.items[j], dt->nocase);
		if (!ok && dt->literals.len)
			ips_diag_add(d, true, dt->file, dt->match[i].src_line, 0,
				     "detector '%s': match example contains none of the literals, so the "
				     "prefilter would skip it",
				     dt->id);
		if (dt->match[i].name && !strmap_get(&r->by_name, dt->match[i].name))
			ips_diag_add(d, true, dt->file, dt->match[i].src_line, 0,
				     "detector '%s': example names unknown entry '%s'", dt->id,
				     dt->match[i].name);
	}
	if (!dt->nmatch)
		ips_diag_add(d, false, dt->file, dt->line, dt->col,
			     "detector '%s': no match examples (rules test cannot check it)", dt->id);
}

/*
 * The prefilter literal of a message: its longest word. A longer phrase
 * would be rarer, but logs re-space and re-wrap message texts (tabs, runs
 * of spaces, CSV exports), and a literal must be in every match.
 */
static char *message_literal(const char *msg)
{
	const char *best = msg;
	size_t best_len = 0;
	for (const char *p = msg; *p;) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		size_t n = (size_t)(p - w);
		while (n && (w[n - 1] == '.' || w[n - 1] == ','))
			n--;
		if (n > best_len) {
			best = w;
			best_len = n;
		}
	}
	return ips_xstrndup(best, best_len);
}

static void expand_messages(ips_rules_t *r, ips_detector_t *dt, ips_diag_t *d)
{
	for (size_t i = 0; i < r->entries.len; i++) {
		ips_entry_t *e = r->entries.items[i];
		if (!e->message || !e->source)
			continue;
		bool want = false;
		for (size_t j = 0; j < dt->messages.len && !want; j++)
			want = !strcmp(dt->messages.items[j], e->source);
		if (!want)
			continue;
		char *norm = norm_message(e->message, strlen(e->message));
		/*
		 * Too short to mean anything on its own, or a text several codes
		 * share (13809-13812): the entry the lookup table holds for the
		 * text (the lowest code) reports it, once.
		 */
		const ips_entry_t *owner = strmap_get(&r->by_message, norm);
		if (strlen(norm) < 8 || (owner && owner != e)) {
			free(norm);
			continue;
		}
		ips_detector_t *g = ips_xcalloc(1, sizeof *g);
		g->id = ips_xstrdup(dt->id);
		g->description = dt->description ? ips_xstrdup(dt->description) : NULL;
		g->name = ips_xstrdup(e->name);
		g->entry = e;
		g->parent = dt;
		g->severity = dt->severity;
		g->builtin = dt->builtin;
		g->file = ips_xstrdup(dt->file);
		g->line = dt->line;
		g->col = dt->col;
		for (size_t j = 0; j < dt->formats.len; j++) {
			g->formats.items = ips_xrealloc(g->formats.items,
							(g->formats.len + 1) * sizeof(char *));
			g->formats.items[g->formats.len++] = ips_xstrdup(dt->formats.items[j]);
		}
		g->literals.items = ips_xmalloc(sizeof(char *));
		g->literals.items[0] = message_literal(e->message);
		g->literals.len = 1;
		/*
		 * The text must stand as a whole phrase: after the start, a field
		 * separator or a space, and ending the record or followed by a
		 * separator or the end of a sentence, so that a short text such
		 * as "Invalid policy" does not fire inside "Invalid policy name".
		 */
		ips_buf_t b;
		ips_buf_init(&b, 1 << 16);
		ips_buf_printf(&b, "(?:^|(?<=[\\s:=\"'>(\\[|,;]))");
		regex_escape(&b, norm);
		ips_buf_printf(&b, "(?:\\.(?=\\s|$|[\"'<])|(?=\\s*$|[\\r\\n\\t\"'<>,;|)\\]]|\\s{2}))");
		g->regex = ips_buf_steal(&b);
		free(norm);
		if (compile_detector(g, d))
			ips_vec_push(&r->generated, g);
		else
			detector_free(g);
	}
}

/*
 * A text that several codes share must be owned by an entry with candidates
 * (docs/rules.md), or a scan would name only one of the codes.
 */
static void check_shared_texts(ips_rules_t *r, ips_diag_t *d)
{
	for (size_t i = 0; i < r->entries.len; i++) {
		ips_entry_t *e = r->entries.items[i];
		if (!e->has_code || !e->message)
			continue;
		char *m = norm_message(e->message, strlen(e->message));
		const ips_entry_t *o = strmap_get(&r->by_message, m);
		if (o && o != e && o->has_code && !strcmp(o->source ? o->source : "",
							  e->source ? e->source : ""))
			ips_diag_add(d, false, e->file, e->line, e->col,
				     "entry '%s': its message is also %s's: add an entry with "
				     "candidates for the text, or scans report only %s",
				     e->name, o->name, o->name);
		free(m);
	}
}

ips_status_t ips_rules_finalize(ips_rules_t *r, ips_diag_t *d)
{
	size_t errors0 = d->errors;
	if (r->entries.len)
		qsort(r->entries.items, r->entries.len, sizeof(void *), cmp_entry);
	if (r->detectors.len)
		qsort(r->detectors.items, r->detectors.len, sizeof(void *), cmp_detector);
	idx_free(&r->entry_at); /* positions changed: built again if more are added */
	idx_free(&r->detector_at);
	/* Names first, then aliases, so an alias never hides a real name. */
	for (size_t i = 0; i < r->entries.len; i++) {
		ips_entry_t *e = r->entries.items[i];
		strmap_put(&r->by_name, e->name, e, true);
		if (e->has_code && e->code >= 0 && e->code < 16384)
			r->by_code[e->code] = e;
	}
	for (size_t i = 0; i < r->entries.len; i++) {
		ips_entry_t *e = r->entries.items[i];
		for (size_t j = 0; j < e->aliases.len; j++)
			strmap_put(&r->by_name, e->aliases.items[j], e, false);
		if (e->message) {
			char *m = norm_message(e->message, strlen(e->message));
			/* On a clash the Windows text wins over a gateway meaning, and
			 * the lowest code over a higher one. */
			const ips_entry_t *o = strmap_get(&r->by_message, m);
			bool better = !o || (e->candidates.len && !o->candidates.len) ||
				      (!o->candidates.len && e->has_code &&
				       (!o->has_code || e->code < o->code));
			strmap_put(&r->by_message, m, e, better);
			free(m);
		}
	}
	for (size_t i = 0; i < r->entries.len; i++)
		check_entry(r, r->entries.items[i], d);
	check_shared_texts(r, d);
	for (size_t i = 0; i < r->detectors.len; i++) {
		ips_detector_t *dt = r->detectors.items[i];
		check_detector(r, dt, d);
		if (dt->messages.len)
			expand_messages(r, dt, d);
		else if (dt->re)
			ips_vec_push(&r->active, dt);
	}
	for (size_t i = 0; i < r->generated.len; i++)
		ips_vec_push(&r->active, r->generated.items[i]);
	for (size_t i = 0; i < r->extractors.len; i++) {
		ips_detector_t *ex = r->extractors.items[i];
		if (!ips_is_lower_kebab(ex->id))
			ips_diag_add(d, true, ex->file, ex->line, ex->col,
				     "extractor '%s': id must be lower-kebab-case", ex->id);
		if (ex->name || ex->lookup || ex->messages.len || ex->literals.len)
			ips_diag_add(d, true, ex->file, ex->line, ex->col,
				     "extractor '%s': takes only id, description, regex, formats", ex->id);
		if (!ex->regex)
			ips_diag_add(d, true, ex->file, ex->line, ex->col, "extractor '%s': regex is missing",
				     ex->id);
		else
			compile_detector(ex, d);
	}
	r->finalized = true;
	return d->errors > errors0 ? IPS_E_RULES : IPS_OK;
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
	char *m = norm_message(text, len);
	const ips_entry_t *e = strmap_get(&r->by_message, m);
	free(m);
	return e;
}
size_t ips_rules_extractor_count(const ips_rules_t *r) { return r->extractors.len; }
const ips_detector_t *ips_rules_extractor_at(const ips_rules_t *r, size_t i) { return r->extractors.items[i]; }
const ips_correlation_t *ips_rules_correlation_at(const ips_rules_t *r, size_t i) { return r->correlations.items[i]; }

const ips_entry_t *ips_rules_by_name(const ips_rules_t *r, const char *name)
{
	return strmap_get(&r->by_name, name);
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
