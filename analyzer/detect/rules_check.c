/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_check.c - finalize: check references, compile the regexes (JIT on
 * first use), expand `messages:` detectors and build the lookup tables.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "detect/rules.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rules_impl.h"

/* ---- finalize ---------------------------------------------------------- */

/* Normalise a message for comparison: trim, collapse white space, drop final periods. */
char *rules_norm_message(const char *s, size_t n)
{
	char *out = ips_xmalloc(n + 1);
	size_t k = 0;
	bool space = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = k > 0;
			continue;
		}
		if (space)
			out[k++] = ' ';
		space = false;
		out[k++] = (char)c;
	}
	while (k && (out[k - 1] == '.' || out[k - 1] == ' '))
		k--;
	out[k] = '\0';
	return out;
}

static int cmp_entry(const void *a, const void *b)
{
	const ips_entry_t *x = *(ips_entry_t *const *)a, *y = *(ips_entry_t *const *)b;
	return strcmp(x->name, y->name);
}

static int cmp_detector(const void *a, const void *b)
{
	const ips_detector_t *x = *(ips_detector_t *const *)a, *y = *(ips_detector_t *const *)b;
	return strcmp(x->id, y->id);
}

/* Escape a literal for a PCRE2 pattern, with white-space runs as \s+. */
static void regex_escape(ips_buf_t *b, const char *s)
{
	bool space = false;
	for (; *s; s++) {
		if (*s == ' ') {
			if (!space)
				ips_buf_append(b, "\\s+", 3);
			space = true;
			continue;
		}
		space = false;
		if (strchr("\\^$.|?*+()[]{}#/-", *s))
			ips_buf_putc(b, '\\');
		ips_buf_putc(b, *s);
	}
}

/*
 * JIT is a speed-up, not a requirement: without it PCRE2 interprets.
 * IPSEC_SCAN_NO_JIT=1 turns it off (valgrind cannot follow JIT code).
 * Compiling every regex at start-up cost two thirds of a one-line scan's
 * instructions, so each detector is compiled when a matcher first runs it.
 */
static pthread_mutex_t jit_lock = PTHREAD_MUTEX_INITIALIZER;

void *ips_detector_code(const ips_detector_t *d)
{
	if (!d->re || __atomic_load_n(&d->jit_done, __ATOMIC_ACQUIRE))
		return d->re;
	pthread_mutex_lock(&jit_lock);
	ips_detector_t *w = (ips_detector_t *)d; /* the one field set after finalize */
	if (!w->jit_done) {
		const char *nojit = getenv("IPSEC_SCAN_NO_JIT");
		if (!nojit || !*nojit || !strcmp(nojit, "0"))
			(void)pcre2_jit_compile(w->re, PCRE2_JIT_COMPLETE);
		__atomic_store_n(&w->jit_done, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&jit_lock);
	return d->re;
}

static bool compile_detector(ips_detector_t *dt, ips_diag_t *d)
{
	int err;
	PCRE2_SIZE off;
	uint32_t opts = PCRE2_MULTILINE | (dt->nocase ? PCRE2_CASELESS : 0);
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)dt->regex, PCRE2_ZERO_TERMINATED, opts, &err,
				       &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof msg);
		ips_diag_add(d, true, dt->file, dt->line, dt->col,
			     "detector '%s': regex does not compile at offset %zu: %s", dt->id,
			     (size_t)off, (char *)msg);
		return false;
	}
	dt->re = re; /* JIT-compiled on first use: ips_detector_code() */
	if (dt->lookup) {
		int g = pcre2_substring_number_from_name(re, (PCRE2_SPTR)dt->lookup);
		if (g <= 0) {
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': lookup names capture '%s', which the regex does not have",
				     dt->id, dt->lookup);
			return false;
		}
		dt->lookup_group = (uint32_t)g;
	}
	return true;
}

static bool contains(const char *hay, const char *needle, bool nocase)
{
	if (!nocase)
		return strstr(hay, needle) != NULL;
	size_t n = strlen(needle);
	for (const char *p = hay; *p; p++) {
		size_t i = 0;
		while (i < n && p[i]) {
			int a = (unsigned char)p[i], b = (unsigned char)needle[i];
			if (a >= 'A' && a <= 'Z')
				a += 32;
			if (b >= 'A' && b <= 'Z')
				b += 32;
			if (a != b)
				break;
			i++;
		}
		if (i == n)
			return true;
	}
	return false;
}

