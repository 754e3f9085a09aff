/* SPDX-License-Identifier: Apache-2.0 */
/*
 * journal.h - the systemd journal: binary journal files, folders of them and
 * the local journal (read with libsystemd's sd-journal), and the text forms
 * `journalctl -o export` and `journalctl -o json` (parsed here).
 *
 * Every entry becomes one record whose text is a syslog-style line,
 * "TIME HOST IDENTIFIER[PID]: MESSAGE" (TIME in UTC to the microsecond), so
 * the line detectors match journal entries as they match syslog, and whose
 * fields are the journal's own: _HOSTNAME, SYSLOG_IDENTIFIER, _PID,
 * _SYSTEMD_UNIT, PRIORITY, _BOOT_ID, __REALTIME_TIMESTAMP,
 * __MONOTONIC_TIMESTAMP and __CURSOR, where the entry has them. A record's
 * offset is the entry's sequence number in a binary journal (stable across
 * runs, so finding ids are), its byte offset in a text export.
 *
 * Ownership: filters are borrowed; ips_journal_pos_t.end_cursor is owned by
 * the caller once set. Nothing else is kept after a call returns.
 */
#ifndef IPS_JOURNAL_H
#define IPS_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input/framer.h"

/* The name of the local journal's input (inputs[].path, the state's key). */
#define IPS_JOURNAL_LOCAL_NAME "(journal)"

/*
 * --journal-match and --journal-unit: applied to binary journals (files,
 * folders, local). Matches follow journalctl: the same field given twice is
 * "either", different fields are "both", and "+" starts an alternative. Units
 * (_SYSTEMD_UNIT=NAME, ".service" added when NAME has no unit suffix) are
 * "any of them", and must hold as well as the matches.
 */
typedef struct ips_journal_filter {
	const char *const *matches;  /* "FIELD=VALUE" or "+" */
	size_t nmatches;
	const char *const *units;
	size_t nunits;
} ips_journal_filter_t;

/* NULL when a --journal-match argument is usable, else why not (static text). */
const char *ips_journal_match_check(const char *arg);

/* Which binary journal to read. */
typedef struct ips_journal_where {
	bool local;                  /* the local journal (sd_journal_open) */
	const char *const *paths;    /* else these files, read as one journal */
	size_t npaths;
	int fd;                      /* else this open file (borrowed), when >= 0 */
} ips_journal_where_t;

/*
 * Cron mode: where the last run stopped, and where this one did. A journal
 * may hold several sources (a folder of remote hosts' files): the position
 * is the cursor of the last entry read of each, joined by ','. An entry is
 * new when its source is unknown or its sequence number lies past that
 * cursor's. Reading starts IPS_JOURNAL_RESUME_MARGIN_US before the oldest
 * of those entries' times, so entries a source delivers later than that
 * margin are not found.
 */
#define IPS_JOURNAL_SOURCES_MAX 256
#define IPS_JOURNAL_RESUME_MARGIN_US (86400ULL * 1000000) /* one day */
typedef struct ips_journal_pos {
	const char *cursor;  /* in: cursors ("C1,C2"), NULL: from the first entry */
	uint64_t line;       /* in: entries read before (record numbers continue) */
	char *end_cursor;    /* out: the cursors now (caller frees), or NULL: none */
	uint64_t end_line;   /* out: entries read up to, counting earlier runs' */
	uint64_t skipped;    /* out: entries passed over as read by earlier runs */
} ips_journal_pos_t;

/*
 * Read a binary journal to its end, each entry (matching the filter) to
 * the sink. pos may be NULL (read everything). Errors (a file that is not
 * a journal, a corrupt entry) go to the sink and return IPS_E_INPUT; what
 * could be read is still read. *what, when not NULL, gets a static word for
 * the input's note on failure to open ("cannot open" ...).
 */
ips_status_t ips_journal_read(const ips_journal_where_t *w, const ips_journal_filter_t *f,
			      ips_journal_pos_t *pos, ips_sink_t *sink,
			      const ips_frame_limits_t *lim);

/* A binary journal read from a source (a file, or copied from an archive
 * member to a temporary file first), with the filter, without a cursor. */
ips_status_t ips_journal_run_source(ips_source_t *src, const ips_journal_filter_t *f,
				    ips_sink_t *sink, const ips_frame_limits_t *lim);

/*
 * Open a binary journal without reading it: NULL when it can be read,
 * else why not (caller frees). Used to name a bad file of a folder.
 */
char *ips_journal_probe(const char *path);

/* A binary journal file (its first bytes are the journal's signature)? */
bool ips_journal_is_binary(const unsigned char *head, size_t n);
/* A name a journal file has in a journal folder (*.journal, *.journal~). */
bool ips_journal_is_file_name(const char *name);

#endif
