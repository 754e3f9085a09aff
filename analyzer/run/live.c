/* SPDX-License-Identifier: Apache-2.0 */
/* live.c - see live.h and docs/live.md. */
#include "run/live.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "correlate/correlate.h"
#include "input/decode.h"
#include "input/framer.h"
#include "report/report.h"
#include "report/report_ndjson.h"
#include "util/util.h"

#define READ_CHUNK (64u << 10)   /* one read() */
#define ROUND_BYTES (4u << 20)   /* read from one file per round, then the next */
#define POLL_MS 200              /* followed files are looked at this often */
#define MAX_CODES 4096           /* summary.by_code names counted (more: not listed) */
#define FILE_HEAD 512            /* a followed file's first bytes: its encoding (decode.h) */

static volatile sig_atomic_t stop_signal, hup_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void on_hup(int sig)
{
	(void)sig;
	hup_signal = 1;
}

/* Without SA_RESTART: a signal interrupts poll() and read(), so it is seen at once. */
static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
}

/* Seconds of a monotonic clock, never 0 (0 means "not live" to the correlator). */
static int64_t wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec + 1;
}

typedef struct stream {
	const char *path;     /* as given; "-" for standard input */
	bool file;            /* a regular file, followed; else a pipe read to its end */
	int fd;               /* -1: a followed file that does not exist (yet) */
	bool done;
	uint64_t dev, ino;
	uint64_t pos;         /* file offset of the next byte read */
	uint64_t off, line;   /* where the next framer starts: offset and line number */
	char *buf;            /* one read */
	char *head;           /* the first bytes, until the format is known */
	size_t head_len;
	ips_sink_t *sink;     /* opened with the first data (its format is detected then) */
	const ips_framer_ops_t *fops; /* the stream's format, a push framer (framer.h) */
	ips_framer_t *fr;     /* the framer of the file being read; NULL before its first byte */
	uint64_t records;     /* of framers ended or dropped before fr */
	uint64_t bytes;       /* text handed to the framers in this run (decoded), over every
			       * file the name had: a batch scan's count */
	ips_decoder_t *dec;   /* UTF-16 or a UTF-8 BOM (decode.h): text becomes UTF-8 first */
	bool enc_known;       /* the encoding is decided (from the first bytes) */
} stream_t;

typedef struct live {
	const ips_rules_t *rules;
	const ips_scan_opts_t *so;
	const ips_live_opts_t *lo;
	ips_scanner_t *sc;
	ips_correlator_t *corr; /* fed by the scanner's finding sink, settled here */
	FILE *out;
	yajl_gen g;
	bool out_failed;
	ips_severity_t max_sev;
	uint64_t findings, incidents;
	uint64_t by_sev[IPS_SEV_CRITICAL + 1];
	const char *names[MAX_CODES];
	uint64_t counts[MAX_CODES];
	size_t ncodes;
} live_t;

static void flush_out(live_t *L)
{
	if (fflush(L->out) != 0 || ferror(L->out)) {
		if (!L->out_failed)
			fprintf(stderr, "ipsec-scan: cannot write the output to %s: %s\n",
				L->lo->output ? L->lo->output : "standard output",
				strerror(errno ? errno : EIO));
		L->out_failed = true;
	}
}

static void on_finding(live_t *L, const ips_results_t *res, const ips_finding_t *f)
{
	ips_ndjson_finding(L->out, L->g, res, f);
	flush_out(L);
	L->findings++;
	if (f->severity > L->max_sev)
		L->max_sev = f->severity;
	if ((int)f->severity >= 0 && f->severity <= IPS_SEV_CRITICAL)
		L->by_sev[f->severity]++;
	const char *name = f->entry->name;
	for (size_t i = 0; i < L->ncodes; i++)
		if (L->names[i] == name || !strcmp(L->names[i], name)) {
			L->counts[i]++;
			return;
		}
	if (L->ncodes < MAX_CODES) {
		L->names[L->ncodes] = name;
		L->counts[L->ncodes++] = 1;
	}
}

static void on_window(void *ctx, const ips_results_t *res, const ips_window_t *w)
{
	live_t *L = ctx;
	ips_ndjson_window(L->out, L->g, res, w);
	flush_out(L);
}

