/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evtx_binxml.h - the EVTX fast path: one record's binary XML, read from a
 * chunk of the file mapped into memory, into the Windows event model
 * (input/winevent.h) as the winxml reader fills it from libevtx's rendered
 * XML. Used by framer_evtx.c only, which enumerates the records, opens the
 * file with libevtx and sends every record this reader does not take
 * through libevtx and expat.
 *
 * Ownership: a reader owns its node table and arenas (ips_evtx_bx_free());
 * it borrows the chunk (until the next ips_evtx_bx_chunk()), the event and
 * the sink.
 */
#ifndef IPS_EVTX_BINXML_H
#define IPS_EVTX_BINXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input/framer.h"
#include "input/winevent.h"

#define EVTX_CHUNK 65536u
#define EVTX_FIRST_CHUNK 4096u

static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

typedef struct ips_evtx_bx ips_evtx_bx_t;

/* A reader for records of at most max_record bytes of formatted values. */
ips_evtx_bx_t *ips_evtx_bx_new(size_t max_record);
/* The chunk (EVTX_CHUNK bytes) the next records are in; new_chunk: another
 * chunk than the last (its string table differs). */
void ips_evtx_bx_chunk(ips_evtx_bx_t *b, const uint8_t *chunk, bool new_chunk);
/*
 * Read the record whose binary XML starts at chunk offset pos (size bytes).
 * false when it holds anything this reader does not render exactly as
 * libevtx would: the caller reads that record through libevtx.
 */
bool ips_evtx_bx_read_record(ips_evtx_bx_t *b, uint32_t pos, uint32_t size);
/* The record read last, to the sink through ev (offset off, number line). */
void ips_evtx_bx_emit(ips_evtx_bx_t *b, ips_winevent_t *ev, ips_sink_t *sink, uint64_t off,
		      uint64_t line);
void ips_evtx_bx_free(ips_evtx_bx_t *b);

#endif