/* A reference starts with where the fact is: an address, an RFC or a repository path. */
static bool reference_ok(const char *s)
{
	if (!strncmp(s, "https://", 8) || !strncmp(s, "http://", 7))
		return s[s[4] == 's' ? 8 : 7] != '\0';
	if (!strncmp(s, "RFC ", 4))
		return s[4] >= '1' && s[4] <= '9';
	/* owner/repo:path */
	const char *slash = NULL, *p = s;
	for (; *p && *p != ' ' && *p != ':'; p++)
		if (*p == '/' && !slash)
			slash = p;
	return slash && slash > s && slash[1] != ':' && *p == ':' && p[1] && p[1] != ' ';
}

static void check_entry(ips_rules_t *r, ips_entry_t *e, ips_diag_t *d)
{
	if (!ips_is_upper_snake(e->name))
		ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': name must be UPPER_SNAKE", e->name);
	if (!e->message)
		ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': message is missing", e->name);
	if (!e->severity)
		ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': severity is missing", e->name);
	if (!e->category)
		ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': category is missing", e->name);
	else if (!rules_in_list(rules_categories, e->category))
		ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': unknown category '%s'", e->name,
			     e->category);
	if (!e->summary)
		ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': summary is missing", e->name);
	if (e->has_code) {
		if (e->code < 0 || e->code > 0xFFFF)
			ips_diag_add(d, true, e->file, e->line, e->col,
				     "entry '%s': code %lld is outside 0..65535", e->name,
				     (long long)e->code);
		char want[16];
		snprintf(want, sizeof want, "0x%04llX", (long long)e->code);
		if (!e->hex)
			ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': hex is missing (%s)",
				     e->name, want);
		else if (!ips_streq_nocase(e->hex, want))
			ips_diag_add(d, true, e->file, e->line, e->col,
				     "entry '%s': hex %s does not equal code %lld (%s)", e->name,
				     e->hex, (long long)e->code, want);
	}
	if (e->marker) {
		if (strcmp(e->marker, "begin") && strcmp(e->marker, "end") &&
		    strcmp(e->marker, "extended-end"))
			ips_diag_add(d, true, e->file, e->line, e->col,
				     "entry '%s': marker must be begin, end or extended-end", e->name);
	} else if (!e->event && (!e->causes.len || !e->diagnose.len || !e->resolve.len)) {
		ips_diag_add(d, false, e->file, e->line, e->col,
			     "entry '%s': causes, diagnose and resolve should each list something",
			     e->name);
	}
	for (size_t i = 0; i < e->references.len; i++)
		if (!reference_ok(e->references.items[i]))
			ips_diag_add(d, true, e->file, e->line, e->col,
				     "entry '%s': reference '%s' must start with an address (https://...), "
				     "'RFC <number>' or a repository path (owner/repo:path)",
				     e->name, e->references.items[i]);
	if (e->event_id < 0 || e->event_id > 65535)
		ips_diag_add(d, true, e->file, e->line, e->col, "entry '%s': event_id %lld is outside 1..65535",
			     e->name, (long long)e->event_id);
	if (e->candidates.len) {
		if (e->has_code)
			ips_diag_add(d, true, e->file, e->line, e->col,
				     "entry '%s': an entry with candidates stands for several codes and takes no code",
				     e->name);
		if (e->candidates.len < 2)
			ips_diag_add(d, true, e->file, e->line, e->col,
				     "entry '%s': candidates must name at least two entries", e->name);
		free(e->cand);
		e->cand = ips_xcalloc(e->candidates.len, sizeof *e->cand);
		e->cand_len = 0;
		char *mine = e->message ? rules_norm_message(e->message, strlen(e->message)) : NULL;
		for (size_t i = 0; i < e->candidates.len; i++) {
			const ips_entry_t *c = rules_strmap_get(&r->by_name, e->candidates.items[i]);
			char *theirs = c && c->message ? rules_norm_message(c->message, strlen(c->message)) : NULL;
			if (!c || !c->has_code)
				ips_diag_add(d, true, e->file, e->line, e->col,
					     "entry '%s': candidate '%s' is not an entry with a code", e->name,
					     e->candidates.items[i]);
			else if (!mine || !theirs || strcmp(mine, theirs))
				ips_diag_add(d, true, e->file, e->line, e->col,
					     "entry '%s': candidate '%s' has another message text", e->name,
					     e->candidates.items[i]);
			else
				e->cand[e->cand_len++] = c;
			free(theirs);
		}
		free(mine);
	}
	for (size_t i = 0; i < e->related.len; i++)
		if (!rules_strmap_get(&r->by_name, e->related.items[i]))
			ips_diag_add(d, true, e->file, e->line, e->col,
				     "entry '%s': related names unknown entry '%s'", e->name,
				     e->related.items[i]);
}

