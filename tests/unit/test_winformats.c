/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the Windows export formats: decode.c (UTF-16, BOMs),
 * winevent.c (the event model, times), and the framers evtx, winxml,
 * wfpxml, wintext, wincsv, winjson and ndjson - good input, and bad input
 * that must give a clear error with its position, a partial input, no
 * crash and bounded memory.
 *
 * Records are inspected through a catch-all test detector (DBG_RECORD)
 * that turns every Windows record into a finding carrying its fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "input/decode.h"
#include "input/framer.h"
#include "correlate/correlate.h"
#include "detect/scan.h"
#include "run/batch.h"
#include "unit.h"
#include "input/winevent.h"

static ips_rules_t *rules;
static char dir[] = "/tmp/ips-test-win-XXXXXX";

static const char dbg_yaml[] =
	"entries:\n"
	"  - {name: DBG_RECORD, source: other, message: \"any Windows record\", severity: info,\n"
	"     category: protocol, summary: s, causes: [a], diagnose: [b], resolve: [c]}\n"
	"detectors:\n"
	"  - id: dbg-record\n"
	"    literals: [\"=\"]\n"
	"    regex: '\\A(?<first>[^=\\t\\n]+)='\n"
	"    name: DBG_RECORD\n"
	"    formats: [evtx, winxml, wintext, wincsv, winjson, ndjson, wfpxml, pslist, evcopy, pstable]\n"
	"    examples: {match: [{line: \"Provider=X\", name: DBG_RECORD}]}\n";

static int setup(void **state)
{
	(void)state;
	ut_utc();
	rules = ut_rules(true, "dbg.yaml", dbg_yaml);
	return rules ? ut_mkdtemp(dir) : -1;
}

static int teardown(void **state)
{
	(void)state;
	ips_rules_free(rules);
	return ut_rmtree(dir);
}

static char *write_file(const char *name, const void *data, size_t len)
{
	return ut_write_data(dir, name, data, len);
}

static ips_results_t *scan_opts(const char *path, size_t block, size_t max_record,
				const char *format)
{
	ips_scan_opts_t o;
	ips_scan_opts_default(&o);
	o.year = 2026;
	o.input_format = format;
	if (block)
		o.frame.block = block;
	if (max_record)
		o.frame.max_record = max_record;
	ips_results_t *res = ips_results_new();
	ips_batch_t *s = ips_batch_new(rules, &o, res);
	ips_batch_scan_path(s, path);
	ips_batch_finish(s);
	ips_batch_free(s);
	return res;
}

static ips_results_t *scan_text(const char *name, const char *text)
{
	return scan_opts(write_file(name, text, strlen(text)), 0, 0, NULL);
}

static const ips_input_t *input0(const ips_results_t *res)
{
	assert_true(res->inputs.len >= 1);
	return res->inputs.items[0];
}

/* The n-th record (0-based) as seen by the catch-all detector. */
static const ips_finding_t *record(const ips_results_t *res, size_t n)
{
	for (size_t i = 0; i < res->findings.len; i++) {
		const ips_finding_t *f = res->findings.items[i];
		if (!strcmp(f->entry->name, "DBG_RECORD") && n-- == 0)
			return f;
	}
	fail_msg("record %zu not found", n);
	return NULL;
}

static size_t count_named(const ips_results_t *res, const char *name)
{
	size_t k = 0;
	for (size_t i = 0; i < res->findings.len; i++)
		k += !strcmp(((const ips_finding_t *)res->findings.items[i])->entry->name, name);
	return k;
}

static const ips_finding_t *named(const ips_results_t *res, const char *name)
{
	for (size_t i = 0; i < res->findings.len; i++) {
		const ips_finding_t *f = res->findings.items[i];
		if (!strcmp(f->entry->name, name))
			return f;
	}
	fail_msg("no finding %s", name);
	return NULL;
}

static void assert_field(const ips_finding_t *f, const char *key, const char *want)
{
	const char *v = ips_finding_field(f, key);
	if (!v)
		fail_msg("field %s missing (text: %s)", key, f->text);
	assert_string_equal(v, want);
}

