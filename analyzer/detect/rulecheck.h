/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rulecheck.h - `rules test`: run every detector's own examples through the
 * real matcher (prefilter included) and report each failure with the file
 * and line of the example.
 */
#ifndef IPS_RULECHECK_H
#define IPS_RULECHECK_H

#include <stdio.h>

#include "detect/match.h"
#include "detect/rules.h"

typedef struct ips_rulecheck_result {
	size_t passed;
	size_t failed;
} ips_rulecheck_result_t;

/* Failures are written to out as "FILE:LINE: detector ID: what went wrong". */
void ips_rulecheck_run(const ips_rules_t *r, const ips_match_limits_t *lim, FILE *out,
		       ips_rulecheck_result_t *res);

#endif
