/* SPDX-License-Identifier: Apache-2.0 */
/* verdict.c - see verdict.h and docs/correlation.md#verdicts. */
#include "correlate/verdict.h"

#include <stdlib.h>
#include <string.h>

#include "detect/proposal.h"
#include "input/normalize.h"
#include "util/util.h"

/* The class list of SPEC "Verdicts": add at the end, never rename (at most 64). */
const char *const ips_verdict_classes[] = {
	"peer-unreachable", "ike-proposal-mismatch", "child-proposal-mismatch", "ts-mismatch",
	"psk-mismatch", "id-mismatch", "cert-untrusted", "cert-expired", "cert-missing",
	"cert-eku-or-name", "private-key-missing", "auth-method-refused", "user-credentials",
	"ike-version-mismatch", "sa-install-failed", "config-not-loaded", "daemon-failed",
	"dpd-or-liveness-timeout", "nat-or-fragmentation", "policy-missing", "client-stack-fault",
	"one-way-traffic", "rekey-failure", "benign-retry", "recovered", "unknown", NULL};

enum {
	K_UNREACH, K_IKE_PROP, K_CHILD_PROP, K_TS, K_PSK, K_ID, K_CERT_UNTRUSTED, K_CERT_EXPIRED,
	K_CERT_MISSING, K_CERT_EKU, K_KEY_MISSING, K_AUTH_METHOD, K_USER, K_VERSION, K_INSTALL,
	K_CONFIG, K_DAEMON, K_DPD, K_NAT, K_POLICY, K_CLIENT, K_ONE_WAY, K_REKEY, K_BENIGN,
	K_RECOVERED, K_UNKNOWN, K_COUNT
};

static const char *const phases[] = {"ike-init", "main-mode", "ike-auth", "aggressive", "child",
				     "quick-mode", "rekey", "established-then-lost", "unknown",
				     NULL};

/* Each class's phase by default: for IKEv2, and for IKEv1. */
static const char *const class_phase[K_COUNT][2] = {
	[K_UNREACH] = {"ike-init", "main-mode"},
	[K_IKE_PROP] = {"ike-init", "main-mode"},
	[K_CHILD_PROP] = {"child", "quick-mode"},
	[K_TS] = {"child", "quick-mode"},
	[K_PSK] = {"ike-auth", "main-mode"},
	[K_ID] = {"ike-auth", "main-mode"},
	[K_CERT_UNTRUSTED] = {"ike-auth", "main-mode"},
	[K_CERT_EXPIRED] = {"ike-auth", "main-mode"},
	[K_CERT_MISSING] = {"ike-auth", "main-mode"},
	[K_CERT_EKU] = {"ike-auth", "main-mode"},
	[K_KEY_MISSING] = {"ike-auth", "main-mode"},
	[K_AUTH_METHOD] = {"ike-auth", "main-mode"},
	[K_USER] = {"ike-auth", "main-mode"},
	[K_VERSION] = {"ike-init", "main-mode"},
	[K_INSTALL] = {"child", "quick-mode"},
	[K_CONFIG] = {"unknown", "unknown"},
	[K_DAEMON] = {"unknown", "unknown"},
	[K_DPD] = {"established-then-lost", "established-then-lost"},
	[K_NAT] = {"ike-auth", "main-mode"},
	[K_POLICY] = {"unknown", "unknown"},
	[K_CLIENT] = {"unknown", "unknown"},
	[K_ONE_WAY] = {"established-then-lost", "established-then-lost"},
	[K_REKEY] = {"rekey", "rekey"},
	[K_BENIGN] = {"ike-init", "main-mode"},
	[K_RECOVERED] = {"unknown", "unknown"},
	[K_UNKNOWN] = {"unknown", "unknown"},
};

#define MAX_CLS 24
#define EVIDENCE_MAX 64     /* finding ids in verdict.evidence; the incident lists them all */

typedef struct vinfo {
	uint8_t cls[MAX_CLS];  /* class indexes, likeliest first */
	int n;
	bool any;
	const char *side;      /* static: "local", "peer", "path" */
	const char *phase;     /* static, or NULL: the class's default */
} vinfo_t;

typedef struct ventry {
	const ips_entry_t *e;
	vinfo_t info;
} ventry_t;

typedef struct vcat {
	char name[32];
	vinfo_t info;
} vcat_t;

struct ips_verdict_rules {
	ventry_t *ent;
	size_t nent;
	vcat_t *cat;
	size_t ncat;
};

static int class_index(const char *name)
{
	for (int i = 0; ips_verdict_classes[i]; i++)
		if (!strcmp(ips_verdict_classes[i], name))
			return i;
	return -1;
}

static const char *static_of(const char *const *list, const char *name)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(list[i], name))
			return list[i];
	return NULL;
}

static const char *const sides[] = {"local", "peer", "path", NULL};

