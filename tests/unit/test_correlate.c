/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for correlate.c, through the scanner: windows, brackets, pairs,
 * thresholds, joining across files, the bound on open windows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "correlate/correlate.h"
#include "detect/scan.h"
#include "run/batch.h"
#include "run/state.h"
#include "unit.h"

static const char rules_yaml[] =
	"entries:\n"
	"  - {name: ERROR_IPSEC_IKE_NEG_STATUS_BEGIN, code: 13800, hex: \"0x35E8\", source: winerror,\n"
	"     message: \"ERROR_IPSEC_IKE_NEG_STATUS_BEGIN\", marker: begin, severity: info, category: marker, summary: s}\n"
	"  - {name: ERROR_IPSEC_IKE_NEG_STATUS_END, code: 13897, hex: \"0x3649\", source: winerror,\n"
	"     message: \"ERROR_IPSEC_IKE_NEG_STATUS_END\", marker: end, severity: info, category: marker, summary: s}\n"
	"  - {name: ERROR_IPSEC_IKE_AUTH_FAIL, code: 13801, hex: \"0x35E9\", source: winerror, message: m1,\n"
	"     severity: error, category: authentication, summary: s, causes: [a], diagnose: [b], resolve: [fix auth]}\n"
	"  - {name: ERROR_IPSEC_IKE_NO_CERT, code: 13806, hex: \"0x35EE\", source: winerror, message: m2,\n"
	"     severity: error, category: certificate, summary: s, causes: [a], diagnose: [b], resolve: [fix cert]}\n"
	"  - {name: ERROR_VPN_TIMEOUT, code: 809, hex: \"0x0329\", source: raserror, message: m3,\n"
	"     severity: error, category: timeout, summary: s, causes: [a], diagnose: [b], resolve: [c]}\n"
	"  - {name: T_START, source: other, message: m, severity: info, category: sa-lifecycle, summary: s, event: true}\n"
	"  - {name: T_UP, source: other, message: m, severity: info, category: sa-lifecycle, summary: s, event: true}\n"
	"detectors:\n"
	"  - {id: code, literals: [\"code \"], regex: 'code (?<key>\\d+)', lookup: key}\n"
	"  - {id: start, literals: [\"start \"], regex: 'start (?<conn>\\w+)', name: T_START}\n"
	"  - {id: up, literals: [\"up \"], regex: 'up (?<conn>\\w+)', name: T_UP}\n"
	"extractors:\n"
	"  - {id: peer, regex: 'peer=(?<peer>[0-9.]+)'}\n"
	"  - {id: local, regex: 'local=(?<local>[0-9.]+)'}\n"
	"  - {id: conn, regex: 'conn=(?<conn>\\w+)'}\n"
	"correlations:\n"
	"  - {id: neg, kind: negotiation, codes: \"13800-13909\", key: [peer, conn], window: 120}\n"
	"  - {id: pair, kind: pair, start: [T_START], success: [T_UP], key: [conn], window: 120}\n"
	"  - {id: thr, kind: threshold, count: 5, window: 600}\n"
	"  - {id: grp, kind: group, gap: 300, skew: 120}\n";

static ips_rules_t *rules;
static char dir[] = "/tmp/ips-test-corr-XXXXXX";

static int setup(void **state)
{
	(void)state;
	ut_utc();
	rules = ut_rules(false, "t.yaml", rules_yaml);
	return rules ? ut_mkdtemp(dir) : -1;
}

static int teardown(void **state)
{
	(void)state;
	ips_rules_free(rules);
	return ut_rmtree(dir);
}

static const char *file(const char *name, const char *text)
{
	return ut_write_file(dir, name, text);
}

static ips_results_t *scan(const char *a, const char *b)
{
	ips_scan_opts_t o;
	ips_scan_opts_default(&o);
	o.year = 2026;
	ips_results_t *res = ips_results_new();
	ips_batch_t *s = ips_batch_new(rules, &o, res);
	ips_batch_scan_path(s, a);
	if (b)
		ips_batch_scan_path(s, b);
	ips_batch_finish(s);
	ips_batch_free(s);
	return res;
}

static ips_incident_t *inc(ips_results_t *r, size_t i)
{
	assert_true(i < r->incidents.len);
	return r->incidents.items[i];
}

static const char *root_name(ips_incident_t *x)
{
	return x->root ? x->root->name : "-";
}

