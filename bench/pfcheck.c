/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pfcheck.c - does the prefilter lose a match? Runs every active detector's
 * regex on every line of the given files and on every rule's own examples,
 * and checks that each line a regex matches was handed to the matcher with
 * that detector among its candidates (make prefilter-check, in make test).
 *
 *   build/pfcheck [-v] [-t N] [-l] FILE...
 *
 * The files are cut into 1 MiB blocks of whole lines and scanned with
 * ips_prefilter_scan_lines() as the line framer does; examples go through
 * ips_prefilter_scan_record() as well as a block of their own. A line that
 * starts with a syslog time stamp ("Mar  1 00:00:00 ") and repeats the rest
 * of an earlier line reuses the regex results of that line (the generated
 * benchmark lines differ in their clock only); its prefilter result is its
 * own, since where a line lies in a block changes what the filters sample.
 * -v prints, per
 * detector, the lines it was a candidate for and the lines it matched (the
 * false candidates cost PCRE2 runs); -t N the N worst; -l each line handed on.
 * Exit 1 on a miss.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/match.h"

/* regex results per distinct line text (after a syslog time stamp) */
typedef struct memo {
	char *text;
	size_t len;
	uint64_t *set;        /* detectors whose regex matches */
} memo_t;

typedef struct state {
	const ips_rules_t *rules;
	size_t ndet, words;
	pcre2_match_data *md;
	uint64_t *cand_n, *match_n, *cand_lines_n;
	size_t lines, cand_lines, match_lines, misses;
	const char *what;
	memo_t *memo;
	size_t nmemo, capmemo, reused;
	bool list;           /* -l: print each line handed to the matcher */
	/* the lines of the current block with their candidate sets */
	const char *blk;
	size_t nl, capl;
	size_t *loff;
	uint64_t *lset;
} state_t;

static int on_line(void *ctx, const char *line, size_t len, size_t off, const uint64_t *dets)
{
	state_t *s = ctx;
	(void)line, (void)len;
	if (s->nl == s->capl) {
		s->capl = s->capl ? s->capl * 2 : 1024;
		s->loff = realloc(s->loff, s->capl * sizeof *s->loff);
		s->lset = realloc(s->lset, s->capl * s->words * sizeof *s->lset);
		if (!s->loff || !s->lset)
			abort();
	}
	s->loff[s->nl] = off;
	memcpy(s->lset + s->nl * s->words, dets, s->words * sizeof *dets);
	s->nl++;
	return 0;
}

static uint64_t text_hash(const char *b, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)b[i]) * 1099511628211ULL;
	return h;
}

/* "Mmm dd hh:mm:ss " at the start: its length (16), else 0. */
static size_t stamp_len(const char *b, size_t n)
{
	static const char shape[] = "Aaa 00 00:00:00 ";
	if (n < 16)
		return 0;
	for (size_t i = 0; i < 16; i++) {
		char c = b[i], k = shape[i];
		bool ok = k == 'A' ? c >= 'A' && c <= 'Z' : k == 'a' ? c >= 'a' && c <= 'z'
			: k == '0' ? (c >= '0' && c <= '9') || (i == 4 && c == ' ') : c == k;
		if (!ok)
			return 0;
	}
	return 16;
}

/* The memo slot of a line's text, or NULL when it is new (then *slot is where it goes). */
static memo_t *memo_find(state_t *s, const char *t, size_t n, size_t *slot)
{
	if (s->nmemo * 2 >= s->capmemo) {
		size_t cap = s->capmemo ? s->capmemo * 2 : 1 << 16;
		memo_t *m = calloc(cap, sizeof *m);
		if (!m)
			abort();
		for (size_t i = 0; i < s->capmemo; i++) {
			if (!s->memo[i].text)
				continue;
			size_t k = text_hash(s->memo[i].text, s->memo[i].len) & (cap - 1);
			while (m[k].text)
				k = (k + 1) & (cap - 1);
			m[k] = s->memo[i];
		}
		free(s->memo);
		s->memo = m;
		s->capmemo = cap;
	}
	size_t k = text_hash(t, n) & (s->capmemo - 1);
	for (; s->memo[k].text; k = (k + 1) & (s->capmemo - 1))
		if (s->memo[k].len == n && !memcmp(s->memo[k].text, t, n))
			return &s->memo[k];
	*slot = k;
	return NULL;
}

