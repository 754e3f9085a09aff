/* SPDX-License-Identifier: Apache-2.0 */
/* report_util.c - helpers shared by the report writers (see report_util.h);
 * what decides first in a record's evidence, and fix lines, are in
 * report_evidence.c. */
#include "report/report_util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ips_report_index_init(ips_report_index_t *x, const ips_results_t *res)
{
	size_t nf = res->findings.len, total = 0;
	x->off = ips_xcalloc(nf + 1, sizeof *x->off);
	/* count, then place: a compact finding -> incidents table */
	for (size_t i = 0; i < res->incidents.len; i++) {
		const ips_incident_t *inc = res->incidents.items[i];
		for (size_t k = 0; k < inc->nfindings; k++)
			if (inc->findings[k] < nf) {
				x->off[inc->findings[k] + 1]++;
				total++;
			}
	}
	for (size_t i = 0; i < nf; i++)
		x->off[i + 1] += x->off[i];
	x->inc = ips_xcalloc(total ? total : 1, sizeof *x->inc);
	size_t *fill = ips_xcalloc(nf ? nf : 1, sizeof *fill);
	for (size_t i = 0; i < res->incidents.len; i++) {
		const ips_incident_t *inc = res->incidents.items[i];
		for (size_t k = 0; k < inc->nfindings; k++) {
			size_t f = inc->findings[k];
			if (f >= nf)
				continue;
			/* an incident that lists a finding twice counts once */
			bool dup = false;
			for (size_t j = x->off[f]; j < x->off[f] + fill[f]; j++)
				dup |= x->inc[j] == i;
			if (!dup)
				x->inc[x->off[f] + fill[f]++] = i;
		}
	}
	/* close the gaps left by duplicates */
	size_t w = 0;
	x->loose = 0;
	for (size_t f = 0; f < nf; f++) {
		size_t start = x->off[f];
		x->off[f] = w;
		for (size_t j = 0; j < fill[f]; j++)
			x->inc[w++] = x->inc[start + j];
		x->loose += fill[f] == 0;
	}
	x->off[nf] = w;
	free(fill);
}

void ips_report_index_free(ips_report_index_t *x)
{
	free(x->off);
	free(x->inc);
	x->off = x->inc = NULL;
}

size_t ips_report_incidents_of(const ips_report_index_t *x, size_t fi, const size_t **out)
{
	*out = x->inc + x->off[fi];
	return x->off[fi + 1] - x->off[fi];
}

