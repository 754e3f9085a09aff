/* SPDX-License-Identifier: Apache-2.0 */
/* jobs.c - see jobs.h. */
#include "run/jobs.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "correlate/correlate.h"
#include "detect/scan_split.h"
#include "util/util.h"

#define BYTES_PER_THREAD (16ULL << 20)
#define THREADS_MAX 64
/* one file is split (detect/scan_split.h) from 32 MiB, in ranges of 16 MiB;
 * an EVTX file (read at a tenth of the speed) from 8 MiB, in ranges of 1 MiB
 * (16 chunks): below 8 MiB the second thread's matcher and the join cost
 * more than they save (docs/performance.md) */
#define SPLIT_MIN (32ULL << 20)
#define SPLIT_RANGE (16ULL << 20)
#define SPLIT_EVTX_MIN (8ULL << 20)
#define SPLIT_EVTX_RANGE (1ULL << 20)
#define SPLIT_MAX_RANGES 4096

/*
 * Test hook: IPSEC_SCAN_SPLIT_BYTES=N splits every file that can be split
 * from N bytes on, in ranges of about N bytes (EVTX: N / 64 KiB chunks, at
 * least one), and says on standard error into how many ("ipsec-scan:
 * --jobs: PATH: K ranges"), so that the tests check the join on small files
 * and that a split happened.
 */
static bool split_sizes(ips_split_sizes_t *sz)
{
	const char *e = getenv("IPSEC_SCAN_SPLIT_BYTES");
	unsigned long long n = e && *e ? strtoull(e, NULL, 10) : 0;
	*sz = (ips_split_sizes_t){.min = n ? n : SPLIT_MIN, .range = n ? n : SPLIT_RANGE,
				  .evtx_min = n ? n : SPLIT_EVTX_MIN,
				  .evtx_range = n ? n : SPLIT_EVTX_RANGE,
				  .max_ranges = SPLIT_MAX_RANGES};
	return n != 0;
}

/* Could this unit be split (its size says so; its format is known later)? */
static uint64_t unit_pieces(const ips_scan_unit_t *u, const ips_split_sizes_t *sz)
{
	if (!u->path || u->stream || u->journal || (u->size < sz->min && u->size < sz->evtx_min))
		return 1;
	uint64_t range = u->size < sz->min ? sz->evtx_range : sz->range;
	uint64_t n = (u->size + range - 1) / range;
	return n > SPLIT_MAX_RANGES ? SPLIT_MAX_RANGES : n;
}

int ips_jobs_threads(int jobs, const ips_vec_t *units, uint64_t total)
{
	/* a file that may be read in ranges counts as its ranges */
	ips_split_sizes_t sz;
	(void)split_sizes(&sz);
	size_t files = 0;
	for (size_t i = 0; i < units->len; i++) {
		const ips_scan_unit_t *u = units->items[i];
		if (u->path)
			files += (size_t)unit_pieces(u, &sz);
	}
	size_t n = jobs > 0 ? (size_t)jobs : 0;
	if (!n) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus > 0 ? (size_t)cpus : 1;
		uint64_t by_size = total / BYTES_PER_THREAD;
		if (by_size < n)
			n = by_size ? (size_t)by_size : 1;
	}
	if (n > files)
		n = files;
	/* a stream named twice (`- -`): a serial scan reads it all the first
	 * time and nothing the second; two threads would share its lines */
	for (size_t i = 0; i < units->len && n > 1; i++) {
		const ips_scan_unit_t *a = units->items[i];
		for (size_t j = i + 1; a->path && a->stream && j < units->len && n > 1; j++) {
			const ips_scan_unit_t *b = units->items[j];
			if (b->path && !strcmp(a->path, b->path))
				n = 1;
		}
	}
	if (n > THREADS_MAX)
		n = THREADS_MAX;
	return n ? (int)n : 1;
}

int ips_jobs_cron_threads(int jobs)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n = jobs > 0 ? jobs : cpus > 0 ? (int)cpus : 1;
	return n > THREADS_MAX ? THREADS_MAX : n;
}

/*
 * A task: a whole unit, or one byte range of a file read in ranges (then
 * the unit's tasks follow each other, range 0 first).
 */
typedef struct task {
	ips_split_t *sp;        /* NULL: the whole unit; owned by the first range's task */
	uint32_t unit;          /* its index in units (16 bytes a task: a million files) */
	uint32_t range;
} task_t;

typedef struct slot {
	ips_results_t *res;
	ips_correlator_t *corr;
	ips_split_part_t *part; /* a range's */
	ips_status_t st;
	bool done;
} slot_t;

