/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_wintext.c - the wintext framer (wevtutil /f:text), through the scanner and correlator. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_scan(data, size, "wintext");
	return 0;
}
