/* SPDX-License-Identifier: Apache-2.0 */
/* winevent.c - the Windows event model (see winevent.h). */
#include "input/winevent.h"

#include <stdlib.h>
#include <string.h>

#include "input/winparams.h"
#include "util/util.h"

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

ips_winevent_t *ips_winevent_new(size_t max_record)
{
	ips_winevent_t *ev = ips_xcalloc(1, sizeof *ev);
	ev->max_record = max_record;
	ips_buf_init(&ev->arena, max_record);
	ips_buf_init(&ev->msg, max_record);
	ips_buf_init(&ev->text, max_record);
	return ev;
}

void ips_winevent_free(ips_winevent_t *ev)
{
	if (!ev)
		return;
	ips_buf_free(&ev->arena);
	ips_buf_free(&ev->msg);
	ips_buf_free(&ev->text);
	free(ev);
}

void ips_winevent_begin(ips_winevent_t *ev, uint64_t offset, uint64_t line)
{
	ips_buf_reset(&ev->arena);
	ips_buf_reset(&ev->msg);
	ips_buf_reset(&ev->text);
	ev->nf = 0;
	ev->unnamed = 0;
	memset(&ev->time, 0, sizeof ev->time);
	ev->time_rank = ~0u;
	ev->offset = offset;
	ev->line = line;
	ev->truncated = false;
	ev->any = false;
}

bool ips_winevent_empty(const ips_winevent_t *ev)
{
	return !ev->any;
}

void ips_winevent_truncated(ips_winevent_t *ev)
{
	ev->truncated = true;
}

void ips_winlines_init(ips_winlines_framer_t *w, size_t cap, const ips_frame_start_t *at,
		       ips_winevent_t *ev, ips_winevent_line_cb_t cb, void *ctx)
{
	w->buf = ips_xmalloc(cap);
	w->cap = cap;
	w->have = 0;
	w->base = at->offset;
	w->line = at->line;
	w->skipping = false;
	w->ev = ev;
	w->cb = cb;
	w->ctx = ctx;
}

/* Pass the whole lines in buf on (at eof the rest too); cut a line that fills it. */
static void winlines_step(ips_winlines_framer_t *w, bool eof)
{
	char *buf = w->buf;
	size_t pos = 0, have = w->have;
	for (;;) {
		char *nl = memchr(buf + pos, '\n', have - pos);
		if (!nl)
			break;
		size_t len = (size_t)(nl - (buf + pos));
		if (!w->skipping)
			w->cb(w->ctx, buf + pos, len, w->base + pos, w->line);
		w->skipping = false;
		pos += len + 1;
		w->line++;
	}
	if (eof) {
		if (pos < have && !w->skipping)
			w->cb(w->ctx, buf + pos, have - pos, w->base + pos, w->line);
		pos = have;
	} else if (pos == 0 && have == w->cap) {
		/* a line longer than the buffer: keep its start, skip the rest */
		if (!w->skipping) {
			w->cb(w->ctx, buf, have, w->base, w->line);
			ips_winevent_truncated(w->ev);
		}
		w->skipping = true;
		pos = have;
	}
	w->base += pos;
	memmove(buf, buf + pos, have - pos);
	w->have = have - pos;
}

char *ips_winlines_room(ips_framer_t *f, size_t *n)
{
	ips_winlines_framer_t *w = (ips_winlines_framer_t *)f;
	*n = w->cap - w->have;
	return w->buf + w->have;
}

void ips_winlines_filled(ips_framer_t *f, size_t k)
{
	ips_winlines_framer_t *w = (ips_winlines_framer_t *)f;
	w->have += k;
	winlines_step(w, false);
}

void ips_winlines_feed(ips_framer_t *f, const char *p, size_t n)
{
	ips_winlines_framer_t *w = (ips_winlines_framer_t *)f;
	while (n) {
		size_t k = w->cap - w->have < n ? w->cap - w->have : n;
		memcpy(w->buf + w->have, p, k);
		p += k;
		n -= k;
		ips_winlines_filled(f, k);
	}
}

uint64_t ips_winlines_end(ips_winlines_framer_t *w, bool broken)
{
	if (!broken)
		winlines_step(w, true);
	uint64_t bytes = w->base + w->have;
	free(w->buf);
	w->buf = NULL;
	return bytes;
}

/* ---- storage ----------------------------------------------------------- */

/* Copy s into the arena (CR LF -> LF, NUL dropped), NUL-terminated. */
static size_t store(ips_winevent_t *ev, const char *s, size_t n, const char *suffix)
{
	size_t sl = suffix ? strlen(suffix) : 0;
	if (ev->arena.len + 1 >= ev->arena.limit) {
		ev->truncated = true;
		return NONE;
	}
	size_t at = ev->arena.len;
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\0' || (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')) {
			if (ips_buf_append(&ev->arena, s + start, i - start) != IPS_OK)
				goto full;
			start = i + 1;
		}
	}
	if (ips_buf_append(&ev->arena, s + start, n - start) != IPS_OK ||
	    (sl && ips_buf_append(&ev->arena, suffix, sl) != IPS_OK))
		goto full;
	if (ips_buf_putc(&ev->arena, '\0') == IPS_OK)
		return at;
