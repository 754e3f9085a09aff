/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for prefilter.c: the Aho-Corasick literal search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/prefilter.h"

typedef struct seen {
	char lines[16][128];
	uint64_t sets[16];
	size_t offs[16];
	int n;
} seen_t;

static int on_line(void *ctx, const char *line, size_t len, size_t off, const uint64_t *dets)
{
	seen_t *s = ctx;
	if (s->n < 16) {
		snprintf(s->lines[s->n], 128, "%.*s", (int)len, line);
		s->sets[s->n] = dets[0];
		s->offs[s->n] = off;
		s->n++;
	}
	return 0;
}

static ips_prefilter_t *make(void)
{
	ips_prefilter_t *p = ips_prefilter_new(4);
	ips_prefilter_add(p, "AUTH_FAILED", 11, 0);
	ips_prefilter_add(p, "giving up", 9, 1);
	ips_prefilter_add(p, "0x35", 4, 2);
	ips_prefilter_add(p, "up", 2, 3); /* a suffix of another literal */
	ips_prefilter_build(p);
	return p;
}

static void finds_lines_with_literals(void **state)
{
	(void)state;
	ips_prefilter_t *p = make();
	const char *text = "noise line\n"
			   "received N(AUTH_FAILED) from peer\n"
			   "more noise\n"
			   "Giving Up after 5 retransmits, status 0X35E9\n"
			   "last";
	seen_t s = {0};
	ips_prefilter_scan_lines(p, text, strlen(text), on_line, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.lines[0], "received N(AUTH_FAILED) from peer");
	assert_int_equal(s.offs[0], 11);
	assert_true(s.sets[0] == 1u);
	assert_string_equal(s.lines[1], "Giving Up after 5 retransmits, status 0X35E9");
	/* case-folded: giving up (1), up (3) and 0x35 (2) */
	assert_true(s.sets[1] == (2u | 4u | 8u));
	ips_prefilter_free(p);
}

/* literals_and: a candidate only with one of the second literals on its line */
static void second_literal_set(void **state)
{
	(void)state;
	ips_prefilter_t *p = ips_prefilter_new(2);
	ips_prefilter_add(p, "error", 5, 0);
	ips_prefilter_add(p, "error", 5, 1);
	const char *also[] = {"RAS", "remote access"};
	const size_t lens[] = {3, 13};
	ips_prefilter_also(p, 0, also, lens, 2);
	ips_prefilter_build(p);
	/* long enough that the filters, not only the automaton, look at it */
	char text[4096] = "";
	for (int i = 0; i < 20; i++)
		strcat(text, "sshd[1]: error: Received disconnect from 10.0.0.1 [preauth] padding\n");
	strcat(text, "RasClient: error code 809\n");
	strcat(text, "the Remote Access service: error 720\n");
	for (int i = 0; i < 20; i++)
		strcat(text, "kernel: no problem at all on this line, just noise for the filters\n");
	seen_t s = {0};
	ips_prefilter_scan_lines(p, text, strlen(text), on_line, &s);
	/* 20 lines for detector 1 alone, then the two lines for both */
	assert_int_equal(s.n, 16); /* seen_t keeps 16 */
	assert_true(s.sets[0] == 2u);
	uint64_t set[1];
	assert_true(ips_prefilter_scan_record(p, "RasClient: error code 809", 25, set));
	assert_true(set[0] == 3u);
	assert_true(ips_prefilter_scan_record(p, "error: disk full", 16, set));
	assert_true(set[0] == 2u);
	ips_prefilter_free(p);
	/* only detector 0, with its condition: the lines without RAS go nowhere */
	p = ips_prefilter_new(1);
	ips_prefilter_add(p, "error", 5, 0);
	ips_prefilter_also(p, 0, also, lens, 2);
	ips_prefilter_build(p);
	memset(&s, 0, sizeof s);
	ips_prefilter_scan_lines(p, text, strlen(text), on_line, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.lines[0], "RasClient: error code 809");
	assert_string_equal(s.lines[1], "the Remote Access service: error 720");
	assert_false(ips_prefilter_scan_record(p, "error: disk full", 16, set));
	ips_prefilter_free(p);
	/* a hit of "error" alone is dropped where it is found: another literal
	 * of its line, near or a chunk or more further on, still hands it over */
	p = ips_prefilter_new(2);
	ips_prefilter_add(p, "error", 5, 0);
	ips_prefilter_also(p, 0, also, lens, 2);
	ips_prefilter_add(p, "giving up", 9, 1);
	ips_prefilter_build(p);
	for (int simd = 0; simd <= 2; simd++) {
		ips_prefilter_simd(simd);
		for (size_t gap = 0; gap < 100; gap += 3) {
			const char *noise = "kernel: no problem at all on this line, just noise for the "
					    "filters\nand more of it on a second line for the tail\n";
			char line[128];
			snprintf(line, sizeof line, "x error %*s giving up on it", (int)gap, "");
			snprintf(text, sizeof text, "%s%s\n%s%s", noise, line, noise, noise);
			memset(&s, 0, sizeof s);
			ips_prefilter_scan_lines(p, text, strlen(text), on_line, &s);
			assert_int_equal(s.n, 1);
			assert_string_equal(s.lines[0], line);
			assert_true(s.sets[0] == 2u);
		}
	}
	ips_prefilter_simd(2);
	ips_prefilter_free(p);
}

