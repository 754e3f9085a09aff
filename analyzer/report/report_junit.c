/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_junit.c - JUnit XML for CI dashboards (Jenkins, GitLab, Azure
 * DevOps, GitHub test reporters): each input is a test case that fails when
 * the logs show trouble.
 *
 * <testsuites> holds one <testsuite name="ipsec-scan">; each input is a
 * <testcase classname="FORMAT" name="PATH">. An incident touching the input
 * (one of its findings, or its start, is in it) gives a <failure> with the
 * incident's title as message, its severity as type, and the root cause,
 * evidence and remediation as body; findings of the input in no incident
 * give one <failure> per condition (warning and above; info findings are
 * listed in <system-out>). An input that could not be read, or only in
 * part, gives an <error>. Counts: tests = inputs, failures = test cases
 * with at least one <failure>, errors = test cases with an <error>
 * (pytest's convention when one case has both). time is always 0: the
 * report is deterministic. Every string is XML-escaped; characters XML 1.0
 * cannot hold (control characters, malformed UTF-8) become U+FFFD.
 */
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/report_util.h"

#define EVIDENCE_MAX 50

/* XML 1.0 text or attribute value (attr: also escape quotes and line ends). */
static void x_n(FILE *out, const char *s, bool attr)
{
	if (!s)
		return;
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t k = ips_utf8_decode(s + i, len - i, &cp);
		switch (cp) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs(attr ? "&quot;" : "\"", out); break;
		case '\n': fputs(attr ? "&#10;" : "\n", out); break;
		case '\t': fputs(attr ? "&#9;" : "\t", out); break;
		case '\r': fputs("&#13;", out); break;
		default:
			if (cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF || (cp == 0xFFFD && k == 1))
				fputs("\xEF\xBF\xBD", out);
			else if (ips_cp_is_control(cp))
				fprintf(out, "&#x%X;", (unsigned)cp); /* DEL, C1: inert in a terminal */
			else
				fwrite(s + i, 1, k, out);
		}
		i += k;
	}
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
	ips_time_format(&f->time, t, sizeof t);
	ips_buf_printf(b, "  %s:%llu  %s  %s  %s\n", in->path, (unsigned long long)f->line, t,
		       f->entry->name, f->text ? f->text : "");
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

static bool incident_touches(const ips_results_t *res, const ips_incident_t *x, size_t input)
{
	if (!x->nfindings)
		return x->input == input;
	for (size_t i = 0; i < x->nfindings; i++)
		if (x->findings[i] < res->findings.len &&
		    ((const ips_finding_t *)res->findings.items[x->findings[i]])->input == input)
			return true;
	return false;
}

