/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for merge.c: the NDJSON reader (records, errors with their
 * line, limits), deduplication by id, inputs, order, and windows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/merge.h"
#include "unit.h"

static ips_rules_t *rules;

static int setup(void **state)
{
	(void)state;
	rules = ut_rules(true, NULL, NULL);
	return rules ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ips_rules_free(rules);
	return 0;
}

#define INPUT_A "{\"type\":\"input\",\"path\":\"a.log\",\"format\":\"syslog\",\"records\":10,\"bytes\":900," \
		"\"status\":\"ok\",\"error\":null,\"note\":null,\"truncated\":0,\"findings\":2}\n"
/* a finding: ID, OFFSET, LINE, PEER */
#define FINDING(id, off, line, peer)                                                              \
	"{\"type\":\"finding\",\"id\":\"" id "\",\"rule\":\"win-code-decimal\",\"code\":13801,"    \
	"\"name\":\"ERROR_IPSEC_IKE_AUTH_FAIL\",\"severity\":\"error\",\"message\":\"m\","           \
	"\"path\":\"a.log\",\"line\":" #line ",\"offset\":" #off ",\"time\":\"2026-03-05T07:58:1" #line \
	".250Z\",\"fields\":{\"peer\":\"" peer "\"},\"text\":\"error 13801\",\"host\":\"h1\"}\n"

/* Read the streams (name, text pairs) with opts, finish into a new results. */
static ips_results_t *merge_texts(const ips_merge_opts_t *o, ips_merge_t **mp, int n, ...)
{
	ips_merge_opts_t def;
	ips_merge_opts_default(&def);
	ips_merge_t *m = ips_merge_new(rules, o ? o : &def);
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		const char *name = va_arg(ap, const char *), *text = va_arg(ap, const char *);
		FILE *f = fmemopen((void *)text, strlen(text), "r");
		assert_non_null(f);
		ips_merge_add_stream(m, f, name);
		fclose(f);
	}
	va_end(ap);
	ips_results_t *r = ips_results_new();
	ips_merge_finish(m, r);
	*mp = m;
	return r;
}

static void done(ips_results_t *r, ips_merge_t *m)
{
	ips_results_free(r);
	ips_merge_free(m);
}

/* A record delivered twice (another offset, so another id): kept once, noted;
 * the same line and time with no host is not taken for a copy. */
static void dedups_by_content(void **state)
{
	(void)state;
	ips_merge_t *m;
	ips_results_t *r = merge_texts(NULL, &m, 2, "x.ndjson",
				       INPUT_A FINDING("00000000000000a1", 100, 2, "192.0.2.1"),
				       "y.ndjson", FINDING("00000000000000b2", 900, 2, "192.0.2.1"));
	assert_int_equal(r->findings.len, 1);
	assert_string_equal(((const ips_finding_t *)r->findings.items[0])->id, "00000000000000a1");
	bool noted = false;
	for (size_t i = 0; i < r->notes.len; i++)
		noted |= strstr(r->notes.items[i], "1 finding(s) were copies") != NULL;
	assert_true(noted);
	done(r, m);
	/* the order of the files does not change which is kept */
	r = merge_texts(NULL, &m, 2, "y.ndjson", FINDING("00000000000000b2", 900, 2, "192.0.2.1"),
			"x.ndjson", INPUT_A FINDING("00000000000000a1", 100, 2, "192.0.2.1"));
	assert_int_equal(r->findings.len, 1);
	assert_string_equal(((const ips_finding_t *)r->findings.items[0])->id, "00000000000000a1");
	done(r, m);
	/* another time: two findings */
	r = merge_texts(NULL, &m, 1, "x.ndjson",
			INPUT_A FINDING("00000000000000a1", 100, 2, "192.0.2.1")
				FINDING("00000000000000b2", 900, 3, "192.0.2.1"));
	assert_int_equal(r->findings.len, 2);
	done(r, m);
}

static void reads_inputs_and_findings(void **state)
{
	(void)state;
	ips_merge_t *m;
	ips_results_t *r = merge_texts(NULL, &m, 1, "x.ndjson",
				       INPUT_A FINDING("00000000000000a1", 100, 2, "192.0.2.1"));
	assert_int_equal(ips_merge_error_count(m), 0);
	assert_int_equal(r->inputs.len, 1);
	const ips_input_t *in = r->inputs.items[0];
	assert_string_equal(in->path, "a.log");
	assert_string_equal(in->format, "syslog");
	assert_int_equal(in->records, 10);
	assert_int_equal(r->records, 10);
	assert_int_equal(r->findings.len, 1);
	const ips_finding_t *f = r->findings.items[0];
	assert_string_equal(f->id, "00000000000000a1");
	assert_ptr_equal(f->entry, ips_rules_by_name(rules, "ERROR_IPSEC_IKE_AUTH_FAIL"));
	assert_string_equal(f->det->id, "win-code-decimal");
	assert_int_equal(f->offset, 100);
	assert_int_equal(f->line, 2);
	assert_true(f->time.valid);
	assert_int_equal(f->time.nsec, 250000000);
	assert_int_equal(f->time.frac, 3);
	assert_string_equal(ips_finding_field(f, "peer"), "192.0.2.1");
	assert_string_equal(f->host, "h1");
	assert_int_equal(r->incidents.len, 1);
	assert_int_equal(r->notes.len, 0);
	done(r, m);
}

