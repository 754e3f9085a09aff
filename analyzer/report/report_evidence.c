/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_evidence.c - report helpers (see report_util.h) that word an
 * incident's evidence and advice the same way in every writer: the parts
 * of a record that decide first (the error fields before the event's
 * envelope), whether a sentence was said already, the fixes and what to
 * collect, an incident's time span.
 */
#include "report/report_util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fields that give the error, in the order shown. */
static const char *const ev_error_keys[] = {
	"ErrorCode", "ErrorText", "FailureReason", "FailurePoint", "Reason", "ReasonCode",
	"DataDword", "Status", "failureErrorCode", "failureStatus", "failurePoint", "ErrorMessage",
	NULL,
};

/* The event's envelope: who logged it and where, not what went wrong. */
static bool ev_envelope_key(const char *k, size_t n)
{
	static const char *const env[] = {
		"Provider", "ProviderId", "EventID", "InstanceId", "Computer", "Channel", "Level",
		"Task", "Keywords", "RecordID", "Version", "Opcode", "OpcodeDisplayName",
		"ProcessId", "ThreadId", "TimeWritten", "TimeCreated", "ContainerLog", "Qualifiers",
		"UserID", "UserId", "CoId", "RoutingDomainID", "MMFilterID", "InitiatorCookie",
		"ResponderCookie", "MMImpersonationState", "timeStamp", "flags", "scopeId", "mmId",
		"mmFilterId", "endCertHash", NULL,
	};
	for (int i = 0; env[i]; i++)
		if (strlen(env[i]) == n && !strncmp(k, env[i], n))
			return true;
	/* Winlogbeat/ECS and PowerShell's extra properties */
	static const char *const pre[] = {"agent.", "ecs.", "event.", "winlog.", "UserId.",
					  "KeywordsDisplayNames", NULL};
	for (int i = 0; pre[i]; i++)
		if (n >= strlen(pre[i]) && !strncmp(k, pre[i], strlen(pre[i])))
			return true;
	return false;
}

/* A field name: letters, digits, '_', '.', '[', ']', then '='. Its length, or 0. */
static size_t ev_key_len(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '[' ||
			 s[i] == ']'))
		i++;
	return i > 0 && i < n && s[i] == '=' && isalpha((unsigned char)s[0]) ? i : 0;
}

