/* SPDX-License-Identifier: Apache-2.0 */
/* merge.c - see merge.h and docs/scale.md. */
#include "run/merge.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yajl_tree.h>

#include "correlate/correlate.h"
#include "input/framer.h"
#include "input/walk.h"
#include "util/util.h"

#define MAX_ERRORS 100
/* the note of an input known only from its findings (no "input" record) */
#define ONLY_FINDINGS "known only from its findings: no input record was merged"

typedef struct mfind {
	ips_finding_t f;          /* input is resolved at the end */
	char *source, *path;
	char *from;               /* FILE:LINE of the NDJSON record */
	uint64_t seq;             /* order first read: a record's findings keep theirs */
} mfind_t;

typedef struct mwin {
	ips_window_t w;           /* input and findings are resolved at the end */
	char *source, *path;
	char *keystr;             /* the key as "k=v\n...", part of the window's identity */
	char **ids;
	size_t nids;
} mwin_t;

struct ips_merge {
	const ips_rules_t *rules;
	ips_merge_opts_t opts;
	ips_vec_t parts;          /* ips_input_t *: input records, one per run */
	ips_vec_t finds;          /* mfind_t * */
	size_t *slots;            /* id hash -> 1 + index into finds, 0 = empty */
	size_t nslots;
	ips_vec_t wins;           /* mwin_t * */
	ips_vec_t entries;        /* ips_entry_t *: entries the rules lack */
	ips_vec_t dets;           /* ips_detector_t *: rules the rules lack */
	ips_vec_t names;          /* char *: input format names no framer has (containers) */
	ips_vec_t errors;         /* char * */
	size_t nerrors;           /* problems: lines skipped, and conflicts */
	size_t nskipped;          /* of them, lines skipped */
	char *first_skipped;
	uint64_t seq;
	uint64_t conflicts;       /* same id, another record */
	uint64_t redelivered;     /* another id, the same record (host, time, rule, text) */
	ips_vec_t aliases;        /* alias_t *: the id of a dropped copy -> the id kept */
	ips_vec_t clashes;        /* mfind_t *: the losing side of each conflict */
	const char *cur_name;     /* the NDJSON file being read, and its line */
	uint64_t cur_line;
	uint64_t unknown_types;
	uint64_t filtered;
	uint64_t links;           /* symbolic links inside directories, not followed */
	char *first_link;
};

void ips_merge_opts_default(ips_merge_opts_t *o)
{
	memset(o, 0, sizeof *o);
	o->min_severity = IPS_SEV_INFO;
	o->max_line = 4u << 20;
}

ips_merge_t *ips_merge_new(const ips_rules_t *rules, const ips_merge_opts_t *o)
{
	ips_merge_t *m = ips_xcalloc(1, sizeof *m);
	m->rules = rules;
	m->opts = *o;
	if (m->opts.max_line < 1024)
		m->opts.max_line = 1024;
	m->nslots = 1024;
	m->slots = ips_xcalloc(m->nslots, sizeof *m->slots);
	return m;
}

static void kv_free(ips_kv_t *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void input_free(ips_input_t *in)
{
	free(in->path);
	free(in->source);
	free(in->error);
	free(in->note);
	free(in);
}

static void mfind_free(mfind_t *x)
{
	free(x->f.host);
	kv_free(x->f.fields, x->f.nfields);
	free(x->f.text);
	free(x->source);
	free(x->path);
	free(x->from);
	free(x);
}

typedef struct clash {
	char *source, *path, *msg;
} clash_t;

static void mwin_free(mwin_t *x)
{
	free(x->w.correlation);
	kv_free(x->w.key, x->w.nkey);
	free(x->w.findings);
	free(x->source);
	free(x->path);
	free(x->keystr);
	for (size_t i = 0; i < x->nids; i++)
		free(x->ids[i]);
	free(x->ids);
	free(x);
}

static void entry_free(ips_entry_t *e)
{
	free(e->name);
	free(e->hex);
	free(e->message);
	free(e->category);
	free(e->summary);
	free(e);
}

void ips_merge_free(ips_merge_t *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->parts.len; i++)
		input_free(m->parts.items[i]);
	for (size_t i = 0; i < m->finds.len; i++)
		mfind_free(m->finds.items[i]);
	for (size_t i = 0; i < m->wins.len; i++)
		mwin_free(m->wins.items[i]);
	for (size_t i = 0; i < m->entries.len; i++)
		entry_free(m->entries.items[i]);
	for (size_t i = 0; i < m->dets.len; i++) {
		ips_detector_t *d = m->dets.items[i];
		free(d->id);
		free(d);
	}
	for (size_t i = 0; i < m->errors.len; i++)
		free(m->errors.items[i]);
	free(m->first_skipped);
	free(m->first_link);
	for (size_t i = 0; i < m->clashes.len; i++) {
		clash_t *k = m->clashes.items[i];
		free(k->source);
		free(k->path);
		free(k->msg);
		free(k);
	}
	ips_vec_free(&m->clashes);
	for (size_t i = 0; i < m->names.len; i++)
		free(m->names.items[i]);
	for (size_t i = 0; i < m->aliases.len; i++)
		free(m->aliases.items[i]);
	ips_vec_free(&m->aliases);
	ips_vec_free(&m->names);
	ips_vec_free(&m->parts);
	ips_vec_free(&m->finds);
	ips_vec_free(&m->wins);
	ips_vec_free(&m->entries);
	ips_vec_free(&m->dets);
	ips_vec_free(&m->errors);
	free(m->slots);
	free(m);
}

size_t ips_merge_error_count(const ips_merge_t *m)
{
	return m->nerrors;
}

size_t ips_merge_errors_kept(const ips_merge_t *m)
{
	return m->errors.len;
}

const char *ips_merge_error_at(const ips_merge_t *m, size_t i)
{
	return i < m->errors.len ? m->errors.items[i] : NULL;
}

