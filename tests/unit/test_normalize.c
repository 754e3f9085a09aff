/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for normalize.c: timestamps and syslog headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input/normalize.h"

static int setup_utc(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static const char *fmt(const ips_time_t *t)
{
	static char buf[64];
	ips_time_format(t, buf, sizeof buf);
	return buf;
}

static void iso_forms(void **state)
{
	(void)state;
	ips_time_t t;
	assert_int_equal(ips_time_parse_iso("2026-03-05T07:58:14Z x", 22, &t), 20);
	assert_string_equal(fmt(&t), "2026-03-05T07:58:14Z");
	assert_int_equal(ips_time_parse_iso("2025-01-31T12:00:00.123456+00:00", 32, &t), 32);
	assert_string_equal(fmt(&t), "2025-01-31T12:00:00.123456Z");
	assert_int_equal(ips_time_parse_iso("2021-07-03T23:01:56.547105-05:00", 32, &t), 32);
	assert_string_equal(fmt(&t), "2021-07-04T04:01:56.547105Z");
	assert_int_equal(ips_time_parse_iso("2016-09-28 04:30:30, Info", 25, &t), 19);
	assert_string_equal(fmt(&t), "2016-09-28T04:30:30Z");
	assert_int_equal(ips_time_parse_iso("2026-03-05T07:58:14+0130", 24, &t), 24);
	assert_string_equal(fmt(&t), "2026-03-05T06:28:14Z");
	assert_int_equal(ips_time_parse_iso("2026-13-05T07:58:14Z", 20, &t), 0);
	assert_int_equal(ips_time_parse_iso("2026-03-05", 10, &t), 0);
}

static void local_zone_is_used(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	ips_time_t t;
	assert_int_equal(ips_time_parse_iso("2026-03-05T08:00:00", 19, &t), 19);
	assert_string_equal(fmt(&t), "2026-03-05T07:00:00Z");
	assert_int_equal(ips_time_parse_iso("2026-07-05T08:00:00", 19, &t), 19);
	assert_string_equal(fmt(&t), "2026-07-05T06:00:00Z");
	setup_utc(NULL);
}

static void bsd_and_year(void **state)
{
	(void)state;
	ips_line_meta_t m;
	ips_year_ctx_t yc = {.year = 2024};
	const char *l = "Mar  1 10:00:00 gw1 charon: 05[IKE] giving up";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_true(m.time.valid);
	assert_string_equal(fmt(&m.time), "2024-03-01T10:00:00Z");
	assert_int_equal(m.hostlen, 3);
	assert_memory_equal(m.host, "gw1", 3);
	assert_memory_equal(m.prog, "charon", 6);
	assert_string_equal(l + m.msg, "05[IKE] giving up");

	/* no --year: the year of the file's time, one back if the date is later */
	ips_year_ctx_t ref = {.ref = 1772700000}; /* 2026-03-05 */
	const char *dec = "Dec 31 23:59:59 host prog: x";
	ips_parse_line_header(dec, strlen(dec), &ref, &m);
	assert_string_equal(fmt(&m.time), "2025-12-31T23:59:59Z");
	const char *feb = "Feb 28 00:00:00 host prog: x";
	ips_parse_line_header(feb, strlen(feb), &ref, &m);
	assert_string_equal(fmt(&m.time), "2026-02-28T00:00:00Z");
}

static void charon_filelog_has_no_host(void **state)
{
	(void)state;
	ips_line_meta_t m;
	ips_year_ctx_t yc = {.year = 2025};
	const char *l = "17 Aug 04:14:35 15[CFG] loaded certificate";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_true(m.time.valid);
	assert_string_equal(fmt(&m.time), "2025-08-17T04:14:35Z");
	assert_null(m.host);
	const char *p = "Jan 31 12:00:00.123456: \"site\" #1: initiating";
	ips_parse_line_header(p, strlen(p), &yc, &m);
	assert_string_equal(fmt(&m.time), "2025-01-31T12:00:00.123456Z");
	assert_null(m.host);
	assert_string_equal(p + m.msg, "\"site\" #1: initiating");
}

static void rfc5424(void **state)
{
	(void)state;
	ips_line_meta_t m;
	const char *l = "<30>1 2021-07-03T23:01:56.547105-05:00 pfSense.example.com charon 18610 - - 08[CFG] x";
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_true(m.time.valid);
	assert_int_equal(m.hostlen, strlen("pfSense.example.com"));
	assert_memory_equal(m.prog, "charon", 6);
}

static void no_header(void **state)
{
	(void)state;
	ips_line_meta_t m;
	const char *l = "west # ipsec up site";
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_false(m.time.valid);
	assert_null(m.host);
	assert_int_equal(m.msg, 0);
}

/* FortiOS key=value logs: date= and time= fields at the start, tz= when given. */
static void fortios_date_fields(void **state)
{
	(void)state;
	ips_line_meta_t m;
	const char *l = "date=2026-03-05 time=08:01:10 devname=\"fgt\" tz=\"+0100\" logid=\"0101037124\"";
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_true(m.time.valid);
	assert_string_equal(fmt(&m.time), "2026-03-05T07:01:10Z");
	assert_int_equal(m.msg, 0);
	l = "<189>date=2026-03-05 time=08:01:10 devname=\"fgt\" logid=\"0101037124\"";
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_string_equal(fmt(&m.time), "2026-03-05T08:01:10Z"); /* no tz=: --tz (UTC here) */
	l = "date=2026-03-05 time=08:01:10 tz=\"-0530\"";
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_string_equal(fmt(&m.time), "2026-03-05T13:31:10Z");
	l = "date=2026-13-05 time=08:01:10 devname=\"fgt\" logid=\"0101037124\"";
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_false(m.time.valid);
	l = "user date=2026-03-05 time=08:01:10 (not at the start)";
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_false(m.time.valid);
	l = "date=2026-03-05 time=08:01:1";
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_false(m.time.valid);
}

/* The Azure VPN Client's log files: month first, read only with the rest of their header. */
static void azure_vpn_client_headers(void **state)
{
	(void)state;
	ips_line_meta_t m;
	const char *l = "[2/24/2022 6:10:02 PM] PId:[00015412] TId:[00010716] [ApplicationX] [] [Error] x";
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_true(m.time.valid);
	assert_string_equal(fmt(&m.time), "2022-02-24T18:10:02Z");
	assert_int_equal(m.msg, strlen("[2/24/2022 6:10:02 PM] "));
	l = "[12/3/2025 12:05:09 AM] PId:[00000001] TId:[00000002] [X] [] [Information] y";
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_string_equal(fmt(&m.time), "2025-12-03T00:05:09Z");
	l = "05/19/2021 17:20:48.794 ERROR com.microsoft.AzureVpnMac.packetTunnelProvider TID=17598 z";
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_true(m.time.valid);
	assert_string_equal(fmt(&m.time), "2021-05-19T17:20:48.794Z");
	assert_int_equal(m.msg, strlen("05/19/2021 17:20:48.794 "));
	/* the same dates without the rest of the header are not read */
	l = "[2/24/2022 6:10:02 PM] something else";
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_false(m.time.valid);
	l = "05/19/2021 17:20:48.794 ERROR some.other.app TID=1";
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_false(m.time.valid);
	l = "[13/24/2022 6:10:02 PM] PId:[00015412] x"; /* month 13 */
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_false(m.time.valid);
	l = "[2/24/2022 13:10:02 PM] PId:[00015412] x"; /* hour 13 with PM */
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_false(m.time.valid);
	l = "[2/24/2022 6:10:02 PM]";
	ips_parse_line_header(l, strlen(l), NULL, &m);
	assert_false(m.time.valid);
}

/* Gateway layouts with a time of their own where a syslog time would be. */
static void gateway_line_times(void **state)
{
	(void)state;
	ips_line_meta_t m;
	ips_year_ctx_t yc = {.year = 2026};
	/* IOS debug: sequence number, '*' (clock not set), BSD time, msg after it */
	const char *l = "000214: *Apr 14 21:05:31.207: ISAKMP:(0):no offers accepted!";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_string_equal(fmt(&m.time), "2026-04-14T21:05:31.207Z");
	assert_string_equal(l + m.msg, "ISAKMP:(0):no offers accepted!");
	l = ".Apr 14 21:05:31.207: %CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from 198.51.100.1";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_string_equal(fmt(&m.time), "2026-04-14T21:05:31.207Z");
	l = "000214: no time here";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_false(m.time.valid);
	/* RouterOS /log print: this year's and an earlier year's dates; a bare time has none */
	l = "apr/14 21:06:03 ipsec,error 198.51.100.65 parsing packet failed";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_string_equal(fmt(&m.time), "2026-04-14T21:06:03Z");
	assert_string_equal(l + m.msg, "ipsec,error 198.51.100.65 parsing packet failed");
	l = "dec/31/2025 23:59:59 ipsec,info x";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_string_equal(fmt(&m.time), "2025-12-31T23:59:59Z");
	l = "21:06:03 ipsec,error no suitable proposal found.";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_false(m.time.valid);
	/* PAN-OS: the receive time, alone and after a yearless syslog header (host kept) */
	l = "1,2026/04/14 21:02:45,012801000777,SYSTEM,vpn,0,2026/04/14 21:02:45,,ike-nego-p1-fail";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_string_equal(fmt(&m.time), "2026-04-14T21:02:45Z");
	ips_year_ctx_t other = {.year = 2020};
	l = "Apr 14 21:02:46 pa-fw1 1,2026/04/14 21:02:45,012801000777,SYSTEM,vpn,0";
	ips_parse_line_header(l, strlen(l), &other, &m);
	assert_string_equal(fmt(&m.time), "2026-04-14T21:02:45Z");
	assert_int_equal(m.hostlen, 6);
	assert_memory_equal(m.host, "pa-fw1", 6);
	l = "1,2026/13/14 21:02:45,012801000777,SYSTEM";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_false(m.time.valid);
	/* AWS tunnel log JSON: epoch seconds */
	l = "{\"event_timestamp\":1776200031,\"details\":\"Peer is not responsive - Declaring peer dead\"}";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_int_equal(m.time.sec, 1776200031);
	l = "{\"event_timestamp\":17762000310000,\"details\":\"x\"}";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_false(m.time.valid);
	/* WPP text trace (Scrubbed-wfpdiag.txt) */
	l = "[0]0468.05B0::04/14/2026-21:12:00.120 [ikeext] 812|198.51.100.72|IKE diagnostic event:";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_string_equal(fmt(&m.time), "2026-04-14T21:12:00.120Z");
	assert_string_equal(l + m.msg, "[ikeext] 812|198.51.100.72|IKE diagnostic event:");
	/* SonicOS key=value: time= with UTC, and in the device's zone */
	l = "id=firewall sn=0017C5000777 time=\"2026-04-14 21:07:12 UTC\" fw=192.0.2.10 pri=3 m=1034";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_string_equal(fmt(&m.time), "2026-04-14T21:07:12Z");
	l = "<131>id=firewall sn=0017C5000777 time=\"2026-04-14 21:07:12\" fw=192.0.2.10";
	ips_parse_line_header(l, strlen(l), &yc, &m);
	assert_string_equal(fmt(&m.time), "2026-04-14T21:07:12Z");
}

static void since_until_args(void **state)
{
	(void)state;
	ips_time_t t;
	assert_true(ips_time_parse_arg("24h", 100000, &t));
	assert_int_equal(t.sec, 100000 - 86400);
	assert_true(ips_time_parse_arg("90m", 100000, &t));
	assert_int_equal(t.sec, 100000 - 5400);
	assert_true(ips_time_parse_arg("2026-03-05", 0, &t));
	assert_string_equal(fmt(&t), "2026-03-05T00:00:00Z");
	assert_true(ips_time_parse_arg("2026-03-05T07:00:00Z", 0, &t));
	assert_true(ips_time_parse_arg("2026-03-05T07:00", 0, &t));
	assert_string_equal(fmt(&t), "2026-03-05T07:00:00Z");
	assert_false(ips_time_parse_arg("yesterday", 0, &t));
	assert_false(ips_time_parse_arg("24x", 0, &t));
}

/* The negotiation key a message gives: charon thread/conn/IKE_SA, pluto conn/state. */
static void negotiation_keys(void **state)
{
	(void)state;
	ips_negkey_t k;
	const char *m = "13[IKE] <site|12> received AUTHENTICATION_FAILED notify error";
	ips_parse_negotiation(m, strlen(m), &k);
	assert_string_equal(k.thread, "13");
	assert_string_equal(k.conn, "site");
	assert_string_equal(k.sa, "12");
	m = "08[CFG] <7> selected proposal";
	ips_parse_negotiation(m, strlen(m), &k);
	assert_string_equal(k.sa, "7");
	assert_string_equal(k.conn, "");
	m = "\"site\"[2] 192.0.2.1 #3: STATE_MAIN_I1: retransmission";
	ips_parse_negotiation(m, strlen(m), &k);
	assert_string_equal(k.conn, "site");
	assert_string_equal(k.sa, "#3");
	assert_string_equal(k.thread, "");
	m = "003 \"site\" #1: initiating Main Mode"; /* whack's status prefix */
	ips_parse_negotiation(m, strlen(m), &k);
	assert_string_equal(k.conn, "site");
	assert_string_equal(k.sa, "#1");
	m = "1234[IKE] not a thread: four digits";
	ips_parse_negotiation(m, strlen(m), &k);
	assert_string_equal(k.thread, "");
	m = "\"unterminated";
	ips_parse_negotiation(m, strlen(m), &k);
	assert_string_equal(k.conn, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iso_forms),
		cmocka_unit_test(local_zone_is_used),
		cmocka_unit_test(bsd_and_year),
		cmocka_unit_test(charon_filelog_has_no_host),
		cmocka_unit_test(rfc5424),
		cmocka_unit_test(no_header),
		cmocka_unit_test(fortios_date_fields),
		cmocka_unit_test(azure_vpn_client_headers),
		cmocka_unit_test(gateway_line_times),
		cmocka_unit_test(since_until_args),
		cmocka_unit_test(negotiation_keys),
	};
	return cmocka_run_group_tests(tests, setup_utc, NULL);
}
