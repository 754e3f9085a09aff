/* SPDX-License-Identifier: Apache-2.0 */
/*
 * framer_ciscoshow.c - `show crypto ...` output of Cisco IOS/IOS-XE and the
 * ASA (format cisco-show), as pasted into support bundles.
 *
 * Every line goes to the scanner as a line (blocks of lines, like the line
 * formats), so the detectors for single lines (`State : MM_WAIT_MSG2`,
 * `#recv errors 37`) see them. One fact spans lines, though: in `show crypto
 * ipsec sa` an SA's `#pkts encaps:` and `#pkts decaps:` counters sit on two
 * lines of one block. This reader follows the blocks and, after the lines of
 * each SA block, hands over one more record that sums the block up:
 *
 *   show crypto ipsec sa: peer=203.0.113.9 local=192.0.2.1 interface=outside
 *   map=outside_map local_ident=10.1.0.0/255.255.0.0/0/0
 *   remote_ident=10.2.0.0/255.255.0.0/0/0 pkts_encaps=1520 pkts_decaps=0
 *   send_errors=0 recv_errors=37
 *
 * (one line) with the same names as fields, at the line and offset where the
 * block starts. The layout, from Cisco's documented output of both platforms:
 *
 *   interface: outside                                   (starts an interface)
 *       Crypto map tag: outside_map, seq num: 10, local addr: 192.0.2.1
 *                                       (IOS: "Crypto map tag: M, local addr A")
 *   peer address: 203.0.113.9           (ASA `show crypto ipsec sa peer A`)
 *       local ident (addr/mask/prot/port): (10.1.0.0/255.255.0.0/0/0)
 *                                       (starts an SA block; IOS writes
 *                                        "local  ident", two spaces)
 *       remote ident (addr/mask/prot/port): (10.2.0.0/255.255.0.0/0/0)
 *       current_peer: 203.0.113.9       (IOS: "current_peer 203.0.113.9 port 500")
 *       #pkts encaps: 1520, #pkts encrypt: 1520, #pkts digest: 1520
 *       #pkts decaps: 0, #pkts decrypt: 0, #pkts verify: 0
 *       #send errors: 0, #recv errors: 37       (IOS: no colons)
 *       local crypto endpt.: 192.0.2.1/0, remote crypto endpt.: 203.0.113.9/0
 *
 * A block ends at the next `local ident`, `interface:`, `peer address:`, a
 * command prompt ("asa-edge# show ...", whose name becomes the records'
 * host) or the end of the input. Output pasted with other text around it is
 * fine: lines that are none of these leave the state alone.
 *
 * This is a snapshot, not a growing log, so it is not a line format for
 * cron mode (ips_framer_is_lines() is false: a changed file is read again
 * from its start). Values are copied into fixed buffers (cut at their size).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/framer.h"
#include "input/framer_gateways.h"
#include "util/util.h"

#define VAL 64

typedef struct sa_block {
	bool open;             /* inside an SA block */
	bool counted;          /* an encaps or decaps counter was seen */
	uint64_t offset, line; /* where the block starts */
	char peer[VAL], local[VAL], local_ident[VAL], remote_ident[VAL];
	char encaps[24], decaps[24], send_err[24], recv_err[24];
} sa_block_t;

typedef struct show_state {
	char host[VAL];        /* from the last prompt */
	char iface[VAL];
	char map[VAL];
	char map_local[VAL];   /* the crypto map's local address */
	char peer_hint[VAL];   /* from "peer address:" */
	sa_block_t b;
	char text[1024];
	uint64_t emitted;
} show_state_t;

/* Copy the token at s (up to a delimiter in stop, white space or the end). */
static void copy_tok(char *dst, size_t cap, const char *s, size_t n, const char *stop)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	size_t k = 0;
	while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && !strchr(stop, s[i]) &&
	       k + 1 < cap)
		dst[k++] = s[i++];
	dst[k] = '\0';
}

/* The text after `key` in the line, or NULL. */
static const char *after(const char *p, size_t n, const char *key, size_t *rest)
{
	size_t l = strlen(key);
	const char *q = l <= n ? memmem(p, n, key, l) : NULL;
	if (!q)
		return NULL;
	*rest = n - (size_t)(q - p) - l;
	return q + l;
}

/* A counter "#pkts encaps: 12" or "#recv errors 3": the digits after key. */
static void counter(char *dst, size_t cap, const char *p, size_t n, const char *key)
{
	size_t r;
	const char *v = after(p, n, key, &r);
	if (!v)
		return;
	size_t i = 0;
	if (i < r && v[i] == ':')
		i++;
	while (i < r && v[i] == ' ')
		i++;
	size_t k = 0;
	while (i < r && v[i] >= '0' && v[i] <= '9' && k + 1 < cap)
		dst[k++] = v[i++];
	if (k)
		dst[k] = '\0';
}

