/* SPDX-License-Identifier: Apache-2.0 */
/*
 * winparams.h - the words of the Security-Auditing provider's parameter
 * messages (%%8199 -> "Local computer"), generated at build time from
 * rules/params/security-auditing.tsv into build/winparams.c.
 *
 * Ownership: static data.
 */
#ifndef IPS_WINPARAMS_H
#define IPS_WINPARAMS_H

typedef struct ips_winparam {
	unsigned id;       /* the number after %% */
	const char *word;  /* the English message string */
} ips_winparam_t;

/* In the order of the table, ended by {0, NULL}. */
extern const ips_winparam_t ips_winparams[];

#endif
