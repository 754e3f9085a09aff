/* SPDX-License-Identifier: Apache-2.0 */
/* match.c - see match.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "detect/match.h"

#include <pcre2.h>
#include <string.h>

#include "detect/lookup.h"
#include "util/util.h"

/* Message texts given to the prefilter as phrases: at most MSG_WORDS words of
 * at most MSG_WORD_MAX bytes (a longer text keeps its literal). */
#define MSG_WORDS 64
#define MSG_WORD_MAX 64

typedef struct group {
	uint32_t num;
	const char *name; /* points into the pattern's name table */
} group_t;

typedef struct mdet {
	const ips_detector_t *det;
	group_t groups[IPS_MAX_CAPTURES];
	size_t ngroups;
	bool any_format;
	uint64_t limit_hits;
} mdet_t;

struct ips_matcher {
	const ips_rules_t *rules;
	mdet_t *dets;
	size_t ndets;
	mdet_t *exts;
	size_t nexts;
	ips_prefilter_t *pf;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
	uint64_t *cands;
	const ips_entry_t **seen; /* entries already reported for the current record */
	size_t nseen, capseen;
	bool report_all;
};

static void load_groups(mdet_t *d)
{
	const pcre2_code *re = d->det->re;
	uint32_t count = 0, size = 0;
	PCRE2_SPTR table = NULL;
	pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < count && d->ngroups < IPS_MAX_CAPTURES; i++) {
		PCRE2_SPTR e = table + (size_t)i * size;
		d->groups[d->ngroups].num = ((uint32_t)e[0] << 8) | e[1];
		d->groups[d->ngroups].name = (const char *)(e + 2);
		d->ngroups++;
	}
}

/* Does the regex hold word as rules_check.c escapes a message text into one? */
static bool regex_has_word(const char *regex, const char *w, size_t n)
{
	char esc[2 * MSG_WORD_MAX + 1];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (strchr("\\^$.|?*+()[]{}#/-", w[i]))
			esc[k++] = '\\';
		esc[k++] = w[i];
	}
	esc[k] = '\0';
	return strstr(regex, esc) != NULL;
}

/*
 * A detector generated from a message text matches the words of the text in
 * order, with white space between them. Its one literal (the longest word)
 * is often a word every log uses ("authentication", "connection"), so the
 * prefilter gets the whole phrase instead: a line must hold its words, and
 * the rarest must stand next to its neighbours. Each word must appear in the
 * regex as rules_check.c escapes it; if one does not (the way texts become regexes
 * changed), the detector keeps its literal.
 */
static bool add_message_words(ips_prefilter_t *pf, const ips_detector_t *d, size_t det)
{
	if (!d->parent || !d->parent->messages.len || !d->entry || !d->entry->message || !d->regex)
		return false;
	const char *w[MSG_WORDS];
	size_t wl[MSG_WORDS], n = 0;
	for (const char *p = d->entry->message; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		const char *s = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		size_t len = (size_t)(p - s);
		if (!len)
			continue;
		if (n == MSG_WORDS || len > MSG_WORD_MAX)
			return false;
		w[n] = s;
		wl[n++] = len;
	}
	/* the text ends without its final periods */
	while (n && wl[n - 1] && w[n - 1][wl[n - 1] - 1] == '.')
		wl[n - 1]--;
	for (size_t i = 0; i < n; i++)
		if (wl[i] && !regex_has_word(d->regex, w[i], wl[i]))
			return false;
	if (!n)
		return false;
	ips_prefilter_add_phrase(pf, w, wl, n, det);
	return true;
}

