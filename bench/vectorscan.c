/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vectorscan.c - Vectorscan (Hyperscan) as the whole-pattern prefilter, for
 * comparison with ours (bench/prefilter.c): every detector regex, as
 * `ipsec-scan rules list --patterns` prints it, compiled into one
 * block-mode database with HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH.
 *
 *   make build/bench-vectorscan        (needs libvectorscan-dev)
 *   ./ipsec-scan rules list --patterns > patterns.ere
 *   build/bench-vectorscan patterns.ere FILE [RUNS] [lines|blocks]
 *
 * lines (the default): hs_scan() on every line, as a prefilter must tell
 * which lines may match (SINGLEMATCH: each pattern once a line). blocks:
 * hs_scan() on 1 MiB blocks of whole lines with a database without
 * SINGLEMATCH; a match's end offset names its line. Prints the best of
 * RUNS (5) in MB/s, the lines that would reach the matcher and the
 * pattern matches. Under valgrind --tool=callgrind use RUNS 1.
 */
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: cannot read\n", path);
		exit(1);
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

typedef struct hits {
	long matches, lines;
	const char *block;         /* blocks mode: where the block starts */
	long long last_line_end;   /* end of the last line counted */
} hits_t;

static int on_match_line(unsigned int id, unsigned long long from, unsigned long long to,
			 unsigned int flags, void *ctx)
{
	(void)id, (void)from, (void)to, (void)flags;
	((hits_t *)ctx)->matches++;
	return 1; /* the line is a candidate: stop scanning it */
}

static int on_match_block(unsigned int id, unsigned long long from, unsigned long long to,
			  unsigned int flags, void *ctx)
{
	(void)id, (void)from, (void)flags;
	hits_t *h = ctx;
	h->matches++;
	/* a match ends on the line holding byte to-1; count each line once */
	if ((long long)to > h->last_line_end) {
		const char *e = strchr(h->block + to - 1, '\n');
		h->last_line_end = e ? e - h->block : (long long)to;
		h->lines++;
	}
	return 0;
}

/*
 * Vectorscan refuses an end anchor inside a pattern (the ERE forms of
 * lookaheads, `([[:space:]]|$)`): there `$` becomes `\n`, which means the
 * same where every line is scanned with its newline, as here.
 */
static char *embedded_eol(const char *p)
{
	size_t n = strlen(p), i = 0;
	char *o = malloc(2 * n + 1), *w = o;
	while (i < n) {
		if (p[i] == '\\' && i + 1 < n) {
			*w++ = p[i++];
			*w++ = p[i++];
		} else if (p[i] == '[') { /* a bracket expression, copied whole */
			*w++ = p[i++];
			if (i < n && p[i] == '^')
				*w++ = p[i++];
			if (i < n && p[i] == ']')
				*w++ = p[i++];
			while (i < n && p[i] != ']') {
				if (p[i] == '[' && i + 1 < n && p[i + 1] == ':') {
					const char *e = strstr(p + i + 2, ":]");
					size_t k = e ? (size_t)(e - p) + 2 : n;
					while (i < k)
						*w++ = p[i++];
				} else {
					*w++ = p[i++];
				}
			}
			if (i < n)
				*w++ = p[i++];
		} else if (p[i] == '$' && i + 1 < n) {
			*w++ = '\\';
			*w++ = 'n';
			i++;
		} else {
			*w++ = p[i++];
		}
	}
	*w = '\0';
	return o;
}

