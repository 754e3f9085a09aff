/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_lines.c - line-based formats: plain lines, syslog, strongSwan
 * charon, libreswan pluto, Cisco ASA/FTD, Juniper SRX, NPS accounting logs.
 *
 * They share one reader: blocks of whole lines go to the scanner, which
 * prefilters the raw bytes. The formats differ only in how they are
 * recognised (and so in which detectors apply to them). A push framer
 * (framer.h): fed bytes are copied into one buffer of block + max_record
 * bytes, handed over a block at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "input/framer.h"
#include "util/util.h"

extern const ips_framer_ops_t ips_framer_lines;

typedef struct lines {
	ips_framer_t f;
	char *buf;
	size_t cap, have;
	uint64_t base;       /* offset of buf[0] in the input */
	uint64_t line;       /* line number of buf[0] */
	bool skipping;       /* inside the rest of a line longer than the cap */
} lines_t;

static ips_framer_t *lines_open(ips_sink_t *sink, const ips_frame_limits_t *lim,
				const ips_frame_start_t *at)
{
	(void)sink;
	lines_t *l = ips_framer_alloc(sizeof *l);
	l->cap = lim->block + lim->max_record;
	l->buf = ips_xmalloc(l->cap);
	l->base = at->offset;
	l->line = at->line;
	return &l->f;
}

/* Hand over the whole lines in buf; cut a line that fills it. */
static void lines_flush(lines_t *l)
{
	char *buf = l->buf;
	if (l->skipping) {
		char *nl = memchr(buf, '\n', l->have);
		if (!nl) {
			l->base += l->have;
			l->have = 0;
			return;
		}
		size_t drop = (size_t)(nl - buf) + 1;
		memmove(buf, buf + drop, l->have - drop);
		l->have -= drop;
		l->base += drop;
		l->line++;
		l->skipping = false;
	}
	/* hand over everything up to the last newline */
	char *last = l->have ? memrchr(buf, '\n', l->have) : NULL;
	if (last) {
		size_t blen = (size_t)(last - buf) + 1;
		uint64_t nl = ips_sink_lines(l->f.sink, buf, blen, l->base, l->line);
		l->line += nl;
		l->f.records += nl;
		memmove(buf, buf + blen, l->have - blen);
		l->have -= blen;
		l->base += blen;
	} else if (l->have == l->cap) {
		/* one line longer than the buffer: keep its head, skip the rest */
		ips_record_t rec = {.text = buf, .len = l->f.lim.max_record, .offset = l->base,
				    .line = l->line, .truncated = true};
		ips_sink_record(l->f.sink, &rec);
		l->f.records++;
		l->base += l->have;
		l->have = 0;
		l->skipping = true;
	}
}

static void lines_feed(ips_framer_t *f, const char *p, size_t n)
{
	lines_t *l = (lines_t *)f;
	while (n) {
		size_t k = l->cap - l->have < n ? l->cap - l->have : n;
		memcpy(l->buf + l->have, p, k);
		l->have += k;
		p += k;
		n -= k;
		/* a block's worth, or all of it: hand over */
		if (l->have >= l->f.lim.block || !n)
			lines_flush(l);
	}
}

static char *lines_room(ips_framer_t *f, size_t *n)
{
	lines_t *l = (lines_t *)f;
	*n = l->cap - l->have;
	return l->buf + l->have;
}

static void lines_filled(ips_framer_t *f, size_t k)
{
	lines_t *l = (lines_t *)f;
	l->have += k;
	lines_flush(l);
}

static void lines_end(ips_framer_t *f, bool broken)
{
	(void)broken;
	lines_t *l = (lines_t *)f;
	if (l->have > 0 && !l->skipping && l->f.at.whole_lines)
		l->have = 0; /* still being written: the next run reads it */
	if (l->have > 0 && !l->skipping) {
		ips_sink_lines(l->f.sink, l->buf, l->have, l->base, l->line);
		l->f.records++;
	}
	ips_framer_done(f, l->f.records, l->base + l->have);
}