static void check_detector(ips_rules_t *r, ips_detector_t *dt, ips_diag_t *d)
{
	if (!ips_is_lower_kebab(dt->id))
		ips_diag_add(d, true, dt->file, dt->line, dt->col, "detector '%s': id must be lower-kebab-case",
			     dt->id);
	int ways = (dt->name != NULL) + (dt->lookup != NULL) + (dt->messages.len > 0);
	if (ways != 1)
		ips_diag_add(d, true, dt->file, dt->line, dt->col,
			     "detector '%s': give exactly one of name, lookup or messages", dt->id);
	if (dt->name) {
		dt->entry = rules_strmap_get(&r->by_name, dt->name);
		if (!dt->entry)
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': name '%s' is not a knowledge entry", dt->id,
				     dt->name);
	}
	if (dt->promote_after || dt->promote_name) {
		const ips_entry_t *after = dt->promote_after ? rules_strmap_get(&r->by_name, dt->promote_after) : NULL;
		dt->promote_entry = dt->promote_name ? rules_strmap_get(&r->by_name, dt->promote_name) : NULL;
		if (!after || !after->event)
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': promote.after must name an event entry", dt->id);
		if (!dt->promote_entry)
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': promote.name must name a knowledge entry", dt->id);
	}
	for (size_t i = 0; i < dt->formats.len; i++)
		if (!ips_format_name_known(dt->formats.items[i]))
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': unknown input format '%s'", dt->id,
				     dt->formats.items[i]);
	if (dt->messages.len) {
		if (dt->regex || dt->literals.len || dt->literals_and.len)
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': a messages detector takes no regex or literals "
				     "(they come from the entries' message texts)",
				     dt->id);
		return;
	}
	if (!dt->regex) {
		ips_diag_add(d, true, dt->file, dt->line, dt->col, "detector '%s': regex is missing", dt->id);
		return;
	}
	if (!dt->literals.len)
		ips_diag_add(d, true, dt->file, dt->line, dt->col,
			     "detector '%s': literals are missing (the prefilter needs at least one)",
			     dt->id);
	for (size_t i = 0; i < dt->literals.len; i++)
		if (!dt->literals.items[i][0])
			ips_diag_add(d, true, dt->file, dt->line, dt->col, "detector '%s': empty literal",
				     dt->id);
	for (size_t i = 0; i < dt->literals_and.len; i++)
		if (!dt->literals_and.items[i][0])
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': empty literal in literals_and", dt->id);
	for (size_t i = 0; i < dt->covers.len; i++) {
		/* "product: releases", product in lower case: docs/rules.md */
		const char *c = dt->covers.items[i], *colon = strchr(c, ':');
		bool ok = colon && colon > c && colon[1] == ' ' && colon[2];
		for (const char *p = c; ok && p < colon; p++)
			ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
		if (!ok)
			ips_diag_add(d, true, dt->file, dt->line, dt->col,
				     "detector '%s': covers item '%s' is not 'product: releases' "
				     "(e.g. 'strongswan: 5.0-5.9')",
				     dt->id, c);
	}
	compile_detector(dt, d);
	for (size_t i = 0; i < dt->nmatch; i++) {
		bool ok = false;
		for (size_t j = 0; j < dt->literals.len && !ok; j++)
			ok = contains(dt->match[i].line, dt->literals.items[j], dt->nocase);
		if (!ok && dt->literals.len)
			ips_diag_add(d, true, dt->file, dt->match[i].src_line, 0,
				     "detector '%s': match example contains none of the literals, so the "
				     "prefilter would skip it",
				     dt->id);
		ok = !dt->literals_and.len;
		for (size_t j = 0; j < dt->literals_and.len && !ok; j++)
			ok = contains(dt->match[i].line, dt->literals_and.items[j], true);
		if (!ok)
			ips_diag_add(d, true, dt->file, dt->match[i].src_line, 0,
				     "detector '%s': match example contains none of literals_and, so the "
				     "prefilter would skip it",
				     dt->id);
		if (dt->match[i].name && !rules_strmap_get(&r->by_name, dt->match[i].name))
			ips_diag_add(d, true, dt->file, dt->match[i].src_line, 0,
				     "detector '%s': example names unknown entry '%s'", dt->id,
				     dt->match[i].name);
	}
	if (!dt->nmatch)
		ips_diag_add(d, false, dt->file, dt->line, dt->col,
			     "detector '%s': no match examples (rules test cannot check it)", dt->id);
}

