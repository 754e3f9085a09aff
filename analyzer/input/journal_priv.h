/* SPDX-License-Identifier: Apache-2.0 */
/*
 * journal_priv.h - the entry emitter shared by the journal's readers and by
 * nothing else: journal.c (sd-journal; the emitter itself) and
 * journal_text.c (`journalctl -o export` and `-o json`). An emitter owns its
 * field buffers and record text (ips_journal_em_free()) and borrows the sink.
 */
#ifndef IPS_JOURNAL_PRIV_H
#define IPS_JOURNAL_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input/framer.h"

#define FIELD_CAP 512          /* a field other than MESSAGE */

/* The fields an entry keeps; the first ones become record fields. */
enum {
	F_HOSTNAME, F_IDENT, F_PID, F_UNIT, F_PRIORITY, F_BOOT, F_REALTIME, F_MONO, F_CURSOR,
	F_NFIELDS,                 /* the record fields end here */
	F_MESSAGE = F_NFIELDS, F_COMM, F_SYSLOG_PID, F_SEQNUM,
	/* charon-systemd's own fields (its journal logger) */
	F_THREAD, F_GROUP, F_SA_ID, F_SA_NAME, F_ALL
};

typedef struct entry {
	char *v[F_ALL];      /* NUL-terminated, capped; NULL when absent */
	size_t len[F_ALL];
	size_t cap[F_ALL];
	bool cut;            /* MESSAGE was longer than the record cap */
} entry_t;

typedef struct emitter {
	ips_sink_t *sink;
	size_t max_record;
	entry_t e;
	char *text;          /* the rendered record */
	size_t text_cap;
	uint64_t records;
} emitter_t;

/* The index of a field name (n bytes, not NUL-terminated), or -1. */
int ips_journal_field_index(const char *name, size_t n);
void ips_journal_em_init(emitter_t *em, ips_sink_t *sink, const ips_frame_limits_t *lim);
void ips_journal_em_free(emitter_t *em);
/* Forget the entry's fields (a new entry starts). */
void ips_journal_em_clear(emitter_t *em);
/* Set field f (the first value wins, as journalctl shows the first); f < 0 is ignored. */
void ips_journal_em_set(emitter_t *em, int f, const char *v, size_t n);
/* The entry to the sink as one record (offset, line: where it was read). */
void ips_journal_emit(emitter_t *em, uint64_t offset, uint64_t line);

#endif
