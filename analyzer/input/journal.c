/* SPDX-License-Identifier: Apache-2.0 */
/*
 * journal.c - the systemd journal (see journal.h): binary files through
 * sd-journal, and the entry emitter every reader shares; the text forms
 * (`journalctl -o export`, `-o json`) are read in journal_text.c.
 *
 * All three end in one place, ips_journal_emit(): an entry's wanted fields
 * (a fixed table, each capped) become one record. Fields not in the table
 * are skipped as they are read, so memory stays bounded by the record cap
 * whatever an entry holds.
 */
#include "input/journal.h"
#include "input/journal_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "util/util.h"

#define SPOOL_MAX (4ULL << 30) /* a journal inside an archive: copied up to this */

static const char *const field_names[F_ALL] = {
	"_HOSTNAME", "SYSLOG_IDENTIFIER", "_PID", "_SYSTEMD_UNIT", "PRIORITY", "_BOOT_ID",
	"__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP", "__CURSOR",
	"MESSAGE", "_COMM", "SYSLOG_PID", "__SEQNUM",
	"THREAD", "GROUP", "IKE_SA_UNIQUE_ID", "IKE_SA_NAME",
};

int ips_journal_field_index(const char *name, size_t n)
{
	for (int i = 0; i < F_ALL; i++)
		if (strlen(field_names[i]) == n && !memcmp(field_names[i], name, n))
			return i;
	return -1;
}

void ips_journal_em_init(emitter_t *em, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	memset(em, 0, sizeof *em);
	em->sink = sink;
	em->max_record = lim->max_record;
	for (int i = 0; i < F_ALL; i++) {
		em->e.cap[i] = i == F_MESSAGE ? lim->max_record : FIELD_CAP;
		em->e.v[i] = ips_xmalloc(em->e.cap[i] + 1);
	}
	em->text_cap = lim->max_record + 4 * FIELD_CAP;
	em->text = ips_xmalloc(em->text_cap + 1);
	for (int i = 0; i < F_ALL; i++)
		em->e.len[i] = (size_t)-1;
}

void ips_journal_em_free(emitter_t *em)
{
	for (int i = 0; i < F_ALL; i++)
		free(em->e.v[i]);
	free(em->text);
}

void ips_journal_em_clear(emitter_t *em)
{
	for (int i = 0; i < F_ALL; i++)
		em->e.len[i] = (size_t)-1;
	em->e.cut = false;
}

static bool has(const entry_t *e, int f)
{
	return e->len[f] != (size_t)-1;
}

/* Set field f (the first value wins, as journalctl shows the first). */
void ips_journal_em_set(emitter_t *em, int f, const char *v, size_t n)
{
	entry_t *e = &em->e;
	if (f < 0 || has(e, f))
		return;
	if (n > e->cap[f]) {
		n = e->cap[f];
		if (f == F_MESSAGE)
			e->cut = true;
	}
	memcpy(e->v[f], v, n);
	e->v[f][n] = '\0';
	e->len[f] = n;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s)
		return false;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* Append s (n bytes) to the text, as far as it fits. */
