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
 * Cron mode (--state) reads its files one after the other (what it reads
 * of a log depends on what its rotated predecessor left), but the new lines
 * of one file, when they are many, are read in ranges on threads and joined
 * through cron mode's own scanner (ips_jobs_split_from()).
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

/* Cron mode's threads for ips_jobs_split_new(): `jobs` when given, else one
 * per processor (used only for a file with 32 MiB or more of new lines). */
int ips_jobs_cron_threads(int jobs);

/*
 * Cron mode: the new lines of one large file at a time, in ranges on
 * `threads` worker threads (NULL when threads < 2), joined in the calling
 * thread through cron mode's scanner. Borrows rules and opts.
 */
typedef struct ips_jobs_split ips_jobs_split_t;
/* Work for the calling thread while the workers read (ips_jobs_split_from()):
 * fn(ctx, end) with where the read will end if nothing fails. */
typedef struct ips_jobs_ahead {
	void (*fn)(void *ctx, uint64_t end);
	void *ctx;
} ips_jobs_ahead_t;
ips_jobs_split_t *ips_jobs_split_new(const ips_rules_t *rules, const ips_scan_opts_t *opts,
				     int threads);
/*
 * Read what from says of the file at path (open as from->fd, identity dev
 * and ino) in ranges, as ips_scanner_scan_from(s, ..., from) would: true,
 * with *st its status and from->end_* set, when it did; false, nothing
 * read, when the file is not worth splitting or cannot be (then the caller
 * reads it serially): js NULL, less than 32 MiB of new bytes
 * (IPSEC_SCAN_SPLIT_BYTES), not a plain line format, nothing new. ahead
 * (or NULL) is run on the calling thread once the workers have started.
 */
bool ips_jobs_split_from(ips_jobs_split_t *js, ips_scanner_t *s, const char *path,
			 uint64_t dev, uint64_t ino, ips_scan_from_t *from,
			 const ips_jobs_ahead_t *ahead, ips_status_t *st);
/* Add the workers' PCRE2 limit hits, less what the joins matched again, to
 * adjust (one per active detector): ips_scanner_add_limit_hits() takes them. */
void ips_jobs_split_limits(const ips_jobs_split_t *js, int64_t *adjust);
void ips_jobs_split_free(ips_jobs_split_t *js);

#endif
