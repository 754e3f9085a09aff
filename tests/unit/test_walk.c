/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for walk.c, the one directory walker: names in sorted order,
 * the depth limit, a loop by device and inode, a symbolic link not followed
 * and followed, --include/--exclude, non-log files, hidden names and the
 * on_name hook. Every test records what the callbacks saw as one string.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input/walk.h"
#include "unit.h"

static char dir[] = "/tmp/ipsec-scan-walk-XXXXXX";

/* what the callbacks saw: "F:rel" for a file, "S<why>:rel" for a skip */
typedef struct seen {
	char log[4096];
	int files;
} seen_t;

static const char *rel(const char *path)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && path[n] == '/' ? path + n + 1 : path;
}

static void add(seen_t *s, const char *fmt, const char *a)
{
	size_t n = strlen(s->log);
	snprintf(s->log + n, sizeof s->log - n, fmt, a);
}

static ips_status_t on_file(void *ctx, const char *path, const struct stat *st)
{
	seen_t *s = ctx;
	assert_true(S_ISREG(st->st_mode));
	add(s, "F:%s ", rel(path));
	s->files++;
	return IPS_OK;
}

static ips_status_t on_skip(void *ctx, const char *path, ips_walk_skip_t why, const char *msg)
{
	seen_t *s = ctx;
	static const char *const names[] = {"link", "nonlog", "loop", "deep", "unreadable"};
	assert_non_null(msg);
	char tag[32];
	snprintf(tag, sizeof tag, "%s:", names[why]);
	add(s, "%s", tag);
	add(s, "%s ", rel(path));
	return why == IPS_WALK_LINK || why == IPS_WALK_NONLOG ? IPS_OK : IPS_E_INPUT;
}

static const ips_walk_cbs_t cbs = {NULL, on_file, on_skip};

static ips_status_t walk(const char *sub, const ips_walk_opts_t *o, const ips_walk_cbs_t *cb,
			 seen_t *s)
{
	memset(s, 0, sizeof *s);
	const char *p = ut_path(dir, sub);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	return ips_walk(p, &st, o, cb ? cb : &cbs, s);
}

static void mkdirs(const char *sub)
{
	char cmd[800];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s'", dir, sub);
	assert_int_equal(system(cmd), 0);
}

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

/* Names in strcmp order, whatever order readdir gives; subfolders in place. */
static void sorted_order(void **state)
{
	(void)state;
	mkdirs("sorted/b");
	ut_write_file(dir, "sorted/c.log", "x\n");
	ut_write_file(dir, "sorted/a.log", "x\n");
	ut_write_file(dir, "sorted/b/z.log", "x\n");
	ut_write_file(dir, "sorted/B.log", "x\n");
	ut_write_file(dir, "sorted/.hidden.log", "x\n");
	ips_walk_opts_t o = {0};
	seen_t s;
	assert_int_equal(walk("sorted", &o, NULL, &s), IPS_OK);
	assert_string_equal(s.log, "F:sorted/.hidden.log F:sorted/B.log F:sorted/a.log "
				   "F:sorted/b/z.log F:sorted/c.log ");
	o.skip_hidden = true;
	assert_int_equal(walk("sorted", &o, NULL, &s), IPS_OK);
	assert_string_equal(s.log, "F:sorted/B.log F:sorted/a.log F:sorted/b/z.log F:sorted/c.log ");
	/* no_recurse: the folder's own files only */
	o.no_recurse = true;
	assert_int_equal(walk("sorted", &o, NULL, &s), IPS_OK);
	assert_string_equal(s.log, "F:sorted/B.log F:sorted/a.log F:sorted/c.log ");
}

/* 64 levels below the named folder are walked; the 65th is named, not read. */
static void depth_limit(void **state)
{
	(void)state;
	char sub[200] = "deep";
	for (int i = 0; i < IPS_WALK_DEPTH_MAX; i++)
		strcat(sub, "/d");
	mkdirs(sub);
	ut_write_file(dir, "deep/top.log", "x\n");
	char at64[220];
	snprintf(at64, sizeof at64, "%s/f.log", sub);
	ut_write_file(dir, at64, "x\n"); /* in the 64th level below "deep": not read */
	char at63[220];
	snprintf(at63, sizeof at63, "%.*s/g.log", (int)(strlen(sub) - 2), sub);
	ut_write_file(dir, at63, "x\n"); /* in the 63rd: read */
	ips_walk_opts_t o = {0};
	seen_t s;
	assert_int_equal(walk("deep", &o, NULL, &s), IPS_E_INPUT);
	assert_int_equal(s.files, 2);
	assert_non_null(strstr(s.log, "g.log"));
	assert_null(strstr(s.log, "f.log"));
	char want[260];
	snprintf(want, sizeof want, "deep:%s ", sub);
	assert_non_null(strstr(s.log, want));
	/* a smaller limit */
	o.max_depth = 2;
	assert_int_equal(walk("deep", &o, NULL, &s), IPS_E_INPUT);
	assert_string_equal(s.log, "deep:deep/d/d F:deep/top.log ");
}

