/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_html.c - one self-contained HTML page: the content of the text and
 * Markdown reports (incidents with root cause, evidence and remediation;
 * findings outside every incident; inputs; summary) and an SVG timeline of
 * the incidents, one row per key (peer, connection, user or host).
 *
 * No external asset, no script: inline CSS and inline SVG only, and a
 * Content-Security-Policy that forbids scripts and fetches, so the page
 * stays inert even opened from a mail attachment. Every log-derived string
 * is HTML-escaped (a `<script>` in a log comes out as text), control
 * characters become spaces and malformed UTF-8 becomes U+FFFD.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/report.h"
#include "input/normalize.h"
#include "report/report_util.h"

#define EVIDENCE_MAX 20   /* rows per incident or condition */
#define TEXT_MAX 2048     /* bytes of a record shown */
#define ROWS_MAX 200      /* timeline rows drawn */
#define LABEL_MAX 31      /* bytes of a row label shown */

static const char *sev_color(ips_severity_t s)
{
	switch (s) {
	case IPS_SEV_CRITICAL: return "#82071e";
	case IPS_SEV_ERROR: return "#cf222e";
	case IPS_SEV_WARNING: return "#bf8700";
	case IPS_SEV_INFO: return "#0969da";
	default: return "#6e7781";
	}
}

/* Write s (up to max bytes, cut at a character) escaped for HTML text and attributes. */
static void h_n(FILE *out, const char *s, size_t max)
{
	if (!s)
		return;
	size_t len = strlen(s), keep = ips_utf8_cut(s, len, max);
	for (size_t i = 0; i < keep;) {
		uint32_t cp;
		size_t k = ips_utf8_decode(s + i, keep - i, &cp);
		switch (cp) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
				fputc(' ', out);
			else if (cp == 0xFFFD && k == 1)
				fputs("\xEF\xBF\xBD", out);
			else
				fwrite(s + i, 1, k, out);
		}
		i += k;
	}
	if (keep < len)
		fputs("\xE2\x80\xA6", out);
}

static void h(FILE *out, const char *s)
{
	h_n(out, s, (size_t)-1);
}

/* Our own prose: escaped, with `code` spans kept as <code>. */
static void prose(FILE *out, const char *s)
{
	bool code = false;
	for (const char *p = s; p && *p;) {
		const char *q = strchr(p, '`');
		size_t n = q ? (size_t)(q - p) : strlen(p);
		char *part = ips_xstrndup(p, n);
		h(out, part);
		free(part);
		if (!q)
			break;
		fputs(code ? "</code>" : "<code>", out);
		code = !code;
		p = q + 1;
	}
	if (code)
		fputs("</code>", out);
}

static void where(FILE *out, const ips_results_t *res, size_t input, uint64_t line)
{
	if (input < res->inputs.len)
		h(out, ((const ips_input_t *)res->inputs.items[input])->path);
	fprintf(out, ":%llu", (unsigned long long)line);
}

static void time_text(FILE *out, const ips_time_t *t)
{
	char buf[64];
	ips_report_time(t, buf, sizeof buf);
	fputs(buf, out);
}

static void badge(FILE *out, ips_severity_t s)
{
	fprintf(out, "<span class=\"sev\" style=\"background:%s\">%s</span>", sev_color(s),
		ips_severity_name(s));
}

static void entry_name(FILE *out, const ips_entry_t *e)
{
	char code[64];
	fputs("<strong>", out);
	h(out, e->name);
	fputs("</strong>", out);
	ips_report_code_words(e, code, sizeof code);
	if (code[0])
		fprintf(out, " (%s)", code);
}

static void list(FILE *out, const char *title, const ips_strlist_t *l)
{
	if (!l->len)
		return;
	fprintf(out, "<h4>%s</h4>\n<ol>\n", title);
	for (size_t i = 0; i < l->len; i++) {
		fputs("<li>", out);
		prose(out, l->items[i]);
		fputs("</li>\n", out);
	}
	fputs("</ol>\n", out);
}

