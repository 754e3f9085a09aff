/*
 * rulecheck.h - `rules test`: run every detector's own examples through the
 * real matcher (prefilter included) and report each failure with the file
 * and line of the example; and `rules list`. Both only read the rules.
 */
#ifndef IPS_RULECHECK_H
#define IPS_RULECHECK_H

#include <stdio.h>

#include "match.h"
#include "rules.h"

typedef struct ips_rulecheck_result {
	size_t passed;
	size_t failed;
} ips_rulecheck_result_t;

/* Failures are written to out as "FILE:LINE: detector ID: what went wrong". */
void ips_rulecheck_run(const ips_rules_t *r, const ips_match_limits_t *lim, FILE *out,
		       ips_rulecheck_result_t *res);

/* `rules list`: one line per detector (text), or a JSON object with every
 * detector's id, what it reports, where it is declared and its `covers:`. */
void ips_rules_list(FILE *out, const ips_rules_t *r, bool json);

#endif