static void assert_time(const ips_time_t *t, const char *want)
{
	char buf[64];
	assert_true(t->valid);
	ips_time_format(t, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void assert_error_has(const ips_input_t *in, const char *needle)
{
	assert_non_null(in->error);
	if (!strstr(in->error, needle))
		fail_msg("error '%s' lacks '%s'", in->error, needle);
}

/* ---- a source in memory, read a few bytes at a time ------------------ */

typedef struct memsrc {
	ips_source_t base;
	const unsigned char *d;
	size_t n, pos, step;
} memsrc_t;

static ssize_t mem_read(ips_source_t *s, void *buf, size_t n)
{
	memsrc_t *m = (memsrc_t *)s;
	size_t k = m->n - m->pos;
	if (k > n)
		k = n;
	if (k > m->step)
		k = m->step;
	memcpy(buf, m->d + m->pos, k);
	m->pos += k;
	return (ssize_t)k;
}

static void mem_close(ips_source_t *s)
{
	(void)s;
}

static ips_source_t *memsrc_new(const void *d, size_t n, size_t step)
{
	memsrc_t *m = calloc(1, sizeof *m);
	assert_non_null(m);
	m->d = d;
	m->n = n;
	m->step = step;
	m->base.name = strdup("mem");
	m->base.size = -1;
	m->base.read = mem_read;
	m->base.close = mem_close;
	return &m->base;
}

/* Read a whole source into buf (NUL-terminated); returns the length. */
static size_t read_all(ips_source_t *s, char *buf, size_t cap)
{
	size_t have = 0;
	for (;;) {
		ssize_t r = ips_source_read(s, buf + have, cap - 1 - have > 7 ? 7 : cap - 1 - have);
		assert_true(r >= 0);
		if (r == 0)
			break;
		have += (size_t)r;
	}
	buf[have] = '\0';
	return have;
}

/* UTF-16LE of an ASCII string, with an optional BOM. */
static size_t utf16le(const char *s, unsigned char *out, bool bom)
{
	size_t n = 0;
	if (bom) {
		out[n++] = 0xFF;
		out[n++] = 0xFE;
	}
	for (; *s; s++) {
		out[n++] = (unsigned char)*s;
		out[n++] = 0;
	}
	return n;
}

/* ---- decode.c --------------------------------------------------------- */

/*
 * Push framers (framer.h): each sample fed one byte at a time, as live mode
 * may get it, gives the records a batch scan gives, at the same lines and
 * offsets.
 */
static void push_one_byte_at_a_time(void **state)
{
	(void)state;
	static const char *const samples[][2] = {
		{"winlogbeat.ndjson", "ndjson"}, {"powershell-convertto.json", "winjson"},
		{"wevtutil-qe.xml", "winxml"}, {"netsh-wfp-netevents.xml", "wfpxml"},
		{"wevtutil-qe.txt", "wintext"}, {"powershell-export.csv", "wincsv"},
		{"get-winevent-format-list.txt", "pslist"}, {"powershell-format-table.txt", "pstable"},
		{"eventviewer-copy-details.txt", "evcopy"}};
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		char path[256];
		snprintf(path, sizeof path, "samples/windows/%s", samples[i][0]);
		ips_results_t *batch = scan_opts(path, 0, 0, samples[i][1]);
		assert_int_equal(input0(batch)->status, IPS_INPUT_OK);
		assert_true(batch->findings.len > 0);

		FILE *fp = fopen(path, "rb");
		assert_non_null(fp);
		ips_scan_opts_t o;
		ips_scan_opts_default(&o);
		o.year = 2026;
		ips_results_t *res = ips_results_new();
		ips_correlator_t *cor = ips_correlator_new(rules, res);
		ips_finding_sink_t fs;
		ips_correlator_sink(cor, &fs);
		ips_scanner_t *s = ips_scanner_new(rules, &o, res, &fs);
		const ips_framer_ops_t *ops = ips_framer_by_name(samples[i][1]);
		assert_true(ips_framer_can_push(ops));
		ips_sink_t *k = ips_scanner_stream_open(s, path, ops->name, 0);
		ips_framer_t *f = ips_framer_new(ops, k, &o.frame, NULL);
		int c;
		uint64_t bytes = 0;
		while ((c = fgetc(fp)) != EOF) {
			char b = (char)c;
			ips_framer_feed(f, &b, 1);
			bytes++;
		}
		fclose(fp);
		ips_framer_end(f, false);
		uint64_t records = f->records;
		ips_framer_free(f);
		ips_scanner_stream_close(s, k, records, bytes);
		ips_correlator_finish(cor);
		ips_scanner_finish(s);
		ips_scanner_free(s);
		ips_correlator_free(cor);

		assert_int_equal(input0(res)->status, IPS_INPUT_OK);
		assert_int_equal(records, input0(batch)->records);
		assert_int_equal(res->findings.len, batch->findings.len);
		for (size_t j = 0; j < res->findings.len; j++) {
			const ips_finding_t *a = batch->findings.items[j], *b = res->findings.items[j];
			assert_string_equal(a->entry->name, b->entry->name);
			assert_int_equal(a->line, b->line);
			assert_int_equal(a->offset, b->offset);
			assert_string_equal(a->text, b->text);
		}
		ips_results_free(res);
		ips_results_free(batch);
	}
}

static void encoding_detection(void **state)
{
	(void)state;
	size_t bom;
	unsigned char b[256];
	assert_int_equal(ips_encoding_detect((const unsigned char *)"\xEF\xBB\xBFhi", 5, &bom),
			 IPS_ENC_UTF8_BOM);
	assert_int_equal(bom, 3);
	assert_int_equal(ips_encoding_detect((const unsigned char *)"\xFF\xFEh\0", 4, &bom),
			 IPS_ENC_UTF16LE);
	assert_int_equal(bom, 2);
	assert_int_equal(ips_encoding_detect((const unsigned char *)"\xFE\xFF\0h", 4, &bom),
			 IPS_ENC_UTF16BE);
	size_t n = utf16le("Event[0]:\r\n  Log Name: Application\r\n", b, false);
	assert_int_equal(ips_encoding_detect(b, n, &bom), IPS_ENC_UTF16LE);
	assert_int_equal(bom, 0);
	/* big-endian without a BOM: the zero bytes come first */
	for (size_t i = 0; i + 1 < n; i += 2) {
		unsigned char t = b[i];
		b[i] = b[i + 1];
		b[i + 1] = t;
	}
	assert_int_equal(ips_encoding_detect(b, n, &bom), IPS_ENC_UTF16BE);
	/* binary data and plain text are left alone */
	assert_int_equal(ips_encoding_detect((const unsigned char *)"ElfFile\0\0\0\0\0\0\0\0\0\x80\0\0\0",
					     20, &bom),
			 IPS_ENC_UTF8);
	const char *plain = "Mar  1 10:00:00 gw charon: 13[IKE] hello";
	assert_int_equal(ips_encoding_detect((const unsigned char *)plain, strlen(plain), &bom),
			 IPS_ENC_UTF8);
	assert_int_equal(ips_encoding_detect((const unsigned char *)"\xFF", 1, &bom), IPS_ENC_UTF8);
}

static void decode_utf16le_in_small_reads(void **state)
{
	(void)state;
	/* "A€😀\r\nz" : BMP, a 3-byte character and a surrogate pair */
	static const unsigned char in[] = {0xFF, 0xFE, 'A', 0, 0xAC, 0x20, 0x3D, 0xD8, 0x00, 0xDE,
					   '\r', 0, '\n', 0, 'z', 0};
	for (size_t step = 1; step <= 4; step++) {
		ips_source_t *s = memsrc_new(in, sizeof in, step);
		ips_source_t *d = ips_decode_wrap(s);
		assert_non_null(d);
		char out[64];
		size_t n = read_all(d, out, sizeof out);
		assert_int_equal(n, 1 + 3 + 4 + 3);
		assert_memory_equal(out, "A\xE2\x82\xAC\xF0\x9F\x98\x80\r\nz", n);
		ips_decode_stats_t st;
		ips_decode_get_stats(d, &st);
		assert_int_equal(st.invalid, 0);
		assert_false(st.odd_byte);
		assert_int_equal(st.raw_bytes, sizeof in);
		ips_source_close(d);
		ips_source_close(s);
	}
}

static void decode_utf16be_and_utf8_bom(void **state)
{
	(void)state;
	static const unsigned char be[] = {0xFE, 0xFF, 0, 'o', 0, 'k', 0x20, 0xAC};
	ips_source_t *s = memsrc_new(be, sizeof be, 3);
	ips_source_t *d = ips_decode_wrap(s);
	char out[32];
	assert_int_equal(read_all(d, out, sizeof out), 5);
	assert_string_equal(out, "ok\xE2\x82\xAC");
	ips_source_close(d);
	ips_source_close(s);

	static const unsigned char u8[] = {0xEF, 0xBB, 0xBF, '<', 'E', '>'};
	s = memsrc_new(u8, sizeof u8, 1);
	d = ips_decode_wrap(s);
	assert_non_null(d);
	assert_int_equal(read_all(d, out, sizeof out), 3);
	assert_string_equal(out, "<E>");
	ips_source_close(d);
	ips_source_close(s);

	/* plain UTF-8 needs no wrapper */
	s = memsrc_new("plain text here, nothing to do", 30, 64);
	assert_null(ips_decode_wrap(s));
	ips_source_close(s);
}

static void decode_invalid_and_odd_byte(void **state)
{
	(void)state;
	/* 'a', a lone low surrogate, 'b', a lone high surrogate at the end, one odd byte */
	static const unsigned char in[] = {0xFF, 0xFE, 'a', 0, 0x00, 0xDC, 'b', 0, 0x3D, 0xD8, 'c'};
	ips_source_t *s = memsrc_new(in, sizeof in, 2);
	ips_source_t *d = ips_decode_wrap(s);
	char out[32];
	size_t n = read_all(d, out, sizeof out);
	assert_int_equal(n, 1 + 3 + 1 + 3);
	assert_memory_equal(out, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD", n);
	ips_decode_stats_t st;
	ips_decode_get_stats(d, &st);
	assert_int_equal(st.invalid, 2);
	assert_int_equal(st.first_invalid, 4);
	assert_true(st.odd_byte);
	/* kept on the wrapper for its reader, at the decoded offset of the first U+FFFD */
	uint64_t at = 99;
	const char *msg = ips_source_problem(d, &at);
	assert_non_null(msg);
	assert_int_equal(at, 1);
	assert_non_null(strstr(msg, "invalid UTF-16LE: 2 unpaired surrogate(s)"));
	assert_non_null(strstr(msg, "odd byte"));
	assert_null(ips_source_problem(s, &at)); /* the inner source has none */
	ips_source_close(d);
	ips_source_close(s);
}

static void text_cat(void *ctx, const char *p, size_t n)
{
	char *out = ctx;
	size_t have = strlen(out);
	assert_true(have + n < 64);
	memcpy(out + have, p, n);
	out[have + n] = '\0';
}

/* Push decoding (live mode): pieces of any size give what the wrapper gives. */
static void decoder_push_in_pieces(void **state)
{
	(void)state;
	static const unsigned char in[] = {0xFF, 0xFE, 'A', 0, 0xAC, 0x20, 0x3D, 0xD8, 0x00, 0xDE,
					   '\r', 0, '\n', 0, 'z', 0};
	for (size_t step = 1; step <= sizeof in; step++) {
		char *err;
		ips_decoder_t *dec = ips_decoder_new(in, sizeof in, &err);
		assert_null(err);
		assert_non_null(dec);
		assert_int_equal(ips_decoder_encoding(dec), IPS_ENC_UTF16LE);
		char out[64] = "";
		for (size_t at = 0; at < sizeof in; at += step)
			ips_decoder_push(dec, in + at, sizeof in - at < step ? sizeof in - at : step,
					 text_cat, out);
		uint64_t off;
		assert_null(ips_decoder_end(dec, text_cat, out, &off));
		assert_string_equal(out, "A\xE2\x82\xAC\xF0\x9F\x98\x80\r\nz");
		ips_decoder_free(dec);
	}
	/* a lone low surrogate, then a lone high one and an odd byte at the end */
	static const unsigned char bad[] = {0xFF, 0xFE, 'a', 0, 0x00, 0xDC, 'b', 0, 0x3D, 0xD8, 'c'};
	char *err;
	ips_decoder_t *dec = ips_decoder_new(bad, sizeof bad, &err);
	char out[64] = "";
	for (size_t at = 0; at < sizeof bad; at++)
		ips_decoder_push(dec, bad + at, 1, text_cat, out);
	uint64_t off = 99;
	const char *msg = ips_decoder_end(dec, text_cat, out, &off);
	assert_string_equal(out, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
	assert_non_null(msg);
	assert_int_equal(off, 1);
	assert_non_null(strstr(msg, "2 unpaired surrogate(s)"));
	assert_non_null(strstr(msg, "odd byte"));
	ips_decoder_free(dec);
	/* a new file under the name: its mark dropped, the state of the old one forgotten */
	static const unsigned char be[] = {0xFE, 0xFF, 0, 'o', 0, 'k'};
	dec = ips_decoder_new(be, sizeof be, &err);
	out[0] = '\0';
	ips_decoder_push(dec, be, 3, text_cat, out); /* half a unit left */
	ips_decoder_restart(dec, be, sizeof be);
	ips_decoder_push(dec, be, sizeof be, text_cat, out);
	assert_null(ips_decoder_end(dec, text_cat, out, &off));
	assert_string_equal(out, "ok");
	ips_decoder_free(dec);
	/* plain UTF-8 needs no decoder */
	assert_null(ips_decoder_new((const unsigned char *)"plain text here, nothing", 24, &err));
	assert_null(err);
}

static void decode_errors_reach_the_report(void **state)
{
	(void)state;
	unsigned char b[512];
	size_t n = utf16le("Event[0]:\r\n  Source: RasClient\r\n  Event ID: 20227\r\n"
			   "  Description: \r\nThe error code returned on failure is 13801.\r\n",
			   b, true);
	b[n++] = 'X'; /* an odd trailing byte */
	ips_results_t *res = scan_opts(write_file("odd.txt", b, n), 0, 0, NULL);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "wintext");
	assert_int_equal(in->records, 1);
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	assert_error_has(in, "odd byte");
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_AUTH_FAIL"), 1);
	ips_results_free(res);
}

/* ---- winevent.c -------------------------------------------------------- */

static void time_forms(void **state)
{
	(void)state;
	ips_time_t t;
	assert_true(ips_winevent_parse_time("2026-03-05T07:58:14.5219871Z", 28, &t));
	assert_time(&t, "2026-03-05T07:58:14.5219871Z");
	assert_true(ips_winevent_parse_time("/Date(1772697494521)/", 21, &t));
	assert_time(&t, "2026-03-05T07:58:14.521Z");
	assert_true(ips_winevent_parse_time("\\/Date(1772697494000+0100)\\/", 28, &t));
	assert_time(&t, "2026-03-05T07:58:14.000Z");
	assert_true(ips_winevent_parse_time("3/5/2026 7:58:14 AM", 19, &t));
	assert_time(&t, "2026-03-05T07:58:14Z");
	assert_true(ips_winevent_parse_time("10/7/2016 06:38:24 PM", 21, &t));
	assert_time(&t, "2016-10-07T18:38:24Z");
	assert_true(ips_winevent_parse_time("3/5/2026 12:05:00 AM", 20, &t));
	assert_time(&t, "2026-03-05T00:05:00Z");
	assert_true(ips_winevent_parse_time("3/5/2026 13:05:09", 17, &t));
	assert_time(&t, "2026-03-05T13:05:09Z");
	assert_true(ips_winevent_parse_time("2021-08-05T16:13:05.6394416-07:00", 33, &t));
	assert_time(&t, "2021-08-05T23:13:05.6394416Z");
	assert_true(ips_winevent_parse_time("134171710945219871", 18, &t)); /* FILETIME */
	assert_time(&t, "2026-03-05T07:58:14.5219871Z");
	assert_false(ips_winevent_parse_time("13/45/2026 1:00:00 AM", 21, &t));
	assert_false(ips_winevent_parse_time("yesterday", 9, &t));
	/* zoneless forms follow TZ (--tz) */
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	assert_true(ips_winevent_parse_time("3/5/2026 8:58:14 AM", 19, &t));
	assert_time(&t, "2026-03-05T07:58:14Z");
	setenv("TZ", "UTC", 1);
	tzset();
}

/* ---- winxml ------------------------------------------------------------ */

#define NS "xmlns='http://schemas.microsoft.com/win/2004/08/events/event'"
#define RAS20227                                                                                  \
	"<Event " NS "><System><Provider Name='RasClient'/><EventID Qualifiers='0'>20227</EventID>"  \
	"<Level>2</Level><TimeCreated SystemTime='2026-03-05T07:58:14.5219871Z'/>"                   \
	"<EventRecordID>4711</EventRecordID><Channel>Application</Channel>"                          \
	"<Computer>CLIENT01</Computer><Security UserID='S-1-5-21-1'/></System>"                      \
	"<EventData><Data>{6D5C2E1A-3B4F-4C8D-9E7A-1F2B3C4D5E6F}</Data><Data>CONTOSO\\alice</Data>"  \
	"<Data>Contoso VPN</Data><Data>13801</Data></EventData></Event>"
#define SEC4653                                                                                   \
	"<Event " NS "><System><Provider Name='Microsoft-Windows-Security-Auditing' "                \
	"Guid='{54849625-5478-4994-A5BA-3E3B0328C30D}'/><EventID>4653</EventID><Level>0</Level>"    \
	"<TimeCreated SystemTime='2026-03-05T07:58:14.0876543Z'/><Channel>Security</Channel>"        \
	"<Computer>CLIENT01</Computer></System><EventData>"                                          \
	"<Data Name='LocalAddress'>192.168.1.20</Data><Data Name='RemoteAddress'>203.0.113.45</Data>" \
	"<Data Name='FailurePoint'>%%8199</Data>"                                                    \
	"<Data Name='FailureReason'>IKE authentication credentials are unacceptable</Data>"          \
	"</EventData></Event>"

static void winxml_bare_sequence(void **state)
{
	(void)state;
	ips_results_t *res = scan_text("seq.xml", RAS20227 RAS20227 "\r\n" SEC4653 "\r\n");
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "winxml");
	assert_int_equal(in->records, 3);
	assert_int_equal(in->status, IPS_INPUT_OK);
	const ips_finding_t *r0 = record(res, 0), *r1 = record(res, 1), *r2 = record(res, 2);
	assert_int_equal(r0->offset, 0);
	assert_int_equal(r0->line, 1);
	assert_int_equal(r1->offset, strlen(RAS20227));
	assert_int_equal(r2->line, 2);
	assert_string_equal(r0->host, "CLIENT01");
	assert_time(&r0->time, "2026-03-05T07:58:14.5219871Z");
	assert_field(r0, "Provider", "RasClient");
	assert_field(r0, "EventID", "20227");
	assert_field(r0, "Level", "Error");
	assert_field(r0, "RecordID", "4711");
	assert_field(r0, "Channel", "Application");
	assert_field(r0, "CoId", "{6D5C2E1A-3B4F-4C8D-9E7A-1F2B3C4D5E6F}");
	assert_field(r0, "UserName", "CONTOSO\\alice");
	assert_field(r0, "ConnectionName", "Contoso VPN");
	assert_field(r0, "ErrorCode", "13801");
	assert_field(r0, "user", "CONTOSO\\alice");
	assert_field(r0, "conn", "Contoso VPN");
	assert_non_null(strstr(r0->text, "Provider=RasClient\tEventID=20227\tComputer=CLIENT01\t"));
	assert_field(r2, "peer", "203.0.113.45");
	assert_field(r2, "local", "192.168.1.20");
	/* %%8199 in a Security-Auditing event: the word of msobjs.dll */
	assert_field(r2, "FailurePoint", "Local computer");
	/* both failures are the same code, one finding each, never two per record */
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_AUTH_FAIL"), 3);
	ips_results_free(res);
}

static void winxml_events_root_rendered(void **state)
{
	(void)state;
	const char *doc =
		"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Events>\r\n"
		"<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n"
		"  <System><Provider Name=\"Microsoft-Windows-Security-Auditing\"/>"
		"<EventID>4653</EventID><Level>0</Level><Channel>Security</Channel>"
		"<Computer>GW01</Computer></System>\r\n"
		"  <EventData><Data Name=\"RemoteAddress\">198.51.100.7</Data>"
		"<Data Name=\"FailureReason\">Negotiation timed out</Data></EventData>\r\n"
		"  <RenderingInfo Culture=\"en-US\"><Message>An IPsec main mode negotiation failed.&#13;\n"
		"\tFailure Reason:\t\tNegotiation timed out &amp; more</Message>"
		"<Level>Information</Level><Task>IPsec Main Mode</Task>"
		"<Keywords><Keyword>Audit Failure</Keyword></Keywords></RenderingInfo>\r\n"
		"</Event>\r\n</Events>\r\n";
	ips_results_t *res = scan_text("saved.xml", doc);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "winxml");
	assert_int_equal(in->records, 1);
	assert_int_equal(in->status, IPS_INPUT_OK);
	const ips_finding_t *r = record(res, 0);
	assert_int_equal(r->line, 3);
	assert_field(r, "Task", "IPsec Main Mode");
	assert_field(r, "Keywords", "Audit Failure");
	assert_non_null(strstr(r->text, "\tMessage=An IPsec main mode negotiation failed.\n"
					"\tFailure Reason:\t\tNegotiation timed out & more"));
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_TIMED_OUT"), 1);
	ips_results_free(res);
}

