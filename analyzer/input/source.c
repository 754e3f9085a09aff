/* SPDX-License-Identifier: Apache-2.0 */
/* source.c - see source.h. */
#include "input/source.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

int ips_source_file_fd(const ips_source_t *src)
{
	const fd_source_t *s = (const fd_source_t *)src;
	return src->close == fd_close && s->owned && src->seek ? s->fd : -1;
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

/* ---- mapped windows ---------------------------------------------------- */

/*
 * The windows in use, for the SIGBUS handler. An entry is free (state 0),
 * being filled or emptied (1), or in use (2); base and len are only read
 * in state 2. Atomics that are lock-free may be read in a signal handler.
 */
#define MAP_SLOTS 128
static struct map_slot {
	_Atomic int state;
	_Atomic uintptr_t base;
	_Atomic size_t len;
	_Atomic bool cut;
} map_slots[MAP_SLOTS];
static struct sigaction map_old_bus;
static pthread_once_t map_once = PTHREAD_ONCE_INIT;
static _Atomic bool map_handler_ok;

static void map_on_bus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	if (si->si_code > 0) { /* from a fault, not from kill() */
		for (int i = 0; i < MAP_SLOTS; i++) {
			struct map_slot *e = &map_slots[i];
			if (atomic_load(&e->state) != 2)
				continue;
			uintptr_t b = atomic_load(&e->base);
			size_t n = atomic_load(&e->len);
			if (a < b || a - b >= n)
				continue;
			/* the file ends before this page: zeros from here to the window's end */
			uintptr_t pg = a & ~(uintptr_t)(ips_map_page() - 1);
			if (mmap((void *)pg, b + n - pg, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0) == MAP_FAILED)
				break;
			atomic_store(&e->cut, true);
			return;
		}
	}
	/* not ours: whoever handled SIGBUS before, else the default action */
	if ((map_old_bus.sa_flags & SA_SIGINFO) && map_old_bus.sa_sigaction) {
		map_old_bus.sa_sigaction(sig, si, uc);
		return;
	}
	if (map_old_bus.sa_handler != SIG_DFL && map_old_bus.sa_handler != SIG_IGN &&
	    map_old_bus.sa_handler != SIG_ERR) {
		map_old_bus.sa_handler(sig);
		return;
	}
	/* a fault happens again on return, this time with the default action */
	signal(SIGBUS, SIG_DFL);
	if (si->si_code <= 0)
		raise(SIGBUS);
}

static void map_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = map_on_bus;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	atomic_store(&map_handler_ok, sigaction(SIGBUS, &sa, &map_old_bus) == 0);
}

size_t ips_map_page(void)
{
	static _Atomic size_t page;
	size_t p = atomic_load_explicit(&page, memory_order_relaxed);
	if (!p) {
		long v = sysconf(_SC_PAGESIZE);
		p = v > 0 ? (size_t)v : 4096;
		atomic_store_explicit(&page, p, memory_order_relaxed);
	}
	return p;
}

void ips_map_sizes(size_t *window, uint64_t *min, bool *hook)
{
	*window = 8u << 20;
	*min = 4u << 20;
	*hook = false;
	const char *e = getenv("IPSEC_SCAN_MMAP");
	if (!e || !*e)
		return;
	char *end;
	unsigned long long w = strtoull(e, &end, 10), m = strtoull(end, NULL, 10);
	size_t pg = ips_map_page();
	if (w && w < 4 * pg)
		w = 4 * pg;
	*window = (size_t)((w + pg - 1) / pg * pg);
	*min = m;
	*hook = true;
}

/* IPSEC_SCAN_MMAP_CUT (ips_map_sizes): truncate the file once, as copytruncate would. */
static void map_test_cut(int fd, uint64_t off, size_t len)
{
	static _Atomic bool done;
	const char *e = getenv("IPSEC_SCAN_MMAP_CUT");
	if (!e || !*e || atomic_load(&done))
		return;
	unsigned long long at = strtoull(e, NULL, 10);
	if (off + len <= at || atomic_exchange(&done, true))
		return;
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	int w = open(path, O_WRONLY | O_CLOEXEC);
	if (w >= 0) {
		if (ftruncate(w, (off_t)at) != 0)
			perror("ipsec-scan: IPSEC_SCAN_MMAP_CUT");
		close(w);
	}
}

bool ips_map_open(ips_map_t *m, int fd, uint64_t off, size_t len)
{
	pthread_once(&map_once, map_install);
	if (!atomic_load(&map_handler_ok))
		return false; /* a truncated file would end the process */
	int slot = -1;
	for (int i = 0; i < MAP_SLOTS && slot < 0; i++) {
		int free_state = 0;
		if (atomic_compare_exchange_strong(&map_slots[i].state, &free_state, 1))
			slot = i;
	}
	if (slot < 0)
		return false;
	void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, (off_t)off);
	if (p == MAP_FAILED) {
		atomic_store(&map_slots[slot].state, 0);
		return false;
	}
	(void)madvise(p, len, MADV_SEQUENTIAL);
	struct map_slot *e = &map_slots[slot];
	atomic_store(&e->base, (uintptr_t)p);
	atomic_store(&e->len, len);
	atomic_store(&e->cut, false);
	atomic_store(&e->state, 2);
	*m = (ips_map_t){.p = p, .off = off, .len = len, .slot = slot};
	map_test_cut(fd, off, len);
	return true;
}

bool ips_map_cut(const ips_map_t *m)
{
	return atomic_load_explicit(&map_slots[m->slot].cut, memory_order_acquire);
}

void ips_map_close(ips_map_t *m)
{
	atomic_store(&map_slots[m->slot].state, 1);
	munmap((void *)m->p, m->len);
	atomic_store(&map_slots[m->slot].state, 0);
	m->p = NULL;
}
