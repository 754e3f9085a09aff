/* SPDX-License-Identifier: Apache-2.0 */
/* rules_list.c - see rules_list.h. */
#include "report/rules_list.h"

#include <yajl_gen.h>

#include "report/report_json.h"

static void print_cb(void *ctx, const char *s, size_t n)
{
	fwrite(s, 1, n, ctx);
}

void ips_rules_list(FILE *out, const ips_rules_t *r, bool json)
{
	size_t nd = ips_rules_detector_count(r), ne = ips_rules_entry_count(r);
	if (!json) {
		fprintf(out, "%zu detectors, %zu knowledge entries, %zu correlations\n\n", nd, ne,
			ips_rules_correlation_count(r));
		for (size_t i = 0; i < nd; i++) {
			const ips_detector_t *d = ips_rules_detector_at(r, i);
			const char *what = d->name     ? d->name
					   : d->lookup ? "(code lookup)"
							: "(message texts)";
			fprintf(out, "%-34s %-40s %s:%d\n", d->id, what, d->file, d->line);
		}
		return;
	}
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	yajl_gen_config(g, yajl_gen_print_callback, print_cb, out);
	yajl_gen_map_open(g);
	ips_json_key(g, "detectors");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < nd; i++) {
		const ips_detector_t *d = ips_rules_detector_at(r, i);
		yajl_gen_map_open(g);
		ips_json_kstr(g, "id", d->id);
		ips_json_kstr(g, "reports", d->name ? d->name : d->lookup ? "lookup" : "messages");
		ips_json_key(g, "builtin");
		yajl_gen_bool(g, d->builtin);
		ips_json_kstr(g, "file", d->file);
		ips_json_kint(g, "line", d->line);
		ips_json_key(g, "covers");
		yajl_gen_array_open(g);
		for (size_t j = 0; j < d->covers.len; j++)
			ips_json_str(g, d->covers.items[j]);
		yajl_gen_array_close(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	ips_json_kint(g, "entries", (long long)ne);
	ips_json_kint(g, "correlations", (long long)ips_rules_correlation_count(r));
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	fputc('\n', out);
}
