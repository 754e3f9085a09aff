/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verdict.h - the verdict of an incident (SPEC "Verdicts",
 * docs/correlation.md#verdicts): which fault class its findings agree on,
 * in which phase, who refused, whose log holds the reason, what to collect
 * from the other side and which fixes to try first.
 *
 * The mapping from knowledge entries to classes is data: the correlation
 * of kind `verdict` (rules/correlate/verdicts.yaml) lists for an entry (or,
 * as a fallback, for its category) the classes it is consistent with.
 * Classes are bits of a mask, so the joining stage can refuse to put two
 * findings with nothing in common into one incident.
 *
 * Ownership: an ips_verdict_rules_t borrows the rules it was made from;
 * ips_verdict_build() gives the incident a verdict it owns.
 */
#ifndef IPS_VERDICT_H
#define IPS_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "detect/results.h"
#include "detect/rules.h"

#define IPS_VERDICT_ALL UINT64_MAX

typedef struct ips_verdict_rules ips_verdict_rules_t;

/* The class table of the rules' `verdict` correlation (built-in fallbacks if none). */
ips_verdict_rules_t *ips_verdict_rules_new(const ips_rules_t *rules);
void ips_verdict_rules_free(ips_verdict_rules_t *v);

/* The classes a finding is consistent with (IPS_VERDICT_ALL for an `any` one). */
uint64_t ips_verdict_mask(const ips_verdict_rules_t *v, const ips_finding_t *f);
/* The bit of the first class a finding names (its likeliest alone). */
uint64_t ips_verdict_first(const ips_verdict_rules_t *v, const ips_finding_t *f);
/* Does the finding name one class or a few (not `any`)? How many (0: any)? */
int ips_verdict_specificity(const ips_verdict_rules_t *v, const ips_finding_t *f);

/* What the correlator knows about an incident beyond its findings. */
typedef struct ips_verdict_hints {
	bool attempt;            /* it holds an attempt that started (a pair window) */
	bool recovered;          /* every failure in it was followed by success */
	uint64_t mask;           /* the classes its findings agree on */
	const size_t *rank;      /* per x->findings: rank as a root cause (0 best), or NULL */
} ips_verdict_hints_t;

/*
 * Give x its verdict; also picks the finding that decides the class and
 * returns its position in x->findings (the caller makes it the root cause).
 * For an incident without findings, returns 0 and gives the verdict of an
 * unanswered or unterminated start.
 */
size_t ips_verdict_build(const ips_verdict_rules_t *v, const ips_results_t *res,
			 ips_incident_t *x, const ips_verdict_hints_t *h);

/* The class names, in their documented order (NULL-terminated). */
extern const char *const ips_verdict_classes[];

/* Check every `verdict` correlation of the rules; returns the errors added to d. */
size_t ips_verdict_check(const ips_rules_t *rules, ips_diag_t *d);

#endif
