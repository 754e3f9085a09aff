/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan_resume.c - where a resumed source starts and stops
 * (ips_scanner_scan_from(), cron mode): a look back before the resume point
 * for context, the end of the last whole line. Part of the scanner module
 * (scan_priv.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "detect/scan.h"
#include "detect/scan_priv.h"
#include "detect/scan_split.h"

/*
 * Resuming (ips_scanner_scan_from()): earlier runs read `offset` bytes,
 * `line` lines. A line format continues there (after a look back for
 * context); other formats, and streams that cannot seek, are read again from
 * the start and what lies before `offset` only gives context.
 */

#define LOOK_BACK 65536 /* bytes re-read before a resume point, for context */

static bool pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/*
 * The end of the last whole line in [from, size) of fd, or from when there is
 * none. A last line longer than max_back (far beyond the record cap) is taken
 * as it is: the end of the file.
 */
static uint64_t last_line_end(int fd, uint64_t from, uint64_t size, uint64_t max_back)
{
	char buf[LOOK_BACK];
	uint64_t end = size;
	while (end > from) {
		if (size - end > max_back)
			return size;
		size_t n = end - from > sizeof buf ? sizeof buf : (size_t)(end - from);
		if (!pread_all(fd, buf, n, end - n))
			return from;
		const char *nl = memrchr(buf, '\n', n);
		if (nl)
			return end - n + (uint64_t)(nl - buf) + 1;
		end -= n;
	}
	return from;
}

/* How far back a last line without '\n' is looked for (last_line_end()). */
static uint64_t back_max(const ips_frame_limits_t *fl)
{
	return 2 * (uint64_t)(fl->max_record + fl->block);
}

/*
 * Where to start reading so that the lines just before offset give context:
 * the first line start within LOOK_BACK bytes before it, and how many lines
 * lie between. Nothing when offset is not at a line start.
 */
static bool look_back(int fd, uint64_t offset, uint64_t line, uint64_t *from, uint64_t *lines)
{
	char buf[LOOK_BACK];
	*from = offset;
	*lines = 0;
	if (!offset)
		return true;
	uint64_t start = offset > sizeof buf ? offset - sizeof buf : 0;
	size_t n = (size_t)(offset - start);
	if (!pread_all(fd, buf, n, start) || buf[n - 1] != '\n')
		return false;
	size_t i = 0;
	if (start > 0) {
		const char *nl = memchr(buf, '\n', n);
		i = (size_t)(nl - buf) + 1;
	}
	uint64_t c = 0;
	for (size_t j = i; j < n; j++)
		c += buf[j] == '\n';
	if (c > line)
		return true; /* the record's line count is off: no context, but go on */
	*from = start + i;
	*lines = c;
	return true;
}

bool ips_scan_resume_span(const ips_frame_limits_t *fl, ips_scan_from_t *cr,
			  ips_split_resume_t *r)
{
	uint64_t from, back;
	memset(r, 0, sizeof *r);
	if (!look_back(cr->fd, cr->offset, cr->line, &from, &back)) {
		/* not at a line start: the file changed before that point */
		r->changed = true;
		cr->offset = cr->line = 0;
		from = back = 0;
	}
	r->limit = cr->to_end ? cr->size : last_line_end(cr->fd, cr->offset, cr->size,
									 back_max(fl));
	cr->end_offset = cr->offset;
	cr->end_line = cr->line;
	r->from = from;
	r->line = from ? cr->line + 1 - back : 1;
	r->drop_below = cr->offset;
	r->whole_lines = !cr->to_end;
	return r->limit > cr->offset;
}

/*
 * Resuming, once the format is known: where to start, where to stop, what
 * only gives context. Returns false when there is nothing to read.
 */
bool ips_scan_resume_prepare(ips_scanner_t *s, ips_source_t *src, ips_sink_t *k,
			     const ips_framer_ops_t *fr, bool decoded, ips_scan_from_t *cr)
{
	ips_input_t *in = k->in;
	k->resume = true;
	k->whole_lines = !cr->to_end;
	bool lines = ips_framer_is_lines(fr) && !decoded;
	if (cr->nothing_new) {
		cr->end_offset = cr->offset;
		cr->end_line = cr->line;
		return false;
	}
	uint64_t size = cr->fd >= 0 ? cr->size : 0;
	if (lines && cr->fd >= 0 && src->seek) {
		ips_split_resume_t r;
		bool more = ips_scan_resume_span(&s->opts.frame, cr, &r);
		if (r.changed)
			ips_scan_add_note(in, IPS_SCAN_NOTE_CHANGED);
		if (!more)
			return false; /* no whole new line yet */
		uint64_t from = r.from;
		if (from && !ips_source_seek(src, from))
			from = 0; /* read it all; the part before offset gives context */
		k->start_off = from;
		k->start_line = from ? r.line : 1; /* from the start: the file's count */
		k->drop_below = r.drop_below;
		ips_source_limit(src, r.limit);
		return true;
	}
	/* from the start; what earlier runs read gives context only */
	k->drop_below = cr->offset;
	cr->end_offset = cr->offset;
	cr->end_line = cr->line;
	if (cr->fd >= 0) {
		uint64_t limit = size;
		if (!cr->to_end && (lines || !strcmp(fr->name, "ndjson") ||
				    !strcmp(fr->name, "journal-json")) && !decoded)
			limit = last_line_end(cr->fd, 0, size, back_max(&s->opts.frame));
		ips_source_limit(src, limit);
	}
	if (cr->offset && !lines)
		ips_scan_add_note(in, "this format cannot resume mid-file: read again from the start, "
			     "records before the point earlier runs reached were not reported again");
	return true;
}
