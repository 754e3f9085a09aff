/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_junit.c - JUnit XML for CI dashboards (Jenkins, GitLab, Azure
 * DevOps, GitHub test reporters): each input is a test case that fails when
 * the logs show trouble.
 *
 * <testsuites> holds one <testsuite name="ipsec-scan">. Each incident is a
 * failed <testcase classname="INPUT" name="TITLE">, INPUT the first input
 * (in input order) that holds one of its findings (or its start), with one
 * <failure>: the title as message, the severity as type, and as text the
 * root cause, the evidence (path:line, time, name, record) and the fix
 * lines. Findings at warning or above in no incident give one failed case
 * per condition. Each input with no finding in a failed case is a passing
 * <testcase classname="PATH" name="no incident"> (its <system-out>: format
 * and counts); info conditions in no incident are listed in the suite's
 * <system-out>; an input that could not
 * be read, or only in part, has a case "read the input" with an <error>.
 * Each case holds at most one <failure>: Jenkins and most viewers show only
 * the first. time is the incident's span (first to last record) in
 * seconds, 0 for the other cases; the suite's time is their sum. There is
 * no file attribute: junit-10.xsd (Jenkins' xUnit schema) allows none on a
 * testcase; the path is the classname. The output validates against that
 * schema (tests/report/run.sh). Counts: tests = cases, failures = cases
 * with a <failure>, errors = cases with an <error>. Every string is
 * XML-escaped; characters XML 1.0 cannot hold (control characters,
 * malformed UTF-8) become U+FFFD.
 */
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/report_util.h"

#define EVIDENCE_MAX 50

/* XML 1.0 text or attribute value (*ctx true: an attribute, also quotes and line ends). */
static const char *x_sub(uint32_t cp, const char *s, size_t i, size_t n, char buf[16], void *ctx)
{
	(void)s, (void)i, (void)n;
	bool attr = *(const bool *)ctx;
	switch (cp) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return attr ? "&quot;" : "\"";
	case '\n': return attr ? "&#10;" : "\n";
	case '\t': return attr ? "&#9;" : "\t";
	case '\r': return "&#13;";
	default:
		if (cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF)
			return "\xEF\xBF\xBD";
		if (ips_cp_is_control(cp)) { /* DEL, C1: inert in a terminal */
			snprintf(buf, 16, "&#x%X;", (unsigned)cp);
			return buf;
		}
		return NULL;
	}
}

static void x_n(FILE *out, const char *s, bool attr)
{
	ips_report_escape(out, s, (size_t)-1, x_sub, &attr);
}

static void xt(FILE *out, const char *s)
{
	x_n(out, s, false);
}

static void xa(FILE *out, const char *s)
{
	x_n(out, s, true);
}

/* Body text is built in a buffer, then escaped once. */
static void evidence_line(ips_buf_t *b, const ips_results_t *res, const ips_finding_t *f)
{
	const ips_input_t *in = res->inputs.items[f->input];
	char t[64];
	ips_report_time(&f->time, t, sizeof t);
	char *text = ips_report_evidence_line(f->text); /* what decides first */
	ips_buf_printf(b, "  %s:%llu  %s  %s  %s\n", in->path, (unsigned long long)f->line, t,
		       f->entry->name, text);
	free(text);
}

static void remediation(ips_buf_t *b, const ips_entry_t *e)
{
	if (!e->resolve.len)
		return;
	ips_buf_printf(b, "What to do:\n");
	for (size_t i = 0; i < e->resolve.len; i++)
		ips_buf_printf(b, "  %zu. %s\n", i + 1, e->resolve.items[i]);
	char key[256];
	ips_report_explain_key(e, key, sizeof key);
	ips_buf_printf(b, "More: ipsec-scan explain %s\n", key);
}

