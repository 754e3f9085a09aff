/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evtx_binxml.c - the EVTX fast path (see evtx_binxml.h).
 *
 * Rendering every record to XML (libevtx) and parsing it again (expat) was
 * 87% of the time on EVTX. The fast path reads each record's binary XML
 * itself, straight from the file mapped into memory, into a small tree per
 * record (elements, attributes, values formatted as libevtx formats them),
 * and walks the tree the way the winxml reader walks the rendered XML, so
 * the record handed to the sink is the same. libevtx still opens the file
 * (record count, corruption, recovered records, its error messages).
 *
 * It only takes what it reads exactly as libevtx would: the records are
 * enumerated as libevtx does (and the count must equal libevtx's, else the
 * whole file goes the XML way); within a record, anything it does not
 * handle (arrays, CDATA, character or entity references, value types other
 * than strings, integers, GUIDs, FILETIMEs, SIDs, binary and nested binary
 * XML, characters expat would reject, a value over the record cap) sends
 * that one record through libevtx and expat as before.
 * IPSEC_SCAN_EVTX=xml forces the XML path (the equivalence test uses it).
 *
 * One piece (about 1000 lines): the element, template and substitution
 * parsers call each other recursively over one per-record state (node
 * table, value and name arenas), the value formatters write into those
 * arenas, and the tree walk at the end reads them; cut in two, that state
 * would have to become a shared private struct for no reader's benefit.
 */
#include "input/evtx_binxml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define BX_MAX_NODES 4096
#define BX_MAX_VALUES 1024
#define BX_MAX_DEPTH 32      /* 8 KiB of stack a template level */
#define BX_NAMES 1024        /* name cache slots per chunk (power of 2) */
#define BX_NAME_ARENA (EVTX_CHUNK * 2)

typedef struct bx_node {
	const char *name;
	int32_t first_child, last_child, next, first_attr, last_attr;
	uint32_t value, vlen;   /* in the value arena */
	uint16_t nvalues;
	bool attr;
	uint32_t arr_off, arr_size; /* array of strings: the items after the first */
} bx_node_t;

typedef struct bx_val {
	uint32_t off;            /* chunk offset of the value's bytes */
	uint16_t size;
	uint8_t type;
} bx_val_t;

struct ips_evtx_bx {
	const uint8_t *c;        /* the chunk */
	bx_node_t *nodes;
	int nn;
	char *arena;             /* formatted values of the current record */
	size_t alen, acap, amax;
	/* names of the current chunk: chunk offset -> UTF-8 in name_arena */
	uint32_t name_key[BX_NAMES];
	const char *name_val[BX_NAMES];
	int names;
	char *name_arena;
	size_t nlen;
	int depth;
};


/* Room for n more bytes in the value arena (false past the cap). */
static bool arena_room(ips_evtx_bx_t *b, size_t n)
{
	if (b->alen + n <= b->acap)
		return true;
	if (b->alen + n > b->amax)
		return false;
	size_t cap = b->acap ? b->acap : 4096;
	while (cap < b->alen + n)
		cap *= 2;
	b->arena = ips_xrealloc(b->arena, cap);
	b->acap = cap;
	return true;
}

/*
 * UTF-16LE (n units, up to the first NUL) to UTF-8 at out (room for 3 bytes
 * a unit). Fails on what the XML path would not give back unchanged:
 * unpaired surrogates, characters XML 1.0 forbids, text after a NUL. In
 * element text (attr false) CR LF and CR become LF, as expat gives them;
 * attribute values with white space other than blanks, or with " < &,
 * fail (their XML form is not certain to read back the same).
 */
