/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ere.c - detector regexes as grep -E / rg patterns (see ere.h).
 *
 * The PCRE2 pattern is parsed into a small tree (byte sets, sequences,
 * alternatives, repeats, anchors, lookarounds), the lookarounds are
 * rewritten where a line-matching equivalent exists, and the tree is
 * printed in the syntax GNU grep -E and Rust's regex crate share: no \d or
 * \s (bracket expressions instead), no escapes inside brackets but "\\", no
 * "[" inside brackets but in [:space:] and [:punct:], no lazy quantifiers.
 * Only whether a line matches matters, never where: that is what makes a
 * lazy quantifier greedy, and a lookahead at the end of the pattern part of
 * the match.
 */
#include "report/ere.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

enum { N_SET, N_SEQ, N_ALT, N_REP, N_BOL, N_EOL, N_WB, N_NWB, N_LOOK };

typedef struct node {
	int type;
	uint64_t set[4];       /* N_SET: the bytes */
	struct node **kid;     /* N_SEQ, N_ALT: the parts; N_REP, N_LOOK: kid[0] */
	size_t nkid;
	int min, max;          /* N_REP; max -1: no bound */
	bool neg, behind;      /* N_LOOK */
} node_t;

typedef struct conv {
	const char *s;
	size_t i;
	node_t **all;          /* every node made, to free */
	size_t nall, capall;
	const char *fail;      /* why there is no ERE */
	const char *approx;    /* what the ERE leaves out */
} conv_t;

/* ---- nodes -------------------------------------------------------------- */

static node_t *mk(conv_t *c, int type)
{
	node_t *n = ips_xcalloc(1, sizeof *n);
	n->type = type;
	if (c->nall == c->capall) {
		c->capall = c->capall ? c->capall * 2 : 64;
		c->all = ips_xrealloc(c->all, c->capall * sizeof *c->all);
	}
	c->all[c->nall++] = n;
	return n;
}

static void add_kid(node_t *n, node_t *k)
{
	n->kid = ips_xrealloc(n->kid, (n->nkid + 1) * sizeof *n->kid);
	n->kid[n->nkid++] = k;
}

static node_t *mk1(conv_t *c, int type, node_t *k)
{
	node_t *n = mk(c, type);
	add_kid(n, k);
	return n;
}

static void set_add(uint64_t *s, unsigned b)
{
	s[b >> 6] |= 1ULL << (b & 63);
}

static bool set_has(const uint64_t *s, unsigned b)
{
	return s[b >> 6] >> (b & 63) & 1;
}

static void set_range(uint64_t *s, unsigned lo, unsigned hi)
{
	for (unsigned b = lo; b <= hi; b++)
		set_add(s, b);
}

static int set_count(const uint64_t *s)
{
	return __builtin_popcountll(s[0]) + __builtin_popcountll(s[1]) +
	       __builtin_popcountll(s[2]) + __builtin_popcountll(s[3]);
}

static bool set_disjoint(const uint64_t *a, const uint64_t *b)
{
	return !((a[0] & b[0]) | (a[1] & b[1]) | (a[2] & b[2]) | (a[3] & b[3]));
}

static bool set_subset(const uint64_t *a, const uint64_t *b)
{
	return !((a[0] & ~b[0]) | (a[1] & ~b[1]) | (a[2] & ~b[2]) | (a[3] & ~b[3]));
}

static node_t *mk_set(conv_t *c, const uint64_t *s)
{
	node_t *n = mk(c, N_SET);
	memcpy(n->set, s, sizeof n->set);
	return n;
}

/* Both cases of every letter in the set. */
static void set_fold(uint64_t *s)
{
	for (unsigned b = 'a'; b <= 'z'; b++)
		if (set_has(s, b) || set_has(s, b - 32)) {
			set_add(s, b);
			set_add(s, b - 32);
		}
}

/* ---- parsing PCRE2 ------------------------------------------------------ */

static int peek(const conv_t *c, size_t k)
{
	size_t n = strlen(c->s);
	return c->i + k < n ? (unsigned char)c->s[c->i + k] : -1;
}

