/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_github.c - GitHub Actions: workflow-command annotations on standard
 * output (or -o FILE) and a Markdown job summary.
 *
 * One annotation per incident, and one per condition whose findings belong
 * to no incident, at the root finding's file and line:
 *   ::error file=PATH,line=N,title=TITLE::MESSAGE
 * critical and error give ::error, warning ::warning, info ::notice. GitHub
 * shows at most 10 error, 10 warning and 10 notice annotations of a step;
 * past that they are lost, so this writer prints at most 10 errors, 10
 * warnings and 9 notices and counts the rest in one final ::notice::. The
 * job summary lists everything.
 *
 * Escaping follows the runner's own (actions/toolkit command.ts): in a
 * message % CR LF become %25 %0D %0A; in a property also : and , (%3A,
 * %2C). Control characters become spaces, malformed UTF-8 U+FFFD, so a log
 * line cannot end the command early or start another one.
 *
 * When $GITHUB_STEP_SUMMARY names a file, the job summary (Markdown) is
 * appended to it, as the runner expects of every step. Log text in it is
 * escaped so that it makes no link, image or HTML.
 */
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/report_util.h"

#define MAX_ERRORS 10
#define MAX_WARNINGS 10
#define MAX_NOTICES 9 /* the tenth is the count of what was left out */
#define SUMMARY_ROWS 1000

/* One annotation: an incident, or a condition outside every incident. */
typedef struct gh_item {
	ips_severity_t severity;
	const ips_entry_t *entry;  /* the root cause's entry, or NULL */
	const char *title;         /* incident title; NULL for a condition */
	size_t count;              /* findings */
	size_t input;
	uint64_t line;
	const ips_time_t *first;
	const char *id;
} gh_item_t;

static const char *command(ips_severity_t s)
{
	return s >= IPS_SEV_ERROR ? "error" : s == IPS_SEV_WARNING ? "warning" : "notice";
}

/* Workflow-command escaping; *ctx true: a property value (also ':' and ','). */
static const char *cmd_sub(uint32_t cp, const char *s, size_t i, size_t n, char buf[16], void *ctx)
{
	(void)s, (void)i, (void)n, (void)buf;
	bool prop = *(const bool *)ctx;
	if (cp == '%')
		return "%25";
	if (cp == '\r')
		return "%0D";
	if (cp == '\n')
		return "%0A";
	if (prop && cp == ':')
		return "%3A";
	if (prop && cp == ',')
		return "%2C";
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xA0) ? " " : NULL;
}

static void put_escaped(FILE *out, const char *s, bool prop)
{
	ips_report_escape(out, s, (size_t)-1, cmd_sub, &prop);
}

static const char *input_path(const ips_results_t *res, size_t input)
{
	return input < res->inputs.len ? ((const ips_input_t *)res->inputs.items[input])->path : "?";
}

/* The message: what happened, the root cause, the first thing to do. */
static char *item_message(const ips_results_t *res, const gh_item_t *it)
{
	ips_buf_t b;
	ips_buf_init(&b, 256 * 1024);
	const ips_entry_t *e = it->entry;
	if (it->title)
		ips_buf_printf(&b, "%s\n", it->title);
	else if (e)
		ips_buf_printf(&b, "%zu finding%s of %s in no incident\n", it->count,
			       it->count == 1 ? "" : "s", e->name);
	if (e) {
		char code[64];
		ips_report_code_words(e, code, sizeof code);
		ips_buf_printf(&b, "Root cause: %s%s%s%s: %s\n", e->name, code[0] ? " (" : "", code,
			       code[0] ? ")" : "", e->message ? e->message : "");
		if (e->resolve.len)
			ips_buf_printf(&b, "What to do first: %s\n", e->resolve.items[0]);
		char key[256];
		ips_report_explain_key(e, key, sizeof key);
		ips_buf_printf(&b, "More: ipsec-scan explain %s", key);
	} else {
		ips_buf_printf(&b, "No failure record: it starts at %s:%llu",
			       input_path(res, it->input), (unsigned long long)it->line);
	}
	return ips_buf_steal(&b);
}

static void annotate(FILE *out, const ips_results_t *res, const gh_item_t *it)
{
	char *path = ips_report_rel_path(input_path(res, it->input), NULL);
	fprintf(out, "::%s file=", command(it->severity));
	put_escaped(out, path, true);
	if (it->line >= 1)
		fprintf(out, ",line=%llu", (unsigned long long)it->line);
	fputs(",title=", out);
	char title[300];
	snprintf(title, sizeof title, "ipsec-scan %s: %s", ips_severity_name(it->severity),
		 it->entry ? it->entry->name : "no outcome");
	put_escaped(out, title, true);
	fputs("::", out);
	char *m = item_message(res, it);
	put_escaped(out, m, false);
	free(m);
	fputc('\n', out);
	free(path);
}

/* Markdown text that stays text: no link, image, HTML, table cell end or line end. */
static const char *md_sub(uint32_t cp, const char *s, size_t i, size_t n, char buf[16], void *ctx)
{
	(void)s, (void)i, (void)n, (void)ctx;
	if (cp == '<')
		return "&lt;";
	if (cp == '>')
		return "&gt;";
	if (cp == '&')
		return "&amp;";
	if (cp < 0x80 && strchr("\\`*_[]()#|!~", (int)cp)) {
		buf[0] = '\\';
		buf[1] = (char)cp;
		buf[2] = '\0';
		return buf;
	}
	return cp < 0x20 || cp == 0x7f ? " " : NULL;
}

static void md(FILE *out, const char *s)
{
	ips_report_escape(out, s, (size_t)-1, md_sub, NULL);
}

