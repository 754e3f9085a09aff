/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the report formats (report_markdown, _html, _sarif, _junit,
 * _csv, _ndjson, report_json_incident, report_util): results built by hand
 * with findings, incidents (with and without findings, with and without
 * time) and an unreadable input, then each format checked for content,
 * escaping of hostile log text and structure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl_gen.h>
#include <yajl_tree.h>

#include "report/report.h"
#include "report/report_json.h"
#include "report/report_util.h"
#include "unit.h"

static ips_rules_t *rules;

static const char rules_yaml[] =
	"entries:\n"
	"  - {name: ERROR_IPSEC_IKE_AUTH_FAIL, code: 13801, hex: \"0x35E9\", source: winerror,\n"
	"     message: \"IKE authentication credentials are unacceptable\", severity: error,\n"
	"     category: authentication, summary: auth failed, causes: [wrong key],\n"
	"     diagnose: [look], resolve: [fix the key, \"run `certutil`\"]}\n"
	"  - {name: ERROR_IPSEC_IKE_NO_CERT, code: 13806, hex: \"0x35EE\", source: winerror,\n"
	"     message: \"IKE failed to find valid machine certificate\", severity: error,\n"
	"     category: certificate, summary: no cert, causes: [none enrolled],\n"
	"     diagnose: [certlm], resolve: [enroll a machine certificate]}\n"
	"  - name: STRONGSWAN_NO_PRIVATE_KEY\n"
	"    source: strongswan\n"
	"    message: \"charon has no usable private key\"\n"
	"    severity: critical\n"
	"    category: certificate\n"
	"    summary: \"no key, no AUTH\"\n"
	"    causes: [missing key file]\n"
	"    diagnose: [swanctl --list-certs]\n"
	"    resolve: [install the key]\n"
	"  - name: STRONGSWAN_DPD_NOTE\n"
	"    source: strongswan\n"
	"    message: \"a note\"\n"
	"    severity: info\n"
	"    category: timeout\n"
	"    summary: \"just so you know\"\n"
	"    causes: [c]\n"
	"    diagnose: [d]\n"
	"    resolve: [r]\n"
	"detectors:\n"
	"  - id: code\n"
	"    literals: [\"error \"]\n"
	"    regex: 'error (?<key>1\\d{4})'\n"
	"    lookup: key\n";

#define T0 1772697494 /* 2026-03-05T07:58:14Z */
#define HOSTILE "x <script>alert(1)</script> | `tick` & \"q\" **b** [l](javascript:x) \x1b[31m \xff end"

static int setup(void **state)
{
	(void)state;
	rules = ut_rules(false, "t.yaml", rules_yaml);
	return rules ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ips_rules_free(rules);
	return 0;
}

static const ips_entry_t *entry(const char *name)
{
	const ips_entry_t *e = ips_rules_by_name(rules, name);
	assert_non_null(e);
	return e;
}

static void add_input(ips_results_t *r, const char *path, ips_input_status_t st, const char *err)
{
	ips_input_t *in = ips_input_new(path, NULL);
	in->format = st == IPS_INPUT_ERROR ? NULL : "syslog";
	in->status = st;
	in->error = err ? ips_xstrdup(err) : NULL;
	in->records = st == IPS_INPUT_ERROR ? 0 : 20;
	in->bytes = st == IPS_INPUT_ERROR ? 0 : 2000;
	ips_vec_push(&r->inputs, in);
}

/* fields: "k1", "v1", "k2", "v2", ..., NULL */
static void add_finding(ips_results_t *r, const char *id, const char *name, ips_severity_t sev,
			size_t input, uint64_t line, int64_t t, const char *text, ...)
{
	ips_finding_t *f = ips_xcalloc(1, sizeof *f);
	snprintf(f->id, sizeof f->id, "%s", id);
	f->det = ips_rules_detector_at(rules, 0);
	f->entry = entry(name);
	f->severity = sev;
	f->input = input;
	f->line = line;
	f->offset = line * 100;
	if (t) {
		f->time.sec = t;
		f->time.valid = true;
	}
	f->host = ips_xstrdup("CLIENT01");
	f->text = ips_xstrdup(text);
	f->fields = ips_xcalloc(8, sizeof *f->fields);
	va_list ap;
	va_start(ap, text);
	const char *k;
	while ((k = va_arg(ap, const char *)) != NULL) {
		f->fields[f->nfields].key = ips_xstrdup(k);
		f->fields[f->nfields].value = ips_xstrdup(va_arg(ap, const char *));
		f->nfields++;
	}
	va_end(ap);
	((ips_input_t *)r->inputs.items[input])->findings++;
	ips_vec_push(&r->findings, f);
}

static ips_incident_t *add_incident(ips_results_t *r, const char *id, ips_incident_kind_t kind,
				    const char *title, ips_severity_t sev, const char *key,
				    const char *value)
{
	ips_incident_t *x = ips_xcalloc(1, sizeof *x);
	snprintf(x->id, sizeof x->id, "%s", id);
	x->correlation = "test-correlation";
	x->kind = kind;
	x->title = ips_xstrdup(title);
	x->severity = sev;
	x->key = ips_xcalloc(1, sizeof *x->key);
	x->key[0].key = ips_xstrdup(key);
	x->key[0].value = ips_xstrdup(value);
	x->nkey = 1;
	ips_vec_push(&r->incidents, x);
	return x;
}

