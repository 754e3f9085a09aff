/* SPDX-License-Identifier: Apache-2.0 */
/* scan.c - see scan.h. */
#include "detect/scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "correlate/correlate.h"
#include "run/cron.h"
#include "input/decode.h"
#include "input/nonlog.h"
#include "detect/context.h"
#include "util/util.h"

#define TEXT_MAX 2048   /* finding text kept for the report */
#define FIELD_MAX 512   /* one captured field */
#define SNIFF_BYTES 65536
#define DIR_DEPTH_MAX 64
#define EVENTS_KEPT IPS_EVENTS_KEPT

void ips_scan_opts_default(ips_scan_opts_t *o)
{
	memset(o, 0, sizeof *o);
	o->min_severity = IPS_SEV_INFO;
	o->frame.max_record = 1u << 20;
	o->frame.block = 1u << 20;
	o->match.match_limit = 1000000;
	o->match.depth_limit = 10000;
	o->match.heap_limit_kib = 20 * 1024;
	o->archive.max_member_bytes = 64ULL << 30;
	o->archive.max_ratio = 1000;
	o->archive.max_input_bytes = 64ULL << 30;
	o->archive.max_depth = 8;
}

struct ips_sink {
	ips_scanner_t *sc;
	ips_input_t *in;
	size_t input_index;
	const char *format;
	ips_year_ctx_t yc;
	/* block state for line counting */
	const char *block;
	uint64_t block_off, block_line;
	size_t counted_to;      /* bytes of the block whose newlines are counted */
	uint64_t counted_lines; /* newlines in block[0..counted_to) */
	/* the record being matched */
	const char *rec;
	size_t rec_len;
	uint64_t rec_off, rec_line;
	const ips_record_t *srec; /* structured record, or NULL */
	bool meta_done;
	ips_line_meta_t meta;
	ips_negkey_t lctx;     /* the negotiation the record belongs to */
	const char *rules_used[IPS_MAX_CAPTURES];
	size_t nrules_used;
	ips_kv_t extra[IPS_MAX_CAPTURES]; /* extractor captures of this record */
	size_t nextra;
	bool extracted;
	ips_finding_t *rec_findings[IPS_MAX_CAPTURES]; /* this record's findings */
	size_t nrec_findings;
	const ips_entry_t *rec_events[IPS_MAX_CAPTURES];
	size_t nrec_events;
	/* cron mode */
	bool cron;
	uint64_t start_off, start_line; /* where the framer starts (ips_sink_start) */
	uint64_t drop_below;    /* earlier runs reported the records before this offset */
	uint64_t dropped;       /* structured records before drop_below */
	ips_finding_t *ctx_only[IPS_MAX_CAPTURES]; /* findings of such a record: context only */
	size_t nctx_only;
	uint64_t end_off, next_line; /* line formats: the end of the last block, its next line */
	uint64_t last_off, last_line; /* structured: the last record past drop_below */
	bool any_rec;
	bool whole_lines;       /* line formats: leave a last line without '\n' unread */
};

struct ips_scanner {
	const ips_rules_t *rules;
	ips_scan_opts_t opts;
	ips_results_t *out;
	ips_matcher_t *m;
	bool own_m;             /* false: borrowed (ips_scanner_new_shared) */
	ips_correlator_t *corr;
	ips_context_t *ctx;     /* what earlier lines of each negotiation said */
	int archive_depth;
	ips_archive_budget_t budget;   /* the top-level container's (--max-input, --max-ratio) */
	dev_t dir_dev[DIR_DEPTH_MAX];
	ino_t dir_ino[DIR_DEPTH_MAX];
	int depth;
	ips_state_t *state;     /* cron mode: borrowed */
	ips_cron_t *cron;
	const char *container_format; /* the container being walked (cron mode) */
	const char *cron_path;        /* cron mode: the file of that container */
	uint64_t excluded[4][2];      /* files never read as inputs (our own output) */
	size_t nexcluded;
	/* live mode: each finding goes to on_finding once its record is matched */
	ips_finding_cb_t on_finding;
	void *on_finding_ctx;
	ips_vec_t *plan;              /* --jobs: paths are listed (ips_scan_unit_t), not read */
	size_t root_len;              /* the named directory's length (--include/--exclude) */
};

ips_scanner_t *ips_scanner_new(const ips_rules_t *rules, const ips_scan_opts_t *opts,
			       ips_results_t *out)
{
	ips_matcher_t *m = ips_matcher_new(rules, &opts->match);
	ips_scanner_t *s = ips_scanner_new_shared(rules, opts, out, m);
	s->own_m = true;
	return s;
}

ips_scanner_t *ips_scanner_new_shared(const ips_rules_t *rules, const ips_scan_opts_t *opts,
				      ips_results_t *out, ips_matcher_t *m)
{
	ips_scanner_t *s = ips_xcalloc(1, sizeof *s);
	s->rules = rules;
	s->opts = *opts;
	s->out = out;
	s->m = m;
	ips_matcher_reset_limit_hits(m);
	/* one record, one finding per condition: the scanner merges the fields
	 * of every detector that saw it */
	ips_matcher_report_all(s->m, true);
	s->corr = ips_correlator_new(rules, out);
	s->ctx = ips_context_new();
	return s;
}

void ips_scanner_free(ips_scanner_t *s)
{
	if (!s)
		return;
	if (s->own_m)
		ips_matcher_free(s->m);
	ips_correlator_free(s->corr);
	ips_cron_free(s->cron);
	ips_context_free(s->ctx);
	free(s);
}

void ips_scanner_exclude(ips_scanner_t *s, uint64_t dev, uint64_t ino)
{
	if (s->nexcluded < sizeof s->excluded / sizeof s->excluded[0]) {
		s->excluded[s->nexcluded][0] = dev;
		s->excluded[s->nexcluded][1] = ino;
		s->nexcluded++;
	}
}

static bool excluded(const ips_scanner_t *s, const struct stat *st)
{
	for (size_t i = 0; i < s->nexcluded; i++)
		if (s->excluded[i][0] == (uint64_t)st->st_dev && s->excluded[i][1] == (uint64_t)st->st_ino)
			return true;
	return s->state && ips_state_is_own(s->state, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
}

void ips_scanner_set_state(ips_scanner_t *s, ips_state_t *st)
{
	ips_cron_free(s->cron);
	s->state = st;
	s->cron = st ? ips_cron_new(st) : NULL;
}

void ips_scan_limit_notes(const ips_rules_t *rules, ips_results_t *res,
			  const ips_matcher_t *const *ms, size_t nm)
{
	size_t n = ips_rules_active_count(rules);
	for (size_t i = 0; i < n; i++) {
		uint64_t k = 0;
		for (size_t j = 0; j < nm; j++)
			k += ips_matcher_limit_hits(ms[j], i);
		if (!k)
			continue;
		const ips_detector_t *d = ips_rules_active_at(rules, i);
		ips_vec_push(&res->notes,
			     ips_xasprintf("detector '%s' (%s:%d) hit a PCRE2 limit (match, depth or heap) on %llu "
					   "record(s); those records were not fully matched by it",
					   d->id, d->file, d->line, (unsigned long long)k));
	}
}

void ips_scanner_finish(ips_scanner_t *s)
{
	ips_correlator_finish(s->corr);
	if (s->cron)
		ips_cron_finish(s->cron, (int64_t)time(NULL));
	const ips_matcher_t *m = s->m;
	ips_scan_limit_notes(s->rules, s->out, &m, 1);
}

ips_correlator_t *ips_scanner_rebind(ips_scanner_t *s, ips_results_t *out)
{
	ips_correlator_t *done = s->corr;
	ips_context_clear(s->ctx);
	s->out = out;
	s->corr = ips_correlator_new(s->rules, out);
	return done;
}

const ips_matcher_t *ips_scanner_matcher(const ips_scanner_t *s)
{
	return s->m;
}


ips_scanner_t *ips_scanner_new_planner_opts(ips_vec_t *units, const ips_scan_opts_t *opts)
{
	ips_scanner_t *s = ips_xcalloc(1, sizeof *s);
	s->plan = units;
	if (opts) { /* the walk's options (globs borrowed) */
		s->opts.follow_links = opts->follow_links;
		s->opts.missing_ok = opts->missing_ok;
		s->opts.globs = opts->globs;
		s->opts.nglobs = opts->nglobs;
	}
	return s;
}


void ips_scan_unit_free(ips_scan_unit_t *u)
{
	if (!u)
		return;
	free(u->path);
	if (u->error) {
		free(u->error->path);
		free(u->error->error);
		free(u->error->note); /* a link not followed carries one */
		free(u->error);
	}
	free(u);
}

/* ---- counting lines fast ----------------------------------------------- */

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

/*
 * SSE2: compare 16 bytes with '\n' and subtract the all-ones matches from
 * per-lane byte counters, at most 255 rounds before summing the lanes (psadbw).
 */
static uint64_t count_nl(const char *p, size_t n)
{
	uint64_t c = 0;
	size_t i = 0;
#if defined(__SSE2__) && defined(__x86_64__)
	const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
	while (n - i >= 16) {
		size_t rounds = (n - i) / 16;
		if (rounds > 255)
			rounds = 255;
		__m128i acc = zero;
		for (size_t r = 0; r < rounds; r++, i += 16)
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(
				_mm_loadu_si128((const __m128i *)(const void *)(p + i)), nl));
		__m128i sum = _mm_sad_epu8(acc, zero);
		c += (uint64_t)_mm_cvtsi128_si64(sum) +
		     (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sum, sum));
	}