static ips_status_t write_summary(const char *file, const ips_results_t *res,
				  const gh_item_t *items, size_t n, const size_t left[3])
{
	FILE *out = fopen(file, "a");
	if (!out)
		return IPS_E_OUTPUT;
	size_t by[5];
	ips_report_count_severities(res, by);
	char sev[128];
	ips_report_severity_words(by, sev, sizeof sev);
	fputs("## ipsec-scan\n\n", out);
	fprintf(out, "%zu incident%s, %zu finding%s (%s) in %llu records of %zu input%s.\n\n",
		res->incidents.len, res->incidents.len == 1 ? "" : "s", res->findings.len,
		res->findings.len == 1 ? "" : "s", sev, (unsigned long long)res->records,
		res->inputs.len, res->inputs.len == 1 ? "" : "s");
	if (left[0] + left[1] + left[2])
		fprintf(out, "GitHub shows 10 annotations of each level per step: %zu error, %zu "
			"warning and %zu notice annotation(s) were left out; all are listed here.\n\n",
			left[0], left[1], left[2]);
	if (n) {
		fputs("| severity | first | where | root cause | what happened |\n"
		      "|---|---|---|---|---|\n", out);
		for (size_t i = 0; i < n && i < SUMMARY_ROWS; i++) {
			const gh_item_t *it = &items[i];
			char t[64] = "-";
			if (it->first && it->first->valid)
				ips_report_time(it->first, t, sizeof t);
			fprintf(out, "| %s | %s | ", ips_severity_name(it->severity), t);
			md(out, input_path(res, it->input));
			fprintf(out, ":%llu | ", (unsigned long long)it->line);
			md(out, it->entry ? it->entry->name : "-");
			fputs(" | ", out);
			if (it->title)
				md(out, it->title);
			else if (it->entry)
				md(out, it->entry->message);
			fputs(" |\n", out);
		}
		if (n > SUMMARY_ROWS)
			fprintf(out, "\n%zu more: see the other reports (`-f html`, `-f json`).\n",
				n - SUMMARY_ROWS);
		fputc('\n', out);
	}
	bool head = false;
	for (size_t i = 0; i < res->inputs.len; i++) {
		const ips_input_t *in = res->inputs.items[i];
		if (!ips_report_input_has_problem(in))
			continue;
		if (!head)
			fputs("Inputs not read whole, empty, or with a note:\n\n", out);
		head = true;
		fputs("- ", out);
		md(out, in->path);
		fprintf(out, ": %s", ips_input_status_name(in->status));
		if (in->error) {
			fputs(", ", out);
			md(out, in->error);
		}
		if (in->note) {
			fputs(" (", out);
			md(out, in->note);
			fputc(')', out);
		}
		fputc('\n', out);
	}
	if (head)
		fputc('\n', out);
	bool bad = ferror(out) != 0;
	bad |= fclose(out) != 0;
	return bad ? IPS_E_OUTPUT : IPS_OK;
}

static ips_status_t write_github_body(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
				 const ips_report_opts_t *o)
{
	(void)rules;
	(void)o;
	ips_report_index_t idx;
	ips_report_index_init(&idx, res);
	ips_report_group_t *groups;
	size_t ng = ips_report_loose_groups(res, &idx, &groups);
	size_t n = 0;
	gh_item_t *items = ips_xcalloc(res->incidents.len + ng + 1, sizeof *items);
	for (size_t i = 0; i < res->incidents.len; i++) {
		const ips_incident_t *x = res->incidents.items[i];
		gh_item_t *it = &items[n++];
		it->severity = x->severity;
		it->entry = x->root;
		it->title = x->title;
		it->count = x->nfindings;
		it->first = &x->first;
		it->id = x->id;
		ips_report_incident_where(res, x, &it->input, &it->line);
	}
	for (size_t g = 0; g < ng; g++) {
		const ips_finding_t *f = res->findings.items[groups[g].first];
		gh_item_t *it = &items[n++];
		it->severity = groups[g].severity;
		it->entry = groups[g].entry;
		it->count = groups[g].count;
		it->input = f->input;
		it->line = f->line;
		it->first = &f->time;
		it->id = f->id;
	}
	/* most severe first, in report order within a severity (stable) */
	size_t shown[3] = {0}, left[3] = {0};
	static const size_t cap[3] = {MAX_ERRORS, MAX_WARNINGS, MAX_NOTICES};
	for (int s = IPS_SEV_CRITICAL; s >= IPS_SEV_INFO; s--)
		for (size_t i = 0; i < n; i++) {
			if ((int)items[i].severity != s)
				continue;
			int l = s >= IPS_SEV_ERROR ? 0 : s == IPS_SEV_WARNING ? 1 : 2;
			if (shown[l] < cap[l]) {
				annotate(out, res, &items[i]);
				shown[l]++;
			} else {
				left[l]++;
			}
		}
	if (left[0] + left[1] + left[2])
		fprintf(out, "::notice title=ipsec-scan::%zu more error, %zu more warning and %zu "
			"more notice annotation(s) not shown (GitHub shows 10 of each level per "
			"step): see the job summary or another report format\n", left[0], left[1],
			left[2]);
	ips_status_t st = IPS_OK;
	const char *summary = getenv("GITHUB_STEP_SUMMARY");
	if (summary && *summary)
		st = write_summary(summary, res, items, n, left);
	free(items);
	free(groups);
	ips_report_index_free(&idx);
	ips_status_t s2 = ips_report_stream_status(out);
	return s2 != IPS_OK ? s2 : st;
}

/* Times in the --output-tz zone (report_util.h). */
static ips_status_t write_github(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
			       const ips_report_opts_t *o)
{
	return ips_report_zoned(write_github_body, out, res, rules, o);
}

const ips_reporter_ops_t ips_report_github = {"github", write_github};