/*
 * Inputs: a client log, an archive member, an unreadable file.
 * Findings 0-2 form incident A (root: finding 1, NO_CERT); finding 3 (info,
 * no time) and 4 are in no incident. Incident B is an unanswered start with
 * a time and no finding; incident C an unterminated one with no time.
 */
static ips_results_t *make_results(void)
{
	ips_results_t *r = ips_results_new();
	add_input(r, "logs/client.log", IPS_INPUT_OK, NULL);
	add_input(r, "my bundle.zip!var/log/charon#1.log", IPS_INPUT_OK, NULL);
	add_input(r, "/abs/missing <x>.log", IPS_INPUT_ERROR, "cannot open: No such file or directory");
	add_finding(r, "00000000000000f0", "ERROR_IPSEC_IKE_AUTH_FAIL", IPS_SEV_ERROR, 0, 2, T0,
		    HOSTILE, "peer", "192.0.2.1", "user", "=HYPERLINK(\"x\")", NULL);
	add_finding(r, "00000000000000f1", "ERROR_IPSEC_IKE_NO_CERT", IPS_SEV_ERROR, 0, 5, T0 - 2,
		    "IKEEXT: ERROR_IPSEC_IKE_NO_CERT", NULL);
	add_finding(r, "00000000000000f2", "STRONGSWAN_NO_PRIVATE_KEY", IPS_SEV_CRITICAL, 1, 7,
		    T0 + 10, "charon: no private key found", "peer", "192.0.2.1", "conn", "home",
		    NULL);
	add_finding(r, "00000000000000f3", "STRONGSWAN_DPD_NOTE", IPS_SEV_INFO, 1, 9, 0,
		    "-dpd note", NULL);
	add_finding(r, "00000000000000f4", "ERROR_IPSEC_IKE_AUTH_FAIL", IPS_SEV_WARNING, 0, 11,
		    T0 + 600, "+later auth failure", "conn", "@home", NULL);
	r->records = 40;

	ips_incident_t *a = add_incident(r, "00000000000000a1", IPS_INC_GROUP,
					 "Auth failure <b>for</b> peer 192.0.2.1",
					 IPS_SEV_CRITICAL, "peer", "192.0.2.1");
	a->findings = ips_xcalloc(3, sizeof *a->findings);
	a->findings[0] = 1;
	a->findings[1] = 0;
	a->findings[2] = 2;
	a->nfindings = 3;
	a->root = entry("ERROR_IPSEC_IKE_NO_CERT");
	a->codes = ips_xcalloc(3, sizeof *a->codes);
	a->codes[0] = entry("ERROR_IPSEC_IKE_NO_CERT");
	a->codes[1] = entry("ERROR_IPSEC_IKE_AUTH_FAIL");
	a->codes[2] = entry("STRONGSWAN_NO_PRIVATE_KEY");
	a->ncodes = 3;
	a->first.sec = T0 - 2;
	a->first.valid = true;
	a->last.sec = T0 + 10;
	a->last.valid = true;

	ips_incident_t *b = add_incident(r, "00000000000000b2", IPS_INC_UNANSWERED,
					 "Dial started, no outcome", IPS_SEV_WARNING, "conn", "home");
	b->input = 1;
	b->line = 3;
	b->first.sec = b->last.sec = T0 + 100;
	b->first.valid = b->last.valid = true;

	ips_incident_t *c = add_incident(r, "00000000000000c3", IPS_INC_UNTERMINATED,
					 "Negotiation began and never ended", IPS_SEV_WARNING,
					 "peer", "198.51.100.7 [x](javascript:y)");
	c->input = 0;
	c->line = 1;
	return r;
}

static char *render(const char *format, const ips_results_t *r)
{
	const ips_reporter_ops_t *rep = ips_reporter_by_name(format);
	assert_non_null(rep);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	ips_report_opts_t o = {.version = "9.9.9", .max_evidence = 5};
	assert_int_equal(rep->write(out, r, rules, &o), IPS_OK);
	fclose(out);
	/* deterministic: a second rendering is the same bytes */
	char *again = NULL;
	size_t len2 = 0;
	out = open_memstream(&again, &len2);
	assert_int_equal(rep->write(out, r, rules, &o), IPS_OK);
	fclose(out);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, again, len);
	free(again);
	return buf;
}

static void contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("missing: %s", needle);
}

static void lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("must not contain: %s", needle);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* ---- report_util --------------------------------------------------------- */

