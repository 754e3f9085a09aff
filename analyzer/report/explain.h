/* SPDX-License-Identifier: Apache-2.0 */
/*
 * explain.h - knowledge-base pages: `ipsec-scan explain KEY...`.
 *
 * Ownership: results point into the rules; the caller frees only the array.
 */
#ifndef IPS_EXPLAIN_H
#define IPS_EXPLAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "detect/rules.h"
#include "util/status.h"

/*
 * Find the entries a key names: one for a code, hex, HRESULT, name, alias
 * or exact message; for other words, every entry whose name, message or
 * summary holds all the words (case-insensitive), at most max. Returns the
 * number found (0: unknown key).
 */
size_t ips_explain_find(const ips_rules_t *r, const char *key, const ips_entry_t **out,
			size_t max);
/*
 * What `explain KEY` shows: the entries found (as ips_explain_find), or 0
 * after writing to err why not: an unknown key with the nearest key forms,
 * or a number that names things of several kinds, each listed with its kind.
 */
size_t ips_explain_key(FILE *err, const char *prog, const ips_rules_t *r, const char *key,
		       const ips_entry_t **out, size_t max);
/* Up to max names close to an unknown key, for "did you mean". */
size_t ips_explain_suggest(const ips_rules_t *r, const char *key, const ips_entry_t **out,
			   size_t max);
/* Write one page as text (colour optional). */
void ips_explain_text(FILE *out, const ips_rules_t *r, const ips_entry_t *e, bool color);
/*
 * Write the whole knowledge base as one Markdown reference (docs/codes.md):
 * a table of contents by source and range, then a section per entry.
 */
void ips_explain_markdown_all(FILE *out, const ips_rules_t *r);
/* Write a JSON array of entries (keys as documented in docs/explain.md). */
void ips_explain_json(FILE *out, const ips_entry_t *const *entries, size_t n);

#endif