static void literal_at_end_without_newline(void **state)
{
	(void)state;
	ips_prefilter_t *p = make();
	const char *text = "a\nb AUTH_FAILED";
	seen_t s = {0};
	ips_prefilter_scan_lines(p, text, strlen(text), on_line, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "b AUTH_FAILED");
	ips_prefilter_free(p);
}

static void literal_never_spans_lines(void **state)
{
	(void)state;
	ips_prefilter_t *p = make();
	const char *text = "AUTH_\nFAILED\ngiving\nup-no";
	seen_t s = {0};
	ips_prefilter_scan_lines(p, text, strlen(text), on_line, &s);
	/* only "up-no" holds a literal ("up") */
	assert_int_equal(s.n, 1);
	assert_string_equal(s.lines[0], "up-no");
	ips_prefilter_free(p);
}

static void record_scan(void **state)
{
	(void)state;
	ips_prefilter_t *p = make();
	uint64_t set[1];
	assert_true(ips_prefilter_scan_record(p, "x\nAUTH_FAILED\n", 14, set));
	assert_true(set[0] == 1u);
	assert_false(ips_prefilter_scan_record(p, "nothing here", 12, set));
	assert_true(set[0] == 0u);
	ips_prefilter_free(p);
}

static void many_detectors(void **state)
{
	(void)state;
	ips_prefilter_t *p = ips_prefilter_new(200);
	char lit[16];
	for (int i = 0; i < 200; i++) {
		snprintf(lit, sizeof lit, "lit%03d", i);
		ips_prefilter_add(p, lit, strlen(lit), (size_t)i);
	}
	ips_prefilter_build(p);
	assert_int_equal(ips_prefilter_words(p), 4);
	uint64_t set[4];
	assert_true(ips_prefilter_scan_record(p, "xx lit199 lit064", 16, set));
	assert_true(set[3] == (1ULL << (199 - 192)));
	assert_true(set[1] == 1ULL);
	assert_true(set[0] == 0 && set[2] == 0);
	ips_prefilter_free(p);
}


/* ---- the filters: windows, anchors, phrases, every SIMD level ----------- */

typedef struct got {
	size_t n;
	size_t off[4096];
	size_t len[4096];
	uint64_t set[4096];
} got_t;

static int collect(void *ctx, const char *line, size_t len, size_t off, const uint64_t *dets)
{
	got_t *g = ctx;
	(void)line;
	if (g->n < 4096) {
		g->off[g->n] = off;
		g->len[g->n] = len;
		g->set[g->n] = dets[0];
		g->n++;
	}
	return 0;
}

