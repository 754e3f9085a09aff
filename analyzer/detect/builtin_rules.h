/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtin_rules.h - the rules/ files compiled into the binary.
 * The table is generated at build time by tools/embed.c (build/builtin_rules.c)
 * and is static data: nothing to free.
 */
#ifndef IPS_BUILTIN_RULES_H
#define IPS_BUILTIN_RULES_H

#include <stddef.h>

typedef struct ips_builtin_file {
	const char *name;   /* path below rules/, e.g. "kb/winerror.yaml" */
	const char *data;
	size_t len;
} ips_builtin_file_t;

extern const ips_builtin_file_t ips_builtin_rules[];
extern const size_t ips_builtin_rules_count;

#endif
