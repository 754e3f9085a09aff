/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_markdown.c - a report to paste into a ticket (GitHub-flavoured
 * Markdown): incidents first, each with its root cause, evidence table and
 * remediation; then the findings outside every incident grouped by
 * condition, the inputs that had problems, and a summary.
 *
 * Log-derived strings are untrusted. Record text goes into code spans (a
 * fence longer than any run of backticks in it, `|` escaped for the table),
 * where nothing is markup; other strings (paths, hosts, keys, titles) have
 * every character that could start inline markup backslash-escaped. Control
 * characters become spaces and malformed UTF-8 becomes U+FFFD, so a log line
 * can add no link, image, HTML or table cell of its own. Knowledge-base
 * prose is ours and keeps its `code` spans.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/report_util.h"

#define EVIDENCE_MAX 20  /* rows per incident or condition */
#define TEXT_MAX 300     /* bytes of a record shown in a table cell */

/* Markdown: every character that could start inline markup backslash-escaped. */
static const char *md_sub(uint32_t cp, const char *s, size_t i, size_t n, char buf[16], void *ctx)
{
	(void)ctx;
	if (ips_cp_is_control(cp))
		return " ";
	if (cp == '_' && i > 0 && i + 1 < n && isalnum((unsigned char)s[i - 1]) &&
	    isalnum((unsigned char)s[i + 1]))
		return NULL; /* inside a word _ starts no emphasis: keep names readable */
	if (cp < 0x80 && strchr("\\`*_[]<>#|~&$", (int)cp)) {
		buf[0] = '\\';
		buf[1] = (char)cp;
		buf[2] = '\0';
		return buf;
	}
	return NULL;
}

/* Write s (up to max bytes, cut at a character) escaped for Markdown. */
static void md_n(FILE *out, const char *s, size_t max)
{
	ips_report_escape(out, s, max, md_sub, NULL);
}

static void md(FILE *out, const char *s)
{
	md_n(out, s, (size_t)-1);
}

/* Inside a code span in a table cell: only '|' (the cell's end) and controls matter. */
static const char *code_sub(uint32_t cp, const char *s, size_t i, size_t n, char buf[16], void *ctx)
{
	(void)s, (void)i, (void)n, (void)buf, (void)ctx;
	return ips_cp_is_control(cp) ? " " : cp == '|' ? "\\|" : NULL;
}

/* Write s (up to max bytes) as a code span inside a table cell. */
static void md_code(FILE *out, const char *s, size_t max)
{
	if (!s || !*s)
		return;
	size_t len = strlen(s), keep = ips_utf8_cut(s, len, max), run = 0, longest = 0;
	for (size_t i = 0; i < keep; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	bool pad = s[0] == '`' || s[keep - 1] == '`' || s[0] == ' ';
	for (size_t i = 0; i <= longest; i++)
		fputc('`', out);
	if (pad)
		fputc(' ', out);
	ips_report_escape(out, s, max, code_sub, NULL);
	if (pad)
		fputc(' ', out);
	for (size_t i = 0; i <= longest; i++)
		fputc('`', out);
}

static void where(FILE *out, const ips_results_t *res, size_t input, uint64_t line)
{
	if (input < res->inputs.len)
		md(out, ((const ips_input_t *)res->inputs.items[input])->path);
	fprintf(out, ":%llu", (unsigned long long)line);
}

static void entry_heading(FILE *out, const ips_entry_t *e)
{
	char code[64];
	md_code(out, e->name, (size_t)-1);
	ips_report_code_words(e, code, sizeof code);
	if (code[0])
		fprintf(out, " (%s)", code);
}

static void numbered(FILE *out, const ips_strlist_t *l)
{
	for (size_t i = 0; i < l->len; i++)
		fprintf(out, "%zu. %s\n", i + 1, l->items[i]);
}

static void more(FILE *out, const ips_entry_t *e)
{
	char key[256];
	ips_report_explain_key(e, key, sizeof key);
	fprintf(out, "\nMore: `ipsec-scan explain %s`\n", key);
}

/* One evidence row (report_util.h: ips_report_rows_t): where, time, name or
 * key, the record (what decides first), what differs or the reason given. */
typedef struct md_rows {
	FILE *out;
	const ips_results_t *res;
	bool code_third; /* the third column is a name (a code span), not a key */
} md_rows_t;

static void md_row(void *ctx, const ips_finding_t *f, const char *third)
{
	md_rows_t *m = ctx;
	FILE *out = m->out;
	fputs("| ", out);
	where(out, m->res, f->input, f->line);
	fputs(" | ", out);
	ips_report_time_put(out, &f->time);
	fputs(" | ", out);
	if (m->code_third)
		md_code(out, third, (size_t)-1);
	else
		md(out, third);
	fputs(" | ", out);
	char *text = ips_report_evidence_line(f->text);
	md_code(out, text, TEXT_MAX);
	free(text);
	const char *labels[2], *values[2];
	size_t n = ips_report_finding_why(f, labels, values);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, " **%s:** ", labels[i]);
		md_n(out, values[i], TEXT_MAX);
	}
	fputs(" |\n", out);
}