/* "a,b,side=peer" into info; false with a message in err. */
static bool parse_info(const char *value, vinfo_t *out, char *err, size_t errn)
{
	memset(out, 0, sizeof *out);
	out->side = "local";
	const char *p = value;
	while (p && *p) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *s = p;
		while (*p && *p != ',')
			p++;
		size_t len = (size_t)(p - s);
		while (len && s[len - 1] == ' ')
			len--;
		if (!len)
			continue;
		char tok[64];
		snprintf(tok, sizeof tok, "%.*s", (int)len, s);
		if (!strcmp(tok, "any")) {
			out->any = true;
		} else if (!strncmp(tok, "side=", 5)) {
			if (!(out->side = static_of(sides, tok + 5))) {
				snprintf(err, errn, "side must be local, peer or path, not '%s'", tok + 5);
				return false;
			}
		} else if (!strncmp(tok, "phase=", 6)) {
			if (!(out->phase = static_of(phases, tok + 6))) {
				snprintf(err, errn, "unknown phase '%s'", tok + 6);
				return false;
			}
		} else {
			int k = class_index(tok);
			if (k < 0) {
				snprintf(err, errn, "unknown class '%s' (docs/correlation.md#verdicts)", tok);
				return false;
			}
			if (out->n < MAX_CLS)
				out->cls[out->n++] = (uint8_t)k;
		}
	}
	if (!out->n) {
		snprintf(err, errn, "names no class");
		return false;
	}
	return true;
}

static bool is_category_key(const char *k)
{
	return k[0] >= 'a' && k[0] <= 'z';
}

static int cmp_ventry(const void *a, const void *b)
{
	const ventry_t *x = a, *y = b;
	return (uintptr_t)x->e < (uintptr_t)y->e ? -1 : (uintptr_t)x->e > (uintptr_t)y->e;
}

ips_verdict_rules_t *ips_verdict_rules_new(const ips_rules_t *rules)
{
	ips_verdict_rules_t *v = ips_xcalloc(1, sizeof *v);
	for (size_t i = 0; i < ips_rules_correlation_count(rules); i++) {
		const ips_correlation_t *d = ips_rules_correlation_at(rules, i);
		if (!d->kind || strcmp(d->kind, "verdict"))
			continue;
		for (size_t j = 0; j < d->nparams; j++) {
			vinfo_t info;
			char err[128];
			if (!parse_info(d->params[j].value, &info, err, sizeof err))
				continue; /* rules lint reports it */
			const char *k = d->params[j].key;
			if (is_category_key(k)) {
				v->cat = ips_xrealloc(v->cat, (v->ncat + 1) * sizeof *v->cat);
				snprintf(v->cat[v->ncat].name, sizeof v->cat[0].name, "%s", k);
				v->cat[v->ncat++].info = info;
			} else {
				const ips_entry_t *e = ips_rules_by_name(rules, k);
				if (!e)
					continue;
				v->ent = ips_xrealloc(v->ent, (v->nent + 1) * sizeof *v->ent);
				v->ent[v->nent].e = e;
				v->ent[v->nent++].info = info;
			}
		}
	}
	if (v->nent > 1)
		qsort(v->ent, v->nent, sizeof *v->ent, cmp_ventry);
	return v;
}

void ips_verdict_rules_free(ips_verdict_rules_t *v)
{
	if (!v)
		return;
	free(v->ent);
	free(v->cat);
	free(v);
}

size_t ips_verdict_check(const ips_rules_t *rules, ips_diag_t *d)
{
	size_t errors = 0;
	for (size_t i = 0; i < ips_rules_correlation_count(rules); i++) {
		const ips_correlation_t *c = ips_rules_correlation_at(rules, i);
		if (!c->kind || strcmp(c->kind, "verdict"))
			continue;
		for (size_t j = 0; j < c->nparams; j++) {
			vinfo_t info;
			char err[128];
			const char *k = c->params[j].key;
			if (!parse_info(c->params[j].value, &info, err, sizeof err)) {
				ips_diag_add(d, true, c->file, c->line, 0, "correlation '%s': %s: %s",
					     c->id, k, err);
				errors++;
			} else if (!is_category_key(k) && !ips_rules_by_name(rules, k)) {
				ips_diag_add(d, true, c->file, c->line, 0,
					     "correlation '%s': '%s' is not a knowledge entry", c->id, k);
				errors++;
			}
		}
	}
	return errors;
}

/* ---- one finding ------------------------------------------------------- */

static vinfo_t info_of(const ips_verdict_rules_t *v, const ips_finding_t *f)
{
	vinfo_t info;
	ventry_t key = {.e = f->entry};
	const ventry_t *hit = v->nent ? bsearch(&key, v->ent, v->nent, sizeof key, cmp_ventry) : NULL;
	if (hit) {
		info = hit->info;
	} else {
		const vcat_t *c = NULL;
		for (size_t i = 0; f->entry->category && i < v->ncat && !c; i++)
			if (!strcmp(v->cat[i].name, f->entry->category))
				c = &v->cat[i];
		if (c) {
			info = c->info;
			/* an unlisted warning is context, not a fault of its own */
			if (f->entry->severity <= IPS_SEV_WARNING)
				info.any = true;
		} else {
			memset(&info, 0, sizeof info);
			info.cls[0] = K_UNKNOWN;
			info.n = 1;
			info.any = true;
			info.side = "local";
		}
	}
	/* a notify we sent ("sending notification X to", a response we
	 * generated) is our refusal, not the peer's */
	if (!strcmp(info.side, "peer") && f->text &&
	    (strstr(f->text, "sending notification") || strstr(f->text, "generating ")))
		info.side = "local";
	/* a time-out in an established state (pluto's STATE_V2_ESTABLISHED_IKE_SA,
	 * a DPD or liveness probe) lost a tunnel that was up */
	bool unreach = false, dpd = false;
	for (int i = 0; i < info.n; i++) {
		unreach |= info.cls[i] == K_UNREACH;
		dpd |= info.cls[i] == K_DPD;
	}
	if (unreach && dpd && f->text &&
	    (strstr(f->text, "ESTABLISHED") || strstr(f->text, "DPD") || strstr(f->text, "liveness"))) {
		int k = 0;
		for (int i = 0; i < info.n; i++)
			if (info.cls[i] != K_UNREACH)
				info.cls[k++] = info.cls[i];
		info.n = k;
	}
	/* a proposal failure that logged the proposals says which SA it was about */
	bool ike = false, child = false;
	for (int i = 0; i < info.n; i++) {
		ike |= info.cls[i] == K_IKE_PROP;
		child |= info.cls[i] == K_CHILD_PROP;
	}
	if (ike && child) {
		/* the record's own words first (charon: "no CHILD_SA built"), then the
		 * proposals, when both name the same protocol */
		const char *r = ips_finding_field(f, "proposal_received");
		const char *c = ips_finding_field(f, "proposal_configured");
		const char *pr = r ? ips_proposal_protocol(r) : NULL;
		const char *pc = c ? ips_proposal_protocol(c) : NULL;
		const char *proto = pr && pc && strcmp(pr, pc) ? NULL : pr ? pr : pc;
		if (f->text && strstr(f->text, "CHILD_SA"))
			proto = "ESP";
		int drop = !proto ? -1 : !strcmp(proto, "IKE") ? K_CHILD_PROP : K_IKE_PROP;
		if (drop >= 0) {
			int k = 0;
			for (int i = 0; i < info.n; i++)
				if (info.cls[i] != drop)
					info.cls[k++] = info.cls[i];
			info.n = k;
		}
	}
	return info;
}

