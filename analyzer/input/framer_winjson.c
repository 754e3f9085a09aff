/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_winjson.c - PowerShell `ConvertTo-Json` of event objects
 * (Get-WinEvent, Get-EventLog): an array of objects, or one object
 * pretty-printed over many lines. TimeCreated as "\/Date(1772697494000)\/"
 * (Windows PowerShell 5.1) or ISO 8601 (PowerShell 7). The parsing is
 * jsonevent.c's; this file only recognises the format.
 */
#include "input/jsonevent.h"

extern const ips_framer_ops_t ips_framer_winjson;

static ips_status_t winjson_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	return ips_framer_pump(&ips_framer_winjson, src, sink, lim);
}

static int winjson_sniff(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	bool one;
	int c = ips_json_first(h, n, &one);
	/* an array, or an object spread over lines (one per line is ndjson) */
	return c == '[' || (c == '{' && !one) ? 90 : 0;
}

const ips_framer_ops_t ips_framer_winjson = {
	.name = "winjson", .sniff = winjson_sniff, .run = winjson_run,
	.open = ips_json_open_stream, .feed = ips_json_feed, .end = ips_json_end, .free = ips_json_free,
};
