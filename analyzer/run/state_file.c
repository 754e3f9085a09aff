/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state_file.c - the cron state file (docs/cron.md): read as a stream into
 * the records of state.c, locked, written beside and renamed into place.
 * Owns: nothing beyond the ips_state_t it fills (state.h).
 */
#include "run/state.h"
#include "run/state_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/phash.h"

/* 1 GiB: about 5 million files (a record is about 200 bytes of text) */
#define STATE_FILE_MAX (UINT64_C(1) << 30)
#define STATE_FILE_MAX_TEXT "1 GiB (about 5 million files)"
#define STATE_LINE_MAX 65536u
#define STATE_MAGIC "ipsec-scan-state"

/* ---- escaping: paths and keys may hold any byte but NUL ----------------- */

static void put_escaped(ips_buf_t *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c == '%' || c >= 0x7f)
			ips_buf_printf(b, "%%%02X", c);
		else
			ips_buf_putc(b, (char)c);
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static char *unescape(const char *s, size_t n, bool *ok)
{
	char *out = ips_xmalloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int h, l;
			if (i + 2 >= n + 0 || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0 ||
			    (h == 0 && l == 0)) {
				*ok = false;
				break;
			}
			out[k++] = (char)(h * 16 + l);
			i += 2;
		} else {
			out[k++] = s[i];
		}
	}
	out[k] = '\0';
	return out;
}

/* ---- parsing ----------------------------------------------------------- */

/* Split a line into at most max space-separated words. */
static int words(char *line, char **w, int max)
{
	int n = 0;
	char *p = line;
	while (*p && n < max) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		w[n++] = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return *p ? -1 : n; /* -1: too many words */
}