static void md_more(void *ctx, size_t left)
{
	fprintf(((md_rows_t *)ctx)->out, "| (+%zu more) | | | |\n", left);
}

static const char *const fix_words[] = {"Fix first", "Then", "Collect"};

static void write_incident(FILE *out, const ips_results_t *res, const ips_incident_t *x,
			   size_t n)
{
	static const char *const upper[] = {"NONE", "INFO", "WARNING", "ERROR", "CRITICAL"};
	fprintf(out, "\n### %zu. ", n);
	md(out, x->title ? x->title : ips_incident_kind_name(x->kind));
	fprintf(out, " (%s)\n\n", upper[x->severity <= IPS_SEV_CRITICAL ? x->severity : 0]);
	if (x->verdict) {
		const ips_verdict_t *v = x->verdict;
		char *vw = ips_report_verdict_words(res, x);
		fputs("- **Verdict:** ", out);
		md(out, vw);
		free(vw);
		fputc('\n', out);
		ips_report_fix_t fx[3 + 16];
		size_t nfx = ips_report_fixes(v, 3, 16, fx);
		for (size_t i = 0; i < nfx; i++) {
			fprintf(out, "  - %s (", fix_words[fx[i].kind]);
			md(out, fx[i].impl);
			fputs("): ", out);
			md(out, fx[i].text);
			fputc('\n', out);
		}
	}
	fprintf(out, "- **Severity:** %s\n", ips_severity_name(x->severity));
	fprintf(out, "- **Kind:** %s", ips_incident_kind_name(x->kind));
	if (x->correlation) {
		fputs(" (correlation ", out);
		md(out, x->correlation);
		fputc(')', out);
	}
	fputs("\n- **Key:** ", out);
	char *key = ips_report_key_words(x->key, x->nkey);
	md(out, key);
	free(key);
	char span[160];
	ips_report_span_words(x, span, sizeof span);
	fprintf(out, "\n- **Span:** %s", span);
	fprintf(out, "\n- **Incident id:** %s\n", x->id);
	if (x->root) {
		const ips_entry_t *e = x->root;
		fputs("- **Root cause:** ", out);
		entry_heading(out, e);
		if (e->message) {
			fputs(": ", out);
			md(out, e->message);
		}
		if (e->summary && !ips_report_said_in(x->title, e->summary)) {
			fputs(" (", out);
			md(out, e->summary);
			fputc(')', out);
		}
		fputc('\n', out);
	} else {
		size_t in;
		uint64_t line;
		ips_report_incident_where(res, x, &in, &line);
		fputs("- **Root cause:** none found in the logs; it starts at ", out);
		where(out, res, in, line);
		fputc('\n', out);
	}
	if (x->nfindings) {
		fprintf(out, "\n**Evidence** (%zu finding%s, root cause first)\n\n", x->nfindings,
			x->nfindings == 1 ? "" : "s");
		fputs("| Where | Time | Name | Text |\n|---|---|---|---|\n", out);
		md_rows_t m = {out, res, true};
		ips_report_rows_t r = {md_row, md_more, &m};
		ips_report_incident_rows(res, x, EVIDENCE_MAX, &r);
	}
	if (x->root && x->root->resolve.len) {
		fputs("\n**Remediation**\n\n", out);
		numbered(out, &x->root->resolve);
	}
	if (x->root)
		more(out, x->root);
}

