/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verdict_priv.h - the verdict's private state, shared by verdict.c (the
 * class table, the class of an incident) and verdict_fixes.c (the `fixes`
 * table, fixes and what to collect) and by nothing else. Other modules use
 * verdict.h (whose typedef ips_verdict_rules_t names struct ips_verdict_rules;
 * this header does not include it, so the two do not include each other).
 */
#ifndef IPS_VERDICT_PRIV_H
#define IPS_VERDICT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/results.h"
#include "detect/rules.h"

/* The classes' indexes in ips_verdict_classes[]. */
enum {
	K_UNREACH, K_IKE_PROP, K_CHILD_PROP, K_TS, K_PSK, K_ID, K_CERT_UNTRUSTED, K_CERT_EXPIRED,
	K_CERT_MISSING, K_CERT_EKU, K_KEY_MISSING, K_AUTH_METHOD, K_USER, K_VERSION, K_INSTALL,
	K_CONFIG, K_DAEMON, K_DPD, K_NAT, K_POLICY, K_CLIENT, K_ONE_WAY, K_REKEY, K_BENIGN,
	K_RECOVERED, K_UNKNOWN, K_COUNT
};

#define MAX_CLS 24

typedef struct vinfo {
	uint8_t cls[MAX_CLS];  /* class indexes, likeliest first */
	int n;
	bool any;
	const char *side;      /* static: "local", "peer", "path" */
	const char *phase;     /* static, or NULL: the class's default */
} vinfo_t;

typedef struct ventry {
	const ips_entry_t *e;
	vinfo_t info;
} ventry_t;

typedef struct vcat {
	char name[32];
	vinfo_t info;
} vcat_t;

/* One fix: a line of a `fixes` table (rules/correlate/fixes.yaml). */
typedef struct vfix {
	int cls;
	char *impl;
	char *text;
} vfix_t;

struct ips_verdict_rules {
	ventry_t *ent;
	size_t nent;
	vcat_t *cat;
	size_t ncat;
	vfix_t *fix;           /* in the table's order */
	size_t nfix;
};

#define IPS_VERDICT_MAX_IMPLS 16

/* The implementations of an incident: a small set of names (borrowed). */
typedef struct ips_impl_set {
	const char *name[IPS_VERDICT_MAX_IMPLS];
	size_t n;
} ips_impl_set_t;

/* verdict.c: the index of a class name, or -1. */
int ips_verdict_class_index(const char *name);
/* verdict.c: append an item (its strings copied) to *it. */
void ips_verdict_push_item(ips_verdict_item_t **it, size_t *n, const char *a, const char *b,
			   const char *c, const char *d);

/*
 * verdict_fixes.c: a `fixes` key "CLASS/IMPLEMENTATION": the class's index
 * and the implementation in impl (n bytes); -1 with a reason in err.
 */
int ips_verdict_fix_key(const char *key, char *impl, size_t n, char *err, size_t errn);
/* verdict_fixes.c: the lines of one `fixes` value into v's table. */
void ips_verdict_add_fix_lines(struct ips_verdict_rules *v, const char *key, const char *value);
/* verdict_fixes.c: the implementation a source or format stands for (static), or NULL. */
const char *ips_verdict_impl_of(const char *name);
void ips_verdict_impl_add(ips_impl_set_t *s, const char *name);
/* verdict_fixes.c: the fixes of the classes in order, for the incident's implementations. */
void ips_verdict_add_fixes(const struct ips_verdict_rules *vr, ips_verdict_t *v,
			   const ips_impl_set_t *formats, const ips_impl_set_t *sources,
			   const int *order, int norder, const char *because);
/* verdict_fixes.c: what to fetch from the other side (peer may be NULL). */
void ips_verdict_add_collect(ips_verdict_t *v, const ips_incident_t *x, const char *peer, int cls);

#endif