static void incident_failure(FILE *out, const ips_results_t *res, const ips_incident_t *x)
{
	ips_buf_t b;
	ips_buf_init(&b, 4 * 1024 * 1024);
	char *key = ips_report_key_words(x->key, x->nkey);
	char t0[64], t1[64];
	ips_report_time(&x->first, t0, sizeof t0);
	ips_report_time(&x->last, t1, sizeof t1);
	ips_buf_printf(&b, "Incident %s (%s, %s): %s\nKey: %s\nSpan: %s to %s\n", x->id,
		       ips_incident_kind_name(x->kind), ips_severity_name(x->severity),
		       x->title ? x->title : "", key, t0, t1);
	free(key);
	if (x->verdict) {
		char *vw = ips_report_verdict_words(res, x);
		if (*vw)
			ips_buf_printf(&b, "Verdict: %s\n", vw);
		free(vw);
	}
	if (x->root) {
		char code[64];
		ips_report_code_words(x->root, code, sizeof code);
		ips_buf_printf(&b, "Root cause: %s%s%s%s: %s\n", x->root->name, code[0] ? " (" : "",
			       code, code[0] ? ")" : "", x->root->message ? x->root->message : "");
		if (x->root->summary && !ips_report_said_in(x->title, x->root->summary))
			ips_buf_printf(&b, "  %s\n", x->root->summary);
	} else {
		size_t in;
		uint64_t line;
		ips_report_incident_where(res, x, &in, &line);
		ips_buf_printf(&b, "Root cause: none found in the logs; it starts at %s:%llu\n",
			       in < res->inputs.len ? ((const ips_input_t *)res->inputs.items[in])->path : "?",
			       (unsigned long long)line);
	}
	if (x->nfindings) {
		ips_buf_printf(&b, "Evidence:\n");
		for (size_t i = 0; i < x->nfindings && i < EVIDENCE_MAX; i++)
			if (x->findings[i] < res->findings.len)
				evidence_line(&b, res, res->findings.items[x->findings[i]]);
		if (x->nfindings > EVIDENCE_MAX)
			ips_buf_printf(&b, "  (+%zu more)\n", x->nfindings - EVIDENCE_MAX);
	}
	if (x->verdict && (x->verdict->nfixes || x->verdict->ncollect)) {
		ips_buf_printf(&b, "Fixes (by the verdict):\n");
		ips_report_fix_lines(&b, x->verdict, "  ", 3);
	}
	if (x->root)
		remediation(&b, x->root);
	fputs("      <failure message=\"", out);
	xa(out, x->title ? x->title : ips_incident_kind_name(x->kind));
	fprintf(out, "\" type=\"%s\">", ips_severity_name(x->severity));
	xt(out, b.data);
	fputs("</failure>\n", out);
	ips_buf_free(&b);
}

static void group_failure(FILE *out, const ips_results_t *res, const ips_report_index_t *idx,
			  const ips_report_group_t *g, size_t input)
{
	const ips_entry_t *e = g->entry;
	ips_buf_t b;
	ips_buf_init(&b, 4 * 1024 * 1024);
	char code[64];
	ips_report_code_words(e, code, sizeof code);
	ips_buf_printf(&b, "%s%s%s%s: %s\n", e->name, code[0] ? " (" : "", code,
		       code[0] ? ")" : "", e->message ? e->message : "");
	if (e->summary)
		ips_buf_printf(&b, "  %s\n", e->summary);
	ips_buf_printf(&b, "Evidence:\n");
	size_t shown = 0, count = 0;
	ips_severity_t top = IPS_SEV_INFO;
	for (size_t i = g->first; i < res->findings.len; i++) {
		const ips_finding_t *f = res->findings.items[i];
		const size_t *inc;
		if (f->entry != e || (input != SIZE_MAX && f->input != input) ||
		    ips_report_incidents_of(idx, i, &inc))
			continue;
		count++;
		if (f->severity > top)
			top = f->severity;
		if (shown < EVIDENCE_MAX) {
			evidence_line(&b, res, f);
			shown++;
		}
	}
	if (count > shown)
		ips_buf_printf(&b, "  (+%zu more)\n", count - shown);
	remediation(&b, e);
	fputs("      <failure message=\"", out);
	xa(out, e->name);
	fprintf(out, ": %zu finding%s\" type=\"%s\">", count, count == 1 ? "" : "s",
		ips_severity_name(top));
	xt(out, b.data);
	fputs("</failure>\n", out);
	ips_buf_free(&b);
}

