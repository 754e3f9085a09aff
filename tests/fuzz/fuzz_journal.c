/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_journal.c - the journalctl -o export and -o json parsers (journal.c),
 * through the scanner and correlator. The first byte picks the format (even:
 * export, odd: json); the rest is the input.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_scan(data + 1, size - 1, (data[0] & 1) ? "journal-json" : "journal-export");
	return 0;
}
