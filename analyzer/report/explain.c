/* SPDX-License-Identifier: Apache-2.0 */
/* explain.c - see explain.h. */
#include "report/explain.h"

#include <stdlib.h>
#include <string.h>
#include <yajl_gen.h>

#include "detect/lookup.h"
#include "report/report_json.h"
#include "util/util.h"

size_t ips_explain_find(const ips_rules_t *r, const char *key, const ips_entry_t **out,
			size_t max)
{
	ips_key_match_t m[32];
	size_t n = ips_rules_find(r, key, m, max < 32 ? max : 32, NULL);
	for (size_t i = 0; i < n; i++)
		out[i] = m[i].entry;
	return n;
}

size_t ips_explain_key(FILE *err, const char *prog, const ips_rules_t *r, const char *key,
		       const ips_entry_t **out, size_t max)
{
	ips_key_match_t m[32];
	bool ambiguous = false;
	size_t n = ips_rules_find(r, key, m, max < 32 ? max : 32, &ambiguous);
	if (ambiguous) {
		fprintf(err, "%s: explain: '%s' is ambiguous; it is:\n", prog, key);
		for (size_t i = 0; i < n; i++) {
			const ips_entry_t *e = m[i].entry;
			fprintf(err, "  %-18s %s", ips_key_kind_name(m[i].kind), e->name);
			if (e->has_code)
				fprintf(err, " (%lld)", (long long)e->code);
			else if (e->notify)
				fprintf(err, " (%s)", e->ike_version ? e->ike_version : "IKE");
			fprintf(err, ": %s\n", e->message ? e->message : "");
		}
		fprintf(err, "%s: explain: give the name (or 0x for a code) of the one you mean\n", prog);
		return 0;
	}
	if (n) {
		for (size_t i = 0; i < n; i++)
			out[i] = m[i].entry;
		return n;
	}
	ips_key_suggestion_t near[6];
	size_t nn = ips_rules_suggest(r, key, near, 6);
	fprintf(err, "%s: explain: unknown key '%s'", prog, key);
	for (size_t i = 0; i < nn; i++) {
		const ips_entry_t *e = near[i].entry;
		fprintf(err, "%s %s", i ? "," : "; nearest:", e->name);
		if (e->has_code)
			fprintf(err, " (%lld)", (long long)e->code);
		if (strcmp(near[i].form, e->name) && !(e->has_code && atoll(near[i].form) == e->code))
			fprintf(err, " [%s]", near[i].form);
	}
	fputc('\n', err);
	return 0;
}

size_t ips_explain_suggest(const ips_rules_t *r, const char *key, const ips_entry_t **out,
			   size_t max)
{
	ips_key_suggestion_t near[16];
	size_t n = ips_rules_suggest(r, key, near, max < 16 ? max : 16);
	for (size_t i = 0; i < n; i++)
		out[i] = near[i].entry;
	return n;
}

static const char *sev_meaning(ips_severity_t s)
{
	switch (s) {
	case IPS_SEV_CRITICAL: return "critical: nothing can connect until it is fixed";
	case IPS_SEV_ERROR: return "error: a negotiation or connection failed";
	case IPS_SEV_WARNING: return "warning: degraded or transient, worth watching";
	case IPS_SEV_INFO: return "info: not a failure by itself";
	default: return "-";
	}
}

static void list(FILE *out, const char *title, const ips_strlist_t *l, bool numbered,
		 const char *B, const char *R)
{
	if (!l->len)
		return;
	fprintf(out, "\n%s%s%s\n", B, title, R);
	for (size_t i = 0; i < l->len; i++) {
		if (numbered)
			fprintf(out, "  %zu. %s\n", i + 1, l->items[i]);
		else
			fprintf(out, "  - %s\n", l->items[i]);
	}
}

