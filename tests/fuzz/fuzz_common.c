/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_common.c - see fuzz.h. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/results.h"
#include "correlate/correlate.h"
#include "detect/rules.h"
#include "detect/scan.h"
#include "run/batch.h"
#include "input/source.h"
#include "util/util.h"

typedef struct mem_source {
	ips_source_t base;
	const uint8_t *p;
	size_t n, pos;
} mem_source_t;

/* Short reads of varying size, as pipes and decompressors give them. */
static ssize_t mem_read(ips_source_t *src, void *buf, size_t n)
{
	mem_source_t *m = (mem_source_t *)src;
	size_t left = m->n - m->pos;
	size_t k = n < left ? n : left;
	if (k > 1 && (m->pos & 1))
		k = k / 2 + 1;
	memcpy(buf, m->p + m->pos, k);
	m->pos += k;
	return (ssize_t)k;
}

static void mem_close(ips_source_t *src)
{
	(void)src;
}

static ips_rules_t *rules;

static const ips_rules_t *builtin_rules(void)
{
	if (!rules) {
		ips_diag_t d;
		ips_diag_init(&d);
		rules = ips_rules_new();
		if (ips_rules_add_builtin(rules, &d) != IPS_OK ||
		    ips_correlate_finalize_rules(rules, &d) != IPS_OK) {
			ips_diag_print(&d, stderr);
			abort();
		}
		ips_diag_free(&d);
	}
	return rules;
}

void fuzz_scan(const uint8_t *data, size_t size, const char *format)
{
	fuzz_scan_rules(builtin_rules(), data, size, format);
}

void fuzz_scan_rules(const ips_rules_t *r, const uint8_t *data, size_t size, const char *format)
{
	ips_scan_opts_t so;
	ips_scan_opts_default(&so);
	so.input_format = format;
	so.year = 2025;
	/* small limits, so the fuzzer reaches the paths where they bite */
	so.frame.max_record = 4096;
	so.frame.block = 8192;
	so.archive.max_member_bytes = 1 << 20;
	so.archive.max_input_bytes = 4 << 20;
	so.archive.max_depth = 3;
	mem_source_t *m = ips_xcalloc(1, sizeof *m);
	m->base.name = ips_xstrdup("fuzz-input");
	m->base.size = -1;
	m->base.read = mem_read;
	m->base.close = mem_close;
	m->p = data;
	m->n = size;
	/* the built-in rules' matcher is kept: building it is most of a scanner's cost */
	static ips_matcher_t *builtin_m;
	if (r == rules && !builtin_m)
		builtin_m = ips_matcher_new(r, &so.match);
	ips_results_t *res = ips_results_new();
	ips_batch_t *sc = r == rules ? ips_batch_new_shared(r, &so, res, builtin_m)
				       : ips_batch_new(r, &so, res);
	(void)ips_batch_scan_source(sc, &m->base);
	ips_batch_finish(sc);
	ips_batch_free(sc);
	ips_source_close(&m->base);
	ips_results_free(res);
}