/*
 * The prefilter literal of a message: its longest word. A longer phrase
 * would be rarer, but logs re-space and re-wrap message texts (tabs, runs
 * of spaces, CSV exports), and a literal must be in every match.
 */
static char *message_literal(const char *msg)
{
	const char *best = msg;
	size_t best_len = 0;
	for (const char *p = msg; *p;) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		size_t n = (size_t)(p - w);
		while (n && (w[n - 1] == '.' || w[n - 1] == ','))
			n--;
		if (n > best_len) {
			best = w;
			best_len = n;
		}
	}
	return ips_xstrndup(best, best_len);
}

static void expand_messages(ips_rules_t *r, ips_detector_t *dt, ips_diag_t *d)
{
	for (size_t i = 0; i < r->entries.len; i++) {
		ips_entry_t *e = r->entries.items[i];
		if (!e->message || !e->source)
			continue;
		bool want = false;
		for (size_t j = 0; j < dt->messages.len && !want; j++)
			want = !strcmp(dt->messages.items[j], e->source);
		if (!want)
			continue;
		char *norm = rules_norm_message(e->message, strlen(e->message));
		/*
		 * Too short to mean anything on its own, or a text several codes
		 * share (13809-13812): the entry the lookup table holds for the
		 * text (the lowest code) reports it, once.
		 */
		const ips_entry_t *owner = rules_strmap_get(&r->by_message, norm);
		if (strlen(norm) < 8 || (owner && owner != e)) {
			free(norm);
			continue;
		}
		ips_detector_t *g = ips_xcalloc(1, sizeof *g);
		g->id = ips_xstrdup(dt->id);
		g->description = dt->description ? ips_xstrdup(dt->description) : NULL;
		g->name = ips_xstrdup(e->name);
		g->entry = e;
		g->parent = dt;
		g->severity = dt->severity;
		g->builtin = dt->builtin;
		g->file = ips_xstrdup(dt->file);
		g->line = dt->line;
		g->col = dt->col;
		for (size_t j = 0; j < dt->formats.len; j++) {
			g->formats.items = ips_xrealloc(g->formats.items,
							(g->formats.len + 1) * sizeof(char *));
			g->formats.items[g->formats.len++] = ips_xstrdup(dt->formats.items[j]);
		}
		g->literals.items = ips_xmalloc(sizeof(char *));
		g->literals.items[0] = message_literal(e->message);
		g->literals.len = 1;
		/*
		 * The text must stand as a whole phrase: after the start, a field
		 * separator or a space, and ending the record or followed by a
		 * separator or the end of a sentence, so that a short text such
		 * as "Invalid policy" does not fire inside "Invalid policy name".
		 */
		ips_buf_t b;
		ips_buf_init(&b, 1 << 16);
		ips_buf_printf(&b, "(?:^|(?<=[\\s:=\"'>(\\[|,;]))");
		regex_escape(&b, norm);
		ips_buf_printf(&b, "(?:\\.(?=\\s|$|[\"'<])|(?=\\s*$|[\\r\\n\\t\"'<>,;|)\\]]|\\s{2}))");
		g->regex = ips_buf_steal(&b);
		free(norm);
		if (compile_detector(g, d))
			ips_vec_push(&r->generated, g);
		else
			rules_detector_free(g);
	}
}

