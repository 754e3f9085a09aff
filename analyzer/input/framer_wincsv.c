/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_wincsv.c - Windows event CSV exports:
 *
 *  - Event Viewer "Save as CSV": a header of five names
 *    (Level|Keywords, Date and Time, Source, Event ID, Task Category) over
 *    rows of six fields: the unnamed sixth is the message. Dates are en-US
 *    "M/D/YYYY h:mm:ss AM" in local time (--tz). No computer name column.
 *  - PowerShell Export-Csv (Get-WinEvent or Get-EventLog objects): an
 *    optional "#TYPE ..." line, then a quoted header; columns by name.
 *
 * An RFC 4180 reader: quoted fields may hold the delimiter, "" and line
 * breaks, so one record spans many lines; CR LF or LF end records. It is
 * lenient where exports are sloppy (a quote inside an unquoted field is a
 * character; text after a closing quote is kept). The delimiter is the one
 * of , ; TAB that the header line uses most (Export-Csv -UseCulture).
 * A record keeps at most max_record bytes and IPS_CSV_MAX_COLS columns;
 * the rest is counted as truncated. Columns beyond the header's names: the
 * first is the message, others are Column<N>.
 *
 * Event Viewer's tab-delimited text export has the same columns but does not
 * quote the message, whose line breaks stay raw: there a line whose second
 * column is a date starts an event and other lines continue its message.
 */
#include <stdlib.h>
#include <string.h>

#include "input/winevent.h"
#include "util/util.h"

#define IPS_CSV_MAX_COLS 1024

enum cstate { C_START, C_UNQUOTED, C_QUOTED, C_QUOTE };

typedef struct csv {
	ips_sink_t *sink;
	ips_winevent_t *ev;
	char delim;
	enum cstate state;
	/* the record being read */
	char *rec;            /* field bytes, each field NUL-terminated */
	size_t len, max;      /* bytes used; bytes of field text allowed */
	size_t fstart[IPS_CSV_MAX_COLS];
	size_t nf;
	bool truncated;
	bool in_record;       /* a byte of the record was seen */
	uint64_t rec_off, rec_line, quote_off, quote_line;
	/* the header */
	char *names[IPS_CSV_MAX_COLS];
	size_t nnames;
	bool have_header;
	uint64_t records;
} csv_t;

static void put(csv_t *c, char ch)
{
	if (c->nf >= IPS_CSV_MAX_COLS)
		return;
	if (c->len >= c->max) {
		c->truncated = true;
		return;
	}
	c->rec[c->len++] = ch;
}

static void end_field(csv_t *c)
{
	if (c->nf >= IPS_CSV_MAX_COLS) {
		c->truncated = true;
		return;
	}
	c->rec[c->len++] = '\0'; /* room reserved: max + IPS_CSV_MAX_COLS */
	c->nf++;
	if (c->nf < IPS_CSV_MAX_COLS)
		c->fstart[c->nf] = c->len;
}

static const char *field(const csv_t *c, size_t i, size_t *n)
{
	const char *s = c->rec + c->fstart[i];
	*n = strlen(s);
	return s;
}

static void header(csv_t *c)
{
	for (size_t i = 0; i < c->nf; i++) {
		size_t n;
		const char *s = field(c, i, &n);
		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		c->names[c->nnames++] = ips_xstrndup(s, n);
	}
	c->have_header = true;
}

static void end_record(csv_t *c)
{
	end_field(c);
	size_t n0;
	const char *f0 = field(c, 0, &n0);
	if (c->nf == 1 && n0 == 0) {
		/* an empty line */
	} else if (!c->have_header && !strncmp(f0, "#TYPE", 5)) {
		/* Windows PowerShell's type line */
	} else if (!c->have_header) {
		header(c);
	} else {
		ips_winevent_begin(c->ev, c->rec_off, c->rec_line);
		for (size_t i = 0; i < c->nf; i++) {
			size_t n;
			const char *v = field(c, i, &n);
			char col[32];
			const char *name = col;
			if (i < c->nnames && c->names[i][0])
				name = c->names[i];
			else if (i == c->nnames)
				name = "Message"; /* Event Viewer: the unnamed sixth column */
			else
				snprintf(col, sizeof col, "Column%zu", i + 1);
			ips_winevent_field(c->ev, name, v, n, false);
		}
		if (c->truncated)
			ips_winevent_truncated(c->ev);
		ips_winevent_emit(c->ev, c->sink);
		c->records++;
	}
	c->len = 0;
	c->nf = 0;
	c->fstart[0] = 0;
	c->truncated = false;
	c->in_record = false;
}

