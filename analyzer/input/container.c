/* SPDX-License-Identifier: Apache-2.0 */
/* container.c - see container.h. */
#include "input/container.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/phash.h"
#include "util/util.h"

#define IO_BLOCK 65536

const char *ips_container_sniff(const unsigned char *h, size_t n)
{
	if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
		return "gz";
	if (n >= 3 && h[0] == 'B' && h[1] == 'Z' && h[2] == 'h')
		return "bz2";
	if (n >= 6 && !memcmp(h, "\xfd" "7zXZ\0", 6))
		return "xz";
	if (n >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd)
		return "zst";
	if (n >= 4 && h[0] == 'P' && h[1] == 'K' && ((h[2] == 3 && h[3] == 4) || (h[2] == 5 && h[3] == 6)))
		return "zip";
	if (ips_tar_header_valid(h, n))
		return "tar";
	return NULL;
}

bool ips_container_format(const char *name)
{
	static const char *const names[] = {"gz", "bz2", "xz", "zst", "zip", "tar"};
	for (size_t i = 0; name && i < sizeof names / sizeof *names; i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/*
 * A tar header: the "ustar" magic and a checksum that adds up (the sum of
 * the 512 bytes with the checksum field counted as spaces; some old tars
 * summed signed bytes). A block of zeros, or text that happens to carry the
 * magic, is no tar: libarchive takes a zero block for an empty archive,
 * which would hide a compressed log that begins with NUL bytes.
 */
bool ips_tar_header_valid(const unsigned char *h, size_t n)
{
	if (n < 512 || memcmp(h + 257, "ustar", 5))
		return false;
	uint64_t want = 0;
	int digits = 0;
	for (int i = 148; i < 156; i++) {
		if (h[i] >= '0' && h[i] <= '7') {
			want = want * 8 + (uint64_t)(h[i] - '0');
			digits++;
		} else if (h[i] == ' ' || h[i] == '\0') {
			if (digits)
				break;
		} else {
			return false;
		}
	}
	if (!digits)
		return false;
	uint64_t sum = 0;
	int64_t ssum = 0;
	for (int i = 0; i < 512; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
		sum += c;
		ssum += (signed char)c;
	}
	return sum == want || (uint64_t)ssum == want;
}

const char *ips_archive_version(void)
{
	return archive_version_string();
}

/*
 * Only the decompressors built into libarchive, and only tar and zip.
 * archive_read_support_filter_all() would also run external programs
 * (lzop, lrzip, grzip, ...) on data that looks like theirs, and
 * archive_read_support_format_all() would parse a dozen more formats from
 * untrusted bytes (docs/security.md). A filter that libarchive could only
 * provide through an external program (its support call returns
 * ARCHIVE_WARN) is left out.
 */
typedef int (*support_fn)(struct archive *);
static const support_fn filters[] = {
	archive_read_support_filter_gzip, archive_read_support_filter_bzip2,
	archive_read_support_filter_xz, archive_read_support_filter_zstd,
};

static unsigned builtin_filters(void)
{
	static int mask = -1;
	if (mask < 0) {
		mask = 0;
		for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
			struct archive *t = archive_read_new();
			if (t && filters[i](t) == ARCHIVE_OK)
				mask |= 1 << i;
			archive_read_free(t);
		}
	}
	return (unsigned)mask;
}

/* libarchive reads its input from our source (a file, or a parent member). */
typedef struct feed {
	ips_source_t *src;
	char buf[IO_BLOCK];
	uint64_t consumed;
	ips_archive_budget_t *budget; /* set on the top-level input's feed only */
	int err;
} feed_t;

static la_ssize_t feed_read(struct archive *a, void *ctx, const void **out)
{
	feed_t *f = ctx;
	ssize_t n = ips_source_read(f->src, f->buf, sizeof f->buf);
	if (n < 0) {
		f->err = f->src->err;
		archive_set_error(a, f->src->err, "%s", ips_source_error(f->src));
		return -1;
	}
	f->consumed += (uint64_t)n;
	if (f->budget)
		f->budget->in += (uint64_t)n;
	*out = f->buf;
	return n;
}

typedef struct member {
	ips_source_t base;
	struct archive *a;
	feed_t *feed;
	const ips_archive_limits_t *lim;
	ips_archive_budget_t *budget; /* the whole top-level input's */
	bool counted;           /* false for a compressed tar's stream: its members count */
	uint64_t out;
	char **error;           /* where to leave the first member error */
	bool failed;
} member_t;

static ssize_t member_stop(member_t *m, char *why)
{
	m->base.err = EFBIG;
	m->failed = true;
	if (!*m->error)
		*m->error = why;
	else
		free(why);
	free(m->base.errmsg);
	m->base.errmsg = ips_xstrdup(*m->error);
	return -1;
}

static char *size_words(uint64_t n)
{
	if (n && !(n % (1ULL << 30)))
		return ips_xasprintf("%llu GiB", (unsigned long long)(n >> 30));
	if (n && !(n % (1ULL << 20)))
		return ips_xasprintf("%llu MiB", (unsigned long long)(n >> 20));
	return ips_xasprintf("%llu bytes", (unsigned long long)n);
}

static ssize_t member_read(ips_source_t *src, void *buf, size_t n)
{
	member_t *m = (member_t *)src;
	ips_archive_budget_t *b = m->budget;
	if (m->failed)
		return -1; /* err and errmsg still say why */
	if (m->counted && m->out >= m->lim->max_member_bytes) {
		char *w = size_words(m->lim->max_member_bytes);
		char *why = ips_xasprintf("larger than the %s member limit (--max-member): the rest "
					  "was not read", w);
		free(w);
		return member_stop(m, why);
	}
	uint64_t max_input = m->lim->max_input_bytes ? m->lim->max_input_bytes : UINT64_MAX;
	if (m->counted && b->out >= max_input) {
		char *w = size_words(max_input);
		char *why = ips_xasprintf("the input decompresses to more than %s in all, its members "
					  "together (--max-input): the rest was not read", w);
		free(w);
		return member_stop(m, why);
	}
	if (m->counted && n > m->lim->max_member_bytes - m->out)
		n = (size_t)(m->lim->max_member_bytes - m->out);
	if (m->counted && n > max_input - b->out)
		n = (size_t)(max_input - b->out);
	la_ssize_t r = archive_read_data(m->a, buf, n);
	if (r < 0) {
		src->err = archive_errno(m->a) ? archive_errno(m->a) : EIO;
		if (!*m->error)
			*m->error = ips_xasprintf("%s", archive_error_string(m->a)
							    ? archive_error_string(m->a)
							    : "corrupt data");
		free(src->errmsg);
		src->errmsg = ips_xstrdup(*m->error);
		m->failed = true;
		return -1;
	}
	m->out += (uint64_t)r;
	if (m->counted)
		b->out += (uint64_t)r;
	/*
	 * A small input that inflates without end is a bomb, not a log. The
	 * ratio is the whole top-level input's: all its members together
	 * against the compressed bytes read from it, so a thousand members
	 * each under the grace do not pass one by one.
	 */
	if (m->counted && b->out > (64u << 20) && b->in && b->out / b->in > m->lim->max_ratio)
		return member_stop(
			m, ips_xasprintf("the input decompresses more than %llu times its size, its "
					 "members together (a compression bomb? --max-ratio): stopped "
					 "after %llu bytes",
					 (unsigned long long)m->lim->max_ratio,
					 (unsigned long long)b->out));
	return (ssize_t)r;
}

static void member_close(ips_source_t *src)
{
	(void)src; /* the walker owns the archive */
}

/* "x.log.gz" -> "x.log": the name a compressed single stream stands for. */
static char *strip_suffix(const char *name)
{
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	const char *bang = strrchr(base, '!');
	if (bang)
		base = bang + 1;
	static const char *const sfx[] = {".gz", ".bz2", ".xz", ".zst", ".tgz", NULL};
	size_t n = strlen(base);
	for (int i = 0; sfx[i]; i++) {
		size_t k = strlen(sfx[i]);
		if (n > k && !strcmp(base + n - k, sfx[i])) {
			if (!strcmp(sfx[i], ".tgz"))
				return ips_xasprintf("%.*s.tar", (int)(n - k), base);
			return ips_xstrndup(base, n - k);
		}
	}
	return ips_xasprintf("%s.data", base);
}

/* ---- member names ------------------------------------------------------ */

/*
 * libarchive converts names between the archive's charset and the current
 * locale's (nl_langinfo(CODESET)). We never call setlocale, so that is
 * ASCII: every non-ASCII name failed to convert and all such members got one
 * made-up name (and one finding id). Headers are read under a UTF-8 locale
 * of this thread only (uselocale), so names flagged UTF-8 (zip's bit 11, pax)
 * come out as UTF-8 and unflagged ones as their raw bytes, whatever the
 * user's locale; name_utf8() then decides what the raw bytes mean.
 */
static locale_t utf8_loc;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_init(void)
{
	utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (!utf8_loc)
		utf8_loc = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
}

static locale_t utf8_enter(void)
{
	pthread_once(&utf8_once, utf8_init);
	return utf8_loc ? uselocale(utf8_loc) : (locale_t)0;
}

static void utf8_leave(locale_t old)
{
	if (old)
		uselocale(old);
}

/* IBM code page 437, bytes 0x80-0xFF: the zip format's default for names. */
static const uint16_t cp437_high[128] = {
	0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7,
	0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
	0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
	0x00ff, 0x00d6, 0x00dc, 0x00a2, 0x00a3, 0x00a5, 0x20a7, 0x0192,
	0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
	0x00bf, 0x2310, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
	0x2555, 0x2563, 0x2551, 0x2557, 0x255d, 0x255c, 0x255b, 0x2510,
	0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f,
	0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x2567,
	0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256b,
	0x256a, 0x2518, 0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580,
	0x03b1, 0x00df, 0x0393, 0x03c0, 0x03a3, 0x03c3, 0x00b5, 0x03c4,
	0x03a6, 0x0398, 0x03a9, 0x03b4, 0x221e, 0x03c6, 0x03b5, 0x2229,
	0x2261, 0x00b1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00f7, 0x2248,
	0x00b0, 0x2219, 0x00b7, 0x221a, 0x207f, 0x00b2, 0x25a0, 0x00a0,
};

static bool utf8_valid(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s, n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
					 : (c & 0xf8) == 0xf0 ? 3 : 9;
		if (n == 9 || (n == 1 && c < 0xc2) || (n == 3 && c > 0xf4))
			return false;
		uint32_t cp = n ? c & (0x3f >> n) : c;
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		s += n + 1;
	}
	return true;
}

