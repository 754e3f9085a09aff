/* SPDX-License-Identifier: Apache-2.0 */
/* cron.c - see cron.h and docs/cron.md. */
#include "run/cron.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "input/container.h"
#include "util/phash.h"
#include "util/util.h"

/* A head shorter than this is too weak to recognise a file by content alone. */
#define COPY_MIN_HEAD 64

/* A directory's names, sorted, read once per run (find_tail). */
typedef struct dir_list {
	char *dir;
	char *names;          /* NUL-separated */
	uint32_t *at;         /* offsets into names, sorted by name */
	size_t n;
	struct timespec mtime; /* the directory's when it was read */
	bool fresh;           /* read at least 2 s after its last change */
} dir_list_t;

/*
 * Every lookup is hashed, so a run costs time linear in its files: by
 * identity (device, inode) and by path (the state's own indexes), by head
 * fingerprint (its length and value) and, for containers, by whole-file
 * fingerprint. Decisions are taken against the records as the run began
 * (marked old: the state keeps them unchanged, a record this run stores is a
 * new one beside); the files read in this run are the live records it
 * marked seen.
 */
/* A prefix hashed while the file was read (ips_cron_prefix_ahead()). */
typedef struct prefix_ahead {
	uint64_t dev, ino, offset, h;
	bool ok, set;
} prefix_ahead_t;

struct ips_cron {
	ips_state_t *st;
	prefix_ahead_t ahead;
	/* built at the first lookup (most runs make none: every file is found
	 * by its identity or path) over the records the run began with */
	ips_state_index_t old_by_head, old_by_whole;
	bool head_len[IPS_STATE_FP_BYTES + 1]; /* head lengths some old record has */
	bool indexed;         /* old_by_head, old_by_whole and head_len are built */
	size_t nold;          /* records as the run began */
	dir_list_t *dirs;     /* directories listed in this run */
	size_t ndirs;
	ips_u64map_t dirs_by_name;
};

static uint64_t key_head(const ips_state_t *st, const ips_state_input_t *r)
{
	(void)st;
	return ips_u64_pair(r->fplen, r->fp);
}

static uint64_t key_whole(const ips_state_t *st, const ips_state_input_t *r)
{
	(void)st;
	return r->fp;
}

ips_cron_t *ips_cron_new(ips_state_t *st)
{
	ips_cron_t *c = ips_xcalloc(1, sizeof *c);
	c->st = st;
	c->old_by_head.key = key_head;
	c->old_by_whole.key = key_whole;
	ips_state_freeze(st);
	c->nold = st->ninputs;
	return c;
}

/* The indexes by head and by whole-file fingerprint of the records the run began with. */
static void index_old(ips_cron_t *c)
{
	if (c->indexed)
		return;
	c->indexed = true;
	for (size_t i = 0; i < c->nold; i++) {
		const ips_state_input_t *r = ips_state_at(c->st, i);
		if (!r->old || r->gone) /* (replaced in this run: still as the run began) */
			continue;
		if (r->container) {
			ips_state_index_add(c->st, &c->old_by_whole, i);
		} else {
			ips_state_index_add(c->st, &c->old_by_head, i);
			c->head_len[r->fplen] = true;
		}
	}
}

void ips_cron_free(ips_cron_t *c)
{
	if (!c)
		return;
	ips_state_index_free(&c->old_by_head);
	ips_state_index_free(&c->old_by_whole);
	for (size_t i = 0; i < c->ndirs; i++) {
		free(c->dirs[i].dir);
		free(c->dirs[i].names);
		free(c->dirs[i].at);
	}
	free(c->dirs);
	ips_u64map_free(&c->dirs_by_name);
	free(c);
}

/* An old record (as the run began) that is live then: not one this run added. */
static const ips_state_input_t *old_rec(const ips_cron_t *c, size_t i)
{
	const ips_state_input_t *r = ips_state_at(c->st, i);
	return r->old && !r->gone ? r : NULL;
}

bool ips_cron_identify(int fd, ips_cron_id_t *id)
{
	struct stat st;
	memset(id, 0, sizeof *id);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	id->dev = (uint64_t)st.st_dev;
	id->ino = (uint64_t)st.st_ino;
	id->size = (uint64_t)st.st_size;
	/* as a record keeps them (compared with records) */
	id->mtime = ips_state_clamp_time((int64_t)st.st_mtime);
	id->ctime = ips_state_clamp_time((int64_t)st.st_ctim.tv_sec);
	id->ctime_ns = (uint32_t)st.st_ctim.tv_nsec;
	id->fd = fd;
	uint64_t want = id->size < IPS_STATE_FP_BYTES ? id->size : IPS_STATE_FP_BYTES;
	while (id->headlen < want) {
		ssize_t r = pread(fd, id->head + id->headlen, want - id->headlen, (off_t)id->headlen);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* shrank meanwhile: fingerprint what is there */
		id->headlen += (uint32_t)r;
	}
	return true;
}