static void posix_class(const char *name, size_t n, uint64_t *s)
{
#define IS(x) (n == sizeof(x) - 1 && !memcmp(name, x, n))
	if (IS("alpha") || IS("alnum") || IS("word") || IS("upper") || IS("lower")) {
		if (!IS("lower"))
			set_range(s, 'A', 'Z');
		if (!IS("upper"))
			set_range(s, 'a', 'z');
	}
	if (IS("digit") || IS("alnum") || IS("word") || IS("xdigit"))
		set_range(s, '0', '9');
	if (IS("xdigit")) {
		set_range(s, 'a', 'f');
		set_range(s, 'A', 'F');
	}
	if (IS("word"))
		set_add(s, '_');
	if (IS("space"))
		set_range(s, 9, 13), set_add(s, ' ');
	if (IS("blank"))
		set_add(s, 9), set_add(s, ' ');
	if (IS("punct"))
		set_range(s, 33, 47), set_range(s, 58, 64), set_range(s, 91, 96),
			set_range(s, 123, 126);
	if (IS("cntrl"))
		set_range(s, 0, 31), set_add(s, 127);
	if (IS("graph") || IS("print"))
		set_range(s, 33, 126);
	if (IS("print"))
		set_add(s, ' ');
#undef IS
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * An escape after '\\' (c->i at the letter). Fills s and returns 1 for a set
 * (a single byte is a set of one), returns the node type for an anchor, or
 * 0 with c->fail set.
 */
static int parse_escape(conv_t *c, bool in_class, uint64_t *s)
{
	int ch = peek(c, 0);
	memset(s, 0, 4 * sizeof *s);
	if (ch < 0) {
		c->fail = "a pattern ending in a backslash";
		return 0;
	}
	c->i++;
	bool negate = false;
	switch (ch) {
	case 'D': negate = true; /* fall through */
	case 'd': set_range(s, '0', '9'); break;
	case 'W': negate = true; /* fall through */
	case 'w': posix_class("word", 4, s); break;
	case 'S': negate = true; /* fall through */
	case 's': posix_class("space", 5, s); break;
	case 'H': negate = true; /* fall through */
	case 'h': set_add(s, '\t'), set_add(s, ' '), set_add(s, 0xa0); break;
	case 'V': negate = true; /* fall through */
	case 'v': set_range(s, 10, 13), set_add(s, 0x85); break;
	case 't': set_add(s, '\t'); break;
	case 'n': set_add(s, '\n'); break;
	case 'r': set_add(s, '\r'); break;
	case 'f': set_add(s, '\f'); break;
	case 'e': set_add(s, 27); break;
	case 'a': set_add(s, 7); break;
	case 'b':
		if (in_class) {
			set_add(s, 8);
			break;
		}
		return N_WB;
	case 'B':
		if (in_class)
			goto unknown;
		return N_NWB;
	case 'A':
		if (in_class)
			goto unknown;
		return N_BOL;
	case 'z':
	case 'Z':
		if (in_class)
			goto unknown;
		return N_EOL;
	case 'x': {
		unsigned v = 0;
		if (peek(c, 0) == '{') {
			c->i++;
			int d;
			while ((d = hexval(peek(c, 0))) >= 0)
				v = v * 16 + (unsigned)d, c->i++;
			if (peek(c, 0) != '}') {
				c->fail = "a malformed \\x{...}";
				return 0;
			}
			c->i++;
		} else {
			for (int k = 0, d; k < 2 && (d = hexval(peek(c, 0))) >= 0; k++)
				v = v * 16 + (unsigned)d, c->i++;
		}
		if (v > 255) {
			c->fail = "a character above \\xff";
			return 0;
		}
		set_add(s, v);
		break;
	}
	case '0': {
		unsigned v = 0;
		for (int k = 0; k < 2 && peek(c, 0) >= '0' && peek(c, 0) <= '7'; k++)
			v = v * 8 + (unsigned)(peek(c, 0) - '0'), c->i++;
		set_add(s, v);
		break;
	}
	default:
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '1' && ch <= '9')) {
		unknown:
			c->fail = (ch >= '1' && ch <= '9') || ch == 'k' || ch == 'g'
					  ? "a backreference"
					  : "an escape with no ERE form (\\p, \\K, \\G, \\R, \\X, ...)";
			return 0;
		}
		set_add(s, (unsigned)ch); /* an escaped punctuation mark: itself */
	}
	if (negate)
		for (int k = 0; k < 4; k++)
			s[k] = ~s[k];
	return 1;
}

static node_t *parse_class(conv_t *c, bool icase)
{
	uint64_t s[4] = {0, 0, 0, 0};
	bool neg = false, first = true;
	if (peek(c, 0) == '^') {
		neg = true;
		c->i++;
	}
	for (;;) {
		int ch = peek(c, 0);
		if (ch < 0) {
			c->fail = "an unclosed bracket";
			return NULL;
		}
		if (ch == ']' && !first) {
			c->i++;
			break;
		}
		first = false;
		if (ch == '[' && peek(c, 1) == ':') {
			const char *start = c->s + c->i + 2, *end = strstr(start, ":]");
			if (end) {
				bool pneg = *start == '^';
				uint64_t p[4] = {0, 0, 0, 0};
				posix_class(start + pneg, (size_t)(end - start) - pneg, p);
				for (int k = 0; k < 4; k++)
					s[k] |= pneg ? ~p[k] : p[k];
				c->i = (size_t)(end + 2 - c->s);
				continue;
			}
		}
		/* one item, maybe the start of a range */
		int lo;
		uint64_t e[4];
		if (ch == '\\') {
			c->i++;
			if (!parse_escape(c, true, e))
				return NULL;
			if (set_count(e) != 1) {
				for (int k = 0; k < 4; k++)
					s[k] |= e[k];
				continue;
			}
			lo = 0;
			while (!set_has(e, (unsigned)lo))
				lo++;
		} else {
			lo = ch;
			c->i++;
		}
		int hi = lo;
		if (peek(c, 0) == '-' && peek(c, 1) >= 0 && peek(c, 1) != ']') {
			c->i++;
			if (peek(c, 0) == '\\') {
				c->i++;
				if (!parse_escape(c, true, e))
					return NULL;
				if (set_count(e) != 1) {
					c->fail = "a range ending in a class";
					return NULL;
				}
				hi = 0;
				while (!set_has(e, (unsigned)hi))
					hi++;
			} else {
				hi = peek(c, 0);
				c->i++;
			}
			if (hi < lo) {
				c->fail = "a reversed range";
				return NULL;
			}
		}
		set_range(s, (unsigned)lo, (unsigned)hi);
	}
	if (icase)
		set_fold(s);
	if (neg)
		for (int k = 0; k < 4; k++)
			s[k] = ~s[k];
	return mk_set(c, s);
}