/* The detectors whose regex matches the line, into set. */
static void regex_set(state_t *s, const char *line, size_t len, uint64_t *set)
{
	size_t st = stamp_len(line, len), slot = 0;
	memo_t *m = st ? memo_find(s, line + st, len - st, &slot) : NULL;
	if (m) {
		memcpy(set, m->set, s->words * sizeof *set);
		s->reused++;
		return;
	}
	memset(set, 0, s->words * sizeof *set);
	for (size_t i = 0; i < s->ndet; i++) {
		const ips_detector_t *d = ips_rules_active_at(s->rules, i);
		if (d->re && pcre2_match(ips_detector_code(d), (PCRE2_SPTR)line, len, 0, 0, s->md, NULL) > 0)
			set[i / 64] |= 1ULL << (i % 64);
	}
	if (!st)
		return;
	m = &s->memo[slot];
	m->len = len - st;
	m->text = malloc(m->len + 1);
	m->set = malloc(s->words * sizeof *m->set);
	if (!m->text || !m->set)
		abort();
	memcpy(m->text, line + st, m->len);
	memcpy(m->set, set, s->words * sizeof *set);
	s->nmemo++;
}

/* Every detector on one line; cands is its candidate set (or NULL: none). */
static void check_line(state_t *s, const char *line, size_t len, const uint64_t *cands)
{
	bool any = false;
	uint64_t set[64];
	regex_set(s, line, len, set);
	s->lines++;
	if (cands) {
		s->cand_lines++;
		if (s->list && strcmp(s->what, "examples")) {
			size_t n = 0;
			for (size_t w = 0; w < s->words; w++)
				n += (size_t)__builtin_popcountll(cands[w]);
			printf("cand %zu:", n);
			for (size_t i = 0; i < s->ndet; i++)
				if (cands[i / 64] >> (i % 64) & 1)
					printf(" %s", ips_rules_active_at(s->rules, i)->id);
			printf(": %.*s\n", (int)len, line);
		}
	}
	for (size_t i = 0; i < s->ndet; i++) {
		const ips_detector_t *d = ips_rules_active_at(s->rules, i);
		bool cand = cands && (cands[i / 64] >> (i % 64) & 1);
		if (cand)
			s->cand_n[i]++;
		if (!(set[i / 64] >> (i % 64) & 1))
			continue;
		any = true;
		s->match_n[i]++;
		if (!cand) {
			s->misses++;
			if (s->misses <= 20)
				fprintf(stderr, "pfcheck: %s: detector %s matches a line the prefilter "
					"does not give it: %.*s\n", s->what, d->id, (int)len, line);
		}
	}
	if (any)
		s->match_lines++;
}

static void check_block(state_t *s, const ips_prefilter_t *p, const char *buf, size_t len)
{
	s->nl = 0;
	ips_prefilter_scan_lines(p, buf, len, on_line, s);
	size_t k = 0;
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t end = nl ? (size_t)(nl - buf) : len;
		while (k < s->nl && s->loff[k] < off)
			k++;
		const uint64_t *c = k < s->nl && s->loff[k] == off ? s->lset + k * s->words : NULL;
		check_line(s, buf + off, end - off, c);
		off = end + 1;
	}
}

static void check_file(state_t *s, const ips_prefilter_t *p, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	size_t cap = 2u << 20, have = 0;
	char *buf = malloc(cap);
	s->what = path;
	for (;;) {
		size_t n = fread(buf + have, 1, cap - have, f);
		have += n;
		if (!have)
			break;
		size_t e = have;
		if (n) { /* whole lines only, as the framer hands them on */
			while (e > 0 && buf[e - 1] != '\n')
				e--;
			if (!e) {
				cap *= 2;
				buf = realloc(buf, cap);
				continue;
			}
		}
		check_block(s, p, buf, e);
		memmove(buf, buf + e, have - e);
		have -= e;
		if (!n && !have)
			break;
	}
	free(buf);
	fclose(f);
}

