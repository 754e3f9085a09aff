/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_wfpxml.c - `netsh wfp show netevents` XML (best effort).
 *
 * No published sample of this file exists: the layout is inferred from the
 * FWPM_NET_EVENT structures (fwpmtypes.h) - a <netEvents> root, one <item>
 * per event holding <header> (timeStamp, localAddrV4, remoteAddrV4, ...),
 * <type> and the union member (<ikeMmFailure>, <ikeQmFailure>,
 * <ikeEmFailure>, <ipsecDrop>, ...) whose <failureErrorCode> is a Win32
 * code. Element names are what we key on; values may be numbers or
 * symbolic names. Each event becomes one record whose fields are named by
 * the leaf elements (failureErrorCode, remoteAddrV4, ...); a list of <item>
 * values is joined under its parent's name; <asString> gives its parent's
 * value. No <Computer> exists, so records have no host.
 */
#include <stdlib.h>
#include <string.h>

#include "input/winevent.h"
#include "input/xmlfeed.h"
#include "util/util.h"

#define NAME_MAX_LEN 64

typedef struct wfp {
	ips_framer_t f;         /* a push framer (framer.h) */
	ips_xmlfeed_t *x;
	ips_sink_t *sink;
	ips_winevent_t *ev;
	ips_buf_t text;
	ips_buf_t list;              /* joined values of a list of <item> */
	char list_name[NAME_MAX_LEN];
	int item_depth;              /* depth of the open event <item>, 0 when none */
	char names[IPS_XML_MAX_DEPTH + 2][NAME_MAX_LEN]; /* open elements by depth */
	bool collecting;
	uint64_t events;
} wfp_t;

static void flush_list(wfp_t *w)
{
	if (w->list_name[0] && w->list.len)
		ips_winevent_extra(w->ev, w->list_name, w->list.data, w->list.len);
	w->list_name[0] = '\0';
	ips_buf_reset(&w->list);
}

static void wfp_start(ips_xmlfeed_t *x, void *ctx, const char *name, const char **attrs)
{
	(void)attrs;
	wfp_t *w = ctx;
	int depth = ips_xmlfeed_depth(x);
	if (depth >= 0 && depth <= IPS_XML_MAX_DEPTH)
		snprintf(w->names[depth], NAME_MAX_LEN, "%s", name);
	/* an event: <item> directly under the top-level <netEvents> */
	if (depth == 2 && !strcmp(name, "item") && !strcmp(w->names[1], "netEvents")) {
		w->item_depth = depth;
		ips_winevent_begin(w->ev, ips_xmlfeed_offset(x), ips_xmlfeed_line(x));
		w->collecting = false;
		return;
	}
	if (!w->item_depth)
		return;
	w->collecting = true;
	ips_buf_reset(&w->text);
}

static void wfp_text(void *ctx, const char *s, size_t n)
{
	wfp_t *w = ctx;
	if (w->item_depth && w->collecting && ips_buf_append(&w->text, s, n) != IPS_OK)
		ips_winevent_truncated(w->ev);
}

static void leaf_value(wfp_t *w, int rel, int depth, const char *name, const char *v, size_t n)
{
	const char *parent = w->names[depth - 1];
	if (!strcmp(name, "item") && rel >= 2) {
		/* a list (flags, ...): join the values under the parent's name */
		if (strcmp(w->list_name, parent)) {
			flush_list(w);
			snprintf(w->list_name, sizeof w->list_name, "%s", parent);
		}
		if (w->list.len)
			ips_buf_append(&w->list, "|", 1);
		ips_buf_append(&w->list, v, n);
		return;
	}
	if (rel >= 3) {
		char full[2 * NAME_MAX_LEN + 2];
		if (!strcmp(name, "asString"))
			snprintf(full, sizeof full, "%s", parent);
		else
			snprintf(full, sizeof full, "%s.%s", parent, name);
		ips_winevent_extra(w->ev, full, v, n);
		return;
	}
	if (!strcmp(name, "timeStamp")) {
		ips_time_t t;
		if (ips_winevent_parse_time(v, n, &t))
			ips_winevent_time(w->ev, &t, true);
	}
	ips_winevent_extra(w->ev, name, v, n);
}

