/* SPDX-License-Identifier: Apache-2.0 */
/* jsonevent.c - JSON events through yajl (see jsonevent.h). */
#include "input/jsonevent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "input/winevent.h"
#include "util/util.h"

#define PATH_CAP 1024
#define STR2(x) #x
#define STR(x) STR2(x)

typedef struct jr {
	ips_framer_t f;           /* a push framer (framer.h) */
	ips_sink_t *sink;
	ips_winevent_t *ev;
	size_t max_record;
	yajl_handle h;
	int depth;                /* containers open; 1 = a top-level one */
	int rec_depth;            /* depth of the record's object, 0 when none */
	char path[PATH_CAP + 1];  /* flattened key of the current value */
	size_t path_len;
	size_t plen[IPS_JSON_MAX_DEPTH + 2]; /* path length of each open container */
	bool is_array[IPS_JSON_MAX_DEPTH + 2];
	unsigned index[IPS_JSON_MAX_DEPTH + 2];
	bool too_deep;
	bool cb_seen;             /* a callback ran during the last yajl_parse */
	uint64_t brace_off, brace_line; /* where the last '{' fed is */
	uint64_t rec_off, rec_line;     /* where the current record's object starts */
	bool per_line;            /* ndjson: each line parsed on its own */
	uint64_t off, line;       /* input offset and line of the next byte fed */
	uint64_t quiet;           /* bytes fed without a callback */
	bool dead;                /* stream: stopped at an error */
	bool skipping;            /* lines: the rest of the line is skipped */
	uint64_t line_bytes;      /* lines: bytes of the current line so far */
} jr_t;

static void path_to(jr_t *j, size_t len, const char *sep, const char *seg, size_t segn)
{
	j->path_len = len;
	size_t sl = strlen(sep);
	if (len && j->path_len + sl <= PATH_CAP) {
		memcpy(j->path + j->path_len, sep, sl);
		j->path_len += sl;
	}
	if (segn > PATH_CAP - j->path_len)
		segn = PATH_CAP - j->path_len;
	memcpy(j->path + j->path_len, seg, segn);
	j->path_len += segn;
	j->path[j->path_len] = '\0';
}

/* An element of an array gets key[i]. */
static void element(jr_t *j)
{
	int d = j->depth;
	if (d < 1 || !j->is_array[d])
		return;
	char seg[24];
	int n = snprintf(seg, sizeof seg, "[%u]", j->index[d]++);
	j->path_len = j->plen[d];
	if (j->path_len + (size_t)n <= PATH_CAP) {
		memcpy(j->path + j->path_len, seg, (size_t)n);
		j->path_len += (size_t)n;
	}
	j->path[j->path_len] = '\0';
}

static int value(jr_t *j, const char *v, size_t n, bool null)
{
	j->cb_seen = true;
	if (!j->rec_depth)
		return 1; /* a scalar outside any object is not an event */
	element(j);
	if (!null)
		ips_winevent_field(j->ev, j->path, v, n, true);
	return 1;
}

static int j_null(void *ctx)
{
	return value(ctx, "", 0, true);
}

static int j_bool(void *ctx, int b)
{
	return value(ctx, b ? "true" : "false", b ? 4 : 5, false);
}

static int j_number(void *ctx, const char *s, size_t n)
{
	return value(ctx, s, n, false);
}

static int j_string(void *ctx, const unsigned char *s, size_t n)
{
	return value(ctx, (const char *)s, n, false);
}

static int start(jr_t *j, bool map)
{
	j->cb_seen = true;
	if (j->depth >= IPS_JSON_MAX_DEPTH) {
		j->too_deep = true;
		return 0;
	}
	if (j->rec_depth)
		element(j);
	int d = ++j->depth;
	j->is_array[d] = !map;
	j->index[d] = 0;
	if (j->rec_depth) {
		j->plen[d] = j->path_len;
	} else if (map && (d == 1 || (d == 2 && j->is_array[1]))) {
		/* a top-level object, or an element of a top-level array */
		j->rec_depth = d;
		j->plen[d] = 0;
		j->path_len = 0;
		j->path[0] = '\0';
		ips_winevent_begin(j->ev, j->brace_off, j->brace_line);
		j->rec_off = j->brace_off;
		j->rec_line = j->brace_line;
	}
	return 1;
}

/* A log line carried in a JSON value: a record at the object's place, its text
 * the value without trailing line ends, cut at --max-record; read as a line
 * (its own syslog-style header, if any, gives time and host). */
