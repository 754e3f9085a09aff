/* SPDX-License-Identifier: Apache-2.0 */
/* xmlfeed.c - streaming XML through expat (see xmlfeed.h). */
#include "input/xmlfeed.h"

#include <expat.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define ROOT_OPEN "<ipsec-scan-root>"
#define ROOT_CLOSE "</ipsec-scan-root>"
#define ROOT_LEN (sizeof ROOT_OPEN - 1)
#define NONE ((size_t)-1)
#define STR2(x) #x
#define STR(x) STR2(x)

struct ips_xmlfeed {
	XML_Parser p;
	const ips_xml_ops_t *ops;
	void *ctx;
	int depth;           /* -1 before the synthetic root, 0 inside it */
	bool too_deep;
	uint64_t seg_base;   /* input offset of the first real byte this parser saw */
	uint64_t line_base;  /* and its line */
	char top[64];        /* the open top-level element, for messages */
	uint64_t top_off;
	/* pushed input (ips_xmlfeed_begin .. ips_xmlfeed_finish) */
	ips_sink_t *sink;    /* borrowed */
	char *buf;
	size_t cap, have;
	uint64_t base, line; /* input offset and line of buf[0] */
	bool started;
	int state;           /* enum state */
};

static const char *local_name(const char *name)
{
	const char *c = strrchr(name, ':');
	return c ? c + 1 : name;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	ips_xmlfeed_t *x = ud;
	if (++x->depth > IPS_XML_MAX_DEPTH) {
		x->too_deep = true;
		XML_StopParser(x->p, XML_FALSE);
		return;
	}
	if (x->depth == 0)
		return; /* the synthetic root */
	const char *ln = local_name(name);
	if (x->depth == 1) {
		snprintf(x->top, sizeof x->top, "%s", ln);
		x->top_off = ips_xmlfeed_offset(x);
	}
	if (x->ops->start)
		x->ops->start(x, x->ctx, ln, attrs);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	ips_xmlfeed_t *x = ud;
	if (x->depth >= 1 && x->ops->end)
		x->ops->end(x, x->ctx, local_name(name));
	if (x->depth == 1)
		x->top[0] = '\0';
	x->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	ips_xmlfeed_t *x = ud;
	if (x->depth >= 1 && x->ops->text && len > 0)
		x->ops->text(x->ctx, s, (size_t)len);
}

ips_xmlfeed_t *ips_xmlfeed_new(const ips_xml_ops_t *ops, void *ctx)
{
	ips_xmlfeed_t *x = ips_xcalloc(1, sizeof *x);
	x->ops = ops;
	x->ctx = ctx;
	x->p = XML_ParserCreate("UTF-8");
	if (!x->p) {
		fprintf(stderr, "ipsec-scan: out of memory\n");
		abort();
	}
	return x;
}

void ips_xmlfeed_free(ips_xmlfeed_t *x)
{
	if (!x)
		return;
	XML_ParserFree(x->p);
	free(x->buf);
	free(x);
}

int ips_xmlfeed_depth(const ips_xmlfeed_t *x)
{
	return x->depth;
}

uint64_t ips_xmlfeed_offset(const ips_xmlfeed_t *x)
{
	XML_Index i = XML_GetCurrentByteIndex(x->p);
	if (i < (XML_Index)ROOT_LEN)
		return x->seg_base;
	return x->seg_base + (uint64_t)(i - (XML_Index)ROOT_LEN);
}

uint64_t ips_xmlfeed_line(const ips_xmlfeed_t *x)
{
	XML_Size l = XML_GetCurrentLineNumber(x->p);
	return x->line_base + (l ? (uint64_t)l - 1 : 0);
}

/* A fresh parse from input offset `base` (line `line`), root already open. */
static void restart(ips_xmlfeed_t *x, uint64_t base, uint64_t line)
{
	XML_ParserReset(x->p, "UTF-8");
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, on_start, on_end);
	XML_SetCharacterDataHandler(x->p, on_text);
	x->depth = -1;
	x->too_deep = false;
	x->top[0] = '\0';
	x->seg_base = base;
	x->line_base = line;
	XML_Parse(x->p, ROOT_OPEN, (int)ROOT_LEN, XML_FALSE);
}

static const char *error_text(const ips_xmlfeed_t *x)
{
	if (x->too_deep)
		return "elements nested deeper than " STR(IPS_XML_MAX_DEPTH) " levels";
	return XML_ErrorString(XML_GetErrorCode(x->p));
}

static uint64_t count_nl(const char *p, size_t n)
{
	uint64_t c = 0;
	const char *end = p + n;
	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		c++;
		p++;
	}
	return c;
}

/* Bytes of an XML declaration (and white space before it) at the start. */
static size_t decl_len(const char *b, size_t n)
{
	size_t i = 0;
	while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
		i++;
	if (n - i < 5 || memcmp(b + i, "<?xml", 5))
		return 0;
	const char *e = memmem(b + i, n - i, "?>", 2);
	return e ? (size_t)(e - b) + 2 : 0;
}

/* The first `tag` followed by white space, '>' or '/' in b; NONE if none. */
static size_t find_tag(const char *b, size_t n, const char *tag, bool eof, size_t *need_more)
{
	size_t tl = strlen(tag);
	const char *p = b, *end = b + n;
	*need_more = 0;
	while ((p = memmem(p, (size_t)(end - p), tag, tl))) {
		size_t at = (size_t)(p - b);
		if (at + tl >= n) {
			if (!eof)
				*need_more = n - at;
			return NONE;
		}
		char c = b[at + tl];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == '/')
			return at;
		p++;
	}
	return NONE;
}