void ips_explain_text(FILE *out, const ips_rules_t *r, const ips_entry_t *e, bool color)
{
	const char *B = color ? "\033[1m" : "", *R = color ? "\033[0m" : "";
	fprintf(out, "%s%s%s\n", B, e->name, R);
	if (e->has_code) {
		char hr[16];
		int64_t sd;
		ips_entry_hresult(e, hr, sizeof hr, &sd);
		fprintf(out, "  Code: %lld   Hex: %s   HRESULT: %s (%lld)\n", (long long)e->code,
			e->hex ? e->hex : "-", hr, (long long)sd);
	}
	if (e->notify)
		fprintf(out, "  %s notify type %d\n", e->ike_version ? e->ike_version : "IKE",
			e->notify);
	for (size_t i = 0; i < e->aliases.len; i++)
		fprintf(out, "%s%s", i ? ", " : "  Also written as: ", (const char *)e->aliases.items[i]);
	if (e->aliases.len)
		fputc('\n', out);
	if (e->message)
		fprintf(out, "  %s: %s\n", e->has_code ? "Message" : "Meaning", e->message);
	fprintf(out, "  Severity: %s\n", sev_meaning(e->severity));
	fprintf(out, "  Category: %s", e->category ? e->category : "-");
	if (e->range)
		fprintf(out, "   Range: %s", e->range);
	if (e->source)
		fprintf(out, "   Source: %s", e->source);
	fputc('\n', out);
	if (e->marker)
		fprintf(out, "  Range marker (%s): not an error; ipsec-scan uses it to group a "
			     "negotiation's records\n", e->marker);
	if (e->event_id)
		fprintf(out, "  Windows event id: %lld\n", (long long)e->event_id);
	if (e->cand_len) {
		fprintf(out, "  Code: ambiguous: this text is shared by");
		for (size_t i = 0; i < e->cand_len; i++)
			fprintf(out, "%s %lld %s", i ? "," : "", (long long)e->cand[i]->code,
				e->cand[i]->name);
		fputc('\n', out);
	}
	if (e->summary)
		fprintf(out, "\n%sWhat it means%s\n  %s\n", B, R, e->summary);
	list(out, "Likely causes", &e->causes, false, B, R);
	list(out, "How to diagnose", &e->diagnose, false, B, R);
	list(out, "How to resolve", &e->resolve, true, B, R);
	if (e->related.len) {
		fprintf(out, "\n%sRelated%s\n", B, R);
		for (size_t i = 0; i < e->related.len; i++) {
			const ips_entry_t *x = ips_rules_by_name(r, e->related.items[i]);
			if (x && x->has_code)
				fprintf(out, "  %s (%lld): %s\n", x->name, (long long)x->code,
					x->message ? x->message : "");
			else
				fprintf(out, "  %s%s%s\n", e->related.items[i], x && x->message ? ": " : "",
					x && x->message ? x->message : "");
		}
	}
	list(out, "Sources", &e->references, false, B, R);
}

static void print_cb(void *ctx, const char *s, size_t n)
{
	fwrite(s, 1, n, (FILE *)ctx);
}

static void kstrlist(yajl_gen g, const char *k, const ips_strlist_t *l)
{
	ips_json_key(g, k);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < l->len; i++)
		yajl_gen_string(g, (const unsigned char *)l->items[i], strlen(l->items[i]));
	yajl_gen_array_close(g);
}

