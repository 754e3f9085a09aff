/* SPDX-License-Identifier: Apache-2.0 */
/*
 * winevent_priv.h - the Windows event model's private state, shared by
 * winevent.c (storage, time, flat-export names, the record) and
 * winevent_derive.c (names and fields derived from a whole event) and by
 * nothing else. Other modules use winevent.h. Strings returned by
 * ips_we_str() point into the event's arena (valid until the next event).
 */
#ifndef IPS_WINEVENT_PRIV_H
#define IPS_WINEVENT_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

/* Included after input/winevent.h (ips_winevent_t, IPS_WINEVENT_MAX_FIELDS),
 * which it does not include itself: the two files of the module include both,
 * and a header that included its module's own header back would be a circle
 * to tools/check-includes. */

#define NONE ((size_t)-1)
#define UNRESOLVED " (unresolved message reference)"

enum kind {
	K_SYS,   /* Provider, EventID, ...: first in the text */
	K_DATA,  /* EventData values */
	K_EXTRA, /* other fields of the export */
	K_RAW,   /* a known field under its export name: fields only */
	K_ALIAS, /* peer, local, user, conn: fields only */
};

typedef struct wfield {
	enum kind kind;
	unsigned pos;  /* 1-based position of an unnamed EventData value, else 0 */
	size_t name;   /* arena offsets; name NONE while an unnamed value has no name */
	size_t val;
	unsigned rank; /* keymap preference of the name that set a system field */
} wfield_t;

struct ips_winevent {
	size_t max_record;
	ips_buf_t arena;   /* NUL-terminated names and values */
	ips_buf_t msg;
	ips_buf_t text;
	wfield_t f[IPS_WINEVENT_MAX_FIELDS];
	size_t nf;
	unsigned unnamed;
	ips_kv_t kv[IPS_WINEVENT_MAX_FIELDS];
	ips_time_t time;
	unsigned time_rank;
	uint64_t offset, line;
	bool truncated;
	bool any;
};

/* The arena offset of s (n bytes, then suffix, NUL-terminated); NONE when full. */
size_t ips_we_store(ips_winevent_t *ev, const char *s, size_t n, const char *suffix);
const char *ips_we_str(const ips_winevent_t *ev, size_t off);
/* The field of that name and kind (kind < 0: any), or NULL. */
wfield_t *ips_we_find(ips_winevent_t *ev, const char *name, int kind);
/* A new field (name may be NULL: an unnamed value), or NULL when the event is full. */
wfield_t *ips_we_add(ips_winevent_t *ev, enum kind kind, const char *name, const char *v,
		     size_t n, const char *suffix);
void ips_we_trim(const char **v, size_t *n);
bool ips_we_all_digits(const char *s, size_t n);
/* A %%NNNN (or %N) message reference. */
bool ips_we_is_param_ref(const char *v, size_t n);
/* winevent_derive.c: names, parsed fields and aliases, before the record is made. */
void ips_winevent_derive(ips_winevent_t *ev);

#endif
