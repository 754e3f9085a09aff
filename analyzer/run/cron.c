/* SPDX-License-Identifier: Apache-2.0 */
/* cron.c - see cron.h and docs/cron.md. */
#include "run/cron.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input/container.h"
#include "util/util.h"

/* A head shorter than this is too weak to recognise a file by content alone. */
#define COPY_MIN_HEAD 64

typedef struct done {
	uint64_t dev, ino;
	char *path;
} done_t;

struct ips_cron {
	ips_state_t *st;
	ips_state_input_t *old; /* the records as the run began */
	size_t nold;
	done_t *done;           /* files read in this run */
	size_t ndone, capdone;
};

ips_cron_t *ips_cron_new(ips_state_t *st)
{
	ips_cron_t *c = ips_xcalloc(1, sizeof *c);
	c->st = st;
	c->nold = st->inputs.len;
	c->old = ips_xcalloc(c->nold ? c->nold : 1, sizeof *c->old);
	for (size_t i = 0; i < c->nold; i++) {
		c->old[i] = *(const ips_state_input_t *)st->inputs.items[i];
		c->old[i].path = ips_xstrdup(c->old[i].path);
	}
	return c;
}

void ips_cron_free(ips_cron_t *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nold; i++)
		free(c->old[i].path);
	free(c->old);
	for (size_t i = 0; i < c->ndone; i++)
		free(c->done[i].path);
	free(c->done);
	free(c);
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
	id->mtime = (int64_t)st.st_mtime;
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

/* Does the file start with the bytes a record fingerprinted? */
static bool head_matches(const unsigned char *head, size_t n, const ips_state_input_t *r)
{
	return r->fplen <= n && ips_fnv1a(IPS_FNV_INIT, head, r->fplen) == r->fp;
}

static const char *done_path(const ips_cron_t *c, uint64_t dev, uint64_t ino)
{
	for (size_t i = 0; i < c->ndone; i++)
		if (c->done[i].dev == dev && c->done[i].ino == ino)
			return c->done[i].path;
	return NULL;
}

static void mark_done(ips_cron_t *c, const ips_cron_id_t *id, const char *path)
{
	if (done_path(c, id->dev, id->ino))
		return;
	if (c->ndone == c->capdone) {
		c->capdone = c->capdone ? c->capdone * 2 : 16;
		c->done = ips_xrealloc(c->done, c->capdone * sizeof *c->done);
	}
	c->done[c->ndone].dev = id->dev;
	c->done[c->ndone].ino = id->ino;
	c->done[c->ndone].path = ips_xstrdup(path);
	c->ndone++;
}

static const ips_state_input_t *old_at(const ips_cron_t *c, const char *path)
{
	for (size_t i = 0; i < c->nold; i++)
		if (!strcmp(c->old[i].path, path))
			return &c->old[i];
	return NULL;
}

/* The file an earlier run read, by inode and head, no smaller than then; this path's first. */
static const ips_state_input_t *same_file(const ips_cron_t *c, const char *path,
					  const ips_cron_id_t *id)
{
	const ips_state_input_t *best = NULL;
	for (size_t i = 0; i < c->nold; i++) {
		const ips_state_input_t *r = &c->old[i];
		if (r->container || r->dev != id->dev || r->ino != id->ino || id->size < r->size ||
		    !head_matches(id->head, id->headlen, r))
			continue;
		if (!strcmp(r->path, path))
			return r;
		if (!best)
			best = r;
	}
	return best;
}

/* A file read before under another inode with the same head: the one read furthest. */
static const ips_state_input_t *copy_of(const ips_cron_t *c, const unsigned char *head, size_t n,
					uint64_t size, const ips_cron_id_t *self)
{
	const ips_state_input_t *best = NULL;
	for (size_t i = 0; i < c->nold; i++) {
		const ips_state_input_t *r = &c->old[i];
		if (r->container || r->fplen < COPY_MIN_HEAD || size < r->offset ||
		    (self && r->dev == self->dev && r->ino == self->ino) || !head_matches(head, n, r))
			continue;
		if (!best || r->offset > best->offset)
			best = r;
	}
	return best;
}

/* Identify `name` into *t: 1 a candidate, 0 unreadable or the log itself, -1 read in
 * this run already (its rest too). */
static int identify_candidate(ips_cron_t *c, const char *name, const ips_cron_id_t *cur,
			      ips_cron_id_t *t)
{
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	bool ok = fd >= 0 && ips_cron_identify(fd, t);
	if (fd >= 0)
		close(fd);
	if (!ok || (t->dev == cur->dev && t->ino == cur->ino))
		return 0;
	return done_path(c, t->dev, t->ino) ? -1 : 1;
}

/* Is `name` the previous file of a log (last read as *prev)? 1 yes (p->tail set when
 * it has unread data), 0 no, -1 it was read in this run already. */
