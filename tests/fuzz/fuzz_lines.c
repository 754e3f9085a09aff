/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_lines.c - the line framers (strongswan, libreswan, cisco-asa,
 * juniper-srx, syslog, lines): one line loop, different format scopes for
 * the detectors. The first byte picks the format; the rest is the input.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fmt[] = {"strongswan", "libreswan", "cisco-asa",
					  "juniper-srx", "syslog", "lines"};
	if (size < 1)
		return 0;
	fuzz_scan(data + 1, size - 1, fmt[data[0] % 6]);
	return 0;
}
