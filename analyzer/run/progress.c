/* SPDX-License-Identifier: Apache-2.0 */
/* progress.c - see progress.h. */
#include "run/progress.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "input/source.h"
#include "util/util.h"

#define TICK_NS 100000000L   /* 10 frames a second at most */
#define QUIET_SECONDS 0.5    /* automatic: no bar for scans shorter than this */
#define BAR_WIDTH 20

struct ips_progress {
	FILE *out;
	uint64_t total, base;  /* base: bytes read before the scan began */
	bool forced, drawn, stop;
	bool dumb;             /* TERM=dumb: no escape sequences, pad with spaces */
	size_t last;           /* length of the frame on the screen */
	struct timespec t0;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cond;
};

static double since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* 1536 -> "1.5 KB": decimal units, as disks and rates are given */
static void human(char *buf, size_t n, double v)
{
	static const char *const unit[] = {"B", "KB", "MB", "GB", "TB"};
	int u = 0;
	while (v >= 1000.0 && u < 4) {
		v /= 1000.0;
		u++;
	}
	snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void ips_progress_format(char *buf, size_t n, uint64_t done, uint64_t total, double seconds)
{
	char d[32], t[32], r[32], left[32] = "";
	double rate = seconds > 0.05 ? (double)done / seconds : 0;
	human(d, sizeof d, (double)done);
	human(r, sizeof r, rate);
	if (!total) {
		snprintf(buf, n, "ipsec-scan: %s read, %s/s", d, r);
		return;
	}
	if (done > total)
		done = total; /* a file grew while it was read */
	human(t, sizeof t, (double)total);
	int pct = (int)(done * 100 / total);
	char bar[BAR_WIDTH + 1];
	int fill = (int)(done * BAR_WIDTH / total);
	for (int i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	if (rate > 0 && done < total) {
		uint64_t s = (uint64_t)((double)(total - done) / rate + 0.5);
		if (s >= 3600)
			snprintf(left, sizeof left, ", %llu:%02llu:%02llu left", (unsigned long long)(s / 3600),
				 (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
		else
			snprintf(left, sizeof left, ", %llu:%02llu left", (unsigned long long)(s / 60),
				 (unsigned long long)(s % 60));
	}
	snprintf(buf, n, "ipsec-scan: [%s] %3d%%  %s of %s, %s/s%s", bar, pct, d, t, r, left);
}

void ips_progress_fit(char *line, size_t cols)
{
	size_t room = cols > 1 ? cols - 1 : 0, len = strlen(line);
	if (len <= room)
		return;
	char *open = strstr(line, "[");
	char *close = open ? strstr(open, "] ") : NULL;
	if (open && close) { /* "ipsec-scan: [###...] 45%" -> "ipsec-scan: 45%" */
		memmove(open, close + 2, strlen(close + 2) + 1);
		len = strlen(line);
	}
	if (len > room)
		line[room] = '\0';
}

size_t ips_progress_columns(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	char *end;
	long n = c && *c ? strtol(c, &end, 10) : 0;
	return n > 0 && n < 10000 && !*end ? (size_t)n : 80;
}

static void draw(ips_progress_t *p)
{
	char line[160];
	ips_progress_format(line, sizeof line, ips_source_bytes_read() - p->base, p->total,
			    since(&p->t0));
	/* asked each frame: the window may have been resized */
	ips_progress_fit(line, ips_progress_columns(fileno(p->out)));
	size_t len = strlen(line);
	if (p->dumb) {
		/* \r and spaces over what a longer frame left */
		fprintf(p->out, "\r%s%*s", line, p->last > len ? (int)(p->last - len) : 0, "");
	} else {
		/* \r and erase to the end of the line: a shorter frame leaves nothing behind */
		fprintf(p->out, "\r%s\033[K", line);
	}
	fflush(p->out);
	p->last = len;
	p->drawn = true;
}

/* Clear the frame off the line. */
static void clear(ips_progress_t *p)
{
	if (p->dumb)
		fprintf(p->out, "\r%*s\r", (int)p->last, "");
	else
		fputs("\r\033[K", p->out);
}

static void *run(void *arg)
{
	ips_progress_t *p = arg;
	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += TICK_NS;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		int rc = pthread_cond_timedwait(&p->cond, &p->mu, &until);
		if (p->stop)
			break;
		if (rc == ETIMEDOUT && (p->forced || since(&p->t0) >= QUIET_SECONDS))
			draw(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

ips_progress_t *ips_progress_start(FILE *out, uint64_t total, bool forced)
{
	ips_progress_t *p = ips_xcalloc(1, sizeof *p);
	p->out = out;
	p->total = total;
	p->forced = forced;
	const char *term = getenv("TERM");
	p->dumb = term && !strcmp(term, "dumb");
	p->base = ips_source_bytes_read();
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (forced)
		draw(p);
	if (pthread_create(&p->tid, NULL, run, p) != 0) {
		if (p->drawn)
			clear(p);
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	return p;
}

void ips_progress_stop(ips_progress_t *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->tid, NULL);
	if (p->forced)
		draw(p);
	if (p->drawn) {
		clear(p);
		fflush(p->out);
	}
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