/* The input an incident starts in: the first (in input order) of its findings', or its start's. */
static size_t incident_input(const ips_results_t *res, const ips_incident_t *x)
{
	size_t first = SIZE_MAX;
	for (size_t i = 0; i < x->nfindings; i++)
		if (x->findings[i] < res->findings.len) {
			size_t in = ((const ips_finding_t *)res->findings.items[x->findings[i]])->input;
			if (in < first)
				first = in;
		}
	return first != SIZE_MAX ? first : x->input;
}

/* Milliseconds from a to b, 0 when either is unknown or b is before a. */
static long long span_ms(const ips_time_t *a, const ips_time_t *b)
{
	if (!a->valid || !b->valid)
		return 0;
	long long ms = (long long)(b->sec - a->sec) * 1000 + ((long long)b->nsec - a->nsec) / 1000000;
	return ms < 0 ? 0 : ms;
}

/* JUnit's time: seconds with three decimals ("12.345"). */
static void seconds(char *buf, size_t n, long long ms)
{
	snprintf(buf, n, "%lld.%03lld", ms / 1000, ms % 1000);
}

static void testcase_open(FILE *out, const char *classname, const char *name, const char *time)
{
	fputs("    <testcase classname=\"", out);
	xa(out, classname);
	fputs("\" name=\"", out);
	xa(out, name);
	fprintf(out, "\" time=\"%s\">\n", time);
}

static const char *input_path(const ips_results_t *res, size_t i)
{
	return i < res->inputs.len ? ((const ips_input_t *)res->inputs.items[i])->path : "?";
}

