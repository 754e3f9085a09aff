/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_html.c - one self-contained HTML page: the content of the text and
 * Markdown reports (incidents with verdict, root cause, evidence and
 * remediation; findings outside every incident; inputs; summary) and an SVG
 * timeline with one mark per incident (its span), in lanes per input (per
 * host when there is one input).
 *
 * The page stays small on a large run: incidents are shown by kind (fault
 * class and root cause, most severe first); the first few of a kind get a
 * whole card, the others a line in a table under it. Filters by severity
 * and fault class are checkboxes and CSS (:checked ~ selectors), no script.
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
#include "report/report_html.h"

#define EVIDENCE_MAX 12   /* rows per incident or condition */
#define TEXT_MAX 600      /* bytes of a record shown */
#define CARDS_PER_KIND 3  /* incidents of one kind shown whole; the rest as table rows */

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

/* HTML text and attributes: markup characters as references, controls as spaces. */
static const char *h_sub(uint32_t cp, const char *s, size_t i, size_t n, char buf[16], void *ctx)
{
	(void)s, (void)i, (void)n, (void)buf, (void)ctx;
	switch (cp) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ? " " : NULL;
	}
}

/* Write s (up to max bytes, cut at a character) escaped for HTML text and attributes. */
static void h_n(FILE *out, const char *s, size_t max)
{
	ips_report_escape(out, s, max, h_sub, NULL);
}

void ips_html_h(FILE *out, const char *s)
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
		ips_html_h(out, part);
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

/* A path that wraps only after a '/' (a <wbr> there), never inside a name. */
static void path(FILE *out, const char *p)
{
	for (const char *s = p; s && *s;) {
		const char *slash = strchr(s, '/');
		size_t n = slash ? (size_t)(slash - s) + 1 : strlen(s);
		char *part = ips_xstrndup(s, n);
		ips_html_h(out, part);
		free(part);
		s += n;
		if (slash && *s)
			fputs("<wbr>", out);
	}
}

static void where(FILE *out, const ips_results_t *res, size_t input, uint64_t line)
{
	if (input < res->inputs.len)
		path(out, ((const ips_input_t *)res->inputs.items[input])->path);
	fprintf(out, ":%llu", (unsigned long long)line);
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
	ips_html_h(out, e->name);
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
	ips_html_h(out, key);
	fputs("</code></p>\n", out);
}

/* The class names the filters use: "s1".."s4" for a severity, "c-NAME" for
 * a fault class (letters, digits and '-' only); "c-none" for findings in no
 * incident. */
void ips_html_class_of(char *buf, size_t n, ips_severity_t sev, const char *cls)
{
	size_t w = (size_t)snprintf(buf, n, "s%d c-", (int)sev);
	for (const char *p = cls ? cls : "none"; *p && w + 1 < n; p++)
		buf[w++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p
			   : (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : '-';
	buf[w < n ? w : n - 1] = '\0';
}

const char *ips_html_incident_class(const ips_incident_t *x)
{
	return x->verdict && x->verdict->cls ? x->verdict->cls : ips_incident_kind_name(x->kind);
}

bool ips_html_incident_year_guessed(const ips_results_t *res, const ips_incident_t *x)
{
	for (size_t i = 0; i < x->nfindings; i++)
		if (x->findings[i] < res->findings.len &&
		    ips_report_year_guessed(res->findings.items[x->findings[i]]))
			return true;
	return false;
}

const char ips_html_guess_note[] = "the year is not in the log: it was taken from the file's "
				 "modification time (or --year)";

/* One evidence row (report_util.h: ips_report_rows_t). */
typedef struct html_rows {
	FILE *out;
	const ips_results_t *res;
} html_rows_t;

static void html_row(void *ctx, const ips_finding_t *f, const char *third)
{
	html_rows_t *m = ctx;
	FILE *out = m->out;
	fputs("<tr><td class=\"where\">", out);
	where(out, m->res, f->input, f->line);
	if (ips_report_year_guessed(f))
		fprintf(out, "</td><td class=\"time gy\" title=\"%s\">", ips_html_guess_note);
	else
		fputs("</td><td class=\"time\">", out);
	ips_report_time_put(out, &f->time);
	fputs("</td><td>", out);
	ips_html_h(out, third);
	fputs("</td><td class=\"text\">", out);
	char *text = ips_report_evidence_line(f->text); /* what decides first */
	h_n(out, text, TEXT_MAX);
	free(text);
	const char *labels[2], *values[2];
	size_t n = ips_report_finding_why(f, labels, values);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "<div class=\"why\">%s: ", labels[i]);
		ips_html_h(out, values[i]);
		fputs("</div>", out);
	}
	fputs("</td></tr>\n", out);
}

