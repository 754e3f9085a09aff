/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for lookup.c (what a key names: numbers by kind, hex without
 * 0x, N(...), RFC spelling, suggestions, the main/quick mode context of a
 * shared text), the loader's checks of references and candidates, and the
 * finding's additive "candidates" key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl_gen.h>

#include "detect/lookup.h"
#include "detect/match.h"
#include "detect/results.h"
#include "report/explain.h"
#include "report/report_json.h"
#include "unit.h"

static ips_rules_t *builtin;

static int setup(void **state)
{
	(void)state;
	builtin = ut_rules(true, NULL, NULL);
	return builtin ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ips_rules_free(builtin);
	return 0;
}

/* The names key gives, space-separated, and whether it is ambiguous. */
static const char *names_of(const ips_rules_t *r, const char *key, bool *amb)
{
	static char buf[1024];
	ips_key_match_t m[16];
	size_t n = ips_rules_find(r, key, m, 16, amb);
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "",
			 m[i].entry->name);
	return buf;
}

static void expect(const char *key, const char *names)
{
	bool amb = true;
	const char *got = names_of(builtin, key, &amb);
	if (strcmp(got, names))
		fail_msg("key '%s': got '%s', expected '%s'", key, got, names);
	assert_false(amb);
}

static void numbers_are_decimal_and_by_kind(void **state)
{
	(void)state;
	expect("13801", "ERROR_IPSEC_IKE_AUTH_FAIL");
	expect("-2147011095", "ERROR_IPSEC_IKE_AUTH_FAIL");
	/* a small number: the notify type of both versions, not ASA_751024 nor 26/27/29 */
	expect("24", "IKEV2_AUTHENTICATION_FAILED IKEV1_AUTHENTICATION_FAILED");
	/* "1380" holds "38": no range markers */
	expect("38", "IKEV2_TS_UNACCEPTABLE");
	expect("20227", "WINDOWS_EVENT_RASCLIENT_DIAL_FAILED");
	expect("751024", "ASA_751024");
	expect("99", "");
}

static void hex_needs_0x_or_a_letter(void **state)
{
	(void)state;
	expect("800735E9", "ERROR_IPSEC_IKE_AUTH_FAIL");
	expect("0x800735e9", "ERROR_IPSEC_IKE_AUTH_FAIL");
	expect("35E9", "ERROR_IPSEC_IKE_AUTH_FAIL");
	/* "13801" is decimal, never 0x13801 */
	expect("13801", "ERROR_IPSEC_IKE_AUTH_FAIL");
	/* detectors take the same forms */
	const ips_entry_t *e = ips_rules_lookup(builtin, "800735E9", 8);
	assert_non_null(e);
	assert_int_equal(e->code, 13801);
}

static void notify_name_forms(void **state)
{
	(void)state;
	expect("NO_PROPOSAL_CHOSEN", "IKEV2_NO_PROPOSAL_CHOSEN IKEV1_NO_PROPOSAL_CHOSEN");
	expect("no-proposal-chosen", "IKEV2_NO_PROPOSAL_CHOSEN IKEV1_NO_PROPOSAL_CHOSEN");
	expect("N(AUTH_FAILED)", "IKEV2_AUTHENTICATION_FAILED IKEV1_AUTHENTICATION_FAILED");
	expect("N(TS_UNACCEPT)", "IKEV2_TS_UNACCEPTABLE");
	expect("N(INVAL_KE)", "IKEV2_INVALID_KE_PAYLOAD IKEV1_INVALID_KEY_INFORMATION");
	expect("N(MS_STATUS(13863))", "ERROR_IPSEC_IKE_INVALID_SITUATION");
	expect("N((25))", "IKEV1_INVALID_SIGNATURE");
	expect("IKEV1_NO_PROPOSAL_CHOSEN", "IKEV1_NO_PROPOSAL_CHOSEN");
	expect("N(NO_SUCH_NOTIFY)", "");
	/* a detector's lookup keeps one answer: the IKEv2 entry */
	const ips_entry_t *e = ips_rules_lookup(builtin, "N(NO_PROP)", 10);
	assert_non_null(e);
	assert_string_equal(e->name, "IKEV2_NO_PROPOSAL_CHOSEN");
}

static void words_and_texts(void **state)
{
	(void)state;
	expect("giving up", "STRONGSWAN_RETRANSMIT_GIVEUP");
	expect("Negotiation took too long.", "WINERROR_TEXT_TOOK_TOO_LONG");
	const ips_entry_t *e = ips_rules_by_name(builtin, "WINERROR_TEXT_QUEUE_TOO_LONG");
	assert_non_null(e);
	assert_false(e->has_code);
	assert_int_equal(e->cand_len, 4);
	assert_int_equal(e->cand[0]->code, 13809);
	assert_int_equal(e->cand[3]->code, 13812);
}

