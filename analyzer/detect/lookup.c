/* SPDX-License-Identifier: Apache-2.0 */
/* lookup.c - what a key names in the knowledge base (see lookup.h). */
#include "detect/lookup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

const char *ips_key_kind_name(ips_key_kind_t k)
{
	switch (k) {
	case IPS_KEY_CODE: return "Windows code";
	case IPS_KEY_NOTIFY: return "IKE notify type";
	case IPS_KEY_EVENT: return "Windows event id";
	case IPS_KEY_MSGID: return "gateway message id";
	case IPS_KEY_NAME: return "name";
	case IPS_KEY_TEXT: return "message text";
	case IPS_KEY_WORDS: return "words";
	}
	return "?";
}

/*
 * strongSwan's short notify names (the N(...) of its message summaries) for
 * the error types: notify_type_short_names in
 * src/libcharon/encoding/payloads/notify_payload.c. One table serves IKEv1
 * and IKEv2, so a number stands for both versions' entries.
 */
static const struct {
	const char *name;
	int type;
} short_names[] = {
	{"CRIT", 1},          {"INVAL_IKE_SPI", 4},  {"INVAL_MAJOR", 5},   {"INVAL_SYN", 7},
	{"INVAL_MID", 9},     {"INVAL_SPI", 11},     {"ATTR_UNSUP", 13},   {"NO_PROP", 14},
	{"PLD_MAL", 16},      {"INVAL_KE", 17},      {"INVAL_ID", 18},     {"INVAL_CERTEN", 19},
	{"INVAL_CERT", 20},   {"CERT_UNSUP", 21},    {"INVAL_CA", 22},     {"INVAL_HASH", 23},
	{"AUTH_FAILED", 24},  {"SINGLE_PAIR", 34},   {"NO_ADD_SAS", 35},   {"INT_ADDR_FAIL", 36},
	{"FAIL_CP_REQ", 37},  {"TS_UNACCEPT", 38},   {"INVAL_SEL", 39},    {"UNACCEPT_ADDR", 40},
	{"UNEXPECT_NAT", 41}, {"MS_STATUS", 12345},
};
#define NSHORT (sizeof short_names / sizeof short_names[0])

static bool is_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool is_hex(const char *s, size_t n, bool *letter)
{
	if (!n)
		return false;
	*letter = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			*letter = true;
		else if (c < '0' || c > '9')
			return false;
	}
	return true;
}

/* An HRESULT (as unsigned 32 bits) back to its entry. */
static const ips_entry_t *lookup_hresult(const ips_rules_t *r, uint32_t hr)
{
	if ((hr >> 16) == 0x8007)
		return ips_rules_by_code(r, hr & 0xFFFF);
	char key[16];
	snprintf(key, sizeof key, "0x%08X", hr);
	return ips_rules_by_name(r, key); /* NTSTATUS and other forms: aliases */
}

/* A hex value (0x optional) as a code or HRESULT; NULL when it names nothing. */
static const ips_entry_t *lookup_hex(const ips_rules_t *r, const char *s, size_t n)
{
	bool letter;
	if (n > 8 || !is_hex(s, n, &letter))
		return NULL;
	char buf[9];
	memcpy(buf, s, n);
	buf[n] = '\0';
	uint32_t v = (uint32_t)strtoul(buf, NULL, 16);
	return v <= 0xFFFF ? ips_rules_by_code(r, v) : lookup_hresult(r, v);
}

/* A decimal code or HRESULT (signed or not). */
static const ips_entry_t *lookup_decimal(const ips_rules_t *r, const char *buf, size_t len)
{
	bool neg = buf[0] == '-';
	if (len - neg > 10)
		return NULL;
	int64_t v = strtoll(buf, NULL, 10);
	if (v < -2147483648LL || v > 0xFFFFFFFFLL)
		return NULL;
	if (v < 0)
		return lookup_hresult(r, (uint32_t)(v + 4294967296LL));
	return v <= 0xFFFF ? ips_rules_by_code(r, v) : lookup_hresult(r, (uint32_t)v);
}

static void add(ips_key_match_t *out, size_t max, size_t *k, const ips_entry_t *e,
		ips_key_kind_t kind)
{
	if (!e)
		return;
	for (size_t i = 0; i < *k; i++)
		if (out[i].entry == e)
			return;
	if (*k < max) {
		out[*k].entry = e;
		out[*k].kind = kind;
		(*k)++;
	}
}

