/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_evcopy.c - Event Viewer's "Copy > Copy details as text", what users
 * paste into tickets and forums:
 *
 *   Log Name:      Application
 *   Source:        RasClient
 *   Date:          3/5/2026 7:58:14 AM
 *   Event ID:      20227
 *   Task Category: None
 *   Level:         Error
 *   Keywords:      Classic
 *   User:          N/A
 *   Computer:      CLIENT01
 *   Description:
 *   <the rendered message, any number of lines>
 *   Event Xml:
 *   <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
 *     <System> ... </System>
 *     <EventData> <Data>...</Data> ... </EventData>
 *   </Event>
 *
 * and the event XML as the browser-rendered XML view shows it (Microsoft's
 * own event pages print it so): each element on a line, "- " before the
 * ones that can be collapsed, alone or after the general text.
 *
 * A record starts at a "Log Name:" line, or at an "<Event xmlns" line
 * outside an event's XML. The XML (collapse markers removed) is read with
 * the winxml reader, so EventData keeps its names, and the Description is
 * its rendered message. Where there is no XML, or it cannot be read (a paste
 * cut short), the header lines and the message make the event, as for
 * wevtutil text; the unreadable XML is reported, which makes the input
 * partial.
 */
#include <stdlib.h>
#include <string.h>

#include "input/winevent.h"
#include "input/winxml.h"
#include "input/xmlfeed.h"
#include "util/util.h"

enum estate { E_BEFORE, E_HEADER, E_DESC, E_XML, E_AFTER };

typedef struct evcopy {
	ips_winlines_framer_t lf; /* a push framer over lines (winevent.h) */
	ips_sink_t *sink;
	ips_winevent_t *ev;     /* from the header lines, when there is no usable XML */
	ips_winxml_t *wx;
	ips_xmlfeed_t *xf;
	ips_buf_t xml;
	ips_buf_t msg;          /* the Description, for the XML's event */
	enum estate state;
	uint64_t events;
	uint64_t start_off, start_line;
	bool xml_cut;
} evcopy_t;

static bool starts(const char *l, size_t n, const char *p)
{
	size_t k = strlen(p);
	return n >= k && !memcmp(l, p, k);
}

/* Drop indentation and a collapse marker ("- ", "+ ") in front of a tag. */
static const char *xml_line(const char *l, size_t *n)
{
	while (*n && (*l == ' ' || *l == '\t'))
		l++, (*n)--;
	if (*n >= 3 && (l[0] == '-' || l[0] == '+') && l[1] == ' ') {
		size_t i = 1;
		while (i < *n && l[i] == ' ')
			i++;
		if (i < *n && l[i] == '<') {
			l += i;
			*n -= i;
		}
	}
	return l;
}

static bool is_event_tag(const char *l, size_t n)
{
	size_t m = n;
	const char *x = xml_line(l, &m);
	return starts(x, m, "<Event ") || starts(x, m, "<Event>");
}

static void message(evcopy_t *c, const char *v, size_t n)
{
	ips_winevent_message(c->ev, v, n);
	ips_winevent_message(c->ev, "\n", 1);
	if (ips_buf_append(&c->msg, v, n) != IPS_OK || ips_buf_putc(&c->msg, '\n') != IPS_OK)
		ips_winevent_truncated(c->ev);
}

static void header(evcopy_t *c, const char *l, size_t n)
{
	static const char *const map[][2] = {
		{"Log Name", "Channel"}, {"Source", "Provider"}, {"Event ID", "EventID"},
		{"Task Category", "Task"}, {"Level", "Level"}, {"Keywords", "Keywords"},
		{"User", "UserID"}, {"Computer", "Computer"}, {NULL, NULL}};
	const char *colon = memchr(l, ':', n);
	if (!colon)
		return;
	size_t kl = (size_t)(colon - l);
	const char *v = colon + 1;
	size_t vn = n - kl - 1;
	while (vn && (*v == ' ' || *v == '\t'))
		v++, vn--;
	if (kl == 11 && !memcmp(l, "Description", 11)) {
		c->state = E_DESC;
		if (vn)
			message(c, v, vn);
		return;
	}
	if (kl == 4 && !memcmp(l, "Date", 4)) {
		ips_time_t tm;
		if (ips_winevent_parse_time(v, vn, &tm))
			ips_winevent_time(c->ev, &tm, true);
		return;
	}
	for (int i = 0; map[i][0]; i++)
		if (strlen(map[i][0]) == kl && !memcmp(map[i][0], l, kl)) {
			ips_winevent_set(c->ev, map[i][1], v, vn);
			return;
		}
}

