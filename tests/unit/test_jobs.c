/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for jobs.c and progress.c: the plan, the merge, the thread
 * count, a parallel scan against a serial one, the progress line; where
 * cron mode's split of a file's new lines starts and stops. */
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

#include "detect/scan_split.h"
#include "run/batch.h"
#include "run/jobs.h"
#include "run/progress.h"
#include "report/report.h"
#include "unit.h"

static ips_rules_t *rules;
static char dir[] = "/tmp/ips-test-jobs-XXXXXX";

static int setup(void **state)
{
	(void)state;
	ut_utc();
	rules = ut_rules(true, NULL, NULL);
	return rules ? ut_mkdtemp(dir) : -1;
}

static int teardown(void **state)
{
	(void)state;
	ips_rules_free(rules);
	return ut_rmtree(dir);
}

static void put(const char *name, const char *text)
{
	ut_write_file(dir, name, text);
}

static const char *const log_a =
	"Mar  1 10:00:00 gw charon: 09[IKE] <site|1> initiating IKE_SA site[1] to 198.51.100.7\n"
	"Mar  1 10:00:03 gw charon: 09[IKE] <site|1> received AUTHENTICATION_FAILED notify error\n"
	"Mar  1 10:00:04 gw charon: 09[IKE] <site|1> establishing IKE_SA failed, peer not responding\n";
static const char *const log_b =
	"2026-03-05T07:58:14Z CLIENT01 vpnhelper[4120]: IKE negotiation failed, hr=0x800735E9\n"
	"2026-03-05T07:58:16Z CLIENT01 vpnhelper[4120]: IKEEXT: ERROR_IPSEC_IKE_NO_CERT\n";

/* Directories in name order, errors in their place, sizes summed. */
static void test_plan_order(void **state)
{
	(void)state;
	char sub[512], p1[512], missing[512];
	snprintf(sub, sizeof sub, "%s/d", dir);
	mkdir(sub, 0755);
	put("d/b.log", log_b);
	put("d/a.log", log_a);
	put("z.log", log_a);
	snprintf(p1, sizeof p1, "%s/z.log", dir);
	snprintf(missing, sizeof missing, "%s/missing.log", dir);
	const char *paths[] = {p1, missing, sub};
	ips_vec_t units = {0};
	uint64_t total = 0;
	ips_plan_inputs(paths, 3, NULL, false, &units, &total);
	assert_int_equal(units.len, 4);
	const ips_scan_unit_t *u0 = units.items[0], *u1 = units.items[1], *u2 = units.items[2],
			      *u3 = units.items[3];
	assert_string_equal(u0->path, p1);
	assert_null(u1->path);
	assert_non_null(u1->error);
	assert_string_equal(u1->error->path, missing);
	assert_non_null(strstr(u2->path, "/d/a.log"));
	assert_non_null(strstr(u3->path, "/d/b.log"));
	assert_int_equal(total, 2 * strlen(log_a) + strlen(log_b));
	/* threads: never more than inputs; automatic: none for a few bytes */
	assert_int_equal(ips_jobs_threads(8, &units, total), 3);
	assert_int_equal(ips_jobs_threads(2, &units, total), 2);
	assert_int_equal(ips_jobs_threads(0, &units, total), 1);
	assert_true(ips_jobs_threads(0, &units, 1ULL << 40) >= 1);
	/* standard input named twice: one reader, as a serial scan */
	const char *twice[] = {"-", p1, "-"};
	ips_vec_t twice_units = {0};
	uint64_t t2;
	ips_plan_inputs(twice, 3, NULL, false, &twice_units, &t2);
	assert_int_equal(twice_units.len, 3);
	assert_true(((const ips_scan_unit_t *)twice_units.items[0])->stream);
	assert_false(((const ips_scan_unit_t *)twice_units.items[1])->stream);
	assert_int_equal(ips_jobs_threads(4, &twice_units, t2), 1);
	for (size_t i = 0; i < twice_units.len; i++)
		ips_scan_unit_free(twice_units.items[i]);
	ips_vec_free(&twice_units);
	for (size_t i = 0; i < units.len; i++)
		ips_scan_unit_free(units.items[i]);
	ips_vec_free(&units);
}

static char *report(const ips_results_t *res)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	ips_report_opts_t o = {.version = "test", .max_evidence = 5};
	assert_int_equal(ips_reporter_by_name("json")->write(f, res, rules, &o), IPS_OK);
	fclose(f);
	return buf;
}