static void test_util_index_and_groups(void **state)
{
	(void)state;
	ips_results_t *r = make_results();
	ips_report_index_t idx;
	ips_report_index_init(&idx, r);
	const size_t *inc;
	assert_int_equal(ips_report_incidents_of(&idx, 0, &inc), 1);
	assert_int_equal(inc[0], 0);
	assert_int_equal(ips_report_incidents_of(&idx, 3, &inc), 0);
	assert_int_equal(idx.loose, 2);
	ips_report_group_t *g;
	size_t ng = ips_report_loose_groups(r, &idx, &g);
	assert_int_equal(ng, 2);
	assert_string_equal(g[0].entry->name, "ERROR_IPSEC_IKE_AUTH_FAIL"); /* warning before info */
	assert_int_equal(g[0].first, 4);
	free(g);
	ips_report_index_free(&idx);
	ips_results_free(r);
}

static void test_util_utf8(void **state)
{
	(void)state;
	uint32_t cp;
	assert_int_equal(ips_utf8_decode("\xC3\xA9", 2, &cp), 2);
	assert_int_equal(cp, 0xE9);
	assert_int_equal(ips_utf8_decode("\xC0\xAF", 2, &cp), 1); /* overlong */
	assert_int_equal(cp, 0xFFFD);
	assert_int_equal(ips_utf8_decode("\xED\xA0\x80", 3, &cp), 1); /* surrogate */
	assert_int_equal(ips_utf8_decode("\xE2\x82", 2, &cp), 1);     /* cut short */
	assert_true(ips_utf8_valid("caf\xC3\xA9"));
	assert_false(ips_utf8_valid("a\xFF" "b"));
	char *s = ips_utf8_sanitize("a\xFF" "b");
	assert_string_equal(s, "a\xEF\xBF\xBD" "b");
	free(s);
	/* cut at a character boundary: "é" is two bytes */
	assert_int_equal(ips_utf8_cut("a\xC3\xA9", 3, 2), 1);
	assert_int_equal(ips_utf8_cut("abc", 3, 5), 3);

	/* a character split across two pieces of output survives the stream writer */
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	ips_utf8_stream_t st = {.out = out};
	ips_utf8_stream_write(&st, "x\xE2\x82", 3);
	ips_utf8_stream_write(&st, "\xAC y \xFF", 5);
	ips_utf8_stream_write(&st, "\xC3", 1);
	ips_utf8_stream_flush(&st);
	fclose(out);
	assert_string_equal(buf, "x\xE2\x82\xAC y \xEF\xBF\xBD\xEF\xBF\xBD");
	free(buf);
}

/* ---- JSON incident object and NDJSON --------------------------------------- */

static void test_json_incident(void **state)
{
	(void)state;
	ips_results_t *r = make_results();
	yajl_gen g = yajl_gen_alloc(NULL);
	ips_json_incident(g, r, r->incidents.items[0]);
	const unsigned char *buf;
	size_t len;
	yajl_gen_get_buf(g, &buf, &len);
	char *s = ips_xstrndup((const char *)buf, len);
	yajl_gen_free(g);
	char err[256];
	yajl_val v = yajl_tree_parse(s, err, sizeof err);
	assert_non_null(v);
	const char *p_id[] = {"id", NULL}, *p_kind[] = {"kind", NULL}, *p_codes[] = {"codes", NULL},
		   *p_f[] = {"findings", NULL}, *p_root[] = {"root_cause", NULL},
		   *p_rem[] = {"remediation", NULL}, *p_key[] = {"key", "peer", NULL},
		   *p_first[] = {"first", NULL}, *p_sev[] = {"severity", NULL},
		   *p_corr[] = {"correlation", NULL}, *p_title[] = {"title", NULL},
		   *p_last[] = {"last", NULL};
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_id, yajl_t_string)), "00000000000000a1");
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_kind, yajl_t_string)), "group");
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_corr, yajl_t_string)), "test-correlation");
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_key, yajl_t_string)), "192.0.2.1");
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_first, yajl_t_string)), "2026-03-05T07:58:12Z");
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_last, yajl_t_string)), "2026-03-05T07:58:24Z");
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_sev, yajl_t_string)), "critical");
	assert_non_null(yajl_tree_get(v, p_title, yajl_t_string));
	/* codes: numbers, and the name where the code is null */
	yajl_val codes = yajl_tree_get(v, p_codes, yajl_t_array);
	assert_int_equal(YAJL_GET_ARRAY(codes)->len, 3);
	assert_int_equal(YAJL_GET_INTEGER(YAJL_GET_ARRAY(codes)->values[0]), 13806);
	assert_string_equal(YAJL_GET_STRING(YAJL_GET_ARRAY(codes)->values[2]), "STRONGSWAN_NO_PRIVATE_KEY");
	yajl_val f = yajl_tree_get(v, p_f, yajl_t_array);
	assert_int_equal(YAJL_GET_ARRAY(f)->len, 3);
	assert_string_equal(YAJL_GET_STRING(YAJL_GET_ARRAY(f)->values[0]), "00000000000000f1");
	assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(v, p_root, yajl_t_number)), 13806);
	yajl_val rem = yajl_tree_get(v, p_rem, yajl_t_array);
	assert_int_equal(YAJL_GET_ARRAY(rem)->len, 1);
	assert_string_equal(YAJL_GET_STRING(YAJL_GET_ARRAY(rem)->values[0]), "enroll a machine certificate");
	yajl_tree_free(v);
	free(s);

	/* an incident with no finding: root_cause null, no time */
	g = yajl_gen_alloc(NULL);
	ips_json_incident(g, r, r->incidents.items[2]);
	yajl_gen_get_buf(g, &buf, &len);
	s = ips_xstrndup((const char *)buf, len);
	yajl_gen_free(g);
	contains(s, "\"root_cause\":null");
	contains(s, "\"first\":null");
	contains(s, "\"findings\":[]");
	contains(s, "\"path\":\"logs/client.log\",\"line\":1");
	free(s);
	ips_results_free(r);
}