void ips_explain_json(FILE *out, const ips_entry_t *const *entries, size_t n)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	yajl_gen_config(g, yajl_gen_print_callback, print_cb, out);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n; i++) {
		const ips_entry_t *e = entries[i];
		yajl_gen_map_open(g);
		ips_json_key(g, "code");
		if (e->has_code)
			yajl_gen_integer(g, e->code);
		else
			yajl_gen_null(g);
		ips_json_kstr(g, "name", e->name);
		ips_json_kstr(g, "hex", e->has_code ? e->hex : NULL);
		char hr[16];
		int64_t sd = 0;
		if (e->has_code)
			ips_entry_hresult(e, hr, sizeof hr, &sd);
		ips_json_kstr(g, "hresult", e->has_code ? hr : NULL);
		ips_json_key(g, "hresult_signed");
		if (e->has_code)
			yajl_gen_integer(g, sd);
		else
			yajl_gen_null(g);
		ips_json_kstr(g, "message", e->message);
		ips_json_kstr(g, "severity", ips_severity_name(e->severity));
		ips_json_kstr(g, "category", e->category);
		ips_json_key(g, "marker");
		yajl_gen_bool(g, e->marker != NULL);
		ips_json_kstr(g, "marker_kind", e->marker);
		ips_json_kstr(g, "range", e->range);
		ips_json_kstr(g, "source", e->source);
		ips_json_key(g, "notify");
		if (e->notify)
			yajl_gen_integer(g, e->notify);
		else
			yajl_gen_null(g);
		ips_json_kstr(g, "ike_version", e->ike_version);
		ips_json_kstr(g, "summary", e->summary);
		kstrlist(g, "causes", &e->causes);
		kstrlist(g, "diagnose", &e->diagnose);
		kstrlist(g, "resolve", &e->resolve);
		kstrlist(g, "related", &e->related);
		kstrlist(g, "aliases", &e->aliases);
		kstrlist(g, "references", &e->references);
		ips_json_key(g, "candidates");
		if (e->cand_len)
			ips_json_candidates(g, e);
		else
			yajl_gen_null(g);
		ips_json_key(g, "event_id");
		if (e->event_id)
			yajl_gen_integer(g, e->event_id);
		else
			yajl_gen_null(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_free(g);
	fputc('\n', out);
}

/* Markdown: escape the characters that would start markup inside a table cell or line. */
static void md(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|' || *s == '*' || *s == '_' || *s == '<' || *s == '>' || *s == '[' ||
		    *s == ']' || *s == '#')
			fputc('\\', out);
		fputc(*s, out);
	}
}

static void md_list(FILE *out, const char *title, const ips_strlist_t *l, bool numbered)
{
	if (!l->len)
		return;
	fprintf(out, "\n%s:\n\n", title);
	for (size_t i = 0; i < l->len; i++) {
		fprintf(out, numbered ? "%zu. " : "- ", i + 1);
		fputs(l->items[i], out); /* our own prose: backticks are wanted */
		fputc('\n', out);
	}
}

static const char *const groups[][2] = {
	{"winerror", "Windows IPsec codes (winerror.h, 13000-13999)"},
	{"raserror", "Windows RAS/VPN client codes (RasError.h)"},
	{"azure", "Azure VPN gateway codes"},
	{"ike-notify", "IKE notify errors (RFC 7296, RFC 2408)"},
	{"windows-event", "Windows events"},
	{"strongswan", "strongSwan (charon)"},
	{"libreswan", "libreswan and Openswan (pluto)"},
	{"cisco-asa", "Cisco ASA and FTD"},
	{"juniper-srx", "Juniper SRX"},
	{"other", "Other gateways"},
};

static bool in_group(const ips_entry_t *e, size_t g)
{
	const size_t ng = sizeof groups / sizeof groups[0];
	if (e->source && !strcmp(e->source, groups[g][0]))
		return true;
	if (g != ng - 1)
		return false;
	for (size_t k = 0; k + 1 < ng; k++) /* "other": sources not listed above */
		if (e->source && !strcmp(e->source, groups[k][0]))
			return false;
	return true;
}

/* Entries of a group: Windows codes by number, the rest by name. */
static size_t group_entries(const ips_rules_t *r, size_t g, const ips_entry_t **out)
{
	size_t k = 0;
	for (size_t i = 0; i < ips_rules_entry_count(r); i++) {
		const ips_entry_t *e = ips_rules_entry_at(r, i);
		if (in_group(e, g))
			out[k++] = e;
	}
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0; j--) {
			const ips_entry_t *a = out[j - 1], *b = out[j];
			bool swap = (a->has_code && b->has_code) ? a->code > b->code
								 : strcmp(a->name, b->name) > 0;
			if (!swap)
				break;
			out[j - 1] = b;
			out[j] = a;
		}
	return k;
}

