/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status.h - the one error channel of ipsec-scan: a status every module
 * returns, and, where a caller needs to say more than the status, a status
 * plus a message in an ips_error_t the caller owns.
 *
 * Values are stable: they are never renumbered (the CLI maps them to the
 * exit codes documented in the man page and SPEC).
 *
 * The rule: a function that can fail returns an ips_status_t. When the
 * caller must also be told why (a driver of run/, whose caller prints the
 * message), the function takes an `ips_error_t *err` last, fills it with
 * ips_error_set() and returns the same status. The caller owns err: it
 * starts as IPS_ERROR_INIT, is read (err.status, err.msg), and is released
 * with ips_error_clear(). Problems of one input (a file that cannot be
 * read, a corrupt record) are not errors of the run: they are recorded in
 * that input's entry of the results (detect/results.h) and reported.
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

/* A status and why; msg is owned by the error (NULL: none given). */
typedef struct ips_error {
	ips_status_t status;
	char *msg;
} ips_error_t;
#define IPS_ERROR_INIT {IPS_OK, NULL}

/*
 * Record an error (st != IPS_OK) with a printf-style message, unless err
 * holds one already: the first error is the one reported. Returns st, so
 * that `return ips_error_set(err, IPS_E_USAGE, "...")` reads as it does.
 * err may be NULL (the caller does not want the message).
 */
ips_status_t ips_error_set(ips_error_t *err, ips_status_t st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Free the message and reset to IPS_OK. */
void ips_error_clear(ips_error_t *err);

#endif
