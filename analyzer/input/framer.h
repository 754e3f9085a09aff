/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer.h - turning an input's bytes into records.
 *
 * A framer knows one input format: how to recognise it from the first
 * bytes (sniff) and how to cut the stream into records (run), which it hands
 * to the scanner through the sink. Line formats hand over whole blocks of
 * lines, so the scanner can prefilter raw bytes and never touch most lines;
 * structured formats (XML, CSV, JSON, EVTX) hand over one record at a time
 * with the fields they parsed.
 *
 * Ownership: records and blocks are borrowed for the duration of the call.
 */
#ifndef IPS_FRAMER_H
#define IPS_FRAMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input/normalize.h"
#include "util/util.h"
#include "input/source.h"
#include "util/status.h"

typedef struct ips_sink ips_sink_t;

/* One record of a structured format. */
typedef struct ips_record {
	const char *text;        /* UTF-8 text matched by the detectors */
	size_t len;
	uint64_t offset;         /* byte offset of the record in its (decoded) input */
	uint64_t line;           /* 1-based line, or record number for binary formats */
	bool truncated;          /* cut at the record-size cap */
	ips_time_t time;         /* from the record's own fields, if it has them */
	const char *host;        /* NUL-terminated, or NULL */
	const ips_kv_t *fields;  /* named fields (Computer, EventID, ...) */
	size_t nfields;
	bool line_header;        /* text is a syslog-style line ("TIME HOST PROG[PID]: MSG"):
				    its message is read for the negotiation context as a
				    line's is (journal entries) */
} ips_record_t;

/* Limits a framer must respect. */
typedef struct ips_frame_limits {
	size_t max_record;       /* bytes of one record kept for matching */
	size_t block;            /* read size for line formats */
} ips_frame_limits_t;

typedef struct ips_framer_ops {
	const char *name;        /* canonical format name (inputs[].format) */
	/* How sure we are that the head is this format: 0 (no) .. 100 (certain). */
	int (*sniff)(const unsigned char *head, size_t n, const char *path);
	/* Read src to its end, handing records to sink. */
	ips_status_t (*run)(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim);
} ips_framer_ops_t;

/* All framers, in sniffing order; the last is the "lines" fallback. */
extern const ips_framer_ops_t *const ips_framers[];
const ips_framer_ops_t *ips_framer_by_name(const char *name);
/* A line format (plain, syslog, gateway logs): one record per line, resumable mid-file. */
bool ips_framer_is_lines(const ips_framer_ops_t *f);
/* Pick the framer for an input from its first bytes and name. */
const ips_framer_ops_t *ips_framer_detect(const unsigned char *head, size_t n, const char *path);
/* For sniffers: the first offset from i on in h[0..n) that is not a space, tab,
 * CR or LF (n when there is none). */
size_t ips_skip_space(const unsigned char *h, size_t n, size_t i);

/* --- sink: implemented by the scanner ----------------------------------- */

/*
 * Where the source's first byte lies in the input: offset 0, line 1, unless
 * cron mode resumed a line format past what earlier runs read (the scanner
 * then seeked the source). Line framers start counting there, so offsets
 * and line numbers stay the file's own. Other framers always start at 0.
 * *whole_lines: leave a last line without its '\n' unread (cron mode: it is
 * still being written; the next run reads it whole).
 */
void ips_sink_start(const ips_sink_t *s, uint64_t *offset, uint64_t *line, bool *whole_lines);

/*
 * A block of whole lines starting at byte offset `offset` with line number
 * `line` (the last line may lack its '\n' only at the end of input).
 * Returns the number of '\n' in the block.
 */
uint64_t ips_sink_lines(ips_sink_t *s, const char *buf, size_t len, uint64_t offset,
			uint64_t line);
/* One record of a structured format (or a cut long line). */
void ips_sink_record(ips_sink_t *s, const ips_record_t *rec);
/* The framer reached the end: records read (lines, events) and input bytes. */
void ips_sink_done(ips_sink_t *s, uint64_t records, uint64_t bytes);
/* A record was cut at the cap (counted; the first one is named in the report). */
void ips_sink_truncated(ips_sink_t *s, uint64_t offset, uint64_t line);
/* Part of the input could not be read or parsed; the input becomes partial. */
void ips_sink_error(ips_sink_t *s, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