static void wfp_end(ips_xmlfeed_t *x, void *ctx, const char *name)
{
	wfp_t *w = ctx;
	int depth = ips_xmlfeed_depth(x);
	if (!w->item_depth)
		return;
	if (depth == w->item_depth) {
		flush_list(w);
		ips_winevent_emit(w->ev, w->sink);
		w->events++;
		w->item_depth = 0;
		return;
	}
	bool leaf = w->collecting;
	w->collecting = false;
	if (!leaf) {
		/* the parent of a list closes: the list is complete */
		if (!strcmp(w->list_name, name))
			flush_list(w);
		return;
	}
	const char *v = w->text.data ? w->text.data : "";
	size_t n = w->text.len;
	while (n && (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n'))
		v++, n--;
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
		n--;
	if (n && depth >= 1 && depth <= IPS_XML_MAX_DEPTH)
		leaf_value(w, depth - w->item_depth, depth, name, v, n);
}

static void wfp_reset(void *ctx)
{
	wfp_t *w = ctx;
	w->item_depth = 0;
	w->collecting = false;
	w->list_name[0] = '\0';
	ips_buf_reset(&w->list);
}

static const ips_xml_ops_t wfp_ops = {wfp_start, wfp_end, wfp_text, wfp_reset, NULL};

extern const ips_framer_ops_t ips_framer_wfpxml;

static ips_framer_t *wfpxml_open(ips_sink_t *sink, const ips_frame_limits_t *lim,
				 const ips_frame_start_t *at)
{
	wfp_t *w = ips_framer_alloc(sizeof *w);
	w->sink = sink;
	w->ev = ips_winevent_new(lim->max_record);
	ips_buf_init(&w->text, lim->max_record);
	ips_buf_init(&w->list, lim->max_record);
	w->x = ips_xmlfeed_new(&wfp_ops, w);
	ips_xmlfeed_begin(w->x, sink, lim, at);
	return &w->f;
}

static void wfpxml_feed(ips_framer_t *f, const char *p, size_t n)
{
	ips_xmlfeed_push(((wfp_t *)f)->x, p, n);
}

static char *wfpxml_room(ips_framer_t *f, size_t *n)
{
	return ips_xmlfeed_room(((wfp_t *)f)->x, n);
}

static void wfpxml_filled(ips_framer_t *f, size_t k)
{
	ips_xmlfeed_filled(((wfp_t *)f)->x, k);
}

static void wfpxml_end(ips_framer_t *f, bool broken)
{
	wfp_t *w = (wfp_t *)f;
	uint64_t bytes = ips_xmlfeed_finish(w->x, broken);
	ips_framer_done(f, w->events, bytes);
}

static void wfpxml_free(ips_framer_t *f)
{
	wfp_t *w = (wfp_t *)f;
	ips_xmlfeed_free(w->x);
	ips_winevent_free(w->ev);
	ips_buf_free(&w->text);
	ips_buf_free(&w->list);
	free(w);
}

static ips_status_t wfpxml_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	return ips_framer_pump(&ips_framer_wfpxml, src, sink, lim);
}

static int wfpxml_sniff(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	size_t lim = n < 4096 ? n : 4096;
	if (memmem(h, lim, "<netEvents", 10) || memmem(h, lim, "<netEvents>", 11))
		return 96;
	return 0;
}

const ips_framer_ops_t ips_framer_wfpxml = {
	.name = "wfpxml", .sniff = wfpxml_sniff, .run = wfpxml_run,
	.open = wfpxml_open, .feed = wfpxml_feed, .end = wfpxml_end, .free = wfpxml_free,
	.room = wfpxml_room, .filled = wfpxml_filled,
};
