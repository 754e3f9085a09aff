/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for input/journal.c: the journalctl -o export and -o json
 * parsers (text and binary fields, caps, cut streams), the record an entry
 * becomes (its line, charon-systemd's THREAD/GROUP/IKE_SA prefix, the
 * journal's fields), the sniffers and the --journal-match check. Binary
 * journal files are tested end to end by tests/journal/run.sh (they need
 * systemd-journal-remote to be written).
 *
 * Records are inspected through a catch-all detector (DBG_ENTRY) that turns
 * every journal entry into a finding carrying its fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/scan.h"
#include "run/batch.h"
#include "input/journal.h"
#include "unit.h"

static ips_rules_t *rules;
static char dir[] = "/tmp/ips-test-journal-XXXXXX";

static const char dbg_yaml[] =
	"entries:\n"
	"  - {name: DBG_ENTRY, source: other, message: \"any journal entry\", severity: info,\n"
	"     category: protocol, summary: s, causes: [a], diagnose: [b], resolve: [c]}\n"
	"detectors:\n"
	"  - id: dbg-entry\n"
	"    literals: [\": \"]\n"
	"    regex: '(?s): (?<msg>.*)\\z'\n"
	"    name: DBG_ENTRY\n"
	"    formats: [journal-export, journal-json]\n"
	"    examples: {match: [{line: \"x: y\", name: DBG_ENTRY}]}\n";

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

static ips_results_t *scan_data(const char *name, const void *data, size_t len, size_t max_record)
{
	ips_scan_opts_t o;
	ips_scan_opts_default(&o);
	if (max_record)
		o.frame.max_record = max_record;
	ips_results_t *res = ips_results_new();
	ips_batch_t *s = ips_batch_new(rules, &o, res);
	char *path = ut_write_data(dir, name, data, len);
	(void)ips_batch_scan_path(s, path);
	ips_batch_finish(s);
	ips_batch_free(s);
	return res;
}

static const ips_finding_t *nth(const ips_results_t *res, const char *name, size_t n)
{
	for (size_t i = 0; i < res->findings.len; i++) {
		const ips_finding_t *f = res->findings.items[i];
		if (!strcmp(f->entry->name, name) && n-- == 0)
			return f;
	}
	fail_msg("no finding %s #%zu", name, n);
	return NULL;
}

static const char *field(const ips_finding_t *f, const char *key)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (!strcmp(f->fields[i].key, key))
			return f->fields[i].value;
	return NULL;
}

static const ips_input_t *input0(const ips_results_t *res)
{
	assert_true(res->inputs.len >= 1);
	return res->inputs.items[0];
}

/* Two entries; the second's MESSAGE is a binary field with a newline in it. */
static void export_text_and_binary_fields(void **state)
{
	(void)state;
	static const char doc[] =
		"__CURSOR=s=ab;i=1;b=cd;m=1;t=2;x=3\n__REALTIME_TIMESTAMP=1772697494521000\n"
		"__MONOTONIC_TIMESTAMP=77\n_HOSTNAME=gw1\n_COMM=charon-systemd\n_PID=812\n"
		"_SYSTEMD_UNIT=strongswan.service\nPRIORITY=5\nUNUSED_FIELD=ignored\n"
		"THREAD=5\nGROUP=IKE\nIKE_SA_UNIQUE_ID=3\nIKE_SA_NAME=site\n"
		"MESSAGE=received AUTHENTICATION_FAILED notify error\n\n"
		"__REALTIME_TIMESTAMP=1772697495000000\n_HOSTNAME=gw1\nSYSLOG_IDENTIFIER=pluto\n"
		"MESSAGE\n\x0c\0\0\0\0\0\0\0two\nlines ok\n\n";
	ips_results_t *res = scan_data("a.export", doc, sizeof doc - 1, 0);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "journal-export");
	assert_int_equal(in->records, 2);
	assert_int_equal(in->status, IPS_INPUT_OK);
	const ips_finding_t *f = nth(res, "DBG_ENTRY", 0);
	assert_string_equal(f->text, "2026-03-05T07:58:14.521000Z gw1 charon-systemd[812]: 05[IKE] "
				     "<site|3> received AUTHENTICATION_FAILED notify error");
	assert_int_equal(f->line, 1);
	assert_int_equal(f->offset, 0);
	assert_string_equal(f->host, "gw1");
	assert_string_equal(field(f, "_SYSTEMD_UNIT"), "strongswan.service");
	assert_string_equal(field(f, "_PID"), "812");
	assert_string_equal(field(f, "PRIORITY"), "5");
	assert_string_equal(field(f, "__REALTIME_TIMESTAMP"), "1772697494521000");
	assert_string_equal(field(f, "__MONOTONIC_TIMESTAMP"), "77");
	assert_string_equal(field(f, "__CURSOR"), "s=ab;i=1;b=cd;m=1;t=2;x=3");
	assert_null(field(f, "UNUSED_FIELD"));
	assert_null(field(f, "THREAD"));
	f = nth(res, "DBG_ENTRY", 1);
	assert_int_equal(f->line, 2);
	assert_string_equal(f->text, "2026-03-05T07:58:15.000000Z gw1 pluto: two\nlines ok");
	ips_results_free(res);
}

