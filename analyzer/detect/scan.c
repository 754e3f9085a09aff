/* SPDX-License-Identifier: Apache-2.0 */
/* scan.c - see scan.h; the record sink is scan_record.c, resuming scan_resume.c. */
#include "detect/scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "input/decode.h"
#include "input/nonlog.h"
#include "input/walk.h"
#include "detect/scan_priv.h"
#include "detect/context.h"
#include "util/util.h"

#define SNIFF_BYTES 65536

void ips_scan_opts_default(ips_scan_opts_t *o)
{
	memset(o, 0, sizeof *o);
	o->min_severity = IPS_SEV_INFO;
	o->frame.max_record = 1u << 20;
	o->frame.block = 1u << 20;
	o->match.match_limit = 1000000;
	o->match.depth_limit = 10000;
	o->match.heap_limit_kib = 20 * 1024;
	o->archive.max_member_bytes = 64ULL << 30;
	o->archive.max_ratio = 1000;
	o->archive.max_input_bytes = 64ULL << 30;
	o->archive.max_depth = 8;
}


ips_scanner_t *ips_scanner_new(const ips_rules_t *rules, const ips_scan_opts_t *opts,
			       ips_results_t *out, const ips_finding_sink_t *sink)
{
	ips_matcher_t *m = ips_matcher_new(rules, &opts->match);
	ips_scanner_t *s = ips_scanner_new_shared(rules, opts, out, sink, m);
	s->own_m = true;
	return s;
}

ips_scanner_t *ips_scanner_new_shared(const ips_rules_t *rules, const ips_scan_opts_t *opts,
				      ips_results_t *out, const ips_finding_sink_t *sink,
				      ips_matcher_t *m)
{
	ips_scanner_t *s = ips_xcalloc(1, sizeof *s);
	s->rules = rules;
	s->opts = *opts;
	s->out = out;
	s->m = m;
	ips_matcher_reset_limit_hits(m);
	/* one record, one finding per condition: the scanner merges the fields
	 * of every detector that saw it */
	ips_matcher_report_all(s->m, true);
	s->sink = *sink;
	s->ctx = ips_context_new();
	return s;
}

void ips_scanner_free(ips_scanner_t *s)
{
	if (!s)
		return;
	if (s->own_m)
		ips_matcher_free(s->m);
	ips_context_free(s->ctx);
	free(s->limit_adjust);
	free(s);
}

void ips_scanner_exclude(ips_scanner_t *s, uint64_t dev, uint64_t ino)
{
	if (s->nexcluded < sizeof s->excluded / sizeof s->excluded[0]) {
		s->excluded[s->nexcluded][0] = dev;
		s->excluded[s->nexcluded][1] = ino;
		s->nexcluded++;
	}
}

static bool excluded(const ips_scanner_t *s, const struct stat *st)
{
	for (size_t i = 0; i < s->nexcluded; i++)
		if (s->excluded[i][0] == (uint64_t)st->st_dev && s->excluded[i][1] == (uint64_t)st->st_ino)
			return true;
	return false;
}

void ips_scanner_set_hooks(ips_scanner_t *s, const ips_scan_hooks_t *h)
{
	s->hooks = *h;
}

void ips_scan_limit_notes(const ips_rules_t *rules, ips_results_t *res,
			  const ips_matcher_t *const *ms, size_t nm, const int64_t *adjust)
{
	size_t n = ips_rules_active_count(rules);
	for (size_t i = 0; i < n; i++) {
		uint64_t k = adjust ? (uint64_t)adjust[i] : 0;
		for (size_t j = 0; j < nm; j++)
			k += ips_matcher_limit_hits(ms[j], i);
		if (!k)
			continue;
		const ips_detector_t *d = ips_rules_active_at(rules, i);
		ips_vec_push(&res->notes,
			     ips_xasprintf("detector '%s' (%s:%d) hit a PCRE2 limit (match, depth or heap) on %llu "
					   "record(s); those records were not fully matched by it",
					   d->id, d->file, d->line, (unsigned long long)k));
	}
}

void ips_scanner_add_limit_hits(ips_scanner_t *s, const int64_t *adjust)
{
	size_t n = ips_rules_active_count(s->rules);
	if (!s->limit_adjust)
		s->limit_adjust = ips_xcalloc(n + 1, sizeof *s->limit_adjust);
	for (size_t i = 0; i < n; i++)
		s->limit_adjust[i] += adjust[i];
}

