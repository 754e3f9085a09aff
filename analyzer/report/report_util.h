/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_util.h - pieces the report writers share: which incidents a
 * finding belongs to, the findings left outside every incident grouped by
 * condition, keys and codes as words, and a careful UTF-8 walker (log text
 * is untrusted and need not be valid UTF-8).
 *
 * Ownership: an index is filled and emptied by the caller (init/free);
 * functions returning char * return memory the caller frees; pointers into
 * the results stay valid while the results live.
 */
#ifndef IPS_REPORT_UTIL_H
#define IPS_REPORT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "detect/results.h"
#include "report/report.h"

/* For each finding, the incidents it belongs to (in incident order). */
typedef struct ips_report_index {
	size_t *off;    /* findings.len + 1 offsets into inc */
	size_t *inc;    /* indexes into results->incidents */
	size_t loose;   /* findings in no incident */
} ips_report_index_t;

void ips_report_index_init(ips_report_index_t *x, const ips_results_t *res);
void ips_report_index_free(ips_report_index_t *x);
/* The incidents finding fi belongs to: sets *out, returns how many (0: none). */
size_t ips_report_incidents_of(const ips_report_index_t *x, size_t fi, const size_t **out);

/* Findings in no incident, grouped by knowledge entry. */
typedef struct ips_report_group {
	const ips_entry_t *entry;
	ips_severity_t severity; /* the highest of the group */
	size_t first;            /* index of its first finding */
	size_t count;
} ips_report_group_t;

/*
 * Group the findings that belong to no incident by entry, most severe
 * first, then in order of first appearance (the text report's order).
 * *out is owned by the caller; returns the number of groups.
 */
size_t ips_report_loose_groups(const ips_results_t *res, const ips_report_index_t *x,
			       ips_report_group_t **out);

/*
 * Incidents of one kind: the same fault class (the verdict's, else the
 * incident kind's name) and root cause. Sorted most severe first, then the
 * most incidents, the most findings, the earliest.
 */
typedef struct ips_report_kind {
	const char *cls;
	const ips_entry_t *root;  /* NULL: incidents without a finding */
	ips_severity_t severity;  /* the highest of its incidents */
	size_t incidents, findings;
	size_t first;             /* its first incident (index into results->incidents) */
} ips_report_kind_t;

/* The kinds into *out; (*of)[i] is incident i's kind (an index into *out).
 * Both owned by the caller; returns the number of kinds. */
size_t ips_report_kinds(const ips_results_t *res, ips_report_kind_t **out, size_t **of);

/*
 * Evidence rows, for the writers with tables (HTML, Markdown): row() is
 * called for each finding shown, with the third column's text (the entry's
 * name for an incident, the finding's key for a group), then more() once
 * with the number left out when some were.
 */
typedef struct ips_report_rows {
	void (*row)(void *ctx, const ips_finding_t *f, const char *third);
	void (*more)(void *ctx, size_t left);
	void *ctx;
} ips_report_rows_t;

/* An incident's findings, root cause first, at most max. */
void ips_report_incident_rows(const ips_results_t *res, const ips_incident_t *x, size_t max,
			      const ips_report_rows_t *r);
/* A group's findings that belong to no incident, at most max. */
void ips_report_group_rows(const ips_results_t *res, const ips_report_index_t *idx,
			   const ips_report_group_t *g, size_t max, const ips_report_rows_t *r);
/* What a finding says beyond its record: "What differs" (mismatch) and
 * "Reason given" (reason); labels[i] and values[i], returns how many (0-2). */
size_t ips_report_finding_why(const ips_finding_t *f, const char *labels[2], const char *values[2]);

/*
 * Was the year of f's time guessed? True for a record whose time stamp
 * carries no year (BSD syslog "Mar  1 10:00:00", day-first "17 Aug
 * 04:14:35"): its year came from the file's modification time or --year.
 */
bool ips_report_year_guessed(const ips_finding_t *f);

/* Findings per severity, indexed by ips_severity_t. */
void ips_report_count_severities(const ips_results_t *res, size_t by[5]);
/* "7 error, 1 warning" (most severe first), or "none"; into buf. */
void ips_report_severity_words(const size_t by[5], char *buf, size_t n);
/* An input that was not read whole, was empty, or carries a note. */
bool ips_report_input_has_problem(const ips_input_t *in);
/* A file inside a folder or archive skipped as not a log: its kind ("Markdown
 * document") into buf; false for any other input. */
bool ips_report_input_skipped(const ips_input_t *in, char *buf, size_t n);

