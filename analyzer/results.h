/*
 * results.h - what a scan produces and the reporters consume: inputs,
 * findings, correlation events and notes.
 *
 * Ownership: an ips_results_t owns all of it; entries and detectors are
 * borrowed from the rules, which must outlive the results.
 */
#ifndef IPS_RESULTS_H
#define IPS_RESULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "normalize.h"
#include "rules.h"
#include "util.h"

typedef enum ips_input_status {
	IPS_INPUT_OK = 0,
	IPS_INPUT_PARTIAL = 1,
	IPS_INPUT_ERROR = 2,
	IPS_INPUT_EMPTY = 3,
} ips_input_status_t;

const char *ips_input_status_name(ips_input_status_t s);

typedef struct ips_input {
	char *path;
	const char *format;      /* canonical format name, NULL if never opened */
	uint64_t records;
	uint64_t bytes;
	ips_input_status_t status;
	char *error;             /* first error, with position; NULL if none */
	char *note;              /* e.g. binary input, records cut at the cap */
	uint64_t truncated;      /* records cut at the record-size cap */
	uint64_t findings;
} ips_input_t;

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

typedef struct ips_results {
	ips_vec_t inputs;    /* ips_input_t * */
	ips_vec_t findings;  /* ips_finding_t * */
	ips_vec_t events;    /* ips_event_t * */
	ips_vec_t notes;     /* char *: run-wide messages (a rule hit its match limit) */
	uint64_t records;
	uint64_t filtered;   /* findings dropped by --since/--until/--min-severity */
} ips_results_t;

ips_results_t *ips_results_new(void);
void ips_results_free(ips_results_t *r);
/* The highest severity among the findings (IPS_SEV_NONE when none). */
ips_severity_t ips_results_max_severity(const ips_results_t *r);
/* Look up a field of a finding, NULL if absent. */
const char *ips_finding_field(const ips_finding_t *f, const char *key);

#endif
