/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.h - the knowledge base, detectors and correlations loaded from YAML.
 *
 * Ownership: an ips_rules_t owns every entry, detector and string reachable
 * from it; pointers returned by the accessors stay valid until
 * ips_rules_free(). Loading never prints: problems go to an ips_diag_t as
 * "FILE:LINE:COLUMN: message" lines for the caller to show.
 */
#ifndef IPS_RULES_H
#define IPS_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/status.h"
#include "util/util.h"

typedef enum ips_severity {
	IPS_SEV_NONE = 0, /* only for --fail-on none */
	IPS_SEV_INFO = 1,
	IPS_SEV_WARNING = 2,
	IPS_SEV_ERROR = 3,
	IPS_SEV_CRITICAL = 4,
} ips_severity_t;

const char *ips_severity_name(ips_severity_t s);
/* Parse "info", "warning", ...; "none" only when allow_none. */
bool ips_severity_parse(const char *s, bool allow_none, ips_severity_t *out);

typedef struct ips_strlist {
	char **items;
	size_t len;
} ips_strlist_t;

/* One knowledge-base entry (see docs/rules.md). */
typedef struct ips_entry ips_entry_t;
struct ips_entry {
	char *name;
	bool has_code;
	int64_t code;
	char *hex;
	char *source;
	char *message;
	char *range;
	char *marker;        /* NULL, "begin", "end" or "extended-end" */
	bool event;          /* a correlation event (a success, a start), never a finding */
	ips_severity_t severity;
	char *category;
	char *summary;
	ips_strlist_t causes, diagnose, resolve, related, aliases;
	ips_strlist_t references; /* where the facts come from: an address, RFC or repo:path first */
	ips_strlist_t candidates; /* a text several codes share: the entries it may be */
	const struct ips_entry **cand; /* candidates resolved (finalize), cand_len of them */
	size_t cand_len;
	int64_t event_id;    /* a Windows event id (windows-event entries), 0 if none */
	int notify;          /* IKE notify number, 0 if none */
	char *ike_version;
	char *file;
	int line;
	int col;
};

typedef struct ips_example {
	char *line;
	char *name;          /* expected finding name, or NULL */
	ips_kv_t *fields;    /* expected fields */
	size_t nfields;
	int src_line;
} ips_example_t;

/* One detector (see docs/rules.md). ips_rules_finalize() compiles its regex
 * into `re` (read-only afterwards, shared by every matcher); match data and
 * JIT stacks belong to each ips_matcher_t. */
typedef struct ips_detector {
	char *id;
	char *description;
	ips_strlist_t literals;
	ips_strlist_t literals_and; /* "literals_and:": a record must hold one of these too */
	ips_strlist_t covers;   /* "covers:" PRODUCT: RELEASES, documentation only */
	bool nocase;
	char *regex;
	char *name;          /* fixed entry name, or NULL when lookup is used */
	char *lookup;        /* capture to resolve through the knowledge base */
	ips_severity_t severity; /* IPS_SEV_NONE: take the entry's */
	ips_strlist_t formats;
	ips_strlist_t messages;  /* "messages:" sources: generate from entry texts */
	ips_example_t *match;
	size_t nmatch;
	ips_example_t *no_match;
	size_t nno_match;
	const ips_entry_t *entry; /* resolved `name` */
	const struct ips_detector *parent; /* generated from a `messages:` detector */
	char *promote_after;         /* promote: an event seen earlier in the negotiation... */
	char *promote_name;          /* ...makes the finding this entry instead */
	const ips_entry_t *promote_entry;
	void *re;            /* compiled pcre2_code; JIT on first use: ips_detector_code() */
	unsigned char jit_done; /* set once re is JIT-compiled (or JIT was tried): atomic */
	uint32_t lookup_group; /* capture number of `lookup` */
	char *file;
	int line;
	int col;
	bool builtin;
} ips_detector_t;

/*
 * A `lookups:` example: a key as `explain` takes it and what it must give
 * (checked by `rules test`): the entry names found, whether the key is
 * ambiguous across kinds, or, for an unknown key, names it must suggest.
 */
typedef struct ips_lookup_example {
	char *key;
	ips_strlist_t names;
	ips_strlist_t suggests;
	bool ambiguous;
	char *file;
	int line;
} ips_lookup_example_t;

/* A correlation declaration, kept as parsed key/values for the correlator. */
typedef struct ips_correlation {
	char *id;
	char *kind;
	ips_kv_t *params;
	size_t nparams;
	char *file;
	int line;
} ips_correlation_t;

/* Diagnostics collected while loading or linting. */
typedef struct ips_diag {
	ips_vec_t lines;     /* char * */
	size_t errors;
	size_t warnings;
} ips_diag_t;

