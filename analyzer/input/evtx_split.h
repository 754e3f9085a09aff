/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evtx_split.h - an EVTX file read in ranges of whole 64 KiB chunks on
 * several threads (--jobs within one file; the driver is
 * detect/scan_split.c), giving what framer_evtx.c gives reading it whole.
 *
 * Every chunk is self-contained (its own string and template tables), and
 * the fast path (evtx_binxml.c) reads a record from its chunk alone, so a
 * worker reads the records of its chunks with ips_evtx_read_chunks(): the
 * records the fast path takes go to its sink, numbered from its range's
 * first record; the ones it refuses are named to a callback. One thread
 * then joins the ranges in file order: ips_evtx_join_open() opens the file
 * with libevtx as a whole read does, and, when libevtx lists the records
 * the workers listed, returns a join through which the records to report
 * are read again (fast path) or read through libevtx (the refused ones),
 * each with its number in the file; ips_evtx_join_finish() reads the
 * recovered records and gives the counts and notes of a whole read.
 * When libevtx lists other records (a dirty or damaged file it reads
 * differently), ips_evtx_join_open() reads the whole file as a whole read
 * does and returns NULL: the workers' ranges are then dropped.
 *
 * Ownership: a join owns its libevtx file, map and readers until
 * ips_evtx_join_finish(); it borrows the sink and the limits.
 */
#ifndef IPS_EVTX_SPLIT_H
#define IPS_EVTX_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input/evtx_binxml.h" /* EVTX_CHUNK, EVTX_FIRST_CHUNK: the layout */
#include "input/framer.h"

/* How many 64 KiB chunks a split of this file ranges over (head: its first
 * n bytes; size: its size); 0 when it is not split (not an EVTX file, no
 * whole chunk, or IPSEC_SCAN_EVTX=xml: every record through libevtx). */
uint64_t ips_evtx_split_chunks(const unsigned char *head, size_t n, uint64_t size);

/* A record the fast path refused: file offset, number from the range's first. */
typedef void (*ips_evtx_refused_fn)(void *ctx, uint64_t off, uint64_t line);

/*
 * Read the records of chunks [from, to) as a whole read lists them: those
 * the fast path takes to sink (line: 1 for the range's first record), the
 * others to refused. head: the file's first 128 bytes (its header); chunks:
 * n bytes of the file from chunk from on (whole chunks are read; a worker
 * reads its range, not the whole file: the address space stays small while
 * libevtx reads under its cap, framer_evtx.c). Returns the records listed;
 * *fast: those the fast path took. Thread-safe (sink is the caller's).
 */
uint64_t ips_evtx_read_chunks(const uint8_t *head, const uint8_t *chunks, uint64_t n,
			      uint64_t from, uint64_t to, ips_sink_t *sink, size_t max_record,
			      ips_evtx_refused_fn refused, void *ctx, uint64_t *fast);

typedef struct ips_evtx_join ips_evtx_join_t;

/*
 * Open src (the file the workers read) to join into sink; NULL when it
 * was read whole instead (see above), *st then its status.
 */
ips_evtx_join_t *ips_evtx_join_open(ips_source_t *src, ips_sink_t *sink,
				    const ips_frame_limits_t *lim, ips_status_t *st);
/* The record at off (number line in the file) that the fast path took in a
 * worker: read again, to the sink. */
void ips_evtx_join_fast(ips_evtx_join_t *j, uint64_t off, uint64_t line);
/* The record at off, number line, that the fast path refused: libevtx. */
void ips_evtx_join_libevtx(ips_evtx_join_t *j, uint64_t off, uint64_t line);
/* A range's count of records the fast path took (read or not again). */
void ips_evtx_join_read(ips_evtx_join_t *j, uint64_t fast);
/* After the last range: recovered records, notes, ips_sink_done(); frees j. */
ips_status_t ips_evtx_join_finish(ips_evtx_join_t *j);

#endif
