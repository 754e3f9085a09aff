/* SPDX-License-Identifier: Apache-2.0 */
/*
 * merge_read.c - reading `ipsec-scan merge`'s inputs: NDJSON lines checked
 * (length, NUL bytes, JSON nesting, types and values of every member) and
 * turned into the merger's inputs, findings and windows, one finding per
 * id (a conflict named); files, standard input and directories (through
 * the one walker, input/walk.h). See merge.h and merge_state.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yajl_tree.h>

#include "input/framer.h"
#include "input/walk.h"
#include "run/merge_state.h"

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

char *merge_dup_or_null(const char *s)
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
	ips_input_t *in = ips_input_new(path, str_member(o, "source", &bad));
	in->error = merge_dup_or_null(str_member(o, "error", &bad));
	in->note = merge_dup_or_null(str_member(o, "note", &bad));
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
		ips_input_free(in);
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
	x->hex = merge_dup_or_null(str_member(o, "hex", &bad));
	x->category = merge_dup_or_null(str_member(o, "category", &bad));
	x->summary = merge_dup_or_null(str_member(o, "summary", &bad));
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

size_t merge_id_slot(const ips_merge_t *m, const char *id)
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
		m->slots[merge_id_slot(m, ((mfind_t *)m->finds.items[i])->f.id)] = i + 1;
}

int merge_cmp_str(const char *a, const char *b)
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
int merge_cmp_content(const mfind_t *a, const mfind_t *b)
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
	int c = merge_cmp_str(a->f.text, b->f.text);
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
	if ((c = merge_cmp_str(a->f.host, b->f.host)) || (c = merge_cmp_str(a->source, b->source)) ||
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
	if (merge_cmp_str(a->f.text, b->f.text))
		return "text";
	if (a->f.time.valid != b->f.time.valid || a->f.time.sec != b->f.time.sec ||
	    a->f.time.nsec != b->f.time.nsec)
		return "time";
	if (strcmp(a->f.det->id, b->f.det->id) || strcmp(a->f.entry->name, b->f.entry->name))
		return "rule or name";
	if (a->f.line != b->f.line || strcmp(a->path, b->path) || merge_cmp_str(a->source, b->source))
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
	merge_push_error(m, m->cur_name ? m->cur_name : "-", m->cur_line, msg);
	const mfind_t *side[2] = {x, have};
	for (int i = 0; i < 2 && m->clashes.len < MAX_CLASHES; i++) {
		if (i && !merge_cmp_str(x->source, have->source) && !strcmp(x->path, have->path))
			break;
		clash_t *k = ips_xcalloc(1, sizeof *k);
		k->source = merge_dup_or_null(side[i]->source);
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
		merge_mfind_free(x);
		*why = "a finding with a member of the wrong type";
		return false;
	}
	snprintf(x->f.id, sizeof x->f.id, "%s", id);
	x->f.severity = s;
	x->f.line = (uint64_t)line;
	x->f.offset = (uint64_t)offset;
	x->f.host = merge_dup_or_null(host);
	x->f.text = ips_xstrdup(text ? text : ""); /* cut by the scan already */
	x->source = merge_dup_or_null(source);
	x->path = ips_xstrdup(path);
	x->f.det = find_detector(m, rule);
	x->f.entry = find_entry(m, o, name, s);

	x->from = ips_xasprintf("%s:%llu", m->cur_name ? m->cur_name : "-",
				(unsigned long long)m->cur_line);

	size_t slot = merge_id_slot(m, x->f.id);
	if (m->slots[slot]) {
		mfind_t **have = (mfind_t **)&m->finds.items[m->slots[slot] - 1];
		int c = merge_cmp_content(x, *have);
		const char *what = conflict(x, *have);
		if (what)
			add_clash(m, x, *have, what, c < 0 ? x : *have);
		if (c < 0) { /* the new one is preferred: it takes the place, not the order */
			x->seq = (*have)->seq;
			merge_mfind_free(*have);
			*have = x;
		} else {
			merge_mfind_free(x);
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
		merge_mwin_free(x);
		*why = "a window's first and last must be times and its key an object of strings";
		return false;
	}
	x->w.correlation = ips_xstrdup(corr);
	x->w.kind = k;
	x->w.line = (uint64_t)line;
	x->source = merge_dup_or_null(source);
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
				merge_add_error(m, name, 0, "read error after line %llu: %s",
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
				merge_add_error(m, name, lineno, "line longer than %zu bytes: skipped",
					  m->opts.max_line);
				bad++;
			} else if (len && memchr(line.data, '\0', len)) {
				merge_add_error(m, name, lineno, "a NUL byte: not an NDJSON record; skipped");
				bad++;
			} else if (len) {
				line.data[len] = '\0';
				m->cur_name = name;
				m->cur_line = lineno;
				if (!read_record(m, line.data, why, sizeof why)) {
					merge_add_error(m, name, lineno, "%s; line skipped", why);
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
	merge_add_error(m, path, 0, "%s", msg);
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
		merge_add_error(m, path, 0, "cannot open: %s", strerror(errno));
		return IPS_E_INPUT;
	}
	ips_status_t s = ips_merge_add_stream(m, f, path);
	fclose(f);
	return s;
}