full:
	/* keep what fits, NUL-terminated */
	ev->truncated = true;
	ev->arena.len = ev->arena.limit - 1 > at ? ev->arena.limit - 1 : at;
	ev->arena.data[ev->arena.len++] = '\0';
	return at;
}

static const char *str(const ips_winevent_t *ev, size_t off)
{
	return off == NONE ? NULL : ev->arena.data + off;
}

static wfield_t *find(ips_winevent_t *ev, const char *name, int kind)
{
	for (size_t i = 0; i < ev->nf; i++) {
		wfield_t *f = &ev->f[i];
		if (f->name == NONE || (kind >= 0 && f->kind != (enum kind)kind))
			continue;
		const char *fn = str(ev, f->name);
		if (fn[0] == name[0] && strcmp(fn, name) == 0)
			return f;
	}
	return NULL;
}

const char *ips_winevent_get(const ips_winevent_t *ev, const char *name)
{
	wfield_t *f = find((ips_winevent_t *)ev, name, -1);
	return f ? str(ev, f->val) : NULL;
}

static wfield_t *add(ips_winevent_t *ev, enum kind kind, const char *name, const char *v,
		     size_t n, const char *suffix)
{
	if (ev->nf >= IPS_WINEVENT_MAX_FIELDS) {
		ev->truncated = true;
		return NULL;
	}
	size_t no = NONE;
	if (name) {
		no = store(ev, name, strlen(name), NULL);
		if (no == NONE)
			return NULL;
	}
	size_t vo = store(ev, v, n, suffix);
	if (vo == NONE)
		return NULL;
	wfield_t *f = &ev->f[ev->nf++];
	f->kind = kind;
	f->pos = 0;
	f->rank = ~0u;
	f->name = no;
	f->val = vo;
	ev->any = true;
	return f;
}

static void trim(const char **v, size_t *n)
{
	while (*n && (**v == ' ' || **v == '\t' || **v == '\r' || **v == '\n'))
		(*v)++, (*n)--;
	while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t' || (*v)[*n - 1] == '\r' ||
		      (*v)[*n - 1] == '\n'))
		(*n)--;
}

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* %%8194: a parameter-message reference the export did not resolve. */
static bool is_param_ref(const char *v, size_t n)
{
	return n > 2 && v[0] == '%' && v[1] == '%' && all_digits(v + 2, n - 2);
}

static const char *level_word(const char *v, size_t n)
{
	static const char *const words[] = {"Information", "Critical", "Error", "Warning",
					    "Information", "Verbose"};
	if (n == 1 && v[0] >= '0' && v[0] <= '5')
		return words[v[0] - '0'];
	return NULL;
}

void ips_winevent_set(ips_winevent_t *ev, const char *name, const char *v, size_t n)
{
	trim(&v, &n);
	if (!n || (n == 3 && !memcmp(v, "N/A", 3)))
		return;
	bool is_level = !strcmp(name, "Level");
	if (is_level) {
		const char *w = level_word(v, n);
		if (w) {
			if (find(ev, "Level", K_SYS))
				return; /* a word (RenderingInfo, LevelDisplayName) is there */
			v = w;
			n = strlen(w);
		}
	}
	wfield_t *old = find(ev, name, K_SYS);
	if (old) {
		/* replace: the old value stays in the arena, unused */
		size_t vo = store(ev, v, n, NULL);
		if (vo != NONE)
			old->val = vo;
		return;
	}
	add(ev, K_SYS, name, v, n, NULL);
}

void ips_winevent_data(ips_winevent_t *ev, const char *name, const char *v, size_t n)
{
	const char *suffix = is_param_ref(v, n) ? UNRESOLVED : NULL;
	if (name && *name) {
		add(ev, K_DATA, name, v, n, suffix);
		return;
	}
	wfield_t *f = add(ev, K_DATA, NULL, v, n, suffix);
	if (f)
		f->pos = ++ev->unnamed;
}

void ips_winevent_data_at(ips_winevent_t *ev, unsigned pos, const char *v, size_t n)
{
	const char *suffix = is_param_ref(v, n) ? UNRESOLVED : NULL;
	wfield_t *f = add(ev, K_DATA, NULL, v, n, suffix);
	if (f) {
		f->pos = pos;
		if (pos > ev->unnamed)
			ev->unnamed = pos;
	}
}

void ips_winevent_extra(ips_winevent_t *ev, const char *name, const char *v, size_t n)
{
	add(ev, K_EXTRA, name, v, n, is_param_ref(v, n) ? UNRESOLVED : NULL);
}

void ips_winevent_message(ips_winevent_t *ev, const char *v, size_t n)
{
	if (ips_buf_append(&ev->msg, v, n) != IPS_OK)
		ev->truncated = true;
	ev->any = true;
}

void ips_winevent_time(ips_winevent_t *ev, const ips_time_t *t, bool replace)
{
	if (!t->valid || (ev->time.valid && !replace))
		return;
	ev->time = *t;
	ev->any = true;
}

/* ---- time -------------------------------------------------------------- */

