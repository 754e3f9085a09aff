/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan_run.h - a whole scan or merge run, from parsed options to the report
 * on disk: read the inputs with the driver the options pick (run/batch.c,
 * run/jobs.c, cron mode through run/cron_scan.c, or run/merge.c), print what
 * could not be read and the run's notes on stderr, write the report (a
 * regular file -o is replaced whole), and in cron mode commit the state
 * around the report (docs/cron.md). Live mode (--follow) is run/live.c.
 *
 * Owns: the results, the state (cron mode) and the merge of one run, freed
 * before it returns. Borrows: the options and the rules.
 */
#ifndef IPS_SCAN_RUN_H
#define IPS_SCAN_RUN_H

#include <stdbool.h>

#include "detect/rules.h"
#include "run/options.h"
#include "util/status.h"

/* What main needs for the exit status of a run that did not fail. */
typedef struct ips_run_outcome {
	bool input_failed;             /* an input unreadable, truncated, corrupt, conflicting */
	ips_severity_t max_severity;   /* of the findings reported */
} ips_run_outcome_t;

/*
 * Run a scan (or a merge, o->merging) as o says. IPS_OK: the report was
 * written (or, --quiet with nothing found, not needed) and *oc says how the
 * inputs went. Otherwise err says why: IPS_E_USAGE the state could not be
 * opened (locked, corrupt); IPS_E_INTERNAL the state could not be saved or
 * the report written.
 */
ips_status_t ips_scan_run(const ips_run_opts_t *o, const ips_rules_t *r, ips_run_outcome_t *oc,
			  ips_error_t *err);

#endif