static int cmp_group(const void *a, const void *b)
{
	const ips_report_group_t *x = a, *y = b;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

size_t ips_report_loose_groups(const ips_results_t *res, const ips_report_index_t *x,
			       ips_report_group_t **out)
{
	size_t nf = res->findings.len, ng = 0;
	ips_report_group_t *g = ips_xcalloc(nf ? nf : 1, sizeof *g);
	for (size_t i = 0; i < nf; i++) {
		const size_t *inc;
		if (ips_report_incidents_of(x, i, &inc))
			continue;
		const ips_finding_t *f = res->findings.items[i];
		size_t k = 0;
		while (k < ng && g[k].entry != f->entry)
			k++;
		if (k == ng) {
			g[ng].entry = f->entry;
			g[ng].first = i;
			g[ng].severity = f->severity;
			ng++;
		}
		g[k].count++;
		if (f->severity > g[k].severity)
			g[k].severity = f->severity;
	}
	qsort(g, ng, sizeof *g, cmp_group);
	*out = g;
	return ng;
}

void ips_report_count_severities(const ips_results_t *res, size_t by[5])
{
	memset(by, 0, 5 * sizeof *by);
	for (size_t i = 0; i < res->findings.len; i++) {
		const ips_finding_t *f = res->findings.items[i];
		if ((int)f->severity >= 0 && f->severity <= IPS_SEV_CRITICAL)
			by[f->severity]++;
	}
}

void ips_report_severity_words(const size_t by[5], char *buf, size_t n)
{
	size_t w = 0;
	buf[0] = '\0';
	for (int s = IPS_SEV_CRITICAL; s >= IPS_SEV_INFO && w < n; s--) {
		if (!by[s])
			continue;
		int k = snprintf(buf + w, n - w, "%s%zu %s", w ? ", " : "", by[s],
				 ips_severity_name((ips_severity_t)s));
		if (k < 0)
			break;
		w += (size_t)k;
	}
	if (!buf[0])
		snprintf(buf, n, "none");
}

bool ips_report_input_has_problem(const ips_input_t *in)
{
	return in->status != IPS_INPUT_OK || in->error || in->note || in->truncated;
}

bool ips_report_input_skipped(const ips_input_t *in, char *buf, size_t n)
{
	static const char pre[] = "not a log (";
	if (in->format || in->records || !in->note || strncmp(in->note, pre, sizeof pre - 1))
		return false;
	const char *k = in->note + sizeof pre - 1, *e = strchr(k, ')');
	snprintf(buf, n, "%.*s", e ? (int)(e - k) : 0, k);
	return true;
}

void ips_report_code_words(const ips_entry_t *e, char *buf, size_t n)
{
	if (e && e->has_code)
		snprintf(buf, n, "%lld%s%s", (long long)e->code, e->hex ? ", " : "",
			 e->hex ? e->hex : "");
	else if (n)
		buf[0] = '\0';
}

void ips_report_explain_key(const ips_entry_t *e, char *buf, size_t n)
{
	if (e->has_code)
		snprintf(buf, n, "%lld", (long long)e->code);
	else
		snprintf(buf, n, "%s", e->name);
}

char *ips_report_key_words(const ips_kv_t *kv, size_t n)
{
	ips_buf_t b;
	ips_buf_init(&b, 64 * 1024);
	for (size_t i = 0; i < n; i++)
		ips_buf_printf(&b, "%s%s=%s", i ? " " : "", kv[i].key ? kv[i].key : "",
			       kv[i].value ? kv[i].value : "");
	if (!b.len)
		ips_buf_append(&b, "(no key)", 8);
	return ips_buf_steal(&b);
}

char *ips_report_finding_key(const ips_finding_t *f)
{
	static const char *const keys[] = {"peer", "conn", "user", "host"};
	for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
		const char *v = ips_finding_field(f, keys[k]);
		if (!v && k == 3)
			v = f->host;
		if (v && *v)
			return ips_xasprintf("%s=%s", keys[k], v);
	}
	return ips_xstrdup("(no key)");
}

void ips_report_incident_where(const ips_results_t *res, const ips_incident_t *x,
			       size_t *input, uint64_t *line)
{
	if (x->nfindings && x->findings[0] < res->findings.len) {
		const ips_finding_t *f = res->findings.items[x->findings[0]];
		*input = f->input;
		*line = f->line;
	} else {
		*input = x->input;
		*line = x->line;
	}
}

size_t ips_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c = u[0];
	size_t len;
	uint32_t min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		len = 2, min = 0x80, c &= 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3, min = 0x800, c &= 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4, min = 0x10000, c &= 0x07;
	} else {
		*cp = 0xFFFD;
		return 1;
	}
	if (n < len) {
		*cp = 0xFFFD;
		return 1;
	}
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		c = (c << 6) | (u[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
		*cp = 0xFFFD;
		return 1;
	}
	*cp = c;
	return len;
}

size_t ips_utf8_encode(uint32_t cp, char *buf)
{
	unsigned char *o = (unsigned char *)buf;
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

bool ips_utf8_valid(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = ips_utf8_decode(s + i, n - i, &cp);
		if (cp == 0xFFFD && k == 1 && (unsigned char)s[i] >= 0x80)
			return false;
		i += k;
	}
	return true;
}

char *ips_utf8_sanitize(const char *s)
{
	size_t n = strlen(s);
	char *o = ips_xmalloc(n * 3 + 1), *p = o; /* one byte becomes at most 3 */
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = ips_utf8_decode(s + i, n - i, &cp);
		if (cp == 0xFFFD && k == 1 && (unsigned char)s[i] >= 0x80)
			p += ips_utf8_encode(0xFFFD, p);
		else {
			memcpy(p, s + i, k);
			p += k;
		}
		i += k;
	}
	*p = '\0';
	return o;
}

