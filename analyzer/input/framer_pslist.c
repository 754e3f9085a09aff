/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_pslist.c - PowerShell `Format-List` output of event objects
 * (`Get-EventLog ... | Format-List`, `Get-WinEvent ... | Format-List [*]`):
 *
 *   EventID            : 20111
 *   MachineName        : GW01
 *   Data               : {41, 3, 0, 0}
 *   EntryType          : Error
 *   Message            : RoutingDomainID- {...}: A Demand Dial connection to the remote
 *                        interface Branch on port VPN2-4 was successfully initiated but ...
 *   Source             : RemoteAccess
 *   ReplacementStrings : {{...}, Branch, VPN2-4, The network connection ...}
 *   TimeGenerated      : 3/18/2026 1:26:02 PM
 *
 * A property starts at column 0: a name, one or more spaces (the names are
 * padded to one width), " : " and the value. Longer values go on over
 * continuation lines indented to the value column. A repeated property name
 * starts a new record; after a blank line, so does a property at another
 * value column or one that starts the event views (EventID, TimeCreated,
 * Message); any other property after a blank line belongs to the same
 * record (a message that ends in a line break shows as a blank line before
 * the next property).
 *
 * Console wrapping cannot be told from line breaks in the value. A
 * continuation line is taken as a wrap (joined with a space) when its first
 * word would not have fitted on the line before it at the widest line width
 * seen so far; otherwise as a line break of the value.
 *
 * Collections are shown as "{a, b, c}" and cut after $FormatEnumerationLimit
 * (4) items with "...": ReplacementStrings become the unnamed insertion
 * strings (split at ", " into at most 4, the last taking the rest), and a
 * 4-byte Data (the binary data of the event, e.g. the error code of an RRAS
 * 20111 as little-endian bytes: {41, 3, 0, 0} = 809) becomes DataDword.
 */
#include <stdlib.h>
#include <string.h>

#include "input/winevent.h"
#include "util/util.h"

#define NAME_MAX_LEN 63
#define MAX_NAMES 64
#define ENUM_LIMIT 4 /* PowerShell's default $FormatEnumerationLimit */

typedef struct pslist {
	ips_winlines_framer_t lf; /* a push framer over lines (winevent.h) */
	ips_sink_t *sink;
	ips_winevent_t *ev;
	bool in_record;
	uint64_t events;
	char name[NAME_MAX_LEN + 1]; /* the property being read; "" for none */
	ips_buf_t val;
	size_t vcol;      /* value column of the property line */
	size_t rec_vcol;  /* ... of the event's first property */
	size_t prev_len;  /* display length of the value's last line */
	size_t width;     /* widest line seen */
	unsigned blanks;  /* blank lines not yet placed */
	char seen[MAX_NAMES][NAME_MAX_LEN + 1];
	size_t nseen;
} pslist_t;

static size_t rtrim_len(const char *l, size_t n)
{
	while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
		n--;
	return n;
}

/*
 * "Name   : value" at column 0: *nl the name's length, *vcol where the value
 * starts. The name is a .NET property name; at least one space before the
 * colon (Format-List pads), and a space or the line end after it.
 */
static bool prop_line(const char *l, size_t n, size_t *nl, size_t *vcol)
{
	size_t i = 0;
	if (!n || !((l[0] >= 'A' && l[0] <= 'Z') || (l[0] >= 'a' && l[0] <= 'z') || l[0] == '_'))
		return false;
	while (i < n && i <= NAME_MAX_LEN &&
	       ((l[i] >= 'A' && l[i] <= 'Z') || (l[i] >= 'a' && l[i] <= 'z') ||
		(l[i] >= '0' && l[i] <= '9') || l[i] == '_' || l[i] == '.'))
		i++;
	if (i > NAME_MAX_LEN)
		return false;
	size_t name_len = i;
	size_t sp = 0;
	while (i < n && l[i] == ' ')
		i++, sp++;
	if (!sp || i >= n || l[i] != ':')
		return false;
	i++;
	if (i < n && l[i] != ' ')
		return false;
	if (i < n)
		i++;
	*nl = name_len;
	*vcol = i;
	return true;
}

static bool seen(const pslist_t *p, const char *name)
{
	for (size_t i = 0; i < p->nseen; i++)
		if (!strcmp(p->seen[i], name))
			return true;
	return false;
}

static void trim(const char **v, size_t *n)
{
	while (*n && (**v == ' ' || **v == '\t' || **v == '\n' || **v == '\r'))
		(*v)++, (*n)--;
	while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t' || (*v)[*n - 1] == '\n' ||
		      (*v)[*n - 1] == '\r'))
		(*n)--;
}