static void test_ndjson(void **state)
{
	(void)state;
	ips_results_t *r = make_results();
	char *s = render("ndjson", r);
	/* 3 inputs, 5 findings, 3 incidents, 1 summary, in that order */
	const char *want[] = {"input", "input", "input", "finding", "finding", "finding",
			      "finding", "finding", "incident", "incident", "incident", "summary"};
	size_t n = 0;
	for (char *line = s, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1, n++) {
		*nl = '\0';
		char err[256];
		yajl_val v = yajl_tree_parse(line, err, sizeof err);
		if (!v)
			fail_msg("line %zu is not JSON: %s", n + 1, err);
		const char *p[] = {"type", NULL};
		assert_true(n < sizeof want / sizeof *want);
		assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p, yajl_t_string)), want[n]);
		yajl_tree_free(v);
		/* malformed UTF-8 from the log is written as U+FFFD */
		assert_true(ips_utf8_valid(line));
	}
	assert_int_equal(n, sizeof want / sizeof *want);
	free(s);
	ips_results_free(r);
}

/* ---- CSV ------------------------------------------------------------------ */

static void test_csv(void **state)
{
	(void)state;
	ips_results_t *r = make_results();
	char *s = render("csv", r);
	assert_int_equal(count(s, "\r\n"), 6); /* header + 5 findings */
	static const char header[] = "id,time,severity,code,name,path,line,host,peer,local,conn,"
				     "user,incident,message,text\r\n";
	assert_true(strncmp(s, header, sizeof header - 1) == 0);
	/* formula guard on user, conn and text; RFC 4180 quote doubling */
	contains(s, ",\"'=HYPERLINK(\"\"x\"\")\",");
	contains(s, ",\"'@home\",");
	contains(s, ",\"'-dpd note\"\r\n");
	contains(s, ",\"'+later auth failure\"\r\n");
	/* the incident column; empty for a finding in no incident */
	contains(s, "00000000000000f0,2026-03-05T07:58:14Z,error,13801,ERROR_IPSEC_IKE_AUTH_FAIL,"
		    "logs/client.log,2,CLIENT01,192.0.2.1,,,");
	contains(s, ",00000000000000a1,IKE authentication credentials are unacceptable,");
	contains(s, "00000000000000f3,,info,,STRONGSWAN_DPD_NOTE,");
	/* no terminal escape, no malformed UTF-8 */
	lacks(s, "\x1b");
	assert_true(ips_utf8_valid(s));
	free(s);
	ips_results_free(r);
}

/* ---- Markdown --------------------------------------------------------------- */

static void test_markdown(void **state)
{
	(void)state;
	ips_results_t *r = make_results();
	char *s = render("markdown", r);
	/* incidents first, then loose findings, inputs with problems, summary */
	char *inc = strstr(s, "## Incidents"), *loose = strstr(s, "## Findings not in any incident"),
	     *inputs = strstr(s, "## Inputs with problems"), *sum = strstr(s, "## Summary");
	assert_true(inc && loose && inputs && sum && inc < loose && loose < inputs && inputs < sum);
	contains(s, "### 1. Auth failure \\<b\\>for\\</b\\> peer 192.0.2.1 (CRITICAL)");
	contains(s, "- **Key:** peer=192.0.2.1");
	contains(s, "- **Span:** 2026-03-05T07:58:12Z to 2026-03-05T07:58:24Z (12 s)");
	contains(s, "- **Root cause:** `ERROR_IPSEC_IKE_NO_CERT` (13806, 0x35EE): IKE failed");
	contains(s, "| Where | Time | Name | Text |");
	contains(s, "| logs/client.log:5 | 2026-03-05T07:58:12Z | `ERROR_IPSEC_IKE_NO_CERT` |");
	contains(s, "**Remediation**\n\n1. enroll a machine certificate\n");
	/* the hostile record sits in a code span; its | is escaped for the table */
	contains(s, "``x <script>alert(1)</script> \\| `tick` & \"q\" **b** [l](javascript:x)");
	lacks(s, "\x1b");
	assert_true(ips_utf8_valid(s));
	/* archive member paths are escaped text */
	contains(s, "my bundle.zip!var/log/charon\\#1.log:7");
	/* incidents without findings say where they start */
	contains(s, "none found in the logs; it starts at my bundle.zip!var/log/charon\\#1.log:3");
	contains(s, "- **Span:** no time known");
	contains(s, "- **Key:** peer=198.51.100.7 \\[x\\](javascript:y)\n");
	contains(s, "### `ERROR_IPSEC_IKE_AUTH_FAIL` (13801, 0x35E9): warning, 1 finding");
	contains(s, "| /abs/missing \\<x\\>.log | - | error | 0 | cannot open: No such file or directory |");
	contains(s, "- Findings: 5 (1 critical, 2 error, 1 warning, 1 info)\n- Incidents: 3\n");
	free(s);
	ips_results_free(r);
}

