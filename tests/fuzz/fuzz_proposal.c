/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_proposal.c - the proposal list parser behind "what differs": the
 * input is "offered\naccepted" (strongSwan or libreswan syntax).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "detect/proposal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	char *acc = strchr(s, '\n');
	if (acc)
		*acc++ = '\0';
	else
		acc = s + size;
	char out[512];
	ips_proposal_diff(s, acc, out, sizeof out);
	ips_proposal_diff(acc, s, out, 16);
	(void)ips_proposal_protocol(s);
	free(s);
	return 0;
}
