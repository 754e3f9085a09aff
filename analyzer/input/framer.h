/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer.h - turning an input's bytes into records.
 *
 * A framer knows one input format: how to recognise it from the first
 * bytes (sniff) and how to cut the stream into records, which it hands to
 * the scanner through the sink. Line formats hand over whole blocks of
 * lines, so the scanner can prefilter raw bytes and never touch most lines;
 * structured formats (XML, CSV, JSON, EVTX) hand over one record at a time
 * with the fields they parsed.
 *
 * Push and pull. Most framers are push framers: an instance is opened on a
 * sink, fed bytes as they come (ips_framer_feed) and told when the input is
 * complete (ips_framer_end). Batch scans read the source in blocks and feed
 * them (ips_framer_pump, the `run` of every push framer); live mode feeds
 * what a followed file or a pipe gives, whenever it gives it. Push: the line
 * formats, ndjson, winjson, winxml, wfpxml, wintext, wincsv (and the Event
 * Viewer text export), pslist, pstable, evcopy. Pull only (`run` reads the
 * source to its end; `open` is NULL): evtx and journal, which libevtx and
 * sd-journal read as whole files (a temporary copy when the input is not a
 * file), and journal-export/journal-json, whose reader in journal.c still
 * pulls (they could be pushed like ndjson; not done yet).
 *
 * Ownership: an instance borrows its sink (which must outlive it) and copies
 * the limits; bytes fed are borrowed for the call only (the instance keeps
 * what it still needs in its own buffers). Records and blocks handed to the
 * sink are borrowed for the duration of the sink call.
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

/*
 * Where the first byte fed lies in the input: its offset and line number
 * (offsets and line numbers of records count from there), and whether a
 * last line without its '\n' stays unread at the end (cron mode: it is
 * still being written). Batch scans take it from ips_sink_start(); live
 * mode from where it started to follow a file.
 */
typedef struct ips_frame_start {
	uint64_t offset;
	uint64_t line;
	bool whole_lines;
} ips_frame_start_t;

typedef struct ips_framer_ops ips_framer_ops_t;

/* A push framer instance; each framer's own state begins with it. */
typedef struct ips_framer {
	const ips_framer_ops_t *ops;
	ips_sink_t *sink;        /* borrowed */
	ips_frame_limits_t lim;
	ips_frame_start_t at;
	uint64_t records;        /* records (lines, events): kept current by the line
				    framers, set by the others when they end */
	uint64_t fed;            /* bytes fed so far */
	bool ended;
} ips_framer_t;

struct ips_framer_ops {
	const char *name;        /* canonical format name (inputs[].format) */
	/* How sure we are that the head is this format: 0 (no) .. 100 (certain). */
	int (*sniff)(const unsigned char *head, size_t n, const char *path);
	/* Read src to its end, handing records to sink (push framers: ips_framer_pump). */
	ips_status_t (*run)(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim);
	/* Push framers (NULL for pull-only ones); called through ips_framer_new() etc.
	 * open: the framer's state (ips_framer_alloc), whose head ips_framer_new fills. */
	ips_framer_t *(*open)(ips_sink_t *sink, const ips_frame_limits_t *lim,
			      const ips_frame_start_t *at);
	void (*feed)(ips_framer_t *f, const char *p, size_t n);
	/* hand over what is left, then ips_framer_done(); broken: the input stopped
	 * at a read error (nothing is said about an unfinished record) */
	void (*end)(ips_framer_t *f, bool broken);
	void (*free)(ips_framer_t *f);
	/* Optional, for reads without a copy: room (*n bytes) at the end of the
	 * framer's own buffer to read into, then filled(f, k) for the k bytes
	 * read there (as if fed). Never 0 bytes of room. */
	char *(*room)(ips_framer_t *f, size_t *n);
	void (*filled)(ips_framer_t *f, size_t k);
	/* Optional (the line framers), before anything is fed: hand over whole
	 * lines read from mapped windows of `window` bytes of the regular file
	 * fd (ips_map_t, source.h), from the framer's offset to at most `end`,
	 * never the window holding the end; returns the offset where reads
	 * must go on (they do all that is left after a line longer than a
	 * window or the buffer, or a file that shrank, which is reported).
	 * *windows: how many were mapped. */
	uint64_t (*map)(ips_framer_t *f, int fd, uint64_t end, size_t window, unsigned *windows);
};