static void winxml_unterminated(void **state)
{
	(void)state;
	char doc[4096];
	snprintf(doc, sizeof doc, "%s\n%.*s", RAS20227, 200, SEC4653);
	ips_results_t *res = scan_text("cut.xml", doc);
	const ips_input_t *in = input0(res);
	assert_int_equal(in->records, 1);
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	assert_error_has(in, "ends inside <Event>");
	char want[64];
	snprintf(want, sizeof want, "at offset %zu:", strlen(RAS20227) + 1);
	assert_error_has(in, want);
	ips_results_free(res);
}

static void winxml_resumes_after_an_error(void **state)
{
	(void)state;
	const char *doc = RAS20227 "\n<Event " NS "><System><EventID>1</Foo></System></Event>\n" SEC4653;
	ips_results_t *res = scan_text("broken.xml", doc);
	const ips_input_t *in = input0(res);
	assert_int_equal(in->records, 2);
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	assert_error_has(in, "line 2");
	assert_error_has(in, "mismatched tag");
	assert_string_equal(ips_finding_field(record(res, 1), "EventID"), "4653");
	ips_results_free(res);
}

static void winxml_deep_nesting(void **state)
{
	(void)state;
	size_t depth = 100000, n = 0;
	char *doc = malloc(depth * 7 + 64);
	n += (size_t)sprintf(doc, "<Event>");
	for (size_t i = 0; i < depth; i++)
		memcpy(doc + n, "<a>", 3), n += 3;
	for (size_t i = 0; i < depth; i++)
		memcpy(doc + n, "</a>", 4), n += 4;
	n += (size_t)sprintf(doc + n, "</Event>");
	ips_results_t *res = scan_opts(write_file("deep.xml", doc, n), 0, 0, NULL);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "winxml");
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	assert_error_has(in, "nested deeper than 64");
	free(doc);
	ips_results_free(res);
}

