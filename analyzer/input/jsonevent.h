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
 * Ownership: nothing is kept after ips_json_run() returns.
 */
#ifndef IPS_JSONEVENT_H
#define IPS_JSONEVENT_H

#include <stdbool.h>

#include "input/framer.h"

#define IPS_JSON_MAX_DEPTH 64

/*
 * Read src to its end. per_line: every line is parsed on its own, so a bad
 * line costs only itself (ndjson); otherwise the whole input is one stream
 * of values and parsing stops at the first syntax error (winjson).
 */
ips_status_t ips_json_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim,
			  bool per_line);

/*
 * For the sniffers: the first non-blank byte of head (-1 if none), and
 * whether the first line holds one whole object ("{...}", NDJSON).
 */
int ips_json_first(const unsigned char *head, size_t n, bool *one_line_object);

#endif
