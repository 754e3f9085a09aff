/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builtin_rules.h - the rules/ files compiled into the binary.
 * tools/rules-blob.c parses them with libyaml at build time and writes each
 * document as a node table (build/builtin_rules.c); the loader rebuilds the
 * yaml_document_t from it without parsing YAML at start-up. Static data:
 * nothing to free.
 */
#ifndef IPS_BUILTIN_RULES_H
#define IPS_BUILTIN_RULES_H

#include <stddef.h>
#include <stdint.h>

typedef struct ips_builtin_file {
	const char *name;      /* path below rules/, e.g. "kb/winerror.yaml" */
	const uint32_t *nodes; /* node table: see tools/rules-blob.c */
	size_t nwords;
	const char *pool;      /* the scalar values, each ending in NUL */
} ips_builtin_file_t;

extern const ips_builtin_file_t ips_builtin_rules[];
extern const size_t ips_builtin_rules_count;

#endif