enum state { PARSE, SEEK, DEAD };

void ips_xmlfeed_begin(ips_xmlfeed_t *x, ips_sink_t *sink, const ips_frame_limits_t *lim,
		       const ips_frame_start_t *at)
{
	x->sink = sink;
	x->cap = (lim->block > 4096 ? lim->block : 4096) + 64;
	x->buf = ips_xmalloc(x->cap);
	x->have = 0;
	x->base = at->offset;
	x->line = at->line;
	x->started = false;
	x->state = PARSE;
}

/* Parse what buf holds (eof: the input ended); keep only a possible tag start. */
static void xml_step(ips_xmlfeed_t *x, bool eof)
{
	const char *tag = x->ops->resync;
	char *buf = x->buf;
	size_t have = x->have;
	if (!x->started && !eof && have < 512)
		return; /* enough to see a whole XML declaration */
	size_t pos = 0;
	if (!x->started) {
		pos = decl_len(buf, have);
		restart(x, x->base + pos, x->line + count_nl(buf, pos));
		x->started = true;
	}
	while (pos < have) {
		if (x->state == PARSE) {
			if (XML_Parse(x->p, buf + pos, (int)(have - pos), XML_FALSE) !=
			    XML_STATUS_ERROR) {
				pos = have;
				continue;
			}
			uint64_t eoff = ips_xmlfeed_offset(x);
			if (x->ops->reset)
				x->ops->reset(x->ctx);
			if (!tag) {
				ips_sink_error(x->sink, eoff, "XML error at line %llu: %s; the rest "
					       "of the input is not read",
					       (unsigned long long)ips_xmlfeed_line(x), error_text(x));
				x->state = DEAD;
				pos = have;
				continue;
			}
			ips_sink_error(x->sink, eoff, "XML error at line %llu: %s; reading resumes "
				       "at the next %s>",
				       (unsigned long long)ips_xmlfeed_line(x), error_text(x), tag);
			x->state = SEEK;
			size_t from = eoff >= x->base + pos ? (size_t)(eoff - x->base) + 1 : pos + 1;
			pos = from < have ? from : have;
		} else if (x->state == SEEK) {
			size_t more;
			size_t j = find_tag(buf + pos, have - pos, tag, eof, &more);
			if (j != NONE) {
				restart(x, x->base + pos + j, x->line + count_nl(buf, pos + j));
				x->state = PARSE;
				pos += j;
				continue;
			}
			/* keep a tail that may be the start of the tag */
			size_t keep = more ? more : (eof ? 0 : strlen(tag) - 1);
			if (keep > have - pos)
				keep = have - pos;
			pos = have - keep;
			break;
		} else {
			pos = have;
		}
	}
	x->line += count_nl(buf, pos);
	x->base += pos;
	memmove(buf, buf + pos, have - pos);
	x->have = have - pos;
}

char *ips_xmlfeed_room(ips_xmlfeed_t *x, size_t *n)
{
	*n = x->cap - x->have;
	return x->buf + x->have;
}

void ips_xmlfeed_filled(ips_xmlfeed_t *x, size_t k)
{
	x->have += k;
	xml_step(x, false);
}

void ips_xmlfeed_push(ips_xmlfeed_t *x, const char *p, size_t n)
{
	while (n) {
		size_t k = x->cap - x->have < n ? x->cap - x->have : n;
		memcpy(x->buf + x->have, p, k);
		p += k;
		n -= k;
		ips_xmlfeed_filled(x, k);
	}
}

uint64_t ips_xmlfeed_finish(ips_xmlfeed_t *x, bool broken)
{
	if (!broken)
		xml_step(x, true);
	if (x->started && x->state == PARSE && !broken &&
	    XML_Parse(x->p, ROOT_CLOSE, (int)(sizeof ROOT_CLOSE - 1), XML_TRUE) == XML_STATUS_ERROR) {
		if (x->top[0])
			ips_sink_error(x->sink, x->top_off, "XML: the input ends inside <%s> (line "
				       "%llu), which is never closed",
				       x->top, (unsigned long long)ips_xmlfeed_line(x));
		else
			ips_sink_error(x->sink, x->base, "XML error at the end of the input: %s",
				       error_text(x));
		if (x->ops->reset)
			x->ops->reset(x->ctx);
	}
	return x->base + x->have;
}

bool ips_xmlfeed_parse(ips_xmlfeed_t *x, const char *xml, size_t n, char *err, size_t errn)
{
	size_t skip = decl_len(xml, n);
	restart(x, 0, 1);
	if (XML_Parse(x->p, xml + skip, (int)(n - skip), XML_FALSE) == XML_STATUS_ERROR ||
	    XML_Parse(x->p, ROOT_CLOSE, (int)(sizeof ROOT_CLOSE - 1), XML_TRUE) == XML_STATUS_ERROR) {
		snprintf(err, errn, "XML error at byte %llu: %s",
			 (unsigned long long)ips_xmlfeed_offset(x), error_text(x));
		if (x->ops->reset)
			x->ops->reset(x->ctx);
		return false;
	}
	return true;
}