static uint64_t mask_of(const vinfo_t *in)
{
	if (in->any)
		return IPS_VERDICT_ALL;
	uint64_t m = 0;
	for (int i = 0; i < in->n; i++)
		m |= UINT64_C(1) << in->cls[i];
	return m;
}

uint64_t ips_verdict_mask(const ips_verdict_rules_t *v, const ips_finding_t *f)
{
	vinfo_t in = info_of(v, f);
	return mask_of(&in);
}

uint64_t ips_verdict_first(const ips_verdict_rules_t *v, const ips_finding_t *f)
{
	vinfo_t in = info_of(v, f);
	return UINT64_C(1) << in.cls[0];
}

int ips_verdict_specificity(const ips_verdict_rules_t *v, const ips_finding_t *f)
{
	vinfo_t in = info_of(v, f);
	return in.any ? 0 : in.n;
}

/* ---- the verdict ------------------------------------------------------- */

static int impl_bit(const char *name);
enum { I_STRONGSWAN = 1, I_LIBRESWAN = 2, I_WINDOWS = 4, I_ASA = 8 };

static bool is_v1(const ips_finding_t *f)
{
	const char *v = ips_finding_field(f, "ike_version");
	if (v)
		return !strcmp(v, "IKEv1") || !strcmp(v, "1");
	if (f->entry->ike_version)
		return !strcmp(f->entry->ike_version, "IKEv1");
	if (strstr(f->entry->name, "IKEV1"))
		return true;
	/* pluto's IKEv1 state names, the exchanges' names (Windows calls the
	 * first phase of every IKE version "main mode": not there) */
	const char *t = f->text ? f->text : "";
	if (strstr(t, "IKEv2") || impl_bit(f->entry->source) == I_WINDOWS)
		return false;
	return strstr(t, "STATE_MAIN_") || strstr(t, "STATE_AGGR_") || strstr(t, "STATE_QUICK_") ||
	       strstr(t, "Main Mode") || strstr(t, "Aggressive Mode") || strstr(t, "Quick Mode");
}

/* The IKEv1 exchange the record names, for the phase; NULL if none. */
static const char *v1_exchange(const ips_finding_t *f)
{
	const char *t = f->text ? f->text : "";
	if (strstr(t, "STATE_QUICK_") || strstr(t, "Quick Mode"))
		return "quick-mode";
	if (strstr(t, "STATE_AGGR_") || strstr(t, "Aggressive Mode"))
		return "aggressive";
	if (strstr(t, "STATE_MAIN_") || strstr(t, "Main Mode"))
		return "main-mode";
	return NULL;
}

/*
 * Is finding i the better decider of the class than finding j? The one
 * that names fewer classes; then the better root cause by the group's
 * rank (source, severity, category order, time and place); without a
 * rank, the earlier by time, path and line: never by the inputs' order.
 */
static bool stronger(const vinfo_t *info, const ips_results_t *res, const ips_incident_t *x,
		     const size_t *rank, size_t i, size_t j)
{
	if (info[i].any != info[j].any)
		return !info[i].any;
	if (info[i].n != info[j].n)
		return info[i].n < info[j].n;
	if (rank && rank[i] != rank[j])
		return rank[i] < rank[j];
	const ips_finding_t *a = res->findings.items[x->findings[i]];
	const ips_finding_t *b = res->findings.items[x->findings[j]];
	if (a->severity != b->severity)
		return a->severity > b->severity;
	if (a->time.valid != b->time.valid)
		return a->time.valid;
	if (a->time.valid && (a->time.sec != b->time.sec || a->time.nsec != b->time.nsec))
		return a->time.sec < b->time.sec ||
		       (a->time.sec == b->time.sec && a->time.nsec < b->time.nsec);
	const ips_input_t *pa = res->inputs.items[a->input], *pb = res->inputs.items[b->input];
	int c = strcmp(pa->path, pb->path);
	if (c)
		return c < 0;
	return a->line < b->line;
}

