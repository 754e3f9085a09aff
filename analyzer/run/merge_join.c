/* SPDX-License-Identifier: Apache-2.0 */
/*
 * merge_join.c - the merger's life (create, free, errors) and the join:
 * the records merge_read.c read become one set of results, as one scan of
 * all their inputs would have made them (see merge.h, merge_state.h and
 * docs/scale.md).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/correlate.h"
#include "input/container.h"
#include "run/merge_state.h"

void ips_merge_opts_default(ips_merge_opts_t *o)
{
	memset(o, 0, sizeof *o);
	o->min_severity = IPS_SEV_INFO;
	o->max_line = 4u << 20;
}

ips_merge_t *ips_merge_new(const ips_rules_t *rules, const ips_merge_opts_t *o)
{
	ips_merge_t *m = ips_xcalloc(1, sizeof *m);
	m->rules = rules;
	m->opts = *o;
	if (m->opts.max_line < 1024)
		m->opts.max_line = 1024;
	m->nslots = 1024;
	m->slots = ips_xcalloc(m->nslots, sizeof *m->slots);
	return m;
}

void merge_kv_free(ips_kv_t *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void merge_mfind_free(mfind_t *x)
{
	free(x->f.host);
	merge_kv_free(x->f.fields, x->f.nfields);
	free(x->f.text);
	free(x->source);
	free(x->path);
	free(x->from);
	free(x);
}

void merge_mwin_free(mwin_t *x)
{
	free(x->w.correlation);
	merge_kv_free(x->w.key, x->w.nkey);
	free(x->w.findings);
	free(x->source);
	free(x->path);
	free(x->keystr);
	for (size_t i = 0; i < x->nids; i++)
		free(x->ids[i]);
	free(x->ids);
	free(x);
}

static void entry_free(ips_entry_t *e)
{
	free(e->name);
	free(e->hex);
	free(e->message);
	free(e->category);
	free(e->summary);
	free(e);
}

void ips_merge_free(ips_merge_t *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->parts.len; i++)
		ips_input_free(m->parts.items[i]);
	for (size_t i = 0; i < m->finds.len; i++)
		merge_mfind_free(m->finds.items[i]);
	for (size_t i = 0; i < m->wins.len; i++)
		merge_mwin_free(m->wins.items[i]);
	for (size_t i = 0; i < m->entries.len; i++)
		entry_free(m->entries.items[i]);
	for (size_t i = 0; i < m->dets.len; i++) {
		ips_detector_t *d = m->dets.items[i];
		free(d->id);
		free(d);
	}
	for (size_t i = 0; i < m->errors.len; i++)
		free(m->errors.items[i]);
	free(m->first_skipped);
	free(m->first_link);
	for (size_t i = 0; i < m->clashes.len; i++) {
		clash_t *k = m->clashes.items[i];
		free(k->source);
		free(k->path);
		free(k->msg);
		free(k);
	}
	ips_vec_free(&m->clashes);
	for (size_t i = 0; i < m->names.len; i++)
		free(m->names.items[i]);
	for (size_t i = 0; i < m->aliases.len; i++)
		free(m->aliases.items[i]);
	ips_vec_free(&m->aliases);
	ips_vec_free(&m->names);
	ips_vec_free(&m->parts);
	ips_vec_free(&m->finds);
	ips_vec_free(&m->wins);
	ips_vec_free(&m->entries);
	ips_vec_free(&m->dets);
	ips_vec_free(&m->errors);
	free(m->slots);
	free(m);
}

size_t ips_merge_error_count(const ips_merge_t *m)
{
	return m->nerrors;
}

size_t ips_merge_errors_kept(const ips_merge_t *m)
{
	return m->errors.len;
}

const char *ips_merge_error_at(const ips_merge_t *m, size_t i)
{
	return i < m->errors.len ? m->errors.items[i] : NULL;
}

void merge_push_error(ips_merge_t *m, const char *name, uint64_t line, const char *msg)
{
	m->nerrors++;
	if (m->errors.len >= MAX_ERRORS)
		return;
	if (line)
		ips_vec_push(&m->errors, ips_xasprintf("%s:%llu: %s", name, (unsigned long long)line, msg));
	else
		ips_vec_push(&m->errors, ips_xasprintf("%s: %s", name, msg));
}

/* A line (or a file) that could not be read: skipped, named. */
void merge_add_error(ips_merge_t *m, const char *name, uint64_t line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!m->nskipped++)
		m->first_skipped = line ? ips_xasprintf("%s:%llu: %s", name, (unsigned long long)line, msg)
					: ips_xasprintf("%s: %s", name, msg);
	merge_push_error(m, name, line, msg);
}

