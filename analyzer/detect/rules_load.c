/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_load.c - where rules documents come from: a buffer or file parsed
 * with libyaml (after the bounds check), a directory, or the built-in node
 * tables written at build time (tools/rules-blob.c).
 */
#include "detect/rules.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "detect/builtin_rules.h"
#include "detect/rules_impl.h"
#include "input/walk.h"

#define RULES_FILE_LIMIT (16u << 20) /* one rules file: 16 MiB at most */

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
			if (rules_idx_get(&sizes, (const char *)ev.data.alias.anchor, &at))
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
			if (!rules_idx_get(&sizes, anchor, &at)) {
				at = names.len;
				ips_vec_push(&names, owned ? anchor : ips_xstrdup(anchor));
				nodes = ips_xrealloc(nodes, names.len * sizeof *nodes);
				rules_idx_put(&sizes, names.items[at], at);
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
	rules_idx_free(&sizes);
	free(nodes);
	yaml_parser_delete(&p);
	return ok;
}

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
	ips_status_t st = rules_add_document(r, file, &doc, builtin, d);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return st;
}

static bool has_yaml_ext(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml"));
}

static ips_status_t add_file(ips_rules_t *r, const char *path, ips_diag_t *d)
{
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

/* --rules DIR through the one directory walker (input/walk.h): its *.yaml
 * and *.yml files, names starting with '.' left out, links not followed. */
typedef struct rules_walk {
	ips_rules_t *r;
	ips_diag_t *d;
} rules_walk_t;

static ips_status_t walk_file(void *ctx, const char *path, const struct stat *st)
{
	rules_walk_t *w = ctx;
	(void)st;
	return has_yaml_ext(path) ? add_file(w->r, path, w->d) : IPS_OK;
}

static ips_status_t walk_skip(void *ctx, const char *path, ips_walk_skip_t why, const char *msg)
{
	rules_walk_t *w = ctx;
	if (why == IPS_WALK_LINK) { /* a warning (rules lint shows it), not an error */
		ips_diag_add(w->d, false, path, 0, 0, "a symbolic link inside a rules directory: "
						     "not followed (name it with --rules to load it)");
		return IPS_OK;
	}
	ips_diag_add(w->d, true, path, 0, 0, "rules: %s", msg);
	return IPS_E_RULES;
}

ips_status_t ips_rules_add_path(ips_rules_t *r, const char *path, ips_diag_t *d)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		ips_diag_add(d, true, path, 0, 0, "cannot read rules: %s", strerror(errno));
		return IPS_E_RULES;
	}
	if (!S_ISDIR(st.st_mode))
		return add_file(r, path, d);
	static const ips_walk_cbs_t cbs = {NULL, walk_file, walk_skip};
	const ips_walk_opts_t wo = {.skip_hidden = true};
	rules_walk_t w = {r, d};
	return ips_walk(path, &st, &wo, &cbs, &w) == IPS_OK ? IPS_OK : IPS_E_RULES;
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
			s = rules_add_document(r, name, &doc, true, d);
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

