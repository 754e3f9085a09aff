/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_pstable.c - PowerShell `Format-Table` output of event objects,
 * `Get-EventLog ... | Format-Table -Wrap` or `Get-WinEvent ... | ft -Wrap`:
 *
 *      Index Time          EntryType   Source          InstanceID Message
 *      ----- ----          ---------   ------          ---------- -------
 *      14231 Mar 05 07:58  Error       RemoteAccess    3221245519 RoutingDomainID- {...}: A Demand
 *                                                                 Dial connection to the remote ...
 *
 *      ProviderName: RasClient
 *
 *   TimeCreated                     Id LevelDisplayName Message
 *   -----------                     -- ---------------- -------
 *   3/5/2026 7:58:14 AM          20227 Error            CoId={...}: The user ...
 *
 * The line of dashes under the header gives the columns: each run of dashes
 * is one column, its header name the text above it; the last column runs to
 * the end of the line. A line whose first column holds text starts a row;
 * a line whose first column is blank continues the row above (-Wrap), each
 * column's text appended to that column. In the last column a continuation
 * is a wrap (joined with a space) when its first word would not have fitted
 * on the line before at the widest line seen, a line break otherwise, as in
 * Format-List (framer_pslist.c); in the other columns a fragment that filled
 * its column is a word cut in two and is joined without a space.
 * Get-WinEvent groups rows under "ProviderName: X" lines, which give the
 * rows' Provider. Without -Wrap, PowerShell cuts long values with "..." and
 * the end of a message, with its error code, is lost: only what is shown is
 * read. Get-EventLog's Time column ("Mar 05 07:58") has no year and no
 * seconds and is not read as the event's time.
 */
#include <stdlib.h>
#include <string.h>

#include "input/winevent.h"
#include "util/util.h"

#define MAX_COLS 32
#define NAME_LEN 48

typedef struct col {
	size_t start, end; /* [start, end) on the line; the last column: end = SIZE_MAX */
	char name[NAME_LEN];
	ips_buf_t val;
	size_t prev_len;   /* display length of the line its value last grew on */
} col_t;

typedef struct pstable {
	ips_winlines_framer_t lf; /* a push framer over lines (winevent.h) */
	ips_sink_t *sink;
	ips_winevent_t *ev;
	size_t max_record;
	col_t cols[MAX_COLS];
	size_t ncols;
	char header[1024];  /* the line above the dashes, until they come */
	size_t header_len;
	char provider[256]; /* from "ProviderName: X" */
	bool in_row;
	bool row_one_line; /* the row is one line so far: maybe the next header */
	size_t width;
	uint64_t events;
} pstable_t;

static size_t rtrim(const char *l, size_t n)
{
	while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
		n--;
	return n;
}

/* "----- ----  -------": at least two runs of dashes and nothing else */
static bool dashes_line(const char *l, size_t n)
{
	size_t runs = 0;
	for (size_t i = 0; i < n;) {
		if (l[i] == ' ') {
			i++;
			continue;
		}
		if (l[i] != '-')
			return false;
		while (i < n && l[i] == '-')
			i++;
		runs++;
	}
	return runs >= 2;
}

static void cell(const char *l, size_t n, const col_t *c, bool last, const char **v, size_t *vn)
{
	size_t s = c->start, e = last ? n : (c->end < n ? c->end : n);
	/* a right-aligned number may start left of its dashes: take the whole word */
	while (s > 0 && s < n && l[s - 1] != ' ' && l[s] != ' ')
		s--;
	if (s >= n || s >= e) {
		*v = l;
		*vn = 0;
		return;
	}
	*v = l + s;
	*vn = e - s;
	while (*vn && **v == ' ')
		(*v)++, (*vn)--;
	while (*vn && (*v)[*vn - 1] == ' ')
		(*vn)--;
}

static void set_columns(pstable_t *t, const char *l, size_t n)
{
	t->ncols = 0;
	for (size_t i = 0; i < n && t->ncols < MAX_COLS;) {
		if (l[i] == ' ') {
			i++;
			continue;
		}
		col_t *c = &t->cols[t->ncols++];
		c->start = i;
		while (i < n && l[i] == '-')
			i++;
		c->end = i;
		size_t hs = c->start, he = c->end < t->header_len ? c->end : t->header_len;
		size_t k = 0;
		for (size_t j = hs; j < he && k + 1 < NAME_LEN; j++)
			if (t->header[j] != ' ')
				c->name[k++] = t->header[j];
		c->name[k] = '\0';
	}
	/* a column owns the blanks up to the next one; the last the rest of the line */
	for (size_t j = 0; j + 1 < t->ncols; j++)
		t->cols[j].end = t->cols[j + 1].start;
	if (t->ncols)
		t->cols[t->ncols - 1].end = SIZE_MAX;
}