static bool u64(const char *s, uint64_t *v)
{
	if (!*s || *s == '-')
		return false;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static bool i64(const char *s, int64_t *v)
{
	return ips_parse_i64(s, 10, v);
}

/*
 * Times from the file go into arithmetic (ages, windows): any int64 is
 * accepted, saturated to +-2^40 s (about 35,000 years) so that no
 * difference of two of them can overflow (ips_state_clamp_time()).
 */
static int64_t clamp_time(int64_t t)
{
	return ips_state_clamp_time(t);
}

/* "name=value" with the expected name; returns the value. */
static const char *field(const char *w, const char *name)
{
	size_t n = strlen(name);
	return (!strncmp(w, name, n) && w[n] == '=') ? w + n + 1 : NULL;
}

typedef struct parse_ctx {
	size_t lineno;
	bool header, done;
	uint64_t version;
} parse_ctx_t;

/* One line (without its newline, NUL-terminated); NULL or why it is bad. */
static char *parse_line(ips_state_t *st, parse_ctx_t *px, char *line, size_t len)
{
	size_t lineno = ++px->lineno;
	uint64_t version = px->version;
	{
		if (memchr(line, '\0', len))
			return ips_xasprintf("line %zu: NUL byte", lineno);
		if (px->done)
			return ips_xasprintf("line %zu: data after the end record", lineno);
		char *w[13];
		int n = words(line, w, 13);
		if (n < 0)
			return ips_xasprintf("line %zu: too many fields", lineno);
		if (n == 0)
			return ips_xasprintf("line %zu: empty line", lineno);
		if (!px->header) {
			uint64_t v;
			if (n != 2 || strcmp(w[0], STATE_MAGIC) || !u64(w[1], &v))
				return ips_xasprintf("line 1: not an ipsec-scan state file");
			if (v > IPS_STATE_VERSION)
				return ips_xasprintf("written by a newer ipsec-scan (state version %" PRIu64
						     ", this one reads %d): use that version, or remove "
						     "the file to start over (everything is read again)",
						     v, IPS_STATE_VERSION);
			if (v < 1)
				return ips_xasprintf("line 1: unknown state version %" PRIu64, v);
			px->version = v;
			px->header = true;
			return NULL;
		}
		bool ok = true;
		if (!strcmp(w[0], "input") || !strcmp(w[0], "container")) {
			if (version < 2 && n != 10)
				return ips_xasprintf("line %zu: %s needs 9 fields", lineno, w[0]);
			if (version == 2 && n != 12)
				return ips_xasprintf("line %zu: %s needs 11 fields", lineno, w[0]);
			if (version >= 3 && n != 13)
				return ips_xasprintf("line %zu: %s needs 12 fields", lineno, w[0]);
			ips_state_input_t in = {0};
			in.container = w[0][0] == 'c';
			const char *v;
			uint64_t fplen = 0;
			int64_t mtime = 0, ctime = 0;
			uint64_t dev = 0, nline = 0;
			ok = (v = field(w[2], "dev")) && u64(v, &dev) && (v = field(w[3], "ino")) &&
			     u64(v, &in.ino) && (v = field(w[4], "size")) && u64(v, &in.size) &&
			     (v = field(w[5], "mtime")) && i64(v, &mtime) && (v = field(w[6], "fp")) &&
			     strlen(v) == 16 && sscanf(v, "%16" SCNx64, &in.fp) == 1 &&
			     (v = field(w[7], "fplen")) && u64(v, &fplen) && fplen <= IPS_STATE_FP_BYTES &&
			     (v = field(w[8], "offset")) && u64(v, &in.offset) &&
			     (v = field(w[9], "line")) && u64(v, &nline) &&
			     nline < IPS_STATE_LINE_MAX && in.offset <= in.size;
			if (ok && version >= 2) {
				/* tail=TFLEN:TFP prefix=PFP|- */
				uint64_t tl = 0;
				char *colon;
				ok = (v = field(w[10], "tail")) && (colon = strchr(v, ':')) &&
				     (*colon = '\0', u64(v, &tl)) && tl <= IPS_STATE_FP_BYTES &&
				     tl <= in.offset && strlen(colon + 1) == 16 &&
				     sscanf(colon + 1, "%16" SCNx64, &in.tfp) == 1 &&
				     (v = field(w[11], "prefix")) &&
				     (!strcmp(v, "-") || (strlen(v) == 16 &&
							  sscanf(v, "%16" SCNx64, &in.pfp) == 1 &&
							  (in.pfp_ok = 1)));
				in.tflen = (uint32_t)tl;
				/*
				 * Before version 4 the prefix was FNV-1a: checked
				 * as such in this run (a copy made since the last
				 * run is still known), not continued nor written
				 * back; since, a value of util/phash.h, below its
				 * prime.
				 */
				if (version < 4)
					in.pfp_fnv = in.pfp_ok;
				else if (in.pfp_ok && in.pfp >= IPS_PHASH_P)
					ok = false;
			}
			if (ok && version >= 3) {
				/* ctime=SEC.NSEC|- */
				char *dot;
				uint64_t ns = 0;
				ok = (v = field(w[12], "ctime")) &&
				     (!strcmp(v, "-") ||
				      ((dot = strchr(v, '.')) && (*dot = '\0', i64(v, &ctime)) &&
				       strlen(dot + 1) == 9 && u64(dot + 1, &ns) && ns < 1000000000u &&
				       (in.ctime_ok = 1)));
				in.ctime_ns = (uint32_t)ns;
			}
			if (!ok)
				return ips_xasprintf("line %zu: malformed %s record", lineno, w[0]);
			in.line = nline;
			in.mtime = clamp_time(mtime);
			in.ctime = clamp_time(ctime);
			in.fplen = (uint32_t)fplen;
			bool esc_ok = true;
			char *path = unescape(w[1], strlen(w[1]), &esc_ok);
			if (!esc_ok || !*path) {
				free(path);
				return ips_xasprintf("line %zu: malformed path", lineno);
			}
			/* one record per plain file (device, inode), per container path */
			ips_state_input_t *dup = in.container ? ips_state_container(st, path, false)
					      : ips_state_input_id(st, dev, in.ino, path, false);
			if (dup) {
				free(path);
				return ips_xasprintf("line %zu: the same %s twice", lineno,
						     in.container ? "path" : "file (device and inode)");
			}
			if (!ips_state_set_dev(st, &in, dev)) {
				free(path);
				return ips_xasprintf("line %zu: files of more than %d devices", lineno,
						     IPS_STATE_DEVS_MAX);
			}
			(void)ips_state_append(st, &in, path);
			free(path);

		} else if (!strcmp(w[0], "window")) {
			if (n != 8)
				return ips_xasprintf("line %zu: window needs 7 fields", lineno);
			ips_state_window_t win = {0};
			const char *v;
			uint64_t type;
			ok = (v = field(w[2], "type")) && u64(v, &type) && type <= 1 &&
			     (v = field(w[5], "start")) &&
			     (!strcmp(v, "-") || (i64(v, &win.start_sec) && (win.start_valid = true))) &&
			     (v = field(w[7], "line")) && u64(v, &win.line);
			if (!ok)
				return ips_xasprintf("line %zu: malformed window record", lineno);
			win.start_sec = clamp_time(win.start_sec);
			win.type = (int)type;
			bool e1 = true, e2 = true, e3 = true, e4 = true;
			win.corr = unescape(w[1], strlen(w[1]), &e1);
			const char *kv = field(w[3], "key"), *kvs = field(w[4], "fields"),
				   *path = field(w[6], "path");
			win.key = kv ? unescape(kv, strlen(kv), &e2) : NULL;
			win.kv = kvs ? unescape(kvs, strlen(kvs), &e3) : NULL;
			win.path = path ? unescape(path, strlen(path), &e4) : NULL;
			if (!e1 || !e2 || !e3 || !e4 || !win.key || !win.kv || !win.path) {
				free(win.corr);
				free(win.key);
				free(win.kv);
				free(win.path);
				return ips_xasprintf("line %zu: malformed window record", lineno);
			}
			ips_state_window_t *c = ips_xmalloc(sizeof *c);
			*c = win;
			ips_vec_push(&st->windows, c);
		} else if (!strcmp(w[0], "journal")) {
			if (n != 5)
				return ips_xasprintf("line %zu: journal needs 4 fields", lineno);
			const char *v, *cur = field(w[2], "cursor");
			ips_state_journal_t j = {0};
			ok = cur && *cur && (v = field(w[3], "line")) && u64(v, &j.line) &&
			     (v = field(w[4], "time")) && i64(v, &j.time);
			bool e1 = true, e2 = true;
			char *path = ok ? unescape(w[1], strlen(w[1]), &e1) : NULL;
			char *cursor = ok && strcmp(cur, "-") ? unescape(cur, strlen(cur), &e2) : NULL;
			if (!ok || !e1 || !e2 || !*path || (cursor && !*cursor)) {
				free(path);
				free(cursor);
				return ips_xasprintf("line %zu: malformed journal record", lineno);
			}
			if (ips_state_journal(st, path, false)) {
				free(path);
				free(cursor);
				return ips_xasprintf("line %zu: the same journal twice", lineno);
			}
			ips_state_journal_t *rec = ips_state_journal(st, path, true);
			free(path);
			rec->cursor = cursor;
			rec->line = j.line;
			rec->time = j.time;
		} else if (!strcmp(w[0], "end") && n == 1) {
			px->done = true;
		} else {
			return ips_xasprintf("line %zu: unknown record '%.40s'", lineno, w[0]);
		}
	}
	return NULL;
}

/*
 * Read the state file as a stream, a line at a time: never whole in memory.
 * NULL, or why it is unusable; *toobig when it passes STATE_FILE_MAX.
 */
static char *parse_fd(ips_state_t *st, int fd, bool *toobig)
{
	parse_ctx_t px = {0};
	size_t cap = STATE_LINE_MAX + 1, have = 0;
	uint64_t total = 0;
	char *buf = ips_xmalloc(cap + 1);
	char *why = NULL;
	bool eof = false;
	*toobig = false;
	while (!why) {
		/* the lines complete in buf */
		char *p = buf, *end = buf + have, *nl;
		while (!why && (nl = memchr(p, '\n', (size_t)(end - p)))) {
			*nl = '\0';
			why = parse_line(st, &px, p, (size_t)(nl - p));
			p = nl + 1;
		}
		if (why)
			break;
		have = (size_t)(end - p);
		memmove(buf, p, have);
		if (eof) {
			if (have)
				why = ips_xasprintf("line %zu: not terminated (a truncated file?)",
						    px.lineno + 1);
			break;
		}
		if (have >= STATE_LINE_MAX) {
			why = ips_xasprintf("line %zu: longer than %u bytes", px.lineno + 1,
					    STATE_LINE_MAX);
			break;
		}
		ssize_t r = read(fd, buf + have, cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			why = ips_xasprintf("%s", strerror(errno));
			break;
		}
		if (r == 0)
			eof = true;
		have += (size_t)r;
		total += (uint64_t)r;
		if (total > STATE_FILE_MAX) {
			*toobig = true;
			why = ips_xasprintf("larger than %s", STATE_FILE_MAX_TEXT);
		}
	}
	free(buf);
	if (!why && !px.header)
		why = ips_xasprintf("empty: not an ipsec-scan state file");
	if (!why && !px.done)
		why = ips_xasprintf("no end record (a truncated file?)");
	return why;
}

/*
 * A run killed between writing its temporary file and renaming it leaves
 * FILE.tmp.PID behind. Under the lock no other run writes one, so any that
 * exists is stale.
 */
static void remove_stale_temps(const char *path)
{
	char *copy = ips_xstrdup(path), *copy2 = ips_xstrdup(path);
	const char *dir = dirname(copy), *base = basename(copy2);
	char *prefix = ips_xasprintf("%s.tmp.", base);
	size_t pl = strlen(prefix);
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		const char *p = de->d_name;
		if (strncmp(p, prefix, pl) || !p[pl] || strspn(p + pl, "0123456789") != strlen(p + pl))
			continue;
		char *full = ips_xasprintf("%s/%s", dir, p);
		(void)unlink(full);
		free(full);
	}
	if (d)
		closedir(d);
	free(prefix);
	free(copy);
	free(copy2);
}