static node_t *parse_alt(conv_t *c, bool *icase);

/* "{n}", "{n,}", "{n,m}" at c->i: true with the bounds, else false (a literal '{'). */
static bool parse_braces(conv_t *c, int *min, int *max)
{
	size_t j = c->i + 1;
	const char *s = c->s;
	if (!(s[j] >= '0' && s[j] <= '9'))
		return false;
	long lo = 0, hi;
	while (s[j] >= '0' && s[j] <= '9')
		lo = lo * 10 + (s[j++] - '0');
	hi = lo;
	if (s[j] == ',') {
		j++;
		if (s[j] == '}') {
			hi = -1;
		} else {
			if (!(s[j] >= '0' && s[j] <= '9'))
				return false;
			hi = 0;
			while (s[j] >= '0' && s[j] <= '9')
				hi = hi * 10 + (s[j++] - '0');
		}
	}
	if (s[j] != '}' || lo > 65535 || hi > 65535)
		return false;
	*min = (int)lo;
	*max = (int)hi;
	c->i = j + 1;
	return true;
}

static node_t *parse_atom(conv_t *c, bool *icase, bool *none)
{
	int ch = peek(c, 0);
	uint64_t s[4] = {0, 0, 0, 0};
	*none = false;
	if (ch == '(') {
		c->i++;
		bool flags = *icase;
		int kind = 0; /* 0 group, 'l' lookaround */
		bool neg = false, behind = false;
		if (peek(c, 0) == '?') {
			int a = peek(c, 1), b = peek(c, 2);
			if (a == '#') {
				while (peek(c, 0) >= 0 && peek(c, 0) != ')')
					c->i++;
				c->i++;
				*none = true;
				return NULL;
			} else if (a == ':' || a == '|' || a == '>') {
				if (a == '>')
					c->approx = "an atomic group as a plain group";
				c->i += 2;
			} else if (a == '=' || a == '!') {
				kind = 'l', neg = a == '!';
				c->i += 2;
			} else if (a == '<' && (b == '=' || b == '!')) {
				kind = 'l', neg = b == '!', behind = true;
				c->i += 3;
			} else if (a == '<' || a == '\'' || (a == 'P' && b == '<')) {
				const char *close = strchr(c->s + c->i, a == '\'' ? '\'' : '>');
				if (a == '\'')
					close = strchr(c->s + c->i + 2, '\'');
				if (!close) {
					c->fail = "a malformed group name";
					return NULL;
				}
				c->i = (size_t)(close - c->s) + 1;
			} else {
				/* inline options: (?i) (?-i) (?J) ... or (?i:...) */
				size_t j = c->i + 1;
				bool on = true, f = flags;
				for (; c->s[j] && c->s[j] != ')' && c->s[j] != ':'; j++) {
					char o = c->s[j];
					if (o == '-')
						on = false;
					else if (o == 'i')
						f = on;
					else if (o == 'x' && on) {
						c->fail = "extended (?x) syntax";
						return NULL;
					} else if (!strchr("msnJUx^", o)) {
						c->fail = "a (?...) construct with no ERE form";
						return NULL;
					}
				}
				if (c->s[j] == ')') {
					*icase = f; /* for the rest of the enclosing group */
					c->i = j + 1;
					*none = true;
					return NULL;
				}
				if (c->s[j] != ':') {
					c->fail = "an unclosed (?...)";
					return NULL;
				}
				flags = f;
				c->i = j + 1;
			}
		}
		node_t *in = parse_alt(c, &flags);
		if (!in)
			return NULL;
		if (peek(c, 0) != ')') {
			c->fail = "an unclosed group";
			return NULL;
		}
		c->i++;
		if (kind == 'l') {
			node_t *l = mk1(c, N_LOOK, in);
			l->neg = neg;
			l->behind = behind;
			return l;
		}
		return in;
	}
	c->i++;
	switch (ch) {
	case '[':
		return parse_class(c, *icase);
	case '.':
		for (int k = 0; k < 4; k++)
			s[k] = ~0ULL;
		s[0] &= ~(1ULL << '\n');
		return mk_set(c, s);
	case '^':
		return mk(c, N_BOL);
	case '$':
		return mk(c, N_EOL);
	case '\\': {
		if (peek(c, 0) == 'Q') { /* \Q...\E: literal text */
			c->i++;
			node_t *q = mk(c, N_SEQ);
			while (peek(c, 0) >= 0 && !(peek(c, 0) == '\\' && peek(c, 1) == 'E')) {
				uint64_t t[4] = {0, 0, 0, 0};
				set_add(t, (unsigned)peek(c, 0));
				if (*icase)
					set_fold(t);
				add_kid(q, mk_set(c, t));
				c->i++;
			}
			if (peek(c, 0) == '\\')
				c->i += 2;
			return q;
		}
		if (peek(c, 0) == 'E') {
			c->i++;
			*none = true;
			return NULL;
		}
		int r = parse_escape(c, false, s);
		if (!r)
			return NULL;
		if (r != 1)
			return mk(c, r);
		if (*icase)
			set_fold(s);
		return mk_set(c, s);
	}
	case '*':
	case '+':
	case '?':
		c->fail = "a quantifier with nothing to repeat";
		return NULL;
	case '{': {
		int a, b;
		c->i--;
		if (parse_braces(c, &a, &b)) {
			c->fail = "a quantifier with nothing to repeat";
			return NULL;
		}
		c->i++;
		break;
	}
	default:
		break;
	}
	set_add(s, (unsigned)ch);
	if (*icase)
		set_fold(s);
	return mk_set(c, s);
}

