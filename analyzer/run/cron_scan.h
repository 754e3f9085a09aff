/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cron_scan.h - cron mode's reading (--state, docs/cron.md): for each file
 * the scanner meets, what is new since the last run (cron.h decides), read
 * with ips_scanner_scan_from(); the rest of a rotated log's previous file
 * first; the windows a log left open carried from run to run; journals
 * continued after their cursor; what was read recorded in the state.
 *
 * It is the scanner's hooks (ips_scan_hooks_t) and finding sink in cron
 * mode: the sink feeds the correlator, except that the end of a log's input
 * keeps its open windows in the state (ips_cron_save_windows()).
 *
 * Owns: its cron context. Borrows: the state, the correlator, the rules,
 * the scan options and the results: all must outlive it. The results' input entries
 * borrow their paths from the state (ips_state_name()): the state must
 * outlive the results too. The state is saved by the caller, after the
 * report.
 */
#ifndef IPS_CRON_SCAN_H
#define IPS_CRON_SCAN_H

#include "correlate/correlate.h"
#include "detect/scan.h"
#include "run/state.h"

typedef struct ips_cron_scan ips_cron_scan_t;

/* threads: 2 or more reads the new lines of a large file in ranges on
 * that many threads (run/jobs.h), with the same result. */
ips_cron_scan_t *ips_cron_scan_new(ips_state_t *st, ips_correlator_t *corr,
				   const ips_rules_t *rules, const ips_scan_opts_t *opts,
				   int threads);
/*
 * Wire a scanner for cron mode: its hooks, its finding sink (into out), and
 * the state file and its lock excluded from the inputs.
 */
void ips_cron_scan_wire(ips_cron_scan_t *cs, ips_scanner_t *sc, ips_results_t *out);
/* The run is over: forget the records of files gone for long (ips_cron_finish());
 * the ranges' PCRE2 limit hits go to the wired scanner's notes. */
void ips_cron_scan_finish(ips_cron_scan_t *cs);
void ips_cron_scan_free(ips_cron_scan_t *cs);

#endif
