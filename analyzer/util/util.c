/* SPDX-License-Identifier: Apache-2.0 */
/* util.c - see util.h. */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ips_status_str(ips_status_t st)
{
	switch (st) {
	case IPS_OK: return "ok";
	case IPS_E_USAGE: return "usage error";
	case IPS_E_RULES: return "invalid rules";
	case IPS_E_INPUT: return "input error";
	case IPS_E_OUTPUT: return "output error";
	case IPS_E_NOMEM: return "out of memory";
	case IPS_E_INTERNAL: return "internal error";
	case IPS_E_NOTFOUND: return "not found";
	case IPS_E_LIMIT: return "limit reached";
	case IPS_E_PIPE: return "broken pipe";
	}
	return "unknown status";
}

static void oom(size_t n)
{
	fprintf(stderr, "ipsec-scan: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *ips_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *ips_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *ips_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *ips_xstrdup(const char *s)
{
	return ips_xstrndup(s, strlen(s));
}

char *ips_xstrndup(const char *s, size_t n)
{
	char *p = ips_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *ips_xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	char *p = ips_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void ips_buf_init(ips_buf_t *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
}

void ips_buf_free(ips_buf_t *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void ips_buf_reset(ips_buf_t *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

ips_status_t ips_buf_append(ips_buf_t *b, const void *data, size_t n)
{
	ips_status_t st = IPS_OK;
	if (b->len + n > b->limit) {
		n = b->limit - b->len;
		st = IPS_E_LIMIT;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > b->limit + 1)
			cap = b->limit + 1;
		b->data = ips_xrealloc(b->data, cap);
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return st;
}

ips_status_t ips_buf_putc(ips_buf_t *b, char c)
{
	return ips_buf_append(b, &c, 1);
}

ips_status_t ips_buf_printf(ips_buf_t *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return IPS_E_INTERNAL;
	if ((size_t)n < sizeof small)
		return ips_buf_append(b, small, (size_t)n);
	char *big = ips_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ips_status_t st = ips_buf_append(b, big, (size_t)n);
	free(big);
	return st;
}

char *ips_buf_steal(ips_buf_t *b)
{
	if (!b->data)
		return ips_xstrdup("");
	char *p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

uint64_t ips_fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static size_t u64_slot(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

void ips_u64map_add(ips_u64map_t *m, uint64_t key, size_t index)
{
	if ((m->len + 1) * 2 > m->cap) {
		ips_u64map_t n = {0};
		n.cap = m->cap ? m->cap * 2 : 64;
		n.keys = ips_xcalloc(n.cap, sizeof *n.keys);
		n.vals = ips_xcalloc(n.cap, sizeof *n.vals);
		for (size_t i = 0; i < m->cap; i++)
			if (m->vals[i])
				ips_u64map_add(&n, m->keys[i], m->vals[i] - 1);
		free(m->keys);
		free(m->vals);
		*m = n;
	}
	size_t i = u64_slot(key, m->cap);
	while (m->vals[i])
		i = (i + 1) & (m->cap - 1);
	m->keys[i] = key;
	m->vals[i] = index + 1;
	m->len++;
}

bool ips_u64map_next(const ips_u64map_t *m, uint64_t key, size_t *it, size_t *index)
{
	if (!m->cap)
		return false;
	/* *it counts the probes made: the slots of one key lie on its probe run */
	size_t i = (u64_slot(key, m->cap) + *it) & (m->cap - 1);
	while (*it < m->cap && m->vals[i]) {
		(*it)++;
		if (m->keys[i] == key) {
			*index = m->vals[i] - 1;
			return true;
		}
		i = (i + 1) & (m->cap - 1);
	}
	*it = m->cap;
	return false;
}

void ips_u64map_free(ips_u64map_t *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

uint64_t ips_u64_pair(uint64_t a, uint64_t b)
{
	uint64_t h = ips_fnv1a(IPS_FNV_INIT, &a, sizeof a);
	return ips_fnv1a(h, &b, sizeof b);
}

void ips_vec_push(ips_vec_t *v, void *item)
{
	if (v->len == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 8;
		v->items = ips_xrealloc(v->items, v->cap * sizeof *v->items);
	}
	v->items[v->len++] = item;
}

void ips_vec_free(ips_vec_t *v)
{
	free(v->items);
	v->items = NULL;
	v->len = v->cap = 0;
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

bool ips_streq_nocase(const char *a, const char *b)
{
	while (*a && *b) {
		if (lower((unsigned char)*a) != lower((unsigned char)*b))
			return false;
		a++, b++;
	}
	return *a == *b;
}

char *ips_str_upper(char *s)
{
	for (char *p = s; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p -= 32;
	return s;
}

bool ips_is_upper_snake(const char *s)
{
	if (!(*s >= 'A' && *s <= 'Z'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return s[-1] != '_';
}

bool ips_is_lower_kebab(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return s[-1] != '-';
}

bool ips_parse_i64(const char *s, int base, int64_t *out)
{
	if (!*s)
		return false;
	errno = 0;
	char *end = NULL;
	long long v = strtoll(s, &end, base);
	if (errno || !end || *end)
		return false;
	*out = v;
	return true;
}

ips_status_t ips_read_file(const char *path, size_t limit, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return IPS_E_INPUT;
	ips_buf_t b;
	ips_buf_init(&b, limit);
	char chunk[65536];
	ips_status_t st = IPS_OK;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			st = IPS_E_INPUT;
			break;
		}
		if (n == 0)
			break;
		if (ips_buf_append(&b, chunk, (size_t)n) != IPS_OK) {
			st = IPS_E_LIMIT;
			break;
		}
	}
	close(fd);
	if (st != IPS_OK) {
		ips_buf_free(&b);
		return st;
	}
	*len = b.len;
	*data = ips_buf_steal(&b);
	return IPS_OK;
}

const char *ips_kv_get(const ips_kv_t *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return NULL;
}

void ips_kv_add(ips_kv_t **kv, size_t *n, const char *key, const char *value)
{
	*kv = ips_xrealloc(*kv, (*n + 1) * sizeof **kv);
	(*kv)[*n].key = ips_xstrdup(key);
	(*kv)[*n].value = ips_xstrdup(value);
	(*n)++;
}
