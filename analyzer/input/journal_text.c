/* SPDX-License-Identifier: Apache-2.0 */
/*
 * journal_text.c - the text forms of the systemd journal (see journal.h):
 * `journalctl -o export` and `journalctl -o json`, each an entry at a time
 * into the emitter journal.c shares with the sd-journal reader
 * (journal_priv.h).
 */
#include "input/journal.h"
#include "input/journal_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "util/util.h"

/* ---- journalctl -o export ------------------------------------------------ */

/*
 * "FIELD=value\n" per field, "FIELD\n" + 64-bit little-endian size + data +
 * "\n" for a field with binary data or newlines, an empty line after each
 * entry. Read through a buffer of one block; a value longer than its cap is
 * cut (MESSAGE: counted as a truncated record) and the rest skipped.
 */
typedef struct xreader {
	ips_source_t *src;
	ips_sink_t *sink;
	char *buf;
	size_t cap, have, pos;
	uint64_t base;       /* offset of buf[0] */
	bool eof, failed;
} xreader_t;

static bool x_fill(xreader_t *x)
{
	if (x->eof || x->failed)
		return false;
	if (x->pos) {
		memmove(x->buf, x->buf + x->pos, x->have - x->pos);
		x->have -= x->pos;
		x->base += x->pos;
		x->pos = 0;
	}
	if (x->have == x->cap)
		return false;
	ssize_t n = ips_source_read(x->src, x->buf + x->have, x->cap - x->have);
	if (n < 0) {
		ips_sink_error(x->sink, x->base + x->have, "read error: %s",
			       ips_source_error(x->src));
		x->failed = true;
		return false;
	}
	if (n == 0) {
		x->eof = true;
		ips_framer_source_problem(x->src, x->sink); /* a decoder's, before ours */
		return false;
	}
	x->have += (size_t)n;
	return true;
}

/* Skip n bytes of data (a binary value's rest). */
static bool x_skip(xreader_t *x, uint64_t n)
{
	while (n) {
		if (x->pos == x->have && !x_fill(x))
			return false;
		size_t k = x->have - x->pos;
		if (k > n)
			k = (size_t)n;
		x->pos += k;
		n -= k;
	}
	return true;
}

/*
 * The next line (without its newline) in *line and *len; a line longer than the buffer
 * is cut and *cut set (its rest skipped). False at the end of input.
 */
static bool x_line(xreader_t *x, const char **line, size_t *len, bool *cut)
{
	*cut = false;
	for (;;) {
		char *nl = memchr(x->buf + x->pos, '\n', x->have - x->pos);
		if (nl) {
			*line = x->buf + x->pos;
			*len = (size_t)(nl - *line);
			x->pos = (size_t)(nl - x->buf) + 1;
			return true;
		}
		if (x->pos == 0 && x->have == x->cap) {
			/* longer than the buffer: keep its start, skip to its end */
			*cut = true;
			*line = x->buf;
			*len = x->have;
			return true;
		}
		if (!x_fill(x)) {
			if (x->pos < x->have) { /* a last line without '\n' */
				*line = x->buf + x->pos;
				*len = x->have - x->pos;
				x->pos = x->have;
				return true;
			}
			return false;
		}
	}
}

/* After a cut line was used: drop the rest of it up to its '\n'. */
static void x_skip_line(xreader_t *x)
{
	x->pos = x->have;
	for (;;) {
		if (!x_fill(x))
			return;
		char *nl = memchr(x->buf, '\n', x->have);
		if (nl) {
			x->pos = (size_t)(nl - x->buf) + 1;
			return;
		}
		x->pos = x->have;
	}
}

