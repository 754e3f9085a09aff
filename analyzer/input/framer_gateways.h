/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_gateways.h - how the gateway and cloud line formats are recognised
 * (fortigate, panos, cisco-ios, mikrotik, sonicwall, checkpoint, nsx,
 * racoon, huawei, azure-ike, wfpdiag, aws-vpn). They are read by the shared
 * line reader (framer_lines.c), so only their sniffers live here; each returns
 * 0..100 like ips_framer_ops_t.sniff. cisco-show has a reader of its own
 * (framer_ciscoshow.c).
 *
 * Ownership: the head is borrowed for the call.
 */
#ifndef IPS_FRAMER_GATEWAYS_H
#define IPS_FRAMER_GATEWAYS_H

#include <stddef.h>

int ips_sniff_fortigate(const unsigned char *h, size_t n, const char *path);
int ips_sniff_panos(const unsigned char *h, size_t n, const char *path);
int ips_sniff_cisco_ios(const unsigned char *h, size_t n, const char *path);
int ips_sniff_cisco_show(const unsigned char *h, size_t n, const char *path);
int ips_sniff_mikrotik(const unsigned char *h, size_t n, const char *path);
int ips_sniff_sonicwall(const unsigned char *h, size_t n, const char *path);
int ips_sniff_checkpoint(const unsigned char *h, size_t n, const char *path);
int ips_sniff_nsx(const unsigned char *h, size_t n, const char *path);
int ips_sniff_racoon(const unsigned char *h, size_t n, const char *path);
int ips_sniff_huawei(const unsigned char *h, size_t n, const char *path);
int ips_sniff_azure_ike(const unsigned char *h, size_t n, const char *path);
int ips_sniff_wfpdiag(const unsigned char *h, size_t n, const char *path);
int ips_sniff_aws_vpn(const unsigned char *h, size_t n, const char *path);

#endif