static bool num_at(const char *s, size_t n, size_t *i, size_t maxd, int *out)
{
	size_t d = 0;
	int v = 0;
	while (*i < n && d < maxd && s[*i] >= '0' && s[*i] <= '9') {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		d++;
	}
	*out = v;
	return d > 0;
}

/* "/Date(1772697494000)/", "\/Date(1772697494000+0100)\/" */
static bool parse_ms_date(const char *s, size_t n, ips_time_t *out)
{
	const char *p = memmem(s, n, "Date(", 5);
	if (!p)
		return false;
	size_t i = (size_t)(p - s) + 5;
	bool neg = i < n && s[i] == '-';
	i += neg;
	int64_t ms = 0;
	size_t d = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9' && d < 15) {
		ms = ms * 10 + (s[i] - '0');
		i++;
		d++;
	}
	if (!d)
		return false;
	/* the UTC instant is the number; a +hhmm suffix only says the zone */
	if (i < n && (s[i] == '+' || s[i] == '-'))
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (i >= n || s[i] != ')')
		return false;
	if (neg)
		ms = -ms;
	memset(out, 0, sizeof *out);
	int64_t sec = ms / 1000, rem = ms % 1000;
	if (rem < 0) {
		rem += 1000;
		sec--;
	}
	out->sec = sec;
	out->nsec = (int32_t)(rem * 1000000);
	out->frac = 3;
	out->valid = true;
	return true;
}

/* en-US "3/5/2026 7:58:14 AM", "10/7/2016 06:38:24 PM", or 24-hour. */
static bool parse_us_date(const char *s, size_t n, ips_time_t *out)
{
	size_t i = 0;
	int mo, d, y, h, mi, se = 0;
	if (!num_at(s, n, &i, 2, &mo) || i >= n || s[i++] != '/' || !num_at(s, n, &i, 2, &d) ||
	    i >= n || s[i++] != '/')
		return false;
	size_t y0 = i;
	if (!num_at(s, n, &i, 4, &y) || i - y0 != 4)
		return false;
	if (i >= n || (s[i] != ' ' && s[i] != 'T'))
		return false;
	while (i < n && s[i] == ' ')
		i++;
	if (s[i] == 'T')
		i++;
	if (!num_at(s, n, &i, 2, &h) || i >= n || s[i++] != ':' || !num_at(s, n, &i, 2, &mi))
		return false;
	if (i < n && s[i] == ':') {
		i++;
		if (!num_at(s, n, &i, 2, &se))
			return false;
	}
	while (i < n && s[i] == ' ')
		i++;
	if (i + 1 < n && (s[i + 1] == 'M' || s[i + 1] == 'm')) {
		char c = s[i];
		if (h < 1 || h > 12)
			return false;
		if (c == 'P' || c == 'p')
			h = h % 12 + 12;
		else if (c == 'A' || c == 'a')
			h = h % 12;
		else
			return false;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970 || h > 23 || mi > 59 || se > 60)
		return false;
	memset(out, 0, sizeof *out);
	out->sec = ips_local_to_utc(y, mo, d, h, mi, se);
	out->valid = true;
	return true;
}

bool ips_winevent_parse_time(const char *s, size_t n, ips_time_t *out)
{
	trim(&s, &n);
	if (!n)
		return false;
	if (ips_time_parse_iso(s, n, out) > 0)
		return true;
	if (parse_ms_date(s, n, out))
		return true;
	if (parse_us_date(s, n, out))
		return true;
	if (n >= 17 && n <= 19 && all_digits(s, n)) {
		/* FILETIME: 100 ns units since 1601-01-01 */
		uint64_t ft = strtoull(s, NULL, 10);
		memset(out, 0, sizeof *out);
		out->sec = (int64_t)(ft / 10000000ULL) - 11644473600LL;
		out->nsec = (int32_t)(ft % 10000000ULL) * 100;
		out->frac = 7;
		out->valid = out->sec > 0;
		return out->valid;
	}
	return false;
}

/* ---- flat exports: known names --------------------------------------- */

typedef struct keymap {
	const char *key;
	const char *sys;  /* canonical system field, or "time" / "Message" */
} keymap_t;

/* In order of preference within each field: the event's own Computer beats the
 * collecting agent's host name, a Level word beats a number, the time the
 * event was created beats the time it was shipped. */
static const keymap_t keymap[] = {
	{"Provider", "Provider"}, {"ProviderName", "Provider"}, {"winlog.provider_name", "Provider"},
	{"event.provider", "Provider"}, {"Source", "Provider"},
	{"EventID", "EventID"}, {"Id", "EventID"}, {"Event ID", "EventID"}, {"EventId", "EventID"},
	{"winlog.event_id", "EventID"}, {"event.code", "EventID"},
	{"LevelDisplayName", "Level"}, {"EntryType", "Level"}, {"Level", "Level"},
	{"winlog.level", "Level"}, {"log.level", "Level"},
	{"RecordID", "RecordID"}, {"RecordId", "RecordID"}, {"EventRecordID", "RecordID"},
	{"Index", "RecordID"}, {"winlog.record_id", "RecordID"},
	{"Channel", "Channel"}, {"LogName", "Channel"}, {"Log Name", "Channel"},
	{"winlog.channel", "Channel"},
	{"Computer", "Computer"}, {"MachineName", "Computer"}, {"winlog.computer_name", "Computer"},
	{"host.name", "Computer"}, {"host.hostname", "Computer"}, {"_HOSTNAME", "Computer"},
	{"TaskDisplayName", "Task"}, {"Task Category", "Task"}, {"winlog.task", "Task"},
	{"Task", "Task"},
	{"KeywordsDisplayNames", "Keywords"}, {"Keywords", "Keywords"},
	{"TimeCreated", "time"}, {"Date and Time", "time"}, {"TimeGenerated", "time"},
	{"Date", "time"}, {"@timestamp", "time"}, {"event.created", "time"},
	{"__REALTIME_TIMESTAMP", "time_us"},
	{"Message", "Message"}, {"message", "Message"}, {"MESSAGE", "Message"},
	{NULL, NULL},
};