/*
 * Hands len bytes of fd from offset `from` to eat(ctx, bytes, n) in pieces;
 * false on a short read.
 */
typedef void (*eat_fn)(void *ctx, const void *b, size_t n);

static bool range_read(int fd, uint64_t from, uint64_t len, eat_fn eat, void *ctx)
{
	unsigned char buf[65536];
	while (len) {
		size_t want = len < sizeof buf ? (size_t)len : sizeof buf;
		ssize_t r = pread(fd, buf, want, (off_t)from);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		eat(ctx, buf, (size_t)r);
		from += (uint64_t)r;
		len -= (uint64_t)r;
	}
	return true;
}

static void eat_fnv(void *ctx, const void *b, size_t n)
{
	*(uint64_t *)ctx = ips_fnv1a(*(uint64_t *)ctx, b, n);
}

static void eat_phash(void *ctx, const void *b, size_t n)
{
	ips_phash_update(ctx, b, n);
}

static void eat_copy(void *ctx, const void *b, size_t n)
{
	unsigned char **to = ctx;
	memcpy(*to, b, n);
	*to += n;
}

/* FNV-1a of len bytes of fd from offset `from` (a few KiB, or a version 3 state's
 * prefix); false on a short read. */
static bool range_fp(int fd, uint64_t from, uint64_t len, uint64_t *out)
{
	*out = IPS_FNV_INIT;
	return range_read(fd, from, len, eat_fnv, out);
}

/*
 * The prefix fingerprint (util/phash.h) of fd's first `to` bytes: continued
 * from v, that of its first `from` bytes, when from is not 0 (the bytes of
 * the word begun before `from` are read again: they are in the prefix v
 * says is unchanged); false on a short read.
 */
static bool prefix_fp(int fd, uint64_t from, uint64_t v, uint64_t to, uint64_t *out)
{
	ips_phash_t ph;
	ips_phash_init(&ph);
	if (from) {
		unsigned char w[IPS_PHASH_WORD], *at = w;
		size_t r = (size_t)(from % IPS_PHASH_WORD);
		if (!range_read(fd, from - r, r, eat_copy, &at))
			return false;
		ips_phash_resume(&ph, v, w, r);
	}
	if (!range_read(fd, from, to - from, eat_phash, &ph))
		return false;
	*out = ips_phash_final(&ph);
	return true;
}

/* Are the bytes just before where a record stopped still those it read? */
static bool tail_matches(const ips_state_input_t *r, int fd)
{
	if (!r->tflen)
		return true; /* not known (a version 1 state) or nothing read */
	uint64_t h;
	return fd >= 0 && range_fp(fd, r->offset - r->tflen, r->tflen, &h) && h == r->tfp;
}

/* Are all the bytes before where a record stopped those it read? (a copy, exactly) */
static bool prefix_matches(const ips_state_input_t *r, int fd)
{
	uint64_t h;
	return r->pfp_ok && fd >= 0 &&
	       (r->pfp_fnv ? range_fp(fd, 0, r->offset, &h) : prefix_fp(fd, 0, 0, r->offset, &h)) &&
	       h == r->pfp;
}

/* The same for the decompressed bytes of the compressed file at path. */
static bool compressed_prefix_matches(const ips_state_input_t *r, const char *path)
{
	uint64_t h;
	return r->pfp_ok && ips_compressed_prefix_fp(path, r->offset, r->pfp_fnv, &h) && h == r->pfp;
}

/* Does the file start with the bytes a record fingerprinted? */
static bool head_matches(const unsigned char *head, size_t n, const ips_state_input_t *r)
{
	return r->fplen <= n && ips_fnv1a(IPS_FNV_INIT, head, r->fplen) == r->fp;
}

/* The path a file was read as in this run, or NULL. */
static const char *done_path(const ips_cron_t *c, uint64_t dev, uint64_t ino)
{
	size_t it = 0, i;
	while (ips_state_index_next(c->st, &c->st->by_id, ips_u64_pair(dev, ino), &it, &i)) {
		const ips_state_input_t *r = ips_state_at(c->st, i);
		if (r->seen && !r->replaced && !r->gone && ips_state_dev(c->st, r) == dev &&
		    r->ino == ino)
			return ips_state_path(c->st, r);
	}
	return NULL;
}

