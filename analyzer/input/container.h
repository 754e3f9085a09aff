/* SPDX-License-Identifier: Apache-2.0 */
/*
 * container.h - containers: compressed files (.gz .bz2 .xz .zst) and archives
 * (.zip .tar .tar.gz .tgz, nested), read as streams through libarchive.
 * Nothing is ever extracted to disk.
 *
 * Ownership: a member source is valid only during the callback that
 * receives it; the walker closes it.
 */
#ifndef IPS_CONTAINER_H
#define IPS_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input/source.h"
#include "util/status.h"

typedef struct ips_archive_limits {
	uint64_t max_member_bytes; /* decompressed bytes read from one member */
	uint64_t max_ratio;        /* decompressed : compressed, the whole input's, past 64 MiB */
	uint64_t max_input_bytes;  /* decompressed bytes of all members together; 0: no limit */
	int max_depth;             /* containers inside containers */
} ips_archive_limits_t;

/*
 * What one top-level input has given so far, shared by the walks of the
 * containers nested in it: the compressed bytes read from it (in) and the
 * decompressed bytes of every member at every level (out), which
 * max_input_bytes and max_ratio bound. Zero it before the top-level walk.
 */
typedef struct ips_archive_budget {
	uint64_t in, out;
	int walks;                 /* walks under way (the first one counts in) */
} ips_archive_budget_t;

/* A valid tar header block: "ustar" magic and a checksum that adds up. */
bool ips_tar_header_valid(const unsigned char *h, size_t n);

/*
 * The container format of a stream from its first bytes ("gz", "bz2", "xz",
 * "zst", "zip", "tar"), or NULL when it is not one we open.
 */
const char *ips_container_sniff(const unsigned char *head, size_t n);

/*
 * Is name one of the container formats above? A container's input counts
 * its members as its records; they are not log records (summary.records
 * leaves them out).
 */
bool ips_container_format(const char *name);

/*
 * Called for each member with a source reading its (decompressed) bytes.
 * Returning nonzero stops the walk.
 */
typedef int (*ips_member_cb)(void *ctx, ips_source_t *member);

typedef struct ips_walk_result {
	const char *format;        /* what it turned out to be: "tar", "zip", or the compression */
	uint64_t members;
	uint64_t skipped;          /* directories, links, special files */
	char *error;               /* first error, with position; NULL if none (caller frees) */
	bool member_failed;        /* the error is a member's (its own input says it too) */
	bool single;               /* a compressed single stream: one member, no others */
} ips_walk_result_t;

/*
 * Walk the members of the container src; member names are "NAME!path". A
 * compressed single file ("gz", "bz2", "xz", "zst") is read as one stream
 * whatever it holds; it is walked as a tar only when its data begins with a
 * valid tar header. budget: the top-level input's (shared by nested walks),
 * or NULL for one of this walk's own.
 */
ips_status_t ips_archive_walk(ips_source_t *src, const char *format,
			      const ips_archive_limits_t *lim, ips_archive_budget_t *budget,
			      ips_member_cb cb, void *ctx, ips_walk_result_t *res);

/*
 * The first n decompressed bytes of the compressed single stream (.gz .bz2
 * .xz .zst, not an archive) at path, into buf; *got says how many (fewer at
 * its end). False when it is not such a file or cannot be read. Reads only
 * as much as it needs; nothing is extracted.
 */
bool ips_compressed_head(const char *path, unsigned char *buf, size_t n, size_t *got);
/*
 * The prefix fingerprint (util/phash.h) of the first n decompressed bytes of
 * the compressed single stream at path, as cron mode's state keeps it for a
 * plain file (fnv: their FNV-1a, as a state of version 3 kept it); false when
 * it is not one, is shorter or cannot be read.
 */
bool ips_compressed_prefix_fp(const char *path, uint64_t n, bool fnv, uint64_t *fp);

/* libarchive's version string, for --version. */
const char *ips_archive_version(void);

#endif
