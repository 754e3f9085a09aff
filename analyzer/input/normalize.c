/* SPDX-License-Identifier: Apache-2.0 */
/* normalize.c - see normalize.h. */
#include "input/normalize.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static bool isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* n digits at s as a number, or -1. */
static int num(const char *s, size_t avail, size_t n)
{
	if (avail < n)
		return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdig(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int64_t ips_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's days_from_civil */
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int64_t utc_seconds(int y, int mo, int d, int h, int mi, int s)
{
	return ips_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
}

int64_t ips_local_to_utc(int year, int mon, int day, int hour, int min, int sec)
{
	struct tm tm = {0};
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1)
		return utc_seconds(year, mon, day, hour, min, sec);
	return (int64_t)t;
}

static bool valid_civil(int y, int mo, int d, int h, int mi, int s)
{
	return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 &&
	       h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

/* ".123456" or ",123" followed by a digit: the fraction; returns bytes used. */
static size_t parse_frac(const char *s, size_t n, ips_time_t *t)
{
	if (n < 2 || (s[0] != '.' && s[0] != ',') || !isdig(s[1]))
		return 0;
	size_t i = 1;
	int32_t ns = 0;
	int digits = 0;
	while (i < n && isdig(s[i])) {
		if (digits < 9) {
			ns = ns * 10 + (s[i] - '0');
			digits++;
		}
		i++;
	}
	t->frac = (int8_t)digits;
	for (int k = digits; k < 9; k++)
		ns *= 10;
	t->nsec = ns;
	return i;
}

size_t ips_time_parse_iso(const char *s, size_t n, ips_time_t *out)
{
	ips_time_t t = {0};
	int y = num(s, n, 4), mo, d, h, mi, se;
	if (y < 0 || n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return 0;
	mo = num(s + 5, n - 5, 2);
	d = num(s + 8, n - 8, 2);
	h = num(s + 11, n - 11, 2);
	mi = num(s + 14, n - 14, 2);
	se = num(s + 17, n - 17, 2);
	if (!valid_civil(y, mo, d, h, mi, se))
		return 0;
	size_t i = 19;
	i += parse_frac(s + i, n - i, &t);
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		t.sec = utc_seconds(y, mo, d, h, mi, se);
		i++;
	} else if (i + 3 <= n && (s[i] == '+' || s[i] == '-') && isdig(s[i + 1]) &&
		   isdig(s[i + 2])) {
		int sign = s[i] == '-' ? -1 : 1;
		int oh = num(s + i + 1, n - i - 1, 2), om = 0;
		size_t j = i + 3;
		if (j < n && s[j] == ':' && num(s + j + 1, n - j - 1, 2) >= 0) {
			om = num(s + j + 1, n - j - 1, 2);
			j += 3;
		} else if (num(s + j, n - j, 2) >= 0) {
			om = num(s + j, n - j, 2);
			j += 2;
		}
		if (oh > 23 || om > 59)
			return 0; /* RFC 3339 time-numoffset: 00-23, 00-59 (+99:99 is no zone) */
		t.sec = utc_seconds(y, mo, d, h, mi, se) - sign * (oh * 3600 + om * 60);
		i = j;
	} else {
		t.sec = ips_local_to_utc(y, mo, d, h, mi, se);
	}
	t.valid = true;
	*out = t;
	return i;
}

static int month_at(const char *s, size_t n)
{
	if (n < 3)
		return 0;
	for (int m = 0; m < 12; m++)
		if (!memcmp(s, months[m], 3))
			return m + 1;
	return 0;
}

static int infer_year(int mo, int d, const ips_year_ctx_t *yc)
{
	if (yc && yc->year)
		return yc->year;
	time_t ref = (yc && yc->ref) ? (time_t)yc->ref : time(NULL);
	struct tm tm;
	gmtime_r(&ref, &tm);
	int y = tm.tm_year + 1900;
	/* A date later than the file's own time belongs to the previous year. */
	if (mo > tm.tm_mon + 1 || (mo == tm.tm_mon + 1 && d > tm.tm_mday + 1))
		y--;
	return y;
}

/* "hh:mm:ss" at s; returns 8 or 0. */
static size_t parse_hms(const char *s, size_t n, int *h, int *mi, int *se)
{
	if (n < 8 || s[2] != ':' || s[5] != ':')
		return 0;
	*h = num(s, n, 2);
	*mi = num(s + 3, n - 3, 2);
	*se = num(s + 6, n - 6, 2);
	return (*h >= 0 && *mi >= 0 && *se >= 0) ? 8 : 0;
}

/* BSD "Mar  1 10:00:00[.frac]" or day-first "17 Aug 04:14:35"; returns bytes used. */
static size_t parse_bsd(const char *s, size_t n, const ips_year_ctx_t *yc, ips_time_t *out)
{
	int mo, d, h, mi, se;
	size_t i;
	ips_time_t t = {0};
	if ((mo = month_at(s, n)) && n > 4 && s[3] == ' ') {
		i = 4;
		if (s[i] == ' ')
			i++;
		if (i < n && isdig(s[i]) && i + 1 < n && isdig(s[i + 1])) {
			d = num(s + i, n - i, 2);
			i += 2;
		} else if (i < n && isdig(s[i])) {
			d = s[i] - '0';
			i++;
		} else {
			return 0;
		}
	} else if (n > 7 && isdig(s[0]) && (isdig(s[1]) ? s[2] == ' ' : s[1] == ' ')) {
		i = isdig(s[1]) ? 2 : 1;
		d = num(s, n, i);
		i++;
		if (!(mo = month_at(s + i, n - i)) || i + 3 >= n || s[i + 3] != ' ')
			return 0;
		i += 3; /* at the space before the time, as in the BSD branch */
	} else {
		return 0;
	}
	if (i >= n || s[i] != ' ')
		return 0;
	i++;
	/* "Jan 31 2025 12:00:00" (Cisco) carries the year */
	int y = 0;
	if (num(s + i, n - i, 4) >= 1970 && i + 4 < n && s[i + 4] == ' ') {
		y = num(s + i, n - i, 4);
		i += 5;
	}
	size_t k = parse_hms(s + i, n - i, &h, &mi, &se);
	if (!k)
		return 0;
	i += k;
	if (!y)
		y = infer_year(mo, d, yc);
	if (!valid_civil(y, mo, d, h, mi, se))
		return 0;
	i += parse_frac(s + i, n - i, &t);
	t.sec = ips_local_to_utc(y, mo, d, h, mi, se);
	t.valid = true;
	*out = t;
	return i;
}

static bool hostchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isdig(c) || c == '-' ||
	       c == '.' || c == '_' || c == ':';
}

/* A program tag: "charon:", "pluto[1234]:", "%ASA-4-750003:" or "kmd[13862]:". */
static size_t prog_tag(const char *s, size_t n, size_t *namelen)
{
	size_t i = 0;
	while (i < n && s[i] != ' ' && s[i] != '[' && s[i] != ':')
		i++;
	if (!i || i >= n)
		return 0;
	*namelen = i;
	if (s[i] == '[') {
		while (i < n && s[i] != ']')
			i++;
		if (i >= n)
			return 0;
		i++;
	}
	if (i < n && s[i] == ':')
		return i + 1;
	return 0;
}

/*
 * FortiOS key=value logs carry their time as fields at the start of the
 * message: "date=2026-03-05 time=08:01:10", in the device's local time, and
 * from FortiOS 6.2 on also tz="+0100" (that offset is used when present,
 * else --tz). The fields are read only where the message starts with them.
 */
static bool parse_kv_date(const char *s, size_t n, ips_time_t *out)
{
	/* date=YYYY-MM-DD time=HH:MM:SS */
	if (n < 29 || memcmp(s, "date=", 5) || s[9] != '-' || s[12] != '-' ||
	    memcmp(s + 15, " time=", 6) || s[23] != ':' || s[26] != ':')
		return false;
	int y = num(s + 5, n - 5, 4), mo = num(s + 10, n - 10, 2), d = num(s + 13, n - 13, 2);
	int h = num(s + 21, n - 21, 2), mi = num(s + 24, n - 24, 2), se = num(s + 27, n - 27, 2);
	if (!valid_civil(y, mo, d, h, mi, se))
		return false;
	const char *tz = NULL;
	size_t lim = n < 400 ? n : 400;
	for (size_t i = 29; i + 9 < lim && !tz; i++)
		if (s[i - 1] == ' ' && !memcmp(s + i, "tz=\"", 4))
			tz = s + i + 4;
	int oh, om;
	if (tz && (tz[0] == '+' || tz[0] == '-') && (oh = num(tz + 1, 4, 2)) >= 0 &&
	    (om = num(tz + 3, 2, 2)) >= 0 && tz[5] == '"' && oh <= 14 && om <= 59) {
		int64_t off = (int64_t)oh * 3600 + om * 60;
		out->sec = utc_seconds(y, mo, d, h, mi, se) - (tz[0] == '-' ? -off : off);
	} else {
		out->sec = ips_local_to_utc(y, mo, d, h, mi, se);
	}
	out->nsec = 0;
	out->frac = 0;
	out->valid = true;
	return true;
}

/*
 * The Azure VPN Client's own log files (docs/formats.md, "Azure VPN Client"):
 *   Windows app:   "[M/D/YYYY h:mm:ss AM] PId:[00015412] TId:[00010716] [Component] [] [Level] text"
 *   macOS client:  "MM/DD/YYYY HH:MM:SS.mmm LEVEL com.microsoft.AzureVpnMac.component TID=n ..."
 * Month first, local time. Only read when the rest of the header follows
 * (" PId:[" or " com.microsoft.AzureVpn"), so that no other day/month
 * order is taken for these. Returns the offset of the message, 0 if none.
 */
static size_t dnum(const char *s, size_t n, size_t *i, size_t maxd)
{
	size_t start = *i;
	int v = 0;
	while (*i < n && *i - start < maxd && isdig(s[*i]))
		v = v * 10 + (s[(*i)++] - '0');
	return *i > start ? (size_t)v + 1 : 0; /* value + 1; 0: no digits */
}

static size_t parse_azvpn(const char *s, size_t n, ips_time_t *out)
{
	size_t i = 0, mo, d, y, h, mi, se;
	bool win = n > 0 && s[0] == '[';
	if (win)
		i++;
	if (!(mo = dnum(s, n, &i, 2)) || i >= n || s[i++] != '/' || !(d = dnum(s, n, &i, 2)) ||
	    i >= n || s[i++] != '/' || !(y = dnum(s, n, &i, 4)) || i >= n || s[i++] != ' ' ||
	    !(h = dnum(s, n, &i, 2)) || i >= n || s[i++] != ':' || !(mi = dnum(s, n, &i, 2)) ||
	    i >= n || s[i++] != ':' || !(se = dnum(s, n, &i, 2)))
		return 0;
	int hour = (int)h - 1;
	ips_time_t t = { 0 };
	if (win) {
		if (i + 4 > n || s[i] != ' ' || (s[i + 1] != 'A' && s[i + 1] != 'P') || s[i + 2] != 'M' ||
		    s[i + 3] != ']' || hour < 1 || hour > 12)
			return 0;
		hour = hour % 12 + (s[i + 1] == 'P' ? 12 : 0);
		i += 4;
		if (i + 6 > n || memcmp(s + i, " PId:[", 6))
			return 0;
	} else {
		size_t f = i < n && s[i] == '.' ? parse_frac(s + i, n - i, &t) : 0;
		i += f;
		size_t j = i;
		if (j < n && s[j] == ' ')
			j++;
		while (j < n && s[j] >= 'A' && s[j] <= 'Z')
			j++;
		static const char tag[] = " com.microsoft.AzureVpn";
		if (j == i + 1 || j + sizeof tag - 1 > n || memcmp(s + j, tag, sizeof tag - 1))
			return 0;
	}
	if (!valid_civil((int)y - 1, (int)mo - 1, (int)d - 1, hour, (int)mi - 1, (int)se - 1))
		return 0;
	t.sec = ips_local_to_utc((int)y - 1, (int)mo - 1, (int)d - 1, hour, (int)mi - 1, (int)se - 1);
	t.valid = true;
	*out = t;
	while (i < n && s[i] == ' ')
		i++;
	return i;
}

/*
 * Gateway layouts whose lines do not start with a syslog or ISO time (each
 * returns the bytes of the time prefix it read, 0 when the line is not
 * that layout; *msg_at: where the message starts).
 */

/* Cisco IOS debug and logging buffer: an optional sequence number
 * ("000123: "), then '*' (clock not set) or '.' (clock not synchronised)
 * before a BSD time with milliseconds: "*Mar  5 08:01:10.101: ". */
static size_t ios_time(const char *s, size_t n, const ips_year_ctx_t *yc, ips_time_t *out)
{
	size_t i = 0;
	while (i < n && i < 10 && isdig(s[i]))
		i++;
	if (i && i + 1 < n && s[i] == ':' && s[i + 1] == ' ')
		i += 2;
	else
		i = 0;
	bool mark = i < n && (s[i] == '*' || s[i] == '.');
	if (mark)
		i++;
	if (!mark && !i)
		return 0; /* a plain BSD time was tried before */
	size_t k = parse_bsd(s + i, n - i, yc, out);
	return k ? i + k : 0;
}

/* MikroTik RouterOS `/log print`: "mar/05 08:01:10 " (this year) or
 * "mar/05/2025 08:01:10 " (an earlier year); a bare "08:01:10" (today) has
 * no date and gives no time. */
static size_t routeros_time(const char *s, size_t n, const ips_year_ctx_t *yc, ips_time_t *out)
{
	static const char *const mon[] = {"jan", "feb", "mar", "apr", "may", "jun",
					  "jul", "aug", "sep", "oct", "nov", "dec"};
	if (n < 16 || s[3] != '/' || !isdig(s[4]) || !isdig(s[5]))
		return 0;
	int mo = 0;
	for (int m = 0; m < 12 && !mo; m++)
		if (!memcmp(s, mon[m], 3))
			mo = m + 1;
	if (!mo)
		return 0;
	int d = num(s + 4, n - 4, 2), y = 0, h, mi, se;
	size_t i = 6;
	if (s[i] == '/' && (y = num(s + 7, n - 7, 4)) >= 1970)
		i = 11;
	if (i >= n || s[i] != ' ')
		return 0;
	i++;
	size_t k = parse_hms(s + i, n - i, &h, &mi, &se);
	if (!k)
		return 0;
	if (!y)
		y = infer_year(mo, d, yc);
	if (!valid_civil(y, mo, d, h, mi, se))
		return 0;
	memset(out, 0, sizeof *out);
	out->sec = ips_local_to_utc(y, mo, d, h, mi, se);
	out->valid = true;
	return i + k;
}

/* PAN-OS syslog CSV: FUTURE_USE, then the receive time "YYYY/MM/DD HH:MM:SS"
 * (the firewall's zone): "1,2026/03/05 08:01:10,SERIAL,SYSTEM,...". */
static bool panos_time(const char *s, size_t n, ips_time_t *out)
{
	size_t i = 0;
	while (i < n && i < 4 && isdig(s[i]))
		i++;
	if (!i || n < i + 21 || s[i] != ',')
		return false;
	const char *t = s + i + 1;
	if (t[4] != '/' || t[7] != '/' || t[10] != ' ' || t[19] != ',')
		return false;
	int y = num(t, 4, 4), mo = num(t + 5, 2, 2), d = num(t + 8, 2, 2), h, mi, se;
	if (!parse_hms(t + 11, 8, &h, &mi, &se) || !valid_civil(y, mo, d, h, mi, se))
		return false;
	memset(out, 0, sizeof *out);
	out->sec = ips_local_to_utc(y, mo, d, h, mi, se);
	out->valid = true;
	return true;
}

/* AWS Site-to-Site VPN tunnel log as JSON: "event_timestamp" in epoch seconds. */
static bool aws_time(const char *s, size_t n, ips_time_t *out)
{
	static const char key[] = "\"event_timestamp\":";
	size_t lim = n < 256 ? n : 256;
	const char *k = memmem(s, lim, key, sizeof key - 1);
	if (!k)
		return false;
	size_t i = (size_t)(k - s) + sizeof key - 1;
	while (i < n && s[i] == ' ')
		i++;
	int64_t v = 0;
	size_t d = 0;
	while (i < n && isdig(s[i]) && d < 11) {
		v = v * 10 + (s[i++] - '0');
		d++;
	}
	if (d < 9 || d > 10 || (i < n && isdig(s[i])))
		return false;
	memset(out, 0, sizeof *out);
	out->sec = v;
	out->valid = true;
	return true;
}

/* A WPP trace as text (Azure's Scrubbed-wfpdiag.txt):
 * "[0]0368.03A4::02/02/2017-17:36:01.496 [ikeext] ..." (local time). */
static size_t wpp_time(const char *s, size_t n, ips_time_t *out)
{
	const char *c = n > 40 ? memmem(s, 24, "::", 2) : NULL;
	if (!c)
		return 0;
	size_t i = (size_t)(c - s) + 2;
	if (n < i + 19)
		return 0;
	const char *t = s + i;
	if (t[2] != '/' || t[5] != '/' || t[10] != '-')
		return 0;
	int mo = num(t, 2, 2), d = num(t + 3, 2, 2), y = num(t + 6, 4, 4), h, mi, se;
	if (!parse_hms(t + 11, n - i - 11, &h, &mi, &se) || !valid_civil(y, mo, d, h, mi, se))
		return 0;
	ips_time_t tm = {0};
	size_t k = i + 19 + parse_frac(t + 19, n - i - 19, &tm);
	tm.sec = ips_local_to_utc(y, mo, d, h, mi, se);
	tm.valid = true;
	*out = tm;
	return k;
}

/* SonicOS syslog without a header: "id=firewall sn=SERIAL time="YYYY-MM-DD
 * HH:MM:SS[ UTC]" ..." (the device's zone unless it says UTC). */
static bool sonicwall_time(const char *s, size_t n, ips_time_t *out)
{
	static const char key[] = " time=\"";
	if (n < 12 || memcmp(s, "id=firewall ", 12))
		return false;
	size_t lim = n < 160 ? n : 160;
	const char *k = memmem(s, lim, key, sizeof key - 1);
	if (!k)
		return false;
	size_t i = (size_t)(k - s) + sizeof key - 1;
	if (n < i + 20)
		return false;
	const char *t = s + i;
	if (t[4] != '-' || t[7] != '-' || t[10] != ' ')
		return false;
	int y = num(t, 4, 4), mo = num(t + 5, 2, 2), d = num(t + 8, 2, 2), h, mi, se;
	if (!parse_hms(t + 11, n - i - 11, &h, &mi, &se) || !valid_civil(y, mo, d, h, mi, se))
		return false;
	memset(out, 0, sizeof *out);
	bool utc = n >= i + 24 && !memcmp(t + 19, " UTC", 4);
	out->sec = utc ? utc_seconds(y, mo, d, h, mi, se) : ips_local_to_utc(y, mo, d, h, mi, se);
	out->valid = true;
	return true;
}

/* The gateway layouts above, for a line without a syslog or ISO time at i. */
static void gateway_time(const char *line, size_t len, size_t i, const ips_year_ctx_t *yc,
			 ips_line_meta_t *out)
{
	const char *s = line + i;
	size_t n = len - i, k = 0;
	if (!n)
		return;
	if (parse_kv_date(s, n, &out->time) || panos_time(s, n, &out->time) ||
	    sonicwall_time(s, n, &out->time))
		return;
	if (s[0] == '{') {
		(void)aws_time(s, n, &out->time);
		return;
	}
	if (s[0] == '[')
		k = wpp_time(s, n, &out->time);
	else if (s[0] >= 'a' && s[0] <= 's')
		k = routeros_time(s, n, yc, &out->time);
	else
		k = ios_time(s, n, yc, &out->time);
	if (!k)
		return;
	i += k;
	if (i < len && line[i] == ':')
		i++;
	while (i < len && line[i] == ' ')
		i++;
	out->msg = i;
}

void ips_parse_line_header(const char *line, size_t len, const ips_year_ctx_t *yc,
			   ips_line_meta_t *out)
{
	memset(out, 0, sizeof *out);
	size_t i = 0;
	bool rfc5424 = false;
	if (len > 2 && line[0] == '<') {
		size_t j = 1;
		while (j < len && j < 5 && isdig(line[j]))
			j++;
		if (j > 1 && j < len && line[j] == '>') {
			i = j + 1;
			if (i + 1 < len && line[i] == '1' && line[i + 1] == ' ') {
				i += 2;
				rfc5424 = true;
			}
		}
	}
	size_t k = ips_time_parse_iso(line + i, len - i, &out->time);
	if (!k)
		k = parse_bsd(line + i, len - i, yc, &out->time);
	if (!k) {
		out->msg = i;
		size_t a = parse_azvpn(line + i, len - i, &out->time);
		if (a)
			out->msg = i + a;
		else
			gateway_time(line, len, i, yc, out);
		return;
	}
	i += k;
	if (i < len && line[i] == ':') /* pluto logfile: "Jan 31 12:00:00.123456: " */
		i++;
	while (i < len && line[i] == ' ')
		i++;
	out->msg = i;
	/* host: a host-like word followed by a program tag (or, in RFC 5424, always) */
	size_t h = i;
	while (h < len && hostchar(line[h]))
		h++;
	if (h > i && h < len && line[h] == ' ') {
		size_t namelen = 0;
		size_t tag = prog_tag(line + h + 1, len - h - 1, &namelen);
		if (rfc5424 || tag) {
			out->host = line + i;
			out->hostlen = h - i;
			if (rfc5424 && out->hostlen == 1 && line[i] == '-')
				out->host = NULL;
			out->prog = line + h + 1;
			out->proglen = rfc5424 ? 0 : namelen;
			if (rfc5424) {
				size_t p = h + 1;
				while (p < len && line[p] != ' ')
					p++;
				out->proglen = p - h - 1;
			}
			out->msg = tag ? h + 1 + tag : h + 1;
			while (out->msg < len && line[out->msg] == ' ')
				out->msg++;
		} else if (panos_time(line + h + 1, len - h - 1, &out->time)) {
			/* PAN-OS: "Mar  5 08:01:10 pa-fw1 1,2026/03/05 08:01:10,...": the
			 * receive time carries the year */
			out->host = line + i;
			out->hostlen = h - i;
			out->msg = h + 1;
		}
	}
}

size_t ips_time_format(const ips_time_t *t, char *buf, size_t n)
{
	if (!t->valid)
		return (size_t)snprintf(buf, n, "-");
	time_t s = (time_t)t->sec;
	struct tm tm;
	gmtime_r(&s, &tm);
	int w = snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (w < 0 || (size_t)w >= n)
		return 0;
	if (t->frac > 0) {
		char f[16];
		snprintf(f, sizeof f, "%09d", t->nsec);
		w += snprintf(buf + w, n - (size_t)w, ".%.*s", t->frac, f);
	}
	w += snprintf(buf + w, n - (size_t)w, "Z");
	return (size_t)w;
}

bool ips_time_parse_arg(const char *s, int64_t now, ips_time_t *out)
{
	size_t n = strlen(s);
	if (!n)
		return false;
	/* a duration before now */
	size_t i = 0;
	int64_t v = 0;
	while (i < n && isdig(s[i]) && i < 12)
		v = v * 10 + (s[i++] - '0');
	if (i > 0 && i + 1 == n) {
		int64_t mul = s[i] == 's' ? 1 : s[i] == 'm' ? 60 : s[i] == 'h' ? 3600
			      : s[i] == 'd' ? 86400 : s[i] == 'w' ? 604800 : 0;
		if (mul) {
			out->sec = now - v * mul;
			out->nsec = 0;
			out->frac = 0;
			out->valid = true;
			return true;
		}
	}
	if (ips_time_parse_iso(s, n, out) == n)
		return true;
	/* a bare date: midnight local time */
	if (n == 10 && s[4] == '-' && s[7] == '-') {
		int y = num(s, n, 4), mo = num(s + 5, 2, 2), d = num(s + 8, 2, 2);
		if (y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31) {
			out->sec = ips_local_to_utc(y, mo, d, 0, 0, 0);
			out->nsec = 0;
			out->frac = 0;
			out->valid = true;
			return true;
		}
	}
	/* "2026-03-05T10:00" without seconds */
	if (n == 16 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == ' ') && s[13] == ':') {
		char full[32];
		snprintf(full, sizeof full, "%s:00", s);
		return ips_time_parse_iso(full, n + 3, out) == n + 3;
	}
	return false;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Read "13[IKE] <site|1> ...", "13[IKE2] <1> ..." (charon) and
 * "\"site\"[2] 192.0.2.1 #3: ..." / "\"site\" #3: ..." (pluto).
 */
void ips_parse_negotiation(const char *m, size_t n, ips_negkey_t *c)
{
	memset(c, 0, sizeof *c);
	size_t i = 0;
	while (i < n && i < 3 && is_digit(m[i]))
		i++;
	if (i > 0 && i < n && m[i] == '[') {
		size_t j = i + 1;
		while (j < n && j < i + 8 && m[j] >= 'A' && m[j] <= 'Z')
			j++;
		while (j < n && is_digit(m[j]))
			j++;
		if (j < n && m[j] == ']') {
			snprintf(c->thread, sizeof c->thread, "%.*s", (int)i, m);
			i = j + 1;
			while (i < n && m[i] == ' ')
				i++;
			if (i < n && m[i] == '<') {
				size_t e = i + 1;
				while (e < n && m[e] != '>' && e < i + 120)
					e++;
				if (e < n && m[e] == '>') {
					const char *bar = memchr(m + i + 1, '|', e - i - 1);
					const char *num = bar ? bar + 1 : m + i + 1;
					size_t numlen = (size_t)(m + e - num);
					bool alldig = numlen > 0 && numlen < sizeof c->sa;
					for (size_t k = 0; k < numlen && alldig; k++)
						alldig = is_digit(num[k]);
					if (alldig)
						snprintf(c->sa, sizeof c->sa, "%.*s", (int)numlen, num);
					if (bar && (size_t)(bar - m - i - 1) < sizeof c->conn)
						snprintf(c->conn, sizeof c->conn, "%.*s", (int)(bar - m - i - 1),
							 m + i + 1);
				}
			}
			return;
		}
	}
	/* pluto: "site": ..., "site"[2] 192.0.2.1: ..., "site" #3: ...; whack's
	 * output puts a three-digit status code first ("003 \"site\" #1: ...") */
	if (n > 4 && is_digit(m[0]) && is_digit(m[1]) && is_digit(m[2]) && m[3] == ' ') {
		m += 4;
		n -= 4;
	}
	if (n < 3 || m[0] != '"')
		return;
	const char *q2 = memchr(m + 1, '"', n - 1 < 100 ? n - 1 : 100);
	if (!q2 || q2 - m - 1 <= 0 || q2 - m - 1 >= (long)sizeof c->conn)
		return;
	if (q2 + 1 < m + n && q2[1] == ',')
		return; /* a quoted CSV field (an NPS log), not a pluto connection */
	snprintf(c->conn, sizeof c->conn, "%.*s", (int)(q2 - m - 1), m + 1);
	const char *p = q2 + 1;
	const char *end = m + n;
	const char *limit = p + 80 < end ? p + 80 : end;
	while (p < limit && *p != '#' && *p != ':')
		p++;
	if (p < limit && *p == '#') {
		const char *d = p + 1;
		while (d < end && is_digit(*d))
			d++;
		if (d > p + 1 && d < end && *d == ':')
			snprintf(c->sa, sizeof c->sa, "#%.*s", (int)(d - p - 1), p + 1);
	}
}
