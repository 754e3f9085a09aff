/* SPDX-License-Identifier: Apache-2.0 */
/*
 * winevent_derive.c - what the Windows event model (winevent.h) derives
 * from a whole event before it becomes a record: names for unnamed
 * EventData values by provider and event id, %%NNNN references resolved,
 * fields parsed from RasClient, RemoteAccess and Security messages, and the
 * aliases peer, local, user and conn.
 */
#include "input/winevent.h"
#include "input/winevent_priv.h"

#include <stdlib.h>
#include <string.h>

#include "input/winparams.h"
#include "util/util.h"

static bool streq_ci(const char *a, const char *b)
{
	return a && b && ips_streq_nocase(a, b);
}

static bool is_rasclient(const ips_winevent_t *ev)
{
	const char *p = ips_winevent_get(ev, "Provider");
	return streq_ci(p, "RasClient") || streq_ci(p, "Microsoft-Windows-RasClient");
}

/* The RRAS server's classic source (System log) */
static bool is_remoteaccess(const ips_winevent_t *ev)
{
	const char *p = ips_winevent_get(ev, "Provider");
	return streq_ci(p, "RemoteAccess") || streq_ci(p, "Microsoft-Windows-RemoteAccess");
}

static bool is_security(const ips_winevent_t *ev)
{
	return streq_ci(ips_winevent_get(ev, "Provider"), "Microsoft-Windows-Security-Auditing");
}

static long event_id(const ips_winevent_t *ev)
{
	const char *v = ips_winevent_get(ev, "EventID");
	int64_t id;
	return v && ips_parse_i64(v, 10, &id) && id >= 0 && id < 65536 ? (long)id : -1;
}

/*
 * Names of unnamed insertion strings. RasClient 20227 is documented (CoId,
 * user, connection, error code); 20220 has the error code as %3; 20221,
 * 20225 and 20226 are read the same way as 20227 (inference). 4653's order
 * is the manifest's (for PowerShell's positional Properties).
 */
static const char *const ras4[] = {"CoId", "UserName", "ConnectionName", "ErrorCode", NULL};
static const char *const ras_term[] = {"CoId", "UserName", "ConnectionName", "ReasonCode", NULL};
static const char *const ras3[] = {"CoId", "UserName", "ConnectionName", NULL};
static const char *const ras20220[] = {"CoId", "", "ErrorCode", NULL};
/*
 * RemoteAccess (mprlog.h ROUTERLOG_*; current Windows puts a routing domain
 * GUID first): 20111 "A Demand Dial connection to the remote interface %2
 * on port %3 was successfully initiated but failed to complete successfully
 * because of the following error: %4" (its binary data is the error code);
 * 20271 "The user %2 connected from %3 but failed an authentication attempt
 * due to the following reason: %4".
 */
static const char *const rras20111[] = {"RoutingDomainID", "InterfaceName", "Port", "ErrorText",
					NULL};
static const char *const rras20271[] = {"RoutingDomainID", "UserName", "RemoteAddress", "Reason",
					NULL};
static const char *const sec4653[] = {
	"LocalMMPrincipalName", "RemoteMMPrincipalName", "LocalAddress", "LocalKeyModPort",
	"RemoteAddress", "RemoteKeyModPort", "KeyModName", "FailurePoint", "FailureReason",
	"MMAuthMethod", "State", "Role", "MMImpersonationState", "MMFilterID", "InitiatorCookie",
	"ResponderCookie", NULL};

static const char *const *template_for(const ips_winevent_t *ev)
{
	long id = event_id(ev);
	if (is_rasclient(ev)) {
		switch (id) {
		case 20227: return ras4;
		case 20226: return ras_term;
		case 20221: case 20225: return ras3;
		case 20220: return ras20220;
		default: return NULL;
		}
	}
	if (is_remoteaccess(ev)) {
		switch (id) {
		case 20111: return rras20111;
		case 20271: return rras20271;
		default: return NULL;
		}
	}
	if (is_security(ev) && id == 4653)
		return sec4653;
	return NULL;
}

