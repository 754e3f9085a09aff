/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state.h - cron mode: what earlier runs read, kept in a state file.
 *
 * Per file: its path, device, inode, size, modification and inode change
 * times, a fingerprint of its first bytes, how far it was read (offset and line), a fingerprint
 * of the bytes just before that offset and one of all the bytes before it; for
 * containers a fingerprint of the whole file; plus the correlator's open
 * windows (a BEGIN seen in one run and its END in the next still pair up).
 *
 * The file is text, one record a line, versioned ("ipsec-scan-state 4";
 * versions 1 to 3 are still read, their FNV-1a prefix fingerprints only
 * checked, not written back), read
 * and written as a stream (never whole in memory; at most 1 GiB). It is
 * replaced atomically (temp file, fsync, rename, fsync of the directory)
 * and only after the report was written; a lock file beside it
 * (FILE.lock, with the holder's pid) and a flock on the state's directory stop
 * two runs from overlapping, even when the lock file is deleted meanwhile.
 * A state that is not a regular file (a FIFO) is refused.
 *
 * Ownership: an ips_state_t owns its records and strings.
 */
#ifndef IPS_STATE_H
#define IPS_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/status.h"
#include "util/util.h"

/* 2: tail and prefix added to input records; 3: ctime; 4: the prefix is util/phash.h's (was
 * FNV-1a) */
#define IPS_STATE_VERSION 4
#define IPS_STATE_FP_BYTES 4096 /* fingerprinted head of a file */

/*
 * One file's record: 80 bytes, kept in blocks that never move (a pointer to
 * a record stays valid while the state lives); its path is in the state's
 * string arena (ips_state_path()), its device in the state's table of
 * devices (ips_state_dev()). Times are kept within +-2^40 s (about 35,000
 * years; ips_state_clamp_time()), as a state file gives them.
 */
typedef struct ips_state_input {
	uint64_t ino;
	uint64_t size;
	uint64_t fp;          /* FNV-1a of the first fplen bytes */
	uint64_t offset;      /* bytes read up to (whole records) */
	uint64_t tfp;         /* FNV-1a of the tflen bytes just before offset */
	uint64_t pfp;         /* util/phash.h's hash of all the bytes before offset (a copy
				 is known by it exactly: no record it does not hold is
				 skipped); resumed as the file grows */
	uint64_t line : 48;   /* records read up to (< IPS_STATE_LINE_MAX) */
	uint64_t devx : 16;   /* the device: its number in the state's table (ips_state_dev()) */
	int64_t mtime : 41;
	uint64_t fplen : 13;    /* <= IPS_STATE_FP_BYTES */
	uint64_t container : 1; /* a container: fp covers the whole file; offset unused */
	uint64_t seen : 1;      /* touched in this run (the rest are kept as they were) */
	uint64_t old : 1;       /* as the run began (ips_state_freeze): never changed */
	uint64_t replaced : 1;  /* an old record a newer one of this run replaces */
	uint64_t gone : 1;      /* forgotten (not saved) */
	uint64_t cont : 1;      /* old, and this run found its file the same: its prefix
				   fingerprint may be continued (run/cron.c) */
	int64_t ctime : 41;     /* inode change time (seconds; changed by any write) */
	uint64_t tflen : 13;    /* 0: not known (a version 1 state, or offset 0) */
	uint64_t ctime_ok : 1;  /* ctime known (not a state of version 1 or 2) */
	uint64_t pfp_ok : 1;    /* pfp is known */
	uint64_t pfp_fnv : 1;   /* pfp is FNV-1a, as a state of version 2 or 3 kept it:
				   checked as such, never continued nor written */
	uint32_t path;          /* in the arena: chunk << 20 | offset (ips_state_path()) */
	uint32_t ctime_ns;      /* nanoseconds of ctime */
} ips_state_input_t;

#define IPS_STATE_LINE_MAX (UINT64_C(1) << 48) /* (2^48 records: a file of 256 TiB at least) */
#define IPS_STATE_DEVS_MAX 65536 /* devices a state knows */
#define IPS_STATE_TIME_MAX (INT64_C(1) << 40)
/* A time as a record keeps it: within +-IPS_STATE_TIME_MAX (no difference of two overflows). */
static inline int64_t ips_state_clamp_time(int64_t t)
{
	return t > IPS_STATE_TIME_MAX ? IPS_STATE_TIME_MAX
	       : t < -IPS_STATE_TIME_MAX ? -IPS_STATE_TIME_MAX : t;
}

struct ips_state;
/*
 * An open-addressed table of record numbers (4 bytes a slot, at most three
 * quarters full), keyed by what key() computes from a record: nothing but
 * the number is stored. Several records may have one key.
 */
typedef uint64_t (*ips_state_key_fn)(const struct ips_state *st, const ips_state_input_t *r);
typedef struct ips_state_index {
	uint32_t *slot;       /* record number + 1; 0: empty */
	size_t cap, len;
	ips_state_key_fn key;
} ips_state_index_t;

/* An open correlation window carried to the next run. */
typedef struct ips_state_window {
	char *corr;           /* correlation id */
	int type;             /* 0 bracket, 1 pair */
	char *key;
	char *kv;             /* key fields, "k=v\tk=v" */
	int64_t start_sec;
	bool start_valid;
	char *path;           /* input the window was opened in */
	uint64_t line;
} ips_state_window_t;

/*
 * A systemd journal (a journal file, a folder of them, or the local journal
 * "(journal)"): the cursor of the last entry read ("journal PATH cursor=
 * line= time=").
 */
typedef struct ips_state_journal {
	char *path;
	char *cursor;         /* NULL: no entry read yet */
	uint64_t line;        /* entries read up to */
	int64_t time;         /* when a run last read it (wall clock, seconds) */
	bool seen;            /* touched in this run */
} ips_state_journal_t;

typedef struct ips_state {
	ips_state_input_t **blocks; /* IPS_STATE_BLOCK records each */
	size_t ninputs;       /* records stored, replaced and gone ones included */
	size_t nlive;         /* records neither replaced nor gone */
	char **arena;         /* path strings, in chunks that never move: 1 MiB (one
				 longer path: a chunk of its own), at most 4096 */
	size_t *arena_size;   /* each chunk's size */
	size_t narena, arena_used, arena_cap;
	uint64_t *devs;       /* the devices of the records (devs[0] = 0: a zeroed record's) */
	size_t ndevs;
	ips_u64map_t devs_by_value;
	ips_vec_t windows;    /* ips_state_window_t * */
	int lock_fd;
	int dir_fd;           /* the state's directory, flocked for the run */
	char *path;
	char *tmp;            /* prepared, not yet committed (FILE.tmp.PID) */
	uint64_t own[2][2];   /* device and inode of FILE and FILE.lock, when known */
	ips_vec_t journals;   /* ips_state_journal_t * */
	ips_state_index_t by_path; /* hash of the path: built at the first lookup by path
				      (ips_state_paths()); most runs make none */
	bool by_path_built;
	ips_state_index_t by_id;   /* device and inode (containers too) */
} ips_state_t;

#define IPS_STATE_BLOCK 4096

/*
 * Take the lock and read the state file (a missing file is an empty state).
 * On failure returns NULL with a message in *err (caller frees): the lock
 * is held by another run, or the file is unreadable, corrupt (with its
 * line) or from a newer version.
 */
ips_state_t *ips_state_open(const char *path, char **err);
/*
 * Records are keyed by file identity (device and inode) for plain files, by
 * path for containers; several records may carry one path (a log and its
 * rotated predecessors). Lookups are hashed: linear in the files of a run.
 */
/* A record with this path (any one), or a new empty one. */
ips_state_input_t *ips_state_input(ips_state_t *st, const char *path, bool create);
/* The container record of a path, or a new one. */
ips_state_input_t *ips_state_container(ips_state_t *st, const char *path, bool create);
/* The plain file's record with this identity, or a new one with this path. */
ips_state_input_t *ips_state_input_id(ips_state_t *st, uint64_t dev, uint64_t ino,
				      const char *path, bool create);
/*
 * Store what a run read of a file: v (its fields, path aside) under path, as
 * the record cur (NULL: a new record). cur is changed in place unless it is
 * old (ips_state_freeze): then, when anything differs, it is marked replaced
 * and a new record is added, so that what the run began with stays as it
 * was. The stored record is marked seen and returned.
 */
ips_state_input_t *ips_state_put(ips_state_t *st, ips_state_input_t *cur,
				 const ips_state_input_t *v, const char *path);
/*
 * A copy of path that lives as long as the state (its arena): path itself
 * when it is one, else a new copy. Report entries borrow it (cron mode:
 * run/cron_scan.c), so the state must outlive the results. A path given to
 * the calls above that is such a copy is kept as it is, not copied again.
 */
const char *ips_state_name(ips_state_t *st, const char *path);
/* Mark every record old and not seen: the records a run begins with (run/cron.c). */
void ips_state_freeze(ips_state_t *st);
/* A record's path. */
static inline const char *ips_state_path(const ips_state_t *st, const ips_state_input_t *r)
{
	return st->arena[r->path >> 20] + (r->path & 0xfffff);
}
/* A record's device. */
static inline uint64_t ips_state_dev(const ips_state_t *st, const ips_state_input_t *r)
{
	return st->devs[r->devx];
}
/* Set a record's device (added to the state's table; more than IPS_STATE_DEVS_MAX: false). */
bool ips_state_set_dev(ips_state_t *st, ips_state_input_t *r, uint64_t dev);
/* Records stored (ips_state_at(st, 0 .. n-1)), replaced and gone ones included. */
static inline ips_state_input_t *ips_state_at(const ips_state_t *st, size_t i)
{
	return &st->blocks[i / IPS_STATE_BLOCK][i % IPS_STATE_BLOCK];
}
/* Live records: neither replaced nor gone. */
size_t ips_state_count(const ips_state_t *st);
/* A record is forgotten: not found, not saved. */
void ips_state_forget(ips_state_t *st, ips_state_input_t *in);
/* The index by path, built now if it is not yet (then kept up to date). */
const ips_state_index_t *ips_state_paths(ips_state_t *st);
/* Index record i (once per key it had); next: the record numbers under key, *it from 0. */
void ips_state_index_add(const ips_state_t *st, ips_state_index_t *x, size_t i);
bool ips_state_index_next(const ips_state_t *st, const ips_state_index_t *x, uint64_t key,
			  size_t *it, size_t *i);
void ips_state_index_free(ips_state_index_t *x);
uint64_t ips_state_path_key(const char *path);
void ips_state_clear_windows(ips_state_t *st);
/* Find the cursor record of a journal, or add an empty one. */
ips_state_journal_t *ips_state_journal(ips_state_t *st, const char *path, bool create);
void ips_state_remove_journal(ips_state_t *st, size_t i);
void ips_state_add_window(ips_state_t *st, const ips_state_window_t *w); /* copies */
/* Remove (and free) the i-th window; the others keep their order. */
void ips_state_remove_window(ips_state_t *st, size_t i);
/*
 * Write atomically, in two steps so that the moment between writing a report
 * and recording that it was written stays short: prepare writes the whole
 * state to FILE.tmp.PID and fsyncs it; commit renames it over FILE and fsyncs
 * the directory; abort removes a prepared file (a report that could not be
 * written). On failure *err says why (caller frees). The lock stays held.
 * Stale FILE.tmp.PID files of killed runs are removed when the lock is taken.
 */
ips_status_t ips_state_prepare(ips_state_t *st, char **err);
ips_status_t ips_state_commit(ips_state_t *st, char **err);
void ips_state_abort(ips_state_t *st);
/* prepare + commit */
ips_status_t ips_state_save(ips_state_t *st, char **err);
/* Is this file (device, inode) the state file or its lock? Scans skip them. */
bool ips_state_is_own(const ips_state_t *st, uint64_t dev, uint64_t ino);
/* Release the lock and free. */
void ips_state_close(ips_state_t *st);

/* Fingerprint of the first n bytes of fd (pread; the offset is not moved). */
bool ips_state_fingerprint(int fd, uint64_t n, uint64_t *fp, uint32_t *len);
/*
 * Fingerprint of a whole container of `size` bytes without reading it all:
 * its first and last IPS_STATE_FP_BYTES and its size. *len is the head's
 * length (fplen of the record).
 */
bool ips_state_fingerprint_whole(int fd, uint64_t size, uint64_t *fp, uint32_t *len);

#endif