static void field(pstable_t *t, const char *name, const char *v, size_t n)
{
	if (!n || !strcmp(name, "Time"))
		return; /* Get-EventLog's "Mar 05 07:58": no year, no seconds */
	if (!strcmp(name, "InstanceID") || !strcmp(name, "InstanceId")) {
		/* a classic event's EventID is the low 16 bits of its InstanceId */
		int64_t id;
		char num[24];
		if (n < sizeof num) {
			memcpy(num, v, n);
			num[n] = '\0';
			if (ips_parse_i64(num, 10, &id) && id >= 0) {
				snprintf(num, sizeof num, "%lld", (long long)(id & 0xFFFF));
				if (!ips_winevent_get(t->ev, "EventID"))
					ips_winevent_set(t->ev, "EventID", num, strlen(num));
			}
		}
		return;
	}
	if (!strcmp(name, "UserName"))
		name = "UserAccount";
	ips_winevent_field(t->ev, name, v, n, false);
}

static void finish(pstable_t *t)
{
	if (!t->in_row)
		return;
	for (size_t j = 0; j < t->ncols; j++) {
		col_t *c = &t->cols[j];
		if (c->val.len && strcmp(c->name, "InstanceID") && strcmp(c->name, "InstanceId"))
			field(t, c->name, c->val.data, c->val.len);
	}
	/* InstanceID only where no EventID/Id column gave one */
	for (size_t j = 0; j < t->ncols; j++) {
		col_t *c = &t->cols[j];
		if (c->val.len && (!strcmp(c->name, "InstanceID") || !strcmp(c->name, "InstanceId")))
			field(t, c->name, c->val.data, c->val.len);
	}
	if (t->provider[0] && !ips_winevent_get(t->ev, "Provider"))
		ips_winevent_set(t->ev, "Provider", t->provider, strlen(t->provider));
	ips_winevent_emit(t->ev, t->sink);
	t->events++;
	t->in_row = false;
	for (size_t j = 0; j < t->ncols; j++)
		ips_buf_reset(&t->cols[j].val);
}

static void append(pstable_t *t, col_t *c, const char *s, size_t n)
{
	if (ips_buf_append(&c->val, s, n) != IPS_OK)
		ips_winevent_truncated(t->ev);
}

static void on_line(pstable_t *t, const char *l, size_t n, uint64_t off, uint64_t line)
{
	n = rtrim(l, n);
	if (!n)
		return; /* blank lines separate groups and tables, never rows' text */
	if (n > t->width)
		t->width = n;
	if (dashes_line(l, n) && t->header_len) {
		if (t->in_row && t->row_one_line) {
			/* that "row" was the header of this table */
			t->in_row = false;
			for (size_t j = 0; j < t->ncols; j++)
				ips_buf_reset(&t->cols[j].val);
		}
		finish(t);
		set_columns(t, l, n);
		t->header_len = 0;
		return;
	}
	/* "   ProviderName: RasClient" above a Get-WinEvent group */
	size_t i = 0;
	while (i < n && l[i] == ' ')
		i++;
	if (n - i > 14 && !memcmp(l + i, "ProviderName: ", 14)) {
		finish(t);
		size_t pn = n - i - 14;
		if (pn >= sizeof t->provider)
			pn = sizeof t->provider - 1;
		memcpy(t->provider, l + i + 14, pn);
		t->provider[pn] = '\0';
		t->header_len = 0;
		return;
	}
	if (!t->ncols) {
		/* not in a table yet: this may be the header */
		size_t hn = n < sizeof t->header ? n : sizeof t->header - 1;
		memcpy(t->header, l, hn);
		t->header_len = hn;
		return;
	}
	const char *v;
	size_t vn;
	cell(l, n, &t->cols[0], t->ncols == 1, &v, &vn);
	bool starts = vn > 0;
	if (starts) {
		/* maybe the header of a next table: keep it until dashes decide */
		size_t hn = n < sizeof t->header ? n : sizeof t->header - 1;
		memcpy(t->header, l, hn);
		t->header_len = hn;
		finish(t);
		ips_winevent_begin(t->ev, off, line);
		t->in_row = true;
		t->row_one_line = true;
	} else if (!t->in_row) {
		return;
	} else {
		t->row_one_line = false;
	}
	for (size_t j = 0; j < t->ncols; j++) {
		col_t *c = &t->cols[j];
		bool last = j + 1 == t->ncols;
		cell(l, n, c, last, &v, &vn);
		if (!vn)
			continue;
		if (c->val.len && !starts) {
			if (last) {
				size_t w = 0;
				while (w < vn && v[w] != ' ' && v[w] != '\t')
					w++;
				append(t, c, c->prev_len + 1 + w > t->width ? " " : "\n", 1);
			} else {
				/* a fragment that filled its column was cut mid-word */
				size_t width = c->end - c->start;
				bool full = c->val.len && c->prev_len >= width - 1;
				if (!full)
					append(t, c, " ", 1);
			}
		}
		append(t, c, v, vn);
		c->prev_len = last ? n : vn;
	}
}