static void name_positional(ips_winevent_t *ev)
{
	const char *const *tpl = template_for(ev);
	size_t ntpl = 0;
	while (tpl && tpl[ntpl])
		ntpl++;
	/* RasClient and RRAS layouts start with a GUID; anything else is not ours */
	if (tpl && tpl[0] && (!strcmp(tpl[0], "CoId") || !strcmp(tpl[0], "RoutingDomainID"))) {
		const char *first = NULL;
		for (size_t i = 0; i < ev->nf && !first; i++)
			if (ev->f[i].kind == K_DATA && (ev->f[i].pos == 1 ||
			    (ev->f[i].name != NONE && !strcmp(ips_we_str(ev, ev->f[i].name), "param1"))))
				first = ips_we_str(ev, ev->f[i].val);
		if (first && first[0] != '{')
			tpl = NULL, ntpl = 0;
	}
	size_t nf = ev->nf;
	for (size_t i = 0; i < nf; i++) {
		wfield_t *f = &ev->f[i];
		if (f->kind != K_DATA)
			continue;
		unsigned pos = f->pos;
		/* winlogbeat names unnamed values param1, param2, ... */
		if (f->name != NONE) {
			const char *nm = ips_we_str(ev, f->name);
			if (!tpl || strncmp(nm, "param", 5) || !ips_we_all_digits(nm + 5, strlen(nm + 5)))
				continue;
			pos = (unsigned)atoi(nm + 5);
		}
		char buf[32];
		const char *nm = NULL;
		if (pos >= 1 && pos <= ntpl && tpl[pos - 1][0])
			nm = tpl[pos - 1];
		else if (f->name != NONE)
			continue;
		else {
			snprintf(buf, sizeof buf, "Data%u", pos);
			nm = buf;
		}
		if (ips_we_find(ev, nm, K_DATA))
			continue; /* a named value of that name exists: keep the position */
		size_t no = ips_we_store(ev, nm, strlen(nm), NULL);
		if (no != NONE)
			f->name = no;
	}
	/* anything still unnamed (arena full) is dropped from the output */
}

/* Set a data field from the message unless the event already has it. */
static void derived(ips_winevent_t *ev, const char *name, const char *v, size_t n)
{
	ips_we_trim(&v, &n);
	if (!n || ips_we_find(ev, name, K_DATA))
		return;
	ips_we_add(ev, K_DATA, name, v, n, NULL);
}

/* The text from p up to the first of `ends`; *rest points after that end. */
static bool upto(const char *p, size_t left, const char *const *ends, const char **v, size_t *n,
		 const char **rest)
{
	const char *best = NULL;
	size_t best_len = 0;
	for (int i = 0; ends[i]; i++) {
		const char *e = memmem(p, left, ends[i], strlen(ends[i]));
		if (e && (!best || e < best)) {
			best = e;
			best_len = strlen(ends[i]);
		}
	}
	if (!best)
		return false;
	*v = p;
	*n = (size_t)(best - p);
	if (rest)
		*rest = best + best_len;
	return true;
}

/* The text between `after` and the first of `ends`. */
static bool between(const char *m, size_t mn, const char *after, const char *const *ends,
		    const char **v, size_t *n, const char **rest)
{
	const char *p = memmem(m, mn, after, strlen(after));
	if (!p)
		return false;
	p += strlen(after);
	return upto(p, mn - (size_t)(p - m), ends, v, n, rest);
}

static void digits_after(ips_winevent_t *ev, const char *m, size_t mn, const char *after,
			 const char *name)
{
	const char *p = memmem(m, mn, after, strlen(after));
	if (!p)
		return;
	p += strlen(after);
	size_t i = 0, left = mn - (size_t)(p - m);
	while (i < left && p[i] >= '0' && p[i] <= '9')
		i++;
	if (i)
		derived(ev, name, p, i);
}

/* RasClient messages (as in the Application log, en-US). */
static void parse_ras_message(ips_winevent_t *ev, const char *m, size_t mn)
{
	static const char *const dialed[] = {" dialed a connection named ", NULL};
	static const char *const failed[] = {" that has ", " which has ", NULL};
	static const char *const started[] = {" has started dialing", NULL};
	static const char *const established[] = {" has successfully established a connection to ",
						  NULL};
	static const char *const device[] = {" using the device ", ".", NULL};
	static const char *const dot[] = {".", NULL};
	const char *v, *rest;
	size_t n;
	if (mn > 6 && !memcmp(m, "CoId=", 5)) {
		const char *e = memchr(m, ':', mn);
		if (e)
			derived(ev, "CoId", m + 5, (size_t)(e - m) - 5);
	}
	if (between(m, mn, "The user ", dialed, &v, &n, &rest)) {
		/* 20227/20226: "The user <user> dialed a connection named <conn>
		 * which has failed." ("that has" in newer wording) */
		derived(ev, "UserName", v, n);
		if (upto(rest, mn - (size_t)(rest - m), failed, &v, &n, NULL))
			derived(ev, "ConnectionName", v, n);
	} else if (between(m, mn, "The user ", started, &v, &n, NULL)) {
		/* 20221: "The user <user> has started dialing a VPN connection using
		 * a per-user connection profile named <conn>. The connection
		 * settings are: ..." (wording from experience) */
		derived(ev, "UserName", v, n);
		if (between(m, mn, "connection profile named ", dot, &v, &n, NULL))
			derived(ev, "ConnectionName", v, n);
	} else if (between(m, mn, "The user ", established, &v, &n, &rest)) {
		/* 20225: "The user <user> has successfully established a connection
		 * to <conn> using the device <device>." (wording from experience) */
		derived(ev, "UserName", v, n);
		if (upto(rest, mn - (size_t)(rest - m), device, &v, &n, NULL))
			derived(ev, "ConnectionName", v, n);
	}
	digits_after(ev, m, mn, "The error code returned on failure is ", "ErrorCode");
	digits_after(ev, m, mn, "The reason code returned on termination is ", "ReasonCode");
}

