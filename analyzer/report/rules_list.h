/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_list.h - `ipsec-scan rules list`: what a loaded rule set holds.
 * Only reads the rules; writes to the stream it is given.
 */
#ifndef IPS_RULES_LIST_H
#define IPS_RULES_LIST_H

#include <stdbool.h>
#include <stdio.h>

#include "detect/rules.h"

/* One line per detector (text), or a JSON object with every detector's id,
 * what it reports, where it is declared and its `covers:`. */
void ips_rules_list(FILE *out, const ips_rules_t *r, bool json);

#endif