static void push_item(ips_verdict_item_t **it, size_t *n, const char *a, const char *b,
		      const char *c, const char *d)
{
	*it = ips_xrealloc(*it, (*n + 1) * sizeof **it);
	(*it)[*n].a = a ? ips_xstrdup(a) : NULL;
	(*it)[*n].b = b ? ips_xstrdup(b) : NULL;
	(*it)[*n].c = c ? ips_xstrdup(c) : NULL;
	(*it)[*n].d = d ? ips_xstrdup(d) : NULL;
	(*n)++;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static const char *peer_of(const ips_finding_t *f, const ips_incident_t *x)
{
	const char *p = f ? ips_finding_field(f, "peer") : NULL;
	for (size_t i = 0; !p && i < x->nkey; i++)
		if (!strcmp(x->key[i].key, "peer"))
			p = x->key[i].value;
	return p;
}

static const char *host_of(const ips_finding_t *f)
{
	if (f->host)
		return f->host;
	return ips_finding_field(f, "local");
}

static void set_side(ips_verdict_side_t *s, const char *side, const char *host, size_t input)
{
	s->side = side;
	s->host = host ? ips_xstrdup(host) : NULL;
	s->input = input;
}

/*
 * What to fetch from the other side, per implementation: its log around
 * the incident's time, with the command or event query that gets it.
 */
static void add_collect(ips_verdict_t *v, const ips_incident_t *x, const char *peer, int cls)
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
		push_item(&v->collect, &v->ncollect, "any", "command", buf, NULL);
	}
	snprintf(buf, sizeof buf, "On %s: journalctl -u strongswan -u strongswan-starter%s%s (or the charon log file: /var/log/charon.log, syslog's daemon facility)", who, since, until);
	push_item(&v->collect, &v->ncollect, "strongswan", "command", buf, NULL);
	snprintf(buf, sizeof buf, "On %s: journalctl -u ipsec%s%s (or /var/log/pluto.log, /var/log/secure, /var/log/auth.log)", who, since, until);
	push_item(&v->collect, &v->ncollect, "libreswan", "command", buf, NULL);
	if (t0[0])
		snprintf(buf, sizeof buf, "On %s: Get-WinEvent -FilterHashtable @{LogName='Security'; Id=4653,4654,4655; StartTime='%s'; EndTime='%s'} | Format-List (enable with auditpol /set /subcategory:\"IPsec Main Mode\" /failure:enable)", who, t0, t1);
	else
		snprintf(buf, sizeof buf, "On %s: Get-WinEvent -FilterHashtable @{LogName='Security'; Id=4653,4654,4655} | Format-List (enable with auditpol /set /subcategory:\"IPsec Main Mode\" /failure:enable)", who);
	push_item(&v->collect, &v->ncollect, "windows", "event", buf, NULL);
	snprintf(buf, sizeof buf, "On %s: show logging | include 7130|7500|7510|7520 (and debug crypto ikev2 protocol 64 or debug crypto isakmp 127 during one attempt)", who);
	push_item(&v->collect, &v->ncollect, "cisco-asa", "command", buf, NULL);
}

/*
 * Fixes per class and implementation: the configuration lines to check
 * first. Written from the implementations' documented settings
 * (swanctl.conf(5), ipsec.conf(5), libreswan's ipsec.conf(5), the
 * VpnClient PowerShell module, the ASA command reference).
 */
typedef struct fix {
	int cls;
	const char *impl;
	const char *text;
} fix_t;

