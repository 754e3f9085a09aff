/* SPDX-License-Identifier: Apache-2.0 */
/*
 * match.h - run detectors on records: literal prefilter, then PCRE2.
 *
 * Ownership: a matcher borrows its rules (they must outlive it). Hits point
 * into the record being matched and into the rules; they are valid only
 * during the callback. One matcher serves one thread.
 */
#ifndef IPS_MATCH_H
#define IPS_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/prefilter.h"
#include "detect/rules.h"

#define IPS_MAX_CAPTURES 24

typedef struct ips_capture {
	const char *name;
	const char *value;
	size_t len;
} ips_capture_t;

typedef struct ips_hit {
	const ips_detector_t *det;   /* the active detector that matched */
	const ips_entry_t *entry;    /* what it found (a marker entry: a correlation event) */
	ips_capture_t caps[IPS_MAX_CAPTURES];
	size_t ncaps;
	size_t start, len;           /* the match within the record */
} ips_hit_t;

typedef struct ips_match_limits {
	uint32_t match_limit;        /* PCRE2 match limit per record and detector */
	uint32_t depth_limit;        /* PCRE2 depth limit (interpreter only) */
	uint32_t heap_limit_kib;     /* PCRE2 heap limit (interpreter only) */
} ips_match_limits_t;

typedef struct ips_matcher ips_matcher_t;

ips_matcher_t *ips_matcher_new(const ips_rules_t *rules, const ips_match_limits_t *lim);
void ips_matcher_free(ips_matcher_t *m);

const ips_prefilter_t *ips_matcher_prefilter(const ips_matcher_t *m);

/*
 * Run the detectors in cands (a prefilter set) on one record of the given
 * input format; cb is called per hit, at most once per entry name per
 * record (every hit when the matcher reports all, as `rules test` asks).
 * Returns the number of hits.
 */
typedef void (*ips_hit_cb)(void *ctx, const ips_hit_t *hit);
size_t ips_matcher_match(ips_matcher_t *m, const char *format, const char *rec, size_t len,
			 const uint64_t *cands, ips_hit_cb cb, void *ctx);

/* Same, running the prefilter on the record first. */
size_t ips_matcher_match_record(ips_matcher_t *m, const char *format, const char *rec,
				size_t len, ips_hit_cb cb, void *ctx);

/*
 * Report every hit, even several of one entry in one record (for `rules
 * test`, which checks each detector on its own). Default: off.
 */
void ips_matcher_report_all(ips_matcher_t *m, bool all);

/*
 * Run the extractors on a record; cb gets each named capture (name, value,
 * length) of each extractor that matches, in rule order.
 */
typedef void (*ips_capture_cb)(void *ctx, const char *name, const char *value, size_t len);
void ips_matcher_extract(ips_matcher_t *m, const char *format, const char *rec, size_t len,
			 ips_capture_cb cb, void *ctx);

/* How often detector i (active index) hit a PCRE2 limit, for the report. */
uint64_t ips_matcher_limit_hits(const ips_matcher_t *m, size_t i);
void ips_matcher_reset_limit_hits(ips_matcher_t *m);

#endif
