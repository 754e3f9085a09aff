/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan_record.c - the scanner's record sink (ips_sink_t, input/framer.h):
 * each record the framer cuts is matched, and what the detectors found
 * becomes a finding or a correlation event, with the facts of its
 * negotiation's context, handed to the driver's finding sink. Part of the
 * scanner module (scan_priv.h); the public side is scan.h and framer.h.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "detect/scan.h"
#include "detect/scan_priv.h"
#include "util/util.h"

#define TEXT_MAX 2048   /* finding text kept for the report */
#define FIELD_MAX 512   /* one captured field */
#define EVENTS_KEPT IPS_EVENTS_KEPT

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
		s->sink.event(s->sink.ctx, e);
		s->out->events_total++;
		if (s->out->events.len < EVENTS_KEPT && !s->sink.record_done)
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
	s->sink.finding(s->sink.ctx, s->out, s->out->findings.len - 1);
	if (k->nrec_findings < IPS_MAX_CAPTURES)
		k->rec_findings[k->nrec_findings++] = f;
	k->in->findings++;
}

static void match_current(ips_sink_t *k, const uint64_t *cands)
{
	if (k->probe) { /* --jobs within one file: only find the records with a hit */
		ips_split_probe_record(k, cands);
		return;
	}
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
	if (k->sc->sink.record_done && before < k->sc->out->findings.len)
		k->sc->sink.record_done(k->sc->sink.ctx, k->sc->out, before);
}

/* ---- sink -------------------------------------------------------------- */

static int on_line(void *ctx, const char *line, size_t len, size_t off, const uint64_t *dets)
{
	ips_sink_t *k = ctx;
	k->counted_lines += ips_prefilter_count_nl(k->block + k->counted_to, off - k->counted_to);
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
	if (k->probe)
		ips_split_probe_clock(k, &m.time, last_line);
	else
		k->sc->sink.clock(k->sc->sink.ctx, &m.time, last_line);
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
	uint64_t nl = k->counted_lines + ips_prefilter_count_nl(buf + k->counted_to, len - k->counted_to);
	if (offset < k->drop_below) /* lines earlier runs reported: context only */
		k->dropped += k->drop_below - offset >= len ? nl
			      : ips_prefilter_count_nl(buf, (size_t)(k->drop_below - offset));
	k->end_off = offset + len;
	k->next_line = line + nl;
	if (len && (k->probe ? k->resume
		    : (k->resume || k->sc->sink.record_done) && k->sc->sink.clock))
		/* cron and live mode: the clock that closes windows (a probe of
		 * cron mode's keeps it for the join) */
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
		if (k->resume) {
			k->any_rec = true;
			k->last_off = rec->offset;
			k->last_line = rec->line;
			if (k->sc->sink.clock)
				k->sc->sink.clock(k->sc->sink.ctx, &rec->time, rec->line);
		}
	}
	match_current(k, NULL);
	k->srec = NULL;
}

void ips_sink_replay(ips_sink_t *k, const char *text, size_t len, uint64_t off,
		     uint64_t line, bool cut, const uint64_t *cands)
{
	/* as on_line() and ips_sink_record() leave the record, then match it */
	ips_record_t rec = {.text = text, .len = len, .offset = off, .line = line,
			    .truncated = true};
	k->rec = text;
	k->rec_len = len;
	k->rec_off = off;
	k->rec_line = line;
	k->srec = cut ? &rec : NULL;
	match_current(k, cut ? NULL : cands);
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
	if (k->probe) { /* counted per range, named when the ranges are joined */
		ips_split_probe_truncated(k, offset, line);
		return;
	}
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