static void html_more(void *ctx, size_t left)
{
	fprintf(((html_rows_t *)ctx)->out, "<tr><td colspan=\"4\">(+%zu more)</td></tr>\n", left);
}

static void span_text(FILE *out, const ips_results_t *res, const ips_incident_t *x)
{
	char span[160];
	ips_report_span_words(x, span, sizeof span);
	fputs(span, out);
	if (x->first.valid && ips_html_incident_year_guessed(res, x))
		fprintf(out, " <span class=\"gy\">(%s)</span>", ips_html_guess_note);
}

static void write_card(FILE *out, const ips_results_t *res, const ips_incident_t *x, size_t n)
{
	char cls[96];
	ips_html_class_of(cls, sizeof cls, x->severity, ips_html_incident_class(x));
	fprintf(out, "<section class=\"incident %s\" id=\"i%zu\" style=\"border-left-color:%s\">\n",
		cls, n, sev_color(x->severity));
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
		static const char *const words[] = {"Fix first", "Then", "Collect"};
		ips_report_fix_t fx[6];
		size_t nfx = ips_report_fixes(v, 3, 3, fx);
		fputs(nfx ? "<ul>" : "", out);
		for (size_t i = 0; i < nfx; i++) {
			fprintf(out, "<li>%s (", words[fx[i].kind]);
			ips_html_h(out, fx[i].impl);
			fputs("): <code>", out);
			ips_html_h(out, fx[i].text);
			fputs("</code></li>", out);
		}
		fputs(nfx ? "</ul></dd>\n" : "</dd>\n", out);
	}
	fprintf(out, "<dt>Kind</dt><dd>%s", ips_incident_kind_name(x->kind));
	if (x->correlation) {
		fputs(" (correlation <code>", out);
		ips_html_h(out, x->correlation);
		fputs("</code>)", out);
	}
	fputs("</dd>\n<dt>Key</dt><dd>", out);
	char *key = ips_report_key_words(x->key, x->nkey);
	ips_html_h(out, key);
	free(key);
	fputs("</dd>\n<dt>Span</dt><dd>", out);
	span_text(out, res, x);
	fprintf(out, "</dd>\n<dt>Incident id</dt><dd><code>%s</code></dd>\n", x->id);
	fputs("<dt>Root cause</dt><dd>", out);
	if (x->root) {
		entry_name(out, x->root);
		if (x->root->message) {
			fputs(": ", out);
			ips_html_h(out, x->root->message);
		}
		if (x->root->summary && !ips_report_said_in(x->title, x->root->summary)) {
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
		fprintf(out, "<h4>Findings (%zu, root cause first)</h4>\n", x->nfindings);
		fputs("<table>\n<tr><th>Where</th><th>Time</th><th>Name</th><th>Text</th></tr>\n",
		      out);
		html_rows_t m = {out, res};
		ips_report_rows_t r = {html_row, html_more, &m};
		ips_report_incident_rows(res, x, EVIDENCE_MAX, &r);
		fputs("</table>\n", out);
	}
	if (x->root) {
		list(out, "Remediation", &x->root->resolve);
		more(out, x->root);
	}
	fputs("</section>\n", out);
}

/* An incident past the first few of its kind: one table row. */
static void write_row(FILE *out, const ips_results_t *res, const ips_incident_t *x, size_t n)
{
	char cls[96];
	ips_html_class_of(cls, sizeof cls, x->severity, ips_html_incident_class(x));
	fprintf(out, "<tr id=\"i%zu\" class=\"%s\"><td>%zu</td><td class=\"time%s\">", n, cls, n,
		ips_html_incident_year_guessed(res, x) ? " gy" : "");
	ips_report_time_put(out, &x->first);
	fputs("</td><td>", out);
	char *key = ips_report_key_words(x->key, x->nkey);
	ips_html_h(out, key);
	free(key);
	fputs("</td><td class=\"where\">", out);
	size_t in;
	uint64_t line;
	ips_report_incident_where(res, x, &in, &line);
	where(out, res, in, line);
	fprintf(out, "</td><td>%zu</td></tr>\n", x->nfindings);
}

