/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scan_split.c - --jobs within one large file (see scan_split.h).
 *
 * A plain file of a line format is cut at line starts (just after a '\n')
 * into byte ranges. The work is split in two halves:
 *
 * - the probe (any thread, one range each): the line framer reads the range
 *   as it reads a whole file, the prefilter and the detectors' PCRE2 run on
 *   every line, and only what a serial scan needs later is kept: the lines
 *   (and lines cut at the buffer) on which a detector hit, by offset, line
 *   number counted from the range's start, length as matched and the
 *   prefilter's candidates; the range's record count, its last byte, the
 *   lines cut at the record cap (count, first) and a read error. On real
 *   logs that is a tiny fraction of the lines, and the PCRE2 work, which is
 *   most of the time, is done here.
 * - the join (one thread, ranges in file order): each kept line is read
 *   back and goes through the scanner's stateful half (match_current() and
 *   on_hit() of scan_record.c: fields, negotiation context, promotion,
 *   --since/--until, --min-severity, findings, events, the correlator's
 *   sink) with its line number in the file (1 + the records of the earlier
 *   ranges: every line of a range but the last ends with its '\n'). Then the
 *   counts and notes of the input, as scan_source() leaves them.
 *
 * Why this is exact: in a serial scan of a line format, nothing a record
 * without a hit does changes any state but counts. Everything stateful in
 * scan_record.c hangs off on_hit(), called only for a detector's hit; the
 * matcher keeps no state between records except its PCRE2 limit counters
 * (counted here by the probes, once per record; the join's matcher matches
 * the kept lines again and its counts are not reported); the line header
 * and year are parsed from the record alone. The line framer cuts a line
 * the same way wherever it starts in its buffer (a line cut at the buffer
 * is always at its start there), so ranges that begin at line starts give
 * the records of one pass. Lines longer than the record cap, a last line
 * without '\n', NUL bytes and CRLF are handled by the same framer and sink
 * code as in one pass. A read error stops the join at the range it
 * happened in, as it stops a serial read there.
 *
 * An EVTX file (a plain file of at least 2 chunks; jobs.c splits from 8 MiB) is cut into ranges of
 * whole 64 KiB chunks (input/evtx_split.h). Each chunk is self-contained and
 * the fast path reads a record from its chunk alone; which records a chunk
 * lists, and which of them the fast path takes, depend on the chunk and
 * the file header only. A probe reads its chunks' records as a whole read
 * does (numbered from its range's first record) and keeps, in record order,
 * the records with a hit (HIT), those cut at the record cap without one
 * (TRUNC: the note names the first) and those the fast path refuses
 * (LIBEVTX), plus its counts. The join, at range 0, has libevtx open the
 * file as a whole read does (record count, recovered records, corruption);
 * when libevtx lists other records than the chunks do (or cannot open it),
 * the file is read whole there as without --jobs and the ranges are
 * dropped. Otherwise each kept record is read again in file order, with
 * its number in the file: a HIT by the fast path, a LIBEVTX record through
 * libevtx (matched only here, as only the serial read would), a TRUNC
 * only noted; at the end the recovered records, the counts and the notes
 * (unreadable records, corruption) come as a whole read gives them. The
 * PCRE2 limit hits of what the join alone matches are counted for the run
 * (see "PCRE2 limit counts" below).
 *
 * Cron mode (a resumed plan, ips_split_resume_t): only the new lines of a
 * line format are planned, from where ips_scanner_scan_from() starts
 * reading (the look back before the resume point) to where it stops (the
 * last whole line, or the end of a rotated file's rest). Probes count the
 * lines before the resume point apart and keep the latest time of their
 * blocks' last lines (the input's clock); the join makes the records before
 * it context only, passes each range's clock to the sink after its lines,
 * and counts, notes and ends the input as the resumed read does.
 *
 * Not split (one pass, as before): other structured and multi-line
 * formats, anything decoded, compressed or archived, streams, journals,
 * EVTX in cron mode, IPSEC_SCAN_EVTX=xml (every EVTX record through libevtx).
 */
#include "detect/scan_split.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input/container.h"
#include "input/decode.h"
#include "input/evtx_split.h"
#include "input/journal.h"
#include "detect/scan_priv.h"
#include "util/util.h"

#define SNIFF_BYTES 65536 /* as scan.c peeks */
#define FIND_CHUNK 65536
/* PCRE2's JIT may read a few bytes past the end of a subject (SIMD loads):
 * a line read back gets zeroed room after it, as it has in the framer's
 * buffer in a serial scan */
#define READ_SLACK 64

/* What a kept record is (EVTX: all three; line formats: HIT). */
enum { HIT, TRUNC, LIBEVTX };

/* A record a probe kept: it has a detector hit (or, EVTX, see above). */
typedef struct cand {
	uint64_t off;      /* in the file */
	uint64_t line;     /* from 1 at the range's start */
	size_t len;        /* as matched (cut at the cap, CR stripped) */
	size_t bits;       /* its prefilter candidates: bits[bits..bits+nbits) */
	uint32_t nbits;
	bool cut;          /* a line cut at the framer's buffer (ips_sink_record) */
	uint8_t kind;      /* EVTX: HIT, TRUNC (cut at the cap, no hit), LIBEVTX (refused) */
} cand_t;

struct ips_split_part {
	cand_t *c;
	size_t n, cap;
	uint32_t *bits; /* detector indexes, for every record kept */
	size_t nbits, capbits;
	uint64_t records, bytes;        /* what the framer said at the end */
	uint64_t ntrunc, trunc_off, trunc_line;
	char *error;                    /* a read error ("at offset N: ...") */
	bool failed;
	bool evtx;                      /* an EVTX range: kinds of cands, fast reads */
	uint64_t fast;                  /* EVTX: records the fast path read */
	int64_t *lim;                   /* EVTX: the probe's PCRE2 limit hits (NULL: none) */
	/* cron mode (a resumed plan) */
	uint64_t dropped;               /* records before drop_below (context only) */
	uint64_t nl, end_off;           /* newlines read, the end of the last block */
	bool clock;                     /* the input's clock: the latest time and line */
	ips_time_t clock_time;          /* of a block's last line (ips_sink_lines()) */
	uint64_t clock_line;
};

struct ips_split {
	char *name;                     /* the input's name, as the source names it */
	uint64_t dev, ino;              /* the file planned (opened again by each reader) */
	const ips_framer_ops_t *fr;
	int64_t mtime;
	bool binary;                    /* NUL bytes in the first bytes */
	uint64_t peeked;                /* bytes the plan read (counted for the progress bar) */
	uint64_t *start;                /* n range starts; the last range runs to the end */
	size_t n;
	/* EVTX: ranges of whole chunks (start: chunk indexes), the join */
	bool evtx;
	uint64_t chunks;
	ips_evtx_join_t *ej;
	bool whole;                     /* the join read the whole file: parts dropped */
	ips_status_t whole_st;
	size_t ndet;                    /* EVTX: active detectors; PCRE2 limit hits to */
	int64_t *adjust;                /* count (ips_split_limit_adjust()) and a snapshot */
	uint64_t *snap;
	/* the join */
	int fd;
	ips_sink_t k;
	size_t joined;
	uint64_t line_base, records, bytes, ntrunc, trunc_off, trunc_line;
	char *error;
	bool stopped;
	char *buf;
	size_t bufcap;
	uint64_t *cands;
	size_t words;
	/* cron mode: a resumed read (ips_split_resume_t; r.note is note, a copy) */
	bool resume;
	ips_split_resume_t r;
	char *note;
	uint64_t dropped, nl, end_off;
};

/* ---- plan --------------------------------------------------------------- */

/*
 * The file planned, open: each probe and the join open it for themselves
 * (a plan keeps no descriptor: a directory of many large files would run
 * out of them). -1 and errno when it cannot be opened or is another file now.
 */
static int reopen(const ips_split_t *sp)
{
	int fd = open(sp->name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) != 0 || (uint64_t)st.st_dev != sp->dev ||
			(uint64_t)st.st_ino != sp->ino)) {
		close(fd);
		errno = ESTALE;
		fd = -1;
	}
	return fd;
}