static void add_error(ips_merge_t *m, const char *name, uint64_t line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void push_error(ips_merge_t *m, const char *name, uint64_t line, const char *msg)
{
	m->nerrors++;
	if (m->errors.len >= MAX_ERRORS)
		return;
	if (line)
		ips_vec_push(&m->errors, ips_xasprintf("%s:%llu: %s", name, (unsigned long long)line, msg));
	else
		ips_vec_push(&m->errors, ips_xasprintf("%s: %s", name, msg));
}

/* A line (or a file) that could not be read: skipped, named. */
static void add_error(ips_merge_t *m, const char *name, uint64_t line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!m->nskipped++)
		m->first_skipped = line ? ips_xasprintf("%s:%llu: %s", name, (unsigned long long)line, msg)
					: ips_xasprintf("%s: %s", name, msg);
	push_error(m, name, line, msg);
}

/* ---- reading one record ------------------------------------------------ */

static yajl_val member(yajl_val obj, const char *key)
{
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (!strcmp(obj->u.object.keys[i], key))
			return obj->u.object.values[i];
	return NULL;
}

/* A string member, NULL when absent or null; *bad when of another type. */
static const char *str_member(yajl_val obj, const char *key, bool *bad)
{
	yajl_val v = member(obj, key);
	if (!v || YAJL_IS_NULL(v))
		return NULL;
	if (!YAJL_IS_STRING(v)) {
		*bad = true;
		return NULL;
	}
	return v->u.string;
}

static bool int_member(yajl_val obj, const char *key, int64_t *out)
{
	yajl_val v = member(obj, key);
	if (!v || !YAJL_IS_INTEGER(v) || v->u.number.i < 0)
		return false;
	*out = v->u.number.i;
	return true;
}

/* A time member: null (not valid) or ISO 8601 as the reports write it. */
static bool time_member(yajl_val obj, const char *key, ips_time_t *t)
{
	memset(t, 0, sizeof *t);
	yajl_val v = member(obj, key);
	if (!v || YAJL_IS_NULL(v))
		return true;
	if (!YAJL_IS_STRING(v))
		return false;
	size_t n = strlen(v->u.string);
	return n && ips_time_parse_iso(v->u.string, n, t) == n && t->valid;
}

/* An object of strings into key/values; false when it is not one. */
static bool kv_member(yajl_val obj, const char *key, ips_kv_t **kv, size_t *n)
{
	*kv = NULL;
	*n = 0;
	yajl_val v = member(obj, key);
	if (!v || YAJL_IS_NULL(v))
		return true;
	if (!YAJL_IS_OBJECT(v))
		return false;
	size_t len = v->u.object.len;
	for (size_t i = 0; i < len; i++)
		if (!YAJL_IS_STRING(v->u.object.values[i]))
			return false;
	*kv = ips_xcalloc(len ? len : 1, sizeof **kv);
	for (size_t i = 0; i < len; i++) {
		(*kv)[i].key = ips_xstrdup(v->u.object.keys[i]);
		(*kv)[i].value = ips_xstrdup(v->u.object.values[i]->u.string);
	}
	*n = len;
	return true;
}

static char *dup_or_null(const char *s)
{
	return s ? ips_xstrdup(s) : NULL;
}

static bool read_input(ips_merge_t *m, yajl_val o, const char **why)
{
	bool bad = false;
	const char *path = str_member(o, "path", &bad);
	const char *status = str_member(o, "status", &bad);
	if (!path || bad) {
		*why = "an input record needs \"path\" (a string)";
		return false;
	}
	ips_input_t *in = ips_xcalloc(1, sizeof *in);
	in->path = ips_xstrdup(path);
	in->source = dup_or_null(str_member(o, "source", &bad));
	in->error = dup_or_null(str_member(o, "error", &bad));
	in->note = dup_or_null(str_member(o, "note", &bad));
	const char *format = str_member(o, "format", &bad);
	if (format) {
		/* inputs borrow their format name: known ones are static, others kept here */
		const ips_framer_ops_t *fr = ips_framer_by_name(format);
		for (size_t i = 0; !fr && i < m->names.len && !in->format; i++)
			if (!strcmp(m->names.items[i], format))
				in->format = m->names.items[i];
		if (fr)
			in->format = fr->name;
		else if (!in->format) {
			ips_vec_push(&m->names, ips_xstrdup(format));
			in->format = m->names.items[m->names.len - 1];
		}
	}
	int64_t v;
	in->records = int_member(o, "records", &v) ? (uint64_t)v : 0;
	in->bytes = int_member(o, "bytes", &v) ? (uint64_t)v : 0;
	in->truncated = int_member(o, "truncated", &v) ? (uint64_t)v : 0;
	in->findings = int_member(o, "findings", &v) ? (uint64_t)v : 0;
	in->status = IPS_INPUT_OK;
	for (int s = IPS_INPUT_OK; status && s <= IPS_INPUT_EMPTY; s++)
		if (!strcmp(status, ips_input_status_name((ips_input_status_t)s)))
			in->status = (ips_input_status_t)s;
	if (bad) {
		input_free(in);
		*why = "an input record with a member of the wrong type";
		return false;
	}
	ips_vec_push(&m->parts, in);
	return true;
}

static const ips_detector_t *find_detector(ips_merge_t *m, const char *id)
{
	size_t lo = 0, hi = ips_rules_detector_count(m->rules);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const ips_detector_t *d = ips_rules_detector_at(m->rules, mid);
		int c = strcmp(d->id, id);
		if (!c)
			return d;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = 0; i < m->dets.len; i++)
		if (!strcmp(((ips_detector_t *)m->dets.items[i])->id, id))
			return m->dets.items[i];
	ips_detector_t *d = ips_xcalloc(1, sizeof *d);
	d->id = ips_xstrdup(id);
	ips_vec_push(&m->dets, d);
	return d;
}