size_t ips_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t k = max;
	/* back off continuation bytes, at most 3 */
	while (k > 0 && max - k < 3 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	return k;
}

/*
 * The one escaping walk behind every writer: malformed bytes (a lone or
 * CESU-encoded surrogate included) become U+FFFD, so the output is valid
 * UTF-8; then by mode: JSON escapes C1 controls as \u0080-\u009f (yajl
 * escapes C0 itself; in a JSON text only strings hold non-ASCII, so this is
 * safe on whole output); text shows C0 controls, DEL and C1 controls as '?'
 * and a tab as a space, line feeds too unless they are the layout's.
 */
typedef enum { ESC_UTF8, ESC_JSON, ESC_TEXT, ESC_TEXT_LINES } esc_mode_t;

bool ips_cp_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

static void esc_write(FILE *out, const char *s, size_t n, esc_mode_t mode)
{
	size_t run = 0; /* start of the bytes not yet written, all passed as they are */
	for (size_t i = 0; i < n;) {
		/* the UTF-8 and JSON modes pass all ASCII: skip it eight bytes at a time */
		if (mode < ESC_TEXT) {
			uint64_t w;
			while (n - i >= 8 && (memcpy(&w, s + i, 8), !(w & 0x8080808080808080u)))
				i += 8;
			if (i >= n)
				break;
		}
		/* ASCII passes as it is but for the controls the text modes replace
		 * (what the decoding below would decide, without decoding) */
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80 && (mode < ESC_TEXT || (c >= 0x20 && c != 0x7F))) {
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = ips_utf8_decode(s + i, n - i, &cp);
		const char *rep = NULL;
		char esc[8];
		if (cp == 0xFFFD && k == 1 && (unsigned char)s[i] >= 0x80) {
			rep = "\xEF\xBF\xBD";
		} else if (mode == ESC_JSON && cp >= 0x80 && cp <= 0x9F) {
			snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
			rep = esc;
		} else if (mode >= ESC_TEXT) {
			if (cp == '\t')
				rep = " ";
			else if (ips_cp_is_control(cp) && !(cp == '\n' && mode == ESC_TEXT_LINES))
				rep = "?";
		}
		if (rep) {
			fwrite(s + run, 1, i - run, out);
			fputs(rep, out);
			run = i + k;
		}
		i += k;
	}
	fwrite(s + run, 1, n - run, out);
}

void ips_utf8_fwrite(FILE *out, const char *s, size_t n)
{
	esc_write(out, s, n, ESC_UTF8);
}

void ips_json_fwrite(FILE *out, const char *s, size_t n)
{
	esc_write(out, s, n, ESC_JSON);
}

void ips_text_fwrite(FILE *out, const char *s, size_t n, bool keep_newlines)
{
	esc_write(out, s, n, keep_newlines ? ESC_TEXT_LINES : ESC_TEXT);
}

void ips_text_put(FILE *out, const char *s, size_t max)
{
	if (!s)
		return;
	size_t len = strlen(s);
	bool cut = len > max;
	if (cut)
		len = ips_utf8_cut(s, len, max);
	esc_write(out, s, len, ESC_TEXT);
	if (cut)
		fputs("...", out);
}

char *ips_text_safe(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return ips_xstrdup("?");
	ips_text_put(mem, s ? s : "", SIZE_MAX);
	if (fclose(mem) != 0 || !buf) {
		free(buf);
		return ips_xstrdup("?");
	}
	return buf;
}

/* Bytes a lead byte announces (0: not a lead byte of a multi-byte character). */
static size_t utf8_need(unsigned char c)
{
	return c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
}

/* Write a block: valid UTF-8, a character cut at its end kept for the next. */
static void stream_emit(ips_utf8_stream_t *st, const char *s, size_t n)
{
	char *joined = NULL;
	if (st->ncarry) {
		joined = ips_xmalloc(st->ncarry + n);
		memcpy(joined, st->carry, st->ncarry);
		memcpy(joined + st->ncarry, s, n);
		s = joined;
		n += st->ncarry;
		st->ncarry = 0;
	}
	/* hold back an incomplete character at the end */
	size_t end = n;
	for (size_t back = 1; back <= 3 && back <= n; back++) {
		unsigned char c = (unsigned char)s[n - back];
		if ((c & 0xC0) == 0x80)
			continue;
		size_t need = utf8_need(c);
		if (need > back) {
			end = n - back;
			memcpy(st->carry, s + end, back);
			st->ncarry = back;
		}
		break;
	}
	esc_write(st->out, s, end, st->json ? ESC_JSON : ESC_UTF8);
	free(joined);
}

