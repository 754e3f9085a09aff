/* SPDX-License-Identifier: Apache-2.0 */
/* batch.c - see batch.h. */
#include "run/batch.h"

#include <stdlib.h>

#include "correlate/correlate.h"
#include "run/cron_scan.h"
#include "util/util.h"

struct ips_batch {
	const ips_rules_t *rules;
	const ips_scan_opts_t *opts;
	ips_results_t *out;
	ips_scanner_t *sc;
	ips_correlator_t *corr;
	ips_cron_scan_t *cron; /* cron mode */
};

static ips_batch_t *batch_new(const ips_rules_t *rules, const ips_scan_opts_t *opts,
			      ips_results_t *out, ips_matcher_t *m)
{
	ips_batch_t *b = ips_xcalloc(1, sizeof *b);
	b->rules = rules;
	b->opts = opts;
	b->out = out;
	b->corr = ips_correlator_new(rules, out);
	ips_finding_sink_t sink;
	ips_correlator_sink(b->corr, &sink);
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

void ips_batch_set_state(ips_batch_t *b, ips_state_t *st, int threads)
{
	if (b->cron || !st)
		return; /* once, before the first input */
	b->cron = ips_cron_scan_new(st, b->corr, b->rules, b->opts, threads);
	ips_correlator_set_threads(b->corr, threads); /* its incidents, at the end */
	ips_cron_scan_wire(b->cron, b->sc, b->out);
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
		ips_cron_scan_finish(b->cron);
	ips_scanner_finish(b->sc);
}

void ips_batch_free(ips_batch_t *b)
{
	if (!b)
		return;
	ips_scanner_free(b->sc);
	ips_cron_scan_free(b->cron);
	ips_correlator_free(b->corr);
	free(b);
}
