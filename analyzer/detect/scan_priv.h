/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan_priv.h - the scanner's private state, shared by the three files of
 * the one scanner module and by nothing else: scan.c (scanner, inputs,
 * containers, journals, directories, live streams), scan_record.c (the
 * record sink the framers feed: records -> matcher -> findings and events
 * -> the finding sink) and scan_resume.c (where a resumed source starts and
 * stops). Other modules use scan.h.
 */
#ifndef IPS_SCAN_PRIV_H
#define IPS_SCAN_PRIV_H

#include <sys/types.h>

#include "detect/context.h"
#include "detect/scan_opts.h"


struct ips_sink {
	ips_scanner_t *sc;
	ips_input_t *in;
	size_t input_index;
	const char *format;
	ips_year_ctx_t yc;
	/* block state for line counting */
	const char *block;
	uint64_t block_off, block_line;
	size_t counted_to;      /* bytes of the block whose newlines are counted */
	uint64_t counted_lines; /* newlines in block[0..counted_to) */
	/* the record being matched */
	const char *rec;
	size_t rec_len;
	uint64_t rec_off, rec_line;
	const ips_record_t *srec; /* structured record, or NULL */
	bool meta_done;
	ips_line_meta_t meta;
	ips_negkey_t lctx;     /* the negotiation the record belongs to */
	const char *rules_used[IPS_MAX_CAPTURES];
	size_t nrules_used;
	ips_kv_t extra[IPS_MAX_CAPTURES]; /* extractor captures of this record */
	size_t nextra;
	bool extracted;
	ips_finding_t *rec_findings[IPS_MAX_CAPTURES]; /* this record's findings */
	size_t nrec_findings;
	const ips_entry_t *rec_events[IPS_MAX_CAPTURES];
	size_t nrec_events;
	/* resume (ips_scanner_scan_from(); cron mode) */
	bool resume;            /* track where reading stopped */
	uint64_t start_off, start_line; /* where the framer starts (ips_sink_start) */
	uint64_t drop_below;    /* earlier runs reported the records before this offset */
	uint64_t dropped;       /* structured records before drop_below */
	ips_finding_t *ctx_only[IPS_MAX_CAPTURES]; /* findings of such a record: context only */
	size_t nctx_only;
	uint64_t end_off, next_line; /* line formats: the end of the last block, its next line */
	uint64_t last_off, last_line; /* structured: the last record past drop_below */
	bool any_rec;
	bool whole_lines;       /* line formats: leave a last line without '\n' unread */
	/* --jobs within one file (scan_split.c): set while a worker reads one
	 * byte range; records are only matched, those with a hit are kept */
	struct ips_split_part *probe;
};

struct ips_scanner {
	const ips_rules_t *rules;
	ips_scan_opts_t opts;
	ips_results_t *out;
	ips_matcher_t *m;
	bool own_m;             /* false: borrowed (ips_scanner_new_shared) */
	ips_finding_sink_t sink; /* where findings and events go (the driver's) */
	ips_context_t *ctx;     /* what earlier lines of each negotiation said */
	int archive_depth;
	ips_archive_budget_t budget;   /* the top-level container's (--max-input, --max-ratio) */
	int depth;              /* directories being walked (0: a path named on the command line) */
	ips_status_t walk_res;  /* a directory walk: the worst status of its journal folders */
	ips_scan_hooks_t hooks; /* the driver's say in what is read (cron mode) */
	const char *container_format; /* the container being walked */
	uint64_t excluded[4][2];      /* files never read as inputs (our own output) */
	size_t nexcluded;
	int64_t *limit_adjust;        /* PCRE2 limit hits counted elsewhere (cron --jobs), or NULL */
};

/* A resumed file whose bytes before the resume point changed (scan_resume.c, scan_split.c). */
#define IPS_SCAN_NOTE_CHANGED "changed before the point earlier runs reached: read from the start"

/* scan.c: add note to an input's note ("; " between two). */
void ips_scan_add_note(ips_input_t *in, const char *note);
/*
 * scan_resume.c: resuming (ips_scanner_scan_from()), once the format is
 * known: where to start, where to stop, what only gives context (set in k,
 * src limited). Returns false when there is nothing to read.
 */
bool ips_scan_resume_prepare(ips_scanner_t *s, ips_source_t *src, ips_sink_t *k,
			     const ips_framer_ops_t *fr, bool decoded, ips_scan_from_t *cr);

/*
 * scan_split.c (--jobs within one file), called from scan_record.c while a
 * range is read (k->probe set): the current record of k (rec, rec_len,
 * rec_off, rec_line counted from the range's start) is matched and kept
 * when a detector hits; a record cut at the cap.
 */
void ips_split_probe_record(ips_sink_t *k, const uint64_t *cands);
void ips_split_probe_truncated(ips_sink_t *k, uint64_t offset, uint64_t line);
/* Cron mode: the time of a block's last line (the input's clock), kept for the join. */
void ips_split_probe_clock(ips_sink_t *k, const ips_time_t *t, uint64_t line);
/*
 * scan_record.c: the stateful half for a record kept by a probe: what
 * match_current() does with it in a serial scan. cut: a line cut at the
 * buffer (ips_sink_record() of the line framers), matched with the prefilter
 * run on it; else a line matched with cands (the prefilter's set for it).
 */
void ips_sink_replay(ips_sink_t *k, const char *text, size_t len, uint64_t off,
		     uint64_t line, bool cut, const uint64_t *cands);

#endif
