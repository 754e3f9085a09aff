/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan.h - the scanner: inputs -> source -> framer -> matcher -> findings.
 * Expands directories, detects each input's format, applies
 * --since/--until/--min-severity, builds findings and correlation events,
 * and records what could not be read. It does not correlate: findings and
 * events go to the finding sink of the driver that runs it (run/).
 *
 * It knows no run mode: cron mode (run/cron_scan.c) decides through hooks
 * what to read of each file and asks it to resume a source where an earlier
 * run stopped (ips_scanner_scan_from()).
 *
 * Owns: its matcher (unless borrowed, ips_scanner_new_shared()), its context
 * table. Borrows: the rules, the results it writes into, the finding sink
 * and the hooks (both copied; their ctx borrowed): all must outlive it.
 */
#ifndef IPS_SCAN_H
#define IPS_SCAN_H

#include <stdbool.h>

#include "detect/scan_opts.h"



ips_scanner_t *ips_scanner_new(const ips_rules_t *rules, const ips_scan_opts_t *opts,
			       ips_results_t *out, const ips_finding_sink_t *sink);
/*
 * The same with a matcher the caller made from the same rules and
 * opts->match and keeps (borrowed; its limit counters are reset). Building
 * the matcher is most of a scanner's set-up: the fuzz targets, which scan
 * one small input per scanner, share one.
 */
ips_scanner_t *ips_scanner_new_shared(const ips_rules_t *rules, const ips_scan_opts_t *opts,
				      ips_results_t *out, const ips_finding_sink_t *sink,
				      ips_matcher_t *m);
/*
 * Scan a path: a file, a FIFO, a directory (recursively, in name order) or
 * "-" for stdin. Errors are recorded in the results' inputs; returns
 * IPS_E_INPUT if anything could not be read, IPS_OK otherwise.
 */
ips_status_t ips_scanner_scan_path(ips_scanner_t *s, const char *path);
/*
 * The local systemd journal (--journal), as the input "(journal)"; in cron
 * mode from the entry after the saved cursor. Same return as scan_path.
 */
ips_status_t ips_scanner_scan_journal_local(ips_scanner_t *s);
/* The journal files of one folder (*.journal, *.journal~), read as one journal
 * named by the folder: what a directory scan does with them (--jobs units). */
ips_status_t ips_scanner_scan_journal_dir(ips_scanner_t *s, const char *dir);
/* Scan an already open source under its name (used by tests and archives). */
ips_status_t ips_scanner_scan_source(ips_scanner_t *s, ips_source_t *src);
/*
 * Resume a source where an earlier run stopped (cron mode, docs/cron.md):
 * earlier runs read `offset` bytes, `line` lines (whole records). A line
 * format continues there, after re-reading up to 64 KiB before it for
 * context, when fd can be read and the source seeks; other formats, and
 * sources that cannot seek, are read again from the start and what lies
 * before `offset` gives context only (no finding, event or count). Reading
 * stops at the last whole line unless to_end. On return end_offset and
 * end_line say how far whole records were read (offset and line when
 * nothing new was). The input's entry is named as the source.
 */
ips_status_t ips_scanner_scan_from(ips_scanner_t *s, ips_source_t *src, ips_scan_from_t *from);

void ips_scanner_set_hooks(ips_scanner_t *s, const ips_scan_hooks_t *h);
/* For hooks: a new input entry for path, in order (borrowed; the results own it). */
ips_input_t *ips_scanner_add_input(ips_scanner_t *s, const char *path);
/* For hooks: whether an input entry of that path exists already. */
bool ips_scanner_has_input(const ips_scanner_t *s, const char *path);
/* For hooks: an input that could not be read; returns IPS_E_INPUT. */
ips_status_t ips_scanner_input_error(ips_scanner_t *s, const char *path, const char *msg);
/*
 * Never read the file (device, inode) as an input, not even inside a
 * directory: the report this run writes, the state file and its lock
 * (up to 4 such files).
 */
void ips_scanner_exclude(ips_scanner_t *s, uint64_t dev, uint64_t ino);
/*
 * Count adjust[i] (one per active detector) more PCRE2 limit hits for
 * detector i in ips_scanner_finish()'s notes: those of other matchers that
 * read part of this scanner's inputs (cron mode's --jobs, run/jobs.h).
 */
void ips_scanner_add_limit_hits(ips_scanner_t *s, const int64_t *adjust);
/* Add run-wide notes (detectors that hit their match limit). */
void ips_scanner_finish(ips_scanner_t *s);
/* The notes of ips_scanner_finish() for detectors that hit the PCRE2 match
 * limit, counted over the matchers of several scanners (--jobs), plus
 * adjust[i] for active detector i when adjust is not NULL (--jobs within
 * one file: what the join's matcher alone matched, less what was matched
 * twice). */
void ips_scan_limit_notes(const ips_rules_t *rules, ips_results_t *res,
			  const ips_matcher_t *const *ms, size_t nm, const int64_t *adjust);

/*
 * The notes of an input named but not read, shared with the input planner
 * (run/plan.c, --jobs), which must say the same: a file that is not a log
 * (kind as input/nonlog.h names it; the caller frees), and a named input
 * that does not exist (--missing-ok).
 */
char *ips_scan_nonlog_note(const char *kind);
#define IPS_SCAN_NOTE_MISSING "does not exist (--missing-ok): nothing read"
/*
 * Scan into other results and another finding sink from now on (--jobs: one
 * per input), with an empty context table; the matcher is kept.
 */
void ips_scanner_target(ips_scanner_t *s, ips_results_t *out, const ips_finding_sink_t *sink);
const ips_matcher_t *ips_scanner_matcher(const ips_scanner_t *s);
void ips_scanner_free(ips_scanner_t *s);

/*
 * Live mode (--follow and streamed standard input, docs/live.md; driven by
 * live.c, whose finding sink has record_done set).
 *
 * A stream of lines of a line format (framer.h): a new input entry; hand it
 * blocks of whole lines with ips_sink_lines() and cut long lines with
 * ips_sink_record(). ref_time stands for the modification time (the year of
 * timestamps without one). Close frees the sink and records the counts.
 */
ips_sink_t *ips_scanner_stream_open(ips_scanner_t *s, const char *name, const char *format,
				    int64_t ref_time);
void ips_scanner_stream_close(ips_scanner_t *s, ips_sink_t *k, uint64_t records, uint64_t bytes);
/* The input entry of a stream (borrowed; owned by the results). */
ips_input_t *ips_scanner_stream_input(ips_sink_t *k);

#endif
