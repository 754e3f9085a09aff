/* SPDX-License-Identifier: Apache-2.0 */
/*
 * phash.h - a fast hash of a file's first bytes that can be continued from
 * its 64-bit value alone (cron mode's prefix fingerprint, run/cron.c).
 *
 * The bytes are cut into 7-byte little-endian words from the first byte
 * (word k is bytes [7k, 7k+7): a value below 2^56), and hashed as a
 * polynomial modulo the prime p = 2^61 - 1 (Horner: h = h*x + w, from
 * h = 1, with x = IPS_PHASH_X, a primitive root of p). The value of n bytes
 * is h*x + enc, h over the n/7 whole words and enc = the n%7 bytes left as
 * a little-endian number | (n%7) << 56; it is below p. So the value
 * depends on neither how the bytes were split into updates nor where a
 * hash was stopped and resumed, and from a value and the n%7 bytes before
 * offset n, h = (value - enc) / x mod p continues exactly where one pass
 * would be (ips_phash_resume()). Two byte strings of one length n that
 * differ have the same value for at most n/7 of the p - 1 values x can take.
 * Not a cryptographic hash: it tells a copy from another file, not a file
 * crafted to collide.
 *
 * Ownership: ips_phash_t is a plain value the caller owns; nothing is
 * allocated.
 */
#ifndef IPS_PHASH_H
#define IPS_PHASH_H

#include <stddef.h>
#include <stdint.h>

#define IPS_PHASH_P ((UINT64_C(1) << 61) - 1)
#define IPS_PHASH_X UINT64_C(0x0b5ad4eceda1ce2f)    /* a primitive root of p */
#define IPS_PHASH_XINV UINT64_C(0x0f805066b8fac897) /* x^(p-2) mod p: 1/x */
#define IPS_PHASH_WORD 7                            /* bytes a word */

typedef struct ips_phash {
	uint64_t h;     /* the whole words so far (h mod p; below 2^62) */
	uint64_t carry; /* the bytes of the word begun, little-endian */
	unsigned nc;    /* how many (0..6) */
} ips_phash_t;

/* Start at offset 0. */
void ips_phash_init(ips_phash_t *s);
/*
 * Continue from value v, the hash of a file's first n bytes, at offset n:
 * tail holds the n % 7 bytes before n (bytes [n - n%7, n)), r their count.
 * v must be below p (a value ips_phash_final() gave).
 */
void ips_phash_resume(ips_phash_t *s, uint64_t v, const unsigned char *tail, size_t r);
/* Hash n more bytes. */
void ips_phash_update(ips_phash_t *s, const void *data, size_t n);
/* The value of the bytes so far (below p); s is not changed (updates may go on). */
uint64_t ips_phash_final(const ips_phash_t *s);
/* The value of n bytes in one call. */
uint64_t ips_phash(const void *data, size_t n);

#endif
