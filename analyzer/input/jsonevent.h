/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jsonevent.h - JSON events through yajl's streaming parser, shared by the
 * winjson (PowerShell ConvertTo-Json) and ndjson (one object per line,
 * e.g. winlogbeat) framers.
 *
 * Each object that is a top-level value, or an element of a top-level
 * array, becomes one record; nested objects flatten to dotted keys
 * (winlog.event_data.RemoteAddress), array elements to key[i]
 * (Properties[0].Value), and known keys map to the event model (winevent.h).
 * Containers nested deeper than IPS_JSON_MAX_DEPTH stop the parse with an
 * error naming the offset. A single token longer than the record cap (yajl
 * would buffer it whole) stops it too, so memory stays bounded.
 *
 * A push framer (framer.h): bytes are parsed as they are fed, nothing of
 * them is kept but yajl's partial token (bounded by the record cap).
 *
 * Ownership: the instance borrows its sink; ips_json_free() frees the rest.
 */
#ifndef IPS_JSONEVENT_H
#define IPS_JSONEVENT_H

#include <stdbool.h>

#include "input/framer.h"

#define IPS_JSON_MAX_DEPTH 64

/*
 * The framer's open/feed/end/free (framer.h). open_lines: every line is
 * parsed on its own, so a bad line costs only itself (ndjson); open_stream:
 * the whole input is one stream of values and parsing stops at the first
 * syntax error (winjson).
 */
ips_framer_t *ips_json_open_lines(ips_sink_t *sink, const ips_frame_limits_t *lim,
				  const ips_frame_start_t *at);
ips_framer_t *ips_json_open_stream(ips_sink_t *sink, const ips_frame_limits_t *lim,
				   const ips_frame_start_t *at);
void ips_json_feed(ips_framer_t *f, const char *p, size_t n);
void ips_json_end(ips_framer_t *f, bool broken);
void ips_json_free(ips_framer_t *f);

/*
 * For the sniffers: the first non-blank byte of head (-1 if none), and
 * whether the first line holds one whole object ("{...}", NDJSON).
 */
int ips_json_first(const unsigned char *head, size_t n, bool *one_line_object);

#endif
