/* SPDX-License-Identifier: Apache-2.0 */
/*
 * normalize.h - timestamps and record headers.
 *
 * Zoneless times are read in the process's local zone, which the CLI sets
 * from --tz (the TZ variable) before any parsing. Nothing here allocates;
 * results point into the caller's text.
 */
#ifndef IPS_NORMALIZE_H
#define IPS_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ips_time {
	int64_t sec;     /* seconds since the epoch, UTC */
	int32_t nsec;
	int8_t frac;     /* digits of fraction the source gave (0-9) */
	bool valid;
} ips_time_t;

/* How to complete a timestamp that lacks a year. */
typedef struct ips_year_ctx {
	int year;        /* --year, or 0 */
	int64_t ref;     /* the input's modification time: dates after it step back a year */
} ips_year_ctx_t;

/* What the start of a log line says about the line. */
typedef struct ips_line_meta {
	ips_time_t time;
	const char *host;   /* syslog host name, or NULL */
	size_t hostlen;
	const char *prog;   /* program tag (charon, pluto, kmd, %ASA-...), or NULL */
	size_t proglen;
	size_t msg;         /* offset of the message after the header */
} ips_line_meta_t;

/* Parse an ISO 8601 / RFC 3339 time at s; returns bytes used, 0 if none. */
size_t ips_time_parse_iso(const char *s, size_t n, ips_time_t *out);
/*
 * Parse the header of a log line: optional <PRI> and RFC 5424 version, a
 * timestamp (ISO 8601, BSD "Mar  1 10:00:00[.frac]", day-first
 * "17 Aug 04:14:35"), an optional host and program tag.
 */
void ips_parse_line_header(const char *line, size_t len, const ips_year_ctx_t *yc,
			   ips_line_meta_t *out);
/* Format as ISO 8601 UTC ending in Z, fraction only if the source had one. */
size_t ips_time_format(const ips_time_t *t, char *buf, size_t n);
/*
 * Parse --since/--until: ISO 8601 (date, date and time, with or without
 * zone) or a duration before now ("90s", "30m", "24h", "7d", "2w").
 */
bool ips_time_parse_arg(const char *s, int64_t now, ips_time_t *out);
/* Convert broken-down local (zoneless) time to UTC seconds. */
int64_t ips_local_to_utc(int year, int mon, int day, int hour, int min, int sec);
/* Days since epoch for a civil date (proleptic Gregorian). */
int64_t ips_days_from_civil(int64_t y, unsigned m, unsigned d);

/*
 * What the start of a message says about its negotiation: charon's worker
 * thread, connection and IKE_SA ("13[IKE] <site|1> ..."), pluto's connection
 * and state ("\"site\"[2] 192.0.2.1 #3: ...", whack's "003 " status prefix
 * skipped). Fields the message does not give are empty strings; sa is "#N"
 * for a pluto state.
 */
typedef struct ips_negkey {
	char thread[8];
	char conn[96];
	char sa[24];
} ips_negkey_t;

void ips_parse_negotiation(const char *msg, size_t n, ips_negkey_t *out);

#endif