/*
 * The built-in win-message-text detector alone (without windows-events.yaml)
 * finds a FailureReason in the canonical rendering: followed by a TAB, with a
 * final period or runs of spaces.
 */
static void message_text_on_the_rendering(void **state)
{
	(void)state;
	static const char *const reasons[] = {
		"IKE authentication credentials are unacceptable",
		"IKE authentication credentials are unacceptable.",
		"IKE  authentication   credentials are unacceptable",
	};
	ips_diag_t d;
	ips_diag_init(&d);
	ips_rules_t *r = ips_rules_new();
	assert_int_equal(ips_rules_add_path(r, "rules/kb", &d), IPS_OK);
	assert_int_equal(ips_rules_add_path(r, "rules/detect/windows-codes.yaml", &d), IPS_OK);
	assert_int_equal(ips_correlate_finalize_rules(r, &d), IPS_OK);
	ips_diag_free(&d);
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		char doc[1024];
		snprintf(doc, sizeof doc,
			 "<Event " NS "><System><Provider Name='Microsoft-Windows-Security-Auditing'/>"
			 "<EventID>4653</EventID></System><EventData>"
			 "<Data Name='FailureReason'>%s</Data><Data Name='State'>%%%%8202</Data>"
			 "</EventData></Event>",
			 reasons[i]);
		const char *path = write_file("reason.xml", doc, strlen(doc));
		ips_scan_opts_t o;
		ips_scan_opts_default(&o);
		ips_results_t *res = ips_results_new();
		ips_batch_t *s = ips_batch_new(r, &o, res);
		ips_batch_scan_path(s, path);
		ips_batch_finish(s);
		ips_batch_free(s);
		const ips_finding_t *f = named(res, "ERROR_IPSEC_IKE_AUTH_FAIL");
		assert_string_equal(f->det->id, "win-message-text");
		assert_int_equal(res->findings.len, 1);
		ips_results_free(res);
	}
	ips_rules_free(r);
}

/* ---- wfpxml ------------------------------------------------------------ */

static void wfpxml_net_events(void **state)
{
	(void)state;
	const char *doc =
		"<?xml version=\"1.0\"?>\r\n<netEvents>\r\n<item><header>"
		"<timeStamp>2026-03-05T07:58:14.081Z</timeStamp>"
		"<flags numItems=\"2\"><item>FWPM_NET_EVENT_FLAG_LOCAL_ADDR_SET</item>"
		"<item>FWPM_NET_EVENT_FLAG_REMOTE_ADDR_SET</item></flags>"
		"<localAddrV4>192.168.1.20</localAddrV4><remoteAddrV4>203.0.113.45</remoteAddrV4>"
		"<appId><data>5c00</data><asString>\\device\\x</asString></appId></header>"
		"<type>FWPM_NET_EVENT_TYPE_IKEEXT_MM_FAILURE</type>"
		"<ikeMmFailure><failureErrorCode>13801</failureErrorCode>"
		"<failurePoint>IPSEC_FAILURE_PEER</failurePoint></ikeMmFailure></item>\r\n"
		"<item><header><timeStamp>2026-03-05T07:58:15Z</timeStamp></header>"
		"<type>FWPM_NET_EVENT_TYPE_CLASSIFY_DROP</type>"
		"<classifyDrop><filterId>67890</filterId></classifyDrop></item>\r\n</netEvents>\r\n";
	ips_results_t *res = scan_text("wfp.xml", doc);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "wfpxml");
	assert_int_equal(in->records, 2);
	const ips_finding_t *r = record(res, 0);
	assert_time(&r->time, "2026-03-05T07:58:14.081Z");
	assert_field(r, "failureErrorCode", "13801");
	assert_field(r, "peer", "203.0.113.45");
	assert_field(r, "local", "192.168.1.20");
	assert_field(r, "flags", "FWPM_NET_EVENT_FLAG_LOCAL_ADDR_SET|FWPM_NET_EVENT_FLAG_REMOTE_ADDR_SET");
	assert_field(r, "appId", "\\device\\x");
	assert_null(r->host);
	const ips_finding_t *f = named(res, "ERROR_IPSEC_IKE_AUTH_FAIL");
	assert_string_equal(f->det->id, "wfp-failure-error-code");
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_AUTH_FAIL"), 1);
	ips_results_free(res);
}

