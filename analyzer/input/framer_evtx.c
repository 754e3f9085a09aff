/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_evtx.c - native Windows event log files (.evtx).
 *
 * libevtx needs random access, so a file is opened by its name; any other
 * source (stdin, an archive member) is first copied to an unlinked
 * temporary file (at most IPS_EVTX_SPOOL_MAX bytes). libevtx opens the file
 * (record counts, corruption). The records are then read from the file
 * mapped into memory (the fast path, evtx_binxml.c); a record it does not
 * handle, and every recovered record (found in slack space by libevtx), is
 * rendered to XML by libevtx and read by the same code as winxml (winxml.h).
 * Either way one event gives the same record as in the XML formats.
 * Recovered records carry the field Recovered=true. The message text is not in an EVTX file (it is
 * rendered from the provider's resources), so records have no Message and
 * %%NNNN references stay unresolved. `line` is the record's 1-based number
 * in the file and `offset` its file offset.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Debian's libevtx.h includes libbfio.h when built with it; we open files
 * by name only and need no libbfio headers. */
#include <libevtx/features.h>
#undef LIBEVTX_HAVE_BFIO
#include <libevtx.h>

#include "input/evtx_binxml.h"
#include "input/evtx_split.h"
#include "input/winevent.h"
#include "input/winxml.h"
#include "util/util.h"

#define IPS_EVTX_SPOOL_MAX (8ULL << 30)

/* The innermost message of libevtx's error chain (the most specific). */
static void evtx_error_text(libevtx_error_t **err, char *buf, size_t n)
{
	char raw[2048];
	snprintf(buf, n, "unknown libevtx error");
	if (!err || !*err)
		return;
	if (libevtx_error_backtrace_sprint(*err, raw, sizeof raw) > 0) {
		char *nl = strchr(raw, '\n');
		if (nl)
			*nl = '\0';
		/* "libevtx_io_handle_read_file_header: unable to read file header." */
		char *msg = strstr(raw, ": ");
		snprintf(buf, n, "libevtx: %.400s", msg ? msg + 2 : raw);
	}
	libevtx_error_free(err);
}

/* Is src the regular file its name says (so libevtx can open it itself)? */
static bool is_plain_file(const ips_source_t *src)
{
	struct stat st;
	return src->size >= 0 && stat(src->name, &st) == 0 && S_ISREG(st.st_mode) &&
	       (int64_t)st.st_size == src->size && (int64_t)st.st_mtime == src->mtime;
}

/* Copy src to an unlinked temporary file; returns its fd or -1 (reported). */
static int spool(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim,
		 uint64_t *bytes)
{
	const char *dir = getenv("TMPDIR");
	char *path = ips_xasprintf("%s/ipsec-scan-evtx-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0) {
		ips_sink_error(sink, 0, "EVTX: cannot create a temporary file to read it from: %s",
			       strerror(errno));
		free(path);
		return -1;
	}
	unlink(path);
	free(path);
	/* past the cap the chunks copied so far are still read */
	if (ips_framer_spool(src, sink, fd, lim->block, IPS_EVTX_SPOOL_MAX, "EVTX",
			     "the rest is not read", bytes) == IPS_SPOOL_FAILED) {
		close(fd);
		return -1;
	}
	return fd;
}

typedef int (*get_record_fn)(libevtx_file_t *, int, libevtx_record_t **, libevtx_error_t **);

/* What reading one kind of record (allocated or recovered) gave. */
typedef struct pass {
	bool recovered;
	uint64_t first_line;   /* number of the first record of this kind */
	uint64_t read, failed;
	uint64_t fail_off;
	char fail[600];        /* the first failure */
} pass_t;

static void failed(pass_t *p, uint64_t line, uint64_t off, const char *what, const char *msg)
{
	if (p->failed++ == 0) {
		p->fail_off = off;
		snprintf(p->fail, sizeof p->fail, "%srecord %llu %s: %s",
			 p->recovered ? "recovered " : "", (unsigned long long)line, what, msg);
	}
}

/* The XML path's buffer for one rendered record. */
typedef struct xml_buf {
	char *data;
	size_t alloc, cap;
} xml_buf_t;

/*
 * Render record i of one kind to XML (libevtx) and read it (expat). at: the
 * record's file offset where known, else UINT64_MAX (libevtx 20181227's
 * libevtx_record_get_offset() gives 0 for every record).
 */
/*
 * libevtx trusts the counts in a record's binary XML: a template instance
 * that declares a billion values makes it allocate and clear 8 GB for one
 * record (and keep it: it leaks what a failed record allocated), so a 68 KB
 * crafted file grew past 24 GB (found by fuzz_evtx, in a recovered record).
 * While libevtx reads and renders a record, the address space is capped at
 * what the process maps plus LIBEVTX_HEADROOM: such an allocation fails and
 * libevtx reports the record as unreadable. One thread at a time (the cap
 * is the process's); the old limit is put back after.
 */
#define LIBEVTX_HEADROOM (1ULL << 30)

static pthread_mutex_t guard_mu = PTHREAD_MUTEX_INITIALIZER;

typedef struct as_guard {
	struct rlimit old;
	bool set;
} as_guard_t;

/* Bytes the process maps now (/proc/self/statm), or 0 when unknown. */
static uint64_t mapped_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "re");
	unsigned long long pages = 0;
	if (f) {
		if (fscanf(f, "%llu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	long pg = sysconf(_SC_PAGESIZE);
	return pg > 0 ? (uint64_t)pages * (uint64_t)pg : 0;
}

static void guard_on(as_guard_t *g)
{
	pthread_mutex_lock(&guard_mu);
	g->set = false;
	uint64_t now = mapped_bytes();
	if (!now || getrlimit(RLIMIT_AS, &g->old) != 0)
		return;
	rlim_t want = (rlim_t)(now + LIBEVTX_HEADROOM);
	if (g->old.rlim_cur != RLIM_INFINITY && g->old.rlim_cur <= want)
		return; /* a tighter limit is set already */
	struct rlimit r = {.rlim_cur = want, .rlim_max = g->old.rlim_max};
	g->set = setrlimit(RLIMIT_AS, &r) == 0;
}

static void guard_off(as_guard_t *g)
{
	if (g->set)
		(void)setrlimit(RLIMIT_AS, &g->old);
	pthread_mutex_unlock(&guard_mu);
}

static void read_one_guarded(libevtx_file_t *file, int i, get_record_fn get, pass_t *p,
			     ips_winxml_t *w, ips_xmlfeed_t *x, xml_buf_t *xb, uint64_t at)
{
	libevtx_error_t *err = NULL;
	libevtx_record_t *rec = NULL;
	char msg[512];
	uint64_t line = p->first_line + (uint64_t)i;
	if (get(file, i, &rec, &err) != 1) {
		evtx_error_text(&err, msg, sizeof msg);
		failed(p, line, 0, "cannot be read", msg);
		return;
	}
	off64_t off = 0;
	if (libevtx_record_get_offset(rec, &off, &err) != 1) {
		libevtx_error_free(&err);
		off = 0;
	}
	if (at != UINT64_MAX)
		off = (off64_t)at;
	size_t size = 0;
	if (libevtx_record_get_utf8_xml_string_size(rec, &size, &err) != 1 || size == 0) {
		evtx_error_text(&err, msg, sizeof msg);
		failed(p, line, (uint64_t)off, "cannot be rendered", msg);
		libevtx_record_free(&rec, NULL);
		return;
	}
	if (size > xb->cap) {
		snprintf(msg, sizeof msg, "%zu bytes of XML, more than the %zu-byte cap", size,
			 xb->cap);
		failed(p, line, (uint64_t)off, "is too large", msg);
		libevtx_record_free(&rec, NULL);
		return;
	}
	if (size > xb->alloc) {
		xb->data = ips_xrealloc(xb->data, size);
		xb->alloc = size;
	}
	if (libevtx_record_get_utf8_xml_string(rec, (uint8_t *)xb->data, size, &err) != 1) {
		evtx_error_text(&err, msg, sizeof msg);
		failed(p, line, (uint64_t)off, "cannot be rendered", msg);
		libevtx_record_free(&rec, NULL);
		return;
	}
	libevtx_record_free(&rec, NULL);
	ips_winxml_set_record(w, (uint64_t)off, line, p->recovered ? "Recovered" : NULL,
			      p->recovered ? "true" : NULL);
	uint64_t before = ips_winxml_events(w);
	if (!ips_xmlfeed_parse(x, xb->data, strnlen(xb->data, size), msg, sizeof msg))
		failed(p, line, (uint64_t)off, "has XML we cannot read", msg);
	else if (ips_winxml_events(w) == before)
		failed(p, line, (uint64_t)off, "has no <Event>", "nothing to read");
	else
		p->read++;
}

/* One record through libevtx, its allocations under the cap (above). */
static void read_one(libevtx_file_t *file, int i, get_record_fn get, pass_t *p, ips_winxml_t *w,
		     ips_xmlfeed_t *x, xml_buf_t *xb, uint64_t at)
{
	as_guard_t g;
	guard_on(&g);
	read_one_guarded(file, i, get, p, w, x, xb, at);
	guard_off(&g);
}

/* Render and read records [0, count) of one kind. */
static void read_records(libevtx_file_t *file, int count, get_record_fn get, pass_t *p,
			 ips_winxml_t *w, ips_xmlfeed_t *x, xml_buf_t *xb)
{
	for (int i = 0; i < count; i++)
		read_one(file, i, get, p, w, x, xb, UINT64_MAX);
}

/* ---- records as libevtx enumerates them --------------------------------- */

typedef struct evtx_iter {
	const uint8_t *map;     /* the file's bytes from offset base on */
	uint64_t base;
	uint64_t size, chunk_off; /* size: the end of those bytes, as a file offset */
	unsigned chunk, nchunks;
	uint64_t end;           /* the chunk to stop at (a split's range) */
	bool dirty, in_chunk;
	uint32_t pos, last;
} evtx_iter_t;

static void iter_init(evtx_iter_t *it, const uint8_t *map, uint64_t size)
{
	*it = (evtx_iter_t){.map = map, .size = size, .chunk_off = EVTX_FIRST_CHUNK,
			    .end = UINT64_MAX};
	it->nchunks = le16(map + 42);
	it->dirty = le32(map + 120) & 1;
}

/*
 * The next record of the allocated list: chunks in file order (those the
 * file header counts, all of them in a dirty file), in each the records
 * from offset 512 up to the chunk's last-record offset while their headers
 * hold (signature, size, size copy), as libevtx_file_open lists them.
 */
static bool iter_next(evtx_iter_t *it, const uint8_t **chunk, uint64_t *chunk_off, uint32_t *pos,
		      uint32_t *size, bool *new_chunk)
{
	*new_chunk = false;
	for (;;) {
		if (!it->in_chunk) {
			if (it->chunk_off + EVTX_CHUNK > it->size || it->chunk >= it->end)
				return false;
			const uint8_t *c = it->map + (it->chunk_off - it->base);
			if (!memcmp(c, "ElfChnk", 8) && (it->chunk < it->nchunks || it->dirty)) {
				it->in_chunk = true;
				it->pos = 512;
				it->last = le32(c + 44);
				*new_chunk = true;
			} else {
				it->chunk++;
				it->chunk_off += EVTX_CHUNK;
				continue;
			}
		}
		const uint8_t *c = it->map + (it->chunk_off - it->base);
		uint32_t p = it->pos;
		if (p <= it->last && p + 28 <= EVTX_CHUNK) {
			static const uint8_t zero[24];
			uint32_t ds = le32(c + p + 4);
			if (memcmp(c + p, zero, 24) && !memcmp(c + p, "**\0\0", 4) && ds >= 24 &&
			    ds <= EVTX_CHUNK - p - 4 && le32(c + p + ds - 4) == ds) {
				*chunk = c;
				*chunk_off = it->chunk_off;
				*pos = p;
				*size = ds;
				it->pos = p + ds;
				return true;
			}
		}
		it->in_chunk = false;
		it->chunk++;
		it->chunk_off += EVTX_CHUNK;
	}
}

/*
 * Pages of a mapped file already read are given back every 16 MiB, so that
 * the resident size of a large file's read stays bounded: they are clean
 * file pages, faulted in again from the page cache should a record behind
 * be wanted later (the join's records, the recovered ones).
 */
typedef struct map_drop {
	const uint8_t *map;
	uint64_t done;
} map_drop_t;

static void map_drop(map_drop_t *d, uint64_t upto, bool all)
{
	uint64_t to = upto & ~(uint64_t)((uint64_t)sysconf(_SC_PAGESIZE) - 1);
	if (to > d->done && (all || to - d->done >= (16u << 20))) {
		madvise((void *)(d->map + d->done), (size_t)(to - d->done), MADV_DONTNEED);
		d->done = to;
	}
}

/* The records the chunk iterator lists in a mapped file. */
static uint64_t count_records(const uint8_t *map, uint64_t size)
{
	evtx_iter_t it;
	const uint8_t *c;
	uint64_t coff, count = 0;
	uint32_t pos, rsize;
	bool nc;
	map_drop_t d = {.map = map};
	iter_init(&it, map, size);
	while (iter_next(&it, &c, &coff, &pos, &rsize, &nc)) {
		count++;
		map_drop(&d, coff, false);
	}
	map_drop(&d, size, true);
	return count;
}

/*
 * The allocated records through the fast path (fast_ok), falling back to
 * libevtx and expat record by record, or all through libevtx and expat
 * with their offsets (the XML path). false (nothing read) when the file
 * does not list the same n records as libevtx does: then the caller takes
 * the XML path without offsets.
 */
static bool read_fast(const uint8_t *map, uint64_t size, int n, libevtx_file_t *file, pass_t *p,
		      ips_winxml_t *w, ips_xmlfeed_t *x, xml_buf_t *xb, ips_sink_t *sink,
		      const ips_frame_limits_t *lim, bool fast_ok)
{
	if (size < EVTX_FIRST_CHUNK || n < 0)
		return false;
	evtx_iter_t it;
	const uint8_t *c;
	uint64_t coff;
	uint32_t pos, rsize;
	bool nc;
	uint64_t count = 0, fast = 0;
	const char *mode = getenv("IPSEC_SCAN_EVTX");
	bool stats = mode && !strcmp(mode, "stats");
	count = count_records(map, size);
	if (count != (uint64_t)n) {
		if (stats)
			fprintf(stderr, "ipsec-scan: evtx: %llu records listed, libevtx lists %d: "
				"the XML path\n", (unsigned long long)count, n);
		return false;
	}
	ips_evtx_bx_t *b = ips_evtx_bx_new(lim->max_record);
	ips_winevent_t *ev = ips_winevent_new(lim->max_record);
	map_drop_t d = {.map = map};
	iter_init(&it, map, size);
	for (int i = 0; iter_next(&it, &c, &coff, &pos, &rsize, &nc); i++) {
		map_drop(&d, coff, false);
		ips_evtx_bx_chunk(b, c, nc);
		if (fast_ok && rsize >= 28 + 5 && ips_evtx_bx_read_record(b, pos + 24, rsize - 28)) {
			ips_evtx_bx_emit(b, ev, sink, coff + pos, p->first_line + (uint64_t)i);
			p->read++;
			fast++;
		} else {
			read_one(file, i, libevtx_file_get_record_by_index, p, w, x, xb, coff + pos);
		}
	}
	map_drop(&d, size, true);
	if (stats)
		fprintf(stderr, "ipsec-scan: evtx: %d records, %llu read here, %llu through libevtx\n",
			n, (unsigned long long)fast, (unsigned long long)((uint64_t)n - fast));
	ips_winevent_free(ev);
	ips_evtx_bx_free(b);
	return true;
}

/* The file mapped read-only (fd, or the file by name when fd < 0). */
static const uint8_t *map_file(int fd, const char *name, uint64_t *size)
{
	int f = fd >= 0 ? fd : open(name, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return NULL;
	struct stat st;
	void *m = MAP_FAILED;
	if (fstat(f, &st) == 0 && st.st_size > 0)
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, f, 0);
	if (fd < 0)
		close(f);
	if (m == MAP_FAILED)
		return NULL;
	*size = (uint64_t)st.st_size;
	return m;
}

/*
 * One EVTX file being read: what evtx_begin() opened, the passes, the
 * readers. evtx_run() reads it all; a split (--jobs within one file,
 * evtx_split.h) has the workers read the chunks and the join read through
 * it what only libevtx gives, in the same order.
 */
struct ips_evtx_join {
	ips_sink_t *sink;
	const ips_frame_limits_t *lim;
	libevtx_file_t *file;
	int fd;                 /* the spooled copy, or -1 */
	uint64_t bytes;
	int n, nrec;
	bool corrupted;
	ips_status_t st;
	ips_winxml_t *w;
	ips_xmlfeed_t *x;
	pass_t items, rec;
	xml_buf_t xb;
	const uint8_t *map;
	uint64_t map_size;
	/* the join's fast reader */
	ips_evtx_bx_t *b;
	ips_winevent_t *ev;
	uint64_t fast;          /* records the workers read through the fast path */
};

/*
 * Open src with libevtx and map it; false when it cannot be read at all
 * (reported to the sink; evtx_end() still closes and counts).
 */
static bool evtx_begin(ips_evtx_join_t *j, ips_source_t *src, ips_sink_t *sink,
		       const ips_frame_limits_t *lim)
{
	libevtx_error_t *err = NULL;
	char msg[512];
	const char *open_name = src->name;
	char fdpath[64];
	*j = (ips_evtx_join_t){.sink = sink, .lim = lim, .fd = -1, .st = IPS_OK};

	if (is_plain_file(src)) {
		j->bytes = (uint64_t)src->size;
	} else {
		j->fd = spool(src, sink, lim, &j->bytes);
		if (j->fd < 0) {
			j->st = IPS_E_INPUT;
			return false;
		}
		snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", j->fd);
		open_name = fdpath;
	}
	if (libevtx_file_initialize(&j->file, &err) != 1) {
		evtx_error_text(&err, msg, sizeof msg);
		ips_sink_error(sink, 0, "EVTX: %s", msg);
		j->st = IPS_E_INPUT;
		return false;
	}
	if (libevtx_file_open(j->file, open_name, LIBEVTX_OPEN_READ, &err) != 1) {
		evtx_error_text(&err, msg, sizeof msg);
		ips_sink_error(sink, 0, "EVTX: not a readable event log file: %s", msg);
		j->st = IPS_E_INPUT;
		libevtx_file_free(&j->file, NULL);
		return false;
	}
	if (libevtx_file_get_number_of_records(j->file, &j->n, &err) != 1) {
		evtx_error_text(&err, msg, sizeof msg);
		ips_sink_error(sink, 0, "EVTX: cannot count the records: %s", msg);
		j->n = 0;
	}
	if (libevtx_file_get_number_of_recovered_records(j->file, &j->nrec, &err) != 1) {
		libevtx_error_free(&err);
		j->nrec = 0;
	}
	j->corrupted = libevtx_file_is_corrupted(j->file, &err) == 1;
	libevtx_error_free(&err);

	j->w = ips_winxml_new(sink, lim->max_record);
	j->x = ips_xmlfeed_new(&ips_winxml_ops, j->w);
	j->items = (pass_t){.recovered = false, .first_line = 1};
	j->rec = (pass_t){.recovered = true, .first_line = (uint64_t)j->n + 1};
	j->xb.cap = lim->max_record * 4 > (1u << 20) ? lim->max_record * 4 : (1u << 20);
	j->map = map_file(j->fd, src->name, &j->map_size);
	return true;
}

/* The allocated records, as evtx_run() reads them. */
static void evtx_allocated(ips_evtx_join_t *j)
{
	const char *mode = getenv("IPSEC_SCAN_EVTX");
	bool fast_ok = !mode || strcmp(mode, "xml");
	if (!j->map || !read_fast(j->map, j->map_size, j->n, j->file, &j->items, j->w, j->x, &j->xb,
				  j->sink, j->lim, fast_ok))
		read_records(j->file, j->n, libevtx_file_get_record_by_index, &j->items, j->w, j->x,
			     &j->xb);
}

/* The recovered records, the notes, the counts; closes what j holds. */
static ips_status_t evtx_end(ips_evtx_join_t *j, bool opened)
{
	ips_sink_t *sink = j->sink;
	uint64_t records = 0;
	if (j->map)
		munmap((void *)j->map, (size_t)j->map_size);
	j->map = NULL;
	if (opened) {
		read_records(j->file, j->nrec, libevtx_file_get_recovered_record_by_index, &j->rec,
			     j->w, j->x, &j->xb);
		free(j->xb.data);
		records = j->items.read + j->rec.read;
		if (j->items.failed)
			ips_sink_error(sink, j->items.fail_off, "EVTX: %llu of %d records could not be "
				       "read; the first: %s",
				       (unsigned long long)j->items.failed, j->n, j->items.fail);
		if (j->corrupted || j->rec.failed) {
			/* libevtx flags a file whose chunks fail their checks; the records
			 * it recovers from damaged or free space may not all be readable */
			char tail[1024] = "";
			if (j->rec.failed)
				snprintf(tail, sizeof tail, "; %llu of %d recovered records (fragments "
					 "in damaged or free space) could not be read, the first: %s",
					 (unsigned long long)j->rec.failed, j->nrec, j->rec.fail);
			const char *why = j->corrupted ? "libevtx marks the file as corrupted (chunks "
							 "that fail their checks are skipped); "
						       : "";
			ips_sink_error(sink, j->rec.failed ? j->rec.fail_off : 0,
				       "EVTX: %s%llu of %d records read%s", why,
				       (unsigned long long)j->items.read, j->n, tail);
		}
		ips_xmlfeed_free(j->x);
		ips_winxml_free(j->w);
		libevtx_file_close(j->file, NULL);
		libevtx_file_free(&j->file, NULL);
	}
	if (j->fd >= 0)
		close(j->fd);
	ips_sink_done(sink, records, j->bytes);
	return j->st;
}

static ips_status_t evtx_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	ips_evtx_join_t j;
	bool opened = evtx_begin(&j, src, sink, lim);
	if (opened)
		evtx_allocated(&j);
	return evtx_end(&j, opened);
}

/* ---- --jobs within one file (evtx_split.h) -------------------------------- */

uint64_t ips_evtx_split_chunks(const unsigned char *head, size_t n, uint64_t size)
{
	const char *mode = getenv("IPSEC_SCAN_EVTX");
	if (n < 128 || memcmp(head, "ElfFile", 8) || size < EVTX_FIRST_CHUNK + EVTX_CHUNK ||
	    (mode && !strcmp(mode, "xml")))
		return 0;
	return (size - EVTX_FIRST_CHUNK) / EVTX_CHUNK;
}

uint64_t ips_evtx_read_chunks(const uint8_t *head, const uint8_t *chunks, uint64_t n,
			      uint64_t from, uint64_t to, ips_sink_t *sink, size_t max_record,
			      ips_evtx_refused_fn refused, void *ctx, uint64_t *fast)
{
	*fast = 0;
	evtx_iter_t it;
	const uint8_t *c;
	uint64_t coff, count = 0;
	uint32_t pos, rsize;
	bool nc;
	iter_init(&it, head, EVTX_FIRST_CHUNK); /* the file header's fields */
	it.map = chunks;
	it.base = EVTX_FIRST_CHUNK + from * EVTX_CHUNK;
	it.size = it.base + n;
	it.chunk = (unsigned)from;
	it.chunk_off = it.base;
	it.end = to;
	ips_evtx_bx_t *b = ips_evtx_bx_new(max_record);
	ips_winevent_t *ev = ips_winevent_new(max_record);
	while (iter_next(&it, &c, &coff, &pos, &rsize, &nc)) {
		uint64_t line = ++count; /* from the range's first record */
		ips_evtx_bx_chunk(b, c, nc);
		if (rsize >= 28 + 5 && ips_evtx_bx_read_record(b, pos + 24, rsize - 28)) {
			ips_evtx_bx_emit(b, ev, sink, coff + pos, line);
			(*fast)++;
		} else {
			refused(ctx, coff + pos, line);
		}
	}
	ips_winevent_free(ev);
	ips_evtx_bx_free(b);
	return count;
}

ips_evtx_join_t *ips_evtx_join_open(ips_source_t *src, ips_sink_t *sink,
				    const ips_frame_limits_t *lim, ips_status_t *st)
{
	ips_evtx_join_t *j = ips_xcalloc(1, sizeof *j);
	bool opened = evtx_begin(j, src, sink, lim);
	uint64_t count = 0;
	if (opened && j->map && j->map_size >= EVTX_FIRST_CHUNK && j->n >= 0)
		count = count_records(j->map, j->map_size);
	if (!opened || !j->map || count != (uint64_t)j->n) {
		/* not the records the workers read: the whole file as evtx_run() reads it */
		if (opened)
			evtx_allocated(j);
		*st = evtx_end(j, opened);
		free(j);
		return NULL;
	}
	j->b = ips_evtx_bx_new(lim->max_record);
	j->ev = ips_winevent_new(lim->max_record);
	return j;
}

/* The chunk and chunk offset of the record at file offset off. */
static const uint8_t *chunk_at(const ips_evtx_join_t *j, uint64_t off, uint32_t *pos)
{
	uint64_t k = (off - EVTX_FIRST_CHUNK) / EVTX_CHUNK;
	*pos = (uint32_t)((off - EVTX_FIRST_CHUNK) % EVTX_CHUNK);
	return j->map + EVTX_FIRST_CHUNK + k * EVTX_CHUNK;
}

void ips_evtx_join_fast(ips_evtx_join_t *j, uint64_t off, uint64_t line)
{
	if (off < EVTX_FIRST_CHUNK + 512 || off + 28 > j->map_size) { /* (shorter since) */
		j->fast--;
		ips_evtx_join_libevtx(j, off, line);
		return;
	}
	uint32_t pos;
	const uint8_t *c = chunk_at(j, off, &pos);
	uint32_t rsize = le32(c + pos + 4);
	/* a record read alone reads as it did after the chunk's earlier ones
	 * (their names are only cached) */
	ips_evtx_bx_chunk(j->b, c, true);
	if (ips_evtx_bx_read_record(j->b, pos + 24, rsize - 28)) {
		ips_evtx_bx_emit(j->b, j->ev, j->sink, off, line);
	} else { /* (changed since the worker read it) */
		j->fast--;
		ips_evtx_join_libevtx(j, off, line);
	}
}

void ips_evtx_join_libevtx(ips_evtx_join_t *j, uint64_t off, uint64_t line)
{
	read_one(j->file, (int)(line - 1), libevtx_file_get_record_by_index, &j->items, j->w,
		 j->x, &j->xb, off);
}

void ips_evtx_join_read(ips_evtx_join_t *j, uint64_t fast)
{
	j->fast += fast;
}

ips_status_t ips_evtx_join_finish(ips_evtx_join_t *j)
{
	j->items.read += j->fast;
	const char *mode = getenv("IPSEC_SCAN_EVTX");
	if (mode && !strcmp(mode, "stats"))
		fprintf(stderr, "ipsec-scan: evtx: %d records, %llu read here, %llu through libevtx\n",
			j->n, (unsigned long long)j->fast,
			(unsigned long long)((uint64_t)j->n - j->fast));
	ips_winevent_free(j->ev);
	ips_evtx_bx_free(j->b);
	ips_status_t st = evtx_end(j, true);
	free(j);
	return st;
}

static int evtx_sniff(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	return n >= 8 && !memcmp(h, "ElfFile", 8) ? 100 : 0;
}

/* pull only: libevtx reads a whole file (framer.h) */
const ips_framer_ops_t ips_framer_evtx = {.name = "evtx", .sniff = evtx_sniff, .run = evtx_run};