static ips_status_t export_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	emitter_t em;
	ips_journal_em_init(&em, sink, lim);
	xreader_t x = {.src = src, .sink = sink, .cap = lim->max_record + 4096};
	x.buf = ips_xmalloc(x.cap);
	uint64_t lineno = 0, entry_off = 0, entries = 0; /* record number = entry number */
	bool in_entry = false;
	ips_status_t st = IPS_OK;
	const char *l;
	size_t n;
	bool cut;
	while (x_line(&x, &l, &n, &cut)) {
		uint64_t off = x.base + (size_t)(l - x.buf);
		lineno++;
		if (n == 0 && !cut) {
			if (in_entry)
				ips_journal_emit(&em, entry_off, ++entries);
			ips_journal_em_clear(&em);
			in_entry = false;
			continue;
		}
		if (!in_entry) {
			in_entry = true;
			entry_off = off;
		}
		const char *eq = memchr(l, '=', n);
		if (eq) {
			int fi = ips_journal_field_index(l, (size_t)(eq - l));
			if (fi >= 0)
				ips_journal_em_set(&em, fi, eq + 1, n - (size_t)(eq + 1 - l));
			if (cut) {
				if (fi == F_MESSAGE)
					em.e.cut = true;
				x_skip_line(&x);
			}
			continue;
		}
		/* a binary field: NAME, then its size and its data */
		int fi = cut ? -1 : ips_journal_field_index(l, n);
		bool name_ok = !cut && n > 0;
		for (size_t i = 0; i < n && name_ok; i++)
			name_ok = (l[i] >= 'A' && l[i] <= 'Z') || (l[i] >= '0' && l[i] <= '9') ||
				  l[i] == '_';
		if (!name_ok) {
			ips_sink_error(sink, off, "journal export: line %llu is neither FIELD=VALUE "
				       "nor a binary field's name: the rest is not read",
				       (unsigned long long)lineno);
			st = IPS_E_INPUT;
			break;
		}
		while (x.have - x.pos < 8 && x_fill(&x))
			;
		if (x.have - x.pos < 8) {
			ips_sink_error(sink, off, "journal export: the binary field at line %llu "
				       "ends before its size", (unsigned long long)lineno);
			st = IPS_E_INPUT;
			break;
		}
		uint64_t size = 0;
		for (int i = 7; i >= 0; i--)
			size = size << 8 | (unsigned char)x.buf[x.pos + (size_t)i];
		x.pos += 8;
		uint64_t keep = fi >= 0 ? em.e.cap[fi] : 0;
		if (keep > size)
			keep = size;
		while (x.have - x.pos < keep && x_fill(&x))
			;
		if (x.have - x.pos < keep) {
			ips_sink_error(sink, off, "journal export: the binary field at line %llu is "
				       "cut short", (unsigned long long)lineno);
			st = IPS_E_INPUT;
			break;
		}
		if (fi >= 0) {
			ips_journal_em_set(&em, fi, x.buf + x.pos, (size_t)keep);
			if (size > keep && fi == F_MESSAGE)
				em.e.cut = true;
		}
		x.pos += (size_t)keep;
		if (!x_skip(&x, size - keep) || (x.pos == x.have && !x_fill(&x))) {
			ips_sink_error(sink, off, "journal export: the binary field at line %llu is "
				       "cut short", (unsigned long long)lineno);
			st = IPS_E_INPUT;
			break;
		}
		if (x.buf[x.pos++] != '\n') { /* a wrong size would read on into the next field */
			ips_sink_error(sink, off, "journal export: the binary field at line %llu does "
				       "not end where its size says: the rest is not read",
				       (unsigned long long)lineno);
			st = IPS_E_INPUT;
			break;
		}
	}
	if (in_entry && st == IPS_OK)
		ips_journal_emit(&em, entry_off, ++entries);
	if (x.failed)
		st = IPS_E_INPUT;
	ips_sink_done(sink, em.records, x.base + x.have);
	free(x.buf);
	ips_journal_em_free(&em);
	return st;
}