/* The entry of a finding: from the rules, or made from what the record says. */
static const ips_entry_t *find_entry(ips_merge_t *m, yajl_val o, const char *name,
				     ips_severity_t sev)
{
	const ips_entry_t *e = ips_rules_by_name(m->rules, name);
	if (e)
		return e;
	for (size_t i = 0; i < m->entries.len; i++)
		if (!strcmp(((ips_entry_t *)m->entries.items[i])->name, name))
			return m->entries.items[i];
	bool bad = false;
	ips_entry_t *x = ips_xcalloc(1, sizeof *x);
	x->name = ips_xstrdup(name);
	int64_t code;
	yajl_val c = member(o, "code");
	if (c && YAJL_IS_INTEGER(c)) {
		code = c->u.number.i;
		x->has_code = true;
		x->code = code;
	}
	const char *msg = str_member(o, "message", &bad);
	x->message = ips_xstrdup(msg ? msg : name);
	x->hex = dup_or_null(str_member(o, "hex", &bad));
	x->category = dup_or_null(str_member(o, "category", &bad));
	x->summary = dup_or_null(str_member(o, "summary", &bad));
	x->severity = sev;
	ips_vec_push(&m->entries, x);
	return x;
}

static bool is_id(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 16;
}

static size_t id_slot(const ips_merge_t *m, const char *id)
{
	size_t s = (size_t)ips_fnv1a(IPS_FNV_INIT, id, 16) & (m->nslots - 1);
	while (m->slots[s] && strcmp(((mfind_t *)m->finds.items[m->slots[s] - 1])->f.id, id))
		s = (s + 1) & (m->nslots - 1);
	return s;
}

static void grow_slots(ips_merge_t *m)
{
	free(m->slots);
	m->nslots *= 2;
	m->slots = ips_xcalloc(m->nslots, sizeof *m->slots);
	for (size_t i = 0; i < m->finds.len; i++)
		m->slots[id_slot(m, ((mfind_t *)m->finds.items[i])->f.id)] = i + 1;
}

