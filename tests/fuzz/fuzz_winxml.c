/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_winxml.c - the winxml framer (Windows Event Viewer XML (wevtutil, saved views)), through the scanner and correlator. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_scan(data, size, "winxml");
	return 0;
}