static ssize_t pread_full(int fd, char *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return got ? (ssize_t)got : -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* The offset just after the first '\n' in [from, limit), or 0 when none. */
static uint64_t line_start_after(int fd, uint64_t from, uint64_t limit, char *buf)
{
	while (from < limit) {
		size_t want = limit - from < FIND_CHUNK ? (size_t)(limit - from) : FIND_CHUNK;
		ssize_t n = pread_full(fd, buf, want, from);
		if (n <= 0)
			return 0;
		const char *nl = memchr(buf, '\n', (size_t)n);
		if (nl)
			return from + (uint64_t)(nl - buf) + 1;
		from += (uint64_t)n;
	}
	return 0;
}

/* Does the file at path start as an EVTX file does? (a few bytes read) */
static bool evtx_head(const char *path)
{
	char head[8];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	bool yes = fd >= 0 && pread_full(fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
		   !memcmp(head, "ElfFile", 8);
	if (fd >= 0)
		close(fd);
	return yes;
}

/* An EVTX file's ranges: about range_bytes of whole chunks each. */
static void plan_chunks(ips_split_t *sp, uint64_t range_bytes, size_t max_ranges)
{
	uint64_t per = range_bytes / EVTX_CHUNK ? range_bytes / EVTX_CHUNK : 1;
	uint64_t want = (sp->chunks + per - 1) / per;
	if (max_ranges && want > max_ranges)
		want = max_ranges;
	sp->start = ips_xcalloc(want ? want : 1, sizeof *sp->start);
	for (uint64_t i = 0; i < want; i++)
		sp->start[sp->n++] = sp->chunks * i / want;
}

ips_split_t *ips_split_plan(const ips_scan_opts_t *opts, const char *path,
			    const ips_split_sizes_t *sz, const ips_split_resume_t *resume)
{
	struct stat st;
	uint64_t min_bytes = sz->min < sz->evtx_min ? sz->min : sz->evtx_min;
	if (!strcmp(path, "-") || stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < min_bytes || (uint64_t)st.st_size < 2 || !sz->range ||
	    !sz->evtx_range)
		return NULL;
	/* what is read: the file, or (cron mode) its new lines in the file the caller has open */
	uint64_t lo = resume ? resume->from : 0, hi = resume ? resume->limit : (uint64_t)st.st_size;
	if (resume && (hi > (uint64_t)st.st_size || lo >= hi || hi - lo < sz->min))
		return NULL; /* (the file opened below must be the caller's: checked there) */
	if ((uint64_t)st.st_size < sz->min && !evtx_head(path))
		return NULL; /* only an EVTX file is split this small: no more reading */
	int err = 0;
	ips_source_t *src = ips_source_open_path(path, &err);
	if (!src)
		return NULL; /* the serial scan reports it */
	/* what scan_path() and scan_source() decide from the first bytes */
	const unsigned char *head;
	ssize_t hn = ips_source_peek(src, SNIFF_BYTES, &head);
	const ips_framer_ops_t *fr = NULL;
	size_t bom = 0;
	uint64_t chunks = 0;
	if (hn > 0 && !ips_journal_is_binary(head, (size_t)hn) &&
	    (opts->input_format || !ips_container_sniff(head, (size_t)hn)) &&
	    ips_encoding_detect(head, (size_t)hn, &bom) == IPS_ENC_UTF8) {
		if (opts->input_format)
			fr = ips_framer_by_name(opts->input_format);
		if (!fr)
			fr = ips_framer_detect(head, (size_t)hn, src->name);
		if (!resume && fr == ips_framer_by_name("evtx") && (uint64_t)st.st_size >= sz->evtx_min)
			chunks = ips_evtx_split_chunks(head, (size_t)hn, (uint64_t)st.st_size);
		if (chunks < 2 && (!ips_framer_is_lines(fr) || (uint64_t)st.st_size < sz->min))
			fr = NULL;
	}
	int fd = fr ? ips_source_fd(src) : -1;
	fd = fd >= 0 ? dup(fd) : -1;
	if (fd < 0 || fstat(fd, &st) != 0 ||
	    (resume && ((uint64_t)st.st_dev != resume->dev || (uint64_t)st.st_ino != resume->ino))) {
		if (fd >= 0)
			close(fd);
		ips_source_close(src);
		return NULL;
	}
	ips_split_t *sp = ips_xcalloc(1, sizeof *sp);
	sp->name = ips_xstrdup(src->name);
	sp->dev = (uint64_t)st.st_dev;
	sp->ino = (uint64_t)st.st_ino;
	sp->fd = -1;
	sp->fr = fr;
	sp->mtime = src->mtime;
	sp->binary = memchr(head, '\0', (size_t)hn) != NULL;
	sp->peeked = (uint64_t)hn;
	ips_source_close(src);
	if (chunks >= 2) {
		close(fd);
		sp->evtx = true;
		sp->chunks = chunks;
		plan_chunks(sp, sz->evtx_range, sz->max_ranges);
		if (sp->n < 2) {
			ips_split_free(sp);
			return NULL;
		}
		return sp;
	}
	if (resume) {
		sp->resume = true;
		sp->r = *resume;
		sp->note = resume->note ? ips_xstrdup(resume->note) : NULL;
		sp->r.note = sp->note;
	}
	uint64_t range_bytes = sz->range;
	size_t max_ranges = sz->max_ranges;

	uint64_t size = hi - lo;
	uint64_t want = (size + range_bytes - 1) / range_bytes;
	if (max_ranges && want > max_ranges)
		want = max_ranges;
	sp->start = ips_xcalloc(want ? want : 1, sizeof *sp->start);
	sp->start[sp->n++] = lo;
	char *buf = ips_xmalloc(FIND_CHUNK);
	for (uint64_t i = 1; i < want; i++) {
		/* the first line start at or after the nominal cut, before the next one */
		uint64_t at = lo + size / want * i;
		uint64_t next = i + 1 < want ? lo + size / want * (i + 1) : hi;
		uint64_t from = at - 1 > sp->start[sp->n - 1] ? at - 1 : sp->start[sp->n - 1];
		uint64_t s = line_start_after(fd, from, next, buf);
		if (s > sp->start[sp->n - 1] && s < hi)
			sp->start[sp->n++] = s;
	}
	free(buf);
	close(fd);
	if (sp->n < 2) {
		ips_split_free(sp);
		return NULL;
	}
	return sp;
}

size_t ips_split_ranges(const ips_split_t *sp)
{
	return sp->n;
}

bool ips_split_is_evtx(const ips_split_t *sp)
{
	return sp->evtx;
}

void ips_split_part_free(ips_split_part_t *part)
{
	if (!part)
		return;
	free(part->c);
	free(part->bits);
	free(part->lim);
	free(part->error);
	free(part);
}

void ips_split_free(ips_split_t *sp)
{
	if (!sp)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	free(sp->name);
	free(sp->start);
	free(sp->error);
	free(sp->buf);
	free(sp->cands);
	free(sp->adjust);
	free(sp->snap);
	free(sp->note);
	free(sp);
}

/* ---- PCRE2 limit counts (EVTX) -------------------------------------------------
 * The run counts a detector's PCRE2 limit hits on the workers' matchers.
 * An EVTX join also matches records no probe matched (those only libevtx
 * reads, recovered records, or the whole file when it is read whole, whose
 * probes' counts then do not count): the differences go to sp->adjust. */

static void limits_snap(const ips_matcher_t *m, size_t n, uint64_t *snap)
{
	for (size_t i = 0; i < n; i++)
		snap[i] = ips_matcher_limit_hits(m, i);
}

/* adjust[i] += m's count now - snap[i]; true when any was not 0 */
static bool limits_add(const ips_matcher_t *m, size_t n, const uint64_t *snap, int64_t *adjust)
{
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		int64_t d = (int64_t)(ips_matcher_limit_hits(m, i) - snap[i]);
		adjust[i] += d;
		any |= d != 0;
	}
	return any;
}

void ips_split_limit_adjust(const ips_split_t *sp, int64_t *adjust)
{
	for (size_t i = 0; sp->adjust && i < sp->ndet; i++)
		adjust[i] += sp->adjust[i];
}

/* ---- probe --------------------------------------------------------------- */

static void count_hit(void *ctx, const ips_hit_t *h)
{
	(void)ctx, (void)h;
}

static cand_t *add_cand(ips_split_part_t *p)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->c = ips_xrealloc(p->c, p->cap * sizeof *p->c);
	}
	return &p->c[p->n++];
}