static const char *const filter_lits[] = {
	"initiating IKE_SA ", /* long: window filter */
	"-713042",            /* 7 bytes of digits: the shortest long literal */
	"0x35",               /* short: anchors */
	"ERROR_",
	":IKE=",
	"up",                 /* 2 bytes */
};
#define NFILTER (sizeof filter_lits / sizeof filter_lits[0])

static ips_prefilter_t *make_filters(void)
{
	ips_prefilter_t *p = ips_prefilter_new(NFILTER + 1);
	for (size_t i = 0; i < NFILTER; i++)
		ips_prefilter_add(p, filter_lits[i], strlen(filter_lits[i]), i);
	const char *words[] = {"Negotiation", "timed", "out"};
	size_t lens[] = {11, 5, 3};
	ips_prefilter_add_phrase(p, words, lens, 3, NFILTER);
	ips_prefilter_build(p);
	return p;
}

/* Each literal at every offset of a line, in blocks of many lengths. */
static void literals_found_at_every_offset(void **state)
{
	(void)state;
	static char text[4096];
	static got_t g;
	for (int simd = 0; simd <= 2; simd++) {
		ips_prefilter_simd(simd);
		ips_prefilter_t *p = make_filters();
		for (size_t li = 0; li < NFILTER; li++) {
			size_t n = strlen(filter_lits[li]);
			for (size_t at = 0; at < 150; at++) {
				/* a noise line, then the line with the literal, then noise */
				size_t k = 0;
				k += (size_t)snprintf(text + k, sizeof text - k,
						      "Mar  1 10:00:00 gw charon: 07[NET] sending packet\n");
				size_t start = k;
				for (size_t i = 0; i < at; i++)
					text[k++] = (char)('a' + (i * 7 + li) % 17 + ((i % 5) ? 0 : 'A' - 'a'));
				memcpy(text + k, filter_lits[li], n);
				/* another case for letters: matching is case-insensitive */
				if (at % 2)
					for (size_t i = 0; i < n; i++)
						if (text[k + i] >= 'a' && text[k + i] <= 'z')
							text[k + i] = (char)(text[k + i] - 32);
				k += n;
				k += (size_t)snprintf(text + k, sizeof text - k, " tail of the line\n");
				size_t end = k - 1;
				for (size_t i = 0; i < at % 97; i++)
					text[k++] = (char)(i % 10 ? 'x' : '\n');
				g.n = 0;
				ips_prefilter_scan_lines(p, text, k, collect, &g);
				bool found = false;
				for (size_t i = 0; i < g.n; i++)
					if (g.off[i] == start && g.len[i] == end - start &&
					    (g.set[i] >> li & 1))
						found = true;
				if (!found)
					fail_msg("simd %d: literal '%s' at offset %zu not found", simd,
						 filter_lits[li], at);
				/* and as a record */
				uint64_t set[1];
				assert_true(ips_prefilter_scan_record(p, text, k, set));
				assert_true(set[0] >> li & 1);
			}
		}
		ips_prefilter_free(p);
	}
	ips_prefilter_simd(2);
}

static void phrases_with_any_white_space(void **state)
{
	(void)state;
	static got_t g;
	ips_prefilter_t *p = make_filters();
	const char *yes[] = {
		"<Data Name='FailureReason'>Negotiation timed out</Data>",
		"Failure Reason:\tnegotiation\t\tTIMED   out",
	};
	const char *no[] = {
		"Negotiation failed",                 /* a word missing */
		"timed out waiting; negotiation later", /* the words, but not as the phrase */
	};
	for (size_t i = 0; i < 2; i++) {
		g.n = 0;
		ips_prefilter_scan_lines(p, yes[i], strlen(yes[i]), collect, &g);
		assert_int_equal(g.n, 1);
		assert_true(g.set[0] >> NFILTER & 1);
		g.n = 0;
		ips_prefilter_scan_lines(p, no[i], strlen(no[i]), collect, &g);
		assert_int_equal(g.n, 0);
	}
	ips_prefilter_free(p);
}

