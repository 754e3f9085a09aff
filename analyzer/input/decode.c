/* SPDX-License-Identifier: Apache-2.0 */
/* decode.c - see decode.h. */
#include "input/decode.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define RAW_CAP (64u << 10)
#define OUT_CAP (RAW_CAP * 2 + 16) /* a UTF-16 unit becomes at most 3 bytes; 4 per pair */

typedef struct dec_source {
	ips_source_t base;
	ips_source_t *inner;
	iconv_t cd;              /* (iconv_t)-1 for UTF-8 with BOM: bytes pass through */
	size_t bom_left;         /* byte order mark bytes still to drop */
	ips_decode_stats_t st;
	uint64_t out_total;      /* decoded bytes produced so far */
	uint64_t first_invalid_out; /* decoded offset of the first U+FFFD we wrote */
	bool eof, reported;
	size_t raw_len, out_pos, out_len;
	unsigned char raw[RAW_CAP];
	char out[OUT_CAP];
} dec_source_t;

const char *ips_encoding_name(ips_encoding_t e)
{
	switch (e) {
	case IPS_ENC_UTF8_BOM: return "UTF-8 with BOM";
	case IPS_ENC_UTF16LE: return "UTF-16LE";
	case IPS_ENC_UTF16BE: return "UTF-16BE";
	default: return "UTF-8";
	}
}

ips_encoding_t ips_encoding_detect(const unsigned char *h, size_t n, size_t *bom)
{
	*bom = 0;
	if (n >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF) {
		*bom = 3;
		return IPS_ENC_UTF8_BOM;
	}
	if (n >= 2 && h[0] == 0xFF && h[1] == 0xFE) {
		*bom = 2;
		return IPS_ENC_UTF16LE;
	}
	if (n >= 2 && h[0] == 0xFE && h[1] == 0xFF) {
		*bom = 2;
		return IPS_ENC_UTF16BE;
	}
	/*
	 * No mark: ASCII-range text in UTF-16 has a zero in every high byte and
	 * none in the low bytes. Binary data (EVTX, archives) has zeros in both
	 * or in neither, so it is left alone.
	 */
	size_t units = (n > 512 ? 512 : n) / 2;
	if (units < 8)
		return IPS_ENC_UTF8;
	size_t zero_even = 0, zero_odd = 0;
	for (size_t i = 0; i < units; i++) {
		zero_even += h[2 * i] == 0;
		zero_odd += h[2 * i + 1] == 0;
	}
	if (zero_odd * 10 >= units * 9 && zero_even == 0)
		return IPS_ENC_UTF16LE;
	if (zero_even * 10 >= units * 9 && zero_odd == 0)
		return IPS_ENC_UTF16BE;
	return IPS_ENC_UTF8;
}

/* At the end of the input: what was wrong with it, kept on the source (decode.h). */
static void report(dec_source_t *d)
{
	if (d->reported)
		return;
	const char *enc = ips_encoding_name(d->st.encoding);
	if (d->st.invalid && d->st.odd_byte) {
		d->reported = true;
		ips_source_set_problem(&d->base, d->first_invalid_out,
			       "invalid %s: %llu unpaired surrogate(s) replaced by U+FFFD, the first at "
			       "byte %llu of the encoded input; and the input ends with an odd byte "
			       "(dropped)",
			       enc, (unsigned long long)d->st.invalid,
			       (unsigned long long)d->st.first_invalid);
	} else if (d->st.invalid) {
		d->reported = true;
		ips_source_set_problem(&d->base, d->first_invalid_out,
			       "invalid %s: %llu unpaired surrogate(s) replaced by U+FFFD, the first at "
			       "byte %llu of the encoded input",
			       enc, (unsigned long long)d->st.invalid,
			       (unsigned long long)d->st.first_invalid);
	} else if (d->st.odd_byte) {
		d->reported = true;
		ips_source_set_problem(&d->base, d->out_total,
			       "%s input ends with an odd byte (byte %llu, half a code unit): dropped",
			       enc, (unsigned long long)(d->st.raw_bytes - 1));
	}
}

/* Write U+FFFD for the code unit at raw offset `at`. */
static void replacement(dec_source_t *d, char **op, size_t *ol, uint64_t at)
{
	if (d->st.invalid++ == 0) {
		d->st.first_invalid = at;
		d->first_invalid_out = d->out_total + (uint64_t)(*op - d->out);
	}
	memcpy(*op, "\xEF\xBF\xBD", 3);
	*op += 3;
	*ol -= 3;
}