static void write_group(FILE *out, const ips_results_t *res, const ips_report_index_t *idx,
			const ips_report_group_t *g)
{
	const ips_entry_t *e = g->entry;
	fputs("\n### ", out);
	entry_heading(out, e);
	fprintf(out, ": %s, %zu finding%s\n\n", ips_severity_name(g->severity), g->count,
		g->count == 1 ? "" : "s");
	if (e->message) {
		md(out, e->message);
		fputs("\n\n", out);
	}
	if (e->summary) {
		md(out, e->summary);
		fputs("\n\n", out);
	}
	fputs("| Where | Time | Key | Text |\n|---|---|---|---|\n", out);
	md_rows_t m = {out, res, false};
	ips_report_rows_t r = {md_row, md_more, &m};
	ips_report_group_rows(res, idx, g, EVIDENCE_MAX, &r);
	if (e->resolve.len) {
		fputs("\n**What to do**\n\n", out);
		numbered(out, &e->resolve);
	}
	more(out, e);
}

static ips_status_t write_markdown_body(FILE *out, const ips_results_t *res,
				   const ips_rules_t *rules, const ips_report_opts_t *o)
{
	(void)rules;
	ips_report_index_t idx;
	ips_report_index_init(&idx, res);
	size_t by[5];
	char sev[128];
	ips_report_count_severities(res, by);
	ips_report_severity_words(by, sev, sizeof sev);
	size_t nf = res->findings.len, ni = res->incidents.len;

	fprintf(out, "# ipsec-scan report\n\n");
	fprintf(out, "%zu finding%s (%s) in %zu incident%s; %llu records in %zu input%s",
		nf, nf == 1 ? "" : "s", sev, ni, ni == 1 ? "" : "s",
		(unsigned long long)res->records, res->inputs.len,
		res->inputs.len == 1 ? "" : "s");
	fprintf(out, " (ipsec-scan %s).\n", o->version ? o->version : "");
	if (!nf && !ni)
		fputs("\nNo IPsec/IKE errors found.\n", out);

	if (ni) {
		fputs("\n## Incidents\n", out);
		for (size_t i = 0; i < ni; i++)
			write_incident(out, res, res->incidents.items[i], i + 1);
	}

	ips_report_group_t *groups;
	size_t ng = ips_report_loose_groups(res, &idx, &groups);
	if (ng) {
		fprintf(out, "\n## %s\n", ni ? "Findings not in any incident" : "Findings");
		for (size_t g = 0; g < ng; g++)
			write_group(out, res, &idx, &groups[g]);
	}
	free(groups);

	bool trouble = false;
	for (size_t i = 0; i < res->inputs.len; i++)
		trouble |= ips_report_input_has_problem(res->inputs.items[i]);
	if (trouble) {
		fputs("\n## Inputs with problems\n\n| Path | Format | Status | Records | Problem |\n"
		      "|---|---|---|---|---|\n", out);
		for (size_t i = 0; i < res->inputs.len; i++) {
			const ips_input_t *in = res->inputs.items[i];
			if (!ips_report_input_has_problem(in))
				continue;
			fputs("| ", out);
			md(out, in->path);
			fprintf(out, " | %s | %s | %llu | ", in->format ? in->format : "-",
				ips_input_status_name(in->status), (unsigned long long)in->records);
			md(out, in->error);
			if (in->error && in->note)
				fputs("; ", out);
			md(out, in->note);
			fputs(" |\n", out);
		}
	}

	fputs("\n## Summary\n\n", out);
	fprintf(out, "- Findings: %zu (%s)\n", nf, sev);
	fprintf(out, "- Incidents: %zu\n", ni);
	fprintf(out, "- Records: %llu in %zu input%s\n", (unsigned long long)res->records,
		res->inputs.len, res->inputs.len == 1 ? "" : "s");
	if (res->events.len)
		fprintf(out, "- Negotiation markers and other events: %zu\n", res->events.len);
	if (res->filtered)
		fprintf(out, "- Filtered out (--since, --until, --min-severity): %llu\n",
			(unsigned long long)res->filtered);
	for (size_t i = 0; i < res->notes.len; i++) {
		fputs("- Note: ", out);
		md(out, res->notes.items[i]);
		fputc('\n', out);
	}
	ips_report_index_free(&idx);
	return ips_report_stream_status(out);
}

/* Times in the --output-tz zone (report_util.h). */
static ips_status_t write_markdown(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
			       const ips_report_opts_t *o)
{
	return ips_report_zoned(write_markdown_body, out, res, rules, o);
}

const ips_reporter_ops_t ips_report_markdown = {"markdown", write_markdown};
