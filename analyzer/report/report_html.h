/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_html.h - what the HTML report's two files share and nothing else
 * uses: report_html.c (the page) and report_html_timeline.c (its SVG
 * timeline). The writer itself is reached through report.h. Everything
 * here borrows its arguments for the call.
 */
#ifndef IPS_REPORT_HTML_H
#define IPS_REPORT_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "detect/results.h"
#include "report/report_util.h"

/* s HTML-escaped (control characters as spaces, bad UTF-8 as U+FFFD). */
void ips_html_h(FILE *out, const char *s);
/* The CSS classes of a mark or card: severity and fault class. */
void ips_html_class_of(char *buf, size_t n, ips_severity_t sev, const char *cls);
/* An incident's fault class, or its kind when it has no verdict. */
const char *ips_html_incident_class(const ips_incident_t *x);
/* Whether any finding of the incident had its year guessed. */
bool ips_html_incident_year_guessed(const ips_results_t *res, const ips_incident_t *x);
extern const char ips_html_guess_note[];
/* The timeline section: incidents and the groups of findings in no incident. */
void ips_html_timeline(FILE *out, const ips_results_t *res, const ips_report_index_t *idx,
		       const ips_report_group_t *groups, size_t ng);

#endif