/* RemoteAccess messages (en-US wording of mprlog.h, see rras20111 above). */
static void parse_rras_message(ips_winevent_t *ev, const char *m, size_t mn)
{
	static const char *const on_port[] = {" on port ", NULL};
	static const char *const was[] = {" was successfully initiated", " failed to be", NULL};
	static const char *const from[] = {" connected from ", NULL};
	static const char *const but[] = {" but failed an authentication attempt", NULL};
	static const char *const reason[] = {"due to the following reason: ", NULL};
	const char *v, *rest;
	size_t n;
	if (between(m, mn, "Demand Dial connection to the remote interface ", on_port, &v, &n,
		    &rest)) {
		derived(ev, "InterfaceName", v, n);
		if (upto(rest, mn - (size_t)(rest - m), was, &v, &n, NULL))
			derived(ev, "Port", v, n);
	}
	if (between(m, mn, "The user ", from, &v, &n, &rest)) {
		derived(ev, "UserName", v, n);
		if (upto(rest, mn - (size_t)(rest - m), but, &v, &n, &rest))
			derived(ev, "RemoteAddress", v, n);
	}
	if (upto(m, mn, reason, &v, &n, &rest))
		derived(ev, "Reason", rest, mn - (size_t)(rest - m));
}

/*
 * Labelled lines of the IPsec audit messages ("\tNetwork Address:\t\t1.2.3.4"
 * under "Remote Endpoint:"). The names are 4653's EventData names; for the
 * other events they follow the same pattern (inference).
 */
typedef struct label {
	const char *section; /* NULL: any section */
	const char *label;
	const char *name;
} label_t;

static const label_t labels[] = {
	{"Local Endpoint", "Local Principal Name", "LocalMMPrincipalName"},
	{"Local Endpoint", "Principal Name", "LocalMMPrincipalName"},
	{"Local Endpoint", "Network Address", "LocalAddress"},
	{"Local Endpoint", "Keying Module Port", "LocalKeyModPort"},
	{"Remote Endpoint", "Principal Name", "RemoteMMPrincipalName"},
	{"Remote Endpoint", "Network Address", "RemoteAddress"},
	{"Remote Endpoint", "Keying Module Port", "RemoteKeyModPort"},
	{"Remote Endpoint", "Private Address", "RemotePrivateAddress"},
	{NULL, "Local Network Address", "LocalAddress"},
	{NULL, "Remote Network Address", "RemoteAddress"},
	{NULL, "Keying Module Name", "KeyModName"},
	{NULL, "Authentication Method", "MMAuthMethod"},
	{NULL, "Role", "Role"},
	{NULL, "Impersonation State", "MMImpersonationState"},
	{NULL, "Main Mode Filter ID", "MMFilterID"},
	{NULL, "Quick Mode Filter ID", "QMFilterID"},
	{NULL, "Main Mode SA ID", "MMSAID"},
	{NULL, "Failure Point", "FailurePoint"},
	{NULL, "Failure Reason", "FailureReason"},
	{NULL, "State", "State"},
	{NULL, "Message ID", "MessageID"},
	{NULL, "Initiator Cookie", "InitiatorCookie"},
	{NULL, "Responder Cookie", "ResponderCookie"},
	{NULL, "Inbound SA SPI", "SPI"},
	{NULL, NULL, NULL},
};