/* ---- HTML ------------------------------------------------------------------- */

static void test_html(void **state)
{
	(void)state;
	ips_results_t *r = make_results();
	char *s = render("html", r);
	assert_true(strncmp(s, "<!DOCTYPE html>", 15) == 0);
	contains(s, "</html>\n");
	/* inert: no script element, nothing loaded, a policy that forbids both */
	lacks(s, "<script");
	lacks(s, "src=");
	lacks(s, "href=\"http");
	contains(s, "default-src 'none'");
	contains(s, "x &lt;script&gt;alert(1)&lt;/script&gt; | `tick` &amp; &quot;q&quot;");
	contains(s, "Auth failure &lt;b&gt;for&lt;/b&gt; peer 192.0.2.1");
	lacks(s, "\x1b");
	assert_true(ips_utf8_valid(s));
	/* the timeline: lanes per input (findings come from two), one bar per timed
	 * incident linking to its details, one per condition and lane for findings in
	 * no incident; no mark per finding */
	contains(s, "<svg class=\"timeline\"");
	contains(s, ">logs/client.log</text>");
	contains(s, "<title>my bundle.zip!var/log/charon#1.log</title>");
	contains(s, "<a href=\"#i1\" class=\"s4 c-group\"><rect");
	contains(s, "<a href=\"#i2\" class=\"s2 c-unanswered\"><rect");
	assert_int_equal(count(s, "<a href=\"#i"), 2); /* incident C has no time */
	assert_int_equal(count(s, "<a href=\"#g"), 1); /* the warning has a time, the info not */
	lacks(s, "<circle");
	contains(s, "1 incident without a time is not drawn.");
	/* filters by severity and fault class: checkboxes and CSS, no script */
	contains(s, "<input type=\"checkbox\" id=\"f-s4\" checked hidden>");
	contains(s, "#f-c-group:not(:checked)~.page .c-group{display:none}");
	contains(s, "<label for=\"f-c-unterminated\">unterminated (1)</label>");
	/* sections: incidents with root cause, evidence, remediation */
	contains(s, "<section class=\"incident s4 c-group\" id=\"i1\"");
	contains(s, "<h4>Remediation</h4>\n<ol>\n<li>enroll a machine certificate</li>");
	contains(s, "<li>run <code>certutil</code></li>");
	/* a path wraps after a '/' only */
	contains(s, "<tr class=\"problem\"><td class=\"where\">/<wbr>abs/<wbr>missing &lt;x&gt;.log</td>");
	free(s);
	ips_results_free(r);
}

/* ---- shared pieces: evidence order, guessed years, sentences said twice -------- */

static void test_report_util(void **state)
{
	(void)state;
	ips_report_evidence_t ev;
	/* a Windows event: message first, error fields then the others, envelope last */
	ips_report_evidence_parts("Provider=RasClient\tEventID=20227\tKeywords=0x80\tUserName=bob\t"
				  "ErrorCode=809\tMessage=The connection failed.\n\tError: 809", &ev);
	assert_string_equal(ev.message, "The connection failed. Error: 809");
	assert_string_equal(ev.fields, "ErrorCode=809 UserName=bob");
	assert_string_equal(ev.envelope, "Provider=RasClient EventID=20227 Keywords=0x80");
	ips_report_evidence_free(&ev);
	/* any other record: all message, even with a few key=value words in it */
	ips_report_evidence_parts("Mar  1 10:00:00 gw charon: a=b\tc=d", &ev);
	assert_string_equal(ev.message, "Mar 1 10:00:00 gw charon: a=b c=d");
	assert_null(ev.fields);
	assert_null(ev.envelope);
	ips_report_evidence_free(&ev);

	ips_finding_t f = {.time = {.sec = T0, .valid = true}};
	f.text = (char *)"Mar  1 10:00:00 gw charon: x";
	assert_true(ips_report_year_guessed(&f));
	f.text = (char *)"<30>Nov 23 00:58:33 west charon: x";
	assert_true(ips_report_year_guessed(&f));
	f.text = (char *)"17 Aug 04:14:35 gw x";
	assert_true(ips_report_year_guessed(&f));
	f.text = (char *)"Apr 27 2020 02:03:03 dev01: %ASA-4-750003";
	assert_false(ips_report_year_guessed(&f));
	f.text = (char *)"2026-03-05T07:58:14Z CLIENT01 x";
	assert_false(ips_report_year_guessed(&f));
	f.time.valid = false;
	f.text = (char *)"Mar  1 10:00:00 gw charon: x";
	assert_false(ips_report_year_guessed(&f));

	assert_true(ips_report_said_in("psk-mismatch: X in a.log: Keys differ", "Keys differ."));
	assert_false(ips_report_said_in("psk-mismatch: X in a.log: Keys differ", "Keys differ a lot."));
}