static void on_incident(void *ctx, const ips_results_t *res, const ips_incident_t *x)
{
	live_t *L = ctx;
	ips_ndjson_incident(L->out, L->g, res, x);
	flush_out(L);
	L->incidents++;
}

static FILE *open_output(const char *path)
{
	if (!path || !strcmp(path, "-"))
		return stdout;
	/* appended to: a restart or a reopen after rotation loses nothing */
	return fopen(path, "a");
}

/* ---- reading ----------------------------------------------------------- */

/* The format, from --input-format or the first bytes; live mode feeds push framers only. */
static void stream_sink(live_t *L, stream_t *st)
{
	if (st->sink)
		return;
	const ips_framer_ops_t *fr = NULL;
	if (L->so->input_format)
		fr = ips_framer_by_name(L->so->input_format);
	if (!fr)
		fr = ips_framer_detect((const unsigned char *)st->head, st->head_len, st->path);
	bool push = ips_framer_can_push(fr);
	const char *was = fr->name;
	if (!push)
		fr = ips_framer_by_name("lines");
	const char *name = strcmp(st->path, "-") ? st->path : "(stdin)";
	st->fops = fr;
	st->sink = ips_scanner_stream_open(L->sc, name, fr->name, (int64_t)time(NULL));
	if (!push)
		ips_scanner_stream_input(st->sink)->note =
			ips_xasprintf("live mode cannot read %s as it grows (its reader needs the whole "
				      "file): read as plain lines", was);
}

/* A framer for the file being read, starting where the stream stands. */
static void stream_framer(live_t *L, stream_t *st)
{
	stream_sink(L, st);
	if (st->fr)
		return;
	ips_frame_limits_t lim = L->so->frame;
	lim.block = READ_CHUNK; /* what one read gives: handed on as it comes */
	ips_frame_start_t at = {.offset = st->off, .line = st->line, .whole_lines = false};
	st->fr = ips_framer_new(st->fops, st->sink, &lim, &at);
}

typedef struct text_buf {
	char *p;
	size_t len, cap;
} text_buf_t;

static void text_append(void *ctx, const char *p, size_t n)
{
	text_buf_t *t = ctx;
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2;
		t->p = ips_xrealloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, p, n);
	t->len += n;
}

/* Text on to the stream's framer. */
static void text_feed(void *ctx, const char *p, size_t n)
{
	stream_t *st = ctx;
	st->bytes += n;
	ips_framer_feed(st->fr, p, n);
}

/* The encoding, from the first bytes (as a batch scan decides it): the head
 * becomes UTF-8 before its format is detected. */
/* The stream's encoding from its first bytes, decided once. */
static void stream_encoding(stream_t *st, const unsigned char *head, size_t n)
{
	if (st->enc_known)
		return;
	st->enc_known = true;
	char *err;
	st->dec = ips_decoder_new(head, n, &err);
	if (err) {
		fprintf(stderr, "ipsec-scan: %s: %s: read as it is\n", st->path, err);
		free(err);
	}
}

static void head_decode(stream_t *st)
{
	/* (a file followed from its end knew it from its start: file_open()) */
	stream_encoding(st, (const unsigned char *)st->head, st->head_len);
	if (!st->dec)
		return;
	text_buf_t t = {0};
	ips_decoder_push(st->dec, st->head, st->head_len, text_append, &t);
	free(st->head);
	st->head = t.p;
	st->head_len = t.len;
}

/* The format is known now: the first bytes kept go to the framer. */
static void head_flush(live_t *L, stream_t *st)
{
	if (!st->head_len)
		return;
	head_decode(st);
	stream_framer(L, st);
	text_feed(st, st->head, st->head_len);
	free(st->head);
	st->head = NULL;
	st->head_len = 0;
}

/* Bytes read: kept until the format is known (a whole first line, or a full record's worth),
 * then fed to the framer. */
static void stream_bytes(live_t *L, stream_t *st, const char *p, size_t n)
{
	if (!st->sink) {
		size_t max = L->so->frame.max_record;
		size_t k = max - st->head_len < n ? max - st->head_len : n;
		if (!st->head)
			st->head = ips_xmalloc(max);
		memcpy(st->head + st->head_len, p, k);
		st->head_len += k;
		p += k;
		n -= k;
		if (st->head_len < max && !memchr(st->head, '\n', st->head_len))
			return;
	}
	head_flush(L, st);
	stream_framer(L, st);
	if (st->dec)
		ips_decoder_push(st->dec, p, n, text_feed, st);
	else
		text_feed(st, p, n);
}

