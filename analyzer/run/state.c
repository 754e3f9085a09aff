/* SPDX-License-Identifier: Apache-2.0 */
/* state.c - see state.h: the records in memory (blocks, string store, indexes) and the
 * fingerprints; reading and writing the state file is state_file.c. */
#include "run/state.h"
#include "run/state_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>


/* ---- records ----------------------------------------------------------- */

/* (docs/cron.md gives the figure: a record must not grow unnoticed) */
_Static_assert(sizeof(ips_state_input_t) == 80, "a state record is 80 bytes");

static void fatal(const char *why)
{
	fprintf(stderr, "ipsec-scan: %s\n", why);
	abort();
}

static void window_free(ips_state_window_t *w)
{
	free(w->corr);
	free(w->key);
	free(w->kv);
	free(w->path);
	free(w);
}

uint64_t ips_state_path_key(const char *path)
{
	return ips_fnv1a(IPS_FNV_INIT, path, strlen(path));
}

uint64_t ips_state_key_path_of(const ips_state_t *st, const ips_state_input_t *r)
{
	return ips_state_path_key(ips_state_path(st, r));
}

uint64_t ips_state_key_id_of(const ips_state_t *st, const ips_state_input_t *r)
{
	return ips_u64_pair(ips_state_dev(st, r), r->ino);
}

/* The key's first slot: any capacity (not only powers of two), by the high half of a product. */
static size_t index_slot(uint64_t key, size_t cap)
{
	key ^= key >> 29;
	key *= UINT64_C(0xbf58476d1ce4e5b9);
	key ^= key >> 32;
	return (size_t)(((unsigned __int128)key * cap) >> 64);
}

static size_t index_step(const ips_state_index_t *x, size_t k)
{
	return k + 1 == x->cap ? 0 : k + 1;
}

static void index_put(const ips_state_t *st, ips_state_index_t *x, size_t i)
{
	size_t k = index_slot(x->key(st, ips_state_at(st, i)), x->cap);
	while (x->slot[k])
		k = index_step(x, k);
	x->slot[k] = (uint32_t)(i + 1);
	x->len++;
}

/*
 * At most three quarters full, grown by a quarter: 5.3 to 6.7 bytes a
 * record (at most half full and doubled, a million records took 8 each).
 */
void ips_state_index_add(const ips_state_t *st, ips_state_index_t *x, size_t i)
{
	if ((x->len + 1) * 4 > x->cap * 3) {
		ips_state_index_t n = {.key = x->key};
		n.cap = x->cap ? x->cap + x->cap / 4 : 256;
		n.slot = ips_xcalloc(n.cap, sizeof *n.slot);
		for (size_t k = 0; k < x->cap; k++)
			if (x->slot[k])
				index_put(st, &n, x->slot[k] - 1);
		free(x->slot);
		*x = n;
	}
	index_put(st, x, i);
}

bool ips_state_index_next(const ips_state_t *st, const ips_state_index_t *x, uint64_t key,
			  size_t *it, size_t *i)
{
	if (!x->cap)
		return false;
	/* *it counts the probes made: the slots of one key lie on its probe run */
	size_t k = index_slot(key, x->cap) + *it;
	if (k >= x->cap)
		k -= x->cap;
	while (*it < x->cap && x->slot[k]) {
		(*it)++;
		size_t n = x->slot[k] - 1;
		if (x->key(st, ips_state_at(st, n)) == key) {
			*i = n;
			return true;
		}
		k = index_step(x, k);
	}
	*it = x->cap;
	return false;
}

void ips_state_index_free(ips_state_index_t *x)
{
	free(x->slot);
	x->slot = NULL;
	x->cap = x->len = 0;
}

#define ARENA_CHUNK (1u << 20) /* (a record's path: chunk << 20 | offset) */
#define ARENA_CHUNKS_MAX 4096u

/* A copy of s in the arena (never moved, freed with the state): its place. */
static uint32_t intern(ips_state_t *st, const char *s)
{
	size_t n = strlen(s) + 1;
	if (!st->narena || st->arena_used + n > st->arena_cap) {
		if (st->narena >= ARENA_CHUNKS_MAX)
			fatal("the cron state's paths take more than 4 GiB");
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		st->arena = ips_xrealloc(st->arena, (st->narena + 1) * sizeof *st->arena);
		st->arena_size = ips_xrealloc(st->arena_size,
					      (st->narena + 1) * sizeof *st->arena_size);
		st->arena_size[st->narena] = cap;
		st->arena[st->narena++] = ips_xmalloc(cap);
		st->arena_cap = cap;
		st->arena_used = 0;
	}
	char *p = st->arena[st->narena - 1] + st->arena_used;
	memcpy(p, s, n);
	uint32_t at = (uint32_t)((st->narena - 1) << 20 | st->arena_used);
	st->arena_used += n;
	return at;
}