/* ---- wintext ----------------------------------------------------------- */

static void wintext_blocks(void **state)
{
	(void)state;
	const char *doc =
		"Event[0]:\r\n  Log Name: Application\r\n  Source: RasClient\r\n"
		"  Date: 2026-03-05T07:58:14.521\r\n  Event ID: 20227\r\n  Task: N/A\r\n"
		"  Level: Error\r\n  User Name: CONTOSO\\alice\r\n  Computer: CLIENT01\r\n"
		"  Description: \r\nCoId={A1}: The user CONTOSO\\alice dialed a connection named "
		"Contoso VPN which has failed. The error code returned on failure is 809.\r\n\r\n"
		"Event[1]:\r\n  Log Name: Security\r\n  Source: Microsoft-Windows-Security-Auditing\r\n"
		"  Date: 2026-03-05T07:58:14.087Z\r\n  Event ID: 4654\r\n  Computer: CLIENT01\r\n"
		"  Description: \r\nAn IPsec quick mode negotiation failed.\r\n\r\n"
		"Remote Endpoint:\r\n\tNetwork Address:\t203.0.113.45\r\n\r\n"
		"Failure Information:\r\n\tFailure Reason:\t\tNo policy configured\r\n\r\n";
	ips_results_t *res = scan_text("events.txt", doc);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "wintext");
	assert_int_equal(in->records, 2);
	const ips_finding_t *r0 = record(res, 0), *r1 = record(res, 1);
	assert_int_equal(r0->line, 1);
	assert_int_equal(r1->line, 13);
	assert_time(&r0->time, "2026-03-05T07:58:14.521Z");
	assert_string_equal(r0->host, "CLIENT01");
	assert_field(r0, "CoId", "{A1}");
	assert_field(r0, "user", "CONTOSO\\alice");
	assert_field(r0, "conn", "Contoso VPN");
	assert_field(r0, "ErrorCode", "809");
	assert_field(r1, "peer", "203.0.113.45");
	assert_field(r1, "FailureReason", "No policy configured");
	assert_int_equal(count_named(res, "ERROR_VPN_TIMEOUT"), 1);
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_NO_POLICY"), 1);
	/* the message keeps its line breaks, without the blank lines at its end */
	assert_non_null(strstr(r1->text, "Message=An IPsec quick mode negotiation failed.\n\n"
					 "Remote Endpoint:\n"));
	assert_int_equal(r1->text[strlen(r1->text) - 1], 'd');
	ips_results_free(res);
}

/* ---- pslist ----------------------------------------------------------- */

static void pslist_format_list(void **state)
{
	(void)state;
	const char *doc =
		"\r\n"
		"EventID            : 20111\r\n"
		"MachineName        : GW01\r\n"
		"Data               : {41, 3, 0, 0}\r\n"
		"EntryType          : Error\r\n"
		"Message            : RoutingDomainID- {00000000-0000-0000-0000-000000000000}: A Demand Dial\r\n"
		"                     connection to the remote interface Branch on port VPN2-7 was successfully\r\n"
		"                     initiated but failed to complete successfully because of the  following\r\n"
		"                     error: IKE authentication credentials are unacceptable\r\n"
		"\r\n"
		"Source             : RemoteAccess\r\n"
		"ReplacementStrings : {{00000000-0000-0000-0000-000000000000}, Branch, VPN2-7, IKE\r\n"
		"                     authentication credentials are unacceptable\r\n"
		"                     }\r\n"
		"TimeGenerated      : 3/5/2026 7:58:14 AM\r\n"
		"UserName           : NT AUTHORITY\\SYSTEM\r\n"
		"\r\n"
		"TimeCreated  : 3/5/2026 7:58:15 AM\r\n"
		"ProviderName : Microsoft-Windows-Security-Auditing\r\n"
		"Id           : 4653\r\n"
		"Message      : An IPsec main mode negotiation failed.\r\n"
		"\r\n"
		"               Remote Endpoint:\r\n"
		"               \tNetwork Address:\t203.0.113.45\r\n"
		"\r\n"
		"               Failure Information:\r\n"
		"               \tFailure Reason:\t\tNegotiation timed out\r\n"
		"Id           : 4654\r\n"
		"ProviderName : Microsoft-Windows-Security-Auditing\r\n";
	ips_results_t *res = scan_text("fl.txt", doc);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "pslist");
	assert_int_equal(in->records, 3);
	const ips_finding_t *r0 = record(res, 0), *r1 = record(res, 1), *r2 = record(res, 2);
	assert_int_equal(r0->line, 2);
	assert_int_equal(r1->line, 18);
	assert_int_equal(r2->line, 28); /* a repeated name starts an event, blank line or not */
	assert_string_equal(r0->host, "GW01");
	assert_time(&r0->time, "2026-03-05T07:58:14Z");
	assert_field(r0, "DataDword", "809");
	assert_field(r0, "InterfaceName", "Branch");
	assert_field(r0, "conn", "Branch");
	assert_field(r0, "Port", "VPN2-7");
	assert_field(r0, "ErrorText", "IKE authentication credentials are unacceptable");
	assert_field(r0, "UserAccount", "NT AUTHORITY\\SYSTEM");
	assert_null(ips_finding_field(r0, "user"));
	/* wrapped lines are one sentence again */
	assert_non_null(strstr(r0->text, "A Demand Dial connection to the remote interface Branch on"));
	/* the 4653's own line breaks stay, so its labelled lines are read */
	assert_field(r1, "peer", "203.0.113.45");
	assert_field(r1, "FailureReason", "Negotiation timed out");
	assert_non_null(strstr(r1->text, "failed.\n\nRemote Endpoint:\n"));
	assert_field(r2, "EventID", "4654");
	/* the code in the binary data, and the 4653's reason */
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_AUTH_FAIL"), 1);
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_TIMED_OUT"), 1);
	ips_results_free(res);
}

static void pslist_collections(void **state)
{
	(void)state;
	const char *doc =
		"EventID            : 20227\n"
		"Source             : RasClient\n"
		"Data               : {1, 2, 3, 4...}\n"
		"ReplacementStrings : {{B4}, CONTOSO\\bob, Lab, 13806}\n"
		"Properties         : {System.Diagnostics.Eventing.Reader.EventProperty}\n"
		"Message            : Die Verbindung ist fehlgeschlagen.\n";
	ips_results_t *res = scan_text("fl2.txt", doc);
	const ips_finding_t *r0 = record(res, 0);
	assert_null(ips_finding_field(r0, "DataDword")); /* more than 4 bytes: not a code */
	assert_null(ips_finding_field(r0, "Properties"));
	/* a localised message gives nothing, the insertion strings do */
	assert_field(r0, "CoId", "{B4}");
	assert_field(r0, "user", "CONTOSO\\bob");
	assert_field(r0, "conn", "Lab");
	assert_field(r0, "ErrorCode", "13806");
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_NO_CERT"), 1);
	ips_results_free(res);
}

/* ---- evcopy ----------------------------------------------------------- */

