/* SPDX-License-Identifier: Apache-2.0 */
/* verdict.c - see verdict.h and docs/correlation.md#verdicts; the fixes and
 * what to collect from the other side are verdict_fixes.c. */
#include "correlate/verdict.h"
#include "correlate/verdict_priv.h"

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

#define EVIDENCE_MAX 64     /* finding ids in verdict.evidence; the incident lists them all */

int ips_verdict_class_index(const char *name)
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
			int k = ips_verdict_class_index(tok);
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
		if (d->kind && !strcmp(d->kind, "fixes")) {
			for (size_t j = 0; j < d->nparams; j++)
				ips_verdict_add_fix_lines(v, d->params[j].key, d->params[j].value);
			continue;
		}
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
	for (size_t i = 0; i < v->nfix; i++) {
		free(v->fix[i].impl);
		free(v->fix[i].text);
	}
	free(v->fix);
	free(v);
}

size_t ips_verdict_check(const ips_rules_t *rules, ips_diag_t *d)
{
	size_t errors = 0;
	for (size_t i = 0; i < ips_rules_correlation_count(rules); i++) {
		const ips_correlation_t *c = ips_rules_correlation_at(rules, i);
		if (c->kind && !strcmp(c->kind, "fixes")) {
			for (size_t j = 0; j < c->nparams; j++) {
				char impl[64], err[160];
				if (ips_verdict_fix_key(c->params[j].key, impl, sizeof impl, err, sizeof err) < 0 ||
				    (!c->params[j].value[strspn(c->params[j].value, " \t\r\n")] &&
				     snprintf(err, sizeof err, "no fix given") > 0)) {
					ips_diag_add(d, true, c->file, c->line, 0, "correlation '%s': %s: %s",
						     c->id, c->params[j].key, err);
					errors++;
				}
			}
			continue;
		}
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
	const char *impl = ips_verdict_impl_of(f->entry->source);
	if (strstr(t, "IKEv2") || (impl && !strcmp(impl, "windows")))
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

void ips_verdict_push_item(ips_verdict_item_t **it, size_t *n, const char *a, const char *b,
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
		/* every phrase above holds one of these: most texts hold none */
		if (!strcasestr(f->text, "method") && !strcasestr(f->text, "pre-shared") &&
		    !strcasestr(f->text, "rsa") && !strcasestr(f->text, "ecdsa"))
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
		ips_verdict_add_collect(v, x, peer, unanswered ? K_UNREACH : K_UNKNOWN);
		return 0;
	}
	size_t n = x->nfindings;
	vinfo_t *info = ips_xmalloc(n * sizeof *info);
	uint64_t agree = IPS_VERDICT_ALL;
	bool v1 = false;
	ips_impl_set_t formats = {.n = 0}, sources = {.n = 0};
	for (size_t i = 0; i < n; i++) {
		const ips_finding_t *f = res->findings.items[x->findings[i]];
		info[i] = info_of(vr, f);
		agree &= mask_of(&info[i]);
		v1 |= is_v1(f);
		ips_verdict_impl_add(&sources, f->entry->source);
		ips_verdict_impl_add(&formats, ((const ips_input_t *)res->inputs.items[f->input])->format);
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
			ips_verdict_push_item(&v->ruled_out, &v->nruled_out, ips_verdict_classes[k],
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
		ips_verdict_push_item(&v->ruled_out, &v->nruled_out, ips_verdict_classes[k], why, NULL, NULL);
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
		ips_verdict_add_collect(v, x, peer, cls);
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
	ips_verdict_add_fixes(vr, v, &formats, &sources, order, norder, because);

	clock_offsets(v, res, x, df);
	free(info);
	return d;
}
