/* SPDX-License-Identifier: Apache-2.0 */
/*
 * internal.h - the correlator's private state, shared by the files of
 * correlate/ and by nothing else (the public API is correlate.h):
 *   correlate.c  create, free, who owns what; the finding sink; open windows
 *                handed out and taken back as plain data
 *   config.c     the correlations parsed once, when the rules are finalised
 *   window.c     the streaming stage: keys, open windows, segments, the
 *                windows published into the results
 *   join.c       the joining stage: findings that share a key within the gap
 *   incident.c   incidents built from the joined findings: root cause,
 *                title, id, span, threshold
 *   settle.c     live mode: incidents written as their windows close
 *
 * Ownership: a correlator owns its open windows (open_item_t, their keys
 * and key fields), its segments and its per-finding tables; it borrows the
 * rules, the results it fills and the parsed correlations (corr_config_t),
 * which the rules own (or, when the rules were finalised without
 * ips_correlate_finalize_rules(), the correlator's own_cfg).
 */
#ifndef IPS_CORRELATE_INTERNAL_H
#define IPS_CORRELATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "correlate/verdict.h"
#include "detect/results.h"
#include "detect/rules.h"
#include "util/util.h"

typedef struct ips_correlator ips_correlator_t; /* as in correlate.h */

#define MAX_KEYS 8
#define MAX_ORDER 32
#define MAX_OPEN 4096          /* open windows at once; the oldest closes first */
#define UNTIMED_LINES 2000     /* "within the window" for records without a time */
/*
 * A correlation or group key ("peer=...", "addresses=a|b", "A:host") is a
 * string of its own, at most KEY_MAX bytes: captured fields are cut at 512
 * bytes and paths at 4 KiB, so only a forged record reaches the bound; a
 * longer key is cut there and counted (keys_cut, a note in the report).
 */
#define KEY_MAX 4608

enum { C_NEG, C_PAIR, C_THRESHOLD, C_GROUP, C_VERDICT };
enum { O_BRACKET, O_PAIR, O_RANGE };

typedef struct corr {
	const ips_correlation_t *decl;
	int kind;
	int64_t code_lo, code_hi;          /* negotiation range */
	ips_strlist_t start, success;      /* pair: entry names */
	ips_strlist_t keys;                /* key: the field names, in order */
	int nkeys;                         /* of them, the first MAX_KEYS are used */
	int64_t window, gap, skew, count;
	int64_t span;                      /* group, live mode: the longest an incident stays open */
	ips_strlist_t order;               /* group: root-cause order of categories */
	int norder;                        /* of them, the first MAX_ORDER are used */
} corr_t;

typedef struct open_item {
	int corr;
	int type;
	char *key;                         /* owned; at most KEY_MAX bytes */
	ips_kv_t kv[4];                    /* key fields for the incident */
	size_t nkv;
	ips_time_t start, last;
	size_t input;
	uint64_t line, last_line;
	int64_t opened;                    /* live mode: the wall clock when it opened */
	bool retried;                      /* pair: started again after a failure */
	size_t *f;
	size_t nf, capf;
} open_item_t;

typedef struct segment {
	int corr;
	ips_incident_kind_t kind;
	size_t *f;
	size_t nf;
	ips_time_t first, last;
	size_t input;
	uint64_t line;
	ips_kv_t kv[4];
	size_t nkv;
} segment_t;

/* The correlations parsed once (ips_correlate_finalize_rules), shared by every correlator. */
typedef struct corr_config {
	corr_t *corrs;
	int ncorrs;
	int threshold, group;              /* index of the first of each kind, or -1 */
	ips_verdict_rules_t *vr;           /* the `kind: verdict` table: entries -> fault classes */
} corr_config_t;

struct ips_correlator {
	int threads;                       /* ips_correlator_finish() builds incidents on these */
	const ips_rules_t *rules;
	ips_results_t *res;
	const corr_t *corrs;               /* borrowed from the rules' corr_config_t (or own_cfg) */
	int ncorrs;
	int threshold, group;              /* index of the first of each kind, or -1 */
	corr_config_t *own_cfg;            /* rules never finalised by ips_correlate_finalize_rules */
	uint64_t keys_cut;                 /* keys cut at KEY_MAX */
	open_item_t *open;
	size_t nopen, capopen;
	segment_t *segs;
	size_t nsegs, capsegs;
	long *seg_of;                      /* finding -> segment, -1 */
	size_t capseg_of;
	ips_time_t input_last;             /* the latest time seen in the current input */
	uint64_t input_last_line;          /* the latest line seen in the current input */
	/* live mode (ips_correlator_settle) */
	int64_t wall;                      /* the wall clock at the last settle */
	int64_t *arrived;                  /* finding -> wall clock when it was read */
	size_t caparrived;
	uint64_t forced;                   /* incidents written early at the cap */
	const ips_verdict_rules_t *vr;     /* entries -> fault classes (the config's) */
	bool *recovered;                   /* finding -> a success of its attempt followed */
	size_t caprecovered;
};

/*
 * The helpers one file of correlate/ lends another. They keep the names
 * they had as static functions of the one correlate.c (so the code that
 * calls them reads as before); global inside the library only, where a
 * clash would fail the link.
 */

/* config.c: free a corr_config_t; the rules' parse, else a new one in *own */
void config_free(void *p);
const corr_config_t *config_of(const ips_rules_t *rules, corr_config_t **own);

/* window.c: open windows (find, open, close, free), keys, published windows */
void close_item(ips_correlator_t *c, size_t i, bool input_ended);
int cmp_window(const void *a, const void *b);
bool elapsed(const ips_time_t *from, uint64_t from_line, const ips_time_t *now,
		    uint64_t now_line, int64_t window);
open_item_t *find_open(ips_correlator_t *c, int corr, int type, const char *key);
void free_item(open_item_t *o);
void free_keys(char **keys, size_t n);
char *make_key(ips_correlator_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
open_item_t *open_new(ips_correlator_t *c, int corr, int type, const char *key,
			     const ips_kv_t *kv, size_t nkv, const char *host, const ips_time_t *t,
			     size_t input, uint64_t line);
void publish_windows(ips_correlator_t *c);
ips_window_t *window_of(const ips_correlator_t *c, const segment_t *sg);

/* join.c: the components of the joined findings (union-find) */
void components(const size_t *parent, size_t n, size_t **start_out, size_t **members_out);
size_t *join_findings(ips_correlator_t *c, uint64_t **mask_out);
size_t uf_find(size_t *parent, size_t x);

/* incident.c: one incident of a component or of a window without findings */
ips_incident_t *build_empty(ips_correlator_t *c, const segment_t *sg);
ips_incident_t *build_incident(ips_correlator_t *c, const size_t *members, size_t m,
				      uint64_t mask);
int cmp_incident(const void *a, const void *b, void *ctx);

#endif