static void parse_label_lines(ips_winevent_t *ev, const char *m, size_t mn)
{
	char section[64] = "";
	const char *p = m, *end = m + mn;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		const char *l = p;
		size_t ln = (size_t)(e - p);
		p = e + 1;
		ips_we_trim(&l, &ln);
		const char *colon = memchr(l, ':', ln);
		if (!colon)
			continue;
		size_t labl = (size_t)(colon - l);
		const char *v = colon + 1;
		size_t vn = ln - labl - 1;
		ips_we_trim(&v, &vn);
		if (!vn) {
			if (labl < sizeof section) {
				memcpy(section, l, labl);
				section[labl] = '\0';
			}
			continue;
		}
		for (int i = 0; labels[i].label; i++) {
			if (strlen(labels[i].label) != labl || memcmp(labels[i].label, l, labl))
				continue;
			if (labels[i].section && strcmp(labels[i].section, section))
				continue;
			if (ips_we_is_param_ref(v, vn)) {
				char tmp[64];
				if (vn + sizeof UNRESOLVED < sizeof tmp) {
					memcpy(tmp, v, vn);
					memcpy(tmp + vn, UNRESOLVED, sizeof UNRESOLVED);
					derived(ev, labels[i].name, tmp, strlen(tmp));
				}
			} else {
				derived(ev, labels[i].name, v, vn);
			}
			break;
		}
	}
}

/*
 * A Security-Auditing event's %%NNNN references become the words of its
 * parameter message file (rules/params/security-auditing.tsv); other
 * providers' references, and numbers the table lacks, stay marked as
 * unresolved.
 */
static void resolve_params(ips_winevent_t *ev)
{
	if (!is_security(ev))
		return;
	size_t sl = strlen(UNRESOLVED);
	for (size_t i = 0; i < ev->nf; i++) {
		wfield_t *f = &ev->f[i];
		const char *v = ips_we_str(ev, f->val);
		size_t n = v ? strlen(v) : 0;
		if (n <= sl || strcmp(v + n - sl, UNRESOLVED) || !ips_we_is_param_ref(v, n - sl))
			continue;
		int64_t id;
		char num[16];
		if (n - sl - 2 >= sizeof num)
			continue;
		memcpy(num, v + 2, n - sl - 2);
		num[n - sl - 2] = '\0';
		if (!ips_parse_i64(num, 10, &id))
			continue;
		for (const ips_winparam_t *p = ips_winparams; p->word; p++)
			if ((int64_t)p->id == id) {
				size_t vo = ips_we_store(ev, p->word, strlen(p->word), NULL);
				if (vo != NONE)
					f->val = vo;
				break;
			}
	}
}

static void alias(ips_winevent_t *ev, const char *alias_name, const char *const *from)
{
	if (ips_we_find(ev, alias_name, -1))
		return;
	for (int i = 0; from[i]; i++) {
		const char *v = ips_winevent_get(ev, from[i]);
		if (v && *v && strcmp(v, "-") != 0) {
			/* v points into the arena, which adding may move */
			char *copy = ips_xstrdup(v);
			ips_we_add(ev, K_ALIAS, alias_name, copy, strlen(copy), NULL);
			free(copy);
			return;
		}
	}
}

/* Text kept of one extra field: the message after them must still fit. */

void ips_winevent_derive(ips_winevent_t *ev)
{
	name_positional(ev);
	resolve_params(ev);
	if (ev->msg.len) {
		if (is_rasclient(ev) || is_remoteaccess(ev)) {
			/* one-paragraph messages: a line break (a wrapped export) is a space */
			char *flat = ips_xstrndup(ev->msg.data, ev->msg.len);
			for (char *c = flat; *c; c++)
				if (*c == '\n' || *c == '\r' || *c == '\t')
					*c = ' ';
			if (is_rasclient(ev))
				parse_ras_message(ev, flat, ev->msg.len);
			else
				parse_rras_message(ev, flat, ev->msg.len);
			free(flat);
		} else if (is_security(ev))
			parse_label_lines(ev, ev->msg.data, ev->msg.len);
	}
	/* WFP: the header's addresses, or a DoS Protection drop's public and
	 * internal host (FWPM_NET_EVENT_IPSEC_DOSP_DROP0) */
	alias(ev, "peer", (const char *const[]){"RemoteAddress", "remoteAddrV4", "remoteAddrV6",
						 "publicHostV4Addr", "publicHostV6Addr", NULL});
	alias(ev, "local", (const char *const[]){"LocalAddress", "localAddrV4", "localAddrV6",
						  "internalHostV4Addr", "internalHostV6Addr",
						  NULL});
	alias(ev, "user", (const char *const[]){"UserName", NULL});
	alias(ev, "conn", (const char *const[]){"ConnectionName", "InterfaceName", NULL});
}
