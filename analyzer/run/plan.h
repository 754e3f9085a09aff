/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plan.h - the input planner: what a scan of the named paths reads, in the
 * order a serial scan reads it, as a list of units, without reading a file.
 * --jobs splits that list between its threads; the progress bar sums its
 * sizes.
 *
 * Directories are expanded with the one directory walker (input/walk.h)
 * under the scanner's rules (detect/scan.c): names in order, links and
 * files that are not logs named with a note, --include/--exclude, a
 * folder's journal files one unit where the first of them is. A name that
 * cannot be read is a unit of its own, already decided, in its place.
 *
 * Ownership: the units and everything in them belong to the caller (free
 * each with ips_scan_unit_free()); the options are borrowed for the call.
 */
#ifndef IPS_PLAN_H
#define IPS_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/results.h"
#include "detect/scan_opts.h"

/*
 * A unit is one input a worker reads with ips_scanner_scan_path(): a file,
 * a FIFO or "-"; a folder of journal files (ips_scanner_scan_journal_dir());
 * the local journal (ips_scanner_scan_journal_local()); or an input that is
 * not read (a directory loop, a name that does not exist, a link not
 * followed), already decided.
 */
typedef struct ips_scan_unit {
	char *path;         /* NULL for an input already decided */
	uint64_t size;      /* regular files: bytes, for the progress bar */
	bool stream;        /* stdin, a FIFO or a device: read once, by one reader */
	int journal;        /* 1: path is a folder of journal files, 2: the local journal */
	ips_input_t *error; /* owned; the input entry of an input already decided */
} ips_scan_unit_t;
void ips_scan_unit_free(ips_scan_unit_t *u);

/*
 * Append to units (ips_scan_unit_t *) what a scan of paths reads, walking
 * directories as opts says (--follow-links, --missing-ok,
 * --include/--exclude; opts may be NULL: none of them), with the local
 * journal (--journal) last when journal. *total gets the bytes of the
 * regular files among the units appended.
 */
void ips_plan_inputs(const char *const *paths, size_t npaths, const ips_scan_opts_t *opts,
		     bool journal, ips_vec_t *units, uint64_t *total);

#endif
