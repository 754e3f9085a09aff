/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_wintext.c - `wevtutil qe /f:text`: one block per event,
 *
 *   Event[0]:
 *     Log Name: Application
 *     Source: RasClient
 *     Date: 2026-03-05T07:58:14.123
 *     Event ID: 20227
 *     ...
 *     Computer: CLIENT01
 *     Description:
 *   <the rendered message, any number of lines, blank ones too>
 *
 * A block starts at a line `Event[N]:`; header lines are "  Name: value";
 * everything after "Description:" up to the next `Event[N]:` line is the
 * message. A zoneless Date is local time (--tz). English header names only
 * (wevtutil localises them with /l:).
 */
#include <stdlib.h>
#include <string.h>

#include "input/winevent.h"
#include "util/util.h"

enum tstate { T_BEFORE, T_HEADER, T_DESC };

typedef struct wtext {
	ips_winlines_framer_t lf; /* a push framer over lines (winevent.h) */
	ips_sink_t *sink;
	ips_winevent_t *ev;
	enum tstate state;
	uint64_t events;
} wtext_t;

/* "Event[12]:" alone on its line */
static bool is_event_start(const char *l, size_t n)
{
	while (n && (l[n - 1] == ' ' || l[n - 1] == '\t'))
		n--;
	if (n < 9 || memcmp(l, "Event[", 6) || l[n - 2] != ']' || l[n - 1] != ':')
		return false;
	for (size_t i = 6; i < n - 2; i++)
		if (l[i] < '0' || l[i] > '9')
			return false;
	return n - 2 > 6;
}

static void header(wtext_t *t, const char *l, size_t n)
{
	static const char *const map[][2] = {
		{"Log Name", "Channel"}, {"Source", "Provider"}, {"Event ID", "EventID"},
		{"Task", "Task"}, {"Level", "Level"}, {"Keyword", "Keywords"}, {"User", "UserID"},
		{"Computer", "Computer"}, {NULL, NULL}};
	while (n && (*l == ' ' || *l == '\t'))
		l++, n--;
	const char *colon = memchr(l, ':', n);
	if (!colon)
		return;
	size_t kl = (size_t)(colon - l);
	const char *v = colon + 1;
	size_t vn = n - kl - 1;
	while (vn && (*v == ' ' || *v == '\t'))
		v++, vn--;
	if (kl == 11 && !memcmp(l, "Description", 11)) {
		t->state = T_DESC;
		if (vn) {
			ips_winevent_message(t->ev, v, vn);
			ips_winevent_message(t->ev, "\n", 1);
		}
		return;
	}
	if (kl == 4 && !memcmp(l, "Date", 4)) {
		ips_time_t tm;
		if (ips_winevent_parse_time(v, vn, &tm))
			ips_winevent_time(t->ev, &tm, true);
		return;
	}
	if (kl == 9 && !memcmp(l, "User Name", 9)) {
		if (vn && !(vn == 3 && !memcmp(v, "N/A", 3)))
			ips_winevent_extra(t->ev, "UserAccount", v, vn);
		return;
	}
	for (int i = 0; map[i][0]; i++)
		if (strlen(map[i][0]) == kl && !memcmp(map[i][0], l, kl)) {
			ips_winevent_set(t->ev, map[i][1], v, vn);
			return;
		}
}

static void finish(wtext_t *t)
{
	if (t->state != T_BEFORE) {
		ips_winevent_emit(t->ev, t->sink);
		t->events++;
	}
}

static void on_line(wtext_t *t, const char *l, size_t n, uint64_t off, uint64_t line)
{
	if (n && l[n - 1] == '\r')
		n--;
	if (is_event_start(l, n)) {
		finish(t);
		ips_winevent_begin(t->ev, off, line);
		t->state = T_HEADER;
		return;
	}
	switch (t->state) {
	case T_HEADER:
		header(t, l, n);
		break;
	case T_DESC:
		ips_winevent_message(t->ev, l, n);
		ips_winevent_message(t->ev, "\n", 1);
		break;
	default:
		break; /* text before the first Event[N]: is not an event */
	}
}

static void wintext_line(void *ctx, const char *l, size_t n, uint64_t off, uint64_t line)
{
	on_line(ctx, l, n, off, line);
}

extern const ips_framer_ops_t ips_framer_wintext;

static ips_framer_t *wintext_open(ips_sink_t *sink, const ips_frame_limits_t *lim,
				  const ips_frame_start_t *at)
{
	wtext_t *t = ips_framer_alloc(sizeof *t);
	t->sink = sink;
	t->ev = ips_winevent_new(lim->max_record);
	t->state = T_BEFORE;
	ips_winlines_init(&t->lf, lim->block + lim->max_record, at, t->ev, wintext_line, t);
	return &t->lf.f;
}

static void wintext_end(ips_framer_t *f, bool broken)
{
	wtext_t *t = (wtext_t *)f;
	uint64_t bytes = ips_winlines_end(&t->lf, broken);
	finish(t);
	ips_framer_done(f, t->events, bytes);
}

static void wintext_free(ips_framer_t *f)
{
	wtext_t *t = (wtext_t *)f;
	free(t->lf.buf);
	ips_winevent_free(t->ev);
	free(t);
}

static ips_status_t wintext_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	return ips_framer_pump(&ips_framer_wintext, src, sink, lim);
}

static int wintext_sniff(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	size_t i = ips_skip_space(h, n, 0);
	const unsigned char *e = memchr(h + i, '\n', n - i);
	size_t len = e ? (size_t)(e - (h + i)) : n - i;
	if (len && h[i + len - 1] == '\r')
		len--;
	return is_event_start((const char *)h + i, len) ? 95 : 0;
}

const ips_framer_ops_t ips_framer_wintext = {
	.name = "wintext", .sniff = wintext_sniff, .run = wintext_run,
	.open = wintext_open, .feed = ips_winlines_feed, .end = wintext_end, .free = wintext_free,
	.room = ips_winlines_room, .filled = ips_winlines_filled,
};