static ips_record_t payload_record(const jr_t *j, const char *msg)
{
	ips_record_t rec = {0};
	rec.text = msg;
	rec.len = strlen(msg);
	while (rec.len && (msg[rec.len - 1] == '\n' || msg[rec.len - 1] == '\r'))
		rec.len--;
	if (rec.len > j->max_record) {
		rec.len = j->max_record;
		rec.truncated = true;
	}
	rec.offset = j->rec_off;
	rec.line = j->rec_line;
	rec.line_header = true;
	return rec;
}

/*
 * A Cloud Logging entry (Google Cloud's LogEntry: `gcloud logging read
 * --format=json` writes an array of them, a log sink or `--format=json` per
 * line one per line) whose payload is a log line: `textPayload`, or
 * `jsonPayload.message` where the entry names its `resource.type`. Cloud VPN
 * gateways (resource type vpn_gateway) log their IKE daemon's messages this
 * way. The payload itself is the record's text, as the daemon wrote it, so
 * the line detectors read it as they read that daemon's log; the entry's
 * `timestamp` is the time, the gateway (resource.labels.gateway_id, else
 * instance_id) the host. Returns false for any other object.
 */
static bool emit_log_entry(jr_t *j)
{
	const ips_winevent_t *ev = j->ev;
	const char *res = ips_winevent_get(ev, "resource.type");
	const char *msg = ips_winevent_get(ev, "textPayload");
	if (!msg && res)
		msg = ips_winevent_get(ev, "jsonPayload.message");
	if (!msg || !msg[0])
		return false;
	ips_record_t rec = payload_record(j, msg);
	const char *ts = ips_winevent_get(ev, "timestamp");
	if (!ts)
		ts = ips_winevent_get(ev, "receiveTimestamp");
	if (ts)
		(void)ips_time_parse_iso(ts, strlen(ts), &rec.time);
	rec.host = ips_winevent_get(ev, "resource.labels.gateway_id");
	if (!rec.host)
		rec.host = ips_winevent_get(ev, "resource.labels.instance_id");
	static const char *const keep[] = {"resource.type", "resource.labels.gateway_id",
					   "resource.labels.region", "resource.labels.project_id",
					   "severity", "logName", NULL};
	ips_kv_t kv[8];
	size_t n = 0;
	for (int i = 0; keep[i]; i++) {
		const char *v = ips_winevent_get(ev, keep[i]);
		if (v) {
			kv[n].key = (char *)keep[i];
			kv[n].value = (char *)v;
			n++;
		}
	}
	rec.fields = kv;
	rec.nfields = n;
	ips_sink_record(j->sink, &rec);
	return true;
}

/*
 * A cloud API's answer that lists log lines: Huawei Cloud's "Querying VPN
 * Connection Logs" (GET .../vpn-connection/{id}/log) answers
 * {"logs": [{"time": SECONDS, "raw_message": "..."}, ...], "request_id": ...}.
 * Each raw_message is a record of its own, its text the line as the gateway
 * wrote it, at the answer's offset (the lines have no offsets of their own).
 * Returns false when the object has no logs[0].raw_message. An answer with
 * more values than the event holds (IPS_WINEVENT_MAX_FIELDS) is cut there.
 */
static bool emit_api_log_lines(jr_t *j)
{
	char key[48];
	const char *msg;
	unsigned i = 0;
	for (; i < 100000; i++) {
		snprintf(key, sizeof key, "logs[%u].raw_message", i);
		if (!(msg = ips_winevent_get(j->ev, key)))
			break;
		ips_record_t rec = payload_record(j, msg);
		snprintf(key, sizeof key, "logs[%u].time", i);
		const char *t = ips_winevent_get(j->ev, key);
		if (t) {
			char *e;
			long long v = strtoll(t, &e, 10);
			if (*e == '\0' && v > 0 && v < 100000000000LL) {
				rec.time.sec = v;
				rec.time.valid = true;
			}
		}
		ips_sink_record(j->sink, &rec);
	}
	if (i > 1)
		j->f.records += i - 1; /* one record each, the object counted once by end() */
	return i > 0;
}

static int end(jr_t *j)
{
	j->cb_seen = true;
	if (j->rec_depth && j->depth == j->rec_depth) {
		if (!emit_log_entry(j) && !emit_api_log_lines(j))
			ips_winevent_emit(j->ev, j->sink);
		j->f.records++;
		j->rec_depth = 0;
	}
	if (j->depth > 0)
		j->depth--;
	return 1;
}

static int j_start_map(void *ctx)
{
	return start(ctx, true);
}