void ips_scanner_finish(ips_scanner_t *s)
{
	const ips_matcher_t *m = s->m;
	ips_scan_limit_notes(s->rules, s->out, &m, 1, s->limit_adjust);
}

void ips_scanner_target(ips_scanner_t *s, ips_results_t *out, const ips_finding_sink_t *sink)
{
	ips_context_clear(s->ctx);
	s->out = out;
	s->sink = *sink;
}

const ips_matcher_t *ips_scanner_matcher(const ips_scanner_t *s)
{
	return s->m;
}


/* ---- inputs ------------------------------------------------------------ */

static ips_input_t *new_input(ips_scanner_t *s, const char *path)
{
	const char *kept = s->hooks.name ? s->hooks.name(s->hooks.ctx, path) : NULL;
	ips_input_t *in = kept ? ips_results_borrow_input(s->out, kept, s->opts.source)
			       : ips_input_new(path, s->opts.source);
	ips_vec_push(&s->out->inputs, in);
	return in;
}

static ips_status_t input_error(ips_scanner_t *s, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static ips_status_t input_error(ips_scanner_t *s, const char *path, const char *fmt, ...)
{
	ips_input_t *in = new_input(s, path);
	char msg[512]; /* (run/plan.c cuts the same) */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	in->status = IPS_INPUT_ERROR;
	in->error = ips_xstrdup(msg);
	return IPS_E_INPUT;
}


void ips_scan_add_note(ips_input_t *in, const char *note)
{
	if (!note)
		return;
	if (!in->note) {
		in->note = ips_xstrdup(note);
		return;
	}
	char *both = ips_xasprintf("%s; %s", in->note, note);
	free(in->note);
	in->note = both;
}

static ips_status_t scan_source(ips_scanner_t *s, ips_source_t *src, ips_scan_from_t *cr);

static bool single_stream(const char *format)
{
	return format && (!strcmp(format, "gz") || !strcmp(format, "bz2") ||
			  !strcmp(format, "xz") || !strcmp(format, "zst"));
}

static ips_status_t skip_nonlog(ips_scanner_t *s, const char *path, const char *kind);

/*
 * The one stream of a compressed file named on the command line
 * ("README.md.gz!README.md"): read like the file itself. A tar.gz also
 * starts as gz, but its members carry their own names.
 */
static bool named_stream(const ips_scanner_t *s, const char *name)
{
	if (!single_stream(s->container_format) || s->archive_depth != 1 || s->depth)
		return false;
	const char *bang = strrchr(name, '!');
	if (!bang)
		return true;
	const char *inner = bang + 1, *base = name;
	for (const char *p = name; p < bang; p++)
		if (*p == '/')
			base = p + 1;
	size_t n = strlen(inner);
	return !strchr(inner, '/') && (size_t)(bang - base) > n && !strncmp(base, inner, n) &&
	       base[n] == '.';
}

static int scan_member(void *ctx, ips_source_t *member)
{
	ips_scanner_t *s = ctx;
	/* --include/--exclude on the member's path inside the archive; non-log members
	 * skipped, except the one stream of a compressed file named on the command line */
	const char *rel = strrchr(member->name, '!');
	rel = rel ? rel + 1 : member->name;
	bool included = false;
	if (s->opts.nglobs && ips_glob_excluded(s->opts.globs, s->opts.nglobs, rel, false, &included))
		return 0;
	const unsigned char *mh;
	ssize_t mn;
	const char *kind;
	if (!included && !named_stream(s, member->name) &&
	    (mn = ips_source_peek(member, 8, &mh)) >= 0 &&
	    (kind = ips_nonlog_kind(member->name, mh, (size_t)mn))) {
		(void)skip_nonlog(s, member->name, kind);
		return 0;
	}
	/* the one stream of a compressed file named or found: the driver may
	 * read it otherwise (cron mode: a compressed copy of a file it read) */
	if (s->hooks.stream && s->archive_depth == 1 && single_stream(s->container_format) &&
	    s->hooks.stream(s->hooks.ctx, s, member))
		return 0;
	(void)ips_scanner_scan_source(s, member); /* its own input entry says how it went */
	return 0;
}

/* An archive or compressed file: an entry for it, and one per member. */
static ips_status_t scan_container(ips_scanner_t *s, ips_source_t *src, ips_input_t *in,
				   const char *format)
{
	in->format = format;
	if (src->size >= 0)
		in->bytes = (uint64_t)src->size;
	if (s->archive_depth >= s->opts.archive.max_depth) {
		in->status = IPS_INPUT_ERROR;
		in->error = ips_xasprintf("containers nested deeper than %d levels: not opened",
					  s->opts.archive.max_depth);
		return IPS_E_INPUT;
	}
	size_t first_member = s->out->inputs.len;
	const char *outer = s->container_format;
	s->container_format = format;
	s->archive_depth++;
	if (!s->archive_depth)
		memset(&s->budget, 0, sizeof s->budget); /* a new top-level input */
	ips_walk_result_t wr;
	ips_status_t st = ips_archive_walk(src, format, &s->opts.archive, &s->budget, scan_member,
					   s, &wr);
	s->archive_depth--;
	s->container_format = outer;
	in->format = wr.format;
	in->records = wr.members;
	if (wr.skipped)
		in->note = ips_xasprintf("%llu member(s) not read: directories, links or special files",
					 (unsigned long long)wr.skipped);
	if (wr.error && wr.member_failed && wr.single) {
		/* the one member's own entry names the problem and its offset */
		in->status = IPS_INPUT_PARTIAL;
		ips_scan_add_note(in, "its data could not be read to the end: see the member's error");
		free(wr.error);
	} else if (wr.error) {
		in->error = wr.error;
		in->status = wr.members ? IPS_INPUT_PARTIAL : IPS_INPUT_ERROR;
	} else if (!wr.members) {
		in->status = IPS_INPUT_EMPTY;
	}
	/* any member that failed makes the whole run report an input problem */
	for (size_t i = first_member; i < s->out->inputs.len; i++) {
		const ips_input_t *m = s->out->inputs.items[i];
		if (m->status == IPS_INPUT_ERROR || m->status == IPS_INPUT_PARTIAL)
			st = IPS_E_INPUT;
	}
	return st;
}


static ips_status_t scan_source(ips_scanner_t *s, ips_source_t *src, ips_scan_from_t *cr)
{
	ips_input_t *in = new_input(s, src->name);
	ips_sink_t k = {0};
	k.sc = s;
	k.in = in;
	k.input_index = s->out->inputs.len - 1;
	k.yc.year = s->opts.year;
	k.yc.ref = src->mtime;

	if (cr) { /* unless more is read, the state keeps what earlier runs read */
		cr->end_offset = cr->offset;
		cr->end_line = cr->line;
	}
	const unsigned char *head;
	ssize_t hn = ips_source_peek(src, SNIFF_BYTES, &head);
	if (hn < 0) {
		in->status = IPS_INPUT_ERROR;
		in->error = ips_xasprintf("at offset 0: read error: %s", ips_source_error(src));
		if (cr) /* (the driver keeps what earlier runs left open) */
			s->sink.end_input(s->sink.ctx);
		return IPS_E_INPUT;
	}
	const char *container = (s->opts.input_format || cr) ? NULL
				: ips_container_sniff(head, (size_t)hn);
	if (container)
		return scan_container(s, src, in, container);
	/* UTF-16 and UTF-8 with a BOM: framed as UTF-8, sniffed again (decode.h) */
	ips_source_t *decoded = ips_decode_wrap(src);
	ips_framer_source_problem(src, &k); /* iconv refused the encoding */
	if (decoded) {
		src = decoded;
		hn = ips_source_peek(src, SNIFF_BYTES, &head);
		ips_framer_source_problem(src, &k); /* a short input decoded to its end */
		if (hn < 0)
			hn = 0; /* the framer's first read meets the error and reports it */
	}
	const ips_framer_ops_t *fr = NULL;
	if (s->opts.input_format)
		fr = ips_framer_by_name(s->opts.input_format);
	if (!fr)
		fr = ips_framer_detect(head, (size_t)hn, src->name);
	in->format = fr->name;
	k.format = fr->name;
	if (hn > 0 && memchr(head, '\0', (size_t)hn) && strncmp(fr->name, "journal", 7))
		in->note = ips_xstrdup("binary data (NUL bytes): scanned as bytes");
	ips_status_t st = IPS_OK;
	if (fr == ips_framer_by_name("journal")) {
		/* a journal inside an archive, or forced: the matches apply, no cursor */
		st = ips_journal_run_source(src, &s->opts.journal, &k, &s->opts.frame);
		in->bytes = src->size > 0 ? (uint64_t)src->size : 0;
	} else if (!cr) {
		st = fr->run(src, &k, &s->opts.frame);
	} else {
		ips_scan_add_note(in, cr->note);
		if (ips_scan_resume_prepare(s, decoded ? decoded : src, &k, fr, decoded != NULL, cr)) {
			st = fr->run(src, &k, &s->opts.frame);
			in->records = in->records > k.dropped ? in->records - k.dropped : 0;
			in->bytes = in->bytes > cr->offset ? in->bytes - cr->offset : 0;
			if (ips_framer_is_lines(fr) && k.end_off > cr->offset) {
				cr->end_offset = k.end_off; /* whole lines, unless to_end */
				cr->end_line = k.next_line - 1;
			} else if (!ips_framer_is_lines(fr) && k.any_rec) {
				cr->end_offset = k.last_off + 1 > cr->offset ? k.last_off + 1 : cr->offset;
				cr->end_line = k.last_line;
			}
		} else {
			in->records = in->bytes = 0;
		}
	}
	ips_framer_source_problem(decoded, &k); /* what the decoder met, if not yet told */
	ips_source_close(decoded);
	s->sink.end_input(s->sink.ctx);
	s->out->records += in->records;
	bool empty = cr ? (cr->fd >= 0 && cr->size == 0) : (in->bytes == 0 && in->records == 0);
	if (in->status == IPS_INPUT_OK && empty)
		in->status = IPS_INPUT_EMPTY;
	return (st == IPS_OK && in->status != IPS_INPUT_PARTIAL) ? IPS_OK : IPS_E_INPUT;
}

ips_status_t ips_scanner_scan_source(ips_scanner_t *s, ips_source_t *src)
{
	return scan_source(s, src, NULL);
}

ips_status_t ips_scanner_scan_from(ips_scanner_t *s, ips_source_t *src, ips_scan_from_t *from)
{
	return scan_source(s, src, from);
}

ips_input_t *ips_scanner_add_input(ips_scanner_t *s, const char *path)
{
	return new_input(s, path);
}

bool ips_scanner_has_input(const ips_scanner_t *s, const char *path)
{
	for (size_t i = 0; i < s->out->inputs.len; i++)
		if (!strcmp(((const ips_input_t *)s->out->inputs.items[i])->path, path))
			return true;
	return false;
}

ips_status_t ips_scanner_input_error(ips_scanner_t *s, const char *path, const char *msg)
{
	return input_error(s, path, "%s", msg);
}

/* ---- the systemd journal ----------------------------------------------- */

/*
 * A binary journal (a file, the journal files of a folder, the local
 * journal) as one input named `name`. Cron mode continues after the cursor
 * earlier runs saved under that name and saves the last entry read.
 */
static ips_status_t scan_journal(ips_scanner_t *s, const char *name, const ips_journal_where_t *w)
{
	ips_input_t *in = new_input(s, name);
	ips_sink_t k = {0};
	k.sc = s;
	k.in = in;
	k.input_index = s->out->inputs.len - 1;
	k.yc.year = s->opts.year;
	k.format = "journal";
	in->format = "journal";
	ips_journal_pos_t pos = {0};
	bool resume = s->hooks.journal_begin != NULL; /* cron mode: after a cursor */
	if (resume) {
		k.resume = true;
		s->hooks.journal_begin(s->hooks.ctx, name, k.input_index, &pos);
		if (pos.cursor)
			ips_scan_add_note(in, "continued after the last entry earlier runs read");
	}
	ips_status_t st = ips_journal_read(w, &s->opts.journal, resume ? &pos : NULL, &k,
					   &s->opts.frame);
	if (resume)
		s->hooks.journal_end(s->hooks.ctx, name, &pos);
	s->sink.end_input(s->sink.ctx);
	free(pos.end_cursor);
	s->out->records += in->records;
	if (st != IPS_OK && in->records == 0 && !pos.cursor)
		in->status = IPS_INPUT_ERROR;
	if (in->status == IPS_INPUT_OK && in->records == 0 && !pos.cursor)
		in->status = IPS_INPUT_EMPTY; /* (nothing new since the last run is not empty) */
	return (st == IPS_OK && in->status != IPS_INPUT_PARTIAL) ? IPS_OK : IPS_E_INPUT;
}

ips_status_t ips_scanner_scan_journal_local(ips_scanner_t *s)
{
	ips_journal_where_t w = {.local = true, .fd = -1};
	return scan_journal(s, IPS_JOURNAL_LOCAL_NAME, &w);
}

/* A folder's journal files, through the walker: its own files, links followed. */
typedef struct journal_walk {
	ips_scanner_t *s;
	const char *dir;
	ips_vec_t good;          /* char *: the files sd-journal can open */
	ips_status_t res;
} journal_walk_t;

static bool journal_name(void *ctx, const char *dir, const char *name, bool *flag)
{
	(void)ctx, (void)dir, (void)flag;
	return !ips_journal_is_file_name(name);
}

static ips_status_t journal_file(void *ctx, const char *path, const struct stat *st)
{
	journal_walk_t *jw = ctx;
	if (excluded(jw->s, st))
		return IPS_OK;
	char *why = ips_journal_probe(path);
	if (why) {
		jw->res = input_error(jw->s, path, "%s", why);
		free(why);
		return IPS_OK;
	}
	ips_vec_push(&jw->good, ips_xstrdup(path));
	return IPS_OK;
}

/* the folder cannot be opened: an error; an entry that vanished or cannot be
 * stat'ed is not a journal file to read */
static ips_status_t journal_skip(void *ctx, const char *path, ips_walk_skip_t why, const char *msg)
{
	journal_walk_t *jw = ctx;
	if (why == IPS_WALK_UNREADABLE && !strcmp(path, jw->dir))
		jw->res = input_error(jw->s, path, "%s", msg);
	return IPS_OK;
}

ips_status_t ips_scanner_scan_journal_dir(ips_scanner_t *s, const char *dir)
{
	/* a file that sd-journal cannot open would stop it opening the others:
	 * each is tried alone first, and a bad one is its own input, named */
	static const ips_walk_cbs_t cbs = {journal_name, journal_file, journal_skip};
	const ips_walk_opts_t wo = {.no_recurse = true, .follow_links = true};
	journal_walk_t jw = {s, dir, {0}, IPS_OK};
	struct stat dst;
	if (stat(dir, &dst) != 0)
		return input_error(s, dir, "cannot open directory: %s", strerror(errno));
	(void)ips_walk(dir, &dst, &wo, &cbs, &jw);
	ips_vec_t good = jw.good;
	ips_status_t res = jw.res;
	if (good.len) {
		ips_journal_where_t w = {.paths = (const char *const *)good.items,
					 .npaths = good.len, .fd = -1};
		if (scan_journal(s, dir, &w) != IPS_OK)
			res = IPS_E_INPUT;
	}
	for (size_t i = 0; i < good.len; i++)
		free(good.items[i]);
	ips_vec_free(&good);
	return res;
}

/*
 * An input that is named in the report but not read (a link not followed, a
 * file that is not a log, a missing file with --missing-ok). note is taken.
 */
static void noted_input(ips_scanner_t *s, const char *path, ips_input_status_t status, char *note)
{
	ips_input_t *in = new_input(s, path);
	in->status = status;
	in->note = note;
}


/* The directory walker's callbacks (input/walk.h): what it meets becomes an input. */

/* journal files (*.journal): one input for the folder, where the first is */
static bool walk_name(void *ctx, const char *dir, const char *name, bool *journal_done)
{
	ips_scanner_t *s = ctx;
	if (s->opts.input_format || !ips_journal_is_file_name(name))
		return false;
	if (!*journal_done && ips_scanner_scan_journal_dir(s, dir) != IPS_OK)
		s->walk_res = IPS_E_INPUT;
	*journal_done = true;
	return true;
}

static ips_status_t walk_file(void *ctx, const char *path, const struct stat *st)
{
	(void)st; /* stat again as a path: the file may have changed since */
	return ips_scanner_scan_path(ctx, path);
}

static ips_status_t walk_skip(void *ctx, const char *path, ips_walk_skip_t why, const char *msg)
{
	ips_scanner_t *s = ctx;
	switch (why) {
	case IPS_WALK_LINK:
		noted_input(s, path, IPS_INPUT_OK, ips_xstrdup(msg));
		return IPS_OK;
	case IPS_WALK_NONLOG:
		return skip_nonlog(s, path, msg);
	default:
		return input_error(s, path, "%s", msg);
	}
}

static ips_status_t scan_dir(ips_scanner_t *s, const char *path, const struct stat *st)
{
	static const ips_walk_cbs_t cbs = {walk_name, walk_file, walk_skip};
	ips_walk_opts_t wo = {.follow_links = s->opts.follow_links, .skip_nonlog = true,
			      .globs = s->opts.globs, .nglobs = s->opts.nglobs};
	ips_status_t saved = s->walk_res;
	s->walk_res = IPS_OK;
	s->depth++;
	ips_status_t res = ips_walk(path, st, &wo, &cbs, s);
	s->depth--;
	if (s->walk_res != IPS_OK)
		res = s->walk_res;
	s->walk_res = saved;
	return res == IPS_OK ? IPS_OK : IPS_E_INPUT;
}

/* A file that is not a log, inside a folder or an archive: named, not read. */
static ips_status_t skip_nonlog(ips_scanner_t *s, const char *path, const char *kind)
{
	noted_input(s, path, IPS_INPUT_OK, ips_scan_nonlog_note(kind));
	return IPS_OK;
}

char *ips_scan_nonlog_note(const char *kind)
{
	return ips_xasprintf("not a log (%s): skipped; name it on the command line, or "
			     "--include it, to read it", kind);
}

/* --missing-ok: a named input that does not exist is a note, not an error */
static ips_status_t missing(ips_scanner_t *s, const char *path)
{
	noted_input(s, path, IPS_INPUT_EMPTY, ips_xstrdup(IPS_SCAN_NOTE_MISSING));
	return IPS_OK;
}

ips_status_t ips_scanner_scan_path(ips_scanner_t *s, const char *path)
{
	if (strcmp(path, "-") != 0) {
		struct stat st;
		if (stat(path, &st) != 0 && errno == ENOENT && s->opts.missing_ok && !s->depth)
			return missing(s, path);
		if (stat(path, &st) != 0)
			return input_error(s, path, "cannot open: %s", strerror(errno));
		if (S_ISDIR(st.st_mode))
			return scan_dir(s, path, &st);
		/* cron mode: the state file, its lock and our report are not logs */
		if (excluded(s, &st))
			return IPS_OK;
	}
	int err = 0;
	ips_source_t *src = ips_source_open_path(path, &err);
	if (!src)
		return input_error(s, path, "cannot open: %s", strerror(err));
	ips_status_t st;
	int fd = ips_source_fd(src);
	/* a journal file: read with sd-journal, in cron mode by its cursor */
	const unsigned char *head;
	ssize_t hn;
	if (strcmp(path, "-") && (!s->opts.input_format || !strcmp(s->opts.input_format, "journal")) &&
	    (hn = ips_source_peek(src, 8, &head)) > 0 && ips_journal_is_binary(head, (size_t)hn)) {
		ips_source_close(src);
		const char *paths[1] = {path};
		ips_journal_where_t w = {.paths = paths, .npaths = 1, .fd = -1};
		return scan_journal(s, path, &w);
	}
	if (s->hooks.file && strcmp(path, "-") && fd >= 0)
		st = s->hooks.file(s->hooks.ctx, s, src, fd, path); /* cron mode */
	else
		st = ips_scanner_scan_source(s, src);
	ips_source_close(src);
	return st;
}

/* ---- live mode --------------------------------------------------------- */

ips_sink_t *ips_scanner_stream_open(ips_scanner_t *s, const char *name, const char *format,
				    int64_t ref_time)
{
	ips_sink_t *k = ips_xcalloc(1, sizeof *k);
	k->sc = s;
	k->in = new_input(s, name);
	k->input_index = s->out->inputs.len - 1;
	k->in->format = format;
	k->format = format;
	k->yc.year = s->opts.year;
	k->yc.ref = ref_time;
	return k;
}

void ips_scanner_stream_close(ips_scanner_t *s, ips_sink_t *k, uint64_t records, uint64_t bytes)
{
	ips_sink_done(k, records, bytes);
	s->out->records += records;
	if (k->in->status == IPS_INPUT_OK && !records && !bytes)
		k->in->status = IPS_INPUT_EMPTY;
	free(k);
}

ips_input_t *ips_scanner_stream_input(ips_sink_t *k)
{
	return k->in;
}