/* "{41, 3, 0, 0}" -> 809; false unless exactly four bytes are shown */
static bool data_dword(const char *v, size_t n, unsigned long *out)
{
	unsigned long b[4];
	size_t k = 0, i = 1;
	if (n < 9 || v[0] != '{' || v[n - 1] != '}')
		return false;
	while (i < n - 1) {
		unsigned long x = 0;
		size_t d = 0;
		while (i < n - 1 && v[i] >= '0' && v[i] <= '9' && d < 4)
			x = x * 10 + (unsigned long)(v[i++] - '0'), d++;
		if (!d || x > 255 || k == 4)
			return false;
		b[k++] = x;
		if (i < n - 1) {
			if (v[i] != ',' || i + 1 >= n - 1 || v[i + 1] != ' ')
				return false;
			i += 2;
		}
	}
	if (k != 4)
		return false;
	*out = b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24;
	return true;
}

/* "{a, b, c, d}": the unnamed insertion strings 1..4 */
static void replacement_strings(pslist_t *p, const char *v, size_t n)
{
	if (n < 2 || v[0] != '{' || v[n - 1] != '}')
		return;
	v++, n -= 2;
	if (n >= 3 && !memcmp(v + n - 3, "...", 3))
		n -= 3; /* more items than shown: the last shown one may be cut too */
	for (unsigned pos = 1; n; pos++) {
		const char *e = pos < ENUM_LIMIT ? memmem(v, n, ", ", 2) : NULL;
		size_t l = e ? (size_t)(e - v) : n;
		const char *iv = v;
		size_t in = l;
		trim(&iv, &in);
		char key[32];
		snprintf(key, sizeof key, "ReplacementStrings[%u]", pos - 1);
		if (in)
			ips_winevent_field(p->ev, key, iv, in, false);
		if (!e)
			break;
		v = e + 2;
		n -= l + 2;
	}
}

/* The property read so far goes into the event. */
static void flush_prop(pslist_t *p)
{
	if (!p->name[0])
		return;
	const char *v = p->val.data ? p->val.data : "";
	size_t n = p->val.len;
	trim(&v, &n);
	const char *name = p->name;
	if (!n)
		goto done;
	if (!strcmp(name, "ReplacementStrings")) {
		replacement_strings(p, v, n);
		goto done;
	}
	if (!strcmp(name, "Data")) {
		unsigned long dw;
		char num[16];
		if (data_dword(v, n, &dw)) {
			snprintf(num, sizeof num, "%lu", dw);
			ips_winevent_extra(p->ev, "DataDword", num, strlen(num));
		}
		goto done; /* other binary data says nothing to us */
	}
	if (v[0] == '{' && v[n - 1] == '}') {
		/* a collection: type names (Properties) are no data; else its items */
		if (n > 9 && !memcmp(v + 1, "System.", 7))
			goto done;
		v++, n -= 2;
		trim(&v, &n);
		if (!n)
			goto done;
	}
	if ((!strcmp(name, "Category") && n == 3 && !memcmp(v, "(0)", 3)) ||
	    (!strcmp(name, "CategoryNumber") && n == 1 && v[0] == '0'))
		goto done; /* no category: noise in every classic event */
	if (!strcmp(name, "UserName"))
		name = "UserAccount"; /* Get-EventLog's account, not RasClient's UserName */
	ips_winevent_field(p->ev, name, v, n, false);
done:
	p->name[0] = '\0';
	ips_buf_reset(&p->val);
}

static void finish(pslist_t *p)
{
	flush_prop(p);
	if (p->in_record && !ips_winevent_empty(p->ev)) {
		ips_winevent_emit(p->ev, p->sink);
		p->events++;
	}
	p->in_record = false;
	p->nseen = 0;
}

static void append(pslist_t *p, const char *s, size_t n)
{
	if (ips_buf_append(&p->val, s, n) != IPS_OK)
		ips_winevent_truncated(p->ev);
}