static int j_start_array(void *ctx)
{
	return start(ctx, false);
}

static int j_end(void *ctx)
{
	return end(ctx);
}

static int j_key(void *ctx, const unsigned char *k, size_t n)
{
	jr_t *j = ctx;
	j->cb_seen = true;
	if (j->rec_depth)
		path_to(j, j->plen[j->depth], ".", (const char *)k, n);
	return 1;
}

static const yajl_callbacks callbacks = {
	j_null, j_bool, NULL, NULL, j_number, j_string,
	j_start_map, j_key, j_end, j_start_array, j_end,
};

static void open_parser(jr_t *j)
{
	j->h = yajl_alloc(&callbacks, NULL, j);
	if (!j->h) {
		fprintf(stderr, "ipsec-scan: out of memory\n");
		abort();
	}
	yajl_config(j->h, yajl_allow_multiple_values, 1);
	yajl_config(j->h, yajl_dont_validate_strings, 1);
	j->depth = 0;
	j->rec_depth = 0;
	j->too_deep = false;
}

static void close_parser(jr_t *j)
{
	if (j->h)
		yajl_free(j->h);
	j->h = NULL;
	j->depth = 0;
	j->rec_depth = 0;
}

static void report(jr_t *j, uint64_t at, const char *what)
{
	if (j->too_deep) {
		ips_sink_error(j->sink, at, "JSON nested deeper than " STR(IPS_JSON_MAX_DEPTH)
			       " levels; %s", what);
		return;
	}
	unsigned char *e = yajl_get_error(j->h, 0, NULL, 0);
	char *msg = ips_xstrdup(e ? (const char *)e : "parse error");
	if (e)
		yajl_free_error(j->h, e);
	size_t l = strlen(msg);
	while (l && (msg[l - 1] == '\n' || msg[l - 1] == ' '))
		msg[--l] = '\0';
	ips_sink_error(j->sink, at, "JSON %s; %s", msg, what);
	free(msg);
}

static uint64_t count_nl(const char *p, size_t n)
{
	uint64_t c = 0;
	const char *end = p + n;
	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		c++;
		p++;
	}
	return c;
}

/*
 * Feed p[0..n) (input offset off, line line) in pieces that end at each
 * '{', so that when yajl opens an object we know where it starts. Returns
 * false after reporting an error. *quiet counts bytes fed without any
 * callback: a token longer than the record cap is refused.
 */
static bool feed(jr_t *j, const char *p, size_t n, uint64_t off, uint64_t line, uint64_t *quiet,
		 const char *what)
{
	size_t pos = 0;
	while (pos < n) {
		const char *b = memchr(p + pos, '{', n - pos);
		size_t stop = b ? (size_t)(b - p) + 1 : n;
		line += count_nl(p + pos, stop - pos);
		j->brace_off = off + stop - 1;
		j->brace_line = line;
		j->cb_seen = false;
		yajl_status s = yajl_parse(j->h, (const unsigned char *)p + pos, stop - pos);
		if (s != yajl_status_ok) {
			report(j, off + pos + yajl_get_bytes_consumed(j->h), what);
			return false;
		}
		*quiet = j->cb_seen ? 0 : *quiet + (stop - pos);
		if (*quiet > j->max_record) {
			ips_sink_error(j->sink, off + stop, "JSON: a single value longer than the "
				       "%zu-byte record cap; %s", j->max_record, what);
			return false;
		}
		pos = stop;
	}
	return true;
}

/* The whole input is one stream of JSON values (ConvertTo-Json). */
static void stream_feed(jr_t *j, const char *buf, size_t n)
{
	static const char *const stop = "the rest of the input is not read";
	if (!j->dead && !feed(j, buf, n, j->off, j->line, &j->quiet, stop))
		j->dead = true;
	j->line += count_nl(buf, n);
	j->off += (uint64_t)n;
}