static void bracket_with_root_cause_and_span(void **state)
{
	(void)state;
	ips_results_t *r = scan(file("b.log",
		"2026-03-05T07:58:10Z h x: peer=1.2.3.4 code 13800\n"
		"2026-03-05T07:58:11Z h x: peer=1.2.3.4 code 13801\n"
		"2026-03-05T07:58:12Z h x: peer=1.2.3.4 code 13806\n"
		"2026-03-05T07:58:20Z h x: peer=1.2.3.4 code 13897\n"), NULL);
	assert_int_equal(r->incidents.len, 1);
	ips_incident_t *x = inc(r, 0);
	assert_int_equal(x->kind, IPS_INC_NEGOTIATION);
	assert_string_equal(root_name(x), "ERROR_IPSEC_IKE_NO_CERT"); /* certificate explains auth */
	assert_int_equal(x->nfindings, 2);
	char t[64];
	ips_time_format(&x->first, t, sizeof t);
	assert_string_equal(t, "2026-03-05T07:58:10Z"); /* BEGIN */
	ips_time_format(&x->last, t, sizeof t);
	assert_string_equal(t, "2026-03-05T07:58:20Z"); /* END */
	assert_int_equal(x->severity, IPS_SEV_ERROR);
	ips_results_free(r);
}

static void begin_without_end(void **state)
{
	(void)state;
	ips_results_t *r = scan(file("u.log",
		"2026-03-05T07:58:10Z h x: peer=1.2.3.4 code 13800\n"
		"2026-03-05T08:30:00Z h x: peer=5.6.7.8 code 13800\n"
		"2026-03-05T08:30:01Z h x: peer=5.6.7.8 code 13897\n"), NULL);
	assert_int_equal(r->incidents.len, 1);
	ips_incident_t *x = inc(r, 0);
	assert_int_equal(x->kind, IPS_INC_UNTERMINATED);
	assert_int_equal(x->nfindings, 0);
	assert_null(x->root);
	assert_int_equal(x->line, 1);
	assert_int_equal(x->severity, IPS_SEV_WARNING);
	ips_results_free(r);
}

static void pairs(void **state)
{
	(void)state;
	ips_results_t *r = scan(file("p.log",
		"2026-03-05T07:00:00Z h x: start site\n"
		"2026-03-05T07:00:05Z h x: up site\n"          /* fine: nothing */
		"2026-03-05T07:10:00Z h x: start site\n"
		"2026-03-05T07:10:30Z h x: conn=site code 809\n" /* a failed attempt */
		"2026-03-05T07:20:00Z h x: start other\n"       /* no outcome at all */
		"2026-03-05T07:40:00Z h x: start last\n"), NULL); /* log ends: undecided */
	assert_int_equal(r->incidents.len, 2);
	assert_int_equal(inc(r, 0)->kind, IPS_INC_PAIR);
	assert_string_equal(root_name(inc(r, 0)), "ERROR_VPN_TIMEOUT");
	assert_int_equal(inc(r, 1)->kind, IPS_INC_UNANSWERED);
	ips_results_free(r);
}

/* A start again before any outcome is a retry (INVALID_KE, a restart): the
 * window starts over; one with failures keeps them (the attempt goes on) and
 * is their pair when it ends without success; then a key with nothing at
 * all is unanswered. */
static void pair_retry(void **state)
{
	(void)state;
	ips_results_t *r = scan(file("retry.log",
		"2026-03-05T07:00:00Z h x: start site\n"
		"2026-03-05T07:00:01Z h x: start site\n"          /* a retry: nothing */
		"2026-03-05T07:00:02Z h x: up site\n"
		"2026-03-05T07:10:00Z h x: start site\n"
		"2026-03-05T07:10:01Z h x: conn=site code 809\n"  /* failed attempt */
		"2026-03-05T07:10:30Z h x: start site\n"          /* a retry: keeps it */
		"2026-03-05T07:10:31Z h x: start site\n"          /* again */
		"2026-03-05T07:40:00Z h x: start other\n"         /* site's attempt failed */
		"2026-03-05T08:40:00Z h x: start last\n"), NULL); /* log ends: undecided */
	assert_int_equal(r->incidents.len, 2);
	assert_int_equal(inc(r, 0)->kind, IPS_INC_PAIR);
	assert_int_equal(inc(r, 0)->nfindings, 1);
	assert_non_null(inc(r, 0)->verdict);
	assert_int_equal(inc(r, 1)->kind, IPS_INC_UNANSWERED);
	assert_int_equal(inc(r, 1)->line, 8);
	assert_string_equal(inc(r, 1)->verdict->cls, "peer-unreachable");
	ips_results_free(r);
}