void ips_diag_init(ips_diag_t *d);
void ips_diag_free(ips_diag_t *d);
void ips_diag_add(ips_diag_t *d, bool error, const char *file, int line, int col,
		  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void ips_diag_print(const ips_diag_t *d, FILE *out);

typedef struct ips_rules ips_rules_t;

ips_rules_t *ips_rules_new(void);
void ips_rules_free(ips_rules_t *r);

/* Parse one YAML document; its items replace items with the same key. */
ips_status_t ips_rules_add_buffer(ips_rules_t *r, const char *file, const char *data,
				  size_t len, bool builtin, ips_diag_t *d);
/* A file, or a directory read recursively in name order (*.yaml, *.yml). */
ips_status_t ips_rules_add_path(ips_rules_t *r, const char *path, ips_diag_t *d);
/* The rules compiled into the binary. */
ips_status_t ips_rules_add_builtin(ips_rules_t *r, ips_diag_t *d);
/*
 * Check references and build lookup tables. After this the rules are
 * read-only. Returns IPS_E_RULES when any error was added to d.
 * Correlation declarations are parsed and checked by the correlator's stage:
 * loaders call ips_correlate_finalize_rules() (correlate/correlate.h), which
 * calls this first.
 */
ips_status_t ips_rules_finalize(ips_rules_t *r, ips_diag_t *d);

size_t ips_rules_entry_count(const ips_rules_t *r);
const ips_entry_t *ips_rules_entry_at(const ips_rules_t *r, size_t i); /* sorted by name */
/* Declared detectors, sorted by id (what `rules list` shows). */
size_t ips_rules_detector_count(const ips_rules_t *r);
const ips_detector_t *ips_rules_detector_at(const ips_rules_t *r, size_t i);
/*
 * The detectors the matcher runs: the declared ones, with each `messages:`
 * detector expanded into one generated detector per message text.
 */
size_t ips_rules_active_count(const ips_rules_t *r);
const ips_detector_t *ips_rules_active_at(const ips_rules_t *r, size_t i);
/*
 * The detector's compiled regex, JIT-compiled on its first use (a one-line
 * scan then JIT-compiles no regex, a large scan only the detectors some
 * line made candidates). Thread-safe: the first caller compiles under a
 * lock, the others wait; call it before every pcre2_match() on d->re.
 * IPSEC_SCAN_NO_JIT=1 leaves the regexes to the interpreter.
 */
void *ips_detector_code(const ips_detector_t *d);
/* The input format names a detector's `formats:` may use. */
bool ips_format_name_known(const char *name);
/*
 * An extractor: a regex run on every record that produced a hit, adding
 * its named captures as fields the hit lacks (a peer address named
 * anywhere in a line, a user=...). Stored as a detector with no name.
 */
size_t ips_rules_extractor_count(const ips_rules_t *r);
const ips_detector_t *ips_rules_extractor_at(const ips_rules_t *r, size_t i);

size_t ips_rules_lookup_example_count(const ips_rules_t *r);
const ips_lookup_example_t *ips_rules_lookup_example_at(const ips_rules_t *r, size_t i);

size_t ips_rules_correlation_count(const ips_rules_t *r);
const ips_correlation_t *ips_rules_correlation_at(const ips_rules_t *r, size_t i);
/*
 * The correlations in the correlator's parsed form (correlate/config.c),
 * opaque here: set once by ips_correlate_finalize_rules(), so that every
 * correlator shares one parse. The rules own it from then on and free it
 * with free_fn in ips_rules_free() (a second call replaces the first).
 */
void ips_rules_set_correlation_config(ips_rules_t *r, void *cfg, void (*free_fn)(void *));
/* NULL until set. */
const void *ips_rules_correlation_config(const ips_rules_t *r);

const ips_entry_t *ips_rules_by_name(const ips_rules_t *r, const char *name);
const ips_entry_t *ips_rules_by_code(const ips_rules_t *r, int64_t code);

/*
 * Resolve one key the way `explain` and `lookup:` detectors do: decimal code,
 * hex (0x35E9, 0x000035E9), HRESULT (0x800735E9 or signed decimal
 * -2147011095), symbolic name or alias (any case), or the exact message text
 * (tolerant of case, a final period and runs of white space).
 * Returns NULL when the key names nothing.
 */
const ips_entry_t *ips_rules_lookup(const ips_rules_t *r, const char *key, size_t len);

/* The entry whose message text equals text (normalised as for lookups), or NULL. */
const ips_entry_t *ips_rules_by_message(const ips_rules_t *r, const char *text, size_t len);

/* The HRESULT_FROM_WIN32 form of a code ("0x800735E9"), into buf. */
void ips_entry_hresult(const ips_entry_t *e, char *buf, size_t n, int64_t *signed_out);

#endif