/*
 * The lock is a flock on the state's directory: a lock file alone can be
 * deleted during a run, and the next run would then create and lock a new
 * one beside the first run. A directory cannot be deleted while it holds
 * the state. (So one cron run at a time per state directory.) FILE.lock is
 * still written with the holder's pid, for the message.
 */
static int lock_dir(const char *path)
{
	char *copy = ips_xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -2;
	}
	return fd;
}

ips_state_t *ips_state_open(const char *path, char **err)
{
	*err = NULL;
	ips_state_t *st = ips_xcalloc(1, sizeof *st);
	st->path = ips_xstrdup(path);
	st->by_path.key = ips_state_key_path_of;
	st->by_id.key = ips_state_key_id_of;
	st->dir_fd = -1;
	/* a FIFO would block the read for ever, a device or directory is no state */
	struct stat pre;
	if (stat(path, &pre) == 0 && !S_ISREG(pre.st_mode)) {
		*err = ips_xasprintf("the state file %s is not a regular file", path);
		st->lock_fd = -1;
		ips_state_close(st);
		return NULL;
	}
	char *lock = ips_xasprintf("%s.lock", path);
	st->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (st->lock_fd < 0) {
		*err = ips_xasprintf("cannot create the lock file %s: %s", lock, strerror(errno));
		free(lock);
		st->lock_fd = -1;
		ips_state_close(st);
		return NULL;
	}
	st->dir_fd = lock_dir(path);
	if (st->dir_fd == -1) {
		*err = ips_xasprintf("cannot lock the directory of %s: %s", path, strerror(errno));
		free(lock);
		ips_state_close(st);
		return NULL;
	}
	if (st->dir_fd == -2 || flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (st->dir_fd == -2)
			st->dir_fd = -1; /* (a held directory fd is closed by ips_state_close) */
		char pid[32] = "";
		ssize_t r = pread(st->lock_fd, pid, sizeof pid - 1, 0);
		if (r > 0) {
			pid[r] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
		}
		*err = ips_xasprintf("another ipsec-scan run holds the lock %s%s%s%s", lock,
				     r > 0 ? " (pid " : "", r > 0 ? pid : "", r > 0 ? ")" : "");
		free(lock);
		close(st->lock_fd);
		st->lock_fd = -1;
		ips_state_close(st);
		return NULL;
	}
	free(lock);
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(st->lock_fd, 0) == 0 && pwrite(st->lock_fd, pid, (size_t)n, 0) < 0) {
		/* the pid is only a courtesy for the message above */
	}
	remove_stale_temps(path);
	struct stat sb;
	if (fstat(st->lock_fd, &sb) == 0) {
		st->own[1][0] = (uint64_t)sb.st_dev;
		st->own[1][1] = (uint64_t)sb.st_ino;
	}
	if (stat(path, &sb) == 0) {
		st->own[0][0] = (uint64_t)sb.st_dev;
		st->own[0][1] = (uint64_t)sb.st_ino;
	}
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) { /* swapped in meanwhile */
		*err = ips_xasprintf("the state file %s is not a regular file", path);
		ips_state_close(st);
		return NULL;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return st; /* the first run */
		*err = ips_xasprintf("cannot read the state file %s: %s", path, strerror(errno));
		ips_state_close(st);
		return NULL;
	}
	struct stat fsb;
	if (fstat(fd, &fsb) != 0 || !S_ISREG(fsb.st_mode)) { /* swapped in meanwhile */
		close(fd);
		*err = ips_xasprintf("the state file %s is not a regular file", path);
		ips_state_close(st);
		return NULL;
	}
	bool toobig;
	char *why = parse_fd(st, fd, &toobig);
	close(fd);
	if (why) {
		*err = toobig ? ips_xasprintf("cannot read the state file %s: %s", path, why)
			      : ips_xasprintf("unusable state file %s: %s", path, why);
		free(why);
		ips_state_close(st);
		return NULL;
	}
	return st;
}