/*
 * Verdicts: with a class table, findings whose classes have nothing in
 * common never join (a PSK mismatch and a missing certificate of one peer
 * four minutes apart), a finding that names several classes joins the one
 * that narrows it and the narrower one is the root cause, whatever the
 * order of the two files.
 */
static void verdict_classes_never_merge(void **state)
{
	(void)state;
	char *yaml = ips_xasprintf("%s%s", rules_yaml,
		"  - id: verdict-classes\n"
		"    kind: verdict\n"
		"    ERROR_IPSEC_IKE_AUTH_FAIL: [psk-mismatch, cert-missing, side=peer]\n"
		"    ERROR_IPSEC_IKE_NO_CERT: [cert-missing]\n"
		"    timeout: [peer-unreachable, any, side=path]\n");
	ips_rules_t *saved = rules;
	rules = ut_rules(false, "v.yaml", yaml);
	free(yaml);
	assert_non_null(rules);
	/* alone, the notify is its likeliest class, refused by the peer */
	ips_results_t *r = scan(file("v1.log", "2026-03-05T07:00:00Z h x: peer=1.2.3.4 code 13801\n"), NULL);
	assert_int_equal(r->incidents.len, 1);
	assert_string_equal(inc(r, 0)->verdict->cls, "psk-mismatch");
	assert_string_equal(inc(r, 0)->verdict->refused_by.side, "peer");
	assert_string_equal(inc(r, 0)->verdict->refused_by.host, "1.2.3.4");
	assert_true(inc(r, 0)->verdict->ncollect > 0);
	ips_results_free(r);
	/* a missing certificate narrows it: one incident, the certificate first */
	const char *a = file("va.log", "2026-03-05T07:00:00Z h x: peer=1.2.3.4 code 13801\n");
	const char *b = file("vb.log", "2026-03-05T07:00:01Z g y: peer=1.2.3.4 code 13806\n");
	for (int order = 0; order < 2; order++) {
		r = order ? scan(b, a) : scan(a, b);
		assert_int_equal(r->incidents.len, 1);
		assert_string_equal(root_name(inc(r, 0)), "ERROR_IPSEC_IKE_NO_CERT");
		assert_string_equal(inc(r, 0)->verdict->cls, "cert-missing");
		assert_string_equal(inc(r, 0)->verdict->refused_by.side, "local");
		assert_int_equal(inc(r, 0)->verdict->nevidence, 2);
		ips_results_free(r);
	}
	/* a certificate failure after a PSK failure: two incidents; a timeout
	 * in between goes with either */
	r = scan(file("v2.log",
		"2026-03-05T07:00:00Z h x: peer=1.2.3.4 code 13806\n"
		"2026-03-05T07:02:00Z h x: peer=1.2.3.4 code 809\n"
		"2026-03-05T07:04:00Z h x: peer=1.2.3.4 conn=a code 13801\n"), NULL);
	assert_int_equal(r->incidents.len, 1); /* 13801 also fits cert-missing */
	ips_results_free(r);
	ips_rules_free(rules);
	rules = ut_rules(false, "v.yaml", "correlations:\n  - id: verdict-classes\n    kind: verdict\n"
				       "    ERROR_IPSEC_IKE_AUTH_FAIL: [psk-mismatch]\n");
	assert_null(rules); /* entries of another file are unknown here: lint error */
	yaml = ips_xasprintf("%s%s", rules_yaml,
		"  - id: verdict-classes\n"
		"    kind: verdict\n"
		"    ERROR_IPSEC_IKE_AUTH_FAIL: [psk-mismatch]\n"
		"    ERROR_IPSEC_IKE_NO_CERT: [cert-missing]\n");
	rules = ut_rules(false, "v.yaml", yaml);
	free(yaml);
	r = scan(file("v3.log",
		"2026-03-05T07:00:00Z h x: peer=1.2.3.4 code 13806\n"
		"2026-03-05T07:04:00Z h x: peer=1.2.3.4 code 13801\n"), NULL);
	assert_int_equal(r->incidents.len, 2);
	assert_string_equal(inc(r, 0)->verdict->cls, "cert-missing");
	assert_string_equal(inc(r, 1)->verdict->cls, "psk-mismatch");
	ips_results_free(r);
	/* a failure, a retry of the same attempt, then success: recovered, at
	 * info, and the run's highest severity follows the incident */
	r = scan(file("v4.log",
		"2026-03-05T07:00:00Z h x: start site\n"
		"2026-03-05T07:00:01Z h x: conn=site code 13801\n"
		"2026-03-05T07:00:02Z h x: start site\n"
		"2026-03-05T07:00:03Z h x: up site\n"), NULL);
	assert_int_equal(r->incidents.len, 1);
	assert_string_equal(inc(r, 0)->verdict->cls, "recovered");
	assert_int_equal(inc(r, 0)->severity, IPS_SEV_INFO);
	assert_int_equal(ips_results_max_severity(r), IPS_SEV_INFO);
	ips_results_free(r);
	/* the same without success: the failure is the attempt's outcome */
	r = scan(file("v5.log",
		"2026-03-05T07:00:00Z h x: start site\n"
		"2026-03-05T07:00:01Z h x: conn=site code 13801\n"
		"2026-03-05T07:00:02Z h x: start site\n"
		"2026-03-05T07:09:00Z h x: start other\n"), NULL);
	assert_int_equal(inc(r, 0)->kind, IPS_INC_PAIR);
	assert_string_equal(inc(r, 0)->verdict->cls, "psk-mismatch");
	assert_int_equal(inc(r, 0)->severity, IPS_SEV_ERROR);
	ips_results_free(r);
	ips_rules_free(rules);
	rules = saved;
}