static void dedups_by_id_in_input_order(void **state)
{
	(void)state;
	ips_merge_t *m;
	/* later offsets first, repeated across two files */
	ips_results_t *r = merge_texts(
		NULL, &m, 2, "one.ndjson",
		FINDING("00000000000000b2", 300, 4, "192.0.2.1") FINDING("00000000000000a1", 100, 2, "192.0.2.1"),
		"two.ndjson", INPUT_A FINDING("00000000000000a1", 100, 2, "192.0.2.1") INPUT_A);
	assert_int_equal(r->findings.len, 2);
	assert_string_equal(((ips_finding_t *)r->findings.items[0])->id, "00000000000000a1");
	assert_string_equal(((ips_finding_t *)r->findings.items[1])->id, "00000000000000b2");
	assert_int_equal(r->inputs.len, 1); /* the same input record twice: once */
	done(r, m);
}

static void bad_lines_are_named_and_skipped(void **state)
{
	(void)state;
	ips_merge_t *m;
	ips_results_t *r = merge_texts(
		NULL, &m, 1, "bad.ndjson",
		"{\"type\":\"finding\",\"id\":\n"                                         /* 1 */
		"[1,2,3]\n"                                                               /* 2 */
		"{\"no\":\"type\"}\n"                                                     /* 3 */
		"\n"                                                                      /* 4: empty, fine */
		"{\"type\":\"finding\",\"id\":\"XYZ\",\"rule\":\"r\",\"name\":\"N\",\"severity\":\"error\","
		"\"path\":\"p\",\"line\":1,\"offset\":0}\n"                               /* 5 */
		"{\"type\":\"finding\",\"id\":\"0000000000000001\",\"rule\":\"r\",\"name\":\"N\","
		"\"severity\":\"loud\",\"path\":\"p\",\"line\":1,\"offset\":0}\n"         /* 6 */
		"{\"type\":\"finding\",\"id\":\"0000000000000001\",\"rule\":\"r\",\"name\":\"N\","
		"\"severity\":\"error\",\"path\":\"p\",\"line\":1,\"offset\":0,\"time\":\"yesterday\"}\n" /* 7 */
		"{\"type\":\"finding\",\"id\":\"0000000000000001\",\"rule\":\"r\",\"name\":\"N\","
		"\"severity\":\"error\",\"path\":\"p\",\"line\":1,\"offset\":0,\"fields\":{\"a\":1}}\n" /* 8 */
		"{\"type\":\"window\",\"correlation\":\"c\",\"kind\":\"threshold\",\"path\":\"p\",\"line\":1,"
		"\"findings\":[]}\n"                                                      /* 9 */
		"{\"type\":\"input\",\"path\":7}\n"                                       /* 10 */
		"{\"type\":\"future-thing\"}\n"                                           /* 11: ignored, noted */
		FINDING("00000000000000a1", 100, 2, "192.0.2.1"));                        /* 12 */
	assert_int_equal(ips_merge_error_count(m), 9);
	const int lines[] = {1, 2, 3, 5, 6, 7, 8, 9, 10};
	for (size_t i = 0; i < 9; i++) {
		char want[32];
		snprintf(want, sizeof want, "bad.ndjson:%d: ", lines[i]);
		assert_non_null(ips_merge_error_at(m, i));
		assert_memory_equal(ips_merge_error_at(m, i), want, strlen(want));
	}
	assert_non_null(strstr(ips_merge_error_at(m, 0), "not valid JSON"));
	assert_non_null(strstr(ips_merge_error_at(m, 1), "not a JSON object"));
	assert_int_equal(r->findings.len, 1);
	/* a note for the skipped lines, one for the record type it does not know */
	assert_int_equal(r->notes.len, 2);
	done(r, m);
}

