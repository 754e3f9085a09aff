/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for util.c: bounded buffers, hashing, parsing helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static void buf_stops_at_its_limit(void **state)
{
	(void)state;
	ips_buf_t b;
	ips_buf_init(&b, 10);
	assert_int_equal(ips_buf_append(&b, "hello", 5), IPS_OK);
	assert_int_equal(ips_buf_append(&b, " world!", 7), IPS_E_LIMIT);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "hello worl");
	assert_int_equal(ips_buf_putc(&b, 'x'), IPS_E_LIMIT);
	assert_int_equal(b.len, 10);
	char *s = ips_buf_steal(&b);
	assert_string_equal(s, "hello worl");
	assert_null(b.data);
	free(s);
}

static void buf_printf_long(void **state)
{
	(void)state;
	ips_buf_t b;
	ips_buf_init(&b, 1 << 20);
	char big[1000];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(ips_buf_printf(&b, "%s-%d", big, 42), IPS_OK);
	assert_int_equal(b.len, 999 + 3);
	assert_string_equal(b.data + 999, "-42");
	ips_buf_free(&b);
}

static void fnv_known_values(void **state)
{
	(void)state;
	/* FNV-1a 64 test vectors */
	assert_true(ips_fnv1a(IPS_FNV_INIT, "", 0) == 0xcbf29ce484222325ULL);
	assert_true(ips_fnv1a(IPS_FNV_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
	assert_true(ips_fnv1a(IPS_FNV_INIT, "foobar", 6) == 0x85944171f73967e8ULL);
}

static void parse_i64_is_strict(void **state)
{
	(void)state;
	int64_t v;
	assert_true(ips_parse_i64("13801", 10, &v));
	assert_int_equal(v, 13801);
	assert_true(ips_parse_i64("-2147011095", 10, &v));
	assert_true(v == -2147011095LL);
	assert_false(ips_parse_i64("138x", 10, &v));
	assert_false(ips_parse_i64("", 10, &v));
	assert_false(ips_parse_i64("99999999999999999999", 10, &v));
}

static void names(void **state)
{
	(void)state;
	assert_true(ips_is_upper_snake("ERROR_IPSEC_IKE_AUTH_FAIL"));
	assert_false(ips_is_upper_snake("Error_ipsec"));
	assert_false(ips_is_upper_snake("TRAILING_"));
	assert_false(ips_is_upper_snake("_LEADING"));
	assert_true(ips_is_lower_kebab("win-code-hex"));
	assert_false(ips_is_lower_kebab("Win-code"));
	assert_false(ips_is_lower_kebab("code-"));
	assert_true(ips_streq_nocase("Error_Ipsec", "ERROR_IPSEC"));
	assert_false(ips_streq_nocase("ERROR", "ERRORS"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_stops_at_its_limit),
		cmocka_unit_test(buf_printf_long),
		cmocka_unit_test(fnv_known_values),
		cmocka_unit_test(parse_i64_is_strict),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
