/* SPDX-License-Identifier: Apache-2.0 */
/* source.c - see source.h. */
#include "input/source.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

typedef struct fd_source {
	ips_source_t base;
	int fd;
	int owned;
} fd_source_t;

/* bytes read from files, FIFOs and stdin by every thread (the progress bar) */
static _Atomic uint64_t bytes_read;

uint64_t ips_source_bytes_read(void)
{
	return atomic_load_explicit(&bytes_read, memory_order_relaxed);
}

void ips_source_count_read(uint64_t n)
{
	atomic_fetch_add_explicit(&bytes_read, n, memory_order_relaxed);
}

static ssize_t fd_read(ips_source_t *src, void *buf, size_t n)
{
	fd_source_t *s = (fd_source_t *)src;
	for (;;) {
		ssize_t r = read(s->fd, buf, n);
		if (r > 0)
			atomic_fetch_add_explicit(&bytes_read, (uint64_t)r, memory_order_relaxed);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		src->err = errno;
		return -1;
	}
}

static void fd_close(ips_source_t *src)
{
	fd_source_t *s = (fd_source_t *)src;
	if (s->owned)
		close(s->fd);
}

static int fd_seek(ips_source_t *src, uint64_t off)
{
	fd_source_t *s = (fd_source_t *)src;
	return lseek(s->fd, (off_t)off, SEEK_SET) == (off_t)off ? 0 : -1;
}

ips_source_t *ips_source_open_path(const char *path, int *err)
{
	int fd;
	int owned = 1;
	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
		owned = 0;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			*err = errno;
			return NULL;
		}
	}
	struct stat st;
	fd_source_t *s = ips_xcalloc(1, sizeof *s);
	s->fd = fd;
	s->owned = owned;
	s->base.name = ips_xstrdup(strcmp(path, "-") == 0 ? "(stdin)" : path);
	s->base.size = -1;
	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			if (owned)
				close(fd);
			free(s->base.name);
			free(s);
			*err = EISDIR;
			return NULL;
		}
		s->base.mtime = (int64_t)st.st_mtime;
		if (S_ISREG(st.st_mode)) {
			s->base.size = (int64_t)st.st_size;
			s->base.seek = fd_seek;
		}
#ifdef POSIX_FADV_SEQUENTIAL
		if (S_ISREG(st.st_mode))
			(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	}
	s->base.read = fd_read;
	s->base.close = fd_close;
	return &s->base;
}

ssize_t ips_source_read(ips_source_t *src, void *buf, size_t n)
{
	if (src->limited) {
		if (src->pos >= src->limit)
			return 0;
		if (n > src->limit - src->pos)
			n = (size_t)(src->limit - src->pos);
	}
	if (src->head_pos < src->head_len) {
		size_t k = src->head_len - src->head_pos;
		if (k > n)
			k = n;
		memcpy(buf, src->head + src->head_pos, k);
		src->head_pos += k;
		src->pos += k;
		return (ssize_t)k;
	}
	ssize_t r = src->read(src, buf, n);
	if (r > 0)
		src->pos += (uint64_t)r;
	return r;
}

int ips_source_fd(const ips_source_t *src)
{
	return src->close == fd_close ? ((const fd_source_t *)src)->fd : -1;
}

bool ips_source_seek(ips_source_t *src, uint64_t off)
{
	if (!src->seek || src->seek(src, off) != 0)
		return false;
	src->head_len = src->head_pos = 0; /* what was peeked lies elsewhere now */
	src->pos = off;
	return true;
}

void ips_source_limit(ips_source_t *src, uint64_t end)
{
	src->limit = end;
	src->limited = 1;
}

ssize_t ips_source_peek(ips_source_t *src, size_t n, const unsigned char **out)
{
	if (src->head_pos != 0) {
		/* peeking after reading is not supported: nothing is hidden */
		*out = src->head + src->head_pos;
		return (ssize_t)(src->head_len - src->head_pos);
	}
	if (src->head_len < n) {
		src->head = ips_xrealloc(src->head, n);
		while (src->head_len < n) {
			ssize_t r = src->read(src, src->head + src->head_len, n - src->head_len);
			if (r < 0)
				return -1;
			if (r == 0)
				break;
			src->head_len += (size_t)r;
		}
	}
	*out = src->head;
	return (ssize_t)(src->head_len < n ? src->head_len : n);
}

void ips_source_close(ips_source_t *src)
{
	if (!src)
		return;
	src->close(src);
	free(src->errmsg);
	free(src->problem);
	free(src->head);
	free(src->name);
	free(src);
}

const char *ips_source_error(const ips_source_t *src)
{
	if (src->errmsg)
		return src->errmsg;
	return strerror(src->err ? src->err : EIO);
}

const char *ips_source_problem(const ips_source_t *src, uint64_t *off)
{
	*off = src->problem_off;
	return src->problem;
}

void ips_source_set_problem(ips_source_t *src, uint64_t off, const char *fmt, ...)
{
	if (src->problem)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	src->problem = ips_xstrdup(msg);
	src->problem_off = off;
}
