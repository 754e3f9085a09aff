/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for cron.c (what is new in a file since the last run), the
 * state's two-step save, and the source's seek and limit used by cron mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "run/cron.h"
#include "input/source.h"
#include "run/state.h"
#include "unit.h"

static char dir[] = "/tmp/ips-test-cron-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return ut_mkdtemp(dir);
}

static int teardown(void **state)
{
	(void)state;
	return ut_rmtree(dir);
}

static const char *path_of(const char *name)
{
	return ut_path(dir, name);
}

static void write_file(const char *name, const char *mode, const char *text)
{
	FILE *f = fopen(path_of(name), mode);
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* a line with a long enough unique head for content matching */
static const char head[] =
	"2026-03-05T07:58:10Z gw01 charon: 05[IKE] initiating IKE_SA site[1] to 203.0.113.45\n";

static ips_state_t *new_state(void)
{
	char *err = NULL;
	unlink(path_of("state"));
	ips_state_t *st = ips_state_open(path_of("state"), &err);
	assert_non_null(st);
	return st;
}

/* Plan the file `name` against c; records it as read to its end when `read`. */
static ips_cron_how_t plan(ips_cron_t *c, const char *name, ips_cron_plan_t *p, bool read)
{
	const char *path = path_of(name);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ips_cron_id_t *id = malloc(sizeof *id);
	assert_non_null(id);
	assert_true(ips_cron_identify(fd, id));
	ips_cron_plan(c, path, id, p);
	if (read)
		ips_cron_record(c, path, id, id->size, 1);
	free(id);
	close(fd);
	return p->how;
}

static void grown_truncated_replaced(void **state)
{
	(void)state;
	ips_state_t *st = new_state();
	write_file("a.log", "w", head);
	ips_cron_plan_t p;
	ips_cron_t *c = ips_cron_new(st);
	assert_int_equal(plan(c, "a.log", &p, true), IPS_CRON_NEW);
	ips_cron_plan_free(&p);
	/* read in this run already: again, under any name */
	assert_int_equal(plan(c, "a.log", &p, false), IPS_CRON_AGAIN);
	ips_cron_plan_free(&p);
	ips_cron_free(c);

	write_file("a.log", "a", "more\n");
	c = ips_cron_new(st);
	assert_int_equal(plan(c, "a.log", &p, true), IPS_CRON_GROWN);
	assert_int_equal(p.offset, strlen(head));
	assert_int_equal(p.size, strlen(head));
	assert_null(p.was);
	ips_cron_plan_free(&p);
	ips_cron_free(c);

	write_file("a.log", "w", "short\n"); /* the same inode, smaller */
	c = ips_cron_new(st);
	assert_int_equal(plan(c, "a.log", &p, true), IPS_CRON_TRUNCATED);
	assert_null(p.tail);
	ips_cron_plan_free(&p);
	ips_cron_free(c);

	write_file("a.log", "w", "SHORT\nand longer than before\n"); /* other first bytes */
	c = ips_cron_new(st);
	assert_int_equal(plan(c, "a.log", &p, true), IPS_CRON_REPLACED);
	ips_cron_plan_free(&p);
	ips_cron_free(c);
	ips_state_close(st);
}

static void rotated_with_a_tail(void **state)
{
	(void)state;
	ips_state_t *st = new_state();
	write_file("r.log", "w", head);
	ips_cron_plan_t p;
	ips_cron_t *c = ips_cron_new(st);
	plan(c, "r.log", &p, true);
	ips_cron_plan_free(&p);
	ips_cron_free(c);
	/* more is written, then the file is renamed and a new one created */
	write_file("r.log", "a", "the unread rest\n");
	assert_int_equal(rename(path_of("r.log"), path_of("r.log.1")), 0);
	write_file("r.log", "w", "a new file\n");
	c = ips_cron_new(st);
	assert_int_equal(plan(c, "r.log", &p, true), IPS_CRON_ROTATED);
	assert_non_null(p.tail);
	assert_string_equal(p.tail, path_of("r.log.1"));
	assert_int_equal(p.tail_offset, strlen(head));
	assert_int_equal(p.tail_line, 1);
	ips_cron_plan_free(&p);
	/* the renamed file, met under its new name: the same file, grown */
	assert_int_equal(plan(c, "r.log.1", &p, true), IPS_CRON_GROWN);
	assert_string_equal(p.was, path_of("r.log"));
	assert_int_equal(p.offset, strlen(head));
	ips_cron_plan_free(&p);
	ips_cron_free(c);

	/* dateext: the rest is found under a dated name too */
	write_file("r.log", "a", "more\n");
	assert_int_equal(rename(path_of("r.log"), path_of("r.log-20260305")), 0);
	write_file("r.log", "w", "the next new file\n");
	c = ips_cron_new(st);
	assert_int_equal(plan(c, "r.log", &p, true), IPS_CRON_ROTATED);
	assert_non_null(p.tail);
	assert_string_equal(p.tail, path_of("r.log-20260305"));
	assert_int_equal(p.tail_offset, strlen("a new file\n"));
	ips_cron_plan_free(&p);
	ips_cron_free(c);
	ips_state_close(st);
}

static void copytruncate(void **state)
{
	(void)state;
	ips_state_t *st = new_state();
	write_file("t.log", "w", head);
	ips_cron_plan_t p;
	ips_cron_t *c = ips_cron_new(st);
	plan(c, "t.log", &p, true);
	ips_cron_plan_free(&p);
	ips_cron_free(c);
	write_file("t.log", "a", "the unread rest\n");
	write_file("t.log.1", "w", head); /* the copy ... */
	write_file("t.log.1", "a", "the unread rest\n");
	write_file("t.log", "w", ""); /* ... and the truncation */
	c = ips_cron_new(st);
	assert_int_equal(plan(c, "t.log", &p, false), IPS_CRON_TRUNCATED);
	assert_non_null(p.tail);
	assert_string_equal(p.tail, path_of("t.log.1"));
	assert_int_equal(p.tail_offset, strlen(head));
	ips_cron_plan_free(&p);
	/* the copy on its own: known by its content */
	assert_int_equal(plan(c, "t.log.1", &p, false), IPS_CRON_GROWN);
	assert_true(p.copy);
	assert_int_equal(p.offset, strlen(head));
	ips_cron_plan_free(&p);
	ips_cron_free(c);
	ips_state_close(st);
}

static void containers_and_compressed_copies(void **state)
{
	(void)state;
	ips_state_t *st = new_state();
	write_file("b.tar", "w", "pretend this is an archive\n");
	int fd = open(path_of("b.tar"), O_RDONLY);
	ips_cron_id_t *id = malloc(sizeof *id);
	assert_true(ips_cron_identify(fd, id));
	const char *was;
	ips_cron_t *c = ips_cron_new(st);
	assert_false(ips_cron_container(c, path_of("b.tar"), fd, id, &was));
	ips_cron_free(c);
	c = ips_cron_new(st);
	assert_true(ips_cron_container(c, path_of("b.tar"), fd, id, &was)); /* unchanged */
	assert_null(was);
	ips_cron_free(c);
	close(fd);
	/* renamed: still unchanged, and says what it was */
	assert_int_equal(rename(path_of("b.tar"), path_of("b.1.tar")), 0);
	fd = open(path_of("b.1.tar"), O_RDONLY);
	assert_true(ips_cron_identify(fd, id));
	c = ips_cron_new(st);
	assert_true(ips_cron_container(c, path_of("b.1.tar"), fd, id, &was));
	assert_string_equal(was, path_of("b.tar"));
	ips_cron_free(c);
	close(fd);
	free(id);

	/* a decompressed head that is a plain file read before (past 4 KiB) */
	write_file("p.log", "w", head);
	for (int i = 0; i < 200; i++)
		write_file("p.log", "a", "filler line of the plain file read before\n");
	ips_cron_plan_t p;
	c = ips_cron_new(st);
	plan(c, "p.log", &p, true);
	ips_cron_plan_free(&p);
	ips_cron_free(c);
	c = ips_cron_new(st);
	uint64_t off = 0, line = 0;
	/* p.log compressed whole: a copy; the same head then other bytes: none */
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "gzip -n -c '%s' > '%s'", path_of("p.log"), path_of("p.log.gz"));
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path_of("p.log"), path_of("q.log"));
	assert_int_equal(system(cmd), 0);
	FILE *q = fopen(path_of("q.log"), "r+");
	assert_non_null(q);
	assert_int_equal(fseek(q, 6000, SEEK_SET), 0);
	fputc('#', q); /* past the head, before where p.log was read: not a copy */
	fclose(q);
	snprintf(cmd, sizeof cmd, "gzip -n -c '%s' > '%s'", path_of("q.log"), path_of("q.log.gz"));
	assert_int_equal(system(cmd), 0);
	unsigned char phead[4096];
	FILE *pf = fopen(path_of("p.log"), "r");
	assert_non_null(pf);
	size_t pn = fread(phead, 1, sizeof phead, pf);
	fclose(pf);
	assert_true(ips_cron_copy_of(c, path_of("p.log.gz"), phead, pn, &off, &line, &was));
	assert_int_equal(off, strlen(head) + 200 * 42);
	assert_string_equal(was, path_of("p.log"));
	assert_false(ips_cron_copy_of(c, path_of("q.log.gz"), phead, pn, &off, &line, &was));
	assert_false(ips_cron_copy_of(c, path_of("p.log.gz"), (const unsigned char *)"other", 5,
				      &off, &line, &was));
	ips_cron_free(c);
	ips_state_close(st);
}