/* The state written as a stream: a buffer flushed to fd every 1 MiB. */
typedef struct writer {
	ips_buf_t b;
	int fd;
	uint64_t total;
	int err;     /* errno of a failed write; EFBIG past STATE_FILE_MAX */
} writer_t;

#define WRITER_FLUSH (1u << 20)

static void writer_flush(writer_t *o)
{
	size_t off = 0;
	while (!o->err && off < o->b.len) {
		ssize_t w = write(o->fd, o->b.data + off, o->b.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			o->err = w < 0 ? errno : EIO;
		else
			off += (size_t)w;
	}
	o->total += o->b.len;
	if (!o->err && o->total > STATE_FILE_MAX)
		o->err = EFBIG;
	ips_buf_reset(&o->b);
}

static void writer_maybe_flush(writer_t *o)
{
	if (o->b.len >= WRITER_FLUSH)
		writer_flush(o);
}

/* The state as text, to o. */
static void serialize(const ips_state_t *st, writer_t *o)
{
	ips_buf_t *b = &o->b;
	ips_buf_printf(b, "%s %d\n", STATE_MAGIC, IPS_STATE_VERSION);
	for (size_t i = 0; i < st->ninputs && !o->err; i++) {
		const ips_state_input_t *in = ips_state_at(st, i);
		if (!ips_state_live(in))
			continue;
		ips_buf_printf(b, "%s ", in->container ? "container" : "input");
		put_escaped(b, ips_state_path(st, in));
		ips_buf_printf(b,
			       " dev=%" PRIu64 " ino=%" PRIu64 " size=%" PRIu64 " mtime=%" PRId64
			       " fp=%016" PRIx64 " fplen=%u offset=%" PRIu64 " line=%" PRIu64
			       " tail=%u:%016" PRIx64,
			       ips_state_dev(st, in), in->ino, in->size, (int64_t)in->mtime, in->fp,
			       (unsigned)in->fplen, in->offset, (uint64_t)in->line, (unsigned)in->tflen,
			       in->tfp);
		if (in->pfp_ok && !in->pfp_fnv) /* (an FNV-1a one: not known to version 4) */
			ips_buf_printf(b, " prefix=%016" PRIx64, in->pfp);
		else
			ips_buf_printf(b, " prefix=-");
		if (in->ctime_ok)
			ips_buf_printf(b, " ctime=%" PRId64 ".%09u\n", (int64_t)in->ctime,
				       (unsigned)in->ctime_ns);
		else /* not known: a record of an older state, kept */
			ips_buf_printf(b, " ctime=-\n");
		writer_maybe_flush(o);
	}
	for (size_t i = 0; i < st->windows.len; i++) {
		const ips_state_window_t *w = st->windows.items[i];
		ips_buf_printf(b, "window ");
		put_escaped(b, w->corr);
		ips_buf_printf(b, " type=%d key=", w->type);
		put_escaped(b, w->key);
		ips_buf_printf(b, " fields=");
		if (*w->kv)
			put_escaped(b, w->kv);
		else
			ips_buf_printf(b, "%%09"); /* never empty: a lone tab */
		if (w->start_valid)
			ips_buf_printf(b, " start=%" PRId64 " path=", w->start_sec);
		else
			ips_buf_printf(b, " start=- path=");
		put_escaped(b, w->path);
		ips_buf_printf(b, " line=%" PRIu64 "\n", w->line);
		writer_maybe_flush(o);
	}
	for (size_t i = 0; i < st->journals.len; i++) {
		const ips_state_journal_t *j = st->journals.items[i];
		ips_buf_printf(b, "journal ");
		put_escaped(b, j->path);
		ips_buf_printf(b, " cursor=");
		if (j->cursor)
			put_escaped(b, j->cursor);
		else
			ips_buf_printf(b, "-");
		ips_buf_printf(b, " line=%" PRIu64 " time=%" PRId64 "\n", j->line, j->time);
		writer_maybe_flush(o);
	}
	ips_buf_printf(b, "end\n");
	writer_flush(o);
}

ips_status_t ips_state_prepare(ips_state_t *st, char **err)
{
	*err = NULL;
	ips_state_abort(st);
	char *tmp = ips_xasprintf("%s.tmp.%ld", st->path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ips_status_t res = IPS_OK;
	if (fd < 0) {
		*err = ips_xasprintf("cannot write %s: %s", tmp, strerror(errno));
		res = IPS_E_OUTPUT;
	} else {
		writer_t o = {.fd = fd};
		/* a record is at most a few times STATE_LINE_MAX: the buffer never fills */
		ips_buf_init(&o.b, WRITER_FLUSH + 16 * STATE_LINE_MAX);
		serialize(st, &o);
		ips_buf_free(&o.b);
		if (o.err == EFBIG) {
			*err = ips_xasprintf("the state would be larger than %s", STATE_FILE_MAX_TEXT);
			res = IPS_E_LIMIT;
		} else if (o.err) {
			*err = ips_xasprintf("cannot write %s: %s", tmp, strerror(o.err));
			res = IPS_E_OUTPUT;
		}
		/* the data must be on disk before the rename can make it the state */
		if (res == IPS_OK && fsync(fd) != 0) {
			*err = ips_xasprintf("cannot write %s: %s", tmp, strerror(errno));
			res = IPS_E_OUTPUT;
		}
		if (close(fd) != 0 && res == IPS_OK) {
			*err = ips_xasprintf("cannot write %s: %s", tmp, strerror(errno));
			res = IPS_E_OUTPUT;
		}
		if (res != IPS_OK)
			unlink(tmp);
	}
	if (res != IPS_OK) {
		free(tmp);
		return res;
	}
	st->tmp = tmp;
	return IPS_OK;
}

ips_status_t ips_state_commit(ips_state_t *st, char **err)
{
	*err = NULL;
	if (!st->tmp) {
		*err = ips_xasprintf("cannot replace %s: nothing prepared", st->path);
		return IPS_E_INTERNAL;
	}
	if (rename(st->tmp, st->path) != 0) {
		*err = ips_xasprintf("cannot replace %s: %s", st->path, strerror(errno));
		ips_state_abort(st);
		return IPS_E_OUTPUT;
	}
	free(st->tmp);
	st->tmp = NULL;
	/* the rename itself must reach the disk */
	char *copy = ips_xstrdup(st->path);
	int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(copy);
	return IPS_OK;
}

void ips_state_abort(ips_state_t *st)
{
	if (!st->tmp)
		return;
	unlink(st->tmp);
	free(st->tmp);
	st->tmp = NULL;
}

ips_status_t ips_state_save(ips_state_t *st, char **err)
{
	ips_status_t res = ips_state_prepare(st, err);
	return res == IPS_OK ? ips_state_commit(st, err) : res;
}