static void on_line(pslist_t *p, const char *l, size_t n, uint64_t off, uint64_t line)
{
	n = rtrim_len(l, n);
	if (!n) {
		if (p->in_record)
			p->blanks++;
		return;
	}
	if (n > p->width)
		p->width = n;
	size_t nl, vcol;
	if (prop_line(l, n, &nl, &vcol)) {
		char name[NAME_MAX_LEN + 1];
		memcpy(name, l, nl);
		name[nl] = '\0';
		/*
		 * A name the event has is the next event; so is, after a blank
		 * line, a name at another value column (another object's padding)
		 * or the first property of an event view (Get-EventLog: EventID,
		 * Get-WinEvent: TimeCreated, or Message with Format-List *).
		 */
		if (p->in_record &&
		    (seen(p, name) ||
		     (p->blanks && (vcol != p->rec_vcol || !strcmp(name, "EventID") ||
				    !strcmp(name, "TimeCreated") || !strcmp(name, "Message")))))
			finish(p);
		flush_prop(p);
		if (!p->in_record) {
			ips_winevent_begin(p->ev, off, line);
			p->in_record = true;
			p->rec_vcol = vcol;
		}
		if (p->nseen < MAX_NAMES)
			memcpy(p->seen[p->nseen++], name, nl + 1);
		memcpy(p->name, name, nl + 1);
		p->vcol = vcol;
		p->blanks = 0;
		if (vcol < n)
			append(p, l + vcol, n - vcol);
		p->prev_len = n;
		return;
	}
	if (!p->in_record || !p->name[0])
		return; /* a prompt or other text outside the properties */
	/* a continuation line: the value column's indentation is not part of it */
	size_t i = 0;
	while (i < n && i < p->vcol && l[i] == ' ')
		i++;
	size_t w = 0;
	while (i + w < n && l[i + w] != ' ' && l[i + w] != '\t')
		w++;
	if (p->blanks) {
		for (; p->blanks; p->blanks--)
			append(p, "\n", 1);
		append(p, "\n", 1);
	} else if (p->val.len) {
		bool wrapped = p->prev_len + 1 + w > p->width;
		append(p, wrapped ? " " : "\n", 1);
	}
	append(p, l + i, n - i);
	p->prev_len = n;
}

static void pslist_line(void *ctx, const char *l, size_t n, uint64_t off, uint64_t line)
{
	on_line(ctx, l, n, off, line);
}

extern const ips_framer_ops_t ips_framer_pslist;

static ips_framer_t *pslist_open(ips_sink_t *sink, const ips_frame_limits_t *lim,
                                 const ips_frame_start_t *at)
{
	pslist_t *p = ips_framer_alloc(sizeof *p);
	p->sink = sink;
	p->ev = ips_winevent_new(lim->max_record);
	ips_buf_init(&p->val, lim->max_record);
	ips_winlines_init(&p->lf, lim->block + lim->max_record, at, p->ev, pslist_line, p);
	return &p->lf.f;
}

static void pslist_end(ips_framer_t *f, bool broken)
{
	pslist_t *p = (pslist_t *)f;
	uint64_t bytes = ips_winlines_end(&p->lf, broken);
	finish(p);
	ips_framer_done(f, p->events, bytes);
}

static void pslist_free(ips_framer_t *f)
{
	pslist_t *p = (pslist_t *)f;
	free(p->lf.buf);
	ips_buf_free(&p->val);
	ips_winevent_free(p->ev);
	free(p);
}

static ips_status_t pslist_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	return ips_framer_pump(&ips_framer_pslist, src, sink, lim);
}

/*
 * Format-List output of event objects: within the first lines, property
 * lines at column 0 with a space before the colon, naming an event id
 * (EventID, InstanceId, Id) and at least one other event property.
 */
static int pslist_sniff(const unsigned char *h, size_t n, const char *path)
{
	(void)path;
	static const char *const ids[] = {"EventID", "InstanceId", "Id", NULL};
	static const char *const others[] = {"TimeGenerated", "TimeCreated", "Source", "ProviderName",
					     "MachineName", "Message", "EntryType", "LogName",
					     "LevelDisplayName", "ReplacementStrings", NULL};
	bool id = false;
	int other = 0, props = 0, lines = 0, before = 0;
	size_t pos = 0;
	while (pos < n && lines < 200) {
		const unsigned char *e = memchr(h + pos, '\n', n - pos);
		size_t len = e ? (size_t)(e - (h + pos)) : n - pos;
		const char *l = (const char *)h + pos;
		pos += len + 1;
		lines++;
		len = rtrim_len(l, len);
		if (!len)
			continue;
		size_t nl, vcol;
		if (!prop_line(l, len, &nl, &vcol)) {
			if (!props && l[0] != ' ' && ++before > 5)
				return 0;
			continue;
		}
		props++;
		for (int i = 0; ids[i]; i++)
			if (strlen(ids[i]) == nl && !memcmp(ids[i], l, nl))
				id = true;
		for (int i = 0; others[i]; i++)
			if (strlen(others[i]) == nl && !memcmp(others[i], l, nl))
				other++;
		if (!e)
			break;
	}
	return id && other >= 1 && props >= 3 ? 92 : 0;
}

const ips_framer_ops_t ips_framer_pslist = {
	.name = "pslist", .sniff = pslist_sniff, .run = pslist_run,
	.open = pslist_open, .feed = ips_winlines_feed, .end = pslist_end, .free = pslist_free,
	.room = ips_winlines_room, .filled = ips_winlines_filled,
};