/* Entries of notify type n, IKEv2 first. */
static void add_notify(const ips_rules_t *r, int64_t n, ips_key_match_t *out, size_t max,
		       size_t *k, ips_key_kind_t kind)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ips_rules_entry_count(r); i++) {
			const ips_entry_t *e = ips_rules_entry_at(r, i);
			if (e->notify != n || n <= 0)
				continue;
			bool v2 = e->ike_version && !strcmp(e->ike_version, "IKEv2");
			if (v2 == (pass == 0))
				add(out, max, k, e, kind);
		}
}

/* A name, alias, notify name (both versions), - for _, a strongSwan short name. */
static void add_names(const ips_rules_t *r, const char *name, ips_key_match_t *out, size_t max,
		      size_t *k)
{
	size_t k0 = *k;
	char buf[160];
	size_t n = strlen(name);
	if (!n || n >= 120)
		return;
	for (int dash = 0; dash < 2 && *k == k0; dash++) {
		memcpy(buf, name, n + 1);
		if (dash) { /* the RFC spelling: NO-PROPOSAL-CHOSEN */
			bool any = false;
			for (char *p = buf; *p; p++)
				if (*p == '-') {
					*p = '_';
					any = true;
				}
			if (!any)
				break;
		}
		add(out, max, k, ips_rules_by_name(r, buf), IPS_KEY_NAME);
		/* a bare notify name: every IKE version that has it */
		static const char *const pre[] = {"IKEV2_", "IKEV1_"};
		for (int i = 0; i < 2; i++) {
			char full[200];
			snprintf(full, sizeof full, "%s%s", pre[i], buf);
			const ips_entry_t *e = ips_rules_by_name(r, full);
			if (e && e->notify)
				add(out, max, k, e, IPS_KEY_NAME);
		}
	}
	if (*k != k0)
		return;
	for (size_t i = 0; i < NSHORT; i++)
		if (ips_streq_nocase(short_names[i].name, name)) {
			add_notify(r, short_names[i].type, out, max, k, IPS_KEY_NAME);
			return;
		}
}

/* strongSwan's N(...): N(NO_PROP), N(MS_STATUS(13863)), N((2)), N(NO_PROPOSAL_CHOSEN). */
static bool add_summary(const ips_rules_t *r, const char *s, size_t len, ips_key_match_t *out,
			size_t max, size_t *k)
{
	if (len < 4 || (s[0] != 'N' && s[0] != 'n') || s[1] != '(' || s[len - 1] != ')')
		return false;
	const char *in = s + 2;
	size_t n = len - 3;
	char buf[128];
	if (!n || n >= sizeof buf)
		return true;
	memcpy(buf, in, n);
	buf[n] = '\0';
	if (n > 11 && !strncmp(buf, "MS_STATUS(", 10) && buf[n - 1] == ')') {
		/* Microsoft's status notify carries a Windows code, printed in decimal */
		if (is_digits(buf + 10, n - 11))
			add(out, max, k, lookup_decimal(r, buf + 10, n - 11), IPS_KEY_CODE);
		return true;
	}
	if (n > 2 && buf[0] == '(' && buf[n - 1] == ')' && is_digits(buf + 1, n - 2) && n < 9) {
		add_notify(r, strtol(buf + 1, NULL, 10), out, max, k, IPS_KEY_NOTIFY);
		return true;
	}
	add_names(r, buf, out, max, k);
	return true;
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Does hay hold the word w (n bytes), case-insensitively; a number only as a whole number? */
static bool has_word(const char *hay, const char *w, size_t n)
{
	if (!hay || !n)
		return false;
	bool number = is_digits(w, n);
	for (const char *p = hay; *p; p++) {
		size_t i = 0;
		while (i < n && p[i] && lower(p[i]) == lower(w[i]))
			i++;
		if (i < n)
			continue;
		if (number && ((p > hay && p[-1] >= '0' && p[-1] <= '9') ||
			       (p[n] >= '0' && p[n] <= '9')))
			continue;
		return true;
	}
	return false;
}

static bool entry_has_word(const ips_entry_t *e, const char *w, size_t n)
{
	if (has_word(e->name, w, n) || has_word(e->message, w, n) || has_word(e->summary, w, n))
		return true;
	for (size_t i = 0; i < e->aliases.len; i++)
		if (has_word(e->aliases.items[i], w, n))
			return true;
	return false;
}

static bool all_words(const ips_entry_t *e, const char *key)
{
	const char *p = key;
	bool any = false;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *s = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		size_t n = (size_t)(p - s);
		if (!n)
			continue;
		any = true;
		if (!entry_has_word(e, s, n))
			return false;
	}
	return any;
}