#else
	const uint64_t ones = 0x0101010101010101ULL, nlw = ones * '\n';
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		uint64_t x = w ^ nlw; /* zero bytes where '\n' */
		/* exact zero-byte count: a byte is zero iff its high bit stays clear */
		uint64_t t = ((x & 0x7F7F7F7F7F7F7F7FULL) + 0x7F7F7F7F7F7F7F7FULL) | x;
		c += (uint64_t)__builtin_popcountll(~t & 0x8080808080808080ULL);
	}
#endif
	for (; i < n; i++)
		c += p[i] == '\n';
	return c;
}

/* ---- findings ---------------------------------------------------------- */

static char *field_copy(const char *v, size_t n)
{
	if (n > FIELD_MAX)
		n = FIELD_MAX;
	return ips_xstrndup(v, n);
}

static void ensure_meta(ips_sink_t *k)
{
	if (k->meta_done)
		return;
	k->meta_done = true;
	memset(&k->lctx, 0, sizeof k->lctx);
	if (k->srec) {
		memset(&k->meta, 0, sizeof k->meta);
		k->meta.time = k->srec->time;
		if (k->srec->host) {
			k->meta.host = k->srec->host;
			k->meta.hostlen = strlen(k->srec->host);
		}
		if (k->meta.time.valid && k->meta.host && !k->srec->line_header)
			return;
	}
	ips_line_meta_t m;
	ips_parse_line_header(k->rec, k->rec_len, &k->yc, &m);
	ips_parse_negotiation(k->rec + m.msg, k->rec_len - m.msg, &k->lctx);
	if (!k->srec) {
		k->meta = m;
	} else {
		if (!k->meta.time.valid)
			k->meta.time = m.time;
		if (!k->meta.host && m.host) {
			k->meta.host = m.host;
			k->meta.hostlen = m.hostlen;
		}
	}
}

static void finding_id(ips_finding_t *f, const char *source, const char *host, const char *path,
		       uint64_t off, const char *rule, const char *extra)
{
	char offs[32];
	snprintf(offs, sizeof offs, "%llu", (unsigned long long)off);
	uint64_t h = IPS_FNV_INIT;
	if (source) /* only when given, so ids without it stay as they were */
		h = ips_fnv1a(h, source, strlen(source) + 1);
	h = ips_fnv1a(h, host ? host : "", host ? strlen(host) + 1 : 1);
	h = ips_fnv1a(h, path, strlen(path) + 1);
	h = ips_fnv1a(h, offs, strlen(offs) + 1);
	h = ips_fnv1a(h, rule, strlen(rule));
	if (extra) {
		h = ips_fnv1a(h, "", 1);
		h = ips_fnv1a(h, extra, strlen(extra));
	}
	snprintf(f->id, sizeof f->id, "%016llx", (unsigned long long)h);
}

static void on_extract(void *ctx, const char *name, const char *value, size_t len)
{
	ips_sink_t *k = ctx;
	for (size_t i = 0; i < k->nextra; i++)
		if (!strcmp(k->extra[i].key, name))
			return; /* the first extractor to name a field wins */
	if (k->nextra < IPS_MAX_CAPTURES) {
		k->extra[k->nextra].key = ips_xstrdup(name);
		k->extra[k->nextra].value = field_copy(value, len);
		k->nextra++;
	}
}

static void clear_extra(ips_sink_t *k)
{
	for (size_t i = 0; i < k->nextra; i++) {
		free(k->extra[i].key);
		free(k->extra[i].value);
	}
	k->nextra = 0;
	k->extracted = false;
}

static ips_kv_t *hit_fields(ips_sink_t *k, const ips_hit_t *h, size_t *n)
{
	if (!k->extracted) {
		k->extracted = true;
		ips_matcher_extract(k->sc->m, k->format, k->rec, k->rec_len, on_extract, k);
	}
	size_t cnt = h->ncaps + 1 + k->nextra;
	if (k->srec)
		cnt += k->srec->nfields;
	ips_kv_t *kv = ips_xcalloc(cnt, sizeof *kv);
	size_t j = 0;
	for (size_t i = 0; i < h->ncaps; i++) {
		size_t len = h->caps[i].len;
		/* a structured record is rendered as tab-separated fields: a capture
		 * never runs on into the next field */
		const char *tab = k->srec ? memchr(h->caps[i].value, '\t', len) : NULL;
		if (tab)
			len = (size_t)(tab - h->caps[i].value);
		kv[j].key = ips_xstrdup(h->caps[i].name);
		kv[j].value = field_copy(h->caps[i].value, len);
		j++;
	}
	if (k->srec) {
		for (size_t i = 0; i < k->srec->nfields; i++) {
			bool dup = false;
			for (size_t q = 0; q < j && !dup; q++)
				dup = !strcmp(kv[q].key, k->srec->fields[i].key);
			if (dup)
				continue;
			kv[j].key = ips_xstrdup(k->srec->fields[i].key);
			kv[j].value = field_copy(k->srec->fields[i].value,
						 strlen(k->srec->fields[i].value));
			j++;
		}
	}
	for (size_t i = 0; i < k->nextra; i++) {
		bool dup = false;
		for (size_t q = 0; q < j && !dup; q++)
			dup = !strcmp(kv[q].key, k->extra[i].key);
		if (!dup) {
			kv[j].key = ips_xstrdup(k->extra[i].key);
			kv[j].value = ips_xstrdup(k->extra[i].value);
			j++;
		}
	}
	*n = j;
	return kv;
}


static bool in_window(const ips_scanner_t *s, const ips_time_t *t)
{
	if (!t->valid)
		return true; /* no time: cannot be filtered by time */
	if (s->opts.since.valid && t->sec < s->opts.since.sec)
		return false;
	if (s->opts.until.valid && t->sec > s->opts.until.sec)
		return false;
	return true;
}

