/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_nps.c - the nps line format (NPS accounting logs), through the scanner and correlator. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_scan(data, size, "nps");
	return 0;
}
