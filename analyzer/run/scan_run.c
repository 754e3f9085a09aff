/* SPDX-License-Identifier: Apache-2.0 */
/* scan_run.c - see scan_run.h. */
#include "run/scan_run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report.h"
#include "report/report_util.h"
#include "run/batch.h"
#include "run/jobs.h"
#include "run/merge.h"
#include "run/plan.h"
#include "run/progress.h"
#include "run/state.h"
#include "util/util.h"

#ifndef IPS_VERSION
#define IPS_VERSION "0.1.0"
#endif

static const char *const prog = "ipsec-scan";

bool ips_want_color(const char *when, FILE *out)
{
	if (!strcmp(when, "always"))
		return true;
	if (!strcmp(when, "never"))
		return false;
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return false;
	/* a dumb terminal (Emacs shell, some CI logs) shows escape sequences as text */
	const char *term = getenv("TERM");
	if (term && !strcmp(term, "dumb"))
		return false;
	return isatty(fileno(out));
}

/* Names and messages from the inputs, on a terminal: escaped as in the text
 * report (report_util.h: controls C0, DEL, C1 as '?', malformed UTF-8 as U+FFFD). */
static void put_safe(FILE *out, const char *s)
{
	ips_text_put(out, s, SIZE_MAX);
}

typedef struct run {
	const ips_run_opts_t *o;
	const ips_rules_t *r;
	ips_results_t *res;
	ips_state_t *state; /* cron mode */
	ips_merge_t *mg;    /* merge */
	bool input_failed;
} run_t;

/* merge: the NDJSON reports of earlier scans into one */
static void read_reports(run_t *R)
{
	const ips_run_opts_t *o = R->o;
	ips_merge_opts_t mo;
	ips_merge_opts_default(&mo);
	mo.min_severity = o->scan.min_severity;
	mo.since = o->scan.since;
	mo.until = o->scan.until;
	mo.follow_links = o->scan.follow_links;
	R->mg = ips_merge_new(R->r, &mo);
	if (!o->ninputs)
		R->input_failed |= ips_merge_add_path(R->mg, "-") != IPS_OK;
	for (size_t i = 0; i < o->ninputs; i++)
		R->input_failed |= ips_merge_add_path(R->mg, o->inputs[i]) != IPS_OK;
	ips_merge_finish(R->mg, R->res);
	R->input_failed |= ips_merge_conflicted(R->mg);
	for (size_t i = 0; i < ips_merge_errors_kept(R->mg); i++) {
		fprintf(stderr, "%s: ", prog);
		put_safe(stderr, ips_merge_error_at(R->mg, i));
		fputc('\n', stderr);
	}
	if (ips_merge_error_count(R->mg) > ips_merge_errors_kept(R->mg))
		fprintf(stderr, "%s: ... and %zu more problem(s)\n", prog,
			ips_merge_error_count(R->mg) - ips_merge_errors_kept(R->mg));
}

/* The batch driver in this process, in cron mode with the state (where
 * --jobs splits a file with many new lines between threads). */
static void read_serial(run_t *R, const char *const *paths, size_t npaths)
{
	const ips_run_opts_t *o = R->o;
	ips_batch_t *b = ips_batch_new(R->r, &o->scan, R->res);
	if (R->state) {
		ips_batch_set_state(b, R->state, ips_jobs_cron_threads(o->jobs));
		/* a report appended to a file in a scanned directory would be read
		 * back by the next run, findings and all */
		struct stat ost;
		const char *output = o->output;
		if (output && strcmp(output, "-") && stat(output, &ost) == 0 && S_ISREG(ost.st_mode))
			ips_batch_exclude(b, (uint64_t)ost.st_dev, (uint64_t)ost.st_ino);
		if ((!output || !strcmp(output, "-")) && fstat(STDOUT_FILENO, &ost) == 0 &&
		    S_ISREG(ost.st_mode))
			ips_batch_exclude(b, (uint64_t)ost.st_dev, (uint64_t)ost.st_ino);
	}
	for (size_t i = 0; i < npaths; i++)
		R->input_failed |= ips_batch_scan_path(b, paths[i]) != IPS_OK;
	if (o->journal)
		R->input_failed |= ips_batch_scan_journal_local(b) != IPS_OK;
	ips_batch_finish(b);
	ips_batch_free(b);
}

