/* SPDX-License-Identifier: Apache-2.0 */
/*
 * settle.c - live mode (ips_correlator_settle): incidents written once
 * their windows can no longer grow, by the records' time or the wall clock,
 * and forgotten after, so a long run keeps bounded memory. See internal.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/correlate.h"
#include "correlate/internal.h"

/* ---- live mode --------------------------------------------------------- */

static void free_segment(segment_t *sg)
{
	free(sg->f);
	for (size_t j = 0; j < sg->nkv; j++) {
		free(sg->kv[j].key);
		free(sg->kv[j].value);
	}
}

/*
 * Forget the findings marked gone (freeing them) and renumber the rest in
 * the results, the open windows, the segments kept and the arrival times.
 */
static void compact(ips_correlator_t *c, const bool *gone)
{
	ips_results_t *res = c->res;
	size_t n = res->findings.len, k = 0;
	size_t *map = ips_xmalloc((n ? n : 1) * sizeof *map);
	for (size_t i = 0; i < n; i++) {
		if (gone[i]) {
			ips_finding_free(res->findings.items[i]);
			map[i] = (size_t)-1;
			continue;
		}
		map[i] = k;
		res->findings.items[k] = res->findings.items[i];
		if (i < c->caparrived)
			c->arrived[k] = c->arrived[i];
		if (i < c->caprecovered)
			c->recovered[k] = c->recovered[i];
		k++;
	}
	res->findings.len = k;
	for (size_t i = 0; i < c->nopen; i++)
		for (size_t j = 0; j < c->open[i].nf; j++)
			c->open[i].f[j] = map[c->open[i].f[j]];
	size_t ks = 0;
	for (size_t s = 0; s < c->nsegs; s++) {
		segment_t *sg = &c->segs[s];
		if (!sg->nf || map[sg->f[0]] == (size_t)-1) { /* written */
			free_segment(sg);
			continue;
		}
		for (size_t j = 0; j < sg->nf; j++)
			sg->f[j] = map[sg->f[j]];
		c->segs[ks++] = *sg;
	}
	c->nsegs = ks;
	for (size_t i = 0; i < c->capseg_of; i++)
		c->seg_of[i] = -1;
	for (size_t s = 0; s < c->nsegs; s++)
		for (size_t j = 0; j < c->segs[s].nf; j++)
			c->seg_of[c->segs[s].f[j]] = (long)s;
	free(map);
}

size_t ips_correlator_settle(ips_correlator_t *c, int64_t wall, bool all,
			     ips_window_cb_t emit_window, ips_incident_cb_t emit, void *ctx)
{
	ips_results_t *res = c->res;
	c->wall = wall;
	if (all) {
		ips_correlator_end_input(c);
	} else {
		/* a window closes when the newest record read, or the wall clock
		 * since it opened, has passed it */
		for (size_t i = 0; i < c->nopen;) {
			open_item_t *o = &c->open[i];
			int64_t w = c->corrs[o->corr].window;
			if (elapsed(&o->start, o->line, &c->input_last, c->input_last_line, w) ||
			    wall - o->opened > w)
				close_item(c, i, false);
			else
				i++;
		}
	}
	size_t n = res->findings.len;
	const corr_t *g = c->group >= 0 ? &c->corrs[c->group] : NULL;
	int64_t quiet = g ? g->gap + g->skew : 420, span = g ? g->span : 300;
	bool force = n > IPS_LIVE_MAX_FINDINGS;
	uint64_t *mask;
	size_t *parent = join_findings(c, &mask);
	size_t *start, *members_all;
	components(parent, n, &start, &members_all);
	bool *held = ips_xcalloc(n ? n : 1, sizeof *held);
	for (size_t i = 0; i < c->nopen; i++)
		for (size_t j = 0; j < c->open[i].nf; j++)
			held[c->open[i].f[j]] = true;
	bool *gone = ips_xcalloc(n ? n : 1, sizeof *gone);
	ips_vec_t out = {0};
	for (size_t r = 0; r < n; r++) {
		size_t m = start[r + 1] - start[r];
		if (!m)
			continue;
		const size_t *mem = members_all + start[r];
		bool open = false, timed = false;
		int64_t first_t = 0, last_t = 0, first_w = wall, last_w = 0;
		for (size_t j = 0; j < m; j++) {
			const ips_finding_t *f = res->findings.items[mem[j]];
			open |= held[mem[j]];
			if (f->time.valid && (!timed || f->time.sec > last_t))
				last_t = f->time.sec;
			if (f->time.valid && (!timed || f->time.sec < first_t))
				first_t = f->time.sec;
			timed |= f->time.valid;
			int64_t a = mem[j] < c->caparrived ? c->arrived[mem[j]] : wall;
			if (a > last_w)
				last_w = a;
			if (a < first_w)
				first_w = a;
		}
		bool clock = timed && c->input_last.valid;
		/* nothing read later can join it: no key of it can come back
		 * within the gap (plus the skew), by either clock; or it has been
		 * open for its span: written as it stands, what follows starts
		 * the next one */
		bool quiet_now = wall - last_w > quiet || (clock && c->input_last.sec - last_t > quiet);
		bool long_now = wall - first_w > span || (clock && c->input_last.sec - first_t > span);
		bool done = all || (!open && (force || quiet_now || long_now));
		if (!done)
			continue;
		if (force && !all && !quiet_now && !long_now)
			c->forced++;
		ips_vec_push(&out, build_incident(c, mem, m, mask[uf_find(parent, mem[0])]));
		for (size_t j = 0; j < m; j++)
			gone[mem[j]] = true;
	}
	for (size_t s = 0; s < c->nsegs; s++)
		if (!c->segs[s].nf)
			ips_vec_push(&out, build_empty(c, &c->segs[s]));
	/* the windows of the incidents written now, before them and while
	 * their findings still exist, in the order a whole-run report has */
	ips_vec_t wins = {0};
	for (size_t s = 0; s < c->nsegs; s++)
		if (!c->segs[s].nf || gone[c->segs[s].f[0]])
			ips_vec_push(&wins, window_of(c, &c->segs[s]));
	if (wins.len > 1)
		qsort(wins.items, wins.len, sizeof(void *), cmp_window);
	for (size_t i = 0; i < wins.len; i++) {
		if (emit_window)
			emit_window(ctx, res, wins.items[i]);
		ips_window_free(wins.items[i]);
	}
	ips_vec_free(&wins);
	if (out.len)
		qsort_r(out.items, out.len, sizeof(void *), cmp_incident, res);
	for (size_t i = 0; i < out.len; i++) {
		if (emit)
			emit(ctx, res, out.items[i]);
		ips_incident_free(out.items[i]);
	}
	size_t written = out.len;
	ips_vec_free(&out);
	compact(c, gone);
	free(gone);
	free(held);
	free(start);
	free(members_all);
	free(parent);
	free(mask);
	return written;
}

uint64_t ips_correlator_forced(const ips_correlator_t *c)
{
	return c->forced;
}
