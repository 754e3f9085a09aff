/*
 * prefilter.h - multi-literal search that tells which detectors can match.
 *
 * An Aho-Corasick automaton over ASCII-case-folded bytes, compiled to a
 * dense table over byte classes. Each literal belongs to one detector; a
 * search returns, per line, the set of detectors whose literals occur.
 * Matching case-insensitively for every literal only ever adds candidates
 * (the regex decides), it never loses one.
 *
 * Ownership: the prefilter copies what it needs from the literals; it is
 * read-only after ips_prefilter_build() and may be shared between threads.
 */
#ifndef IPS_PREFILTER_H
#define IPS_PREFILTER_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct ips_prefilter ips_prefilter_t;

/* Detector sets are bitsets of this many 64-bit words. */
size_t ips_prefilter_words(const ips_prefilter_t *p);

ips_prefilter_t *ips_prefilter_new(size_t ndetectors);
/* Add a literal for detector det (0-based). Empty literals are ignored. */
void ips_prefilter_add(ips_prefilter_t *p, const char *lit, size_t len, size_t det);
void ips_prefilter_build(ips_prefilter_t *p);
void ips_prefilter_free(ips_prefilter_t *p);

/*
 * Called once per line that holds at least one literal: the line (without
 * its '\n'), its offset in the block, and the detectors it may match.
 * Returning nonzero stops the scan.
 */
typedef int (*ips_line_cb)(void *ctx, const char *line, size_t len, size_t off,
			   const uint64_t *dets);

/*
 * Search a block of '\n'-separated lines (the last may lack its '\n').
 * Returns nonzero when the callback stopped the scan.
 */
int ips_prefilter_scan_lines(const ips_prefilter_t *p, const char *buf, size_t len,
			     ips_line_cb cb, void *ctx);

/*
 * Search one record as a whole (it may contain newlines); fills dets
 * (ips_prefilter_words() words) and returns true if any literal occurs.
 */
bool ips_prefilter_scan_record(const ips_prefilter_t *p, const char *buf, size_t len,
			       uint64_t *dets);

#endif
