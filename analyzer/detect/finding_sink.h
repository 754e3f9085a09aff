/* SPDX-License-Identifier: Apache-2.0 */
/*
 * finding_sink.h - where the scanner's output goes: the driver's side of a
 * scan (run/batch.c, run/cron_scan.c, run/live.c, run/jobs.c).
 *
 * The scanner matches records and builds findings (appended to the results
 * it writes) and correlation events; it does not correlate. Each one is
 * handed, as soon as it is made and in input order, to a finding sink the
 * driver gives it; the drivers' sinks feed a correlator they own. Not to be
 * confused with ips_sink_t (input/framer.h): the framer -> scanner record
 * sink one level below.
 *
 * Ownership: the sink and its ctx are the driver's; the scanner borrows them
 * for as long as it scans into them. Everything passed to a callback is
 * borrowed for the call (a finding stays in the results, by index).
 */
#ifndef IPS_FINDING_SINK_H
#define IPS_FINDING_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "detect/results.h"

typedef struct ips_finding_sink {
	/* A finding was appended to res->findings at `index` (required). */
	void (*finding)(void *ctx, const ips_results_t *res, size_t index);
	/* A correlation event (marker or event entry) of the current input (required). */
	void (*event)(void *ctx, const ips_event_t *e);
	/* The current input ended: close what it left open (required). */
	void (*end_input)(void *ctx);
	/*
	 * Optional, the clock of the input: the time and line of a record that
	 * carried no finding or event, for cron mode's inputs (ips_scan_from_t
	 * with resume tracking) and, on blocks of lines, in live mode.
	 */
	void (*clock)(void *ctx, const ips_time_t *t, uint64_t line);
	/*
	 * Optional, live mode: the record is matched; the findings from index
	 * `first` on are final (a second detector adds its fields until then).
	 * When set, events are not kept in the results either (only counted).
	 */
	void (*record_done)(void *ctx, const ips_results_t *res, size_t first);
	void *ctx;
} ips_finding_sink_t;

#endif