static void put(show_state_t *s, size_t *w, const char *name, const char *v)
{
	if (!v[0] || *w >= sizeof s->text)
		return;
	int k = snprintf(s->text + *w, sizeof s->text - *w, " %s=%s", name, v);
	if (k > 0)
		*w += (size_t)k;
	if (*w >= sizeof s->text)
		*w = sizeof s->text - 1;
}

static void emit(show_state_t *s, ips_sink_t *sink)
{
	sa_block_t *b = &s->b;
	if (b->open && b->counted) {
		const char *local = b->local[0] ? b->local : s->map_local;
		const char *peer = b->peer[0] ? b->peer : s->peer_hint;
		size_t w = (size_t)snprintf(s->text, sizeof s->text, "show crypto ipsec sa:");
		put(s, &w, "peer", peer);
		put(s, &w, "local", local);
		put(s, &w, "interface", s->iface);
		put(s, &w, "map", s->map);
		put(s, &w, "local_ident", b->local_ident);
		put(s, &w, "remote_ident", b->remote_ident);
		put(s, &w, "pkts_encaps", b->encaps);
		put(s, &w, "pkts_decaps", b->decaps);
		put(s, &w, "send_errors", b->send_err);
		put(s, &w, "recv_errors", b->recv_err);
		ips_kv_t kv[10];
		size_t nkv = 0;
#define KV(k, v) do { if ((v)[0]) { kv[nkv].key = (char *)(k); kv[nkv].value = (char *)(v); nkv++; } } while (0)
		KV("peer", peer);
		KV("local", local);
		KV("interface", s->iface);
		KV("conn", s->map);
		KV("local_ident", b->local_ident);
		KV("remote_ident", b->remote_ident);
		KV("pkts_encaps", b->encaps);
		KV("pkts_decaps", b->decaps);
		KV("send_errors", b->send_err);
		KV("recv_errors", b->recv_err);
#undef KV
		ips_record_t rec = {.text = s->text, .len = w, .offset = b->offset, .line = b->line,
				    .host = s->host[0] ? s->host : NULL, .fields = kv, .nfields = nkv};
		ips_sink_record(sink, &rec);
		s->emitted++;
	}
	memset(b, 0, sizeof *b);
}

/* "name# show ..." or "name> show ...": a prompt; the name is the device. */
static bool prompt(show_state_t *s, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && i < VAL - 1 && p[i] != '#' && p[i] != '>' && p[i] != ' ' && p[i] != '\t')
		i++;
	if (!i || i >= n || (p[i] != '#' && p[i] != '>'))
		return false;
	size_t j = i + 1;
	while (j < n && p[j] == ' ')
		j++;
	if (n - j < 3 || (memcmp(p + j, "sh", 2) && memcmp(p + j, "mo", 2) &&
			  memcmp(p + j, "te", 2)))
		return false;
	/* "(config)#" modes, "asa/pri/act#" contexts: the name before '(' */
	size_t k = 0;
	while (k < i && p[k] != '(')
		k++;
	memcpy(s->host, p, k);
	s->host[k] = '\0';
	return true;
}

