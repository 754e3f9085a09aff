/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xmlfeed.h - streaming XML through expat for the XML framers (winxml,
 * wfpxml, and each rendered EVTX record).
 *
 * The input is fed in blocks, never held whole. A synthetic root element
 * is fed first (an XML declaration at the start is skipped), so a bare
 * sequence of top-level elements - `wevtutil qe /f:xml` writes one <Event>
 * after another with no root - parses like a document. Elements nested
 * deeper than IPS_XML_MAX_DEPTH stop the parse with an error. After a
 * syntax error, parsing resumes at the next `resync` tag when the handler
 * names one (the partly read record is dropped through `reset`).
 *
 * Ownership: names, attributes and text passed to the handlers are borrowed
 * for the duration of the call; the feed borrows the sink given to begin
 * and owns its buffer (freed by ips_xmlfeed_free).
 */
#ifndef IPS_XMLFEED_H
#define IPS_XMLFEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input/framer.h"

#define IPS_XML_MAX_DEPTH 64

typedef struct ips_xmlfeed ips_xmlfeed_t;

typedef struct ips_xml_ops {
	/* name is the local name (any "prefix:" removed); attrs are name, value pairs */
	void (*start)(ips_xmlfeed_t *x, void *ctx, const char *name, const char **attrs);
	void (*end)(ips_xmlfeed_t *x, void *ctx, const char *name);
	void (*text)(void *ctx, const char *s, size_t n);
	/* the parse restarted after an error: forget the record being read */
	void (*reset)(void *ctx);
	const char *resync; /* e.g. "<Event": where to resume after an error, or NULL */
} ips_xml_ops_t;

ips_xmlfeed_t *ips_xmlfeed_new(const ips_xml_ops_t *ops, void *ctx);
void ips_xmlfeed_free(ips_xmlfeed_t *x);

/* Inside a handler: depth of the element (1 = top level), and its position. */
int ips_xmlfeed_depth(const ips_xmlfeed_t *x);
uint64_t ips_xmlfeed_offset(const ips_xmlfeed_t *x);
uint64_t ips_xmlfeed_line(const ips_xmlfeed_t *x);

/*
 * Pushed input (framer.h): begin, then bytes through push (a copy) or
 * room/filled (read straight into the feed's buffer), then finish once the
 * input ended (broken: at a read error; nothing is said about an unclosed
 * element then). Syntax errors go to sink with their offset and line and
 * make the input partial. finish returns the bytes read.
 */
void ips_xmlfeed_begin(ips_xmlfeed_t *x, ips_sink_t *sink, const ips_frame_limits_t *lim,
		       const ips_frame_start_t *at);
void ips_xmlfeed_push(ips_xmlfeed_t *x, const char *p, size_t n);
char *ips_xmlfeed_room(ips_xmlfeed_t *x, size_t *n);
void ips_xmlfeed_filled(ips_xmlfeed_t *x, size_t k);
uint64_t ips_xmlfeed_finish(ips_xmlfeed_t *x, bool broken);

/*
 * Parse one complete document held in memory (an EVTX record's XML).
 * Returns false with a message in err on a syntax error.
 */
bool ips_xmlfeed_parse(ips_xmlfeed_t *x, const char *xml, size_t n, char *err, size_t errn);

#endif