/* Compile every pattern that Vectorscan takes; the rest are counted. */
static hs_database_t *compile(char **pats, int n, unsigned flags, int *skipped)
{
	unsigned *fl = calloc((size_t)n, sizeof *fl), *ids = calloc((size_t)n, sizeof *ids);
	const char **ok = calloc((size_t)n, sizeof *ok);
	int k = 0;
	*skipped = 0;
	for (int i = 0; i < n; i++) {
		hs_database_t *one = NULL;
		hs_compile_error_t *err = NULL;
		if (hs_compile(pats[i], flags, HS_MODE_BLOCK, NULL, &one, &err) != HS_SUCCESS) {
			fprintf(stderr, "pattern %d not compiled: %s\n", i + 1, err->message);
			hs_free_compile_error(err);
			(*skipped)++;
			continue;
		}
		hs_free_database(one);
		ok[k] = pats[i];
		fl[k] = flags;
		ids[k] = (unsigned)i;
		k++;
	}
	hs_database_t *db = NULL;
	hs_compile_error_t *err = NULL;
	/* VS_AVX2=1: for AVX2 without AVX-512 (what valgrind runs, and what our
	 * prefilter uses) */
	hs_platform_info_t plat, *pp = NULL;
	if (getenv("VS_AVX2") && hs_populate_platform(&plat) == HS_SUCCESS) {
		plat.cpu_features = HS_CPU_FEATURES_AVX2;
		pp = &plat;
	}
	if (hs_compile_multi(ok, fl, ids, (unsigned)k, HS_MODE_BLOCK, pp, &db, &err) != HS_SUCCESS) {
		fprintf(stderr, "compile: %s\n", err->message);
		exit(1);
	}
	free(fl), free(ids), free(ok);
	return db;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s PATTERNS FILE [RUNS] [lines|blocks]\n", argv[0]);
		return 2;
	}
	int runs = argc > 3 ? atoi(argv[3]) : 5;
	int blocks = argc > 4 && !strcmp(argv[4], "blocks");
	if (hs_valid_platform() != HS_SUCCESS) {
		fprintf(stderr, "Vectorscan does not run on this CPU\n");
		return 1;
	}
	size_t plen, n;
	char *ptext = slurp(argv[1], &plen);
	char **pats = NULL;
	int np = 0;
	for (char *s = strtok(ptext, "\n"); s; s = strtok(NULL, "\n"))
		if (*s) {
			pats = realloc(pats, sizeof *pats * (size_t)(np + 1));
			pats[np++] = embedded_eol(s);
		}
	/* blocks: ^ and $ at every line (MULTILINE) */
	unsigned flags = HS_FLAG_PREFILTER | HS_FLAG_ALLOWEMPTY |
			 (blocks ? HS_FLAG_MULTILINE : HS_FLAG_SINGLEMATCH);
	int skipped;
	double c0 = now();
	hs_database_t *db = NULL;
	/* VS_DB=FILE: the compiled database is kept there (compiling under
	 * callgrind takes many minutes; the scan is what is measured) */
	const char *keep = getenv("VS_DB");
	size_t klen = 0;
	char *kept = NULL;
	FILE *kf = keep ? fopen(keep, "rb") : NULL;
	if (kf) {
		fclose(kf);
		kept = slurp(keep, &klen);
		if (hs_deserialize_database(kept, klen, &db) != HS_SUCCESS) {
			fprintf(stderr, "%s: not a database for this platform\n", keep);
			return 1;
		}
		free(kept);
		skipped = 0;
	} else {
		db = compile(pats, np, flags, &skipped);
		if (keep && hs_serialize_database(db, &kept, &klen) == HS_SUCCESS) {
			kf = fopen(keep, "wb");
			if (kf) {
				fwrite(kept, 1, klen, kf);
				fclose(kf);
			}
			free(kept);
		}
	}
	double ct = now() - c0;
	size_t dbsize = 0;
	hs_database_size(db, &dbsize);
	hs_scratch_t *scratch = NULL;
	if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS)
		return 1;
	char *buf = slurp(argv[2], &n);
	double best = 1e30;
	hits_t h;
	for (int r = 0; r < runs; r++) {
		memset(&h, 0, sizeof h);
		double t0 = now();
		if (blocks) {
			for (size_t off = 0; off < n;) {
				size_t blk = n - off < (1u << 20) ? n - off : 1u << 20, e = blk;
				while (e > 0 && buf[off + e - 1] != '\n')
					e--;
				if (!e)
					e = blk;
				h.block = buf + off;
				h.last_line_end = -1;
				if (hs_scan(db, buf + off, (unsigned)e, 0, scratch, on_match_block, &h) !=
				    HS_SUCCESS) {
					fprintf(stderr, "hs_scan failed\n");
					return 1;
				}
				off += e;
			}
		} else {
			for (size_t off = 0; off < n;) {
				const char *nl = memchr(buf + off, '\n', n - off);
				size_t len = nl ? (size_t)(nl - buf - off) : n - off;
				long before = h.matches;
				/* with its newline, for the `$` turned into `\n` */
				hs_error_t e = hs_scan(db, buf + off, (unsigned)(nl ? len + 1 : len), 0,
						       scratch, on_match_line, &h);
				if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED) {
					fprintf(stderr, "hs_scan failed: %d\n", e);
					return 1;
				}
				if (h.matches != before)
					h.lines++;
				off += len + 1;
			}
		}
		double t = now() - t0;
		best = t < best ? t : best;
	}
	printf("%s: %.0f MB/s (%.3f s for %.1f MB), %ld lines to the matcher, %ld matches; "
	       "%d patterns (%d not compiled), database %zu KiB, compiled in %.2f s\n",
	       blocks ? "blocks" : "lines", (double)n / best / 1e6, best, (double)n / 1e6, h.lines,
	       h.matches, np - skipped, skipped, dbsize / 1024, ct);
	hs_free_scratch(scratch);
	hs_free_database(db);
	for (int i = 0; i < np; i++)
		free(pats[i]);
	free(buf), free(pats), free(ptext);
	return 0;
}