/* Three incidents: a threshold (6), a group (4), a single finding. */
static void threshold_text(char *buf, size_t n)
{
	buf[0] = '\0';
	for (int i = 0; i < 6; i++) /* 6 auth failures 90 s apart: over the threshold */
		snprintf(buf + strlen(buf), n - strlen(buf),
			 "2026-03-05T07:%02d:%02dZ h x: peer=9.9.9.9 code 13801\n", i * 3 / 2,
			 i % 2 ? 30 : 0);
	/* 4 more 4 minutes apart: one incident by the gap, under the threshold */
	for (int i = 0; i < 4; i++)
		snprintf(buf + strlen(buf), n - strlen(buf),
			 "2026-03-05T08:%02d:00Z h x: peer=8.8.8.8 code 13801\n", i * 4);
	/* the same peer again 2 hours later: a new incident */
	snprintf(buf + strlen(buf), n - strlen(buf), "2026-03-05T09:30:00Z h x: peer=9.9.9.9 code 13801\n");
}

static void threshold_and_gap(void **state)
{
	(void)state;
	char buf[4096];
	threshold_text(buf, sizeof buf);
	ips_results_t *r = scan(file("t.log", buf), NULL);
	assert_int_equal(r->incidents.len, 3);
	assert_int_equal(inc(r, 0)->kind, IPS_INC_THRESHOLD);
	assert_int_equal(inc(r, 0)->nfindings, 6);
	assert_non_null(strstr(inc(r, 0)->title, "ERROR_IPSEC_IKE_AUTH_FAIL 6 times"));
	assert_int_equal(inc(r, 1)->kind, IPS_INC_GROUP);
	assert_int_equal(inc(r, 1)->nfindings, 4);
	assert_int_equal(inc(r, 2)->nfindings, 1);
	ips_results_free(r);
}

static void two_files_one_attempt(void **state)
{
	(void)state;
	/* the client sees local=10.0.0.5 peer=203.0.113.45; the gateway the reverse,
	 * with its clock 60 s ahead; either order of the files gives one incident */
	const char *client = file("client.log",
		"2026-03-05T07:58:14Z c x: local=10.0.0.5 peer=203.0.113.45 code 809\n");
	const char *gw = file("gw.log",
		"2026-03-05T07:59:14Z g x: local=203.0.113.45 peer=10.0.0.5 code 13806\n");
	for (int order = 0; order < 2; order++) {
		ips_results_t *r = order ? scan(gw, client) : scan(client, gw);
		assert_int_equal(r->incidents.len, 1);
		ips_incident_t *x = inc(r, 0);
		assert_int_equal(x->nfindings, 2);
		/* the RAS client code is the symptom; the gateway's certificate error the cause */
		assert_string_equal(root_name(x), "ERROR_IPSEC_IKE_NO_CERT");
		ips_results_free(r);
	}
}

static void open_windows_are_bounded(void **state)
{
	(void)state;
	/* 20000 BEGINs for distinct peers within one second: the correlator keeps
	 * at most its fixed number of open windows and still reports every one */
	char path[600];
	snprintf(path, sizeof path, "%s/many.log", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 20000; i++)
		fprintf(f, "2026-03-05T07:58:10Z h x: peer=10.%d.%d.1 code 13800\n", i / 256, i % 256);
	fclose(f);
	ips_results_t *r = scan(path, NULL);
	assert_int_equal(r->incidents.len, 20000);
	for (size_t i = 0; i < r->incidents.len; i++)
		assert_int_equal(inc(r, i)->kind, IPS_INC_UNTERMINATED);
	ips_results_free(r);
}