/* ---- JUnit ------------------------------------------------------------------ */

static void test_junit(void **state)
{
	(void)state;
	ips_results_t *r = make_results();
	char *s = render("junit", r);
	/* one failed case per incident (A, B, C), one for the loose warning, one with the
	 * error of the missing input; every input has a failed case, so none passes */
	contains(s, "<testsuites name=\"ipsec-scan\" tests=\"5\" failures=\"4\" errors=\"1\" time=\"12.000\">");
	contains(s, "<testsuite name=\"ipsec-scan\" tests=\"5\" failures=\"4\" errors=\"1\" skipped=\"0\"");
	assert_int_equal(count(s, "<testcase "), 5);
	/* classname: the incident's first input; name: its title; time: its span */
	contains(s, "<testcase classname=\"logs/client.log\" name=\"Auth failure &lt;b&gt;for&lt;/b&gt; peer 192.0.2.1\" time=\"12.000\">");
	contains(s, "<testcase classname=\"my bundle.zip!var/log/charon#1.log\" name=\"Dial started, no outcome\" time=\"0.000\">");
	contains(s, "<testcase classname=\"/abs/missing &lt;x&gt;.log\" name=\"read the input\" time=\"0.000\">");
	lacks(s, "name=\"no incident\"");
	contains(s, "<error message=\"cannot open: No such file or directory\" type=\"unreadable\">");
	contains(s, "<failure message=\"Auth failure &lt;b&gt;for&lt;/b&gt; peer 192.0.2.1\" type=\"critical\">");
	contains(s, "<failure message=\"Dial started, no outcome\" type=\"warning\">");
	contains(s, "<failure message=\"ERROR_IPSEC_IKE_AUTH_FAIL: 1 finding\" type=\"warning\">");
	assert_int_equal(count(s, "<failure "), 4); /* at most one per case */
	/* the evidence with path:line */
	contains(s, "  my bundle.zip!var/log/charon#1.log:7  ");
	contains(s, "Root cause: ERROR_IPSEC_IKE_NO_CERT (13806, 0x35EE): IKE failed");
	contains(s, "What to do:\n  1. enroll a machine certificate\n");
	contains(s, "x &lt;script&gt;alert(1)&lt;/script&gt;");
	/* the info finding goes to the suite's system-out, not to a failure */
	contains(s, "info: STRONGSWAN_DPD_NOTE: a note (1 finding, first at ");
	/* nothing XML 1.0 forbids */
	lacks(s, "\x1b");
	assert_true(ips_utf8_valid(s));
	free(s);
	ips_results_free(r);
}

/* ---- SARIF ------------------------------------------------------------------ */

static yajl_val at(yajl_val v, const char **path, yajl_type t)
{
	yajl_val x = yajl_tree_get(v, path, t);
	if (!x)
		fail_msg("no %s", path[0]);
	return x;
}

