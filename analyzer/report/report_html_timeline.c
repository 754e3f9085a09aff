/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_html_timeline.c - the HTML report's SVG timeline (see
 * report_html.h): one mark per incident (its span) and per group of
 * findings in no incident, in lanes per input (per host when there is one
 * input), with time ticks; inline SVG only, every label HTML-escaped.
 */
#include "report/report_html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input/normalize.h"
#include "report/report_util.h"

#define ROWS_MAX 200      /* timeline lanes drawn */
#define LABEL_MAX 31      /* bytes of a lane label shown */

/* One mark: an incident's span, or a group's findings in no incident on one lane. */
typedef struct tl_item {
	const char *lane;   /* borrowed: an input's path or a host */
	bool incident;
	size_t index;       /* into incidents, or into the groups */
	int64_t t0, t1;     /* seconds, UTC */
	bool guessed;       /* a year taken from the file's time */
	size_t row;
} tl_item_t;

typedef struct tl_row {
	const char *lane;
	int64_t first;
	size_t orig;        /* its number before sorting by time */
} tl_row_t;

static int cmp_item_lane(const void *a, const void *b)
{
	const tl_item_t *x = a, *y = b;
	int c = strcmp(x->lane, y->lane);
	if (c)
		return c;
	if (x->t0 != y->t0)
		return x->t0 < y->t0 ? -1 : 1;
	if (x->incident != y->incident)
		return x->incident ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_row(const void *a, const void *b)
{
	const tl_row_t *x = a, *y = b;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return strcmp(x->lane, y->lane);
}

static const int64_t steps[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
				7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600,
				-1, -3, -6, -12, -24, -60, -120, -600};
#define MONTH_SECS 2629746 /* an average Gregorian month */

static int64_t step_secs(int64_t step)
{
	return step > 0 ? step : -step * MONTH_SECS;
}

/* The first tick at or after t: a multiple of step, or the first of a month. */
static int64_t tick_first(int64_t t, int64_t step)
{
	struct tm tm;
	ips_report_tm(t, &tm);
	int64_t off = tm.tm_gmtoff; /* ticks fall on the output zone's hours and days */
	if (step > 0) {
		int64_t f = (t + off) / step * step - off;
		return f < t ? f + step : f;
	}
	int64_t y = tm.tm_year + 1900, m = tm.tm_mon; /* months since January */
	int64_t months = -step, idx = y * 12 + m;
	idx = (idx + months - 1) / months * months; /* round up to the step */
	int64_t f = ips_days_from_civil(idx / 12, (unsigned)(idx % 12) + 1, 1) * 86400 - off;
	if (f < t) {
		idx += months;
		f = ips_days_from_civil(idx / 12, (unsigned)(idx % 12) + 1, 1) * 86400 - off;
	}
	return f;
}

static int64_t tick_next(int64_t t, int64_t step)
{
	if (step > 0)
		return t + step;
	struct tm tm;
	ips_report_tm(t, &tm);
	int64_t idx = (tm.tm_year + 1900) * 12 + tm.tm_mon - step;
	return ips_days_from_civil(idx / 12, (unsigned)(idx % 12) + 1, 1) * 86400 - tm.tm_gmtoff;
}

static void tick_label(char *buf, size_t n, int64_t t, int64_t step, bool one_day)
{
	struct tm tm;
	ips_report_tm(t, &tm);
	if (step <= -12)
		strftime(buf, n, "%Y", &tm);
	else if (step < 0)
		strftime(buf, n, "%Y-%m", &tm);
	else if (step >= 86400)
		strftime(buf, n, "%Y-%m-%d", &tm);
	else if (!one_day)
		strftime(buf, n, "%m-%d %H:%M", &tm);
	else if (step >= 60)
		strftime(buf, n, "%H:%M", &tm);
	else
		strftime(buf, n, "%H:%M:%S", &tm);
}


#define TL_W 1100
#define TL_LABEL_X 8      /* labels: 31 monospace characters fit before TL_X0 */
#define TL_X0 262
#define TL_X1 1080
#define TL_TOP 34
#define TL_ROW 22

static double tl_x(int64_t t, int64_t lo, int64_t hi)
{
	return TL_X0 + (double)(t - lo) * (TL_X1 - TL_X0) / (double)(hi - lo);
}

/* A lane's label: its end when it is long (a path's file name matters most). */
static void lane_label(FILE *out, const char *s)
{
	size_t len = strlen(s);
	if (len <= LABEL_MAX) {
		ips_html_h(out, s);
		return;
	}
	const char *p = s + len - (LABEL_MAX - 1);
	while ((*p & 0xC0) == 0x80) /* not inside a character */
		p++;
	fputs("\xE2\x80\xA6", out);
	ips_html_h(out, p);
}

static const char *incident_host(const ips_results_t *res, const ips_incident_t *x)
{
	for (size_t k = 0; k < x->nkey; k++)
		if (!strcmp(x->key[k].key, "host"))
			return x->key[k].value;
	if (x->nfindings && x->findings[0] < res->findings.len) {
		const ips_finding_t *f = res->findings.items[x->findings[0]];
		if (f->host && *f->host)
			return f->host;
	}
	return "(no host)";
}

static const char *input_path(const ips_results_t *res, size_t in)
{
	return in < res->inputs.len ? ((const ips_input_t *)res->inputs.items[in])->path : "?";
}

/* Lanes per input when the marks come from several, else per host. */
static bool lanes_by_input(const ips_results_t *res)
{
	size_t first = SIZE_MAX;
	for (size_t i = 0; i < res->findings.len; i++) {
		const ips_finding_t *f = res->findings.items[i];
		if (!f->time.valid)
			continue;
		if (first == SIZE_MAX)
			first = f->input;
		else if (f->input != first)
			return true;
	}
	return false;
}

/* The items to draw: incidents with a time, and per group and lane its findings in no incident. */
static size_t tl_items(const ips_results_t *res, const ips_report_index_t *idx,
		       const ips_report_group_t *groups, size_t ng, bool by_input, tl_item_t **out)
{
	size_t cap = res->incidents.len + res->findings.len, n = 0;
	tl_item_t *items = ips_xcalloc(cap ? cap : 1, sizeof *items);
	for (size_t i = 0; i < res->incidents.len; i++) {
		const ips_incident_t *x = res->incidents.items[i];
		if (!x->first.valid)
			continue;
		tl_item_t *it = &items[n++];
		size_t in;
		uint64_t line;
		ips_report_incident_where(res, x, &in, &line);
		it->lane = by_input ? input_path(res, in) : incident_host(res, x);
		it->incident = true;
		it->index = i;
		it->t0 = x->first.sec;
		it->t1 = x->last.valid && x->last.sec > x->first.sec ? x->last.sec : x->first.sec;
		it->guessed = ips_html_incident_year_guessed(res, x);
		for (size_t k = 0; k < x->nfindings; k++) { /* the span covers its findings */
			if (x->findings[k] >= res->findings.len)
				continue;
			const ips_finding_t *f = res->findings.items[x->findings[k]];
			if (f->time.valid && f->time.sec < it->t0)
				it->t0 = f->time.sec;
			if (f->time.valid && f->time.sec > it->t1)
				it->t1 = f->time.sec;
		}
	}
	for (size_t g = 0; g < ng; g++) {
		size_t from = n;
		for (size_t i = groups[g].first; i < res->findings.len; i++) {
			const ips_finding_t *f = res->findings.items[i];
			const size_t *inc;
			if (f->entry != groups[g].entry || !f->time.valid ||
			    ips_report_incidents_of(idx, i, &inc))
				continue;
			const char *lane = by_input ? input_path(res, f->input)
					   : f->host && *f->host ? f->host : "(no host)";
			size_t k = from;
			while (k < n && strcmp(items[k].lane, lane))
				k++;
			if (k == n) {
				items[n].lane = lane;
				items[n].index = g;
				items[n].t0 = items[n].t1 = f->time.sec;
				n++;
			}
			if (f->time.sec < items[k].t0)
				items[k].t0 = f->time.sec;
			if (f->time.sec > items[k].t1)
				items[k].t1 = f->time.sec;
			items[k].guessed |= ips_report_year_guessed(f);
		}
	}
	*out = items;
	return n;
}

static void tl_mark(FILE *out, const ips_results_t *res, const ips_report_group_t *groups,
		    const tl_item_t *it, int64_t lo, int64_t hi)
{
	double x0 = tl_x(it->t0, lo, hi), x1 = tl_x(it->t1, lo, hi);
	if (x1 - x0 < 5) {
		x0 -= 2.5;
		x1 = x0 + 5;
	}
	int y = TL_TOP + (int)it->row * TL_ROW + 4;
	char cls[96];
	if (it->incident) {
		const ips_incident_t *x = res->incidents.items[it->index];
		ips_html_class_of(cls, sizeof cls, x->severity, ips_html_incident_class(x));
		fprintf(out, "<a href=\"#i%zu\" class=\"%s\"><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
			"height=\"14\" class=\"m%d%s\"><title>%zu. ", it->index + 1, cls, x0, y, x1 - x0,
			(int)x->severity, it->guessed ? " gy" : "", it->index + 1);
		ips_html_h(out, ips_html_incident_class(x));
		fputs(": ", out);
		ips_html_h(out, x->root ? x->root->name : "no failure followed");
		fprintf(out, " (%s, %zu finding%s)</title></rect></a>\n",
			ips_severity_name(x->severity), x->nfindings, x->nfindings == 1 ? "" : "s");
		return;
	}
	const ips_report_group_t *g = &groups[it->index];
	ips_html_class_of(cls, sizeof cls, g->severity, NULL);
	fprintf(out, "<a href=\"#g%zu\" class=\"%s\"><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
		"height=\"14\" class=\"m%d lo%s\"><title>", it->index + 1, cls, x0, y, x1 - x0,
		(int)g->severity, it->guessed ? " gy" : "");
	ips_html_h(out, g->entry->name);
	fputs(" (findings in no incident)</title></rect></a>\n", out);
}

void ips_html_timeline(FILE *out, const ips_results_t *res, const ips_report_index_t *idx,
		       const ips_report_group_t *groups, size_t ng)
{
	bool by_input = lanes_by_input(res);
	tl_item_t *items;
	size_t n = tl_items(res, idx, groups, ng, by_input, &items);
	fputs("<h2 id=\"timeline\">Timeline</h2>\n", out);
	if (!n) {
		fputs("<p>Nothing with a time to draw.</p>\n", out);
		free(items);
		return;
	}
	qsort(items, n, sizeof *items, cmp_item_lane);
	tl_row_t *rows = ips_xcalloc(n, sizeof *rows);
	size_t nr = 0;
	bool guessed = false;
	int64_t lo = items[0].t0, hi = items[0].t1;
	for (size_t i = 0; i < n; i++) {
		if (!nr || strcmp(rows[nr - 1].lane, items[i].lane)) {
			rows[nr].lane = items[i].lane;
			rows[nr].first = items[i].t0;
			rows[nr].orig = nr;
			nr++;
		}
		items[i].row = nr - 1;
		if (items[i].t0 < rows[nr - 1].first)
			rows[nr - 1].first = items[i].t0;
		if (items[i].t0 < lo)
			lo = items[i].t0;
		if (items[i].t1 > hi)
			hi = items[i].t1;
		guessed |= items[i].guessed;
	}
	qsort(rows, nr, sizeof *rows, cmp_row);
	size_t *place = ips_xcalloc(nr, sizeof *place);
	for (size_t r = 0; r < nr; r++)
		place[rows[r].orig] = r;
	for (size_t i = 0; i < n; i++)
		items[i].row = place[items[i].row];
	free(place);
	size_t drawn = nr < ROWS_MAX ? nr : ROWS_MAX;
	int64_t span = hi - lo, step = steps[sizeof steps / sizeof *steps - 1];
	if (span < 60) { /* a single moment: show a minute around it */
		lo -= (60 - span) / 2;
		hi = lo + 60;
		span = 60;
	}
	for (size_t s = 0; s < sizeof steps / sizeof *steps; s++)
		if (span / step_secs(steps[s]) <= 8) {
			step = steps[s];
			break;
		}
	int64_t pad = span / 50 + 1; /* room on both sides so marks at the ends stay whole */
	lo -= pad;
	hi += pad;
	struct tm a, b;
	ips_report_tm(lo, &a);
	ips_report_tm(hi, &b);
	bool one_day = a.tm_year == b.tm_year && a.tm_yday == b.tm_yday;
	int height = TL_TOP + (int)drawn * TL_ROW + 64;
	fprintf(out, "<svg class=\"timeline\" viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
		"aria-label=\"Timeline: one bar per incident, lanes per %s\">\n", TL_W, height,
		by_input ? "input" : "host");
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", TL_W,
		height);
	for (size_t r = 0; r < drawn; r++) { /* lanes: stripes and labels */
		int y = TL_TOP + (int)r * TL_ROW;
		if (r % 2 == 0)
			fprintf(out, "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" "
				"fill=\"#f6f8fa\"/>\n", y, TL_W, TL_ROW);
		fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"lane\"><title>", TL_LABEL_X,
			y + TL_ROW / 2 + 4);
		ips_html_h(out, rows[r].lane);
		fputs("</title>", out);
		lane_label(out, rows[r].lane);
		fputs("</text>\n", out);
	}
	int axis_y = TL_TOP + (int)drawn * TL_ROW;
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#57606a\"/>\n", TL_X0,
		axis_y, TL_X1, axis_y);
	for (int64_t t = tick_first(lo, step); t <= hi; t = tick_next(t, step)) {
		double x = tl_x(t, lo, hi);
		const char *anchor = x > TL_W - 40 ? "end" : "middle"; /* stays inside */
		char lab[32];
		tick_label(lab, sizeof lab, t, step, one_day);
		fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>\n", x,
			TL_TOP - 4, x, axis_y + 5);
		fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\" class=\"tick\">%s</text>\n",
			x, axis_y + 18, anchor, lab);
		fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\" class=\"tick\">%s</text>\n",
			x, TL_TOP - 8, anchor, lab);
	}
	char from[64], to[64];
	ips_time_t tf = {.sec = lo + pad, .valid = true}, tt = {.sec = hi - pad, .valid = true};
	ips_report_time(&tf, from, sizeof from);
	ips_report_time(&tt, to, sizeof to);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"tick\">%s to %s</text>\n", TL_X0,
		axis_y + 36, from, to);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"tick\">One bar per incident (its span; "
		"click: its details), lanes per %s; hollow: findings in no incident%s.</text>\n",
		TL_X0, axis_y + 52, by_input ? "input" : "host",
		guessed ? "; dashed: year not in the log" : "");
	for (size_t i = 0; i < n; i++)
		if (items[i].row < drawn)
			tl_mark(out, res, groups, &items[i], lo, hi);
	fputs("</svg>\n", out);
	if (guessed)
		fprintf(out, "<p class=\"gy\">Dashed marks: %s. The axis may stretch over years "
			"that are guesses.</p>\n", ips_html_guess_note);
	if (nr > drawn)
		fprintf(out, "<p>%zu more lanes are not drawn.</p>\n", nr - drawn);
	size_t untimed = 0;
	for (size_t i = 0; i < res->incidents.len; i++)
		untimed += !((const ips_incident_t *)res->incidents.items[i])->first.valid;
	if (untimed)
		fprintf(out, "<p>%zu incident%s without a time %s not drawn.</p>\n", untimed,
			untimed == 1 ? "" : "s", untimed == 1 ? "is" : "are");
	free(rows);
	free(items);
}