static void deterministic_ids(void **state)
{
	(void)state;
	const char *p = file("d.log", "2026-03-05T07:58:11Z h x: peer=1.2.3.4 code 13801\n");
	ips_results_t *a = scan(p, NULL), *b = scan(p, NULL);
	assert_string_equal(inc(a, 0)->id, inc(b, 0)->id);
	assert_string_equal(inc(a, 0)->title, inc(b, 0)->title);
	ips_results_free(a);
	ips_results_free(b);
}

/* Cron mode: one run over path with the state st (kept in memory between runs). */
static ips_results_t *cron_run(ips_state_t *st, const char *path)
{
	ips_scan_opts_t o;
	ips_scan_opts_default(&o);
	o.year = 2026;
	ips_results_t *res = ips_results_new();
	ips_batch_t *s = ips_batch_new(rules, &o, res);
	ips_batch_set_state(s, st, 1);
	ips_batch_scan_path(s, path);
	ips_batch_finish(s);
	ips_batch_free(s);
	return res;
}

static void append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static ips_state_t *fresh_state(void)
{
	char sp[600], *err = NULL;
	snprintf(sp, sizeof sp, "%s/state", dir);
	unlink(sp);
	ips_state_t *st = ips_state_open(sp, &err);
	assert_non_null(st);
	return st;
}

static void bracket_across_runs(void **state)
{
	(void)state;
	ips_state_t *st = fresh_state();
	const char *p = file("c1.log",
		"2026-03-05T07:58:10Z h x: peer=1.2.3.4 code 13800\n"
		"2026-03-05T07:58:11Z h x: peer=1.2.3.4 code 13806\n");
	/* run 1: the BEGIN's window is open when the log ends: saved, not reported */
	ips_results_t *r = cron_run(st, p);
	assert_int_equal(r->findings.len, 1);
	assert_int_equal(r->incidents.len, 1);
	assert_int_equal(inc(r, 0)->kind, IPS_INC_GROUP); /* its finding, as an ordinary one */
	assert_int_equal(st->windows.len, 1);
	ips_state_window_t *w = st->windows.items[0];
	assert_string_equal(w->corr, "neg");
	assert_int_equal(w->type, 0);
	assert_string_equal(w->key, "peer=1.2.3.4");
	assert_true(w->start_valid && w->line == 1);
	ips_results_free(r);
	/* run 2: the END closes the BEGIN of run 1 around this run's failure */
	append(p, "2026-03-05T07:58:12Z h x: peer=1.2.3.4 code 13801\n"
		  "2026-03-05T07:58:20Z h x: peer=1.2.3.4 code 13897\n");
	r = cron_run(st, p);
	assert_int_equal(r->findings.len, 1);
	assert_int_equal(((ips_finding_t *)r->findings.items[0])->line, 3);
	assert_int_equal(r->incidents.len, 1);
	assert_int_equal(inc(r, 0)->kind, IPS_INC_NEGOTIATION);
	char t[64];
	ips_time_format(&inc(r, 0)->first, t, sizeof t);
	assert_string_equal(t, "2026-03-05T07:58:10Z"); /* the BEGIN of run 1 */
	assert_int_equal(st->windows.len, 0);
	ips_results_free(r);
	/* run 3: a BEGIN; run 4: a record long after it, so it is unterminated */
	append(p, "2026-03-05T08:00:00Z h x: peer=5.6.7.8 code 13800\n");
	r = cron_run(st, p);
	assert_int_equal(r->incidents.len, 0);
	assert_int_equal(st->windows.len, 1);
	ips_results_free(r);
	append(p, "2026-03-05T09:00:00Z h x: nothing to see\n");
	r = cron_run(st, p);
	assert_int_equal(r->incidents.len, 1);
	assert_int_equal(inc(r, 0)->kind, IPS_INC_UNTERMINATED);
	assert_int_equal(inc(r, 0)->line, 5);
	assert_int_equal(st->windows.len, 0);
	ips_results_free(r);
	ips_state_close(st);
}