static const char kinds_yaml[] =
	"entries:\n"
	"  - {name: ERROR_TWENTY_FOUR, code: 24, hex: \"0x0018\", source: winerror, message: m1,\n"
	"     severity: error, category: protocol, summary: s, causes: [c], diagnose: [d], resolve: [r]}\n"
	"  - {name: IKEV2_TWENTY_FOUR, source: ike-notify, notify: 24, ike_version: IKEv2, message: m2,\n"
	"     severity: error, category: protocol, summary: s, causes: [c], diagnose: [d], resolve: [r]}\n"
	"  - {name: WINDOWS_EVENT_24, source: windows-event, event_id: 24, message: m3,\n"
	"     severity: error, category: protocol, summary: s, causes: [c], diagnose: [d], resolve: [r]}\n";

static void number_of_several_kinds_is_ambiguous(void **state)
{
	(void)state;
	ips_rules_t *r = ut_rules(false, "k.yaml", kinds_yaml);
	assert_non_null(r);
	ips_key_match_t m[8];
	bool amb = false;
	size_t n = ips_rules_find(r, "24", m, 8, &amb);
	assert_int_equal(n, 3);
	assert_true(amb);
	assert_int_equal(m[0].kind, IPS_KEY_CODE);
	assert_int_equal(m[1].kind, IPS_KEY_NOTIFY);
	assert_int_equal(m[2].kind, IPS_KEY_EVENT);
	assert_string_equal(ips_key_kind_name(m[2].kind), "Windows event id");
	/* 0x: only the code */
	n = ips_rules_find(r, "0x18", m, 8, &amb);
	assert_int_equal(n, 1);
	assert_false(amb);
	/* explain lists them and finds nothing */
	char *buf = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&buf, &len);
	const ips_entry_t *out[8];
	assert_int_equal(ips_explain_key(err, "ipsec-scan", r, "24", out, 8), 0);
	fclose(err);
	assert_non_null(strstr(buf, "ambiguous"));
	assert_non_null(strstr(buf, "IKE notify type"));
	assert_non_null(strstr(buf, "WINDOWS_EVENT_24"));
	free(buf);
	ips_rules_free(r);
}

static void suggestions(void **state)
{
	(void)state;
	ips_key_suggestion_t s[6];
	size_t n = ips_rules_suggest(builtin, "13081", s, 6);
	assert_true(n >= 1);
	assert_int_equal(s[0].entry->code, 13801); /* a swap of two digits first */
	n = ips_rules_suggest(builtin, "NO_PROPOSAL_CHOSN", s, 6);
	assert_true(n >= 2);
	assert_string_equal(s[0].form, "NO_PROPOSAL_CHOSEN");
	assert_string_equal(s[1].form, "NO_PROPOSAL_CHOSEN");
	n = ips_rules_suggest(builtin, "ZZZZZZZZZZZZZZZZ", s, 6);
	assert_int_equal(n, 0);
	n = ips_rules_suggest(builtin, "7", s, 6); /* too short to guess */
	assert_int_equal(n, 0);
}

static void context_picks_the_mode(void **state)
{
	(void)state;
	const ips_entry_t *e = ips_rules_by_name(builtin, "WINERROR_TEXT_TOOK_TOO_LONG");
	assert_non_null(e);
	const char *mm = "An IPsec Main Mode negotiation failed. Failure Reason: Negotiation took too long";
	const char *qm = "An IPsec Quick Mode negotiation failed. Main Mode SA ID: 7 Failure Reason: Negotiation took too long";
	const char *x4654 = "<EventID>4654</EventID><Data Name='FailureReason'>Negotiation took too long</Data>";
	const char *x4653 = "EventID=4653\tFailureReason=Negotiation took too long";
	const char *none = "Failure Reason: Negotiation took too long";
	assert_int_equal(ips_entry_narrow(e, mm, strlen(mm))->code, 13814);
	assert_int_equal(ips_entry_narrow(e, qm, strlen(qm))->code, 13815);
	assert_int_equal(ips_entry_narrow(e, x4654, strlen(x4654))->code, 13815);
	assert_int_equal(ips_entry_narrow(e, x4653, strlen(x4653))->code, 13814);
	assert_ptr_equal(ips_entry_narrow(e, none, strlen(none)), e);
	/* the queue text: neither mode singles one code out */
	const ips_entry_t *q = ips_rules_by_name(builtin, "WINERROR_TEXT_QUEUE_TOO_LONG");
	assert_ptr_equal(ips_entry_narrow(q, mm, strlen(mm)), q);
	/* an entry without candidates is left alone */
	const ips_entry_t *a = ips_rules_by_code(builtin, 13801);
	assert_ptr_equal(ips_entry_narrow(a, mm, strlen(mm)), a);
}

