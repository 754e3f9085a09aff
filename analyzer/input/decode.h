/* SPDX-License-Identifier: Apache-2.0 */
/*
 * decode.h - text encodings: UTF-16LE/BE (with or without a byte order mark)
 * and UTF-8 with a byte order mark become plain UTF-8 before framing.
 *
 * The decoder is a source that reads another source: the scanner wraps an
 * input once, right after peeking at its first bytes, and every framer then
 * sees UTF-8. Offsets and line numbers of records are those of the decoded
 * UTF-8 text. Conversion streams through glibc iconv in fixed-size blocks.
 * Invalid UTF-16 (an unpaired surrogate) becomes U+FFFD and is counted; an
 * odd trailing byte is dropped. Either is reported through the source, not
 * to anyone: when the wrapper reaches the end of the input it keeps one
 * message and its offset in the decoded text (ips_source_problem(), on the
 * wrapper), which the reader of the source reports (ips_framer_pump does so
 * when the input ends, through ips_framer_source_problem()).
 *
 * Ownership: the wrapper borrows the inner source (which must outlive it and
 * is not closed by it); ips_source_close() on the wrapper frees only the
 * wrapper and its message.
 */
#ifndef IPS_DECODE_H
#define IPS_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input/source.h"

typedef enum ips_encoding {
	IPS_ENC_UTF8 = 0,      /* plain UTF-8 / ASCII / unknown bytes: nothing to do */
	IPS_ENC_UTF8_BOM = 1,  /* UTF-8 behind EF BB BF */
	IPS_ENC_UTF16LE = 2,
	IPS_ENC_UTF16BE = 3,
} ips_encoding_t;

/*
 * The encoding of a stream from its first n bytes: a byte order mark, or for
 * UTF-16 without one, the pattern of zero bytes of ASCII-range text (at
 * least 8 code units, nearly every high byte zero and no low byte zero).
 * *bom is set to the length of the byte order mark (0 if none).
 */
ips_encoding_t ips_encoding_detect(const unsigned char *head, size_t n, size_t *bom);
const char *ips_encoding_name(ips_encoding_t e);

/*
 * A source that decodes inner to UTF-8, or NULL when inner is plain UTF-8
 * (or binary) and needs no decoding, or when it cannot be decoded (iconv
 * refuses the encoding: then the problem is kept on inner, at offset 0).
 * Problems met while decoding (invalid sequences, an odd trailing byte)
 * are counted and kept on the wrapper (see above).
 */
ips_source_t *ips_decode_wrap(ips_source_t *inner);

/* What a wrapper met so far (for tests). */
typedef struct ips_decode_stats {
	ips_encoding_t encoding;
	uint64_t invalid;        /* sequences replaced by U+FFFD */
	uint64_t first_invalid;  /* byte offset of the first one in the encoded input */
	bool odd_byte;           /* the input ended with half a UTF-16 code unit */
	uint64_t raw_bytes;      /* encoded bytes consumed */
} ips_decode_stats_t;

void ips_decode_get_stats(const ips_source_t *dec, ips_decode_stats_t *out);

/*
 * Push decoding, for bytes that come in pieces (live mode: a pipe, a
 * followed file). The same conversion as the wrapper above: U+FFFD for an
 * unpaired surrogate, an odd last byte dropped, a unit split between two
 * pushes joined.
 *
 * ips_decoder_new(): a decoder for a stream whose first n bytes are head, or
 * NULL when it is plain UTF-8 (nothing to do) or iconv refuses the encoding
 * (then *err says so; the caller frees it). Each push hands the UTF-8 text
 * it completes to cb. ips_decoder_end(): the input ended; the problem met
 * (owned by the decoder, NULL if none, told once) and its offset in the
 * decoded text. ips_decoder_restart(): a new file under the same name starts
 * with head (its byte order mark is dropped; partial units are forgotten).
 */
typedef struct ips_decoder ips_decoder_t;
typedef void (*ips_decoded_cb)(void *ctx, const char *text, size_t n);

ips_decoder_t *ips_decoder_new(const unsigned char *head, size_t n, char **err);
ips_encoding_t ips_decoder_encoding(const ips_decoder_t *dec);
void ips_decoder_push(ips_decoder_t *dec, const void *p, size_t n, ips_decoded_cb cb, void *ctx);
const char *ips_decoder_end(ips_decoder_t *dec, ips_decoded_cb cb, void *ctx, uint64_t *at);
void ips_decoder_restart(ips_decoder_t *dec, const unsigned char *head, size_t n);
void ips_decoder_free(ips_decoder_t *dec);

#endif