/* Many threads, many small inputs (more than IPS_JOBS_AHEAD): the serial report. */
static void test_parallel_equals_serial(void **state)
{
	(void)state;
	char many[512];
	snprintf(many, sizeof many, "%s/many", dir);
	mkdir(many, 0755);
	for (int i = 0; i < IPS_JOBS_AHEAD + 20; i++) {
		char name[64];
		snprintf(name, sizeof name, "many/%03d.log", i);
		put(name, i % 3 ? log_a : log_b);
	}
	const char *paths[] = {many, "/nonexistent/x.log"};
	ips_scan_opts_t so;
	ips_scan_opts_default(&so);
	so.year = 2026;

	ips_results_t *serial = ips_results_new();
	ips_batch_t *sc = ips_batch_new(rules, &so, serial);
	ips_status_t st1 = IPS_OK;
	for (size_t i = 0; i < 2; i++)
		if (ips_batch_scan_path(sc, paths[i]) != IPS_OK)
			st1 = IPS_E_INPUT;
	ips_batch_finish(sc);
	ips_batch_free(sc);
	char *want = report(serial);

	for (int threads = 1; threads <= 4; threads++) {
		ips_vec_t units = {0};
		uint64_t total;
		ips_plan_inputs(paths, 2, NULL, false, &units, &total);
		ips_results_t *par = ips_results_new();
		ips_status_t st2 = ips_jobs_scan(rules, &so, par, &units, threads);
		assert_int_equal(units.len, 0);
		ips_vec_free(&units);
		assert_int_equal(st1, st2);
		assert_int_equal(par->inputs.len, serial->inputs.len);
		assert_int_equal(par->findings.len, serial->findings.len);
		assert_int_equal(par->incidents.len, serial->incidents.len);
		char *got = report(par);
		assert_string_equal(got, want);
		free(got);
		ips_results_free(par);
	}
	assert_true(serial->findings.len > 100);
	free(want);
	ips_results_free(serial);
}

/* Appending shifts input indexes and keeps the first IPS_EVENTS_KEPT events. */
static void test_results_append(void **state)
{
	(void)state;
	ips_results_t *a = ips_results_new(), *b = ips_results_new();
	ips_input_t *ia = ips_input_new("a", NULL), *ib = ips_input_new("b", NULL);
	ips_vec_push(&a->inputs, ia);
	ips_vec_push(&b->inputs, ib);
	ips_finding_t *f = calloc(1, sizeof *f);
	f->input = 0;
	ips_vec_push(&b->findings, f);
	for (int i = 0; i < IPS_EVENTS_KEPT + 5; i++) {
		ips_event_t *e = calloc(1, sizeof *e);
		ips_vec_push(i < IPS_EVENTS_KEPT - 2 ? &a->events : &b->events, e);
	}
	a->events_total = IPS_EVENTS_KEPT - 2;
	b->events_total = 7;
	b->records = 3;
	ips_results_append(a, b);
	assert_int_equal(a->inputs.len, 2);
	assert_int_equal(((ips_finding_t *)a->findings.items[0])->input, 1);
	assert_int_equal(a->events.len, IPS_EVENTS_KEPT);
	assert_int_equal(a->events_total, IPS_EVENTS_KEPT + 5);
	assert_int_equal(((ips_event_t *)a->events.items[IPS_EVENTS_KEPT - 1])->input, 1);
	assert_int_equal(a->records, 3);
	assert_int_equal(b->inputs.len + b->findings.len + b->events.len, 0);
	ips_results_free(a);
	ips_results_free(b);
}

static void test_progress_format(void **state)
{
	(void)state;
	char buf[160];
	ips_progress_format(buf, sizeof buf, 450000000, 1000000000, 2.0);
	assert_string_equal(buf, "ipsec-scan: [#########...........]  45%  450.0 MB of 1.0 GB, "
				 "225.0 MB/s, 0:02 left");
	ips_progress_format(buf, sizeof buf, 1000, 1000, 1.0);
	assert_string_equal(buf, "ipsec-scan: [####################] 100%  1.0 KB of 1.0 KB, 1.0 KB/s");
	/* a file that grew while it was read stays at 100% */
	ips_progress_format(buf, sizeof buf, 2000, 1000, 1.0);
	assert_non_null(strstr(buf, "100%"));
	/* no total (standard input): bytes and rate */
	ips_progress_format(buf, sizeof buf, 5000000, 0, 2.0);
	assert_string_equal(buf, "ipsec-scan: 5.0 MB read, 2.5 MB/s");
	/* hours */
	ips_progress_format(buf, sizeof buf, 1000000, 10000000000ULL, 1.0);
	assert_non_null(strstr(buf, "2:46:39 left"));
}

