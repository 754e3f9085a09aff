/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_state.c - the cron-mode state file reader (ips_state_open), and on
 * success writing the state back (prepare, then abort: nothing is renamed).
 * The file lives in a private temporary directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "run/state.h"
#include "util/util.h"

static char *dir, *path;

static void cleanup(void)
{
	char *lock = ips_xasprintf("%s.lock", path);
	unlink(lock);
	free(lock);
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *tmp = getenv("TMPDIR");
	dir = ips_xasprintf("%s/ipsec-scan-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror(dir);
		abort();
	}
	path = ips_xasprintf("%s/state", dir);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	char *err = NULL;
	ips_state_t *st = ips_state_open(path, &err);
	if (st) {
		char *why = NULL;
		if (ips_state_prepare(st, &why) == IPS_OK)
			ips_state_abort(st);
		free(why);
		ips_state_close(st);
	}
	free(err);
	return 0;
}
