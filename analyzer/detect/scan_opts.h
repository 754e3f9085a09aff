/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan_opts.h - what a driver hands the scanner (scan.h): its options, a
 * resume point (ips_scan_from_t) and hooks (ips_scan_hooks_t). Apart from
 * scan.h so that the scanner's private header (scan_priv.h) can use them.
 * Plain data: every pointer in them is borrowed.
 */
#ifndef IPS_SCAN_OPTS_H
#define IPS_SCAN_OPTS_H

#include <stdbool.h>

#include "input/container.h"
#include "detect/finding_sink.h"
#include "input/framer.h"
#include "input/journal.h"
#include "detect/match.h"
#include "detect/results.h"
#include "detect/rules.h"

typedef struct ips_scanner ips_scanner_t;

typedef struct ips_scan_opts {
	const char *input_format;    /* --input-format, or NULL to detect */
	int year;                    /* --year, 0 = from the input's mtime */
	ips_time_t since, until;     /* valid only when given */
	ips_severity_t min_severity; /* findings below are dropped */
	const char *source;          /* --source-host: the machine the inputs come from, or NULL */
	bool follow_links;           /* --follow-links: symbolic links inside directories too */
	ips_frame_limits_t frame;
	ips_match_limits_t match;
	ips_archive_limits_t archive;
	ips_journal_filter_t journal; /* --journal-match, --journal-unit (borrowed) */
	bool missing_ok;             /* --missing-ok: a named input that does not exist is a note */
	/* --include (+GLOB) and --exclude (-GLOB) in order, for the files of named
	 * directories and archives (borrowed; input/nonlog.h ips_glob_excluded) */
	const char *const *globs;
	size_t nglobs;
} ips_scan_opts_t;

/*
 * Defaults: 1 MiB records, 1 MiB blocks, PCRE2 match limit 1,000,000;
 * archive members up to 64 GiB decompressed, at most 1000:1, 8 levels deep.
 */
void ips_scan_opts_default(ips_scan_opts_t *o);

/*
 * Resume a source where an earlier run stopped (ips_scanner_scan_from()).
 */
typedef struct ips_scan_from {
	int fd;                   /* the plain file (look back, last whole line); -1: none */
	uint64_t size;            /* its size, when fd >= 0 */
	uint64_t offset, line;
	bool nothing_new;         /* the same size as then: not read at all */
	bool to_end;              /* a rotated file's rest: a last line without '\n' too */
	const char *note;         /* how and why it is read, for the input's note (borrowed) */
	uint64_t end_offset, end_line; /* out */
} ips_scan_from_t;

/*
 * The driver's say in what is read (cron mode). All optional; ctx borrowed.
 */
typedef struct ips_scan_hooks {
	/* A regular file (named or met in a directory; not a journal, not "-"),
	 * open as src with descriptor fd: the hook reads it (scan_from,
	 * scan_source, add_input) and returns what ips_scanner_scan_path would. */
	ips_status_t (*file)(void *ctx, ips_scanner_t *s, ips_source_t *src, int fd,
			     const char *path);
	/* The one stream of a compressed file at the top level, before it is
	 * read: true when the hook read it (ips_scanner_scan_from()). */
	bool (*stream)(void *ctx, ips_scanner_t *s, ips_source_t *member);
	/* A journal `name` (input index `input`) is about to be read: set
	 * pos->cursor/line to continue after an entry; then its end (pos->end_*).
	 * Both or neither. */
	void (*journal_begin)(void *ctx, const char *name, size_t input, ips_journal_pos_t *pos);
	void (*journal_end)(void *ctx, const char *name, const ips_journal_pos_t *pos);
	/* An input's name for its entry: a copy that outlives the results (the
	 * entry borrows it, ips_results_borrow_input()), or NULL: the entry copies it. */
	const char *(*name)(void *ctx, const char *path);
	void *ctx;
} ips_scan_hooks_t;

#endif