typedef struct pool {
	const ips_rules_t *rules;
	const ips_scan_opts_t *opts;
	ips_vec_t *units;
	task_t *tasks;
	size_t ntasks;
	slot_t *slots;  /* a ring: task i's is slots[i % nslots] (no task runs nslots past merged) */
	size_t nslots;
	size_t next;    /* the next task a worker takes */
	size_t merged;  /* tasks before this one are in the results */
	size_t ahead;   /* tasks a worker may start past merged */
	size_t ahead_ranges; /* the same for ranges: what they keep waits for the join */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	ips_scanner_t **scanners; /* one per worker, kept for the match-limit counts */
} pool_t;

typedef struct worker {
	pool_t *p;
	size_t id;
} worker_t;

/* Task i's unit (not freed before its last task is merged). */
static ips_scan_unit_t *unit_of(const pool_t *p, size_t i)
{
	return p->units->items[p->tasks[i].unit];
}

/*
 * How far past the oldest unmerged task task i may start: a line range's
 * kept lines wait for the join, so ranges go at most ahead_ranges ahead;
 * an EVTX range keeps only its records with a hit, and the join of its
 * file starts with libevtx opening the whole file: its ranges go as far
 * as whole inputs.
 */
static size_t task_ahead(const pool_t *p, size_t i)
{
	const ips_split_t *sp = p->tasks[i].sp;
	return sp && !ips_split_is_evtx(sp) ? p->ahead_ranges : p->ahead;
}

static void *work(void *arg)
{
	worker_t *w = arg;
	pool_t *p = w->p;
	ips_scanner_t *sc = NULL; /* made for the first task, then kept (its matcher) */
	for (;;) {
		pthread_mutex_lock(&p->mu);
		for (;;) {
			while (p->next < p->ntasks && !unit_of(p, p->next)->path)
				p->next++; /* errors are decided already: the merge takes them */
			if (p->next >= p->ntasks ||
			    p->next < p->merged + task_ahead(p, p->next))
				break;
			/* too far ahead; others may move next meanwhile: look again */
			pthread_cond_wait(&p->cond, &p->mu);
		}
		size_t i = p->next;
		if (i >= p->ntasks) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		p->next++;
		pthread_mutex_unlock(&p->mu);

		const task_t *t = &p->tasks[i];
		const ips_scan_unit_t *u = unit_of(p, i);
		ips_results_t *res = NULL;
		ips_correlator_t *corr = NULL;
		ips_finding_sink_t sink = {0};
		if (!t->sp) {
			/* each input its own results and correlator: the merge below
			 * appends them in input order */
			res = ips_results_new();
			corr = ips_correlator_new(p->rules, res);
			ips_correlator_sink(corr, &sink);
		}
		if (!sc) {
			/* (a range's probe writes no results and finds nothing) */
			sc = ips_scanner_new(p->rules, p->opts, res, &sink);
			pthread_mutex_lock(&p->mu);
			p->scanners[w->id] = sc;
			pthread_mutex_unlock(&p->mu);
		} else if (!t->sp) {
			ips_scanner_target(sc, res, &sink);
		}
		ips_split_part_t *part = NULL;
		ips_status_t st = IPS_OK;
		if (t->sp)
			part = ips_split_probe(sc, t->sp, t->range);
		else
			st = u->journal == 1 ? ips_scanner_scan_journal_dir(sc, u->path)
			     : u->journal == 2 ? ips_scanner_scan_journal_local(sc)
			     : ips_scanner_scan_path(sc, u->path);

		pthread_mutex_lock(&p->mu);
		slot_t *sl = &p->slots[i % p->nslots];
		sl->res = res;
		sl->corr = corr;
		sl->part = part;
		sl->st = st;
		sl->done = true;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->mu);
	}
	/* the scanner stays (for its match-limit counts), bound to results and
	 * a sink it no longer touches: freeing it frees only what it owns */
	return NULL;
}

