/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_pslist.c - the pslist framer (PowerShell Format-List), through the scanner and correlator. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_scan(data, size, "pslist");
	return 0;
}
