/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_text.c - the human report: one block per condition found, most
 * severe first, with its meaning, the evidence lines (path:line, time,
 * peer) and what to do; then the inputs and a summary line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/report_util.h"

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"
#define C_RED "\033[31m"
#define C_BRED "\033[1;31m"
#define C_YEL "\033[33m"
#define C_CYAN "\033[36m"

typedef struct group {
	const ips_entry_t *entry;
	ips_severity_t severity;
	size_t first;   /* index of the first finding */
	size_t count;
} group_t;

static const char *sev_color(ips_severity_t s)
{
	switch (s) {
	case IPS_SEV_CRITICAL: return C_BRED;
	case IPS_SEV_ERROR: return C_RED;
	case IPS_SEV_WARNING: return C_YEL;
	default: return C_CYAN;
	}
}

static int cmp_group(const void *a, const void *b)
{
	const group_t *x = a, *y = b;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Print s cut to n bytes, escaped (report_util.h: ips_text_put). */
static void put_cut(FILE *out, const char *s, size_t n)
{
	ips_text_put(out, s, n);
}

/* A value from the inputs (a name, a field, an error): one line, escaped. */
static void put(FILE *out, const char *s)
{
	ips_text_put(out, s, SIZE_MAX);
}

static void upper_first(FILE *out, const char *s)
{
	if (*s >= 'a' && *s <= 'z') {
		fputc(*s - 32, out);
		s++;
	}
	fputs(s, out);
}

/*
 * A finding's record, what decides first (report_util.h): a Windows event's
 * message, then its error fields and the other fields, the envelope last
 * and dim; any other record as one line. Long parts are cut, the envelope
 * soonest.
 */
static void evidence_lines(FILE *out, const char *text, const char *reason, const char *D,
			   const char *R, bool *reason_shown)
{
	ips_report_evidence_t ev;
	ips_report_evidence_parts(text, &ev);
	if (ev.message) {
		fputs("      ", out);
		put_cut(out, ev.message, 300);
		fputc('\n', out);
	}
	if (ev.fields) {
		fputs("      ", out);
		put_cut(out, ev.fields, 400);
		fputc('\n', out);
		const char *at = reason ? strstr(ev.fields, reason) : NULL;
		*reason_shown = at && (size_t)(at - ev.fields) + strlen(reason) <= 400;
	}
	if (ev.envelope) {
		fprintf(out, "      %s", D);
		put_cut(out, ev.envelope, 160);
		fprintf(out, "%s\n", R);
	}
	ips_report_evidence_free(&ev);
}

/* "Summary: 2 incidents, 3 findings (3 error) in 10 records of 1 input; ..." */
static void summary_line(FILE *out, const ips_results_t *res, const char *B, const char *R)
{
	size_t nf = res->findings.len;
	size_t by[5] = {0};
	for (size_t i = 0; i < nf; i++)
		by[((const ips_finding_t *)res->findings.items[i])->severity]++;
	fprintf(out, "%sSummary:%s %zu incident%s, %zu finding%s", B, R, res->incidents.len,
		res->incidents.len == 1 ? "" : "s", nf, nf == 1 ? "" : "s");
	if (nf) {
		fputs(" (", out);
		bool first = true;
		for (int s = IPS_SEV_CRITICAL; s >= IPS_SEV_INFO; s--) {
			if (!by[s])
				continue;
			fprintf(out, "%s%zu %s", first ? "" : ", ", by[s],
				ips_severity_name((ips_severity_t)s));
			first = false;
		}
		fputc(')', out);
	}
	fprintf(out, " in %llu records of %zu input%s", (unsigned long long)res->records,
		res->inputs.len, res->inputs.len == 1 ? "" : "s");
	if (res->events_total)
		fprintf(out, "; %llu event%s (markers, starts, successes)",
			(unsigned long long)res->events_total, res->events_total == 1 ? "" : "s");
	if (res->filtered)
		fprintf(out, "; %llu filtered out", (unsigned long long)res->filtered);
	fputs(".\n", out);
}

/* More incidents than this: an overview first, one line per kind of incident. */
#define OVERVIEW_FROM 10
/* More inputs than this: counts and the inputs with problems (all: --verbose). */
#define INPUTS_LISTED 10

/*
 * The overview of a large run: incidents of the same fault class and root
 * cause on one line each (report_util.h: kinds), most severe first, then the
 * most frequent, with the number of the first such INCIDENT below.
 */
static void overview(FILE *out, const ips_results_t *res, const ips_report_opts_t *o,
		     const char *B, const char *R)
{
	static const char *const upper[] = {"NONE", "INFO", "WARNING", "ERROR", "CRITICAL"};
	ips_report_kind_t *l;
	size_t *of;
	size_t nl = ips_report_kinds(res, &l, &of);
	fprintf(out, "%sOverview:%s %zu incidents of %zu kinds, most severe and most frequent first "
		"(details: the INCIDENT named)\n", B, R, res->incidents.len, nl);
	for (size_t k = 0; k < nl; k++) {
		const char *sc = o->color ? sev_color(l[k].severity) : "";
		fprintf(out, "  %s%-8s%s %5zu  %s: %s", sc, upper[l[k].severity], R, l[k].incidents,
			l[k].cls, l[k].root ? l[k].root->name : "no failure followed");
		fprintf(out, " (%zu finding%s), see INCIDENT %zu\n", l[k].findings,
			l[k].findings == 1 ? "" : "s", l[k].first + 1);
	}
	fputc('\n', out);
	free(l);
	free(of);
}

static void input_line(FILE *out, const ips_input_t *in)
{
	fputs("  ", out);
	put(out, in->path);
	fprintf(out, "  %s, %llu records, %llu findings, %s", in->format ? in->format : "-",
		(unsigned long long)in->records, (unsigned long long)in->findings,
		ips_input_status_name(in->status));
	if (in->error) {
		fputs(": ", out);
		put(out, in->error);
	}
	if (in->note) {
		fputs(" (", out);
		put(out, in->note);
		fputc(')', out);
	}
	fputc('\n', out);
}

/*
 * The inputs: each of them for a few or with --verbose; for many, counts
 * (by status and by format) and then only the inputs with a problem.
 */
static void inputs_section(FILE *out, const ips_results_t *res, const ips_report_opts_t *o,
			   const char *B, const char *R)
{
	size_t n = res->inputs.len, trouble = 0, with_findings = 0, skipped = 0;
	char kind[64];
	for (size_t i = 0; i < n; i++) {
		const ips_input_t *in = res->inputs.items[i];
		if (ips_report_input_skipped(in, kind, sizeof kind))
			skipped++;
		else
			trouble += ips_report_input_has_problem(in);
		with_findings += in->findings > 0;
	}
	if (!trouble && n <= 1)
		return;
	if (o->verbose || n <= INPUTS_LISTED) {
		fprintf(out, "\n%sInputs:%s\n", B, R);
		for (size_t i = 0; i < n; i++)
			input_line(out, res->inputs.items[i]);
		return;
	}
	fprintf(out, "\n%sInputs:%s %zu, %zu with findings, %zu with a problem, %zu skipped as not logs "
		"(every input: --verbose)\n", B, R, n, with_findings, trouble, skipped);
	/* formats read and kinds skipped, most frequent first */
	char (*skind)[64] = ips_xcalloc(n, sizeof *skind);
	const char **fmt = ips_xcalloc(n, sizeof *fmt);
	size_t *cnt = ips_xcalloc(n, sizeof *cnt), nfmt = 0;
	bool *sk = ips_xcalloc(n, sizeof *sk);
	for (size_t i = 0; i < n; i++) {
		const ips_input_t *in = res->inputs.items[i];
		const char *f = in->format ? in->format : "-";
		bool skip = ips_report_input_skipped(in, skind[i], sizeof skind[i]);
		if (skip)
			f = skind[i];
		size_t k = 0;
		while (k < nfmt && strcmp(fmt[k], f))
			k++;
		if (k == nfmt) {
			sk[nfmt] = skip;
			fmt[nfmt++] = f;
		}
		cnt[k]++;
	}
	for (int pass = 0; pass < 2; pass++) { /* the formats read, then the kinds skipped */
		bool any = false;
		for (size_t shown = 0; shown < nfmt; shown++) {
			size_t best = SIZE_MAX;
			for (size_t k = 0; k < nfmt; k++) {
				if (cnt[k] && sk[k] == (pass == 1) && (best == SIZE_MAX || cnt[k] > cnt[best]))
					best = k;
			}
			if (best == SIZE_MAX)
				break;
			fprintf(out, "%s ", any ? "," : pass ? "  skipped:" : "  read as:");
			put(out, fmt[best]);
			fprintf(out, " %zu", cnt[best]);
			cnt[best] = 0;
			any = true;
		}
		if (any)
			fputc('\n', out);
	}
	free(fmt);
	free(cnt);
	free(skind);
	free(sk);
	if (trouble) {
		fputs("  with a problem:\n", out);
		for (size_t i = 0; i < n; i++)
			if (ips_report_input_has_problem(res->inputs.items[i]) &&
			    !ips_report_input_skipped(res->inputs.items[i], kind, sizeof kind)) {
				fputs("  ", out);
				input_line(out, res->inputs.items[i]);
			}
	}
}

static ips_status_t write_text_raw(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
				   const ips_report_opts_t *o)
{
	(void)rules;
	const char *B = o->color ? C_BOLD : "", *D = o->color ? C_DIM : "",
		   *R = o->color ? C_RESET : "";
	size_t nf = res->findings.len;
	group_t *groups = ips_xcalloc(nf ? nf : 1, sizeof *groups);
	size_t ng = 0;
	for (size_t i = 0; i < nf; i++) {
		const ips_finding_t *f = res->findings.items[i];
		size_t g = 0;
		while (g < ng && groups[g].entry != f->entry)
			g++;
		if (g == ng) {
			groups[ng].entry = f->entry;
			groups[ng].first = i;
			groups[ng].severity = f->severity;
			ng++;
		}
		groups[g].count++;
		if (f->severity > groups[g].severity)
			groups[g].severity = f->severity;
	}
	qsort(groups, ng, sizeof *groups, cmp_group);

	static const char *const upper[] = {"NONE", "INFO", "WARNING", "ERROR", "CRITICAL"};
	/* an input that could not be read is said first, on standard output too */
	size_t unread = 0;
	for (size_t i = 0; i < res->inputs.len; i++)
		unread += ((const ips_input_t *)res->inputs.items[i])->status == IPS_INPUT_ERROR;
	if (!nf && !res->incidents.len && unread)
		fprintf(out, "No IPsec/IKE errors found in what could be read; %zu input%s could not be read (see Inputs below).\n",
			unread, unread == 1 ? "" : "s");
	else if (!nf && !res->incidents.len)
		fprintf(out, "No IPsec/IKE errors found.\n");
	else if (unread)
		fprintf(out, "%zu input%s could not be read (see Inputs below).\n\n", unread,
			unread == 1 ? "" : "s");
	size_t ni = res->incidents.len;
	if (ni > OVERVIEW_FROM)
		overview(out, res, o, B, R);
	for (size_t xi = 0; xi < ni; xi++) {
		const ips_incident_t *x = res->incidents.items[xi];
		const char *sc = o->color ? sev_color(x->severity) : "";
		fprintf(out, "%s%sINCIDENT %zu of %zu%s  %s%s%s  %s", xi ? "\n" : "", B, xi + 1,
			ni, R, sc, upper[x->severity], R, B);
		put(out, x->title);
		fprintf(out, "%s\n", R);
		if (x->verdict) {
			char *vw = ips_report_verdict_words(res, x);
			fprintf(out, "  %sVerdict:%s ", B, R);
			put(out, vw);
			fputc('\n', out);
			free(vw);
			const ips_verdict_t *v = x->verdict;
			ips_report_fix_t fx[4];
			size_t nfx = ips_report_fixes(v, 2, 2, fx);
			for (size_t i = 0; i < nfx; i++)
				if (fx[i].kind == IPS_FIX_COLLECT)
					fprintf(out, "    Collect (%s): %s\n", fx[i].impl, fx[i].text);
				else
					fprintf(out, "    %s %s: %s\n",
						fx[i].kind == IPS_FIX_FIRST ? "Fix first" : "then", fx[i].impl,
						fx[i].text);
			if (v->ncollect > 2) /* the other implementations: in -f json */
				fprintf(out, "    (+%zu more ways to collect it: -f json)\n", v->ncollect - 2);
		}
		char t1[64], t2[64];
		ips_report_time(&x->first, t1, sizeof t1);
		ips_report_time(&x->last, t2, sizeof t2);
		fprintf(out, "  When: %s", t1);
		if (strcmp(t1, t2))
			fprintf(out, " .. %s", t2);
		fprintf(out, "   Kind: %s", ips_incident_kind_name(x->kind));
		for (size_t k = 0; k < x->nkey; k++)
		{
			fprintf(out, "%s%s=", k ? " " : "   Key: ", x->key[k].key);
			put(out, x->key[k].value);
		}
		fputc('\n', out);
		if (x->root) {
			const ips_entry_t *e = x->root;
			fprintf(out, "  %sRoot cause:%s %s", B, R, e->name);
			if (e->has_code)
				fprintf(out, " (%lld, %s)", (long long)e->code, e->hex ? e->hex : "");
			fprintf(out, ": %s\n", e->message ? e->message : "");
			if (e->summary && !ips_report_said_in(x->title, e->summary)) {
				fputs("    ", out);
				upper_first(out, e->summary);
				fputc('\n', out);
			}
		} else {
			const ips_input_t *in = res->inputs.items[x->input];
			fputs("  Started at ", out);
			put(out, in->path);
			fprintf(out, ":%llu; nothing followed it within the window.\n",
				(unsigned long long)x->line);
		}
		if (x->nfindings) {
			fprintf(out, "  %sEvidence:%s\n", B, R);
			for (size_t j = 0; j < x->nfindings && j < o->max_evidence; j++) {
				const ips_finding_t *f = res->findings.items[x->findings[j]];
				const ips_input_t *in = res->inputs.items[f->input];
				char t[64];
				ips_report_time(&f->time, t, sizeof t);
				fputs("    ", out);
				put(out, in->path);
				fprintf(out, ":%llu  %s  %s", (unsigned long long)f->line, t,
					f->entry->name);
				const char *keys[] = {"peer", "conn", "user", NULL};
				for (int k = 0; keys[k]; k++) {
					const char *v = ips_finding_field(f, keys[k]);
					if (v) {
						fprintf(out, "  %s=", keys[k]);
						put(out, v);
					}
				}
				fputc('\n', out);
				const char *reason = ips_finding_field(f, "reason");
				bool reason_shown = false;
				evidence_lines(out, f->text, reason, D, R, &reason_shown);
				const char *why = ips_finding_field(f, "mismatch");
				if (why) {
					fprintf(out, "      %sWhat differs:%s ", B, R);
					put(out, why);
					fputc('\n', out);
				}
				if (reason && !reason_shown) {
					fputs("      Reason given: ", out);
					put(out, reason);
					fputc('\n', out);
				}
			}
			if (x->nfindings > o->max_evidence)
				fprintf(out, "    (+%zu more)\n", x->nfindings - o->max_evidence);
		}
		if (x->root && x->root->resolve.len) {
			fprintf(out, "  %sWhat to do:%s\n", B, R);
			for (size_t i = 0; i < x->root->resolve.len && i < 3; i++)
				fprintf(out, "    %zu. %s\n", i + 1, x->root->resolve.items[i]);
		}
		if (x->root) {
			if (x->root->has_code)
				fprintf(out, "  More: ipsec-scan explain %lld\n", (long long)x->root->code);
			else
				fprintf(out, "  More: ipsec-scan explain %s\n", x->root->name);
		}
	}
	if (ng) {
		fprintf(out, "\n%sConditions found:%s\n", B, R);
		for (size_t g = 0; g < ng; g++) {
			const ips_entry_t *e = groups[g].entry;
			const char *sc = o->color ? sev_color(groups[g].severity) : "";
			fprintf(out, "  %s%-8s%s %5zu  %s", sc, upper[groups[g].severity], R,
				groups[g].count, e->name);
			if (e->has_code)
				fprintf(out, " (%lld)", (long long)e->code);
			for (size_t c = 0; c < e->cand_len; c++) /* a text several codes share */
				fprintf(out, "%s%lld", c ? " or " : " (ambiguous: ",
					(long long)e->cand[c]->code);
			if (e->cand_len)
				fputc(')', out);
			fputc('\n', out);
		}
	}
	free(groups);

	inputs_section(out, res, o, B, R);
	for (size_t i = 0; i < res->notes.len; i++) {
		fputs("note: ", out);
		put(out, res->notes.items[i]);
		fputc('\n', out);
	}

	fputc('\n', out);
	summary_line(out, res, B, R);
	return ips_report_stream_status(out);
}

/*
 * The text reports go to terminals: names and text from the inputs (a zip
 * member's name, a connection name a log line gave) must not carry escape
 * sequences there. Render into memory, then copy with every control
 * character but newline shown as '?', keeping only our own colour codes
 * (ESC [ digits m) when colour is on.
 */
static ips_status_t write_safe(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
			       const ips_report_opts_t *o,
			       ips_status_t (*fn)(FILE *, const ips_results_t *, const ips_rules_t *,
						  const ips_report_opts_t *))
{
	char *buf = NULL;
	size_t len = 0;
	ips_report_tz_t tz; /* times in the --output-tz zone (report_util.h) */
	ips_report_tz_enter(&tz, o);
	FILE *mem = open_memstream(&buf, &len);
	if (!mem) {
		ips_status_t st = fn(out, res, rules, o);
		ips_report_tz_leave(&tz);
		return st;
	}
	ips_status_t st = fn(mem, res, rules, o);
	ips_report_tz_leave(&tz);
	if (fclose(mem) != 0)
		st = IPS_E_NOMEM;
	size_t run = 0; /* escaped a run at a time (report_util.h), colours kept */
	for (size_t i = 0; i < len && buf; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == 0x1b && o->color && i + 1 < len && buf[i + 1] == '[') {
			size_t j = i + 2;
			while (j < len && ((buf[j] >= '0' && buf[j] <= '9') || buf[j] == ';'))
				j++;
			if (j < len && buf[j] == 'm') {
				ips_text_fwrite(out, buf + run, i - run, true);
				fwrite(buf + i, 1, j + 1 - i, out);
				i = j;
				run = j + 1;
				continue;
			}
		}
	}
	if (buf && run < len)
		ips_text_fwrite(out, buf + run, len - run, true);
	free(buf);
	if (st != IPS_OK)
		return st;
	return ips_report_stream_status(out);
}

