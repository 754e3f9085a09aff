/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_evtx.c - the evtx framer (its own reader of the records' binary XML; libevtx opens the file and renders what it does not handle), through the scanner and correlator. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_scan(data, size, "evtx");
	return 0;
}