static void test_sarif(void **state)
{
	(void)state;
	ips_results_t *r = make_results();
	char *s = render("sarif", r);
	assert_true(ips_utf8_valid(s));
	char err[256];
	yajl_val v = yajl_tree_parse(s, err, sizeof err);
	if (!v)
		fail_msg("not JSON: %s", err);
	const char *p_ver[] = {"version", NULL}, *p_runs[] = {"runs", NULL};
	assert_string_equal(YAJL_GET_STRING(at(v, p_ver, yajl_t_string)), "2.1.0");
	yajl_val runs = at(v, p_runs, yajl_t_array);
	assert_int_equal(YAJL_GET_ARRAY(runs)->len, 1);
	yajl_val run = YAJL_GET_ARRAY(runs)->values[0];
	const char *p_rules[] = {"tool", "driver", "rules", NULL},
		   *p_name[] = {"tool", "driver", "name", NULL}, *p_res[] = {"results", NULL},
		   *p_art[] = {"artifacts", NULL},
		   *p_ok[] = {"invocations", NULL};
	assert_string_equal(YAJL_GET_STRING(at(run, p_name, yajl_t_string)), "ipsec-scan");
	/* rules: the 4 entries with findings, by name, then the kinds of finding-less incidents */
	yajl_val rl = at(run, p_rules, yajl_t_array);
	const char *ids[] = {"ERROR_IPSEC_IKE_AUTH_FAIL", "ERROR_IPSEC_IKE_NO_CERT",
			     "STRONGSWAN_DPD_NOTE", "STRONGSWAN_NO_PRIVATE_KEY",
			     "incident-unterminated", "incident-unanswered"};
	assert_int_equal(YAJL_GET_ARRAY(rl)->len, 6);
	for (size_t i = 0; i < 6; i++) {
		const char *p_id[] = {"id", NULL};
		assert_string_equal(YAJL_GET_STRING(at(YAJL_GET_ARRAY(rl)->values[i], p_id,
						       yajl_t_string)), ids[i]);
	}
	const char *p_sd[] = {"shortDescription", "text", NULL},
		   *p_fd[] = {"fullDescription", "text", NULL}, *p_ht[] = {"help", "text", NULL},
		   *p_hm[] = {"help", "markdown", NULL}, *p_cat[] = {"properties", "category", NULL},
		   *p_code[] = {"properties", "code", NULL};
	yajl_val r0 = YAJL_GET_ARRAY(rl)->values[0];
	assert_string_equal(YAJL_GET_STRING(at(r0, p_sd, yajl_t_string)),
			    "IKE authentication credentials are unacceptable");
	assert_string_equal(YAJL_GET_STRING(at(r0, p_fd, yajl_t_string)), "auth failed");
	contains(YAJL_GET_STRING(at(r0, p_ht, yajl_t_string)),
		 "Likely causes:\n- wrong key\n\nHow to diagnose:\n- look\n\nHow to resolve:\n1. fix the key\n");
	contains(YAJL_GET_STRING(at(r0, p_hm, yajl_t_string)), "**How to resolve**\n\n1. fix the key\n2. run `certutil`\n");
	assert_string_equal(YAJL_GET_STRING(at(r0, p_cat, yajl_t_string)), "authentication");
	assert_int_equal(YAJL_GET_INTEGER(at(r0, p_code, yajl_t_number)), 13801);

	/* artifacts: URI references (spaces and # percent-encoded, ! kept, absolute -> file:) */
	yajl_val art = at(run, p_art, yajl_t_array);
	const char *p_uri[] = {"location", "uri", NULL};
	assert_string_equal(YAJL_GET_STRING(at(YAJL_GET_ARRAY(art)->values[1], p_uri, yajl_t_string)),
			    "my%20bundle.zip!var/log/charon%231.log");
	assert_string_equal(YAJL_GET_STRING(at(YAJL_GET_ARRAY(art)->values[2], p_uri, yajl_t_string)),
			    "file:///abs/missing%20%3Cx%3E.log");
	/* the unreadable input is a failed execution with a notification */
	yajl_val inv = YAJL_GET_ARRAY(at(run, p_ok, yajl_t_array))->values[0];
	const char *p_succ[] = {"executionSuccessful", NULL};
	assert_true(YAJL_IS_FALSE(yajl_tree_get(inv, p_succ, yajl_t_any)));
	contains(s, "\"text\": \"cannot open: No such file or directory\"");

	/* results: 5 findings + 2 incidents without findings */
	yajl_val res = at(run, p_res, yajl_t_array);
	assert_int_equal(YAJL_GET_ARRAY(res)->len, 7);
	const char *p_rid[] = {"ruleId", NULL}, *p_lvl[] = {"level", NULL},
		   *p_ridx[] = {"ruleIndex", NULL}, *p_fp[] = {"partialFingerprints", "ipsecScanFindingId/v1", NULL},
		   *p_msg[] = {"message", "text", NULL}, *p_rel[] = {"relatedLocations", NULL},
		   *p_flow[] = {"codeFlows", NULL}, *p_pinc[] = {"properties", "incidents", NULL};
	const char *levels[] = {"error", "error", "error", "note", "warning", "warning", "warning"};
	for (size_t i = 0; i < 7; i++) {
		yajl_val x = YAJL_GET_ARRAY(res)->values[i];
		assert_string_equal(YAJL_GET_STRING(at(x, p_lvl, yajl_t_string)), levels[i]);
		size_t ri = (size_t)YAJL_GET_INTEGER(at(x, p_ridx, yajl_t_number));
		const char *p_id[] = {"id", NULL};
		assert_string_equal(YAJL_GET_STRING(at(x, p_rid, yajl_t_string)),
				    YAJL_GET_STRING(at(YAJL_GET_ARRAY(rl)->values[ri], p_id, yajl_t_string)));
	}
	yajl_val f0 = YAJL_GET_ARRAY(res)->values[0], f1 = YAJL_GET_ARRAY(res)->values[1],
		 f2 = YAJL_GET_ARRAY(res)->values[2];
	assert_string_equal(YAJL_GET_STRING(at(f0, p_fp, yajl_t_string)), "00000000000000f0");
	contains(YAJL_GET_STRING(at(f0, p_msg, yajl_t_string)),
		 "IKE authentication credentials are unacceptable. (ERROR_IPSEC_IKE_AUTH_FAIL, "
		 "peer=192.0.2.1, user==HYPERLINK(\"x\"), host=CLIENT01) Incident 00000000000000a1: "
		 "Auth failure <b>for</b> peer 192.0.2.1 (root cause [ERROR_IPSEC_IKE_NO_CERT](0)).");
	contains(YAJL_GET_STRING(at(f1, p_msg, yajl_t_string)), "(this is its root cause).");
	/* the root cause (finding 1) has the incident's flow in time order; the others point at it */
	assert_null(yajl_tree_get(f1, p_rel, yajl_t_array));
	yajl_val flows = at(f1, p_flow, yajl_t_array);
	assert_int_equal(YAJL_GET_ARRAY(flows)->len, 1);
	const char *p_tfl[] = {"threadFlows", NULL};
	yajl_val tf = YAJL_GET_ARRAY(at(YAJL_GET_ARRAY(flows)->values[0], p_tfl, yajl_t_array))->values[0];
	const char *p_locs[] = {"locations", NULL};
	yajl_val steps = at(tf, p_locs, yajl_t_array);
	assert_int_equal(YAJL_GET_ARRAY(steps)->len, 3);
	const char *p_line[] = {"location", "physicalLocation", "region", "startLine", NULL};
	assert_int_equal(YAJL_GET_INTEGER(at(YAJL_GET_ARRAY(steps)->values[0], p_line, yajl_t_number)), 5);
	assert_int_equal(YAJL_GET_INTEGER(at(YAJL_GET_ARRAY(steps)->values[1], p_line, yajl_t_number)), 2);
	assert_int_equal(YAJL_GET_INTEGER(at(YAJL_GET_ARRAY(steps)->values[2], p_line, yajl_t_number)), 7);
	yajl_val rel = at(f2, p_rel, yajl_t_array);
	const char *p_rline[] = {"physicalLocation", "region", "startLine", NULL},
		   *p_ruri[] = {"physicalLocation", "artifactLocation", "uri", NULL};
	assert_int_equal(YAJL_GET_INTEGER(at(YAJL_GET_ARRAY(rel)->values[0], p_rline, yajl_t_number)), 5);
	assert_string_equal(YAJL_GET_STRING(at(YAJL_GET_ARRAY(rel)->values[0], p_ruri, yajl_t_string)),
			    "logs/client.log");
	/* every finding of an incident says so; the root knows it is the root */
	yajl_val pi = at(f1, p_pinc, yajl_t_array);
	const char *p_root[] = {"root", NULL};
	assert_true(YAJL_IS_TRUE(yajl_tree_get(YAJL_GET_ARRAY(pi)->values[0], p_root, yajl_t_any)));
	/* the archive member's results use its percent-encoded URI and start line */
	const char *p_loc_uri[] = {"locations", NULL};
	yajl_val l2 = YAJL_GET_ARRAY(at(f2, p_loc_uri, yajl_t_array))->values[0];
	assert_string_equal(YAJL_GET_STRING(at(l2, p_ruri, yajl_t_string)),
			    "my%20bundle.zip!var/log/charon%231.log");
	/* incidents without findings: a result at their start, fingerprinted by incident id */
	yajl_val ub = YAJL_GET_ARRAY(res)->values[5];
	assert_string_equal(YAJL_GET_STRING(at(ub, p_rid, yajl_t_string)), "incident-unanswered");
	const char *p_ifp[] = {"partialFingerprints", "ipsecScanIncidentId/v1", NULL};
	assert_string_equal(YAJL_GET_STRING(at(ub, p_ifp, yajl_t_string)), "00000000000000b2");
	/* log text cannot plant an embedded link in a message (SARIF 3.11.6) */
	yajl_val uc = YAJL_GET_ARRAY(res)->values[6];
	assert_string_equal(YAJL_GET_STRING(at(uc, p_msg, yajl_t_string)),
			    "Negotiation began and never ended (peer=198.51.100.7 \\[x\\](javascript:y)) "
			    "Incident 00000000000000c3.");
	/* run.properties carries the JSON report's incident objects */
	const char *p_rpi[] = {"properties", "incidents", NULL};
	assert_int_equal(YAJL_GET_ARRAY(at(run, p_rpi, yajl_t_array))->len, 3);
	yajl_tree_free(v);
	free(s);
	ips_results_free(r);
}