static bool utf16_to_utf8(const uint8_t *p, size_t n, char *out, size_t *outlen, bool attr)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t u = le16(p + 2 * i);
		if (u == 0) {
			for (size_t j = i + 1; j < n; j++)
				if (le16(p + 2 * j))
					return false;
			break;
		}
		if (u < 0x80) {
			if (u < 0x20 && u != '\t' && u != '\n' && u != '\r')
				return false;
			if (attr && (u == '\t' || u == '\n' || u == '\r' || u == '"' || u == '<' ||
				     u == '&'))
				return false;
			if (u == '\r') {
				if (i + 1 < n && le16(p + 2 * (i + 1)) == '\n')
					continue; /* the LF follows */
				u = '\n';
			}
			out[o++] = (char)u;
			continue;
		}
		if (u >= 0xD800 && u <= 0xDBFF) {
			uint32_t lo = i + 1 < n ? le16(p + 2 * (i + 1)) : 0;
			if (lo < 0xDC00 || lo > 0xDFFF)
				return false;
			u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			i++;
		} else if ((u >= 0xDC00 && u <= 0xDFFF) || u == 0xFFFE || u == 0xFFFF) {
			return false;
		}
		if (u < 0x800) {
			out[o++] = (char)(0xC0 | u >> 6);
			out[o++] = (char)(0x80 | (u & 0x3F));
		} else if (u < 0x10000) {
			out[o++] = (char)(0xE0 | u >> 12);
			out[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
			out[o++] = (char)(0x80 | (u & 0x3F));
		} else {
			out[o++] = (char)(0xF0 | u >> 18);
			out[o++] = (char)(0x80 | ((u >> 12) & 0x3F));
			out[o++] = (char)(0x80 | ((u >> 6) & 0x3F));
			out[o++] = (char)(0x80 | (u & 0x3F));
		}
	}
	*outlen = o;
	return true;
}

/* The name at chunk offset off; *size its bytes there. NULL: unusable. */
static const char *bx_name(ips_evtx_bx_t *b, uint32_t off, uint32_t *size)
{
	if (off > EVTX_CHUNK - 10)
		return NULL;
	uint32_t nchars = le16(b->c + off + 6);
	*size = 8 + 2 * nchars + 2;
	if (off + *size > EVTX_CHUNK || nchars == 0)
		return NULL;
	uint32_t h = (off * 2654435761u) >> 22 & (BX_NAMES - 1);
	for (int k = 0; k < BX_NAMES; k++, h = (h + 1) & (BX_NAMES - 1)) {
		if (b->name_val[h] && b->name_key[h] == off)
			return b->name_val[h];
		if (!b->name_val[h])
			break;
	}
	/* names go into the rendered XML as they are: keep to plain XML names */
	const uint8_t *p = b->c + off + 8;
	if (b->names >= BX_NAMES / 2 || b->nlen + nchars + 1 > BX_NAME_ARENA)
		return NULL;
	char *s = b->name_arena + b->nlen;
	/* libevtx reads the terminating unit with the name and stops at a NUL */
	uint32_t len = 0;
	while (len < nchars + 1 && le16(p + 2 * len))
		len++;
	if (len == 0)
		return NULL;
	nchars = len;
	if (b->nlen + nchars + 1 > BX_NAME_ARENA)
		return NULL;
	for (uint32_t i = 0; i < nchars; i++) {
		uint16_t u = le16(p + 2 * i);
		bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' ||
			  (i > 0 && ((u >= '0' && u <= '9') || u == '-' || u == '.' || u == ':'));
		if (!ok)
			return NULL;
		s[i] = (char)u;
	}
	s[nchars] = '\0';
	b->nlen += nchars + 1;
	b->name_key[h] = off;
	b->name_val[h] = s;
	b->names++;
	return s;
}

static int bx_new_node(ips_evtx_bx_t *b, const char *name, bool attr)
{
	if (b->nn >= BX_MAX_NODES)
		return -1;
	bx_node_t *n = &b->nodes[b->nn];
	*n = (bx_node_t){name, -1, -1, -1, -1, -1, 0, 0, 0, attr, 0, 0};
	return b->nn++;
}

static void bx_link(ips_evtx_bx_t *b, int parent, int child)
{
	bx_node_t *p = &b->nodes[parent];
	if (b->nodes[child].attr) {
		if (p->last_attr >= 0)
			b->nodes[p->last_attr].next = child;
		else
			p->first_attr = child;
		p->last_attr = child;
	} else {
		if (p->last_child >= 0)
			b->nodes[p->last_child].next = child;
		else
			p->first_child = child;
		p->last_child = child;
	}
}

/* Append a formatted value of node ni: only one value per node is taken. */
static bool bx_value(ips_evtx_bx_t *b, int ni, const char *s, size_t n)
{
	bx_node_t *nd = &b->nodes[ni];
	if (nd->nvalues++ || !arena_room(b, n))
		return false;
	memcpy(b->arena + b->alen, s, n);
	nd->value = (uint32_t)b->alen;
	nd->vlen = (uint32_t)n;
	b->alen += n;
	return true;
}

static bool bx_utf16_value(ips_evtx_bx_t *b, int ni, const uint8_t *p, size_t nunits)
{
	bx_node_t *nd = &b->nodes[ni];
	if (nd->nvalues++ || !arena_room(b, nunits * 3 + 1))
		return false;
	size_t len;
	if (!utf16_to_utf8(p, nunits, b->arena + b->alen, &len, nd->attr))
		return false;
	nd->value = (uint32_t)b->alen;
	nd->vlen = (uint32_t)len;
	b->alen += len;
	return true;
}