/* Can this framer be fed (ips_framer_new)? False for evtx and the journal forms. */
bool ips_framer_can_push(const ips_framer_ops_t *ops);
/* A push framer instance on sink, or NULL when the framer is pull-only. */
ips_framer_t *ips_framer_new(const ips_framer_ops_t *ops, ips_sink_t *sink,
			     const ips_frame_limits_t *lim, const ips_frame_start_t *at);
/* The next n bytes of the input. */
void ips_framer_feed(ips_framer_t *f, const void *p, size_t n);
/* Reads without a copy, where the framer offers it (else NULL): read up to
 * *n bytes into the room returned, then ips_framer_filled() with the count. */
char *ips_framer_room(ips_framer_t *f, size_t *n);
void ips_framer_filled(ips_framer_t *f, size_t k);
/* The input is complete (broken: it stopped at a read error). Once; no feed after. */
void ips_framer_end(ips_framer_t *f, bool broken);
void ips_framer_free(ips_framer_t *f);
/* For framers' end(): records read and input bytes, to the sink (ips_sink_done) and f. */
void ips_framer_done(ips_framer_t *f, uint64_t records, uint64_t bytes);
/* For framers' open(): a zeroed instance of `size` bytes whose head is filled in later. */
void *ips_framer_alloc(size_t size);
/*
 * The lines of the regular file fd from the framer's offset through its
 * mapped windows (the ops' map), where the framer has one and at least
 * ips_map_sizes()'s minimum is left before end (at most the file's size):
 * windows of `window` bytes unless IPSEC_SCAN_MMAP sets them, when a line
 * "ipsec-scan: mmap: NAME: WHAT<K> windows, to <offset>" goes to standard
 * error for the tests. Returns where reads must go on (the framer's offset
 * when nothing was mapped).
 */
uint64_t ips_framer_map_lines(ips_framer_t *f, int fd, uint64_t end, size_t window,
			      const char *name, const char *what);
/*
 * The batch adapter, the `run` of every push framer: reads src into the
 * framer's room, or in blocks of lim->block bytes that it feeds; a large
 * regular file opened by path goes first through the framer's map, where
 * it has one (ips_map_sizes says how large). A read
 * error is reported at the offset reached; a problem the source kept
 * (decode.h) is reported when the input ends, before the framer ends. It
 * starts where ips_sink_start() says.
 */
ips_status_t ips_framer_pump(const ips_framer_ops_t *ops, ips_source_t *src, ips_sink_t *sink,
			     const ips_frame_limits_t *lim);
/* Report a problem src kept (ips_source_problem) to sink, once. */
void ips_framer_source_problem(ips_source_t *src, ips_sink_t *sink);
/*
 * For the framers whose library reads a file (EVTX, the binary journal):
 * copy src to its end into fd, in blocks of `block` bytes, at most `max`
 * bytes (*bytes: how many were copied). Read errors and a problem the
 * source kept are reported as a pump reports them and end the copy (what
 * was copied is kept: IPS_SPOOL_DONE). Passing max is reported as
 * "WHAT: larger than MAX bytes: TOO_BIG" (IPS_SPOOL_TOO_BIG), a failed
 * write as "WHAT: cannot write the temporary copy: ..." (IPS_SPOOL_FAILED).
 */
typedef enum { IPS_SPOOL_DONE, IPS_SPOOL_TOO_BIG, IPS_SPOOL_FAILED } ips_spool_end_t;
ips_spool_end_t ips_framer_spool(ips_source_t *src, ips_sink_t *sink, int fd, size_t block,
				 uint64_t max, const char *what, const char *too_big, uint64_t *bytes);

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
