/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_lines.c - line-based formats: plain lines, syslog, strongSwan
 * charon, libreswan pluto, Cisco ASA/FTD, Juniper SRX, NPS accounting logs.
 *
 * They share one reader: blocks of whole lines go to the scanner, which
 * prefilters the raw bytes. The formats differ only in how they are
 * recognised (and so in which detectors apply to them).
 */
#include <stdlib.h>
#include <string.h>

#include "input/framer.h"
#include "util/util.h"

static ips_status_t lines_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	size_t cap = lim->block + lim->max_record;
	char *buf = ips_xmalloc(cap);
	size_t have = 0;
	uint64_t base;       /* offset of buf[0] in the input */
	uint64_t line;       /* line number of buf[0] */
	bool whole_lines;    /* a last line without '\n' stays unread */
	ips_sink_start(sink, &base, &line, &whole_lines);
	uint64_t records = 0;
	bool skipping = false; /* inside the rest of a line longer than the cap */
	ips_status_t st = IPS_OK;

	for (;;) {
		ssize_t n = ips_source_read(src, buf + have, cap - have);
		if (n < 0) {
			ips_sink_error(sink, base + have, "read error: %s", ips_source_error(src));
			st = IPS_E_INPUT;
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (skipping) {
			char *nl = memchr(buf, '\n', have);
			if (!nl) {
				base += have;
				have = 0;
				continue;
			}
			size_t drop = (size_t)(nl - buf) + 1;
			memmove(buf, buf + drop, have - drop);
			have -= drop;
			base += drop;
			line++;
			skipping = false;
		}
		/* hand over everything up to the last newline */
		char *last = NULL;
		for (size_t i = have; i > 0; i--)
			if (buf[i - 1] == '\n') {
				last = buf + i - 1;
				break;
			}
		if (last) {
			size_t blen = (size_t)(last - buf) + 1;
			uint64_t nl = ips_sink_lines(sink, buf, blen, base, line);
			line += nl;
			records += nl;
			memmove(buf, buf + blen, have - blen);
			have -= blen;
			base += blen;
		} else if (have == cap) {
			/* one line longer than the buffer: keep its head, skip the rest */
			ips_record_t rec = {.text = buf, .len = lim->max_record, .offset = base,
					    .line = line, .truncated = true};
			ips_sink_record(sink, &rec);
			records++;
			base += have;
			have = 0;
			skipping = true;
		}
	}
	if (have > 0 && !skipping && whole_lines)
		have = 0; /* still being written: the next run reads it */
	if (have > 0 && !skipping) {
		ips_sink_lines(sink, buf, have, base, line);
		records++;
	}
	ips_sink_done(sink, records, base + have);
	free(buf);
	return st;
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

const ips_framer_ops_t ips_framer_strongswan = {"strongswan", sniff_strongswan, lines_run};
const ips_framer_ops_t ips_framer_libreswan = {"libreswan", sniff_libreswan, lines_run};
const ips_framer_ops_t ips_framer_cisco_asa = {"cisco-asa", sniff_asa, lines_run};
const ips_framer_ops_t ips_framer_juniper_srx = {"juniper-srx", sniff_srx, lines_run};
const ips_framer_ops_t ips_framer_syslog = {"syslog", sniff_syslog, lines_run};
const ips_framer_ops_t ips_framer_nps = {"nps", sniff_nps, lines_run};
const ips_framer_ops_t ips_framer_lines = {"lines", sniff_lines, lines_run};

/* gateways and clouds: one record per line; recognised in framer_gateways.c */
#include "input/framer_gateways.h"
const ips_framer_ops_t ips_framer_fortigate = {"fortigate", ips_sniff_fortigate, lines_run};
const ips_framer_ops_t ips_framer_panos = {"panos", ips_sniff_panos, lines_run};
const ips_framer_ops_t ips_framer_cisco_ios = {"cisco-ios", ips_sniff_cisco_ios, lines_run};
const ips_framer_ops_t ips_framer_mikrotik = {"mikrotik", ips_sniff_mikrotik, lines_run};
const ips_framer_ops_t ips_framer_sonicwall = {"sonicwall", ips_sniff_sonicwall, lines_run};
const ips_framer_ops_t ips_framer_checkpoint = {"checkpoint", ips_sniff_checkpoint, lines_run};
const ips_framer_ops_t ips_framer_nsx = {"nsx", ips_sniff_nsx, lines_run};
const ips_framer_ops_t ips_framer_racoon = {"racoon", ips_sniff_racoon, lines_run};
const ips_framer_ops_t ips_framer_huawei = {"huawei", ips_sniff_huawei, lines_run};
const ips_framer_ops_t ips_framer_azure_ike = {"azure-ike", ips_sniff_azure_ike, lines_run};
const ips_framer_ops_t ips_framer_wfpdiag = {"wfpdiag", ips_sniff_wfpdiag, lines_run};
const ips_framer_ops_t ips_framer_aws_vpn = {"aws-vpn", ips_sniff_aws_vpn, lines_run};
