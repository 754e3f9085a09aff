/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for rules*.c: loading, diagnostics with positions, lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/correlate.h"
#include "detect/rules.h"

static const char kb[] =
	"entries:\n"
	"  - name: ERROR_IPSEC_IKE_AUTH_FAIL\n"
	"    code: 13801\n"
	"    hex: \"0x35E9\"\n"
	"    source: winerror\n"
	"    message: \"IKE authentication credentials are unacceptable\"\n"
	"    severity: error\n"
	"    category: authentication\n"
	"    summary: \"auth failed\"\n"
	"    causes: [a]\n"
	"    diagnose: [b]\n"
	"    resolve: [c]\n"
	"    related: [IKEV2_AUTHENTICATION_FAILED]\n"
	"  - name: IKEV2_AUTHENTICATION_FAILED\n"
	"    source: ike-notify\n"
	"    message: \"The peer rejected the authentication\"\n"
	"    severity: error\n"
	"    category: authentication\n"
	"    summary: \"peer said no\"\n"
	"    aliases: [AUTHENTICATION_FAILED, \"0xC0360001\"]\n"
	"    causes: [a]\n"
	"    diagnose: [b]\n"
	"    resolve: [c]\n";

static ips_rules_t *load(const char *extra, ips_diag_t *d, ips_status_t *st)
{
	ips_rules_t *r = ips_rules_new();
	ips_diag_init(d);
	*st = ips_rules_add_buffer(r, "kb.yaml", kb, strlen(kb), false, d);
	if (extra && *st == IPS_OK)
		*st = ips_rules_add_buffer(r, "extra.yaml", extra, strlen(extra), false, d);
	if (ips_correlate_finalize_rules(r, d) != IPS_OK)
		*st = IPS_E_RULES;
	return r;
}

static bool diag_has(const ips_diag_t *d, const char *needle)
{
	for (size_t i = 0; i < d->lines.len; i++)
		if (strstr(d->lines.items[i], needle))
			return true;
	return false;
}

static void lookup_every_form(void **state)
{
	(void)state;
	ips_diag_t d;
	ips_status_t st;
	ips_rules_t *r = load(NULL, &d, &st);
	assert_int_equal(st, IPS_OK);
	const char *keys[] = {"13801", "0x35E9", "0X35e9", "0x000035E9", "0x800735E9",
			      "-2147011095", "2147956201", "ERROR_IPSEC_IKE_AUTH_FAIL",
			      "error_ipsec_ike_auth_fail",
			      "IKE authentication credentials are unacceptable.",
			      "  ike  authentication credentials   are unacceptable ", NULL};
	for (int i = 0; keys[i]; i++) {
		const ips_entry_t *e = ips_rules_lookup(r, keys[i], strlen(keys[i]));
		assert_non_null(e);
		assert_string_equal(e->name, "ERROR_IPSEC_IKE_AUTH_FAIL");
	}
	const ips_entry_t *e = ips_rules_lookup(r, "AUTHENTICATION_FAILED", 21);
	assert_non_null(e);
	assert_string_equal(e->name, "IKEV2_AUTHENTICATION_FAILED");
	e = ips_rules_lookup(r, "0xC0360001", 10); /* alias for a non-8007 HRESULT */
	assert_non_null(e);
	const char *unknown[] = {"13802", "0x35EA", "0x801735E9", "-1", "99999999999", "0x", "", NULL};
	for (int i = 0; unknown[i]; i++)
		assert_null(ips_rules_lookup(r, unknown[i], strlen(unknown[i])));
	char hr[16];
	int64_t sd;
	ips_entry_hresult(ips_rules_by_code(r, 13801), hr, sizeof hr, &sd);
	assert_string_equal(hr, "0x800735E9");
	assert_true(sd == -2147011095LL);
	ips_diag_free(&d);
	ips_rules_free(r);
}

static void yaml_error_has_position(void **state)
{
	(void)state;
	ips_diag_t d;
	ips_status_t st;
	ips_rules_t *r = load("detectors:\n  - id: x\n    regex: [unclosed\n", &d, &st);
	assert_int_equal(st, IPS_E_RULES);
	assert_true(diag_has(&d, "extra.yaml:"));
	ips_diag_free(&d);
	ips_rules_free(r);
}

/* A key given twice in one mapping is an error at the second (it leaked the first). */
static void duplicate_key_is_an_error(void **state)
{
	(void)state;
	ips_diag_t d;
	ips_status_t st;
	ips_rules_t *r = load("entries:\n  - name: DUP_TEST\n    summary: one\n    summary: two\n",
			      &d, &st);
	assert_int_equal(st, IPS_E_RULES);
	assert_true(diag_has(&d, "extra.yaml:4:"));
	assert_true(diag_has(&d, "duplicate key 'summary'"));
	ips_diag_free(&d);
	ips_rules_free(r);
}

