/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_ciscoshow.c - the cisco-show reader (show crypto output, one summary record per
 * ipsec SA block), through the scanner and correlator. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_scan(data, size, "cisco-show");
	return 0;
}