/* Number formatting as libevtx formats values (snprintf was a fifth of the
 * fast path's time). Each returns the bytes written. */
static int fmt_u64(char *o, uint64_t v)
{
	char t[20];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = 0; i < n; i++)
		o[i] = t[n - 1 - i];
	return n;
}

static int fmt_i64(char *o, int64_t v)
{
	if (v >= 0)
		return fmt_u64(o, (uint64_t)v);
	o[0] = '-';
	return 1 + fmt_u64(o + 1, 0 - (uint64_t)v);
}

/* v in exactly width decimal digits (zero-padded) */
static int fmt_dec(char *o, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		o[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return width;
}

static int fmt_hex(char *o, uint64_t v, int digits, const char *hex)
{
	for (int i = digits - 1; i >= 0; i--) {
		o[i] = hex[v & 15];
		v >>= 4;
	}
	return digits;
}

/* 0x and lower-case hex digits, zero-padded to digits */
static int fmt_0x(char *o, uint64_t v, int digits)
{
	o[0] = '0';
	o[1] = 'x';
	return 2 + fmt_hex(o + 2, v, digits, "0123456789abcdef");
}

/* {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}, upper case */
static int fmt_guid(char *o, const uint8_t *p)
{
	static const char H[] = "0123456789ABCDEF";
	char *s = o;
	*s++ = '{';
	s += fmt_hex(s, le32(p), 8, H);
	*s++ = '-';
	s += fmt_hex(s, le16(p + 4), 4, H);
	*s++ = '-';
	s += fmt_hex(s, le16(p + 6), 4, H);
	*s++ = '-';
	for (int i = 8; i < 16; i++) {
		if (i == 10)
			*s++ = '-';
		s += fmt_hex(s, p[i], 2, H);
	}
	*s++ = '}';
	return (int)(s - o);
}

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/*
 * dep: elements carry a 2-byte dependency identifier after their token, as
 * in records and templates; not in an element given as a binary XML value.
 */
static int bx_parse_element(ips_evtx_bx_t *b, uint32_t pos, const bx_val_t *vals, uint32_t nvals,
			    int parent, bool dep, uint32_t *used);
static bool bx_parse_fragment(ips_evtx_bx_t *b, uint32_t pos, int parent, bool dep, uint32_t *used);
static bool bx_parse_template(ips_evtx_bx_t *b, uint32_t pos, int parent, bool dep, uint32_t *used);

/*
 * Substitute value idx into node ni. Returns 1 done, 0 no value (NULL:
 * an optional substitution drops its element or attribute), -1 fail.
 */
static int bx_substitute(ips_evtx_bx_t *b, int ni, uint16_t idx, const bx_val_t *vals, uint32_t nvals,
			 bool dep)
{
	if (idx >= nvals)
		return -1;
	const bx_val_t *v = &vals[idx];
	const uint8_t *p = b->c + v->off;
	char tmp[224];
	int n = -1;
	/* an empty value: libevtx renders an empty element for a UTF-16 string
	 * and fails the record for an attribute (other types: not known) */
	if (v->type != 0x00 && v->size == 0)
		return v->type == 0x01 && !b->nodes[ni].attr && bx_value(b, ni, "", 0) ? 1 : -1;
	switch (v->type) {
	case 0x00: /* NULL */
		return 0;
	case 0x01: /* UTF-16 string (libevtx fails an odd size) */
		return v->size % 2 == 0 && bx_utf16_value(b, ni, p, v->size / 2) ? 1 : -1;
	case 0x81: { /* array of UTF-16 strings: one element per string */
		/* the first string here, the rest when the element is complete */
		uint32_t units = v->size / 2, k = 0;
		if (b->nodes[ni].attr || units == 0 || v->size % 2 || le16(p + 2 * (units - 1)) != 0)
			return -1;
		while (le16(p + 2 * k))
			k++;
		if (!bx_utf16_value(b, ni, p, k))
			return -1;
		b->nodes[ni].arr_off = v->off + 2 * (k + 1);
		b->nodes[ni].arr_size = v->size - 2 * (k + 1);
		return 1;
	}
	case 0x02: { /* ANSI string: plain ASCII only, written to the XML unescaped */
		bx_node_t *nd = &b->nodes[ni];
		size_t k = 0;
		while (k < v->size && p[k])
			k++;
		for (size_t j = k; j < v->size; j++)
			if (p[j])
				return -1;
		for (size_t j = 0; j < k; j++)
			if (p[j] >= 0x80 || (p[j] < 0x20 && p[j] != '\t' && p[j] != '\n') ||
			    p[j] == '&' || p[j] == '<' || p[j] == '>' || p[j] == '"' ||
			    (nd->attr && p[j] < 0x20))
				return -1;
		return bx_value(b, ni, (const char *)p, k) ? 1 : -1;
	}
	case 0x0d: /* boolean, 32 bits */
		if (v->size == 4)
			n = snprintf(tmp, sizeof tmp, "%s", le32(p) ? "true" : "false");
		break;
	case 0x03:
		if (v->size == 1)
			n = fmt_i64(tmp, (int8_t)p[0]);
		break;
	case 0x04:
		if (v->size == 1)
			n = fmt_u64(tmp, p[0]);
		break;
	case 0x05:
		if (v->size == 2)
			n = fmt_i64(tmp, (int16_t)le16(p));
		break;
	case 0x06:
		if (v->size == 2)
			n = fmt_u64(tmp, le16(p));
		break;
	case 0x07:
		if (v->size == 4)
			n = fmt_i64(tmp, (int32_t)le32(p));
		break;
	case 0x08:
		if (v->size == 4)
			n = fmt_u64(tmp, le32(p));
		break;
	case 0x09:
		if (v->size == 8)
			n = fmt_i64(tmp, (int64_t)le64(p));
		break;
	case 0x0a:
		if (v->size == 8)
			n = fmt_u64(tmp, le64(p));
		break;
	case 0x10: /* size_t: 32 or 64 bits, decimal */
		if (v->size == 4)
			n = fmt_u64(tmp, le32(p));
		else if (v->size == 8)
			n = fmt_u64(tmp, le64(p));
		break;
	case 0x14:
		if (v->size == 4)
			n = fmt_0x(tmp, le32(p), 8);
		break;
	case 0x15:
		if (v->size == 8)
			n = fmt_0x(tmp, le64(p), 16);
		break;
	case 0x0f: /* GUID */
		if (v->size == 16)
			n = fmt_guid(tmp, p);
		break;
	case 0x11: { /* FILETIME */
		if (v->size != 8)
			break;
		uint64_t ft = le64(p);
		if (ft == 0)
			break; /* libevtx's form of "not set" is not taken on trust */
		int64_t secs = (int64_t)(ft / 10000000u) - 11644473600LL;
		unsigned frac = (unsigned)(ft % 10000000u);
		int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
		int64_t sod = secs - days * 86400, y;
		unsigned mo, d;
		civil(days, &y, &mo, &d);
		if (y < 1601 || y > 9999)
			break;
		char *o = tmp;
		o += fmt_dec(o, (unsigned)y, 4);
		*o++ = '-';
		o += fmt_dec(o, mo, 2);
		*o++ = '-';
		o += fmt_dec(o, d, 2);
		*o++ = 'T';
		o += fmt_dec(o, (unsigned)(sod / 3600), 2);
		*o++ = ':';
		o += fmt_dec(o, (unsigned)(sod / 60 % 60), 2);
		*o++ = ':';
		o += fmt_dec(o, (unsigned)(sod % 60), 2);
		*o++ = '.';
		o += fmt_dec(o, frac, 7);
		memcpy(o, "00Z", 3);
		n = (int)(o + 3 - tmp);
		break;
	}
	case 0x13: { /* SID */
		if (v->size < 8 || v->size != 8 + 4u * p[1] || p[1] > 15)
			break;
		uint64_t auth = 0;
		for (int i = 2; i < 8; i++)
			auth = auth << 8 | p[i];
		if (auth > 0xFFFFFFFFu)
			break;
		/* S-1-5-21-...: at most 15 sub-authorities of 10 digits fit in tmp */
		char *o = tmp;
		*o++ = 'S';
		*o++ = '-';
		o += fmt_u64(o, p[0]);
		*o++ = '-';
		o += fmt_u64(o, auth);
		for (unsigned i = 0; i < p[1]; i++) {
			*o++ = '-';
			o += fmt_u64(o, le32(p + 8 + 4 * i));
		}
		n = (int)(o - tmp);
		break;
	}
	case 0x0e: { /* binary: upper-case hex */
		if (v->size == 0 || b->nodes[ni].nvalues++ || !arena_room(b, 2u * v->size))
			return -1;
		static const char hex[] = "0123456789ABCDEF";
		char *o = b->arena + b->alen;
		for (unsigned i = 0; i < v->size; i++) {
			o[2 * i] = hex[p[i] >> 4];
			o[2 * i + 1] = hex[p[i] & 15];
		}
		b->nodes[ni].value = (uint32_t)b->alen;
		b->nodes[ni].vlen = 2u * v->size;
		b->alen += 2u * v->size;
		return 1;
	}
	case 0x21: { /* binary XML: its elements become children of ni */
		uint32_t used;
		if (b->nodes[ni].attr || v->size == 0)
			return -1;
		uint8_t t = p[0];
		if ((t & 0xbf) == 0x01)
			return bx_parse_element(b, v->off, vals, nvals, ni, false, &used) >= 0 ? 1
											       : -1;
		if (t == 0x0f)
			return bx_parse_fragment(b, v->off, ni, dep, &used) ? 1 : -1;
		if (t == 0x0c)
			return bx_parse_template(b, v->off, ni, dep, &used) ? 1 : -1;
		return -1;
	}
	default: /* ANSI strings, floats, booleans, SYSTEMTIME, arrays, ... */
		return -1;
	}
	if (n < 0)
		return -1;
	return bx_value(b, ni, tmp, (size_t)n) ? 1 : -1;
}

/* A value token (0x05/0x45) at pos into node ni; *used its size. */
static bool bx_read_value(ips_evtx_bx_t *b, uint32_t pos, int ni, uint32_t *used)
{
	if (pos + 4 > EVTX_CHUNK || b->c[pos + 1] != 0x01)
		return false;
	uint32_t nchars = le16(b->c + pos + 2);
	*used = 4 + 2 * nchars;
	if (pos + *used > EVTX_CHUNK)
		return false;
	return bx_utf16_value(b, ni, b->c + pos + 4, nchars);
}

/* A substitution token (0x0d normal, 0x0e optional) at pos into node ni. */
static int bx_read_subst(ips_evtx_bx_t *b, uint32_t pos, int ni, const bx_val_t *vals, uint32_t nvals,
			 bool dep)
{
	if (pos + 4 > EVTX_CHUNK)
		return -1;
	int r = bx_substitute(b, ni, le16(b->c + pos + 1), vals, nvals, dep);
	if (r == 0 && b->c[pos] == 0x0d)
		return -1; /* libevtx fails a normal substitution without a value */
	return r;
}

/* An attribute token at pos of element ei; *used its size. */
static bool bx_parse_attr(ips_evtx_bx_t *b, uint32_t pos, int ei, const bx_val_t *vals, uint32_t nvals,
			  bool dep, uint32_t *used)
{
	if (pos + 5 > EVTX_CHUNK || (b->c[pos] & 0xbf) != 0x06)
		return false;
	uint32_t name_off = le32(b->c + pos + 1), off = pos + 5, nsize;
	if (name_off > off)
		return false;
	const char *name = bx_name(b, name_off, &nsize);
	if (!name)
		return false;
	if (name_off == off)
		off += nsize;
	if (off >= EVTX_CHUNK)
		return false;
	int ai = bx_new_node(b, name, true);
	if (ai < 0)
		return false;
	uint8_t t = b->c[off];
	int r = 1;
	uint32_t vs;
	if ((t & 0xbf) == 0x05) {
		if (!bx_read_value(b, off, ai, &vs))
			return false;
	} else if (t == 0x0d || t == 0x0e) {
		vs = 4;
		r = bx_read_subst(b, off, ai, vals, nvals, dep);
		if (r < 0)
			return false;
	} else {
		return false;
	}
	if (r)
		bx_link(b, ei, ai);
	*used = off + vs - pos;
	return true;
}

/*
 * The other strings of an array value of element ei: libevtx reads the
 * element again for each, giving copies with the same attributes. Only a
 * leaf element with that one substitution is taken.
 */
static bool bx_repeat(ips_evtx_bx_t *b, int ei, int parent)
{
	const bx_node_t *e = &b->nodes[ei];
	if (e->first_child >= 0 || e->nvalues != 1)
		return false;
	uint32_t off = e->arr_off, left = e->arr_size;
	while (left > 0) {
		const uint8_t *p = b->c + off;
		uint32_t k = 0;
		while (le16(p + 2 * k))
			k++; /* ends with a NUL: checked when the first string was read */
		int ci = bx_new_node(b, b->nodes[ei].name, false);
		if (ci < 0)
			return false;
		bx_node_t *c = &b->nodes[ci];
		c->first_attr = b->nodes[ei].first_attr;
		c->last_attr = b->nodes[ei].last_attr;
		if (!bx_utf16_value(b, ci, p, k))
			return false;
		if (parent >= 0)
			bx_link(b, parent, ci);
		off += 2 * (k + 1);
		left -= 2 * (k + 1);
	}
	return true;
}

/*
 * An element at pos (token 0x01/0x41): returns its node, or -2 when an
 * optional substitution left it out, -1 on failure; *used its size.
 */
static int bx_parse_element(ips_evtx_bx_t *b, uint32_t pos, const bx_val_t *vals, uint32_t nvals,
			    int parent, bool dep, uint32_t *used)
{
	const uint8_t *c = b->c;
	uint32_t h = dep ? 3 : 1;
	if (pos + h + 8 > EVTX_CHUNK || b->depth >= BX_MAX_DEPTH)
		return -1;
	uint8_t tok = c[pos];
	uint32_t esize = le32(c + pos + h), name_off = le32(c + pos + h + 4), off = pos + h + 8;
	uint32_t nsize;
	if (esize < 4 || name_off > off)
		return -1;
	esize -= 4;
	const char *name = bx_name(b, name_off, &nsize);
	if (!name)
		return -1;
	if (name_off == off) {
		if (esize < nsize)
			return -1;
		off += nsize;
		esize -= nsize;
	}
	int ei = bx_new_node(b, name, false);
	if (ei < 0)
		return -1;
	b->depth++;
	int result = 0, ret = -1;
	if (tok & 0x40) {
		if (off + 4 > EVTX_CHUNK || esize < 4)
			goto out;
		uint32_t list = le32(c + off);
		off += 4;
		esize -= 4;
		while (list > 0) {
			uint32_t as;
			if (!bx_parse_attr(b, off, ei, vals, nvals, dep, &as) || as > list ||
			    as > esize)
				goto out;
			off += as;
			esize -= as;
			list -= as;
		}
	}
	if (off >= EVTX_CHUNK || esize < 1)
		goto out;
	if (c[off] == 0x02) {
		off++;
		esize--;
		result = 1;
		while (esize > 0) {
			if (off >= EVTX_CHUNK)
				goto out;
			uint8_t t = c[off];
			uint32_t ts;
			switch (t & 0xbf) {
			case 0x01: {
				int ci = bx_parse_element(b, off, vals, nvals, ei, dep, &ts);
				if (ci == -1)
					goto out;
				break;
			}
			case 0x03:
			case 0x04:
				ts = 1;
				break;
			case 0x05:
				if (!bx_read_value(b, off, ei, &ts))
					goto out;
				break;
			case 0x0d:
			case 0x0e:
				ts = 4;
				result = bx_read_subst(b, off, ei, vals, nvals, dep);
				if (result < 0)
					goto out;
				break;
			default: /* CDATA, references, processing instructions */
				goto out;
			}
			if (ts > esize)
				goto out;
			esize -= ts;
			off += ts;
			if (t == 0x03 || t == 0x04)
				break;
		}
	} else if (c[off] == 0x03) {
		off++;
		esize--;
		result = 1;
	} else {
		goto out;
	}
	if (esize > 0)
		goto out;
	if (result && parent >= 0)
		bx_link(b, parent, ei);
	if (b->nodes[ei].arr_off && !bx_repeat(b, ei, result && parent >= 0 ? parent : -1))
		goto out;
	*used = off - pos;
	ret = result ? ei : -2;
out:
	b->depth--;
	return ret;
}

/* A template instance (0x0c) at pos; its values follow it. */
static bool bx_parse_template(ips_evtx_bx_t *b, uint32_t pos, int parent, bool dep, uint32_t *used)
{
	const uint8_t *c = b->c;
	if (pos + 10 > EVTX_CHUNK || b->depth >= BX_MAX_DEPTH)
		return false;
	uint32_t def = le32(c + pos + 6), off = pos + 10;
	if (def > off || def > EVTX_CHUNK - 24)
		return false; /* libevtx takes definitions at or before their use only */
	uint32_t def_size = le32(c + def + 20);
	if (def_size > EVTX_CHUNK - def - 24)
		return false;
	if (def == off)
		off += 24 + def_size;
	if (off + 4 > EVTX_CHUNK)
		return false;
	uint32_t nvals = le32(c + off);
	if (nvals > BX_MAX_VALUES || off + 4 + 4 * nvals > EVTX_CHUNK)
		return false;
	bx_val_t vals[BX_MAX_VALUES];
	uint32_t data = off + 4 + 4 * nvals;
	for (uint32_t i = 0; i < nvals; i++) {
		vals[i].size = le16(c + off + 4 + 4 * i);
		vals[i].type = c[off + 4 + 4 * i + 2];
		vals[i].off = data;
		data += vals[i].size;
		if (data > EVTX_CHUNK)
			return false;
	}
	/* the definition: a fragment header, one element, end of fragment */
	uint32_t body = def + 24, es;
	if (body + 5 > EVTX_CHUNK || c[body] != 0x0f || (c[body + 4] & 0xbf) != 0x01)
		return false;
	b->depth++;
	int r = bx_parse_element(b, body + 4, vals, nvals, parent, dep, &es);
	b->depth--;
	bool ok = r != -1 && body + 4 + es < EVTX_CHUNK && c[body + 4 + es] == 0x00;
	*used = data - pos;
	return ok;
}

/* A fragment (header 0x0f 01 01 00, then an element or a template instance). */
static bool bx_parse_fragment(ips_evtx_bx_t *b, uint32_t pos, int parent, bool dep, uint32_t *used)
{
	const uint8_t *c = b->c;
	if (pos + 5 > EVTX_CHUNK || c[pos] != 0x0f)
		return false;
	uint32_t off = pos + 4, s;
	uint8_t t = c[off];
	if ((t & 0xbf) == 0x01) {
		int r = bx_parse_element(b, off, NULL, 0, parent, dep, &s);
		if (r == -1)
			return false;
	} else if (t == 0x0c) {
		if (!bx_parse_template(b, off, parent, dep, &s))
			return false;
	} else {
		return false;
	}
	*used = off + s - pos;
	return true;
}

/* ---- the tree to the event model, as the winxml reader takes the XML ---- */

static const char *bx_attr(const ips_evtx_bx_t *b, const bx_node_t *n, const char *name, size_t *len)
{
	for (int a = n->first_attr; a >= 0; a = b->nodes[a].next)
		if (!strcmp(b->nodes[a].name, name)) {
			*len = b->nodes[a].vlen;
			return b->arena + b->nodes[a].value;
		}
	return NULL;
}

/* The text expat would give for a leaf: a lone "\n" value renders empty. */
static const char *bx_text(const ips_evtx_bx_t *b, const bx_node_t *n, size_t *len)
{
	*len = n->vlen;
	if (n->vlen == 1 && b->arena[n->value] == '\n')
		*len = 0;
	return b->arena + n->value;
}

/* Leaves of a UserData subtree, each by its name (winxml S_USERDATA). */
static void bx_userdata(ips_evtx_bx_t *b, ips_winevent_t *ev, int ni)
{
	for (int k = b->nodes[ni].first_child; k >= 0; k = b->nodes[k].next) {
		const bx_node_t *n = &b->nodes[k];
		if (n->first_child >= 0) {
			bx_userdata(b, ev, k);
			continue;
		}
		size_t len;
		const char *v = bx_text(b, n, &len);
		if (len)
			ips_winevent_data(ev, n->name, v, len);
	}
}

/* RenderingInfo leaves at any depth (winxml S_RENDERING). */
static void bx_rendering(ips_evtx_bx_t *b, ips_winevent_t *ev, int ni)
{
	for (int k = b->nodes[ni].first_child; k >= 0; k = b->nodes[k].next) {
		const bx_node_t *n = &b->nodes[k];
		if (n->first_child >= 0) {
			bx_rendering(b, ev, k);
			continue;
		}
		size_t len;
		const char *v = bx_text(b, n, &len);
		if (!strcmp(n->name, "Message"))
			ips_winevent_message(ev, v, len);
		else if (!strcmp(n->name, "Level") || !strcmp(n->name, "Task"))
			ips_winevent_set(ev, n->name, v, len);
		else if (!strcmp(n->name, "Keyword"))
			ips_winevent_set(ev, "Keywords", v, len);
	}
}

/* A copy of an attribute value, NUL-terminated (winxml passes C strings). */
static const char *bx_cstr(char *buf, size_t cap, const char *v, size_t n, size_t *len)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	*len = strlen(buf);
	return buf;
}