static size_t put(emitter_t *em, size_t at, const char *s, size_t n)
{
	if (at >= em->text_cap)
		return at;
	if (n > em->text_cap - at)
		n = em->text_cap - at;
	memcpy(em->text + at, s, n);
	return at + n;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/*
 * charon-systemd's journal logger sends the bare message, with the thread,
 * the log group and the IKE_SA in fields of their own (THREAD, GROUP,
 * IKE_SA_UNIQUE_ID, IKE_SA_NAME). They are put back in front of it as
 * charon's file logger writes them ("05[IKE] <site|1> "), so the detectors
 * and the negotiation context see what they see in charon.log. A MESSAGE
 * that already starts with "NN[GRP] " is left as it is.
 */
static size_t charon_prefix(emitter_t *em, size_t at)
{
	const entry_t *e = &em->e;
	if (!has(e, F_THREAD) || !has(e, F_GROUP) || !all_digits(e->v[F_THREAD], e->len[F_THREAD]) ||
	    e->len[F_GROUP] < 2 || e->len[F_GROUP] > 4)
		return at;
	const char *m = e->v[F_MESSAGE];
	size_t i = 0;
	while (i < e->len[F_MESSAGE] && m[i] >= '0' && m[i] <= '9')
		i++;
	if (i && i < e->len[F_MESSAGE] && m[i] == '[')
		return at; /* the prefix is there already */
	char pre[64 + FIELD_CAP];
	int n = snprintf(pre, 64, "%02d[%s] ", (int)strtol(e->v[F_THREAD], NULL, 10), e->v[F_GROUP]);
	if (n < 0 || n >= 64)
		return at;
	at = put(em, at, pre, (size_t)n);
	if (has(e, F_SA_ID) && all_digits(e->v[F_SA_ID], e->len[F_SA_ID])) {
		if (has(e, F_SA_NAME))
			n = snprintf(pre, sizeof pre, "<%s|%s> ", e->v[F_SA_NAME], e->v[F_SA_ID]);
		else
			n = snprintf(pre, sizeof pre, "<%s> ", e->v[F_SA_ID]);
		if (n > 0 && (size_t)n < sizeof pre)
			at = put(em, at, pre, (size_t)n);
	}
	return at;
}

/*
 * One entry to the sink: "TIME HOST IDENT[PID]: MESSAGE" with the time in
 * UTC (journalctl -o short-iso-precise, in UTC), the journal's fields as the
 * record's fields. An entry without MESSAGE is counted but not matched.
 */
void ips_journal_emit(emitter_t *em, uint64_t offset, uint64_t line)
{
	entry_t *e = &em->e;
	em->records++;
	if (!has(e, F_MESSAGE))
		return;
	ips_record_t rec = {0};
	uint64_t us;
	if (has(e, F_REALTIME) && parse_u64(e->v[F_REALTIME], &us)) {
		rec.time.sec = (int64_t)(us / 1000000);
		rec.time.nsec = (int32_t)(us % 1000000) * 1000;
		rec.time.frac = 6;
		rec.time.valid = true;
	}
	size_t at = 0;
	char ts[64];
	if (rec.time.valid) {
		at = put(em, at, ts, ips_time_format(&rec.time, ts, sizeof ts));
		at = put(em, at, " ", 1);
	}
	if (has(e, F_HOSTNAME) && e->len[F_HOSTNAME]) {
		at = put(em, at, e->v[F_HOSTNAME], e->len[F_HOSTNAME]);
		at = put(em, at, " ", 1);
		rec.host = e->v[F_HOSTNAME];
	}
	int ident = has(e, F_IDENT) ? F_IDENT : has(e, F_COMM) ? F_COMM : -1;
	int pid = has(e, F_SYSLOG_PID) ? F_SYSLOG_PID : has(e, F_PID) ? F_PID : -1;
	if (ident >= 0) {
		at = put(em, at, e->v[ident], e->len[ident]);
		if (pid >= 0) {
			at = put(em, at, "[", 1);
			at = put(em, at, e->v[pid], e->len[pid]);
			at = put(em, at, "]", 1);
		}
		at = put(em, at, ": ", 2);
	}
	at = charon_prefix(em, at);
	at = put(em, at, e->v[F_MESSAGE], e->len[F_MESSAGE]);
	em->text[at] = '\0';
	ips_kv_t kv[F_NFIELDS];
	size_t nkv = 0;
	for (int i = 0; i < F_NFIELDS; i++)
		if (has(e, i) && e->len[i]) {
			kv[nkv].key = (char *)field_names[i];
			kv[nkv].value = e->v[i];
			nkv++;
		}
	rec.text = em->text;
	rec.len = at;
	rec.offset = offset;
	rec.line = line;
	rec.truncated = e->cut;
	rec.fields = kv;
	rec.nfields = nkv;
	rec.line_header = true;
	ips_sink_record(em->sink, &rec);
}

/* ---- matches ----------------------------------------------------------- */

const char *ips_journal_match_check(const char *arg)
{
	if (!strcmp(arg, "+"))
		return NULL;
	const char *eq = strchr(arg, '=');
	if (!eq)
		return "a match is FIELD=VALUE (or '+' between alternatives)";
	if (eq == arg)
		return "the field name is empty";
	for (const char *p = arg; p < eq; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return "a field name has only capital letters, digits and '_'";
	if (*arg >= '0' && *arg <= '9')
		return "a field name does not start with a digit";
	return NULL;
}

static bool has_unit_suffix(const char *u)
{
	static const char *const sfx[] = {".service", ".socket", ".scope", ".slice", ".target",
					  ".mount", ".timer", ".path", ".swap", ".device", NULL};
	size_t n = strlen(u);
	for (int i = 0; sfx[i]; i++) {
		size_t k = strlen(sfx[i]);
		if (n > k && !strcmp(u + n - k, sfx[i]))
			return true;
	}
	return false;
}

static int add_filter(sd_journal *j, const ips_journal_filter_t *f)
{
	int r = 0;
	for (size_t i = 0; f && i < f->nmatches && r >= 0; i++)
		r = !strcmp(f->matches[i], "+") ? sd_journal_add_disjunction(j)
		    : sd_journal_add_match(j, f->matches[i], 0);
	if (f && f->nunits && r >= 0) {
		if (f->nmatches)
			r = sd_journal_add_conjunction(j);
		for (size_t i = 0; i < f->nunits && r >= 0; i++) {
			char *m = ips_xasprintf("_SYSTEMD_UNIT=%s%s", f->units[i],
						has_unit_suffix(f->units[i]) ? "" : ".service");
			r = sd_journal_add_match(j, m, 0);
			free(m);
		}
	}
	return r;
}

/* ---- binary journals (sd-journal) -------------------------------------- */

static int open_where(sd_journal **j, const ips_journal_where_t *w)
{
	if (w->local)
		return sd_journal_open(j, SD_JOURNAL_LOCAL_ONLY);
	if (w->fd >= 0) {
		int fds[1] = {w->fd};
		return sd_journal_open_files_fd(j, fds, 1, 0);
	}
	const char **paths = ips_xcalloc(w->npaths + 1, sizeof *paths);
	for (size_t i = 0; i < w->npaths; i++)
		paths[i] = w->paths[i];
	int r = sd_journal_open_files(j, paths, 0);
	free(paths);
	return r;
}

static const char *why(int r)
{
	switch (-r) {
	case EBADMSG: return "the file is corrupt (a bad journal header or entry)";
	case ENODATA: return "the file is truncated (shorter than its header says)";
	case EPROTONOSUPPORT: return "a journal format this libsystemd does not know";
	case EACCES: return "permission denied";
	default: return NULL;
	}
}

static void journal_error(ips_sink_t *sink, uint64_t off, const char *what, int r)
{
	const char *w = why(r);
	ips_sink_error(sink, off, "journal: %s: %s", what, w ? w : strerror(-r));
}

char *ips_journal_probe(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char head[8];
	size_t hn = f ? fread(head, 1, sizeof head, f) : 0;
	if (f)
		fclose(f);
	if (!f)
		return ips_xasprintf("cannot open: %s", strerror(errno));
	if (!ips_journal_is_binary(head, hn))
		return ips_xstrdup("not a journal file (it lacks the journal's signature)");
	sd_journal *j = NULL;
	const char *paths[2] = {path, NULL};
	int r = sd_journal_open_files(&j, paths, 0);
	if (r >= 0) {
		/* a header that opens but no entry that reads is still unusable */
		r = sd_journal_next(j);
		sd_journal_close(j);
		if (r >= 0)
			return NULL;
	}
	const char *w = why(r);
	return ips_xasprintf("not a readable journal file: %s", w ? w : strerror(-r));
}

/*
 * Cron mode: how far earlier runs read, per source. A journal's entries are
 * numbered by their writer (the seqnum_id "s=" of a cursor, one per machine
 * or journal-remote output): an entry is new when its source is unknown or
 * its number is past the last one read of that source. That holds however
 * sd-journal interleaves the files of a folder, and whatever order hosts
 * deliver their entries in.
 */
typedef struct jsrc {
	char sid[40];
	uint64_t seq, t;
	char *cursor;        /* the last entry read of this source */
} jsrc_t;

typedef struct jsrcs {
	jsrc_t v[IPS_JOURNAL_SOURCES_MAX];
	size_t n;
} jsrcs_t;

/* "s=SID;i=SEQ;b=..;m=..;t=T;x=.." */
static bool cursor_parse(const char *c, size_t n, char *sid, size_t sidcap, uint64_t *seq,
			 uint64_t *t)
{
	bool have_s = false, have_i = false;
	*t = 0;
	size_t i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && c[e] != ';')
			e++;
		if (e - i > 2 && c[i + 1] == '=') {
			char buf[40];
			size_t k = e - i - 2;
			if (k < sizeof buf) {
				memcpy(buf, c + i + 2, k);
				buf[k] = '\0';
				char *end;
				if (c[i] == 's' && k < sidcap) {
					memcpy(sid, buf, k + 1);
					have_s = true;
				} else if (c[i] == 'i') {
					*seq = strtoull(buf, &end, 16);
					have_i = !*end;
				} else if (c[i] == 't') {
					*t = strtoull(buf, &end, 16);
				}
			}
		}
		i = e + 1;
	}
	return have_s && have_i;
}