static const fix_t fixes[] = {
	{K_PSK, "strongswan", "swanctl.conf: make secrets { ike-NAME { id = <peer id>; secret = \"...\" } } hold the same secret as the peer, then swanctl --load-creds"},
	{K_PSK, "strongswan", "ipsec.conf/ipsec.secrets: <local id> <peer id> : PSK \"...\" equal on both ends, then ipsec rereadsecrets"},
	{K_PSK, "libreswan", "ipsec.secrets: <left id> <right id> : PSK \"...\" equal on both ends (authby=secret in the conn), then ipsec auto --rereadsecrets"},
	{K_PSK, "windows", "Set-VpnConnection -Name <vpn> -L2tpPsk \"...\" with the gateway's secret (IKEv2 with a PSK: the gateway's pre-shared key in the connection's IPsec settings)"},
	{K_PSK, "cisco-asa", "tunnel-group <peer> ipsec-attributes / ikev2 local-authentication pre-shared-key ... and ikev2 remote-authentication pre-shared-key ... (ikev1: pre-shared-key ...)"},
	{K_ID, "strongswan", "swanctl.conf: local { id = ... } on one side must equal remote { id = ... } on the other (ipsec.conf: leftid/rightid)"},
	{K_ID, "libreswan", "ipsec.conf: leftid= and rightid= must match the peer's rightid= and leftid= (@fqdn, address or the certificate's DN)"},
	{K_ID, "windows", "the gateway's remote id must match the server name in Add-VpnConnection -ServerAddress (and the certificate's subject)"},
	{K_ID, "cisco-asa", "crypto isakmp identity address|hostname and the tunnel-group name must match what the peer expects"},
	{K_CERT_UNTRUSTED, "strongswan", "swanctl.conf: remote { cacerts = <CA file> } and the CA certificate in /etc/swanctl/x509ca/ (ipsec.conf: /etc/ipsec.d/cacerts/), then swanctl --load-creds"},
	{K_CERT_UNTRUSTED, "libreswan", "import the peer's CA into the NSS database: ipsec import ca.p12 or certutil -A -d sql:/var/lib/ipsec/nss -t CT,, -n ca -i ca.pem"},
	{K_CERT_UNTRUSTED, "windows", "Import-Certificate -FilePath ca.cer -CertStoreLocation Cert:\\LocalMachine\\Root"},
	{K_CERT_UNTRUSTED, "cisco-asa", "crypto ca trustpoint <tp> / enrollment terminal; crypto ca authenticate <tp> with the peer's CA"},
	{K_CERT_EXPIRED, "strongswan", "renew the certificate (pki --issue ...) and reload it (swanctl --load-creds); check the clocks of both ends"},
	{K_CERT_EXPIRED, "libreswan", "renew the certificate in the NSS database (certutil -L -d sql:/var/lib/ipsec/nss shows validity); check the clocks"},
	{K_CERT_EXPIRED, "windows", "Get-ChildItem Cert:\\LocalMachine\\My | Select Subject,NotAfter; renew the machine certificate"},
	{K_CERT_EXPIRED, "cisco-asa", "show crypto ca certificates; re-enroll the trustpoint (crypto ca enroll <tp>) and check the clock (show clock, ntp)"},
	{K_CERT_MISSING, "strongswan", "swanctl.conf: local { certs = <cert file> } with the certificate in /etc/swanctl/x509/ (ipsec.conf: leftcert=); remote { auth = pubkey } expects one from the peer"},
	{K_CERT_MISSING, "libreswan", "ipsec.conf: leftcert=<nickname> present in the NSS database (certutil -L -d sql:/var/lib/ipsec/nss)"},
	{K_CERT_MISSING, "windows", "a machine certificate with Client Authentication in Cert:\\LocalMachine\\My (Get-ChildItem Cert:\\LocalMachine\\My)"},
	{K_CERT_MISSING, "cisco-asa", "ikev2 local-authentication certificate <trustpoint> in the tunnel-group, and the identity certificate enrolled"},
	{K_CERT_EKU, "strongswan", "issue the certificate with the name the peer checks as subjectAltName (pki --issue --san ...) and the EKU it needs (--flag serverAuth / ikeIntermediate)"},
	{K_CERT_EKU, "windows", "the gateway's certificate needs Server Authentication EKU and the server name in its subjectAltName"},
	{K_KEY_MISSING, "strongswan", "put the private key in /etc/swanctl/private/ (or ipsec.secrets: : RSA key.pem) and reload: swanctl --load-creds"},
	{K_KEY_MISSING, "libreswan", "the certificate's private key must be in the NSS database (import the .p12: ipsec import cert.p12)"},
	{K_AUTH_METHOD, "strongswan", "aggressive mode with PSK is refused unless charon.i_dont_care_about_security_and_use_aggressive_mode_psk = yes on the responder: prefer main mode (swanctl.conf aggressive = no)"},
	{K_AUTH_METHOD, "strongswan", "swanctl.conf: local { auth = psk|pubkey|eap-... } must be what the peer's remote { auth = ... } expects"},
	{K_AUTH_METHOD, "libreswan", "ipsec.conf: authby= (secret, rsasig) and aggressive= equal on both ends"},
	{K_USER, "windows", "check the user name and password (RAS 691); for EAP: Set-VpnConnection -AuthenticationMethod Eap with the server's EAP method"},
	{K_USER, "strongswan", "swanctl.conf secrets { eap-USER { id = USER; secret = ... } } / xauth-USER for the user"},
	{K_IKE_PROP, "strongswan", "swanctl.conf: proposals = <one the peer accepts, e.g. aes256-sha256-modp2048> (ipsec.conf: ike=...!)"},
	{K_IKE_PROP, "libreswan", "ipsec.conf: ike=<cipher>-<hash>;<group> that the peer accepts (e.g. ike=aes256-sha2_256;modp2048)"},
	{K_IKE_PROP, "windows", "Set-VpnConnectionIPsecConfiguration -ConnectionName <vpn> -EncryptionMethod AES256 -IntegrityCheckMethod SHA256 -DHGroup Group14 -CipherTransformConstants AES256 -AuthenticationTransformConstants SHA256128 -PfsGroup PFS2048"},
	{K_IKE_PROP, "cisco-asa", "crypto ikev2 policy <n> / encryption aes-256 / integrity sha256 / group 14 / prf sha256 (ikev1: crypto ikev1 policy)"},
	{K_CHILD_PROP, "strongswan", "swanctl.conf: children { NAME { esp_proposals = <one the peer accepts, e.g. aes128-sha256> } } (ipsec.conf: esp=...!); with PFS add the DH group"},
	{K_CHILD_PROP, "libreswan", "ipsec.conf: esp= (phase2alg=) that the peer accepts, and pfs= equal on both ends"},
	{K_CHILD_PROP, "windows", "Set-VpnConnectionIPsecConfiguration ... -CipherTransformConstants and -PfsGroup matching the gateway's ESP proposal"},
	{K_CHILD_PROP, "cisco-asa", "crypto ipsec ikev2 ipsec-proposal <name> / protocol esp encryption aes-256 / protocol esp integrity sha-256; crypto map <map> <n> set ikev2 ipsec-proposal <name>"},
	{K_TS, "strongswan", "swanctl.conf: local_ts and remote_ts must mirror the peer's remote_ts and local_ts (ipsec.conf: leftsubnet=/rightsubnet=)"},
	{K_TS, "libreswan", "ipsec.conf: leftsubnet= and rightsubnet= must mirror the peer's (narrowing=yes lets IKEv2 narrow)"},
	{K_TS, "cisco-asa", "the crypto map's access-list (crypto map <map> <n> match address <acl>) must mirror the peer's subnets"},
	{K_INSTALL, "strongswan", "the kernel refused the SA: load the IPsec modules (modprobe esp4 esp6 xfrm_user; CONFIG_INET_ESP), or use the kernel-libipsec plugin; check charon's kernel-netlink messages"},
	{K_INSTALL, "libreswan", "the kernel refused the SA: modprobe esp4 xfrm_user (or protostack=netkey/xfrm), and check that the algorithms are available in the kernel"},
	{K_UNREACH, "strongswan", "swanctl.conf: remote_addrs = <the peer's address> (ipsec.conf: right=); open UDP 500 and 4500 and ESP (IP protocol 50) on every firewall on the path"},
	{K_UNREACH, "libreswan", "ipsec.conf: right=<the peer's address>; open UDP 500 and 4500 and ESP on the path"},
	{K_UNREACH, "windows", "Get-VpnConnection -Name <vpn> | Select ServerAddress: the gateway's address; open UDP 500 and 4500 to it on every firewall on the path"},
	{K_UNREACH, "cisco-asa", "crypto ikev2 enable <interface> (or crypto ikev1 enable) on the peer-facing interface, and access rules for UDP 500/4500"},
	{K_DPD, "strongswan", "swanctl.conf: dpd_delay = 30s with dpd_action = restart (children: start_action = trap) so the tunnel comes back; look at the path at the time it was lost"},
	{K_DPD, "libreswan", "ipsec.conf: dpddelay=30 dpdtimeout=120 dpdaction=restart"},
	{K_VERSION, "strongswan", "swanctl.conf: version = 1 or 2 equal on both ends (ipsec.conf: keyexchange=ikev1|ikev2)"},
	{K_VERSION, "libreswan", "ipsec.conf: ikev2=yes|no (libreswan 3: ikev2=insist|never) to match the peer"},
	{K_CONFIG, "strongswan", "swanctl --load-all (or ipsec reload) and swanctl --list-conns: the connection must be loaded where the peer connects to"},
	{K_CONFIG, "libreswan", "ipsec auto --add <conn> and ipsec status: the connection must be loaded"},
	{K_NAT, "strongswan", "swanctl.conf: encap = yes and fragmentation = yes; allow UDP 4500 and IP fragments on the path"},
	{K_NAT, "windows", "reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\PolicyAgent /v AssumeUDPEncapsulationContextOnSendRule /t REG_DWORD /d 2 (server behind NAT), then restart"},
	{K_POLICY, "windows", "Get-NetIPsecRule / the RAS policy: an IPsec policy for this traffic must exist on both ends"},
	{K_REKEY, "strongswan", "swanctl.conf: rekey_time and esp_proposals with the same DH group on both ends (a rekey with PFS needs it)"},
	{K_DAEMON, "strongswan", "systemctl status strongswan; journalctl -u strongswan -b for the plugin or key that stopped charon"},
	{K_CLIENT, "windows", "restart the IKEEXT and RasMan services (Restart-Service IKEEXT, RasMan) and look at the System log for their errors"},
};

