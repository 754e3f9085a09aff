/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_csv.c - one row per finding, for spreadsheets and quick scripts.
 *
 * RFC 4180: a header row, CRLF line ends, a field quoted when it holds a
 * comma, a double quote, CR or LF (quotes doubled). Log text is untrusted:
 * a field that starts with = + - @ TAB or CR gets a leading apostrophe so a
 * spreadsheet shows it as text instead of running it as a formula (OWASP's
 * advice on CSV injection); other control characters become spaces (a
 * terminal escape in a log stays inert in `cat report.csv`), and malformed
 * UTF-8 becomes U+FFFD.
 */
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/report_util.h"

static void cell(FILE *out, const char *s, bool last)
{
	if (!s)
		s = "";
	char *clean = NULL;
	if (!ips_utf8_valid(s))
		s = clean = ips_utf8_sanitize(s);
	bool guard = *s && strchr("=+-@\t\r", *s);
	bool quote = guard || strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', out);
	if (guard)
		fputc('\'', out);
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t k = ips_utf8_decode(s + i, len - i, &cp);
		if (cp == '"')
			fputc('"', out);
		/* no control characters (terminal escapes, C1 too) but line ends, which are quoted */
		if (ips_cp_is_control(cp) && cp != '\r' && cp != '\n')
			fputc(' ', out);
		else
			fwrite(s + i, 1, k, out);
		i += k;
	}
	if (quote)
		fputc('"', out);
	fputs(last ? "\r\n" : ",", out);
	free(clean);
}

static ips_status_t write_csv(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
			      const ips_report_opts_t *o)
{
	(void)rules;
	(void)o;
	ips_report_index_t idx;
	ips_report_index_init(&idx, res);
	fputs("id,time,severity,code,name,path,line,host,peer,local,conn,user,incident,message,"
	      "text\r\n", out);
	for (size_t i = 0; i < res->findings.len; i++) {
		const ips_finding_t *f = res->findings.items[i];
		const ips_input_t *in = res->inputs.items[f->input];
		char t[64] = "", code[32] = "", line[32];
		if (f->time.valid)
			ips_time_format(&f->time, t, sizeof t);
		if (f->entry->has_code)
			snprintf(code, sizeof code, "%lld", (long long)f->entry->code);
		snprintf(line, sizeof line, "%llu", (unsigned long long)f->line);
		const char *host = f->host ? f->host : ips_finding_field(f, "host");
		ips_buf_t incs;
		ips_buf_init(&incs, 1024 * 1024);
		const size_t *inc;
		size_t n = ips_report_incidents_of(&idx, i, &inc);
		for (size_t k = 0; k < n; k++)
			ips_buf_printf(&incs, "%s%s", k ? " " : "",
				       ((const ips_incident_t *)res->incidents.items[inc[k]])->id);
		cell(out, f->id, false);
		cell(out, t, false);
		cell(out, ips_severity_name(f->severity), false);
		cell(out, code, false);
		cell(out, f->entry->name, false);
		cell(out, in->path, false);
		cell(out, line, false);
		cell(out, host, false);
		cell(out, ips_finding_field(f, "peer"), false);
		cell(out, ips_finding_field(f, "local"), false);
		cell(out, ips_finding_field(f, "conn"), false);
		cell(out, ips_finding_field(f, "user"), false);
		cell(out, incs.data ? incs.data : "", false);
		cell(out, f->entry->message, false);
		cell(out, f->text, true);
		ips_buf_free(&incs);
	}
	ips_report_index_free(&idx);
	return ips_report_stream_status(out);
}

const ips_reporter_ops_t ips_report_csv = {"csv", write_csv};
