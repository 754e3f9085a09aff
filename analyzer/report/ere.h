/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ere.h - detector regexes (PCRE2) as POSIX extended regexes that both GNU
 * grep -E and ripgrep accept: `ipsec-scan rules list --patterns`, for the
 * benchmark against those tools and for searching by hand. Not on the scan
 * path: nothing but `rules list` calls it, so it lives in report/ beside
 * rules_list.c (another view of a loaded rule set), out of the core's way.
 *
 * One file of about 1,250 lines on purpose: a parser, a rewriter and a printer
 * of one private tree type, which only make sense together.
 *
 * Owns: the private pattern tree, built and freed inside each call.
 * Borrows: the loaded rules (read only) and the streams it writes to.
 * Returned strings are the caller's to free().
 */
#ifndef IPS_ERE_H
#define IPS_ERE_H

#include <stdbool.h>
#include <stdio.h>

#include "detect/rules.h"

typedef enum ips_ere_kind {
	IPS_ERE_EXACT = 0,    /* matches the same lines as the detector's regex */
	IPS_ERE_SUPERSET = 1, /* a lookaround had no ERE form and was left out */
	IPS_ERE_FAILED = 2,   /* no ERE form (backreference, ...): *out is NULL */
} ips_ere_kind_t;

/*
 * Convert one PCRE2 pattern (nocase: compiled caseless). Named and other
 * groups become plain groups, \d \s \w classes, lazy and possessive
 * quantifiers greedy ones (which match the same lines), and lookarounds at
 * the ends of a pattern, next to a single-byte class or after a known byte
 * become consuming expressions. *why says what was approximated or why it
 * failed (a static string, or NULL when exact).
 */
ips_ere_kind_t ips_ere_convert(const char *pcre, bool nocase, char **out, const char **why);

/*
 * `rules list --patterns`: one ERE per line on out for every detector the
 * matcher runs (duplicates once); a detector with no ERE form gets its
 * literals instead. Notes (what was approximated) go to notes as "# ..."
 * lines.
 */
void ips_ere_list_patterns(FILE *out, FILE *notes, const ips_rules_t *r);

/* `rules list --literals`: every literal once, for grep -F -i / rg -F -i. */
void ips_ere_list_literals(FILE *out, FILE *notes, const ips_rules_t *r);

#endif