void ips_utf8_stream_write(void *ctx, const char *s, size_t n)
{
	ips_utf8_stream_t *st = ctx;
	if (st->nbuf + n > sizeof st->buf) {
		stream_emit(st, st->buf, st->nbuf);
		st->nbuf = 0;
		if (n >= sizeof st->buf) {
			stream_emit(st, s, n);
			return;
		}
	}
	memcpy(st->buf + st->nbuf, s, n);
	st->nbuf += n;
}

void ips_utf8_stream_flush(ips_utf8_stream_t *st)
{
	stream_emit(st, st->buf, st->nbuf);
	st->nbuf = 0;
	esc_write(st->out, st->carry, st->ncarry, st->json ? ESC_JSON : ESC_UTF8);
	st->ncarry = 0;
}

/* "here (east, responder.log)" for the local side. */
static void local_words(ips_buf_t *b, const ips_results_t *res, const ips_verdict_side_t *s)
{
	ips_buf_printf(b, "here");
	bool in = s->input < res->inputs.len;
	if (s->host || in)
		ips_buf_printf(b, " (%s%s%s)", s->host ? s->host : "", s->host && in ? ", " : "",
			       in ? ((const ips_input_t *)res->inputs.items[s->input])->path : "");
}

char *ips_report_verdict_words(const ips_results_t *res, const ips_incident_t *x)
{
	const ips_verdict_t *v = x->verdict;
	if (!v)
		return ips_xstrdup("");
	ips_buf_t b;
	ips_buf_init(&b, 8192);
	ips_buf_printf(&b, "%s in phase %s; ", v->cls, v->phase);
	const ips_verdict_side_t *r = &v->refused_by, *w = &v->reason_in;
	const char *peer = r->host ? r->host : "";
	if (!strcmp(r->side, "local")) {
		ips_buf_printf(&b, "refused ");
		local_words(&b, res, r);
		if (!strcmp(w->side, "local") && w->input == r->input)
			; /* the same place: said once */
		else if (!strcmp(w->side, "local")) {
			ips_buf_printf(&b, "; the reason is logged ");
			local_words(&b, res, w);
		}
	} else if (!strcmp(r->side, "peer")) {
		ips_buf_printf(&b, "refused by the peer%s%s; the reason is only in its log: collect it",
			       *peer ? " " : "", peer);
	} else if (!strcmp(r->side, "path")) {
		ips_buf_printf(&b, "no answer from %s (the path or the peer)", *peer ? peer : "the peer");
	} else {
		ips_buf_printf(&b, "who refused is not known");
	}
	return ips_buf_steal(&b);
}

char *ips_report_rel_path(const char *path, bool *under)
{
	bool rel = path[0] != '/';
	const char *p = path;
	if (!rel) {
		char *cwd = getcwd(NULL, 0);
		size_t n = cwd ? strlen(cwd) : 0;
		if (n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/' && path[n + 1]) {
			p = path + n + 1;
			rel = true;
		}
		free(cwd);
	}
	while (rel && p[0] == '.' && p[1] == '/' && p[2])
		for (p += 2; *p == '/';)
			p++;
	if (under)
		*under = rel && strcmp(p, "-") != 0 && p[0] != '(' && strncmp(p, "../", 3) != 0;
	return ips_xstrdup(p);
}

/* ---- --output-tz --------------------------------------------------------- */

static bool tz_active; /* between ips_report_tz_enter and _leave, with a zone */

