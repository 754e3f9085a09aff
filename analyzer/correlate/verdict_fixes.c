/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verdict_fixes.c - the parts of a verdict that are advice, not reasoning
 * (see verdict.h): the `fixes` table (rules/correlate/fixes.yaml) read and
 * checked, the fixes of an incident's implementations, and what to collect
 * from the other side. verdict.c decides the class; this file only words
 * what follows from it.
 */
#include "correlate/verdict.h"
#include "correlate/verdict_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/normalize.h"
#include "util/util.h"

/*
 * A `fixes` key: "CLASS/IMPLEMENTATION". The class's index, the
 * implementation in impl (NUL-terminated); -1 with a reason in err when
 * the key is not one.
 */
int ips_verdict_fix_key(const char *key, char *impl, size_t n, char *err, size_t errn)
{
	const char *slash = strchr(key, '/');
	if (!slash) {
		snprintf(err, errn, "a fixes key is CLASS/IMPLEMENTATION");
		return -1;
	}
	char cls[48];
	size_t cl = (size_t)(slash - key);
	if (cl >= sizeof cls) {
		snprintf(err, errn, "'%.*s...' is not a verdict class", 40, key);
		return -1;
	}
	memcpy(cls, key, cl);
	cls[cl] = 0;
	int k = ips_verdict_class_index(cls);
	if (k < 0) {
		snprintf(err, errn, "'%s' is not a verdict class", cls);
		return -1;
	}
	const char *im = slash + 1;
	size_t il = strlen(im);
	if (!il || il >= n || im[strspn(im, "abcdefghijklmnopqrstuvwxyz0123456789-")]) {
		snprintf(err, errn, "'%s' is not an implementation name (lower-case letters, digits, '-')", im);
		return -1;
	}
	memcpy(impl, im, il + 1);
	return k;
}

/* The lines of one `fixes` value, each a fix of the key's class and implementation. */
void ips_verdict_add_fix_lines(ips_verdict_rules_t *v, const char *key, const char *value)
{
	char impl[64], err[160];
	int k = ips_verdict_fix_key(key, impl, sizeof impl, err, sizeof err);
	if (k < 0)
		return; /* rules lint reports it */
	for (const char *p = value; *p;) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
			len--;
		if (len) {
			v->fix = ips_xrealloc(v->fix, (v->nfix + 1) * sizeof *v->fix);
			v->fix[v->nfix].cls = k;
			v->fix[v->nfix].impl = ips_xstrdup(impl);
			v->fix[v->nfix].text = ips_xstrndup(p, len);
			v->nfix++;
		}
		p = e ? e + 1 : p + strlen(p);
	}
}

/*
 * What to fetch from the other side, per implementation: its log around
 * the incident's time, with the command or event query that gets it.
 */
void ips_verdict_add_collect(ips_verdict_t *v, const ips_incident_t *x, const char *peer, int cls)
{
	char since[40] = "", until[40] = "", t0[40] = "", t1[40] = "";
	if (x->first.valid && x->last.valid) {
		ips_time_t a = x->first, b = x->last;
		a.sec -= 300;
		b.sec += 300;
		a.nsec = b.nsec = 0;
		a.frac = b.frac = 0;
		ips_time_format(&a, t0, sizeof t0);
		ips_time_format(&b, t1, sizeof t1);
		/* "2026-11-23T00:58:28Z" -> "2026-11-23 00:58:28" for journalctl (UTC) */
		snprintf(since, sizeof since, " --since \"%.10s %.8s UTC\"", t0, t0 + 11);
		snprintf(until, sizeof until, " --until \"%.10s %.8s UTC\"", t1, t1 + 11);
	}
	char buf[1024];
	const char *who = peer ? peer : "the peer";
	if (cls == K_UNREACH) { /* first: did anything arrive at all? */
		snprintf(buf, sizeof buf, "On %s and on the path: tcpdump -ni any udp port 500 or udp port 4500 during one attempt (does any packet arrive, does an answer leave?)", who);
		ips_verdict_push_item(&v->collect, &v->ncollect, "any", "command", buf, NULL);
	}
	snprintf(buf, sizeof buf, "On %s: journalctl -u strongswan -u strongswan-starter%s%s (or the charon log file: /var/log/charon.log, syslog's daemon facility)", who, since, until);
	ips_verdict_push_item(&v->collect, &v->ncollect, "strongswan", "command", buf, NULL);
	snprintf(buf, sizeof buf, "On %s: journalctl -u ipsec%s%s (or /var/log/pluto.log, /var/log/secure, /var/log/auth.log)", who, since, until);
	ips_verdict_push_item(&v->collect, &v->ncollect, "libreswan", "command", buf, NULL);
	if (t0[0])
		snprintf(buf, sizeof buf, "On %s: Get-WinEvent -FilterHashtable @{LogName='Security'; Id=4653,4654,4655; StartTime='%s'; EndTime='%s'} | Format-List (enable with auditpol /set /subcategory:\"IPsec Main Mode\" /failure:enable)", who, t0, t1);
	else
		snprintf(buf, sizeof buf, "On %s: Get-WinEvent -FilterHashtable @{LogName='Security'; Id=4653,4654,4655} | Format-List (enable with auditpol /set /subcategory:\"IPsec Main Mode\" /failure:enable)", who);
	ips_verdict_push_item(&v->collect, &v->ncollect, "windows", "event", buf, NULL);
	snprintf(buf, sizeof buf, "On %s: show logging | include 7130|7500|7510|7520 (and debug crypto ikev2 protocol 64 or debug crypto isakmp 127 during one attempt)", who);
	ips_verdict_push_item(&v->collect, &v->ncollect, "cisco-asa", "command", buf, NULL);
}

