/* SPDX-License-Identifier: Apache-2.0 */
/*
 * context.h - what earlier lines of the same negotiation said.
 *
 * Context: a failure line often lacks facts an earlier line of the same
 * negotiation gave (the peer address, both proposal lists, the identities).
 * Lines of one negotiation share a key the scanner reads from the line
 * itself: strongSwan's IKE_SA unique id (<site|1>, <1>), pluto's state
 * (#3), or, where neither is logged (charon via syslog), the charon worker
 * thread ("11[CFG]") for a couple of seconds. A fixed table of recent keys
 * keeps memory bounded.
 *
 * The key comes from the message itself (ips_parse_negotiation(), in the
 * normaliser); a key is looked up only within the same input.
 *
 * Ownership: a context owns copies of every value it keeps; fields it adds
 * to a caller's list are fresh copies that the list owns.
 */
#ifndef IPS_CONTEXT_H
#define IPS_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/rules.h"
#include "input/normalize.h"
#include "util/util.h"

typedef struct ips_context ips_context_t;

/* Where a record stands: its input, time and line (freshness of keys). */
typedef struct ips_ctx_at {
	size_t input;
	ips_time_t time;
	uint64_t line;
} ips_ctx_at_t;

ips_context_t *ips_context_new(void);
void ips_context_free(ips_context_t *c);
/* Forget every negotiation (a new set of results). */
void ips_context_clear(ips_context_t *c);

/*
 * Complete a record's fields (kv, n) from its line's key (conn, ike_sa) and,
 * when fill is set, from what its negotiation said before; then remember its
 * own facts for later lines. event: the record is that event (remembered for
 * ips_context_seen()). finding: the record is a finding of that entry; a
 * proposal failure with both proposal lists known gets a `mismatch` field in
 * plain words.
 */
void ips_context_apply(ips_context_t *c, const ips_negkey_t *key, const ips_ctx_at_t *at,
		       ips_kv_t **kv, size_t *n, bool fill, const ips_entry_t *event,
		       const ips_entry_t *finding);

/* Did this negotiation log the event `name` earlier (a detector's promote:)? */
bool ips_context_seen(ips_context_t *c, const ips_negkey_t *key, const ips_ctx_at_t *at,
		      const char *name);

#endif
