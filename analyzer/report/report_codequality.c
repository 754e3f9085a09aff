/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_codequality.c - GitLab Code Quality: a JSON array of issues, one
 * per incident and one per finding outside every incident.
 *
 * Each issue has the fields GitLab reads: description, check_name,
 * fingerprint, severity, location.path and location.lines.begin (plus
 * "type": "issue" and "categories", which the Code Climate format that
 * GitLab's is drawn from asks for).
 *   - check_name: the root cause's condition name (ERROR_IPSEC_IKE_AUTH_FAIL,
 *     ASA_PSK_MISMATCH), or incident-unanswered / incident-unterminated for
 *     an incident without a failure record;
 *   - fingerprint: the incident's id, or the finding's id: both are stable
 *     for the same logs across runs and hosts, so GitLab can tell new
 *     issues from old ones;
 *   - severity: info -> info, warning -> minor, error -> major,
 *     critical -> critical ("blocker" is never used);
 *   - location.path: the input relative to the working directory where it
 *     is under it (GitLab links paths of the repository), else as named.
 */
#include <stdlib.h>
#include <string.h>
#include <yajl_gen.h>

#include "report/report.h"
#include "report/report_json.h"
#include "report/report_util.h"

static const char *cq_severity(ips_severity_t s)
{
	switch (s) {
	case IPS_SEV_CRITICAL: return "critical";
	case IPS_SEV_ERROR: return "major";
	case IPS_SEV_WARNING: return "minor";
	default: return "info";
	}
}

static void issue(yajl_gen g, const ips_results_t *res, const char *check, const char *desc,
		  const char *fingerprint, ips_severity_t sev, size_t input, uint64_t line)
{
	yajl_gen_map_open(g);
	ips_json_kstr(g, "type", "issue");
	ips_json_kstr(g, "check_name", check);
	ips_json_kstr(g, "description", desc);
	ips_json_key(g, "categories");
	yajl_gen_array_open(g);
	ips_json_str(g, "Bug Risk");
	yajl_gen_array_close(g);
	ips_json_kstr(g, "fingerprint", fingerprint);
	ips_json_kstr(g, "severity", cq_severity(sev));
	ips_json_key(g, "location");
	yajl_gen_map_open(g);
	char *path = ips_report_rel_path(input < res->inputs.len ?
					 ((const ips_input_t *)res->inputs.items[input])->path : "?",
					 NULL);
	ips_json_kstr(g, "path", path);
	free(path);
	ips_json_key(g, "lines");
	yajl_gen_map_open(g);
	ips_json_kint(g, "begin", line >= 1 ? (long long)line : 1);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static const char *const kind_check[] = {
	[IPS_INC_NEGOTIATION] = "incident-negotiation",
	[IPS_INC_UNTERMINATED] = "incident-unterminated",
	[IPS_INC_PAIR] = "incident-pair",
	[IPS_INC_UNANSWERED] = "incident-unanswered",
	[IPS_INC_THRESHOLD] = "incident-threshold",
	[IPS_INC_GROUP] = "incident-group",
};

static ips_status_t write_codequality(FILE *out, const ips_results_t *res,
				      const ips_rules_t *rules, const ips_report_opts_t *o)
{
	(void)rules;
	(void)o;
	ips_report_index_t idx;
	ips_report_index_init(&idx, res);
	ips_utf8_stream_t us = {.out = out};
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	yajl_gen_config(g, yajl_gen_print_callback, ips_utf8_stream_write, &us);
	yajl_gen_array_open(g);
	ips_buf_t b;
	ips_buf_init(&b, 256 * 1024);
	for (size_t i = 0; i < res->incidents.len; i++) {
		const ips_incident_t *x = res->incidents.items[i];
		size_t input;
		uint64_t line;
		ips_report_incident_where(res, x, &input, &line);
		ips_buf_reset(&b);
		ips_buf_printf(&b, "%s", x->title ? x->title : ips_incident_kind_name(x->kind));
		if (x->root && x->root->resolve.len)
			ips_buf_printf(&b, " What to do first: %s", x->root->resolve.items[0]);
		issue(g, res,
		      x->root ? x->root->name : kind_check[x->kind <= IPS_INC_GROUP ? x->kind : IPS_INC_GROUP],
		      b.data, x->id, x->severity, input, line);
	}
	for (size_t i = 0; i < res->findings.len; i++) {
		const size_t *inc;
		if (ips_report_incidents_of(&idx, i, &inc))
			continue;
		const ips_finding_t *f = res->findings.items[i];
		const ips_entry_t *e = f->entry;
		ips_buf_reset(&b);
		ips_buf_printf(&b, "%s", e->message ? e->message : e->summary ? e->summary : e->name);
		if (e->resolve.len)
			ips_buf_printf(&b, " What to do first: %s", e->resolve.items[0]);
		issue(g, res, e->name, b.data, f->id, f->severity, f->input, f->line);
	}
	ips_buf_free(&b);
	yajl_gen_array_close(g);
	yajl_gen_free(g);
	ips_utf8_stream_flush(&us);
	fputc('\n', out);
	ips_report_index_free(&idx);
	return ips_report_stream_status(out);
}

const ips_reporter_ops_t ips_report_codequality = {"codequality", write_codequality};