/* Implementations whose logs or codes are in the incident: bits (I_*, above). */

static int impl_bit(const char *name)
{
	if (!name)
		return 0;
	if (!strcmp(name, "strongswan"))
		return I_STRONGSWAN;
	if (!strcmp(name, "libreswan"))
		return I_LIBRESWAN;
	if (!strcmp(name, "cisco-asa"))
		return I_ASA;
	if (!strcmp(name, "winerror") || !strcmp(name, "raserror") || !strcmp(name, "windows-event") ||
	    !strncmp(name, "win", 3) || !strcmp(name, "evtx") || !strcmp(name, "ndjson"))
		return I_WINDOWS;
	return 0;
}

static void add_fixes(ips_verdict_t *v, int impls, const int *order, int norder,
		      const char *because)
{
	if (!impls)
		impls = I_STRONGSWAN | I_LIBRESWAN | I_WINDOWS | I_ASA;
	for (int o = 0; o < norder; o++) {
		char why[512];
		if (o == 0)
			snprintf(why, sizeof why, "%s", because);
		else
			snprintf(why, sizeof why, "if the other side's log shows %s instead",
				 ips_verdict_classes[order[o]]);
		for (size_t i = 0; i < sizeof fixes / sizeof fixes[0]; i++)
			if (fixes[i].cls == order[o] && (impl_bit(fixes[i].impl) & impls) &&
			    v->nfixes < 16)
				push_item(&v->fixes, &v->nfixes, fixes[i].impl,
					  ips_verdict_classes[order[o]], fixes[i].text, why);
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Each input's clock against the reference input's: the smallest
 * difference between one of its findings and one of the reference's (both
 * logs of one attempt are written within a second or two).
 */
static void clock_offsets(ips_verdict_t *v, const ips_results_t *res, const ips_incident_t *x,
			  const ips_finding_t *ref)
{
	if (!ref->time.valid)
		return;
	int64_t *rt = ips_xmalloc(x->nfindings * sizeof *rt);
	size_t nr = 0;
	for (size_t j = 0; j < x->nfindings; j++) {
		const ips_finding_t *g = res->findings.items[x->findings[j]];
		if (g->input == ref->input && g->time.valid)
			rt[nr++] = g->time.sec;
	}
	qsort(rt, nr, sizeof *rt, cmp_i64);
	for (size_t i = 0; i < x->nfindings; i++) {
		const ips_finding_t *f = res->findings.items[x->findings[i]];
		if (!f->time.valid)
			continue;
		size_t k = 0;
		while (k < v->noffsets && v->offset_input[k] != f->input)
			k++;
		if (k == v->noffsets) {
			if (v->noffsets == 64) /* enough inputs to say it */
				continue;
			v->offset_input = ips_xrealloc(v->offset_input, (k + 1) * sizeof *v->offset_input);
			v->offset_sec = ips_xrealloc(v->offset_sec, (k + 1) * sizeof *v->offset_sec);
			v->offset_input[k] = f->input;
			v->offset_sec[k] = INT64_MAX;
			v->noffsets++;
		}
		/* the nearest reference time: binary search */
		size_t lo = 0, hi = nr;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (rt[mid] < f->time.sec)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t c = lo ? lo - 1 : 0; c < nr && c <= lo; c++) {
			int64_t d = f->time.sec - rt[c];
			if (v->offset_sec[k] == INT64_MAX || llabs(d) < llabs(v->offset_sec[k]))
				v->offset_sec[k] = d;
		}
	}
	free(rt);
	if (v->noffsets < 2) { /* one input: nothing to estimate */
		free(v->offset_input);
		free(v->offset_sec);
		v->offset_input = NULL;
		v->offset_sec = NULL;
		v->noffsets = 0;
	}
}