/* The tasks of the units: a file that can be split, one per range. */
static task_t *plan_tasks(const ips_scan_opts_t *opts, ips_vec_t *units, size_t *ntasks)
{
	ips_split_sizes_t sz;
	bool told = split_sizes(&sz);
	if (units->len >= UINT32_MAX) { /* (their units alone would take 160 GB) */
		fprintf(stderr, "ipsec-scan: --jobs: more than 4 billion inputs\n");
		abort();
	}
	size_t n = 0, cap = units->len ? units->len : 1;
	task_t *t = ips_xcalloc(cap, sizeof *t);
	for (size_t i = 0; i < units->len; i++) {
		ips_scan_unit_t *u = units->items[i];
		ips_split_t *sp = unit_pieces(u, &sz) > 1 ? ips_split_plan(opts, u->path, &sz, NULL)
							  : NULL;
		size_t k = sp ? ips_split_ranges(sp) : 1;
		if (sp && told)
			fprintf(stderr, "ipsec-scan: --jobs: %s: %zu ranges\n", u->path, k);
		if (n + k > cap) {
			cap = (n + k) * 2;
			t = ips_xrealloc(t, cap * sizeof *t);
		}
		for (size_t r = 0; r < k; r++)
			t[n++] = (task_t){.sp = sp, .unit = (uint32_t)i, .range = (uint32_t)r};
	}
	*ntasks = n;
	return t;
}

ips_status_t ips_jobs_scan(const ips_rules_t *rules, const ips_scan_opts_t *opts,
			   ips_results_t *out, ips_vec_t *units, int threads)
{
	size_t nw = threads > 0 ? (size_t)threads : 1;
	pool_t p = {.rules = rules, .opts = opts, .units = units, .ahead = IPS_JOBS_AHEAD,
		    .ahead_ranges = 4 * nw};
	p.tasks = plan_tasks(opts, units, &p.ntasks);
	size_t n = p.ntasks;
	p.nslots = p.ahead > p.ahead_ranges ? p.ahead : p.ahead_ranges;
	p.slots = ips_xcalloc(p.nslots, sizeof *p.slots);
	p.scanners = ips_xcalloc(nw, sizeof *p.scanners);
	worker_t *ws = ips_xcalloc(nw, sizeof *ws);
	pthread_t *tids = ips_xcalloc(nw, sizeof *tids);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cond, NULL);
	size_t started = 0;
	for (size_t i = 0; i < nw; i++) {
		ws[i].p = &p;
		ws[i].id = i;
		if (pthread_create(&tids[i], NULL, work, &ws[i]) != 0)
			break; /* fewer threads: the ones running take all units */
		started++;
	}
	if (!started) { /* no thread at all: this one does all the work first */
		p.ahead = p.ahead_ranges = SIZE_MAX;
		free(p.slots);
		p.nslots = n ? n : 1;
		p.slots = ips_xcalloc(p.nslots, sizeof *p.slots);
		work(&ws[0]);
	}

	ips_correlator_t *corr = ips_correlator_new(rules, out);
	ips_correlator_set_threads(corr, (int)nw); /* its incidents, at the end */
	ips_status_t res = IPS_OK;
	/* a file read in ranges: joined here, range by range, by a scanner of
	 * its own (its matcher's limit counts are not the run's: scan_split.h) */
	ips_scanner_t *joiner = NULL;
	ips_results_t *jres = NULL;
	ips_correlator_t *jcorr = NULL;
	int64_t *adjust = NULL; /* the joins' PCRE2 limit counts (scan_split.h) */
	for (size_t i = 0; i < n; i++) {
		task_t *t = &p.tasks[i];
		ips_scan_unit_t *u = unit_of(&p, i);
		if (!u->path) {
			if (u->error->status == IPS_INPUT_ERROR)
				res = IPS_E_INPUT; /* not a --missing-ok note */
			ips_vec_push(&out->inputs, u->error);
			u->error = NULL;
		} else {
			pthread_mutex_lock(&p.mu);
			while (!p.slots[i % p.nslots].done)
				pthread_cond_wait(&p.cond, &p.mu);
			pthread_mutex_unlock(&p.mu);
			slot_t *sl = &p.slots[i % p.nslots];
			ips_results_t *ures = sl->res;
			ips_correlator_t *ucorr = sl->corr;
			ips_status_t st = sl->st;
			bool whole = true;
			if (t->sp) {
				if (t->range == 0) {
					ips_finding_sink_t sink;
					jres = ips_results_new();
					jcorr = ips_correlator_new(rules, jres);
					ips_correlator_sink(jcorr, &sink);
					if (!joiner)
						joiner = ips_scanner_new(rules, opts, jres, &sink);
					else
						ips_scanner_target(joiner, jres, &sink);
				}
				ips_split_join(joiner, t->sp, t->range, sl->part);
				sl->part = NULL;
				whole = t->range + 1 == ips_split_ranges(t->sp);
				if (whole) {
					st = ips_split_finish(joiner, t->sp);
					if (!adjust)
						adjust = ips_xcalloc(ips_rules_active_count(rules) + 1,
								     sizeof *adjust);
					ips_split_limit_adjust(t->sp, adjust);
					ips_split_free(t->sp);
					ures = jres;
					ucorr = jcorr;
					jres = NULL;
					jcorr = NULL;
				}
			}
			if (whole) {
				size_t input_off = out->inputs.len, finding_off = out->findings.len;
				ips_results_append(out, ures);
				ips_correlator_absorb(corr, ucorr, input_off, finding_off);
				ips_results_free(ures);
				ips_correlator_free(ucorr);
				if (st != IPS_OK)
					res = IPS_E_INPUT;
				/* done with (workers look only past p.next): a million files'
				 * units cost ~100 MB, their memory serves the inputs to come */
				ips_scan_unit_free(u);
				units->items[t->unit] = NULL;
			}
		}
		pthread_mutex_lock(&p.mu);
		p.slots[i % p.nslots] = (slot_t){0}; /* free for task i + nslots */
		p.merged = i + 1;
		pthread_cond_broadcast(&p.cond);
		pthread_mutex_unlock(&p.mu);
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	for (size_t i = 0; i < units->len; i++)
		ips_scan_unit_free(units->items[i]);
	units->len = 0;
	ips_scanner_free(joiner);

	ips_correlator_finish(corr);
	ips_correlator_free(corr);
	const ips_matcher_t **ms = ips_xcalloc(nw, sizeof *ms);
	size_t nm = 0;
	for (size_t i = 0; i < nw; i++)
		if (p.scanners[i])
			ms[nm++] = ips_scanner_matcher(p.scanners[i]);
	ips_scan_limit_notes(rules, out, ms, nm, adjust);
	free(adjust);
	for (size_t i = 0; i < nw; i++)
		ips_scanner_free(p.scanners[i]);
	free(ms);
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.mu);
	free(p.scanners);
	free(p.slots);
	free(p.tasks);
	free(ws);
	free(tids);
	return res;
}

