/* SPDX-License-Identifier: Apache-2.0 */
/* cron_scan.c - see cron_scan.h. */
#include "run/cron_scan.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input/container.h"
#include "run/cron.h"
#include "run/jobs.h"
#include "util/util.h"

#define SNIFF_BYTES 65536 /* what the scanner sniffs a format from */

struct ips_cron_scan {
	ips_state_t *st;
	ips_cron_t *cron;
	ips_correlator_t *corr;
	const ips_rules_t *rules;
	const ips_scan_opts_t *opts;
	ips_jobs_split_t *split; /* --jobs 2 or more: a file's many new lines on threads */
	ips_scanner_t *sc;      /* the scanner wired (its PCRE2 limit counts) */
	ips_results_t *out;     /* the scanner's (wired) */
	/* the read under way, for the end of its input (sink_end_input) */
	const char *log;        /* the log whose windows these are; NULL: close them */
	bool chain;             /* the next file of the same log follows: windows stay open */
	const char *container;  /* a container being read: its file, for a compressed copy */
	const char *name;       /* the file being read: its path in the state (hook_name) */
};

/* ---- the finding sink: the correlator's, windows of a log kept ---------- */

static void sink_finding(void *ctx, const ips_results_t *res, size_t index)
{
	(void)res;
	ips_correlator_finding(((ips_cron_scan_t *)ctx)->corr, index);
}

static void sink_event(void *ctx, const ips_event_t *e)
{
	ips_correlator_event(((ips_cron_scan_t *)ctx)->corr, e);
}

static void sink_clock(void *ctx, const ips_time_t *t, uint64_t line)
{
	ips_correlator_note_time(((ips_cron_scan_t *)ctx)->corr, t, line);
}

static void sink_end_input(void *ctx)
{
	ips_cron_scan_t *cs = ctx;
	if (!cs->log)
		ips_correlator_end_input(cs->corr);
	else if (!cs->chain)
		ips_cron_save_windows(cs->cron, cs->log, cs->corr);
	cs->log = NULL;
	cs->chain = false;
}

/* ---- files ------------------------------------------------------------- */

/* The file read in ranges (--jobs) and recorded as path, for prefix_ahead(). */
typedef struct ahead_ctx {
	ips_cron_scan_t *cs;
	const char *path;
	const ips_cron_id_t *id;
} ahead_ctx_t;

/* While the ranges are read: the prefix hash ips_cron_record() will need. */
static void prefix_ahead(void *ctx, uint64_t end)
{
	ahead_ctx_t *a = ctx;
	ips_cron_prefix_ahead(a->cs->cron, a->path, a->id, end);
}

/*
 * Read src as from says, as (part of) log `log` (NULL: no windows kept).
 * A plain file (id: its identity, else NULL; recorded as path) with many
 * new lines is read in ranges on threads (--jobs), with the same result.
 */
static ips_status_t read_from(ips_cron_scan_t *cs, ips_scanner_t *s, ips_source_t *src,
			      ips_scan_from_t *from, const char *log, bool chain,
			      const char *path, const ips_cron_id_t *id)
{
	cs->log = log;
	cs->chain = chain;
	ips_status_t st;
	ahead_ctx_t actx = {.cs = cs, .path = path, .id = id};
	ips_jobs_ahead_t ahead = {.fn = prefix_ahead, .ctx = &actx};
	if (!id || !ips_jobs_split_from(cs->split, s, src->name, id->dev, id->ino, from, &ahead,
					&st))
		st = ips_scanner_scan_from(s, src, from);
	cs->log = NULL;
	cs->chain = false;
	return st;
}

typedef struct compressed_tail {
	ips_cron_scan_t *cs;
	ips_scanner_t *s;
	const char *log;
	const ips_cron_plan_t *p;
	bool read;
	ips_status_t st;
} compressed_tail_t;

/*
 * The one member of a compressed previous file: read from its start (a
 * decompressor cannot seek), what lies before the point earlier runs reached
 * only gives context. Its entry is named as the file (PATH.1.gz).
 */