static void stream_end(jr_t *j, bool broken)
{
	if (!j->dead && !broken && yajl_complete_parse(j->h) != yajl_status_ok)
		report(j, j->off, "the input ends inside a JSON value");
	close_parser(j);
}

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/* One JSON text per line (NDJSON): a bad line costs only itself. eof: the input ended. */
static void lines_feed(jr_t *j, const char *buf, size_t len, bool eof)
{
	static const char *const skip = "the rest of the line is skipped";
	size_t pos = 0;
	uint64_t off = j->off;
	while (pos < len || eof) {
		const char *nl = eof ? NULL : memchr(buf + pos, '\n', len - pos);
		size_t segn = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		const char *seg = buf + pos;
		if (!j->skipping && segn) {
			if (!j->h && !blank(seg, segn))
				open_parser(j);
			if (j->h) {
				j->line_bytes += segn;
				if (j->line_bytes > j->max_record) {
					/* keep what the line gave so far, cut */
					if (j->rec_depth) {
						ips_winevent_truncated(j->ev);
						ips_winevent_emit(j->ev, j->sink);
						j->f.records++;
					}
					close_parser(j);
					j->skipping = true;
				} else if (!feed(j, seg, segn, off + pos, j->line, &j->quiet, skip)) {
					close_parser(j);
					j->skipping = true;
				}
			}
		}
		pos += segn;
		if (nl || eof) {
			/* the end of a line */
			if (j->h && yajl_complete_parse(j->h) != yajl_status_ok)
				report(j, off + pos, "the line ends inside a JSON value");
			close_parser(j);
			j->skipping = false;
			j->line_bytes = 0;
			j->quiet = 0;
			if (nl) {
				pos++;
				j->line++;
			}
		}
		if (eof)
			break;
	}
	j->off += len;
}

static ips_framer_t *json_open(ips_sink_t *sink, const ips_frame_limits_t *lim,
			       const ips_frame_start_t *at, bool per_line)
{
	jr_t *j = ips_framer_alloc(sizeof *j);
	j->sink = sink;
	j->max_record = lim->max_record;
	j->ev = ips_winevent_new(lim->max_record);
	j->per_line = per_line;
	j->off = at->offset;
	j->line = at->line;
	if (!per_line)
		open_parser(j);
	return &j->f;
}

ips_framer_t *ips_json_open_lines(ips_sink_t *sink, const ips_frame_limits_t *lim,
				  const ips_frame_start_t *at)
{
	return json_open(sink, lim, at, true);
}

ips_framer_t *ips_json_open_stream(ips_sink_t *sink, const ips_frame_limits_t *lim,
				   const ips_frame_start_t *at)
{
	return json_open(sink, lim, at, false);
}

void ips_json_feed(ips_framer_t *f, const char *p, size_t n)
{
	jr_t *j = (jr_t *)f;
	if (j->per_line)
		lines_feed(j, p, n, false);
	else
		stream_feed(j, p, n);
}

void ips_json_end(ips_framer_t *f, bool broken)
{
	jr_t *j = (jr_t *)f;
	if (j->per_line) {
		if (!broken)
			lines_feed(j, "", 0, true);
		close_parser(j);
	} else {
		stream_end(j, broken);
	}
	ips_framer_done(f, j->f.records, j->off);
}

void ips_json_free(ips_framer_t *f)
{
	jr_t *j = (jr_t *)f;
	close_parser(j);
	ips_winevent_free(j->ev);
	free(j);
}

/* Is the head the start of JSON text (no syntax error in it)? */
static bool looks_like_json(const unsigned char *h, size_t n)
{
	static const yajl_callbacks none;
	yajl_handle y = yajl_alloc(&none, NULL, NULL);
	if (!y)
		return false;
	yajl_config(y, yajl_allow_multiple_values, 1);
	yajl_config(y, yajl_dont_validate_strings, 1);
	bool ok = yajl_parse(y, h, n) == yajl_status_ok;
	yajl_free(y);
	return ok;
}

int ips_json_first(const unsigned char *h, size_t n, bool *one_line_object)
{
	size_t i = 0;
	*one_line_object = false;
	i = ips_skip_space(h, n, i);
	if (i >= n || (h[i] != '[' && h[i] != '{'))
		return -1;
	/* "[IKE] ..." or "[checkpoint: ...]" lines are not JSON arrays: the first
	 * line must parse (a later error is the framer's to report) */
	const unsigned char *nl = memchr(h + i, '\n', n - i);
	size_t first = nl ? (size_t)(nl - (h + i)) : n - i;
	if (!looks_like_json(h + i, first > 4096 ? 4096 : first))
		return -1;
	const unsigned char *e = memchr(h + i, '\n', n - i);
	if (!e) {
		/* a first line longer than the head: one object per line (a
		 * pretty-printed object breaks its line right after the '{') */
		*one_line_object = h[i] == '{' && n - i > 1024;
		return h[i];
	}
	size_t l = (size_t)(e - h);
	while (l > i && (h[l - 1] == '\r' || h[l - 1] == ' ' || h[l - 1] == '\t'))
		l--;
	*one_line_object = h[i] == '{' && l > i + 1 && h[l - 1] == '}';
	return h[i];
}