static void add_words(const ips_rules_t *r, const char *key, ips_key_match_t *out, size_t max,
		      size_t *k)
{
	size_t n = ips_rules_entry_count(r);
	/* the whole phrase in a message first (strongSwan's "giving up"), then all the words */
	char phrase[512];
	size_t pl = 0;
	for (const char *p = key; *p && pl + 1 < sizeof phrase; p++) {
		bool sp = *p == ' ' || *p == '\t';
		if (sp && (!pl || phrase[pl - 1] == ' '))
			continue;
		phrase[pl++] = sp ? ' ' : *p;
	}
	while (pl && phrase[pl - 1] == ' ')
		pl--;
	phrase[pl] = '\0';
	for (int tier = 0; tier < 2 && !*k; tier++)
		for (int pass = 0; pass < 2; pass++) /* Windows codes first */
			for (size_t i = 0; i < n; i++) {
				const ips_entry_t *e = ips_rules_entry_at(r, i);
				if ((pass == 0) != e->has_code)
					continue;
				bool ok = tier == 0 ? (strchr(phrase, ' ') && has_word(e->message, phrase, pl))
						    : all_words(e, key);
				if (ok)
					add(out, max, k, e, IPS_KEY_WORDS);
			}
}

static size_t trim(const char **key, size_t len)
{
	while (len && (**key == ' ' || **key == '\t'))
		(*key)++, len--;
	while (len && ((*key)[len - 1] == ' ' || (*key)[len - 1] == '\t' ||
		       (*key)[len - 1] == '\r' || (*key)[len - 1] == '\n'))
		len--;
	return len;
}