static node_t *parse_seq(conv_t *c, bool *icase)
{
	node_t *seq = mk(c, N_SEQ);
	for (;;) {
		int ch = peek(c, 0);
		if (ch < 0 || ch == '|' || ch == ')')
			return seq;
		bool none;
		node_t *a = parse_atom(c, icase, &none);
		if (c->fail)
			return NULL;
		if (none)
			continue;
		for (;;) {
			int q = peek(c, 0), min, max;
			if (q == '*')
				min = 0, max = -1, c->i++;
			else if (q == '+')
				min = 1, max = -1, c->i++;
			else if (q == '?')
				min = 0, max = 1, c->i++;
			else if (q != '{' || !parse_braces(c, &min, &max))
				break;
			if (peek(c, 0) == '?') {
				c->i++; /* lazy: matches the same lines */
			} else if (peek(c, 0) == '+') {
				c->i++;
				c->approx = "a possessive quantifier as a greedy one";
			}
			node_t *r = mk1(c, N_REP, a);
			r->min = min;
			r->max = max;
			a = r;
		}
		add_kid(seq, a);
	}
}

static node_t *parse_alt(conv_t *c, bool *icase)
{
	bool flags = *icase;
	node_t *first = parse_seq(c, &flags);
	if (!first)
		return NULL;
	if (peek(c, 0) != '|')
		return first;
	node_t *alt = mk1(c, N_ALT, first);
	while (peek(c, 0) == '|') {
		c->i++;
		node_t *k = parse_seq(c, &flags);
		if (!k)
			return NULL;
		add_kid(alt, k);
	}
	return alt;
}

/* ---- what a node can match ----------------------------------------------- */

static bool zero_width(const node_t *n)
{
	switch (n->type) {
	case N_SET:
		return false;
	case N_SEQ:
	case N_ALT:
		for (size_t k = 0; k < n->nkid; k++)
			if (!zero_width(n->kid[k]))
				return false;
		return true;
	case N_REP:
		return zero_width(n->kid[0]);
	default:
		return true;
	}
}

/* The bytes a node can end with; *empty: it can match nothing at all. */
static void last_set(const node_t *n, uint64_t *s, bool *empty)
{
	uint64_t t[4];
	bool e;
	switch (n->type) {
	case N_SET:
		for (int k = 0; k < 4; k++)
			s[k] |= n->set[k];
		*empty = false;
		return;
	case N_SEQ:
		*empty = true;
		for (size_t k = n->nkid; k-- > 0;) {
			memset(t, 0, sizeof t);
			last_set(n->kid[k], t, &e);
			for (int j = 0; j < 4; j++)
				s[j] |= t[j];
			if (!e) {
				*empty = false;
				return;
			}
		}
		return;
	case N_ALT:
		*empty = false;
		for (size_t k = 0; k < n->nkid; k++) {
			last_set(n->kid[k], s, &e);
			*empty |= e;
		}
		return;
	case N_REP:
		last_set(n->kid[0], s, &e);
		*empty = e || n->min == 0;
		return;
	default:
		*empty = true;
	}
}

/* A node that matches exactly one byte of a set (a set, or sets in a group). */
static bool one_byte(const node_t *n, uint64_t *s)
{
	memset(s, 0, 4 * sizeof *s);
	if (n->type == N_SET) {
		memcpy(s, n->set, 4 * sizeof *s);
		return true;
	}
	if (n->type == N_SEQ && n->nkid == 1)
		return one_byte(n->kid[0], s);
	if (n->type == N_ALT) {
		for (size_t k = 0; k < n->nkid; k++) {
			uint64_t t[4];
			if (!one_byte(n->kid[k], t))
				return false;
			for (int j = 0; j < 4; j++)
				s[j] |= t[j];
		}
		return true;
	}
	return false;
}

/* A node that matches a fixed sequence of single bytes: up to max sets. */
static size_t byte_seq(const node_t *n, uint64_t (*s)[4], size_t max)
{
	if (one_byte(n, s[0]))
		return 1;
	if (n->type != N_SEQ)
		return 0;
	size_t k = 0;
	for (size_t i = 0; i < n->nkid; i++) {
		if (k == max || !one_byte(n->kid[i], s[k]))
			return 0;
		k++;
	}
	return k;
}