/*
 * A member's name as UTF-8: valid UTF-8 as it is (flagged, or written by a
 * tool that stores UTF-8 without the flag); otherwise, in a zip, CP437 (the
 * format's default); in a tar, the bytes as they are (the report writers
 * show invalid bytes visibly). Distinct names stay distinct.
 */
static char *name_utf8(const char *raw, bool zip)
{
	if (!zip || utf8_valid((const unsigned char *)raw))
		return ips_xstrdup(raw);
	size_t n = strlen(raw);
	char *out = ips_xmalloc(3 * n + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
		uint32_t cp = *p < 0x80 ? *p : cp437_high[*p - 0x80];
		if (cp < 0x80) {
			*o++ = (char)cp;
		} else if (cp < 0x800) {
			*o++ = (char)(0xc0 | cp >> 6);
			*o++ = (char)(0x80 | (cp & 0x3f));
		} else {
			*o++ = (char)(0xe0 | cp >> 12);
			*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
			*o++ = (char)(0x80 | (cp & 0x3f));
		}
	}
	*o = '\0';
	return out;
}

typedef enum { WALK_SINGLE, WALK_TAR, WALK_ZIP, WALK_INNER_TAR } walk_kind_t;

static ips_status_t walk(ips_source_t *src, walk_kind_t kind, const char *format,
			const ips_archive_limits_t *lim, ips_archive_budget_t *budget, ips_member_cb cb, void *ctx,
			ips_walk_result_t *res);

