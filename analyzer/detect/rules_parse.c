/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_parse.c - the items of one YAML document: entries, detectors,
 * extractors, correlations and lookup examples, checked for their shape and
 * put into the rule set (an item replaces one of the same name).
 */
#include "detect/rules.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "detect/rules_impl.h"

#define MAX_DETECTORS 50000

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
	rules_strlist_free(out);
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
		rules_entry_free(e);
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
			rules_examples_free(ex, k + 1);
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
		else if (!strcmp(k, "literals_and"))
			ystrlist(y, v, "literals_and", &d->literals_and);
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
		rules_detector_free(d);
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
		rules_lookup_example_free(x);
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
			rules_strlist_free(&l);
			c->params[c->nparams].key = ips_xstrdup(k);
			c->params[c->nparams].value = ips_buf_steal(&b);
			c->nparams++;
		} else {
			yerr(y, v, "correlation key '%s' must be a string or a list", k);
		}
	}
	if (!c->id) {
		yerr(y, n, "correlation without an id");
		rules_correlation_free(c);
		return NULL;
	}
	return c;
}

/* Insert, replacing an item with the same key (an earlier file's, or a built-in). */
static void put_entry(ips_rules_t *r, ips_entry_t *e)
{
	if (r->entry_at.len != r->entries.len) { /* sorted since: index again */
		rules_idx_free(&r->entry_at);
		for (size_t i = 0; i < r->entries.len; i++)
			rules_idx_put(&r->entry_at, ((ips_entry_t *)r->entries.items[i])->name, i);
	}
	size_t i;
	if (rules_idx_get(&r->entry_at, e->name, &i)) {
		/* the key is the old item's name: point it at the new one's first */
		r->entry_at.keys[rules_idx_slot(&r->entry_at, e->name)] = e->name;
		rules_entry_free(r->entries.items[i]);
		r->entries.items[i] = e;
		return;
	}
	rules_idx_put(&r->entry_at, e->name, r->entries.len);
	ips_vec_push(&r->entries, e);
}

static void put_detector(ips_rules_t *r, ips_detector_t *d)
{
	if (r->detector_at.len != r->detectors.len) {
		rules_idx_free(&r->detector_at);
		for (size_t i = 0; i < r->detectors.len; i++)
			rules_idx_put(&r->detector_at, ((ips_detector_t *)r->detectors.items[i])->id, i);
	}
	size_t i;
	if (rules_idx_get(&r->detector_at, d->id, &i)) {
		r->detector_at.keys[rules_idx_slot(&r->detector_at, d->id)] = d->id;
		rules_detector_free(r->detectors.items[i]);
		r->detectors.items[i] = d;
		return;
	}
	rules_idx_put(&r->detector_at, d->id, r->detectors.len);
	ips_vec_push(&r->detectors, d);
}

static void put_correlation(ips_rules_t *r, ips_correlation_t *c)
{
	for (size_t i = 0; i < r->correlations.len; i++) {
		ips_correlation_t *o = r->correlations.items[i];
		if (strcmp(o->id, c->id) == 0) {
			rules_correlation_free(o);
			r->correlations.items[i] = c;
			return;
		}
	}
	ips_vec_push(&r->correlations, c);
}

/* The items of one parsed document (a rules file). */
ips_status_t rules_add_document(ips_rules_t *r, const char *file, yaml_document_t *doc,
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
						if (rules_idx_get(&ent_at, e->name, &at))
							yerr(&y, c, "entry '%s' is defined twice in this file (first at line %d)",
							     e->name, ((ips_entry_t *)ents.items[at])->line);
						else
							rules_idx_put(&ent_at, e->name, ents.len);
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
						if (rules_idx_get(&det_at, dt->id, &at))
							yerr(&y, c, "detector '%s' is defined twice in this file (first at line %d)",
							     dt->id, ((ips_detector_t *)dets.items[at])->line);
						else
							rules_idx_put(&det_at, dt->id, dets.len);
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
				rules_detector_free(r->extractors.items[j]);
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
	rules_idx_free(&ent_at);
	rules_idx_free(&det_at);
	return y.failed ? IPS_E_RULES : IPS_OK;
}
