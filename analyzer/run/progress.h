/* SPDX-License-Identifier: Apache-2.0 */
/*
 * progress.h - a progress bar on standard error while inputs are read:
 * bytes read of the total, rate, time left. One line, redrawn at most ten
 * times a second from a thread of its own (so it works with --jobs), and
 * cleared when the scan ends, before any message or report is written.
 *
 * Bytes are what ips_source_bytes_read() counts: files, FIFOs and stdin as
 * read from disk (an archive counts its compressed bytes). The total is the
 * size of the regular files to read; without one (stdin) only bytes and
 * rate are shown. An EVTX file is copied first and rendered after, so the
 * bar reaches its bytes early and waits there.
 */
#ifndef IPS_PROGRESS_H
#define IPS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ips_progress ips_progress_t;

/*
 * Start drawing on out (standard error). Automatic (forced false): nothing
 * is drawn before the scan has run half a second, so short scans show no
 * bar. Forced (--progress): a first frame at once and a last one at the end.
 * NULL when no thread could be started (then there is simply no bar).
 */
ips_progress_t *ips_progress_start(FILE *out, uint64_t total, bool forced);
/* Stop, draw the last frame when forced, clear the line; frees p. */
void ips_progress_stop(ips_progress_t *p);

/* One frame into buf: "ipsec-scan: [####....]  45%  1.2 GB of 2.7 GB, 350 MB/s, 0:04 left". */
void ips_progress_format(char *buf, size_t n, uint64_t done, uint64_t total, double seconds);
/*
 * Make a frame fit in cols columns, leaving the last one free (a full line
 * wraps on some terminals): first the bar goes ("ipsec-scan:  45%  ..."),
 * then the end is cut. In place; the frame is ASCII.
 */
void ips_progress_fit(char *line, size_t cols);
/*
 * Columns of the terminal on fd: its window size, else $COLUMNS, else 80.
 * A TERM of "dumb" draws with \r and spaces only (no escape sequences).
 */
size_t ips_progress_columns(int fd);

#endif