static void bx_system(ips_evtx_bx_t *b, ips_winevent_t *ev, int ni)
{
	static const char *const map[][2] = {
		{"EventID", "EventID"}, {"Level", "Level"}, {"Task", "Task"},
		{"Keywords", "Keywords"}, {"EventRecordID", "RecordID"}, {"Channel", "Channel"},
		{"Computer", "Computer"}, {NULL, NULL}};
	char buf[1024];
	for (int k = b->nodes[ni].first_child; k >= 0; k = b->nodes[k].next) {
		const bx_node_t *n = &b->nodes[k];
		size_t len, l2;
		const char *v;
		if (!strcmp(n->name, "Provider")) {
			if ((v = bx_attr(b, n, "EventSourceName", &len)) ||
			    (v = bx_attr(b, n, "Name", &len))) {
				v = bx_cstr(buf, sizeof buf, v, len, &l2);
				ips_winevent_set(ev, "Provider", v, l2);
			}
		} else if (!strcmp(n->name, "TimeCreated")) {
			ips_time_t t;
			if ((v = bx_attr(b, n, "SystemTime", &len))) {
				v = bx_cstr(buf, sizeof buf, v, len, &l2);
				if (ips_winevent_parse_time(v, l2, &t))
					ips_winevent_time(ev, &t, true);
			}
		} else if (!strcmp(n->name, "Security")) {
			if ((v = bx_attr(b, n, "UserID", &len))) {
				v = bx_cstr(buf, sizeof buf, v, len, &l2);
				ips_winevent_set(ev, "UserID", v, l2);
			}
		}
		if (n->first_child >= 0)
			continue;
		v = bx_text(b, n, &len);
		for (int i = 0; map[i][0]; i++)
			if (!strcmp(n->name, map[i][0]))
				ips_winevent_set(ev, map[i][1], v, len);
	}
}

