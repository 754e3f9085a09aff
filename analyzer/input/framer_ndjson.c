/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_ndjson.c - newline-delimited JSON: one object per line (winlogbeat,
 * Elastic Agent, nxlog's JSON output, or anything else that logs that way).
 * Each line is parsed on its own (jsonevent.c), so a broken line costs only
 * itself; nested objects flatten to dotted keys (winlog.event_data.X).
 */
#include "input/jsonevent.h"

extern const ips_framer_ops_t ips_framer_ndjson;

static ips_status_t ndjson_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	return ips_framer_pump(&ips_framer_ndjson, src, sink, lim);
}

static int ndjson_sniff(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	bool one;
	return ips_json_first(h, n, &one) == '{' && one ? 92 : 0;
}

const ips_framer_ops_t ips_framer_ndjson = {
	.name = "ndjson", .sniff = ndjson_sniff, .run = ndjson_run,
	.open = ips_json_open_lines, .feed = ips_json_feed, .end = ips_json_end, .free = ips_json_free,
};