/* The incidents by kind: a heading, whole cards for the first few, rows for the rest. */
static void write_incidents(FILE *out, const ips_results_t *res)
{
	ips_report_kind_t *k;
	size_t *of;
	size_t nk = ips_report_kinds(res, &k, &of), ni = res->incidents.len;
	fprintf(out, "<h2 id=\"incidents\">Incidents (%zu, in %zu kinds)</h2>\n", ni, nk);
	fprintf(out, "<p class=\"muted\">Grouped by fault class and root cause, most severe and most "
		"frequent first; the first %d of a kind are shown whole, the others as rows.</p>\n",
		CARDS_PER_KIND);
	for (size_t j = 0; j < nk; j++) {
		char cls[96];
		ips_html_class_of(cls, sizeof cls, k[j].severity, k[j].cls);
		fprintf(out, "<h3 class=\"kind %s\">", cls);
		ips_html_h(out, k[j].cls);
		fputs(": ", out);
		ips_html_h(out, k[j].root ? k[j].root->name : "no failure followed");
		fputc(' ', out);
		badge(out, k[j].severity);
		fprintf(out, " <span class=\"muted\">%zu incident%s, %zu finding%s</span></h3>\n",
			k[j].incidents, k[j].incidents == 1 ? "" : "s", k[j].findings,
			k[j].findings == 1 ? "" : "s");
		size_t shown = 0;
		for (size_t i = 0; i < ni; i++)
			if (of[i] == j && shown++ < CARDS_PER_KIND)
				write_card(out, res, res->incidents.items[i], i + 1);
		if (shown <= CARDS_PER_KIND)
			continue;
		fprintf(out, "<details><summary>%zu more incident%s of this kind</summary>\n"
			"<table>\n<tr><th>#</th><th>First time</th><th>Key</th><th>Where</th>"
			"<th>Findings</th></tr>\n", shown - CARDS_PER_KIND,
			shown - CARDS_PER_KIND == 1 ? "" : "s");
		shown = 0;
		for (size_t i = 0; i < ni; i++)
			if (of[i] == j && shown++ >= CARDS_PER_KIND)
				write_row(out, res, res->incidents.items[i], i + 1);
		fputs("</table>\n</details>\n", out);
	}
	free(k);
	free(of);
}

static void write_group(FILE *out, const ips_results_t *res, const ips_report_index_t *idx,
			const ips_report_group_t *g, size_t n)
{
	const ips_entry_t *e = g->entry;
	char cls[96];
	ips_html_class_of(cls, sizeof cls, g->severity, NULL);
	fprintf(out, "<section class=\"group %s\" id=\"g%zu\" style=\"border-left-color:%s\">\n<h3>",
		cls, n, sev_color(g->severity));
	entry_name(out, e);
	fputc(' ', out);
	badge(out, g->severity);
	fprintf(out, " %zu finding%s</h3>\n", g->count, g->count == 1 ? "" : "s");
	if (e->message) {
		fputs("<p>", out);
		ips_html_h(out, e->message);
		fputs("</p>\n", out);
	}
	if (e->summary) {
		fputs("<p>", out);
		prose(out, e->summary);
		fputs("</p>\n", out);
	}
	fputs("<table>\n<tr><th>Where</th><th>Time</th><th>Key</th><th>Text</th></tr>\n", out);
	html_rows_t m = {out, res};
	ips_report_rows_t r = {html_row, html_more, &m};
	ips_report_group_rows(res, idx, g, EVIDENCE_MAX, &r);
	fputs("</table>\n", out);
	list(out, "What to do", &e->resolve);
	more(out, e);
	fputs("</section>\n", out);
}