/* ---- lookarounds --------------------------------------------------------- */

#define NEG_MAX 4 /* negative lookaheads at the end, and their length */

/*
 * At the end of a pattern, "not followed by any of these byte sequences"
 * spelled out: the end of the line, or a next byte that starts none of them,
 * or one that starts some and then (recursively) does not go on with them.
 */
static node_t *not_followed(conv_t *c, uint64_t (*seq)[NEG_MAX][4], const size_t *len,
			    size_t nseq, unsigned alive, size_t depth)
{
	node_t *alt = mk(c, N_ALT);
	add_kid(alt, mk(c, N_EOL));
	uint64_t done[4] = {0, 0, 0, 0};
	set_add(done, '\n');
	for (unsigned b = 0; b < 256; b++) {
		if (set_has(done, b))
			continue;
		/* the bytes that keep the same sequences alive as b does */
		unsigned sig = 0;
		for (size_t k = 0; k < nseq; k++)
			if (alive >> k & 1 && set_has(seq[k][depth], b))
				sig |= 1u << k;
		uint64_t cls[4] = {0, 0, 0, 0};
		for (unsigned x = b; x < 256; x++) {
			if (set_has(done, x))
				continue;
			unsigned sx = 0;
			for (size_t k = 0; k < nseq; k++)
				if (alive >> k & 1 && set_has(seq[k][depth], x))
					sx |= 1u << k;
			if (sx == sig) {
				set_add(cls, x);
				set_add(done, x);
			}
		}
		bool ends = false;
		for (size_t k = 0; k < nseq; k++)
			if (sig >> k & 1 && len[k] == depth + 1)
				ends = true;
		if (ends)
			continue; /* a forbidden sequence is complete: no way on */
		if (!sig) {
			add_kid(alt, mk_set(c, cls));
			continue;
		}
		node_t *s = mk(c, N_SEQ);
		add_kid(s, mk_set(c, cls));
		add_kid(s, not_followed(c, seq, len, nseq, sig, depth + 1));
		add_kid(alt, s);
	}
	return alt;
}

static node_t *rewrite(conv_t *c, node_t *n, bool head, bool tail);

static void flatten(node_t *seq, node_t ***items, size_t *n, size_t *cap)
{
	for (size_t k = 0; k < seq->nkid; k++) {
		node_t *x = seq->kid[k];
		if (x->type == N_SEQ) {
			flatten(x, items, n, cap);
			continue;
		}
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*items = ips_xrealloc(*items, *cap * sizeof **items);
		}
		(*items)[(*n)++] = x;
	}
}

/*
 * A sequence: the lookbehind at its start, the lookaheads at its end and
 * the negative lookahead before a byte class get their line-matching form;
 * any other lookaround is left out (the ERE matches more lines).
 */
static node_t *rewrite_seq(conv_t *c, node_t *seq, bool head, bool tail)
{
	node_t **it = NULL;
	size_t n = 0, cap = 0;
	flatten(seq, &it, &n, &cap);
	node_t *out = mk(c, N_SEQ);
	for (size_t i = 0; i < n; i++) {
		node_t *x = it[i];
		bool first = head && out->nkid == 0;
		bool last = tail;
		for (size_t k = i + 1; k < n && last; k++)
			last = it[k]->type == N_EOL;
		if (x->type != N_LOOK) {
			add_kid(out, rewrite(c, x, first, last && x->type != N_LOOK));
			continue;
		}
		uint64_t cs[4];
		if (x->behind) {
			if (!one_byte(x->kid[0], cs)) {
				c->approx = "a lookbehind longer than one byte was left out";
				continue;
			}
			if (first) { /* at the start: the byte before, or the line start */
				uint64_t ns[4];
				for (int k = 0; k < 4; k++)
					ns[k] = ~cs[k];
				node_t *s = mk_set(c, x->neg ? ns : cs);
				if (x->neg) {
					node_t *a = mk(c, N_ALT);
					add_kid(a, mk(c, N_BOL));
					add_kid(a, s);
					s = a;
				}
				add_kid(out, s);
				continue;
			}
			uint64_t prev[4] = {0, 0, 0, 0};
			bool empty;
			last_set(out, prev, &empty);
			if (!empty && (x->neg ? set_disjoint(prev, cs) : set_subset(prev, cs)))
				continue; /* always true after what comes before */
			if (empty && head && out->nkid == 1 && out->kid[0]->type == N_REP &&
			    out->kid[0]->min == 0 && out->kid[0]->max == 1) {
				/* (X)?(?<!c): X then the check, or the check at the start */
				node_t *xs = mk(c, N_SEQ), *alone = mk(c, N_SEQ);
				add_kid(xs, out->kid[0]->kid[0]);
				add_kid(xs, x);
				add_kid(alone, x);
				node_t *a = mk(c, N_ALT);
				add_kid(a, rewrite_seq(c, xs, true, false));
				add_kid(a, rewrite_seq(c, alone, true, false));
				out->kid[0] = a;
				continue;
			}
			c->approx = "a lookbehind inside the pattern was left out";
			continue;
		}
		/* lookaheads at the end */
		size_t e = i;
		while (e < n && it[e]->type == N_LOOK && !it[e]->behind)
			e++;
		if (tail && e == n) {
			if (e - i == 1 && !x->neg) {
				add_kid(out, rewrite(c, x->kid[0], false, true));
				break;
			}
			uint64_t sets[NEG_MAX][NEG_MAX][4];
			size_t lens[NEG_MAX], ns = 0;
			bool ok = e - i <= NEG_MAX;
			for (size_t k = i; k < e && ok; k++) {
				ok = it[k]->neg && (lens[ns] = byte_seq(it[k]->kid[0], sets[ns], NEG_MAX)) > 0;
				ns++;
			}
			if (ok) {
				add_kid(out, not_followed(c, sets, lens, ns, (1u << ns) - 1, 0));
				break;
			}
			c->approx = "a lookahead at the end was left out";
			break;
		}
		/* (?!c)X+: a first X that is not c */
		if (x->neg && one_byte(x->kid[0], cs) && i + 1 < n) {
			node_t *y = it[i + 1], *base = y->type == N_REP ? y->kid[0] : y;
			uint64_t ys[4];
			if (one_byte(base, ys) && (y->type != N_REP || y->min >= 1)) {
				for (int k = 0; k < 4; k++)
					ys[k] &= ~cs[k];
				add_kid(out, mk_set(c, ys));
				if (y->type == N_REP && !(y->min == 1 && y->max == 1)) {
					node_t *r = mk1(c, N_REP, base);
					r->min = y->min - 1;
					r->max = y->max < 0 ? -1 : y->max - 1;
					add_kid(out, r);
				}
				i++;
				continue;
			}
		}
		c->approx = "a lookahead inside the pattern was left out";
	}
	free(it);
	return out;
}