/* ---- empty results: every format still writes a whole document -------------- */

static void test_empty(void **state)
{
	(void)state;
	ips_results_t *r = ips_results_new();
	add_input(r, "quiet.log", IPS_INPUT_OK, NULL);
	const char *formats[] = {"markdown", "html", "sarif", "junit", "csv", "ndjson"};
	for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
		char *s = render(formats[i], r);
		assert_true(strlen(s) > 0);
		if (!strcmp(formats[i], "markdown"))
			contains(s, "No IPsec/IKE errors found.");
		if (!strcmp(formats[i], "html"))
			contains(s, "No IPsec/IKE errors found.");
		if (!strcmp(formats[i], "junit"))
			contains(s, "tests=\"1\" failures=\"0\" errors=\"0\"");
		if (!strcmp(formats[i], "csv"))
			assert_int_equal(count(s, "\r\n"), 1);
		if (!strcmp(formats[i], "sarif"))
			contains(s, "\"results\": [\n\n      ]");
		free(s);
	}
	ips_results_free(r);
}

static void test_registry(void **state)
{
	(void)state;
	const char *formats[] = {"text", "json", "ndjson", "sarif", "junit", "markdown", "html", "csv"};
	for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
		assert_non_null(ips_reporter_by_name(formats[i]));
		contains(ips_reporter_names(), formats[i]);
	}
	assert_null(ips_reporter_by_name("pdf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_util_index_and_groups),
		cmocka_unit_test(test_util_utf8),
		cmocka_unit_test(test_json_incident),
		cmocka_unit_test(test_ndjson),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_sarif),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_report_util),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
