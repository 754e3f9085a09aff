/* SPDX-License-Identifier: Apache-2.0 */
/*
 * merge_state.h - the merger's state (struct ips_merge, the public API is
 * run/merge.h) and the helpers its two halves share:
 *   merge_read.c  reading and validating the NDJSON records of files,
 *                 streams and directories into the state;
 *   merge_join.c  creating and freeing the merger, and joining what was
 *                 read into one set of results (inputs, findings, windows,
 *                 the correlator's joining stage, notes).
 * Private to those two files: nothing else includes it.
 *
 * Ownership: the merger owns every mfind_t, mwin_t, clash_t, the input
 * records, the entries and rule ids the rules lack and the error lines it
 * holds; it borrows the rules. The *_free helpers free one item and what
 * it owns.
 */
#ifndef IPS_MERGE_STATE_H
#define IPS_MERGE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/results.h"
#include "detect/rules.h"
#include "run/merge.h"
#include "util/util.h"

#define MAX_ERRORS 100
/* the note of an input known only from its findings (no "input" record) */
#define ONLY_FINDINGS "known only from its findings: no input record was merged"

typedef struct mfind {
	ips_finding_t f;          /* input is resolved at the end */
	char *source, *path;
	char *from;               /* FILE:LINE of the NDJSON record */
	uint64_t seq;             /* order first read: a record's findings keep theirs */
} mfind_t;

typedef struct mwin {
	ips_window_t w;           /* input and findings are resolved at the end */
	char *source, *path;
	char *keystr;             /* the key as "k=v\n...", part of the window's identity */
	char **ids;
	size_t nids;
} mwin_t;

struct ips_merge {
	const ips_rules_t *rules;
	ips_merge_opts_t opts;
	ips_vec_t parts;          /* ips_input_t *: input records, one per run */
	ips_vec_t finds;          /* mfind_t * */
	size_t *slots;            /* id hash -> 1 + index into finds, 0 = empty */
	size_t nslots;
	ips_vec_t wins;           /* mwin_t * */
	ips_vec_t entries;        /* ips_entry_t *: entries the rules lack */
	ips_vec_t dets;           /* ips_detector_t *: rules the rules lack */
	ips_vec_t names;          /* char *: input format names no framer has (containers) */
	ips_vec_t errors;         /* char * */
	size_t nerrors;           /* problems: lines skipped, and conflicts */
	size_t nskipped;          /* of them, lines skipped */
	char *first_skipped;
	uint64_t seq;
	uint64_t conflicts;       /* same id, another record */
	uint64_t redelivered;     /* another id, the same record (host, time, rule, text) */
	ips_vec_t aliases;        /* alias_t *: the id of a dropped copy -> the id kept */
	ips_vec_t clashes;        /* mfind_t *: the losing side of each conflict */
	const char *cur_name;     /* the NDJSON file being read, and its line */
	uint64_t cur_line;
	uint64_t unknown_types;
	uint64_t filtered;
	uint64_t links;           /* symbolic links inside directories, not followed */
	char *first_link;
};

typedef struct clash {
	char *source, *path, *msg;
} clash_t;

/* merge_join.c */
void merge_kv_free(ips_kv_t *kv, size_t n);
void merge_mfind_free(mfind_t *x);
void merge_mwin_free(mwin_t *x);
/* A problem kept as "FILE[:LINE]: msg" (the first MAX_ERRORS), counted. */
void merge_push_error(ips_merge_t *m, const char *name, uint64_t line, const char *msg);
/* A line (or a file) that could not be read: skipped, named, counted. */
void merge_add_error(ips_merge_t *m, const char *name, uint64_t line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* merge_read.c */
/* strcmp where NULL sorts first */
int merge_cmp_str(const char *a, const char *b);
char *merge_dup_or_null(const char *s);
/* Which of two records of one id is kept (< 0: a): the higher severity,
 * then more fields, then the content; never the order of the files. */
int merge_cmp_content(const mfind_t *a, const mfind_t *b);
/* The slot of id (16 hex digits) in m->slots: its finding's, or the empty one to use. */
size_t merge_id_slot(const ips_merge_t *m, const char *id);

#endif
