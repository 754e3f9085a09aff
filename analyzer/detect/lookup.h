/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lookup.h - what a key names in the knowledge base, the way `explain`,
 * `lookup:` detectors and `rules test` (lookups:) read it.
 *
 * Rules (docs/usage.md, "explain"):
 *   - all digits (optionally signed) is decimal: a Windows code, an HRESULT
 *     (0x8007xxxx as unsigned or signed decimal), an IKE notify type, a
 *     Windows event id or a gateway message id (ASA_<id>); a number that
 *     names things of more than one kind is ambiguous;
 *   - hex needs 0x or an A-F digit (800735E9, 35E9);
 *   - names and aliases in any case, with - for _ (the RFC spelling
 *     NO-PROPOSAL-CHOSEN), a bare notify name (both IKE versions where
 *     both have it), strongSwan's N(...) summaries: N(NO_PROP),
 *     N(AUTH_FAILED), N(MS_STATUS(13863)), N((2));
 *   - the exact message text (case, a final period, runs of white space);
 *   - otherwise words: entries holding every word, numbers only as whole
 *     numbers; where the whole phrase is in a message, those entries only.
 *
 * Ownership: results point into the rules.
 */
#ifndef IPS_LOOKUP_H
#define IPS_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>

#include "detect/rules.h"

typedef enum ips_key_kind {
	IPS_KEY_CODE = 0,      /* Windows code: decimal, hex, HRESULT */
	IPS_KEY_NOTIFY = 1,    /* IKE notify type number */
	IPS_KEY_EVENT = 2,     /* Windows event id */
	IPS_KEY_MSGID = 3,     /* gateway message id (Cisco ASA_<id>) */
	IPS_KEY_NAME = 4,      /* name, alias, notify name, N(...) */
	IPS_KEY_TEXT = 5,      /* the message text */
	IPS_KEY_WORDS = 6,     /* words of the name, message or summary */
} ips_key_kind_t;

/* "Windows code", "IKE notify type", ... for listing candidates. */
const char *ips_key_kind_name(ips_key_kind_t k);

typedef struct ips_key_match {
	const ips_entry_t *entry;
	ips_key_kind_t kind;
} ips_key_match_t;

/*
 * Every entry the key names, at most max. *ambiguous (may be NULL) is set
 * when a number names things of more than one kind (a code and a notify
 * type, ...): the caller lists them and asks for a more precise key.
 */
size_t ips_rules_find(const ips_rules_t *r, const char *key, ips_key_match_t *out, size_t max,
		      bool *ambiguous);

typedef struct ips_key_suggestion {
	const ips_entry_t *entry;
	char form[96];        /* the key form that is close: "13801", "NO_PROPOSAL_CHOSEN" */
	size_t distance;
} ips_key_suggestion_t;

/*
 * For an unknown key: entries with a key form (name, alias, notify name,
 * strongSwan short name, decimal and hex code, notify number, event id)
 * within a small edit distance (a swap of two neighbours counts one), the
 * closest first, at most max.
 */
size_t ips_rules_suggest(const ips_rules_t *r, const char *key, ips_key_suggestion_t *out,
			 size_t max);

/*
 * For an entry with candidates (a text several codes share): the candidate
 * the record's context picks (main mode or quick mode named in the record,
 * or Security event 4653 / 4654), or e itself when the context does not
 * single one out.
 */
const ips_entry_t *ips_entry_narrow(const ips_entry_t *e, const char *rec, size_t len);

#endif
