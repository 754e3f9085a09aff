/* Unit tests for prefilter.c: the Aho-Corasick literal search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prefilter.h"

typedef struct seen {
	char lines[16][128];
	uint64_t sets[16];
	size_t offs[16];
	int n;
} seen_t;

static int on_line(void *ctx, const char *line, size_t len, size_t off, const uint64_t *dets)
{
	seen_t *s = ctx;
	if (s->n < 16) {
		snprintf(s->lines[s->n], 128, "%.*s", (int)len, line);
		s->sets[s->n] = dets[0];
		s->offs[s->n] = off;
		s->n++;
	}
	return 0;
}

static ips_prefilter_t *make(void)
{
	ips_prefilter_t *p = ips_prefilter_new(4);
	ips_prefilter_add(p, "AUTH_FAILED", 11, 0);
	ips_prefilter_add(p, "giving up", 9, 1);
	ips_prefilter_add(p, "0x35", 4, 2);
	ips_prefilter_add(p, "up", 2, 3); /* a suffix of another literal */
	ips_prefilter_build(p);
	return p;
}

static void finds_lines_with_literals(void **state)
{
	(void)state;
	ips_prefilter_t *p = make();
	const char *text = "noise line\n"
			   "received N(AUTH_FAILED) from peer\n"
			   "more noise\n"
			   "Giving Up after 5 retransmits, status 0X35E9\n"
			   "last";
	seen_t s = {0};
	ips_prefilter_scan_lines(p, text, strlen(text), on_line, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.lines[0], "received N(AUTH_FAILED) from peer");
	assert_int_equal(s.offs[0], 11);
	assert_true(s.sets[0] == 1u);
	assert_string_equal(s.lines[1], "Giving Up after 5 retransmits, status 0X35E9");
	/* case-folded: giving up (1), up (3) and 0x35 (2) */
	assert_true(s.sets[1] == (2u | 4u | 8u));
	ips_prefilter_free(p);
}

static void literal_at_end_without_newline(void **state)
{
	(void)state;
	ips_prefilter_t *p = make();
	const char *text = "a\nb AUTH_FAILED";
	seen_t s = {0};
	ips_prefilter_scan_lines(p, text, strlen(text), on_line, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "b AUTH_FAILED");
	ips_prefilter_free(p);
}

static void literal_never_spans_lines(void **state)
{
	(void)state;
	ips_prefilter_t *p = make();
	const char *text = "AUTH_\nFAILED\ngiving\nup-no";
	seen_t s = {0};
	ips_prefilter_scan_lines(p, text, strlen(text), on_line, &s);
	/* only "up-no" holds a literal ("up") */
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "up-no");
	ips_prefilter_free(p);
}

static void record_scan(void **state)
{
	(void)state;
	ips_prefilter_t *p = make();
	uint64_t set[1];
	assert_true(ips_prefilter_scan_record(p, "x\nAUTH_FAILED\n", 14, set));
	assert_true(set[0] == 1u);
	assert_false(ips_prefilter_scan_record(p, "nothing here", 12, set));
	assert_true(set[0] == 0u);
	ips_prefilter_free(p);
}

static void many_detectors(void **state)
{
	(void)state;
	ips_prefilter_t *p = ips_prefilter_new(200);
	char lit[16];
	for (int i = 0; i < 200; i++) {
		snprintf(lit, sizeof lit, "lit%03d", i);
		ips_prefilter_add(p, lit, strlen(lit), (size_t)i);
	}
	ips_prefilter_build(p);
	assert_int_equal(ips_prefilter_words(p), 4);
	uint64_t set[4];
	assert_true(ips_prefilter_scan_record(p, "xx lit199 lit064", 16, set));
	assert_true(set[3] == (1ULL << (199 - 192)));
	assert_true(set[1] == 1ULL);
	assert_true(set[0] == 0 && set[2] == 0);
	ips_prefilter_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_lines_with_literals),
		cmocka_unit_test(literal_at_end_without_newline),
		cmocka_unit_test(literal_never_spans_lines),
		cmocka_unit_test(record_scan),
		cmocka_unit_test(many_detectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