/* ---- page ---------------------------------------------------------------- */

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",\"DejaVu Sans\",sans-serif;"
	"color:#1f2328;background:#fff;max-width:1200px;margin:0 auto;padding:1em 1.5em}\n"
	"h1{font-size:1.6em;margin:.2em 0}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;"
	"margin-top:1.6em}h3{margin:.3em 0}h3.kind{margin-top:1.2em}h4{margin:.8em 0 .3em}\n"
	"section{border-left:5px solid #6e7781;padding:.2em 0 .2em 1em;margin:1.2em 0}\n"
	".sev{display:inline-block;padding:0 .45em;border-radius:3px;color:#fff;font-size:.8em;"
	"font-weight:600;vertical-align:middle}\n"
	"dl{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;margin:.4em 0}"
	"dt{font-weight:600}dd{margin:0}\n"
	"table{border-collapse:collapse;width:100%;margin:.3em 0}"
	"th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}"
	"th{background:#f6f8fa}\n"
	"td.text{font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;font-size:12px;"
	"overflow-wrap:anywhere;width:55%}td.where{font-size:12px;min-width:14em}"
	"td.time{white-space:nowrap;font-size:12px}\n"
	".why{font-family:system-ui,sans-serif;font-weight:600;margin-top:.2em}\n"
	"code{background:#eff1f3;padding:0 .25em;border-radius:3px;font-size:.92em}\n"
	"svg.timeline{border:1px solid #d0d7de;border-radius:4px}\n"
	"svg .lane{font:12px monospace;fill:#1f2328}svg .tick{font-size:11px;fill:#57606a}"
	"svg .grid{stroke:#d0d7de;stroke-dasharray:3,3}\n"
	"svg rect.m4{fill:#82071e}svg rect.m3{fill:#cf222e}svg rect.m2{fill:#bf8700}"
	"svg rect.m1{fill:#0969da}svg a rect{fill-opacity:.7;stroke:#1f2328;stroke-width:.5}"
	"svg rect.lo{fill-opacity:.15;stroke-width:1.5}"
	"svg rect.gy{fill-opacity:.3;stroke-dasharray:3,2;stroke-width:1.2}\n"
	"td.gy::after{content:\" (year?)\";color:#9a6700}.gy{color:#9a6700}\n"
	"nav.filters{margin:.6em 0;line-height:2}nav.filters label{cursor:pointer;"
	"border:1px solid #d0d7de;border-radius:3px;padding:.1em .45em;margin-right:.2em;"
	"user-select:none}\n"
	"details{margin:.4em 0 1em}summary{cursor:pointer;color:#0969da}\n"
	"tr.problem td{background:#fff8c5}.muted{color:#57606a}\n";

/*
 * The filters: one hidden checkbox per severity and fault class before the
 * page, a label for each in the page; an unchecked box hides what carries
 * its class (#ID:not(:checked) ~ .page .CLASS). No script.
 */
typedef struct filter {
	char cls[64]; /* "s3" or "c-NAME" */
	char label[64];
	size_t count;
} filter_t;

static size_t add_filter(filter_t *f, size_t n, const char *cls, const char *label, size_t inc)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].cls, cls)) {
			f[i].count += inc;
			return n;
		}
	snprintf(f[n].cls, sizeof f[n].cls, "%s", cls);
	snprintf(f[n].label, sizeof f[n].label, "%s", label);
	f[n].count = inc;
	return n + 1;
}

/* The severities present (most severe first), then the fault classes; counts of incidents. */
static size_t filters_of(const ips_results_t *res, const ips_report_group_t *groups, size_t ng,
			 filter_t **out)
{
	size_t ni = res->incidents.len, n = 0;
	filter_t *f = ips_xcalloc(ni + ng + 8, sizeof *f);
	for (int s = IPS_SEV_CRITICAL; s >= IPS_SEV_INFO; s--) {
		char c[16];
		snprintf(c, sizeof c, "s%d", s);
		const char *name = ips_severity_name((ips_severity_t)s);
		for (size_t i = 0; i < ni; i++)
			if (((const ips_incident_t *)res->incidents.items[i])->severity == (ips_severity_t)s)
				n = add_filter(f, n, c, name, 1);
		for (size_t g = 0; g < ng; g++)
			if (groups[g].severity == (ips_severity_t)s)
				n = add_filter(f, n, c, name, 0);
	}
	for (size_t i = 0; i < ni; i++) {
		const ips_incident_t *x = res->incidents.items[i];
		char c[96];
		ips_html_class_of(c, sizeof c, x->severity, ips_html_incident_class(x));
		n = add_filter(f, n, strchr(c, ' ') + 1, ips_html_incident_class(x), 1);
	}
	if (ng)
		n = add_filter(f, n, "c-none", "findings in no incident", 0);
	*out = f;
	return n;
}

