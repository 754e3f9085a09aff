/* SPDX-License-Identifier: Apache-2.0 */
/*
 * merge.h - `ipsec-scan merge`: read the NDJSON reports of many hosts or
 * many runs, keep each finding once (by its stable id), and rebuild the
 * results as one scan of all their inputs would have made them: inputs,
 * findings in input order, the streamed stage's windows, then the
 * correlator's joining stage across everything (docs/scale.md).
 * Implemented in merge_read.c (reading and validating the NDJSON records)
 * and merge_join.c (the merger's life and the join), which share the
 * private merge_state.h.
 *
 * Ownership: the merger borrows the rules, which must outlive it; the
 * results it fills borrow from both (it owns the entries and rule ids the
 * rules lack), so free the results first. ips_merge_finish() moves what it
 * read into the caller's results. Reading never prints: problems are kept as
 * "FILE:LINE: message" lines for the caller to show.
 */
#ifndef IPS_MERGE_H
#define IPS_MERGE_H

#include <stdio.h>

#include "detect/results.h"
#include "detect/rules.h"

typedef struct ips_merge_opts {
	ips_severity_t min_severity; /* findings below are left out (counted as filtered) */
	ips_time_t since, until;     /* valid only when given; untimed findings are kept */
	size_t max_line;             /* longest NDJSON line read (default 4 MiB) */
	bool follow_links;           /* --follow-links: symbolic links inside directories too */
} ips_merge_opts_t;

void ips_merge_opts_default(ips_merge_opts_t *o);

typedef struct ips_merge ips_merge_t;

ips_merge_t *ips_merge_new(const ips_rules_t *rules, const ips_merge_opts_t *o);
void ips_merge_free(ips_merge_t *m);

/*
 * Read a file, "-" (standard input), or a directory (its *.ndjson and
 * *.jsonl files, recursively, in name order, through the scanner's walker,
 * input/walk.h: names starting with '.' left out, at most 64 levels, a
 * symbolic link inside a directory not followed unless follow_links but
 * counted in a note). A line that is not an NDJSON
 * record of ours is skipped with an error. Returns IPS_E_INPUT when the file
 * could not be read or a line was skipped, IPS_OK otherwise.
 */
ips_status_t ips_merge_add_path(ips_merge_t *m, const char *path);
/* Read an open stream under a name (for messages); the stream stays open. */
ips_status_t ips_merge_add_stream(ips_merge_t *m, FILE *f, const char *name);

/*
 * Everything is read: put the inputs, findings and windows into out (which
 * must be empty), correlate, and add notes for what was left out. The
 * merger keeps nothing after this but its errors.
 */
void ips_merge_finish(ips_merge_t *m, ips_results_t *out);

/* Problems met while reading: the first 100 as "FILE:LINE: message". */
size_t ips_merge_error_count(const ips_merge_t *m);     /* all of them */
/* Records of one finding id that differ (severity, text, time, rule, place):
 * each is among the errors, the higher severity is kept, and the run exits 3. */
bool ips_merge_conflicted(const ips_merge_t *m);
size_t ips_merge_errors_kept(const ips_merge_t *m);
const char *ips_merge_error_at(const ips_merge_t *m, size_t i);

#endif