static void more(FILE *out, const ips_entry_t *e)
{
	char key[256];
	ips_report_explain_key(e, key, sizeof key);
	fputs("<p class=\"more\">More: <code>ipsec-scan explain ", out);
	h(out, key);
	fputs("</code></p>\n", out);
}

static void text_cell(FILE *out, const ips_finding_t *f)
{
	fputs("<td class=\"text\">", out);
	h_n(out, f->text, TEXT_MAX);
	const char *why = ips_finding_field(f, "mismatch");
	if (why) {
		fputs("<div class=\"why\">What differs: ", out);
		h(out, why);
		fputs("</div>", out);
	}
	const char *reason = ips_finding_field(f, "reason");
	if (reason) {
		fputs("<div class=\"why\">Reason given: ", out);
		h(out, reason);
		fputs("</div>", out);
	}
	fputs("</td>", out);
}

static void write_incident(FILE *out, const ips_results_t *res, const ips_incident_t *x,
			   size_t n)
{
	fprintf(out, "<section class=\"incident\" id=\"inc-%s\" style=\"border-left-color:%s\">\n",
		x->id, sev_color(x->severity));
	fprintf(out, "<h3>%zu. ", n);
	prose(out, x->title ? x->title : ips_incident_kind_name(x->kind));
	fputc(' ', out);
	badge(out, x->severity);
	fputs("</h3>\n<dl>\n", out);
	if (x->verdict) {
		const ips_verdict_t *v = x->verdict;
		char *vw = ips_report_verdict_words(res, x);
		fputs("<dt>Verdict</dt><dd>", out);
		prose(out, vw);
		free(vw);
		if (v->nfixes || v->ncollect)
			fputs("<ul>", out);
		for (size_t i = 0; i < v->nfixes && i < 3; i++) {
			fprintf(out, "<li>%s (", i ? "Then" : "Fix first");
			h(out, v->fixes[i].a);
			fputs("): <code>", out);
			h(out, v->fixes[i].c);
			fputs("</code></li>", out);
		}
		for (size_t i = 0; i < v->ncollect; i++) {
			fputs("<li>Collect (", out);
			h(out, v->collect[i].a);
			fputs("): <code>", out);
			h(out, v->collect[i].c);
			fputs("</code></li>", out);
		}
		if (v->nfixes || v->ncollect)
			fputs("</ul>", out);
		fputs("</dd>\n", out);
	}
	fprintf(out, "<dt>Kind</dt><dd>%s", ips_incident_kind_name(x->kind));
	if (x->correlation) {
		fputs(" (correlation <code>", out);
		h(out, x->correlation);
		fputs("</code>)", out);
	}
	fputs("</dd>\n<dt>Key</dt><dd>", out);
	char *key = ips_report_key_words(x->key, x->nkey);
	h(out, key);
	free(key);
	fputs("</dd>\n<dt>Span</dt><dd>", out);
	if (x->first.valid) {
		time_text(out, &x->first);
		fputs(" to ", out);
		time_text(out, &x->last);
		if (x->last.valid)
			fprintf(out, " (%lld s)", (long long)(x->last.sec - x->first.sec));
	} else {
		fputs("no time known", out);
	}
	fprintf(out, "</dd>\n<dt>Incident id</dt><dd><code>%s</code></dd>\n", x->id);
	fputs("<dt>Root cause</dt><dd>", out);
	if (x->root) {
		entry_name(out, x->root);
		if (x->root->message) {
			fputs(": ", out);
			h(out, x->root->message);
		}
		if (x->root->summary) {
			fputs("<br>", out);
			prose(out, x->root->summary);
		}
	} else {
		size_t in;
		uint64_t line;
		ips_report_incident_where(res, x, &in, &line);
		fputs("none found in the logs; it starts at ", out);
		where(out, res, in, line);
	}
	fputs("</dd>\n</dl>\n", out);
	if (x->nfindings) {
		fprintf(out, "<h4>Evidence (%zu finding%s, root cause first)</h4>\n", x->nfindings,
			x->nfindings == 1 ? "" : "s");
		fputs("<table>\n<tr><th>Where</th><th>Time</th><th>Name</th><th>Text</th></tr>\n",
		      out);
		for (size_t i = 0; i < x->nfindings && i < EVIDENCE_MAX; i++) {
			if (x->findings[i] >= res->findings.len)
				continue;
			const ips_finding_t *f = res->findings.items[x->findings[i]];
			fputs("<tr><td class=\"where\">", out);
			where(out, res, f->input, f->line);
			fputs("</td><td class=\"time\">", out);
			time_text(out, &f->time);
			fputs("</td><td>", out);
			h(out, f->entry->name);
			fputs("</td>", out);
			text_cell(out, f);
			fputs("</tr>\n", out);
		}
		if (x->nfindings > EVIDENCE_MAX)
			fprintf(out, "<tr><td colspan=\"4\">(+%zu more)</td></tr>\n",
				x->nfindings - EVIDENCE_MAX);
		fputs("</table>\n", out);
	}
	if (x->root) {
		list(out, "Remediation", &x->root->resolve);
		more(out, x->root);
	}
	fputs("</section>\n", out);
}