static void long_lines_and_line_ends(void **state)
{
	(void)state;
	ips_merge_opts_t o;
	ips_merge_opts_default(&o);
	o.max_line = 1024;
	char *big = malloc(4096);
	memset(big, 'x', 3000);
	strcpy(big + 3000, "\n" INPUT_A);
	/* the last line has no newline, and CRLF is accepted */
	char crlf[1024];
	snprintf(crlf, sizeof crlf, "%s", FINDING("00000000000000a1", 100, 2, "192.0.2.1"));
	crlf[strlen(crlf) - 1] = '\0';
	ips_merge_t *m;
	ips_results_t *r = merge_texts(&o, &m, 2, "big.ndjson", big, "last.ndjson",
				       "\r\n" INPUT_A "\r\n" "\r\n");
	assert_int_equal(ips_merge_error_count(m), 1);
	assert_non_null(strstr(ips_merge_error_at(m, 0), "big.ndjson:1: line longer than 1024"));
	done(r, m);
	r = merge_texts(&o, &m, 1, "nonl.ndjson", crlf);
	assert_int_equal(ips_merge_error_count(m), 0);
	assert_int_equal(r->findings.len, 1);
	done(r, m);
	free(big);
}

static void unknown_rules_are_kept(void **state)
{
	(void)state;
	ips_merge_t *m;
	ips_results_t *r = merge_texts(
		NULL, &m, 1, "x.ndjson",
		"{\"type\":\"finding\",\"id\":\"00000000000000c3\",\"rule\":\"my-rule\",\"code\":null,"
		"\"name\":\"MY_GATEWAY_THING\",\"severity\":\"warning\",\"message\":\"my message\","
		"\"path\":\"g.log\",\"line\":7,\"offset\":70,\"time\":null,\"fields\":{},\"text\":\"t\","
		"\"host\":null,\"category\":\"network\"}\n");
	assert_int_equal(r->findings.len, 1);
	const ips_finding_t *f = r->findings.items[0];
	assert_string_equal(f->entry->name, "MY_GATEWAY_THING");
	assert_string_equal(f->entry->message, "my message");
	assert_false(f->entry->has_code);
	assert_string_equal(f->det->id, "my-rule");
	assert_false(f->time.valid);
	/* an input it never saw a record of: named as known only from its findings */
	assert_int_equal(r->inputs.len, 1);
	assert_non_null(strstr(((ips_input_t *)r->inputs.items[0])->note, "known only"));
	assert_int_equal(r->notes.len, 1);
	done(r, m);
}

#define WINDOW(kind, ids)                                                                     \
	"{\"type\":\"window\",\"correlation\":\"ike-negotiation\",\"kind\":\"" kind "\","           \
	"\"path\":\"a.log\",\"line\":1,\"first\":\"2026-03-05T07:58:10Z\",\"last\":null,"          \
	"\"key\":{\"peer\":\"192.0.2.1\"},\"findings\":[" ids "]}\n"

static void windows_come_back_whole(void **state)
{
	(void)state;
	ips_merge_t *m;
	/* the same BEGIN seen by a run that stopped early and by one that saw the END */
	ips_results_t *r = merge_texts(
		NULL, &m, 2, "early.ndjson",
		INPUT_A FINDING("00000000000000a1", 100, 2, "192.0.2.1")
			WINDOW("unterminated", "\"00000000000000a1\""),
		"late.ndjson",
		INPUT_A FINDING("00000000000000a1", 100, 2, "192.0.2.1")
			FINDING("00000000000000b2", 300, 4, "192.0.2.1")
				WINDOW("negotiation", "\"00000000000000a1\",\"00000000000000b2\""));
	assert_int_equal(ips_merge_error_count(m), 0);
	assert_int_equal(r->windows.len, 1);
	const ips_window_t *w = r->windows.items[0];
	assert_int_equal(w->kind, IPS_INC_NEGOTIATION);
	assert_int_equal(w->nfindings, 2);
	assert_int_equal(r->incidents.len, 1);
	const ips_incident_t *x = r->incidents.items[0];
	assert_int_equal(x->kind, IPS_INC_NEGOTIATION);
	assert_int_equal(x->nfindings, 2);
	done(r, m);
}

static void filters_apply(void **state)
{
	(void)state;
	ips_merge_opts_t o;
	ips_merge_opts_default(&o);
	o.min_severity = IPS_SEV_CRITICAL;
	ips_merge_t *m;
	ips_results_t *r = merge_texts(&o, &m, 1, "x.ndjson",
				       INPUT_A FINDING("00000000000000a1", 100, 2, "192.0.2.1"));
	assert_int_equal(r->findings.len, 0);
	assert_int_equal(r->filtered, 1);
	done(r, m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_inputs_and_findings),
		cmocka_unit_test(dedups_by_id_in_input_order),
		cmocka_unit_test(dedups_by_content),
		cmocka_unit_test(bad_lines_are_named_and_skipped),
		cmocka_unit_test(long_lines_and_line_ends),
		cmocka_unit_test(unknown_rules_are_kept),
		cmocka_unit_test(windows_come_back_whole),
		cmocka_unit_test(filters_apply),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