static node_t *rewrite(conv_t *c, node_t *n, bool head, bool tail)
{
	switch (n->type) {
	case N_SEQ:
	case N_LOOK: {
		node_t *s = n;
		if (n->type == N_LOOK)
			s = mk1(c, N_SEQ, n);
		return rewrite_seq(c, s, head, tail);
	}
	case N_ALT: {
		node_t *a = mk(c, N_ALT);
		for (size_t k = 0; k < n->nkid; k++)
			add_kid(a, rewrite(c, n->kid[k], head, tail));
		return a;
	}
	case N_REP:
		if (zero_width(n->kid[0])) /* (?=...)? and the like: nothing to check */
			return n->min == 0 ? mk(c, N_SEQ) : rewrite(c, n->kid[0], head, tail);
		{
			node_t *r = mk1(c, N_REP, rewrite(c, n->kid[0], false, false));
			r->min = n->min;
			r->max = n->max;
			return r;
		}
	default:
		return n;
	}
}

/* ---- printing ------------------------------------------------------------ */

static void put_char(ips_buf_t *b, unsigned ch)
{
	if (strchr(".[]()*+?{}|^$\\", (int)ch) && ch)
		ips_buf_putc(b, '\\');
	ips_buf_putc(b, (char)ch);
}

/* The members of a bracket expression (ASCII, no '[' and no '\n'). */
static void put_members(ips_buf_t *b, const uint64_t *s0)
{
	uint64_t s[4];
	memcpy(s, s0, sizeof s);
	static const unsigned space[] = {9, 10, 11, 12, 13, 32};
	bool has_space = true;
	for (size_t k = 0; k < 6; k++)
		has_space &= space[k] == 10 || set_has(s, space[k]);
	/* ']' first, where it stands for itself */
	if (set_has(s, ']'))
		ips_buf_putc(b, ']');
	if (has_space) {
		ips_buf_append(b, "[:space:]", 9);
		for (size_t k = 0; k < 6; k++)
			s[space[k] >> 6] &= ~(1ULL << (space[k] & 63));
	}
	size_t start = b->len;
	for (unsigned ch = 1; ch < 128; ch++) {
		if (!set_has(s, ch) || ch == ']' || ch == '-' || ch == '^' || ch == '\n')
			continue;
		unsigned e = ch;
		while (e + 1 < 128 && set_has(s, e + 1) && !strchr("]-^\\[\n", (int)(e + 1)) &&
		       e + 1 != 0)
			e++;
		if (ch == '\\') {
			ips_buf_append(b, "\\\\", 2);
			continue;
		}
		if (e - ch >= 2) {
			ips_buf_putc(b, (char)ch);
			ips_buf_putc(b, '-');
			ips_buf_putc(b, (char)e);
			ch = e;
		} else {
			ips_buf_putc(b, (char)ch);
		}
	}
	/* '^' anywhere but first, '-' last */
	if (set_has(s, '^') && b->len == start && !has_space && !set_has(s, ']')) {
		ips_buf_append(b, set_has(s, '-') ? "-^" : "^", set_has(s, '-') ? 2 : 1);
		return;
	}
	if (set_has(s, '^'))
		ips_buf_putc(b, '^');
	if (set_has(s, '-'))
		ips_buf_putc(b, '-');
}