static void write_group(FILE *out, const ips_results_t *res, const ips_report_index_t *idx,
			const ips_report_group_t *g)
{
	const ips_entry_t *e = g->entry;
	fprintf(out, "<section class=\"group\" style=\"border-left-color:%s\">\n<h3>",
		sev_color(g->severity));
	entry_name(out, e);
	fputc(' ', out);
	badge(out, g->severity);
	fprintf(out, " %zu finding%s</h3>\n", g->count, g->count == 1 ? "" : "s");
	if (e->message) {
		fputs("<p>", out);
		h(out, e->message);
		fputs("</p>\n", out);
	}
	if (e->summary) {
		fputs("<p>", out);
		prose(out, e->summary);
		fputs("</p>\n", out);
	}
	fputs("<table>\n<tr><th>Where</th><th>Time</th><th>Key</th><th>Text</th></tr>\n", out);
	size_t shown = 0;
	for (size_t i = g->first; i < res->findings.len && shown < EVIDENCE_MAX; i++) {
		const ips_finding_t *f = res->findings.items[i];
		const size_t *inc;
		if (f->entry != e || ips_report_incidents_of(idx, i, &inc))
			continue;
		fputs("<tr><td class=\"where\">", out);
		where(out, res, f->input, f->line);
		fputs("</td><td class=\"time\">", out);
		time_text(out, &f->time);
		fputs("</td><td>", out);
		char *key = ips_report_finding_key(f);
		h(out, key);
		free(key);
		fputs("</td>", out);
		text_cell(out, f);
		fputs("</tr>\n", out);
		shown++;
	}
	if (g->count > shown)
		fprintf(out, "<tr><td colspan=\"4\">(+%zu more)</td></tr>\n", g->count - shown);
	fputs("</table>\n", out);
	list(out, "What to do", &e->resolve);
	more(out, e);
	fputs("</section>\n", out);
}

/* ---- timeline ------------------------------------------------------------ */

typedef struct tl_item {
	char *key;
	bool incident;     /* else a finding in no incident */
	size_t index;      /* into incidents or findings */
	int64_t t0, t1;    /* seconds, UTC */
	size_t row;
} tl_item_t;

typedef struct tl_row {
	const char *key;
	int64_t first;
	size_t orig;       /* its number before sorting by time */
} tl_row_t;

static int cmp_item_key(const void *a, const void *b)
{
	const tl_item_t *x = a, *y = b;
	int c = strcmp(x->key, y->key);
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
	return strcmp(x->key, y->key);
}

/*
 * Tick steps in seconds: the first that gives at most 8 ticks is used. Past
 * two weeks ticks fall on calendar months (steps in months, negative here).
 */
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
#define TL_ROW 26

