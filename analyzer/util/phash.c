/* SPDX-License-Identifier: Apache-2.0 */
/* phash.c - see phash.h. */
#include "util/phash.h"

#include <endian.h>
#include <string.h>

#define P IPS_PHASH_P
#define WORD_MASK ((UINT64_C(1) << 56) - 1)

/* x^0 .. x^8 mod p (tests/unit/test_phash.c: the hash against a word-by-word one) */
static const uint64_t xpow[9] = {
	1,
	UINT64_C(0x0b5ad4eceda1ce2f), UINT64_C(0x037a70e6240fbf61), UINT64_C(0x17c9e5170459c1ae),
	UINT64_C(0x07a9fac0d457424b), UINT64_C(0x1543efebb69c3094), UINT64_C(0x15a039e71cfcff12),
	UINT64_C(0x1da89109e5dbfe5d), UINT64_C(0x035a74a6f6b74873),
};

typedef unsigned __int128 u128;

/*
 * s mod p, partly: below 2^61 + 5 for any s below 2^124. (2^61 = 1 mod p,
 * so the bits above the 61st are added to the low ones: a is below
 * 2^61 + 2^63, then the result below 2^61 + 5.)
 */
static inline uint64_t fold(u128 s)
{
	uint64_t a = ((uint64_t)s & P) + (uint64_t)(s >> 61);
	return (a & P) + (a >> 61);
}

/* h below 2^62 mod p: below p. */
static inline uint64_t canon(uint64_t h)
{
	h = (h & P) + (h >> 61);
	return h >= P ? h - P : h;
}

/* Bytes [0, 7) of p as a word; 8 bytes are readable there. */
static inline uint64_t word8(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return le64toh(v) & WORD_MASK;
}

/* The same where only 7 are. */
static inline uint64_t word7(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = IPS_PHASH_WORD - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void ips_phash_init(ips_phash_t *s)
{
	*s = (ips_phash_t){.h = 1};
}

void ips_phash_resume(ips_phash_t *s, uint64_t v, const unsigned char *tail, size_t r)
{
	uint64_t carry = 0;
	for (size_t i = r; i > 0; i--)
		carry = carry << 8 | tail[i - 1];
	uint64_t enc = carry | (uint64_t)r << 56;
	/* v = h*x + enc (mod p), so h = (v - enc) / x */
	uint64_t d = canon(v % P + P - enc);
	s->h = canon(fold((u128)d * IPS_PHASH_XINV));
	s->carry = carry;
	s->nc = (unsigned)r;
}

void ips_phash_update(ips_phash_t *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t h = s->h;
	/* the word begun */
	if (s->nc) {
		while (n && s->nc < IPS_PHASH_WORD) {
			s->carry |= (uint64_t)*p++ << (8 * s->nc++);
			n--;
		}
		if (s->nc < IPS_PHASH_WORD)
			return;
		h = fold((u128)h * xpow[1] + s->carry);
		s->carry = 0;
		s->nc = 0;
	}
	/*
	 * 8 words a step: h*x^8 + w0*x^7 + ... + w7, the products independent
	 * of each other, summed in 128 bits (each below 2^117, h's below 2^122)
	 * and reduced once: one multiply on the chain from one h to the next
	 * per 56 bytes. The last word's 8-byte load needs one byte more.
	 */
	while (n >= 8 * IPS_PHASH_WORD + 1) {
		u128 a = (u128)h * xpow[8];
		u128 b = (u128)word8(p) * xpow[7] + (u128)word8(p + 7) * xpow[6];
		u128 c = (u128)word8(p + 14) * xpow[5] + (u128)word8(p + 21) * xpow[4];
		u128 d = (u128)word8(p + 28) * xpow[3] + (u128)word8(p + 35) * xpow[2];
		u128 e = (u128)word8(p + 42) * xpow[1] + word8(p + 49);
		h = fold(a + b + c + d + e);
		p += 8 * IPS_PHASH_WORD;
		n -= 8 * IPS_PHASH_WORD;
	}
	for (; n >= IPS_PHASH_WORD; p += IPS_PHASH_WORD, n -= IPS_PHASH_WORD)
		h = fold((u128)h * xpow[1] + word7(p));
	s->h = h;
	for (size_t i = 0; i < n; i++)
		s->carry |= (uint64_t)p[i] << (8 * s->nc++);
}

uint64_t ips_phash_final(const ips_phash_t *s)
{
	uint64_t enc = s->carry | (uint64_t)s->nc << 56;
	return canon(fold((u128)s->h * xpow[1] + enc));
}

uint64_t ips_phash(const void *data, size_t n)
{
	ips_phash_t s;
	ips_phash_init(&s);
	ips_phash_update(&s, data, n);
	return ips_phash_final(&s);
}