static void evcopy_copy_details(void **state)
{
	(void)state;
	const char *doc =
		"- <Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n"
		"- <System>\n"
		"  <Provider Name=\"Microsoft-Windows-Security-Auditing\" /> \n"
		"  <EventID>4653</EventID> \n"
		"  <TimeCreated SystemTime=\"2026-03-05T09:20:29.1183307Z\" /> \n"
		"  <Computer>CLIENT04</Computer> \n"
		"  </System>\n"
		"- <EventData>\n"
		"  <Data Name=\"RemoteAddress\">203.0.113.45</Data> \n"
		"  <Data Name=\"FailurePoint\">%%8199</Data> \n"
		"  <Data Name=\"FailureReason\">Negotiation timed out</Data> \n"
		"  </EventData>\n"
		"  </Event>\n"
		"\n"
		"Log Name:      Application\r\n"
		"Source:        RasClient\r\n"
		"Date:          3/5/2026 9:20:31 AM\r\n"
		"Event ID:      20227\r\n"
		"Computer:      CLIENT04\r\n"
		"Description:\r\n"
		"CoId={C1}: The user CONTOSO\\carol dialed a connection named Contoso VPN that has failed. "
		"The error code returned on failure is 13805.\r\n"
		"Event Xml:\r\n"
		"<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n"
		"  <System>\r\n"
		"    <Provider Name=\"RasClient\" />\r\n"
		"    <EventID Qualifiers=\"0\">20227</EventID>\r\n"
		"    <TimeCreated SystemTime=\"2026-03-05T09:20:31.4402215Z\" />\r\n"
		"    <Computer>CLIENT04</Computer>\r\n"
		"  </System>\r\n"
		"  <EventData>\r\n"
		"    <Data>{C1}</Data>\r\n    <Data>CONTOSO\\carol</Data>\r\n"
		"    <Data>Contoso VPN</Data>\r\n    <Data>13805</Data>\r\n"
		"  </EventData>\r\n"
		"</Event>\r\n"
		"Log Name:      System\n"
		"Source:        RemoteAccess\n"
		"Date:          3/5/2026 9:25:00 AM\n"
		"Event ID:      20111\n"
		"Description:\n"
		"A Demand Dial connection to the remote interface HQ on port VPN2-1 was successfully "
		"initiated but failed to complete successfully because of the following error: x\n"
		"Event Xml:\n"
		"<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n"
		"  <System>\n"
		"    <Provider Na\n";
	ips_results_t *res = scan_text("copy.txt", doc);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "evcopy");
	assert_int_equal(in->records, 3);
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	assert_error_has(in, "copied with the event at line 37 cannot be read");
	const ips_finding_t *r0 = record(res, 0), *r1 = record(res, 1), *r2 = record(res, 2);
	assert_int_equal(r0->line, 1);
	assert_int_equal(r1->line, 15);
	assert_int_equal(r2->line, 37);
	assert_time(&r0->time, "2026-03-05T09:20:29.1183307Z");
	assert_field(r0, "peer", "203.0.113.45");
	assert_field(r0, "FailurePoint", "Local computer");
	/* the XML's event data, with the Description as its message */
	assert_time(&r1->time, "2026-03-05T09:20:31.4402215Z");
	assert_field(r1, "UserName", "CONTOSO\\carol");
	assert_field(r1, "ErrorCode", "13805");
	assert_non_null(strstr(r1->text, "\tMessage=CoId={C1}: The user CONTOSO\\carol dialed"));
	/* the cut XML: the event from its text */
	assert_field(r2, "EventID", "20111");
	assert_field(r2, "conn", "HQ");
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_TIMED_OUT"), 2);
	ips_results_free(res);
}

/* %%NNNN: words for the Security-Auditing provider only */
static void param_references(void **state)
{
	(void)state;
	const char *doc =
		"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
		"<Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4654</EventID></System>"
		"<EventData><Data Name='KeyModName'>%%8244</Data><Data Name='Mode'>%%8213</Data>"
		"<Data Name='State'>%%9999</Data></EventData></Event>\n"
		"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
		"<Provider Name='Contoso-Agent'/><EventID>7</EventID></System>"
		"<EventData><Data Name='Kind'>%%8244</Data></EventData></Event>\n";
	ips_results_t *res = scan_text("params.xml", doc);
	const ips_finding_t *r0 = record(res, 0), *r1 = record(res, 1);
	assert_field(r0, "KeyModName", "IKEv2");
	assert_field(r0, "Mode", "Tunnel");
	assert_field(r0, "State", "%%9999 (unresolved message reference)");
	assert_field(r1, "Kind", "%%8244 (unresolved message reference)");
	ips_results_free(res);
}

/* ---- wincsv ------------------------------------------------------------ */

static void wincsv_event_viewer(void **state)
{
	(void)state;
	const char *doc =
		"Level,Date and Time,Source,Event ID,Task Category\r\n"
		"Error,3/5/2026 7:58:14 AM,RasClient,20227,None,\"CoId={A1}: The user CONTOSO\\alice "
		"dialed a connection named Contoso VPN, \"\"main\"\" that has failed. The error code "
		"returned on failure is 13801.\"\r\n"
		"Information,3/5/2026 7:58:14 PM,Microsoft-Windows-Security-Auditing,4653,IPsec Main Mode,"
		"\"An IPsec main mode negotiation failed.\r\n\r\nRemote Endpoint:\r\n"
		"\tNetwork Address:\t203.0.113.45\r\n\r\nFailure Information:\r\n"
		"\tFailure Reason:\t\tIKE authentication credentials are unacceptable.\r\n\"\r\n";
	ips_results_t *res = scan_text("ev.csv", doc);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "wincsv");
	assert_int_equal(in->records, 2);
	assert_int_equal(in->status, IPS_INPUT_OK);
	const ips_finding_t *r0 = record(res, 0), *r1 = record(res, 1);
	assert_int_equal(r0->line, 2);
	assert_int_equal(r1->line, 3);
	assert_time(&r0->time, "2026-03-05T07:58:14Z");
	assert_time(&r1->time, "2026-03-05T19:58:14Z");
	assert_null(r0->host);
	assert_field(r0, "Provider", "RasClient");
	assert_field(r0, "Task", "None");
	assert_field(r0, "conn", "Contoso VPN, \"main\"");
	assert_field(r1, "peer", "203.0.113.45");
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_AUTH_FAIL"), 2);
	ips_results_free(res);
}

static void wincsv_event_viewer_tab_text(void **state)
{
	(void)state;
	const char *doc =
		"Level\tDate and Time\tSource\tEvent ID\tTask Category\r\n"
		"Information\t3/5/2026 7:58:14 AM\tMicrosoft-Windows-Security-Auditing\t4653\t"
		"IPsec Main Mode\tAn IPsec main mode negotiation failed.\r\n\r\n"
		"Remote Endpoint:\r\n\tNetwork Address:\t203.0.113.45\r\n\r\n"
		"Failure Information:\r\n\tFailure Reason:\t\tNegotiation timed out\r\n"
		"Error\t3/5/2026 7:58:15 AM\tRasClient\t20227\tNone\tThe error code returned on "
		"failure is 809.\r\n";
	ips_results_t *res = scan_text("ev.txt", doc);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "wincsv");
	assert_int_equal(in->records, 2);
	const ips_finding_t *r0 = record(res, 0), *r1 = record(res, 1);
	assert_int_equal(r0->line, 2);
	assert_int_equal(r1->line, 9);
	assert_field(r0, "peer", "203.0.113.45");
	assert_field(r1, "ErrorCode", "809");
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_TIMED_OUT"), 1);
	assert_int_equal(count_named(res, "ERROR_VPN_TIMEOUT"), 1);
	ips_results_free(res);
}

static void wincsv_export_csv_semicolon(void **state)
{
	(void)state;
	const char *doc =
		"#TYPE System.Diagnostics.EventLogEntry#Application/RasClient/20227\r\n"
		"\"EventID\";\"MachineName\";\"EntryType\";\"Message\";\"Source\";"
		"\"ReplacementStrings\";\"TimeGenerated\"\r\n"
		"\"20227\";\"CLIENT03\";\"Error\";\"CoId={B2}: The user SYSTEM dialed a connection "
		"named AzureGateway which has failed. The error code returned on failure is 809.\";"
		"\"RasClient\";\"System.String[]\";\"3/5/2026 10:12:40 AM\"\r\n";
	ips_results_t *res = scan_text("export.csv", doc);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "wincsv");
	assert_int_equal(in->records, 1);
	const ips_finding_t *r = record(res, 0);
	assert_string_equal(r->host, "CLIENT03");
	assert_field(r, "Level", "Error");
	assert_field(r, "conn", "AzureGateway");
	assert_null(ips_finding_field(r, "ReplacementStrings"));
	assert_time(&r->time, "2026-03-05T10:12:40Z");
	assert_int_equal(count_named(res, "ERROR_VPN_TIMEOUT"), 1);
	ips_results_free(res);
}