/* A link inside a folder: named, not followed; followed on request, and a
 * link back to a parent is then a loop, named once, not walked for ever. */
static void links_and_loops(void **state)
{
	(void)state;
	mkdirs("loop/sub");
	mkdirs("outside");
	ut_write_file(dir, "loop/sub/a.log", "x\n");
	ut_write_file(dir, "outside/secret.log", "x\n");
	assert_int_equal(symlink("..", ut_path(dir, "loop/sub/up")), 0);
	assert_int_equal(symlink("../outside/secret.log", ut_path(dir, "loop/secret.log")), 0);
	ips_walk_opts_t o = {0};
	seen_t s;
	assert_int_equal(walk("loop", &o, NULL, &s), IPS_OK);
	assert_string_equal(s.log, "link:loop/secret.log F:loop/sub/a.log link:loop/sub/up ");
	o.follow_links = true;
	assert_int_equal(walk("loop", &o, NULL, &s), IPS_E_INPUT);
	assert_string_equal(s.log, "F:loop/secret.log F:loop/sub/a.log loop:loop/sub/up ");
	/* a dangling link, followed: cannot be read, named */
	assert_int_equal(symlink("nowhere", ut_path(dir, "loop/zz-dangling")), 0);
	assert_int_equal(walk("loop", &o, NULL, &s), IPS_E_INPUT);
	assert_non_null(strstr(s.log, "unreadable:loop/zz-dangling "));
	o.follow_links = false;
	assert_int_equal(walk("loop", &o, NULL, &s), IPS_OK);
	assert_non_null(strstr(s.log, "link:loop/zz-dangling "));
}

/* --include/--exclude on the path relative to the named folder; an include
 * still walks into folders; non-log files skipped unless included. */
static void include_exclude(void **state)
{
	(void)state;
	mkdirs("globs/sub");
	mkdirs("globs/skip");
	ut_write_file(dir, "globs/a.log", "x\n");
	ut_write_file(dir, "globs/b.txt", "x\n");
	ut_write_file(dir, "globs/README.md", "# x\n");
	ut_write_file(dir, "globs/sub/c.log", "x\n");
	ut_write_file(dir, "globs/skip/d.log", "x\n");
	const char *const inc[] = {"+*.log", "-skip"};
	ips_walk_opts_t o = {.globs = inc, .nglobs = 2};
	seen_t s;
	assert_int_equal(walk("globs", &o, NULL, &s), IPS_OK);
	assert_string_equal(s.log, "F:globs/a.log F:globs/sub/c.log ");
	/* non-log files: named as such, unless an include names them */
	ips_walk_opts_t o2 = {.skip_nonlog = true};
	assert_int_equal(walk("globs", &o2, NULL, &s), IPS_OK);
	assert_string_equal(s.log, "nonlog:globs/README.md F:globs/a.log F:globs/b.txt "
				   "F:globs/skip/d.log F:globs/sub/c.log ");
	const char *const md[] = {"+*.md"};
	o2.globs = md;
	o2.nglobs = 1;
	assert_int_equal(walk("globs", &o2, NULL, &s), IPS_OK);
	assert_string_equal(s.log, "F:globs/README.md ");
	/* the named folder given with a trailing '/': the same relative paths */
	o.nglobs = 2;
	assert_int_equal(walk("globs/", &o, NULL, &s), IPS_OK);
	assert_string_equal(s.log, "F:globs/a.log F:globs/sub/c.log ");
}

/* on_name takes names before the walker looks at them; one flag per folder. */
static int taken;
static bool on_name(void *ctx, const char *d, const char *name, bool *flag)
{
	(void)ctx, (void)d;
	size_t n = strlen(name);
	if (n < 8 || strcmp(name + n - 8, ".journal"))
		return false;
	if (!*flag)
		taken++;
	*flag = true;
	return true;
}

static void name_hook(void **state)
{
	(void)state;
	mkdirs("hook/sub");
	ut_write_file(dir, "hook/a.journal", "x");
	ut_write_file(dir, "hook/b.journal", "x");
	ut_write_file(dir, "hook/c.log", "x\n");
	ut_write_file(dir, "hook/sub/d.journal", "x");
	ut_write_file(dir, "hook/z.journal", "x"); /* after sub/: the folder's flag is still set */
	static const ips_walk_cbs_t hook = {on_name, on_file, on_skip};
	ips_walk_opts_t o = {0};
	seen_t s;
	taken = 0;
	assert_int_equal(walk("hook", &o, &hook, &s), IPS_OK);
	assert_string_equal(s.log, "F:hook/c.log ");
	assert_int_equal(taken, 2); /* hook/ and hook/sub/, once each */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sorted_order),
		cmocka_unit_test(depth_limit),
		cmocka_unit_test(links_and_loops),
		cmocka_unit_test(include_exclude),
		cmocka_unit_test(name_hook),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