/* The file (or stream) ended: what the framer holds is handed on (a last line without its '\n'). */
static void stream_end_file(live_t *L, stream_t *st, bool broken)
{
	head_flush(L, st);
	if (!st->fr)
		return;
	uint64_t at;
	const char *problem = st->dec ? ips_decoder_end(st->dec, text_feed, st, &at) : NULL;
	if (problem)
		ips_sink_error(st->sink, at, "%s", problem);
	ips_framer_end(st->fr, broken);
	st->records += st->fr->records;
	ips_framer_free(st->fr);
	st->fr = NULL;
}

/* Forget what the framer holds (the file was truncated): a new one starts at off, line. */
static void stream_drop(stream_t *st)
{
	st->head_len = 0; /* bytes of the old content, format not known yet */
	if (!st->fr)
		return;
	st->records += st->fr->records;
	ips_framer_free(st->fr);
	st->fr = NULL;
}

/*
 * Read what is there now (up to limit bytes) and feed it on: bytes read, 0
 * at the end, -1 on error or when a signal came first (errno EINTR, EAGAIN:
 * not an error).
 */
static ssize_t stream_read(live_t *L, stream_t *st, size_t limit)
{
	size_t total = 0;
	while (total < limit) {
		ssize_t n = read(st->fd, st->buf, READ_CHUNK);
		if (n < 0 && total) /* a signal, or an error the next read meets again */
			break;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		st->pos += (uint64_t)n;
		total += (size_t)n;
		stream_bytes(L, st, st->buf, (size_t)n);
		if (!st->file)
			break; /* a pipe: hand over what came, then wait for more */
	}
	return (ssize_t)total;
}

static void stream_error(live_t *L, stream_t *st, const char *what, int err)
{
	stream_sink(L, st);
	ips_input_t *in = ips_scanner_stream_input(st->sink);
	if (!in->error)
		in->error = ips_xasprintf("at offset %llu: %s: %s", (unsigned long long)st->pos, what,
					  strerror(err));
	if (in->status == IPS_INPUT_OK)
		in->status = IPS_INPUT_PARTIAL;
	fprintf(stderr, "ipsec-scan: %s: %s: %s\n", st->path, what, strerror(err));
}

typedef struct text_count {
	uint64_t lines, bytes;
} text_count_t;

static void text_count(void *ctx, const char *p, size_t n)
{
	text_count_t *c = ctx;
	for (size_t i = 0; i < n; i++)
		c->lines += p[i] == '\n';
	c->bytes += n;
}

/*
 * What comes before offset end: its lines, and its length as text (the
 * decoded length for UTF-16: offsets are those of a batch scan's, which
 * reads the text decoded), so that line numbers and offsets stay the file's
 * own. head: the file's first bytes (its encoding).
 */
static text_count_t text_before(int fd, uint64_t end, const unsigned char *head, size_t hn)
{
	char *err;
	ips_decoder_t *dec = ips_decoder_new(head, hn, &err);
	free(err);
	char *b = ips_xmalloc(1u << 20);
	text_count_t c = {0};
	uint64_t at = 0;
	while (at < end) {
		size_t want = end - at < (1u << 20) ? (size_t)(end - at) : (1u << 20);
		ssize_t r = pread(fd, b, want, (off_t)at);
		if (r <= 0)
			break;
		if (dec)
			ips_decoder_push(dec, b, (size_t)r, text_count, &c);
		else
			text_count(&c, b, (size_t)r);
		at += (uint64_t)r;
	}
	free(b);
	ips_decoder_free(dec);
	return c;
}

