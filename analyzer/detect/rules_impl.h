/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_impl.h - what the rules module's files (rules.c, rules_parse.c,
 * rules_load.c, rules_check.c) share: the rule set's layout, its indexes
 * and the free functions. Private: nothing outside detect/rules*.c includes
 * it. Ownership as in rules.h: the rule set owns everything reachable.
 */
#ifndef IPS_RULES_IMPL_H
#define IPS_RULES_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

/* include "detect/rules.h" first (not from here: the two would be an
 * include circle for tools/check-includes) */

/* ---- a small string map (keys compared case-insensitively) ------------- */

typedef struct strmap {
	char **keys;
	void **vals;
	size_t cap;
	size_t len;
} strmap_t;

void rules_strmap_put(strmap_t *m, const char *key, void *val, bool replace);
void *rules_strmap_get(const strmap_t *m, const char *key);

/*
 * Names (borrowed from the items) to positions, compared exactly: the checks
 * for an id or name given twice stay linear in the number of items.
 */
typedef struct idindex {
	const char **keys;
	size_t *vals;
	size_t cap, len;
} idindex_t;

size_t rules_idx_slot(const idindex_t *x, const char *key);
bool rules_idx_get(const idindex_t *x, const char *key, size_t *val);
void rules_idx_put(idindex_t *x, const char *key, size_t val);
void rules_idx_free(idindex_t *x);

/* ---- the rule set ------------------------------------------------------ */

struct ips_rules {
	ips_vec_t entries;      /* ips_entry_t *, sorted by name after finalize */
	ips_vec_t detectors;    /* ips_detector_t *, sorted by id after finalize */
	ips_vec_t active;       /* ips_detector_t *, what the matcher runs */
	ips_vec_t generated;    /* ips_detector_t * owned here (from messages:) */
	ips_vec_t correlations; /* ips_correlation_t * */
	ips_vec_t extractors;   /* ips_detector_t * */
	ips_vec_t lookups;      /* ips_lookup_example_t * */
	strmap_t by_name;       /* name and aliases -> entry */
	strmap_t by_message;    /* normalised message -> entry */
	idindex_t entry_at;     /* name -> index into entries (until finalize sorts them) */
	idindex_t detector_at;  /* id -> index into detectors (likewise) */
	const ips_entry_t *by_code[16384];
	bool finalized;
	void *corr_cfg;         /* the correlator's parse of the correlations (opaque) */
	void (*corr_cfg_free)(void *);
};

/* the categories an entry may name, NULL-terminated; is s one of list? */
extern const char *const rules_categories[];
bool rules_in_list(const char *const *list, const char *s);

void rules_strlist_free(ips_strlist_t *l);
void rules_entry_free(ips_entry_t *e);
void rules_examples_free(ips_example_t *ex, size_t n);
void rules_detector_free(ips_detector_t *d);
void rules_lookup_example_free(ips_lookup_example_t *x);
void rules_correlation_free(ips_correlation_t *c);

/* A message normalised for comparison (trimmed, white space collapsed, final
 * periods dropped); the caller frees it. */
char *rules_norm_message(const char *s, size_t n);

/* The items of one parsed document (a rules file) into r: rules_parse.c. */
ips_status_t rules_add_document(ips_rules_t *r, const char *file, yaml_document_t *doc,
				bool builtin, ips_diag_t *d);

#endif
