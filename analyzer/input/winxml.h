/* SPDX-License-Identifier: Apache-2.0 */
/*
 * winxml.h - the Windows event XML reader shared by the winxml framer
 * (wevtutil /f:xml and /f:RenderedXml, Event Viewer "Save as XML") and the
 * evtx framer (each record rendered to XML by libevtx).
 *
 * It is a set of xmlfeed handlers: every <Event> element becomes one
 * winevent record (System fields, EventData / UserData values, the
 * RenderingInfo message), handed to the sink when the element closes.
 *
 * Ownership: the reader borrows the sink; ips_winxml_free() frees the rest.
 */
#ifndef IPS_WINXML_H
#define IPS_WINXML_H

#include <stdbool.h>
#include <stdint.h>

#include "input/framer.h"
#include "input/xmlfeed.h"

typedef struct ips_winxml ips_winxml_t;

ips_winxml_t *ips_winxml_new(ips_sink_t *sink, size_t max_record);
void ips_winxml_free(ips_winxml_t *w);
/* The handlers; their ctx is the ips_winxml_t. */
extern const ips_xml_ops_t ips_winxml_ops;
/*
 * For the events that follow: use this offset and line (record number)
 * instead of the XML position, and add a field name=value (NULL: none);
 * the name "Message" gives the rendered message (Event Viewer's copied text).
 * The strings are borrowed until the next call.
 */
void ips_winxml_set_record(ips_winxml_t *w, uint64_t offset, uint64_t line, const char *name,
			   const char *value);
/* Events handed to the sink so far. */
uint64_t ips_winxml_events(const ips_winxml_t *w);

#endif