/* "13801, 0x35E9" for an entry with a code, "" otherwise; into buf. */
void ips_report_code_words(const ips_entry_t *e, char *buf, size_t n);
/* The argument that `ipsec-scan explain` takes for an entry, into buf. */
void ips_report_explain_key(const ips_entry_t *e, char *buf, size_t n);

/* "peer=192.0.2.1 conn=home" for a key; "(no key)" when empty. */
char *ips_report_key_words(const ips_kv_t *kv, size_t n);
/*
 * The key a finding would be grouped under on its own: its peer, else its
 * connection, user or host, as "peer=..."; "(no key)" when it names none.
 */
char *ips_report_finding_key(const ips_finding_t *f);
/*
 * Where to look first for an incident: its root finding's input and line,
 * or for an incident without findings the record where it starts.
 */
void ips_report_incident_where(const ips_results_t *res, const ips_incident_t *x,
			       size_t *input, uint64_t *line);

/*
 * The verdict in words: "psk-mismatch in phase ike-auth; refused by this
 * side (east, responder.log); the reason is in this side (...)". The
 * caller frees it; "" when the incident has no verdict.
 */
char *ips_report_verdict_words(const ips_results_t *res, const ips_incident_t *x);

/*
 * Decode one character of s[0..n) (n >= 1): returns the bytes it takes
 * (at least 1). Malformed, overlong, surrogate and out-of-range sequences
 * give U+FFFD for one byte, so any byte string can be walked.
 */
size_t ips_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Append cp as UTF-8 to buf (4 bytes room needed); returns bytes written. */
size_t ips_utf8_encode(uint32_t cp, char *buf);
bool ips_utf8_valid(const char *s);
/* A copy of s with every malformed byte replaced by U+FFFD. */
char *ips_utf8_sanitize(const char *s);
/*
 * Output escaping: every writer passes text that came from the inputs
 * (names of files and members, log text, field values, errors) through one
 * of these, so the output is valid UTF-8 (each malformed byte, a lone or
 * CESU-encoded surrogate included, as U+FFFD) and carries no control
 * character a terminal would act on.
 */
/* Write n bytes of s to out with every malformed byte as U+FFFD. */
void ips_utf8_fwrite(FILE *out, const char *s, size_t n);
/* JSON text (whole lines or documents): as ips_utf8_fwrite, and C1
 * controls (U+0080-U+009F) escaped as \u0080-\u009f. */
void ips_json_fwrite(FILE *out, const char *s, size_t n);
/* Text for a terminal: as ips_utf8_fwrite, and C0 controls, DEL and C1
 * controls shown as '?', a tab as a space; line feeds kept only when
 * keep_newlines (a writer's own layout, after ips_text_put on names). */
void ips_text_fwrite(FILE *out, const char *s, size_t n, bool keep_newlines);
/* One value from the inputs in text: as ips_text_fwrite without line feeds
 * (a name with a line feed cannot forge a report line); cut at a character
 * boundary to at most max bytes, then "...". NULL writes nothing. */
void ips_text_put(FILE *out, const char *s, size_t max);
/* The same as a new string (caller frees). */
char *ips_text_safe(const char *s);
/* A control character a terminal could act on: C0, DEL or C1 (U+0080-U+009F).
 * Writers with their own quoting (CSV, Markdown, XML) show these visibly. */
bool ips_cp_is_control(uint32_t cp);

/*
 * A writer for output produced in pieces (a yajl print callback): writes
 * valid UTF-8 to out, holding back a character split across two pieces.
 * The pieces (yajl's are a few bytes: a quote, a key) are gathered in buf
 * and written in blocks: call ips_utf8_stream_flush() at the end, before
 * anything else is written to out.
 */
typedef struct ips_utf8_stream {
	FILE *out;
	bool json;        /* JSON: C1 controls escaped too (ips_json_fwrite) */
	char carry[4];
	size_t ncarry;
	char buf[8192];
	size_t nbuf;
} ips_utf8_stream_t;

void ips_utf8_stream_write(void *ctx, const char *s, size_t n);
void ips_utf8_stream_flush(ips_utf8_stream_t *st);

/*
 * Escaping for one output syntax, the walk shared by the writers: s is read
 * a character at a time (at most max bytes, cut at a character boundary,
 * then an ellipsis); for each, sub() gives what to write instead: NULL keeps
 * the character (a malformed byte becomes U+FFFD), "" drops it, anything else
 * is written in its place (buf, 16 bytes, is room for a formatted one). s
 * and i let it look at the neighbours. NULL s writes nothing.
 */