/* ---- putting it together ----------------------------------------------- */

/* Inputs by machine and path, then by what the run saw: a fixed order. */
static int cmp_part(const void *a, const void *b)
{
	const ips_input_t *x = *(ips_input_t *const *)a, *y = *(ips_input_t *const *)b;
	int c;
	if ((c = merge_cmp_str(x->source, y->source)) || (c = strcmp(x->path, y->path)))
		return c;
	if ((c = merge_cmp_str(x->format, y->format)))
		return c;
	if (x->status != y->status)
		return x->status < y->status ? -1 : 1;
	const uint64_t nx[4] = {x->records, x->bytes, x->truncated, x->findings};
	const uint64_t ny[4] = {y->records, y->bytes, y->truncated, y->findings};
	for (int i = 0; i < 4; i++)
		if (nx[i] != ny[i])
			return nx[i] < ny[i] ? -1 : 1;
	if ((c = merge_cmp_str(x->error, y->error)))
		return c;
	return merge_cmp_str(x->note, y->note);
}

static bool same_input(const ips_input_t *x, const char *source, const char *path)
{
	return !merge_cmp_str(x->source, source) && !strcmp(x->path, path);
}

/* The first of (source, path) in a vector of inputs sorted by cmp_part, or -1. */
static long find_input(const ips_vec_t *v, const char *source, const char *path)
{
	size_t lo = 0, hi = v->len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const ips_input_t *in = v->items[mid];
		int c = merge_cmp_str(in->source, source);
		if (!c)
			c = strcmp(in->path, path);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->len && same_input(v->items[lo], source, path) ? (long)lo : -1;
}

static long input_of(const ips_results_t *out, const char *source, const char *path)
{
	return find_input(&out->inputs, source, path);
}

static bool stand_in(const ips_input_t *in)
{
	return !in->format && !in->records && in->note && !strcmp(in->note, ONLY_FINDINGS);
}

/* A stand-in for an input that findings or windows name and no record gives. */
static void need_input(ips_merge_t *m, ips_vec_t *extra, const char *source, const char *path)
{
	if (find_input(&m->parts, source, path) >= 0 ||
	    (extra->len && same_input(extra->items[extra->len - 1], source, path)))
		return; /* (the rest of the repeats go when the parts are placed) */
	ips_input_t *in = ips_input_new(path, source);
	in->note = ips_xstrdup(ONLY_FINDINGS);
	ips_vec_push(extra, in);
}

/* Parts into out->inputs: identical ones once, stand-ins only where alone. */
static void place_inputs(ips_merge_t *m, ips_results_t *out)
{
	if (m->parts.len > 1)
		qsort(m->parts.items, m->parts.len, sizeof(void *), cmp_part);
	ips_vec_t extra = {0};
	for (size_t i = 0; i < m->finds.len; i++) {
		const mfind_t *x = m->finds.items[i];
		need_input(m, &extra, x->source, x->path);
	}
	for (size_t i = 0; i < m->wins.len; i++) {
		const mwin_t *x = m->wins.items[i];
		need_input(m, &extra, x->source, x->path);
	}
	for (size_t i = 0; i < extra.len; i++)
		ips_vec_push(&m->parts, extra.items[i]);
	ips_vec_free(&extra);
	if (m->parts.len > 1)
		qsort(m->parts.items, m->parts.len, sizeof(void *), cmp_part);
	for (size_t i = 0; i < m->parts.len;) {
		/* one (source, path): its parts are side by side */
		size_t j = i;
		bool real = false;
		const ips_input_t *first = m->parts.items[i];
		while (j < m->parts.len && same_input(m->parts.items[j], first->source, first->path))
			real |= !stand_in(m->parts.items[j++]);
		for (size_t k = i; k < j; k++) {
			ips_input_t *in = m->parts.items[k];
			ips_input_t *last = out->inputs.len ? out->inputs.items[out->inputs.len - 1] : NULL;
			if ((real && stand_in(in)) || (last && !cmp_part(&last, &in)))
				ips_input_free(in); /* identical parts are side by side too */
			else
				ips_vec_push(&out->inputs, in);
		}
		i = j;
	}
	ips_vec_free(&m->parts);
	memset(&m->parts, 0, sizeof m->parts);
}

typedef struct placed {
	mfind_t *x;
	size_t input;
} placed_t;

