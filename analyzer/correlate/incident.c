/* SPDX-License-Identifier: Apache-2.0 */
/*
 * incident.c - incidents from the joined findings: the root cause (by
 * source, severity and the root-cause order of categories), the key, title,
 * stable id and span, the threshold mark; ips_correlator_finish() runs the
 * joining stage and builds them all. See internal.h.
 */
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/correlate.h"
#include "correlate/internal.h"

static int category_rank(const corr_t *g, const ips_entry_t *e)
{
	for (int i = 0; g && i < g->norder; i++)
		if (e->category && !strcmp(g->order.items[i], e->category))
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

/* " for peer P" (or connection, user, host) into the title; nothing when
 * the key names none of them (the title names the input instead) */
static void key_desc(ips_buf_t *b, const ips_kv_t *kv, size_t n)
{
	const char *v;
	if ((v = ips_kv_get(kv, n, "peer")))
		ips_buf_printf(b, " for peer %s", v);
	else if ((v = ips_kv_get(kv, n, "conn")))
		ips_buf_printf(b, " for connection '%s'", v);
	else if ((v = ips_kv_get(kv, n, "user")))
		ips_buf_printf(b, " for user %s", v);
	else if ((v = ips_kv_get(kv, n, "host")))
		ips_buf_printf(b, " for host %s", v);
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
	key_desc(&b, x->key, x->nkey);
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
int cmp_incident(const void *a, const void *b, void *ctx)
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

/* The incident of one component: members are finding indexes, ascending. */
ips_incident_t *build_incident(ips_correlator_t *c, const size_t *members, size_t m,
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
ips_incident_t *build_empty(ips_correlator_t *c, const segment_t *sg)
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

void ips_correlator_set_threads(ips_correlator_t *c, int n)
{
	c->threads = n;
}

/* The incidents of the components, built by one or more threads. */
typedef struct build_job {
	ips_correlator_t *c;
	const size_t *start, *members_all, *roots;
	const uint64_t *mask;
	ips_incident_t **out;
	size_t n, step, first; /* this thread: components first, first + step, ... */
} build_job_t;

static void *build_some(void *arg)
{
	build_job_t *b = arg;
	for (size_t i = b->first; i < b->n; i += b->step) {
		size_t r = b->roots[i];
		b->out[i] = build_incident(b->c, b->members_all + b->start[r],
					   b->start[r + 1] - b->start[r], b->mask[r]);
	}
	return NULL;
}

/*
 * Build the incident of each root r with members (in root order) into
 * res->incidents: build_incident() reads the correlator and the findings
 * and writes only its incident, so threads may build different ones.
 */
static void build_all(ips_correlator_t *c, const size_t *start, const size_t *members_all,
		      const uint64_t *mask, size_t n)
{
	size_t *roots = ips_xmalloc((n ? n : 1) * sizeof *roots), k = 0;
	for (size_t r = 0; r < n; r++)
		if (start[r + 1] > start[r])
			roots[k++] = r;
	ips_incident_t **out = ips_xcalloc(k ? k : 1, sizeof *out);
	size_t nt = c->threads > 1 && k >= 64 ? (size_t)c->threads : 1;
	if (nt > 16)
		nt = 16;
	build_job_t jobs[16];
	pthread_t tids[16];
	bool started[16] = {false};
	for (size_t t = 0; t < nt; t++) {
		jobs[t] = (build_job_t){.c = c, .start = start, .members_all = members_all,
					.roots = roots, .mask = mask, .out = out, .n = k, .step = nt,
					.first = t};
		if (t > 0)
			started[t] = pthread_create(&tids[t], NULL, build_some, &jobs[t]) == 0;
	}
	build_some(&jobs[0]);
	for (size_t t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(tids[t], NULL);
		else
			build_some(&jobs[t]); /* no thread: this one builds its share */
	}
	for (size_t i = 0; i < k; i++)
		ips_vec_push(&c->res->incidents, out[i]);
	free(out);
	free(roots);
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
	build_all(c, start, members_all, mask, n);
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
	if (c->keys_cut)
		ips_vec_push(&res->notes,
			     ips_xasprintf("correlation: %llu key(s) longer than %d bytes (a peer, "
					   "connection, user or host) were cut there: findings whose "
					   "keys differ only past that point may share an incident",
					   (unsigned long long)c->keys_cut, KEY_MAX));
}
