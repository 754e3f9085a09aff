/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for scan.c + framer_lines.c: blocks, line numbers, caps, inputs. */
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

#include "detect/scan.h"
#include "run/batch.h"
#include "unit.h"

static ips_rules_t *rules;
static char dir[] = "/tmp/ips-test-scan-XXXXXX";

static const char rules_yaml[] =
	"entries:\n"
	"  - {name: ERROR_IPSEC_IKE_AUTH_FAIL, code: 13801, hex: \"0x35E9\", source: winerror,\n"
	"     message: \"IKE authentication credentials are unacceptable\", severity: error,\n"
	"     category: authentication, summary: s, causes: [a], diagnose: [b], resolve: [c]}\n"
	"  - {name: WARNING_IPSEC_MM_POLICY_PRUNED, code: 13024, hex: \"0x32E0\", source: winerror,\n"
	"     message: \"pruned\", severity: warning,\n"
	"     category: policy-store, summary: s, causes: [a], diagnose: [b], resolve: [c]}\n"
	"detectors:\n"
	"  - id: code\n"
	"    literals: [\"error \"]\n"
	"    regex: 'error (?<key>1\\d{4})'\n"
	"    lookup: key\n";

static int setup(void **state)
{
	(void)state;
	ut_utc();
	rules = ut_rules(false, "t.yaml", rules_yaml);
	return rules ? ut_mkdtemp(dir) : -1;
}

static int teardown(void **state)
{
	(void)state;
	ips_rules_free(rules);
	return ut_rmtree(dir);
}

static char *write_file(const char *name, const char *data, size_t len)
{
	return ut_write_data(dir, name, data, len);
}

static bool follow_links; /* --follow-links */

static ips_results_t *scan(const char *path, size_t block, size_t max_record)
{
	ips_scan_opts_t o;
	ips_scan_opts_default(&o);
	o.year = 2026;
	o.follow_links = follow_links;
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

static void line_numbers_across_small_blocks(void **state)
{
	(void)state;
	char buf[8192];
	size_t n = 0;
	for (int i = 1; i <= 200; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, i % 37 == 0 ? "line %d error 13801\r\n"
									  : "line %d noise\n", i);
	char *p = write_file("blocks.log", buf, n);
	ips_results_t *res = scan(p, 64, 128); /* many refills */
	ips_input_t *in = res->inputs.items[0];
	assert_int_equal(in->records, 200);
	assert_int_equal(in->bytes, n);
	assert_int_equal(res->findings.len, 5);
	for (size_t i = 0; i < res->findings.len; i++) {
		ips_finding_t *f = res->findings.items[i];
		assert_int_equal(f->line, 37 * (i + 1));
		assert_memory_equal(buf + f->offset, "line ", 5);
		assert_null(strchr(f->text, '\r'));
	}
	ips_results_free(res);
}

static void long_line_is_cut_and_counted(void **state)
{
	(void)state;
	size_t n = 10000;
	char *buf = malloc(n + 64);
	memset(buf, 'x', n);
	memcpy(buf + 10, "error 13801", 11);  /* inside the kept head */
	memcpy(buf + 5000, "error 13024", 11); /* beyond the cap */
	n += (size_t)sprintf(buf + n, "\nnext error 13024\n");
	char *p = write_file("long.log", buf, n);
	ips_results_t *res = scan(p, 256, 1024);
	ips_input_t *in = res->inputs.items[0];
	assert_int_equal(in->records, 2);
	assert_int_equal(in->truncated, 1);
	assert_non_null(in->note);
	assert_int_equal(res->findings.len, 2);
	ips_finding_t *f0 = res->findings.items[0], *f1 = res->findings.items[1];
	assert_string_equal(f0->entry->name, "ERROR_IPSEC_IKE_AUTH_FAIL");
	assert_int_equal(f0->line, 1);
	assert_string_equal(f1->entry->name, "WARNING_IPSEC_MM_POLICY_PRUNED");
	assert_int_equal(f1->line, 2);
	assert_int_equal(f1->offset, 10001);
	free(buf);
	ips_results_free(res);
}

static void stable_ids(void **state)
{
	(void)state;
	const char *t = "Mar  1 10:00:00 gw1 x: error 13801\n";
	char *p = write_file("ids.log", t, strlen(t));
	ips_results_t *a = scan(p, 0, 0), *b = scan(p, 0, 0);
	ips_finding_t *fa = a->findings.items[0], *fb = b->findings.items[0];
	assert_string_equal(fa->id, fb->id);
	assert_int_equal(strlen(fa->id), 16);
	assert_string_equal(fa->host, "gw1");
	char tb[64];
	ips_time_format(&fa->time, tb, sizeof tb);
	assert_string_equal(tb, "2026-03-01T10:00:00Z");
	ips_results_free(a);
	ips_results_free(b);
}

static void empty_missing_and_loops(void **state)
{
	(void)state;
	char *p = write_file("empty.log", "", 0);
	ips_results_t *res = scan(p, 0, 0);
	assert_int_equal(((ips_input_t *)res->inputs.items[0])->status, IPS_INPUT_EMPTY);
	ips_results_free(res);

	char missing[600];
	snprintf(missing, sizeof missing, "%s/nope.log", dir);
	res = scan(missing, 0, 0);
	ips_input_t *in = res->inputs.items[0];
	assert_int_equal(in->status, IPS_INPUT_ERROR);
	assert_non_null(strstr(in->error, "No such file"));
	ips_results_free(res);

	char sub[600], link[700];
	snprintf(sub, sizeof sub, "%s/tree", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(link, sizeof link, "%s/loop", sub);
	assert_int_equal(symlink("..", link), 0);
	write_file("tree/a.log", "error 13801\n", 12);
	/* by default a link inside a directory is listed, not followed */
	res = scan(sub, 0, 0);
	size_t listed = 0;
	for (size_t i = 0; i < res->inputs.len; i++) {
		in = res->inputs.items[i];
		assert_int_not_equal(in->status, IPS_INPUT_ERROR);
		if (in->note && strstr(in->note, "not followed"))
			listed++;
	}
	assert_int_equal(listed, 1);
	ips_results_free(res);
	/* --follow-links: the loop is found and named */
	follow_links = true;
	res = scan(sub, 0, 0);
	follow_links = false;
	size_t loops = 0, ok = 0;
	for (size_t i = 0; i < res->inputs.len; i++) {
		in = res->inputs.items[i];
		if (in->status == IPS_INPUT_ERROR && strstr(in->error, "loop"))
			loops++;
		if (in->status == IPS_INPUT_OK)
			ok++;
	}
	assert_true(loops >= 1);
	assert_true(ok >= 1);
	ips_results_free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(line_numbers_across_small_blocks),
		cmocka_unit_test(long_line_is_cut_and_counted),
		cmocka_unit_test(stable_ids),
		cmocka_unit_test(empty_missing_and_loops),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