static const char *const data_prefixes[] = {"winlog.event_data.", "winlog.user_data.",
					    "EventData.", "event_data.", NULL};

/* "Properties[3]", "Properties[3].Value", "ReplacementStrings[0]": 4, 4, 1 */
static unsigned positional(const char *key)
{
	static const char *const arrays[] = {"Properties[", "ReplacementStrings[", NULL};
	for (int i = 0; arrays[i]; i++) {
		size_t l = strlen(arrays[i]);
		if (strncmp(key, arrays[i], l))
			continue;
		const char *p = key + l;
		unsigned v = 0;
		size_t d = 0;
		while (*p >= '0' && *p <= '9' && d < 4) {
			v = v * 10 + (unsigned)(*p++ - '0');
			d++;
		}
		if (!d || *p != ']')
			return 0;
		p++;
		if (*p == '\0' || !strcmp(p, ".Value"))
			return v + 1;
		return 0;
	}
	return 0;
}

/* journald's __REALTIME_TIMESTAMP: microseconds since the epoch. */
static bool parse_us(const char *s, size_t n, ips_time_t *out)
{
	if (n < 10 || n > 19 || !all_digits(s, n))
		return false;
	uint64_t us = strtoull(s, NULL, 10);
	memset(out, 0, sizeof *out);
	out->sec = (int64_t)(us / 1000000);
	out->nsec = (int32_t)(us % 1000000) * 1000;
	out->frac = 6;
	out->valid = true;
	return true;
}

/* A .NET type name where a collection was turned into a string (Export-Csv). */
static bool is_type_name(const char *v, size_t n)
{
	if (n < 8 || memcmp(v, "System.", 7))
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] == ' ')
			return false;
	return true;
}

void ips_winevent_field(ips_winevent_t *ev, const char *key, const char *v, size_t n,
			bool keep_raw)
{
	const char *tv = v;
	size_t tn = n;
	trim(&tv, &tn);
	if (!tn || is_type_name(tv, tn))
		return;
	unsigned pos = positional(key);
	if (pos) {
		ips_winevent_data_at(ev, pos, tv, tn);
		if (keep_raw)
			add(ev, K_RAW, key, tv, tn, is_param_ref(tv, tn) ? UNRESOLVED : NULL);
		return;
	}
	for (int i = 0; data_prefixes[i]; i++) {
		size_t l = strlen(data_prefixes[i]);
		if (!strncmp(key, data_prefixes[i], l) && key[l]) {
			ips_winevent_data(ev, key + l, v, n);
			if (keep_raw)
				add(ev, K_RAW, key, v, n, is_param_ref(tv, tn) ? UNRESOLVED : NULL);
			return;
		}
	}
	for (int i = 0; keymap[i].key; i++) {
		if (keymap[i].key[0] != key[0] || strcmp(key, keymap[i].key))
			continue;
		const char *sys = keymap[i].sys;
		if (!strcmp(sys, "Message")) {
			ips_winevent_message(ev, v, n);
			return; /* never kept twice: it is the biggest value */
		}
		unsigned rank = (unsigned)i;
		if (!strncmp(sys, "time", 4)) {
			ips_time_t t;
			if ((!ev->time.valid || rank < ev->time_rank) &&
			    (sys[4] ? parse_us(tv, tn, &t) : ips_winevent_parse_time(tv, tn, &t))) {
				ips_winevent_time(ev, &t, true);
				ev->time_rank = rank;
			}
		} else {
			/* a more preferred name replaces a value set by a less preferred one */
			wfield_t *f = find(ev, sys, K_SYS);
			if (!f || rank < f->rank) {
				ips_winevent_set(ev, sys, tv, tn);
				f = find(ev, sys, K_SYS);
				if (f)
					f->rank = rank;
			}
		}
		if (keep_raw)
			add(ev, K_RAW, key, tv, tn, is_param_ref(tv, tn) ? UNRESOLVED : NULL);
		return;
	}
	ips_winevent_extra(ev, key, v, n);
}

/* ---- names derived at emit time ------------------------------------- */

static bool streq_ci(const char *a, const char *b)
{
	return a && b && ips_streq_nocase(a, b);
}

static bool is_rasclient(const ips_winevent_t *ev)
{
	const char *p = ips_winevent_get(ev, "Provider");
	return streq_ci(p, "RasClient") || streq_ci(p, "Microsoft-Windows-RasClient");
}