/*
 * A compressed single file whose bytes begin with a valid tar header is a
 * compressed tar: its stream is walked as a tar, members named after the
 * compressed file ("x.tar.gz!member"). Anything else, NUL bytes included, is
 * the one member of a compressed log.
 */
static int single_member(member_t *m, const char *outer, const ips_archive_limits_t *lim,
			 ips_member_cb cb, void *ctx, ips_walk_result_t *res, ips_status_t *st)
{
	const unsigned char *h;
	ssize_t hn = ips_source_peek(&m->base, 512, &h);
	if (hn < 512 || !ips_tar_header_valid(h, (size_t)hn))
		return cb(ctx, &m->base);
	m->counted = false; /* the tar's members count, not the tar's own bytes */
	char *name = m->base.name;
	m->base.name = ips_xstrdup(outer);
	ips_walk_result_t inner;
	*st = walk(&m->base, WALK_INNER_TAR, "tar", lim, m->budget, cb, ctx, &inner);
	free(m->base.name);
	m->base.name = name;
	res->format = "tar";
	res->single = false;
	res->members = inner.members;
	res->skipped = inner.skipped;
	res->member_failed = inner.member_failed;
	if (inner.error && *m->error) {
		/* the compressed stream failed: its message says why, where */
		free(inner.error);
		inner.error = NULL;
	}
	res->error = inner.error;
	return 1;
}