/*
 * The record last at this path: records are kept per file, so a log and the
 * rotated files it was may all have carried the path; the latest one (by
 * modification time) is the file the path held at the last run.
 */
static const ips_state_input_t *old_at(const ips_cron_t *c, const char *path)
{
	const ips_state_input_t *best = NULL;
	size_t it = 0, i, best_i = 0;
	if (!c->nold)
		return NULL; /* (no lookup: the index by path is not built for nothing) */
	while (ips_state_index_next(c->st, ips_state_paths(c->st), ips_state_path_key(path), &it,
				    &i)) {
		const ips_state_input_t *r = old_rec(c, i);
		if (r && !strcmp(ips_state_path(c->st, r), path) &&
		    (!best || r->mtime > best->mtime || (r->mtime == best->mtime && i > best_i))) {
			best = r;
			best_i = i;
		}
	}
	return best;
}

/* The file an earlier run read, by inode and head, no smaller than then; this path's first. */
static const ips_state_input_t *same_file(const ips_cron_t *c, const char *path,
					  const ips_cron_id_t *id)
{
	const ips_state_input_t *best = NULL;
	size_t it = 0, i;
	while (ips_state_index_next(c->st, &c->st->by_id, ips_u64_pair(id->dev, id->ino), &it, &i)) {
		const ips_state_input_t *r = old_rec(c, i);
		if (!r || r->container || ips_state_dev(c->st, r) != id->dev || r->ino != id->ino ||
		    id->size < r->size ||
		    !head_matches(id->head, id->headlen, r) || !tail_matches(r, id->fd))
			continue;
		/*
		 * Written to but no larger: a log only grows, so this is a file
		 * replaced in place; all its bytes must be those read, not the
		 * head and the tail only (the cost falls on such files alone).
		 * Written to: its modification time changed, or its inode change
		 * time, which any write sets and no user can set back (touch -d
		 * restores the first only). A rename or chmod changes it too: those
		 * files pay for the check and continue where they stopped.
		 */
		bool touched = id->mtime != r->mtime ||
			       (r->ctime_ok && (id->ctime != r->ctime || id->ctime_ns != r->ctime_ns));
		if (id->size == r->size && touched && r->pfp_ok && !prefix_matches(r, id->fd))
			continue;
		if (!strcmp(ips_state_path(c->st, r), path))
			return r;
		if (!best)
			best = r;
	}
	return best;
}

/*
 * A file read before under another inode whose bytes up to where it was read
 * are all the same (their hash is the record's pfp): the one read furthest.
 * verify(r) checks that, the head only picks the candidates; a copy that
 * differs anywhere before that point is no copy (read from its start).
 */
typedef bool (*copy_check_t)(const ips_state_input_t *r, const void *ctx);

static const ips_state_input_t *copy_of(ips_cron_t *c, const unsigned char *head, size_t n,
					uint64_t size, const ips_cron_id_t *self,
					copy_check_t verify, const void *ctx)
{
	const ips_state_input_t *best = NULL;
	index_old(c);
	/* the head's hash at each length an old record fingerprinted, in one pass */
	uint64_t h = IPS_FNV_INIT;
	size_t max = n < IPS_STATE_FP_BYTES ? n : IPS_STATE_FP_BYTES;
	for (size_t len = 0; len <= max; len++) {
		if (len)
			h = ips_fnv1a(h, head + len - 1, 1);
		if (len < COPY_MIN_HEAD || !c->head_len[len])
			continue;
		size_t it = 0, i;
		while (ips_state_index_next(c->st, &c->old_by_head, ips_u64_pair(len, h), &it, &i)) {
			const ips_state_input_t *r = ips_state_at(c->st, i);
			if (r->container || r->fplen != len || r->fp != h || size < r->offset ||
			    !r->pfp_ok ||
			    (self && ips_state_dev(c->st, r) == self->dev && r->ino == self->ino))
				continue;
			if ((!best || r->offset > best->offset) && verify(r, ctx))
				best = r;
		}
	}
	return best;
}

static bool copy_check_fd(const ips_state_input_t *r, const void *ctx)
{
	return prefix_matches(r, *(const int *)ctx);
}

static bool copy_check_compressed(const ips_state_input_t *r, const void *ctx)
{
	return compressed_prefix_matches(r, ctx);
}

/* Identify `name` into *t: 1 a candidate, 0 unreadable or the log itself, -1 read in
 * this run already (its rest too). */