/*
 * A text that several codes share must be owned by an entry with candidates
 * (docs/rules.md), or a scan would name only one of the codes.
 */
static void check_shared_texts(ips_rules_t *r, ips_diag_t *d)
{
	for (size_t i = 0; i < r->entries.len; i++) {
		ips_entry_t *e = r->entries.items[i];
		if (!e->has_code || !e->message)
			continue;
		char *m = rules_norm_message(e->message, strlen(e->message));
		const ips_entry_t *o = rules_strmap_get(&r->by_message, m);
		if (o && o != e && o->has_code && !strcmp(o->source ? o->source : "",
							  e->source ? e->source : ""))
			ips_diag_add(d, false, e->file, e->line, e->col,
				     "entry '%s': its message is also %s's: add an entry with "
				     "candidates for the text, or scans report only %s",
				     e->name, o->name, o->name);
		free(m);
	}
}

ips_status_t ips_rules_finalize(ips_rules_t *r, ips_diag_t *d)
{
	size_t errors0 = d->errors;
	if (r->entries.len)
		qsort(r->entries.items, r->entries.len, sizeof(void *), cmp_entry);
	if (r->detectors.len)
		qsort(r->detectors.items, r->detectors.len, sizeof(void *), cmp_detector);
	rules_idx_free(&r->entry_at); /* positions changed: built again if more are added */
	rules_idx_free(&r->detector_at);
	/* Names first, then aliases, so an alias never hides a real name. */
	for (size_t i = 0; i < r->entries.len; i++) {
		ips_entry_t *e = r->entries.items[i];
		rules_strmap_put(&r->by_name, e->name, e, true);
		if (e->has_code && e->code >= 0 && e->code < 16384)
			r->by_code[e->code] = e;
	}
	for (size_t i = 0; i < r->entries.len; i++) {
		ips_entry_t *e = r->entries.items[i];
		for (size_t j = 0; j < e->aliases.len; j++)
			rules_strmap_put(&r->by_name, e->aliases.items[j], e, false);
		if (e->message) {
			char *m = rules_norm_message(e->message, strlen(e->message));
			/* On a clash the Windows text wins over a gateway meaning, and
			 * the lowest code over a higher one. */
			const ips_entry_t *o = rules_strmap_get(&r->by_message, m);
			bool better = !o || (e->candidates.len && !o->candidates.len) ||
				      (!o->candidates.len && e->has_code &&
				       (!o->has_code || e->code < o->code));
			rules_strmap_put(&r->by_message, m, e, better);
			free(m);
		}
	}
	for (size_t i = 0; i < r->entries.len; i++)
		check_entry(r, r->entries.items[i], d);
	check_shared_texts(r, d);
	for (size_t i = 0; i < r->detectors.len; i++) {
		ips_detector_t *dt = r->detectors.items[i];
		check_detector(r, dt, d);
		if (dt->messages.len)
			expand_messages(r, dt, d);
		else if (dt->re)
			ips_vec_push(&r->active, dt);
	}
	for (size_t i = 0; i < r->generated.len; i++)
		ips_vec_push(&r->active, r->generated.items[i]);
	for (size_t i = 0; i < r->extractors.len; i++) {
		ips_detector_t *ex = r->extractors.items[i];
		if (!ips_is_lower_kebab(ex->id))
			ips_diag_add(d, true, ex->file, ex->line, ex->col,
				     "extractor '%s': id must be lower-kebab-case", ex->id);
		if (ex->name || ex->lookup || ex->messages.len || ex->literals.len)
			ips_diag_add(d, true, ex->file, ex->line, ex->col,
				     "extractor '%s': takes only id, description, regex, formats", ex->id);
		if (!ex->regex)
			ips_diag_add(d, true, ex->file, ex->line, ex->col, "extractor '%s': regex is missing",
				     ex->id);
		else
			compile_detector(ex, d);
	}
	r->finalized = true;
	return d->errors > errors0 ? IPS_E_RULES : IPS_OK;
}

