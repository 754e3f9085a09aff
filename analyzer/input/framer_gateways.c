/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_gateways.c - recognising the gateway and cloud line formats (see
 * framer_gateways.h). Each format is told by words its documented layout
 * puts on most lines; a file gets the format when at least one line in ten
 * of its first 50 non-blank lines has them, so a syslog file with a stray
 * gateway line stays `syslog`. Scores: 45 plus half the share of such lines
 * (as cisco-asa and juniper-srx), above `syslog` (30) and below a format
 * that is certain (a JSON object per line is 92: aws-vpn outbids it only
 * where the first object is an AWS tunnel log).
 */
#include "input/framer_gateways.h"

#include <stdbool.h>
#include <string.h>

#include "input/framer.h"

#define SNIFF_LINES 50
#define MIN_SHARE 10 /* percent of lines */

typedef bool (*line_pred_t)(const unsigned char *p, size_t n);

/*
 * Sniffing runs for every input, so each format first looks for the words its
 * lines cannot lack anywhere in the head (one memmem each) and reads lines
 * only when one is there. A word starting with '\n' must start a line (or
 * the head).
 */
static bool gate(const unsigned char *h, size_t n, const char *const *words)
{
	/* only the lines share() reads */
	size_t lines = 0, end = 0;
	while (end < n && lines < SNIFF_LINES) {
		const unsigned char *e = memchr(h + end, '\n', n - end);
		size_t next = e ? (size_t)(e - h) + 1 : n;
		if (next - end > 2) /* not blank (a CR or a space alone count as blank) */
			lines++;
		end = next;
	}
	n = end;
	for (int i = 0; words[i]; i++) {
		const char *w = words[i];
		size_t l = strlen(w);
		if (w[0] == '\n' && l - 1 <= n && !memcmp(h, w + 1, l - 1))
			return true;
		if (l <= n && memmem(h, n, w, l))
			return true;
	}
	return false;
}

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
	static const char *const words[] = {"logid=", "log_id=", "\nike ", " serial=", "\nproxyid=", "\nstat: rxp=", "\nlist ipsec tunnel", NULL};
	if (!gate(h, n, words))
		return 0;
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
	static const char *const words[] = {",SYSTEM,", "[PNTF]:", "[PERR]:", "[PWRN]:", "[INFO]: {", "[DEBUG]: {", NULL};
	if (!gate(h, n, words))
		return 0;
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
	static const char *const words[] = {"ISAKMP", "IKEv2", "IPSEC(", "%CRYPTO", NULL};
	if (!gate(h, n, words))
		return 0;
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
	static const char *const words[] = {"#pkts ", "#send errors", "current_peer", "ident (addr", "IKE Peer:", "Crypto map tag:", "crypto endpt.", "show crypto ", "\nIPv4 Crypto ISAKMP SA", "\ndst             src", "Active SA:", "Total IKE SA:", NULL};
	if (!gate(h, n, words))
		return 0;
	int s = share(h, n, is_cisco_show);
	/* the output of a show command, not a log: above the log formats */
	return s >= MIN_SHARE ? 50 + s / 2 : 0;
}

/* MikroTik RouterOS: log topics before the message ("ipsec,error ..."). */
static bool is_mikrotik(const unsigned char *p, size_t n)
{
	if (starts(p, n, "ipsec,") || has(p, n, " ipsec,"))
		return true;
	/* `/log print` with the bare topic: "[mar/05[/2025] ]22:26:02 ipsec text" */
	size_t i = 0;
	if (n > 7 && p[3] == '/' && p[0] >= 'a' && p[0] <= 'z') {
		while (i < n && p[i] != ' ')
			i++;
		i++;
	}
	if (n < i + 15 || !isdig(p[i]) || p[i + 2] != ':' || p[i + 5] != ':' || p[i + 8] != ' ')
		return false;
	return starts(p + i + 9, n - i - 9, "ipsec ");
}

int ips_sniff_mikrotik(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	static const char *const words[] = {"ipsec,", " ipsec ", NULL};
	if (!gate(h, n, words))
		return 0;
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
	static const char *const words[] = {"id=firewall ", NULL};
	if (!gate(h, n, words))
		return 0;
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
	static const char *const words[] = {" CheckPoint ", "|Check Point|", "fw_subproduct:", "\n[vpnd", "\n[iked", NULL};
	if (!gate(h, n, words))
		return 0;
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
	static const char *const words[] = {"[nsx@6876 ", "subcomp=\"iked\"", NULL};
	if (!gate(h, n, words))
		return 0;
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
	static const char *const words[] = {"racoon", ": INFO: ", ": ERROR: ", ": WARNING: ", ": NOTIFY: ", ": DEBUG", NULL};
	if (!gate(h, n, words))
		return 0;
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
	static const char *const words[] = {"%%", NULL};
	if (!gate(h, n, words))
		return 0;
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
	static const char *const words[] = {": Local ", "based on log : ", "\nError: On-prem", NULL};
	if (!gate(h, n, words))
		return 0;
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
	static const char *const words[] = {"[ikeext]", "[IKEEXT]", "[IkeExt]", NULL};
	if (!gate(h, n, words))
		return 0;
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
	static const char *const words[] = {"AWS tunnel ", "by AWS", "ike_phase1_state", NULL};
	if (!gate(h, n, words))
		return 0;
	return score(share(h, n, is_aws_text));
}