static int identify_candidate(ips_cron_t *c, const char *name, const ips_cron_id_t *cur,
			      ips_cron_id_t *t)
{
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	bool ok = fd >= 0 && ips_cron_identify(fd, t);
	int k = !ok || (t->dev == cur->dev && t->ino == cur->ino) ? 0
		: done_path(c, t->dev, t->ino) ? -1 : 1;
	if (k != 1 && fd >= 0) {
		close(fd);
		t->fd = -1;
	}
	return k; /* 1: t->fd stays open for the caller's checks, who closes it */
}

/* Is `name` the previous file of a log (last read as *prev)? 1 yes (p->tail set when
 * it has unread data), 0 no, -1 it was read in this run already. */
static int tail_candidate_checked(ips_cron_t *c, const char *name, const ips_state_input_t *prev,
				  ips_cron_id_t *t, ips_cron_plan_t *p);

static int tail_candidate(ips_cron_t *c, const char *name, const ips_state_input_t *prev,
			  const ips_cron_id_t *cur, ips_cron_id_t *t, ips_cron_plan_t *p)
{
	int k = identify_candidate(c, name, cur, t);
	if (k != 1)
		return k;
	k = tail_candidate_checked(c, name, prev, t, p);
	close(t->fd);
	t->fd = -1;
	return k;
}

static int tail_candidate_checked(ips_cron_t *c, const char *name, const ips_state_input_t *prev,
				  ips_cron_id_t *t, ips_cron_plan_t *p)
{
	/*
	 * renamed (the same inode: its head and the bytes before the offset
	 * as they were) or copied (copytruncate: every byte before the offset
	 * as it was), so the rest is what earlier runs did not read
	 */
	if (!head_matches(t->head, t->headlen, prev) || t->size < prev->offset)
		return 0;
	bool renamed = t->dev == ips_state_dev(c->st, prev) && t->ino == prev->ino;
	if (renamed ? !tail_matches(prev, t->fd)
		    : (prev->pfp_ok ? !prefix_matches(prev, t->fd) : !tail_matches(prev, t->fd)))
		return 0;
	/*
	 * Known in its own right too (read under its name, or an inode reused
	 * by a new copy): whichever record read further.
	 */
	const ips_state_input_t *own = same_file(c, name, t);
	const ips_state_input_t *from = own && own->offset > prev->offset ? own : prev;
	if (own)
		((ips_state_input_t *)own)->cont = 1;
	else if (renamed)
		((ips_state_input_t *)prev)->cont = 1;
	if (from->offset < t->size) {
		p->tail = ips_xstrdup(name);
		p->tail_offset = from->offset;
		p->tail_line = from->line;
	}
	return 1;
}

/*
 * The same for a compressed file (logrotate's compress without delaycompress:
 * PATH.1.gz): its decompressed first bytes must be the previous file's. How
 * much of it lies past prev->offset only reading it tells.
 */
static int compressed_tail_candidate(ips_cron_t *c, const char *name,
				     const ips_state_input_t *prev, const ips_cron_id_t *cur,
				     ips_cron_id_t *t, ips_cron_plan_t *p)
{
	int k = identify_candidate(c, name, cur, t);
	if (k != 1)
		return k;
	close(t->fd);
	t->fd = -1;
	if (!prev->fplen)
		return 0; /* an empty head would match any file */
	unsigned char head[IPS_STATE_FP_BYTES];
	size_t got = 0;
	if (!ips_compressed_head(name, head, prev->fplen, &got) || !head_matches(head, got, prev))
		return 0;
	/* all of it up to where earlier runs stopped, not its head only */
	if (prev->pfp_ok && !compressed_prefix_matches(prev, name))
		return 0;
	p->tail = ips_xstrdup(name);
	p->tail_offset = prev->offset;
	p->tail_line = prev->line;
	p->tail_compressed = true;
	return 1;
}

