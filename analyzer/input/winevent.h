/* SPDX-License-Identifier: Apache-2.0 */
/*
 * winevent.h - the Windows event model shared by every Windows framer
 * (evtx, winxml, wintext, wincsv, winjson, ndjson, wfpxml).
 *
 * A framer fills one event at a time - system fields, EventData values
 * (named, or unnamed by position), other fields, the rendered message, the
 * time - and ips_winevent_emit() hands it to the scanner as ONE record:
 *
 *   text    Provider=RasClient<TAB>EventID=20227<TAB>Computer=CLIENT01<TAB>
 *           Channel=...<TAB>Level=Error<TAB>RecordID=...<TAB><Name>=<value>...
 *           <TAB>Message=<rendered message, if the export has one>
 *           (values unescaped; newlines inside values kept, CR LF -> LF)
 *   fields  Provider, EventID, Level, RecordID, Channel, Task, Keywords,
 *           UserID, every EventData value by name, RasClient's unnamed
 *           insertion strings as CoId, UserName, ConnectionName, ErrorCode,
 *           other fields of the export, and the aliases the reports use:
 *           peer (RemoteAddress), local (LocalAddress), user, conn.
 *   time    UTC; host = Computer.
 *
 * Where an export has only the rendered message (wevtutil text, CSV), the
 * RasClient insertion strings and the labelled lines of IPsec audit events
 * ("Network Address:", "Failure Reason:", ...) are read back from it.
 * A value that is an unresolved parameter reference (%%8194) is kept, with
 * " (unresolved message reference)" after it, so it never reads as a word.
 *
 * Ownership: the builder owns everything added to it; the record handed to
 * the sink is borrowed for the duration of the call. Memory is bounded by
 * max_record (names and values, and the rendered text, each) and by
 * IPS_WINEVENT_MAX_FIELDS; past them the event is marked truncated.
 */
#ifndef IPS_WINEVENT_H
#define IPS_WINEVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input/framer.h"
#include "input/normalize.h"

#define IPS_WINEVENT_MAX_FIELDS 512

typedef struct ips_winevent ips_winevent_t;

ips_winevent_t *ips_winevent_new(size_t max_record);
void ips_winevent_free(ips_winevent_t *ev);

/* Start a new event (forgetting the previous one) at this offset and line. */
void ips_winevent_begin(ips_winevent_t *ev, uint64_t offset, uint64_t line);
/* Whether anything was added since ips_winevent_begin(). */
bool ips_winevent_empty(const ips_winevent_t *ev);

/*
 * A system field by its canonical name: Provider, EventID, Computer,
 * Channel, Level, Task, Keywords, RecordID, UserID. Leading and trailing
 * white space is trimmed; an empty value or "N/A" is ignored. A later value
 * replaces an earlier one, except that a Level word is not replaced by a
 * number.
 */
void ips_winevent_set(ips_winevent_t *ev, const char *name, const char *v, size_t n);
/* The value of a field set so far (any kind), or NULL. */
const char *ips_winevent_get(const ips_winevent_t *ev, const char *name);
/* One EventData value: name NULL for an unnamed value (numbered in order). */
void ips_winevent_data(ips_winevent_t *ev, const char *name, const char *v, size_t n);
/* An unnamed value at a known 1-based position (JSON Properties[i]). */
void ips_winevent_data_at(ips_winevent_t *ev, unsigned pos, const char *v, size_t n);
/* Any other field of the export: in the fields and in the text. */
void ips_winevent_extra(ips_winevent_t *ev, const char *name, const char *v, size_t n);
/* The rendered message; appended to what is there (for streamed text). */
void ips_winevent_message(ips_winevent_t *ev, const char *v, size_t n);
/* The event's time (first valid one wins unless replace). */
void ips_winevent_time(ips_winevent_t *ev, const ips_time_t *t, bool replace);
/* Mark the event cut at a cap (the framer dropped part of it). */
void ips_winevent_truncated(ips_winevent_t *ev);

/*
 * The line reader of the text exports (wintext, Event Viewer TXT, pslist,
 * pstable, evcopy), pushed (framer.h): bytes fed are cut into lines, each
 * passed (without its '\n') to cb with its byte offset and 1-based number.
 * A line longer than cap: its start is passed, ev is marked truncated, the
 * rest is skipped. At the end, a last line without '\n' is passed too.
 * A framer's state begins with an ips_winlines_framer_t; its feed, room and
 * filled are the ones below, its open calls ips_winlines_init() and its end
 * ips_winlines_end() (bytes: what was read) before finishing its event.
 */
typedef void (*ips_winevent_line_cb_t)(void *ctx, const char *line, size_t len, uint64_t off,
				       uint64_t lineno);
typedef struct ips_winlines_framer {
	ips_framer_t f;
	char *buf;            /* owned */
	size_t cap, have;
	uint64_t base, line;  /* input offset and line number of buf[0] */
	bool skipping;        /* in the rest of a line longer than the buffer */
	ips_winevent_t *ev;   /* borrowed: marked truncated */
	ips_winevent_line_cb_t cb;
	void *ctx;
} ips_winlines_framer_t;

void ips_winlines_init(ips_winlines_framer_t *w, size_t cap, const ips_frame_start_t *at,
		       ips_winevent_t *ev, ips_winevent_line_cb_t cb, void *ctx);
void ips_winlines_feed(ips_framer_t *f, const char *p, size_t n);
char *ips_winlines_room(ips_framer_t *f, size_t *n);
void ips_winlines_filled(ips_framer_t *f, size_t k);
/* The last line (unless broken); frees the buffer. Returns the bytes read. */
uint64_t ips_winlines_end(ips_winlines_framer_t *w, bool broken);

/*
 * A field of a flat export by its name there (a CSV header, a dotted JSON
 * key): known names become the canonical fields (ProviderName, Source,
 * winlog.provider_name -> Provider; Id, Event ID, winlog.event_id ->
 * EventID; TimeCreated, Date and Time, @timestamp -> time; Message;
 * winlog.event_data.X -> EventData X; Properties[i], ReplacementStrings[i]
 * -> unnamed value i+1; ...), anything else is an extra field. With
 * keep_raw, a known name is also kept as a field under its own name.
 */
void ips_winevent_field(ips_winevent_t *ev, const char *key, const char *v, size_t n,
			bool keep_raw);

/*
 * Derive the names and aliases, render the text and hand the record to
 * sink. The event stays as it is until the next ips_winevent_begin().
 */
void ips_winevent_emit(ips_winevent_t *ev, ips_sink_t *sink);

/*
 * Parse the time forms Windows exports use: ISO 8601 (a zoneless one is
 * local time, --tz), PowerShell 5.1 "/Date(1772697494000)/" (with or
 * without the JSON backslashes, optional +hhmm), en-US "M/D/YYYY h:mm:ss AM"
 * or 24-hour "M/D/YYYY H:mm:ss" (local time), and a FILETIME number.
 */
bool ips_winevent_parse_time(const char *s, size_t n, ips_time_t *out);

#endif