static ips_status_t write_text(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
			       const ips_report_opts_t *o)
{
	return write_safe(out, res, rules, o, write_text_raw);
}

const ips_reporter_ops_t ips_report_text = {"text", write_text};

/*
 * --summary-only: for mail from cron. One line per incident (severity, first
 * time, title), then the summary line; nothing else.
 */
static ips_status_t write_summary_raw(FILE *out, const ips_results_t *res,
				      const ips_rules_t *rules, const ips_report_opts_t *o)
{
	(void)rules;
	static const char *const upper[] = {"NONE", "INFO", "WARNING", "ERROR", "CRITICAL"};
	const char *B = o->color ? C_BOLD : "", *R = o->color ? C_RESET : "";
	for (size_t i = 0; i < res->incidents.len; i++) {
		const ips_incident_t *x = res->incidents.items[i];
		const char *sc = o->color ? sev_color(x->severity) : "";
		char t[64];
		ips_report_time(&x->first, t, sizeof t);
		fprintf(out, "%s%-8s%s  %-20s  ", sc, upper[x->severity], R, t);
		put_cut(out, x->title, 400);
		fputc('\n', out);
	}
	summary_line(out, res, B, R);
	return ips_report_stream_status(out);
}

static ips_status_t write_summary(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
				  const ips_report_opts_t *o)
{
	return write_safe(out, res, rules, o, write_summary_raw);
}

const ips_reporter_ops_t ips_report_summary = {"summary", write_summary};