/* Convert what raw holds into out (which is empty). */
static void convert(dec_source_t *d)
{
	char *ip = (char *)d->raw, *op = d->out;
	size_t il = d->raw_len, ol = OUT_CAP;
	uint64_t raw_base = d->st.raw_bytes; /* encoded offset of raw[0] */
	while (il > 0) {
		if (iconv(d->cd, &ip, &il, &op, &ol) != (size_t)-1)
			break;
		if (errno == E2BIG)
			break;
		if (errno == EILSEQ && il >= 2) {
			if (ol < 3)
				break;
			replacement(d, &op, &ol, raw_base + (uint64_t)(ip - (char *)d->raw));
			ip += 2;
			il -= 2;
			continue;
		}
		/* EINVAL: an incomplete unit or surrogate pair at the end */
		if (!d->eof)
			break;
		if (il >= 2 && ol >= 3) { /* a high surrogate with nothing after it */
			replacement(d, &op, &ol, raw_base + (uint64_t)(ip - (char *)d->raw));
			ip += 2;
			il -= 2;
			continue;
		}
		if (il == 1) {
			d->st.odd_byte = true;
			ip++;
			il--;
		}
		break;
	}
	size_t used = (size_t)(ip - (char *)d->raw);
	d->st.raw_bytes += used;
	memmove(d->raw, d->raw + used, d->raw_len - used);
	d->raw_len -= used;
	d->out_pos = 0;
	d->out_len = (size_t)(op - d->out);
}

static ssize_t inner_error(dec_source_t *d)
{
	d->base.err = d->inner->err;
	if (d->inner->errmsg && !d->base.errmsg)
		d->base.errmsg = ips_xstrdup(d->inner->errmsg);
	return -1;
}

static ssize_t dec_read(ips_source_t *src, void *buf, size_t n)
{
	dec_source_t *d = (dec_source_t *)src;
	if (d->cd == (iconv_t)-1) {
		/* UTF-8 with BOM: drop the mark, then pass the bytes through */
		while (d->bom_left) {
			unsigned char skip[4];
			ssize_t r = ips_source_read(d->inner, skip, d->bom_left);
			if (r <= 0)
				return r < 0 ? inner_error(d) : 0;
			d->bom_left -= (size_t)r;
			d->st.raw_bytes += (uint64_t)r;
		}
		ssize_t r = ips_source_read(d->inner, buf, n);
		if (r < 0)
			return inner_error(d);
		d->st.raw_bytes += (uint64_t)r;
		d->out_total += (uint64_t)r;
		return r;
	}
	for (;;) {
		if (d->out_pos < d->out_len) {
			size_t k = d->out_len - d->out_pos;
			if (k > n)
				k = n;
			memcpy(buf, d->out + d->out_pos, k);
			d->out_pos += k;
			d->out_total += k;
			return (ssize_t)k;
		}
		if (d->eof && d->raw_len == 0) {
			report(d);
			return 0;
		}
		if (!d->eof && d->raw_len < RAW_CAP) {
			ssize_t r = ips_source_read(d->inner, d->raw + d->raw_len, RAW_CAP - d->raw_len);
			if (r < 0)
				return inner_error(d);
			if (r == 0)
				d->eof = true;
			d->raw_len += (size_t)r;
			/* the byte order mark is not text */
			while (d->bom_left && d->raw_len) {
				memmove(d->raw, d->raw + 1, --d->raw_len);
				d->bom_left--;
				d->st.raw_bytes++;
			}
			if (d->raw_len < 2 && !d->eof)
				continue;
		}
		convert(d);
	}
}

static void dec_close(ips_source_t *src)
{
	dec_source_t *d = (dec_source_t *)src;
	if (d->cd != (iconv_t)-1)
		iconv_close(d->cd);
}

/* A decoder of enc whose first bom bytes are a byte order mark; NULL when iconv refuses. */
static dec_source_t *dec_new(ips_encoding_t enc, size_t bom)
{
	iconv_t cd = (iconv_t)-1;
	if (enc != IPS_ENC_UTF8_BOM) {
		cd = iconv_open("UTF-8", enc == IPS_ENC_UTF16LE ? "UTF-16LE" : "UTF-16BE");
		if (cd == (iconv_t)-1)
			return NULL;
	}
	dec_source_t *d = ips_xcalloc(1, sizeof *d);
	d->cd = cd;
	d->bom_left = bom;
	d->st.encoding = enc;
	d->base.size = -1;
	d->base.read = dec_read;
	d->base.close = dec_close;
	return d;
}

