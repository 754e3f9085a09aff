/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan_split.h - --jobs within one large file: a plain file of a line format
 * read as byte ranges, or an EVTX file as ranges of 64 KiB chunks, on
 * several threads, reported as one serial scan of it would be. How and why
 * it is exact: scan_split.c.
 *
 * Use (run/jobs.c): ips_split_plan() on the file; if it returns a plan, any
 * thread reads range i with ips_split_probe() (a scanner of its own, for its
 * matcher), and one thread hands the parts, in range order, to
 * ips_split_join() with the scanner that writes the input's results (its
 * own matcher too: see ips_split_join()), then ips_split_finish().
 *
 * Ownership: the plan owns a descriptor of the file and its name; probes
 * only read it (any number at once). A part belongs to the caller until
 * ips_split_join(), which frees it.
 */
#ifndef IPS_SCAN_SPLIT_H
#define IPS_SCAN_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/scan.h"

typedef struct ips_split ips_split_t;
typedef struct ips_split_part ips_split_part_t;

/* When files are split and into what (run/jobs.c). */
typedef struct ips_split_sizes {
	uint64_t min, range;            /* line formats: from min bytes, ranges of about range */
	uint64_t evtx_min, evtx_range;  /* EVTX: the same, in whole 64 KiB chunks */
	size_t max_ranges;
} ips_split_sizes_t;

/*
 * Cron mode (--state): only the new lines of a file are read, after a look
 * back for context (ips_scan_resume_span() says where, as a serial resumed
 * read takes them: scan_resume.c).
 */
typedef struct ips_split_resume {
	uint64_t dev, ino;      /* the file the caller has open (another one now: not split) */
	uint64_t from, line;    /* the first byte read (a line start) and its line number */
	uint64_t drop_below;    /* records before this offset give context only */
	uint64_t limit;         /* where reading stops */
	bool whole_lines;       /* leave a last line without '\n' unread */
	bool changed;           /* the file changed before the resume point: read from 0 */
	const char *note;       /* the driver's note on the input (borrowed), or NULL */
} ips_split_resume_t;

/*
 * Resuming a line format in a file that can seek (cr->fd, cr->size):
 * where reading starts, what earlier runs reported, where it stops, as
 * ips_scanner_scan_from() takes them (cr->offset and line are reset to 0
 * when the file changed before them; cr->end_* set to what earlier runs
 * read). False when there is no whole new line to read.
 */
bool ips_scan_resume_span(const ips_frame_limits_t *fl, ips_scan_from_t *cr,
			  ips_split_resume_t *r);

/*
 * A plan for path, or NULL when it is not split (then scan it as a whole):
 * not a regular file of at least sz->min bytes (sz->evtx_min for EVTX), or
 * not one that a serial scan reads with a line framer from its first byte
 * (archives, compressed files, UTF-16 and UTF-8 with a byte order mark,
 * journals, every structured and multi-line format) or as an EVTX file of
 * at least 2 chunks. Line ranges are about sz->range bytes long (at most
 * sz->max_ranges) and start after a '\n'; EVTX ranges are whole chunks.
 * With resume (cron mode; else NULL), only [resume->from, resume->limit)
 * of a line format is planned, and it must be sz->min bytes or more; the
 * join reports it as ips_scanner_scan_from() would (notes, counts, records
 * before drop_below as context only, the input's clock).
 */
ips_split_t *ips_split_plan(const ips_scan_opts_t *opts, const char *path,
			    const ips_split_sizes_t *sz, const ips_split_resume_t *resume);
size_t ips_split_ranges(const ips_split_t *sp);
/* Is it an EVTX file (ranges of chunks)? */
bool ips_split_is_evtx(const ips_split_t *sp);
/* Read range i (thread-safe for distinct calls; s is this thread's own). */
ips_split_part_t *ips_split_probe(ips_scanner_t *s, const ips_split_t *sp, size_t i);
/*
 * Join range i, after ranges 0..i-1 (each exactly once, in order), into the
 * results s writes (range 0 makes the input's entry): its records with a
 * hit go through the scanner's stateful half. Frees part. s's matcher
 * matches those records a second time: its PCRE2 limit counts are not the
 * run's (the probes' are), so s must not be one whose counts are reported.
 */
void ips_split_join(ips_scanner_t *s, ips_split_t *sp, size_t i, ips_split_part_t *part);
/* After the last range: the input's counts and notes; what
 * ips_scanner_scan_path() returns for it. */
ips_status_t ips_split_finish(ips_scanner_t *s, ips_split_t *sp);
/*
 * After ips_split_finish() of a resumed plan: where reading stopped, for
 * the state (the end of the last whole line read, and its line number), as
 * ips_scanner_scan_from() sets cr->end_offset and end_line. False when
 * nothing past drop_below was read: what earlier runs read stands.
 */
bool ips_split_end(const ips_split_t *sp, uint64_t *end_offset, uint64_t *end_line);
/* After ips_split_finish(): add to adjust (one per active detector) the
 * PCRE2 limit hits to count beyond the probes' matchers' (EVTX: what the
 * join alone matched, less what the probes matched of a file read whole);
 * ips_scan_limit_notes() takes them. */
void ips_split_limit_adjust(const ips_split_t *sp, int64_t *adjust);
void ips_split_part_free(ips_split_part_t *part);
void ips_split_free(ips_split_t *sp);

#endif
