/* SPDX-License-Identifier: Apache-2.0 */
/*
 * batch.h - the batch driver: read the named inputs one after another with
 * one scanner, correlate what it finds, finish (the default run mode; with a
 * state, cron mode: docs/cron.md).
 *
 * Owns: the scanner, the correlator its finding sink feeds and, in cron
 * mode, the cron context. Borrows: the rules, the options, the results
 * (which receive findings, incidents and notes) and the state; all must
 * outlive it.
 */
#ifndef IPS_BATCH_H
#define IPS_BATCH_H

#include <stdint.h>

#include "detect/match.h"
#include "detect/results.h"
#include "detect/rules.h"
#include "detect/scan.h"
#include "run/state.h"

typedef struct ips_batch ips_batch_t;

ips_batch_t *ips_batch_new(const ips_rules_t *rules, const ips_scan_opts_t *opts,
			   ips_results_t *out);
/* The same with a matcher the caller keeps (ips_scanner_new_shared()). */
ips_batch_t *ips_batch_new_shared(const ips_rules_t *rules, const ips_scan_opts_t *opts,
				  ips_results_t *out, ips_matcher_t *m);
/* Cron mode from now on (run/cron_scan.h); st is borrowed; threads: 2 or
 * more reads a large file's new lines in ranges on threads. */
void ips_batch_set_state(ips_batch_t *b, ips_state_t *st, int threads);
/* ips_scanner_exclude(). */
void ips_batch_exclude(ips_batch_t *b, uint64_t dev, uint64_t ino);
/* ips_scanner_scan_path(), ips_scanner_scan_journal_local(), ips_scanner_scan_source(). */
ips_status_t ips_batch_scan_path(ips_batch_t *b, const char *path);
ips_status_t ips_batch_scan_journal_local(ips_batch_t *b);
ips_status_t ips_batch_scan_source(ips_batch_t *b, ips_source_t *src);
/*
 * All inputs are read: correlate (windows and incidents into the results),
 * in cron mode forget the records of files gone for long (ips_cron_finish()),
 * add the run-wide notes (ips_scanner_finish()).
 */
void ips_batch_finish(ips_batch_t *b);
void ips_batch_free(ips_batch_t *b);

#endif
