/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jobs.h - --jobs N: read several inputs at once, report as one scan would.
 *
 * The inputs are first listed by the input planner (run/plan.h: directories
 * expanded in name order, names that cannot be read noted in their place),
 * exactly as a serial scan meets them. Up to N worker threads take the next input in that order; each has
 * its own scanner (matcher, PCRE2 match data, prefilter scratch, context
 * table) and scans the input into results of its own, with a correlator of
 * its own for the streamed stage (which never spans two inputs). The main
 * thread appends each input's results in list order as soon as all earlier
 * ones are appended, shifting indexes, and finally runs the group and
 * threshold stage over everything: the report is byte for byte the one of
 * a serial scan (tests/jobs/run.sh checks every format).
 *
 * One large file of a line format is read in byte ranges, an EVTX file of
 * 8 MiB or more in ranges of whole 64 KiB chunks (detect/scan_split.h):
 * its ranges are tasks like inputs, taken in order by any worker, which keeps
 * only the records with a detector hit; the main thread joins them in file
 * order through a scanner of its own, so the input's results are those of
 * one pass.
 *
 * Not for cron mode (--state): what cron mode reads of one file depends on
 * the state the previous files of the same log left (rotation), so it stays
 * serial.
 *
 * Memory: at most IPS_JOBS_AHEAD inputs past the oldest unmerged one are
 * started, so a slow first input does not let the others pile up; at most
 * 4 line ranges per thread (EVTX ranges, which keep less, as inputs).
 */
#ifndef IPS_JOBS_H
#define IPS_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "detect/results.h"
#include "detect/rules.h"
#include "detect/scan.h"
#include "run/plan.h"

#define IPS_JOBS_AHEAD 64

/*
 * How many threads to use for units: `jobs` when given (>= 1), else, with
 * jobs 0 (the default), one per processor but only as many as there are
 * inputs of 16 MiB on average, so that small scans start no thread. Never
 * more than there are inputs (a file that may be split counts as its
 * ranges); 1 when a stream (stdin, a FIFO) is named twice.
 */
int ips_jobs_threads(int jobs, const ips_vec_t *units, uint64_t total);

/*
 * Scan the units (from ips_plan_inputs(), freed here) with `threads` threads
 * into out, correlate and finish (the notes of ips_scanner_finish()).
 * Returns IPS_E_INPUT when any input could not be read, as
 * ips_scanner_scan_path() does.
 */
ips_status_t ips_jobs_scan(const ips_rules_t *rules, const ips_scan_opts_t *opts,
			   ips_results_t *out, ips_vec_t *units, int threads);

#endif