/* A MESSAGE that keeps charon's "NN[GRP] " is not prefixed again. */
static void export_prefix_kept(void **state)
{
	(void)state;
	static const char doc[] = "__REALTIME_TIMESTAMP=1\n_HOSTNAME=h\n_COMM=charon\nTHREAD=9\n"
				  "GROUP=IKE\nMESSAGE=09[IKE] hello\n\n";
	ips_results_t *res = scan_data("p.export", doc, sizeof doc - 1, 0);
	assert_string_equal(nth(res, "DBG_ENTRY", 0)->text,
			    "1970-01-01T00:00:00.000001Z h charon: 09[IKE] hello");
	ips_results_free(res);
}

/* Cut streams: a binary field shorter than its size, a bad line. */
static void export_cut_short(void **state)
{
	(void)state;
	static const char cut[] = "__REALTIME_TIMESTAMP=1\nMESSAGE=first\n\n"
				  "_HOSTNAME=h\nMESSAGE\n\x40\0\0\0\0\0\0\0short";
	ips_results_t *res = scan_data("c.export", cut, sizeof cut - 1, 0);
	const ips_input_t *in = input0(res);
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	assert_non_null(strstr(in->error, "binary field at line 5 is cut short"));
	assert_int_equal(in->records, 1);
	ips_results_free(res);
	static const char bad[] = "__REALTIME_TIMESTAMP=1\nMESSAGE=first\n\nnot a field\n";
	res = scan_data("b.export", bad, sizeof bad - 1, 0);
	in = input0(res);
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	assert_non_null(strstr(in->error, "line 4 is neither FIELD=VALUE"));
	ips_results_free(res);
	static const char size[] = "_HOSTNAME=h\nMESSAGE\n\x03\0\0\0\0\0\0\0abcd\n\n";
	res = scan_data("s.export", size, sizeof size - 1, 0);
	in = input0(res);
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	assert_non_null(strstr(in->error, "does not end where its size says"));
	ips_results_free(res);
}

/* A MESSAGE past the record cap is cut and counted; memory stays bounded. */
static void export_long_message(void **state)
{
	(void)state;
	size_t n = 200000;
	char *doc = malloc(n + 64);
	int h = snprintf(doc, 64, "__REALTIME_TIMESTAMP=1\nMESSAGE=");
	memset(doc + h, 'x', n);
	memcpy(doc + h + n, "\n\n", 2);
	ips_results_t *res = scan_data("l.export", doc, (size_t)h + n + 2, 4096);
	const ips_input_t *in = input0(res);
	assert_int_equal(in->records, 1);
	assert_int_equal(in->truncated, 1);
	ips_results_free(res);
	free(doc);
}