typedef const char *(*ips_report_sub_fn)(uint32_t cp, const char *s, size_t i, size_t n,
					  char buf[16], void *ctx);
void ips_report_escape(FILE *out, const char *s, size_t max, ips_report_sub_fn sub, void *ctx);

/* How many bytes of s (of length len) to keep to stay within max bytes, cut at a character boundary. */
size_t ips_utf8_cut(const char *s, size_t len, size_t max);

/*
 * A path as CI tools want it, relative to the working directory: an absolute
 * path under the working directory loses that prefix, a leading "./" is
 * dropped; anything else (outside it, an archive member's "a.zip!x") is
 * kept as it is. *under tells whether the result is relative to the
 * working directory (may be NULL). The caller frees the result.
 */
char *ips_report_rel_path(const char *path, bool *under);

/*
 * A record as evidence, what decides first. A record of Key=Value fields
 * separated by tabs (a Windows event as the readers give it) is split into
 * its Message, the fields that give the error (ErrorCode, ErrorText,
 * FailureReason, FailurePoint, Reason, DataDword, ...) and the other fields
 * that are not the event's envelope ("ErrorCode=809 ConnectionName=x"), and
 * the envelope (Provider=, EventID=, Computer=, Keywords=, RecordID=, ...).
 * Any other record is all message. Parts are owned (NULL when empty).
 */
typedef struct ips_report_evidence {
	char *message;
	char *fields;
	char *envelope;
} ips_report_evidence_t;

void ips_report_evidence_parts(const char *text, ips_report_evidence_t *ev);
void ips_report_evidence_free(ips_report_evidence_t *ev);
/*
 * Is sentence (a summary, its final period aside) said in text already? An
 * incident's title ends with its root cause's summary: writers leave the
 * summary out then (no sentence twice).
 */
bool ips_report_said_in(const char *text, const char *sentence);
/* The verdict's advice in order: the ranked fixes, then what to collect. */
typedef enum ips_report_fix_kind { IPS_FIX_FIRST, IPS_FIX_THEN, IPS_FIX_COLLECT } ips_report_fix_kind_t;
typedef struct ips_report_fix {
	ips_report_fix_kind_t kind;
	const char *impl;   /* the implementation it is for */
	const char *text;
} ips_report_fix_t;

/* At most max_fix fixes and max_collect collects into out (room for both);
 * returns how many. */
size_t ips_report_fixes(const ips_verdict_t *v, size_t max_fix, size_t max_collect,
			ips_report_fix_t *out);
/* An incident's span in words: "T0 to T1 (N s)" in the output zone, or "no time known". */
void ips_report_span_words(const ips_incident_t *x, char *buf, size_t n);

/*
 * The verdict's fixes, ranked, as lines into b: "Fix first IMPL: TEXT",
 * "then IMPL: TEXT" (at most max), then "Collect (IMPL): TEXT" (at most max).
 * prefix starts each line.
 */
void ips_report_fix_lines(ips_buf_t *b, const ips_verdict_t *v, const char *prefix, size_t max);
/* The parts as one line, "message | fields | envelope" (caller frees). */
char *ips_report_evidence_line(const char *text);

/*
 * --output-tz. A writer of a human report calls ips_report_tz_enter() first
 * and ips_report_tz_leave() at the end: in between the process's zone (TZ,
 * process-wide like this state) is the output zone, and ips_report_time()
 * writes "2026-03-05T08:00:00+01:00" in it; without a zone, or outside, the
 * UTC form ending in Z. The zone --tz set for reading is put back after.
 */
typedef struct ips_report_tz {
	bool on;       /* a zone was asked for and is in force */
	char *saved;   /* TZ before, to put back (NULL: it was unset) */
} ips_report_tz_t;

void ips_report_tz_enter(ips_report_tz_t *z, const ips_report_opts_t *o);
void ips_report_tz_leave(ips_report_tz_t *z);
size_t ips_report_time(const ips_time_t *t, char *buf, size_t n);
/* The same, written to out. */
void ips_report_time_put(FILE *out, const ips_time_t *t);
/* A writer's body, run with the --output-tz zone in force (enter, fn, leave). */
ips_status_t ips_report_zoned(ips_status_t (*fn)(FILE *, const ips_results_t *,
						  const ips_rules_t *, const ips_report_opts_t *),
			      FILE *out, const ips_results_t *res, const ips_rules_t *rules,
			      const ips_report_opts_t *o);
/* Broken-down time of sec in the output zone (UTC without one). */
void ips_report_tm(int64_t sec, struct tm *tm);

#endif