static ips_status_t walk(ips_source_t *src, walk_kind_t kind, const char *format,
			 const ips_archive_limits_t *lim, ips_archive_budget_t *budget, ips_member_cb cb, void *ctx,
			 ips_walk_result_t *res)
{
	bool single = kind == WALK_SINGLE;
	memset(res, 0, sizeof *res);
	res->format = format;
	res->single = single;
	struct archive *a = archive_read_new();
	if (!a)
		return IPS_E_NOMEM;
	/*
	 * Each kind gets exactly its own reader: a compressed file is read as
	 * one raw stream whatever its first decompressed bytes are, so no
	 * format bid (a block of zeros is an "empty tar" to libarchive) can
	 * turn a log into nothing.
	 */
	if (single) {
		unsigned have = builtin_filters();
		for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
			if (have & (1u << i))
				filters[i](a);
		archive_read_support_format_raw(a);
	} else if (kind == WALK_ZIP) {
		archive_read_support_format_zip(a);
	} else {
		archive_read_support_format_tar(a);
	}
	const char *where = kind == WALK_INNER_TAR ? "decompressed" : "compressed";
	feed_t *f = ips_xcalloc(1, sizeof *f);
	f->src = src;
	ips_archive_budget_t local = {0};
	if (!budget)
		budget = &local;
	if (!budget->walks++)
		f->budget = budget; /* the top-level input: its bytes are the ratio's base */
	ips_status_t st = IPS_OK;
	locale_t old = utf8_enter();
	int opened = archive_read_open(a, f, NULL, feed_read, NULL);
	utf8_leave(old);
	if (opened != ARCHIVE_OK) {
		res->error = ips_xasprintf("at %s offset %llu: cannot open as %s: %s", where,
					   (unsigned long long)f->consumed, res->format,
					   archive_error_string(a) ? archive_error_string(a) : "unknown error");
		st = IPS_E_INPUT;
		goto out;
	}
	for (;;) {
		struct archive_entry *e;
		old = utf8_enter();
		int r = archive_read_next_header(a, &e);
		char *raw = NULL;
		if (r == ARCHIVE_OK || r == ARCHIVE_WARN) {
			const char *p = archive_entry_pathname(e);
			if (!p)
				p = archive_entry_pathname_utf8(e);
			raw = p ? ips_xstrdup(p) : NULL;
		}
		utf8_leave(old);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_WARN)
			r = ARCHIVE_OK;
		if (r != ARCHIVE_OK) {
			free(raw);
			if (!res->error)
				res->error = ips_xasprintf("at %s offset %llu: %s", where,
							   (unsigned long long)f->consumed,
							   archive_error_string(a) ? archive_error_string(a)
										   : "corrupt archive");
			st = IPS_E_INPUT;
			break;
		}
		if (archive_entry_filetype(e) != AE_IFREG) {
			free(raw);
			res->skipped++;
			continue;
		}
		member_t m = {0};
		const char *path = single ? NULL : raw;
		while (path && path[0] == '.' && path[1] == '/')
			path += 2;
		char *inner = single ? strip_suffix(src->name)
			      : path ? name_utf8(path, kind == WALK_ZIP)
				     : ips_xasprintf("#%llu", (unsigned long long)res->members + 1);
		m.base.name = ips_xasprintf("%s!%s", src->name, inner);
		free(raw);
		m.base.mtime = archive_entry_mtime_is_set(e) ? (int64_t)archive_entry_mtime(e)
							     : src->mtime;
		m.base.size = archive_entry_size_is_set(e) ? (int64_t)archive_entry_size(e) : -1;
		m.base.read = member_read;
		m.base.close = member_close;
		m.a = a;
		m.feed = f;
		m.lim = lim;
		m.budget = budget;
		m.counted = true;
		char *merr = NULL;
		m.error = &merr;
		res->members++;
		ips_status_t ist = IPS_OK;
		int stop = single ? single_member(&m, src->name, lim, cb, ctx, res, &ist)
				  : cb(ctx, &m.base);
		free(m.base.name);
		free(m.base.head);
		free(m.base.errmsg);
		if (ist != IPS_OK)
			st = ist;
		if (merr) {
			if (!res->error) {
				res->error = ips_xasprintf(
					"at %s offset %llu: member %s: %s; the members after "
					"it were not read", where, (unsigned long long)f->consumed,
					inner, merr);
				res->member_failed = true;
			}
			free(merr);
			free(inner);
			st = IPS_E_INPUT;
			/* after a data error the stream position is lost: stop here */
			break;
		}
		free(inner);
		if (stop)
			break;
	}
