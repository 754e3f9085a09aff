/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_winxml.c - Windows event XML: `wevtutil qe /f:xml` (a bare
 * sequence of <Event> elements, no root), `/f:RenderedXml` (with
 * <RenderingInfo><Message>), Event Viewer "Save as XML" (an <Events> root),
 * `/e:root`-wrapped output. Single or double quotes, one line or indented.
 *
 * The XML streams through expat (xmlfeed.c); each <Event> becomes one
 * record through the shared event model (winevent.c).
 */
#include <stdlib.h>
#include <string.h>

#include "input/winevent.h"
#include "input/winxml.h"
#include "util/util.h"

enum section { S_NONE, S_SYSTEM, S_EVENTDATA, S_USERDATA, S_RENDERING };

struct ips_winxml {
	ips_sink_t *sink;
	ips_winevent_t *ev;
	ips_buf_t text;          /* text of the element being read */
	int ev_depth;            /* depth of the open <Event>, 0 when none */
	enum section section;
	bool collecting;         /* text belongs to `leaf` (no child element seen) */
	char leaf[64];
	char data_name[256];     /* Name attribute of the open <Data> */
	bool data_named;
	uint64_t events;
	bool fixed;              /* evtx: position given by the caller */
	uint64_t fix_off, fix_line;
	const char *extra_name, *extra_value;
};

ips_winxml_t *ips_winxml_new(ips_sink_t *sink, size_t max_record)
{
	ips_winxml_t *w = ips_xcalloc(1, sizeof *w);
	w->sink = sink;
	w->ev = ips_winevent_new(max_record);
	ips_buf_init(&w->text, max_record);
	return w;
}

void ips_winxml_free(ips_winxml_t *w)
{
	if (!w)
		return;
	ips_winevent_free(w->ev);
	ips_buf_free(&w->text);
	free(w);
}

void ips_winxml_set_record(ips_winxml_t *w, uint64_t offset, uint64_t line, const char *name,
			   const char *value)
{
	w->fixed = true;
	w->fix_off = offset;
	w->fix_line = line;
	w->extra_name = name;
	w->extra_value = value;
}

uint64_t ips_winxml_events(const ips_winxml_t *w)
{
	return w->events;
}

static const char *attr(const char **attrs, const char *name)
{
	for (int i = 0; attrs[i]; i += 2)
		if (!strcmp(attrs[i], name))
			return attrs[i + 1];
	return NULL;
}

static void set_attr(ips_winxml_t *w, const char *field, const char **attrs, const char *name)
{
	const char *v = attr(attrs, name);
	if (v)
		ips_winevent_set(w->ev, field, v, strlen(v));
}

