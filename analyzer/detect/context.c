/* SPDX-License-Identifier: Apache-2.0 */
/* context.c - see context.h. */
#include "detect/context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/proposal.h"

#define CTX_SLOTS 128
#define CTX_FIELDS 16
#define CTX_VALUE_MAX 384
#define CTX_SA_SECONDS 300
#define CTX_SA_LINES 5000
#define CTX_THREAD_SECONDS 2
#define CTX_THREAD_LINES 40

static const char *const ctx_fields[] = {
	"peer", "local", "conn", "ike_version", "id_local", "id_remote", "proposal_received",
	"proposal_configured", "ts_received", "ts_configured", "user", NULL};

typedef struct ctx_slot {
	char key[64];
	size_t input;
	bool thread_key;
	ips_time_t time;
	uint64_t line;
	uint64_t used;
	char *kv[CTX_FIELDS][2];
	size_t nkv;
} ctx_slot_t;

struct ips_context {
	ctx_slot_t ctx[CTX_SLOTS];
	uint64_t ctx_clock;
};

ips_context_t *ips_context_new(void)
{
	return ips_xcalloc(1, sizeof(ips_context_t));
}

void ips_context_free(ips_context_t *s)
{
	if (!s)
		return;
	ips_context_clear(s);
	free(s);
}

void ips_context_clear(ips_context_t *s)
{
	for (size_t i = 0; i < CTX_SLOTS; i++)
		for (size_t j = 0; j < s->ctx[i].nkv; j++) {
			free(s->ctx[i].kv[j][0]);
			free(s->ctx[i].kv[j][1]);
		}
	memset(s->ctx, 0, sizeof s->ctx);
	s->ctx_clock = 0;
}

static bool ctx_wanted(const char *key)
{
	if (!strncmp(key, "seen.", 5))
		return true; /* an event this negotiation logged (promote:) */
	for (int i = 0; ctx_fields[i]; i++)
		if (!strcmp(ctx_fields[i], key))
			return true;
	return false;
}

static bool ctx_fresh(const ctx_slot_t *sl, const ips_time_t *t, uint64_t line)
{
	if (sl->time.valid && t->valid) {
		int64_t d = t->sec - sl->time.sec;
		if (d < 0)
			d = -d;
		return d <= (sl->thread_key ? CTX_THREAD_SECONDS : CTX_SA_SECONDS);
	}
	uint64_t dl = line >= sl->line ? line - sl->line : sl->line - line;
	return dl <= (sl->thread_key ? CTX_THREAD_LINES : CTX_SA_LINES);
}

static ctx_slot_t *ctx_find(ips_context_t *s, const ips_ctx_at_t *k, const char *key, bool create)
{
	ctx_slot_t *lru = &s->ctx[0];
	for (size_t i = 0; i < CTX_SLOTS; i++) {
		ctx_slot_t *sl = &s->ctx[i];
		if (sl->used && sl->input == k->input && !strcmp(sl->key, key)) {
			if (ctx_fresh(sl, &k->time, k->line))
				return sl;
			if (!create)
				return NULL;
			lru = sl; /* stale: reuse it */
			break;
		}
		if (sl->used < lru->used)
			lru = sl;
	}
	if (!create)
		return NULL;
	for (size_t j = 0; j < lru->nkv; j++) {
		free(lru->kv[j][0]);
		free(lru->kv[j][1]);
	}
	memset(lru, 0, sizeof *lru);
	snprintf(lru->key, sizeof lru->key, "%s", key);
	lru->input = k->input;
	lru->thread_key = key[0] == 't';
	return lru;
}

static void ctx_set(ctx_slot_t *sl, const char *key, const char *value)
{
	for (size_t j = 0; j < sl->nkv; j++)
		if (!strcmp(sl->kv[j][0], key)) {
			free(sl->kv[j][1]);
			sl->kv[j][1] = ips_xstrndup(value, strnlen(value, CTX_VALUE_MAX));
			return;
		}
	if (sl->nkv < CTX_FIELDS) {
		sl->kv[sl->nkv][0] = ips_xstrdup(key);
		sl->kv[sl->nkv][1] = ips_xstrndup(value, strnlen(value, CTX_VALUE_MAX));
		sl->nkv++;
	}
}

