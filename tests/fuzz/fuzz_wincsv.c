/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_wincsv.c - the wincsv framer (Event Viewer CSV and PowerShell Export-Csv), through the scanner and correlator. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_scan(data, size, "wincsv");
	return 0;
}
