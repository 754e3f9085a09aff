/* SPDX-License-Identifier: Apache-2.0 */
/* framer.c - the framer registry and format detection (see framer.h). */
#include "input/framer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

extern const ips_framer_ops_t ips_framer_strongswan, ips_framer_libreswan,
	ips_framer_cisco_asa, ips_framer_juniper_srx, ips_framer_nps, ips_framer_syslog,
	ips_framer_lines;
extern const ips_framer_ops_t ips_framer_evtx, ips_framer_winxml, ips_framer_wfpxml,
	ips_framer_wintext, ips_framer_wincsv, ips_framer_winjson, ips_framer_ndjson,
	ips_framer_pslist, ips_framer_evcopy, ips_framer_pstable;
/* the systemd journal (journal.c) */
extern const ips_framer_ops_t ips_framer_journal, ips_framer_journal_export,
	ips_framer_journal_json;
/* gateways and clouds: line formats (framer_lines.c, sniffers in framer_gateways.c)
 * and cisco-show (framer_ciscoshow.c) */
extern const ips_framer_ops_t ips_framer_fortigate, ips_framer_panos, ips_framer_cisco_ios,
	ips_framer_cisco_show, ips_framer_mikrotik, ips_framer_sonicwall, ips_framer_checkpoint,
	ips_framer_nsx, ips_framer_racoon, ips_framer_huawei, ips_framer_azure_ike,
	ips_framer_wfpdiag, ips_framer_aws_vpn;

const ips_framer_ops_t *const ips_framers[] = {
	&ips_framer_evtx, &ips_framer_winxml, &ips_framer_wfpxml, &ips_framer_wintext,
	&ips_framer_wincsv, &ips_framer_winjson, &ips_framer_ndjson, &ips_framer_pslist,
	&ips_framer_evcopy, &ips_framer_pstable,
	&ips_framer_strongswan, &ips_framer_libreswan, &ips_framer_cisco_asa,
	&ips_framer_juniper_srx, &ips_framer_nps, &ips_framer_syslog,
	&ips_framer_fortigate, &ips_framer_panos, &ips_framer_cisco_ios, &ips_framer_cisco_show,
	&ips_framer_mikrotik, &ips_framer_sonicwall, &ips_framer_checkpoint, &ips_framer_nsx,
	&ips_framer_racoon, &ips_framer_huawei, &ips_framer_azure_ike, &ips_framer_wfpdiag,
	&ips_framer_aws_vpn,
	&ips_framer_journal, &ips_framer_journal_export, &ips_framer_journal_json,
	&ips_framer_lines, NULL,
};

const ips_framer_ops_t *ips_framer_by_name(const char *name)
{
	for (int i = 0; ips_framers[i]; i++)
		if (strcmp(ips_framers[i]->name, name) == 0)
			return ips_framers[i];
	return NULL;
}

const ips_framer_ops_t *ips_framer_detect(const unsigned char *head, size_t n, const char *path)
{
	const ips_framer_ops_t *best = &ips_framer_lines;
	int best_score = 0;
	for (int i = 0; ips_framers[i]; i++) {
		int s = ips_framers[i]->sniff(head, n, path);
		if (s > best_score) {
			best = ips_framers[i];
			best_score = s;
		}
	}
	return best;
}

size_t ips_skip_space(const unsigned char *h, size_t n, size_t i)
{
	while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
		i++;
	return i;
}

/* ---- push framers ------------------------------------------------------ */

bool ips_framer_can_push(const ips_framer_ops_t *ops)
{
	return ops && ops->open;
}

void *ips_framer_alloc(size_t size)
{
	return ips_xcalloc(1, size);
}

ips_framer_t *ips_framer_new(const ips_framer_ops_t *ops, ips_sink_t *sink,
			     const ips_frame_limits_t *lim, const ips_frame_start_t *at)
{
	if (!ips_framer_can_push(ops))
		return NULL;
	ips_frame_start_t start = {0, 1, false};
	if (at)
		start = *at;
	if (!start.line)
		start.line = 1;
	ips_framer_t *f = ops->open(sink, lim, &start);
	f->ops = ops;
	f->sink = sink;
	f->lim = *lim;
	f->at = start;
	return f;
}

void ips_framer_feed(ips_framer_t *f, const void *p, size_t n)
{
	if (!n || f->ended)
		return;
	f->fed += n;
	f->ops->feed(f, p, n);
}

char *ips_framer_room(ips_framer_t *f, size_t *n)
{
	return f->ops->room && !f->ended ? f->ops->room(f, n) : NULL;
}

void ips_framer_filled(ips_framer_t *f, size_t k)
{
	if (!k)
		return;
	f->fed += k;
	f->ops->filled(f, k);
}

void ips_framer_end(ips_framer_t *f, bool broken)
{
	if (f->ended)
		return;
	f->ended = true;
	f->ops->end(f, broken);
}

void ips_framer_done(ips_framer_t *f, uint64_t records, uint64_t bytes)
{
	f->records = records;
	ips_sink_done(f->sink, records, bytes);
}