static void lines_free(ips_framer_t *f)
{
	lines_t *l = (lines_t *)f;
	free(l->buf);
	free(l);
}

/*
 * Whole lines straight from mapped windows of a large regular file (the
 * pump's first part, framer.h `map`). Each window starts at the page of
 * the first byte not yet handed over; lines are handed over in pieces of
 * at most the buffer's size, as the buffer would hold them, and only those
 * that end at least a page before the window's end: PCRE2's JIT and the
 * prefilter's SIMD loads read a little past what they are given. A line
 * with no '\n' in the buffer's size, or none in a whole window, is left to
 * the buffer (it cuts such a line, and skips its rest, from its start);
 * so is all that follows it.
 */
static uint64_t lines_map(ips_framer_t *f, int fd, uint64_t end, size_t window, unsigned *windows)
{
	lines_t *l = (lines_t *)f;
	size_t pg = ips_map_page();
	uint64_t pos = l->base;
	for (;;) {
		uint64_t ws = pos / pg * pg;
		ips_map_t m;
		if (end - ws <= window || !ips_map_open(&m, fd, ws, window))
			break; /* the window holding the end: read() takes it */
		(*windows)++;
		uint64_t usable = ws + window - pg, from = pos;
		while (pos < usable) {
			uint64_t lim = pos + l->cap < usable ? pos + l->cap : usable;
			const char *b = m.p + (pos - ws);
			const char *nl = memrchr(b, '\n', (size_t)(lim - pos));
			if (!nl || ips_map_cut(&m))
				break;
			size_t n = (size_t)(nl - b) + 1;
			uint64_t k = ips_sink_lines(f->sink, b, n, pos, l->line);
			l->line += k;
			f->records += k;
			f->fed += n;
			ips_source_count_read(n);
			pos += n;
		}
		l->base = pos;
		bool cut = ips_map_cut(&m);
		ips_map_close(&m);
		if (cut) {
			ips_sink_error(f->sink, pos, "the file shrank while it was read");
			break;
		}
		if (pos == from)
			break; /* a line longer than the buffer or the window */
	}
	return pos;
}

static ips_status_t lines_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	return ips_framer_pump(&ips_framer_lines, src, sink, lim);
}

/* Count how many of the first lines of head contain needle. */
static int lines_with(const unsigned char *head, size_t n, const char *needle)
{
	int hits = 0, lines = 0;
	size_t nl = strlen(needle);
	const unsigned char *p = head, *end = head + n;
	while (p < end && lines < 200) {
		const unsigned char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		if (nl <= (size_t)(e - p) && memmem(p, (size_t)(e - p), needle, nl))
			hits++;
		lines++;
		p = e + 1;
	}
	return lines ? hits * 100 / lines : 0;
}

static int max2(int a, int b)
{
	return a > b ? a : b;
}

static int sniff_strongswan(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	int s = max2(lines_with(h, n, "[IKE]"), lines_with(h, n, "[CFG]"));
	s = max2(s, lines_with(h, n, " charon: "));
	s = max2(s, lines_with(h, n, " charon "));
	s = max2(s, lines_with(h, n, "[NET]"));
	return s ? 40 + s / 2 : 0;
}

static int sniff_libreswan(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	int s = max2(lines_with(h, n, " pluto["), lines_with(h, n, "\" #"));
	s = max2(s, lines_with(h, n, "pluto"));
	return s ? 40 + s / 2 : 0;
}

static int sniff_asa(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	int s = max2(lines_with(h, n, "%ASA-"), lines_with(h, n, "%FTD-"));
	return s ? 45 + s / 2 : 0;
}

static int sniff_srx(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	int s = max2(lines_with(h, n, "[junos@"), lines_with(h, n, " kmd["));
	s = max2(s, lines_with(h, n, "KMD_"));
	return s ? 45 + s / 2 : 0;
}