/* journalctl -o json: strings, byte arrays, repeated fields, null, bad lines. */
static void json_values(void **state)
{
	(void)state;
	static const char doc[] =
		"{\"PRIORITY\":\"6\",\"_HOSTNAME\":[\"gw2\",\"other\"],\"MESSAGE\":[104,105,33],"
		"\"__REALTIME_TIMESTAMP\":\"1772697494000000\",\"__CURSOR\":\"s=1;i=2\","
		"\"SYSLOG_IDENTIFIER\":\"xl2tpd\",\"_PID\":\"44\"}\n"
		"not json\n"
		"{\"__CURSOR\":\"s=1;i=3\",\"MESSAGE\":null,\"__REALTIME_TIMESTAMP\":\"1\"}\n";
	ips_results_t *res = scan_data("j.json", doc, sizeof doc - 1, 0);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "journal-json");
	assert_int_equal(in->records, 2);
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	assert_non_null(strstr(in->error, "the first is line 2"));
	const ips_finding_t *f = nth(res, "DBG_ENTRY", 0);
	assert_string_equal(f->text, "2026-03-05T07:58:14.000000Z gw2 xl2tpd[44]: hi!");
	assert_string_equal(f->host, "gw2");
	assert_int_equal(res->findings.len, 1); /* MESSAGE null: read, not matched */
	ips_results_free(res);
}

/* A line nested a million levels deep is refused, not parsed (yajl frees its
 * tree recursively: this crashed before the depth check). */
static void json_deep_nesting(void **state)
{
	(void)state;
	size_t depth = 1000000;
	const char *head = "{\"__CURSOR\":\"s\",\"MESSAGE\":\"m\"}\n{\"MESSAGE\":";
	size_t hl = strlen(head), n = hl + 2 * depth + 3;
	char *doc = malloc(n);
	memcpy(doc, head, hl);
	memset(doc + hl, '[', depth);
	memset(doc + hl + depth, ']', depth);
	memcpy(doc + hl + 2 * depth, "}\n", 3);
	ips_results_t *res = scan_data("deep.json", doc, n - 1, 0);
	const ips_input_t *in = input0(res);
	assert_string_equal(in->format, "journal-json");
	assert_int_equal(in->status, IPS_INPUT_PARTIAL);
	assert_non_null(strstr(in->error, "the first is line 2"));
	ips_results_free(res);
	free(doc);
}

static void sniffing(void **state)
{
	(void)state;
	static const unsigned char magic[] = "LPKSHHRH\0\0\0\0";
	assert_true(ips_journal_is_binary(magic, 12));
	assert_false(ips_journal_is_binary((const unsigned char *)"LPKSHH", 6));
	assert_true(ips_journal_is_file_name("system@0001-0002.journal~"));
	assert_true(ips_journal_is_file_name("user-1000.journal"));
	assert_false(ips_journal_is_file_name(".journal"));
	assert_false(ips_journal_is_file_name("journal.log"));
	const ips_framer_ops_t *fr;
	static const char ex[] = "_HOSTNAME=h\nMESSAGE=m\nPRIORITY=3\n\n";
	fr = ips_framer_detect((const unsigned char *)ex, sizeof ex - 1, "x");
	assert_string_equal(fr->name, "journal-export");
	static const char notex[] = "key=value\nMESSAGE=m\n";
	fr = ips_framer_detect((const unsigned char *)notex, sizeof notex - 1, "x");
	assert_string_not_equal(fr->name, "journal-export");
	static const char js[] = "{\"a\":1,\"__CURSOR\":\"s\",\"MESSAGE\":\"m\"}\n";
	fr = ips_framer_detect((const unsigned char *)js, sizeof js - 1, "x");
	assert_string_equal(fr->name, "journal-json");
	static const char nd[] = "{\"message\":\"m\",\"@timestamp\":\"x\"}\n";
	fr = ips_framer_detect((const unsigned char *)nd, sizeof nd - 1, "x");
	assert_string_equal(fr->name, "ndjson");
}

static void match_check(void **state)
{
	(void)state;
	assert_null(ips_journal_match_check("_SYSTEMD_UNIT=strongswan.service"));
	assert_null(ips_journal_match_check("+"));
	assert_null(ips_journal_match_check("PRIORITY="));
	assert_non_null(ips_journal_match_check("nofield"));
	assert_non_null(ips_journal_match_check("=x"));
	assert_non_null(ips_journal_match_check("lower=x"));
	assert_non_null(ips_journal_match_check("1ABC=x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(export_text_and_binary_fields),
		cmocka_unit_test(export_prefix_kept),
		cmocka_unit_test(export_cut_short),
		cmocka_unit_test(export_long_message),
		cmocka_unit_test(json_values),
		cmocka_unit_test(json_deep_nesting),
		cmocka_unit_test(sniffing),
		cmocka_unit_test(match_check),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
