/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.h - allocation, bounded buffers, hashing and small string helpers.
 *
 * Ownership: every function that returns a pointer returns memory the caller
 * owns and frees with free(), unless its comment says otherwise.
 * Allocation failure aborts the program with a message (out of memory is not
 * an input error we can recover from, and every buffer here is bounded).
 */
#ifndef IPS_UTIL_H
#define IPS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/status.h"

void *ips_xmalloc(size_t n);
void *ips_xcalloc(size_t n, size_t size);
void *ips_xrealloc(void *p, size_t n);
char *ips_xstrdup(const char *s);
char *ips_xstrndup(const char *s, size_t n);
/* printf into a new string. */
char *ips_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A growing byte buffer with a hard limit fixed at creation (curl's dynbuf
 * idea): appending past the limit stores what fits and returns IPS_E_LIMIT,
 * so nothing grows without bound. The buffer is always NUL-terminated.
 */
typedef struct ips_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t limit;
} ips_buf_t;

void ips_buf_init(ips_buf_t *b, size_t limit);
void ips_buf_free(ips_buf_t *b);
void ips_buf_reset(ips_buf_t *b);
ips_status_t ips_buf_append(ips_buf_t *b, const void *data, size_t n);
ips_status_t ips_buf_putc(ips_buf_t *b, char c);
ips_status_t ips_buf_printf(ips_buf_t *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Take the buffer's memory (NUL-terminated); the buffer is left empty. */
char *ips_buf_steal(ips_buf_t *b);

/* 64-bit FNV-1a, incremental: start with IPS_FNV_INIT. */
#define IPS_FNV_INIT 0xcbf29ce484222325ULL
uint64_t ips_fnv1a(uint64_t h, const void *data, size_t n);

/* A growable array of pointers (no limit: used for things we keep, e.g. rules). */
typedef struct ips_vec {
	void **items;
	size_t len;
	size_t cap;
} ips_vec_t;

void ips_vec_push(ips_vec_t *v, void *item);
void ips_vec_free(ips_vec_t *v); /* frees the array, not the items */

/*
 * A multimap from 64-bit keys (hashes) to indexes: lookups stay O(1) where a
 * linear search would make a run quadratic in its files. Several indexes may
 * share a key (callers check the item the index names). Zero it to start.
 */
typedef struct ips_u64map {
	uint64_t *keys;
	size_t *vals;   /* index + 1; 0 = empty slot */
	size_t cap, len;
} ips_u64map_t;

void ips_u64map_add(ips_u64map_t *m, uint64_t key, size_t index);
/* The indexes under key, one per call: *it starts at 0; false at the end. */
bool ips_u64map_next(const ips_u64map_t *m, uint64_t key, size_t *it, size_t *index);
void ips_u64map_free(ips_u64map_t *m);
/* A key for two numbers (a device and an inode). */
uint64_t ips_u64_pair(uint64_t a, uint64_t b);

/* ASCII helpers (locale independent). */
bool ips_streq_nocase(const char *a, const char *b);
char *ips_str_upper(char *s);   /* in place, returns s */
bool ips_is_upper_snake(const char *s);
bool ips_is_lower_kebab(const char *s);
/* Parse a whole string as a signed 64-bit integer in base 10 or 16; false if not. */
bool ips_parse_i64(const char *s, int base, int64_t *out);

/* Read a whole (small) file into memory, capped at limit bytes. */
ips_status_t ips_read_file(const char *path, size_t limit, char **data, size_t *len);

/* A key and its value, both owned by whoever holds the pair. */
typedef struct ips_kv {
	char *key;
	char *value;
} ips_kv_t;

/* The value of key in kv[0..n), or NULL. */
const char *ips_kv_get(const ips_kv_t *kv, size_t n, const char *key);
/* Append a copy of key and value to *kv (grown by one). */
void ips_kv_add(ips_kv_t **kv, size_t *n, const char *key, const char *value);

#endif
