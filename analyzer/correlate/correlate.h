/* SPDX-License-Identifier: Apache-2.0 */
/*
 * correlate.h - turn findings and events into incidents, on each record's
 * own timestamp (input order where a record has none).
 *
 * Two stages. While each input is read, the structural correlations run as
 * a stream with memory bounded by their windows: negotiation brackets
 * (ERROR_IPSEC_IKE_NEG_STATUS_BEGIN .. END, or codes of the 13800-13909
 * range close together for one key), start/outcome pairs, and starts or
 * BEGINs left without an end. After all inputs, findings that share a key
 * (the unordered pair of addresses, the peer, the connection, the user;
 * the host only for findings with none of these) within the incident gap
 * (plus the clock skew across inputs) join into one incident, and a
 * threshold of one condition within its window marks it. Every finding
 * ends in exactly one incident; the one that explains the others (by the
 * root-cause order of categories) comes first.
 *
 * Configuration: `correlations:` in rules/ (docs/correlation.md).
 * Owns: its open windows, groups and key copies. Borrows: the rules and the
 * results (findings by index); incidents and windows it builds are added to
 * results->incidents and ->windows, which own them. Created, fed (through
 * ips_correlator_sink()) and finished by a run mode's driver (run/); it
 * knows nothing of state files: open windows go out and come back in as
 * plain data (ips_open_window_t).
 */
#ifndef IPS_CORRELATE_H
#define IPS_CORRELATE_H

#include "detect/finding_sink.h"
#include "detect/results.h"
#include "detect/rules.h"

typedef struct ips_correlator ips_correlator_t;

/* Reads the correlations of the rules; problems are lint errors, see rules lint. */
ips_correlator_t *ips_correlator_new(const ips_rules_t *rules, ips_results_t *res);
/*
 * Build the incidents of ips_correlator_finish() on up to n threads (--jobs;
 * 1 by default): each incident is built from its own findings alone, so the
 * results are the same.
 */
void ips_correlator_set_threads(ips_correlator_t *c, int n);
void ips_correlator_free(ips_correlator_t *c);

/*
 * A finding sink that feeds c (finding, event, end_input, clock; the rest
 * unset): what a driver hands its scanner. c is borrowed by the sink.
 */
void ips_correlator_sink(ips_correlator_t *c, ips_finding_sink_t *sink);
/* Feed, in input order: an event (copied as needed), a finding (by index). */
void ips_correlator_event(ips_correlator_t *c, const ips_event_t *e);
void ips_correlator_finding(ips_correlator_t *c, size_t finding);
/* The current input ended: close what it left open. */
void ips_correlator_end_input(ips_correlator_t *c);
/*
 * Cron mode (--state). The time and line of a record that carried no finding
 * or event, so that the input's end knows how far its clock went.
 */
void ips_correlator_note_time(ips_correlator_t *c, const ips_time_t *t, uint64_t line);
/*
 * An open window as plain data, for a later run to continue (cron mode: the
 * driver keeps them in its state file, run/cron_scan.c). Strings are
 * borrowed for the call that passes it.
 */
typedef struct ips_open_window {
	const char *corr;     /* correlation id */
	int type;             /* 0 bracket, 1 pair */
	const char *key;
	const char *kv;       /* key fields, "k=v\tk=v" (host=... among them) */
	int64_t start_sec;
	bool start_valid;
	uint64_t line;        /* where it opened in its input */
} ips_open_window_t;
typedef void (*ips_open_window_cb_t)(void *ctx, const ips_open_window_t *w);
/*
 * End the current input, but hand to keep() its open brackets (BEGIN
 * without END yet) and pairs (start without any outcome yet) whose window
 * has not elapsed by the input's last record, and forget them here: their
 * findings of this run stay ordinary findings (joined by the group stage).
 * The rest closes as in ips_correlator_end_input(). Returns how many were
 * handed over.
 */
size_t ips_correlator_end_input_export(ips_correlator_t *c, ips_open_window_cb_t keep, void *ctx);
/*
 * Reopen a window an earlier run handed over (end_input_export), as if its
 * BEGIN or start had been read at its line in input `input` (results
 * index), before that input's new records. False when no correlation of
 * that id and kind exists any more (the rules changed) or the same window
 * is open already. Copies what it keeps.
 */
bool ips_correlator_import(ips_correlator_t *c, const ips_open_window_t *w, size_t input);
/*
 * --jobs: take over what `from` found in inputs read separately (ended, not
 * finished; its results were appended with ips_results_append()): its
 * findings are ours from index finding_off, its inputs from input_off. The
 * same as if this correlator had read them. `from` is left empty.
 */
void ips_correlator_absorb(ips_correlator_t *c, ips_correlator_t *from, size_t input_off,
			   size_t finding_off);
/*
 * Merge: add a window of an earlier run's streamed stage as if it had just
 * closed (its findings are indexes into the results). False when no
 * correlation of that id and kind exists in the rules. Copies what it keeps.
 */
bool ips_correlator_add_window(ips_correlator_t *c, const ips_window_t *w);
/* All inputs are read: publish the closed windows into results->windows,
 * and join findings into incidents. */
void ips_correlator_finish(ips_correlator_t *c);

/*
 * Live mode (--follow, streamed stdin; docs/live.md). Incidents are written
 * as soon as they are decided and then forgotten, together with their
 * findings, so memory holds only what open windows and undecided groups
 * need.
 *
 * Settle: close the windows that the newest record's time, or the wall
 * clock `wall` (seconds, monotonic) since they opened, has passed; then
 * build the incident of every group of findings that nothing read later can
 * join (no finding of it in an open window, and its newest finding older
 * than the incident gap plus the clock skew by the newest record's time or
 * by the wall clock since it was read) or that has been open for the group
 * correlation's `span` (default 300 s; what follows starts a new incident).
 * First the closed windows of those incidents (and the windows with no
 * finding) go to emit_window, in input and line order as in
 * results->windows, then the incidents to emit in order of first time; then
 * all of them and their findings are freed (finding indexes change). With
 * `all`, everything closes (end of input, a stop signal). Above
 * IPS_LIVE_MAX_FINDINGS undecided findings, every group outside an open
 * window is written early (counted, see ips_correlator_forced()).
 * A correlator used in live mode must be settled before its first finding
 * (that sets the wall clock). Returns the number of incidents written.
 */
#define IPS_LIVE_MAX_FINDINGS 4096
typedef void (*ips_incident_cb_t)(void *ctx, const ips_results_t *res, const ips_incident_t *x);
typedef void (*ips_window_cb_t)(void *ctx, const ips_results_t *res, const ips_window_t *w);
size_t ips_correlator_settle(ips_correlator_t *c, int64_t wall, bool all,
			     ips_window_cb_t emit_window, ips_incident_cb_t emit, void *ctx);
/* Incidents written early because the undecided findings passed the cap. */
uint64_t ips_correlator_forced(const ips_correlator_t *c);

/*
 * Check the correlations of a rule set (kinds, parameters, entry names);
 * returns the number of errors added to d.
 */
size_t ips_correlations_check(const ips_rules_t *rules, ips_diag_t *d);

/*
 * Finalise a loaded rule set (ips_rules_finalize()) and check its
 * correlations: what every loader calls before the rules are used.
 * Returns IPS_E_RULES when either added an error to d.
 */
ips_status_t ips_correlate_finalize_rules(ips_rules_t *rules, ips_diag_t *d);

#endif