static void test_progress_fit(void **state)
{
	(void)state;
	char buf[160];
	ips_progress_format(buf, sizeof buf, 450000000, 1000000000, 2.0);
	ips_progress_fit(buf, 100); /* fits: unchanged */
	assert_string_equal(buf, "ipsec-scan: [#########...........]  45%  450.0 MB of 1.0 GB, "
				 "225.0 MB/s, 0:02 left");
	ips_progress_fit(buf, 70); /* the bar goes first */
	assert_string_equal(buf, "ipsec-scan:  45%  450.0 MB of 1.0 GB, 225.0 MB/s, 0:02 left");
	ips_progress_fit(buf, 30); /* then the end, one column kept free */
	assert_string_equal(buf, "ipsec-scan:  45%  450.0 MB of");
	assert_int_equal(strlen(buf), 29);
	ips_progress_format(buf, sizeof buf, 5000000, 0, 2.0);
	ips_progress_fit(buf, 20);
	assert_string_equal(buf, "ipsec-scan: 5.0 MB ");
	setenv("COLUMNS", "42", 1);
	assert_int_equal(ips_progress_columns(-1), 42);
	setenv("COLUMNS", "x", 1);
	assert_int_equal(ips_progress_columns(-1), 80);
	unsetenv("COLUMNS");
}


/* Where a resumed read (and cron mode's split of it) starts and stops. */
static void test_resume_span(void **state)
{
	(void)state;
	char path[256];
	snprintf(path, sizeof path, "%s/span.log", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("a\nbb\nccc\npartial", f); /* lines end at 2, 5, 9; 7 bytes unfinished */
	fclose(f);
	FILE *r = fopen(path, "r");
	assert_non_null(r);
	ips_frame_limits_t fl = {.max_record = 1024, .block = 4096};
	ips_split_resume_t sp;
	/* after line 2: the look back takes lines 1 and 2 (context), up to the last '\n' */
	ips_scan_from_t cr = {.fd = fileno(r), .size = 16, .offset = 5, .line = 2};
	assert_true(ips_scan_resume_span(&fl, &cr, &sp));
	assert_int_equal(sp.from, 0);
	assert_int_equal(sp.line, 1);
	assert_int_equal(sp.drop_below, 5);
	assert_int_equal(sp.limit, 9);
	assert_true(sp.whole_lines);
	assert_false(sp.changed);
	assert_int_equal(cr.end_offset, 5);
	assert_int_equal(cr.end_line, 2);
	/* a rotated file's rest: to its end, the unfinished line too */
	cr = (ips_scan_from_t){.fd = fileno(r), .size = 16, .offset = 5, .line = 2, .to_end = true};
	assert_true(ips_scan_resume_span(&fl, &cr, &sp));
	assert_int_equal(sp.limit, 16);
	assert_false(sp.whole_lines);
	/* the resume point is not a line start: the file changed, read from 0 */
	cr = (ips_scan_from_t){.fd = fileno(r), .size = 16, .offset = 4, .line = 2};
	assert_true(ips_scan_resume_span(&fl, &cr, &sp));
	assert_true(sp.changed);
	assert_int_equal(sp.from, 0);
	assert_int_equal(sp.drop_below, 0);
	assert_int_equal(cr.offset, 0);
	assert_int_equal(cr.end_line, 0);
	/* nothing but the unfinished line is new */
	cr = (ips_scan_from_t){.fd = fileno(r), .size = 16, .offset = 9, .line = 3};
	assert_false(ips_scan_resume_span(&fl, &cr, &sp));
	fclose(r);
	/* cron mode's threads: --jobs when given, else the processors */
	assert_int_equal(ips_jobs_cron_threads(3), 3);
	assert_true(ips_jobs_cron_threads(0) >= 1);
	assert_int_equal(ips_jobs_cron_threads(500), 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_order),
		cmocka_unit_test(test_parallel_equals_serial),
		cmocka_unit_test(test_results_append),
		cmocka_unit_test(test_resume_span),
		cmocka_unit_test(test_progress_format),
		cmocka_unit_test(test_progress_fit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