static void wx_start(ips_xmlfeed_t *x, void *ctx, const char *name, const char **attrs)
{
	ips_winxml_t *w = ctx;
	int depth = ips_xmlfeed_depth(x);
	if (!strcmp(name, "Event")) {
		if (w->ev_depth) {
			ips_sink_error(w->sink, ips_xmlfeed_offset(x),
				       "XML: <Event> at line %llu opens inside another <Event> that "
				       "was never closed; the unclosed one is dropped",
				       (unsigned long long)ips_xmlfeed_line(x));
		}
		w->ev_depth = depth;
		w->section = S_NONE;
		w->collecting = false;
		if (w->fixed)
			ips_winevent_begin(w->ev, w->fix_off, w->fix_line);
		else
			ips_winevent_begin(w->ev, ips_xmlfeed_offset(x), ips_xmlfeed_line(x));
		if (w->extra_name && !strcmp(w->extra_name, "Message"))
			ips_winevent_message(w->ev, w->extra_value, strlen(w->extra_value));
		else if (w->extra_name)
			ips_winevent_extra(w->ev, w->extra_name, w->extra_value,
					   strlen(w->extra_value));
		return;
	}
	if (!w->ev_depth)
		return; /* <Events>, an /e: root, or anything outside an event */
	int rel = depth - w->ev_depth;
	if (rel == 1) {
		w->section = !strcmp(name, "System")          ? S_SYSTEM
			     : !strcmp(name, "EventData")     ? S_EVENTDATA
			     : !strcmp(name, "UserData")      ? S_USERDATA
			     : !strcmp(name, "RenderingInfo") ? S_RENDERING
							      : S_NONE;
		w->collecting = false;
		return;
	}
	if (w->section == S_SYSTEM && rel == 2) {
		if (!strcmp(name, "Provider")) {
			/* classic sources: Name is the source, EventSourceName too */
			const char *es = attr(attrs, "EventSourceName");
			if (es)
				ips_winevent_set(w->ev, "Provider", es, strlen(es));
			else
				set_attr(w, "Provider", attrs, "Name");
		} else if (!strcmp(name, "TimeCreated")) {
			const char *v = attr(attrs, "SystemTime");
			ips_time_t t;
			if (v && ips_winevent_parse_time(v, strlen(v), &t))
				ips_winevent_time(w->ev, &t, true);
		} else if (!strcmp(name, "Security")) {
			set_attr(w, "UserID", attrs, "UserID");
		}
	}
	if (w->section == S_EVENTDATA && rel == 2 && !strcmp(name, "Data")) {
		const char *nm = attr(attrs, "Name");
		w->data_named = nm && *nm;
		snprintf(w->data_name, sizeof w->data_name, "%s", nm ? nm : "");
	}
	w->collecting = true;
	snprintf(w->leaf, sizeof w->leaf, "%s", name);
	ips_buf_reset(&w->text);
}

static void wx_text(void *ctx, const char *s, size_t n)
{
	ips_winxml_t *w = ctx;
	if (w->ev_depth && w->collecting && ips_buf_append(&w->text, s, n) != IPS_OK)
		ips_winevent_truncated(w->ev);
}

static void system_value(ips_winxml_t *w, const char *name, const char *v, size_t n)
{
	static const char *const map[][2] = {
		{"EventID", "EventID"}, {"Level", "Level"}, {"Task", "Task"},
		{"Keywords", "Keywords"}, {"EventRecordID", "RecordID"}, {"Channel", "Channel"},
		{"Computer", "Computer"}, {NULL, NULL}};
	for (int i = 0; map[i][0]; i++)
		if (!strcmp(name, map[i][0]))
			ips_winevent_set(w->ev, map[i][1], v, n);
}

static void wx_end(ips_xmlfeed_t *x, void *ctx, const char *name)
{
	ips_winxml_t *w = ctx;
	int depth = ips_xmlfeed_depth(x);
	if (!w->ev_depth)
		return;
	if (depth == w->ev_depth) {
		ips_winevent_emit(w->ev, w->sink);
		w->events++;
		w->ev_depth = 0;
		w->collecting = false;
		return;
	}
	int rel = depth - w->ev_depth;
	bool leaf = w->collecting && !strcmp(name, w->leaf);
	w->collecting = false;
	if (rel == 1) {
		w->section = S_NONE;
		return;
	}
	if (!leaf)
		return;
	const char *v = w->text.data ? w->text.data : "";
	size_t n = w->text.len;
	switch (w->section) {
	case S_SYSTEM:
		if (rel == 2)
			system_value(w, name, v, n);
		break;
	case S_EVENTDATA:
		if (rel == 2 && !strcmp(name, "Data"))
			ips_winevent_data(w->ev, w->data_named ? w->data_name : NULL, v, n);
		break;
	case S_USERDATA:
		/* provider-specific XML: each leaf element by its name */
		if (n)
			ips_winevent_data(w->ev, name, v, n);
		break;
	case S_RENDERING:
		if (!strcmp(name, "Message"))
			ips_winevent_message(w->ev, v, n);
		else if (!strcmp(name, "Level") || !strcmp(name, "Task"))
			ips_winevent_set(w->ev, name, v, n);
		else if (!strcmp(name, "Keyword"))
			ips_winevent_set(w->ev, "Keywords", v, n);
		break;
	default:
		break;
	}
}