static int compressed_tail_member(void *ctx, ips_source_t *member)
{
	compressed_tail_t *z = ctx;
	free(member->name); /* the walker frees the name the source has */
	member->name = ips_xstrdup(z->p->tail);
	char *note = ips_xasprintf("rotated: the rest of %s's previous file, from line %llu "
				   "(compressed: read from its start, what earlier runs read "
				   "is not reported again)",
				   z->log, (unsigned long long)z->p->tail_line + 1);
	ips_scan_from_t from = {.fd = -1, .offset = z->p->tail_offset, .line = z->p->tail_line,
				.to_end = true, .note = note};
	z->st = read_from(z->cs, z->s, member, &from, z->log, true, NULL, NULL);
	free(note);
	z->read = true;
	return 1; /* a single stream: nothing follows */
}

/* The rest of a log's previous file (PATH.1 or PATH.0, or PATH.1.gz). */
static ips_status_t scan_tail(ips_cron_scan_t *cs, ips_scanner_t *s, const char *log,
			      const ips_cron_plan_t *p)
{
	int err = 0;
	ips_source_t *src = ips_source_open_path(p->tail, &err);
	if (!src) {
		char *msg = ips_xasprintf("cannot open: %s", strerror(err));
		ips_status_t st = ips_scanner_input_error(s, p->tail, msg);
		free(msg);
		return st;
	}
	ips_cron_id_t *id = ips_xmalloc(sizeof *id);
	int fd = ips_source_fd(src);
	ips_status_t st = IPS_OK;
	if (p->tail_compressed && fd >= 0 && ips_cron_identify(fd, id)) {
		const unsigned char *head;
		ssize_t hn = ips_source_peek(src, SNIFF_BYTES, &head);
		const char *format = hn > 0 ? ips_container_sniff(head, (size_t)hn) : NULL;
		compressed_tail_t z = {.cs = cs, .s = s, .log = log, .p = p};
		ips_walk_result_t wr = {0};
		if (format)
			st = ips_archive_walk(src, format, &cs->opts->archive, NULL, compressed_tail_member,
					      &z, &wr);
		if (!z.read)
			st = ips_scanner_input_error(s, p->tail, wr.error ? wr.error : "cannot be read");
		else if (st != IPS_OK || z.st != IPS_OK)
			st = IPS_E_INPUT;
		free(wr.error);
		/* remembered as an archive: unchanged at the next run, not read again */
		const char *was;
		(void)ips_cron_container(cs->cron, p->tail, fd, id, &was);
	} else if (!p->tail_compressed && fd >= 0 && ips_cron_identify(fd, id)) {
		char *note = ips_xasprintf("rotated: the rest of %s's previous file, from line %llu",
					   log, (unsigned long long)p->tail_line + 1);
		ips_scan_from_t from = {.fd = fd, .size = id->size, .offset = p->tail_offset,
					.line = p->tail_line, .to_end = true, .note = note};
		st = read_from(cs, s, src, &from, log, true, p->tail, id);
		ips_cron_record(cs->cron, p->tail, id, from.end_offset, from.end_line);
		free(note);
	}
	free(id);
	ips_source_close(src);
	return st;
}

