/* SPDX-License-Identifier: Apache-2.0 */
/*
 * join.c - the joining stage, after all inputs: union-find over the
 * findings held, joining the findings of one segment, findings that share a
 * group key (the address pair, peer, connection, user, else the host)
 * within the gap plus the clock skew, the two sides of one attempt, and a
 * console transcript's untimed attempt; never two fault classes. See
 * internal.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/correlate.h"
#include "correlate/internal.h"

/* ---- joining stage ----------------------------------------------------- */

size_t uf_find(size_t *parent, size_t x)
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

/* The group keys of these fields: the address pair, peer, connection, user
 * (each owned by the caller). */
static size_t key_set(ips_correlator_t *c, const char *peer, const char *local, const char *conn,
		      const char *user, char *keys[4])
{
	size_t n = 0;
	if (peer && local) {
		const char *a = strcmp(peer, local) < 0 ? peer : local, *b = a == peer ? local : peer;
		keys[n++] = make_key(c, "addresses=%s|%s", a, b);
	}
	if (peer)
		keys[n++] = make_key(c, "peer=%s", peer);
	if (conn)
		keys[n++] = make_key(c, "conn=%s", conn);
	if (user)
		keys[n++] = make_key(c, "user=%s", user);
	return n;
}

/* Findings' group keys (key_set). */
static size_t group_keys(ips_correlator_t *c, const ips_finding_t *f, char *keys[4])
{
	return key_set(c, ips_finding_field(f, "peer"), ips_finding_field(f, "local"),
		       ips_finding_field(f, "conn"), ips_finding_field(f, "user"), keys);
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

/* The group keys of a window's opening record (key_set). */
static size_t seg_keys(ips_correlator_t *c, const segment_t *sg, char *keys[4])
{
	return key_set(c, ips_kv_get(sg->kv, sg->nkv, "peer"), ips_kv_get(sg->kv, sg->nkv, "local"),
		       ips_kv_get(sg->kv, sg->nkv, "conn"), ips_kv_get(sg->kv, sg->nkv, "user"), keys);
}

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
		char **keys = NULL;
		size_t nk = 0;
		for (size_t i = 0; i < n; i++) {
			if (uf_find(parent, i) != r)
				continue;
			char *k[4];
			size_t m = group_keys(c, res->findings.items[i], k);
			long s = i < c->capseg_of ? c->seg_of[i] : -1;
			if (s >= 0 && m == 0)
				m = seg_keys(c, &c->segs[s], k);
			keys = ips_xrealloc(keys, (nk + m + 1) * sizeof *keys);
			for (size_t j = 0; j < m; j++)
				keys[nk++] = k[j]; /* taken */
		}
		size_t found = SIZE_MAX;
		bool several = false;
		/* a transcript that names nothing joins the only incident it fits */
		for (size_t i = 0; i < n && !several; i++) {
			const ips_finding_t *f = res->findings.items[i];
			size_t ri = uf_find(parent, i);
			if (!f->time.valid || ri == found || !(mask[ri] & mask[r]))
				continue;
			char *k[4];
			size_t m = group_keys(c, f, k);
			bool hit = nk == 0;
			for (size_t a = 0; a < m && !hit; a++)
				for (size_t b = 0; b < nk && !hit; b++)
					hit = !strcmp(k[a], keys[b]);
			free_keys(k, m);
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
		free_keys(keys, nk);
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
size_t *join_findings(ips_correlator_t *c, uint64_t **mask_out)
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
			char *keys[8];
			bool look[8], store[8], half[8];
			size_t nk = group_keys(c, f, keys);
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
				keys[nk] = make_key(c, "%s%s", fl ? "F:" : "H:", fl ? fl : fp);
				look[nk] = false;
				store[nk] = half[nk] = true;
				nk++;
				keys[nk] = make_key(c, "%s%s", fl ? "H:" : "F:", fl ? fl : fp);
				look[nk] = half[nk] = true;
				store[nk] = false;
				nk++;
			}
			/* no host named: the input stands for it (with its machine, as
			 * two machines' logs can share a path) */
			const char *host = f->host ? f->host : in->path;
			const char *machine = f->host || !in->source ? "" : in->source;
			const char *colon = *machine ? ":" : "";
			keys[nk] = make_key(c, "A:%s%s%s", machine, colon, host);
			look[nk] = host_only;
			half[nk] = false;
			store[nk++] = true;
			keys[nk] = make_key(c, "O:%s%s%s", machine, colon, host);
			look[nk] = true;
			half[nk] = false;
			store[nk++] = host_only;
			for (size_t k = 0; k < nk; k++) {
				if (!f->time.valid) { /* untimed: only within its own input */
					char *own = make_key(c, "%s#%zu", keys[k], f->input);
					free(keys[k]);
					keys[k] = own;
				}
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
			free_keys(keys, nk);
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

/*
 * Bucket findings by their component root, O(n): on return members holds
 * the finding indexes grouped by root (ascending within each), and the
 * component of root r is members[start[r] .. start[r + 1]).
 */
void components(const size_t *parent, size_t n, size_t **start_out, size_t **members_out)
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