static void wincsv_unclosed_quote(void **state)
{
	(void)state;
	const char *doc = "Level,Date and Time,Source,Event ID,Task Category\r\n"
			  "Information,3/5/2026 7:58:12 AM,RasClient,20221,None,ok\r\n"
			  "Error,3/5/2026 7:58:14 AM,RasClient,20227,None,\"The error code returned on "
			  "failure is 13801.\r\nInformation,3/5/2026 7:58:15 AM,X,1,None,y\r\n";
	ips_results_t *res = scan_text("open.csv", doc);
	const ips_input_t *in = input0(res);
	assert_int_equal(in->records, 2);
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	assert_error_has(in, "line 3");
	assert_error_has(in, "never closed");
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_AUTH_FAIL"), 1);
	ips_results_free(res);
}

static void wincsv_record_cap(void **state)
{
	(void)state;
	size_t big = 200000, n = 0;
	char *doc = malloc(big + 512);
	n += (size_t)sprintf(doc, "Level,Date and Time,Source,Event ID,Task Category\r\n"
				  "Error,3/5/2026 7:58:14 AM,RasClient,20227,None,\"");
	memset(doc + n, 'x', big);
	n += big;
	n += (size_t)sprintf(doc + n, "\"\r\nError,3/5/2026 7:58:15 AM,RasClient,20227,None,\"The "
				      "error code returned on failure is 13801.\"\r\n");
	ips_results_t *res = scan_opts(write_file("cap.csv", doc, n), 4096, 8192, NULL);
	const ips_input_t *in = input0(res);
	assert_int_equal(in->records, 2);
	assert_int_equal(in->truncated, 1);
	assert_int_equal(in->status, IPS_INPUT_OK);
	assert_true(strlen(record(res, 0)->text) <= 8192);
	assert_int_equal(record(res, 1)->line, 3);
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_AUTH_FAIL"), 1);
	free(doc);
	ips_results_free(res);
}

/* ---- winjson / ndjson -------------------------------------------------- */

static void winjson_powershell_array(void **state)
{
	(void)state;
	const char *doc =
		"[\r\n    {\r\n        \"Id\":  20227,\r\n        \"Level\":  2,\r\n"
		"        \"ProviderName\":  \"RasClient\",\r\n        \"MachineName\":  \"CLIENT01\",\r\n"
		"        \"TimeCreated\":  \"\\/Date(1772697494521)\\/\",\r\n"
		"        \"LevelDisplayName\":  \"Error\",\r\n"
		"        \"UserId\":  {\"Value\":  \"S-1-5-21-1\"},\r\n"
		"        \"Properties\":  [ {\"Value\":  \"{A1}\"}, {\"Value\":  \"CONTOSO\\\\alice\"},"
		" {\"Value\":  \"Contoso VPN\"}, {\"Value\":  \"13801\"} ],\r\n"
		"        \"Message\":  \"CoId={A1}: The user CONTOSO\\\\alice dialed a connection named "
		"Contoso VPN that has failed.\\r\\nThe error code returned on failure is 13801.\"\r\n"
		"    },\r\n    {\r\n        \"Id\":  4653,\r\n"
		"        \"ProviderName\":  \"Microsoft-Windows-Security-Auditing\",\r\n"
		"        \"TimeCreated\":  \"2026-03-05T08:58:14.0876543+01:00\",\r\n"
		"        \"Properties\":  [ {\"Value\":  \"-\"}, {\"Value\":  \"-\"}, {\"Value\":  "
		"\"192.168.1.20\"}, {\"Value\":  \"4500\"}, {\"Value\":  \"203.0.113.45\"}, {\"Value\":  "
		"\"4500\"}, {\"Value\":  \"%%8222\"}, {\"Value\":  \"%%8199\"}, {\"Value\":  \"Negotiation "
		"timed out\"} ]\r\n    }\r\n]\r\n";
	ips_results_t *res = scan_text("ps.json", doc);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "winjson");
	assert_int_equal(in->records, 2);
	assert_int_equal(in->status, IPS_INPUT_OK);
	const ips_finding_t *r0 = record(res, 0), *r1 = record(res, 1);
	assert_int_equal(r0->line, 2);
	assert_int_equal(r0->offset, 7);
	assert_time(&r0->time, "2026-03-05T07:58:14.521Z");
	assert_time(&r1->time, "2026-03-05T07:58:14.0876543Z");
	assert_field(r0, "Level", "Error");
	assert_field(r0, "UserId.Value", "S-1-5-21-1");
	assert_field(r0, "Properties[1].Value", "CONTOSO\\alice");
	assert_field(r0, "CoId", "{A1}");
	assert_field(r0, "conn", "Contoso VPN");
	assert_field(r0, "ErrorCode", "13801");
	assert_field(r1, "peer", "203.0.113.45");
	assert_field(r1, "KeyModName", "IKEv1");
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_AUTH_FAIL"), 1);
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_TIMED_OUT"), 1);
	ips_results_free(res);
}

static void winjson_single_object(void **state)
{
	(void)state;
	const char *doc = "{\n  \"Id\": 20227,\n  \"ProviderName\": \"RasClient\",\n"
			  "  \"Message\": \"The error code returned on failure is 13806.\"\n}\n";
	ips_results_t *res = scan_text("one.json", doc);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "winjson");
	assert_int_equal(in->records, 1);
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_NO_CERT"), 1);
	ips_results_free(res);
}

static void winjson_deep_nesting(void **state)
{
	(void)state;
	size_t depth = 100000;
	char *doc = malloc(2 * depth + 1);
	memset(doc, '[', depth);
	memset(doc + depth, ']', depth);
	ips_results_t *res = scan_opts(write_file("deep.json", doc, 2 * depth), 0, 0, NULL);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "winjson");
	assert_int_equal(in->records, 0);
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	assert_error_has(in, "nested deeper than 64");
	assert_error_has(in, "at offset 6");
	free(doc);
	ips_results_free(res);
}

static void winjson_syntax_error(void **state)
{
	(void)state;
	const char *doc = "[{\"Id\": 1, \"Message\": \"error 13801\"},\n {\"Id\": 2,, }]\n";
	ips_results_t *res = scan_text("bad.json", doc);
	const ips_input_t *in = input0(res);
	assert_int_equal(in->records, 1);
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	assert_error_has(in, "JSON");
	assert_error_has(in, "at offset 4");
	ips_results_free(res);
}

static void ndjson_bad_line_costs_only_itself(void **state)
{
	(void)state;
	const char *doc =
		"{\"@timestamp\":\"2026-03-05T09:31:07.204Z\",\"winlog\":{\"provider_name\":"
		"\"Microsoft-Windows-Security-Auditing\",\"event_id\":\"4653\",\"computer_name\":"
		"\"CLIENT02\",\"event_data\":{\"RemoteAddress\":\"198.51.100.7\",\"FailureReason\":"
		"\"Negotiation timed out\"}},\"host\":{\"name\":\"client02\"}}\n"
		"{\"broken\": tru}\n"
		"\n"
		"{\"message\":\"IKE negotiation failed, error 13801\",\"deep\":{\"a\":{\"b\":[1,{\"c\":2}]}}}\r\n";
	ips_results_t *res = scan_text("beat.ndjson", doc);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "ndjson");
	assert_int_equal(in->records, 2);
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	/* the error names a position inside the broken second line */
	size_t l2 = (size_t)(strchr(doc, '\n') + 1 - doc), l3 = l2 + strlen("{\"broken\": tru}");
	unsigned long long at = 0;
	assert_int_equal(sscanf(in->error, "at offset %llu:", &at), 1);
	assert_true(at >= l2 && at <= l3);
	assert_error_has(in, "the rest of the line is skipped");
	const ips_finding_t *r0 = record(res, 0);
	assert_string_equal(r0->host, "CLIENT02");
	assert_time(&r0->time, "2026-03-05T09:31:07.204Z");
	assert_field(r0, "winlog.event_data.RemoteAddress", "198.51.100.7");
	assert_field(r0, "peer", "198.51.100.7");
	const ips_finding_t *r1 = record(res, 1);
	assert_int_equal(r1->line, 4);
	assert_field(r1, "deep.a.b[1].c", "2");
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_TIMED_OUT"), 1);
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_AUTH_FAIL"), 1);
	ips_results_free(res);
}