/*
 * The implementation a knowledge entry's source or an input's format
 * stands for, as the `fixes` table names it: the Windows sources and
 * export formats are all "windows"; a notify that any implementation
 * sends names none.
 */
const char *ips_verdict_impl_of(const char *name)
{
	if (!name || !*name || !strcmp(name, "ike-notify") || !strcmp(name, "other"))
		return NULL;
	if (!strcmp(name, "winerror") || !strcmp(name, "raserror") || !strcmp(name, "windows-event") ||
	    !strncmp(name, "win", 3) || !strcmp(name, "evtx") || !strcmp(name, "ndjson") ||
	    !strcmp(name, "pslist") || !strcmp(name, "pstable") || !strcmp(name, "evcopy") ||
	    !strcmp(name, "nps"))
		return "windows";
	return name;
}

void ips_verdict_impl_add(ips_impl_set_t *s, const char *name)
{
	const char *im = ips_verdict_impl_of(name);
	if (!im)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], im))
			return;
	if (s->n < IPS_VERDICT_MAX_IMPLS)
		s->name[s->n++] = im;
}

static bool impl_has(const ips_impl_set_t *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return true;
	return false;
}

static bool impl_known(const ips_verdict_rules_t *vr, const ips_impl_set_t *s)
{
	for (size_t i = 0; i < vr->nfix; i++)
		if (impl_has(s, vr->fix[i].impl))
			return true;
	return false;
}

/*
 * Fixes: for each class in order, the table's fixes of the incident's
 * implementations: those its inputs' formats name (a format says what
 * wrote the log: a RouterOS log whose messages are racoon's is fixed in
 * RouterOS), else those of its entries' sources; when the table has none
 * for any of them (a notify only, a product without its own fixes), those
 * of the common four.
 */
void ips_verdict_add_fixes(const ips_verdict_rules_t *vr, ips_verdict_t *v,
			   const ips_impl_set_t *formats, const ips_impl_set_t *sources,
			   const int *order, int norder, const char *because)
{
	static const ips_impl_set_t common = {{"strongswan", "libreswan", "windows", "cisco-asa"}, 4};
	const ips_impl_set_t *impls = impl_known(vr, formats) ? formats
				  : impl_known(vr, sources) ? sources : &common;
	for (int o = 0; o < norder; o++) {
		char why[512];
		if (o == 0)
			snprintf(why, sizeof why, "%s", because);
		else
			snprintf(why, sizeof why, "if the other side's log shows %s instead",
				 ips_verdict_classes[order[o]]);
		for (size_t i = 0; i < vr->nfix; i++)
			if (vr->fix[i].cls == order[o] && impl_has(impls, vr->fix[i].impl) &&
			    v->nfixes < 16)
				ips_verdict_push_item(&v->fixes, &v->nfixes, vr->fix[i].impl,
					  ips_verdict_classes[order[o]], vr->fix[i].text, why);
	}
}