/*
 * How the sides authenticate, as the records say it: 1 a pre-shared key,
 * 2 certificates (signatures), 0 not said. Windows 4653/4654 name it
 * (MMAuthMethod, "Authentication Method:"), daemons in the lines around an
 * IKE_AUTH ("authentication of ... with pre-shared key", "RSA signature").
 */
static int auth_hint(const ips_results_t *res, const ips_incident_t *x)
{
	static const char *const psk[] = {"MMAuthMethod=Preshared", "Authentication Method:\tPreshared",
					  "Authentication Method: Preshared", "with pre-shared key",
					  "pre-shared key authentication", NULL};
	static const char *const cert[] = {"MMAuthMethod=Certificate", "MMAuthMethod=CA",
					   "Authentication Method:\tCertificate",
					   "Authentication Method: Certificate", "with RSA signature",
					   "with ECDSA", "RSA_EMSA", "with RSA_", NULL};
	for (size_t i = 0; i < x->nfindings && i < 256; i++) {
		const ips_finding_t *f = res->findings.items[x->findings[i]];
		if (!f->text)
			continue;
		for (size_t k = 0; psk[k]; k++)
			if (strcasestr(f->text, psk[k]))
				return 1;
		for (size_t k = 0; cert[k]; k++)
			if (strcasestr(f->text, cert[k]))
				return 2;
	}
	return 0;
}