/* The RRAS server's classic source (System log) */
static bool is_remoteaccess(const ips_winevent_t *ev)
{
	const char *p = ips_winevent_get(ev, "Provider");
	return streq_ci(p, "RemoteAccess") || streq_ci(p, "Microsoft-Windows-RemoteAccess");
}

static bool is_security(const ips_winevent_t *ev)
{
	return streq_ci(ips_winevent_get(ev, "Provider"), "Microsoft-Windows-Security-Auditing");
}

static long event_id(const ips_winevent_t *ev)
{
	const char *v = ips_winevent_get(ev, "EventID");
	int64_t id;
	return v && ips_parse_i64(v, 10, &id) && id >= 0 && id < 65536 ? (long)id : -1;
}

/*
 * Names of unnamed insertion strings. RasClient 20227 is documented (CoId,
 * user, connection, error code); 20220 has the error code as %3; 20221,
 * 20225 and 20226 are read the same way as 20227 (inference). 4653's order
 * is the manifest's (for PowerShell's positional Properties).
 */
static const char *const ras4[] = {"CoId", "UserName", "ConnectionName", "ErrorCode", NULL};
static const char *const ras_term[] = {"CoId", "UserName", "ConnectionName", "ReasonCode", NULL};
static const char *const ras3[] = {"CoId", "UserName", "ConnectionName", NULL};
static const char *const ras20220[] = {"CoId", "", "ErrorCode", NULL};
/*
 * RemoteAccess (mprlog.h ROUTERLOG_*; current Windows puts a routing domain
 * GUID first): 20111 "A Demand Dial connection to the remote interface %2
 * on port %3 was successfully initiated but failed to complete successfully
 * because of the following error: %4" (its binary data is the error code);
 * 20271 "The user %2 connected from %3 but failed an authentication attempt
 * due to the following reason: %4".
 */
static const char *const rras20111[] = {"RoutingDomainID", "InterfaceName", "Port", "ErrorText",
					NULL};
static const char *const rras20271[] = {"RoutingDomainID", "UserName", "RemoteAddress", "Reason",
					NULL};
static const char *const sec4653[] = {
	"LocalMMPrincipalName", "RemoteMMPrincipalName", "LocalAddress", "LocalKeyModPort",
	"RemoteAddress", "RemoteKeyModPort", "KeyModName", "FailurePoint", "FailureReason",
	"MMAuthMethod", "State", "Role", "MMImpersonationState", "MMFilterID", "InitiatorCookie",
	"ResponderCookie", NULL};

static const char *const *template_for(const ips_winevent_t *ev)
{
	long id = event_id(ev);
	if (is_rasclient(ev)) {
		switch (id) {
		case 20227: return ras4;
		case 20226: return ras_term;
		case 20221: case 20225: return ras3;
		case 20220: return ras20220;
		default: return NULL;
		}
	}
	if (is_remoteaccess(ev)) {
		switch (id) {
		case 20111: return rras20111;
		case 20271: return rras20271;
		default: return NULL;
		}
	}
	if (is_security(ev) && id == 4653)
		return sec4653;
	return NULL;
}

static void name_positional(ips_winevent_t *ev)
{
	const char *const *tpl = template_for(ev);
	size_t ntpl = 0;
	while (tpl && tpl[ntpl])
		ntpl++;
	/* RasClient and RRAS layouts start with a GUID; anything else is not ours */
	if (tpl && tpl[0] && (!strcmp(tpl[0], "CoId") || !strcmp(tpl[0], "RoutingDomainID"))) {
		const char *first = NULL;
		for (size_t i = 0; i < ev->nf && !first; i++)
			if (ev->f[i].kind == K_DATA && (ev->f[i].pos == 1 ||
			    (ev->f[i].name != NONE && !strcmp(str(ev, ev->f[i].name), "param1"))))
				first = str(ev, ev->f[i].val);
		if (first && first[0] != '{')
			tpl = NULL, ntpl = 0;
	}
	size_t nf = ev->nf;
	for (size_t i = 0; i < nf; i++) {
		wfield_t *f = &ev->f[i];
		if (f->kind != K_DATA)
			continue;
		unsigned pos = f->pos;
		/* winlogbeat names unnamed values param1, param2, ... */
		if (f->name != NONE) {
			const char *nm = str(ev, f->name);
			if (!tpl || strncmp(nm, "param", 5) || !all_digits(nm + 5, strlen(nm + 5)))
				continue;
			pos = (unsigned)atoi(nm + 5);
		}
		char buf[32];
		const char *nm = NULL;
		if (pos >= 1 && pos <= ntpl && tpl[pos - 1][0])
			nm = tpl[pos - 1];
		else if (f->name != NONE)
			continue;
		else {
			snprintf(buf, sizeof buf, "Data%u", pos);
			nm = buf;
		}
		if (find(ev, nm, K_DATA))
			continue; /* a named value of that name exists: keep the position */
		size_t no = store(ev, nm, strlen(nm), NULL);
		if (no != NONE)
			f->name = no;
	}
	/* anything still unnamed (arena full) is dropped from the output */
}

/* Set a data field from the message unless the event already has it. */
static void derived(ips_winevent_t *ev, const char *name, const char *v, size_t n)
{
	trim(&v, &n);
	if (!n || find(ev, name, K_DATA))
		return;
	add(ev, K_DATA, name, v, n, NULL);
}