void ips_framer_free(ips_framer_t *f)
{
	if (f)
		f->ops->free(f);
}

void ips_framer_source_problem(ips_source_t *src, ips_sink_t *sink)
{
	uint64_t off;
	const char *msg = src ? ips_source_problem(src, &off) : NULL;
	if (!msg || src->problem_told)
		return;
	src->problem_told = true;
	ips_sink_error(sink, off, "%s", msg);
}

ips_spool_end_t ips_framer_spool(ips_source_t *src, ips_sink_t *sink, int fd, size_t block,
				 uint64_t max, const char *what, const char *too_big, uint64_t *bytes)
{
	char *buf = ips_xmalloc(block);
	ips_spool_end_t end = IPS_SPOOL_DONE;
	*bytes = 0;
	for (;;) {
		ssize_t n = ips_source_read(src, buf, block);
		if (n < 0) {
			ips_sink_error(sink, *bytes, "read error: %s", ips_source_error(src));
			break;
		}
		if (n == 0) {
			ips_framer_source_problem(src, sink); /* a decoder's (decode.h) */
			break;
		}
		if (*bytes + (uint64_t)n > max) {
			ips_sink_error(sink, *bytes, "%s: larger than %llu bytes: %s", what,
				       (unsigned long long)max, too_big);
			end = IPS_SPOOL_TOO_BIG;
			break;
		}
		for (ssize_t w = 0; w < n && end == IPS_SPOOL_DONE;) {
			ssize_t k = write(fd, buf + w, (size_t)(n - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				ips_sink_error(sink, *bytes, "%s: cannot write the temporary copy: %s", what,
					       strerror(k < 0 ? errno : ENOSPC));
				end = IPS_SPOOL_FAILED;
			}
			w += k;
		}
		if (end != IPS_SPOOL_DONE)
			break;
		*bytes += (uint64_t)n;
	}
	free(buf);
	return end;
}

uint64_t ips_framer_map_lines(ips_framer_t *f, int fd, uint64_t end, size_t window,
			      const char *name, const char *what)
{
	uint64_t pos = f->at.offset + f->fed;
	size_t hook_window;
	uint64_t min;
	bool hook;
	ips_map_sizes(&hook_window, &min, &hook);
	struct stat st;
	if (!f->ops->map || !hook_window || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return pos;
	if (hook)
		window = hook_window;
	if ((uint64_t)st.st_size < end)
		end = (uint64_t)st.st_size;
	if (end <= pos || end - pos < min)
		return pos;
	unsigned windows = 0;
	uint64_t reached = f->ops->map(f, fd, end, window, &windows);
	if (hook) /* the tests check that windows were read */
		fprintf(stderr, "ipsec-scan: mmap: %s: %s%u windows, to %llu\n", name, what, windows,
			(unsigned long long)reached);
	return reached;
}

/*
 * The first part of a large regular file through the framer's mapped
 * windows of 8 MiB (no read() copy: about 0.11 s less system time a GB).
 * The window holding the end is read as before, so appended bytes, a last
 * line without its '\n' and cron mode's whole lines are read as they always
 * were. False when the source could not be moved past what was mapped.
 */
static bool pump_mapped(ips_framer_t *f, ips_source_t *src)
{
	int fd = f->ops->map ? ips_source_file_fd(src) : -1;
	if (fd < 0 || f->fed || src->pos != f->at.offset)
		return true;
	uint64_t reached = ips_framer_map_lines(f, fd, src->limited ? src->limit : UINT64_MAX,
						8u << 20, src->name, "");
	return reached == src->pos || ips_source_seek(src, reached);
}

ips_status_t ips_framer_pump(const ips_framer_ops_t *ops, ips_source_t *src, ips_sink_t *sink,
			     const ips_frame_limits_t *lim)
{
	ips_frame_start_t at;
	ips_sink_start(sink, &at.offset, &at.line, &at.whole_lines);
	ips_framer_t *f = ips_framer_new(ops, sink, lim, &at);
	char *buf = NULL;
	ips_status_t st = IPS_OK;
	if (!pump_mapped(f, src)) {
		ips_sink_error(sink, at.offset + f->fed, "read error: %s", strerror(errno));
		st = IPS_E_INPUT;
	}
	for (; st == IPS_OK;) {
		size_t want = lim->block;
		char *into = ips_framer_room(f, &want);
		bool own = !into;
		if (own) {
			if (!buf)
				buf = ips_xmalloc(lim->block);
			into = buf;
			want = lim->block;
		}
		ssize_t n = ips_source_read(src, into, want);
		if (n < 0) {
			ips_sink_error(sink, at.offset + f->fed, "read error: %s",
				       ips_source_error(src));
			st = IPS_E_INPUT;
			break;
		}
		if (n == 0) {
			ips_framer_source_problem(src, sink);
			break;
		}
		if (own)
			ips_framer_feed(f, buf, (size_t)n);
		else
			ips_framer_filled(f, (size_t)n);
	}
	ips_framer_end(f, st != IPS_OK);
	ips_framer_free(f);
	free(buf);
	return st;
}