static int cmp_str(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/*
 * Two records with one id: the same record read by two runs (keep either),
 * or a rotated log or two machines' logs that share a path, or a forged
 * line. Which is kept must not depend on the order of the files: the higher
 * severity first (a forged record must not turn an error into info), then
 * more fields (a run that saw the negotiation's earlier lines knows more),
 * then the content.
 */
static int cmp_content(const mfind_t *a, const mfind_t *b)
{
	if (a->f.severity != b->f.severity)
		return a->f.severity > b->f.severity ? -1 : 1;
	if (a->f.nfields != b->f.nfields)
		return a->f.nfields > b->f.nfields ? -1 : 1;
	if (a->f.time.valid != b->f.time.valid || a->f.time.sec != b->f.time.sec ||
	    a->f.time.nsec != b->f.time.nsec)
		return a->f.time.valid != b->f.time.valid ? (a->f.time.valid ? -1 : 1)
		       : a->f.time.sec != b->f.time.sec   ? (a->f.time.sec < b->f.time.sec ? -1 : 1)
							  : (a->f.time.nsec < b->f.time.nsec ? -1 : 1);
	int c = cmp_str(a->f.text, b->f.text);
	if (c)
		return c;
	if (a->f.line != b->f.line)
		return a->f.line < b->f.line ? -1 : 1;
	for (size_t i = 0; i < a->f.nfields; i++) {
		if ((c = strcmp(a->f.fields[i].key, b->f.fields[i].key)) ||
		    (c = strcmp(a->f.fields[i].value, b->f.fields[i].value)))
			return c;
	}
	if (a->f.severity != b->f.severity)
		return a->f.severity > b->f.severity ? -1 : 1;
	if (a->f.offset != b->f.offset)
		return a->f.offset < b->f.offset ? -1 : 1;
	if (a->f.time.frac != b->f.time.frac)
		return a->f.time.frac < b->f.time.frac ? -1 : 1;
	if ((c = cmp_str(a->f.host, b->f.host)) || (c = cmp_str(a->source, b->source)) ||
	    (c = strcmp(a->path, b->path)) || (c = strcmp(a->f.det->id, b->f.det->id)))
		return c;
	return strcmp(a->f.entry->name, b->f.entry->name);
}

/*
 * What makes two records of one id different findings, not the same one
 * read twice (more fields is not: a longer view of the same line); NULL
 * when nothing does.
 */
static const char *conflict(const mfind_t *a, const mfind_t *b)
{
	if (a->f.severity != b->f.severity)
		return "severity";
	if (cmp_str(a->f.text, b->f.text))
		return "text";
	if (a->f.time.valid != b->f.time.valid || a->f.time.sec != b->f.time.sec ||
	    a->f.time.nsec != b->f.time.nsec)
		return "time";
	if (strcmp(a->f.det->id, b->f.det->id) || strcmp(a->f.entry->name, b->f.entry->name))
		return "rule or name";
	if (a->f.line != b->f.line || strcmp(a->path, b->path) || cmp_str(a->source, b->source))
		return "place";
	return NULL;
}

#define MAX_CLASHES 1000

/* A conflict: named on stderr, in the notes and on the inputs of both records. */
static void add_clash(ips_merge_t *m, const mfind_t *x, const mfind_t *have, const char *what,
		      const mfind_t *kept)
{
	m->conflicts++;
	char *msg = ips_xasprintf("finding %s: the records at %s and %s have the same id but "
				  "differ in %s: the one at %s (severity %s) was kept", x->f.id,
				  have->from, x->from, what, kept->from,
				  ips_severity_name(kept->f.severity));
	push_error(m, m->cur_name ? m->cur_name : "-", m->cur_line, msg);
	const mfind_t *side[2] = {x, have};
	for (int i = 0; i < 2 && m->clashes.len < MAX_CLASHES; i++) {
		if (i && !cmp_str(x->source, have->source) && !strcmp(x->path, have->path))
			break;
		clash_t *k = ips_xcalloc(1, sizeof *k);
		k->source = dup_or_null(side[i]->source);
		k->path = ips_xstrdup(side[i]->path);
		k->msg = ips_xstrdup(msg);
		ips_vec_push(&m->clashes, k);
	}
	free(msg);
}

static bool read_finding(ips_merge_t *m, yajl_val o, const char **why)
{
	bool bad = false;
	const char *id = str_member(o, "id", &bad), *rule = str_member(o, "rule", &bad);
	const char *name = str_member(o, "name", &bad), *sev = str_member(o, "severity", &bad);
	const char *path = str_member(o, "path", &bad);
	int64_t line, offset;
	if (bad || !id || !rule || !name || !sev || !path || !int_member(o, "line", &line) ||
	    !int_member(o, "offset", &offset)) {
		*why = "a finding needs id, rule, name, severity, path (strings), line and offset "
		       "(whole numbers)";
		return false;
	}
	ips_severity_t s;
	if (!is_id(id)) {
		*why = "a finding's id must be 16 lower-case hex digits";
		return false;
	}
	if (!ips_severity_parse(sev, false, &s)) {
		*why = "a finding's severity must be info, warning, error or critical";
		return false;
	}
	mfind_t *x = ips_xcalloc(1, sizeof *x);
	if (!time_member(o, "time", &x->f.time)) {
		free(x);
		*why = "a finding's time must be null or ISO 8601 (2026-03-05T07:58:14Z)";
		return false;
	}
	if (!kv_member(o, "fields", &x->f.fields, &x->f.nfields)) {
		free(x);
		*why = "a finding's fields must be an object of strings";
		return false;
	}
	const char *text = str_member(o, "text", &bad), *host = str_member(o, "host", &bad);
	const char *source = str_member(o, "source", &bad);
	if (bad) {
		mfind_free(x);
		*why = "a finding with a member of the wrong type";
		return false;
	}
	snprintf(x->f.id, sizeof x->f.id, "%s", id);
	x->f.severity = s;
	x->f.line = (uint64_t)line;
	x->f.offset = (uint64_t)offset;
	x->f.host = dup_or_null(host);
	x->f.text = ips_xstrdup(text ? text : ""); /* cut by the scan already */
	x->source = dup_or_null(source);
	x->path = ips_xstrdup(path);
	x->f.det = find_detector(m, rule);
	x->f.entry = find_entry(m, o, name, s);

	x->from = ips_xasprintf("%s:%llu", m->cur_name ? m->cur_name : "-",
				(unsigned long long)m->cur_line);

	size_t slot = id_slot(m, x->f.id);
	if (m->slots[slot]) {
		mfind_t **have = (mfind_t **)&m->finds.items[m->slots[slot] - 1];
		int c = cmp_content(x, *have);
		const char *what = conflict(x, *have);
		if (what)
			add_clash(m, x, *have, what, c < 0 ? x : *have);
		if (c < 0) { /* the new one is preferred: it takes the place, not the order */
			x->seq = (*have)->seq;
			mfind_free(*have);
			*have = x;
		} else {
			mfind_free(x);
		}
		return true;
	}
	x->seq = m->seq++;
	ips_vec_push(&m->finds, x);
	m->slots[slot] = m->finds.len;
	if (m->finds.len * 2 > m->nslots)
		grow_slots(m);
	return true;
}

static bool read_window(ips_merge_t *m, yajl_val o, const char **why)
{
	bool bad = false;
	const char *corr = str_member(o, "correlation", &bad), *kind = str_member(o, "kind", &bad);
	const char *path = str_member(o, "path", &bad), *source = str_member(o, "source", &bad);
	int64_t line;
	ips_incident_kind_t k;
	yajl_val ids = member(o, "findings");
	if (bad || !corr || !kind || !path || !int_member(o, "line", &line) || !ids ||
	    !YAJL_IS_ARRAY(ids)) {
		*why = "a window needs correlation, kind, path (strings), line (a whole number) "
		       "and findings (an array of ids)";
		return false;
	}
	if (!ips_incident_kind_parse(kind, &k) || k == IPS_INC_THRESHOLD || k == IPS_INC_GROUP) {
		*why = "a window's kind must be negotiation, unterminated, pair or unanswered";
		return false;
	}
	for (size_t i = 0; i < ids->u.array.len; i++)
		if (!YAJL_IS_STRING(ids->u.array.values[i]) || !is_id(ids->u.array.values[i]->u.string)) {
			*why = "a window's findings must be finding ids";
			return false;
		}
	mwin_t *x = ips_xcalloc(1, sizeof *x);
	if (!time_member(o, "first", &x->w.first) || !time_member(o, "last", &x->w.last) ||
	    !kv_member(o, "key", &x->w.key, &x->w.nkey)) {
		mwin_free(x);
		*why = "a window's first and last must be times and its key an object of strings";
		return false;
	}
	x->w.correlation = ips_xstrdup(corr);
	x->w.kind = k;
	x->w.line = (uint64_t)line;
	x->source = dup_or_null(source);
	x->path = ips_xstrdup(path);
	ips_buf_t b;
	ips_buf_init(&b, 1u << 20);
	for (size_t i = 0; i < x->w.nkey; i++)
		ips_buf_printf(&b, "%s=%s\n", x->w.key[i].key, x->w.key[i].value);
	x->keystr = ips_buf_steal(&b);
	x->nids = ids->u.array.len;
	x->ids = ips_xcalloc(x->nids ? x->nids : 1, sizeof *x->ids);
	for (size_t i = 0; i < x->nids; i++)
		x->ids[i] = ips_xstrdup(ids->u.array.values[i]->u.string);
	ips_vec_push(&m->wins, x);
	return true;
}

#define MAX_JSON_DEPTH 64

/*
 * The nesting depth of a JSON text, counted outside strings, up to the
 * first point past max (yajl's tree parser, and yajl_tree_free, recurse once
 * per level: a million '[' overflow the stack). Returns the offset where
 * the limit is passed, or -1 when it is not.
 */
static long too_deep(const char *s, int max)
{
	int depth = 0;
	bool str = false;
	for (const char *p = s; *p; p++) {
		if (str) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				str = false;
		} else if (*p == '"') {
			str = true;
		} else if (*p == '[' || *p == '{') {
			if (++depth > max)
				return p - s;
		} else if ((*p == ']' || *p == '}') && depth) {
			depth--;
		}
	}
	return -1;
}