static jsrc_t *src_find(jsrcs_t *s, const char *sid)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].sid, sid))
			return &s->v[i];
	return NULL;
}

/* A new source; past the cap, the one read longest ago gives way. */
static jsrc_t *src_add(jsrcs_t *s, const char *sid)
{
	jsrc_t *x;
	if (s->n < IPS_JOURNAL_SOURCES_MAX) {
		x = &s->v[s->n++];
	} else {
		x = &s->v[0];
		for (size_t i = 1; i < s->n; i++)
			if (s->v[i].t < x->t)
				x = &s->v[i];
		free(x->cursor);
	}
	memset(x, 0, sizeof *x);
	snprintf(x->sid, sizeof x->sid, "%s", sid);
	return x;
}

/* The saved cursors, "C1,C2,...". */
static void srcs_parse(jsrcs_t *s, const char *list)
{
	s->n = 0;
	while (list && *list) {
		const char *e = strchr(list, ',');
		size_t n = e ? (size_t)(e - list) : strlen(list);
		char sid[40];
		uint64_t seq = 0, t = 0;
		if (cursor_parse(list, n, sid, sizeof sid, &seq, &t) && !src_find(s, sid)) {
			jsrc_t *x = src_add(s, sid);
			x->seq = seq;
			x->t = t;
			x->cursor = ips_xstrndup(list, n);
		}
		list = e ? e + 1 : NULL;
	}
}

