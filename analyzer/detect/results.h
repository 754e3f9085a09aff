/* SPDX-License-Identifier: Apache-2.0 */
/*
 * results.h - what a scan produces and the reporters consume: inputs,
 * findings, correlation events and notes.
 *
 * Ownership: an ips_results_t owns all of it (inputs are freed with
 * ips_input_free()); entries and detectors are borrowed from the rules,
 * which must outlive the results.
 */
#ifndef IPS_RESULTS_H
#define IPS_RESULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "input/normalize.h"
#include "detect/rules.h"
#include "util/util.h"

typedef enum ips_input_status {
	IPS_INPUT_OK = 0,
	IPS_INPUT_PARTIAL = 1,
	IPS_INPUT_ERROR = 2,
	IPS_INPUT_EMPTY = 3,
} ips_input_status_t;

const char *ips_input_status_name(ips_input_status_t s);

/*
 * One input's entry in the report. A scan of a million files keeps a million
 * of them, so an entry is one allocation of 72 bytes (an 80-byte malloc
 * chunk) plus, made by ips_input_new(), its path and source copied after it
 * (a 38-byte path: a 128-byte chunk). An entry made by ips_input_borrow()
 * borrows its path instead (cron mode: the path in the state's arena, which
 * outlives the results): an 80-byte chunk. Freed by ips_input_free(), the
 * path and source with it, never on their own.
 */
typedef struct ips_input {
	const char *path;        /* the input's name: in the entry, or borrowed */
	const char *source;      /* the machine the input comes from (--source-host), or NULL */
	const char *format;      /* canonical format name, NULL if never opened */
	char *error;             /* first error, with position; NULL if none (owned) */
	char *note;              /* e.g. binary input, records cut at the cap (owned) */
	uint64_t records;
	uint64_t bytes;
	uint64_t findings;
	uint64_t truncated : 56; /* records cut at the record-size cap */
	uint64_t status : 7;     /* ips_input_status_t */
	uint64_t pooled : 1;     /* in its results' pool (ips_results_borrow_input()) */
} ips_input_t;

/* A new entry (status OK, counts 0) for path, from source (NULL: none);
 * both strings are copied into it. */
ips_input_t *ips_input_new(const char *path, const char *source);
/* The same, but path is borrowed: it must outlive the entry (source is copied). */
ips_input_t *ips_input_borrow(const char *path, const char *source);
/* Free an entry with its error and note; NULL is a no-op. (An entry of a
 * results' pool keeps its 72 bytes until the results are freed.) */
void ips_input_free(ips_input_t *in);

typedef struct ips_finding {
	char id[17];
	const ips_detector_t *det;   /* the rule; for generated detectors, the declared parent */
	const ips_entry_t *entry;
	ips_severity_t severity;
	size_t input;                /* index into results->inputs */
	uint64_t line;
	uint64_t offset;
	ips_time_t time;
	char *host;
	ips_kv_t *fields;
	size_t nfields;
	char *text;                  /* the record, up to 2 KiB */
} ips_finding_t;

/* A record naming a range marker: input to the correlator, never a finding. */
typedef struct ips_event {
	const ips_entry_t *entry;
	size_t input;
	uint64_t line;
	uint64_t offset;
	ips_time_t time;
	char *host;
	ips_kv_t *fields;
	size_t nfields;
} ips_event_t;

typedef enum ips_incident_kind {
	IPS_INC_NEGOTIATION = 0,  /* codes of one negotiation (13800-13909 range, or BEGIN..END) */
	IPS_INC_UNTERMINATED = 1, /* a BEGIN marker with no END within the window */
	IPS_INC_PAIR = 2,         /* a start event and its failed outcome */
	IPS_INC_UNANSWERED = 3,   /* a start event with no outcome within the window */
	IPS_INC_THRESHOLD = 4,    /* N failures of one key within T */
	IPS_INC_GROUP = 5,        /* related findings of one key close in time */
} ips_incident_kind_t;

const char *ips_incident_kind_name(ips_incident_kind_t k);
/* The kind by its name; false when the name is none of them. */
bool ips_incident_kind_parse(const char *name, ips_incident_kind_t *out);

/*
 * A window of the correlator's streamed stage as it closed: a negotiation
 * (BEGIN..END, or codes of the range), an unterminated BEGIN, a start with
 * its failure, or a start left unanswered. Kept in the results so that the
 * NDJSON report can carry it and `merge` can rebuild the incidents without
 * the events that opened it.
 */
typedef struct ips_window {
	char *correlation;           /* id of the correlation rule */
	ips_incident_kind_t kind;    /* negotiation, unterminated, pair or unanswered */
	size_t input;                /* where it opened: index into results->inputs */
	uint64_t line;
	ips_time_t first, last;
	ips_kv_t *key;               /* peer, local, conn, user, host of the opening record */
	size_t nkey;
	size_t *findings;            /* indexes into results->findings, in input order */
	size_t nfindings;
} ips_window_t;

