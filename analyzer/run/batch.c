/* SPDX-License-Identifier: Apache-2.0 */
/* batch.c - see batch.h. */
#include "run/batch.h"

#include <stdlib.h>
#include <time.h>

#include "correlate/correlate.h"
#include "run/cron.h"
#include "util/util.h"

struct ips_batch {
	ips_scanner_t *sc;
	ips_correlator_t *corr;
	ips_state_t *state; /* cron mode: borrowed */
	ips_cron_t *cron;   /* cron mode */
};

static void on_finding(void *ctx, const ips_results_t *res, size_t index)
{
	(void)res;
	ips_batch_t *b = ctx;
	ips_correlator_finding(b->corr, index);
}

static void on_event(void *ctx, const ips_event_t *e)
{
	ips_batch_t *b = ctx;
	ips_correlator_event(b->corr, e);
}

static void on_end_input(void *ctx)
{
	ips_batch_t *b = ctx;
	ips_correlator_end_input(b->corr);
}

static void on_clock(void *ctx, const ips_time_t *t, uint64_t line)
{
	ips_batch_t *b = ctx;
	ips_correlator_note_time(b->corr, t, line);
}

static void on_cron_resume(void *ctx, const char *log, size_t input)
{
	ips_batch_t *b = ctx;
	ips_cron_restore_windows(b->cron, log, b->corr, input);
}

static void on_cron_end_input(void *ctx, const char *log)
{
	ips_batch_t *b = ctx;
	ips_cron_save_windows(b->cron, log, b->corr);
}

static ips_batch_t *batch_new(const ips_rules_t *rules, const ips_scan_opts_t *opts,
			      ips_results_t *out, ips_matcher_t *m)
{
	ips_batch_t *b = ips_xcalloc(1, sizeof *b);
	b->corr = ips_correlator_new(rules, out);
	ips_finding_sink_t sink = {.finding = on_finding, .event = on_event,
				   .end_input = on_end_input, .clock = on_clock,
				   .cron_resume = on_cron_resume,
				   .cron_end_input = on_cron_end_input, .ctx = b};
	b->sc = m ? ips_scanner_new_shared(rules, opts, out, &sink, m)
		  : ips_scanner_new(rules, opts, out, &sink);
	return b;
}

ips_batch_t *ips_batch_new(const ips_rules_t *rules, const ips_scan_opts_t *opts,
			   ips_results_t *out)
{
	return batch_new(rules, opts, out, NULL);
}

ips_batch_t *ips_batch_new_shared(const ips_rules_t *rules, const ips_scan_opts_t *opts,
				  ips_results_t *out, ips_matcher_t *m)
{
	return batch_new(rules, opts, out, m);
}

void ips_batch_set_state(ips_batch_t *b, ips_state_t *st)
{
	ips_cron_free(b->cron);
	b->state = st;
	b->cron = st ? ips_cron_new(st) : NULL;
	ips_scanner_set_cron(b->sc, st, b->cron);
}

void ips_batch_exclude(ips_batch_t *b, uint64_t dev, uint64_t ino)
{
	ips_scanner_exclude(b->sc, dev, ino);
}

ips_status_t ips_batch_scan_path(ips_batch_t *b, const char *path)
{
	return ips_scanner_scan_path(b->sc, path);
}

ips_status_t ips_batch_scan_journal_local(ips_batch_t *b)
{
	return ips_scanner_scan_journal_local(b->sc);
}

ips_status_t ips_batch_scan_source(ips_batch_t *b, ips_source_t *src)
{
	return ips_scanner_scan_source(b->sc, src);
}

void ips_batch_finish(ips_batch_t *b)
{
	ips_correlator_finish(b->corr);
	if (b->cron)
		ips_cron_finish(b->cron, (int64_t)time(NULL));
	ips_scanner_finish(b->sc);
}

void ips_batch_free(ips_batch_t *b)
{
	if (!b)
		return;
	ips_scanner_free(b->sc);
	ips_correlator_free(b->corr);
	ips_cron_free(b->cron);
	free(b);
}
