/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source.h - where input bytes come from: a file, stdin or a FIFO behind one
 * read interface; container.c puts archive members and decompressed streams
 * behind the same interface.
 *
 * Ownership: ips_source_close() frees the source and everything it owns.
 * The name is copied.
 */
#ifndef IPS_SOURCE_H
#define IPS_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct ips_source ips_source_t;
struct ips_source {
	char *name;        /* as reported in inputs[].path */
	int64_t mtime;     /* modification time (seconds), 0 if unknown */
	int64_t size;      /* size in bytes, -1 if unknown (pipes) */
	int err;           /* errno of the last failed read */
	char *errmsg;      /* what went wrong in words, when errno says too little */
	/* Read up to n bytes; 0 at the end, -1 on error (err set). */
	ssize_t (*read)(ips_source_t *src, void *buf, size_t n);
	void (*close)(ips_source_t *src);
	/* Move to byte offset off (files only; NULL when the source cannot). 0 or -1. */
	int (*seek)(ips_source_t *src, uint64_t off);
	/* bytes peeked but not yet returned by read */
	unsigned char *head;
	size_t head_len, head_pos;
	uint64_t pos;      /* offset of the next byte ips_source_read() returns */
	uint64_t limit;    /* when limited: ips_source_read() stops at this offset */
	int limited;
	/* A problem met while reading that did not stop it (a decoder's invalid
	 * input, decode.h), in words, and the offset in the bytes this source
	 * returned where it lies. Owned by the source; the caller reads it and
	 * reports it (ips_framer_source_problem). */
	char *problem;
	uint64_t problem_off;
	bool problem_told;  /* the caller reported it already */
};

/* Open a file, FIFO or "-" (stdin). On failure returns NULL with *err set. */
ips_source_t *ips_source_open_path(const char *path, int *err);

/*
 * Read from src, first returning any bytes ips_source_peek() kept.
 * Retries on EINTR. Returns what read returns.
 */
ssize_t ips_source_read(ips_source_t *src, void *buf, size_t n);
/*
 * Look at up to n leading bytes without consuming them. Returns the number
 * available in *out (fewer at the end of input); -1 on a read error.
 */
ssize_t ips_source_peek(ips_source_t *src, size_t n, const unsigned char **out);
void ips_source_close(ips_source_t *src);
/*
 * Cron mode. Seek: continue reading at byte offset off, dropping what was
 * peeked; false when the source cannot seek (pipes, archive members, decoders)
 * or lseek fails. Limit: reads end at byte offset end (a snapshot of a file
 * that is still growing, or its last whole line).
 */
bool ips_source_seek(ips_source_t *src, uint64_t off);
/* The file descriptor of a file, FIFO or stdin source (borrowed); -1 for others. */
int ips_source_fd(const ips_source_t *src);
/* The file descriptor of a regular file opened by its path (borrowed); -1 for
 * stdin, FIFOs, archive members and decoded sources. */
int ips_source_file_fd(const ips_source_t *src);
void ips_source_limit(ips_source_t *src, uint64_t end);
/* Bytes read so far from files, FIFOs and stdin, by all threads (a counter
 * for the progress bar; archive members count as the archive's bytes). */
uint64_t ips_source_bytes_read(void);
/* Count n bytes read from a file without a source (pread of --jobs ranges). */
void ips_source_count_read(uint64_t n);
/* The problem the source kept (NULL if none) and its offset. */
const char *ips_source_problem(const ips_source_t *src, uint64_t *off);
/* Keep a problem (the first one kept stays; fmt as printf). */
void ips_source_set_problem(ips_source_t *src, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The last read error in words (errmsg, else strerror(err)). */
const char *ips_source_error(const ips_source_t *src);

/*
 * Mapped windows of a regular file (framer_lines.c reads large files so).
 * A window is mapped private and read-only, and registered in a small
 * process-wide table (one entry per window in use, lock-free: --jobs runs
 * framers in threads) that a SIGBUS handler reads: touching a page past the
 * end of a file that shrank meanwhile (copytruncate) raises SIGBUS; the
 * handler maps zero pages over the rest of that window, marks it cut and
 * returns. Any other SIGBUS goes to the handler there was before, else ends
 * the process as it would have. Ownership: the window belongs to the caller
 * until ips_map_close().
 */
typedef struct ips_map {
	const char *p;     /* the window's first byte */
	uint64_t off;      /* its offset in the file (a multiple of the page size) */
	size_t len;
	int slot;          /* its entry in the handler's table */
} ips_map_t;

/* Map len bytes of fd from off (page-aligned). False when mmap fails or every
 * entry of the table is in use: read the file instead. */
bool ips_map_open(ips_map_t *m, int fd, uint64_t off, size_t len);
/* Did the file end inside the window while it was read (its tail reads as zeros)? */
bool ips_map_cut(const ips_map_t *m);
void ips_map_close(ips_map_t *m);
/*
 * The window size and the least number of bytes left to read for a file to be
 * read through windows: 8 MiB and 4 MiB, or for the tests the environment's
 * IPSEC_SCAN_MMAP="WINDOW MIN" (bytes; WINDOW rounded up to whole pages, at
 * least 4; then *hook is true and the caller names what it did on standard
 * error). A WINDOW of 0 turns windows off. IPSEC_SCAN_MMAP_CUT=N, for a test
 * only: once a window reaching past byte N is mapped, the file is truncated to
 * N bytes (the SIGBUS path, deterministically).
 */
void ips_map_sizes(size_t *window, uint64_t *min, bool *hook);
size_t ips_map_page(void);

#endif