/*
 * An incident's verdict (SPEC "Verdicts"; docs/correlation.md): the fault
 * class and phase from the class list, which side refused and whose log
 * holds the reason, the evidence, the classes ruled out, what to collect
 * from the other side, the fixes ranked by the evidence, and each input's
 * estimated clock offset. Built by the correlator (correlate/verdict.c);
 * class, phase and side strings are static, the rest is owned.
 */
typedef struct ips_verdict_item {
	char *a, *b, *c;             /* ruled_out: class, why; collect and fixes: implementation, kind, text */
	char *d;                     /* fixes: why it is ranked where it is */
} ips_verdict_item_t;

typedef struct ips_verdict_side {
	const char *side;            /* "local", "peer", "path" or "unknown" */
	char *host;                  /* the machine, where known (NULL) */
	size_t input;                /* local: an input that holds it (SIZE_MAX: none) */
} ips_verdict_side_t;

typedef struct ips_verdict {
	const char *cls;
	const char *phase;
	ips_verdict_side_t refused_by, reason_in;
	size_t *evidence;            /* finding indexes */
	size_t nevidence;
	ips_verdict_item_t *ruled_out, *collect, *fixes;
	size_t nruled_out, ncollect, nfixes;
	size_t *offset_input;        /* clock offsets: input index and seconds */
	int64_t *offset_sec;
	size_t noffsets;
} ips_verdict_t;

void ips_verdict_free(ips_verdict_t *v);

/*
 * An incident: findings that belong together, with the one that explains
 * the others first. Built by the correlator after (or, in live mode, while)
 * the inputs are read.
 */
typedef struct ips_incident {
	char id[17];                 /* stable: a hash of the correlation and its findings */
	const char *correlation;     /* id of the correlation rule that made it */
	ips_incident_kind_t kind;
	ips_kv_t *key;               /* what ties it together: peer, local, conn, user, host */
	size_t nkey;
	ips_time_t first, last;      /* span (BEGIN..END for bracketed negotiations) */
	ips_severity_t severity;     /* the highest of its findings (warning when it has none) */
	size_t *findings;            /* indexes into results->findings, root cause first */
	size_t nfindings;
	const ips_entry_t *root;     /* the root cause's entry; NULL when there is no finding */
	const ips_entry_t **codes;   /* distinct entries, root first */
	size_t ncodes;
	char *title;                 /* what happened, in words */
	/* where the incident starts when it has no finding (unanswered, unterminated) */
	size_t input;
	uint64_t line;
	ips_verdict_t *verdict;      /* owned; NULL only while it is built */
} ips_incident_t;

typedef struct ips_results {
	ips_vec_t inputs;    /* ips_input_t * */
	ips_vec_t findings;  /* ips_finding_t * */
	ips_vec_t events;    /* ips_event_t * */
	ips_vec_t incidents; /* ips_incident_t *, in order of their first time */
	ips_vec_t windows;   /* ips_window_t *: the streamed stage's windows, as they closed */
	ips_vec_t notes;     /* char *: run-wide messages (a rule hit its match limit) */
	uint64_t records;
	uint64_t events_total; /* events seen (the report lists the first 10000) */
	uint64_t filtered;   /* findings dropped by --since/--until/--min-severity */
	ips_input_t **pool;  /* entries of ips_results_borrow_input(), IPS_INPUT_POOL a block */
	size_t npool;
} ips_results_t;

#define IPS_INPUT_POOL 4096

/* Events listed in the report (all of them are correlated, and counted). */
#define IPS_EVENTS_KEPT 10000

ips_results_t *ips_results_new(void);
/*
 * An entry as ips_input_borrow() makes it (path borrowed, source copied),
 * but with no source in r's pool: 72 bytes of a block, not an allocation of
 * its own (an 80-byte malloc chunk); freed with r. Not added to r->inputs.
 */
ips_input_t *ips_results_borrow_input(ips_results_t *r, const char *path, const char *source);
void ips_results_free(ips_results_t *r);
/* Free one finding or incident with what it owns (live mode drops them once written). */
void ips_finding_free(ips_finding_t *f);
void ips_incident_free(ips_incident_t *x);
void ips_window_free(ips_window_t *w);
/* The highest severity among the incidents, or where there are none the findings (IPS_SEV_NONE when none). */
ips_severity_t ips_results_max_severity(const ips_results_t *r);
/*
 * Move everything of `from` to the end of `to`, as if it had been scanned
 * after what `to` holds: input indexes shift, events past IPS_EVENTS_KEPT are
 * dropped (and counted), counters add up. `from` is left empty. Incidents
 * are not moved (merge before correlating). Input entries are copied into
 * new allocations (of the calling thread: see results.c), so pointers to
 * `from`'s entries do not survive the call.
 */
void ips_results_append(ips_results_t *to, ips_results_t *from);
/* Look up a field of a finding, NULL if absent. */
const char *ips_finding_field(const ips_finding_t *f, const char *key);

#endif
