/* SPDX-License-Identifier: Apache-2.0 */
/*
 * walk.h - the one directory walker: the files under a directory named on
 * the command line, in a fixed order, for the scanner (logs), `merge`
 * (NDJSON reports) and `--rules DIR` (YAML files).
 *
 * What every walk does the same way:
 *   - names sorted (strcmp, so the report does not depend on readdir order);
 *   - directories nested at most max_depth (default 64) below the named one;
 *     a directory that is one of its own parents (a loop, by device and
 *     inode) is not entered;
 *   - a symbolic link inside a directory is not followed unless
 *     follow_links (a link can lead anywhere: out of the directory, to
 *     /etc/shadow); the caller decides what to say about it. A path named
 *     on the command line is the caller's, and followed;
 *   - --include/--exclude globs (input/nonlog.h) on the path relative to the
 *     named directory;
 *   - optionally, files that are not logs (input/nonlog.h) are skipped;
 *   - FIFOs, sockets and devices inside a directory are passed over without
 *     a word: reading one could block for ever (name it to read it).
 * The walker reads nothing but directory entries (and, for the non-log test,
 * a file's first bytes); what to do with a file, a skipped entry or an error
 * is the caller's, through the callbacks.
 *
 * Ownership: the walker owns nothing after ips_walk() returns. It borrows
 * the options (and the globs they point to) and the callbacks' context for
 * the call; the paths and stat buffers it passes live only for the callback.
 */
#ifndef IPS_WALK_H
#define IPS_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "util/status.h"

#define IPS_WALK_DEPTH_MAX 64

/* Why an entry was not given to on_file. */
typedef enum ips_walk_skip {
	IPS_WALK_LINK = 0,   /* a symbolic link inside a directory, not followed */
	IPS_WALK_NONLOG,     /* not a log (skip_nonlog): msg is its kind, e.g. "picture" */
	IPS_WALK_LOOP,       /* a directory leading back to one of its parents: not entered */
	IPS_WALK_DEEP,       /* a directory nested deeper than max_depth: not entered */
	IPS_WALK_UNREADABLE, /* a directory that cannot be opened, an entry that cannot be stat'ed */
} ips_walk_skip_t;

typedef struct ips_walk_opts {
	int max_depth;             /* 0: IPS_WALK_DEPTH_MAX */
	bool no_recurse;           /* only the named directory's own files; subdirectories passed over */
	bool follow_links;         /* --follow-links: links inside directories too */
	bool skip_hidden;          /* leave out names that start with '.' */
	bool skip_nonlog;          /* non-log files go to on_skip (IPS_WALK_NONLOG), unless --include'd */
	const char *const *globs;  /* --include (+GLOB) / --exclude (-GLOB), see ips_glob_excluded() */
	size_t nglobs;
} ips_walk_opts_t;

typedef struct ips_walk_cbs {
	/*
	 * Optional: every name of a directory (after skip_hidden), before the
	 * walker looks at it. Return true to keep it from the walker (the
	 * caller took it, or leaves it out). *dir_flag is one flag per
	 * directory, false when the walker starts the directory, for the caller
	 * to use (e.g. "this directory's journal files are read already").
	 */
	bool (*on_name)(void *ctx, const char *dir, const char *name, bool *dir_flag);
	/* A regular file (after links, globs and the non-log test). */
	ips_status_t (*on_file)(void *ctx, const char *path, const struct stat *st);
	/* An entry not walked: msg is a sentence for the report (LINK,
	 * LOOP, DEEP, UNREADABLE) or the non-log kind (NONLOG). */
	ips_status_t (*on_skip)(void *ctx, const char *path, ips_walk_skip_t why, const char *msg);
} ips_walk_cbs_t;

/*
 * Walk the directory `dir` (st: its stat). Returns IPS_OK, or the last
 * status other than IPS_OK that a callback returned (the walk goes on after
 * one: every entry is seen).
 */
ips_status_t ips_walk(const char *dir, const struct stat *st, const ips_walk_opts_t *o,
		      const ips_walk_cbs_t *cb, void *ctx);

#endif