ips_status_t ips_journal_read(const ips_journal_where_t *w, const ips_journal_filter_t *f,
			      ips_journal_pos_t *pos, ips_sink_t *sink,
			      const ips_frame_limits_t *lim)
{
	sd_journal *j = NULL;
	int r = open_where(&j, w);
	if (r < 0) {
		journal_error(sink, 0, "cannot open", r);
		ips_sink_done(sink, 0, 0);
		return IPS_E_INPUT;
	}
	ips_status_t st = IPS_OK;
	(void)sd_journal_set_data_threshold(j, lim->max_record + 64);
	if (add_filter(j, f) < 0) {
		ips_sink_error(sink, 0, "journal: the matches cannot be applied");
		sd_journal_close(j);
		ips_sink_done(sink, 0, 0);
		return IPS_E_INPUT;
	}
	uint64_t line = pos ? pos->line : 0;
	emitter_t em;
	ips_journal_em_init(&em, sink, lim);
	jsrcs_t *srcs = ips_xcalloc(1, sizeof *srcs);
	if (pos && pos->cursor) {
		srcs_parse(srcs, pos->cursor);
		/* start a margin before the oldest of the sources' last entries: what
		 * a source delivers late, within the margin, is still found */
		uint64_t from = UINT64_MAX;
		for (size_t i = 0; i < srcs->n; i++)
			if (srcs->v[i].t < from)
				from = srcs->v[i].t;
		if (srcs->n && from != UINT64_MAX && from > IPS_JOURNAL_RESUME_MARGIN_US)
			(void)sd_journal_seek_realtime_usec(j, from - IPS_JOURNAL_RESUME_MARGIN_US);
		else if (!srcs->n)
			ips_sink_error(sink, 0, "journal: the saved cursor cannot be read: read from "
				       "the first entry");
	}
	uint64_t bad = 0, bad_line = 0, skipped = 0;
	int bad_err = 0;
	for (;;) {
		r = sd_journal_next(j);
		if (r == 0)
			break;
		if (r < 0) {
			journal_error(sink, line, "reading stopped at an entry", r);
			st = IPS_E_INPUT;
			break;
		}
		char *cur = NULL;
		char sid[40] = "";
		uint64_t seq = 0, t = 0;
		bool known = sd_journal_get_cursor(j, &cur) >= 0 &&
			     cursor_parse(cur, strlen(cur), sid, sizeof sid, &seq, &t);
		jsrc_t *x = known && pos ? src_find(srcs, sid) : NULL;
		if (x && x->cursor && seq <= x->seq) {
			free(cur); /* read by an earlier run */
			skipped++;
			continue;
		}
		ips_journal_em_clear(&em);
		const void *d;
		size_t n;
		sd_journal_restart_data(j);
		while ((r = sd_journal_enumerate_data(j, &d, &n)) > 0) {
			const char *eq = memchr(d, '=', n);
			if (!eq)
				continue;
			int fi = ips_journal_field_index(d, (size_t)(eq - (const char *)d));
			if (fi >= 0 && fi != F_CURSOR && fi != F_REALTIME && fi != F_MONO)
				ips_journal_em_set(&em, fi, eq + 1, n - (size_t)(eq + 1 - (const char *)d));
		}
		if (r < 0 && bad++ == 0) {
			bad_line = line + 1;
			bad_err = r;
		}
		char num[32];
		uint64_t us;
		if (sd_journal_get_realtime_usec(j, &us) >= 0) {
			snprintf(num, sizeof num, "%llu", (unsigned long long)us);
			ips_journal_em_set(&em, F_REALTIME, num, strlen(num));
		}
		sd_id128_t boot;
		if (sd_journal_get_monotonic_usec(j, &us, &boot) >= 0) {
			snprintf(num, sizeof num, "%llu", (unsigned long long)us);
			ips_journal_em_set(&em, F_MONO, num, strlen(num));
		}
		if (cur)
			ips_journal_em_set(&em, F_CURSOR, cur, strlen(cur));
		line++;
		ips_journal_emit(&em, seq, line);
		if (known && pos) {
			if (!x)
				x = src_add(srcs, sid);
			free(x->cursor);
			x->cursor = cur;
			x->seq = seq;
			x->t = t;
			cur = NULL;
		}
		free(cur);
	}
	if (bad) {
		const char *w2 = why(bad_err);
		ips_sink_error(sink, bad_line, "journal: %llu entries could not be read whole (the "
			       "first is entry %llu: %s); what could be read of them was matched",
			       (unsigned long long)bad, (unsigned long long)bad_line,
			       w2 ? w2 : strerror(-bad_err));
	}
	if (pos) {
		pos->end_line = line;
		pos->end_cursor = NULL;
		ips_buf_t b;
		ips_buf_init(&b, IPS_JOURNAL_SOURCES_MAX * 256);
		for (size_t i = 0; i < srcs->n; i++)
			if (srcs->v[i].cursor)
				ips_buf_printf(&b, "%s%s", b.len ? "," : "", srcs->v[i].cursor);
		if (b.len)
			pos->end_cursor = ips_xstrndup(b.data, b.len);
		ips_buf_free(&b);
		pos->skipped = skipped;
	}
	for (size_t i = 0; i < srcs->n; i++)
		free(srcs->v[i].cursor);
	free(srcs);
	ips_sink_done(sink, em.records, 0);
	ips_journal_em_free(&em);
	sd_journal_close(j);
	return st;
}