ips_matcher_t *ips_matcher_new(const ips_rules_t *rules, const ips_match_limits_t *lim)
{
	ips_matcher_t *m = ips_xcalloc(1, sizeof *m);
	m->rules = rules;
	m->ndets = ips_rules_active_count(rules);
	m->dets = ips_xcalloc(m->ndets, sizeof *m->dets);
	m->pf = ips_prefilter_new(m->ndets);
	for (size_t i = 0; i < m->ndets; i++) {
		mdet_t *d = &m->dets[i];
		d->det = ips_rules_active_at(rules, i);
		d->any_format = d->det->formats.len == 0;
		load_groups(d);
		if (add_message_words(m->pf, d->det, i))
			continue;
		for (size_t j = 0; j < d->det->literals.len; j++)
			ips_prefilter_add(m->pf, d->det->literals.items[j],
					  strlen(d->det->literals.items[j]), i);
		size_t na = d->det->literals_and.len;
		if (na) {
			size_t *lens = ips_xmalloc(na * sizeof *lens);
			for (size_t j = 0; j < na; j++)
				lens[j] = strlen(d->det->literals_and.items[j]);
			ips_prefilter_also(m->pf, i, (const char *const *)d->det->literals_and.items,
					   lens, na);
			free(lens);
		}
	}
	ips_prefilter_build(m->pf);
	m->nexts = ips_rules_extractor_count(rules);
	m->exts = ips_xcalloc(m->nexts ? m->nexts : 1, sizeof *m->exts);
	for (size_t i = 0; i < m->nexts; i++) {
		m->exts[i].det = ips_rules_extractor_at(rules, i);
		m->exts[i].any_format = m->exts[i].det->formats.len == 0;
		if (m->exts[i].det->re)
			load_groups(&m->exts[i]);
	}
	m->md = pcre2_match_data_create(64, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(m->mctx, lim->match_limit);
	pcre2_set_depth_limit(m->mctx, lim->depth_limit);
	pcre2_set_heap_limit(m->mctx, lim->heap_limit_kib);
	m->jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	if (m->jit_stack)
		pcre2_jit_stack_assign(m->mctx, NULL, m->jit_stack);
	m->cands = ips_xcalloc(ips_prefilter_words(m->pf), sizeof *m->cands);
	return m;
}

void ips_matcher_free(ips_matcher_t *m)
{
	if (!m)
		return;
	ips_prefilter_free(m->pf);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	if (m->jit_stack)
		pcre2_jit_stack_free(m->jit_stack);
	free(m->dets);
	free(m->exts);
	free(m->cands);
	free(m->seen);
	free(m);
}

const ips_prefilter_t *ips_matcher_prefilter(const ips_matcher_t *m)
{
	return m->pf;
}

void ips_matcher_report_all(ips_matcher_t *m, bool all)
{
	m->report_all = all;
}

void ips_matcher_reset_limit_hits(ips_matcher_t *m)
{
	for (size_t i = 0; i < m->ndets; i++)
		m->dets[i].limit_hits = 0;
}

uint64_t ips_matcher_limit_hits(const ips_matcher_t *m, size_t i)
{
	return i < m->ndets ? m->dets[i].limit_hits : 0;
}

static bool format_ok(const mdet_t *d, const char *format)
{
	if (d->any_format || !format)
		return true;
	for (size_t i = 0; i < d->det->formats.len; i++)
		if (strcmp(d->det->formats.items[i], format) == 0)
			return true;
	return false;
}

static bool seen(ips_matcher_t *m, const ips_entry_t *e)
{
	for (size_t i = 0; i < m->nseen; i++)
		if (m->seen[i] == e)
			return true;
	if (m->nseen == m->capseen) {
		m->capseen = m->capseen ? m->capseen * 2 : 16;
		m->seen = ips_xrealloc(m->seen, m->capseen * sizeof *m->seen);
	}
	m->seen[m->nseen++] = e;
	return false;
}

static int run(ips_matcher_t *m, mdet_t *d, const char *rec, size_t len, size_t from)
{
	const pcre2_code *re = ips_detector_code(d->det);
	int rc = pcre2_match(re, (PCRE2_SPTR)rec, len, from, 0, m->md, m->mctx);
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
		d->limit_hits++;
	return rc;
}

size_t ips_matcher_match(ips_matcher_t *m, const char *format, const char *rec, size_t len,
			 const uint64_t *cands, ips_hit_cb cb, void *ctx)
{
	size_t hits = 0;
	size_t words = ips_prefilter_words(m->pf);
	m->nseen = 0;
	for (size_t w = 0; w < words; w++) {
		for (uint64_t bits = cands[w]; bits; bits &= bits - 1) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
			if (i >= m->ndets)
				break;
			mdet_t *d = &m->dets[i];
			if (!format_ok(d, format))
				continue;
			size_t from = 0;
			/* A lookup detector may name several codes in one record. */
			while (from <= len) {
				if (run(m, d, rec, len, from) <= 0)
					break;
				PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
				ips_hit_t h;
				h.det = d->det;
				h.start = ov[0];
				h.len = ov[1] - ov[0];
				h.entry = d->det->entry;
				if (d->det->lookup) {
					uint32_t g = d->det->lookup_group;
					if (ov[2 * g] != PCRE2_UNSET)
						h.entry = ips_rules_lookup(m->rules, rec + ov[2 * g],
									   ov[2 * g + 1] - ov[2 * g]);
				}
				/* a text several codes share: the record may say which (main or quick mode) */
				if (h.entry && h.entry->cand_len)
					h.entry = ips_entry_narrow(h.entry, rec, len);
				h.ncaps = 0;
				for (size_t k = 0; k < d->ngroups; k++) {
					uint32_t g = d->groups[k].num;
					if (ov[2 * g] == PCRE2_UNSET)
						continue;
					h.caps[h.ncaps].name = d->groups[k].name;
					h.caps[h.ncaps].value = rec + ov[2 * g];
					h.caps[h.ncaps].len = ov[2 * g + 1] - ov[2 * g];
					h.ncaps++;
				}
				if (h.entry && (m->report_all || !seen(m, h.entry))) {
					cb(ctx, &h);
					hits++;
				}
				if (!d->det->lookup)
					break;
				from = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
			}
		}
	}
	return hits;
}

size_t ips_matcher_match_record(ips_matcher_t *m, const char *format, const char *rec,
				size_t len, ips_hit_cb cb, void *ctx)
{
	if (!ips_prefilter_scan_record(m->pf, rec, len, m->cands))
		return 0;
	return ips_matcher_match(m, format, rec, len, m->cands, cb, ctx);
}

void ips_matcher_extract(ips_matcher_t *m, const char *format, const char *rec, size_t len,
			 ips_capture_cb cb, void *ctx)
{
	for (size_t i = 0; i < m->nexts; i++) {
		mdet_t *d = &m->exts[i];
		if (!d->det->re || !format_ok(d, format))
			continue;
		if (run(m, d, rec, len, 0) <= 0)
			continue;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
		for (size_t k = 0; k < d->ngroups; k++) {
			uint32_t g = d->groups[k].num;
			if (ov[2 * g] != PCRE2_UNSET)
				cb(ctx, d->groups[k].name, rec + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
		}
	}
}