static void check_example(state_t *s, const ips_prefilter_t *p, const char *line)
{
	size_t len = strlen(line);
	const char *nl = memchr(line, '\n', len);
	if (nl) { /* a record of several lines: the record scan */
		uint64_t *c = calloc(s->words, sizeof *c);
		bool any = ips_prefilter_scan_record(p, line, len, c);
		check_line(s, line, len, any ? c : NULL);
		free(c);
		return;
	}
	check_block(s, p, line, len);
}

int main(int argc, char **argv)
{
	int verbose = 0, list = 0, top = 30, a = 1;
	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "-v"))
			verbose = 1;
		else if (!strcmp(argv[a], "-l"))
			list = 1;
		else if (!strcmp(argv[a], "-t") && a + 1 < argc)
			top = atoi(argv[++a]), verbose = 1;
		else {
			fprintf(stderr, "usage: %s [-v] [-t N] [-l] FILE...\n", argv[0]);
			return 2;
		}
	}
	ips_diag_t d;
	ips_diag_init(&d);
	ips_rules_t *r = ips_rules_new();
	ips_rules_add_builtin(r, &d);
	if (ips_rules_finalize(r, &d) != IPS_OK) {
		ips_diag_print(&d, stderr);
		return 2;
	}
	ips_match_limits_t lim = {1000000, 10000, 20 * 1024};
	ips_matcher_t *m = ips_matcher_new(r, &lim);
	const ips_prefilter_t *p = ips_matcher_prefilter(m);
	state_t s = {0};
	s.rules = r;
	s.list = list;
	s.ndet = ips_rules_active_count(r);
	s.words = ips_prefilter_words(p);
	if (s.words > 64) {
		fprintf(stderr, "pfcheck: more than 4096 detectors\n");
		return 2;
	}
	s.md = pcre2_match_data_create(64, NULL);
	s.cand_n = calloc(s.ndet, sizeof *s.cand_n);
	s.match_n = calloc(s.ndet, sizeof *s.match_n);
	for (; a < argc; a++)
		check_file(&s, p, argv[a]);
	size_t file_lines = s.lines, file_cands = s.cand_lines, file_matches = s.match_lines;
	size_t file_reused = s.reused;
	/* the statistics (-v) are of the files alone */
	uint64_t *fcand = malloc(s.ndet * sizeof *fcand), *fmatch = malloc(s.ndet * sizeof *fmatch);
	memcpy(fcand, s.cand_n, s.ndet * sizeof *fcand);
	memcpy(fmatch, s.match_n, s.ndet * sizeof *fmatch);
	s.what = "examples";
	size_t nex = 0;
	for (size_t i = 0; i < ips_rules_detector_count(r); i++) {
		const ips_detector_t *dt = ips_rules_detector_at(r, i);
		for (size_t j = 0; j < dt->nmatch; j++, nex++)
			check_example(&s, p, dt->match[j].line);
		for (size_t j = 0; j < dt->nno_match; j++, nex++)
			check_example(&s, p, dt->no_match[j].line);
	}
	printf("pfcheck: %zu detectors; files: %zu lines (%zu repeat a text), %zu to the matcher, "
	       "%zu matched; %zu examples; %zu misses\n",
	       s.ndet, file_lines, file_reused, file_cands, file_matches, nex, s.misses);
	if (verbose) {
		/* the detectors with the most false candidates */
		for (int t = 0; t < top; t++) {
			size_t best = s.ndet;
			uint64_t bw = 0;
			for (size_t i = 0; i < s.ndet; i++)
				if (fcand[i] - fmatch[i] > bw && fcand[i] >= fmatch[i])
					bw = fcand[i] - fmatch[i], best = i;
			if (best == s.ndet)
				break;
			const ips_detector_t *dt = ips_rules_active_at(r, best);
			printf("  %6llu candidate lines, %6llu matched: %s\n",
			       (unsigned long long)fcand[best], (unsigned long long)fmatch[best],
			       dt->id);
			fcand[best] = fmatch[best];
		}
	}
	for (size_t i = 0; i < s.capmemo; i++) {
		free(s.memo[i].text);
		free(s.memo[i].set);
	}
	free(s.memo);
	free(fcand);
	free(fmatch);
	pcre2_match_data_free(s.md);
	free(s.cand_n);
	free(s.match_n);
	free(s.loff);
	free(s.lset);
	ips_matcher_free(m);
	ips_rules_free(r);
	ips_diag_free(&d);
	return s.misses ? 1 : 0;
}