static void put_set(conv_t *c, ips_buf_t *b, const uint64_t *s0)
{
	uint64_t s[4];
	memcpy(s, s0, sizeof s);
	s[0] &= ~(1ULL << '\n');
	s[0] &= ~1ULL; /* NUL never reaches a regex library as text */
	uint64_t hi_all = s[2] & s[3], hi_any = s[2] | s[3];
	if (hi_any && hi_all != ~0ULL) {
		s[2] = s[3] = ~0ULL;
		c->approx = "a class with some bytes above 0x7f as one with all";
		hi_all = ~0ULL;
	}
	bool negated = hi_all == ~0ULL;
	uint64_t lo[4] = {s[0], s[1], 0, 0};
	if (negated) {
		lo[0] = ~s[0] & ~(1ULL << '\n') & ~1ULL;
		lo[1] = ~s[1];
		if (!lo[0] && !lo[1]) {
			ips_buf_putc(b, '.');
			return;
		}
	}
	int n = set_count(lo);
	if (!negated) {
		if (n == 0) {
			c->fail = "a class that matches nothing";
			return;
		}
		if (n == 1) {
			unsigned ch = 0;
			while (!set_has(lo, ch))
				ch++;
			put_char(b, ch);
			return;
		}
		bool bracket = set_has(lo, '[');
		lo['[' >> 6] &= ~(1ULL << ('[' & 63));
		if (bracket)
			ips_buf_append(b, "(\\[|", 4);
		if (set_count(lo) == 1) {
			unsigned ch = 0;
			while (!set_has(lo, ch))
				ch++;
			put_char(b, ch);
		} else {
			ips_buf_putc(b, '[');
			/* a lone '^' first would negate: put_members puts it late */
			put_members(b, lo);
			ips_buf_putc(b, ']');
		}
		if (bracket)
			ips_buf_putc(b, ')');
		return;
	}
	/* the bytes not in lo; '[' among lo has no portable spelling inside
	 * brackets: not-punctuation-nor-lo, or punctuation-but-not-lo */
	if (set_has(lo, '[')) {
		uint64_t punct[4] = {0, 0, 0, 0}, keep[4];
		posix_class("punct", 5, punct);
		ips_buf_append(b, "([^[:punct:]", 12);
		for (int k = 0; k < 4; k++)
			keep[k] = lo[k] & ~punct[k];
		put_members(b, keep);
		ips_buf_append(b, "]|", 2);
		for (int k = 0; k < 4; k++)
			keep[k] = punct[k] & ~lo[k];
		put_set(c, b, keep);
		ips_buf_putc(b, ')');
		return;
	}
	ips_buf_append(b, "[^", 2);
	put_members(b, lo);
	ips_buf_putc(b, ']');
}

static void put_node(conv_t *c, ips_buf_t *b, const node_t *n);

static bool atomic(const node_t *n)
{
	if (n->type == N_SET || n->type == N_ALT)
		return true; /* a set prints as one item or a group */
	if (n->type == N_SEQ)
		return n->nkid == 1 && atomic(n->kid[0]);
	return false;
}

static void put_node(conv_t *c, ips_buf_t *b, const node_t *n)
{
	switch (n->type) {
	case N_SET:
		put_set(c, b, n->set);
		break;
	case N_SEQ:
		for (size_t k = 0; k < n->nkid; k++)
			put_node(c, b, n->kid[k]);
		break;
	case N_ALT:
		ips_buf_putc(b, '(');
		for (size_t k = 0; k < n->nkid; k++) {
			if (k)
				ips_buf_putc(b, '|');
			put_node(c, b, n->kid[k]);
		}
		ips_buf_putc(b, ')');
		break;
	case N_REP: {
		const node_t *k = n->kid[0];
		if (k->type == N_SEQ && k->nkid == 0)
			break;
		bool wrap = !atomic(k);
		if (wrap)
			ips_buf_putc(b, '(');
		put_node(c, b, k);
		if (wrap)
			ips_buf_putc(b, ')');
		if (n->min == 0 && n->max < 0)
			ips_buf_putc(b, '*');
		else if (n->min == 1 && n->max < 0)
			ips_buf_putc(b, '+');
		else if (n->min == 0 && n->max == 1)
			ips_buf_putc(b, '?');
		else if (n->max < 0)
			ips_buf_printf(b, "{%d,}", n->min);
		else if (n->min == n->max)
			ips_buf_printf(b, "{%d}", n->min);
		else
			ips_buf_printf(b, "{%d,%d}", n->min, n->max);
		break;
	}
	case N_BOL:
		ips_buf_putc(b, '^');
		break;
	case N_EOL:
		ips_buf_putc(b, '$');
		break;
	case N_WB:
		ips_buf_append(b, "\\b", 2);
		break;
	case N_NWB:
		ips_buf_append(b, "\\B", 2);
		break;
	default:
		c->approx = "a lookaround was left out";
		break;
	}
}

