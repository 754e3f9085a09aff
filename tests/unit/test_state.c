/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for state.c: round trip, corrupt and newer files, the lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/state.h"
#include "unit.h"

static char dir[] = "/tmp/ips-test-state-XXXXXX";
static char path[600];

static int setup(void **state)
{
	(void)state;
	if (ut_mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/state", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return ut_rmtree(dir);
}

static void write_state(const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void round_trip(void **state)
{
	(void)state;
	unlink(path);
	char *err = NULL;
	ips_state_t *st = ips_state_open(path, &err);
	assert_non_null(st); /* no file yet: an empty state */
	assert_int_equal(ips_state_count(st), 0);
	ips_state_input_t *in = ips_state_input(st, "/var/log/odd name%\t.log", true);
	assert_true(ips_state_set_dev(st, in, 2049));
	in->ino = 123456;
	in->size = 1000;
	in->mtime = 1772697494;
	in->fp = 0x0123456789abcdefULL;
	in->fplen = 4096;
	in->offset = 900;
	in->line = 12;
	in->pfp = 0x1ffffffffffffffeULL; /* the greatest (p - 1, util/phash.h) */
	in->pfp_ok = 1;
	ips_state_input_t *c = ips_state_input(st, "bundle.tar.gz", true);
	c->container = true;
	c->size = c->offset = 77;
	ips_state_window_t w = {.corr = "ike-negotiation", .type = 0, .key = "peer=203.0.113.45",
				.kv = "peer=203.0.113.45\thost=gw 1", .start_sec = 1772697490,
				.start_valid = true, .path = "/var/log/a b.log", .line = 40};
	ips_state_add_window(st, &w);
	assert_int_equal(ips_state_save(st, &err), IPS_OK);
	ips_state_close(st);

	st = ips_state_open(path, &err);
	assert_non_null(st);
	assert_int_equal(ips_state_count(st), 2);
	in = ips_state_input(st, "/var/log/odd name%\t.log", false);
	assert_non_null(in);
	assert_true(ips_state_dev(st, in) == 2049 && in->ino == 123456 && in->size == 1000);
	assert_true(in->fp == 0x0123456789abcdefULL && in->fplen == 4096);
	assert_true(in->offset == 900 && in->line == 12 && !in->container);
	assert_true(in->pfp_ok && in->pfp == 0x1ffffffffffffffeULL);
	assert_true(ips_state_input(st, "bundle.tar.gz", false)->container);
	assert_false(ips_state_input(st, "bundle.tar.gz", false)->pfp_ok);
	assert_int_equal(st->windows.len, 1);
	ips_state_window_t *r = st->windows.items[0];
	assert_string_equal(r->corr, "ike-negotiation");
	assert_string_equal(r->kv, "peer=203.0.113.45\thost=gw 1");
	assert_string_equal(r->path, "/var/log/a b.log");
	assert_true(r->start_valid && r->start_sec == 1772697490 && r->line == 40);
	ips_state_close(st);
}

static void expect_error(const char *text, const char *needle)
{
	write_state(text);
	char *err = NULL;
	ips_state_t *st = ips_state_open(path, &err);
	assert_null(st);
	assert_non_null(err);
	if (!strstr(err, needle))
		fail_msg("error '%s' lacks '%s'", err, needle);
	free(err);
}

static void corrupt_files(void **state)
{
	(void)state;
	expect_error("", "not an ipsec-scan state file");
	expect_error("\x7f" "ELF\x01\x02\n", "not an ipsec-scan state file");
	expect_error("ipsec-scan-state 99\nend\n", "newer ipsec-scan");
	expect_error("ipsec-scan-state 1\ninput /a dev=1 ino=2 size=3 mtime=4 fp=0000000000000000 fplen=3 offset=9 line=1\nend\n",
		     "line 2: malformed input record"); /* offset beyond size */
	expect_error("ipsec-scan-state 1\ninput /a dev=x\nend\n", "line 2: input needs 9 fields");
	expect_error("ipsec-scan-state 1\nbogus\nend\n", "line 2: unknown record");
	expect_error("ipsec-scan-state 1\n", "no end record");
	expect_error("ipsec-scan-state 1\nend", "not terminated");
	expect_error("ipsec-scan-state 1\nend\nend\n", "data after the end record");
	expect_error("ipsec-scan-state 1\ninput /a%ZZ dev=1 ino=2 size=3 mtime=4 fp=0000000000000000 fplen=3 offset=1 line=1\nend\n",
		     "malformed path");
	/* a record keeps 48 bits of its line count (a file of 2^48 records is 256 TiB at least) */
	expect_error("ipsec-scan-state 1\ninput /a dev=1 ino=2 size=3 mtime=4 fp=0000000000000000 fplen=3 offset=1 line=281474976710656\nend\n",
		     "line 2: malformed input record");
}

/* Records keep their device by its number in the state's table: any 64-bit
 * value, exactly; 65,536 devices at most (dev 0 among them). */
static void devices(void **state)
{
	(void)state;
	write_state("ipsec-scan-state 1\n"
		    "input /a dev=18446744073709551615 ino=2 size=3 mtime=4 fp=0000000000000000 fplen=3 offset=1 line=281474976710655\n"
		    "input /b dev=0 ino=2 size=3 mtime=4 fp=0000000000000000 fplen=3 offset=1 line=1\n"
		    "input /c dev=2049 ino=2 size=3 mtime=4 fp=0000000000000000 fplen=3 offset=1 line=1\n"
		    "end\n");
	char *err = NULL;
	ips_state_t *st = ips_state_open(path, &err);
	assert_non_null(st);
	ips_state_input_t *a = ips_state_input(st, "/a", false);
	assert_true(ips_state_dev(st, a) == UINT64_MAX && a->line == 281474976710655ULL);
	assert_true(ips_state_dev(st, ips_state_input(st, "/b", false)) == 0);
	assert_ptr_equal(ips_state_input_id(st, 2049, 2, "/x", false), ips_state_input(st, "/c", false));
	assert_int_equal(ips_state_save(st, &err), IPS_OK);
	ips_state_close(st);
	st = ips_state_open(path, &err);
	assert_non_null(st);
	assert_non_null(ips_state_input_id(st, UINT64_MAX, 2, "/a", false));
	ips_state_close(st);
	/* 65,535 devices besides 0 fit, one more does not */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("ipsec-scan-state 1\n", f);
	for (unsigned d = 1; d <= 65536; d++)
		fprintf(f, "input /f%u dev=%u ino=2 size=3 mtime=4 fp=0000000000000000 fplen=3 "
			   "offset=1 line=1\n", d, d);
	fputs("end\n", f);
	fclose(f);
	st = ips_state_open(path, &err);
	assert_null(st);
	assert_non_null(strstr(err, "line 65537: files of more than 65536 devices"));
	free(err);
}

/* Journal cursors ("journal NAME cursor= line= time="): kept, escaped, checked. */
static void journal_records(void **state)
{
	(void)state;
	write_state("ipsec-scan-state 1\n"
		    "journal /var/log/journal/x%20y cursor=s=ab;i=3;t=5f,s=cd;i=1;t=60 line=4 time=17\n"
		    "journal (journal) cursor=- line=0 time=1\nend\n");
	char *err = NULL;
	ips_state_t *st = ips_state_open(path, &err);
	assert_non_null(st);
	ips_state_journal_t *j = ips_state_journal(st, "/var/log/journal/x y", false);
	assert_non_null(j);
	assert_string_equal(j->cursor, "s=ab;i=3;t=5f,s=cd;i=1;t=60");
	assert_int_equal(j->line, 4);
	assert_int_equal(j->time, 17);
	j = ips_state_journal(st, "(journal)", false);
	assert_non_null(j);
	assert_null(j->cursor);
	j->cursor = strdup("s=ef;i=9");
	j->line = 9;
	assert_int_equal(ips_state_save(st, &err), IPS_OK);
	ips_state_close(st);
	st = ips_state_open(path, &err);
	assert_non_null(st);
	j = ips_state_journal(st, "(journal)", false);
	assert_string_equal(j->cursor, "s=ef;i=9");
	assert_int_equal(j->line, 9);
	assert_non_null(ips_state_journal(st, "/var/log/journal/x y", false));
	ips_state_close(st);
	expect_error("ipsec-scan-state 1\njournal /j cursor= line=1 time=1\nend\n",
		     "line 2: malformed journal record");
	expect_error("ipsec-scan-state 1\njournal /j cursor=- line=x time=1\nend\n",
		     "line 2: malformed journal record");
	expect_error("ipsec-scan-state 1\njournal /j cursor=-\nend\n", "line 2: journal needs 4 fields");
	expect_error("ipsec-scan-state 1\njournal /j cursor=- line=1 time=1\n"
		     "journal /j cursor=- line=1 time=1\nend\n", "line 3: the same journal twice");
}

static void lock_is_exclusive(void **state)
{
	(void)state;
	unlink(path);
	char *err = NULL;
	ips_state_t *a = ips_state_open(path, &err);
	assert_non_null(a);
	ips_state_t *b = ips_state_open(path, &err);
	assert_null(b);
	assert_non_null(strstr(err, "another ipsec-scan run holds the lock"));
	free(err);
	ips_state_close(a);
	b = ips_state_open(path, &err); /* released */
	assert_non_null(b);
	ips_state_close(b);
}

static void save_is_atomic(void **state)
{
	(void)state;
	/* a failed save (unwritable directory) leaves the old file as it was */
	write_state("ipsec-scan-state 1\nend\n");
	char *err = NULL;
	ips_state_t *st = ips_state_open(path, &err);
	assert_non_null(st);
	ips_state_input(st, "/x", true);
	free(st->path);
	st->path = ips_xstrdup("/proc/ipsec-scan-no-such-dir/state");
	assert_int_equal(ips_state_save(st, &err), IPS_E_OUTPUT);
	assert_non_null(err);
	free(err);
	ips_state_close(st);
	char *data;
	size_t len;
	assert_int_equal(ips_read_file(path, 4096, &data, &len), IPS_OK);
	assert_string_equal(data, "ipsec-scan-state 1\nend\n");
	free(data);
}

/* Versions 2 and 3 side by side; what a run stores leaves the old record as it was. */
static void versions_and_replacing(void **state)
{
	(void)state;
	write_state("ipsec-scan-state 2\n"
		    "input /a dev=1 ino=2 size=30 mtime=4 fp=00000000000000aa fplen=30 offset=30 "
		    "line=3 tail=30:00000000000000aa prefix=00000000000000aa\nend\n");
	char *err = NULL;
	ips_state_t *st = ips_state_open(path, &err);
	assert_non_null(st);
	ips_state_input_t *a = ips_state_input_id(st, 1, 2, "/a", false);
	assert_non_null(a);
	/* its prefix is FNV-1a (before version 4): checked as such */
	assert_true(a->offset == 30 && a->line == 3 && a->pfp_ok && a->pfp_fnv && !a->ctime_ok);
	ips_state_freeze(st);
	/* unchanged: the same record, seen */
	ips_state_input_t v = *a;
	assert_ptr_equal(ips_state_put(st, a, &v, "/a"), a);
	assert_true(a->seen);
	/* grown: a new record; the old one kept as it was, not found any more */
	v.size = 60;
	v.offset = 60;
	v.line = 6;
	v.ctime = 1772697494;
	v.ctime_ns = 123456789;
	v.ctime_ok = 1;
	ips_state_input_t *n = ips_state_put(st, a, &v, "/b");
	assert_ptr_not_equal(n, a);
	assert_true(a->offset == 30 && a->old && a->replaced && !strcmp(ips_state_path(st, a), "/a"));
	assert_ptr_equal(ips_state_input_id(st, 1, 2, "/b", false), n);
	assert_null(ips_state_input(st, "/a", false));
	assert_int_equal(ips_state_count(st), 1);
	assert_int_equal(ips_state_save(st, &err), IPS_OK);
	ips_state_close(st);
	st = ips_state_open(path, &err);
	assert_non_null(st);
	assert_int_equal(ips_state_count(st), 1);
	n = ips_state_input(st, "/b", false);
	assert_non_null(n);
	assert_true(n->offset == 60 && n->ctime_ok && n->ctime == 1772697494 &&
		    n->ctime_ns == 123456789);
	ips_state_close(st);
	expect_error("ipsec-scan-state 3\ninput /a dev=1 ino=2 size=3 mtime=4 fp=0000000000000000 "
		     "fplen=3 offset=1 line=1 tail=1:0000000000000000 prefix=- ctime=5\nend\n",
		     "line 2: malformed input record");
	expect_error("ipsec-scan-state 3\ninput /a dev=1 ino=2 size=3 mtime=4 fp=0000000000000000 "
		     "fplen=3 offset=1 line=1 tail=1:0000000000000000 prefix=-\nend\n",
		     "line 2: input needs 12 fields");
	/* a line without end, longer than any record can be */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("ipsec-scan-state 3\ninput /", f);
	for (int i = 0; i < 70000; i++)
		fputc('a', f);
	fclose(f);
	st = ips_state_open(path, &err);
	assert_null(st);
	assert_non_null(strstr(err, "line 2: longer than"));
	free(err);
}

/*
 * Version 3's prefix fingerprints were FNV-1a: read as such (for run/cron.c
 * to check), written back as "-" in a version 4 file (a record a run
 * touches gets the new hash), the rest of the record as it was. Version 4's
 * are util/phash.h's, below its prime.
 */
static void version_3_prefix_fnv(void **state)
{
	(void)state;
	const char *rec = "input /a dev=1 ino=2 size=30 mtime=4 fp=00000000000000aa fplen=30 "
			  "offset=30 line=3 tail=30:00000000000000bb ";
	char text[512];
	snprintf(text, sizeof text,
		 "ipsec-scan-state 3\n%sprefix=00000000000000cc ctime=5.000000006\nend\n", rec);
	write_state(text);
	char *err = NULL;
	ips_state_t *st = ips_state_open(path, &err);
	assert_non_null(st);
	ips_state_input_t *a = ips_state_input_id(st, 1, 2, "/a", false);
	assert_non_null(a);
	assert_true(a->pfp_ok && a->pfp_fnv && a->pfp == 0xcc && a->tflen == 30 && a->tfp == 0xbb &&
		    a->ctime_ok && a->ctime == 5);
	assert_int_equal(ips_state_save(st, &err), IPS_OK);
	ips_state_close(st);
	char *data;
	size_t len;
	assert_int_equal(ips_read_file(path, 4096, &data, &len), IPS_OK);
	snprintf(text, sizeof text, "ipsec-scan-state 4\n%sprefix=- ctime=5.000000006\nend\n", rec);
	assert_string_equal(data, text);
	free(data);
	/* version 4: kept; p itself or more is no value of the hash */
	snprintf(text, sizeof text, "ipsec-scan-state 4\n%sprefix=1ffffffffffffffe ctime=-\nend\n", rec);
	write_state(text);
	st = ips_state_open(path, &err);
	assert_non_null(st);
	a = ips_state_input_id(st, 1, 2, "/a", false);
	assert_true(a && a->pfp_ok && !a->pfp_fnv && a->pfp == 0x1ffffffffffffffeULL);
	ips_state_close(st);
	snprintf(text, sizeof text, "ipsec-scan-state 4\n%sprefix=1fffffffffffffff ctime=-\nend\n", rec);
	expect_error(text, "line 2: malformed input record");
	expect_error("ipsec-scan-state 5\nend\n", "newer ipsec-scan (state version 5, this one reads 4)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(versions_and_replacing),
		cmocka_unit_test(version_3_prefix_fnv),
		cmocka_unit_test(corrupt_files),
		cmocka_unit_test(devices),
		cmocka_unit_test(journal_records),
		cmocka_unit_test(lock_is_exclusive),
		cmocka_unit_test(save_is_atomic),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