/* The text from p up to the first of `ends`; *rest points after that end. */
static bool upto(const char *p, size_t left, const char *const *ends, const char **v, size_t *n,
		 const char **rest)
{
	const char *best = NULL;
	size_t best_len = 0;
	for (int i = 0; ends[i]; i++) {
		const char *e = memmem(p, left, ends[i], strlen(ends[i]));
		if (e && (!best || e < best)) {
			best = e;
			best_len = strlen(ends[i]);
		}
	}
	if (!best)
		return false;
	*v = p;
	*n = (size_t)(best - p);
	if (rest)
		*rest = best + best_len;
	return true;
}

/* The text between `after` and the first of `ends`. */
static bool between(const char *m, size_t mn, const char *after, const char *const *ends,
		    const char **v, size_t *n, const char **rest)
{
	const char *p = memmem(m, mn, after, strlen(after));
	if (!p)
		return false;
	p += strlen(after);
	return upto(p, mn - (size_t)(p - m), ends, v, n, rest);
}

static void digits_after(ips_winevent_t *ev, const char *m, size_t mn, const char *after,
			 const char *name)
{
	const char *p = memmem(m, mn, after, strlen(after));
	if (!p)
		return;
	p += strlen(after);
	size_t i = 0, left = mn - (size_t)(p - m);
	while (i < left && p[i] >= '0' && p[i] <= '9')
		i++;
	if (i)
		derived(ev, name, p, i);
}

/* RasClient messages (as in the Application log, en-US). */
static void parse_ras_message(ips_winevent_t *ev, const char *m, size_t mn)
{
	static const char *const dialed[] = {" dialed a connection named ", NULL};
	static const char *const failed[] = {" that has ", " which has ", NULL};
	static const char *const started[] = {" has started dialing", NULL};
	static const char *const established[] = {" has successfully established a connection to ",
						  NULL};
	static const char *const device[] = {" using the device ", ".", NULL};
	static const char *const dot[] = {".", NULL};
	const char *v, *rest;
	size_t n;
	if (mn > 6 && !memcmp(m, "CoId=", 5)) {
		const char *e = memchr(m, ':', mn);
		if (e)
			derived(ev, "CoId", m + 5, (size_t)(e - m) - 5);
	}
	if (between(m, mn, "The user ", dialed, &v, &n, &rest)) {
		/* 20227/20226: "The user <user> dialed a connection named <conn>
		 * which has failed." ("that has" in newer wording) */
		derived(ev, "UserName", v, n);
		if (upto(rest, mn - (size_t)(rest - m), failed, &v, &n, NULL))
			derived(ev, "ConnectionName", v, n);
	} else if (between(m, mn, "The user ", started, &v, &n, NULL)) {
		/* 20221: "The user <user> has started dialing a VPN connection using
		 * a per-user connection profile named <conn>. The connection
		 * settings are: ..." (wording from experience) */
		derived(ev, "UserName", v, n);
		if (between(m, mn, "connection profile named ", dot, &v, &n, NULL))
			derived(ev, "ConnectionName", v, n);
	} else if (between(m, mn, "The user ", established, &v, &n, &rest)) {
		/* 20225: "The user <user> has successfully established a connection
		 * to <conn> using the device <device>." (wording from experience) */
		derived(ev, "UserName", v, n);
		if (upto(rest, mn - (size_t)(rest - m), device, &v, &n, NULL))
			derived(ev, "ConnectionName", v, n);
	}
	digits_after(ev, m, mn, "The error code returned on failure is ", "ErrorCode");
	digits_after(ev, m, mn, "The reason code returned on termination is ", "ReasonCode");
}

/* RemoteAccess messages (en-US wording of mprlog.h, see rras20111 above). */
static void parse_rras_message(ips_winevent_t *ev, const char *m, size_t mn)
{
	static const char *const on_port[] = {" on port ", NULL};
	static const char *const was[] = {" was successfully initiated", " failed to be", NULL};
	static const char *const from[] = {" connected from ", NULL};
	static const char *const but[] = {" but failed an authentication attempt", NULL};
	static const char *const reason[] = {"due to the following reason: ", NULL};
	const char *v, *rest;
	size_t n;
	if (between(m, mn, "Demand Dial connection to the remote interface ", on_port, &v, &n,
		    &rest)) {
		derived(ev, "InterfaceName", v, n);
		if (upto(rest, mn - (size_t)(rest - m), was, &v, &n, NULL))
			derived(ev, "Port", v, n);
	}
	if (between(m, mn, "The user ", from, &v, &n, &rest)) {
		derived(ev, "UserName", v, n);
		if (upto(rest, mn - (size_t)(rest - m), but, &v, &n, &rest))
			derived(ev, "RemoteAddress", v, n);
	}
	if (upto(m, mn, reason, &v, &n, &rest))
		derived(ev, "Reason", rest, mn - (size_t)(rest - m));
}

/*
 * Labelled lines of the IPsec audit messages ("\tNetwork Address:\t\t1.2.3.4"
 * under "Remote Endpoint:"). The names are 4653's EventData names; for the
 * other events they follow the same pattern (inference).
 */