static void finish(evcopy_t *c)
{
	if (c->state == E_BEFORE)
		return;
	bool done = false;
	if (c->xml.len && !c->xml_cut) {
		/* the rendered message of the text part goes with the XML's event */
		uint64_t before = ips_winxml_events(c->wx);
		char err[256];
		if (ips_buf_putc(&c->msg, '\0') != IPS_OK && c->msg.len)
			c->msg.data[c->msg.len - 1] = '\0'; /* full: cut the last byte */
		const char *m = c->msg.data && c->msg.len > 1 ? c->msg.data : NULL;
		ips_winxml_set_record(c->wx, c->start_off, c->start_line, m ? "Message" : NULL, m);
		bool ok = ips_xmlfeed_parse(c->xf, c->xml.data, c->xml.len, err, sizeof err);
		done = ips_winxml_events(c->wx) > before;
		if (!ok)
			ips_sink_error(c->sink, c->start_off,
				       "the event XML copied with the event at line %llu cannot be "
				       "read (%s)%s",
				       (unsigned long long)c->start_line, err,
				       done ? "" : "; the event is read from its text");
	} else if (c->xml_cut) {
		ips_sink_error(c->sink, c->start_off,
			       "the event XML copied with the event at line %llu is longer than the "
			       "record cap; the event is read from its text",
			       (unsigned long long)c->start_line);
	}
	if (!done && !ips_winevent_empty(c->ev)) {
		ips_winevent_emit(c->ev, c->sink);
		c->events++;
	} else if (done) {
		c->events++;
	}
	c->state = E_BEFORE;
	ips_buf_reset(&c->xml);
	ips_buf_reset(&c->msg);
	c->xml_cut = false;
}

static void begin(evcopy_t *c, uint64_t off, uint64_t line, enum estate st)
{
	finish(c);
	ips_winevent_begin(c->ev, off, line);
	c->start_off = off;
	c->start_line = line;
	c->state = st;
}

static void add_xml(evcopy_t *c, const char *l, size_t n)
{
	const char *x = xml_line(l, &n);
	if (ips_buf_append(&c->xml, x, n) != IPS_OK || ips_buf_putc(&c->xml, '\n') != IPS_OK)
		c->xml_cut = true;
	if (memmem(x, n, "</Event>", 8))
		c->state = E_AFTER;
}

static void on_line(evcopy_t *c, const char *l, size_t n, uint64_t off, uint64_t line)
{
	if (n && l[n - 1] == '\r')
		n--;
	if (starts(l, n, "Log Name:")) {
		begin(c, off, line, E_HEADER);
		header(c, l, n);
		return;
	}
	if (c->state != E_XML && c->state != E_DESC && is_event_tag(l, n)) {
		begin(c, off, line, E_XML);
		add_xml(c, l, n);
		return;
	}
	switch (c->state) {
	case E_HEADER:
		header(c, l, n);
		break;
	case E_DESC:
		if (starts(l, n, "Event Xml:")) {
			c->state = E_XML;
			break;
		}
		message(c, l, n);
		break;
	case E_XML:
		add_xml(c, l, n);
		break;
	default:
		break; /* text between events */
	}
}

static void evcopy_line(void *ctx, const char *l, size_t n, uint64_t off, uint64_t line)
{
	on_line(ctx, l, n, off, line);
}

extern const ips_framer_ops_t ips_framer_evcopy;

static ips_framer_t *evcopy_open(ips_sink_t *sink, const ips_frame_limits_t *lim,
                                 const ips_frame_start_t *at)
{
	evcopy_t *e = ips_framer_alloc(sizeof *e);
	e->sink = sink;
	e->ev = ips_winevent_new(lim->max_record);
	e->wx = ips_winxml_new(sink, lim->max_record);
	e->xf = ips_xmlfeed_new(&ips_winxml_ops, e->wx);
	ips_buf_init(&e->xml, lim->max_record);
	ips_buf_init(&e->msg, lim->max_record);
	ips_winlines_init(&e->lf, lim->block + lim->max_record, at, e->ev, evcopy_line, e);
	return &e->lf.f;
}

static void evcopy_end(ips_framer_t *f, bool broken)
{
	evcopy_t *e = (evcopy_t *)f;
	uint64_t bytes = ips_winlines_end(&e->lf, broken);
	finish(e);
	ips_framer_done(f, e->events, bytes);
}

static void evcopy_free(ips_framer_t *f)
{
	evcopy_t *e = (evcopy_t *)f;
	free(e->lf.buf);
	ips_buf_free(&e->xml);
	ips_buf_free(&e->msg);
	ips_xmlfeed_free(e->xf);
	ips_winxml_free(e->wx);
	ips_winevent_free(e->ev);
	free(e);
}

static ips_status_t evcopy_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	return ips_framer_pump(&ips_framer_evcopy, src, sink, lim);
}

/*
 * The first line is "Log Name:" with "Event ID:" and "Source:" lines after
 * it, or the XML view's "- <Event xmlns=...>".
 */
static int evcopy_sniff(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	size_t i = ips_skip_space(h, n, 0);
	const char *l = (const char *)h + i;
	size_t left = n - i;
	const char *e = memchr(l, '\n', left);
	size_t len = e ? (size_t)(e - l) : left;
	if (starts(l, len, "Log Name:"))
		return memmem(l, left, "\nEvent ID:", 10) && memmem(l, left, "\nSource:", 8) ? 93 : 0;
	if (len > 2 && l[0] == '-' && l[1] == ' ' && is_event_tag(l, len))
		return 93;
	return 0;
}

const ips_framer_ops_t ips_framer_evcopy = {
	.name = "evcopy", .sniff = evcopy_sniff, .run = evcopy_run,
	.open = evcopy_open, .feed = ips_winlines_feed, .end = evcopy_end, .free = evcopy_free,
	.room = ips_winlines_room, .filled = ips_winlines_filled,
};
