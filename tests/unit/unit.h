/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Set-up shared by the unit tests: rules from the built-in knowledge base
 * and/or a YAML text, times in UTC, a scratch directory under /tmp and
 * files in it. Include it after <cmocka.h> (the file helpers assert).
 *
 * The helpers are static inline so that a suite using only some of them
 * builds without warnings about the others.
 */
#ifndef IPS_TESTS_UNIT_H
#define IPS_TESTS_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "correlate/correlate.h"
#include "detect/rules.h"

/* Local times are UTC, whatever the machine's zone. */
static inline void ut_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

/* The built-in knowledge base (if builtin), then the YAML text (if yaml)
 * read as the file name, finalized. The diagnostics go to stderr; NULL if
 * a step failed. */
static inline ips_rules_t *ut_rules(bool builtin, const char *name, const char *yaml)
{
	ips_diag_t d;
	ips_diag_init(&d);
	ips_rules_t *r = ips_rules_new();
	ips_status_t st = IPS_OK;
	if (builtin)
		st = ips_rules_add_builtin(r, &d);
	if (st == IPS_OK && yaml)
		st = ips_rules_add_buffer(r, name, yaml, strlen(yaml), false, &d);
	if (st == IPS_OK)
		st = ips_correlate_finalize_rules(r, &d);
	ips_diag_print(&d, stderr);
	ips_diag_free(&d);
	if (st != IPS_OK) {
		ips_rules_free(r);
		return NULL;
	}
	return r;
}

/* Make a new directory from tmpl ("/tmp/name-XXXXXX", changed in place);
 * 0 or -1, the cmocka set-up convention. */
static inline int ut_mkdtemp(char *tmpl)
{
	return mkdtemp(tmpl) ? 0 : -1;
}

/* Remove dir and everything in it; 0 or -1. */
static inline int ut_rmtree(const char *dir)
{
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* dir/name, in one of eight static buffers: a few stay valid at once. */
static inline char *ut_path(const char *dir, const char *name)
{
	static char paths[8][600];
	static int k;
	char *p = paths[k++ % 8];
	snprintf(p, sizeof paths[0], "%s/%s", dir, name);
	return p;
}

/* Write len bytes of data to dir/name; its path, as ut_path. */
static inline char *ut_write_data(const char *dir, const char *name, const void *data, size_t len)
{
	char *p = ut_path(dir, name);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return p;
}

/* Write text to dir/name; its path, as ut_path. */
static inline char *ut_write_file(const char *dir, const char *name, const char *text)
{
	return ut_write_data(dir, name, text, strlen(text));
}

#endif
