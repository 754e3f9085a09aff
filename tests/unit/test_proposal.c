/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for proposal.c: what differs between two proposal lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "detect/proposal.h"

static const char *diff(const char *a, const char *b)
{
	static char out[1024];
	ips_proposal_diff(a, b, out, sizeof out);
	return out;
}

static void strongswan_ike(void **state)
{
	(void)state;
	assert_string_equal(
		diff("IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
		     "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_384"),
		"no DH group in common: peer offers MODP_2048, we accept ECP_384");
	/* one common algorithm per kind among several proposals: nothing differs */
	assert_string_equal(diff("IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048, "
				 "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256",
				 "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256"),
			    "");
}

static void strongswan_esp_aead(void **state)
{
	(void)state;
	/* AEAD has no integrity algorithm: only encryption is compared */
	assert_string_equal(diff("ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ", "ESP:AES_GCM_16_256/NO_EXT_SEQ"),
			    "no encryption algorithm in common: peer offers AES_CBC_128, we accept AES_GCM_16_256");
}

static void libreswan_forms(void **state)
{
	(void)state;
	assert_string_equal(
		diff("1:IKE:ENCR=AES_CBC_128;INTEG=HMAC_SHA2_256_128;PRF=HMAC_SHA2_256;DH=MODP2048",
		     "IKE=AES_CBC_128-HMAC_SHA2_256-HMAC_SHA2_256_128-ECP_384"),
		"no DH group in common: peer offers MODP2048, we accept ECP_384");
	/* pluto's "[first-match]" note is not part of an algorithm */
	assert_string_equal(
		diff("1:IKE:ENCR=AES_CBC_256;INTEG=HMAC_SHA2_256_128;PRF=HMAC_SHA2_256;DH=MODP2048[first-match]",
		     "IKE=AES_CBC_256-HMAC_SHA2_256-HMAC_SHA2_256_128-MODP2048"),
		"");
}

static void different_protocols_say_nothing(void **state)
{
	(void)state;
	assert_string_equal(diff("IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
				 "ESP:AES_GCM_16_256/NO_EXT_SEQ"), "");
	assert_string_equal(diff("garbage", "more garbage"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strongswan_ike),
		cmocka_unit_test(strongswan_esp_aead),
		cmocka_unit_test(libreswan_forms),
		cmocka_unit_test(different_protocols_say_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