static double tl_x(int64_t t, int64_t lo, int64_t hi)
{
	return TL_X0 + (double)(t - lo) * (TL_X1 - TL_X0) / (double)(hi - lo);
}

static void mark(FILE *out, const ips_results_t *res, const ips_finding_t *f, double x, double y,
		 bool hollow)
{
	const char *c = sev_color(f->severity);
	fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" stroke=\"%s\" "
		"stroke-width=\"%s\"><title>", x, y, hollow ? "#ffffff" : c, hollow ? c : "#ffffff",
		hollow ? "2" : "1");
	h(out, f->entry->name);
	fprintf(out, " (%s) at ", ips_severity_name(f->severity));
	time_text(out, &f->time);
	fputs(", ", out);
	where(out, res, f->input, f->line);
	fputs("</title></circle>\n", out);
}

static void write_timeline(FILE *out, const ips_results_t *res, const ips_report_index_t *idx)
{
	size_t cap = res->incidents.len + res->findings.len, n = 0;
	tl_item_t *items = ips_xcalloc(cap ? cap : 1, sizeof *items);
	ips_vec_t untimed_inc = {0}, untimed_f = {0};
	for (size_t i = 0; i < res->incidents.len; i++) {
		const ips_incident_t *x = res->incidents.items[i];
		if (!x->first.valid) {
			ips_vec_push(&untimed_inc, (void *)x);
			continue;
		}
		tl_item_t *it = &items[n++];
		it->key = ips_report_key_words(x->key, x->nkey);
		it->incident = true;
		it->index = i;
		it->t0 = x->first.sec;
		it->t1 = x->last.valid && x->last.sec > x->first.sec ? x->last.sec : x->first.sec;
		/* the span covers the marks too */
		for (size_t k = 0; k < x->nfindings; k++) {
			if (x->findings[k] >= res->findings.len)
				continue;
			const ips_finding_t *f = res->findings.items[x->findings[k]];
			if (f->time.valid && f->time.sec < it->t0)
				it->t0 = f->time.sec;
			if (f->time.valid && f->time.sec > it->t1)
				it->t1 = f->time.sec;
		}
	}
	for (size_t i = 0; i < res->findings.len; i++) {
		const ips_finding_t *f = res->findings.items[i];
		const size_t *inc;
		if (ips_report_incidents_of(idx, i, &inc))
			continue;
		if (!f->time.valid) {
			ips_vec_push(&untimed_f, (void *)f);
			continue;
		}
		tl_item_t *it = &items[n++];
		it->key = ips_report_finding_key(f);
		it->index = i;
		it->t0 = it->t1 = f->time.sec;
	}

	fputs("<h2 id=\"timeline\">Timeline</h2>\n", out);
	if (!n) {
		fputs("<p>Nothing with a time to draw.</p>\n", out);
	} else {
		qsort(items, n, sizeof *items, cmp_item_key);
		tl_row_t *rows = ips_xcalloc(n, sizeof *rows);
		size_t nr = 0;
		int64_t lo = items[0].t0, hi = items[0].t1;
		for (size_t i = 0; i < n; i++) {
			if (!nr || strcmp(rows[nr - 1].key, items[i].key)) {
				rows[nr].key = items[i].key;
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
		/* a little room on both sides so marks at the ends stay whole */
		int64_t pad = span / 50 + 1;
		lo -= pad;
		hi += pad;
		struct tm a, b;
		ips_report_tm(lo, &a);
		ips_report_tm(hi, &b);
		bool one_day = a.tm_year == b.tm_year && a.tm_yday == b.tm_yday;
		int height = TL_TOP + (int)drawn * TL_ROW + 50;
		fprintf(out, "<svg class=\"timeline\" "
			"viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
			"aria-label=\"Timeline of incidents per key\">\n", TL_W, height);
		fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
			TL_W, height);
		/* rows: stripes and labels */
		for (size_t r = 0; r < drawn; r++) {
			int y = TL_TOP + (int)r * TL_ROW;
			if (r % 2 == 0)
				fprintf(out, "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" "
					"fill=\"#f6f8fa\"/>\n", y, TL_W, TL_ROW);
			fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" "
				"font-family=\"monospace\" fill=\"#1f2328\"><title>", TL_LABEL_X,
				y + TL_ROW / 2 + 4);
			h(out, rows[r].key);
			fputs("</title>", out);
			h_n(out, rows[r].key, LABEL_MAX);
			fputs("</text>\n", out);
		}
		/* time axis: grid lines and labels at the top and bottom */
		int axis_y = TL_TOP + (int)drawn * TL_ROW;
		fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#57606a\"/>\n",
			TL_X0, axis_y, TL_X1, axis_y);
		for (int64_t t = tick_first(lo, step); t <= hi; t = tick_next(t, step)) {
			double x = tl_x(t, lo, hi);
			/* a label near an end is anchored there, so it stays inside */
			const char *anchor = x > TL_W - 40 ? "end" : "middle";
			char lab[32];
			tick_label(lab, sizeof lab, t, step, one_day);
			fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
				"stroke=\"#d0d7de\" stroke-dasharray=\"3,3\"/>\n", x, TL_TOP - 4, x,
				axis_y);
			fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
				"stroke=\"#57606a\"/>\n", x, axis_y, x, axis_y + 5);
			fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\" font-size=\"11\" "
				"fill=\"#57606a\">%s</text>\n", x, axis_y + 18, anchor, lab);
			fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\" font-size=\"11\" "
				"fill=\"#57606a\">%s</text>\n", x, TL_TOP - 8, anchor, lab);
		}
		char from[64], to[64];
		ips_time_t tf = {.sec = lo + pad, .valid = true}, tt = {.sec = hi - pad, .valid = true};
		ips_report_time(&tf, from, sizeof from);
		ips_report_time(&tt, to, sizeof to);
		fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#57606a\">Time (UTC), "
			"%s to %s. Bar: incident; dot: finding (hollow: in no incident).</text>\n",
			TL_X0, axis_y + 38, from, to);
		/* bars, then marks on top */
		for (size_t i = 0; i < n; i++) {
			const tl_item_t *it = &items[i];
			if (!it->incident || it->row >= drawn)
				continue;
			const ips_incident_t *x = res->incidents.items[it->index];
			double x0 = tl_x(it->t0, lo, hi), x1 = tl_x(it->t1, lo, hi);
			if (x1 - x0 < 6) {
				x0 -= 3;
				x1 = x0 + 6;
			}
			int y = TL_TOP + (int)it->row * TL_ROW;
			const char *c = sev_color(x->severity);
			fprintf(out, "<a href=\"#inc-%s\"><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
				"height=\"14\" rx=\"3\" fill=\"%s\" fill-opacity=\"0.3\" stroke=\"%s\">"
				"<title>", x->id, x0, y + 6, x1 - x0, c, c);
			h(out, x->title ? x->title : ips_incident_kind_name(x->kind));
			fprintf(out, " (%s, %s", ips_severity_name(x->severity),
				ips_incident_kind_name(x->kind));
			fprintf(out, ", %zu finding%s)</title></rect></a>\n", x->nfindings,
				x->nfindings == 1 ? "" : "s");
		}
		for (size_t i = 0; i < n; i++) {
			const tl_item_t *it = &items[i];
			if (it->row >= drawn)
				continue;
			double y = TL_TOP + (double)it->row * TL_ROW + 13;
			if (!it->incident) {
				const ips_finding_t *f = res->findings.items[it->index];
				mark(out, res, f, tl_x(f->time.sec, lo, hi), y, true);
				continue;
			}
			const ips_incident_t *x = res->incidents.items[it->index];
			for (size_t k = 0; k < x->nfindings; k++) {
				if (x->findings[k] >= res->findings.len)
					continue;
				const ips_finding_t *f = res->findings.items[x->findings[k]];
				if (f->time.valid)
					mark(out, res, f, tl_x(f->time.sec, lo, hi), y, false);
			}
		}
		fputs("</svg>\n", out);
		if (nr > drawn)
			fprintf(out, "<p>%zu more keys are not drawn.</p>\n", nr - drawn);
		free(rows);
	}
	if (untimed_inc.len) {
		fputs("<p>Incidents without a time:</p>\n<ul>\n", out);
		for (size_t i = 0; i < untimed_inc.len; i++) {
			const ips_incident_t *x = untimed_inc.items[i];
			fprintf(out, "<li><a href=\"#inc-%s\">", x->id);
			prose(out, x->title ? x->title : ips_incident_kind_name(x->kind));
			fputs("</a> ", out);
			badge(out, x->severity);
			fputs("</li>\n", out);
		}
		fputs("</ul>\n", out);
	}
	if (untimed_f.len) {
		fputs("<p>Findings in no incident and without a time:</p>\n<ul>\n", out);
		for (size_t i = 0; i < untimed_f.len && i < EVIDENCE_MAX; i++) {
			const ips_finding_t *f = untimed_f.items[i];
			fputs("<li>", out);
			h(out, f->entry->name);
			fputs(" at ", out);
			where(out, res, f->input, f->line);
			fputc(' ', out);
			badge(out, f->severity);
			fputs("</li>\n", out);
		}
		if (untimed_f.len > EVIDENCE_MAX)
			fprintf(out, "<li>(+%zu more)</li>\n", untimed_f.len - EVIDENCE_MAX);
		fputs("</ul>\n", out);
	}
	for (size_t i = 0; i < n; i++)
		free(items[i].key);
	free(items);
	ips_vec_free(&untimed_inc);
	ips_vec_free(&untimed_f);
}