static void write_filter_css(FILE *out, const filter_t *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "#f-%s:not(:checked)~.page .%s{display:none}"
			"#f-%s:not(:checked)~.page label[for=f-%s]{opacity:.45;"
			"text-decoration:line-through}\n", f[i].cls, f[i].cls, f[i].cls, f[i].cls);
}

static void write_filter_nav(FILE *out, const filter_t *f, size_t n)
{
	fputs("<nav class=\"filters\">Show: ", out);
	for (size_t i = 0; i < n; i++) {
		if (i && f[i].cls[0] == 'c' && f[i - 1].cls[0] == 's')
			fputs(" &middot; fault class: ", out);
		fprintf(out, "<label for=\"f-%s\">", f[i].cls);
		ips_html_h(out, f[i].label);
		if (f[i].count)
			fprintf(out, " (%zu)", f[i].count);
		fputs("</label>", out);
	}
	fputs(" <span class=\"muted\">(click to hide or show)</span></nav>\n", out);
}

static void write_inputs(FILE *out, const ips_results_t *res)
{
	bool trouble = false;
	for (size_t i = 0; i < res->inputs.len; i++)
		trouble |= ips_report_input_has_problem(res->inputs.items[i]);
	if (!trouble && res->inputs.len <= 1)
		return;
	fputs("<h2 id=\"inputs\">Inputs</h2>\n<table>\n<tr><th>Path</th><th>Format</th>"
	      "<th>Records</th><th>Findings</th><th>Status</th><th>Problem</th></tr>\n", out);
	for (size_t i = 0; i < res->inputs.len; i++) {
		const ips_input_t *in = res->inputs.items[i];
		fprintf(out, "<tr%s><td class=\"where\">",
			ips_report_input_has_problem(in) ? " class=\"problem\"" : "");
		path(out, in->path);
		fprintf(out, "</td><td>%s</td><td>%llu</td><td>%llu</td><td>%s</td><td>",
			in->format ? in->format : "-", (unsigned long long)in->records,
			(unsigned long long)in->findings, ips_input_status_name(in->status));
		ips_html_h(out, in->error);
		if (in->error && in->note)
			fputs("; ", out);
		ips_html_h(out, in->note);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

static ips_status_t write_html_body(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
				    const ips_report_opts_t *o)
{
	(void)rules;
	ips_report_index_t idx;
	ips_report_index_init(&idx, res);
	size_t by[5];
	ips_report_count_severities(res, by);
	size_t nf = res->findings.len, ni = res->incidents.len;
	ips_report_group_t *groups;
	size_t ng = ips_report_loose_groups(res, &idx, &groups);
	filter_t *filters;
	size_t nfilters = filters_of(res, groups, ng, &filters);

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>ipsec-scan report</title>\n<style>\n", out);
	fputs(css, out);
	write_filter_css(out, filters, nfilters);
	fputs("</style>\n</head>\n<body>\n", out);
	for (size_t i = 0; i < nfilters; i++)
		fprintf(out, "<input type=\"checkbox\" id=\"f-%s\" checked hidden>\n", filters[i].cls);
	fputs("<div class=\"page\">\n<h1>ipsec-scan report</h1>\n<p>", out);
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
	if (nfilters > 1)
		write_filter_nav(out, filters, nfilters);
	if (nf || ni)
		ips_html_timeline(out, res, &idx, groups, ng);
	if (ni)
		write_incidents(out, res);
	if (ng) {
		fprintf(out, "<h2 id=\"findings\">%s</h2>\n",
			ni ? "Findings not in any incident" : "Findings");
		for (size_t g = 0; g < ng; g++)
			write_group(out, res, &idx, &groups[g], g + 1);
	}
	free(groups);
	free(filters);
	write_inputs(out, res);

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
		ips_html_h(out, res->notes.items[i]);
		fputs("</li>\n", out);
	}
	fputs("</ul>\n<p class=\"muted\">Written by ipsec-scan ", out);
	ips_html_h(out, o->version);
	fputs(".</p>\n</div>\n</body>\n</html>\n", out);
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