out:
	budget->walks--;
	archive_read_free(a);
	free(f);
	return st;
}

ips_status_t ips_archive_walk(ips_source_t *src, const char *format,
			      const ips_archive_limits_t *lim, ips_archive_budget_t *budget,
			      ips_member_cb cb, void *ctx, ips_walk_result_t *res)
{
	walk_kind_t kind = !strcmp(format, "zip") ? WALK_ZIP
			   : !strcmp(format, "tar") ? WALK_TAR : WALK_SINGLE;
	return walk(src, kind, format, lim, budget, cb, ctx, res);
}

/* ---- the head of a compressed file (cron mode: a rotated log's rest) ----- */

typedef struct head_read {
	unsigned char *buf;
	size_t n, got;
	bool ok;
} head_read_t;

static int head_member(void *ctx, ips_source_t *m)
{
	head_read_t *h = ctx;
	while (h->got < h->n) {
		ssize_t r = ips_source_read(m, h->buf + h->got, h->n - h->got);
		if (r < 0)
			return 1;
		if (r == 0)
			break;
		h->got += (size_t)r;
	}
	h->ok = true;
	return 1; /* the first member is all there is */
}

/*
 * Walk the one member of the compressed file at path (not a zip or tar) with
 * cb, reading at most n bytes of it, the ratio guard at max_ratio. Returns -1
 * when path is no such file (nothing walked), 1 when it was walked and stayed
 * the single stream it looked like, 0 when it turned out otherwise (a
 * compressed tar is an archive, not a log's previous file).
 */
static int walk_first_member(const char *path, uint64_t n, uint64_t max_ratio, ips_member_cb cb,
			     void *ctx)
{
	int err = 0;
	ips_source_t *src = ips_source_open_path(path, &err);
	if (!src)
		return -1;
	const unsigned char *h;
	ssize_t hn = ips_source_peek(src, 6, &h);
	const char *format = hn > 0 ? ips_container_sniff(h, (size_t)hn) : NULL;
	int res = -1;
	if (format && strcmp(format, "zip") && strcmp(format, "tar")) {
		ips_archive_limits_t lim = {.max_member_bytes = n ? n : 1, .max_ratio = max_ratio,
					    .max_depth = 1};
		ips_walk_result_t wr;
		(void)ips_archive_walk(src, format, &lim, NULL, cb, ctx, &wr);
		res = !strcmp(wr.format, format);
		free(wr.error);
	}
	ips_source_close(src);
	return res;
}

bool ips_compressed_head(const char *path, unsigned char *buf, size_t n, size_t *got)
{
	head_read_t hr = {.buf = buf, .n = n};
	/* one member of at most n bytes is read: the limits cannot be reached */
	int w = walk_first_member(path, n, UINT64_MAX, head_member, &hr);
	*got = w >= 0 ? hr.got : 0;
	return w == 1 && hr.ok;
}

/* ---- the fingerprint of a compressed file's first bytes (cron mode) ------ */

typedef struct prefix_fp {
	uint64_t n, got;
	ips_phash_t ph;
	uint64_t fnv;
	bool use_fnv, ok;
} prefix_fp_t;

static int prefix_member(void *ctx, ips_source_t *m)
{
	prefix_fp_t *h = ctx;
	char buf[IO_BLOCK];
	while (h->got < h->n) {
		size_t want = h->n - h->got < sizeof buf ? (size_t)(h->n - h->got) : sizeof buf;
		ssize_t r = ips_source_read(m, buf, want);
		if (r <= 0)
			return 1;
		if (h->use_fnv)
			h->fnv = ips_fnv1a(h->fnv, buf, (size_t)r);
		else
			ips_phash_update(&h->ph, buf, (size_t)r);
		h->got += (uint64_t)r;
	}
	h->ok = true;
	return 1;
}

bool ips_compressed_prefix_fp(const char *path, uint64_t n, bool fnv, uint64_t *fp)
{
	prefix_fp_t pf = {.n = n, .fnv = IPS_FNV_INIT, .use_fnv = fnv};
	ips_phash_init(&pf.ph); /* from 0 in one pass: a stream cannot seek */
	/* at most n bytes of one member: only the ratio guard can stop it */
	int w = walk_first_member(path, n, 1000, prefix_member, &pf);
	if (w >= 0)
		*fp = fnv ? pf.fnv : ips_phash_final(&pf.ph);
	return w == 1 && pf.ok;
}