static void pair_across_runs(void **state)
{
	(void)state;
	ips_state_t *st = fresh_state();
	const char *p = file("c2.log", "2026-03-05T07:10:00Z h x: start site\n");
	ips_results_t *r = cron_run(st, p);
	assert_int_equal(r->incidents.len, 0);
	assert_int_equal(st->windows.len, 1);
	assert_int_equal(((ips_state_window_t *)st->windows.items[0])->type, 1);
	ips_results_free(r);
	/* its outcome in the next run: a failed attempt */
	append(p, "2026-03-05T07:10:30Z h x: conn=site code 809\n");
	r = cron_run(st, p);
	assert_int_equal(r->incidents.len, 1);
	assert_int_equal(inc(r, 0)->kind, IPS_INC_PAIR);
	assert_int_equal(inc(r, 0)->nfindings, 1);
	assert_int_equal(st->windows.len, 0);
	ips_results_free(r);
	/* nothing new at all: an open window stays as it was */
	append(p, "2026-03-05T07:20:00Z h x: start other\n");
	ips_results_free(cron_run(st, p));
	assert_int_equal(st->windows.len, 1);
	r = cron_run(st, p);
	assert_int_equal(r->incidents.len, 0);
	assert_int_equal(st->windows.len, 1);
	ips_results_free(r);
	ips_state_close(st);
}

static void restore_checks_the_rules(void **state)
{
	(void)state;
	ips_results_t *res = ips_results_new();
	ips_correlator_t *c = ips_correlator_new(rules, res);
	ips_open_window_t w = {.corr = "gone", .type = 0, .key = "peer=1.2.3.4",
			       .kv = "peer=1.2.3.4\thost=h", .start_sec = 1772697490,
			       .start_valid = true, .line = 3};
	assert_false(ips_correlator_import(c, &w, 0)); /* no such correlation */
	w.corr = "pair";
	assert_false(ips_correlator_import(c, &w, 0)); /* a pair, not a bracket */
	w.corr = "neg";
	assert_true(ips_correlator_import(c, &w, 0));
	assert_false(ips_correlator_import(c, &w, 0)); /* open already */
	ips_correlator_free(c);
	ips_results_free(res);
}

/* ---- live mode: ips_correlator_settle() through the scanner's streams ---- */

static char live_ids[16][17];
static size_t live_n, live_sizes[16];

static void live_emit(void *ctx, const ips_results_t *res, const ips_incident_t *x)
{
	(void)ctx;
	(void)res;
	if (live_n < 16) {
		memcpy(live_ids[live_n], x->id, 17);
		live_sizes[live_n] = x->nfindings;
	}
	live_n++;
}

/* windows: how many, and for the first 16 their findings' ids (read while
 * the findings still exist) and how many incidents came out before each */
static size_t live_wn, live_wbefore[16], live_wsize[16];
static char live_wfirst[16][17];

static void live_window(void *ctx, const ips_results_t *res, const ips_window_t *w)
{
	(void)ctx;
	if (live_wn < 16) {
		live_wbefore[live_wn] = live_n;
		live_wsize[live_wn] = w->nfindings;
		live_wfirst[live_wn][0] = 0;
		for (size_t i = 0; i < w->nfindings; i++) {
			assert_true(w->findings[i] < res->findings.len);
			const ips_finding_t *f = res->findings.items[w->findings[i]];
			if (!i)
				memcpy(live_wfirst[live_wn], f->id, 17);
		}
	}
	live_wn++;
}

/* A live driver in small: a scanner whose finding sink feeds a correlator
 * and counts the findings written (record_done), as run/live.c does. */
typedef struct live_rig {
	ips_correlator_t *c;
	ips_scanner_t *s;
	size_t nfound;
} live_rig_t;

static void rig_finding(void *ctx, const ips_results_t *res, size_t index)
{
	(void)res;
	ips_correlator_finding(((live_rig_t *)ctx)->c, index);
}

static void rig_event(void *ctx, const ips_event_t *e)
{
	ips_correlator_event(((live_rig_t *)ctx)->c, e);
}

static void rig_end_input(void *ctx)
{
	ips_correlator_end_input(((live_rig_t *)ctx)->c);
}

static void rig_clock(void *ctx, const ips_time_t *t, uint64_t line)
{
	ips_correlator_note_time(((live_rig_t *)ctx)->c, t, line);
}

static void rig_record_done(void *ctx, const ips_results_t *res, size_t first)
{
	((live_rig_t *)ctx)->nfound += res->findings.len - first;
}

static live_rig_t *rig_new(const ips_scan_opts_t *o, ips_results_t *res)
{
	live_rig_t *L = calloc(1, sizeof *L);
	L->c = ips_correlator_new(rules, res);
	ips_finding_sink_t sink = {.finding = rig_finding, .event = rig_event,
				   .end_input = rig_end_input, .clock = rig_clock,
				   .record_done = rig_record_done, .ctx = L};
	L->s = ips_scanner_new(rules, o, res, &sink);
	return L;
}

