/* SPDX-License-Identifier: Apache-2.0 */
/*
 * versions.h - `--version`: ours and the run-time versions of the libraries
 * we link (what is loaded, not what we were compiled against).
 */
#ifndef IPS_VERSIONS_H
#define IPS_VERSIONS_H

#include <stdio.h>

/* One line each: ipsec-scan, PCRE2 (and whether JIT is on), libyaml,
 * libarchive (with its own codecs), libevtx, yajl, expat. */
void ips_versions_print(FILE *out, const char *ours);

#endif