static int cmp_desc(const void *a, const void *b)
{
	return -strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with_any(const char *n, const char *const *ext)
{
	size_t nl = strlen(n);
	for (int i = 0; ext[i]; i++) {
		size_t el = strlen(ext[i]);
		if (nl > el && !strcmp(n + nl - el, ext[i]))
			return true;
	}
	return false;
}

/* A compressed single stream logrotate may leave (compresscmd gzip, xz, bzip2, zstd). */
static const char *const stream_ext[] = {".gz", ".xz", ".bz2", ".zst", NULL};
/* Any compressed name: those, and the archives a rotated log is never in. */
static const char *const compressed_ext[] = {".gz", ".bz2", ".xz", ".zst", ".zip", ".tgz", NULL};

typedef int (*tail_try_t)(ips_cron_t *c, const char *name, const ips_state_input_t *prev,
			  const ips_cron_id_t *cur, ips_cron_id_t *t, ips_cron_plan_t *p);

/* Try the names, newest (greatest) first, until one is the previous file (r != 0);
 * frees them. Returns r. */
static int try_newest_first(ips_cron_t *c, ips_vec_t *names, tail_try_t try,
			    const ips_state_input_t *prev, const ips_cron_id_t *cur,
			    ips_cron_id_t *t, ips_cron_plan_t *p, int r)
{
	if (names->len)
		qsort(names->items, names->len, sizeof *names->items, cmp_desc);
	for (size_t i = 0; i < names->len; i++) {
		if (!r)
			r = try(c, names->items[i], prev, cur, t, p);
		free(names->items[i]);
	}
	ips_vec_free(names);
	return r;
}

static const char *sort_base;

static int cmp_at(const void *a, const void *b)
{
	return strcmp(sort_base + *(const uint32_t *)a, sort_base + *(const uint32_t *)b);
}

/* (Re)read a directory's names into *l; false when it cannot be read. */
static bool list_dir(dir_list_t *l)
{
	free(l->names);
	free(l->at);
	l->names = NULL;
	l->at = NULL;
	l->n = 0;
	DIR *d = opendir(l->dir);
	if (!d)
		return false;
	struct stat sb;
	if (fstat(dirfd(d), &sb) != 0) {
		closedir(d);
		return false;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	l->mtime = sb.st_mtim;
	/* a change within the clock's granularity of this read could keep the mtime */
	l->fresh = now.tv_sec - sb.st_mtim.tv_sec >= 2;
	ips_buf_t b;
	ips_buf_init(&b, (size_t)UINT32_MAX);
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		size_t off = b.len;
		if (ips_buf_append(&b, de->d_name, strlen(de->d_name) + 1) != IPS_OK)
			break; /* (4 GiB of names) */
		if (l->n == cap) {
			cap = cap ? cap * 2 : 64;
			l->at = ips_xrealloc(l->at, cap * sizeof *l->at);
		}
		l->at[l->n++] = (uint32_t)off;
	}
	closedir(d);
	l->names = ips_buf_steal(&b);
	sort_base = l->names;
	if (l->n)
		qsort(l->at, l->n, sizeof *l->at, cmp_at);
	return true;
}

/*
 * The names of a directory, read once per run: a second look only re-reads
 * it when it changed since (its mtime), or changed within two seconds of
 * the first read (the mtime is too coarse to tell). NULL: unreadable.
 */
static const dir_list_t *dir_listing(ips_cron_t *c, const char *dir)
{
	uint64_t k = ips_fnv1a(IPS_FNV_INIT, dir, strlen(dir));
	size_t it = 0, i;
	while (ips_u64map_next(&c->dirs_by_name, k, &it, &i)) {
		dir_list_t *l = &c->dirs[i];
		if (strcmp(l->dir, dir))
			continue;
		struct stat sb;
		if (l->fresh && stat(dir, &sb) == 0 && sb.st_mtim.tv_sec == l->mtime.tv_sec &&
		    sb.st_mtim.tv_nsec == l->mtime.tv_nsec)
			return l->names ? l : NULL;
		return list_dir(l) ? l : NULL;
	}
	c->dirs = ips_xrealloc(c->dirs, (c->ndirs + 1) * sizeof *c->dirs);
	dir_list_t *l = &c->dirs[c->ndirs];
	memset(l, 0, sizeof *l);
	l->dir = ips_xstrdup(dir);
	ips_u64map_add(&c->dirs_by_name, k, c->ndirs);
	c->ndirs++;
	return list_dir(l) ? l : NULL;
}

/* The first name of l whose first n bytes are not less (past: greater) than s's. */
static size_t bound(const dir_list_t *l, const char *s, size_t n, bool past)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strncmp(l->names + l->at[mid], s, n);
		if (d < 0 || (past && d == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#define TAIL_NAMES_MAX 4096 /* directory entries looked at for a rotated file */

/*
 * The previous file of path, last read as *prev, may have been renamed or
 * copied with data after where we stopped: PATH.1 or PATH.0 first, then
 * other uncompressed names that start with PATH. or PATH- in its directory
 * (logrotate's dateext), newest name first. Only when none is found, the
 * compressed ones (logrotate's compress without delaycompress): PATH.1.gz,
 * PATH.0.gz (and .bz2, .xz, .zst), then the others, newest name first.
 */
static void find_tail(ips_cron_t *c, const char *path, const ips_state_input_t *prev,
		      const ips_cron_id_t *cur, ips_cron_plan_t *p)
{
	ips_cron_id_t *t = ips_xmalloc(sizeof *t);
	int r = 0;
	for (int i = 0; i < 2 && !r; i++) {
		char *name = ips_xasprintf("%s%s", path, i ? ".0" : ".1");
		r = tail_candidate(c, name, prev, cur, t, p);
		free(name);
	}
	const char *slash = strrchr(path, '/');
	char *dirname = slash ? ips_xstrndup(path, (size_t)(slash - path + 1)) : ips_xstrdup("");
	const char *base = slash ? slash + 1 : path;
	size_t bl = strlen(base);
	/* the names that start with base, from the directory's listing of this run */
	const dir_list_t *l = r ? NULL : dir_listing(c, *dirname ? dirname : ".");
	ips_vec_t names = {0}, znames = {0};
	size_t lo = l ? bound(l, base, bl, false) : 0, hi = l ? bound(l, base, bl, true) : 0;
	for (size_t k = hi; k > lo && names.len < TAIL_NAMES_MAX; k--) { /* newest name first */
		const char *n = l->names + l->at[k - 1];
		if ((n[bl] != '.' && n[bl] != '-') || !n[bl + 1] || !strcmp(n + bl, ".1") ||
		    !strcmp(n + bl, ".0"))
			continue;
		if (!ends_with_any(n, compressed_ext))
			ips_vec_push(&names, ips_xasprintf("%s%s", dirname, n));
		else if (znames.len < TAIL_NAMES_MAX && ends_with_any(n, stream_ext))
			ips_vec_push(&znames, ips_xasprintf("%s%s", dirname, n));
	}
	r = try_newest_first(c, &names, tail_candidate, prev, cur, t, p, r);
	for (int i = 0; i < 8 && !r; i++) {
		char *name = ips_xasprintf("%s%s%s", path, i < 4 ? ".1" : ".0", stream_ext[i % 4]);
		r = compressed_tail_candidate(c, name, prev, cur, t, p);
		free(name);
	}
	r = try_newest_first(c, &znames, compressed_tail_candidate, prev, cur, t, p, r);
	free(dirname);
	free(t);
}

void ips_cron_plan(ips_cron_t *c, const char *path, const ips_cron_id_t *id, ips_cron_plan_t *p)
{
	memset(p, 0, sizeof *p);
	const char *done = done_path(c, id->dev, id->ino);
	if (done) {
		p->how = IPS_CRON_AGAIN;
		p->was = ips_xstrdup(done);
		return; /* one record per file: nothing to copy for the second name */
	}
	const ips_state_input_t *r = same_file(c, path, id);
	if (r) {
		((ips_state_input_t *)r)->cont = 1; /* (a flag of this run, in the state) */
		p->how = IPS_CRON_GROWN;
		p->offset = r->offset;
		p->line = r->line;
		p->size = r->size;
		if (strcmp(ips_state_path(c->st, r), path))
			p->was = ips_xstrdup(ips_state_path(c->st, r));
		return;
	}
	const ips_state_input_t *prev = old_at(c, path);
	if (prev && !prev->container && ips_state_dev(c->st, prev) == id->dev &&
	    prev->ino == id->ino) {
		p->how = id->size < prev->size ? IPS_CRON_TRUNCATED : IPS_CRON_REPLACED;
		find_tail(c, path, prev, id, p); /* copytruncate: the copy has the rest */
		return;
	}
	r = copy_of(c, id->head, id->headlen, id->size, id, copy_check_fd, &id->fd);
	if (r) {
		p->how = IPS_CRON_GROWN;
		p->copy = true;
		p->offset = r->offset;
		p->line = r->line;
		p->size = r->size;
		if (strcmp(ips_state_path(c->st, r), path))
			p->was = ips_xstrdup(ips_state_path(c->st, r));
		return;
	}
	if (prev) {
		p->how = IPS_CRON_ROTATED;
		if (!prev->container)
			find_tail(c, path, prev, id, p);
		return;
	}
	p->how = IPS_CRON_NEW;
}

void ips_cron_plan_free(ips_cron_plan_t *p)
{
	free(p->was);
	free(p->tail);
	memset(p, 0, sizeof *p);
}

/* Store what this run read of a file (v: the fields but its identity, size and times). */
static void record(ips_cron_t *c, const char *path, const ips_cron_id_t *id, uint64_t size,
		   ips_state_input_t *v)
{
	ips_state_input_t *cur = v->container ? ips_state_container(c->st, path, false)
				 : ips_state_input_id(c->st, id->dev, id->ino, path, false);
	if (!ips_state_set_dev(c->st, v, id->dev)) {
		fprintf(stderr, "ipsec-scan: the cron state holds files of more than %d devices\n",
			IPS_STATE_DEVS_MAX);
		abort();
	}
	v->ino = id->ino;
	v->size = size;
	v->mtime = ips_state_clamp_time(id->mtime); /* (an id not made by ips_cron_identify) */
	v->ctime = ips_state_clamp_time(id->ctime);
	v->ctime_ns = id->ctime_ns;
	v->ctime_ok = 1;
	(void)ips_state_put(c->st, cur, v, path);
}

/*
 * The hash of everything before offset: continued from the record of this
 * same file, else over the whole prefix (read from the page cache); false
 * on a short read.
 */
static bool record_prefix(ips_cron_t *c, const char *path, const ips_cron_id_t *id,
			  uint64_t offset, uint64_t *h)
{
	/* (only where this run found the file the same: not one rewritten in place) */
	const ips_state_input_t *was = ips_state_input_id(c->st, id->dev, id->ino, path, false);
	uint64_t from = 0, pv = 0;
	if (was && (!was->old || was->cont) && !was->container && was->pfp_ok && !was->pfp_fnv &&
	    ips_state_dev(c->st, was) == id->dev && was->ino == id->ino && was->offset <= offset) {
		from = was->offset;
		pv = was->pfp;
	}
	return prefix_fp(id->fd, from, pv, offset, h);
}

void ips_cron_prefix_ahead(ips_cron_t *c, const char *path, const ips_cron_id_t *id,
			   uint64_t offset)
{
	if (offset > id->size)
		offset = id->size;
	c->ahead = (prefix_ahead_t){.dev = id->dev, .ino = id->ino, .offset = offset, .set = true};
	c->ahead.ok = record_prefix(c, path, id, offset, &c->ahead.h);
}

void ips_cron_record(ips_cron_t *c, const char *path, const ips_cron_id_t *id, uint64_t offset,
		     uint64_t line)
{
	if (offset > id->size)
		offset = id->size;
	if (line >= IPS_STATE_LINE_MAX) /* (a file of 256 TiB at least) */
		line = IPS_STATE_LINE_MAX - 1;
	uint64_t h = 0;
	const prefix_ahead_t *a = &c->ahead;
	bool pfp_ok = a->set && a->dev == id->dev && a->ino == id->ino && a->offset == offset
		      ? (h = a->h, a->ok)
		      : record_prefix(c, path, id, offset, &h);
	c->ahead.set = false;
	uint32_t tl = offset < IPS_STATE_FP_BYTES ? (uint32_t)offset : IPS_STATE_FP_BYTES;
	uint64_t th = 0;
	if (!range_fp(id->fd, offset - tl, tl, &th))
		tl = 0;
	ips_state_input_t v = {.fp = ips_fnv1a(IPS_FNV_INIT, id->head, id->headlen),
			       .fplen = id->headlen, .offset = offset, .line = line, .tfp = th,
			       .tflen = tl, .pfp = pfp_ok ? h : 0, .pfp_ok = pfp_ok};
	record(c, path, id, id->size, &v);
}

bool ips_cron_container(ips_cron_t *c, const char *path, int fd, const ips_cron_id_t *id,
			const char **was)
{
	uint64_t fp = 0;
	uint32_t fplen = 0;
	*was = NULL;
	bool have = ips_state_fingerprint_whole(fd, id->size, &fp, &fplen);
	const ips_state_input_t *found = NULL;
	size_t it = 0, i;
	index_old(c);
	while (have && ips_state_index_next(c->st, &c->old_by_whole, fp, &it, &i)) {
		const ips_state_input_t *r = ips_state_at(c->st, i);
		if (!r->container || r->size != id->size || r->mtime != id->mtime || r->fp != fp)
			continue;
		if (!found || !strcmp(ips_state_path(c->st, r), path))
			found = r;
	}
	if (found && strcmp(ips_state_path(c->st, found), path))
		*was = ips_state_path(c->st, found);
	/* unreadable: size 0, it will not match next time */
	ips_state_input_t v = {.container = 1, .fp = fp, .fplen = fplen,
			       .offset = have ? id->size : 0};
	record(c, path, id, have ? id->size : 0, &v);
	return found != NULL;
}

bool ips_cron_copy_of(ips_cron_t *c, const char *path, const unsigned char *head, size_t n,
		      uint64_t *offset, uint64_t *line, const char **was)
{
	const ips_state_input_t *r = copy_of(c, head, n, UINT64_MAX, NULL, copy_check_compressed,
					     path);
	if (!r)
		return false;
	*offset = r->offset;
	*line = r->line;
	*was = ips_state_path(c->st, r);
	return true;
}

size_t ips_cron_restore_windows(ips_cron_t *c, const char *path, ips_correlator_t *corr,
				size_t input)
{
	size_t n = 0;
	for (size_t i = 0; i < c->st->windows.len;) {
		const ips_state_window_t *w = c->st->windows.items[i];
		if (strcmp(w->path, path)) {
			i++;
			continue;
		}
		ips_open_window_t ow = {.corr = w->corr, .type = w->type, .key = w->key,
					.kv = w->kv, .start_sec = w->start_sec,
					.start_valid = w->start_valid, .line = w->line};
		n += ips_correlator_import(corr, &ow, input);
		ips_state_remove_window(c->st, i);
	}
	return n;
}

typedef struct keep_ctx {
	ips_state_t *st;
	const char *path;
} keep_ctx_t;

static void keep_window(void *ctx, const ips_open_window_t *ow)
{
	const keep_ctx_t *k = ctx;
	ips_state_window_t w = {.corr = (char *)ow->corr, .type = ow->type, .key = (char *)ow->key,
				.kv = (char *)ow->kv, .start_sec = ow->start_sec,
				.start_valid = ow->start_valid, .path = (char *)k->path,
				.line = ow->line};
	ips_state_add_window(k->st, &w);
}

size_t ips_cron_save_windows(ips_cron_t *c, const char *path, ips_correlator_t *corr)
{
	keep_ctx_t k = {.st = c->st, .path = path};
	return ips_correlator_end_input_export(corr, keep_window, &k);
}

bool ips_cron_journal(const ips_cron_t *c, const char *name, const char **cursor,
		      uint64_t *line)
{
	const ips_state_journal_t *j = ips_state_journal(c->st, name, false);
	*cursor = j ? j->cursor : NULL;
	*line = j ? j->line : 0;
	return j != NULL;
}

void ips_cron_journal_record(ips_cron_t *c, const char *name, const char *cursor,
			     uint64_t line, int64_t now)
{
	ips_state_journal_t *j = ips_state_journal(c->st, name, true);
	if (cursor) { /* nothing new: the last run's cursor stays */
		free(j->cursor);
		j->cursor = ips_xstrdup(cursor);
		j->line = line;
	}
	j->time = now;
	j->seen = true;
}

void ips_cron_finish(ips_cron_t *c, int64_t now)
{
	/* a journal folder or file gone for long is forgotten as a file is */
	for (size_t i = 0; i < c->st->journals.len;) {
		const ips_state_journal_t *j = c->st->journals.items[i];
		struct stat st;
		if (j->seen || j->path[0] == '(' || stat(j->path, &st) == 0 || errno != ENOENT ||
		    now - j->time <= (int64_t)IPS_CRON_KEEP_DAYS * 86400) {
			i++;
			continue;
		}
		for (size_t k = 0; k < c->st->windows.len;) {
			const ips_state_window_t *w = c->st->windows.items[k];
			if (!strcmp(w->path, j->path))
				ips_state_remove_window(c->st, k);
			else
				k++;
		}
		ips_state_remove_journal(c->st, i);
	}
	/*
	 * A record not touched in this run whose file is gone from its path
	 * (removed, or the path now holds another file: a rotated log's
	 * record) is forgotten once the file had not changed for KEEP_DAYS.
	 * One pass over the records (a stat each for those not read): linear.
	 */
	for (size_t i = 0; i < c->st->ninputs; i++) {
		ips_state_input_t *r = ips_state_at(c->st, i);
		if (r->seen || r->replaced || r->gone)
			continue;
		struct stat st;
		const char *rpath = ips_state_path(c->st, r);
		bool there = stat(rpath, &st) == 0;
		uint64_t dev = ips_state_dev(c->st, r);
		bool same = there && (r->container || (!dev && !r->ino) ||
				      ((uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == r->ino));
		/* times from the state are within +-2^40 (state.c): no overflow */
		bool gone = !there ? errno == ENOENT : !same;
		if (!gone || now - r->mtime <= (int64_t)IPS_CRON_KEEP_DAYS * 86400)
			continue;
		/* its windows go too when nothing is at the path any more (a file
		 * there now owns the windows kept under the path) */
		for (size_t j = 0; !there && j < c->st->windows.len;) {
			const ips_state_window_t *w = c->st->windows.items[j];
			if (!strcmp(w->path, rpath))
				ips_state_remove_window(c->st, j);
			else
				j++;
		}
		ips_state_forget(c->st, r);
	}
}
