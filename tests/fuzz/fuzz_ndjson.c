/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_ndjson.c - the ndjson framer (newline-delimited JSON (Winlogbeat and the like)), through the scanner and correlator. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_scan(data, size, "ndjson");
	return 0;
}