static void ndjson_long_line_is_cut(void **state)
{
	(void)state;
	size_t big = 100000, n = 0;
	char *doc = malloc(big + 256);
	n += (size_t)sprintf(doc, "{\"message\":\"error 13801\",\"pad\":\"");
	memset(doc + n, 'x', big);
	n += big;
	n += (size_t)sprintf(doc + n, "\"}\n{\"message\":\"error 13806\"}\n");
	ips_results_t *res = scan_opts(write_file("long.ndjson", doc, n), 4096, 8192, NULL);
	const ips_input_t *in = input0(res);
	assert_int_equal(in->records, 2);
	assert_int_equal(in->truncated, 1);
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_AUTH_FAIL"), 1);
	assert_int_equal(count_named(res, "ERROR_IPSEC_IKE_NO_CERT"), 1);
	assert_int_equal(record(res, 1)->line, 2);
	free(doc);
	ips_results_free(res);
}

static void ndjson_journald(void **state)
{
	(void)state;
	const char *doc = "{\"__REALTIME_TIMESTAMP\":\"1772697494521000\",\"_HOSTNAME\":\"gw1\","
			  "\"SYSLOG_IDENTIFIER\":\"charon\",\"MESSAGE\":\"error 13805\"}\n";
	ips_results_t *res = scan_text("journal.json", doc);
	const ips_input_t *in = input0(res);
	/* journalctl -o json has its own framer (input/journal.c) */
	assert_string_equal(in->format, "journal-json");
	const ips_finding_t *f = named(res, "ERROR_IPSEC_IKE_TIMED_OUT");
	assert_string_equal(f->host, "gw1");
	assert_time(&f->time, "2026-03-05T07:58:14.521000Z");
	ips_results_free(res);
}

/* ---- evtx -------------------------------------------------------------- */

static void evtx_garbage_body(void **state)
{
	(void)state;
	unsigned char b[8192];
	memcpy(b, "ElfFile\0", 8);
	for (size_t i = 8; i < sizeof b; i++)
		b[i] = (unsigned char)(i * 131 + 7);
	ips_results_t *res = scan_opts(write_file("fake.evtx", b, sizeof b), 0, 0, NULL);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "evtx");
	assert_int_equal(in->records, 0);
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	assert_error_has(in, "EVTX");
	assert_error_has(in, "at offset 0:");
	ips_results_free(res);
}

static void evtx_corpus_file(void **state)
{
	(void)state;
	const char *path = "../shared/corpus/evtx/evtx-attack-samples__DE_RDP_Tunnel_5156.evtx";
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "SKIP: %s is absent (the corpus ships beside the project)\n", path);
		skip();
	}
	ips_results_t *res = scan_opts(path, 0, 0, NULL);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "evtx");
	assert_int_equal(in->records, 101);
	assert_int_equal(in->status, IPS_INPUT_OK);
	assert_int_equal(count_named(res, "DBG_RECORD"), 101);
	assert_int_equal(res->findings.len, 101); /* no IPsec failures in it */
	const ips_finding_t *r = record(res, 0);
	assert_int_equal(r->line, 1);
	assert_non_null(r->host);
	assert_true(r->time.valid);
	assert_non_null(ips_finding_field(r, "EventID"));
	ips_results_free(res);
}

/* ---- detection --------------------------------------------------------- */

static void sniffing(void **state)
{
	(void)state;
	static const struct {
		const char *head, *format;
	} cases[] = {
		{"ElfFile\0\0\0\0", "evtx"},
		{"<Event xmlns='x'><System>", "winxml"},
		{"<?xml version=\"1.0\"?>\r\n<Events>\r\n<Event>", "winxml"},
		{"<?xml version=\"1.0\"?>\r\n<netEvents>\r\n<item>", "wfpxml"},
		{"Event[0]:\r\n  Log Name: Application\r\n", "wintext"},
		{"Level,Date and Time,Source,Event ID,Task Category\r\nError,", "wincsv"},
		{"#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n\"Message\"", "wincsv"},
		{"\"Message\",\"Id\",\"ProviderName\",\"TimeCreated\"\r\n", "wincsv"},
		{"[\r\n    {\r\n        \"Id\":  20227,", "winjson"},
		{"{\r\n  \"Id\": 1\r\n}\r\n", "winjson"},
		{"{\"a\":1}\n{\"a\":2}\n", "ndjson"},
		{"Mar  1 10:00:00 gw charon: 13[IKE] x\n", "strongswan"},
		{"\r\nEventID            : 20227\r\nMachineName        : C1\r\n"
		 "Message            : x\r\n", "pslist"},
		{"\nTimeCreated  : 3/5/2026 7:58:10 AM\nProviderName : RasClient\nId           : 20221\n",
		 "pslist"},
		{"key : value\nother : value\nthird : value\n", "lines"},
		{"Log Name:      Application\r\nSource:        RasClient\r\nDate:          x\r\n"
		 "Event ID:      20227\r\n", "evcopy"},
		{"- <Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n- <System>\n",
		 "evcopy"},
		{"\r\n   Index Time          EntryType   Source                 InstanceID Message\r\n"
		 "   ----- ----          ---------   ------                 ---------- -------\r\n",
		 "pstable"},
		{"name  size\n----  ----\na     1\n", "lines"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = strlen(cases[i].head);
		if (!memcmp(cases[i].head, "ElfFile", 7))
			n = 12;
		const ips_framer_ops_t *fr =
			ips_framer_detect((const unsigned char *)cases[i].head, n, "x");
		if (strcmp(fr->name, cases[i].format))
			fail_msg("case %zu: %s, expected %s", i, fr->name, cases[i].format);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(push_one_byte_at_a_time),
		cmocka_unit_test(encoding_detection),
		cmocka_unit_test(decode_utf16le_in_small_reads),
		cmocka_unit_test(decode_utf16be_and_utf8_bom),
		cmocka_unit_test(decode_invalid_and_odd_byte),
		cmocka_unit_test(decode_errors_reach_the_report),
		cmocka_unit_test(decoder_push_in_pieces),
		cmocka_unit_test(time_forms),
		cmocka_unit_test(winxml_bare_sequence),
		cmocka_unit_test(winxml_events_root_rendered),
		cmocka_unit_test(winxml_unterminated),
		cmocka_unit_test(winxml_resumes_after_an_error),
		cmocka_unit_test(winxml_deep_nesting),
		cmocka_unit_test(message_text_on_the_rendering),
		cmocka_unit_test(wfpxml_net_events),
		cmocka_unit_test(wintext_blocks),
		cmocka_unit_test(pslist_format_list),
		cmocka_unit_test(pslist_collections),
		cmocka_unit_test(evcopy_copy_details),
		cmocka_unit_test(param_references),
		cmocka_unit_test(wincsv_event_viewer),
		cmocka_unit_test(wincsv_event_viewer_tab_text),
		cmocka_unit_test(wincsv_export_csv_semicolon),
		cmocka_unit_test(wincsv_unclosed_quote),
		cmocka_unit_test(wincsv_record_cap),
		cmocka_unit_test(winjson_powershell_array),
		cmocka_unit_test(winjson_single_object),
		cmocka_unit_test(winjson_deep_nesting),
		cmocka_unit_test(winjson_syntax_error),
		cmocka_unit_test(ndjson_bad_line_costs_only_itself),
		cmocka_unit_test(ndjson_long_line_is_cut),
		cmocka_unit_test(ndjson_journald),
		cmocka_unit_test(evtx_garbage_body),
		cmocka_unit_test(evtx_corpus_file),
		cmocka_unit_test(sniffing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
