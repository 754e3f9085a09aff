/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for phash.c: the resumable prefix hash of cron mode's state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/phash.h"

#define P IPS_PHASH_P

static uint64_t mulmod(uint64_t a, uint64_t b)
{
	return (uint64_t)(((unsigned __int128)a * b) % P);
}

/* The definition, one word at a time (phash.h). */
static uint64_t reference(const unsigned char *b, size_t n)
{
	uint64_t h = 1;
	size_t k = n / 7, r = n % 7;
	for (size_t i = 0; i < k; i++) {
		uint64_t w = 0;
		for (int j = 6; j >= 0; j--)
			w = w << 8 | b[7 * i + (size_t)j];
		h = (mulmod(h, IPS_PHASH_X) + w) % P;
	}
	uint64_t enc = (uint64_t)r << 56;
	for (size_t j = 0; j < r; j++)
		enc |= (uint64_t)b[7 * k + j] << (8 * j);
	return (mulmod(h, IPS_PHASH_X) + enc) % P;
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill(unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)next();
}

/* The constants agree: 1/x, and x's order is p - 1 (a primitive root). */
static void constants(void **state)
{
	(void)state;
	assert_true(IPS_PHASH_X < P && (IPS_PHASH_X & 1));
	assert_int_equal(mulmod(IPS_PHASH_X, IPS_PHASH_XINV), 1);
	static const uint64_t factors[] = {2, 3, 5, 7, 11, 13, 31, 41, 61, 151, 331, 1321};
	uint64_t rest = P - 1;
	for (size_t i = 0; i < sizeof factors / sizeof *factors; i++) {
		while (rest % factors[i] == 0)
			rest /= factors[i];
		uint64_t e = (P - 1) / factors[i], r = 1, b = IPS_PHASH_X;
		for (; e; e >>= 1, b = mulmod(b, b))
			if (e & 1)
				r = mulmod(r, b);
		assert_true(r != 1);
	}
	assert_int_equal(rest, 1);
}

/* Values fixed by the state format (version 4): computed apart, in Python. */
static void known_values(void **state)
{
	(void)state;
	unsigned char b[1024];
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (unsigned char)i;
	assert_int_equal(ips_phash("", 0), UINT64_C(0x0b5ad4eceda1ce2f));
	assert_int_equal(ips_phash("a", 1), UINT64_C(0x0c5ad4eceda1ce90));
	assert_int_equal(ips_phash("ipsec-scan", 10), UINT64_C(0x0229e1c7c412d10f));
	assert_int_equal(ips_phash(b, sizeof b), UINT64_C(0x129d6fc459dbc703));
}

/* Every length 0..200 and larger ones, in one call and split at random. */
static void matches_reference(void **state)
{
	(void)state;
	enum { N = 4096 };
	unsigned char *b = malloc(N);
	assert_non_null(b);
	for (size_t n = 0; n <= N; n = n < 200 ? n + 1 : n * 2 + 13) {
		fill(b, n);
		uint64_t want = reference(b, n);
		assert_true(want < P);
		assert_int_equal(ips_phash(b, n), want);
		for (int t = 0; t < 20; t++) {
			ips_phash_t s;
			ips_phash_init(&s);
			size_t at = 0;
			while (at < n) {
				size_t k = t & 1 ? next() % 9 : next() % (n - at + 1);
				if (k > n - at)
					k = n - at;
				ips_phash_update(&s, b + at, k);
				at += k;
				/* final() leaves the hash going on */
				assert_int_equal(ips_phash_final(&s), reference(b, at));
			}
			assert_int_equal(ips_phash_final(&s), want);
		}
	}
	free(b);
}

/* From the value at any offset and the bytes of its word begun: the value of one pass. */
static void resumes_anywhere(void **state)
{
	(void)state;
	unsigned char b[300];
	fill(b, sizeof b);
	uint64_t whole = ips_phash(b, sizeof b);
	for (size_t n = 0; n <= sizeof b; n++) {
		uint64_t v = ips_phash(b, n);
		size_t r = n % 7;
		ips_phash_t s;
		ips_phash_resume(&s, v, b + n - r, r);
		assert_int_equal(ips_phash_final(&s), v);
		/* twice over: resume, hash a little, store, resume again */
		size_t m = n + (sizeof b - n) / 2;
		ips_phash_update(&s, b + n, m - n);
		uint64_t v2 = ips_phash_final(&s);
		ips_phash_resume(&s, v2, b + m - m % 7, m % 7);
		ips_phash_update(&s, b + m, sizeof b - m);
		assert_int_equal(ips_phash_final(&s), whole);
	}
}

/* Any one byte changed, anywhere: another value (and one extra byte: another too). */
static void one_byte_changes_it(void **state)
{
	(void)state;
	unsigned char b[201];
	for (size_t n = 1; n < sizeof b; n++) {
		fill(b, n);
		uint64_t v = ips_phash(b, n);
		for (size_t i = 0; i < n; i++) {
			unsigned char was = b[i];
			for (int d = 1; d < 256; d += 37) {
				b[i] = (unsigned char)(was ^ d);
				assert_true(ips_phash(b, n) != v);
			}
			b[i] = was;
		}
		b[n] = 0;
		assert_true(ips_phash(b, n + 1) != v);
		memset(b, 0, n + 1);
		assert_true(ips_phash(b, n) != ips_phash(b, n + 1)); /* zeros count too */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(constants),
		cmocka_unit_test(known_values),
		cmocka_unit_test(matches_reference),
		cmocka_unit_test(resumes_anywhere),
		cmocka_unit_test(one_byte_changes_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