static void bx_eventdata(ips_evtx_bx_t *b, ips_winevent_t *ev, int ni)
{
	char name[256];
	for (int k = b->nodes[ni].first_child; k >= 0; k = b->nodes[k].next) {
		const bx_node_t *n = &b->nodes[k];
		if (strcmp(n->name, "Data") || n->first_child >= 0)
			continue;
		size_t len, nl = 0;
		const char *nm = bx_attr(b, n, "Name", &nl);
		if (nm)
			bx_cstr(name, sizeof name, nm, nl, &nl);
		const char *v = bx_text(b, n, &len);
		ips_winevent_data(ev, nm && nl ? name : NULL, v, len);
	}
}

/* Hand the record read into b (root node 0) to the sink, as winxml would. */
void ips_evtx_bx_emit(ips_evtx_bx_t *b, ips_winevent_t *ev, ips_sink_t *sink, uint64_t off,
		      uint64_t line)
{
	ips_winevent_begin(ev, off, line);
	for (int k = b->nodes[0].first_child; k >= 0; k = b->nodes[k].next) {
		const char *s = b->nodes[k].name;
		if (!strcmp(s, "System"))
			bx_system(b, ev, k);
		else if (!strcmp(s, "EventData"))
			bx_eventdata(b, ev, k);
		else if (!strcmp(s, "UserData"))
			bx_userdata(b, ev, k);
		else if (!strcmp(s, "RenderingInfo"))
			bx_rendering(b, ev, k);
	}
	ips_winevent_emit(ev, sink);
}