/*
 * NPS accounting logs (IN*.log): the database-compatible CSV (no header;
 * ServiceName "IAS" second) or DTS XML, one <Event> per line.
 */
static int sniff_nps(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	int s = max2(lines_with(h, n, ",\"IAS\","), lines_with(h, n, "<Event><Timestamp data_type="));
	return s >= 50 ? 45 + s / 2 : 0;
}

static int sniff_syslog(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	int lines = 0, hits = 0;
	const unsigned char *p = h, *end = h + n;
	while (p < end && lines < 50) {
		const unsigned char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			break; /* only whole lines */
		ips_line_meta_t m;
		ips_year_ctx_t yc = {.year = 2000};
		ips_parse_line_header((const char *)p, (size_t)(e - p), &yc, &m);
		if (m.time.valid && m.host)
			hits++;
		lines++;
		p = e + 1;
	}
	return (lines && hits * 2 >= lines) ? 30 : 0;
}

static int sniff_lines(const unsigned char *h, size_t n, const char *path)
{
	(void)h, (void)n, (void)path;
	return 1;
}

bool ips_framer_is_lines(const ips_framer_ops_t *f)
{
	return f->run == lines_run;
}

/* every line format: the same reader, pushed (framer.h) */
#define LINES_OPS lines_run, lines_open, lines_feed, lines_end, lines_free, lines_room, \
	lines_filled, lines_map

const ips_framer_ops_t ips_framer_strongswan = {"strongswan", sniff_strongswan, LINES_OPS};
const ips_framer_ops_t ips_framer_libreswan = {"libreswan", sniff_libreswan, LINES_OPS};
const ips_framer_ops_t ips_framer_cisco_asa = {"cisco-asa", sniff_asa, LINES_OPS};
const ips_framer_ops_t ips_framer_juniper_srx = {"juniper-srx", sniff_srx, LINES_OPS};
const ips_framer_ops_t ips_framer_syslog = {"syslog", sniff_syslog, LINES_OPS};
const ips_framer_ops_t ips_framer_nps = {"nps", sniff_nps, LINES_OPS};
const ips_framer_ops_t ips_framer_lines = {"lines", sniff_lines, LINES_OPS};

/* gateways and clouds: one record per line; recognised in framer_gateways.c */
#include "input/framer_gateways.h"
const ips_framer_ops_t ips_framer_fortigate = {"fortigate", ips_sniff_fortigate, LINES_OPS};
const ips_framer_ops_t ips_framer_panos = {"panos", ips_sniff_panos, LINES_OPS};
const ips_framer_ops_t ips_framer_cisco_ios = {"cisco-ios", ips_sniff_cisco_ios, LINES_OPS};
const ips_framer_ops_t ips_framer_mikrotik = {"mikrotik", ips_sniff_mikrotik, LINES_OPS};
const ips_framer_ops_t ips_framer_sonicwall = {"sonicwall", ips_sniff_sonicwall, LINES_OPS};
const ips_framer_ops_t ips_framer_checkpoint = {"checkpoint", ips_sniff_checkpoint, LINES_OPS};
const ips_framer_ops_t ips_framer_nsx = {"nsx", ips_sniff_nsx, LINES_OPS};
const ips_framer_ops_t ips_framer_racoon = {"racoon", ips_sniff_racoon, LINES_OPS};
const ips_framer_ops_t ips_framer_huawei = {"huawei", ips_sniff_huawei, LINES_OPS};
const ips_framer_ops_t ips_framer_azure_ike = {"azure-ike", ips_sniff_azure_ike, LINES_OPS};
const ips_framer_ops_t ips_framer_wfpdiag = {"wfpdiag", ips_sniff_wfpdiag, LINES_OPS};
const ips_framer_ops_t ips_framer_aws_vpn = {"aws-vpn", ips_sniff_aws_vpn, LINES_OPS};