static void pstable_line(void *ctx, const char *l, size_t n, uint64_t off, uint64_t line)
{
	on_line(ctx, l, n, off, line);
}

extern const ips_framer_ops_t ips_framer_pstable;

static ips_framer_t *pstable_open(ips_sink_t *sink, const ips_frame_limits_t *lim,
                                  const ips_frame_start_t *at)
{
	pstable_t *t = ips_framer_alloc(sizeof *t);
	t->sink = sink;
	t->max_record = lim->max_record;
	t->ev = ips_winevent_new(lim->max_record);
	for (size_t j = 0; j < MAX_COLS; j++)
		ips_buf_init(&t->cols[j].val, lim->max_record);
	ips_winlines_init(&t->lf, lim->block + lim->max_record, at, t->ev, pstable_line, t);
	return &t->lf.f;
}

static void pstable_end(ips_framer_t *f, bool broken)
{
	pstable_t *t = (pstable_t *)f;
	uint64_t bytes = ips_winlines_end(&t->lf, broken);
	finish(t);
	ips_framer_done(f, t->events, bytes);
}

static void pstable_free(ips_framer_t *f)
{
	pstable_t *t = (pstable_t *)f;
	free(t->lf.buf);
	for (size_t j = 0; j < MAX_COLS; j++)
		ips_buf_free(&t->cols[j].val);
	ips_winevent_free(t->ev);
	free(t);
}

static ips_status_t pstable_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	return ips_framer_pump(&ips_framer_pstable, src, sink, lim);
}

/*
 * Within the first 50 lines: a header naming at least two event columns
 * (Index, EntryType, Source, InstanceID, TimeCreated, Id, LevelDisplayName,
 * ProviderName, Message) right above a line of dashes.
 */
static int pstable_sniff(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	static const char *const names[] = {"Index", "EntryType", "Source", "InstanceID",
					    "TimeCreated", "Id", "LevelDisplayName",
					    "ProviderName", "Message", "EventID", NULL};
	const char *prev = NULL;
	size_t prev_len = 0, pos = 0;
	for (int lines = 0; pos < n && lines < 50; lines++) {
		const unsigned char *e = memchr(h + pos, '\n', n - pos);
		size_t len = e ? (size_t)(e - (h + pos)) : n - pos;
		const char *l = (const char *)h + pos;
		len = rtrim(l, len);
		if (prev && dashes_line(l, len)) {
			int known = 0;
			for (int k = 0; names[k]; k++) {
				size_t kl = strlen(names[k]);
				for (const char *p = prev; (p = memmem(p, prev_len - (size_t)(p - prev),
								   names[k], kl)); p += kl)
					if ((p == prev || p[-1] == ' ') &&
					    (p + kl == prev + prev_len || p[kl] == ' ')) {
						known++;
						break;
					}
			}
			return known >= 2 ? 90 : 0;
		}
		if (len) {
			prev = l;
			prev_len = len;
		}
		if (!e)
			break;
		pos += (size_t)(e - (h + pos)) + 1;
	}
	return 0;
}

const ips_framer_ops_t ips_framer_pstable = {
	.name = "pstable", .sniff = pstable_sniff, .run = pstable_run,
	.open = pstable_open, .feed = ips_winlines_feed, .end = pstable_end, .free = pstable_free,
	.room = ips_winlines_room, .filled = ips_winlines_filled,
};
