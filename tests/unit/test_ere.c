/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for ere.c: detector regexes as grep -E / rg patterns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/ere.h"

static char *conv(const char *re, bool nocase, ips_ere_kind_t want)
{
	char *out = NULL;
	const char *why = NULL;
	ips_ere_kind_t k = ips_ere_convert(re, nocase, &out, &why);
	if (k != want)
		fail_msg("%s: kind %d, want %d (%s)", re, (int)k, (int)want, why ? why : "-");
	return out;
}

static void expect(const char *re, bool nocase, const char *ere)
{
	char *out = conv(re, nocase, IPS_ERE_EXACT);
	assert_string_equal(out, ere);
	free(out);
}

/* Does the ERE (glibc regcomp, GNU grep's engine) match the line? */
static bool ere_matches(const char *ere, const char *line)
{
	regex_t r;
	assert_int_equal(regcomp(&r, ere, REG_EXTENDED | REG_NOSUB), 0);
	bool m = regexec(&r, line, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

static void plain_syntax(void **state)
{
	(void)state;
	expect("initiating IKE_SA (?<conn>[^\\[\\s]+)\\[(?<n>\\d+)\\]", false,
	       "initiating IKE_SA ([^[:punct:][:space:]]|[]!-,./:-@\\\\_`{-~^-])+\\[[0-9]+\\]");
	expect("a+?b*?c??d{2,3}?", false, "a+b*c?d{2,3}");
	expect("(?:x|y)z", false, "(x|y)z");
	expect("\\berror\\b", true, "\\b[Ee][Rr][Rr][Oo][Rr]\\b");
	expect("(?i)ab", false, "[Aa][Bb]");
	expect("x(?i:y)z", false, "x[Yy]z");
	expect("[^\\n]{0,40}", false, ".{0,40}");
	expect("a\\.b\\$", false, "a\\.b\\$");
}

static void lookarounds(void **state)
{
	(void)state;
	/* at the start: the byte before, or the line start */
	expect("(?<![A-Za-z0-9_])ERROR_", false, "(^|[^0-9A-Z_a-z])ERROR_");
	expect("(?:^|(?<=[\\s:]))Invalid", false, "(^|[[:space:]:])Invalid");
	/* at the end: not followed by a digit, or by '.' and a digit */
	char *out = conv("13[0-9]{3}(?![0-9])(?![.:][0-9])", false, IPS_ERE_EXACT);
	assert_true(ere_matches(out, "error 13801"));
	assert_true(ere_matches(out, "error 13801."));
	assert_true(ere_matches(out, "error 13801 x"));
	assert_false(ere_matches(out, "error 138012"));
	assert_false(ere_matches(out, "uptime 13801.5"));
	free(out);
	/* a positive lookahead at the end becomes part of the match */
	expect("out(?=\\s|$)", false, "out([[:space:]]|$)");
	/* (?!c) before a class: the class without c */
	expect("a(?!#)\\S+", false, "a[^[:space:]#][^[:space:]]*");
	/* an optional lookahead checks nothing */
	expect("x(?=.*?y)?", false, "x");
	/* after an optional prefix ending in a space */
	out = conv("(?:\"c\" #1: )?(?<![\"'])NSS", false, IPS_ERE_EXACT);
	assert_true(ere_matches(out, "\"c\" #1: NSS"));
	assert_true(ere_matches(out, "NSS fails"));
	assert_false(ere_matches(out, "said \"NSS"));
	free(out);
	/* inside a pattern there is no ERE form: a superset */
	free(conv("a(?=b)c", false, IPS_ERE_SUPERSET));
}

static void no_ere_form(void **state)
{
	(void)state;
	free(conv("(a)\\1", false, IPS_ERE_FAILED));
	free(conv("\\p{L}", false, IPS_ERE_FAILED));
	free(conv("a(?x) b", false, IPS_ERE_FAILED));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_syntax),
		cmocka_unit_test(lookarounds),
		cmocka_unit_test(no_ere_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