/* "__CURSOR=" or "__REALTIME_TIMESTAMP=" first; or FIELD= lines with MESSAGE=. */
static int export_sniff(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	static const char *const firsts[] = {"__CURSOR=", "__REALTIME_TIMESTAMP=", NULL};
	for (int i = 0; firsts[i]; i++) {
		size_t k = strlen(firsts[i]);
		if (n >= k && !memcmp(h, firsts[i], k))
			return 95;
	}
	/* every line of the first entry is FIELD=... (or a binary field) */
	size_t i = 0, fields = 0;
	bool message = false;
	while (i < n) {
		const unsigned char *nl = memchr(h + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (h + i)) : n - i;
		if (len == 0)
			break;
		const unsigned char *eq = memchr(h + i, '=', len);
		if (!eq) { /* a binary field's name: its size and data follow */
			for (size_t k = 0; k < len; k++)
				if (!((h[i + k] >= 'A' && h[i + k] <= 'Z') ||
				      (h[i + k] >= '0' && h[i + k] <= '9') || h[i + k] == '_'))
					return 0;
			message |= len == 7 && !memcmp(h + i, "MESSAGE", 7);
			fields++;
			break;
		}
		if (eq == h + i)
			return 0;
		for (const unsigned char *p = h + i; p < eq; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
				return 0;
		message |= (size_t)(eq - (h + i)) == 7 && !memcmp(h + i, "MESSAGE", 7);
		fields++;
		if (!nl)
			break;
		i += len + 1;
	}
	return message && fields >= 2 ? 90 : 0;
}

const ips_framer_ops_t ips_framer_journal_export = {.name = "journal-export",
						    .sniff = export_sniff, .run = export_run};

/* ---- journalctl -o json ----------------------------------------------------- */

/* A value: a string, an array of byte values (binary data), or an array of
 * values of a field given several times (the first is taken). */
static void json_value(emitter_t *em, int fi, yajl_val v)
{
	if (fi < 0)
		return; /* a field we do not keep (em_set would drop it too) */
	if (YAJL_IS_STRING(v)) {
		ips_journal_em_set(em, fi, v->u.string, strlen(v->u.string));
	} else if (YAJL_IS_ARRAY(v) && v->u.array.len) {
		yajl_val first = v->u.array.values[0];
		if (!YAJL_IS_INTEGER(first)) {
			json_value(em, fi, first);
			return;
		}
		size_t len = v->u.array.len, cap = em->e.cap[fi];
		char *b = ips_xmalloc(len < cap ? len + 1 : cap + 1);
		size_t k = 0;
		for (size_t i = 0; i < len && k < cap; i++) {
			yajl_val e = v->u.array.values[i];
			if (!YAJL_IS_INTEGER(e))
				break;
			b[k++] = (char)(unsigned char)YAJL_GET_INTEGER(e);
		}
		ips_journal_em_set(em, fi, b, k);
		if (len > cap && fi == F_MESSAGE)
			em->e.cut = true;
		free(b);
	} else if (YAJL_IS_NUMBER(v)) {
		const char *s = YAJL_GET_NUMBER(v);
		ips_journal_em_set(em, fi, s, strlen(s));
	}
}

/*
 * yajl's tree is built without recursion but freed with it: a line nested
 * deeper than journalctl ever writes (an object of strings and arrays) is
 * refused before it is parsed, so a hostile line cannot exhaust the stack.
 */
#define JSON_DEPTH_MAX 8
static bool json_shallow(const char *l, size_t n)
{
	int depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		char c = l[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > JSON_DEPTH_MAX)
				return false;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return true;
}

static ips_status_t json_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	emitter_t em;
	ips_journal_em_init(&em, sink, lim);
	/* a line may hold MESSAGE as an array of numbers: four bytes a byte */
	xreader_t x = {.src = src, .sink = sink, .cap = 4 * lim->max_record + 65536};
	x.buf = ips_xmalloc(x.cap + 1);
	uint64_t lineno = 0, bad = 0, bad_off = 0, bad_line = 0;
	char errbuf[256];
	const char *l;
	size_t n;
	bool cut;
	while (x_line(&x, &l, &n, &cut)) {
		uint64_t off = x.base + (size_t)(l - x.buf);
		lineno++;
		if (cut) {
			ips_sink_truncated(sink, off, lineno);
			x_skip_line(&x);
			em.records++;
			continue;
		}
		size_t s = 0;
		while (s < n && (l[s] == ' ' || l[s] == '\t' || l[s] == '\r'))
			s++;
		if (s == n)
			continue;
		char *nul = (char *)l + n; /* the '\n' (or the byte past the end) */
		char saved = *nul;
		*nul = '\0';
		yajl_val root = json_shallow(l, n) ? yajl_tree_parse(l, errbuf, sizeof errbuf) : NULL;
		*nul = saved;
		if (!root || !YAJL_IS_OBJECT(root)) {
			if (bad++ == 0) {
				bad_off = off;
				bad_line = lineno;
			}
			yajl_tree_free(root);
			continue;
		}
		ips_journal_em_clear(&em);
		for (size_t i = 0; i < root->u.object.len; i++) {
			const char *k = root->u.object.keys[i];
			json_value(&em, ips_journal_field_index(k, strlen(k)), root->u.object.values[i]);
		}
		yajl_tree_free(root);
		ips_journal_emit(&em, off, lineno);
	}
	if (bad)
		ips_sink_error(sink, bad_off, "journal json: %llu line(s) are not JSON objects (or "
			       "nest deeper than journalctl writes), the first is line %llu",
			       (unsigned long long)bad, (unsigned long long)bad_line);
	ips_sink_done(sink, em.records, x.base + x.have);
	free(x.buf);
	ips_journal_em_free(&em);
	return x.failed ? IPS_E_INPUT : IPS_OK;
}

/* A first line that is an object with journalctl's own keys (in any order:
 * journalctl writes them as the entry stores them). */
static int json_sniff(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	size_t i = ips_skip_space(h, n, 0);
	if (i == n || h[i] != '{')
		return 0;
	const unsigned char *nl = memchr(h + i, '\n', n - i);
	size_t len = nl ? (size_t)(nl - (h + i)) : n - i;
	static const char *const keys[] = {"\"__CURSOR\":", "\"__REALTIME_TIMESTAMP\":",
					   "\"MESSAGE\":", NULL};
	int found = 0;
	for (int k = 0; keys[k]; k++)
		found += memmem(h + i, len, keys[k], strlen(keys[k])) != NULL;
	return found >= 2 ? 95 : 0;
}

const ips_framer_ops_t ips_framer_journal_json = {.name = "journal-json", .sniff = json_sniff,
						  .run = json_run};