/* One line: a record of ours, or an error (false, with why). */
static bool read_record(ips_merge_t *m, const char *line, char *why, size_t whyn)
{
	char err[256] = "";
	long deep = too_deep(line, MAX_JSON_DEPTH);
	if (deep >= 0) {
		snprintf(why, whyn, "JSON nested deeper than %d levels (at column %ld): not a record "
			 "of an ipsec-scan report", MAX_JSON_DEPTH, deep + 1);
		return false;
	}
	yajl_val o = yajl_tree_parse(line, err, sizeof err);
	if (!o) {
		char *nl = strchr(err, '\n');
		if (nl)
			*nl = '\0';
		snprintf(why, whyn, "not valid JSON (%s)", *err ? err : "parse error");
		return false;
	}
	const char *msg = NULL;
	bool ok = false, bad = false;
	const char *type = YAJL_IS_OBJECT(o) ? str_member(o, "type", &bad) : NULL;
	if (!YAJL_IS_OBJECT(o))
		msg = "not a JSON object";
	else if (!type)
		msg = "no \"type\": not a record of an ipsec-scan NDJSON report";
	else if (!strcmp(type, "input"))
		ok = read_input(m, o, &msg);
	else if (!strcmp(type, "finding"))
		ok = read_finding(m, o, &msg);
	else if (!strcmp(type, "window"))
		ok = read_window(m, o, &msg);
	else if (!strcmp(type, "incident") || !strcmp(type, "summary"))
		ok = true; /* made again from the findings and windows */
	else {
		m->unknown_types++; /* a newer version's record: not ours to judge */
		ok = true;
	}
	yajl_tree_free(o);
	if (!ok)
		snprintf(why, whyn, "%s", msg);
	return ok;
}

/* ---- reading files ----------------------------------------------------- */

ips_status_t ips_merge_add_stream(ips_merge_t *m, FILE *f, const char *name)
{
	ips_buf_t line;
	ips_buf_init(&line, m->opts.max_line);
	char block[65536];
	uint64_t lineno = 0, bad = 0;
	bool too_long = false, eof = false;
	while (!eof) {
		size_t n = fread(block, 1, sizeof block, f);
		if (n == 0) {
			if (ferror(f)) {
				add_error(m, name, 0, "read error after line %llu: %s",
					  (unsigned long long)lineno, strerror(errno));
				bad++;
				break;
			}
			eof = true;
			if (!line.len && !too_long)
				break;
			block[0] = '\n'; /* a last line without its newline */
			n = 1;
		}
		size_t start = 0;
		for (size_t i = 0; i < n; i++) {
			if (block[i] != '\n')
				continue;
			if (!too_long && ips_buf_append(&line, block + start, i - start) != IPS_OK)
				too_long = true;
			start = i + 1;
			lineno++;
			char why[300];
			size_t len = line.len;
			while (len && (line.data[len - 1] == '\r' || line.data[len - 1] == ' '))
				len--;
			if (too_long) {
				add_error(m, name, lineno, "line longer than %zu bytes: skipped",
					  m->opts.max_line);
				bad++;
			} else if (len && memchr(line.data, '\0', len)) {
				add_error(m, name, lineno, "a NUL byte: not an NDJSON record; skipped");
				bad++;
			} else if (len) {
				line.data[len] = '\0';
				m->cur_name = name;
				m->cur_line = lineno;
				if (!read_record(m, line.data, why, sizeof why)) {
					add_error(m, name, lineno, "%s; line skipped", why);
					bad++;
				}
			}
			ips_buf_reset(&line);
			too_long = false;
		}
		if (!too_long && start < n && ips_buf_append(&line, block + start, n - start) != IPS_OK)
			too_long = true;
	}
	ips_buf_free(&line);
	return bad ? IPS_E_INPUT : IPS_OK;
}

static bool ndjson_name(const char *name)
{
	size_t n = strlen(name);
	return (n > 7 && !strcmp(name + n - 7, ".ndjson")) || (n > 6 && !strcmp(name + n - 6, ".jsonl"));
}

/* The walker's callbacks (input/walk.h): a directory's NDJSON reports. */
static ips_status_t walk_file(void *ctx, const char *path, const struct stat *st)
{
	(void)st;
	const char *base = strrchr(path, '/');
	return ndjson_name(base ? base + 1 : path) ? ips_merge_add_path(ctx, path) : IPS_OK;
}

static ips_status_t walk_skip(void *ctx, const char *path, ips_walk_skip_t why, const char *msg)
{
	ips_merge_t *m = ctx;
	if (why == IPS_WALK_LINK) { /* counted in a note, as the scanner lists them */
		if (!m->links++)
			m->first_link = ips_xstrdup(path);
		return IPS_OK;
	}
	add_error(m, path, 0, "%s", msg);
	return IPS_E_INPUT;
}

static ips_status_t add_dir(ips_merge_t *m, const char *path, const struct stat *st)
{
	static const ips_walk_cbs_t cbs = {NULL, walk_file, walk_skip};
	const ips_walk_opts_t wo = {.follow_links = m->opts.follow_links, .skip_hidden = true};
	return ips_walk(path, st, &wo, &cbs, m) == IPS_OK ? IPS_OK : IPS_E_INPUT;
}

ips_status_t ips_merge_add_path(ips_merge_t *m, const char *path)
{
	if (!strcmp(path, "-"))
		return ips_merge_add_stream(m, stdin, "(standard input)");
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return add_dir(m, path, &st);
	FILE *f = fopen(path, "r");
	if (!f) {
		add_error(m, path, 0, "cannot open: %s", strerror(errno));
		return IPS_E_INPUT;
	}
	ips_status_t s = ips_merge_add_stream(m, f, path);
	fclose(f);
	return s;
}

/* ---- putting it together ----------------------------------------------- */