static void vanished_files_are_forgotten_later(void **state)
{
	(void)state;
	ips_state_t *st = new_state();
	ips_state_input_t *gone = ips_state_input(st, path_of("gone-long-ago.log"), true);
	gone->mtime = 1000;
	ips_state_input_t *recent = ips_state_input(st, path_of("gone-yesterday.log"), true);
	recent->mtime = (int64_t)time(NULL) - 86400;
	write_file("here.log", "w", "x\n");
	ips_state_input_t *here = ips_state_input(st, path_of("here.log"), true);
	here->mtime = 1000;
	char gone_path[600];
	snprintf(gone_path, sizeof gone_path, "%s", path_of("gone-long-ago.log"));
	ips_state_window_t w = {.corr = "neg", .key = "peer=1", .kv = "", .path = gone_path};
	ips_state_add_window(st, &w);
	ips_cron_t *c = ips_cron_new(st);
	ips_cron_finish(c, (int64_t)time(NULL));
	ips_cron_free(c);
	assert_null(ips_state_input(st, path_of("gone-long-ago.log"), false));
	assert_non_null(ips_state_input(st, path_of("gone-yesterday.log"), false));
	assert_non_null(ips_state_input(st, path_of("here.log"), false));
	assert_int_equal(st->windows.len, 0);
	ips_state_close(st);
}