static int cmp_placed(const void *a, const void *b)
{
	const placed_t *x = a, *y = b;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	if (x->x->f.offset != y->x->f.offset)
		return x->x->f.offset < y->x->f.offset ? -1 : 1;
	if (x->x->f.line != y->x->f.line)
		return x->x->f.line < y->x->f.line ? -1 : 1;
	if (x->x->seq != y->x->seq)
		return x->x->seq < y->x->seq ? -1 : 1;
	return strcmp(x->x->f.id, y->x->f.id);
}

static bool kept(const ips_merge_t *m, const ips_finding_t *f)
{
	if (f->severity < m->opts.min_severity)
		return false;
	if (f->time.valid && m->opts.since.valid && f->time.sec < m->opts.since.sec)
		return false;
	if (f->time.valid && m->opts.until.valid && f->time.sec > m->opts.until.sec)
		return false;
	return true;
}

/* Findings into out->findings in input order; m->slots then maps id -> 1 + index. */
static void place_findings(ips_merge_t *m, ips_results_t *out)
{
	size_t n = m->finds.len;
	placed_t *p = ips_xmalloc((n ? n : 1) * sizeof *p);
	for (size_t i = 0; i < n; i++) {
		p[i].x = m->finds.items[i];
		p[i].input = (size_t)input_of(out, p[i].x->source, p[i].x->path);
	}
	qsort(p, n, sizeof *p, cmp_placed);
	ips_vec_free(&m->finds);
	memset(&m->finds, 0, sizeof m->finds);
	memset(m->slots, 0, m->nslots * sizeof *m->slots);
	for (size_t i = 0; i < n; i++) {
		mfind_t *x = p[i].x;
		if (!kept(m, &x->f)) {
			m->filtered++;
			merge_mfind_free(x);
			continue;
		}
		ips_finding_t *f = ips_xmalloc(sizeof *f);
		*f = x->f;
		f->input = p[i].input;
		ips_vec_push(&out->findings, f);
		/* the id table now points at results: reuse finds as the index */
		ips_vec_push(&m->finds, x);
		x->f.host = NULL;
		x->f.fields = NULL;
		x->f.nfields = 0;
		x->f.text = NULL;
		m->slots[merge_id_slot(m, f->id)] = out->findings.len;
	}
	free(p);
}

/*
 * Records delivered twice. A syslog pipeline may hand a record to ipsec-scan
 * again (rsyslog retrying an omprog action after a restart, a message sent
 * twice): the copy has another offset, so another id. A finding with the
 * same source (--source-host), host, time (to the fraction the log gives),
 * rule, name and text as another is the same record: one is kept (by
 * cmp_content, so the choice does not depend on the order of the files), and
 * the id of the other stands for it in the windows that name it. A finding
 * without a time or a host is never taken for a copy: files that name no
 * machine (charon's filelog) may hold the same line at the same time for
 * different machines.
 */
typedef struct alias {
	char dup[17], kept[17];
} alias_t;

static uint64_t content_hash(const mfind_t *x)
{
	uint64_t h = IPS_FNV_INIT;
	h = ips_fnv1a(h, x->source ? x->source : "", x->source ? strlen(x->source) + 1 : 1);
	h = ips_fnv1a(h, x->f.host, strlen(x->f.host) + 1);
	h = ips_fnv1a(h, &x->f.time.sec, sizeof x->f.time.sec);
	h = ips_fnv1a(h, &x->f.time.nsec, sizeof x->f.time.nsec);
	h = ips_fnv1a(h, x->f.det->id, strlen(x->f.det->id) + 1);
	h = ips_fnv1a(h, x->f.entry->name, strlen(x->f.entry->name) + 1);
	return ips_fnv1a(h, x->f.text, strlen(x->f.text));
}

static bool same_record(const mfind_t *a, const mfind_t *b)
{
	return !merge_cmp_str(a->source, b->source) && !merge_cmp_str(a->f.host, b->f.host) &&
	       a->f.time.sec == b->f.time.sec &&
	       a->f.time.nsec == b->f.time.nsec && !strcmp(a->f.det->id, b->f.det->id) &&
	       !strcmp(a->f.entry->name, b->f.entry->name) && !strcmp(a->f.text, b->f.text);
}

static int cmp_alias(const void *a, const void *b)
{
	return strcmp((*(const alias_t *const *)a)->dup, (*(const alias_t *const *)b)->dup);
}

/* The id a window's finding id stands for now (itself unless a copy was dropped). */
static const char *resolve_id(const ips_merge_t *m, const char *id)
{
	for (int hops = 0; hops < 64 && m->aliases.len; hops++) {
		alias_t key, *kp = &key;
		snprintf(key.dup, sizeof key.dup, "%s", id);
		alias_t **a = bsearch(&kp, m->aliases.items, m->aliases.len, sizeof *m->aliases.items,
				      cmp_alias);
		if (!a)
			break;
		id = (*a)->kept;
	}
	return id;
}

