/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for match.c: prefilter + PCRE2, lookup, captures, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/match.h"
#include "unit.h"

static const char rules_yaml[] =
	"entries:\n"
	"  - {name: ERROR_IPSEC_IKE_AUTH_FAIL, code: 13801, hex: \"0x35E9\", source: winerror,\n"
	"     message: \"IKE authentication credentials are unacceptable\", severity: error,\n"
	"     category: authentication, summary: s, causes: [a], diagnose: [b], resolve: [c]}\n"
	"  - {name: ERROR_IPSEC_IKE_TIMED_OUT, code: 13805, hex: \"0x35ED\", source: winerror,\n"
	"     message: \"Negotiation timed out\", severity: error,\n"
	"     category: timeout, summary: s, causes: [a], diagnose: [b], resolve: [c]}\n"
	"  - {name: ERROR_IPSEC_IKE_NEG_STATUS_BEGIN, code: 13800, hex: \"0x35E8\", source: winerror,\n"
	"     message: \"ERROR_IPSEC_IKE_NEG_STATUS_BEGIN\", marker: begin, severity: info,\n"
	"     category: marker, summary: s}\n"
	"  - {name: IKEV2_AUTHENTICATION_FAILED, source: ike-notify, message: m, severity: error,\n"
	"     category: authentication, summary: s, causes: [a], diagnose: [b], resolve: [c]}\n"
	"detectors:\n"
	"  - id: code\n"
	"    literals: [\"error \"]\n"
	"    regex: 'error (?<key>1\\d{4})'\n"
	"    lookup: key\n"
	"  - id: charon-auth\n"
	"    literals: [AUTHENTICATION_FAILED]\n"
	"    regex: '<(?<conn>[^|>]+)\\|(?<ike_sa>\\d+)> received AUTHENTICATION_FAILED'\n"
	"    name: IKEV2_AUTHENTICATION_FAILED\n"
	"    formats: [strongswan]\n"
	"  - id: texts\n"
	"    messages: [winerror]\n"
	"  - id: slow\n"
	"    literals: [aaaa]\n"
	"    regex: '(a+)+$'\n"
	"    name: ERROR_IPSEC_IKE_TIMED_OUT\n";

typedef struct hits {
	char names[8][64];
	char conn[64];
	int n;
} hits_t;

static void on_hit(void *ctx, const ips_hit_t *h)
{
	hits_t *s = ctx;
	if (s->n < 8)
		snprintf(s->names[s->n++], 64, "%s", h->entry->name);
	for (size_t i = 0; i < h->ncaps; i++)
		if (!strcmp(h->caps[i].name, "conn"))
			snprintf(s->conn, sizeof s->conn, "%.*s", (int)h->caps[i].len, h->caps[i].value);
}

static ips_rules_t *rules;

static int setup(void **state)
{
	(void)state;
	rules = ut_rules(false, "t.yaml", rules_yaml);
	return rules ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ips_rules_free(rules);
	return 0;
}

static const ips_match_limits_t lim = {.match_limit = 100000, .depth_limit = 1000,
				       .heap_limit_kib = 1024};

static hits_t run(ips_matcher_t *m, const char *format, const char *line)
{
	hits_t h = {0};
	ips_matcher_match_record(m, format, line, strlen(line), on_hit, &h);
	return h;
}

static void lookup_and_several_codes(void **state)
{
	(void)state;
	ips_matcher_t *m = ips_matcher_new(rules, &lim);
	hits_t h = run(m, NULL, "first error 13805, then error 13801, again error 13801");
	assert_int_equal(h.n, 2); /* one finding per entry per record */
	assert_string_equal(h.names[0], "ERROR_IPSEC_IKE_TIMED_OUT");
	assert_string_equal(h.names[1], "ERROR_IPSEC_IKE_AUTH_FAIL");
	h = run(m, NULL, "error 13999 is unknown here");
	assert_int_equal(h.n, 0);
	ips_matcher_free(m);
}

static void marker_is_a_hit_with_marker_entry(void **state)
{
	(void)state;
	ips_matcher_t *m = ips_matcher_new(rules, &lim);
	hits_t h = run(m, NULL, "error 13800");
	assert_int_equal(h.n, 1);
	assert_string_equal(h.names[0], "ERROR_IPSEC_IKE_NEG_STATUS_BEGIN");
	ips_matcher_free(m);
}

static void formats_and_captures(void **state)
{
	(void)state;
	ips_matcher_t *m = ips_matcher_new(rules, &lim);
	const char *l = "13[IKE] <site|7> received AUTHENTICATION_FAILED notify error";
	hits_t h = run(m, "strongswan", l);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.conn, "site");
	h = run(m, "cisco-asa", l); /* detector limited to strongswan */
	assert_int_equal(h.n, 0);
	ips_matcher_free(m);
}

static void message_texts_need_phrase_boundaries(void **state)
{
	(void)state;
	ips_matcher_t *m = ips_matcher_new(rules, &lim);
	hits_t h = run(m, NULL, "<Data Name='FailureReason'>Negotiation timed out</Data>");
	assert_int_equal(h.n, 1);
	assert_string_equal(h.names[0], "ERROR_IPSEC_IKE_TIMED_OUT");
	h = run(m, NULL, "Failure Reason:\t\tNegotiation   timed out.");
	assert_int_equal(h.n, 1);
	h = run(m, NULL, "Negotiation timed outward");
	assert_int_equal(h.n, 0);
	h = run(m, NULL, "note: Negotiation timed out waiting for DNS");
	assert_int_equal(h.n, 0);
	ips_matcher_free(m);
}

static void catastrophic_regex_is_bounded_and_counted(void **state)
{
	(void)state;
	ips_matcher_t *m = ips_matcher_new(rules, &lim);
	char line[20000];
	memset(line, 'a', sizeof line - 2);
	line[sizeof line - 2] = 'b';
	line[sizeof line - 1] = '\0';
	hits_t h = run(m, NULL, line);
	assert_int_equal(h.n, 0);
	size_t slow = 0;
	for (size_t i = 0; i < ips_rules_active_count(rules); i++)
		if (!strcmp(ips_rules_active_at(rules, i)->id, "slow"))
			slow = i;
	assert_true(ips_matcher_limit_hits(m, slow) >= 1);
	ips_matcher_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lookup_and_several_codes),
		cmocka_unit_test(marker_is_a_hit_with_marker_entry),
		cmocka_unit_test(formats_and_captures),
		cmocka_unit_test(message_texts_need_phrase_boundaries),
		cmocka_unit_test(catastrophic_regex_is_bounded_and_counted),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