bool ips_evtx_bx_read_record(ips_evtx_bx_t *b, uint32_t pos, uint32_t size)
{
	b->nn = 0;
	b->alen = 0;
	b->depth = 0;
	uint32_t used;
	if (size < 5 || !bx_parse_fragment(b, pos, -1, true, &used) || used > size)
		return false;
	/* the root must be one <Event>: what winxml needs to see one event */
	if (b->nn == 0 || strcmp(b->nodes[0].name, "Event"))
		return false;
	return true;
}

ips_evtx_bx_t *ips_evtx_bx_new(size_t max_record)
{
	ips_evtx_bx_t *b = ips_xcalloc(1, sizeof *b);
	b->nodes = ips_xmalloc(sizeof *b->nodes * BX_MAX_NODES);
	b->name_arena = ips_xmalloc(BX_NAME_ARENA);
	b->amax = max_record;
	return b;
}

void ips_evtx_bx_chunk(ips_evtx_bx_t *b, const uint8_t *chunk, bool new_chunk)
{
	if (new_chunk) { /* the name cache holds the names of one chunk */
		memset(b->name_val, 0, sizeof b->name_val);
		b->names = 0;
		b->nlen = 0;
	}
	b->c = chunk;
}

void ips_evtx_bx_free(ips_evtx_bx_t *b)
{
	if (!b)
		return;
	free(b->nodes);
	free(b->name_arena);
	free(b->arena);
	free(b);
}