static void dedup_content(ips_merge_t *m)
{
	size_t n = m->finds.len, ns = 16;
	while (ns < 2 * n)
		ns *= 2;
	size_t *tab = ips_xcalloc(ns, sizeof *tab); /* 1 + index into finds */
	bool *gone = ips_xcalloc(n ? n : 1, sizeof *gone);
	for (size_t i = 0; i < n; i++) {
		mfind_t *x = m->finds.items[i];
		if (!x->f.time.valid || !x->f.host || !*x->f.host || !*x->f.text)
			continue;
		size_t h = (size_t)content_hash(x) & (ns - 1);
		while (tab[h] && !same_record(x, m->finds.items[tab[h] - 1]))
			h = (h + 1) & (ns - 1);
		if (!tab[h]) {
			tab[h] = i + 1;
			continue;
		}
		size_t k = tab[h] - 1, drop = i;
		mfind_t *y = m->finds.items[k];
		if (merge_cmp_content(x, y) < 0) { /* the new one is preferred */
			tab[h] = i + 1;
			drop = k;
		}
		alias_t *a = ips_xmalloc(sizeof *a);
		snprintf(a->dup, sizeof a->dup, "%s", ((mfind_t *)m->finds.items[drop])->f.id);
		snprintf(a->kept, sizeof a->kept, "%s", ((mfind_t *)m->finds.items[tab[h] - 1])->f.id);
		ips_vec_push(&m->aliases, a);
		gone[drop] = true;
		m->redelivered++;
	}
	if (m->redelivered) {
		size_t j = 0;
		for (size_t i = 0; i < n; i++) {
			if (gone[i])
				merge_mfind_free(m->finds.items[i]);
			else
				m->finds.items[j++] = m->finds.items[i];
		}
		m->finds.len = j;
		memset(m->slots, 0, m->nslots * sizeof *m->slots);
		for (size_t i = 0; i < m->finds.len; i++)
			m->slots[merge_id_slot(m, ((mfind_t *)m->finds.items[i])->f.id)] = i + 1;
		qsort(m->aliases.items, m->aliases.len, sizeof *m->aliases.items, cmp_alias);
	}
	free(gone);
	free(tab);
}

typedef struct wplaced {
	mwin_t *x;
	size_t input;
} wplaced_t;

/* A window's identity: where it opened, by which correlation, for which key. */
static int cmp_wplaced(const void *a, const void *b)
{
	const wplaced_t *x = a, *y = b;
	int c;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	if (x->x->w.line != y->x->w.line)
		return x->x->w.line < y->x->w.line ? -1 : 1;
	if ((c = strcmp(x->x->w.correlation, y->x->w.correlation)))
		return c;
	return strcmp(x->x->keystr, y->x->keystr);
}

/* A window that saw its end (or its outcome) tells more than one that did not. */
static int kind_rank(ips_incident_kind_t k)
{
	return k == IPS_INC_NEGOTIATION || k == IPS_INC_PAIR ? 2 : 1;
}