/*
 * Words of 5 and 6 bytes that every phrase has white space next to are
 * searched with it ("offers" through " offe"): each white space byte, one or
 * more of them, at every offset, with every SIMD level; a record may put a
 * line feed there.
 */
static void short_words_found_with_their_white_space(void **state)
{
	(void)state;
	static got_t g;
	static const char *const ph0[] = {"received", "invalid", "authentication", "offers"};
	static const char *const ph1[] = {"load", "failed"};
	static const char *const ph2[] = {"bad", "cookie", "value"};
	static const char *const ph3[] = {"quirky", "zz"};
	static const size_t l0[] = {8, 7, 14, 6}, l1[] = {4, 6}, l2[] = {3, 6, 5}, l3[] = {6, 2};
	static const char *const forms[] = {
		"Received invalid authentication offers", "LOAD failed",
		"got a bad cookie value here", "QUIRKY zz",
	};
	const char ws[] = " \t\v\f\r";
	static char text[4096];
	for (int simd = 0; simd <= 2; simd++) {
		ips_prefilter_simd(simd);
		ips_prefilter_t *p = ips_prefilter_new(4);
		ips_prefilter_add_phrase(p, ph0, l0, 4, 0);
		ips_prefilter_add_phrase(p, ph1, l1, 2, 1);
		ips_prefilter_add_phrase(p, ph2, l2, 3, 2);
		ips_prefilter_add_phrase(p, ph3, l3, 2, 3);
		ips_prefilter_build(p);
		for (size_t f = 0; f < 4; f++)
			for (size_t w = 0; w < sizeof ws - 1; w++)
				for (size_t pad = 0; pad < 9; pad++) {
					size_t k = 0;
					for (size_t i = 0; i < 100 + pad; i++)
						text[k++] = (char)('a' + i % 7);
					text[k++] = '\n';
					for (size_t i = 0; i < pad; i++)
						text[k++] = 'x';
					text[k++] = ' ';
					for (const char *c = forms[f]; *c; c++) {
						text[k++] = *c == ' ' ? ws[w] : *c;
						if (*c == ' ' && pad % 2)
							text[k++] = ws[(w + 1) % (sizeof ws - 1)];
					}
					text[k++] = '\n';
					for (size_t i = 0; i < 100; i++)
						text[k++] = (char)('a' + i % 5);
					g.n = 0;
					ips_prefilter_scan_lines(p, text, k, collect, &g);
					if (g.n != 1 || g.set[0] != 1ULL << f)
						fail_msg("simd %d form %zu space %zu pad %zu: %zu lines", simd, f,
							 w, pad, g.n);
				}
		/* a record: a line feed between the words */
		size_t k = 0;
		for (size_t i = 0; i < 400; i++)
			text[k++] = (char)('a' + i % 7);
		memcpy(text + k, " load\nfailed ", 13);
		k += 13;
		for (size_t i = 0; i < 400; i++)
			text[k++] = (char)('a' + i % 5);
		uint64_t set[1] = {0};
		assert_true(ips_prefilter_scan_record(p, text, k, set));
		assert_true(set[0] == 2u);
		ips_prefilter_free(p);
	}
	ips_prefilter_simd(2);
}

/* ---- against a plain search, on random text ------------------------------ */