/* A regular file, or a container, named or found in a directory. */
static ips_status_t scan_file(ips_cron_scan_t *cs, ips_scanner_t *s, ips_source_t *src, int fd,
			      const ips_cron_id_t *id, const char *path)
{
	const unsigned char *head;
	ssize_t hn = ips_source_peek(src, SNIFF_BYTES, &head);
	const char *container = (hn < 0 || cs->opts->input_format) ? NULL
				: ips_container_sniff(head, (size_t)hn);
	ips_cron_plan_t p;
	ips_cron_plan(cs->cron, path, id, &p);
	if (p.how == IPS_CRON_AGAIN) {
		/* a second name for a file this run read */
		if (!ips_scanner_has_input(s, path)) {
			ips_input_t *in = ips_scanner_add_input(s, path);
			in->format = container;
			in->note = ips_xasprintf("the same file as %s, read in this run", p.was);
		}
		ips_cron_plan_free(&p);
		return IPS_OK;
	}
	if (container) {
		ips_cron_plan_free(&p);
		const char *was;
		if (ips_cron_container(cs->cron, path, fd, id, &was)) {
			ips_input_t *in = ips_scanner_add_input(s, path);
			in->format = container;
			in->note = was ? ips_xasprintf("unchanged since the last run (as %s)", was)
				       : ips_xstrdup("unchanged since the last run");
			return IPS_OK;
		}
		cs->container = path; /* a compressed copy is checked against its file */
		ips_status_t st = ips_scanner_scan_source(s, src);
		cs->container = NULL;
		return st;
	}
	ips_cron_restore_windows(cs->cron, path, cs->corr, cs->out->inputs.len);
	ips_status_t res = IPS_OK;
	if (p.tail && scan_tail(cs, s, path, &p) != IPS_OK)
		res = IPS_E_INPUT;
	ips_scan_from_t from = {.fd = fd, .size = id->size};
	char *note = NULL;
	switch (p.how) {
	case IPS_CRON_GROWN:
		from.offset = p.offset;
		from.line = p.line;
		from.nothing_new = id->size == p.size;
		if (p.was)
			note = ips_xasprintf("%s %s in earlier runs: new data from line %llu",
					     p.copy ? "a copy of" : "read as", p.was,
					     (unsigned long long)p.line + 1);
		break;
	case IPS_CRON_TRUNCATED:
		note = ips_xstrdup("smaller than at the last run (truncated): read from the start");
		break;
	case IPS_CRON_REPLACED:
		note = ips_xstrdup("its first bytes changed since the last run (or those before "
				   "where earlier runs stopped): read from the start");
		break;
	case IPS_CRON_ROTATED:
		note = ips_xstrdup("a new file since the last run (rotated): read from the start");
		break;
	default:
		break;
	}
	from.note = note;
	if (read_from(cs, s, src, &from, path, false, path, id) != IPS_OK)
		res = IPS_E_INPUT;
	ips_cron_record(cs->cron, path, id, from.end_offset, from.end_line);
	free(note);
	ips_cron_plan_free(&p);
	return res;
}

/* ---- the scanner's hooks ------------------------------------------------ */

static ips_status_t hook_file(void *ctx, ips_scanner_t *s, ips_source_t *src, int fd,
			      const char *path)
{
	ips_cron_scan_t *cs = ctx;
	ips_cron_id_t *id = ips_xmalloc(sizeof *id);
	if (!ips_cron_identify(fd, id)) {
		free(id);
		return ips_scanner_scan_source(s, src); /* FIFOs: read whole, nothing to remember */
	}
	/* one copy of the path, the state's: the file's record (an earlier run's,
	 * found by its identity, or the one this run adds) and its report entry share it */
	const ips_state_input_t *r = ips_state_input_id(cs->st, id->dev, id->ino, path, false);
	const char *outer = cs->name;
	cs->name = r && !strcmp(ips_state_path(cs->st, r), path) ? ips_state_path(cs->st, r)
								  : ips_state_name(cs->st, path);
	ips_status_t st = scan_file(cs, s, src, fd, id, cs->name);
	cs->name = outer;
	free(id);
	return st;
}

/*
 * An input entry's name: the file being read borrows its path from the
 * state, which outlives the results (scan_run.c frees them first): a million
 * files keep one copy of their paths, not two. Other entries (a rotated
 * file's rest, archive members) copy theirs.
 */
static const char *hook_name(void *ctx, const char *path)
{
	ips_cron_scan_t *cs = ctx;
	return cs->name && !strcmp(cs->name, path) ? cs->name : NULL;
}