void ips_context_apply(ips_context_t *s, const ips_negkey_t *c, const ips_ctx_at_t *k,
		       ips_kv_t **kv, size_t *n, bool fill, const ips_entry_t *event,
		       const ips_entry_t *finding)
{
	if (c->conn[0] && !ips_kv_get(*kv, *n, "conn"))
		ips_kv_add(kv, n, "conn", c->conn);
	if (c->sa[0] && !ips_kv_get(*kv, *n, "ike_sa"))
		ips_kv_add(kv, n, "ike_sa", c->sa[0] == '#' ? c->sa + 1 : c->sa);
	/* keys from the most to the least specific: the SA, the connection
	 * (pluto logs a connection's proposals before any state exists), the
	 * charon worker thread */
	char keys[3][64];
	size_t nk = 0;
	if (c->sa[0])
		snprintf(keys[nk++], sizeof keys[0], "s:%s", c->sa);
	if (c->conn[0])
		snprintf(keys[nk++], sizeof keys[0], "c:%.60s", c->conn);
	if (c->thread[0] && !c->sa[0])
		snprintf(keys[nk++], sizeof keys[0], "t:%s", c->thread);
	if (!nk)
		return;
	s->ctx_clock++;
	/* the configured proposal of the protocol the peer's offer is for */
	const char *offer = ips_kv_get(*kv, *n, "proposal_received");
	const char *proto = offer ? ips_proposal_protocol(offer) : NULL;
	char want[48] = "";
	if (proto && !ips_kv_get(*kv, *n, "proposal_configured"))
		snprintf(want, sizeof want, "proposal_configured.%s", proto);
	for (size_t q = 0; fill && want[0] && q < nk; q++) {
		ctx_slot_t *sl = ctx_find(s, k, keys[q], false);
		for (size_t j = 0; sl && j < sl->nkv; j++)
			if (!strcmp(sl->kv[j][0], want) && !ips_kv_get(*kv, *n, "proposal_configured"))
				ips_kv_add(kv, n, "proposal_configured", sl->kv[j][1]);
	}
	for (size_t q = 0; fill && q < nk; q++) {
		ctx_slot_t *sl = ctx_find(s, k, keys[q], false);
		for (size_t j = 0; sl && j < sl->nkv; j++) {
			const char *name = sl->kv[j][0];
			if (!strchr(name, '.') && !ips_kv_get(*kv, *n, name))
				ips_kv_add(kv, n, name, sl->kv[j][1]);
		}
	}
	for (size_t q = 0; q < nk; q++) {
		ctx_slot_t *sl = ctx_find(s, k, keys[q], true);
		sl->used = s->ctx_clock;
		sl->time = k->time;
		sl->line = k->line;
		if (event) {
			char seen[160];
			snprintf(seen, sizeof seen, "seen.%s", event->name);
			ctx_set(sl, seen, "1");
		}
		for (size_t j = 0; j < *n; j++) {
			if (!ctx_wanted((*kv)[j].key))
				continue;
			ctx_set(sl, (*kv)[j].key, (*kv)[j].value);
			/* keep each protocol's configured proposal: an ESP line must
			 * not hide the IKE one a later IKE failure is about */
			const char *pp = strcmp((*kv)[j].key, "proposal_configured")
						 ? NULL : ips_proposal_protocol((*kv)[j].value);
			if (pp) {
				char name[48];
				snprintf(name, sizeof name, "proposal_configured.%s", pp);
				ctx_set(sl, name, (*kv)[j].value);
			}
		}
	}
	/* a plain-words diff belongs to a proposal failure, not to whatever else
	 * failed in a negotiation whose proposals were logged */
	if (fill && finding && finding->category && !strcmp(finding->category, "proposal")) {
		const char *pr = ips_kv_get(*kv, *n, "proposal_received");
		const char *pc = ips_kv_get(*kv, *n, "proposal_configured");
		char diff[1024];
		if (pr && pc && !ips_kv_get(*kv, *n, "mismatch") &&
		    ips_proposal_diff(pr, pc, diff, sizeof diff))
			ips_kv_add(kv, n, "mismatch", diff);
	}
}

bool ips_context_seen(ips_context_t *s, const ips_negkey_t *c, const ips_ctx_at_t *k,
		      const char *name)
{
	char keys[3][64], want[160];
	size_t nk = 0;
	if (c->sa[0])
		snprintf(keys[nk++], sizeof keys[0], "s:%s", c->sa);
	if (c->thread[0] && !c->sa[0])
		snprintf(keys[nk++], sizeof keys[0], "t:%s", c->thread);
	snprintf(want, sizeof want, "seen.%s", name);
	for (size_t q = 0; q < nk; q++) {
		ctx_slot_t *sl = ctx_find(s, k, keys[q], false);
		for (size_t j = 0; sl && j < sl->nkv; j++)
			if (!strcmp(sl->kv[j][0], want))
				return true;
	}
	return false;
}