static void units_free(ips_vec_t *units)
{
	for (size_t i = 0; i < units->len; i++)
		ips_scan_unit_free(units->items[i]);
	ips_vec_free(units);
}

/* Logs: --jobs threads, or one scanner (always in cron mode, which reads one
 * file at a time); a progress bar. */
static void read_logs(run_t *R)
{
	const ips_run_opts_t *o = R->o;
	static const char *const stdin_path[] = {"-"};
	const char *const *paths = o->ninputs ? o->inputs : stdin_path;
	size_t npaths = o->ninputs ? o->ninputs : o->journal ? 0 : 1;
	int progress = o->progress;
	bool bar_forced = progress == 1;
	if (progress < 0) { /* a bar redraws its line: not on a dumb terminal */
		const char *term = getenv("TERM");
		progress = isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb"));
	}
	/* what will be read, in order: for the threads and the progress bar's total */
	ips_vec_t units = {0};
	uint64_t total = 0;
	int threads = 1;
	if (progress || (!R->state && o->jobs != 1))
		ips_plan_inputs(paths, npaths, &o->scan, o->journal, &units, &total);
	if (!R->state && o->jobs != 1)
		threads = ips_jobs_threads(o->jobs, &units, total);
	/* one thread walks the paths again as it reads them: the units go before
	 * it starts (a million files' units cost ~100 MB besides their inputs) */
	if (threads <= 1)
		units_free(&units);
	ips_progress_t *bar = progress ? ips_progress_start(stderr, total, bar_forced) : NULL;
	if (threads > 1)
		R->input_failed = ips_jobs_scan(R->r, &o->scan, R->res, &units, threads) != IPS_OK;
	else
		read_serial(R, paths, npaths);
	ips_progress_stop(bar);
	units_free(&units);

	for (size_t i = 0; i < R->res->inputs.len; i++) {
		const ips_input_t *in = R->res->inputs.items[i];
		if (in->error) {
			fprintf(stderr, "%s: ", prog);
			put_safe(stderr, in->path);
			fputs(": ", stderr);
			put_safe(stderr, in->error);
			fputc('\n', stderr);
		}
	}
}

/*
 * -o FILE: a regular file (or a new one) is written to FILE.tmp.PID beside
 * it and renamed over it once complete, so a full disk or a kill leaves the
 * previous report whole; *tmp gets that name (caller frees). Anything else
 * (a device such as /dev/full, a FIFO, a symbolic link) is written in place.
 */
static FILE *open_report(const char *output, char **tmp)
{
	struct stat sb;
	*tmp = NULL;
	bool exists = lstat(output, &sb) == 0;
	if (exists && !S_ISREG(sb.st_mode))
		return fopen(output, "w");
	*tmp = ips_xasprintf("%s.tmp.%ld", output, (long)getpid());
	int fd = open(*tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		      exists ? (sb.st_mode & 07777) : 0666);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(*tmp);
		}
		free(*tmp);
		*tmp = NULL;
		errno = e;
		return NULL;
	}
	if (exists)
		(void)fchmod(fd, sb.st_mode & 07777); /* the umask took from the mode */
	return out;
}