static void earlier(ips_time_t *t, const ips_time_t *u, bool want_min)
{
	if (!u->valid)
		return;
	if (!t->valid || (want_min ? (u->sec < t->sec || (u->sec == t->sec && u->nsec < t->nsec))
				   : (u->sec > t->sec || (u->sec == t->sec && u->nsec > t->nsec))))
		*t = *u;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Windows into the correlator. Copies of one window (same identity) from
 * several runs become one: the union of their findings, the widest span,
 * the kind that saw the end. A finding claimed by two windows stays in the
 * first (by identity). Returns how many name correlations the rules lack.
 */
static size_t place_windows(ips_merge_t *m, ips_results_t *out, ips_correlator_t *c)
{
	size_t n = m->wins.len, missing = 0;
	wplaced_t *p = ips_xmalloc((n ? n : 1) * sizeof *p);
	for (size_t i = 0; i < n; i++) {
		p[i].x = m->wins.items[i];
		p[i].input = (size_t)input_of(out, p[i].x->source, p[i].x->path);
	}
	qsort(p, n, sizeof *p, cmp_wplaced);
	bool *taken = ips_xcalloc(out->findings.len ? out->findings.len : 1, sizeof *taken);
	size_t *f = NULL;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		ips_window_t w = p[i].x->w;
		w.input = p[i].input;
		size_t nf = 0, cap = 0;
		bool had = false;
		for (; j < n && !cmp_wplaced(&p[i], &p[j]); j++) {
			const mwin_t *x = p[j].x;
			if (kind_rank(x->w.kind) > kind_rank(w.kind))
				w.kind = x->w.kind;
			earlier(&w.first, &x->w.first, true);
			earlier(&w.last, &x->w.last, false);
			had |= x->nids > 0;
			if (nf + x->nids > cap) {
				cap = (nf + x->nids) * 2;
				f = ips_xrealloc(f, cap * sizeof *f);
			}
			for (size_t k = 0; k < x->nids; k++) {
				size_t s = m->slots[merge_id_slot(m, resolve_id(m, x->ids[k]))];
				if (s && !taken[s - 1])
					f[nf++] = s - 1;
			}
		}
		if (nf > 1)
			qsort(f, nf, sizeof *f, cmp_size);
		size_t u = 0;
		for (size_t k = 0; k < nf; k++)
			if (!u || f[u - 1] != f[k])
				f[u++] = f[k];
		for (size_t k = 0; k < u; k++)
			taken[f[k]] = true;
		w.findings = f;
		w.nfindings = u;
		/* a window whose findings all went elsewhere (or were left out) is gone */
		if ((u || !had) && (u || kind_rank(w.kind) == 1) && !ips_correlator_add_window(c, &w))
			missing++;
		i = j;
	}
	free(f);
	free(taken);
	free(p);
	return missing;
}

bool ips_merge_conflicted(const ips_merge_t *m)
{
	return m->conflicts > 0;
}

void ips_merge_finish(ips_merge_t *m, ips_results_t *out)
{
	dedup_content(m);
	place_inputs(m, out);
	place_findings(m, out);
	for (size_t i = 0; i < out->inputs.len; i++) {
		const ips_input_t *in = out->inputs.items[i];
		if (!ips_container_format(in->format)) /* as the scan counts: members aren't records */
			out->records += in->records;
	}
	out->filtered = m->filtered;
	ips_correlator_t *c = ips_correlator_new(m->rules, out);
	size_t missing = place_windows(m, out, c);
	ips_correlator_finish(c);
	ips_correlator_free(c);
	if (m->nskipped)
		ips_vec_push(&out->notes,
			     ips_xasprintf("merge: %zu problem(s) reading the NDJSON files, those lines "
					   "skipped (first: %s)",
					   m->nskipped, m->first_skipped));
	if (m->conflicts)
		ips_vec_push(&out->notes,
			     ips_xasprintf("merge: %llu finding id(s) seen with records that differ (a "
					   "log rotated under the same name, machines sharing a path "
					   "without --source-host, or a forged line): the one of higher "
					   "severity was kept; first: %s",
					   (unsigned long long)m->conflicts,
					   m->clashes.len ? ((clash_t *)m->clashes.items[0])->msg : "?"));
	for (size_t i = 0; i < m->clashes.len; i++) {
		const clash_t *k = m->clashes.items[i];
		long at = input_of(out, k->source, k->path);
		if (at < 0)
			continue;
		ips_input_t *in = out->inputs.items[at];
		if (!in->error)
			in->error = ips_xstrdup(k->msg);
		if (in->status == IPS_INPUT_OK || in->status == IPS_INPUT_EMPTY)
			in->status = IPS_INPUT_PARTIAL;
	}
	if (m->redelivered)
		ips_vec_push(&out->notes,
			     ips_xasprintf("merge: %llu finding(s) were copies of others under another "
					   "id (the same host, time, rule and text: a record delivered "
					   "twice): one of each was kept",
					   (unsigned long long)m->redelivered));
	if (m->entries.len || m->dets.len)
		ips_vec_push(&out->notes,
			     ips_xasprintf("merge: %zu entry name(s) and %zu rule id(s) of the findings "
					   "are not in these rules: kept as the reports gave them",
					   m->entries.len, m->dets.len));
	if (missing)
		ips_vec_push(&out->notes,
			     ips_xasprintf("merge: %zu correlation window(s) name correlations these "
					   "rules lack: their findings were joined as loose ones",
					   missing));
	if (m->links)
		ips_vec_push(&out->notes,
			     ips_xasprintf("merge: %llu symbolic link(s) inside directories were not "
					   "followed (--follow-links follows them); first: %s",
					   (unsigned long long)m->links, m->first_link));
	if (m->unknown_types)
		ips_vec_push(&out->notes,
			     ips_xasprintf("merge: %llu record(s) of a type this version does not know "
					   "were ignored", (unsigned long long)m->unknown_types));
}