static void rig_free(live_rig_t *L)
{
	ips_correlator_finish(L->c);
	ips_scanner_finish(L->s);
	ips_scanner_free(L->s);
	ips_correlator_free(L->c);
	free(L);
}

/*
 * Line by line with a settle after each: the same incidents as the batch
 * scan, each written once the event clock passes its gap (plus skew), and
 * nothing kept once written.
 */
static void live_settle_matches_batch(void **state)
{
	(void)state;
	char buf[4096];
	threshold_text(buf, sizeof buf);
	const char *path = file("live.log", buf);
	ips_results_t *batch = scan(path, NULL);

	ips_scan_opts_t o;
	ips_scan_opts_default(&o);
	o.year = 2026;
	ips_results_t *res = ips_results_new();
	live_rig_t *L = rig_new(&o, res);
	live_n = live_wn = 0;
	ips_correlator_settle(L->c, 1000, false, live_window, live_emit, NULL);
	ips_sink_t *k = ips_scanner_stream_open(L->s, path, "lines", 0);
	uint64_t off = 0, line = 1;
	size_t most = 0;
	for (const char *p = buf; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = (size_t)(nl - p) + 1;
		ips_sink_lines(k, p, len, off, line);
		off += len;
		line++;
		p += len;
		ips_correlator_settle(L->c, 1000, false, live_window, live_emit, NULL); /* the wall clock stands still */
		if (res->findings.len > most)
			most = res->findings.len;
	}
	/* the first two incidents closed by the event clock while reading */
	assert_int_equal(live_n, 2);
	assert_true(most <= 6); /* never more than one open group's findings */
	ips_scanner_stream_close(L->s, k, line - 1, off);
	ips_correlator_settle(L->c, 1000, true, live_window, live_emit, NULL);
	assert_int_equal(live_n, 3);
	assert_int_equal(res->findings.len, 0);
	assert_int_equal(L->nfound, 11);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(live_ids[i], inc(batch, i)->id);
		assert_int_equal(live_sizes[i], inc(batch, i)->nfindings);
	}
	/* the windows of the batch scan, each written with its findings */
	assert_int_equal(live_wn, batch->windows.len);
	for (size_t i = 0; i < live_wn && i < 16; i++) {
		const ips_window_t *w = batch->windows.items[i];
		assert_int_equal(live_wsize[i], w->nfindings);
		if (w->nfindings)
			assert_string_equal(live_wfirst[i],
					    ((ips_finding_t *)batch->findings.items[w->findings[0]])->id);
	}
	rig_free(L);
	ips_results_free(res);
	ips_results_free(batch);
}

/* Groups are written by the wall clock when their input goes quiet (or
 * stays open for the span); a window closes by the wall clock too. */
static void live_settle_wall_clock_and_windows(void **state)
{
	(void)state;
	ips_scan_opts_t o;
	ips_scan_opts_default(&o);
	o.year = 2026;
	ips_results_t *res = ips_results_new();
	live_rig_t *L = rig_new(&o, res);
	live_n = live_wn = 0;
	ips_correlator_settle(L->c, 1000, false, live_window, live_emit, NULL);
	ips_sink_t *k = ips_scanner_stream_open(L->s, "w.log", "lines", 0);
	const char *text = "2026-03-05T07:00:00Z h x: peer=1.1.1.1 code 13801\n"
			   "2026-03-05T07:00:01Z h x: peer=2.2.2.2 code 13800\n"
			   "2026-03-05T07:00:02Z h x: peer=2.2.2.2 code 13806\n";
	ips_sink_lines(k, text, strlen(text), 0, 1);
	/* under the span (300 s) and gap + skew (420 s); the bracket's window
	 * (120 s) has passed by the wall clock */
	ips_correlator_settle(L->c, 1250, false, live_window, live_emit, NULL);
	assert_int_equal(live_n, 0);
	ips_correlator_settle(L->c, 1421, false, live_window, live_emit, NULL);
	/* the lone failure is written; the bracket closed by the wall clock
	 * (window 120 s) became its incident too */
	assert_int_equal(live_n, 2);
	assert_int_equal(res->findings.len, 0);
	/* the bracket's window (unterminated: its BEGIN marker is no finding,
	 * 13806 is) came out before both incidents */
	assert_int_equal(live_wn, 1);
	assert_int_equal(live_wbefore[0], 0);
	assert_int_equal(live_wsize[0], 1);
	ips_scanner_stream_close(L->s, k, 3, strlen(text));
	ips_correlator_settle(L->c, 1422, true, live_window, live_emit, NULL);
	assert_int_equal(live_n, 2);
	rig_free(L);
	ips_results_free(res);
}

