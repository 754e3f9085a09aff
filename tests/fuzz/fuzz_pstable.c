/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_pstable.c - the pstable framer (PowerShell Format-Table), through the scanner and correlator. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_scan(data, size, "pstable");
	return 0;
}
