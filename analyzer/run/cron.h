/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cron.h - cron mode (--state): for each input file, what is new since the
 * last run, decided from the records of the state file (state.h).
 *
 * A file is known by its device and inode, its size and fingerprints of its
 * first bytes and of the bytes just before where earlier runs stopped. The
 * same file, grown, continues there, even under another name (rotated by
 * renaming); a file under another inode continues there only when all its
 * bytes up to that point hash as those earlier runs read (a copy: logrotate
 * copytruncate, compress), so no record it holds is skipped unseen. A file that shrank, whose first bytes changed, or
 * that is another file at the path is read from its start, after the unread
 * rest of the previous file where that can be found (PATH.1 or PATH.0 in the
 * same directory, or compressed: PATH.1.gz and the like). Containers are
 * known by a fingerprint of the whole file. docs/cron.md has the whole story.
 *
 * Decisions are taken against the records as they were when the run began;
 * what this run read is written into the state as it goes. The state is
 * saved by the caller, after the report.
 *
 * Ownership: the cron context borrows the state, which must outlive it.
 * Plans own their strings (ips_cron_plan_free()).
 */
#ifndef IPS_CRON_H
#define IPS_CRON_H

#include <stdbool.h>
#include <stdint.h>

#include "correlate/correlate.h"
#include "run/state.h"

typedef struct ips_cron ips_cron_t;

/* An open regular file as cron mode sees it. */
typedef struct ips_cron_id {
	uint64_t dev, ino, size;
	int64_t mtime;
	int64_t ctime;                          /* inode change time: any write changes it */
	uint32_t ctime_ns;
	unsigned char head[IPS_STATE_FP_BYTES]; /* its first bytes */
	uint32_t headlen;                       /* min(size, IPS_STATE_FP_BYTES) */
	int fd;                                 /* the open file (borrowed), for checks */
} ips_cron_id_t;

typedef enum ips_cron_how {
	IPS_CRON_NEW = 0,       /* no record: read from the start */
	IPS_CRON_GROWN = 1,     /* the file earlier runs read: new data from offset/line */
	IPS_CRON_TRUNCATED = 2, /* smaller than at the last run: from the start */
	IPS_CRON_REPLACED = 3,  /* its first bytes changed: from the start */
	IPS_CRON_ROTATED = 4,   /* another file at the path: from the start */
	IPS_CRON_AGAIN = 5,     /* read in this run already */
} ips_cron_how_t;

typedef struct ips_cron_plan {
	ips_cron_how_t how;
	uint64_t offset, line;  /* GROWN: bytes and lines earlier runs read */
	uint64_t size;          /* GROWN: its size then (equal now: nothing new) */
	char *was;              /* GROWN: the other path it had; AGAIN: the path read */
	bool copy;              /* GROWN: known by content (a copy), not by inode */
	/* TRUNCATED, REPLACED, ROTATED: the previous file's unread rest */
	char *tail;             /* PATH.1 or PATH.0 (or PATH.1.gz ...), or NULL */
	uint64_t tail_offset, tail_line;
	bool tail_compressed;   /* tail is compressed (PATH.1.gz): read from its start,
				   what lies before tail_offset is context only */
} ips_cron_plan_t;

ips_cron_t *ips_cron_new(ips_state_t *st);
void ips_cron_free(ips_cron_t *c);

/* fstat and the first bytes of an open file; false when it is not a regular file. */
bool ips_cron_identify(int fd, ips_cron_id_t *id);

/* What to read of the regular file at path, identified as *id. */
void ips_cron_plan(ips_cron_t *c, const char *path, const ips_cron_id_t *id,
		   ips_cron_plan_t *p);
void ips_cron_plan_free(ips_cron_plan_t *p);

/*
 * Record what this run read of a plain file: bytes and lines up to the end
 * of its last whole record. Its identity counts as read in this run.
 */
void ips_cron_record(ips_cron_t *c, const char *path, const ips_cron_id_t *id, uint64_t offset,
		     uint64_t line);
/*
 * The prefix fingerprint ips_cron_record() of the same file at `offset`
 * will need, computed now (cron mode's --jobs: on the main thread while the
 * workers read the file's ranges); ips_cron_record() uses it when it is
 * called next, for that file and offset, and drops it either way.
 */
void ips_cron_prefix_ahead(ips_cron_t *c, const char *path, const ips_cron_id_t *id,
			   uint64_t offset);

/*
 * Containers: true when the file at path (fd, *id) is an archive or
 * compressed file unchanged since an earlier run (same size, modification
 * time and fingerprint of head and tail), under this path or, renamed,
 * another (*was, borrowed). Either way it is recorded as seen.
 */
bool ips_cron_container(ips_cron_t *c, const char *path, int fd, const ips_cron_id_t *id,
			const char **was);

/*
 * A compressed file's decompressed first bytes: the head of a plain file an
 * earlier run read (logrotate's compress)? Then *offset and *line say how
 * far, *was (borrowed) which file. Only heads of at least 64 bytes count.
 */
bool ips_cron_copy_of(ips_cron_t *c, const char *path, const unsigned char *head, size_t n,
		      uint64_t *offset, uint64_t *line, const char **was);

/*
 * Reopen in the correlator the windows earlier runs left open in path, as
 * windows of input `input`, and take them out of the state (the end of the
 * input saves what is still open). Returns how many.
 */
size_t ips_cron_restore_windows(ips_cron_t *c, const char *path, ips_correlator_t *corr,
				size_t input);

/*
 * End the correlator's current input, keeping in the state, as windows of
 * path, the windows still open (ips_correlator_end_input_export()).
 * Returns how many.
 */
size_t ips_cron_save_windows(ips_cron_t *c, const char *path, ips_correlator_t *corr);

/*
 * The run is over: forget the records (and windows) of files that no longer
 * exist and had not changed for IPS_CRON_KEEP_DAYS days before `now`; every
 * other record is kept, read in this run or not.
 */
void ips_cron_finish(ips_cron_t *c, int64_t now);

/*
 * Journals (a journal file, a folder of them, the local journal): the cursor
 * of the last entry earlier runs read (borrowed; NULL: none) and the entries
 * counted up to it. Returns false when no run read this journal yet.
 */
bool ips_cron_journal(const ips_cron_t *c, const char *name, const char **cursor,
		      uint64_t *line);
/* What this run read of a journal: its last entry (NULL: nothing new). */
void ips_cron_journal_record(ips_cron_t *c, const char *name, const char *cursor,
			     uint64_t line, int64_t now);

/* How many days a vanished file's record is kept (docs/cron.md). */
#define IPS_CRON_KEEP_DAYS 7

#endif