ips_source_t *ips_decode_wrap(ips_source_t *inner)
{
	/* What the caller peeked already; peeking again could move that buffer. */
	const unsigned char *head = inner->head + inner->head_pos;
	ssize_t hn = (ssize_t)(inner->head_len - inner->head_pos);
	if (inner->head_len == 0)
		hn = ips_source_peek(inner, 512, &head);
	if (hn <= 0)
		return NULL;
	size_t bom;
	ips_encoding_t enc = ips_encoding_detect(head, (size_t)hn, &bom);
	if (enc == IPS_ENC_UTF8)
		return NULL;
	dec_source_t *d = dec_new(enc, bom);
	if (!d) {
		ips_source_set_problem(inner, 0, "cannot decode %s: iconv: %s",
				       ips_encoding_name(enc), strerror(errno));
		return NULL;
	}
	d->inner = inner;
	d->base.name = ips_xstrdup(inner->name);
	d->base.mtime = inner->mtime;
	return &d->base;
}

void ips_decode_get_stats(const ips_source_t *dec, ips_decode_stats_t *out)
{
	const dec_source_t *d = (const dec_source_t *)dec;
	*out = d->st;
}

/* ---- push decoding (live mode) ------------------------------------------ */

struct ips_decoder {
	dec_source_t *d; /* the same state as a wrapper, without an inner source */
};

ips_decoder_t *ips_decoder_new(const unsigned char *head, size_t n, char **err)
{
	*err = NULL;
	size_t bom;
	ips_encoding_t enc = ips_encoding_detect(head, n, &bom);
	if (enc == IPS_ENC_UTF8)
		return NULL;
	dec_source_t *d = dec_new(enc, bom);
	if (!d) {
		*err = ips_xasprintf("cannot decode %s: iconv: %s", ips_encoding_name(enc),
				     strerror(errno));
		return NULL;
	}
	ips_decoder_t *dec = ips_xcalloc(1, sizeof *dec);
	dec->d = d;
	return dec;
}

ips_encoding_t ips_decoder_encoding(const ips_decoder_t *dec)
{
	return dec->d->st.encoding;
}

/* Convert what raw holds and hand it on; the BOM of a file's start is dropped first. */
static void push_out(dec_source_t *d, ips_decoded_cb cb, void *ctx)
{
	size_t drop = d->bom_left < d->raw_len ? d->bom_left : d->raw_len;
	if (drop) {
		memmove(d->raw, d->raw + drop, d->raw_len - drop);
		d->raw_len -= drop;
		d->bom_left -= drop;
		d->st.raw_bytes += drop;
	}
	if (d->cd == (iconv_t)-1) { /* UTF-8 with BOM: the bytes themselves */
		d->st.raw_bytes += d->raw_len;
		d->out_total += d->raw_len;
		if (d->raw_len)
			cb(ctx, (const char *)d->raw, d->raw_len);
		d->raw_len = 0;
		return;
	}
	for (;;) {
		size_t before = d->raw_len;
		convert(d);
		if (d->out_len)
			cb(ctx, d->out, d->out_len);
		d->out_total += d->out_len;
		d->out_len = 0;
		if (d->raw_len == 0 || d->raw_len == before)
			return; /* all used, or a partial unit kept for the next bytes */
	}
}

void ips_decoder_push(ips_decoder_t *dec, const void *p, size_t n, ips_decoded_cb cb, void *ctx)
{
	dec_source_t *d = dec->d;
	const unsigned char *b = p;
	while (n) {
		size_t k = RAW_CAP - d->raw_len < n ? RAW_CAP - d->raw_len : n;
		memcpy(d->raw + d->raw_len, b, k);
		d->raw_len += k;
		b += k;
		n -= k;
		push_out(d, cb, ctx);
	}
}

const char *ips_decoder_end(ips_decoder_t *dec, ips_decoded_cb cb, void *ctx, uint64_t *at)
{
	dec_source_t *d = dec->d;
	d->eof = true;
	push_out(d, cb, ctx);
	report(d);
	const char *msg = ips_source_problem(&d->base, at);
	if (msg && d->base.problem_told)
		return NULL;
	d->base.problem_told = true;
	return msg;
}

void ips_decoder_restart(ips_decoder_t *dec, const unsigned char *head, size_t n)
{
	dec_source_t *d = dec->d;
	if (d->cd != (iconv_t)-1)
		iconv(d->cd, NULL, NULL, NULL, NULL); /* the initial shift state */
	size_t bom;
	d->bom_left = ips_encoding_detect(head, n, &bom) == d->st.encoding ? bom : 0;
	d->raw_len = 0;
	d->eof = false;
}

void ips_decoder_free(ips_decoder_t *dec)
{
	if (!dec)
		return;
	ips_source_close(&dec->d->base);
	free(dec);
}