static uint64_t rnd_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
	uint64_t z = (rnd_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool has_nocase(const char *h, size_t hn, const char *n, size_t nn)
{
	for (size_t i = 0; i + nn <= hn; i++) {
		size_t k = 0;
		while (k < nn && lower(h[i + k]) == lower(n[k]))
			k++;
		if (k == nn)
			return true;
	}
	return false;
}

/* Random literals and lines full of their pieces: every line that holds a
 * literal is reported with its detector, and nothing else is. */
static void random_text_against_plain_search(void **state)
{
	(void)state;
	enum { NL = 48, LINES = 3000 };
	static char lits[NL][40];
	static char text[LINES * 160];
	static got_t g;
	const char alpha[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP0123456789 _-:=[]./";
	for (int round = 0; round < 6; round++) {
		ips_prefilter_simd(round % 3);
		ips_prefilter_t *p = ips_prefilter_new(NL);
		for (size_t i = 0; i < NL; i++) {
			size_t n = 2 + rnd() % (i % 3 ? 6 : 25);
			for (size_t k = 0; k < n; k++)
				lits[i][k] = alpha[rnd() % (sizeof alpha - 1)];
			lits[i][n] = '\0';
			ips_prefilter_add(p, lits[i], n, i);
		}
		ips_prefilter_build(p);
		size_t k = 0, starts[LINES + 1], nlines = 0;
		for (size_t l = 0; l < LINES; l++) {
			starts[nlines++] = k;
			size_t n = rnd() % 150;
			for (size_t i = 0; i < n; i++) {
				if (rnd() % 40 == 0) { /* a literal, or most of one */
					const char *s = lits[rnd() % NL];
					size_t m = strlen(s) - (rnd() % 4 == 0);
					memcpy(text + k, s, m);
					k += m;
					i += m;
				} else {
					text[k++] = alpha[rnd() % (sizeof alpha - 1)];
				}
			}
			text[k++] = '\n';
		}
		starts[nlines] = k;
		g.n = 0;
		ips_prefilter_scan_lines(p, text, k, collect, &g);
		size_t gi = 0;
		for (size_t l = 0; l < nlines; l++) {
			const char *line = text + starts[l];
			size_t n = starts[l + 1] - starts[l] - 1;
			uint64_t want = 0;
			for (size_t i = 0; i < NL; i++)
				if (has_nocase(line, n, lits[i], strlen(lits[i])))
					want |= 1ULL << i;
			uint64_t got = 0;
			if (gi < g.n && g.off[gi] == starts[l]) {
				assert_int_equal(g.len[gi], n);
				got = g.set[gi++];
			}
			if (got != want)
				fail_msg("round %d line %zu: got %llx, want %llx: %.*s", round, l,
					 (unsigned long long)got, (unsigned long long)want, (int)n, line);
		}
		assert_int_equal(gi, g.n);
		ips_prefilter_free(p);
	}
	ips_prefilter_simd(2);
}

/* The newline count, every length and offset around the SIMD rounds. */
static void counts_newlines(void **state)
{
	(void)state;
	static char text[70000];
	for (size_t i = 0; i < sizeof text; i++)
		text[i] = (char)(rnd() % 5 == 0 ? '\n' : 'a' + rnd() % 26);
	for (int simd = 0; simd <= 2; simd++) {
		ips_prefilter_simd(simd);
		for (size_t n = 0; n < sizeof text - 40; n += n < 600 ? 1 : 4099) {
			size_t from = n % 37;
			uint64_t want = 0;
			for (size_t i = from; i < from + n; i++)
				want += text[i] == '\n';
			if (ips_prefilter_count_nl(text + from, n) != want)
				fail_msg("simd %d: %zu bytes from %zu", simd, n, from);
		}
	}
	ips_prefilter_simd(2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_lines_with_literals),
		cmocka_unit_test(second_literal_set),
		cmocka_unit_test(literal_at_end_without_newline),
		cmocka_unit_test(literal_never_spans_lines),
		cmocka_unit_test(record_scan),
		cmocka_unit_test(many_detectors),
		cmocka_unit_test(literals_found_at_every_offset),
		cmocka_unit_test(phrases_with_any_white_space),
		cmocka_unit_test(short_words_found_with_their_white_space),
		cmocka_unit_test(random_text_against_plain_search),
		cmocka_unit_test(counts_newlines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