/* ---- one file at a time (cron mode) ------------------------------------- */

struct ips_jobs_split {
	const ips_rules_t *rules;
	const ips_scan_opts_t *opts;
	size_t nw;
	ips_scanner_t **scanners; /* the workers', kept across files (match-limit counts) */
	size_t ndet;
	int64_t *adjust;          /* the joins' own PCRE2 limit hits, taken back */
	uint64_t *snap;
};

typedef struct split_run {
	ips_jobs_split_t *js;
	ips_split_t *sp;
	size_t n;                 /* ranges */
	ips_split_part_t **parts; /* a ring: range i's is parts[i % ahead] */
	size_t ahead;             /* ranges probed past the one being joined */
	size_t next, joined;
	pthread_mutex_t mu;
	pthread_cond_t cond;
} split_run_t;

typedef struct split_worker {
	split_run_t *r;
	size_t id;
} split_worker_t;

ips_jobs_split_t *ips_jobs_split_new(const ips_rules_t *rules, const ips_scan_opts_t *opts,
				     int threads)
{
	if (threads < 2)
		return NULL;
	ips_jobs_split_t *js = ips_xcalloc(1, sizeof *js);
	js->rules = rules;
	js->opts = opts;
	js->nw = threads > THREADS_MAX ? THREADS_MAX : (size_t)threads;
	js->scanners = ips_xcalloc(js->nw, sizeof *js->scanners);
	js->ndet = ips_rules_active_count(rules);
	js->adjust = ips_xcalloc(js->ndet + 1, sizeof *js->adjust);
	js->snap = ips_xcalloc(js->ndet + 1, sizeof *js->snap);
	return js;
}

/* Worker w's scanner, made at its first range and kept for the next files
 * (a probe writes no results and finds nothing: no results, no sink). */
static ips_scanner_t *probe_scanner(ips_jobs_split_t *js, size_t w)
{
	if (!js->scanners[w]) {
		ips_finding_sink_t none = {0};
		js->scanners[w] = ips_scanner_new(js->rules, js->opts, NULL, &none);
	}
	return js->scanners[w];
}

static void *split_work(void *arg)
{
	split_worker_t *w = arg;
	split_run_t *r = w->r;
	ips_jobs_split_t *js = r->js;
	for (;;) {
		pthread_mutex_lock(&r->mu);
		while (r->next < r->n && r->next >= r->joined + r->ahead)
			pthread_cond_wait(&r->cond, &r->mu);
		size_t i = r->next;
		if (i >= r->n) {
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
		r->next++;
		pthread_mutex_unlock(&r->mu);
		ips_split_part_t *part = ips_split_probe(probe_scanner(js, w->id), r->sp, i);
		pthread_mutex_lock(&r->mu);
		r->parts[i % r->ahead] = part;
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->mu);
	}
}