/* ---- page ---------------------------------------------------------------- */

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",\"DejaVu Sans\",sans-serif;"
	"color:#1f2328;background:#fff;max-width:1200px;margin:0 auto;padding:1em 1.5em}\n"
	"h1{font-size:1.6em;margin:.2em 0}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;"
	"margin-top:1.6em}h3{margin:.3em 0}h4{margin:.8em 0 .3em}\n"
	"section{border-left:5px solid #6e7781;padding:.2em 0 .2em 1em;margin:1.2em 0}\n"
	".sev{display:inline-block;padding:0 .45em;border-radius:3px;color:#fff;font-size:.8em;"
	"font-weight:600;vertical-align:middle}\n"
	"dl{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;margin:.4em 0}"
	"dt{font-weight:600}dd{margin:0}\n"
	"table{border-collapse:collapse;width:100%;margin:.3em 0}"
	"th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}"
	"th{background:#f6f8fa}\n"
	"td.text{font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;font-size:12px;"
	"word-break:break-all}td.where{overflow-wrap:anywhere;font-size:12px}"
	"td.time{white-space:nowrap;font-size:12px}\n"
	".why{font-family:system-ui,sans-serif;font-weight:600;margin-top:.2em}\n"
	"code{background:#eff1f3;padding:0 .25em;border-radius:3px;font-size:.92em}\n"
	"svg.timeline{border:1px solid #d0d7de;border-radius:4px}\n"
	"tr.problem td{background:#fff8c5}.muted{color:#57606a}\n";