bool ips_journal_is_binary(const unsigned char *head, size_t n)
{
	return n >= 8 && !memcmp(head, "LPKSHHRH", 8);
}

bool ips_journal_is_file_name(const char *name)
{
	size_t n = strlen(name);
	return (n > 8 && !strcmp(name + n - 8, ".journal")) ||
	       (n > 9 && !strcmp(name + n - 9, ".journal~"));
}

/*
 * An archive member or a pipe: copied to a temporary file first. sd-journal
 * refuses a file that has no name left (it takes it for a deleted journal),
 * so the copy keeps its name (*path, caller unlinks and frees) while read.
 */
static int spool(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim,
		 uint64_t *bytes, char **path)
{
	const char *dir = getenv("TMPDIR");
	*path = ips_xasprintf("%s/ipsec-scan-XXXXXX.journal", dir && *dir ? dir : "/tmp");
	int fd = mkstemps(*path, 8);
	if (fd < 0) {
		ips_sink_error(sink, 0, "journal: cannot create a temporary file to read it from: %s",
			       strerror(errno));
		free(*path);
		*path = NULL;
		return -1;
	}
	/* a journal cut short is not one sd-journal can read: too big, not read */
	if (ips_framer_spool(src, sink, fd, lim->block, SPOOL_MAX, "journal", "not read", bytes) !=
	    IPS_SPOOL_DONE) {
		close(fd);
		unlink(*path);
		free(*path);
		*path = NULL;
		return -1;
	}
	return fd;
}