/*
 * A compressed file (logrotate's compress): when it starts as a plain file
 * an earlier run read, only what lies past where that run stopped is new.
 */
static bool hook_stream(void *ctx, ips_scanner_t *s, ips_source_t *member)
{
	ips_cron_scan_t *cs = ctx;
	const unsigned char *head;
	ssize_t hn;
	uint64_t off, line;
	const char *was;
	if (!cs->container || (hn = ips_source_peek(member, SNIFF_BYTES, &head)) <= 0 ||
	    !ips_cron_copy_of(cs->cron, cs->container, head, (size_t)hn, &off, &line, &was))
		return false;
	char *note = ips_xasprintf("a compressed copy of %s, read up to line %llu in earlier "
				   "runs: only what follows is reported", was,
				   (unsigned long long)line);
	ips_scan_from_t from = {.fd = -1, .offset = off, .line = line, .to_end = true,
				.note = note};
	(void)read_from(cs, s, member, &from, NULL, false, NULL, NULL);
	free(note);
	return true;
}

/* Journals: continue after the cursor earlier runs saved under that name. */
static void hook_journal_begin(void *ctx, const char *name, size_t input, ips_journal_pos_t *pos)
{
	ips_cron_scan_t *cs = ctx;
	(void)ips_cron_journal(cs->cron, name, &pos->cursor, &pos->line);
	ips_cron_restore_windows(cs->cron, name, cs->corr, input);
}

static void hook_journal_end(void *ctx, const char *name, const ips_journal_pos_t *pos)
{
	ips_cron_scan_t *cs = ctx;
	ips_cron_journal_record(cs->cron, name, pos->end_cursor, pos->end_line, time(NULL));
	cs->log = name; /* the end of its input keeps its open windows */
	cs->chain = false;
}

/* ---- set-up ------------------------------------------------------------- */

ips_cron_scan_t *ips_cron_scan_new(ips_state_t *st, ips_correlator_t *corr,
				   const ips_rules_t *rules, const ips_scan_opts_t *opts,
				   int threads)
{
	ips_cron_scan_t *cs = ips_xcalloc(1, sizeof *cs);
	cs->st = st;
	cs->cron = ips_cron_new(st);
	cs->corr = corr;
	cs->rules = rules;
	cs->opts = opts;
	cs->split = ips_jobs_split_new(rules, opts, threads);
	return cs;
}

void ips_cron_scan_wire(ips_cron_scan_t *cs, ips_scanner_t *sc, ips_results_t *out)
{
	ips_finding_sink_t sink = {.finding = sink_finding, .event = sink_event,
				   .end_input = sink_end_input, .clock = sink_clock, .ctx = cs};
	cs->out = out;
	cs->sc = sc;
	ips_scanner_target(sc, out, &sink);
	ips_scan_hooks_t h = {.file = hook_file, .stream = hook_stream,
			      .journal_begin = hook_journal_begin,
			      .journal_end = hook_journal_end, .name = hook_name, .ctx = cs};
	ips_scanner_set_hooks(sc, &h);
	/* the state file and its lock are not logs */
	for (int i = 0; i < 2; i++)
		if (cs->st->own[i][1])
			ips_scanner_exclude(sc, cs->st->own[i][0], cs->st->own[i][1]);
}

void ips_cron_scan_finish(ips_cron_scan_t *cs)
{
	ips_cron_finish(cs->cron, (int64_t)time(NULL));
	if (cs->split && cs->sc) { /* the PCRE2 limit hits of the ranges' matchers */
		int64_t *adjust = ips_xcalloc(ips_rules_active_count(cs->rules) + 1,
					      sizeof *adjust);
		ips_jobs_split_limits(cs->split, adjust);
		ips_scanner_add_limit_hits(cs->sc, adjust);
		free(adjust);
	}
}

void ips_cron_scan_free(ips_cron_scan_t *cs)
{
	if (!cs)
		return;
	ips_cron_free(cs->cron);
	ips_jobs_split_free(cs->split);
	free(cs);
}