void ips_split_probe_record(ips_sink_t *k, const uint64_t *cands)
{
	ips_split_part_t *p = k->probe;
	ips_matcher_t *m = k->sc->m;
	size_t hits = cands ? ips_matcher_match(m, k->format, k->rec, k->rec_len, cands, count_hit, NULL)
			    : ips_matcher_match_record(m, k->format, k->rec, k->rec_len, count_hit, NULL);
	if (!hits)
		return;
	if (p->evtx && p->n && p->c[p->n - 1].kind == TRUNC && p->c[p->n - 1].off == k->rec_off) {
		p->c[p->n - 1].kind = HIT; /* cut at the cap, with a hit: the join notes both */
		return;
	}
	cand_t *c = add_cand(p);
	*c = (cand_t){.off = k->rec_off, .line = k->rec_line, .len = k->rec_len,
		      .bits = p->nbits, .cut = k->srec != NULL, .kind = HIT};
	if (!cands)
		return;
	size_t words = ips_prefilter_words(ips_matcher_prefilter(m));
	for (size_t w = 0; w < words; w++)
		for (uint64_t b = cands[w]; b; b &= b - 1) {
			if (p->nbits == p->capbits) {
				p->capbits = p->capbits ? p->capbits * 2 : 64;
				p->bits = ips_xrealloc(p->bits, p->capbits * sizeof *p->bits);
			}
			p->bits[p->nbits++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
			c->nbits++;
		}
}

void ips_split_probe_truncated(ips_sink_t *k, uint64_t offset, uint64_t line)
{
	ips_split_part_t *p = k->probe;
	if (p->evtx) { /* in record order among the others (ips_sink_record() calls this first) */
		*add_cand(p) = (cand_t){.off = offset, .line = line, .kind = TRUNC};
		return;
	}
	if (p->ntrunc++ == 0) {
		p->trunc_off = offset;
		p->trunc_line = line;
	}
}

void ips_split_probe_clock(ips_sink_t *k, const ips_time_t *t, uint64_t line)
{
	ips_split_part_t *p = k->probe;
	if (t->valid && (!p->clock_time.valid || t->sec > p->clock_time.sec))
		p->clock_time = *t;
	if (line > p->clock_line)
		p->clock_line = line;
	p->clock = true;
}

/* An EVTX record the fast path refused: the join reads it through libevtx. */
static void refused(void *ctx, uint64_t off, uint64_t line)
{
	*add_cand(ctx) = (cand_t){.off = off, .line = line, .kind = LIBEVTX};
}


/*
 * The first part of a range through the framer's mapped windows, as a whole
 * read takes a large file (framer.c): no pread() copy, about 0.1 s of system
 * time a GB less. Windows of 2 MiB, so that most of a range is mapped (the
 * window holding the range's end is read with pread, as the rest of a whole
 * read is); IPSEC_SCAN_MMAP sets them for the tests. Range 0 keeps its
 * preads: its first bytes were counted for the progress bar when the plan
 * read them. Returns where the preads go on.
 */
static uint64_t probe_mapped(const ips_split_t *sp, ips_framer_t *f, int fd, uint64_t pos,
			     uint64_t end)
{
	if (pos < sp->peeked)
		return pos;
	char what[48];
	snprintf(what, sizeof what, "range at %llu: ", (unsigned long long)pos);
	return ips_framer_map_lines(f, fd, end, 2u << 20, sp->name, what);
}

/* An EVTX range: its chunks read as a whole read reads them (evtx_split.h). */
static void probe_evtx(ips_scanner_t *s, const ips_split_t *sp, size_t i, ips_sink_t *k,
		       ips_split_part_t *p)
{
	p->evtx = true;
	uint64_t from = sp->start[i], to = i + 1 < sp->n ? sp->start[i + 1] : UINT64_MAX;
	uint64_t last = to < sp->chunks ? to : sp->chunks;
	size_t want = (size_t)((last - from) * EVTX_CHUNK);
	uint8_t head[128];
	uint8_t *buf = ips_xmalloc(want ? want : 1);
	int fd = reopen(sp);
	ssize_t got = -1;
	if (fd >= 0 && pread_full(fd, (char *)head, sizeof head, 0) == (ssize_t)sizeof head)
		got = pread_full(fd, (char *)buf, want, EVTX_FIRST_CHUNK + from * EVTX_CHUNK);
	if (got < 0) {
		ips_sink_error(k, EVTX_FIRST_CHUNK + from * EVTX_CHUNK, "read error: %s",
			       strerror(errno ? errno : EIO));
		p->failed = true;
	} else {
		size_t n = ips_rules_active_count(s->rules);
		uint64_t *snap = ips_xcalloc(n ? n : 1, sizeof *snap);
		limits_snap(s->m, n, snap);
		p->records = ips_evtx_read_chunks(head, buf, (uint64_t)got, from, to, k,
						  s->opts.frame.max_record, refused, p, &p->fast);
		p->lim = ips_xcalloc(n ? n : 1, sizeof *p->lim);
		if (!limits_add(s->m, n, snap, p->lim)) {
			free(p->lim);
			p->lim = NULL;
		}
		free(snap);
		ips_source_count_read((uint64_t)got); /* the progress bar */
	}
	free(buf);
	if (fd >= 0)
		close(fd);
}

ips_split_part_t *ips_split_probe(ips_scanner_t *s, const ips_split_t *sp, size_t i)
{
	ips_split_part_t *p = ips_xcalloc(1, sizeof *p);
	/* an entry of its own that nothing reports: records, bytes and a read
	 * error land there as they land in the real one */
	ips_input_t *in = ips_input_new(sp->name, NULL);
	ips_sink_t k = {0};
	k.sc = s;
	k.in = in;
	k.format = sp->fr->name;
	k.yc.year = s->opts.year;
	k.yc.ref = sp->mtime;
	k.probe = p;
	if (sp->evtx) {
		probe_evtx(s, sp, i, &k, p);
		p->error = in->error;
		in->error = NULL; /* the part's now */
		p->failed |= in->status != IPS_INPUT_OK;
		ips_input_free(in);
		return p;
	}
	uint64_t pos = sp->start[i];
	bool last = i + 1 == sp->n;
	uint64_t end = !last ? sp->start[i + 1] : sp->resume ? sp->r.limit : UINT64_MAX;
	/* cron mode: what a serial resumed read does with the lines it reads
	 * (records before drop_below are counted apart, the input's clock) */
	k.resume = sp->resume;
	k.drop_below = sp->resume ? sp->r.drop_below : 0;
	ips_frame_start_t at = {pos, 1, sp->resume && last && sp->r.whole_lines};
	ips_framer_t *f = ips_framer_new(sp->fr, &k, &s->opts.frame, &at);
	bool broken = false;
	int fd = reopen(sp);
	if (fd < 0) {
		ips_sink_error(&k, pos, "read error: %s", strerror(errno));
		broken = true;
	} else {
		pos = probe_mapped(sp, f, fd, pos, end);
	}
	while (!broken && pos < end) {
		size_t want = 0;
		char *into = ips_framer_room(f, &want); /* the line framers always offer room */
		if (want > end - pos)
			want = (size_t)(end - pos);
		ssize_t n = pread(fd, into, want, (off_t)pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ips_sink_error(&k, pos, "read error: %s", strerror(errno));
			broken = true;
			break;
		}
		if (n == 0)
			break;
		/* the progress bar: the first bytes were counted when the plan peeked */
		uint64_t counted = pos < sp->peeked ? sp->peeked - pos : 0;
		if ((uint64_t)n > counted)
			ips_source_count_read((uint64_t)n - counted);
		pos += (uint64_t)n;
		ips_framer_filled(f, (size_t)n);
	}
	ips_framer_end(f, broken);
	ips_framer_free(f);
	if (fd >= 0)
		close(fd);
	p->records = in->records;
	p->bytes = in->bytes;
	p->dropped = k.dropped;
	p->nl = k.next_line ? k.next_line - 1 : 0;
	p->end_off = k.end_off;
	p->error = in->error;
	in->error = NULL; /* the part's now */
	p->failed = broken || in->status != IPS_INPUT_OK;
	ips_input_free(in);
	return p;
}

/* ---- join ---------------------------------------------------------------- */

/* A range joined: a read error in it stops the join there; frees part. */
static void part_joined(ips_split_t *sp, ips_split_part_t *part)
{
	if (part->failed) {
		sp->stopped = true;
		sp->error = part->error;
		part->error = NULL;
	}
	ips_split_part_free(part);
}

/*
 * EVTX: libevtx opens the file as a whole read does; when it lists other
 * records than the ranges do, the file has been read whole (sp->whole).
 */
static void join_evtx_open(ips_scanner_t *s, ips_split_t *sp)
{
	sp->ndet = ips_rules_active_count(s->rules);
	sp->adjust = ips_xcalloc(sp->ndet ? sp->ndet : 1, sizeof *sp->adjust);
	sp->snap = ips_xcalloc(sp->ndet ? sp->ndet : 1, sizeof *sp->snap);
	int err = 0;
	ips_source_t *src = ips_source_open_path(sp->name, &err);
	if (!src) { /* gone since it was planned */
		sp->stopped = true;
		sp->error = ips_xasprintf("at offset 0: read error: %s", strerror(err));
		return;
	}
	limits_snap(s->m, sp->ndet, sp->snap);
	sp->ej = ips_evtx_join_open(src, &sp->k, &s->opts.frame, &sp->whole_st);
	(void)limits_add(s->m, sp->ndet, sp->snap, sp->adjust); /* a whole read */
	sp->whole = sp->ej == NULL;
	ips_source_close(src);
}

/* An EVTX range: its kept records in order, each numbered in the file. */
static void join_evtx(ips_scanner_t *s, ips_split_t *sp, ips_split_part_t *part)
{
	for (size_t j = 0; j < part->n; j++) {
		const cand_t *c = &part->c[j];
		uint64_t line = sp->line_base + c->line - 1;
		if (c->kind == HIT)
			ips_evtx_join_fast(sp->ej, c->off, line);
		else if (c->kind == LIBEVTX) {
			limits_snap(s->m, sp->ndet, sp->snap);
			ips_evtx_join_libevtx(sp->ej, c->off, line);
			(void)limits_add(s->m, sp->ndet, sp->snap, sp->adjust);
		}
		else
			ips_sink_truncated(&sp->k, c->off, line);
	}
	ips_evtx_join_read(sp->ej, part->fast);
	sp->line_base += part->records;
	part_joined(sp, part);
}

void ips_split_join(ips_scanner_t *s, ips_split_t *sp, size_t i, ips_split_part_t *part)
{
	ips_sink_t *k = &sp->k;
	if (i == 0) { /* the input's entry, as scan_source() makes it */
		memset(k, 0, sizeof *k);
		k->sc = s;
		k->in = ips_scanner_add_input(s, sp->name);
		k->input_index = s->out->inputs.len - 1;
		k->yc.year = s->opts.year;
		k->yc.ref = sp->mtime;
		k->format = sp->fr->name;
		k->in->format = sp->fr->name;
		if (sp->binary)
			k->in->note = ips_xstrdup("binary data (NUL bytes): scanned as bytes");
		sp->line_base = 1;
		if (sp->resume) { /* as ips_scanner_scan_from() starts a resumed read */
			k->resume = true;
			k->whole_lines = sp->r.whole_lines;
			k->drop_below = sp->r.drop_below;
			if (sp->r.note)
				ips_scan_add_note(k->in, sp->r.note);
			if (sp->r.changed)
				ips_scan_add_note(k->in, IPS_SCAN_NOTE_CHANGED);
			sp->line_base = sp->r.line;
			sp->end_off = sp->r.drop_below;
		}
		sp->words = ips_prefilter_words(ips_matcher_prefilter(s->m));
		sp->cands = ips_xcalloc(sp->words ? sp->words : 1, sizeof *sp->cands);
		if (sp->evtx) {
			join_evtx_open(s, sp);
		} else if ((sp->fd = reopen(sp)) < 0) { /* gone or replaced since it was planned */
			sp->stopped = true;
			sp->error = ips_xasprintf("at offset 0: read error: %s", strerror(errno));
		}
	}
	sp->joined = i + 1;
	if (sp->stopped || sp->whole) { /* a read error in an earlier range: a serial scan
					  * stopped there; or the file was read whole */
		for (size_t j = 0; sp->whole && part->lim && j < sp->ndet; j++)
			sp->adjust[j] -= part->lim[j]; /* matched again by the whole read */
		ips_split_part_free(part);
		return;
	}
	if (sp->evtx) {
		join_evtx(s, sp, part);
		return;
	}
	for (size_t j = 0; j < part->n; j++) {
		const cand_t *c = &part->c[j];
		if (c->len + READ_SLACK > sp->bufcap) {
			free(sp->buf);
			sp->bufcap = c->len + READ_SLACK > 4096 ? c->len + READ_SLACK : 4096;
			sp->buf = ips_xmalloc(sp->bufcap);
		}
		ssize_t n = pread_full(sp->fd, sp->buf, c->len, c->off);
		size_t len = n > 0 ? (size_t)n : 0; /* (changed since: what is there) */
		memset(sp->buf + len, 0, READ_SLACK);
		if (!c->cut) {
			memset(sp->cands, 0, sp->words * sizeof *sp->cands);
			for (uint32_t b = 0; b < c->nbits; b++) {
				uint32_t d = part->bits[c->bits + b];
				sp->cands[d / 64] |= 1ULL << (d % 64);
			}
		}
		ips_sink_replay(k, sp->buf, len, c->off, sp->line_base + c->line - 1, c->cut,
				sp->cands);
	}
	if (part->clock && s->sink.clock) /* cron mode: the latest of its blocks' last lines */
		s->sink.clock(s->sink.ctx, &part->clock_time, sp->line_base + part->clock_line - 1);
	sp->records += part->records;
	sp->bytes = part->bytes;
	sp->dropped += part->dropped;
	sp->nl += part->nl;
	sp->end_off = part->end_off;
	if (part->ntrunc) {
		if (!sp->ntrunc) {
			sp->trunc_off = part->trunc_off;
			sp->trunc_line = sp->line_base + part->trunc_line - 1;
		}
		sp->ntrunc += part->ntrunc;
	}
	/* every line of a range but the last ends with its '\n': one record each */
	sp->line_base += part->records;
	part_joined(sp, part);
}

ips_status_t ips_split_finish(ips_scanner_t *s, ips_split_t *sp)
{
	ips_input_t *in = sp->k.in;
	ips_status_t st = IPS_OK;
	if (sp->fd >= 0)
		close(sp->fd);
	sp->fd = -1;
	if (sp->evtx) { /* the counts and notes of a whole read */
		if (sp->ej) { /* (and the recovered records) */
			limits_snap(s->m, sp->ndet, sp->snap);
			st = ips_evtx_join_finish(sp->ej);
			(void)limits_add(s->m, sp->ndet, sp->snap, sp->adjust);
		}
		else if (sp->whole)
			st = sp->whole_st;
		sp->ej = NULL;
	} else if (sp->resume) { /* what is new: as ips_scanner_scan_from() counts it */
		in->records = sp->records > sp->dropped ? sp->records - sp->dropped : 0;
		in->bytes = sp->bytes > sp->r.drop_below ? sp->bytes - sp->r.drop_below : 0;
	} else {
		in->records = sp->records;
		in->bytes = sp->bytes;
	}
	if (sp->ntrunc) {
		ips_sink_truncated(&sp->k, sp->trunc_off, sp->trunc_line); /* the note */
		in->truncated = sp->ntrunc;
	}
	if (sp->stopped) {
		if (!in->error) {
			in->error = sp->error ? sp->error : ips_xstrdup("read error");
			sp->error = NULL;
		}
		if (in->status == IPS_INPUT_OK)
			in->status = IPS_INPUT_PARTIAL;
	}
	s->sink.end_input(s->sink.ctx);
	s->out->records += in->records;
	if (in->status == IPS_INPUT_OK && in->bytes == 0 && in->records == 0 && !sp->resume)
		in->status = IPS_INPUT_EMPTY; /* (a resumed read: never, the file is not empty) */
	return (st == IPS_OK && !sp->stopped && in->status != IPS_INPUT_PARTIAL) ? IPS_OK
										 : IPS_E_INPUT;
}

bool ips_split_end(const ips_split_t *sp, uint64_t *end_offset, uint64_t *end_line)
{
	if (!sp->resume || sp->end_off <= sp->r.drop_below)
		return false;
	*end_offset = sp->end_off; /* whole lines, unless to the end */
	*end_line = sp->r.line + sp->nl - 1;
	return true;
}