/* Inputs by machine and path, then by what the run saw: a fixed order. */
static int cmp_part(const void *a, const void *b)
{
	const ips_input_t *x = *(ips_input_t *const *)a, *y = *(ips_input_t *const *)b;
	int c;
	if ((c = cmp_str(x->source, y->source)) || (c = strcmp(x->path, y->path)))
		return c;
	if ((c = cmp_str(x->format, y->format)))
		return c;
	if (x->status != y->status)
		return x->status < y->status ? -1 : 1;
	const uint64_t nx[4] = {x->records, x->bytes, x->truncated, x->findings};
	const uint64_t ny[4] = {y->records, y->bytes, y->truncated, y->findings};
	for (int i = 0; i < 4; i++)
		if (nx[i] != ny[i])
			return nx[i] < ny[i] ? -1 : 1;
	if ((c = cmp_str(x->error, y->error)))
		return c;
	return cmp_str(x->note, y->note);
}

static bool same_input(const ips_input_t *x, const char *source, const char *path)
{
	return !cmp_str(x->source, source) && !strcmp(x->path, path);
}

/* The first of (source, path) in a vector of inputs sorted by cmp_part, or -1. */
static long find_input(const ips_vec_t *v, const char *source, const char *path)
{
	size_t lo = 0, hi = v->len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const ips_input_t *in = v->items[mid];
		int c = cmp_str(in->source, source);
		if (!c)
			c = strcmp(in->path, path);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->len && same_input(v->items[lo], source, path) ? (long)lo : -1;
}

static long input_of(const ips_results_t *out, const char *source, const char *path)
{
	return find_input(&out->inputs, source, path);
}

static bool stand_in(const ips_input_t *in)
{
	return !in->format && !in->records && in->note && !strcmp(in->note, ONLY_FINDINGS);
}

/* A stand-in for an input that findings or windows name and no record gives. */
static void need_input(ips_merge_t *m, ips_vec_t *extra, const char *source, const char *path)
{
	if (find_input(&m->parts, source, path) >= 0 ||
	    (extra->len && same_input(extra->items[extra->len - 1], source, path)))
		return; /* (the rest of the repeats go when the parts are placed) */
	ips_input_t *in = ips_xcalloc(1, sizeof *in);
	in->path = ips_xstrdup(path);
	in->source = dup_or_null(source);
	in->note = ips_xstrdup(ONLY_FINDINGS);
	ips_vec_push(extra, in);
}

/* Parts into out->inputs: identical ones once, stand-ins only where alone. */
static void place_inputs(ips_merge_t *m, ips_results_t *out)
{
	if (m->parts.len > 1)
		qsort(m->parts.items, m->parts.len, sizeof(void *), cmp_part);
	ips_vec_t extra = {0};
	for (size_t i = 0; i < m->finds.len; i++) {
		const mfind_t *x = m->finds.items[i];
		need_input(m, &extra, x->source, x->path);
	}
	for (size_t i = 0; i < m->wins.len; i++) {
		const mwin_t *x = m->wins.items[i];
		need_input(m, &extra, x->source, x->path);
	}
	for (size_t i = 0; i < extra.len; i++)
		ips_vec_push(&m->parts, extra.items[i]);
	ips_vec_free(&extra);
	if (m->parts.len > 1)
		qsort(m->parts.items, m->parts.len, sizeof(void *), cmp_part);
	for (size_t i = 0; i < m->parts.len;) {
		/* one (source, path): its parts are side by side */
		size_t j = i;
		bool real = false;
		const ips_input_t *first = m->parts.items[i];
		while (j < m->parts.len && same_input(m->parts.items[j], first->source, first->path))
			real |= !stand_in(m->parts.items[j++]);
		for (size_t k = i; k < j; k++) {
			ips_input_t *in = m->parts.items[k];
			ips_input_t *last = out->inputs.len ? out->inputs.items[out->inputs.len - 1] : NULL;
			if ((real && stand_in(in)) || (last && !cmp_part(&last, &in)))
				input_free(in); /* identical parts are side by side too */
			else
				ips_vec_push(&out->inputs, in);
		}
		i = j;
	}
	ips_vec_free(&m->parts);
	memset(&m->parts, 0, sizeof m->parts);
}

typedef struct placed {
	mfind_t *x;
	size_t input;
} placed_t;

static int cmp_placed(const void *a, const void *b)
{
	const placed_t *x = a, *y = b;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	if (x->x->f.offset != y->x->f.offset)
		return x->x->f.offset < y->x->f.offset ? -1 : 1;
	if (x->x->f.line != y->x->f.line)
		return x->x->f.line < y->x->f.line ? -1 : 1;
	if (x->x->seq != y->x->seq)
		return x->x->seq < y->x->seq ? -1 : 1;
	return strcmp(x->x->f.id, y->x->f.id);
}

static bool kept(const ips_merge_t *m, const ips_finding_t *f)
{
	if (f->severity < m->opts.min_severity)
		return false;
	if (f->time.valid && m->opts.since.valid && f->time.sec < m->opts.since.sec)
		return false;
	if (f->time.valid && m->opts.until.valid && f->time.sec > m->opts.until.sec)
		return false;
	return true;
}

/* Findings into out->findings in input order; m->slots then maps id -> 1 + index. */
static void place_findings(ips_merge_t *m, ips_results_t *out)
{
	size_t n = m->finds.len;
	placed_t *p = ips_xmalloc((n ? n : 1) * sizeof *p);
	for (size_t i = 0; i < n; i++) {
		p[i].x = m->finds.items[i];
		p[i].input = (size_t)input_of(out, p[i].x->source, p[i].x->path);
	}
	qsort(p, n, sizeof *p, cmp_placed);
	ips_vec_free(&m->finds);
	memset(&m->finds, 0, sizeof m->finds);
	memset(m->slots, 0, m->nslots * sizeof *m->slots);
	for (size_t i = 0; i < n; i++) {
		mfind_t *x = p[i].x;
		if (!kept(m, &x->f)) {
			m->filtered++;
			mfind_free(x);
			continue;
		}
		ips_finding_t *f = ips_xmalloc(sizeof *f);
		*f = x->f;
		f->input = p[i].input;
		ips_vec_push(&out->findings, f);
		/* the id table now points at results: reuse finds as the index */
		ips_vec_push(&m->finds, x);
		x->f.host = NULL;
		x->f.fields = NULL;
		x->f.nfields = 0;
		x->f.text = NULL;
		m->slots[id_slot(m, f->id)] = out->findings.len;
	}
	free(p);
}

