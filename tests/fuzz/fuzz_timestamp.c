/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_timestamp.c - the timestamp parsers: log line headers (ISO 8601,
 * BSD syslog, day-first, <PRI>, RFC 5424), bare ISO 8601 and --since/--until
 * arguments; formatting every parsed time back.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "input/normalize.h"

static void check_time(const ips_time_t *t)
{
	char buf[64];
	if (t->valid)
		ips_time_format(t, buf, sizeof buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exact-size copy, no terminator: an overread is an ASan report */
	char *s = malloc(size ? size : 1);
	memcpy(s, data, size);
	ips_year_ctx_t yc = {.year = size ? 1970 + data[0] % 200 : 0, .ref = 1735689600};
	ips_line_meta_t m;
	ips_parse_line_header(s, size, &yc, &m);
	check_time(&m.time);
	yc.year = 0;
	ips_parse_line_header(s, size, &yc, &m);
	check_time(&m.time);
	ips_time_t t;
	if (ips_time_parse_iso(s, size, &t))
		check_time(&t);
	free(s);
	char *z = malloc(size + 1);
	memcpy(z, data, size);
	z[size] = '\0';
	if (ips_time_parse_arg(z, 1735689600, &t))
		check_time(&t);
	free(z);
	return 0;
}