static void bad_detector_is_reported_with_line(void **state)
{
	(void)state;
	ips_diag_t d;
	ips_status_t st;
	const char *bad = "# comment\n"
			  "detectors:\n"
			  "  - id: broken-regex\n"
			  "    literals: [abc]\n"
			  "    regex: 'abc(('\n"
			  "    name: ERROR_IPSEC_IKE_AUTH_FAIL\n"
			  "  - id: Bad_Id\n"
			  "    literals: [x]\n"
			  "    regex: 'x'\n"
			  "    name: NO_SUCH_ENTRY\n"
			  "  - id: literal-not-in-example\n"
			  "    literals: [zzz]\n"
			  "    regex: 'abc'\n"
			  "    name: ERROR_IPSEC_IKE_AUTH_FAIL\n"
			  "    examples:\n"
			  "      match: [\"abc\"]\n"
			  "  - id: no-capture\n"
			  "    literals: [abc]\n"
			  "    regex: 'abc'\n"
			  "    lookup: code\n";
	ips_rules_t *r = load(bad, &d, &st);
	assert_int_equal(st, IPS_E_RULES);
	assert_true(diag_has(&d, "extra.yaml:3:5: error: detector 'broken-regex': regex does not compile"));
	assert_true(diag_has(&d, "extra.yaml:7:5: error: detector 'Bad_Id': id must be lower-kebab-case"));
	assert_true(diag_has(&d, "name 'NO_SUCH_ENTRY' is not a knowledge entry"));
	assert_true(diag_has(&d, "extra.yaml:16:"));
	assert_true(diag_has(&d, "lookup names capture 'code'"));
	ips_diag_free(&d);
	ips_rules_free(r);
}

static void entry_checks(void **state)
{
	(void)state;
	ips_diag_t d;
	ips_status_t st;
	const char *bad = "entries:\n"
			  "  - name: ERROR_X\n"
			  "    code: 13802\n"
			  "    hex: \"0x35E9\"\n"
			  "    message: m\n"
			  "    severity: fatal\n"
			  "    category: weird\n"
			  "    related: [NOPE]\n";
	ips_rules_t *r = load(bad, &d, &st);
	assert_int_equal(st, IPS_E_RULES);
	assert_true(diag_has(&d, "hex 0x35E9 does not equal code 13802"));
	assert_true(diag_has(&d, "severity must be"));
	assert_true(diag_has(&d, "unknown category 'weird'"));
	assert_true(diag_has(&d, "related names unknown entry 'NOPE'"));
	ips_diag_free(&d);
	ips_rules_free(r);
}

static void later_file_replaces(void **state)
{
	(void)state;
	ips_diag_t d;
	ips_status_t st;
	const char *over = "entries:\n"
			   "  - name: ERROR_IPSEC_IKE_AUTH_FAIL\n"
			   "    code: 13801\n"
			   "    hex: \"0x35E9\"\n"
			   "    message: \"IKE authentication credentials are unacceptable\"\n"
			   "    severity: critical\n"
			   "    category: authentication\n"
			   "    summary: \"ours\"\n"
			   "    causes: [a]\n    diagnose: [b]\n    resolve: [c]\n";
	ips_rules_t *r = load(over, &d, &st);
	assert_int_equal(st, IPS_OK);
	assert_int_equal(ips_rules_entry_count(r), 2);
	const ips_entry_t *e = ips_rules_by_code(r, 13801);
	assert_int_equal(e->severity, IPS_SEV_CRITICAL);
	assert_string_equal(e->summary, "ours");
	ips_diag_free(&d);
	ips_rules_free(r);
}

/* The built-in knowledge base: every code answers to every form. */
static void builtin_every_code_every_form(void **state)
{
	(void)state;
	ips_diag_t d;
	ips_diag_init(&d);
	ips_rules_t *r = ips_rules_new();
	assert_int_equal(ips_rules_add_builtin(r, &d), IPS_OK);
	assert_int_equal(ips_correlate_finalize_rules(r, &d), IPS_OK);
	size_t codes = 0;
	for (size_t i = 0; i < ips_rules_entry_count(r); i++) {
		const ips_entry_t *e = ips_rules_entry_at(r, i);
		if (!e->has_code)
			continue;
		codes++;
		char k[6][64];
		int64_t sd;
		snprintf(k[0], 64, "%lld", (long long)e->code);
		snprintf(k[1], 64, "0x%04llX", (long long)e->code);
		snprintf(k[2], 64, "0x%08llx", (long long)e->code);
		ips_entry_hresult(e, k[3], 64, &sd);
		snprintf(k[4], 64, "%lld", (long long)sd);
		snprintf(k[5], 64, "%s", e->name);
		for (int j = 0; j < 6; j++) {
			const ips_entry_t *f = ips_rules_lookup(r, k[j], strlen(k[j]));
			if (f != e)
				fail_msg("%s: key %s gives %s", e->name, k[j], f ? f->name : "nothing");
		}
		const ips_entry_t *m = ips_rules_lookup(r, e->message, strlen(e->message));
		assert_non_null(m);
		/* a text several codes share resolves to the entry listing them all */
		bool listed = false;
		for (size_t c = 0; c < m->cand_len; c++)
			listed |= m->cand[c] == e;
		assert_true(m == e || (!m->has_code && listed));
	}
	assert_true(codes >= 198); /* 153 winerror + 44 RAS + Azure 13999 */
	ips_diag_free(&d);
	ips_rules_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lookup_every_form),
		cmocka_unit_test(yaml_error_has_position),
		cmocka_unit_test(duplicate_key_is_an_error),
		cmocka_unit_test(bad_detector_is_reported_with_line),
		cmocka_unit_test(entry_checks),
		cmocka_unit_test(later_file_replaces),
		cmocka_unit_test(builtin_every_code_every_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