typedef struct label {
	const char *section; /* NULL: any section */
	const char *label;
	const char *name;
} label_t;

static const label_t labels[] = {
	{"Local Endpoint", "Local Principal Name", "LocalMMPrincipalName"},
	{"Local Endpoint", "Principal Name", "LocalMMPrincipalName"},
	{"Local Endpoint", "Network Address", "LocalAddress"},
	{"Local Endpoint", "Keying Module Port", "LocalKeyModPort"},
	{"Remote Endpoint", "Principal Name", "RemoteMMPrincipalName"},
	{"Remote Endpoint", "Network Address", "RemoteAddress"},
	{"Remote Endpoint", "Keying Module Port", "RemoteKeyModPort"},
	{"Remote Endpoint", "Private Address", "RemotePrivateAddress"},
	{NULL, "Local Network Address", "LocalAddress"},
	{NULL, "Remote Network Address", "RemoteAddress"},
	{NULL, "Keying Module Name", "KeyModName"},
	{NULL, "Authentication Method", "MMAuthMethod"},
	{NULL, "Role", "Role"},
	{NULL, "Impersonation State", "MMImpersonationState"},
	{NULL, "Main Mode Filter ID", "MMFilterID"},
	{NULL, "Quick Mode Filter ID", "QMFilterID"},
	{NULL, "Main Mode SA ID", "MMSAID"},
	{NULL, "Failure Point", "FailurePoint"},
	{NULL, "Failure Reason", "FailureReason"},
	{NULL, "State", "State"},
	{NULL, "Message ID", "MessageID"},
	{NULL, "Initiator Cookie", "InitiatorCookie"},
	{NULL, "Responder Cookie", "ResponderCookie"},
	{NULL, "Inbound SA SPI", "SPI"},
	{NULL, NULL, NULL},
};

static void parse_label_lines(ips_winevent_t *ev, const char *m, size_t mn)
{
	char section[64] = "";
	const char *p = m, *end = m + mn;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		const char *l = p;
		size_t ln = (size_t)(e - p);
		p = e + 1;
		trim(&l, &ln);
		const char *colon = memchr(l, ':', ln);
		if (!colon)
			continue;
		size_t labl = (size_t)(colon - l);
		const char *v = colon + 1;
		size_t vn = ln - labl - 1;
		trim(&v, &vn);
		if (!vn) {
			if (labl < sizeof section) {
				memcpy(section, l, labl);
				section[labl] = '\0';
			}
			continue;
		}
		for (int i = 0; labels[i].label; i++) {
			if (strlen(labels[i].label) != labl || memcmp(labels[i].label, l, labl))
				continue;
			if (labels[i].section && strcmp(labels[i].section, section))
				continue;
			if (is_param_ref(v, vn)) {
				char tmp[64];
				if (vn + sizeof UNRESOLVED < sizeof tmp) {
					memcpy(tmp, v, vn);
					memcpy(tmp + vn, UNRESOLVED, sizeof UNRESOLVED);
					derived(ev, labels[i].name, tmp, strlen(tmp));
				}
			} else {
				derived(ev, labels[i].name, v, vn);
			}
			break;
		}
	}
}

/*
 * A Security-Auditing event's %%NNNN references become the words of its
 * parameter message file (rules/params/security-auditing.tsv); other
 * providers' references, and numbers the table lacks, stay marked as
 * unresolved.
 */
static void resolve_params(ips_winevent_t *ev)
{
	if (!is_security(ev))
		return;
	size_t sl = strlen(UNRESOLVED);
	for (size_t i = 0; i < ev->nf; i++) {
		wfield_t *f = &ev->f[i];
		const char *v = str(ev, f->val);
		size_t n = v ? strlen(v) : 0;
		if (n <= sl || strcmp(v + n - sl, UNRESOLVED) || !is_param_ref(v, n - sl))
			continue;
		int64_t id;
		char num[16];
		if (n - sl - 2 >= sizeof num)
			continue;
		memcpy(num, v + 2, n - sl - 2);
		num[n - sl - 2] = '\0';
		if (!ips_parse_i64(num, 10, &id))
			continue;
		for (const ips_winparam_t *p = ips_winparams; p->word; p++)
			if ((int64_t)p->id == id) {
				size_t vo = store(ev, p->word, strlen(p->word), NULL);
				if (vo != NONE)
					f->val = vo;
				break;
			}
	}
}

static void alias(ips_winevent_t *ev, const char *alias_name, const char *const *from)
{
	if (find(ev, alias_name, -1))
		return;
	for (int i = 0; from[i]; i++) {
		const char *v = ips_winevent_get(ev, from[i]);
		if (v && *v && strcmp(v, "-") != 0) {
			/* v points into the arena, which adding may move */
			char *copy = ips_xstrdup(v);
			add(ev, K_ALIAS, alias_name, copy, strlen(copy), NULL);
			free(copy);
			return;
		}
	}
}

/* Text kept of one extra field: the message after them must still fit. */
#define EXTRA_TEXT_MAX 1024

