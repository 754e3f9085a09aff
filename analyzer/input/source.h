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

#endif