static void incident_failure(FILE *out, const ips_results_t *res, const ips_incident_t *x)
{
	ips_buf_t b;
	ips_buf_init(&b, 4 * 1024 * 1024);
	char *key = ips_report_key_words(x->key, x->nkey);
	char t0[64], t1[64];
	ips_time_format(&x->first, t0, sizeof t0);
	ips_time_format(&x->last, t1, sizeof t1);
	ips_buf_printf(&b, "Incident %s (%s, %s): %s\nKey: %s\nSpan: %s to %s\n", x->id,
		       ips_incident_kind_name(x->kind), ips_severity_name(x->severity),
		       x->title ? x->title : "", key, t0, t1);
	free(key);
	if (x->root) {
		char code[64];
		ips_report_code_words(x->root, code, sizeof code);
		ips_buf_printf(&b, "Root cause: %s%s%s%s: %s\n", x->root->name, code[0] ? " (" : "",
			       code, code[0] ? ")" : "", x->root->message ? x->root->message : "");
		if (x->root->summary)
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
		if (f->entry != e || f->input != input || ips_report_incidents_of(idx, i, &inc))
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

/* The loose groups with findings in this input, at the given severities. */
static size_t input_groups(const ips_results_t *res, const ips_report_index_t *idx,
			   const ips_report_group_t *groups, size_t ng, size_t input,
			   bool info, const ips_report_group_t **out)
{
	size_t n = 0;
	for (size_t g = 0; g < ng; g++) {
		bool here = false;
		ips_severity_t top = IPS_SEV_NONE;
		for (size_t i = groups[g].first; i < res->findings.len; i++) {
			const ips_finding_t *f = res->findings.items[i];
			const size_t *inc;
			if (f->entry != groups[g].entry || f->input != input ||
			    ips_report_incidents_of(idx, i, &inc))
				continue;
			here = true;
			if (f->severity > top)
				top = f->severity;
		}
		if (here && (top <= IPS_SEV_INFO) == info)
			out[n++] = &groups[g];
	}
	return n;
}

static ips_status_t write_junit(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
				const ips_report_opts_t *o)
{
	(void)rules;
	ips_report_index_t idx;
	ips_report_index_init(&idx, res);
	ips_report_group_t *groups;
	size_t ng = ips_report_loose_groups(res, &idx, &groups);
	const ips_report_group_t **mine = ips_xcalloc(ng ? ng : 1, sizeof *mine);
	size_t nin = res->inputs.len, failures = 0, errors = 0;

	/* count first: the counts are attributes of the opening tags */
	bool *failed = ips_xcalloc(nin ? nin : 1, sizeof *failed);
	for (size_t i = 0; i < nin; i++) {
		const ips_input_t *in = res->inputs.items[i];
		for (size_t k = 0; k < res->incidents.len && !failed[i]; k++)
			failed[i] = incident_touches(res, res->incidents.items[k], i);
		if (!failed[i])
			failed[i] = input_groups(res, &idx, groups, ng, i, false, mine) > 0;
		failures += failed[i];
		errors += in->status == IPS_INPUT_ERROR || in->status == IPS_INPUT_PARTIAL;
	}

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites name=\"ipsec-scan\" tests=\"%zu\" failures=\"%zu\" "
		"errors=\"%zu\" time=\"0\">\n", nin, failures, errors);
	fprintf(out, "  <testsuite name=\"ipsec-scan\" tests=\"%zu\" failures=\"%zu\" "
		"errors=\"%zu\" skipped=\"0\" time=\"0\">\n", nin, failures, errors);
	fputs("    <properties>\n      <property name=\"version\" value=\"", out);
	xa(out, o->version);
	fprintf(out, "\"/>\n      <property name=\"records\" value=\"%llu\"/>\n"
		"      <property name=\"findings\" value=\"%zu\"/>\n"
		"      <property name=\"incidents\" value=\"%zu\"/>\n    </properties>\n",
		(unsigned long long)res->records, res->findings.len, res->incidents.len);
	for (size_t i = 0; i < nin; i++) {
		const ips_input_t *in = res->inputs.items[i];
		fputs("    <testcase classname=\"", out);
		xa(out, in->format ? in->format : "unknown");
		fputs("\" name=\"", out);
		xa(out, in->path);
		fputs("\" time=\"0\">\n", out);
		if (in->status == IPS_INPUT_ERROR || in->status == IPS_INPUT_PARTIAL) {
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
		for (size_t k = 0; k < res->incidents.len; k++)
			if (incident_touches(res, res->incidents.items[k], i))
				incident_failure(out, res, res->incidents.items[k]);
		size_t n = input_groups(res, &idx, groups, ng, i, false, mine);
		for (size_t g = 0; g < n; g++)
			group_failure(out, res, &idx, mine[g], i);
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
		fputc('\n', out);
		n = input_groups(res, &idx, groups, ng, i, true, mine);
		for (size_t g = 0; g < n; g++) {
			fputs("info: ", out);
			xt(out, mine[g]->entry->name);
			fputs(": ", out);
			xt(out, mine[g]->entry->message);
			fputc('\n', out);
		}
		fputs("</system-out>\n    </testcase>\n", out);
	}
	fputs("  </testsuite>\n</testsuites>\n", out);
	free(failed);
	free(mine);
	free(groups);
	ips_report_index_free(&idx);
	return ips_report_stream_status(out);
}

const ips_reporter_ops_t ips_report_junit = {"junit", write_junit};