/*
 * Keys are whole strings now (they were cut silently at 160 and 200 bytes):
 * two connections whose names differ only past byte 200 are two attempts,
 * not one incident.
 */
static void long_keys_stay_apart(void **state)
{
	(void)state;
	char common[260];
	memset(common, 'a', 250);
	common[250] = '\0';
	char text[1200];
	snprintf(text, sizeof text,
		 "2026-03-05T07:58:10Z h x: conn=%sX code 13801\n"
		 "2026-03-05T07:58:11Z h x: conn=%sY code 13801\n", common, common);
	ips_results_t *r = scan(file("long.log", text), NULL);
	assert_int_equal(r->findings.len, 2);
	assert_int_equal(r->incidents.len, 2);
	assert_int_equal(inc(r, 0)->nfindings, 1);
	assert_int_equal(inc(r, 1)->nfindings, 1);
	assert_int_equal(r->notes.len, 0); /* nothing was cut */
	ips_results_free(r);
}

/* A finding built by hand (fields of any length, as a forged NDJSON record could carry). */
static void push_finding(ips_results_t *r, const char *conn, uint64_t line)
{
	ips_finding_t *f = ips_xcalloc(1, sizeof *f);
	f->entry = ips_rules_by_name(rules, "ERROR_IPSEC_IKE_AUTH_FAIL");
	assert_non_null(f->entry);
	f->det = ips_rules_active_at(rules, 0);
	f->severity = IPS_SEV_ERROR;
	f->input = 0;
	f->line = line;
	f->time.valid = true;
	f->time.sec = 1772697490 + (int64_t)line;
	f->host = ips_xstrdup("h");
	f->fields = ips_xcalloc(1, sizeof *f->fields);
	f->fields[0].key = ips_xstrdup("conn");
	f->fields[0].value = ips_xstrdup(conn);
	f->nfields = 1;
	f->text = ips_xstrdup("x");
	snprintf(f->id, sizeof f->id, "%016llx", (unsigned long long)line);
	ips_vec_push(&r->findings, f);
}

/* A key past the bound (4.5 KiB) is cut there, counted and named in a note. */
static void cut_keys_are_counted(void **state)
{
	(void)state;
	ips_results_t *r = ips_results_new();
	ips_input_t *in = ips_input_new("forged.ndjson", NULL);
	ips_vec_push(&r->inputs, in);
	size_t n = 6000;
	char *a = ips_xmalloc(n + 2), *b = ips_xmalloc(n + 2);
	memset(a, 'a', n);
	memset(b, 'a', n);
	a[n] = 'X', b[n] = 'Y';
	a[n + 1] = b[n + 1] = '\0';
	push_finding(r, a, 1);
	push_finding(r, b, 2);
	free(a);
	free(b);
	ips_correlator_t *c = ips_correlator_new(rules, r);
	ips_correlator_finding(c, 0);
	ips_correlator_finding(c, 1);
	ips_correlator_finish(c);
	ips_correlator_free(c);
	/* they differ only past the bound: one incident, and the cut is told */
	assert_int_equal(r->incidents.len, 1);
	assert_int_equal(r->notes.len, 1);
	assert_non_null(strstr(r->notes.items[0], "longer than 4608 bytes"));
	assert_non_null(strstr(r->notes.items[0], "were cut"));
	ips_results_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bracket_with_root_cause_and_span),
		cmocka_unit_test(begin_without_end),
		cmocka_unit_test(pairs),
		cmocka_unit_test(pair_retry),
		cmocka_unit_test(threshold_and_gap),
		cmocka_unit_test(two_files_one_attempt),
		cmocka_unit_test(open_windows_are_bounded),
		cmocka_unit_test(deterministic_ids),
		cmocka_unit_test(bracket_across_runs),
		cmocka_unit_test(pair_across_runs),
		cmocka_unit_test(restore_checks_the_rules),
		cmocka_unit_test(live_settle_matches_batch),
		cmocka_unit_test(live_settle_wall_clock_and_windows),
		cmocka_unit_test(verdict_classes_never_merge),
		cmocka_unit_test(long_keys_stay_apart),
		cmocka_unit_test(cut_keys_are_counted),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
