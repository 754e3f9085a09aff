/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_sarif.c - SARIF 2.1.0 for code-scanning UIs and CI (GitHub code
 * scanning, Azure DevOps, VS Code's SARIF viewer).
 *
 * One run. tool.driver.rules has one rule per knowledge entry that has
 * findings (id = entry name), plus one per kind of incident that has no
 * finding ("incident-unanswered", "incident-unterminated"). results has one
 * result per finding, and one per incident without findings.
 *
 * Incidents: every result of an incident carries properties.incidents
 * (id, title, kind, root); the root cause's result carries a codeFlow per
 * incident whose threadFlow steps through the incident's findings in time
 * order; the other findings carry the root cause as a relatedLocation.
 * run.properties.incidents holds the JSON report's incident objects.
 *
 * Paths become URI references: an input under the working directory gets a
 * URI relative to it with "uriBaseId": "%SRCROOT%" (run.originalUriBaseIds
 * declares it, without a uri: the report stays the same from any checkout;
 * GitHub resolves %SRCROOT% to the repository root), other relative paths
 * stay relative, other absolute ones become file:/// URIs; every byte
 * outside RFC 3986's unreserved and sub-delims set (and ':') is
 * percent-encoded. An archive member keeps its
 * JSON-report name, `bundle.zip!var/log/charon.log`: `!` is a sub-delim, so
 * that is a valid relative reference, and the same string as the other
 * reports print. Log text is untrusted: the whole document is written
 * through a UTF-8 filter (malformed bytes become U+FFFD), and brackets from
 * logs are escaped in messages so only our own links ([name](id) to a
 * relatedLocation) are links.
 *
 * GitHub code scanning's limits: at most 25,000 results per run (the most
 * severe are kept, in report order; run.properties.omittedResults and a
 * notification count the rest), 1,000 thread-flow locations (the rest
 * counted in the threadFlow's properties). Every result carries
 * partialFingerprints.primaryLocationLineHash (a hash of the record with
 * white space removed and its occurrence among equal records of the input,
 * "HASH:N", as GitHub's own fingerprint is built) and our stable id.
 * Rules carry name, properties.precision and properties.problem.severity;
 * helpUri and informationUri come from the build (make HOMEPAGE=URL
 * [HELP_URL=URL]) and are left out when empty.
 *
 * One piece (about 950 lines): it writes one JSON document through one yajl
 * generator, and its parts (rules, results with code flows and related
 * locations, notifications, the 25,000-result cut and line hashes) all read
 * one run context (rule indexes, chosen results, hashes); the shared
 * helpers it could give away (escaping, URIs, time) are in report_util.c
 * and report_json.c already.
 */
#include <stdlib.h>
#include <string.h>
#include <yajl_gen.h>

#include "report/report.h"
#include "report/report_json.h"
#include "report/report_util.h"

#define SCHEMA_URI "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#define FINGERPRINT "ipsecScanFindingId/v1"
#define LINE_HASH "primaryLocationLineHash"
#define SRCROOT "%SRCROOT%"
#define MAX_RESULTS 25000   /* GitHub code scanning: results per run */
#define MAX_FLOW 1000       /* GitHub shows the first 1,000 thread-flow locations */

#ifndef IPS_HOMEPAGE
#define IPS_HOMEPAGE ""
#endif
#ifndef IPS_HELP_URL
#define IPS_HELP_URL ""
#endif

static void message(yajl_gen g, const char *key, const char *text)
{
	ips_json_key(g, key);
	yajl_gen_map_open(g);
	ips_json_kstr(g, "text", text);
	yajl_gen_map_close(g);
}

/*
 * Append untrusted text to a SARIF plain-text message. Viewers turn
 * `[text](target)` into a link (SARIF 3.11.6), so brackets, and a backslash
 * before one, are escaped: a log line cannot plant a link.
 */
static void esc(ips_buf_t *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '[' || *s == ']' || (*s == '\\' && (s[1] == '[' || s[1] == ']')))
			ips_buf_putc(b, '\\');
		ips_buf_putc(b, *s);
	}
}

static const char *level(ips_severity_t s)
{
	return s >= IPS_SEV_ERROR ? "error" : s == IPS_SEV_WARNING ? "warning" : "note";
}

/*
 * A path as a URI reference (see the top of the file); *srcroot tells
 * whether it is relative to %SRCROOT%. Caller frees.
 */
static char *path_uri(const char *full, bool *srcroot)
{
	static const char keep[] = "-._~!$&'()*+,;=@/";
	char *rel = ips_report_rel_path(full, srcroot);
	const char *path = *srcroot ? rel : full;
	ips_buf_t b;
	ips_buf_init(&b, 64 * 1024);
	if (path[0] == '/')
		ips_buf_append(&b, "file://", 7);
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(keep, *p))
			ips_buf_putc(&b, (char)*p);
		else
			ips_buf_printf(&b, "%%%02X", *p);
	}
	free(rel);
	return ips_buf_steal(&b);
}