/* The report, on disk before the state says it was written (cron mode). */
static ips_status_t write_report(run_t *R, ips_error_t *err)
{
	const ips_run_opts_t *o = R->o;
	const ips_reporter_ops_t *rep = o->summary_only ? &ips_report_summary
				       : ips_reporter_by_name(o->format);
	const char *output = o->output;
	FILE *out = stdout;
	char *out_tmp = NULL; /* a regular file is replaced whole, never left cut */
	if (output && strcmp(output, "-")) {
		out = open_report(output, &out_tmp);
		if (!out)
			return ips_error_set(err, IPS_E_INTERNAL, "cannot write the report to %s: %s",
					     output, strerror(errno));
	}
	ips_report_opts_t ro = {.color = ips_want_color(o->color, out), .version = IPS_VERSION,
				.max_evidence = 5, .output_tz = o->output_tz, .verbose = o->verbose};
	ips_status_t st = rep->write(out, R->res, R->r, &ro);
	struct stat ost;
	if (st == IPS_OK && R->state && fstat(fileno(out), &ost) == 0 && S_ISREG(ost.st_mode) &&
	    (fflush(out) != 0 || fsync(fileno(out)) != 0))
		st = IPS_E_OUTPUT;
	if (st == IPS_OK && out_tmp && (fflush(out) != 0 || fsync(fileno(out)) != 0))
		st = IPS_E_OUTPUT;
	int werr = errno;
	if (out != stdout && fclose(out) != 0 && st == IPS_OK) {
		st = IPS_E_OUTPUT;
		werr = errno;
	}
	if (st == IPS_OK && out_tmp && rename(out_tmp, output) != 0) {
		st = IPS_E_OUTPUT;
		werr = errno;
	}
	if (out_tmp && st != IPS_OK)
		unlink(out_tmp); /* the previous report stays as it was */
	free(out_tmp);
	if (st != IPS_OK)
		return ips_error_set(err, IPS_E_INTERNAL, "cannot write the report to %s: %s",
				     output ? output : "standard output", strerror(werr ? werr : EIO));
	return IPS_OK;
}

/*
 * Cron mode: the new state is written to its temporary file (and fsynced)
 * before the report, and renamed over the old one right after it, so a run
 * killed in between repeats at most this report (docs/cron.md). A state that
 * cannot be written stops the report: reporting findings that the next run
 * would report again is what the state is there to prevent.
 */
static ips_status_t report_and_commit(run_t *R, ips_error_t *err)
{
	char *why = NULL;
	if (R->state && ips_state_prepare(R->state, &why) != IPS_OK) {
		ips_error_set(err, IPS_E_INTERNAL, "cannot save the state: %s; no report was "
			      "written, the next run reports these findings", why);
		free(why);
		return IPS_E_INTERNAL;
	}
	if (!(R->o->quiet && R->res->findings.len == 0 && R->res->incidents.len == 0) &&
	    write_report(R, err) != IPS_OK)
		return IPS_E_INTERNAL; /* closing the state removes the prepared one */
	if (R->state && ips_state_commit(R->state, &why) != IPS_OK) {
		ips_error_set(err, IPS_E_INTERNAL, "cannot save the state: %s; the next run "
			      "reports these findings again", why);
		free(why);
		return IPS_E_INTERNAL;
	}
	free(why);
	return IPS_OK;
}

ips_status_t ips_scan_run(const ips_run_opts_t *o, const ips_rules_t *r, ips_run_outcome_t *oc,
			  ips_error_t *err)
{
	memset(oc, 0, sizeof *oc);
	run_t R = {.o = o, .r = r};
	/* cron mode: the lock is taken and the state read before anything is scanned */
	if (o->state_path) {
		char *why = NULL;
		R.state = ips_state_open(o->state_path, &why);
		if (!R.state) {
			ips_error_set(err, IPS_E_USAGE, "%s", why);
			free(why);
			return IPS_E_USAGE;
		}
	}
	R.res = ips_results_new();
	if (o->merging)
		read_reports(&R);
	else
		read_logs(&R);
	for (size_t i = 0; i < R.res->notes.len; i++) {
		fprintf(stderr, "%s: note: ", prog);
		put_safe(stderr, R.res->notes.items[i]);
		fputc('\n', stderr);
	}
	ips_status_t st = report_and_commit(&R, err);
	oc->input_failed = R.input_failed;
	oc->max_severity = ips_results_max_severity(R.res);
	ips_results_free(R.res);
	/* after the results: their entries borrow its paths; without a commit,
	 * the prepared state is removed */
	ips_state_close(R.state);
	ips_merge_free(R.mg); /* after the results: they borrow its entries */
	return st;
}
