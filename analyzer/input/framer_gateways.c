/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_gateways.c - recognising the gateway and cloud line formats (see
 * framer_gateways.h). Each format is told by words its documented layout
 * puts on most lines; a file gets the format when at least one line in ten
 * of its first 200 non-blank lines has them, so a syslog file with a stray
 * gateway line stays `syslog`. Scores: 45 plus half the share of such lines
 * (as cisco-asa and juniper-srx), above `syslog` (30) and below a format
 * that is certain (a JSON object per line is 92: aws-vpn outbids it only
 * where the first object is an AWS tunnel log).
 */
#include "input/framer_gateways.h"

#include <stdbool.h>
#include <string.h>

#include "input/framer.h"

#define SNIFF_LINES 200
#define MIN_SHARE 10 /* percent of lines */

typedef bool (*line_pred_t)(const unsigned char *p, size_t n);

/* Percent of the first non-blank lines of the head for which pred holds. */
static int share(const unsigned char *h, size_t n, line_pred_t pred)
{
	int hits = 0, lines = 0;
	const unsigned char *p = h, *end = h + n;
	while (p < end && lines < SNIFF_LINES) {
		const unsigned char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		size_t len = (size_t)(e - p);
		while (len && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len) {
			if (pred(p, len))
				hits++;
			lines++;
		}
		p = e + 1;
	}
	return lines ? hits * 100 / lines : 0;
}

static int score(int s)
{
	return s >= MIN_SHARE ? 45 + s / 2 : 0;
}

static bool has(const unsigned char *p, size_t n, const char *needle)
{
	size_t l = strlen(needle);
	return l <= n && memmem(p, n, needle, l) != NULL;
}

static bool starts(const unsigned char *p, size_t n, const char *prefix)
{
	size_t l = strlen(prefix);
	return l <= n && !memcmp(p, prefix, l);
}

