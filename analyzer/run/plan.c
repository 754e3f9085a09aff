/* SPDX-License-Identifier: Apache-2.0 */
/* plan.c - the input planner (see plan.h). */
#include "run/plan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "input/journal.h"
#include "input/walk.h"
#include "detect/scan.h"
#include "util/util.h"

typedef struct plan {
	ips_walk_opts_t wo; /* how directories are walked, as the scanner walks them */
	bool missing_ok;
	bool forced_format; /* --input-format: journal files are files like any other */
	ips_vec_t *units;
} plan_t;

void ips_scan_unit_free(ips_scan_unit_t *u)
{
	if (!u)
		return;
	free(u->path);
	ips_input_free(u->error);
	free(u);
}

static ips_scan_unit_t *add_unit(plan_t *p, const char *path)
{
	ips_scan_unit_t *u = ips_xcalloc(1, sizeof *u);
	u->path = path ? ips_xstrdup(path) : NULL;
	ips_vec_push(p->units, u);
	return u;
}

/* An input not read (a note; note is taken), in its place among the units. */
static void decided(plan_t *p, const char *path, ips_input_status_t status, char *note)
{
	ips_input_t *in = ips_input_new(path, NULL);
	in->status = status;
	in->note = note;
	add_unit(p, NULL)->error = in;
}

/* An input that cannot be read: the message the scanner's entry would carry. */
static void error_unit(plan_t *p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void error_unit(plan_t *p, const char *path, const char *fmt, ...)
{
	char msg[512]; /* cut as the scanner cuts it */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ips_input_t *in = ips_input_new(path, NULL);
	in->status = IPS_INPUT_ERROR;
	in->error = ips_xstrdup(msg);
	add_unit(p, NULL)->error = in;
}

/* A file (or stdin, st NULL) to be read by a worker. */
static void file_unit(plan_t *p, const char *path, const struct stat *st)
{
	ips_scan_unit_t *u = add_unit(p, path);
	u->stream = !st || !S_ISREG(st->st_mode);
	u->size = u->stream ? 0 : (uint64_t)st->st_size;
}

static void plan_path(plan_t *p, const char *path, bool named);

/* The walker's callbacks: what ips_scanner_scan_path() does with each entry. */

/* journal files (*.journal): one unit for the folder, where the first is,
 * unless a format is forced (then each is a file, read in that format) */
static bool walk_name(void *ctx, const char *dir, const char *name, bool *journal_done)
{
	plan_t *p = ctx;
	if (p->forced_format || !ips_journal_is_file_name(name))
		return false;
	if (!*journal_done)
		add_unit(p, dir)->journal = 1;
	*journal_done = true;
	return true;
}

static ips_status_t walk_file(void *ctx, const char *path, const struct stat *st)
{
	(void)st; /* stat again as a path, as the scanner does: the file may have changed */
	plan_path(ctx, path, false);
	return IPS_OK;
}

static ips_status_t walk_skip(void *ctx, const char *path, ips_walk_skip_t why, const char *msg)
{
	plan_t *p = ctx;
	switch (why) {
	case IPS_WALK_LINK:
		decided(p, path, IPS_INPUT_OK, ips_xstrdup(msg));
		break;
	case IPS_WALK_NONLOG:
		decided(p, path, IPS_INPUT_OK, ips_scan_nonlog_note(msg));
		break;
	default:
		error_unit(p, path, "%s", msg);
		break;
	}
	return IPS_OK;
}

/* named: on the command line (--missing-ok applies), not found in a directory */
static void plan_path(plan_t *p, const char *path, bool named)
{
	if (!strcmp(path, "-")) {
		file_unit(p, path, NULL);
		return;
	}
	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT && p->missing_ok && named)
			decided(p, path, IPS_INPUT_EMPTY, ips_xstrdup(IPS_SCAN_NOTE_MISSING));
		else
			error_unit(p, path, "cannot open: %s", strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		static const ips_walk_cbs_t cbs = {walk_name, walk_file, walk_skip};
		(void)ips_walk(path, &st, &p->wo, &cbs, p);
		return;
	}
	file_unit(p, path, &st);
}

void ips_plan_inputs(const char *const *paths, size_t npaths, const ips_scan_opts_t *opts,
		     bool journal, ips_vec_t *units, uint64_t *total)
{
	plan_t p = {.wo = {.skip_nonlog = true}, .units = units};
	if (opts) {
		p.wo.follow_links = opts->follow_links;
		p.wo.globs = opts->globs;
		p.wo.nglobs = opts->nglobs;
		p.missing_ok = opts->missing_ok;
		p.forced_format = opts->input_format != NULL;
	}
	size_t first = units->len;
	for (size_t i = 0; i < npaths; i++)
		plan_path(&p, paths[i], true);
	if (journal) {
		ips_scan_unit_t *u = add_unit(&p, IPS_JOURNAL_LOCAL_NAME);
		u->stream = true;
		u->journal = 2;
	}
	*total = 0;
	for (size_t i = first; i < units->len; i++)
		*total += ((const ips_scan_unit_t *)units->items[i])->size;
}