static ips_status_t split_read(ips_jobs_split_t *js, ips_scanner_t *s, ips_split_t *sp,
				const ips_jobs_ahead_t *ahead, uint64_t end)
{
	split_run_t r = {.js = js, .sp = sp, .n = ips_split_ranges(sp)};
	size_t nw = js->nw < r.n ? js->nw : r.n;
	r.ahead = 4 * nw;
	r.parts = ips_xcalloc(r.ahead, sizeof *r.parts);
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cond, NULL);
	split_worker_t *ws = ips_xcalloc(nw, sizeof *ws);
	pthread_t *tids = ips_xcalloc(nw, sizeof *tids);
	size_t started = 0;
	for (size_t i = 0; i < nw; i++) {
		ws[i] = (split_worker_t){.r = &r, .id = i};
		if (pthread_create(&tids[i], NULL, split_work, &ws[i]) == 0)
			started++;
		else
			break; /* fewer threads: the ones running take all ranges */
	}
	/* the first ranges take a while: meanwhile this thread does the
	 * caller's work for the end of the read (cron mode: the prefix hash) */
	if (started && ahead && ahead->fn)
		ahead->fn(ahead->ctx, end);
	/* the join matches the kept lines again on s's matcher, whose limit
	 * counts the run reports: those are taken back (the probes counted them) */
	const ips_matcher_t *m = ips_scanner_matcher(s);
	for (size_t d = 0; d < js->ndet; d++)
		js->snap[d] = ips_matcher_limit_hits(m, d);
	for (size_t i = 0; i < r.n; i++) {
		ips_split_part_t *part;
		if (!started) { /* no thread at all: this one probes too */
			part = ips_split_probe(probe_scanner(js, 0), sp, i);
		} else {
			pthread_mutex_lock(&r.mu);
			while (!r.parts[i % r.ahead])
				pthread_cond_wait(&r.cond, &r.mu);
			part = r.parts[i % r.ahead];
			r.parts[i % r.ahead] = NULL;
			r.joined = i + 1;
			pthread_cond_broadcast(&r.cond);
			pthread_mutex_unlock(&r.mu);
		}
		ips_split_join(s, sp, i, part);
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	ips_status_t st = ips_split_finish(s, sp);
	for (size_t d = 0; d < js->ndet; d++)
		js->adjust[d] -= (int64_t)(ips_matcher_limit_hits(m, d) - js->snap[d]);
	pthread_cond_destroy(&r.cond);
	pthread_mutex_destroy(&r.mu);
	free(r.parts);
	free(ws);
	free(tids);
	return st;
}

bool ips_jobs_split_from(ips_jobs_split_t *js, ips_scanner_t *s, const char *path,
			 uint64_t dev, uint64_t ino, ips_scan_from_t *from,
			 const ips_jobs_ahead_t *ahead, ips_status_t *st)
{
	ips_split_sizes_t sz;
	bool told = split_sizes(&sz);
	/* (cheap checks first: a million small files are not looked at again) */
	if (!js || from->fd < 0 || from->nothing_new || from->offset > from->size ||
	    from->size - from->offset < sz.min)
		return false;
	ips_scan_from_t cr = *from;
	ips_split_resume_t r;
	if (!ips_scan_resume_span(&js->opts->frame, &cr, &r))
		return false; /* no whole new line: the serial read says so */
	r.dev = dev;
	r.ino = ino;
	r.note = from->note;
	ips_split_t *sp = ips_split_plan(js->opts, path, &sz, &r);
	if (!sp)
		return false;
	if (told)
		fprintf(stderr, "ipsec-scan: --jobs: %s: %zu ranges from offset %llu\n", path,
			ips_split_ranges(sp), (unsigned long long)r.from);
	*from = cr;
	*st = split_read(js, s, sp, ahead, r.limit);
	(void)ips_split_end(sp, &from->end_offset, &from->end_line);
	ips_split_free(sp);
	return true;
}

void ips_jobs_split_limits(const ips_jobs_split_t *js, int64_t *adjust)
{
	if (!js)
		return;
	for (size_t d = 0; d < js->ndet; d++) {
		adjust[d] += js->adjust[d];
		for (size_t w = 0; w < js->nw; w++)
			if (js->scanners[w])
				adjust[d] += (int64_t)ips_matcher_limit_hits(
					ips_scanner_matcher(js->scanners[w]), d);
	}
}

void ips_jobs_split_free(ips_jobs_split_t *js)
{
	if (!js)
		return;
	for (size_t w = 0; w < js->nw; w++)
		ips_scanner_free(js->scanners[w]);
	free(js->scanners);
	free(js->adjust);
	free(js->snap);
	free(js);
}
