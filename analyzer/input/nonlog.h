/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nonlog.h - files that are not logs: documentation (Markdown, HTML, PDF),
 * pictures, office documents and configuration files, told by name and
 * first bytes. A folder or an archive often holds such files next to its
 * logs (a README.md, a swanctl.conf); read as logs, their prose and
 * examples give findings that no daemon logged. The walker skips them with
 * a note; a file named on the command line is always read.
 *
 * Ownership: returns static strings; nothing to free.
 */
#ifndef IPS_NONLOG_H
#define IPS_NONLOG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * What kind of non-log file `name` (a path, an archive member's name such as
 * "a.zip!dir/README.md", or a base name) is, from its base name, ignoring a
 * compression suffix (.gz, .bz2, .xz, .zst): "Markdown document",
 * "picture", ... or NULL when it may be a log. head (n bytes, may be NULL)
 * is checked for pictures and PDF whatever the name.
 */
const char *ips_nonlog_kind(const char *name, const unsigned char *head, size_t n);

/*
 * --include / --exclude: whether `rel` (a path relative to the directory
 * named on the command line, '/'-separated) is left out. globs[i] starts
 * with '+' (include) or '-' (exclude); the last glob that matches decides;
 * with at least one include and none matching, the file is left out
 * (ripgrep's -g). A glob without '/' also matches the base name. dir: rel
 * is a directory (only excludes apply, so an include of "*.log" still walks
 * into folders). *included tells whether an include glob matched (may be NULL).
 */
bool ips_glob_excluded(const char *const *globs, size_t n, const char *rel, bool dir,
		       bool *included);

#endif