/* The end of the last whole line before size: after its '\n' (a UTF-16 newline unit). */
static uint64_t whole_lines_end(int fd, uint64_t size, ips_encoding_t enc)
{
	if (enc == IPS_ENC_UTF16LE || enc == IPS_ENC_UTF16BE) {
		const unsigned char nl[2] = {enc == IPS_ENC_UTF16LE ? '\n' : 0,
					     enc == IPS_ENC_UTF16LE ? 0 : '\n'};
		unsigned char u[2];
		size &= ~(uint64_t)1;
		while (size >= 2 && pread(fd, u, 2, (off_t)(size - 2)) == 2 && memcmp(u, nl, 2))
			size -= 2;
		return size;
	}
	char c = 0;
	while (size > 0 && pread(fd, &c, 1, (off_t)(size - 1)) == 1 && c != '\n')
		size--;
	return size;
}

/* The first bytes of a regular file (its byte order mark, its encoding); 0 if none. */
static size_t file_head(int fd, unsigned char head[FILE_HEAD])
{
	ssize_t n = pread(fd, head, FILE_HEAD, 0);
	return n > 0 ? (size_t)n : 0;
}

/* Open a followed file: at its end when `at_end` (start of the run), else at its start. */
static bool file_open(stream_t *st, bool at_end)
{
	int fd = open(st->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return false;
	struct stat s;
	if (fstat(fd, &s) != 0) {
		close(fd);
		return false;
	}
	st->fd = fd;
	st->dev = (uint64_t)s.st_dev;
	st->ino = (uint64_t)s.st_ino;
	st->pos = st->off = 0;
	st->line = 1;
	unsigned char head[FILE_HEAD];
	size_t hn = S_ISREG(s.st_mode) ? file_head(fd, head) : 0;
	if (at_end && S_ISREG(s.st_mode) && s.st_size > 0) {
		/* the encoding from the file's start, not from where reading starts */
		if (hn)
			stream_encoding(st, head, hn);
		ips_encoding_t enc = st->dec ? ips_decoder_encoding(st->dec) : IPS_ENC_UTF8;
		/* start after the last whole line: a line being written is read whole */
		uint64_t size = whole_lines_end(fd, (uint64_t)s.st_size, enc);
		text_count_t c = text_before(fd, size, head, hn);
		st->line = 1 + c.lines;
		st->pos = size;
		st->off = c.bytes;
		hn = 0; /* the byte order mark is behind: nothing to drop */
		lseek(fd, (off_t)size, SEEK_SET);
	}
	if (st->dec) /* a new file under the name: its own byte order mark */
		ips_decoder_restart(st->dec, head, hn);
	return true;
}

/* A followed file at its end: rotated (a new file under the name) or truncated? */
static void file_check(live_t *L, stream_t *st)
{
	struct stat s;
	if (stat(st->path, &s) != 0)
		return; /* renamed away, the new one not there yet: keep the old one open */
	if ((uint64_t)s.st_ino != st->ino || (uint64_t)s.st_dev != st->dev) {
		stream_read(L, st, (size_t)-1); /* what the writer added before it moved on */
		stream_end_file(L, st, false);
		close(st->fd);
		st->fd = -1;
		if (file_open(st, false))
			fprintf(stderr, "ipsec-scan: %s: a new file under this name: reading it from "
				"its start\n", st->path);
	} else if ((uint64_t)s.st_size < st->pos) {
		fprintf(stderr, "ipsec-scan: %s: truncated: reading it again from its start\n",
			st->path);
		lseek(st->fd, 0, SEEK_SET);
		st->pos = st->off = 0;
		st->line = 1;
		stream_drop(st);
		if (st->dec) { /* written again from its start: a byte order mark again */
			unsigned char head[FILE_HEAD];
			ips_decoder_restart(st->dec, head, file_head(st->fd, head));
		}
	}
}

static void pump_file(live_t *L, stream_t *st)
{
	if (st->fd < 0) {
		if (!file_open(st, false))
			return;
		fprintf(stderr, "ipsec-scan: %s: appeared: reading it from its start\n", st->path);
	}
	ssize_t n = stream_read(L, st, ROUND_BYTES);
	if (n < 0 && errno != EINTR && errno != EAGAIN)
		stream_error(L, st, "read error", errno);
	else if (n == 0)
		file_check(L, st);
}

static void pump_pipe(live_t *L, stream_t *st)
{
	ssize_t n = stream_read(L, st, READ_CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0)
		stream_error(L, st, "read error", errno);
	if (n <= 0) { /* the end of the stream */
		stream_end_file(L, st, n < 0);
		st->done = true;
	}
}

/* ---- the run ----------------------------------------------------------- */

/* The scanner's finding sink: the correlator's, and each finding written
 * once its record is matched. */
static void sink_finding(void *ctx, const ips_results_t *res, size_t index)
{
	(void)res;
	ips_correlator_finding(((live_t *)ctx)->corr, index);
}

static void sink_event(void *ctx, const ips_event_t *e)
{
	ips_correlator_event(((live_t *)ctx)->corr, e);
}

static void sink_end_input(void *ctx)
{
	ips_correlator_end_input(((live_t *)ctx)->corr);
}

static void sink_clock(void *ctx, const ips_time_t *t, uint64_t line)
{
	ips_correlator_note_time(((live_t *)ctx)->corr, t, line);
}

static void sink_record_done(void *ctx, const ips_results_t *res, size_t first)
{
	for (size_t i = first; i < res->findings.len; i++)
		on_finding(ctx, res, res->findings.items[i]);
}

static void settle(live_t *L, bool all)
{
	ips_correlator_settle(L->corr, wall_now(), all, on_window, on_incident, L);
}

static int cmp_code(const void *a, const void *b, void *ctx)
{
	const live_t *L = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return strcmp(L->names[x], L->names[y]);
}

static void write_end(live_t *L, ips_results_t *res)
{
	for (size_t i = 0; i < res->inputs.len; i++)
		ips_ndjson_input(L->out, L->g, res->inputs.items[i]);
	size_t idx[MAX_CODES];
	const char *names[MAX_CODES];
	uint64_t counts[MAX_CODES];
	for (size_t i = 0; i < L->ncodes; i++)
		idx[i] = i;
	qsort_r(idx, L->ncodes, sizeof *idx, cmp_code, L);
	for (size_t i = 0; i < L->ncodes; i++) {
		names[i] = L->names[idx[i]];
		counts[i] = L->counts[idx[i]];
	}
	ips_summary_counts_t sc = {.records = res->records, .findings = L->findings,
				   .incidents = L->incidents, .events = res->events_total,
				   .filtered = res->filtered, .names = names, .counts = counts,
				   .ncodes = L->ncodes};
	memcpy(sc.by_severity, L->by_sev, sizeof sc.by_severity);
	ips_ndjson_summary(L->out, L->g, &sc);
	flush_out(L);
}

ips_status_t ips_live_run(const ips_rules_t *rules, const ips_scan_opts_t *so,
			  const ips_live_opts_t *lo, ips_live_result_t *r, ips_error_t *err)
{
	memset(r, 0, sizeof *r);
	live_t L = {.rules = rules, .so = so, .lo = lo};
	L.out = open_output(lo->output);
	if (!L.out) {
		r->output_failed = true;
		return ips_error_set(err, IPS_E_OUTPUT, "cannot open the output %s: %s", lo->output,
				     strerror(errno));
	}
	stop_signal = hup_signal = 0;
	install_signals();
	L.g = yajl_gen_alloc(NULL);
	ips_results_t *res = ips_results_new();
	L.corr = ips_correlator_new(rules, res);
	ips_finding_sink_t sink = {.finding = sink_finding, .event = sink_event,
				   .end_input = sink_end_input, .clock = sink_clock,
				   .record_done = sink_record_done, .ctx = &L};
	L.sc = ips_scanner_new(rules, so, res, &sink);
	settle(&L, false); /* starts the correlator's wall clock */

	size_t ns = lo->ninputs;
	stream_t *ss = ips_xcalloc(ns ? ns : 1, sizeof *ss);
	for (size_t i = 0; i < ns; i++) {
		stream_t *st = &ss[i];
		st->path = lo->inputs[i];
		st->buf = ips_xmalloc(READ_CHUNK);
		st->line = 1;
		st->fd = -1;
		struct stat s;
		if (!strcmp(st->path, "-")) {
			st->fd = STDIN_FILENO;
		} else if (stat(st->path, &s) == 0 && !S_ISREG(s.st_mode)) {
			/* a FIFO: read to its end, like standard input */
			st->fd = open(st->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
			if (st->fd < 0) {
				stream_error(&L, st, "cannot open", errno);
				st->done = true;
			}
		} else if (!lo->follow) {
			st->fd = open(st->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
			if (st->fd < 0) {
				stream_error(&L, st, "cannot open", errno);
				st->done = true;
			}
		} else {
			st->file = true;
			if (!file_open(st, true))
				fprintf(stderr, "ipsec-scan: %s: %s: waiting for it to appear\n", st->path,
					strerror(errno));
		}
	}

	int64_t settled = wall_now();
	for (;;) {
		if (stop_signal) {
			r->stopped = true;
			break;
		}
		if (hup_signal) {
			hup_signal = 0;
			if (L.out != stdout) {
				fclose(L.out);
				L.out = open_output(lo->output);
				if (!L.out) {
					fprintf(stderr, "ipsec-scan: SIGHUP: cannot reopen the output %s: %s\n",
						lo->output, strerror(errno));
					L.out = fopen("/dev/null", "w");
					L.out_failed = true;
				}
			}
		}
		if (L.out_failed)
			break;
		struct pollfd pfd[64];
		size_t map[64], np = 0;
		bool any = false, files = false;
		for (size_t i = 0; i < ns; i++) {
			if (ss[i].done)
				continue;
			any = true;
			if (ss[i].file)
				files = true;
			else if (np < 64) {
				pfd[np].fd = ss[i].fd;
				pfd[np].events = POLLIN;
				pfd[np].revents = 0;
				map[np++] = i;
			}
		}
		if (!any)
			break;
		int pr = poll(pfd, (nfds_t)np, files ? POLL_MS : 1000);
		if (pr < 0 && errno != EINTR) {
			fprintf(stderr, "ipsec-scan: poll: %s\n", strerror(errno));
			break;
		}
		for (size_t j = 0; pr > 0 && j < np; j++)
			if (pfd[j].revents)
				pump_pipe(&L, &ss[map[j]]);
		for (size_t i = 0; files && i < ns; i++)
			if (ss[i].file && !ss[i].done)
				pump_file(&L, &ss[i]);
		int64_t now = wall_now();
		if (now != settled) { /* incidents whose window closed: once a second */
			settle(&L, false);
			settled = now;
		}
	}

	/* the end: every window closes, every input is recorded */
	for (size_t i = 0; i < ns; i++) {
		stream_t *st = &ss[i];
		if (!st->done && st->fd >= 0)
			stream_end_file(&L, st, false);
	}
	settle(&L, true);
	uint64_t forced = ips_correlator_forced(L.corr);
	if (forced)
		fprintf(stderr, "ipsec-scan: note: %llu incident(s) were written before their window "
			"closed: more than %d findings were waiting to be grouped\n",
			(unsigned long long)forced, IPS_LIVE_MAX_FINDINGS);
	for (size_t i = 0; i < ns; i++) {
		stream_t *st = &ss[i];
		if (st->sink) {
			ips_input_t *in = ips_scanner_stream_input(st->sink);
			if (in->status == IPS_INPUT_PARTIAL || in->status == IPS_INPUT_ERROR)
				r->input_failed = true;
			ips_scanner_stream_close(L.sc, st->sink, st->records, st->bytes);
		} else if (st->fd < 0 && !st->file) {
			r->input_failed = true;
		}
		if (st->fd >= 0 && st->fd != STDIN_FILENO)
			close(st->fd);
		ips_framer_free(st->fr);
		ips_decoder_free(st->dec);
		free(st->head);
		free(st->buf);
	}
	free(ss);
	ips_correlator_finish(L.corr);
	ips_scanner_finish(L.sc);
	for (size_t i = 0; i < res->notes.len; i++)
		fprintf(stderr, "ipsec-scan: note: %s\n", (const char *)res->notes.items[i]);
	if (!lo->quiet || L.findings || L.incidents)
		write_end(&L, res);
	ips_scanner_free(L.sc);
	ips_correlator_free(L.corr);
	ips_results_free(res);
	yajl_gen_free(L.g);
	r->max_severity = L.max_sev;
	r->output_failed = L.out_failed;
	if (L.out != stdout && fclose(L.out) != 0 && !r->output_failed) {
		r->output_failed = true;
		return ips_error_set(err, IPS_E_OUTPUT, "cannot write the output to %s: %s",
				     lo->output, strerror(errno));
	}
	return r->output_failed ? IPS_E_OUTPUT : IPS_OK;
}
