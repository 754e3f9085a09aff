/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prefilter.c - time the literal prefilter alone, on a file read into memory
 * and cut into 1 MiB blocks of whole lines as the line framer does.
 *
 *   make build/bench-prefilter
 *   build/bench-prefilter FILE [RUNS]    (IPSEC_SCAN_SIMD=sse2|ssse3 to compare)
 *
 * Prints the best of RUNS (5) in MB/s and how many lines reached the
 * matcher. Under valgrind --tool=callgrind use RUNS 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect/match.h"

static long lines;

static int on_line(void *ctx, const char *line, size_t len, size_t off, const uint64_t *dets)
{
	(void)ctx, (void)line, (void)len, (void)off, (void)dets;
	lines++;
	return 0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE [RUNS]\n", argv[0]);
		return 2;
	}
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	ips_diag_t d;
	ips_diag_init(&d);
	ips_rules_t *r = ips_rules_new();
	ips_rules_add_builtin(r, &d);
	if (ips_rules_finalize(r, &d) != IPS_OK) {
		ips_diag_print(&d, stderr);
		return 1;
	}
	ips_match_limits_t lim = {1000000, 10000, 20 * 1024};
	ips_matcher_t *m = ips_matcher_new(r, &lim);
	const ips_prefilter_t *p = ips_matcher_prefilter(m);
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: cannot read\n", argv[1]);
		return 1;
	}
	fclose(f);
	double best = 1e30;
	for (int i = 0; i < runs; i++) {
		lines = 0;
		double t0 = now();
		for (size_t off = 0; off < (size_t)n;) {
			size_t blk = (size_t)n - off < (1u << 20) ? (size_t)n - off : 1u << 20, e = blk;
			while (e > 0 && buf[off + e - 1] != '\n')
				e--;
			if (!e)
				e = blk;
			ips_prefilter_scan_lines(p, buf + off, e, on_line, NULL);
			off += e;
		}
		double t = now() - t0;
		best = t < best ? t : best;
	}
	ips_prefilter_stats_t st;
	ips_prefilter_stats(p, &st);
	printf("%.0f MB/s (%.3f s for %.1f MB), %ld lines to the matcher; %zu literals: %zu long, "
	       "%zu short through %zu anchors%s\n",
	       (double)n / best / 1e6, best, (double)n / 1e6, lines, st.literals, st.long_literals,
	       st.short_literals, st.anchors, st.exact_only ? " (automaton only)" : "");
	free(buf);
	ips_matcher_free(m);
	ips_rules_free(r);
	ips_diag_free(&d);
	return 0;
}
