/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_container.c - an input of unknown kind: container sniffing and
 * libarchive walking (gz, bz2, xz, zst, zip, tar, nested), UTF-16 and BOM
 * decoding, then format detection and whichever framer it picks.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_scan(data, size, NULL);
	return 0;
}
