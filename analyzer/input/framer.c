/* SPDX-License-Identifier: Apache-2.0 */
/* framer.c - the framer registry and format detection (see framer.h). */
#include "input/framer.h"

#include <string.h>

extern const ips_framer_ops_t ips_framer_strongswan, ips_framer_libreswan,
	ips_framer_cisco_asa, ips_framer_juniper_srx, ips_framer_nps, ips_framer_syslog,
	ips_framer_lines;
extern const ips_framer_ops_t ips_framer_evtx, ips_framer_winxml, ips_framer_wfpxml,
	ips_framer_wintext, ips_framer_wincsv, ips_framer_winjson, ips_framer_ndjson,
	ips_framer_pslist, ips_framer_evcopy, ips_framer_pstable;
/* the systemd journal (journal.c) */
extern const ips_framer_ops_t ips_framer_journal, ips_framer_journal_export,
	ips_framer_journal_json;
/* gateways and clouds: line formats (framer_lines.c, sniffers in framer_gateways.c)
 * and cisco-show (framer_ciscoshow.c) */
extern const ips_framer_ops_t ips_framer_fortigate, ips_framer_panos, ips_framer_cisco_ios,
	ips_framer_cisco_show, ips_framer_mikrotik, ips_framer_sonicwall, ips_framer_checkpoint,
	ips_framer_nsx, ips_framer_racoon, ips_framer_huawei, ips_framer_azure_ike,
	ips_framer_wfpdiag, ips_framer_aws_vpn;

const ips_framer_ops_t *const ips_framers[] = {
	&ips_framer_evtx, &ips_framer_winxml, &ips_framer_wfpxml, &ips_framer_wintext,
	&ips_framer_wincsv, &ips_framer_winjson, &ips_framer_ndjson, &ips_framer_pslist,
	&ips_framer_evcopy, &ips_framer_pstable,
	&ips_framer_strongswan, &ips_framer_libreswan, &ips_framer_cisco_asa,
	&ips_framer_juniper_srx, &ips_framer_nps, &ips_framer_syslog,
	&ips_framer_fortigate, &ips_framer_panos, &ips_framer_cisco_ios, &ips_framer_cisco_show,
	&ips_framer_mikrotik, &ips_framer_sonicwall, &ips_framer_checkpoint, &ips_framer_nsx,
	&ips_framer_racoon, &ips_framer_huawei, &ips_framer_azure_ike, &ips_framer_wfpdiag,
	&ips_framer_aws_vpn,
	&ips_framer_journal, &ips_framer_journal_export, &ips_framer_journal_json,
	&ips_framer_lines, NULL,
};

const ips_framer_ops_t *ips_framer_by_name(const char *name)
{
	for (int i = 0; ips_framers[i]; i++)
		if (strcmp(ips_framers[i]->name, name) == 0)
			return ips_framers[i];
	return NULL;
}

const ips_framer_ops_t *ips_framer_detect(const unsigned char *head, size_t n, const char *path)
{
	const ips_framer_ops_t *best = &ips_framer_lines;
	int best_score = 0;
	for (int i = 0; ips_framers[i]; i++) {
		int s = ips_framers[i]->sniff(head, n, path);
		if (s > best_score) {
			best = ips_framers[i];
			best_score = s;
		}
	}
	return best;
}

size_t ips_skip_space(const unsigned char *h, size_t n, size_t i)
{
	while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
		i++;
	return i;
}
