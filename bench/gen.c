/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen.c - deterministic benchmark data: syslog lines drawn from pools.
 *
 *   bench-gen -o OUT -s BYTES [-S SEED] [-R PPM] [-t EPOCH] [-L LINES_PER_S] [-1]
 *             -r RELEVANT_POOL NOISE_POOL[:WEIGHT]...
 *
 * Each pool is a file of "host program: message" lines (bench/run.sh makes
 * them from samples/ and the corpus). Every output line gets a syslog time
 * stamp ("Mar  1 00:00:00 ") from a clock that advances one second every
 * LINES_PER_S lines, then a pool line: from the relevant pool with
 * probability PPM per million, else from a noise pool chosen by weight. The
 * same arguments always give the same bytes (splitmix64, seeded). -1 writes
 * one single line (newlines become spaces) to test very long records.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct pool {
	char **lines;
	size_t n;
	unsigned weight;
} pool_t;

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "bench-gen: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	exit(2);
}

static unsigned long long num(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		die(what, s);
	switch (*end) {
	case 'k': v <<= 10; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end)
		die(what, s);
	return v;
}

static void load(pool_t *p, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot open pool", path);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (!n)
			continue;
		p->lines = realloc(p->lines, (p->n + 1) * sizeof *p->lines);
		if (!p->lines)
			die("out of memory", NULL);
		p->lines[p->n++] = strdup(line);
	}
	free(line);
	fclose(f);
	if (!p->n)
		die("empty pool", path);
}

int main(int argc, char **argv)
{
	const char *out = NULL, *relevant = NULL;
	unsigned long long size = 0, seed = 1, ppm = 1000, per_s = 20;
	long long start = 1740787200; /* 2025-03-01 00:00:00 UTC */
	int one_line = 0;
	pool_t pools[16];
	size_t npools = 0;
	unsigned total_weight = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(a, "-s") && i + 1 < argc)
			size = num(argv[++i], "bad size");
		else if (!strcmp(a, "-S") && i + 1 < argc)
			seed = num(argv[++i], "bad seed");
		else if (!strcmp(a, "-R") && i + 1 < argc)
			ppm = num(argv[++i], "bad ppm");
		else if (!strcmp(a, "-t") && i + 1 < argc)
			start = (long long)num(argv[++i], "bad start");
		else if (!strcmp(a, "-L") && i + 1 < argc)
			per_s = num(argv[++i], "bad lines per second");
		else if (!strcmp(a, "-r") && i + 1 < argc)
			relevant = argv[++i];
		else if (!strcmp(a, "-1"))
			one_line = 1;
		else if (a[0] != '-' && npools < 16) {
			char *path = strdup(a), *colon = strrchr(path, ':');
			unsigned w = 1;
			if (colon) {
				*colon = 0;
				w = (unsigned)num(colon + 1, "bad weight");
			}
			memset(&pools[npools], 0, sizeof pools[npools]);
			load(&pools[npools], path);
			pools[npools].weight = w;
			total_weight += w;
			npools++;
			free(path);
		} else
			die("usage: bench-gen -o OUT -s BYTES [-S SEED] [-R PPM] [-t EPOCH] [-L N] [-1] "
			    "-r RELEVANT POOL[:WEIGHT]...", NULL);
	}
	if (!out || !size || !relevant || !npools || !total_weight || !per_s)
		die("missing -o, -s, -r or a noise pool", NULL);
	pool_t rel = {0};
	load(&rel, relevant);
	rng_state = seed;
	FILE *f = fopen(out, "w");
	if (!f)
		die("cannot create", out);
	static char buf[1 << 20];
	setvbuf(f, buf, _IOFBF, sizeof buf);
	static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	unsigned long long written = 0, lines = 0;
	while (written < size) {
		time_t t = (time_t)(start + (long long)(lines / per_s));
		struct tm tm;
		gmtime_r(&t, &tm);
		const char *msg;
		if (rng() % 1000000 < ppm) {
			msg = rel.lines[rng() % rel.n];
		} else {
			unsigned w = (unsigned)(rng() % total_weight);
			size_t p = 0;
			while (w >= pools[p].weight)
				w -= pools[p++].weight;
			msg = pools[p].lines[rng() % pools[p].n];
		}
		char head[32];
		int hn = snprintf(head, sizeof head, "%s %2d %02d:%02d:%02d ", mon[tm.tm_mon],
				  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		fwrite(head, 1, (size_t)hn, f);
		size_t mn = strlen(msg);
		fwrite(msg, 1, mn, f);
		written += (unsigned long long)hn + mn + 1;
		lines++;
		fputc(one_line && written < size ? ' ' : '\n', f);
	}
	if (fclose(f) != 0)
		die("write error", out);
	fprintf(stderr, "bench-gen: %s: %llu bytes, %llu lines\n", out, written, lines);
	return 0;
}
