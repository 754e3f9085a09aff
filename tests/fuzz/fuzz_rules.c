/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rules.c - the rules loader: one YAML document as a user's --rules
 * file (libyaml, then checking, regex compilation and finalising), and on
 * success a scan of a few lines with those rules alone.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "detect/results.h"
#include "correlate/correlate.h"
#include "detect/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ips_diag_t d;
	ips_diag_init(&d);
	ips_rules_t *r = ips_rules_new();
	static const char lines[] =
		"Mar  1 10:00:00 gw charon: 12[IKE] <vpn|1> received AUTHENTICATION_FAILED notify error\n"
		"2025-03-01T10:00:01Z client RasClient: error 809 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\n";
	if (ips_rules_add_buffer(r, "fuzz.yaml", (const char *)data, size, false, &d) == IPS_OK &&
	    ips_correlate_finalize_rules(r, &d) == IPS_OK)
		fuzz_scan_rules(r, (const uint8_t *)lines, sizeof lines - 1, "lines");
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		ips_diag_print(&d, null);
		fclose(null);
	}
	ips_diag_free(&d);
	ips_rules_free(r);
	return 0;
}