static void kv_free_all(ips_kv_t *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void event_free(ips_event_t *e)
{
	kv_free_all(e->fields, e->nfields);
	free(e->host);
	free(e);
}

/*
 * Cron mode reads some records that earlier runs reported already (the
 * context just before where it resumes, or the whole of a format that cannot
 * resume mid-file). They go through the same steps, so that the context of
 * later records is what a full scan would give, but leave no finding, event
 * or count behind.
 */
/*
 * The evidence text of a record: a C string, so a NUL byte would cut it
 * where it stands; each one is kept visible as U+2400 (SYMBOL FOR NULL).
 */
static char *text_copy(const char *rec, size_t n)
{
	size_t nul = 0;
	for (size_t i = 0; i < n; i++)
		nul += !rec[i];
	if (!nul)
		return ips_xstrndup(rec, n);
	char *t = ips_xmalloc(n + 2 * nul + 1), *o = t;
	for (size_t i = 0; i < n; i++) {
		if (rec[i]) {
			*o++ = rec[i];
		} else {
			memcpy(o, "\xE2\x90\x80", 3);
			o += 3;
		}
	}
	*o = '\0';
	return t;
}

static void on_hit(void *ctx, const ips_hit_t *h)
{
	ips_sink_t *k = ctx;
	ips_scanner_t *s = k->sc;
	bool ctx_only = k->rec_off < k->drop_below;
	ensure_meta(k);
	if (!in_window(s, &k->meta.time)) {
		if (!ctx_only)
			s->out->filtered++;
		return;
	}
	/* A second detector that found the same condition in this record adds
	 * what it captured to the finding the first one made. */
	for (size_t i = 0; i < k->nrec_findings; i++) {
		ips_finding_t *f = k->rec_findings[i];
		if (f->entry != h->entry)
			continue;
		for (size_t c = 0; c < h->ncaps; c++) {
			char *name = ips_xstrdup(h->caps[c].name);
			if (!ips_kv_get(f->fields, f->nfields, name)) {
				char *v = field_copy(h->caps[c].value, h->caps[c].len);
				ips_kv_add(&f->fields, &f->nfields, name, v);
				free(v);
			}
			free(name);
		}
		return;
	}
	for (size_t i = 0; i < k->nrec_events; i++)
		if (k->rec_events[i] == h->entry)
			return;
	char *host = k->meta.host ? ips_xstrndup(k->meta.host, k->meta.hostlen) : NULL;
	if (h->entry->marker || h->entry->event) {
		if (k->nrec_events < IPS_MAX_CAPTURES)
			k->rec_events[k->nrec_events++] = h->entry;
		ips_event_t *e = ips_xcalloc(1, sizeof *e);
		e->entry = h->entry;
		e->input = k->input_index;
		e->line = k->rec_line;
		e->offset = k->rec_off;
		e->time = k->meta.time;
		e->host = host;
		e->fields = hit_fields(k, h, &e->nfields);
		ips_context_apply(s->ctx, &k->lctx, &(ips_ctx_at_t){k->input_index, k->meta.time, k->rec_line},
				  &e->fields, &e->nfields, false, e->entry, NULL);
		if (ctx_only) {
			event_free(e);
			return;
		}
		ips_correlator_event(s->corr, e);
		s->out->events_total++;
		if (s->out->events.len < EVENTS_KEPT && !s->on_finding)
			ips_vec_push(&s->out->events, e);
		else
			event_free(e);
		return;
	}
	const ips_entry_t *entry = h->entry;
	if (h->det->promote_entry &&
	    ips_context_seen(s->ctx, &k->lctx, &(ips_ctx_at_t){k->input_index, k->meta.time, k->rec_line},
			     h->det->promote_after))
		entry = h->det->promote_entry;
	ips_severity_t sev = h->det->severity ? h->det->severity : entry->severity;
	if (sev < s->opts.min_severity) {
		if (!ctx_only)
			s->out->filtered++;
		free(host);
		return;
	}
	const ips_detector_t *rule = h->det->parent ? h->det->parent : h->det;
	ips_finding_t *f = ips_xcalloc(1, sizeof *f);
	f->det = rule;
	f->entry = entry;
	f->severity = sev;
	f->input = k->input_index;
	f->line = k->rec_line;
	f->offset = k->rec_off;
	f->time = k->meta.time;
	f->host = host;
	f->fields = hit_fields(k, h, &f->nfields);
	ips_context_apply(s->ctx, &k->lctx, &(ips_ctx_at_t){k->input_index, k->meta.time, k->rec_line},
			  &f->fields, &f->nfields, true, NULL, entry);
	size_t tl = k->rec_len > TEXT_MAX ? TEXT_MAX : k->rec_len;
	while (tl && (k->rec[tl - 1] == '\r' || k->rec[tl - 1] == '\n'))
		tl--;
	f->text = text_copy(k->rec, tl);
	/* The id is stable: host, path, offset, rule; a second finding of the
	 * same rule in the same record also hashes its name. */
	bool again = false;
	for (size_t i = 0; i < k->nrules_used; i++)
		again |= k->rules_used[i] == rule->id;
	if (!again && k->nrules_used < IPS_MAX_CAPTURES)
		k->rules_used[k->nrules_used++] = rule->id;
	finding_id(f, k->in->source, host, k->in->path, k->rec_off, rule->id, again ? entry->name : NULL);
	if (ctx_only) {
		/* kept until the record is done: a second detector may add to it */
		if (k->nctx_only < IPS_MAX_CAPTURES && k->nrec_findings < IPS_MAX_CAPTURES) {
			k->ctx_only[k->nctx_only++] = f;
			k->rec_findings[k->nrec_findings++] = f;
		} else {
			ips_finding_free(f);
		}
		return;
	}
	ips_vec_push(&s->out->findings, f);
	ips_correlator_finding(s->corr, s->out->findings.len - 1);
	if (k->nrec_findings < IPS_MAX_CAPTURES)
		k->rec_findings[k->nrec_findings++] = f;
	k->in->findings++;
}

static void match_current(ips_sink_t *k, const uint64_t *cands)
{
	size_t before = k->sc->out->findings.len;
	k->meta_done = false;
	k->nrules_used = 0;
	k->nrec_findings = 0;
	k->nrec_events = 0;
	clear_extra(k);
	if (cands)
		ips_matcher_match(k->sc->m, k->format, k->rec, k->rec_len, cands, on_hit, k);
	else
		ips_matcher_match_record(k->sc->m, k->format, k->rec, k->rec_len, on_hit, k);
	clear_extra(k);
	for (size_t i = 0; i < k->nctx_only; i++)
		ips_finding_free(k->ctx_only[i]);
	k->nctx_only = 0;
	/* live mode: a second detector may have added to a finding until now */
	for (size_t i = before; k->sc->on_finding && i < k->sc->out->findings.len; i++)
		k->sc->on_finding(k->sc->on_finding_ctx, k->sc->out, k->sc->out->findings.items[i]);
}

/* ---- sink -------------------------------------------------------------- */

static int on_line(void *ctx, const char *line, size_t len, size_t off, const uint64_t *dets)
{
	ips_sink_t *k = ctx;
	k->counted_lines += count_nl(k->block + k->counted_to, off - k->counted_to);
	k->counted_to = off;
	k->rec = line;
	k->rec_len = len;
	k->rec_off = k->block_off + off;
	k->rec_line = k->block_line + k->counted_lines;
	k->srec = NULL;
	if (len > k->sc->opts.frame.max_record) {
		k->rec_len = k->sc->opts.frame.max_record;
		ips_sink_truncated(k, k->rec_off, k->rec_line);
	}
	while (k->rec_len && k->rec[k->rec_len - 1] == '\r')
		k->rec_len--;
	match_current(k, dets);
	return 0;
}

void ips_sink_start(const ips_sink_t *k, uint64_t *offset, uint64_t *line, bool *whole_lines)
{
	*offset = k->start_off;
	*line = k->start_line ? k->start_line : 1;
	*whole_lines = k->whole_lines;
}

/*
 * Cron and live mode: the time of a block's last line is the input's clock,
 * so that its end (cron) or the next settle (live) knows which windows
 * elapsed even when no finding came late.
 */
static void note_last_line(ips_sink_t *k, const char *buf, size_t len, uint64_t offset,
			   uint64_t last_line)
{
	size_t end = len;
	while (end && (buf[end - 1] == '\n' || buf[end - 1] == '\r'))
		end--;
	if (!end)
		return;
	const char *nl = memrchr(buf, '\n', end);
	size_t from = nl ? (size_t)(nl - buf) + 1 : 0;
	if (offset + from < k->drop_below)
		return;
	ips_line_meta_t m;
	ips_parse_line_header(buf + from, end - from, &k->yc, &m);
	ips_correlator_note_time(k->sc->corr, &m.time, last_line);
}

uint64_t ips_sink_lines(ips_sink_t *k, const char *buf, size_t len, uint64_t offset,
			uint64_t line)
{
	k->block = buf;
	k->block_off = offset;
	k->block_line = line;
	k->counted_to = 0;
	k->counted_lines = 0;
	k->in->bytes = offset + len;
	ips_prefilter_scan_lines(ips_matcher_prefilter(k->sc->m), buf, len, on_line, k);
	uint64_t nl = k->counted_lines + count_nl(buf + k->counted_to, len - k->counted_to);
	if (offset < k->drop_below) /* lines earlier runs reported: context only */
		k->dropped += k->drop_below - offset >= len ? nl
			      : count_nl(buf, (size_t)(k->drop_below - offset));
	k->end_off = offset + len;
	k->next_line = line + nl;
	if ((k->cron || k->sc->on_finding) && len) /* live mode: the clock that closes windows */
		note_last_line(k, buf, len, offset, buf[len - 1] == '\n' ? line + nl - 1 : line + nl);
	return nl;
}

void ips_sink_record(ips_sink_t *k, const ips_record_t *rec)
{
	k->rec = rec->text;
	k->rec_len = rec->len;
	k->rec_off = rec->offset;
	k->rec_line = rec->line;
	k->srec = rec;
	if (rec->offset + rec->len > k->in->bytes)
		k->in->bytes = rec->offset + rec->len;
	if (rec->offset < k->drop_below) {
		k->dropped++;
	} else {
		if (rec->truncated)
			ips_sink_truncated(k, rec->offset, rec->line);
		if (k->cron) {
			k->any_rec = true;
			k->last_off = rec->offset;
			k->last_line = rec->line;
			ips_correlator_note_time(k->sc->corr, &rec->time, rec->line);
		}
	}
	match_current(k, NULL);
	k->srec = NULL;
}

void ips_sink_done(ips_sink_t *k, uint64_t records, uint64_t bytes)
{
	k->in->records = records;
	k->in->bytes = bytes;
}

void ips_sink_truncated(ips_sink_t *k, uint64_t offset, uint64_t line)
{
	if (offset < k->drop_below)
		return; /* reported by an earlier run */
	if (k->in->truncated++ == 0) {
		free(k->in->note);
		k->in->note = ips_xasprintf("record at line %llu (offset %llu) is longer than the "
					    "%zu-byte record cap: only its start was matched",
					    (unsigned long long)line, (unsigned long long)offset,
					    k->sc->opts.frame.max_record);
	}
}

void ips_sink_error(ips_sink_t *k, uint64_t offset, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!k->in->error)
		k->in->error = ips_xasprintf("at offset %llu: %s", (unsigned long long)offset, msg);
	if (k->in->status == IPS_INPUT_OK)
		k->in->status = IPS_INPUT_PARTIAL;
}