const ips_entry_t *ips_rules_lookup(const ips_rules_t *r, const char *key, size_t len)
{
	len = trim(&key, len);
	if (!len || len > 4096)
		return NULL;
	char buf[4097];
	memcpy(buf, key, len);
	buf[len] = '\0';
	if (len > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X'))
		return lookup_hex(r, buf + 2, len - 2);
	bool neg = buf[0] == '-';
	if (is_digits(buf + neg, len - neg))
		return lookup_decimal(r, buf, len); /* detectors: a number is a code */
	bool letter;
	if (is_hex(buf, len, &letter) && letter) {
		const ips_entry_t *e = lookup_hex(r, buf, len);
		if (e)
			return e;
	}
	const ips_entry_t *e = ips_rules_by_name(r, buf);
	if (e)
		return e;
	ips_key_match_t m[4];
	size_t k = 0;
	if (len < 128 && !add_summary(r, buf, len, m, 4, &k))
		add_names(r, buf, m, 4, &k);
	if (k)
		return m[0].entry;
	return ips_rules_by_message(r, buf, len);
}

size_t ips_rules_find(const ips_rules_t *r, const char *key, ips_key_match_t *out, size_t max,
		      bool *ambiguous)
{
	if (ambiguous)
		*ambiguous = false;
	size_t len = trim(&key, strlen(key));
	if (!len || len > 4096 || !max)
		return 0;
	char buf[4097];
	memcpy(buf, key, len);
	buf[len] = '\0';
	size_t k = 0;
	if (len > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) {
		add(out, max, &k, lookup_hex(r, buf + 2, len - 2), IPS_KEY_CODE);
		return k;
	}
	bool neg = buf[0] == '-';
	if (is_digits(buf + neg, len - neg)) {
		/* all digits is decimal; it may be several kinds of number at once */
		add(out, max, &k, lookup_decimal(r, buf, len), IPS_KEY_CODE);
		if (!neg && len <= 9) {
			long long v = strtoll(buf, NULL, 10);
			add_notify(r, v, out, max, &k, IPS_KEY_NOTIFY);
			for (size_t i = 0; i < ips_rules_entry_count(r); i++) {
				const ips_entry_t *e = ips_rules_entry_at(r, i);
				if (e->event_id && e->event_id == v)
					add(out, max, &k, e, IPS_KEY_EVENT);
			}
			char name[32];
			snprintf(name, sizeof name, "ASA_%lld", v);
			add(out, max, &k, ips_rules_by_name(r, name), IPS_KEY_MSGID);
		}
		for (size_t i = 1; i < k && ambiguous; i++)
			if (out[i].kind != out[0].kind)
				*ambiguous = true;
		return k;
	}
	bool letter;
	if (is_hex(buf, len, &letter) && letter) {
		add(out, max, &k, lookup_hex(r, buf, len), IPS_KEY_CODE);
		if (k)
			return k;
	}
	if (len < 128 && !add_summary(r, buf, len, out, max, &k))
		add_names(r, buf, out, max, &k);
	if (k)
		return k;
	add(out, max, &k, ips_rules_by_message(r, buf, len), IPS_KEY_TEXT);
	if (k)
		return k;
	add_words(r, buf, out, max, &k);
	return k;
}

/* ---- suggestions ---------------------------------------------------------- */

/* Edit distance where a swap of two neighbours counts one (optimal string alignment). */
static size_t osa(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 99;
	size_t d[64][64];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t c = lower(a[i - 1]) != lower(b[j - 1]);
			size_t best = d[i - 1][j - 1] + c;
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
			    lower(a[i - 2]) == lower(b[j - 1]) && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* The same letters in another order (a swap typo beats a different digit). */
static bool anagram(const char *a, const char *b)
{
	if (strlen(a) != strlen(b))
		return false;
	int cnt[256] = {0};
	for (; *a; a++)
		cnt[(unsigned char)lower(*a)]++;
	for (; *b; b++)
		if (--cnt[(unsigned char)lower(*b)] < 0)
			return false;
	return true;
}

typedef struct sugg_ctx {
	const char *key;
	bool numeric;
	size_t limit;
	ips_key_suggestion_t *out;
	size_t max, n;
} sugg_ctx_t;

static bool better(const sugg_ctx_t *c, const ips_key_suggestion_t *a, const ips_key_suggestion_t *b)
{
	if (a->distance != b->distance)
		return a->distance < b->distance;
	bool aa = anagram(a->form, c->key), ab = anagram(b->form, c->key);
	return aa && !ab;
}

static void consider(sugg_ctx_t *c, const ips_entry_t *e, const char *form)
{
	if (!form || !*form || is_digits(form, strlen(form)) != c->numeric)
		return;
	size_t dist = osa(c->key, form);
	if (dist == 0 || dist > c->limit)
		return;
	ips_key_suggestion_t s = {.entry = e, .distance = dist};
	snprintf(s.form, sizeof s.form, "%s", form);
	for (size_t i = 0; i < c->n; i++)
		if (c->out[i].entry == e) {
			if (better(c, &s, &c->out[i]))
				c->out[i] = s;
			return;
		}
	/* keep the best max, in order */
	size_t pos = c->n;
	while (pos > 0 && better(c, &s, &c->out[pos - 1]))
		pos--;
	if (pos >= c->max)
		return;
	size_t last = c->n < c->max ? c->n : c->max - 1;
	memmove(&c->out[pos + 1], &c->out[pos], (last - pos) * sizeof s);
	c->out[pos] = s;
	if (c->n < c->max)
		c->n++;
}

size_t ips_rules_suggest(const ips_rules_t *r, const char *key, ips_key_suggestion_t *out,
			 size_t max)
{
	size_t len = trim(&key, strlen(key));
	char buf[64];
	if (!len || len >= sizeof buf || !max)
		return 0;
	memcpy(buf, key, len);
	buf[len] = '\0';
	if (len > 3 && (buf[0] == 'N' || buf[0] == 'n') && buf[1] == '(' && buf[len - 1] == ')') {
		/* strongSwan's N(...): the name inside */
		len -= 3;
		memmove(buf, buf + 2, len);
		buf[len] = '\0';
	}
	sugg_ctx_t c = {.key = buf, .numeric = is_digits(buf, len), .out = out, .max = max};
	c.limit = len <= 3 ? 0 : len <= 6 ? 1 : len <= 12 ? 2 : 3;
	if (c.numeric && len >= 4)
		c.limit = 1 + (len >= 5); /* 13081: a swap and a wrong digit */
	if (!c.limit)
		return 0;
	for (size_t i = 0; i < ips_rules_entry_count(r); i++) {
		const ips_entry_t *e = ips_rules_entry_at(r, i);
		char f[96];
		consider(&c, e, e->name);
		for (size_t j = 0; j < e->aliases.len; j++)
			consider(&c, e, e->aliases.items[j]);
		if (e->has_code) {
			snprintf(f, sizeof f, "%lld", (long long)e->code);
			consider(&c, e, f);
			snprintf(f, sizeof f, "0x%04llX", (long long)e->code);
			consider(&c, e, f);
		}
		if (e->notify) {
			snprintf(f, sizeof f, "%d", e->notify);
			consider(&c, e, f);
			const char *n = e->name;
			if (!strncmp(n, "IKEV1_", 6) || !strncmp(n, "IKEV2_", 6))
				consider(&c, e, n + 6);
			for (size_t s = 0; s < NSHORT; s++)
				if (short_names[s].type == e->notify)
					consider(&c, e, short_names[s].name);
		}
		if (e->event_id) {
			snprintf(f, sizeof f, "%lld", (long long)e->event_id);
			consider(&c, e, f);
		}
	}
	return c.n;
}

/* ---- context ---------------------------------------------------------------- */

static bool has_nocase(const char *s, size_t len, const char *w)
{
	size_t n = strlen(w);
	for (size_t i = 0; i + n <= len; i++) {
		size_t j = 0;
		while (j < n && lower(s[i + j]) == w[j])
			j++;
		if (j == n)
			return true;
	}
	return false;
}

/* 1 main mode, 2 quick mode, 0 not told (or both). */
static int record_mode(const char *rec, size_t len)
{
	/* the event id: 4652/4653 main mode, 4654 quick mode negotiation failed */
	for (size_t i = 0; i + 7 <= len; i++) {
		size_t j;
		if (has_nocase(rec + i, 7, "eventid"))
			j = i + 7;
		else if (i + 8 <= len && has_nocase(rec + i, 8, "event id"))
			j = i + 8;
		else
			continue;
		size_t skip = 0;
		while (j < len && skip < 4 && (rec[j] == '>' || rec[j] == '=' || rec[j] == ':' ||
					       rec[j] == ' ' || rec[j] == '"' || rec[j] == '\''))
			j++, skip++;
		if (j + 4 <= len && (j + 4 == len || rec[j + 4] < '0' || rec[j + 4] > '9')) {
			if (!memcmp(rec + j, "4652", 4) || !memcmp(rec + j, "4653", 4))
				return 1;
			if (!memcmp(rec + j, "4654", 4))
				return 2;
		}
	}
	bool mm_neg = has_nocase(rec, len, "main mode negotiation"),
	     qm_neg = has_nocase(rec, len, "quick mode negotiation");
	if (mm_neg != qm_neg)
		return mm_neg ? 1 : 2;
	bool mm = has_nocase(rec, len, "main mode") || has_nocase(rec, len, "main-mode") ||
		  has_nocase(rec, len, "mainmode");
	bool qm = has_nocase(rec, len, "quick mode") || has_nocase(rec, len, "quick-mode") ||
		  has_nocase(rec, len, "quickmode");
	return mm == qm ? 0 : mm ? 1 : 2;
}

/*
 * The mode a code's name is about: _MM_ main mode, _QM_ quick mode, 0 not
 * said (QUEUE_DROP_MM and QUEUE_DROP_NO_MM name whether a main mode existed,
 * not which mode was queued).
 */
static int name_mode(const char *name)
{
	if (strstr(name, "_QM_"))
		return 2;
	if (strstr(name, "_MM_"))
		return 1;
	return 0;
}

const ips_entry_t *ips_entry_narrow(const ips_entry_t *e, const char *rec, size_t len)
{
	if (!e || !e->cand_len || !rec)
		return e;
	int mode = record_mode(rec, len);
	if (!mode)
		return e;
	const ips_entry_t *pick = NULL;
	size_t keep = 0;
	for (size_t i = 0; i < e->cand_len; i++) {
		int m = name_mode(e->cand[i]->name);
		if (m == mode || m == 0) {
			pick = e->cand[i];
			keep++;
		}
	}
	return keep == 1 ? pick : e;
}