/* The place of s in the arena, when it is an arena string (the newest chunk first). */
static bool in_arena(const ips_state_t *st, const char *s, uint32_t *at)
{
	uintptr_t p = (uintptr_t)s;
	for (size_t i = st->narena; i-- > 0;) {
		uintptr_t a = (uintptr_t)st->arena[i];
		if (p >= a && p < a + st->arena_size[i]) {
			*at = (uint32_t)(i << 20 | (p - a)); /* (a chunk past 1 MiB holds one path) */
			return true;
		}
	}
	return false;
}

/* path's place in the arena: its own when it is an arena string, else a new copy's */
static uint32_t keep(ips_state_t *st, const char *path)
{
	uint32_t at;
	return in_arena(st, path, &at) ? at : intern(st, path);
}

/* The table of devices begins with 0: the device of a zeroed record. */
static void devs_init(ips_state_t *st)
{
	if (st->ndevs)
		return;
	st->devs = ips_xcalloc(1, sizeof *st->devs);
	st->ndevs = 1;
	ips_u64map_add(&st->devs_by_value, 0, 0);
}

/* A new record (a copy of v, or zeroed), indexed; path kept in the arena. */
ips_state_input_t *ips_state_append(ips_state_t *st, const ips_state_input_t *v, const char *path)
{
	if (st->ninputs >= UINT32_MAX - 1)
		fatal("the cron state holds too many records (4 billion)");
	size_t i = st->ninputs;
	if (i % IPS_STATE_BLOCK == 0) {
		st->blocks = ips_xrealloc(st->blocks, (i / IPS_STATE_BLOCK + 1) * sizeof *st->blocks);
		st->blocks[i / IPS_STATE_BLOCK] = ips_xmalloc(IPS_STATE_BLOCK * sizeof **st->blocks);
	}
	uint32_t at = keep(st, path); /* (before the record: path may be a record's) */
	devs_init(st);
	ips_state_input_t *r = ips_state_at(st, i);
	if (v)
		*r = *v;
	else
		memset(r, 0, sizeof *r);
	r->path = at;
	r->old = r->replaced = r->gone = r->cont = 0;
	st->ninputs++;
	st->nlive++;
	if (st->by_path_built)
		ips_state_index_add(st, &st->by_path, i);
	ips_state_index_add(st, &st->by_id, i);
	return r;
}

/* The number of a record (a pointer into a block). */
static size_t number_of(const ips_state_t *st, const ips_state_input_t *r)
{
	for (size_t b = 0; b * IPS_STATE_BLOCK < st->ninputs; b++) {
		const ips_state_input_t *first = st->blocks[b];
		if (r >= first && r < first + IPS_STATE_BLOCK)
			return b * IPS_STATE_BLOCK + (size_t)(r - first);
	}
	fatal("internal error: a record not in the state");
	return 0;
}

bool ips_state_set_dev(ips_state_t *st, ips_state_input_t *r, uint64_t dev)
{
	devs_init(st);
	size_t it = 0, i;
	while (ips_u64map_next(&st->devs_by_value, dev, &it, &i))
		if (st->devs[i] == dev) {
			r->devx = (uint16_t)i;
			return true;
		}
	if (st->ndevs >= IPS_STATE_DEVS_MAX)
		return false;
	st->devs = ips_xrealloc(st->devs, (st->ndevs + 1) * sizeof *st->devs);
	st->devs[st->ndevs] = dev;
	ips_u64map_add(&st->devs_by_value, dev, st->ndevs);
	r->devx = (uint16_t)st->ndevs++;
	return true;
}

bool ips_state_live(const ips_state_input_t *r)
{
	return !r->replaced && !r->gone;
}

size_t ips_state_count(const ips_state_t *st)
{
	return st->nlive;
}

void ips_state_forget(ips_state_t *st, ips_state_input_t *in)
{
	if (ips_state_live(in))
		st->nlive--;
	in->gone = 1;
}

void ips_state_freeze(ips_state_t *st)
{
	for (size_t i = 0; i < st->ninputs; i++) {
		ips_state_input_t *r = ips_state_at(st, i);
		/* (a state kept in memory from an earlier run: what it replaced is gone) */
		if (r->replaced)
			r->gone = 1;
		r->old = 1;
		r->seen = r->cont = 0;
	}
}