/* ---- inputs ------------------------------------------------------------ */

static ips_input_t *new_input(ips_scanner_t *s, const char *path)
{
	ips_input_t *in = ips_xcalloc(1, sizeof *in);
	in->path = ips_xstrdup(path);
	in->source = s->opts.source ? ips_xstrdup(s->opts.source) : NULL;
	in->status = IPS_INPUT_OK;
	ips_vec_push(&s->out->inputs, in);
	return in;
}

static ips_status_t input_error(ips_scanner_t *s, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static ips_status_t input_error(ips_scanner_t *s, const char *path, const char *fmt, ...)
{
	ips_input_t *in;
	if (s->plan) { /* --jobs: the error takes its place among the inputs */
		in = ips_xcalloc(1, sizeof *in);
		in->path = ips_xstrdup(path);
		ips_scan_unit_t *u = ips_xcalloc(1, sizeof *u);
		u->error = in;
		ips_vec_push(s->plan, u);
	} else {
		in = new_input(s, path);
	}
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	in->status = IPS_INPUT_ERROR;
	in->error = ips_xstrdup(msg);
	return IPS_E_INPUT;
}


/*
 * Cron mode: how to read one input (docs/cron.md). Earlier runs read `offset`
 * bytes, `line` lines. A line format continues there (after a look back for
 * context); other formats, and streams that cannot seek, are read again from
 * the start and what lies before `offset` only gives context.
 */
typedef struct cron_read {
	const char *log;          /* the log whose windows these are; NULL: close them */
	int fd;                   /* the plain file, -1 for archive members */
	const ips_cron_id_t *id;  /* the plain file as opened, NULL for members */
	uint64_t offset, line;
	bool nothing_new;         /* the same size as then: not read at all */
	bool to_end;              /* a rotated file's rest: a last line without '\n' too */
	bool chain;               /* the next file of the same log follows: windows stay open */
	char *note;               /* owned; how and why it is read */
	uint64_t end_offset, end_line; /* out: what the state records */
} cron_read_t;

#define LOOK_BACK 65536 /* bytes re-read before a resume point, for context */

static bool pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/*
 * The end of the last whole line in [from, size) of fd, or from when there is
 * none. A last line longer than max_back (far beyond the record cap) is taken
 * as it is: the end of the file.
 */
static uint64_t last_line_end(int fd, uint64_t from, uint64_t size, uint64_t max_back)
{
	char buf[LOOK_BACK];
	uint64_t end = size;
	while (end > from) {
		if (size - end > max_back)
			return size;
		size_t n = end - from > sizeof buf ? sizeof buf : (size_t)(end - from);
		if (!pread_all(fd, buf, n, end - n))
			return from;
		const char *nl = memrchr(buf, '\n', n);
		if (nl)
			return end - n + (uint64_t)(nl - buf) + 1;
		end -= n;
	}
	return from;
}

/*
 * Where to start reading so that the lines just before offset give context:
 * the first line start within LOOK_BACK bytes before it, and how many lines
 * lie between. Nothing when offset is not at a line start.
 */
static bool look_back(int fd, uint64_t offset, uint64_t line, uint64_t *from, uint64_t *lines)
{
	char buf[LOOK_BACK];
	*from = offset;
	*lines = 0;
	if (!offset)
		return true;
	uint64_t start = offset > sizeof buf ? offset - sizeof buf : 0;
	size_t n = (size_t)(offset - start);
	if (!pread_all(fd, buf, n, start) || buf[n - 1] != '\n')
		return false;
	size_t i = 0;
	if (start > 0) {
		const char *nl = memchr(buf, '\n', n);
		i = (size_t)(nl - buf) + 1;
	}
	uint64_t c = 0;
	for (size_t j = i; j < n; j++)
		c += buf[j] == '\n';
	if (c > line)
		return true; /* the record's line count is off: no context, but go on */
	*from = start + i;
	*lines = c;
	return true;
}

static void add_note(ips_input_t *in, const char *note)
{
	if (!note)
		return;
	if (!in->note) {
		in->note = ips_xstrdup(note);
		return;
	}
	char *both = ips_xasprintf("%s; %s", in->note, note);
	free(in->note);
	in->note = both;
}

static ips_status_t scan_source(ips_scanner_t *s, ips_source_t *src, cron_read_t *cr);

static bool single_stream(const char *format)
{
	return format && (!strcmp(format, "gz") || !strcmp(format, "bz2") ||
			  !strcmp(format, "xz") || !strcmp(format, "zst"));
}

static ips_status_t skip_nonlog(ips_scanner_t *s, const char *path, const char *kind);

/*
 * The one stream of a compressed file named on the command line
 * ("README.md.gz!README.md"): read like the file itself. A tar.gz also
 * starts as gz, but its members carry their own names.
 */
static bool named_stream(const ips_scanner_t *s, const char *name)
{
	if (!single_stream(s->container_format) || s->archive_depth != 1 || s->depth)
		return false;
	const char *bang = strrchr(name, '!');
	if (!bang)
		return true;
	const char *inner = bang + 1, *base = name;
	for (const char *p = name; p < bang; p++)
		if (*p == '/')
			base = p + 1;
	size_t n = strlen(inner);
	return !strchr(inner, '/') && (size_t)(bang - base) > n && !strncmp(base, inner, n) &&
	       base[n] == '.';
}

static int scan_member(void *ctx, ips_source_t *member)
{
	ips_scanner_t *s = ctx;
	/* --include/--exclude on the member's path inside the archive; non-log members
	 * skipped, except the one stream of a compressed file named on the command line */
	const char *rel = strrchr(member->name, '!');
	rel = rel ? rel + 1 : member->name;
	bool included = false;
	if (s->opts.nglobs && ips_glob_excluded(s->opts.globs, s->opts.nglobs, rel, false, &included))
		return 0;
	const unsigned char *mh;
	ssize_t mn;
	const char *kind;
	if (!included && !named_stream(s, member->name) &&
	    (mn = ips_source_peek(member, 8, &mh)) >= 0 &&
	    (kind = ips_nonlog_kind(member->name, mh, (size_t)mn))) {
		(void)skip_nonlog(s, member->name, kind);
		return 0;
	}
	/*
	 * Cron mode, a compressed file (logrotate's compress): when it starts
	 * as a plain file an earlier run read, only what lies past where that
	 * run stopped is new.
	 */
	const unsigned char *head;
	ssize_t hn;
	uint64_t off, line;
	const char *was;
	if (s->cron && s->archive_depth == 1 && single_stream(s->container_format) &&
	    (hn = ips_source_peek(member, SNIFF_BYTES, &head)) > 0 &&
	    s->cron_path && ips_cron_copy_of(s->cron, s->cron_path, head, (size_t)hn, &off, &line, &was)) {
		cron_read_t cr = {.fd = -1, .offset = off, .line = line, .to_end = true};
		cr.note = ips_xasprintf("a compressed copy of %s, read up to line %llu in earlier "
					"runs: only what follows is reported", was,
					(unsigned long long)line);
		(void)scan_source(s, member, &cr);
		free(cr.note);
		return 0;
	}
	(void)ips_scanner_scan_source(s, member); /* its own input entry says how it went */
	return 0;
}

/* An archive or compressed file: an entry for it, and one per member. */
static ips_status_t scan_container(ips_scanner_t *s, ips_source_t *src, ips_input_t *in,
				   const char *format)
{
	in->format = format;
	if (src->size >= 0)
		in->bytes = (uint64_t)src->size;
	if (s->archive_depth >= s->opts.archive.max_depth) {
		in->status = IPS_INPUT_ERROR;
		in->error = ips_xasprintf("containers nested deeper than %d levels: not opened",
					  s->opts.archive.max_depth);
		return IPS_E_INPUT;
	}
	size_t first_member = s->out->inputs.len;
	const char *outer = s->container_format;
	s->container_format = format;
	s->archive_depth++;
	if (!s->archive_depth)
		memset(&s->budget, 0, sizeof s->budget); /* a new top-level input */
	ips_walk_result_t wr;
	ips_status_t st = ips_archive_walk(src, format, &s->opts.archive, &s->budget, scan_member,
					   s, &wr);
	s->archive_depth--;
	s->container_format = outer;
	in->format = wr.format;
	in->records = wr.members;
	if (wr.skipped)
		in->note = ips_xasprintf("%llu member(s) not read: directories, links or special files",
					 (unsigned long long)wr.skipped);
	if (wr.error && wr.member_failed && wr.single) {
		/* the one member's own entry names the problem and its offset */
		in->status = IPS_INPUT_PARTIAL;
		add_note(in, "its data could not be read to the end: see the member's error");
		free(wr.error);
	} else if (wr.error) {
		in->error = wr.error;
		in->status = wr.members ? IPS_INPUT_PARTIAL : IPS_INPUT_ERROR;
	} else if (!wr.members) {
		in->status = IPS_INPUT_EMPTY;
	}
	/* any member that failed makes the whole run report an input problem */
	for (size_t i = first_member; i < s->out->inputs.len; i++) {
		const ips_input_t *m = s->out->inputs.items[i];
		if (m->status == IPS_INPUT_ERROR || m->status == IPS_INPUT_PARTIAL)
			st = IPS_E_INPUT;
	}
	return st;
}

/*
 * Cron mode, once the format is known: where to start, where to stop, what
 * only gives context. Returns false when there is nothing to read.
 */
static bool cron_prepare(ips_scanner_t *s, ips_source_t *src, ips_sink_t *k,
			 const ips_framer_ops_t *fr, bool decoded, cron_read_t *cr)
{
	ips_input_t *in = k->in;
	k->cron = true;
	k->whole_lines = !cr->to_end;
	bool lines = ips_framer_is_lines(fr) && !decoded;
	if (cr->nothing_new) {
		cr->end_offset = cr->offset;
		cr->end_line = cr->line;
		return false;
	}
	uint64_t size = cr->id ? cr->id->size : 0;
	uint64_t back_max = 2 * (uint64_t)(s->opts.frame.max_record + s->opts.frame.block);
	if (lines && cr->fd >= 0 && src->seek) {
		uint64_t from, back;
		if (!look_back(cr->fd, cr->offset, cr->line, &from, &back)) {
			/* not at a line start: the file changed before that point */
			add_note(in, "changed before the point earlier runs reached: read from the start");
			cr->offset = cr->line = 0;
			from = back = 0;
		}
		uint64_t limit = cr->to_end ? size : last_line_end(cr->fd, cr->offset, size, back_max);
		cr->end_offset = cr->offset;
		cr->end_line = cr->line;
		if (limit <= cr->offset)
			return false; /* no whole new line yet */
		if (from && !ips_source_seek(src, from))
			from = 0; /* read it all; the part before offset gives context */
		k->start_off = from;
		k->start_line = from ? cr->line + 1 - back : 1; /* from the start: the file's count */
		k->drop_below = cr->offset;
		ips_source_limit(src, limit);
		return true;
	}
	/* from the start; what earlier runs read gives context only */
	k->drop_below = cr->offset;
	cr->end_offset = cr->offset;
	cr->end_line = cr->line;
	if (cr->fd >= 0) {
		uint64_t limit = size;
		if (!cr->to_end && (lines || !strcmp(fr->name, "ndjson") ||
				    !strcmp(fr->name, "journal-json")) && !decoded)
			limit = last_line_end(cr->fd, 0, size, back_max);
		ips_source_limit(src, limit);
	}
	if (cr->offset && !lines)
		add_note(in, "this format cannot resume mid-file: read again from the start, "
			     "records before the point earlier runs reached were not reported again");
	return true;
}

static ips_status_t scan_source(ips_scanner_t *s, ips_source_t *src, cron_read_t *cr)
{
	ips_input_t *in = new_input(s, src->name);
	ips_sink_t k = {0};
	k.sc = s;
	k.in = in;
	k.input_index = s->out->inputs.len - 1;
	k.yc.year = s->opts.year;
	k.yc.ref = src->mtime;

	if (cr) { /* unless more is read, the state keeps what earlier runs read */
		cr->end_offset = cr->offset;
		cr->end_line = cr->line;
	}
	const unsigned char *head;
	ssize_t hn = ips_source_peek(src, SNIFF_BYTES, &head);
	if (hn < 0) {
		in->status = IPS_INPUT_ERROR;
		in->error = ips_xasprintf("at offset 0: read error: %s", ips_source_error(src));
		if (cr && cr->log && !cr->chain)
			ips_correlator_end_input_save(s->corr, s->state, cr->log);
		return IPS_E_INPUT;
	}
	const char *container = (s->opts.input_format || cr) ? NULL
				: ips_container_sniff(head, (size_t)hn);
	if (container)
		return scan_container(s, src, in, container);
	/* UTF-16 and UTF-8 with a BOM: framed as UTF-8, sniffed again (decode.h) */
	ips_source_t *decoded = ips_decode_wrap(src);
	ips_framer_source_problem(src, &k); /* iconv refused the encoding */
	if (decoded) {
		src = decoded;
		hn = ips_source_peek(src, SNIFF_BYTES, &head);
		ips_framer_source_problem(src, &k); /* a short input decoded to its end */
		if (hn < 0)
			hn = 0; /* the framer's first read meets the error and reports it */
	}
	const ips_framer_ops_t *fr = NULL;
	if (s->opts.input_format)
		fr = ips_framer_by_name(s->opts.input_format);
	if (!fr)
		fr = ips_framer_detect(head, (size_t)hn, src->name);
	in->format = fr->name;
	k.format = fr->name;
	if (hn > 0 && memchr(head, '\0', (size_t)hn) && strncmp(fr->name, "journal", 7))
		in->note = ips_xstrdup("binary data (NUL bytes): scanned as bytes");
	ips_status_t st = IPS_OK;
	if (fr == ips_framer_by_name("journal")) {
		/* a journal inside an archive, or forced: the matches apply, no cursor */
		st = ips_journal_run_source(src, &s->opts.journal, &k, &s->opts.frame);
		in->bytes = src->size > 0 ? (uint64_t)src->size : 0;
	} else if (!cr) {
		st = fr->run(src, &k, &s->opts.frame);
	} else {
		add_note(in, cr->note);
		if (cron_prepare(s, decoded ? decoded : src, &k, fr, decoded != NULL, cr)) {
			st = fr->run(src, &k, &s->opts.frame);
			in->records = in->records > k.dropped ? in->records - k.dropped : 0;
			in->bytes = in->bytes > cr->offset ? in->bytes - cr->offset : 0;
			if (ips_framer_is_lines(fr) && k.end_off > cr->offset) {
				cr->end_offset = k.end_off; /* whole lines, unless to_end */
				cr->end_line = k.next_line - 1;
			} else if (!ips_framer_is_lines(fr) && k.any_rec) {
				cr->end_offset = k.last_off + 1 > cr->offset ? k.last_off + 1 : cr->offset;
				cr->end_line = k.last_line;
			}
		} else {
			in->records = in->bytes = 0;
		}
	}
	ips_framer_source_problem(decoded, &k); /* what the decoder met, if not yet told */
	ips_source_close(decoded);
	if (!cr || !cr->log)
		ips_correlator_end_input(s->corr);
	else if (!cr->chain)
		ips_correlator_end_input_save(s->corr, s->state, cr->log);
	s->out->records += in->records;
	bool empty = cr ? (cr->id && cr->id->size == 0) : (in->bytes == 0 && in->records == 0);
	if (in->status == IPS_INPUT_OK && empty)
		in->status = IPS_INPUT_EMPTY;
	return (st == IPS_OK && in->status != IPS_INPUT_PARTIAL) ? IPS_OK : IPS_E_INPUT;
}

ips_status_t ips_scanner_scan_source(ips_scanner_t *s, ips_source_t *src)
{
	return scan_source(s, src, NULL);
}

static bool input_listed(const ips_scanner_t *s, const char *path)
{
	for (size_t i = 0; i < s->out->inputs.len; i++)
		if (!strcmp(((const ips_input_t *)s->out->inputs.items[i])->path, path))
			return true;
	return false;
}

typedef struct compressed_tail {
	ips_scanner_t *s;
	const char *log;
	const ips_cron_plan_t *p;
	bool read;
	ips_status_t st;
} compressed_tail_t;

/*
 * The one member of a compressed previous file: read from its start (a
 * decompressor cannot seek), what lies before the point earlier runs reached
 * only gives context. Its entry is named as the file (PATH.1.gz).
 */
static int compressed_tail_member(void *ctx, ips_source_t *member)
{
	compressed_tail_t *z = ctx;
	free(member->name); /* the walker frees the name the source has */
	member->name = ips_xstrdup(z->p->tail);
	cron_read_t cr = {.log = z->log, .fd = -1, .offset = z->p->tail_offset,
			  .line = z->p->tail_line, .to_end = true, .chain = true};
	cr.note = ips_xasprintf("rotated: the rest of %s's previous file, from line %llu "
				"(compressed: read from its start, what earlier runs read "
				"is not reported again)",
				z->log, (unsigned long long)z->p->tail_line + 1);
	z->st = scan_source(z->s, member, &cr);
	free(cr.note);
	z->read = true;
	return 1; /* a single stream: nothing follows */
}

/* Cron mode: the rest of a log's previous file (PATH.1 or PATH.0, or PATH.1.gz). */
static ips_status_t scan_tail(ips_scanner_t *s, const char *log, const ips_cron_plan_t *p)
{
	int err = 0;
	ips_source_t *src = ips_source_open_path(p->tail, &err);
	if (!src)
		return input_error(s, p->tail, "cannot open: %s", strerror(err));
	ips_cron_id_t *id = ips_xmalloc(sizeof *id);
	int fd = ips_source_fd(src);
	ips_status_t st = IPS_OK;
	if (p->tail_compressed && fd >= 0 && ips_cron_identify(fd, id)) {
		const unsigned char *head;
		ssize_t hn = ips_source_peek(src, SNIFF_BYTES, &head);
		const char *format = hn > 0 ? ips_container_sniff(head, (size_t)hn) : NULL;
		compressed_tail_t z = {.s = s, .log = log, .p = p};
		ips_walk_result_t wr = {0};
		if (format)
			st = ips_archive_walk(src, format, &s->opts.archive, NULL,
					      compressed_tail_member, &z, &wr);
		if (!z.read)
			st = input_error(s, p->tail, "%s", wr.error ? wr.error : "cannot be read");
		else if (st != IPS_OK || z.st != IPS_OK)
			st = IPS_E_INPUT;
		free(wr.error);
		/* remembered as an archive: unchanged at the next run, not read again */
		const char *was;
		(void)ips_cron_container(s->cron, p->tail, fd, id, &was);
	} else if (!p->tail_compressed && fd >= 0 && ips_cron_identify(fd, id)) {
		cron_read_t cr = {.log = log, .fd = fd, .id = id, .offset = p->tail_offset,
				  .line = p->tail_line, .to_end = true, .chain = true};
		cr.note = ips_xasprintf("rotated: the rest of %s's previous file, from line %llu",
					log, (unsigned long long)p->tail_line + 1);
		st = scan_source(s, src, &cr);
		ips_cron_record(s->cron, p->tail, id, cr.end_offset, cr.end_line);
		free(cr.note);
	}
	free(id);
	ips_source_close(src);
	return st;
}

/* Cron mode: a regular file, or a container, named or found in a directory. */
static ips_status_t scan_file_cron(ips_scanner_t *s, ips_source_t *src, int fd,
				   const ips_cron_id_t *id, const char *path)
{
	const unsigned char *head;
	ssize_t hn = ips_source_peek(src, SNIFF_BYTES, &head);
	const char *container = (hn < 0 || s->opts.input_format) ? NULL
				: ips_container_sniff(head, (size_t)hn);
	ips_cron_plan_t p;
	ips_cron_plan(s->cron, path, id, &p);
	if (p.how == IPS_CRON_AGAIN) {
		/* a second name for a file this run read */
		if (!input_listed(s, path)) {
			ips_input_t *in = new_input(s, path);
			in->format = container;
			in->note = ips_xasprintf("the same file as %s, read in this run", p.was);
		}
		ips_cron_plan_free(&p);
		return IPS_OK;
	}
	if (container) {
		ips_cron_plan_free(&p);
		const char *was;
		if (ips_cron_container(s->cron, path, fd, id, &was)) {
			ips_input_t *in = new_input(s, path);
			in->format = container;
			in->note = was ? ips_xasprintf("unchanged since the last run (as %s)", was)
				       : ips_xstrdup("unchanged since the last run");
			return IPS_OK;
		}
		s->cron_path = path; /* a compressed copy is checked against its file */
		ips_status_t st = ips_scanner_scan_source(s, src);
		s->cron_path = NULL;
		return st;
	}
	size_t first = s->out->inputs.len;
	ips_cron_restore_windows(s->cron, path, s->corr, first);
	ips_status_t res = IPS_OK;
	if (p.tail && scan_tail(s, path, &p) != IPS_OK)
		res = IPS_E_INPUT;
	cron_read_t cr = {.log = path, .fd = fd, .id = id};
	switch (p.how) {
	case IPS_CRON_GROWN:
		cr.offset = p.offset;
		cr.line = p.line;
		cr.nothing_new = id->size == p.size;
		if (p.was)
			cr.note = ips_xasprintf("%s %s in earlier runs: new data from line %llu",
						p.copy ? "a copy of" : "read as", p.was,
						(unsigned long long)p.line + 1);
		break;
	case IPS_CRON_TRUNCATED:
		cr.note = ips_xstrdup("smaller than at the last run (truncated): read from the start");
		break;
	case IPS_CRON_REPLACED:
		cr.note = ips_xstrdup("its first bytes changed since the last run (or those before "
				       "where earlier runs stopped): read from the start");
		break;
	case IPS_CRON_ROTATED:
		cr.note = ips_xstrdup("a new file since the last run (rotated): read from the start");
		break;
	default:
		break;
	}
	if (scan_source(s, src, &cr) != IPS_OK)
		res = IPS_E_INPUT;
	ips_cron_record(s->cron, path, id, cr.end_offset, cr.end_line);
	free(cr.note);
	ips_cron_plan_free(&p);
	return res;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- the systemd journal ----------------------------------------------- */

/*
 * A binary journal (a file, the journal files of a folder, the local
 * journal) as one input named `name`. Cron mode continues after the cursor
 * earlier runs saved under that name and saves the last entry read.
 */
static ips_status_t scan_journal(ips_scanner_t *s, const char *name, const ips_journal_where_t *w)
{
	ips_input_t *in = new_input(s, name);
	ips_sink_t k = {0};
	k.sc = s;
	k.in = in;
	k.input_index = s->out->inputs.len - 1;
	k.yc.year = s->opts.year;
	k.format = "journal";
	in->format = "journal";
	ips_journal_pos_t pos = {0};
	if (s->cron) {
		k.cron = true;
		(void)ips_cron_journal(s->cron, name, &pos.cursor, &pos.line);
		ips_cron_restore_windows(s->cron, name, s->corr, k.input_index);
		if (pos.cursor)
			add_note(in, "continued after the last entry earlier runs read");
	}
	ips_status_t st = ips_journal_read(w, &s->opts.journal, s->cron ? &pos : NULL, &k,
					   &s->opts.frame);
	if (s->cron) {
		ips_cron_journal_record(s->cron, name, pos.end_cursor, pos.end_line, time(NULL));
		ips_correlator_end_input_save(s->corr, s->state, name);
	} else {
		ips_correlator_end_input(s->corr);
	}
	free(pos.end_cursor);
	s->out->records += in->records;
	if (st != IPS_OK && in->records == 0 && !pos.cursor)
		in->status = IPS_INPUT_ERROR;
	if (in->status == IPS_INPUT_OK && in->records == 0 && !pos.cursor)
		in->status = IPS_INPUT_EMPTY; /* (nothing new since the last run is not empty) */
	return (st == IPS_OK && in->status != IPS_INPUT_PARTIAL) ? IPS_OK : IPS_E_INPUT;
}

ips_status_t ips_scanner_scan_journal_local(ips_scanner_t *s)
{
	if (s->plan) {
		ips_scan_unit_t *u = ips_xcalloc(1, sizeof *u);
		u->path = ips_xstrdup(IPS_JOURNAL_LOCAL_NAME);
		u->stream = true;
		u->journal = 2;
		ips_vec_push(s->plan, u);
		return IPS_OK;
	}
	ips_journal_where_t w = {.local = true, .fd = -1};
	return scan_journal(s, IPS_JOURNAL_LOCAL_NAME, &w);
}

ips_status_t ips_scanner_scan_journal_dir(ips_scanner_t *s, const char *dir)
{
	if (s->plan) {
		ips_scan_unit_t *u = ips_xcalloc(1, sizeof *u);
		u->path = ips_xstrdup(dir);
		u->journal = 1;
		ips_vec_push(s->plan, u);
		return IPS_OK;
	}
	DIR *d = opendir(dir);
	if (!d)
		return input_error(s, dir, "cannot open directory: %s", strerror(errno));
	ips_vec_t names = {0};
	struct dirent *de;
	while ((de = readdir(d)))
		if (ips_journal_is_file_name(de->d_name))
			ips_vec_push(&names, ips_xstrdup(de->d_name));
	closedir(d);
	if (names.len)
		qsort(names.items, names.len, sizeof *names.items, cmp_name);
	/* a file that sd-journal cannot open would stop it opening the others:
	 * each is tried alone first, and a bad one is its own input, named */
	ips_vec_t good = {0};
	ips_status_t res = IPS_OK;
	size_t dl = strlen(dir);
	for (size_t i = 0; i < names.len; i++) {
		char *sub = ips_xasprintf("%s%s%s", dir, (dl && dir[dl - 1] == '/') ? "" : "/",
					  (char *)names.items[i]);
		free(names.items[i]);
		struct stat st;
		if (stat(sub, &st) != 0 || !S_ISREG(st.st_mode) || excluded(s, &st)) {
			free(sub);
			continue;
		}
		char *why = ips_journal_probe(sub);
		if (why) {
			res = input_error(s, sub, "%s", why);
			free(why);
			free(sub);
			continue;
		}
		ips_vec_push(&good, sub);
	}
	ips_vec_free(&names);
	if (good.len) {
		ips_journal_where_t w = {.paths = (const char *const *)good.items,
					 .npaths = good.len, .fd = -1};
		if (scan_journal(s, dir, &w) != IPS_OK)
			res = IPS_E_INPUT;
	}
	for (size_t i = 0; i < good.len; i++)
		free(good.items[i]);
	ips_vec_free(&good);
	return res;
}

/* A symbolic link found in a directory: listed with a note, not read. */
/*
 * An input that is named in the report but not read (a link not followed, a
 * file that is not a log, a missing file with --missing-ok): with --jobs it
 * takes its place among the planned inputs, like an error. note is taken.
 */
static void noted_input(ips_scanner_t *s, const char *path, ips_input_status_t status, char *note)
{
	ips_input_t *in;
	if (s->plan) {
		in = ips_xcalloc(1, sizeof *in);
		in->path = ips_xstrdup(path);
		ips_scan_unit_t *u = ips_xcalloc(1, sizeof *u);
		u->error = in;
		ips_vec_push(s->plan, u);
	} else {
		in = new_input(s, path);
	}
	in->status = status;
	in->note = note;
}

static void link_not_followed(ips_scanner_t *s, const char *path)
{
	noted_input(s, path, IPS_INPUT_OK,
		    ips_xstrdup("a symbolic link inside a directory: not followed "
				"(--follow-links follows it)"));
}

static ips_status_t skip_nonlog(ips_scanner_t *s, const char *path, const char *kind);

/* The first bytes of a file (for pictures and PDF named like logs); 0 if unreadable. */
static size_t file_head(const char *path, unsigned char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	ssize_t r = read(fd, buf, n);
	close(fd);
	return r > 0 ? (size_t)r : 0;
}

static ips_status_t scan_dir(ips_scanner_t *s, const char *path, const struct stat *st)
{
	for (int i = 0; i < s->depth; i++)
		if (s->dir_dev[i] == st->st_dev && s->dir_ino[i] == st->st_ino)
			return input_error(s, path, "directory loop (a symbolic link leads back to "
						    "a parent directory): not followed");
	if (s->depth >= DIR_DEPTH_MAX)
		return input_error(s, path, "directories nested deeper than %d: not read",
				   DIR_DEPTH_MAX);
	DIR *d = opendir(path);
	if (!d)
		return input_error(s, path, "cannot open directory: %s", strerror(errno));
	if (!s->depth) { /* --include/--exclude match paths relative to the named directory */
		size_t pl = strlen(path);
		s->root_len = pl && path[pl - 1] == '/' ? pl : pl + 1;
	}
	ips_vec_t names = {0};
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			ips_vec_push(&names, ips_xstrdup(de->d_name));
	closedir(d);
	if (names.len)
		qsort(names.items, names.len, sizeof *names.items, cmp_name);
	s->dir_dev[s->depth] = st->st_dev;
	s->dir_ino[s->depth] = st->st_ino;
	s->depth++;
	ips_status_t res = IPS_OK;
	bool journal_done = false;
	for (size_t i = 0; i < names.len; i++) {
		size_t pl = strlen(path);
		/* journal files (*.journal): one input for the folder, where the first is */
		if (!s->opts.input_format && ips_journal_is_file_name(names.items[i])) {
			if (!journal_done && ips_scanner_scan_journal_dir(s, path) != IPS_OK)
				res = IPS_E_INPUT;
			journal_done = true;
			free(names.items[i]);
			continue;
		}
		char *sub = ips_xasprintf("%s%s%s", path, (pl && path[pl - 1] == '/') ? "" : "/",
					  (char *)names.items[i]);
		struct stat s2;
		const char *rel = strlen(sub) > s->root_len ? sub + s->root_len : sub;
		bool included = false;
		unsigned char head[8];
		const char *kind;
		/*
		 * A symbolic link inside a directory can lead anywhere (out of
		 * the directory, to /etc/shadow): not followed unless
		 * --follow-links; a link named on the command line is.
		 */
		if (!s->opts.follow_links && lstat(sub, &s2) == 0 && S_ISLNK(s2.st_mode)) {
			link_not_followed(s, sub);
		} else if (stat(sub, &s2) != 0) {
			res = input_error(s, sub, "cannot read: %s", strerror(errno));
		} else if (s->opts.nglobs && ips_glob_excluded(s->opts.globs, s->opts.nglobs, rel,
							       S_ISDIR(s2.st_mode), &included)) {
			/* left out by --include/--exclude */
		} else if (S_ISREG(s2.st_mode) && !included &&
			   (kind = ips_nonlog_kind(sub, head, file_head(sub, head, sizeof head)))) {
			(void)skip_nonlog(s, sub, kind);
		} else if (S_ISDIR(s2.st_mode)) {
			if (scan_dir(s, sub, &s2) != IPS_OK)
				res = IPS_E_INPUT;
		} else if (S_ISREG(s2.st_mode)) {
			if (ips_scanner_scan_path(s, sub) != IPS_OK)
				res = IPS_E_INPUT;
		}
		/* FIFOs, sockets and devices inside a directory are not read:
		 * reading them could block forever. Name them explicitly to scan. */
		free(sub);
		free(names.items[i]);
	}
	s->depth--;
	ips_vec_free(&names);
	return res;
}

/* A file that is not a log, inside a folder or an archive: named, not read. */
static ips_status_t skip_nonlog(ips_scanner_t *s, const char *path, const char *kind)
{
	noted_input(s, path, IPS_INPUT_OK,
		    ips_xasprintf("not a log (%s): skipped; name it on the command line, or "
				  "--include it, to read it", kind));
	return IPS_OK;
}

/* --missing-ok: a named input that does not exist is a note, not an error */
static ips_status_t missing(ips_scanner_t *s, const char *path)
{
	noted_input(s, path, IPS_INPUT_EMPTY, ips_xstrdup("does not exist (--missing-ok): nothing read"));
	return IPS_OK;
}

/* --jobs: a file (or stdin) to be read by a worker, in its place in the order */
static ips_status_t plan_path(ips_scanner_t *s, const char *path, const struct stat *st)
{
	ips_scan_unit_t *u = ips_xcalloc(1, sizeof *u);
	u->path = ips_xstrdup(path);
	u->stream = !st || !S_ISREG(st->st_mode);
	u->size = u->stream ? 0 : (uint64_t)st->st_size;
	ips_vec_push(s->plan, u);
	return IPS_OK;
}

ips_status_t ips_scanner_scan_path(ips_scanner_t *s, const char *path)
{
	if (strcmp(path, "-") != 0) {
		struct stat st;
		if (stat(path, &st) != 0 && errno == ENOENT && s->opts.missing_ok && !s->depth)
			return missing(s, path);
		if (stat(path, &st) != 0)
			return input_error(s, path, "cannot open: %s", strerror(errno));
		if (S_ISDIR(st.st_mode))
			return scan_dir(s, path, &st);
		/* cron mode: the state file, its lock and our report are not logs */
		if (excluded(s, &st))
			return IPS_OK;
		if (s->plan)
			return plan_path(s, path, &st);
	} else if (s->plan) {
		return plan_path(s, path, NULL);
	}
	int err = 0;
	ips_source_t *src = ips_source_open_path(path, &err);
	if (!src)
		return input_error(s, path, "cannot open: %s", strerror(err));
	ips_status_t st;
	int fd = ips_source_fd(src);
	/* a journal file: read with sd-journal, in cron mode by its cursor */
	const unsigned char *head;
	ssize_t hn;
	if (strcmp(path, "-") && (!s->opts.input_format || !strcmp(s->opts.input_format, "journal")) &&
	    (hn = ips_source_peek(src, 8, &head)) > 0 && ips_journal_is_binary(head, (size_t)hn)) {
		ips_source_close(src);
		const char *paths[1] = {path};
		ips_journal_where_t w = {.paths = paths, .npaths = 1, .fd = -1};
		return scan_journal(s, path, &w);
	}
	ips_cron_id_t *id = s->cron && strcmp(path, "-") ? ips_xmalloc(sizeof *id) : NULL;
	if (id && fd >= 0 && ips_cron_identify(fd, id))
		st = scan_file_cron(s, src, fd, id, path);
	else
		st = ips_scanner_scan_source(s, src); /* FIFOs: read whole, nothing to remember */
	free(id);
	ips_source_close(src);
	return st;
}

/* ---- live mode --------------------------------------------------------- */

void ips_scanner_set_live(ips_scanner_t *s, ips_finding_cb_t cb, void *ctx)
{
	s->on_finding = cb;
	s->on_finding_ctx = ctx;
}

ips_sink_t *ips_scanner_stream_open(ips_scanner_t *s, const char *name, const char *format,
				    int64_t ref_time)
{
	ips_sink_t *k = ips_xcalloc(1, sizeof *k);
	k->sc = s;
	k->in = new_input(s, name);
	k->input_index = s->out->inputs.len - 1;
	k->in->format = format;
	k->format = format;
	k->yc.year = s->opts.year;
	k->yc.ref = ref_time;
	return k;
}

void ips_scanner_stream_close(ips_scanner_t *s, ips_sink_t *k, uint64_t records, uint64_t bytes)
{
	ips_sink_done(k, records, bytes);
	s->out->records += records;
	if (k->in->status == IPS_INPUT_OK && !records && !bytes)
		k->in->status = IPS_INPUT_EMPTY;
	free(k);
}

ips_input_t *ips_scanner_stream_input(ips_sink_t *k)
{
	return k->in;
}

size_t ips_scanner_settle(ips_scanner_t *s, int64_t wall, bool all, ips_window_cb_t emit_window,
			  ips_incident_cb_t emit, void *ctx)
{
	return ips_correlator_settle(s->corr, wall, all, emit_window, emit, ctx);
}

uint64_t ips_scanner_forced(const ips_scanner_t *s)
{
	return ips_correlator_forced(s->corr);
}
