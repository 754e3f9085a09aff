/* SPDX-License-Identifier: Apache-2.0 */
/* jobs.c - see jobs.h. */
#include "run/jobs.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "correlate/correlate.h"
#include "util/util.h"

#define BYTES_PER_THREAD (16ULL << 20)
#define THREADS_MAX 64

int ips_jobs_threads(int jobs, const ips_vec_t *units, uint64_t total)
{
	size_t files = 0;
	for (size_t i = 0; i < units->len; i++)
		files += ((const ips_scan_unit_t *)units->items[i])->path != NULL;
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

typedef struct slot {
	ips_results_t *res;
	ips_correlator_t *corr;
	ips_status_t st;
	bool done;
} slot_t;

typedef struct pool {
	const ips_rules_t *rules;
	const ips_scan_opts_t *opts;
	ips_vec_t *units;
	slot_t *slots;
	size_t next;    /* the next unit a worker takes */
	size_t merged;  /* units before this one are in the results */
	size_t ahead;   /* units a worker may start past merged */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	ips_scanner_t **scanners; /* one per worker, kept for the match-limit counts */
} pool_t;

typedef struct worker {
	pool_t *p;
	size_t id;
} worker_t;

static void *work(void *arg)
{
	worker_t *w = arg;
	pool_t *p = w->p;
	ips_scanner_t *sc = NULL; /* made for the first unit, then kept (its matcher) */
	for (;;) {
		pthread_mutex_lock(&p->mu);
		for (;;) {
			while (p->next < p->units->len &&
			       !((const ips_scan_unit_t *)p->units->items[p->next])->path)
				p->next++; /* errors are decided already: the merge takes them */
			if (p->next >= p->units->len || p->next < p->merged + p->ahead)
				break;
			/* too far ahead; others may move next meanwhile: look again */
			pthread_cond_wait(&p->cond, &p->mu);
		}
		size_t i = p->next;
		if (i >= p->units->len) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		p->next++;
		pthread_mutex_unlock(&p->mu);

		const ips_scan_unit_t *u = p->units->items[i];
		/* each input its own results and correlator: the merge below
		 * appends them in input order */
		ips_results_t *res = ips_results_new();
		ips_correlator_t *corr = ips_correlator_new(p->rules, res);
		ips_finding_sink_t sink;
		ips_correlator_sink(corr, &sink);
		if (!sc) {
			sc = ips_scanner_new(p->rules, p->opts, res, &sink);
			pthread_mutex_lock(&p->mu);
			p->scanners[w->id] = sc;
			pthread_mutex_unlock(&p->mu);
		} else {
			ips_scanner_target(sc, res, &sink);
		}
		ips_status_t st = u->journal == 1 ? ips_scanner_scan_journal_dir(sc, u->path)
				  : u->journal == 2 ? ips_scanner_scan_journal_local(sc)
				  : ips_scanner_scan_path(sc, u->path);

		pthread_mutex_lock(&p->mu);
		p->slots[i].res = res;
		p->slots[i].corr = corr;
		p->slots[i].st = st;
		p->slots[i].done = true;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->mu);
	}
	/* the scanner stays (for its match-limit counts), bound to results and
	 * a sink it no longer touches: freeing it frees only what it owns */
	return NULL;
}

ips_status_t ips_jobs_scan(const ips_rules_t *rules, const ips_scan_opts_t *opts,
			   ips_results_t *out, ips_vec_t *units, int threads)
{
	size_t n = units->len;
	pool_t p = {.rules = rules, .opts = opts, .units = units, .ahead = IPS_JOBS_AHEAD};
	p.slots = ips_xcalloc(n ? n : 1, sizeof *p.slots);
	size_t nw = threads > 0 ? (size_t)threads : 1;
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
		p.ahead = SIZE_MAX;
		work(&ws[0]);
	}

	ips_correlator_t *corr = ips_correlator_new(rules, out);
	ips_status_t res = IPS_OK;
	for (size_t i = 0; i < n; i++) {
		ips_scan_unit_t *u = units->items[i];
		if (!u->path) {
			if (u->error->status == IPS_INPUT_ERROR)
				res = IPS_E_INPUT; /* not a --missing-ok note */
			ips_vec_push(&out->inputs, u->error);
			u->error = NULL;
		} else {
			pthread_mutex_lock(&p.mu);
			while (!p.slots[i].done)
				pthread_cond_wait(&p.cond, &p.mu);
			pthread_mutex_unlock(&p.mu);
			slot_t *sl = &p.slots[i];
			size_t input_off = out->inputs.len, finding_off = out->findings.len;
			ips_results_append(out, sl->res);
			ips_correlator_absorb(corr, sl->corr, input_off, finding_off);
			ips_results_free(sl->res);
			ips_correlator_free(sl->corr);
			/* done with (workers look only past p.next): a million files'
			 * units cost ~100 MB, their memory serves the inputs to come */
			ips_scan_unit_free(u);
			units->items[i] = NULL;
			if (sl->st != IPS_OK)
				res = IPS_E_INPUT;
		}
		pthread_mutex_lock(&p.mu);
		p.merged = i + 1;
		pthread_cond_broadcast(&p.cond);
		pthread_mutex_unlock(&p.mu);
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	for (size_t i = 0; i < n; i++)
		ips_scan_unit_free(units->items[i]);
	units->len = 0;

	ips_correlator_finish(corr);
	ips_correlator_free(corr);
	const ips_matcher_t **ms = ips_xcalloc(nw, sizeof *ms);
	size_t nm = 0;
	for (size_t i = 0; i < nw; i++)
		if (p.scanners[i])
			ms[nm++] = ips_scanner_matcher(p.scanners[i]);
	ips_scan_limit_notes(rules, out, ms, nm);
	for (size_t i = 0; i < nw; i++)
		ips_scanner_free(p.scanners[i]);
	free(ms);
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.mu);
	free(p.scanners);
	free(p.slots);
	free(ws);
	free(tids);
	return res;
}
