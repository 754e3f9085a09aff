/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_evtx.c - native Windows event log files (.evtx) through libevtx.
 *
 * libevtx needs random access, so a file is opened by its name; any other
 * source (stdin, an archive member) is first copied to an unlinked
 * temporary file (at most IPS_EVTX_SPOOL_MAX bytes). Every record, then
 * every recovered record (found in slack space by libevtx), is rendered to
 * XML by libevtx and read by the same code as winxml (winxml.h), so one
 * event gives the same record in both formats. Recovered records carry the
 * field Recovered=true. The message text is not in an EVTX file (it is
 * rendered from the provider's resources), so records have no Message and
 * %%NNNN references stay unresolved. `line` is the record's 1-based number
 * in the file and `offset` its file offset.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Debian's libevtx.h includes libbfio.h when built with it; we open files
 * by name only and need no libbfio headers. */
#include <libevtx/features.h>
#undef LIBEVTX_HAVE_BFIO
#include <libevtx.h>

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
	size_t cap = lim->block;
	char *buf = ips_xmalloc(cap);
	*bytes = 0;
	for (;;) {
		ssize_t n = ips_source_read(src, buf, cap);
		if (n < 0) {
			ips_sink_error(sink, *bytes, "read error: %s", ips_source_error(src));
			break;
		}
		if (n == 0)
			break;
		if (*bytes + (uint64_t)n > IPS_EVTX_SPOOL_MAX) {
			ips_sink_error(sink, *bytes, "EVTX: larger than %llu bytes: the rest is not read",
				       (unsigned long long)IPS_EVTX_SPOOL_MAX);
			break;
		}
		for (ssize_t w = 0; w < n;) {
			ssize_t k = write(fd, buf + w, (size_t)(n - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				ips_sink_error(sink, *bytes, "EVTX: cannot write the temporary copy: %s",
					       strerror(k < 0 ? errno : ENOSPC));
				free(buf);
				close(fd);
				return -1;
			}
			w += k;
		}
		*bytes += (uint64_t)n;
	}
	free(buf);
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

/* Render and read records [0, count) of one kind. */
static void read_records(libevtx_file_t *file, int count, get_record_fn get, pass_t *p,
			 ips_winxml_t *w, ips_xmlfeed_t *x, const ips_frame_limits_t *lim)
{
	size_t xml_cap = lim->max_record * 4 > (1u << 20) ? lim->max_record * 4 : (1u << 20);
	char *xml = NULL;
	size_t xml_alloc = 0;
	for (int i = 0; i < count; i++) {
		libevtx_error_t *err = NULL;
		libevtx_record_t *rec = NULL;
		char msg[512];
		uint64_t line = p->first_line + (uint64_t)i;
		if (get(file, i, &rec, &err) != 1) {
			evtx_error_text(&err, msg, sizeof msg);
			failed(p, line, 0, "cannot be read", msg);
			continue;
		}
		off64_t off = 0;
		if (libevtx_record_get_offset(rec, &off, &err) != 1) {
			libevtx_error_free(&err);
			off = 0;
		}
		size_t size = 0;
		if (libevtx_record_get_utf8_xml_string_size(rec, &size, &err) != 1 || size == 0) {
			evtx_error_text(&err, msg, sizeof msg);
			failed(p, line, (uint64_t)off, "cannot be rendered", msg);
			libevtx_record_free(&rec, NULL);
			continue;
		}
		if (size > xml_cap) {
			snprintf(msg, sizeof msg, "%zu bytes of XML, more than the %zu-byte cap", size,
				 xml_cap);
			failed(p, line, (uint64_t)off, "is too large", msg);
			libevtx_record_free(&rec, NULL);
			continue;
		}
		if (size > xml_alloc) {
			xml = ips_xrealloc(xml, size);
			xml_alloc = size;
		}
		if (libevtx_record_get_utf8_xml_string(rec, (uint8_t *)xml, size, &err) != 1) {
			evtx_error_text(&err, msg, sizeof msg);
			failed(p, line, (uint64_t)off, "cannot be rendered", msg);
			libevtx_record_free(&rec, NULL);
			continue;
		}
		libevtx_record_free(&rec, NULL);
		ips_winxml_set_record(w, (uint64_t)off, line, p->recovered ? "Recovered" : NULL,
				      p->recovered ? "true" : NULL);
		uint64_t before = ips_winxml_events(w);
		if (!ips_xmlfeed_parse(x, xml, strnlen(xml, size), msg, sizeof msg))
			failed(p, line, (uint64_t)off, "has XML we cannot read", msg);
		else if (ips_winxml_events(w) == before)
			failed(p, line, (uint64_t)off, "has no <Event>", "nothing to read");
		else
			p->read++;
	}
	free(xml);
}

static ips_status_t evtx_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	libevtx_file_t *file = NULL;
	libevtx_error_t *err = NULL;
	char msg[512];
	uint64_t bytes = 0, records = 0;
	ips_status_t st = IPS_OK;
	int fd = -1;
	const char *open_name = src->name;
	char fdpath[64];

	if (is_plain_file(src)) {
		bytes = (uint64_t)src->size;
	} else {
		fd = spool(src, sink, lim, &bytes);
		if (fd < 0) {
			ips_sink_done(sink, 0, bytes);
			return IPS_E_INPUT;
		}
		snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
		open_name = fdpath;
	}
	if (libevtx_file_initialize(&file, &err) != 1) {
		evtx_error_text(&err, msg, sizeof msg);
		ips_sink_error(sink, 0, "EVTX: %s", msg);
		st = IPS_E_INPUT;
		goto out;
	}
	if (libevtx_file_open(file, open_name, LIBEVTX_OPEN_READ, &err) != 1) {
		evtx_error_text(&err, msg, sizeof msg);
		ips_sink_error(sink, 0, "EVTX: not a readable event log file: %s", msg);
		st = IPS_E_INPUT;
		goto out;
	}
	int n = 0, nrec = 0;
	if (libevtx_file_get_number_of_records(file, &n, &err) != 1) {
		evtx_error_text(&err, msg, sizeof msg);
		ips_sink_error(sink, 0, "EVTX: cannot count the records: %s", msg);
		n = 0;
	}
	if (libevtx_file_get_number_of_recovered_records(file, &nrec, &err) != 1) {
		libevtx_error_free(&err);
		nrec = 0;
	}
	bool corrupted = libevtx_file_is_corrupted(file, &err) == 1;
	libevtx_error_free(&err);

	ips_winxml_t *w = ips_winxml_new(sink, lim->max_record);
	ips_xmlfeed_t *x = ips_xmlfeed_new(&ips_winxml_ops, w);
	pass_t items = {.recovered = false, .first_line = 1};
	pass_t rec = {.recovered = true, .first_line = (uint64_t)n + 1};
	read_records(file, n, libevtx_file_get_record_by_index, &items, w, x, lim);
	read_records(file, nrec, libevtx_file_get_recovered_record_by_index, &rec, w, x, lim);
	records = items.read + rec.read;
	if (items.failed)
		ips_sink_error(sink, items.fail_off, "EVTX: %llu of %d records could not be read; "
			       "the first: %s",
			       (unsigned long long)items.failed, n, items.fail);
	if (corrupted || rec.failed) {
		/* libevtx flags a file whose chunks fail their checks; the records
		 * it recovers from damaged or free space may not all be readable */
		char tail[1024] = "";
		if (rec.failed)
			snprintf(tail, sizeof tail, "; %llu of %d recovered records (fragments in "
				 "damaged or free space) could not be read, the first: %s",
				 (unsigned long long)rec.failed, nrec, rec.fail);
		const char *why = corrupted ? "libevtx marks the file as corrupted (chunks that "
					      "fail their checks are skipped); "
					    : "";
		ips_sink_error(sink, rec.failed ? rec.fail_off : 0, "EVTX: %s%llu of %d records read%s",
			       why, (unsigned long long)items.read, n, tail);
	}
	ips_xmlfeed_free(x);
	ips_winxml_free(w);
	libevtx_file_close(file, NULL);
out:
	if (file)
		libevtx_file_free(&file, NULL);
	libevtx_error_free(&err);
	if (fd >= 0)
		close(fd);
	ips_sink_done(sink, records, bytes);
	return st;
}

static int evtx_sniff(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	return n >= 8 && !memcmp(h, "ElfFile", 8) ? 100 : 0;
}

const ips_framer_ops_t ips_framer_evtx = {"evtx", evtx_sniff, evtx_run};
