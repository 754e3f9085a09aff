/* SPDX-License-Identifier: Apache-2.0 */
/* walk.c - the one directory walker (see walk.h). */
#include "input/walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input/nonlog.h"
#include "util/util.h"

typedef struct walk {
	const ips_walk_opts_t *o;
	const ips_walk_cbs_t *cb;
	void *ctx;
	int max_depth;
	size_t root_len;         /* the named directory's path and its '/' (for the globs) */
	dev_t dev[IPS_WALK_DEPTH_MAX + 1]; /* the directories being walked, outermost first */
	ino_t ino[IPS_WALK_DEPTH_MAX + 1];
	int depth;
	ips_status_t res;
} walk_t;

/*
 * A directory's names while it is walked: one buffer of NUL-terminated names
 * and their offsets in it, sorted. A million names of 8 characters cost
 * 13 MB this way instead of 40 in separate strings (a name is 9 bytes where
 * its own allocation takes 32, and its pointer 8); both are freed as soon as
 * the directory is done.
 */
#define NAMES_MAX ((size_t)1 << 31)

typedef struct names {
	ips_buf_t buf;  /* at most NAMES_MAX bytes: 32-bit offsets reach them all */
	uint32_t *at;   /* where each name starts in buf */
	size_t n, cap;
} names_t;

/* Add a name; false when the buffer is at its limit (the name is not added). */
static bool names_add(names_t *nm, const char *name)
{
	size_t len = strlen(name) + 1;
	if (len > nm->buf.limit - nm->buf.len)
		return false;
	if (nm->n == nm->cap) {
		nm->cap = nm->cap ? 2 * nm->cap : 64;
		nm->at = ips_xrealloc(nm->at, nm->cap * sizeof *nm->at);
	}
	nm->at[nm->n++] = (uint32_t)nm->buf.len;
	(void)ips_buf_append(&nm->buf, name, len); /* fits: checked above */
	return true;
}

static int cmp_name(const void *a, const void *b, void *buf)
{
	const char *names = buf;
	return strcmp(names + *(const uint32_t *)a, names + *(const uint32_t *)b);
}

static void skip(walk_t *w, const char *path, ips_walk_skip_t why, const char *msg)
{
	ips_status_t st = w->cb->on_skip ? w->cb->on_skip(w->ctx, path, why, msg) : IPS_OK;
	if (st != IPS_OK)
		w->res = st;
}

/* The first bytes of a file (for pictures and PDF named like logs); 0 if unreadable. */
static size_t file_head(const char *path, unsigned char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	ssize_t r = read(fd, buf, n);
	close(fd);
	return r > 0 ? (size_t)r : 0;
}

static void walk_dir(walk_t *w, const char *path, const struct stat *st);

static void walk_entry(walk_t *w, const char *dir, const char *name, bool *dir_flag)
{
	const ips_walk_opts_t *o = w->o;
	if (w->cb->on_name && w->cb->on_name(w->ctx, dir, name, dir_flag))
		return;
	size_t dl = strlen(dir);
	char *sub = ips_xasprintf("%s%s%s", dir, (dl && dir[dl - 1] == '/') ? "" : "/", name);
	const char *rel = strlen(sub) > w->root_len ? sub + w->root_len : sub;
	struct stat s2;
	bool included = false;
	unsigned char head[8];
	const char *kind;
	if (!o->follow_links && lstat(sub, &s2) == 0 && S_ISLNK(s2.st_mode)) {
		skip(w, sub, IPS_WALK_LINK, "a symbolic link inside a directory: not followed "
					    "(--follow-links follows it)");
	} else if (stat(sub, &s2) != 0) {
		char *msg = ips_xasprintf("cannot read: %s", strerror(errno));
		skip(w, sub, IPS_WALK_UNREADABLE, msg);
		free(msg);
	} else if (o->nglobs && ips_glob_excluded(o->globs, o->nglobs, rel, S_ISDIR(s2.st_mode),
						  &included)) {
		/* left out by --include/--exclude */
	} else if (o->skip_nonlog && S_ISREG(s2.st_mode) && !included &&
		   (kind = ips_nonlog_kind(sub, head, file_head(sub, head, sizeof head)))) {
		skip(w, sub, IPS_WALK_NONLOG, kind);
	} else if (S_ISDIR(s2.st_mode)) {
		if (!o->no_recurse)
			walk_dir(w, sub, &s2);
	} else if (S_ISREG(s2.st_mode)) {
		ips_status_t r = w->cb->on_file ? w->cb->on_file(w->ctx, sub, &s2) : IPS_OK;
		if (r != IPS_OK)
			w->res = r;
	}
	/* FIFOs, sockets and devices: passed over (reading one could block) */
	free(sub);
}

static void walk_dir(walk_t *w, const char *path, const struct stat *st)
{
	for (int i = 0; i < w->depth; i++)
		if (w->dev[i] == st->st_dev && w->ino[i] == st->st_ino) {
			skip(w, path, IPS_WALK_LOOP, "directory loop (a symbolic link leads back to "
						     "a parent directory): not followed");
			return;
		}
	if (w->depth >= w->max_depth) {
		char *msg = ips_xasprintf("directories nested deeper than %d: not read", w->max_depth);
		skip(w, path, IPS_WALK_DEEP, msg);
		free(msg);
		return;
	}
	DIR *d = opendir(path);
	if (!d) {
		char *msg = ips_xasprintf("cannot open directory: %s", strerror(errno));
		skip(w, path, IPS_WALK_UNREADABLE, msg);
		free(msg);
		return;
	}
	names_t names = {0};
	ips_buf_init(&names.buf, NAMES_MAX);
	struct dirent *de;
	bool full = false;
	while (!full && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    !(w->o->skip_hidden && de->d_name[0] == '.'))
			full = !names_add(&names, de->d_name);
	closedir(d);
	if (full)
		skip(w, path, IPS_WALK_UNREADABLE, "more names than fit in 2 GiB: the names past "
						   "them not read");
	if (names.n)
		qsort_r(names.at, names.n, sizeof *names.at, cmp_name, names.buf.data);
	w->dev[w->depth] = st->st_dev;
	w->ino[w->depth] = st->st_ino;
	w->depth++;
	bool dir_flag = false;
	for (size_t i = 0; i < names.n; i++)
		walk_entry(w, path, names.buf.data + names.at[i], &dir_flag);
	w->depth--;
	free(names.at);
	ips_buf_free(&names.buf);
}

ips_status_t ips_walk(const char *dir, const struct stat *st, const ips_walk_opts_t *o,
		      const ips_walk_cbs_t *cb, void *ctx)
{
	walk_t *w = ips_xcalloc(1, sizeof *w);
	w->o = o;
	w->cb = cb;
	w->ctx = ctx;
	w->max_depth = o->max_depth > 0 && o->max_depth < IPS_WALK_DEPTH_MAX ? o->max_depth
									    : IPS_WALK_DEPTH_MAX;
	/* --include/--exclude match paths relative to the named directory */
	size_t pl = strlen(dir);
	w->root_len = pl && dir[pl - 1] == '/' ? pl : pl + 1;
	w->res = IPS_OK;
	walk_dir(w, dir, st);
	ips_status_t res = w->res;
	free(w);
	return res;
}
