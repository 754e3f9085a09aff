/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz.h - shared by the fuzz targets in tests/fuzz/ (docs/security.md).
 *
 * Each target is one file defining LLVMFuzzerTestOneInput. It is linked
 * either with libFuzzer (make fuzz) or with replay.c, a small main that
 * feeds it files, so crash inputs kept under tests/fuzz/regress/ run in
 * `make test` without clang.
 */
#ifndef IPS_FUZZ_H
#define IPS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Scan the bytes as one input named "fuzz-input" with the built-in rules,
 * as the framer `format` (NULL: detect, including containers), through the
 * scanner, the correlator and the end-of-run notes.
 */
void fuzz_scan(const uint8_t *data, size_t size, const char *format);
/* The same with other rules (finalised), e.g. a fuzzed rules file. */
struct ips_rules;
void fuzz_scan_rules(const struct ips_rules *r, const uint8_t *data, size_t size,
		     const char *format);

#endif
