/* SPDX-License-Identifier: Apache-2.0 */
/* winevent.c - the Windows event model (see winevent.h): storage, time, the
 * names of flat exports, the record; what is derived from a whole event
 * (positional names, message parsing, aliases) is winevent_derive.c. */
#include "input/winevent.h"
#include "input/winevent_priv.h"

#include <stdlib.h>
#include <string.h>

#include "input/winparams.h"
#include "util/util.h"


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
size_t ips_we_store(ips_winevent_t *ev, const char *s, size_t n, const char *suffix)
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

const char *ips_we_str(const ips_winevent_t *ev, size_t off)
{
	return off == NONE ? NULL : ev->arena.data + off;
}

wfield_t *ips_we_find(ips_winevent_t *ev, const char *name, int kind)
{
	for (size_t i = 0; i < ev->nf; i++) {
		wfield_t *f = &ev->f[i];
		if (f->name == NONE || (kind >= 0 && f->kind != (enum kind)kind))
			continue;
		const char *fn = ips_we_str(ev, f->name);
		if (fn[0] == name[0] && strcmp(fn, name) == 0)
			return f;
	}
	return NULL;
}

const char *ips_winevent_get(const ips_winevent_t *ev, const char *name)
{
	wfield_t *f = ips_we_find((ips_winevent_t *)ev, name, -1);
	return f ? ips_we_str(ev, f->val) : NULL;
}

wfield_t *ips_we_add(ips_winevent_t *ev, enum kind kind, const char *name, const char *v,
		     size_t n, const char *suffix)
{
	if (ev->nf >= IPS_WINEVENT_MAX_FIELDS) {
		ev->truncated = true;
		return NULL;
	}
	size_t no = NONE;
	if (name) {
		no = ips_we_store(ev, name, strlen(name), NULL);
		if (no == NONE)
			return NULL;
	}
	size_t vo = ips_we_store(ev, v, n, suffix);
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

void ips_we_trim(const char **v, size_t *n)
{
	while (*n && (**v == ' ' || **v == '\t' || **v == '\r' || **v == '\n'))
		(*v)++, (*n)--;
	while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t' || (*v)[*n - 1] == '\r' ||
		      (*v)[*n - 1] == '\n'))
		(*n)--;
}

bool ips_we_all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* %%8194: a parameter-message reference the export did not resolve. */
bool ips_we_is_param_ref(const char *v, size_t n)
{
	return n > 2 && v[0] == '%' && v[1] == '%' && ips_we_all_digits(v + 2, n - 2);
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
	ips_we_trim(&v, &n);
	if (!n || (n == 3 && !memcmp(v, "N/A", 3)))
		return;
	bool is_level = !strcmp(name, "Level");
	if (is_level) {
		const char *w = level_word(v, n);
		if (w) {
			if (ips_we_find(ev, "Level", K_SYS))
				return; /* a word (RenderingInfo, LevelDisplayName) is there */
			v = w;
			n = strlen(w);
		}
	}
	wfield_t *old = ips_we_find(ev, name, K_SYS);
	if (old) {
		/* replace: the old value stays in the arena, unused */
		size_t vo = ips_we_store(ev, v, n, NULL);
		if (vo != NONE)
			old->val = vo;
		return;
	}
	ips_we_add(ev, K_SYS, name, v, n, NULL);
}

void ips_winevent_data(ips_winevent_t *ev, const char *name, const char *v, size_t n)
{
	const char *suffix = ips_we_is_param_ref(v, n) ? UNRESOLVED : NULL;
	if (name && *name) {
		ips_we_add(ev, K_DATA, name, v, n, suffix);
		return;
	}
	wfield_t *f = ips_we_add(ev, K_DATA, NULL, v, n, suffix);
	if (f)
		f->pos = ++ev->unnamed;
}