static int tail_candidate(ips_cron_t *c, const char *name, const ips_state_input_t *prev,
			  const ips_cron_id_t *cur, ips_cron_id_t *t, ips_cron_plan_t *p)
{
	int k = identify_candidate(c, name, cur, t);
	if (k != 1)
		return k;
	/* renamed (the same inode) or copied (copytruncate): it starts as prev did */
	if (!head_matches(t->head, t->headlen, prev) || t->size < prev->offset)
		return 0;
	/*
	 * Known in its own right too (read under its name, or an inode reused
	 * by a new copy): whichever record read further.
	 */
	const ips_state_input_t *own = same_file(c, name, t);
	const ips_state_input_t *from = own && own->offset > prev->offset ? own : prev;
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
	if (!prev->fplen)
		return 0; /* an empty head would match any file */
	unsigned char head[IPS_STATE_FP_BYTES];
	size_t got = 0;
	if (!ips_compressed_head(name, head, prev->fplen, &got) || !head_matches(head, got, prev))
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
	DIR *d = r ? NULL : opendir(*dirname ? dirname : ".");
	ips_vec_t names = {0}, znames = {0};
	struct dirent *de;
	while (d && names.len < TAIL_NAMES_MAX && (de = readdir(d))) {
		const char *n = de->d_name;
		if (strncmp(n, base, bl) || (n[bl] != '.' && n[bl] != '-') || !n[bl + 1] ||
		    !strcmp(n + bl, ".1") || !strcmp(n + bl, ".0"))
			continue;
		if (!ends_with_any(n, compressed_ext))
			ips_vec_push(&names, ips_xasprintf("%s%s", dirname, n));
		else if (znames.len < TAIL_NAMES_MAX && ends_with_any(n, stream_ext))
			ips_vec_push(&znames, ips_xasprintf("%s%s", dirname, n));
	}
	if (d)
		closedir(d);
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
		/* this path continues from what the other read */
		const ips_state_input_t *r = ips_state_input(c->st, done, false);
		if (r && strcmp(done, path)) {
			ips_state_input_t copy = *r;
			ips_state_input_t *n = ips_state_input(c->st, path, true);
			copy.path = n->path;
			*n = copy;
		}
		return;
	}
	const ips_state_input_t *r = same_file(c, path, id);
	if (r) {
		p->how = IPS_CRON_GROWN;
		p->offset = r->offset;
		p->line = r->line;
		p->size = r->size;
		if (strcmp(r->path, path))
			p->was = ips_xstrdup(r->path);
		return;
	}
	const ips_state_input_t *prev = old_at(c, path);
	if (prev && !prev->container && prev->dev == id->dev && prev->ino == id->ino) {
		p->how = id->size < prev->size ? IPS_CRON_TRUNCATED : IPS_CRON_REPLACED;
		find_tail(c, path, prev, id, p); /* copytruncate: the copy has the rest */
		return;
	}
	r = copy_of(c, id->head, id->headlen, id->size, id);
	if (r) {
		p->how = IPS_CRON_GROWN;
		p->copy = true;
		p->offset = r->offset;
		p->line = r->line;
		p->size = r->size;
		if (strcmp(r->path, path))
			p->was = ips_xstrdup(r->path);
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

static ips_state_input_t *record(ips_cron_t *c, const char *path, const ips_cron_id_t *id)
{
	ips_state_input_t *r = ips_state_input(c->st, path, true);
	r->dev = id->dev;
	r->ino = id->ino;
	r->size = id->size;
	r->mtime = id->mtime;
	r->seen = true;
	mark_done(c, id, path);
	return r;
}

void ips_cron_record(ips_cron_t *c, const char *path, const ips_cron_id_t *id, uint64_t offset,
		     uint64_t line)
{
	ips_state_input_t *r = record(c, path, id);
	r->container = false;
	r->fp = ips_fnv1a(IPS_FNV_INIT, id->head, id->headlen);
	r->fplen = id->headlen;
	r->offset = offset < id->size ? offset : id->size;
	r->line = line;
}

bool ips_cron_container(ips_cron_t *c, const char *path, int fd, const ips_cron_id_t *id,
			const char **was)
{
	uint64_t fp = 0;
	uint32_t fplen = 0;
	*was = NULL;
	bool have = ips_state_fingerprint_whole(fd, id->size, &fp, &fplen);
	const ips_state_input_t *found = NULL;
	for (size_t i = 0; have && i < c->nold; i++) {
		const ips_state_input_t *r = &c->old[i];
		if (!r->container || r->size != id->size || r->mtime != id->mtime || r->fp != fp)
			continue;
		if (!found || !strcmp(r->path, path))
			found = r;
	}
	if (found && strcmp(found->path, path))
		*was = found->path;
	ips_state_input_t *r = record(c, path, id);
	r->container = true;
	r->fp = fp;
	r->fplen = fplen;
	r->offset = id->size;
	r->line = 0;
	if (!have)
		r->size = r->offset = 0; /* unreadable: it will not match next time */
	return found != NULL;
}

bool ips_cron_copy_of(const ips_cron_t *c, const unsigned char *head, size_t n, uint64_t *offset,
		      uint64_t *line, const char **was)
{
	const ips_state_input_t *r = copy_of(c, head, n, UINT64_MAX, NULL);
	if (!r)
		return false;
	*offset = r->offset;
	*line = r->line;
	*was = r->path;
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
		n += ips_correlator_restore(corr, w, input);
		ips_state_remove_window(c->st, i);
	}
	return n;
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
	for (size_t i = 0; i < c->st->inputs.len;) {
		const ips_state_input_t *r = c->st->inputs.items[i];
		struct stat st;
		if (r->seen || stat(r->path, &st) == 0 || errno != ENOENT ||
		    now - r->mtime <= (int64_t)IPS_CRON_KEEP_DAYS * 86400) {
			i++;
			continue;
		}
		for (size_t j = 0; j < c->st->windows.len;) {
			const ips_state_window_t *w = c->st->windows.items[j];
			if (!strcmp(w->path, r->path))
				ips_state_remove_window(c->st, j);
			else
				j++;
		}
		ips_state_remove_input(c->st, i);
	}
}
