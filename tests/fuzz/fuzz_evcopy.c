/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_evcopy.c - the evcopy framer (Event Viewer "Copy details as text"), through the scanner and correlator. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_scan(data, size, "evcopy");
	return 0;
}
