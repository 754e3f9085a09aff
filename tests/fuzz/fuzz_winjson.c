/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_winjson.c - the winjson framer (PowerShell ConvertTo-Json), through the scanner and correlator. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_scan(data, size, "winjson");
	return 0;
}