/* Feed bytes; `off` and `line` are the input position of p[0]. */
static void feed(csv_t *c, const char *p, size_t n, uint64_t off, uint64_t *line)
{
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (!c->in_record) {
			if (ch == '\r')
				continue;
			c->in_record = true;
			c->rec_off = off + i;
			c->rec_line = *line;
		}
		switch (c->state) {
		case C_START:
			if (ch == '"') {
				c->state = C_QUOTED;
				c->quote_off = off + i;
				c->quote_line = *line;
			} else if (ch == c->delim) {
				end_field(c);
			} else if (ch == '\n') {
				end_record(c);
			} else if (ch != '\r') {
				put(c, ch);
				c->state = C_UNQUOTED;
			}
			break;
		case C_UNQUOTED:
			if (ch == c->delim) {
				end_field(c);
				c->state = C_START;
			} else if (ch == '\n') {
				end_record(c);
				c->state = C_START;
			} else if (ch != '\r') {
				put(c, ch);
			}
			break;
		case C_QUOTED:
			if (ch == '"')
				c->state = C_QUOTE;
			else if (ch != '\0')
				put(c, ch);
			break;
		case C_QUOTE:
			if (ch == '"') {
				put(c, '"');
				c->state = C_QUOTED;
			} else if (ch == c->delim) {
				end_field(c);
				c->state = C_START;
			} else if (ch == '\n') {
				end_record(c);
				c->state = C_START;
			} else if (ch != '\r') {
				put(c, ch); /* text after a closing quote: kept */
				c->state = C_UNQUOTED;
			}
			break;
		}
		if (ch == '\n')
			(*line)++;
	}
}

/* The delimiter the first header line uses most: , ; or TAB. */
static char pick_delim(const unsigned char *h, size_t n)
{
	size_t i = 0;
	if (n >= 5 && !memcmp(h, "#TYPE", 5)) {
		const unsigned char *e = memchr(h, '\n', n);
		i = e ? (size_t)(e - h) + 1 : n;
	}
	size_t comma = 0, semi = 0, tab = 0;
	bool q = false;
	for (; i < n && (q || h[i] != '\n'); i++) {
		if (h[i] == '"')
			q = !q;
		else if (!q)
			comma += h[i] == ',', semi += h[i] == ';', tab += h[i] == '\t';
	}
	if (semi > comma && semi >= tab)
		return ';';
	if (tab > comma && tab > semi)
		return '\t';
	return ',';
}

/*
 * Event Viewer's tab-delimited text: the same columns, the message last and
 * not quoted, its line breaks kept. A line whose second column is a date
 * starts an event; any other line continues the message.
 */
static void txt_line(csv_t *c, const char *l, size_t n, uint64_t off, uint64_t line,
		     bool *open)
{
	if (n && l[n - 1] == '\r')
		n--;
	const char *f[IPS_CSV_MAX_COLS];
	size_t fl[IPS_CSV_MAX_COLS], nf = 0;
	size_t last = c->have_header ? c->nnames : IPS_CSV_MAX_COLS - 1;
	const char *p = l, *end = l + n;
	while (nf < IPS_CSV_MAX_COLS) {
		const char *t = nf < last ? memchr(p, '\t', (size_t)(end - p)) : NULL;
		f[nf] = p;
		fl[nf] = (size_t)((t ? t : end) - p);
		nf++;
		if (!t)
			break;
		p = t + 1;
	}
	if (!c->have_header) {
		for (size_t i = 0; i < nf; i++)
			c->names[c->nnames++] = ips_xstrndup(f[i], fl[i]);
		c->have_header = true;
		return;
	}
	ips_time_t t;
	if (nf >= 2 && nf >= c->nnames && ips_winevent_parse_time(f[1], fl[1], &t)) {
		if (*open) {
			ips_winevent_emit(c->ev, c->sink);
			c->records++;
		}
		ips_winevent_begin(c->ev, off, line);
		*open = true;
		for (size_t i = 0; i < nf; i++) {
			char name[64];
			const char *nm = i < c->nnames ? c->names[i] : "Message";
			if (i > c->nnames) {
				snprintf(name, sizeof name, "Column%zu", i + 1);
				nm = name;
			}
			ips_winevent_field(c->ev, nm, f[i], fl[i], false);
		}
	} else if (*open) {
		ips_winevent_message(c->ev, "\n", 1);
		ips_winevent_message(c->ev, l, n);
	}
}

#define HEAD_BYTES 4096 /* what the delimiter and the kind of export are read from */

/* A push framer (framer.h): the first HEAD_BYTES are kept until the kind of
 * export is known, then CSV bytes go to feed() and text lines to the line
 * reader of winevent.h. */
typedef struct wincsv {
	ips_winlines_framer_t lf; /* the Event Viewer text export */
	csv_t *c;
	bool open;            /* text export: an event is being read */
	char *head;           /* until decided */
	size_t head_len;
	bool decided, txt;
	uint64_t off, line;   /* CSV: input offset and line of the next byte fed */
} wincsv_t;

static void txt_each(void *ctx, const char *l, size_t n, uint64_t off, uint64_t line)
{
	wincsv_t *w = ctx;
	txt_line(w->c, l, n, off, line, &w->open);
}

/* Event Viewer's header, tab-separated and with no quotes: its text export. */
static bool is_event_viewer_txt(const unsigned char *h, size_t n)
{
	const unsigned char *e = memchr(h, '\n', n);
	size_t l1 = e ? (size_t)(e - h) : n;
	return memmem(h, l1, "\tDate and Time\t", 15) && !memchr(h, '"', l1);
}

extern const ips_framer_ops_t ips_framer_wincsv;