/* A copy of s[0..n) with each run of white space (lines, tabs) as one space, trimmed. */
static char *ev_squeeze(const char *s, size_t n)
{
	char *out = ips_xmalloc(n + 1);
	size_t o = 0;
	bool space = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = false;
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

/* A long value (a sentence) the message says already. */
static bool ev_in_message(const char *msg, const char *v, size_t n)
{
	return msg && n >= 24 && memmem(msg, strlen(msg), v, n) != NULL;
}

static void ev_add(char **dst, size_t *len, const char *s, size_t n)
{
	size_t have = *dst ? *len : 0;
	*dst = ips_xrealloc(*dst, have + n + 2);
	if (have)
		(*dst)[have++] = ' ';
	memcpy(*dst + have, s, n);
	(*dst)[have + n] = '\0';
	*len = have + n;
}

void ips_report_evidence_parts(const char *text, ips_report_evidence_t *ev)
{
	ev->message = ev->fields = ev->envelope = NULL;
	if (!text || !*text)
		return;
	size_t n = strlen(text), fields = 0;
	bool kv = true;
	const char *msg = NULL; /* Message= is last and may hold tabs and lines */
	for (size_t i = 0; i < n;) { /* every tab-separated piece is Key=Value */
		const char *tab = memchr(text + i, '\t', n - i);
		size_t e = tab ? (size_t)(tab - text) : n, kl = ev_key_len(text + i, e - i);
		if (!kl) {
			kv = false;
			break;
		}
		fields++;
		if (kl == 7 && !strncmp(text + i, "Message", 7)) {
			msg = text + i + 8;
			n = i ? i - 1 : 0; /* the fields end before it */
			break;
		}
		i = e + 1;
	}
	if (!kv || fields < 3) {
		ev->message = ev_squeeze(text, strlen(text));
		return;
	}
	if (msg && *msg)
		ev->message = ev_squeeze(msg, strlen(msg));
	size_t lf = 0, le = 0;
	/* the error fields in their order, then the others in the record's order */
	for (int k = 0; ev_error_keys[k]; k++) {
		size_t want = strlen(ev_error_keys[k]);
		for (size_t i = 0; i < n;) {
			const char *s = text + i, *tab = memchr(s, '\t', n - i);
			size_t len = tab ? (size_t)(tab - s) : n - i;
			i += len + 1;
			if (ev_key_len(s, len) == want && !strncmp(s, ev_error_keys[k], want) &&
			    len > want + 1)
				ev_add(&ev->fields, &lf, s, len);
		}
	}
	for (size_t i = 0; i < n;) {
		const char *s = text + i, *tab = memchr(s, '\t', n - i);
		size_t len = tab ? (size_t)(tab - s) : n - i, kl = ev_key_len(s, len);
		i += len + 1;
		bool is_error = false;
		for (int j = 0; ev_error_keys[j] && !is_error; j++)
			is_error = strlen(ev_error_keys[j]) == kl && !strncmp(s, ev_error_keys[j], kl);
		if (is_error || kl + 1 == len) /* shown already, or empty */
			continue;
		if (ev_in_message(ev->message, s + kl + 1, len - kl - 1)) {
			continue; /* said whole in the message (a GUID, a path) */
		} else if (ev_envelope_key(s, kl)) {
			ev_add(&ev->envelope, &le, s, len);
		} else {
			ev_add(&ev->fields, &lf, s, len);
		}
	}
}

void ips_report_evidence_free(ips_report_evidence_t *ev)
{
	free(ev->message);
	free(ev->fields);
	free(ev->envelope);
	ev->message = ev->fields = ev->envelope = NULL;
}

char *ips_report_evidence_line(const char *text)
{
	ips_report_evidence_t ev;
	ips_report_evidence_parts(text, &ev);
	char *out = ips_xasprintf("%s%s%s%s%s", ev.message ? ev.message : "",
				  ev.message && ev.fields ? " | " : "", ev.fields ? ev.fields : "",
				  (ev.message || ev.fields) && ev.envelope ? " | " : "",
				  ev.envelope ? ev.envelope : "");
	ips_report_evidence_free(&ev);
	return out;
}

bool ips_report_said_in(const char *text, const char *sentence)
{
	if (!text || !sentence)
		return false;
	size_t n = strlen(sentence);
	while (n && (sentence[n - 1] == '.' || sentence[n - 1] == ' '))
		n--;
	if (!n)
		return false;
	for (const char *p = text; (p = strchr(p, sentence[0])) != NULL; p++)
		if (!strncmp(p, sentence, n))
			return true;
	return false;
}

size_t ips_report_fixes(const ips_verdict_t *v, size_t max_fix, size_t max_collect,
			ips_report_fix_t *out)
{
	size_t n = 0;
	for (size_t i = 0; v && i < v->nfixes && i < max_fix; i++)
		out[n++] = (ips_report_fix_t){i ? IPS_FIX_THEN : IPS_FIX_FIRST, v->fixes[i].a,
					      v->fixes[i].c};
	for (size_t i = 0; v && i < v->ncollect && i < max_collect; i++)
		out[n++] = (ips_report_fix_t){IPS_FIX_COLLECT, v->collect[i].a, v->collect[i].c};
	return n;
}

void ips_report_fix_lines(ips_buf_t *b, const ips_verdict_t *v, const char *prefix, size_t max)
{
	ips_report_fix_t fx[16];
	size_t n = ips_report_fixes(v, max < 8 ? max : 8, max < 8 ? max : 8, fx);
	for (size_t i = 0; i < n; i++)
		if (fx[i].kind == IPS_FIX_COLLECT)
			ips_buf_printf(b, "%sCollect (%s): %s\n", prefix, fx[i].impl, fx[i].text);
		else
			ips_buf_printf(b, "%s%s %s: %s\n", prefix,
				       fx[i].kind == IPS_FIX_FIRST ? "Fix first" : "then", fx[i].impl,
				       fx[i].text);
}

void ips_report_span_words(const ips_incident_t *x, char *buf, size_t n)
{
	if (!x->first.valid) {
		snprintf(buf, n, "no time known");
		return;
	}
	char t0[64], t1[64];
	ips_report_time(&x->first, t0, sizeof t0);
	ips_report_time(&x->last, t1, sizeof t1);
	if (x->last.valid)
		snprintf(buf, n, "%s to %s (%lld s)", t0, t1, (long long)(x->last.sec - x->first.sec));
	else
		snprintf(buf, n, "%s to %s", t0, t1);
}
