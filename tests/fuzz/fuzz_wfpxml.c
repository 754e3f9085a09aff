/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_wfpxml.c - the wfpxml framer (netsh wfp netevents XML), through the scanner and correlator. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_scan(data, size, "wfpxml");
	return 0;
}
