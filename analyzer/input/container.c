/* SPDX-License-Identifier: Apache-2.0 */
/* container.c - see container.h. */
#include "input/container.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	if (n >= 262 && !memcmp(h + 257, "ustar", 5))
		return "tar";
	return NULL;
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
	int err;
} feed_t;

static la_ssize_t feed_read(struct archive *a, void *ctx, const void **out)
{
	feed_t *f = ctx;
	ssize_t n = ips_source_read(f->src, f->buf, sizeof f->buf);
	if (n < 0) {
		f->err = f->src->err;
		archive_set_error(a, f->src->err, "read error: %s", strerror(f->src->err));
		return -1;
	}
	f->consumed += (uint64_t)n;
	*out = f->buf;
	return n;
}

typedef struct member {
	ips_source_t base;
	struct archive *a;
	feed_t *feed;
	const ips_archive_limits_t *lim;
	uint64_t out;
	char **error;           /* where to leave the first member error */
	bool failed;
} member_t;

static ssize_t member_read(ips_source_t *src, void *buf, size_t n)
{
	member_t *m = (member_t *)src;
	if (m->failed)
		return 0;
	if (m->out >= m->lim->max_member_bytes) {
		src->err = EFBIG;
		m->failed = true;
		if (!*m->error)
			*m->error = ips_xasprintf("larger than the %llu-byte member limit: the rest was "
						  "not read", (unsigned long long)m->lim->max_member_bytes);
		free(src->errmsg);
		src->errmsg = ips_xstrdup(*m->error);
		return -1;
	}
	if (n > m->lim->max_member_bytes - m->out)
		n = (size_t)(m->lim->max_member_bytes - m->out);
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
	/* A small input that inflates without end is a bomb, not a log. */
	if (m->out > (64u << 20) && m->feed->consumed &&
	    m->out / m->feed->consumed > m->lim->max_ratio) {
		src->err = EFBIG;
		m->failed = true;
		if (!*m->error)
			*m->error = ips_xasprintf(
				"decompresses more than %llu times its size (a compression bomb?): "
				"stopped after %llu bytes",
				(unsigned long long)m->lim->max_ratio, (unsigned long long)m->out);
		free(src->errmsg);
		src->errmsg = ips_xstrdup(*m->error);
		return -1;
	}
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

ips_status_t ips_archive_walk(ips_source_t *src, const char *format,
			      const ips_archive_limits_t *lim, ips_member_cb cb, void *ctx,
			      ips_walk_result_t *res)
{
	memset(res, 0, sizeof *res);
	res->format = format;
	struct archive *a = archive_read_new();
	if (!a)
		return IPS_E_NOMEM;
	unsigned have = builtin_filters();
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
		if (have & (1u << i))
			filters[i](a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	bool single = strcmp(format, "zip") && strcmp(format, "tar");
	res->single = single;
	if (single)
		archive_read_support_format_raw(a); /* a compressed plain file */
	feed_t *f = ips_xcalloc(1, sizeof *f);
	f->src = src;
	ips_status_t st = IPS_OK;
	if (archive_read_open(a, f, NULL, feed_read, NULL) != ARCHIVE_OK) {
		res->error = ips_xasprintf("at compressed offset %llu: cannot open as %s: %s",
					   (unsigned long long)f->consumed, format,
					   archive_error_string(a) ? archive_error_string(a) : "unknown error");
		st = IPS_E_INPUT;
		goto out;
	}
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_WARN)
			r = ARCHIVE_OK;
		if (r != ARCHIVE_OK) {
			if (!res->error)
				res->error = ips_xasprintf("at compressed offset %llu: %s",
							   (unsigned long long)f->consumed,
							   archive_error_string(a) ? archive_error_string(a)
										   : "corrupt archive");
			st = IPS_E_INPUT;
			break;
		}
		if (archive_entry_filetype(e) != AE_IFREG) {
			res->skipped++;
			continue;
		}
		member_t m = {0};
		const char *path = archive_entry_pathname(e);
		bool raw = archive_format(a) == ARCHIVE_FORMAT_RAW;
		if (!raw && (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR)
			res->format = "tar";
		else if (!raw && (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP)
			res->format = "zip";
		while (path && path[0] == '.' && path[1] == '/')
			path += 2;
		char *inner = raw || !path ? strip_suffix(src->name) : ips_xstrdup(path);
		m.base.name = ips_xasprintf("%s!%s", src->name, inner);
		free(inner);
		m.base.mtime = archive_entry_mtime_is_set(e) ? (int64_t)archive_entry_mtime(e)
							     : src->mtime;
		m.base.size = archive_entry_size_is_set(e) ? (int64_t)archive_entry_size(e) : -1;
		m.base.read = member_read;
		m.base.close = member_close;
		m.a = a;
		m.feed = f;
		m.lim = lim;
		char *merr = NULL;
		m.error = &merr;
		res->members++;
		int stop = cb(ctx, &m.base);
		free(m.base.name);
		free(m.base.head);
		free(m.base.errmsg);
		if (merr) {
			if (!res->error) {
				res->error = ips_xasprintf(
					"at compressed offset %llu: member %s: %s; the members after "
					"it were not read", (unsigned long long)f->consumed,
					archive_entry_pathname(e) ? archive_entry_pathname(e) : "?",
					merr);
				res->member_failed = true;
			}
			free(merr);
			st = IPS_E_INPUT;
			/* after a data error the stream position is lost: stop here */
			break;
		}
		if (stop)
			break;
	}
out:
	archive_read_free(a);
	free(f);
	return st;
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

bool ips_compressed_head(const char *path, unsigned char *buf, size_t n, size_t *got)
{
	*got = 0;
	int err = 0;
	ips_source_t *src = ips_source_open_path(path, &err);
	if (!src)
		return false;
	const unsigned char *h;
	ssize_t hn = ips_source_peek(src, 6, &h);
	const char *format = hn > 0 ? ips_container_sniff(h, (size_t)hn) : NULL;
	bool ok = false;
	if (format && strcmp(format, "zip") && strcmp(format, "tar")) {
		/* one member of at most n bytes is read: the limits cannot be reached */
		ips_archive_limits_t lim = {.max_member_bytes = n ? n : 1, .max_ratio = UINT64_MAX,
					    .max_depth = 1};
		head_read_t hr = {.buf = buf, .n = n};
		ips_walk_result_t wr;
		(void)ips_archive_walk(src, format, &lim, head_member, &hr, &wr);
		/* a compressed tar is an archive, not a log's previous file */
		ok = hr.ok && !strcmp(wr.format, format);
		free(wr.error);
		*got = hr.got;
	}
	ips_source_close(src);
	return ok;
}