/* Do two records say the same (path aside)? */
static bool same_values(const ips_state_input_t *a, const ips_state_input_t *b)
{
	return a->devx == b->devx && a->ino == b->ino && a->size == b->size &&
	       a->mtime == b->mtime && a->ctime == b->ctime && a->ctime_ns == b->ctime_ns &&
	       a->ctime_ok == b->ctime_ok && a->fp == b->fp && a->fplen == b->fplen &&
	       a->offset == b->offset && a->tfp == b->tfp && a->tflen == b->tflen &&
	       a->pfp_ok == b->pfp_ok && (!a->pfp_ok || a->pfp == b->pfp) &&
	       a->pfp_fnv == b->pfp_fnv &&
	       a->line == b->line && a->container == b->container;
}

ips_state_input_t *ips_state_put(ips_state_t *st, ips_state_input_t *cur,
				 const ips_state_input_t *v, const char *path)
{
	if (!cur) {
		cur = ips_state_append(st, v, path);
		cur->seen = 1;
		return cur;
	}
	bool same_path = !strcmp(ips_state_path(st, cur), path);
	if (cur->old) {
		if (same_path && same_values(cur, v)) {
			cur->seen = 1;
			return cur;
		}
		if (ips_state_live(cur))
			st->nlive--;
		cur->replaced = 1;
		ips_state_input_t *n = ips_state_append(st, v, same_path ? ips_state_path(st, cur)
									  : path);
		n->seen = 1;
		return n;
	}
	uint64_t id = ips_state_key_id_of(st, cur);
	uint32_t p = same_path ? cur->path : keep(st, path);
	bool g = cur->gone;
	*cur = *v;
	cur->path = p;
	cur->old = cur->replaced = cur->cont = 0;
	cur->gone = g;
	cur->seen = 1;
	if (!same_path || ips_state_key_id_of(st, cur) != id) { /* found under its new keys too */
		size_t i = number_of(st, cur);
		if (!same_path && st->by_path_built)
			ips_state_index_add(st, &st->by_path, i);
		if (ips_state_key_id_of(st, cur) != id)
			ips_state_index_add(st, &st->by_id, i);
	}
	return cur;
}

static void journal_free(ips_state_journal_t *j)
{
	free(j->path);
	free(j->cursor);
	free(j);
}

ips_state_journal_t *ips_state_journal(ips_state_t *st, const char *path, bool create)
{
	for (size_t i = 0; i < st->journals.len; i++) {
		ips_state_journal_t *j = st->journals.items[i];
		if (!strcmp(j->path, path))
			return j;
	}
	if (!create)
		return NULL;
	ips_state_journal_t *j = ips_xcalloc(1, sizeof *j);
	j->path = ips_xstrdup(path);
	ips_vec_push(&st->journals, j);
	return j;
}

void ips_state_remove_journal(ips_state_t *st, size_t i)
{
	journal_free(st->journals.items[i]);
	memmove(st->journals.items + i, st->journals.items + i + 1,
		(st->journals.len - i - 1) * sizeof *st->journals.items);
	st->journals.len--;
}

/* A live record with this path: of any kind (want -1), a plain file (0), a container (1). */
static ips_state_input_t *find_path(ips_state_t *st, const char *path, int want)
{
	size_t it = 0, i;
	while (ips_state_index_next(st, ips_state_paths(st), ips_state_path_key(path), &it, &i)) {
		ips_state_input_t *in = ips_state_at(st, i);
		if (ips_state_live(in) && !strcmp(ips_state_path(st, in), path) &&
		    (want < 0 || in->container == (want == 1)))
			return in;
	}
	return NULL;
}

const char *ips_state_name(ips_state_t *st, const char *path)
{
	uint32_t at;
	if (in_arena(st, path, &at))
		return path;
	at = intern(st, path);
	return st->arena[at >> 20] + (at & 0xfffff);
}

const ips_state_index_t *ips_state_paths(ips_state_t *st)
{
	if (!st->by_path_built) {
		st->by_path_built = true;
		for (size_t i = 0; i < st->ninputs; i++)
			ips_state_index_add(st, &st->by_path, i);
	}
	return &st->by_path;
}

ips_state_input_t *ips_state_input(ips_state_t *st, const char *path, bool create)
{
	ips_state_input_t *in = find_path(st, path, -1);
	return in || !create ? in : ips_state_append(st, NULL, path);
}