static void one_line(show_state_t *s, ips_sink_t *sink, const char *p, size_t n, uint64_t off,
		     uint64_t line)
{
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	size_t lead = 0;
	while (lead < n && (p[lead] == ' ' || p[lead] == '\t'))
		lead++;
	const char *t = p + lead;
	size_t tn = n - lead;
	size_t r;
	const char *v;
	if (!lead && prompt(s, p, n)) {
		emit(s, sink);
		s->iface[0] = s->map[0] = s->map_local[0] = s->peer_hint[0] = '\0';
	} else if (!strncmp(t, "interface:", 10)) {
		emit(s, sink);
		copy_tok(s->iface, VAL, t + 10, tn - 10, "");
		s->map[0] = s->map_local[0] = '\0';
	} else if (!strncmp(t, "peer address:", 13)) {
		emit(s, sink);
		copy_tok(s->peer_hint, VAL, t + 13, tn - 13, "");
	} else if (!strncmp(t, "Crypto map tag:", 15)) {
		copy_tok(s->map, VAL, t + 15, tn - 15, ",");
		if ((v = after(t, tn, "local addr", &r)) != NULL) {
			if (r && v[0] == ':')
				v++, r--;
			copy_tok(s->map_local, VAL, v, r, ",");
		}
	} else if ((!strncmp(t, "local ident", 11) || !strncmp(t, "local  ident", 12)) &&
		   (v = after(t, tn, "): (", &r)) != NULL) {
		emit(s, sink);
		s->b.open = true;
		s->b.offset = off;
		s->b.line = line;
		copy_tok(s->b.local_ident, VAL, v, r, ")");
	} else if (!s->b.open) {
		return; /* counters outside a block: no SA to name */
	} else if (!strncmp(t, "remote ident", 12) && (v = after(t, tn, "): (", &r)) != NULL) {
		copy_tok(s->b.remote_ident, VAL, v, r, ")");
	} else if (!strncmp(t, "current_peer", 12)) {
		v = t + 12;
		r = tn - 12;
		if (r && v[0] == ':')
			v++, r--;
		copy_tok(s->b.peer, VAL, v, r, "");
	} else if (!strncmp(t, "#pkts encaps", 12)) {
		counter(s->b.encaps, sizeof s->b.encaps, t, tn, "#pkts encaps");
		s->b.counted = true;
	} else if (!strncmp(t, "#pkts decaps", 12)) {
		counter(s->b.decaps, sizeof s->b.decaps, t, tn, "#pkts decaps");
		s->b.counted = true;
	} else if (!strncmp(t, "#send errors", 12)) {
		counter(s->b.send_err, sizeof s->b.send_err, t, tn, "#send errors");
		counter(s->b.recv_err, sizeof s->b.recv_err, t, tn, "#recv errors");
	} else if ((v = after(t, tn, "local crypto endpt.:", &r)) != NULL) {
		if (!s->b.local[0])
			copy_tok(s->b.local, VAL, v, r, ",/");
		if (!s->b.peer[0] && (v = after(t, tn, "remote crypto endpt.:", &r)) != NULL)
			copy_tok(s->b.peer, VAL, v, r, ",/");
	}
}

static ips_status_t show_run(ips_source_t *src, ips_sink_t *sink, const ips_frame_limits_t *lim)
{
	size_t cap = lim->block + lim->max_record;
	char *buf = ips_xmalloc(cap);
	show_state_t *s = ips_xcalloc(1, sizeof *s);
	size_t have = 0;
	uint64_t base, line;
	bool whole_lines;
	ips_sink_start(sink, &base, &line, &whole_lines);
	uint64_t records = 0;
	bool skipping = false;
	ips_status_t st = IPS_OK;

	for (;;) {
		ssize_t n = ips_source_read(src, buf + have, cap - have);
		if (n < 0) {
			ips_sink_error(sink, base + have, "read error: %s", ips_source_error(src));
			st = IPS_E_INPUT;
			break;
		}
		bool eof = n == 0;
		have += (size_t)(n > 0 ? n : 0);
		if (skipping) {
			char *nl = memchr(buf, '\n', have);
			if (!nl && !eof) {
				base += have;
				have = 0;
				continue;
			}
			size_t drop = nl ? (size_t)(nl - buf) + 1 : have;
			memmove(buf, buf + drop, have - drop);
			have -= drop;
			base += drop;
			line++;
			skipping = false;
		}
		char *last = have ? memrchr(buf, '\n', have) : NULL;
		size_t blen = last ? (size_t)(last - buf) + 1 : 0;
		if (eof && have && !whole_lines)
			blen = have; /* a last line without '\n' */
		if (blen) {
			ips_sink_lines(sink, buf, blen, base, line);
			/* the same lines through the block state */
			size_t i = 0;
			while (i < blen) {
				char *e = memchr(buf + i, '\n', blen - i);
				size_t len = e ? (size_t)(e - (buf + i)) : blen - i;
				one_line(s, sink, buf + i, len, base + i, line);
				line++;
				records++;
				i += len + (e ? 1 : 0);
			}
			if (buf[blen - 1] != '\n')
				line--; /* the unterminated last line */
			memmove(buf, buf + blen, have - blen);
			have -= blen;
			base += blen;
		} else if (have == cap) {
			ips_record_t rec = {.text = buf, .len = lim->max_record, .offset = base,
					    .line = line, .truncated = true};
			ips_sink_record(sink, &rec);
			records++;
			base += have;
			have = 0;
			skipping = true;
		}
		if (eof)
			break;
	}
	emit(s, sink);
	ips_sink_done(sink, records, base + have);
	free(s);
	free(buf);
	return st;
}

/* pull only: a snapshot read whole (SA blocks span lines); --follow refuses it */
const ips_framer_ops_t ips_framer_cisco_show = {
	.name = "cisco-show", .sniff = ips_sniff_cisco_show, .run = show_run};