static void two_step_save(void **state)
{
	(void)state;
	ips_state_t *st = new_state();
	ips_state_input(st, "/x", true);
	char *err = NULL;
	assert_int_equal(ips_state_prepare(st, &err), IPS_OK);
	assert_non_null(st->tmp);
	assert_int_equal(access(st->tmp, F_OK), 0);
	assert_int_not_equal(access(path_of("state"), F_OK), 0); /* not yet the state */
	ips_state_abort(st); /* the report failed */
	assert_null(st->tmp);
	assert_int_not_equal(access(path_of("state"), F_OK), 0);
	assert_int_equal(ips_state_prepare(st, &err), IPS_OK);
	char *tmp = strdup(st->tmp);
	assert_int_equal(ips_state_commit(st, &err), IPS_OK);
	assert_int_not_equal(access(tmp, F_OK), 0);
	assert_int_equal(access(path_of("state"), F_OK), 0);
	free(tmp);
	struct stat sb;
	assert_int_equal(stat(path_of("state"), &sb), 0);
	ips_state_close(st);

	/* a killed run's temporary file goes when the next run takes the lock */
	write_file("state.tmp.12345", "w", "ipsec-scan-state 1\nend\n");
	write_file("state.tmp.keep", "w", "not ours\n");
	st = ips_state_open(path_of("state"), &err);
	assert_non_null(st);
	assert_int_not_equal(access(path_of("state.tmp.12345"), F_OK), 0);
	assert_int_equal(access(path_of("state.tmp.keep"), F_OK), 0);
	assert_true(ips_state_is_own(st, (uint64_t)sb.st_dev, (uint64_t)sb.st_ino));
	assert_int_equal(stat(path_of("state.lock"), &sb), 0);
	assert_true(ips_state_is_own(st, (uint64_t)sb.st_dev, (uint64_t)sb.st_ino));
	assert_int_equal(ips_state_count(st), 1);
	ips_state_forget(st, ips_state_at(st, 0));
	assert_int_equal(ips_state_count(st), 0);
	ips_state_close(st);
}

static void source_seek_and_limit(void **state)
{
	(void)state;
	write_file("s.log", "w", "0123456789abcdef");
	int err = 0;
	ips_source_t *src = ips_source_open_path(path_of("s.log"), &err);
	assert_non_null(src);
	assert_true(ips_source_fd(src) >= 0);
	const unsigned char *h;
	assert_int_equal(ips_source_peek(src, 8, &h), 8);
	assert_true(ips_source_seek(src, 4)); /* the peeked bytes are dropped */
	ips_source_limit(src, 10);
	char buf[32];
	ssize_t n = ips_source_read(src, buf, sizeof buf);
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "456789", 6);
	assert_int_equal(ips_source_read(src, buf, sizeof buf), 0);
	ips_source_close(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grown_truncated_replaced),
		cmocka_unit_test(rotated_with_a_tail),
		cmocka_unit_test(copytruncate),
		cmocka_unit_test(containers_and_compressed_copies),
		cmocka_unit_test(vanished_files_are_forgotten_later),
		cmocka_unit_test(two_step_save),
		cmocka_unit_test(source_seek_and_limit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