void ips_report_tz_enter(ips_report_tz_t *z, const ips_report_opts_t *o)
{
	z->on = false;
	z->saved = NULL;
	const char *zone = o ? o->output_tz : NULL;
	if (!zone || !*zone)
		return;
	const char *cur = getenv("TZ");
	z->saved = cur ? ips_xstrdup(cur) : NULL;
	setenv("TZ", zone, 1);
	tzset();
	z->on = true;
	tz_active = true;
}

void ips_report_tz_leave(ips_report_tz_t *z)
{
	if (!z->on)
		return;
	if (z->saved)
		setenv("TZ", z->saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(z->saved);
	z->saved = NULL;
	z->on = false;
	tz_active = false;
}

void ips_report_tm(int64_t sec, struct tm *tm)
{
	time_t s = (time_t)sec;
	if (tz_active)
		localtime_r(&s, tm);
	else
		gmtime_r(&s, tm);
}

size_t ips_report_time(const ips_time_t *t, char *buf, size_t n)
{
	if (!tz_active || !t->valid)
		return ips_time_format(t, buf, n);
	struct tm tm;
	ips_report_tm(t->sec, &tm);
	/* the zone's wall clock, formatted as UTC, its Z turned into the offset */
	ips_time_t wall = *t;
	wall.sec += tm.tm_gmtoff;
	size_t w = ips_time_format(&wall, buf, n);
	if (!w || buf[w - 1] != 'Z' || w + 6 > n)
		return w;
	long off = tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff;
	snprintf(buf + w - 1, n - (w - 1), "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+',
		 off / 3600, off / 60 % 60);
	return w + 5;
}

void ips_report_time_put(FILE *out, const ips_time_t *t)
{
	char buf[64];
	ips_report_time(t, buf, sizeof buf);
	fputs(buf, out);
}

ips_status_t ips_report_zoned(ips_status_t (*fn)(FILE *, const ips_results_t *,
						  const ips_rules_t *, const ips_report_opts_t *),
			      FILE *out, const ips_results_t *res, const ips_rules_t *rules,
			      const ips_report_opts_t *o)
{
	ips_report_tz_t tz;
	ips_report_tz_enter(&tz, o);
	ips_status_t st = fn(out, res, rules, o);
	ips_report_tz_leave(&tz);
	return st;
}

/* ---- kinds of incidents, evidence rows, guessed years ---------------------- */

static int cmp_kind(const void *a, const void *b)
{
	const ips_report_kind_t *x = a, *y = b;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (x->incidents != y->incidents)
		return x->incidents > y->incidents ? -1 : 1;
	if (x->findings != y->findings)
		return x->findings > y->findings ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

size_t ips_report_kinds(const ips_results_t *res, ips_report_kind_t **out, size_t **of)
{
	size_t ni = res->incidents.len, nk = 0;
	ips_report_kind_t *k = ips_xcalloc(ni ? ni : 1, sizeof *k);
	size_t *idx = ips_xcalloc(ni ? ni : 1, sizeof *idx);
	for (size_t xi = 0; xi < ni; xi++) {
		const ips_incident_t *x = res->incidents.items[xi];
		const char *cls = x->verdict && x->verdict->cls ? x->verdict->cls
								: ips_incident_kind_name(x->kind);
		size_t j = 0;
		while (j < nk && !(k[j].root == x->root && !strcmp(k[j].cls, cls)))
			j++;
		if (j == nk) {
			k[nk].cls = cls;
			k[nk].root = x->root;
			k[nk].severity = x->severity;
			k[nk].first = xi;
			nk++;
		}
		idx[xi] = j;
		k[j].incidents++;
		k[j].findings += x->nfindings;
		if (x->severity > k[j].severity)
			k[j].severity = x->severity;
	}
	/* sort, then renumber the incidents' kinds */
	size_t *first_of = ips_xcalloc(nk ? nk : 1, sizeof *first_of);
	for (size_t j = 0; j < nk; j++)
		first_of[j] = k[j].first;
	qsort(k, nk, sizeof *k, cmp_kind);
	size_t *place = ips_xcalloc(ni ? ni : 1, sizeof *place); /* by first incident */
	for (size_t j = 0; j < nk; j++)
		place[k[j].first] = j;
	for (size_t xi = 0; xi < ni; xi++)
		idx[xi] = place[first_of[idx[xi]]];
	free(place);
	free(first_of);
	*out = k;
	*of = idx;
	return nk;
}

void ips_report_incident_rows(const ips_results_t *res, const ips_incident_t *x, size_t max,
			      const ips_report_rows_t *r)
{
	size_t shown = 0;
	for (size_t i = 0; i < x->nfindings && i < max; i++) {
		if (x->findings[i] >= res->findings.len)
			continue;
		const ips_finding_t *f = res->findings.items[x->findings[i]];
		r->row(r->ctx, f, f->entry->name);
		shown++;
	}
	if (x->nfindings > shown)
		r->more(r->ctx, x->nfindings - shown);
}

void ips_report_group_rows(const ips_results_t *res, const ips_report_index_t *idx,
			   const ips_report_group_t *g, size_t max, const ips_report_rows_t *r)
{
	size_t shown = 0;
	for (size_t i = g->first; i < res->findings.len && shown < max; i++) {
		const ips_finding_t *f = res->findings.items[i];
		const size_t *inc;
		if (f->entry != g->entry || ips_report_incidents_of(idx, i, &inc))
			continue;
		char *key = ips_report_finding_key(f);
		r->row(r->ctx, f, key);
		free(key);
		shown++;
	}
	if (g->count > shown)
		r->more(r->ctx, g->count - shown);
}

size_t ips_report_finding_why(const ips_finding_t *f, const char *labels[2], const char *values[2])
{
	static const char *const keys[] = {"mismatch", "reason"};
	static const char *const names[] = {"What differs", "Reason given"};
	size_t n = 0;
	for (int i = 0; i < 2; i++) {
		const char *v = ips_finding_field(f, keys[i]);
		if (v) {
			labels[n] = names[i];
			values[n++] = v;
		}
	}
	return n;
}

bool ips_report_year_guessed(const ips_finding_t *f)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *s = f->text;
	if (!f->time.valid || !s)
		return false;
	if (*s == '<') { /* <PRI> */
		const char *e = strchr(s, '>');
		if (!e || e - s > 4)
			return false;
		s = e + 1;
	}
	#define MONTH_AT(p) (isupper((unsigned char)(p)[0]) && islower((unsigned char)(p)[1]) && \
			     islower((unsigned char)(p)[2]) && (p)[3] == ' ' && \
			     memmem(months, sizeof months - 1, (p), 3) != NULL)
	#define CLOCK_AT(p) (isdigit((unsigned char)(p)[0]) && isdigit((unsigned char)(p)[1]) && \
			     (p)[2] == ':' && isdigit((unsigned char)(p)[3]) && \
			     isdigit((unsigned char)(p)[4]) && (p)[5] == ':')
	const char *p = s;
	if (MONTH_AT(p)) { /* "Mar  1 10:00:00" */
		p += 4;
		while (*p == ' ')
			p++;
		if (!isdigit((unsigned char)*p))
			return false;
		p += isdigit((unsigned char)p[1]) ? 2 : 1;
		return *p == ' ' && CLOCK_AT(p + 1);
	}
	if (isdigit((unsigned char)p[0])) { /* "17 Aug 04:14:35" */
		p += isdigit((unsigned char)p[1]) ? 2 : 1;
		return *p == ' ' && MONTH_AT(p + 1) && CLOCK_AT(p + 5);
	}
	return false;
	#undef MONTH_AT
	#undef CLOCK_AT
}

void ips_report_escape(FILE *out, const char *s, size_t max, ips_report_sub_fn sub, void *ctx)
{
	if (!s)
		return;
	size_t len = strlen(s), keep = ips_utf8_cut(s, len, max);
	char buf[16];
	for (size_t i = 0; i < keep;) {
		uint32_t cp;
		size_t k = ips_utf8_decode(s + i, keep - i, &cp);
		const char *r = sub(cp, s, i, keep, buf, ctx);
		if (r)
			fputs(r, out);
		else if (cp == 0xFFFD && k == 1)
			fputs("\xEF\xBF\xBD", out);
		else
			fwrite(s + i, 1, k, out);
		i += k;
	}
	if (keep < len)
		fputs("\xE2\x80\xA6", out);
}