static ips_status_t write_html_body(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
			       const ips_report_opts_t *o)
{
	(void)rules;
	ips_report_index_t idx;
	ips_report_index_init(&idx, res);
	size_t by[5];
	ips_report_count_severities(res, by);
	size_t nf = res->findings.len, ni = res->incidents.len;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>ipsec-scan report</title>\n<style>\n", out);
	fputs(css, out);
	fputs("</style>\n</head>\n<body>\n<h1>ipsec-scan report</h1>\n<p>", out);
	fprintf(out, "<strong>%zu finding%s</strong>", nf, nf == 1 ? "" : "s");
	for (int s = IPS_SEV_CRITICAL; s >= IPS_SEV_INFO; s--)
		if (by[s]) {
			fprintf(out, " %zu ", by[s]);
			badge(out, (ips_severity_t)s);
		}
	fprintf(out, " in <strong>%zu incident%s</strong>; %llu records in %zu input%s.</p>\n",
		ni, ni == 1 ? "" : "s", (unsigned long long)res->records, res->inputs.len,
		res->inputs.len == 1 ? "" : "s");
	if (!nf && !ni)
		fputs("<p>No IPsec/IKE errors found.</p>\n", out);

	if (nf || ni)
		write_timeline(out, res, &idx);

	if (ni) {
		fputs("<h2 id=\"incidents\">Incidents</h2>\n", out);
		for (size_t i = 0; i < ni; i++)
			write_incident(out, res, res->incidents.items[i], i + 1);
	}
	ips_report_group_t *groups;
	size_t ng = ips_report_loose_groups(res, &idx, &groups);
	if (ng) {
		fprintf(out, "<h2 id=\"findings\">%s</h2>\n",
			ni ? "Findings not in any incident" : "Findings");
		for (size_t g = 0; g < ng; g++)
			write_group(out, res, &idx, &groups[g]);
	}
	free(groups);

	bool trouble = false;
	for (size_t i = 0; i < res->inputs.len; i++)
		trouble |= ips_report_input_has_problem(res->inputs.items[i]);
	if (trouble || res->inputs.len > 1) {
		fputs("<h2 id=\"inputs\">Inputs</h2>\n<table>\n<tr><th>Path</th><th>Format</th>"
		      "<th>Records</th><th>Findings</th><th>Status</th><th>Problem</th></tr>\n", out);
		for (size_t i = 0; i < res->inputs.len; i++) {
			const ips_input_t *in = res->inputs.items[i];
			fprintf(out, "<tr%s><td>", ips_report_input_has_problem(in) ?
				" class=\"problem\"" : "");
			h(out, in->path);
			fprintf(out, "</td><td>%s</td><td>%llu</td><td>%llu</td><td>%s</td><td>",
				in->format ? in->format : "-", (unsigned long long)in->records,
				(unsigned long long)in->findings, ips_input_status_name(in->status));
			h(out, in->error);
			if (in->error && in->note)
				fputs("; ", out);
			h(out, in->note);
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
	}

	char sev[128];
	ips_report_severity_words(by, sev, sizeof sev);
	fputs("<h2 id=\"summary\">Summary</h2>\n<ul>\n", out);
	fprintf(out, "<li>Findings: %zu (%s)</li>\n<li>Incidents: %zu</li>\n", nf, sev, ni);
	fprintf(out, "<li>Records: %llu in %zu input%s</li>\n", (unsigned long long)res->records,
		res->inputs.len, res->inputs.len == 1 ? "" : "s");
	if (res->events.len)
		fprintf(out, "<li>Negotiation markers and other events: %zu</li>\n",
			res->events.len);
	if (res->filtered)
		fprintf(out, "<li>Filtered out (--since, --until, --min-severity): %llu</li>\n",
			(unsigned long long)res->filtered);
	for (size_t i = 0; i < res->notes.len; i++) {
		fputs("<li>Note: ", out);
		h(out, res->notes.items[i]);
		fputs("</li>\n", out);
	}
	fputs("</ul>\n<p class=\"muted\">Written by ipsec-scan ", out);
	h(out, o->version);
	fputs(".</p>\n</body>\n</html>\n", out);
	ips_report_index_free(&idx);
	return ips_report_stream_status(out);
}

/* Times in the --output-tz zone (report_util.h). */
static ips_status_t write_html(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
			       const ips_report_opts_t *o)
{
	return ips_report_zoned(write_html_body, out, res, rules, o);
}

const ips_reporter_ops_t ips_report_html = {"html", write_html};
