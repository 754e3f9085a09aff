/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status.h - the one status type every ipsec-scan module returns.
 *
 * Values are stable: they are never renumbered (the CLI maps them to the
 * exit codes documented in the man page and SPEC).
 */
#ifndef IPS_STATUS_H
#define IPS_STATUS_H

typedef enum ips_status {
	IPS_OK = 0,            /* 0: success */
	IPS_E_USAGE = 1,       /* 1: bad command line or arguments */
	IPS_E_RULES = 2,       /* 2: rules could not be loaded or are invalid */
	IPS_E_INPUT = 3,       /* 3: an input could not be read (or only partly) */
	IPS_E_OUTPUT = 4,      /* 4: the report could not be written */
	IPS_E_NOMEM = 5,       /* 5: out of memory */
	IPS_E_INTERNAL = 6,    /* 6: a bug: an invariant did not hold */
	IPS_E_NOTFOUND = 7,    /* 7: a key (code, name, rule) is not known */
	IPS_E_LIMIT = 8,       /* 8: a configured limit was reached */
	IPS_E_PIPE = 9,        /* 9: the reader of our output went away (EPIPE) */
} ips_status_t;

/* A short English word for a status, for messages. Never NULL. */
const char *ips_status_str(ips_status_t st);

#endif