/* "uri" (and "uriBaseId") of an input's artifactLocation. */
static void uri_keys(yajl_gen g, const char *path)
{
	bool srcroot;
	char *uri = path_uri(path, &srcroot);
	ips_json_kstr(g, "uri", uri);
	if (srcroot)
		ips_json_kstr(g, "uriBaseId", SRCROOT);
	free(uri);
}

static void artifact_location(yajl_gen g, const ips_results_t *res, size_t input)
{
	yajl_gen_map_open(g);
	if (input < res->inputs.len) {
		uri_keys(g, ((const ips_input_t *)res->inputs.items[input])->path);
		ips_json_kint(g, "index", (long long)input);
	} else {
		ips_json_kstr(g, "uri", "unknown");
	}
	yajl_gen_map_close(g);
}

/* location.physicalLocation for a record; text is its snippet (or NULL). */
static void physical(yajl_gen g, const ips_results_t *res, size_t input, uint64_t line,
		     const char *text)
{
	ips_json_key(g, "physicalLocation");
	yajl_gen_map_open(g);
	ips_json_key(g, "artifactLocation");
	artifact_location(g, res, input);
	if (line >= 1) {
		ips_json_key(g, "region");
		yajl_gen_map_open(g);
		ips_json_kint(g, "startLine", (long long)line);
		if (text) {
			ips_json_key(g, "snippet");
			yajl_gen_map_open(g);
			ips_json_kstr(g, "text", text);
			yajl_gen_map_close(g);
		}
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
}

static void finding_location(yajl_gen g, const ips_results_t *res, const ips_finding_t *f,
			     bool snippet)
{
	physical(g, res, f->input, f->line, snippet ? f->text : NULL);
}

static void list_text(ips_buf_t *b, const char *title, const ips_strlist_t *l, bool numbered)
{
	if (!l->len)
		return;
	ips_buf_printf(b, "%s%s:\n", b->len ? "\n" : "", title);
	for (size_t i = 0; i < l->len; i++) {
		if (numbered)
			ips_buf_printf(b, "%zu. %s\n", i + 1, l->items[i]);
		else
			ips_buf_printf(b, "- %s\n", l->items[i]);
	}
}

static void list_md(ips_buf_t *b, const char *title, const ips_strlist_t *l, bool numbered)
{
	if (!l->len)
		return;
	ips_buf_printf(b, "%s**%s**\n\n", b->len ? "\n" : "", title);
	for (size_t i = 0; i < l->len; i++) {
		if (numbered)
			ips_buf_printf(b, "%zu. %s\n", i + 1, l->items[i]);
		else
			ips_buf_printf(b, "- %s\n", l->items[i]);
	}
}

/* A rule's name, as SARIF wants one: ERROR_IPSEC_IKE_AUTH_FAIL -> ErrorIpsecIkeAuthFail. */
static void rule_name(yajl_gen g, const char *id)
{
	ips_buf_t b;
	ips_buf_init(&b, 4096);
	bool up = true;
	for (const char *p = id; *p; p++) {
		char c = *p;
		if (c == '_' || c == '-' || c == ' ') {
			up = true;
			continue;
		}
		if (c >= 'A' && c <= 'Z' && !up)
			c = (char)(c - 'A' + 'a');
		else if (c >= 'a' && c <= 'z' && up)
			c = (char)(c - 'a' + 'A');
		ips_buf_putc(&b, c);
		up = false;
	}
	ips_json_kstr(g, "name", b.len ? b.data : id);
	ips_buf_free(&b);
}

/* GitHub's problem.severity: error, warning or recommendation. */
static const char *problem_severity(ips_severity_t s)
{
	return s >= IPS_SEV_ERROR ? "error" : s == IPS_SEV_WARNING ? "warning" : "recommendation";
}

static void rule(yajl_gen g, const ips_entry_t *e)
{
	char key[256];
	ips_report_explain_key(e, key, sizeof key);
	yajl_gen_map_open(g);
	ips_json_kstr(g, "id", e->name);
	rule_name(g, e->name);
	ips_json_key(g, "shortDescription");
	yajl_gen_map_open(g);
	ips_json_kstr(g, "text", e->message ? e->message : e->summary ? e->summary : e->name);
	yajl_gen_map_close(g);
	ips_json_key(g, "fullDescription");
	yajl_gen_map_open(g);
	ips_json_kstr(g, "text", e->summary ? e->summary : e->message ? e->message : e->name);
	yajl_gen_map_close(g);
	ips_json_key(g, "defaultConfiguration");
	yajl_gen_map_open(g);
	ips_json_kstr(g, "level", level(e->severity));
	yajl_gen_map_close(g);
	ips_buf_t t, m;
	ips_buf_init(&t, 1024 * 1024);
	ips_buf_init(&m, 1024 * 1024);
	list_text(&t, "Likely causes", &e->causes, false);
	list_text(&t, "How to diagnose", &e->diagnose, false);
	list_text(&t, "How to resolve", &e->resolve, true);
	ips_buf_printf(&t, "%sMore: ipsec-scan explain %s\n", t.len ? "\n" : "", key);
	list_md(&m, "Likely causes", &e->causes, false);
	list_md(&m, "How to diagnose", &e->diagnose, false);
	list_md(&m, "How to resolve", &e->resolve, true);
	ips_buf_printf(&m, "%sMore: `ipsec-scan explain %s`\n", m.len ? "\n" : "", key);
	ips_json_key(g, "help");
	yajl_gen_map_open(g);
	ips_json_kstr(g, "text", t.data);
	ips_json_kstr(g, "markdown", m.data);
	yajl_gen_map_close(g);
	ips_buf_free(&t);
	ips_buf_free(&m);
	if (IPS_HELP_URL[0]) {
		char *u = ips_xasprintf("%s#%s", IPS_HELP_URL, e->name);
		ips_json_kstr(g, "helpUri", u);
		free(u);
	}
	ips_json_key(g, "properties");
	yajl_gen_map_open(g);
	/* a detector matches the daemon's own message text or code: high; see docs/usage.md */
	ips_json_kstr(g, "precision", "high");
	ips_json_kstr(g, "problem.severity", problem_severity(e->severity));
	ips_json_kstr(g, "category", e->category);
	ips_json_key(g, "code");
	if (e->has_code)
		yajl_gen_integer(g, e->code);
	else
		yajl_gen_null(g);
	ips_json_kstr(g, "hex", e->hex);
	ips_json_kstr(g, "source", e->source);
	ips_json_key(g, "tags");
	yajl_gen_array_open(g);
	ips_json_str(g, "ipsec");
	if (e->category)
		ips_json_str(g, e->category);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static const char *const kind_rule_text[][2] = {
	[IPS_INC_NEGOTIATION] = {"incident-negotiation", "A negotiation failed"},
	[IPS_INC_UNTERMINATED] = {"incident-unterminated",
				  "A negotiation began (NEG_STATUS_BEGIN) and never ended"},
	[IPS_INC_PAIR] = {"incident-pair", "A start event was followed by a failure"},
	[IPS_INC_UNANSWERED] = {"incident-unanswered",
				"A start event had no outcome within the window"},
	[IPS_INC_THRESHOLD] = {"incident-threshold", "The same failure repeated for one key"},
	[IPS_INC_GROUP] = {"incident-group", "Related failures of one key"},
};

static void kind_rule(yajl_gen g, ips_incident_kind_t k)
{
	yajl_gen_map_open(g);
	ips_json_kstr(g, "id", kind_rule_text[k][0]);
	rule_name(g, kind_rule_text[k][0]);
	ips_json_key(g, "shortDescription");
	yajl_gen_map_open(g);
	ips_json_kstr(g, "text", kind_rule_text[k][1]);
	yajl_gen_map_close(g);
	ips_json_key(g, "fullDescription");
	yajl_gen_map_open(g);
	ips_json_kstr(g, "text", "An incident found by correlation that has no failure record of its own: "
		       "the logs show where it started, and no outcome.");
	yajl_gen_map_close(g);
	ips_json_key(g, "defaultConfiguration");
	yajl_gen_map_open(g);
	ips_json_kstr(g, "level", "warning");
	yajl_gen_map_close(g);
	ips_json_key(g, "properties");
	yajl_gen_map_open(g);
	/* inferred from what the logs do not show (no outcome): medium */
	ips_json_kstr(g, "precision", "medium");
	ips_json_kstr(g, "problem.severity", "warning");
	ips_json_kstr(g, "category", "correlation");
	ips_json_key(g, "tags");
	yajl_gen_array_open(g);
	ips_json_str(g, "ipsec");
	ips_json_str(g, "correlation");
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static int cmp_entry_name(const void *a, const void *b)
{
	const ips_entry_t *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

typedef struct sarif_ctx {
	const ips_results_t *res;
	ips_report_index_t idx;
	const ips_entry_t **rules;  /* entries with findings, by name */
	size_t nrules;
	size_t kind_index[IPS_INC_GROUP + 1]; /* rule index of a kind's rule, or SIZE_MAX */
	char (*line_hash)[40];      /* per finding: primaryLocationLineHash */
	bool *kept;                 /* per result (findings, then incidents): written */
	size_t omitted;
} sarif_ctx_t;

static size_t rule_index(const sarif_ctx_t *c, const ips_entry_t *e)
{
	const ips_entry_t **hit = bsearch(&e, c->rules, c->nrules, sizeof *c->rules,
					  cmp_entry_name);
	return hit ? (size_t)(hit - c->rules) : 0;
}

static int64_t ftime(const ips_finding_t *f)
{
	return f->time.valid ? f->time.sec : INT64_MAX;
}

/* The incident's findings in time order (input order where no time), for a threadFlow. */
static size_t *time_order(const ips_results_t *res, const ips_incident_t *x)
{
	size_t *o = ips_xcalloc(x->nfindings ? x->nfindings : 1, sizeof *o), n = 0;
	for (size_t i = 0; i < x->nfindings; i++)
		if (x->findings[i] < res->findings.len)
			o[n++] = x->findings[i];
	for (size_t i = 1; i < n; i++) /* insertion sort: stable, incidents are small */
		for (size_t j = i; j > 0; j--) {
			const ips_finding_t *a = res->findings.items[o[j - 1]],
					    *b = res->findings.items[o[j]];
			int64_t ta = ftime(a), tb = ftime(b);
			if (ta < tb || (ta == tb && (a->time.nsec < b->time.nsec ||
						     (a->time.nsec == b->time.nsec && o[j - 1] < o[j]))))
				break;
			size_t t = o[j];
			o[j] = o[j - 1];
			o[j - 1] = t;
		}
	return o;
}

static void code_flow(yajl_gen g, const sarif_ctx_t *c, const ips_incident_t *x)
{
	const ips_results_t *res = c->res;
	size_t *o = time_order(res, x);
	ips_buf_t msg;
	ips_buf_init(&msg, 64 * 1024);
	ips_buf_printf(&msg, "Incident %s: ", x->id);
	esc(&msg, x->title);
	yajl_gen_map_open(g);
	message(g, "message", msg.data);
	ips_buf_free(&msg);
	ips_json_key(g, "threadFlows");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	ips_json_key(g, "locations");
	yajl_gen_array_open(g);
	size_t n = 0;
	for (size_t i = 0; i < x->nfindings; i++)
		n += x->findings[i] < res->findings.len;
	size_t all = n;
	if (n > MAX_FLOW)
		n = MAX_FLOW;
	for (size_t i = 0; i < n; i++) {
		const ips_finding_t *f = res->findings.items[o[i]];
		yajl_gen_map_open(g);
		ips_json_key(g, "location");
		yajl_gen_map_open(g);
		finding_location(g, res, f, false);
		char t[64];
		ips_time_format(&f->time, t, sizeof t);
		char *m = ips_xasprintf("%s%s at %s", o[i] == x->findings[0] ? "Root cause: " : "",
					f->entry->name, t);
		message(g, "message", m);
		free(m);
		yajl_gen_map_close(g);
		ips_json_kint(g, "executionOrder", (long long)i + 1);
		if (f->time.valid)
			ips_json_kstr(g, "executionTimeUtc", t);
		ips_json_kstr(g, "importance", o[i] == x->findings[0] ? "essential" : "important");
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	if (all > n) {
		ips_json_key(g, "properties");
		yajl_gen_map_open(g);
		ips_json_kint(g, "omittedLocations", (long long)(all - n));
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	free(o);
}

static void fields_obj(yajl_gen g, const ips_kv_t *kv, size_t n)
{
	yajl_gen_map_open(g);
	for (size_t i = 0; i < n; i++)
		ips_json_kstr(g, kv[i].key, kv[i].value);
	yajl_gen_map_close(g);
}

static void finding_result(yajl_gen g, const sarif_ctx_t *c, size_t fi)
{
	const ips_results_t *res = c->res;
	const ips_finding_t *f = res->findings.items[fi];
	const ips_entry_t *e = f->entry;
	const size_t *inc;
	size_t ninc = ips_report_incidents_of(&c->idx, fi, &inc);

	/* message: the verdict of the incidents it is the root cause of, what it
	 * is, what it names, and the incidents it belongs to */
	ips_buf_t m;
	ips_buf_init(&m, 64 * 1024);
	for (size_t k = 0; k < ninc; k++) {
		const ips_incident_t *x = res->incidents.items[inc[k]];
		if (!x->verdict || !x->nfindings || x->findings[0] != fi)
			continue;
		char *vw = ips_report_verdict_words(res, x);
		ips_buf_printf(&m, "Verdict: ");
		esc(&m, vw);
		ips_buf_printf(&m, ". ");
		free(vw);
	}
	esc(&m, e->message ? e->message : e->summary ? e->summary : e->name);
	if (m.len && m.data[m.len - 1] != '.')
		ips_buf_putc(&m, '.');
	ips_buf_printf(&m, " (%s", e->name);
	static const char *const keys[] = {"peer", "conn", "user"};
	for (size_t k = 0; k < 3; k++) {
		const char *v = ips_finding_field(f, keys[k]);
		if (v) {
			ips_buf_printf(&m, ", %s=", keys[k]);
			esc(&m, v);
		}
	}
	if (f->host) {
		ips_buf_printf(&m, ", host=");
		esc(&m, f->host);
	}
	ips_buf_putc(&m, ')');
	/* each incident, with a link to its root cause (relatedLocations id k) */
	for (size_t k = 0; k < ninc; k++) {
		const ips_incident_t *x = res->incidents.items[inc[k]];
		ips_buf_printf(&m, " Incident %s: ", x->id);
		esc(&m, x->title);
		if (x->nfindings && x->findings[0] != fi && x->findings[0] < res->findings.len)
			ips_buf_printf(&m, " (root cause [%s](%zu))",
				       ((const ips_finding_t *)res->findings.items[x->findings[0]])->entry->name, k);
		else if (x->nfindings && x->findings[0] == fi)
			ips_buf_printf(&m, " (this is its root cause)");
		ips_buf_putc(&m, '.');
	}

	yajl_gen_map_open(g);
	ips_json_kstr(g, "ruleId", e->name);
	ips_json_kint(g, "ruleIndex", (long long)rule_index(c, e));
	ips_json_kstr(g, "level", level(f->severity));
	message(g, "message", m.data);
	ips_buf_free(&m);
	ips_json_key(g, "locations");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	finding_location(g, res, f, true);
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	ips_json_key(g, "partialFingerprints");
	yajl_gen_map_open(g);
	ips_json_kstr(g, LINE_HASH, c->line_hash[fi]);
	ips_json_kstr(g, FINGERPRINT, f->id);
	yajl_gen_map_close(g);

	/* the root cause of each incident this finding is not the root of */
	bool related = false;
	for (size_t k = 0; k < ninc; k++) {
		const ips_incident_t *x = res->incidents.items[inc[k]];
		if (!x->nfindings || x->findings[0] == fi || x->findings[0] >= res->findings.len)
			continue;
		if (!related) {
			ips_json_key(g, "relatedLocations");
			yajl_gen_array_open(g);
			related = true;
		}
		const ips_finding_t *r = res->findings.items[x->findings[0]];
		yajl_gen_map_open(g);
		ips_json_kint(g, "id", (long long)k);
		finding_location(g, res, r, false);
		char *msg = ips_xasprintf("Root cause of incident %s: %s", x->id, r->entry->name);
		message(g, "message", msg);
		free(msg);
		yajl_gen_map_close(g);
	}
	if (related)
		yajl_gen_array_close(g);

	/* the root cause shows the path through its incidents */
	bool flows = false;
	for (size_t k = 0; k < ninc; k++) {
		const ips_incident_t *x = res->incidents.items[inc[k]];
		if (!x->nfindings || x->findings[0] != fi)
			continue;
		if (!flows) {
			ips_json_key(g, "codeFlows");
			yajl_gen_array_open(g);
			flows = true;
		}
		code_flow(g, c, x);
	}
	if (flows)
		yajl_gen_array_close(g);

	ips_json_key(g, "properties");
	yajl_gen_map_open(g);
	ips_json_kstr(g, "severity", ips_severity_name(f->severity));
	ips_json_key(g, "code");
	if (e->has_code)
		yajl_gen_integer(g, e->code);
	else
		yajl_gen_null(g);
	ips_json_kstr(g, "rule", f->det ? f->det->id : NULL);
	ips_json_key(g, "time");
	if (f->time.valid) {
		char t[64];
		ips_time_format(&f->time, t, sizeof t);
		ips_json_str(g, t);
	} else {
		yajl_gen_null(g);
	}
	ips_json_kint(g, "offset", (long long)f->offset);
	ips_json_kstr(g, "host", f->host);
	ips_json_key(g, "fields");
	fields_obj(g, f->fields, f->nfields);
	ips_json_key(g, "incidents");
	yajl_gen_array_open(g);
	for (size_t k = 0; k < ninc; k++) {
		const ips_incident_t *x = res->incidents.items[inc[k]];
		yajl_gen_map_open(g);
		ips_json_kstr(g, "id", x->id);
		ips_json_kstr(g, "title", x->title);
		ips_json_kstr(g, "kind", ips_incident_kind_name(x->kind));
		ips_json_kstr(g, "verdict", x->verdict ? x->verdict->cls : NULL);
		ips_json_key(g, "root");
		yajl_gen_bool(g, x->nfindings && x->findings[0] == fi);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

/* An incident with no finding (unanswered start, unterminated BEGIN). */
static void incident_result(yajl_gen g, const sarif_ctx_t *c, const ips_incident_t *x)
{
	const ips_results_t *res = c->res;
	size_t k = x->kind <= IPS_INC_GROUP ? x->kind : IPS_INC_GROUP;
	yajl_gen_map_open(g);
	ips_json_kstr(g, "ruleId", kind_rule_text[k][0]);
	ips_json_kint(g, "ruleIndex", (long long)c->kind_index[k]);
	ips_json_kstr(g, "level", level(x->severity));
	char *key = ips_report_key_words(x->key, x->nkey);
	ips_buf_t msg;
	ips_buf_init(&msg, 64 * 1024);
	if (x->verdict) {
		char *vw = ips_report_verdict_words(res, x);
		ips_buf_printf(&msg, "Verdict: ");
		esc(&msg, vw);
		ips_buf_printf(&msg, ". ");
		free(vw);
	}
	esc(&msg, x->title ? x->title : kind_rule_text[k][1]);
	ips_buf_printf(&msg, " (");
	esc(&msg, key);
	ips_buf_printf(&msg, ") Incident %s.", x->id);
	message(g, "message", msg.data);
	ips_buf_free(&msg);
	free(key);
	size_t in;
	uint64_t line;
	ips_report_incident_where(res, x, &in, &line);
	ips_json_key(g, "locations");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	physical(g, res, in, line, NULL);
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	ips_json_key(g, "partialFingerprints");
	yajl_gen_map_open(g);
	/* no record of its own: the hash of its stable id stands for the line's */
	char h[40];
	snprintf(h, sizeof h, "%016llx:1",
		 (unsigned long long)ips_fnv1a(0xcbf29ce484222325ULL, x->id, strlen(x->id)));
	ips_json_kstr(g, LINE_HASH, h);
	ips_json_kstr(g, "ipsecScanIncidentId/v1", x->id);
	yajl_gen_map_close(g);
	ips_json_key(g, "properties");
	yajl_gen_map_open(g);
	ips_json_kstr(g, "severity", ips_severity_name(x->severity));
	ips_json_key(g, "incidents");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	ips_json_kstr(g, "id", x->id);
	ips_json_kstr(g, "title", x->title);
	ips_json_kstr(g, "kind", ips_incident_kind_name(x->kind));
	ips_json_kstr(g, "verdict", x->verdict ? x->verdict->cls : NULL);
	ips_json_key(g, "root");
	yajl_gen_bool(g, 0);
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static void notification(yajl_gen g, const ips_results_t *res, const char *lvl, const char *id,
			 const char *text, size_t input)
{
	yajl_gen_map_open(g);
	ips_json_key(g, "descriptor");
	yajl_gen_map_open(g);
	ips_json_kstr(g, "id", id);
	yajl_gen_map_close(g);
	ips_json_kstr(g, "level", lvl);
	ips_buf_t msg;
	ips_buf_init(&msg, 64 * 1024);
	esc(&msg, text);
	message(g, "message", msg.data);
	ips_buf_free(&msg);
	if (input < res->inputs.len) {
		ips_json_key(g, "locations");
		yajl_gen_array_open(g);
		yajl_gen_map_open(g);
		physical(g, res, input, 0, NULL);
		yajl_gen_map_close(g);
		yajl_gen_array_close(g);
	}
	yajl_gen_map_close(g);
}

/* For the line hashes: findings by input and hash of their record. */
typedef struct hash_ref {
	size_t input;
	uint64_t hash;
	size_t finding;
} hash_ref_t;

static int cmp_hash_ref(const void *a, const void *b)
{
	const hash_ref_t *x = a, *y = b;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->finding < y->finding ? -1 : x->finding > y->finding;
}

/*
 * primaryLocationLineHash per finding: a hash of the record without white
 * space, and ":N" its occurrence among the input's records with that hash,
 * so the alert follows the record when lines are added above it.
 */
static void line_hashes(sarif_ctx_t *c)
{
	const ips_results_t *res = c->res;
	size_t n = res->findings.len;
	c->line_hash = ips_xcalloc(n ? n : 1, sizeof *c->line_hash);
	hash_ref_t *r = ips_xcalloc(n ? n : 1, sizeof *r);
	for (size_t i = 0; i < n; i++) {
		const ips_finding_t *f = res->findings.items[i];
		uint64_t h = 0xcbf29ce484222325ULL;
		for (const char *p = f->text ? f->text : ""; *p; p++)
			if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
				h = ips_fnv1a(h, p, 1);
		r[i] = (hash_ref_t){f->input, h, i};
	}
	qsort(r, n, sizeof *r, cmp_hash_ref);
	size_t occ = 0;
	for (size_t i = 0; i < n; i++) {
		occ = i && r[i].input == r[i - 1].input && r[i].hash == r[i - 1].hash ? occ + 1 : 1;
		snprintf(c->line_hash[r[i].finding], sizeof c->line_hash[0], "%016llx:%zu",
			 (unsigned long long)r[i].hash, occ);
	}
	free(r);
}

/* The results limit: IPSEC_SCAN_SARIF_MAX_RESULTS may lower it (for tests). */
static size_t max_results(void)
{
	const char *v = getenv("IPSEC_SCAN_SARIF_MAX_RESULTS");
	char *end;
	unsigned long long n = v && *v ? strtoull(v, &end, 10) : 0;
	return v && *v && !*end && n < MAX_RESULTS ? (size_t)n : MAX_RESULTS;
}

/*
 * Which results are written: all of them up to the limit; past it the most
 * severe, in report order within a severity. Results are the findings, then
 * the incidents without findings.
 */
static void choose_results(sarif_ctx_t *c)
{
	const ips_results_t *res = c->res;
	size_t nf = res->findings.len, n = nf + res->incidents.len, limit = max_results();
	c->kept = ips_xcalloc(n ? n : 1, sizeof *c->kept);
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += i < nf || !((const ips_incident_t *)res->incidents.items[i - nf])->nfindings;
	size_t room = limit;
	for (int s = IPS_SEV_CRITICAL; s >= IPS_SEV_NONE; s--)
		for (size_t i = 0; i < n; i++) {
			ips_severity_t sev;
			if (i < nf) {
				sev = ((const ips_finding_t *)res->findings.items[i])->severity;
			} else {
				const ips_incident_t *x = res->incidents.items[i - nf];
				if (x->nfindings)
					continue;
				sev = x->severity;
			}
			if ((int)sev == s && room) {
				c->kept[i] = true;
				room--;
			}
		}
	c->omitted = total - (limit - room);
}

static ips_status_t write_sarif(FILE *out, const ips_results_t *res, const ips_rules_t *rules,
				const ips_report_opts_t *o)
{
	(void)rules;
	sarif_ctx_t c = {.res = res};
	ips_report_index_init(&c.idx, res);
	/* the entries that have findings, sorted by name */
	c.rules = ips_xcalloc(res->findings.len ? res->findings.len : 1, sizeof *c.rules);
	for (size_t i = 0; i < res->findings.len; i++)
		c.rules[c.nrules++] = ((const ips_finding_t *)res->findings.items[i])->entry;
	qsort(c.rules, c.nrules, sizeof *c.rules, cmp_entry_name);
	size_t w = 0;
	for (size_t i = 0; i < c.nrules; i++)
		if (!w || c.rules[w - 1] != c.rules[i])
			c.rules[w++] = c.rules[i];
	c.nrules = w;
	size_t nrule = c.nrules;
	for (size_t k = 0; k <= IPS_INC_GROUP; k++)
		c.kind_index[k] = SIZE_MAX;
	for (size_t i = 0; i < res->incidents.len; i++) {
		const ips_incident_t *x = res->incidents.items[i];
		size_t k = x->kind <= IPS_INC_GROUP ? x->kind : IPS_INC_GROUP;
		if (!x->nfindings && c.kind_index[k] == SIZE_MAX)
			c.kind_index[k] = 0; /* numbered below, in kind order */
	}
	for (size_t k = 0; k <= IPS_INC_GROUP; k++)
		if (c.kind_index[k] != SIZE_MAX)
			c.kind_index[k] = nrule++;
	line_hashes(&c);
	choose_results(&c);

	ips_utf8_stream_t us = {.out = out, .json = true};
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	yajl_gen_config(g, yajl_gen_print_callback, ips_utf8_stream_write, &us);

	yajl_gen_map_open(g);
	ips_json_kstr(g, "$schema", SCHEMA_URI);
	ips_json_kstr(g, "version", "2.1.0");
	ips_json_key(g, "runs");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);

	ips_json_key(g, "tool");
	yajl_gen_map_open(g);
	ips_json_key(g, "driver");
	yajl_gen_map_open(g);
	ips_json_kstr(g, "name", "ipsec-scan");
	ips_json_kstr(g, "fullName", "ipsec-scan IPsec/IKE log analyzer");
	ips_json_kstr(g, "version", o->version ? o->version : "unknown");
	if (o->version)
		ips_json_kstr(g, "semanticVersion", o->version);
	if (IPS_HOMEPAGE[0])
		ips_json_kstr(g, "informationUri", IPS_HOMEPAGE);
	ips_json_key(g, "rules");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < c.nrules; i++)
		rule(g, c.rules[i]);
	for (size_t k = 0; k <= IPS_INC_GROUP; k++)
		if (c.kind_index[k] != SIZE_MAX)
			kind_rule(g, (ips_incident_kind_t)k);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);

	/* inputs that could not be read are tool execution problems */
	bool ok = true;
	for (size_t i = 0; i < res->inputs.len; i++) {
		const ips_input_t *in = res->inputs.items[i];
		ok &= in->status != IPS_INPUT_ERROR && in->status != IPS_INPUT_PARTIAL;
	}
	ips_json_key(g, "invocations");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	ips_json_key(g, "executionSuccessful");
	yajl_gen_bool(g, ok);
	ips_json_key(g, "toolExecutionNotifications");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->inputs.len; i++) {
		const ips_input_t *in = res->inputs.items[i];
		if (in->error)
			notification(g, res, "error", "input-error", in->error, i);
		else if (in->status == IPS_INPUT_ERROR || in->status == IPS_INPUT_PARTIAL)
			notification(g, res, "error", "input-error",
				     in->status == IPS_INPUT_ERROR ? "input could not be read"
								   : "input was read in part", i);
		if (in->note)
			notification(g, res, "note", "input-note", in->note, i);
	}
	for (size_t i = 0; i < res->notes.len; i++)
		notification(g, res, "warning", "run-note", res->notes.items[i], SIZE_MAX);
	if (c.omitted) {
		char *m = ips_xasprintf("%zu results were left out: GitHub code scanning takes at most "
					"%d per run (the most severe are kept); the JSON report has them all",
					c.omitted, MAX_RESULTS);
		notification(g, res, "warning", "results-limit", m, SIZE_MAX);
		free(m);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);

	/* no uri: the report is the same from any checkout; consumers resolve it */
	ips_json_key(g, "originalUriBaseIds");
	yajl_gen_map_open(g);
	ips_json_key(g, SRCROOT);
	yajl_gen_map_open(g);
	message(g, "description", "The working directory of the scan: inputs under it are relative to it");
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	ips_json_key(g, "automationDetails");
	yajl_gen_map_open(g);
	ips_json_kstr(g, "id", "ipsec-scan/");
	yajl_gen_map_close(g);

	ips_json_key(g, "artifacts");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->inputs.len; i++) {
		const ips_input_t *in = res->inputs.items[i];
		yajl_gen_map_open(g);
		ips_json_key(g, "location");
		yajl_gen_map_open(g);
		uri_keys(g, in->path);
		yajl_gen_map_close(g);
		if (in->status != IPS_INPUT_ERROR)
			ips_json_kint(g, "length", (long long)in->bytes);
		ips_json_key(g, "roles");
		yajl_gen_array_open(g);
		ips_json_str(g, "analysisTarget");
		yajl_gen_array_close(g);
		ips_json_key(g, "properties");
		yajl_gen_map_open(g);
		ips_json_kstr(g, "path", in->path);
		ips_json_kstr(g, "format", in->format);
		ips_json_kstr(g, "status", ips_input_status_name(in->status));
		ips_json_kint(g, "records", (long long)in->records);
		ips_json_kint(g, "findings", (long long)in->findings);
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);

	ips_json_key(g, "results");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->findings.len; i++)
		if (c.kept[i])
			finding_result(g, &c, i);
	for (size_t i = 0; i < res->incidents.len; i++) {
		const ips_incident_t *x = res->incidents.items[i];
		if (!x->nfindings && c.kept[res->findings.len + i])
			incident_result(g, &c, x);
	}
	yajl_gen_array_close(g);

	ips_json_key(g, "properties");
	yajl_gen_map_open(g);
	ips_json_key(g, "incidents");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->incidents.len; i++)
		ips_json_incident(g, res, res->incidents.items[i]);
	yajl_gen_array_close(g);
	ips_json_key(g, "summary");
	ips_json_summary(g, res);
	if (c.omitted) {
		ips_json_kint(g, "omittedResults", (long long)c.omitted);
		ips_json_kint(g, "resultsLimit", MAX_RESULTS);
	}
	yajl_gen_map_close(g);

	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	ips_utf8_stream_flush(&us);
	fputc('\n', out);
	free(c.rules);
	free(c.line_hash);
	free(c.kept);
	ips_report_index_free(&c.idx);
	return ips_report_stream_status(out);
}

const ips_reporter_ops_t ips_report_sarif = {"sarif", write_sarif};