/*
 * Records delivered twice. A syslog pipeline may hand a record to ipsec-scan
 * again (rsyslog retrying an omprog action after a restart, a message sent
 * twice): the copy has another offset, so another id. A finding with the
 * same source (--source-host), host, time (to the fraction the log gives),
 * rule, name and text as another is the same record: one is kept (by
 * cmp_content, so the choice does not depend on the order of the files), and
 * the id of the other stands for it in the windows that name it. A finding
 * without a time or a host is never taken for a copy: files that name no
 * machine (charon's filelog) may hold the same line at the same time for
 * different machines.
 */
typedef struct alias {
	char dup[17], kept[17];
} alias_t;

static uint64_t content_hash(const mfind_t *x)
{
	uint64_t h = IPS_FNV_INIT;
	h = ips_fnv1a(h, x->source ? x->source : "", x->source ? strlen(x->source) + 1 : 1);
	h = ips_fnv1a(h, x->f.host, strlen(x->f.host) + 1);
	h = ips_fnv1a(h, &x->f.time.sec, sizeof x->f.time.sec);
	h = ips_fnv1a(h, &x->f.time.nsec, sizeof x->f.time.nsec);
	h = ips_fnv1a(h, x->f.det->id, strlen(x->f.det->id) + 1);
	h = ips_fnv1a(h, x->f.entry->name, strlen(x->f.entry->name) + 1);
	return ips_fnv1a(h, x->f.text, strlen(x->f.text));
}

static bool same_record(const mfind_t *a, const mfind_t *b)
{
	return !cmp_str(a->source, b->source) && !cmp_str(a->f.host, b->f.host) &&
	       a->f.time.sec == b->f.time.sec &&
	       a->f.time.nsec == b->f.time.nsec && !strcmp(a->f.det->id, b->f.det->id) &&
	       !strcmp(a->f.entry->name, b->f.entry->name) && !strcmp(a->f.text, b->f.text);
}

static int cmp_alias(const void *a, const void *b)
{
	return strcmp((*(const alias_t *const *)a)->dup, (*(const alias_t *const *)b)->dup);
}

/* The id a window's finding id stands for now (itself unless a copy was dropped). */
static const char *resolve_id(const ips_merge_t *m, const char *id)
{
	for (int hops = 0; hops < 64 && m->aliases.len; hops++) {
		alias_t key, *kp = &key;
		snprintf(key.dup, sizeof key.dup, "%s", id);
		alias_t **a = bsearch(&kp, m->aliases.items, m->aliases.len, sizeof *m->aliases.items,
				      cmp_alias);
		if (!a)
			break;
		id = (*a)->kept;
	}
	return id;
}

static void dedup_content(ips_merge_t *m)
{
	size_t n = m->finds.len, ns = 16;
	while (ns < 2 * n)
		ns *= 2;
	size_t *tab = ips_xcalloc(ns, sizeof *tab); /* 1 + index into finds */
	bool *gone = ips_xcalloc(n ? n : 1, sizeof *gone);
	for (size_t i = 0; i < n; i++) {
		mfind_t *x = m->finds.items[i];
		if (!x->f.time.valid || !x->f.host || !*x->f.host || !*x->f.text)
			continue;
		size_t h = (size_t)content_hash(x) & (ns - 1);
		while (tab[h] && !same_record(x, m->finds.items[tab[h] - 1]))
			h = (h + 1) & (ns - 1);
		if (!tab[h]) {
			tab[h] = i + 1;
			continue;
		}
		size_t k = tab[h] - 1, drop = i;
		mfind_t *y = m->finds.items[k];
		if (cmp_content(x, y) < 0) { /* the new one is preferred */
			tab[h] = i + 1;
			drop = k;
		}
		alias_t *a = ips_xmalloc(sizeof *a);
		snprintf(a->dup, sizeof a->dup, "%s", ((mfind_t *)m->finds.items[drop])->f.id);
		snprintf(a->kept, sizeof a->kept, "%s", ((mfind_t *)m->finds.items[tab[h] - 1])->f.id);
		ips_vec_push(&m->aliases, a);
		gone[drop] = true;
		m->redelivered++;
	}
	if (m->redelivered) {
		size_t j = 0;
		for (size_t i = 0; i < n; i++) {
			if (gone[i])
				mfind_free(m->finds.items[i]);
			else
				m->finds.items[j++] = m->finds.items[i];
		}
		m->finds.len = j;
		memset(m->slots, 0, m->nslots * sizeof *m->slots);
		for (size_t i = 0; i < m->finds.len; i++)
			m->slots[id_slot(m, ((mfind_t *)m->finds.items[i])->f.id)] = i + 1;
		qsort(m->aliases.items, m->aliases.len, sizeof *m->aliases.items, cmp_alias);
	}
	free(gone);
	free(tab);
}

typedef struct wplaced {
	mwin_t *x;
	size_t input;
} wplaced_t;

/* A window's identity: where it opened, by which correlation, for which key. */
static int cmp_wplaced(const void *a, const void *b)
{
	const wplaced_t *x = a, *y = b;
	int c;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	if (x->x->w.line != y->x->w.line)
		return x->x->w.line < y->x->w.line ? -1 : 1;
	if ((c = strcmp(x->x->w.correlation, y->x->w.correlation)))
		return c;
	return strcmp(x->x->keystr, y->x->keystr);
}