static ips_status_t write_junit_body(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
				const ips_report_opts_t *o)
{
	(void)rules;
	ips_report_index_t idx;
	ips_report_index_init(&idx, res);
	ips_report_group_t *groups;
	size_t ng = ips_report_loose_groups(res, &idx, &groups);
	size_t nin = res->inputs.len, nx = res->incidents.len;

	/* count first: the counts are attributes of the opening tags */
	bool *busy = ips_xcalloc(nin ? nin : 1, sizeof *busy); /* an input with a failed case */
	size_t tests = 0, failures = 0, errors = 0;
	long long total_ms = 0;
	for (size_t k = 0; k < nx; k++) {
		const ips_incident_t *x = res->incidents.items[k];
		for (size_t i = 0; i < x->nfindings; i++)
			if (x->findings[i] < res->findings.len)
				busy[((const ips_finding_t *)res->findings.items[x->findings[i]])->input] = true;
		if (!x->nfindings && x->input < nin)
			busy[x->input] = true;
		total_ms += span_ms(&x->first, &x->last);
	}
	tests += nx;
	failures += nx;
	size_t nloose = 0;
	for (size_t g = 0; g < ng; g++)
		if (groups[g].severity >= IPS_SEV_WARNING)
			nloose++;
	for (size_t i = 0; i < res->findings.len; i++) {
		const size_t *inc;
		const ips_finding_t *f = res->findings.items[i];
		if (f->severity >= IPS_SEV_WARNING && f->input < nin && !ips_report_incidents_of(&idx, i, &inc))
			busy[f->input] = true;
	}
	tests += nloose;
	failures += nloose;
	for (size_t i = 0; i < nin; i++) {
		const ips_input_t *in = res->inputs.items[i];
		bool err = in->status == IPS_INPUT_ERROR || in->status == IPS_INPUT_PARTIAL;
		if (!busy[i] || err)
			tests++;
		errors += err;
	}
	char total[32];
	seconds(total, sizeof total, total_ms);

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites name=\"ipsec-scan\" tests=\"%zu\" failures=\"%zu\" "
		"errors=\"%zu\" time=\"%s\">\n", tests, failures, errors, total);
	fprintf(out, "  <testsuite name=\"ipsec-scan\" tests=\"%zu\" failures=\"%zu\" "
		"errors=\"%zu\" skipped=\"0\" time=\"%s\">\n", tests, failures, errors, total);
	fputs("    <properties>\n      <property name=\"version\" value=\"", out);
	xa(out, o->version);
	fprintf(out, "\"/>\n      <property name=\"records\" value=\"%llu\"/>\n"
		"      <property name=\"inputs\" value=\"%zu\"/>\n"
		"      <property name=\"findings\" value=\"%zu\"/>\n"
		"      <property name=\"incidents\" value=\"%zu\"/>\n    </properties>\n",
		(unsigned long long)res->records, nin, res->findings.len, nx);

	/* one failed test case per incident */
	for (size_t k = 0; k < nx; k++) {
		const ips_incident_t *x = res->incidents.items[k];
		char t[32];
		seconds(t, sizeof t, span_ms(&x->first, &x->last));
		testcase_open(out, input_path(res, incident_input(res, x)),
			      x->title ? x->title : ips_incident_kind_name(x->kind), t);
		incident_failure(out, res, x);
		fputs("    </testcase>\n", out);
	}
	/* one per condition whose findings (warning and above) are in no incident */
	for (size_t g = 0; g < ng; g++) {
		if (groups[g].severity < IPS_SEV_WARNING)
			continue;
		size_t in = ((const ips_finding_t *)res->findings.items[groups[g].first])->input;
		char name[512];
		snprintf(name, sizeof name, "%s: %zu finding%s", groups[g].entry->name,
			 groups[g].count, groups[g].count == 1 ? "" : "s");
		testcase_open(out, input_path(res, in), name, "0.000");
		group_failure(out, res, &idx, &groups[g], SIZE_MAX);
		fputs("    </testcase>\n", out);
	}
	/* one per input with no finding in a failed case (it passes), or not read whole */
	for (size_t i = 0; i < nin; i++) {
		const ips_input_t *in = res->inputs.items[i];
		bool err = in->status == IPS_INPUT_ERROR || in->status == IPS_INPUT_PARTIAL;
		if (busy[i] && !err)
			continue;
		testcase_open(out, in->path, err ? "read the input" : "no incident", "0.000");
		if (err) {
			fprintf(out, "      <error message=\"");
			xa(out, in->error ? in->error : in->status == IPS_INPUT_ERROR ?
			   "could not be read" : "read in part");
			fprintf(out, "\" type=\"%s\">", in->status == IPS_INPUT_ERROR ? "unreadable"
										 : "partial");
			xt(out, in->path);
			fputs(": ", out);
			xt(out, in->error ? in->error : ips_input_status_name(in->status));
			fputs("</error>\n", out);
		}
		/* what a reader of the case wants besides failures: counts, notes, info findings */
		fprintf(out, "      <system-out>%s, %llu records, %llu bytes, %llu findings, %s",
			in->format ? in->format : "unknown", (unsigned long long)in->records,
			(unsigned long long)in->bytes, (unsigned long long)in->findings,
			ips_input_status_name(in->status));
		if (in->note) {
			fputs(" (", out);
			xt(out, in->note);
			fputc(')', out);
		}
		fputs("\n</system-out>\n    </testcase>\n", out);
	}
	/* info conditions in no incident fail nothing: listed for the suite */
	bool info = false;
	for (size_t g = 0; g < ng; g++) {
		if (groups[g].severity >= IPS_SEV_WARNING)
			continue;
		fputs(info ? "" : "    <system-out>", out);
		info = true;
		fputs("info: ", out);
		xt(out, groups[g].entry->name);
		fputs(": ", out);
		xt(out, groups[g].entry->message);
		fprintf(out, " (%zu finding%s, first at ", groups[g].count, groups[g].count == 1 ? "" : "s");
		const ips_finding_t *f = res->findings.items[groups[g].first];
		xt(out, input_path(res, f->input));
		fprintf(out, ":%llu)\n", (unsigned long long)f->line);
	}
	if (info)
		fputs("</system-out>\n", out);
	fputs("  </testsuite>\n</testsuites>\n", out);
	free(busy);
	free(groups);
	ips_report_index_free(&idx);
	return ips_report_stream_status(out);
}

/* Times in the --output-tz zone (report_util.h). */
static ips_status_t write_junit(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
			       const ips_report_opts_t *o)
{
	return ips_report_zoned(write_junit_body, out, res, rules, o);
}

const ips_reporter_ops_t ips_report_junit = {"junit", write_junit};