static void loader_checks(void **state)
{
	(void)state;
	static const char bad[] =
		"entries:\n"
		"  - {name: ERROR_A, code: 1, hex: \"0x0001\", source: winerror, message: same text,\n"
		"     severity: error, category: protocol, summary: s, causes: [c], diagnose: [d], resolve: [r],\n"
		"     references: [\"see the docs\"]}\n"
		"  - {name: ERROR_B, code: 2, hex: \"0x0002\", source: winerror, message: other text,\n"
		"     severity: error, category: protocol, summary: s, causes: [c], diagnose: [d], resolve: [r],\n"
		"     references: [\"https://example.org/x\", \"RFC 7296\", \"owner/repo:path/file.md (why)\"]}\n"
		"  - {name: TEXT_AB, code: 3, hex: \"0x0003\", source: winerror, message: same text,\n"
		"     candidates: [ERROR_A, ERROR_B, NOPE], severity: error, category: protocol, summary: s,\n"
		"     causes: [c], diagnose: [d], resolve: [r]}\n";
	ips_diag_t d;
	ips_diag_init(&d);
	ips_rules_t *r = ips_rules_new();
	assert_int_equal(ips_rules_add_buffer(r, "bad.yaml", bad, strlen(bad), false, &d), IPS_OK);
	assert_int_equal(ips_rules_finalize(r, &d), IPS_E_RULES);
	const char *want[] = {"reference 'see the docs' must start with", "takes no code",
			      "candidate 'ERROR_B' has another message text",
			      "candidate 'NOPE' is not an entry with a code", NULL};
	for (int i = 0; want[i]; i++) {
		bool found = false;
		for (size_t j = 0; j < d.lines.len; j++)
			found |= strstr(d.lines.items[j], want[i]) != NULL;
		if (!found)
			fail_msg("no diagnostic '%s'", want[i]);
	}
	for (size_t j = 0; j < d.lines.len; j++) /* the good references pass */
		assert_null(strstr(d.lines.items[j], "ERROR_B': reference"));
	ips_diag_free(&d);
	ips_rules_free(r);
}

static void finding_json_has_candidates(void **state)
{
	(void)state;
	ips_results_t *res = ips_results_new();
	ips_input_t *in = ips_input_new("a.log", NULL);
	ips_vec_push(&res->inputs, in);
	const char *line = "Failure Reason: Negotiation took too long";
	ips_finding_t *f[2];
	const char *names[2] = {"WINERROR_TEXT_TOOK_TOO_LONG", "ERROR_IPSEC_IKE_AUTH_FAIL"};
	for (int i = 0; i < 2; i++) {
		f[i] = ips_xcalloc(1, sizeof *f[i]);
		f[i]->det = ips_rules_detector_at(builtin, 0);
		f[i]->entry = ips_rules_by_name(builtin, names[i]);
		f[i]->severity = IPS_SEV_WARNING;
		f[i]->text = ips_xstrdup(line);
		ips_vec_push(&res->findings, f[i]);
	}
	for (int i = 0; i < 2; i++) {
		yajl_gen g = yajl_gen_alloc(NULL);
		ips_json_finding(g, res, f[i]);
		const unsigned char *buf;
		size_t len;
		yajl_gen_get_buf(g, &buf, &len);
		char *s = ips_xstrndup((const char *)buf, len);
		if (i == 0) {
			assert_non_null(strstr(s, "\"code\":null"));
			assert_non_null(strstr(s, "\"candidates\":[{\"code\":13814,\"name\":\"ERROR_IPSEC_IKE_MM_DELAY_DROP\"},"
						  "{\"code\":13815,\"name\":\"ERROR_IPSEC_IKE_QM_DELAY_DROP\"}]"));
		} else {
			assert_null(strstr(s, "candidates")); /* additive: only where the text is shared */
		}
		free(s);
		yajl_gen_free(g);
	}
	ips_results_free(res);
}

typedef struct got {
	const char *names[8];
	size_t n;
} got_t;

static void on_hit(void *ctx, const ips_hit_t *h)
{
	got_t *got = ctx;
	if (got->n < 8)
		got->names[got->n++] = h->entry->name;
}

static void scan_gives_one_finding_with_candidates(void **state)
{
	(void)state;
	static const ips_match_limits_t lim = {.match_limit = 100000, .depth_limit = 1000,
						.heap_limit_kib = 20000};
	ips_matcher_t *m = ips_matcher_new(builtin, &lim);
	const char *recs[] = {"Failure Reason: Negotiation took too long",
			      "An IPsec Quick Mode negotiation failed. Failure Reason: Negotiation took too long",
			      "FailureReason=Negotiation request sat in Queue too long"};
	const char *want[] = {"WINERROR_TEXT_TOOK_TOO_LONG", "ERROR_IPSEC_IKE_QM_DELAY_DROP",
			      "WINERROR_TEXT_QUEUE_TOO_LONG"};
	for (int i = 0; i < 3; i++) {
		got_t got = {{0}, 0};
		ips_matcher_match_record(m, NULL, recs[i], strlen(recs[i]), on_hit, &got);
		assert_int_equal(got.n, 1);
		assert_string_equal(got.names[0], want[i]);
	}
	ips_matcher_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numbers_are_decimal_and_by_kind),
		cmocka_unit_test(hex_needs_0x_or_a_letter),
		cmocka_unit_test(notify_name_forms),
		cmocka_unit_test(words_and_texts),
		cmocka_unit_test(number_of_several_kinds_is_ambiguous),
		cmocka_unit_test(suggestions),
		cmocka_unit_test(context_picks_the_mode),
		cmocka_unit_test(loader_checks),
		cmocka_unit_test(finding_json_has_candidates),
		cmocka_unit_test(scan_gives_one_finding_with_candidates),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