ips_ere_kind_t ips_ere_convert(const char *pcre, bool nocase, char **out, const char **why)
{
	conv_t c;
	memset(&c, 0, sizeof c);
	c.s = pcre;
	bool icase = nocase;
	*out = NULL;
	node_t *tree = parse_alt(&c, &icase);
	if (tree && !c.fail && peek(&c, 0) >= 0)
		c.fail = "an unbalanced ')'";
	ips_buf_t b;
	ips_buf_init(&b, 1 << 20);
	if (tree && !c.fail) {
		tree = rewrite(&c, tree, true, true);
		put_node(&c, &b, tree);
		if (!c.fail && b.len == 0)
			c.fail = "nothing left to match";
	}
	for (size_t i = 0; i < c.nall; i++) {
		free(c.all[i]->kid);
		free(c.all[i]);
	}
	free(c.all);
	if (c.fail) {
		ips_buf_free(&b);
		*why = c.fail;
		return IPS_ERE_FAILED;
	}
	*out = ips_buf_steal(&b);
	*why = c.approx;
	return c.approx ? IPS_ERE_SUPERSET : IPS_ERE_EXACT;
}

/* ---- rules list --patterns / --literals -------------------------------- */

/* A literal as an ERE (case folded for a caseless detector). */
static void put_literal(ips_buf_t *b, const char *lit, bool nocase)
{
	for (const unsigned char *p = (const unsigned char *)lit; *p; p++) {
		unsigned ch = *p;
		if (nocase && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
			ips_buf_printf(b, "[%c%c]", (char)(ch | 0x20), (char)(ch & ~0x20u));
		else
			put_char(b, ch);
	}
}

/* Seen before? (a small open hash of strings; the caller frees it) */
static bool seen_before(char ***tab, size_t *cap, size_t *n, const char *s)
{
	if (*n * 2 >= *cap) {
		size_t oc = *cap;
		char **old = *tab;
		*cap = *cap ? *cap * 2 : 256;
		*tab = ips_xcalloc(*cap, sizeof **tab);
		for (size_t i = 0; i < oc; i++)
			if (old[i]) {
				size_t h = ips_fnv1a(IPS_FNV_INIT, old[i], strlen(old[i])) & (*cap - 1);
				while ((*tab)[h])
					h = (h + 1) & (*cap - 1);
				(*tab)[h] = old[i];
			}
		free(old);
	}
	size_t h = ips_fnv1a(IPS_FNV_INIT, s, strlen(s)) & (*cap - 1);
	for (; (*tab)[h]; h = (h + 1) & (*cap - 1))
		if (!strcmp((*tab)[h], s))
			return true;
	(*tab)[h] = ips_xstrdup(s);
	(*n)++;
	return false;
}

static void free_seen(char **tab, size_t cap)
{
	for (size_t i = 0; i < cap; i++)
		free(tab[i]);
	free(tab);
}

void ips_ere_list_patterns(FILE *out, FILE *notes, const ips_rules_t *r)
{
	size_t n = ips_rules_active_count(r), exact = 0, superset = 0, literal = 0;
	char **seen = NULL;
	size_t cap = 0, nseen = 0;
	fprintf(notes, "# one POSIX ERE per detector for grep -E -f / rg -f (GNU grep: LC_ALL=C is fastest)\n");
	for (size_t i = 0; i < n; i++) {
		const ips_detector_t *d = ips_rules_active_at(r, i);
		if (!d->regex)
			continue;
		char *ere = NULL;
		const char *why = NULL;
		ips_ere_kind_t k = ips_ere_convert(d->regex, d->nocase, &ere, &why);
		if (k == IPS_ERE_FAILED) {
			ips_buf_t b;
			ips_buf_init(&b, 1 << 20);
			for (size_t j = 0; j < d->literals.len; j++) {
				if (j)
					ips_buf_putc(&b, '|');
				put_literal(&b, d->literals.items[j], d->nocase);
			}
			ere = ips_buf_steal(&b);
			literal++;
			fprintf(notes, "# %s (%s:%d): by its literals: the regex has %s\n", d->id, d->file,
				d->line, why);
		} else if (k == IPS_ERE_SUPERSET) {
			superset++;
			fprintf(notes, "# %s (%s:%d): matches more lines: %s\n", d->id, d->file, d->line, why);
		} else {
			exact++;
		}
		if (*ere && !seen_before(&seen, &cap, &nseen, ere))
			fprintf(out, "%s\n", ere);
		free(ere);
	}
	fprintf(notes, "# %zu detectors: %zu exact, %zu matching more lines, %zu by their literals; "
		       "%zu distinct patterns\n",
		exact + superset + literal, exact, superset, literal, nseen);
	free_seen(seen, cap);
}

void ips_ere_list_literals(FILE *out, FILE *notes, const ips_rules_t *r)
{
	size_t n = ips_rules_active_count(r);
	char **seen = NULL;
	size_t cap = 0, nseen = 0;
	fprintf(notes, "# every detector literal once; match them case-insensitively: "
		       "grep -F -i -f FILE or rg -F -i -f FILE\n");
	for (size_t i = 0; i < n; i++) {
		const ips_detector_t *d = ips_rules_active_at(r, i);
		for (size_t j = 0; j < d->literals.len; j++) {
			char *low = ips_xstrdup(d->literals.items[j]);
			for (char *p = low; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p + 32);
			if (!seen_before(&seen, &cap, &nseen, low))
				fprintf(out, "%s\n", d->literals.items[j]);
			free(low);
		}
	}
	fprintf(notes, "# %zu literals\n", nseen);
	free_seen(seen, cap);
}