static void render_field(ips_winevent_t *ev, const char *name, const char *val, size_t max)
{
	size_t n = strlen(val);
	bool cut = n > max;
	if (ev->text.len)
		ips_buf_putc(&ev->text, '\t');
	ips_buf_append(&ev->text, name, strlen(name));
	ips_buf_putc(&ev->text, '=');
	if (ips_buf_append(&ev->text, val, cut ? max : n) != IPS_OK ||
	    (cut && ips_buf_append(&ev->text, "...", 3) != IPS_OK))
		ev->truncated = true;
}

static const char *const sys_order[] = {"Provider", "EventID", "Computer", "Channel", "Level",
					"Task", "Keywords", "RecordID", "UserID", NULL};

void ips_winevent_emit(ips_winevent_t *ev, ips_sink_t *sink)
{
	/* the message as plain text: CR LF -> LF */
	size_t w = 0;
	for (size_t i = 0; i < ev->msg.len; i++)
		if (!(ev->msg.data[i] == '\r' && i + 1 < ev->msg.len && ev->msg.data[i + 1] == '\n'))
			ev->msg.data[w++] = ev->msg.data[i];
	while (w && (ev->msg.data[w - 1] == '\n' || ev->msg.data[w - 1] == ' ' ||
		     ev->msg.data[w - 1] == '\t' || ev->msg.data[w - 1] == '\r'))
		w--;
	ev->msg.len = w;
	if (ev->msg.data)
		ev->msg.data[w] = '\0';

	name_positional(ev);
	resolve_params(ev);
	if (ev->msg.len) {
		if (is_rasclient(ev) || is_remoteaccess(ev)) {
			/* one-paragraph messages: a line break (a wrapped export) is a space */
			char *flat = ips_xstrndup(ev->msg.data, ev->msg.len);
			for (char *c = flat; *c; c++)
				if (*c == '\n' || *c == '\r' || *c == '\t')
					*c = ' ';
			if (is_rasclient(ev))
				parse_ras_message(ev, flat, ev->msg.len);
			else
				parse_rras_message(ev, flat, ev->msg.len);
			free(flat);
		} else if (is_security(ev))
			parse_label_lines(ev, ev->msg.data, ev->msg.len);
	}
	/* WFP: the header's addresses, or a DoS Protection drop's public and
	 * internal host (FWPM_NET_EVENT_IPSEC_DOSP_DROP0) */
	alias(ev, "peer", (const char *const[]){"RemoteAddress", "remoteAddrV4", "remoteAddrV6",
						 "publicHostV4Addr", "publicHostV6Addr", NULL});
	alias(ev, "local", (const char *const[]){"LocalAddress", "localAddrV4", "localAddrV6",
						  "internalHostV4Addr", "internalHostV6Addr",
						  NULL});
	alias(ev, "user", (const char *const[]){"UserName", NULL});
	alias(ev, "conn", (const char *const[]){"ConnectionName", "InterfaceName", NULL});

	/* text: system fields in a fixed order, data, extras, the message */
	ips_buf_reset(&ev->text);
	for (int o = 0; sys_order[o]; o++) {
		wfield_t *f = find(ev, sys_order[o], K_SYS);
		if (f)
			render_field(ev, sys_order[o], str(ev, f->val), SIZE_MAX);
	}
	for (size_t i = 0; i < ev->nf; i++) {
		wfield_t *f = &ev->f[i];
		if (f->kind == K_SYS && f->name != NONE) {
			bool known = false;
			for (int o = 0; sys_order[o] && !known; o++)
				known = !strcmp(sys_order[o], str(ev, f->name));
			if (!known)
				render_field(ev, str(ev, f->name), str(ev, f->val), SIZE_MAX);
		}
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ev->nf; i++) {
			wfield_t *f = &ev->f[i];
			if (f->name != NONE && f->kind == (pass ? K_EXTRA : K_DATA))
				render_field(ev, str(ev, f->name), str(ev, f->val),
					     pass ? EXTRA_TEXT_MAX : SIZE_MAX);
		}
	if (ev->msg.len)
		render_field(ev, "Message", ev->msg.data, SIZE_MAX);

	/* fields: all but Computer (the record's host) and the message; each name once */
	size_t nkv = 0;
	for (size_t i = 0; i < ev->nf; i++) {
		wfield_t *f = &ev->f[i];
		if (f->name == NONE)
			continue;
		const char *nm = str(ev, f->name);
		if (f->kind == K_SYS && !strcmp(nm, "Computer"))
			continue;
		bool dup = false;
		for (size_t j = 0; j < nkv && !dup; j++)
			dup = ev->kv[j].key[0] == nm[0] && !strcmp(ev->kv[j].key, nm);
		if (dup)
			continue;
		ev->kv[nkv].key = (char *)nm;
		ev->kv[nkv].value = (char *)str(ev, f->val);
		nkv++;
	}

	ips_record_t rec = {0};
	rec.text = ev->text.data ? ev->text.data : "";
	rec.len = ev->text.len;
	rec.offset = ev->offset;
	rec.line = ev->line;
	rec.truncated = ev->truncated;
	rec.time = ev->time;
	rec.host = ips_winevent_get(ev, "Computer");
	rec.fields = ev->kv;
	rec.nfields = nkv;
	ips_sink_record(sink, &rec);
}
