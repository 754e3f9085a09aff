/* SPDX-License-Identifier: Apache-2.0 */
/* report.c - the reporter registry (see report.h). */
#include "report/report.h"

#include <errno.h>
#include <string.h>

extern const ips_reporter_ops_t ips_report_text, ips_report_json, ips_report_ndjson,
	ips_report_sarif, ips_report_junit, ips_report_markdown, ips_report_html, ips_report_csv,
	ips_report_github, ips_report_codequality;

static const ips_reporter_ops_t *const reporters[] = {
	&ips_report_text, &ips_report_json, &ips_report_ndjson, &ips_report_sarif,
	&ips_report_junit, &ips_report_markdown, &ips_report_html, &ips_report_csv,
	&ips_report_github, &ips_report_codequality, NULL};

const ips_reporter_ops_t *ips_reporter_by_name(const char *name)
{
	for (int i = 0; reporters[i]; i++)
		if (strcmp(reporters[i]->name, name) == 0)
			return reporters[i];
	return NULL;
}

const char *ips_reporter_names(void)
{
	return "text, json, ndjson, sarif, junit, markdown, html, csv, github, codequality";
}

ips_status_t ips_report_stream_status(FILE *out)
{
	errno = 0;
	if (fflush(out) != 0 || ferror(out))
		return errno == EPIPE ? IPS_E_PIPE : IPS_E_OUTPUT;
	return IPS_OK;
}