static ips_framer_t *wincsv_open(ips_sink_t *sink, const ips_frame_limits_t *lim,
				 const ips_frame_start_t *at)
{
	wincsv_t *w = ips_framer_alloc(sizeof *w);
	csv_t *c = ips_xcalloc(1, sizeof *c);
	c->sink = sink;
	c->ev = ips_winevent_new(lim->max_record);
	c->max = lim->max_record;
	c->rec = ips_xmalloc(c->max + IPS_CSV_MAX_COLS + 1);
	w->c = c;
	w->head = ips_xmalloc(HEAD_BYTES);
	w->off = at->offset;
	w->line = at->line;
	return &w->lf.f;
}

static void csv_bytes(wincsv_t *w, const char *p, size_t n)
{
	if (w->txt) {
		ips_winlines_feed(&w->lf.f, p, n);
		return;
	}
	feed(w->c, p, n, w->off, &w->line);
	w->off += (uint64_t)n;
}

/* The head is read: which export, which delimiter; then what was kept goes on. */
static void decide(wincsv_t *w)
{
	const unsigned char *h = (const unsigned char *)w->head;
	w->decided = true;
	w->c->delim = w->head_len ? pick_delim(h, w->head_len) : ',';
	if (w->head_len && is_event_viewer_txt(h, w->head_len)) {
		w->txt = true;
		ips_frame_start_t at = {w->off, w->line, false};
		ips_winlines_init(&w->lf, w->lf.f.lim.block + w->lf.f.lim.max_record, &at, w->c->ev,
				  txt_each, w);
	}
	csv_bytes(w, w->head, w->head_len);
	free(w->head);
	w->head = NULL;
}

static void wincsv_feed(ips_framer_t *f, const char *p, size_t n)
{
	wincsv_t *w = (wincsv_t *)f;
	if (!w->decided) {
		size_t k = HEAD_BYTES - w->head_len < n ? HEAD_BYTES - w->head_len : n;
		memcpy(w->head + w->head_len, p, k);
		w->head_len += k;
		p += k;
		n -= k;
		if (w->head_len < HEAD_BYTES)
			return;
		decide(w);
	}
	if (n)
		csv_bytes(w, p, n);
}

/* The text export reads into the line reader's buffer; CSV does not. */
static char *wincsv_room(ips_framer_t *f, size_t *n)
{
	wincsv_t *w = (wincsv_t *)f;
	return w->txt ? ips_winlines_room(f, n) : NULL;
}

static void wincsv_end(ips_framer_t *f, bool broken)
{
	wincsv_t *w = (wincsv_t *)f;
	csv_t *c = w->c;
	if (!w->decided)
		decide(w);
	uint64_t bytes;
	if (w->txt) {
		bytes = ips_winlines_end(&w->lf, broken);
		if (w->open) {
			ips_winevent_emit(c->ev, c->sink);
			c->records++;
		}
	} else {
		if (c->state == C_QUOTED && !broken)
			ips_sink_error(c->sink, c->quote_off, "CSV: the quoted field opened at line "
				       "%llu is never closed: the record runs to the end of the input",
				       (unsigned long long)c->quote_line);
		if (c->in_record)
			end_record(c);
		bytes = w->off;
	}
	ips_framer_done(f, c->records, bytes);
}

static void wincsv_free(ips_framer_t *f)
{
	wincsv_t *w = (wincsv_t *)f;
	csv_t *c = w->c;
	for (size_t i = 0; i < c->nnames; i++)
		free(c->names[i]);
	ips_winevent_free(c->ev);
	free(c->rec);
	free(c);
	free(w->head);
	free(w->lf.buf);
	free(w);
}

static ips_status_t wincsv_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	return ips_framer_pump(&ips_framer_wincsv, src, sink, lim);
}

/* Does the first line name columns of a Windows event export? */
static int wincsv_sniff(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	const unsigned char *e = memchr(h, '\n', n);
	size_t l1 = e ? (size_t)(e - h) : n;
	if (l1 >= 6 && !memcmp(h, "#TYPE ", 6))
		return 92;
	if (memmem(h, l1, "Date and Time", 13) && memmem(h, l1, "Source", 6) &&
	    memmem(h, l1, "Event ID", 8))
		return 95;
	/* Export-Csv without #TYPE (PowerShell 7, -NoTypeInformation) */
	int hits = 0;
	static const char *const cols[] = {"\"Id\"", "\"ProviderName\"", "\"TimeCreated\"",
					   "\"LogName\"", "\"MachineName\"", "\"EventID\"",
					   "\"EntryType\"", "\"TimeGenerated\"", "\"Message\"", NULL};
	for (int i = 0; cols[i]; i++)
		hits += memmem(h, l1, cols[i], strlen(cols[i])) != NULL;
	return hits >= 3 ? 92 : 0;
}

const ips_framer_ops_t ips_framer_wincsv = {
	.name = "wincsv", .sniff = wincsv_sniff, .run = wincsv_run,
	.open = wincsv_open, .feed = wincsv_feed, .end = wincsv_end, .free = wincsv_free,
	.room = wincsv_room, .filled = ips_winlines_filled,
};