/* Is src the regular file its name says (so sd-journal can open it itself)? */
static bool is_plain_file(const ips_source_t *src)
{
	struct stat st;
	return src->size >= 0 && stat(src->name, &st) == 0 && S_ISREG(st.st_mode) &&
	       (int64_t)st.st_size == src->size && (int64_t)st.st_mtime == src->mtime;
}

static ips_status_t binary_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	return ips_journal_run_source(src, NULL, sink, lim);
}

ips_status_t ips_journal_run_source(ips_source_t *src, const ips_journal_filter_t *f,
				    ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	ips_journal_where_t w = {.fd = -1};
	const char *paths[1] = {src->name};
	int fd = -1;
	uint64_t bytes = 0;
	char *tmp = NULL;
	if (is_plain_file(src)) {
		w.paths = paths;
		w.npaths = 1;
	} else {
		fd = spool(src, sink, lim, &bytes, &tmp);
		if (fd < 0) {
			ips_sink_done(sink, 0, bytes);
			return IPS_E_INPUT;
		}
		w.fd = fd;
	}
	ips_status_t st = ips_journal_read(&w, f, NULL, sink, lim);
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	return st;
}

static int binary_sniff(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	return ips_journal_is_binary(h, n) ? 100 : 0;
}

const ips_framer_ops_t ips_framer_journal = {.name = "journal", .sniff = binary_sniff,
					     .run = binary_run};
