/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prefilter.h - multi-literal search that tells which detectors can match.
 *
 * Literals are matched ASCII-case-insensitively. A detector is a candidate
 * for a line when one of its literals occurs in it (ips_prefilter_add), or
 * when the words of one of its phrases do (ips_prefilter_add_phrase).
 * Matching case-insensitively only ever adds candidates (the regex decides),
 * it never loses one.
 *
 * Most bytes of a log are looked at by a filter, not by the exact automaton:
 * literals of 7 bytes or more are found through one hashed 4-byte window
 * every 4 bytes (a bitmap, then an 8-byte bitmap, then an exact check),
 * shorter ones through a few rare anchors of one to three bytes (Teddy
 * nibble tables with SSSE3/AVX2, plain SSE2 compares otherwise). Only a line where a
 * literal is confirmed goes through the Aho-Corasick automaton (a dense
 * table over byte classes) that tells every literal it holds.
 *
 * One file of about 1,800 lines on purpose: the three searches share one pass
 * and one set of tables, which splitting would only spread across headers.
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
/*
 * Add a phrase for det: n words that a match holds in this order with white
 * space (one or more of space, tab, CR, VT, FF) between neighbours - a
 * message text, which logs re-space. A line is a candidate when it holds
 * every word of 3 bytes or more, and the word the prefilter searches for
 * (the one it expects to be rarest) stands next to its neighbours. Empty
 * words are ignored.
 */
void ips_prefilter_add_phrase(ips_prefilter_t *p, const char *const *words, const size_t *lens,
			      size_t n, size_t det);
/*
 * A second condition for det (a rule's `literals_and:`): a line (record) that
 * makes det a candidate keeps it only if it also holds one of these n
 * literals (case-insensitively). Checked on the lines the search selected,
 * never searched for. Several calls for one detector must all hold; a call
 * with an empty literal adds no condition.
 */
void ips_prefilter_also(ips_prefilter_t *p, size_t det, const char *const *lits,
			const size_t *lens, size_t n);
void ips_prefilter_build(ips_prefilter_t *p);
void ips_prefilter_free(ips_prefilter_t *p);

/*
 * Called once per line that makes at least one detector a candidate: the
 * line (without its '\n'), its offset in the block, and the detectors it may
 * match. Returning nonzero stops the scan.
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
 * (ips_prefilter_words() words) and returns true if any detector is a
 * candidate.
 */
bool ips_prefilter_scan_record(const ips_prefilter_t *p, const char *buf, size_t len,
			       uint64_t *dets);

/*
 * The number of '\n' in buf[0..len): the scanner's line numbers between the
 * lines the prefilter hands on (AVX2 or SSE2 as the search, see below).
 */
uint64_t ips_prefilter_count_nl(const char *buf, size_t len);

/* How the filters were set up, for tests and `--debug` style diagnostics. */
typedef struct ips_prefilter_stats {
	size_t literals;       /* distinct literals (after case folding) */
	size_t long_literals;  /* found through the sampled-window filter */
	size_t short_literals; /* found through anchors */
	size_t anchors;        /* anchors (1 to 3 bytes) */
	bool exact_only;       /* too many short literals: the automaton reads every byte */
	size_t states;         /* automaton states */
	size_t classes;        /* automaton byte classes */
} ips_prefilter_stats_t;

void ips_prefilter_stats(const ips_prefilter_t *p, ips_prefilter_stats_t *st);

/*
 * The instruction sets the search may use, at most: 0 SSE2 (or plain C),
 * 1 SSSE3, 2 AVX2 (the default: what the CPU has). For tests and
 * measurements; IPSEC_SCAN_SIMD=sse2|ssse3 does the same from outside.
 * Not thread-safe: call before scanning.
 */
void ips_prefilter_simd(int max);

#endif