ips_state_input_t *ips_state_container(ips_state_t *st, const char *path, bool create)
{
	ips_state_input_t *in = find_path(st, path, 1);
	if (in || !create)
		return in;
	in = ips_state_append(st, NULL, path);
	in->container = true;
	return in;
}

ips_state_input_t *ips_state_input_id(ips_state_t *st, uint64_t dev, uint64_t ino,
				      const char *path, bool create)
{
	size_t it = 0, i;
	while (ips_state_index_next(st, &st->by_id, ips_u64_pair(dev, ino), &it, &i)) {
		ips_state_input_t *in = ips_state_at(st, i);
		if (ips_state_live(in) && !in->container && ips_state_dev(st, in) == dev &&
		    in->ino == ino)
			return in;
	}
	if (!create)
		return NULL;
	ips_state_input_t v = {.ino = ino};
	if (!ips_state_set_dev(st, &v, dev))
		fatal("the cron state holds files of more than 65,536 devices");
	return ips_state_append(st, &v, path);
}

void ips_state_clear_windows(ips_state_t *st)
{
	for (size_t i = 0; i < st->windows.len; i++)
		window_free(st->windows.items[i]);
	st->windows.len = 0;
}

void ips_state_add_window(ips_state_t *st, const ips_state_window_t *w)
{
	ips_state_window_t *c = ips_xcalloc(1, sizeof *c);
	*c = *w;
	c->corr = ips_xstrdup(w->corr);
	c->key = ips_xstrdup(w->key);
	c->kv = ips_xstrdup(w->kv ? w->kv : "");
	c->path = ips_xstrdup(w->path);
	ips_vec_push(&st->windows, c);
}

void ips_state_remove_window(ips_state_t *st, size_t i)
{
	window_free(st->windows.items[i]);
	memmove(st->windows.items + i, st->windows.items + i + 1,
		(st->windows.len - i - 1) * sizeof *st->windows.items);
	st->windows.len--;
}

bool ips_state_is_own(const ips_state_t *st, uint64_t dev, uint64_t ino)
{
	for (int i = 0; i < 2; i++)
		if (st->own[i][1] && st->own[i][0] == dev && st->own[i][1] == ino)
			return true;
	return false;
}

void ips_state_close(ips_state_t *st)
{
	if (!st)
		return;
	for (size_t b = 0; b * IPS_STATE_BLOCK < st->ninputs; b++)
		free(st->blocks[b]);
	free(st->blocks);
	for (size_t i = 0; i < st->narena; i++)
		free(st->arena[i]);
	free(st->arena);
	free(st->arena_size);
	free(st->devs);
	ips_u64map_free(&st->devs_by_value);
	ips_state_index_free(&st->by_path);
	ips_state_index_free(&st->by_id);
	ips_state_clear_windows(st);
	ips_vec_free(&st->windows);
	for (size_t i = 0; i < st->journals.len; i++)
		journal_free(st->journals.items[i]);
	ips_vec_free(&st->journals);
	ips_state_abort(st);
	if (st->lock_fd >= 0)
		close(st->lock_fd); /* closing releases the flock */
	if (st->dir_fd >= 0)
		close(st->dir_fd);
	free(st->path);
	free(st);
}

bool ips_state_fingerprint(int fd, uint64_t n, uint64_t *fp, uint32_t *len)
{
	unsigned char buf[IPS_STATE_FP_BYTES];
	if (n > sizeof buf)
		n = sizeof buf;
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return false;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	*fp = ips_fnv1a(IPS_FNV_INIT, buf, got);
	*len = (uint32_t)got;
	return true;
}

bool ips_state_fingerprint_whole(int fd, uint64_t size, uint64_t *fp, uint32_t *len)
{
	uint32_t hl;
	if (!ips_state_fingerprint(fd, size, fp, &hl))
		return false;
	/* the size and the last bytes: an archive that grew or was rewritten */
	char sz[32];
	snprintf(sz, sizeof sz, "%" PRIu64, size);
	uint64_t h = ips_fnv1a(*fp, sz, strlen(sz) + 1);
	if (size > IPS_STATE_FP_BYTES) {
		unsigned char buf[IPS_STATE_FP_BYTES];
		uint64_t from = size - IPS_STATE_FP_BYTES;
		size_t got = 0;
		while (got < sizeof buf) {
			ssize_t r = pread(fd, buf + got, sizeof buf - got, (off_t)(from + got));
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return false;
			if (r == 0)
				break;
			got += (size_t)r;
		}
		h = ips_fnv1a(h, buf, got);
	}
	*fp = h;
	*len = hl;
	return true;
}