static bool isdig(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* FortiOS: key=value event logs (logid=, in older releases log_id=, with type=
 * or subtype=), `diagnose
 * debug application ike -1` lines ("ike 0:name:..."), `diagnose vpn tunnel
 * list` blocks (name=... ver=... serial=, proxyid=, stat: rxp=). */
static bool is_fortigate(const unsigned char *p, size_t n)
{
	if ((has(p, n, "logid=") || has(p, n, "log_id=")) &&
	    (has(p, n, " type=") || has(p, n, " subtype=")))
		return true;
	if (starts(p, n, "ike V=")) /* with VDOM names: "ike V=root:0:..." */
		return true;
	if (starts(p, n, "ike ") && n > 5 && isdig(p[4])) {
		size_t i = 4;
		while (i < n && isdig(p[i]))
			i++;
		return i < n && p[i] == ':';
	}
	return (has(p, n, " ver=") && has(p, n, " serial=")) || starts(p, n, "proxyid=") ||
	       starts(p, n, "stat: rxp=") || starts(p, n, "list ipsec tunnel");
}

int ips_sniff_fortigate(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	return score(share(h, n, is_fortigate));
}

/* PAN-OS: the system log as CSV (",SYSTEM,vpn," or any SYSTEM subtype, with
 * or without a syslog header) and ikemgr.log ("[PNTF]: { 1: }:" levels). */
static bool is_panos(const unsigned char *p, size_t n)
{
	return has(p, n, ",SYSTEM,") || has(p, n, "[PNTF]:") || has(p, n, "[PERR]:") ||
	       has(p, n, "[PWRN]:") || has(p, n, "[INFO]: {") || has(p, n, "[DEBUG]: {");
}

int ips_sniff_panos(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	return score(share(h, n, is_panos));
}

/* Cisco IOS/IOS-XE debug crypto output and %CRYPTO- messages. */
static bool is_cisco_ios(const unsigned char *p, size_t n)
{
	/* the facility at the start of the message, after the debug time stamp
	 * ("*Mar  5 08:01:10.103: ISAKMP:(0):..."): pluto's algorithm table also
	 * says "IKEv2:" mid-line */
	return starts(p, n, "ISAKMP:") || has(p, n, ": ISAKMP:") || has(p, n, "ISAKMP:(") ||
	       has(p, n, "ISAKMP (") || has(p, n, "ISAKMP-ERROR") || starts(p, n, "IKEv2:") ||
	       has(p, n, ": IKEv2:") || has(p, n, "IKEv2:(") || has(p, n, "IKEv2-ERROR") ||
	       has(p, n, "IKEv2-INTERNAL") || has(p, n, "IPSEC(") || has(p, n, "%CRYPTO-") ||
	       has(p, n, "%CRYPTO_ENGINE-");
}

int ips_sniff_cisco_ios(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	return score(share(h, n, is_cisco_ios));
}

/* `show crypto ...` output of IOS and the ASA: the prompt, the SA tables and
 * the counters of `show crypto ipsec sa`. */
static bool is_cisco_show(const unsigned char *p, size_t n)
{
	return has(p, n, "#pkts ") || has(p, n, "#send errors") || has(p, n, "current_peer") ||
	       has(p, n, "ident (addr/mask/prot/port)") || has(p, n, "IKE Peer:") ||
	       has(p, n, "Crypto map tag:") || has(p, n, "crypto endpt.") ||
	       has(p, n, "# show crypto ") || has(p, n, "#show crypto ") ||
	       has(p, n, "> show crypto ") || starts(p, n, "IPv4 Crypto ISAKMP SA") ||
	       starts(p, n, "dst             src             state") ||
	       has(p, n, "Active SA:") || has(p, n, "Total IKE SA:");
}

int ips_sniff_cisco_show(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	int s = share(h, n, is_cisco_show);
	/* the output of a show command, not a log: above the log formats */
	return s >= MIN_SHARE ? 50 + s / 2 : 0;
}

/* MikroTik RouterOS: log topics before the message ("ipsec,error ..."). */
static bool is_mikrotik(const unsigned char *p, size_t n)
{
	return starts(p, n, "ipsec,") || has(p, n, " ipsec,");
}

int ips_sniff_mikrotik(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	return score(share(h, n, is_mikrotik));
}

/* SonicOS syslog: "id=firewall sn=SERIAL time=..." key=value lines. */
static bool is_sonicwall(const unsigned char *p, size_t n)
{
	return has(p, n, "id=firewall ") && has(p, n, " sn=");
}

int ips_sniff_sonicwall(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	return score(share(h, n, is_sonicwall));
}

/* Check Point: Log Exporter syslog ("CheckPoint 1234 - [action:..."), CEF and
 * LEEF ("|Check Point|VPN-1 & FireWall-1|"), and vpnd/ike .elg debug files
 * ("[vpnd 1234 5678]@gw[...]", "[iked 1234 5678]@gw[...]", iked9 ... on
 * several cores). */
static bool is_checkpoint(const unsigned char *p, size_t n)
{
	return has(p, n, " CheckPoint ") || has(p, n, "|Check Point|") ||
	       has(p, n, "fw_subproduct:") || starts(p, n, "[vpnd") || starts(p, n, "[iked");
}

int ips_sniff_checkpoint(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	return score(share(h, n, is_checkpoint));
}

/* VMware NSX Edge: RFC 5424 with the [nsx@6876 ...] structured data. */
static bool is_nsx(const unsigned char *p, size_t n)
{
	return has(p, n, "[nsx@6876 ") || has(p, n, "subcomp=\"iked\"");
}

int ips_sniff_nsx(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	return score(share(h, n, is_nsx));
}

/*
 * racoon (ipsec-tools): through syslog ("racoon: ", "racoon[123]: ") or its
 * own log file (-l FILE: "2026-03-05 08:01:10: INFO: ..."); the priority word
 * after the time is racoon's plog() level.
 */
static bool is_racoon(const unsigned char *p, size_t n)
{
	if (has(p, n, " racoon: ") || has(p, n, " racoon[") || starts(p, n, "racoon: "))
		return true;
	/* YYYY-MM-DD HH:MM:SS: LEVEL: */
	if (n < 28 || !isdig(p[0]) || p[4] != '-' || p[7] != '-' || p[10] != ' ' || p[13] != ':' ||
	    p[16] != ':' || p[19] != ':' || p[20] != ' ')
		return false;
	static const char *const levels[] = {"INFO: ", "NOTIFY: ", "WARNING: ", "ERROR: ",
					     "DEBUG: ", "DEBUG2: ", NULL};
	for (int i = 0; levels[i]; i++)
		if (starts(p + 21, n - 21, levels[i]))
			return true;
	return false;
}

int ips_sniff_racoon(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	return score(share(h, n, is_racoon));
}

/* Huawei VRP information center: "%%01IKE/6/...", "%%01IPSEC-VPN/4/...". */
static bool is_huawei(const unsigned char *p, size_t n)
{
	const unsigned char *q = memmem(p, n, "%%", 2);
	if (!q || (size_t)(q - p) + 4 >= n || !isdig(q[2]) || !isdig(q[3]))
		return false;
	size_t rest = n - (size_t)(q - p) - 4;
	return starts(q + 4, rest, "IKE/") || starts(q + 4, rest, "IPSEC");
}

int ips_sniff_huawei(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	return score(share(h, n, is_huawei));
}

/* Azure VPN gateway troubleshoot files: IKElogs.txt ("Remote A:500: Local
 * B:500: [SEND]...") and IKEErrors.txt ("Error: ..." then "based on log : "). */
static bool is_azure_ike(const unsigned char *p, size_t n)
{
	return (starts(p, n, "Remote ") && has(p, n, ": Local ")) ||
	       has(p, n, "based on log : ") || starts(p, n, "Error: On-premises device") ||
	       starts(p, n, "Error: On-prem device");
}

int ips_sniff_azure_ike(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	return score(share(h, n, is_azure_ike));
}

/* Scrubbed-wfpdiag.txt: the IKEEXT WPP trace as text, "[0]0368.03A4::TIME
 * [ikeext] ..." (the provider tag in brackets after the WPP prefix). */
static bool is_wfpdiag(const unsigned char *p, size_t n)
{
	return has(p, n, "[ikeext]") || has(p, n, "[IKEEXT]") || has(p, n, "[IkeExt]");
}

int ips_sniff_wfpdiag(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	return score(share(h, n, is_wfpdiag));
}

/* AWS Site-to-Site VPN tunnel logs: JSON (event_timestamp, details,
 * ike_phase1_state ...) one object per line, or the text format. */
static bool is_aws_json(const unsigned char *p, size_t n)
{
	return p[0] == '{' && has(p, n, "\"ike_phase1_state\"") && has(p, n, "\"details\"");
}

static bool is_aws_text(const unsigned char *p, size_t n)
{
	return has(p, n, "AWS tunnel ") || has(p, n, "by AWS") || has(p, n, "ike_phase1_state");
}

int ips_sniff_aws_vpn(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	size_t i = ips_skip_space(h, n, 0);
	const unsigned char *e = memchr(h + i, '\n', n - i);
	size_t first = e ? (size_t)(e - (h + i)) : n - i;
	if (i < n && is_aws_json(h + i, first))
		return 95; /* above ndjson (92): the same lines, read as AWS's */
	return score(share(h, n, is_aws_text));
}