static void wx_reset(void *ctx)
{
	ips_winxml_t *w = ctx;
	w->ev_depth = 0;
	w->collecting = false;
	w->section = S_NONE;
}

const ips_xml_ops_t ips_winxml_ops = {wx_start, wx_end, wx_text, wx_reset, "<Event"};

/* ---- the framer -------------------------------------------------------- */

/* A push framer (framer.h): bytes go to expat as they come. */
typedef struct winxml_framer {
	ips_framer_t f;
	ips_winxml_t *w;
	ips_xmlfeed_t *x;
} winxml_framer_t;

extern const ips_framer_ops_t ips_framer_winxml;

static ips_framer_t *winxml_open(ips_sink_t *sink, const ips_frame_limits_t *lim,
				 const ips_frame_start_t *at)
{
	winxml_framer_t *fr = ips_framer_alloc(sizeof *fr);
	fr->w = ips_winxml_new(sink, lim->max_record);
	fr->x = ips_xmlfeed_new(&ips_winxml_ops, fr->w);
	ips_xmlfeed_begin(fr->x, sink, lim, at);
	return &fr->f;
}

static void winxml_feed(ips_framer_t *f, const char *p, size_t n)
{
	ips_xmlfeed_push(((winxml_framer_t *)f)->x, p, n);
}

static char *winxml_room(ips_framer_t *f, size_t *n)
{
	return ips_xmlfeed_room(((winxml_framer_t *)f)->x, n);
}

static void winxml_filled(ips_framer_t *f, size_t k)
{
	ips_xmlfeed_filled(((winxml_framer_t *)f)->x, k);
}

static void winxml_end(ips_framer_t *f, bool broken)
{
	winxml_framer_t *fr = (winxml_framer_t *)f;
	uint64_t bytes = ips_xmlfeed_finish(fr->x, broken);
	ips_framer_done(f, ips_winxml_events(fr->w), bytes);
}

static void winxml_free(ips_framer_t *f)
{
	winxml_framer_t *fr = (winxml_framer_t *)f;
	ips_xmlfeed_free(fr->x);
	ips_winxml_free(fr->w);
	free(fr);
}

static ips_status_t winxml_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	return ips_framer_pump(&ips_framer_winxml, src, sink, lim);
}

/* The first element of an XML head: its name at *name (not terminated). */
static bool first_element(const unsigned char *h, size_t n, const char **name, size_t *len)
{
	size_t i = 0;
	for (;;) {
		i = ips_skip_space(h, n, i);
		if (i + 1 >= n || h[i] != '<')
			return false;
		if (h[i + 1] == '?' || h[i + 1] == '!') { /* declaration, comment, doctype */
			const unsigned char *e = memchr(h + i, '>', n - i);
			if (!e)
				return false;
			i = (size_t)(e - h) + 1;
			continue;
		}
		size_t s = i + 1, e = s;
		while (e < n && h[e] != ' ' && h[e] != '>' && h[e] != '/' && h[e] != '\t' &&
		       h[e] != '\r' && h[e] != '\n')
			e++;
		*name = (const char *)h + s;
		*len = e - s;
		return e > s;
	}
}

static int winxml_sniff(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	const char *name;
	size_t len;
	if (!first_element(h, n, &name, &len))
		return 0;
	if ((len == 5 && !memcmp(name, "Event", 5)) || (len == 6 && !memcmp(name, "Events", 6)))
		return 95;
	/* wevtutil /e:<root> wraps the same events in a root of the user's choice */
	if (memmem(h, n, "<Event xmlns=", 13) &&
	    memmem(h, n, "schemas.microsoft.com/win/2004/08/events/event", 46))
		return 90;
	return 0;
}

const ips_framer_ops_t ips_framer_winxml = {
	.name = "winxml", .sniff = winxml_sniff, .run = winxml_run,
	.open = winxml_open, .feed = winxml_feed, .end = winxml_end, .free = winxml_free,
	.room = winxml_room, .filled = winxml_filled,
};