void ips_winevent_data_at(ips_winevent_t *ev, unsigned pos, const char *v, size_t n)
{
	const char *suffix = ips_we_is_param_ref(v, n) ? UNRESOLVED : NULL;
	wfield_t *f = ips_we_add(ev, K_DATA, NULL, v, n, suffix);
	if (f) {
		f->pos = pos;
		if (pos > ev->unnamed)
			ev->unnamed = pos;
	}
}

void ips_winevent_extra(ips_winevent_t *ev, const char *name, const char *v, size_t n)
{
	ips_we_add(ev, K_EXTRA, name, v, n, ips_we_is_param_ref(v, n) ? UNRESOLVED : NULL);
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
	ips_we_trim(&s, &n);
	if (!n)
		return false;
	if (ips_time_parse_iso(s, n, out) > 0)
		return true;
	if (parse_ms_date(s, n, out))
		return true;
	if (parse_us_date(s, n, out))
		return true;
	if (n >= 17 && n <= 19 && ips_we_all_digits(s, n)) {
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
	if (n < 10 || n > 19 || !ips_we_all_digits(s, n))
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
	ips_we_trim(&tv, &tn);
	if (!tn || is_type_name(tv, tn))
		return;
	unsigned pos = positional(key);
	if (pos) {
		ips_winevent_data_at(ev, pos, tv, tn);
		if (keep_raw)
			ips_we_add(ev, K_RAW, key, tv, tn, ips_we_is_param_ref(tv, tn) ? UNRESOLVED : NULL);
		return;
	}
	for (int i = 0; data_prefixes[i]; i++) {
		size_t l = strlen(data_prefixes[i]);
		if (!strncmp(key, data_prefixes[i], l) && key[l]) {
			ips_winevent_data(ev, key + l, v, n);
			if (keep_raw)
				ips_we_add(ev, K_RAW, key, v, n, ips_we_is_param_ref(tv, tn) ? UNRESOLVED : NULL);
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
			wfield_t *f = ips_we_find(ev, sys, K_SYS);
			if (!f || rank < f->rank) {
				ips_winevent_set(ev, sys, tv, tn);
				f = ips_we_find(ev, sys, K_SYS);
				if (f)
					f->rank = rank;
			}
		}
		if (keep_raw)
			ips_we_add(ev, K_RAW, key, tv, tn, ips_we_is_param_ref(tv, tn) ? UNRESOLVED : NULL);
		return;
	}
	ips_winevent_extra(ev, key, v, n);
}

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

	ips_winevent_derive(ev); /* winevent_derive.c */

	/* text: system fields in a fixed order, data, extras, the message */
	ips_buf_reset(&ev->text);
	for (int o = 0; sys_order[o]; o++) {
		wfield_t *f = ips_we_find(ev, sys_order[o], K_SYS);
		if (f)
			render_field(ev, sys_order[o], ips_we_str(ev, f->val), SIZE_MAX);
	}
	for (size_t i = 0; i < ev->nf; i++) {
		wfield_t *f = &ev->f[i];
		if (f->kind == K_SYS && f->name != NONE) {
			bool known = false;
			for (int o = 0; sys_order[o] && !known; o++)
				known = !strcmp(sys_order[o], ips_we_str(ev, f->name));
			if (!known)
				render_field(ev, ips_we_str(ev, f->name), ips_we_str(ev, f->val), SIZE_MAX);
		}
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ev->nf; i++) {
			wfield_t *f = &ev->f[i];
			if (f->name != NONE && f->kind == (pass ? K_EXTRA : K_DATA))
				render_field(ev, ips_we_str(ev, f->name), ips_we_str(ev, f->val),
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
		const char *nm = ips_we_str(ev, f->name);
		if (f->kind == K_SYS && !strcmp(nm, "Computer"))
			continue;
		bool dup = false;
		for (size_t j = 0; j < nkv && !dup; j++)
			dup = ev->kv[j].key[0] == nm[0] && !strcmp(ev->kv[j].key, nm);
		if (dup)
			continue;
		ev->kv[nkv].key = (char *)nm;
		ev->kv[nkv].value = (char *)ips_we_str(ev, f->val);
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