size_t ips_verdict_build(const ips_verdict_rules_t *vr, const ips_results_t *res,
			 ips_incident_t *x, const ips_verdict_hints_t *h)
{
	ips_verdict_t *v = ips_xcalloc(1, sizeof *v);
	x->verdict = v;
	v->refused_by.input = v->reason_in.input = SIZE_MAX;
	if (!x->nfindings) {
		/* a start with no outcome, a BEGIN with no END: nobody answered */
		bool unanswered = x->kind == IPS_INC_UNANSWERED;
		v->cls = ips_verdict_classes[unanswered ? K_UNREACH : K_UNKNOWN];
		v->phase = unanswered ? "ike-init" : "unknown";
		const char *peer = peer_of(NULL, x);
		set_side(&v->refused_by, unanswered ? "path" : "unknown", peer, SIZE_MAX);
		set_side(&v->reason_in, unanswered ? "path" : "unknown", peer, SIZE_MAX);
		add_collect(v, x, peer, unanswered ? K_UNREACH : K_UNKNOWN);
		return 0;
	}
	size_t n = x->nfindings;
	vinfo_t *info = ips_xmalloc(n * sizeof *info);
	uint64_t agree = IPS_VERDICT_ALL;
	bool v1 = false;
	int impls = 0;
	for (size_t i = 0; i < n; i++) {
		const ips_finding_t *f = res->findings.items[x->findings[i]];
		info[i] = info_of(vr, f);
		agree &= mask_of(&info[i]);
		v1 |= is_v1(f);
		impls |= impl_bit(f->entry->source);
		impls |= impl_bit(((const ips_input_t *)res->inputs.items[f->input])->format);
	}
	if (h && h->mask && (h->mask & agree))
		agree &= h->mask;
	/* the decider: the finding that names the fewest classes */
	size_t d = 0;
	for (size_t i = 1; i < n; i++)
		if (stronger(info, res, x, h ? h->rank : NULL, i, d))
			d = i;
	int cls = -1;
	/* the records say how the sides authenticate: a PSK tunnel is not told
	 * about certificates first, nor a certificate tunnel about keys */
	int hint = auth_hint(res, x);
	uint64_t certs = (UINT64_C(1) << K_CERT_UNTRUSTED) | (UINT64_C(1) << K_CERT_EXPIRED) |
			 (UINT64_C(1) << K_CERT_MISSING) | (UINT64_C(1) << K_CERT_EKU) |
			 (UINT64_C(1) << K_KEY_MISSING);
	uint64_t unsaid = hint == 1 ? certs : hint == 2 ? UINT64_C(1) << K_PSK : 0;
	for (int j = 0; hint && agree && j < info[d].n && cls < 0; j++) {
		int k = info[d].cls[j];
		bool cert = k == K_CERT_UNTRUSTED || k == K_CERT_EXPIRED || k == K_CERT_MISSING ||
			    k == K_CERT_EKU || k == K_KEY_MISSING;
		if ((agree & (UINT64_C(1) << k)) && ((hint == 1 && k == K_PSK) || (hint == 2 && cert)))
			cls = k;
	}
	if (agree && cls < 0) /* the decider's likeliest class that all agree on */
		for (int j = 0; j < info[d].n && cls < 0; j++)
			if (agree & (UINT64_C(1) << info[d].cls[j]))
				cls = info[d].cls[j];
	if (cls < 0) /* nothing in common (one attempt that says two things) */
		cls = info[d].cls[0];
	const ips_finding_t *df = res->findings.items[x->findings[d]];
	/* IKEv1: the exchange the record names tells phase 1 from phase 2 */
	const char *ex = v1 && !info[d].phase ? v1_exchange(df) : NULL;
	if (ex && !strcmp(ex, "quick-mode") && cls == K_IKE_PROP &&
	    (agree & (UINT64_C(1) << K_CHILD_PROP)))
		cls = K_CHILD_PROP;
	bool benign = cls == K_BENIGN;
	if (h && h->recovered && !benign)
		cls = K_RECOVERED;
	v->cls = ips_verdict_classes[cls];
	v->phase = info[d].phase ? info[d].phase : class_phase[cls][v1 ? 1 : 0];
	if (ex && !strcmp(v->phase, "main-mode") && strcmp(ex, "quick-mode"))
		v->phase = ex; /* main mode or aggressive mode */

	/* evidence: the decider, then what names the class, then the rest that fits it */
	uint64_t bit = UINT64_C(1) << cls;
	v->evidence = ips_xmalloc(n * sizeof *v->evidence);
	v->evidence[v->nevidence++] = x->findings[d];
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if (i == d)
				continue;
			bool names = !info[i].any && (mask_of(&info[i]) & bit);
			bool fits = info[i].any && info[i].cls[0] == cls;
			if (((pass == 0 && names) || (pass == 1 && fits)) && v->nevidence < EVIDENCE_MAX)
				v->evidence[v->nevidence++] = x->findings[i];
		}

	/* ruled out: the other authentication method's classes, when the
	 * records name the method */
	for (int k = 0; k < K_COUNT && (unsaid & ~(UINT64_C(1) << cls)); k++) {
		if (k == cls || !(unsaid & (UINT64_C(1) << k)))
			continue;
		bool named = false;
		for (size_t i = 0; i < n && !named; i++)
			named = !info[i].any && (mask_of(&info[i]) & (UINT64_C(1) << k));
		if (named)
			push_item(&v->ruled_out, &v->nruled_out, ips_verdict_classes[k],
				  hint == 1 ? "the records say the sides authenticate with a pre-shared key"
					    : "the records say the sides authenticate with certificates",
				  NULL, NULL);
	}
	/* ruled out: classes some finding named that another one excludes */
	for (int k = 0; k < K_COUNT; k++) {
		uint64_t kb = UINT64_C(1) << k;
		if (k == cls || (unsaid & kb))
			continue;
		size_t named = SIZE_MAX, excl = SIZE_MAX;
		for (size_t i = 0; i < n; i++) {
			if (info[i].any)
				continue;
			if ((mask_of(&info[i]) & kb) && named == SIZE_MAX)
				named = i;
			if (!(mask_of(&info[i]) & kb) && (excl == SIZE_MAX || i == d))
				excl = i;
		}
		if (named == SIZE_MAX || excl == SIZE_MAX)
			continue;
		const ips_finding_t *ef = res->findings.items[x->findings[excl]];
		const ips_input_t *in = res->inputs.items[ef->input];
		char why[512];
		snprintf(why, sizeof why, "%s (%s:%llu) does not fit it", ef->entry->name,
			 base_name(in->path), (unsigned long long)ef->line);
		push_item(&v->ruled_out, &v->nruled_out, ips_verdict_classes[k], why, NULL, NULL);
	}

	/* sides */
	const char *peer = peer_of(df, x);
	const char *side = info[d].side;
	if (cls == K_RECOVERED || cls == K_BENIGN)
		side = "local";
	if (!strcmp(side, "local")) {
		set_side(&v->refused_by, "local", host_of(df), df->input);
		set_side(&v->reason_in, "local", host_of(df), df->input);
	} else {
		set_side(&v->refused_by, side, peer, SIZE_MAX);
		set_side(&v->reason_in, side, peer, SIZE_MAX);
		add_collect(v, x, peer, cls);
	}

	/* fixes: the class first, then what the decider leaves open */
	int order[MAX_CLS + 1], norder = 0;
	order[norder++] = cls;
	for (int j = 0; j < info[d].n && norder < MAX_CLS && cls != K_BENIGN && cls != K_RECOVERED; j++)
		if (info[d].cls[j] != cls && (agree & (UINT64_C(1) << info[d].cls[j])) &&
		    !(unsaid & (UINT64_C(1) << info[d].cls[j])))
			order[norder++] = info[d].cls[j];
	char because[512];
	const ips_input_t *din = res->inputs.items[df->input];
	snprintf(because, sizeof because, "the evidence: %s (%s:%llu)", df->entry->name,
		 base_name(din->path), (unsigned long long)df->line);
	add_fixes(v, impls, order, norder, because);

	clock_offsets(v, res, x, df);
	free(info);
	return d;
}