/* A window that saw its end (or its outcome) tells more than one that did not. */
static int kind_rank(ips_incident_kind_t k)
{
	return k == IPS_INC_NEGOTIATION || k == IPS_INC_PAIR ? 2 : 1;
}

static void earlier(ips_time_t *t, const ips_time_t *u, bool want_min)
{
	if (!u->valid)
		return;
	if (!t->valid || (want_min ? (u->sec < t->sec || (u->sec == t->sec && u->nsec < t->nsec))
				   : (u->sec > t->sec || (u->sec == t->sec && u->nsec > t->nsec))))
		*t = *u;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Windows into the correlator. Copies of one window (same identity) from
 * several runs become one: the union of their findings, the widest span,
 * the kind that saw the end. A finding claimed by two windows stays in the
 * first (by identity). Returns how many name correlations the rules lack.
 */
static size_t place_windows(ips_merge_t *m, ips_results_t *out, ips_correlator_t *c)
{
	size_t n = m->wins.len, missing = 0;
	wplaced_t *p = ips_xmalloc((n ? n : 1) * sizeof *p);
	for (size_t i = 0; i < n; i++) {
		p[i].x = m->wins.items[i];
		p[i].input = (size_t)input_of(out, p[i].x->source, p[i].x->path);
	}
	qsort(p, n, sizeof *p, cmp_wplaced);
	bool *taken = ips_xcalloc(out->findings.len ? out->findings.len : 1, sizeof *taken);
	size_t *f = NULL;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		ips_window_t w = p[i].x->w;
		w.input = p[i].input;
		size_t nf = 0, cap = 0;
		bool had = false;
		for (; j < n && !cmp_wplaced(&p[i], &p[j]); j++) {
			const mwin_t *x = p[j].x;
			if (kind_rank(x->w.kind) > kind_rank(w.kind))
				w.kind = x->w.kind;
			earlier(&w.first, &x->w.first, true);
			earlier(&w.last, &x->w.last, false);
			had |= x->nids > 0;
			if (nf + x->nids > cap) {
				cap = (nf + x->nids) * 2;
				f = ips_xrealloc(f, cap * sizeof *f);
			}
			for (size_t k = 0; k < x->nids; k++) {
				size_t s = m->slots[id_slot(m, resolve_id(m, x->ids[k]))];
				if (s && !taken[s - 1])
					f[nf++] = s - 1;
			}
		}
		if (nf > 1)
			qsort(f, nf, sizeof *f, cmp_size);
		size_t u = 0;
		for (size_t k = 0; k < nf; k++)
			if (!u || f[u - 1] != f[k])
				f[u++] = f[k];
		for (size_t k = 0; k < u; k++)
			taken[f[k]] = true;
		w.findings = f;
		w.nfindings = u;
		/* a window whose findings all went elsewhere (or were left out) is gone */
		if ((u || !had) && (u || kind_rank(w.kind) == 1) && !ips_correlator_add_window(c, &w))
			missing++;
		i = j;
	}
	free(f);
	free(taken);
	free(p);
	return missing;
}

bool ips_merge_conflicted(const ips_merge_t *m)
{
	return m->conflicts > 0;
}

void ips_merge_finish(ips_merge_t *m, ips_results_t *out)
{
	dedup_content(m);
	place_inputs(m, out);
	place_findings(m, out);
	for (size_t i = 0; i < out->inputs.len; i++) {
		const ips_input_t *in = out->inputs.items[i];
		out->records += in->records;
	}
	out->filtered = m->filtered;
	ips_correlator_t *c = ips_correlator_new(m->rules, out);
	size_t missing = place_windows(m, out, c);
	ips_correlator_finish(c);
	ips_correlator_free(c);
	if (m->nskipped)
		ips_vec_push(&out->notes,
			     ips_xasprintf("merge: %zu problem(s) reading the NDJSON files, those lines "
					   "skipped (first: %s)",
					   m->nskipped, m->first_skipped));
	if (m->conflicts)
		ips_vec_push(&out->notes,
			     ips_xasprintf("merge: %llu finding id(s) seen with records that differ (a "
					   "log rotated under the same name, machines sharing a path "
					   "without --source-host, or a forged line): the one of higher "
					   "severity was kept; first: %s",
					   (unsigned long long)m->conflicts,
					   m->clashes.len ? ((clash_t *)m->clashes.items[0])->msg : "?"));
	for (size_t i = 0; i < m->clashes.len; i++) {
		const clash_t *k = m->clashes.items[i];
		long at = input_of(out, k->source, k->path);
		if (at < 0)
			continue;
		ips_input_t *in = out->inputs.items[at];
		if (!in->error)
			in->error = ips_xstrdup(k->msg);
		if (in->status == IPS_INPUT_OK || in->status == IPS_INPUT_EMPTY)
			in->status = IPS_INPUT_PARTIAL;
	}
	if (m->redelivered)
		ips_vec_push(&out->notes,
			     ips_xasprintf("merge: %llu finding(s) were copies of others under another "
					   "id (the same host, time, rule and text: a record delivered "
					   "twice): one of each was kept",
					   (unsigned long long)m->redelivered));
	if (m->entries.len || m->dets.len)
		ips_vec_push(&out->notes,
			     ips_xasprintf("merge: %zu entry name(s) and %zu rule id(s) of the findings "
					   "are not in these rules: kept as the reports gave them",
					   m->entries.len, m->dets.len));
	if (missing)
		ips_vec_push(&out->notes,
			     ips_xasprintf("merge: %zu correlation window(s) name correlations these "
					   "rules lack: their findings were joined as loose ones",
					   missing));
	if (m->links)
		ips_vec_push(&out->notes,
			     ips_xasprintf("merge: %llu symbolic link(s) inside directories were not "
					   "followed (--follow-links follows them); first: %s",
					   (unsigned long long)m->links, m->first_link));
	if (m->unknown_types)
		ips_vec_push(&out->notes,
			     ips_xasprintf("merge: %llu record(s) of a type this version does not know "
					   "were ignored", (unsigned long long)m->unknown_types));
}