void ips_explain_markdown_all(FILE *out, const ips_rules_t *r)
{
	size_t n = ips_rules_entry_count(r);
	const ips_entry_t **list = ips_xcalloc(n ? n : 1, sizeof *list);
	fputs("# Error codes and conditions\n\n"
	      "Generated by `ipsec-scan explain --all --format markdown` from the knowledge base in\n"
	      "`rules/kb/` (`make docs`); do not edit by hand. The same pages are printed by\n"
	      "`ipsec-scan explain KEY`.\n\n", out);
	const size_t ng = sizeof groups / sizeof groups[0];
	for (size_t g = 0; g < ng; g++) {
		size_t k = group_entries(r, g, list);
		if (k)
			fprintf(out, "- [%s](#group-%zu) (%zu)\n", groups[g][1], g + 1, k);
	}
	for (size_t g = 0; g < ng; g++) {
		size_t k = group_entries(r, g, list);
		if (!k)
			continue;
		fprintf(out, "\n<a id=\"group-%zu\"></a>\n\n## %s\n\n", g + 1, groups[g][1]);
		fputs("| code | name | severity | message |\n|---|---|---|---|\n", out);
		for (size_t i = 0; i < k; i++) {
			const ips_entry_t *e = list[i];
			if (e->has_code)
				fprintf(out, "| %lld (%s) | [", (long long)e->code, e->hex ? e->hex : "");
			else
				fputs("| | [", out);
			md(out, e->name);
			fprintf(out, "](#%s) | %s | ", e->name, ips_severity_name(e->severity));
			md(out, e->message);
			fputs(" |\n", out);
		}
		for (size_t i = 0; i < k; i++) {
			const ips_entry_t *e = list[i];
			fprintf(out, "\n<a id=\"%s\"></a>\n\n### ", e->name);
			md(out, e->name);
			fputc('\n', out);
			fputc('\n', out);
			if (e->has_code) {
				char hr[16];
				int64_t sd;
				ips_entry_hresult(e, hr, sizeof hr, &sd);
				fprintf(out, "Code %lld, hex %s, HRESULT %s (%lld). ", (long long)e->code,
					e->hex ? e->hex : "-", hr, (long long)sd);
			}
			if (e->notify)
				fprintf(out, "%s notify type %d. ", e->ike_version ? e->ike_version : "IKE",
					e->notify);
			for (size_t j = 0; j < e->aliases.len; j++) {
				fputs(j ? ", " : "Also written as ", out);
				md(out, e->aliases.items[j]);
			}
			if (e->aliases.len)
				fputs(". ", out);
			fprintf(out, "Severity: %s. Category: %s.", ips_severity_name(e->severity),
				e->category ? e->category : "-");
			if (e->marker)
				fprintf(out, " Range marker (%s): not an error.", e->marker);
			if (e->event)
				fputs(" A correlation event, never a finding.", out);
			if (e->event_id)
				fprintf(out, " Windows event id %lld.", (long long)e->event_id);
			if (e->cand_len) {
				fputs(" Ambiguous text: one of", out);
				for (size_t j = 0; j < e->cand_len; j++)
					fprintf(out, "%s [%lld %s](#%s)", j ? "," : "",
						(long long)e->cand[j]->code, e->cand[j]->name,
						e->cand[j]->name);
				fputc('.', out);
			}
			fputs("\n\n> ", out);
			md(out, e->message);
			fputs("\n", out);
			if (e->summary)
				fprintf(out, "\n%s\n", e->summary);
			md_list(out, "Likely causes", &e->causes, false);
			md_list(out, "How to diagnose", &e->diagnose, false);
			md_list(out, "How to resolve", &e->resolve, true);
			if (e->related.len) {
				fputs("\nRelated: ", out);
				for (size_t j = 0; j < e->related.len; j++)
					fprintf(out, "%s[%s](#%s)", j ? ", " : "", e->related.items[j],
						e->related.items[j]);
				fputc('\n', out);
			}
			if (e->references.len) {
				fputs("\nSources:\n\n", out);
				for (size_t j = 0; j < e->references.len; j++) {
					fputs("- ", out);
					md(out, e->references.items[j]);
					fputc('\n', out);
				}
			}
		}
	}
	free(list);
}
