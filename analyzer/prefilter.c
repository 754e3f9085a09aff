/* prefilter.c - Aho-Corasick literal prefilter (see prefilter.h). */
#include "prefilter.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct node {
	int32_t next[256]; /* trie edges during build; -1 = none */
	int32_t fail;
	int32_t out;       /* index into sets, -1 = no output */
} node_t;

struct ips_prefilter {
	size_t ndet;
	size_t words;
	/* build-time trie */
	node_t *nodes;
	size_t nnodes, capnodes;
	/* run-time tables */
	uint8_t cls[256];   /* folded byte -> class; 0 = in no literal */
	size_t ncls;
	uint32_t *delta;    /* nstates * ncls */
	int32_t *out;       /* per state: set index or -1 */
	uint64_t *sets;     /* nsets * words */
	size_t nsets;
};

static uint8_t fold(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static int32_t new_node(ips_prefilter_t *p)
{
	if (p->nnodes == p->capnodes) {
		p->capnodes = p->capnodes ? p->capnodes * 2 : 64;
		p->nodes = ips_xrealloc(p->nodes, p->capnodes * sizeof *p->nodes);
	}
	node_t *n = &p->nodes[p->nnodes];
	memset(n->next, 0xff, sizeof n->next);
	n->fail = 0;
	n->out = -1;
	return (int32_t)p->nnodes++;
}

ips_prefilter_t *ips_prefilter_new(size_t ndetectors)
{
	ips_prefilter_t *p = ips_xcalloc(1, sizeof *p);
	p->ndet = ndetectors;
	p->words = (ndetectors + 63) / 64;
	if (!p->words)
		p->words = 1;
	new_node(p);
	return p;
}

size_t ips_prefilter_words(const ips_prefilter_t *p)
{
	return p->words;
}

static int32_t add_set(ips_prefilter_t *p)
{
	p->sets = ips_xrealloc(p->sets, (p->nsets + 1) * p->words * sizeof(uint64_t));
	memset(p->sets + p->nsets * p->words, 0, p->words * sizeof(uint64_t));
	return (int32_t)p->nsets++;
}

void ips_prefilter_add(ips_prefilter_t *p, const char *lit, size_t len, size_t det)
{
	if (!len || det >= p->ndet)
		return;
	int32_t s = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = fold((uint8_t)lit[i]);
		if (p->nodes[s].next[c] < 0) {
			int32_t n = new_node(p);
			p->nodes[s].next[c] = n;
		}
		s = p->nodes[s].next[c];
	}
	if (p->nodes[s].out < 0)
		p->nodes[s].out = add_set(p);
	p->sets[(size_t)p->nodes[s].out * p->words + det / 64] |= 1ULL << (det % 64);
}

void ips_prefilter_build(ips_prefilter_t *p)
{
	/* byte classes: every folded byte used by a literal gets its own class */
	memset(p->cls, 0, sizeof p->cls);
	p->ncls = 1;
	uint8_t used[256] = {0};
	for (size_t i = 0; i < p->nnodes; i++)
		for (int c = 0; c < 256; c++)
			if (p->nodes[i].next[c] >= 0)
				used[c] = 1;
	uint8_t fcls[256] = {0};
	for (int c = 0; c < 256; c++)
		if (used[c])
			fcls[c] = (uint8_t)p->ncls++;
	for (int c = 0; c < 256; c++)
		p->cls[c] = fcls[fold((uint8_t)c)];

	/* BFS: failure links, merged outputs, and the full transition table */
	int32_t *queue = ips_xmalloc(p->nnodes * sizeof *queue);
	size_t qh = 0, qt = 0;
	p->delta = ips_xcalloc(p->nnodes * p->ncls, sizeof *p->delta);
	p->out = ips_xmalloc(p->nnodes * sizeof *p->out);
	for (int c = 0; c < 256; c++) {
		int32_t n = p->nodes[0].next[c];
		if (n >= 0) {
			p->nodes[n].fail = 0;
			queue[qt++] = n;
		}
	}
	while (qh < qt) {
		int32_t s = queue[qh++];
		for (int c = 0; c < 256; c++) {
			int32_t n = p->nodes[s].next[c];
			if (n < 0)
				continue;
			int32_t f = p->nodes[s].fail;
			while (f && p->nodes[f].next[c] < 0)
				f = p->nodes[f].fail;
			int32_t fn = p->nodes[f].next[c];
			p->nodes[n].fail = (fn >= 0 && fn != n) ? fn : 0;
			queue[qt++] = n;
		}
	}
	/* outputs along failure chains, in BFS order so a node's fail is done first */
	for (size_t i = 0; i < qt; i++) {
		int32_t s = queue[i];
		int32_t f = p->nodes[s].fail;
		if (p->nodes[f].out >= 0) {
			if (p->nodes[s].out < 0)
				p->nodes[s].out = add_set(p);
			uint64_t *dst = p->sets + (size_t)p->nodes[s].out * p->words;
			const uint64_t *src = p->sets + (size_t)p->nodes[f].out * p->words;
			for (size_t w = 0; w < p->words; w++)
				dst[w] |= src[w];
		}
	}
	/* dense transitions: root first, then BFS order */
	for (int c = 0; c < 256; c++) {
		if (!used[c])
			continue;
		int32_t n = p->nodes[0].next[c];
		p->delta[fcls[c]] = (uint32_t)(n >= 0 ? n : 0);
	}
	for (size_t i = 0; i < qt; i++) {
		int32_t s = queue[i];
		for (int c = 0; c < 256; c++) {
			if (!used[c])
				continue;
			int32_t n = p->nodes[s].next[c];
			uint32_t t = n >= 0 ? (uint32_t)n
					    : p->delta[(size_t)p->nodes[s].fail * p->ncls + fcls[c]];
			p->delta[(size_t)s * p->ncls + fcls[c]] = t;
		}
		/* class 0 (bytes in no literal) always returns to the root: calloc'd 0 */
	}
	for (size_t i = 0; i < p->nnodes; i++)
		p->out[i] = p->nodes[i].out;
	free(queue);
	free(p->nodes);
	p->nodes = NULL;
}

void ips_prefilter_free(ips_prefilter_t *p)
{
	if (!p)
		return;
	free(p->nodes);
	free(p->delta);
	free(p->out);
	free(p->sets);
	free(p);
}

int ips_prefilter_scan_lines(const ips_prefilter_t *p, const char *buf, size_t len,
			     ips_line_cb cb, void *ctx)
{
	const uint8_t *b = (const uint8_t *)buf;
	const uint32_t *delta = p->delta;
	const int32_t *out = p->out;
	const size_t ncls = p->ncls;
	uint64_t dets[64];
	uint64_t *set = p->words <= 64 ? dets : ips_xmalloc(p->words * sizeof *set);
	uint32_t s = 0;
	int stop = 0;
	size_t i = 0;
	while (i < len) {
		s = delta[(size_t)s * ncls + p->cls[b[i]]];
		if (out[s] < 0) {
			i++;
			continue;
		}
		/* A hit: gather every detector of this line, then hand it over. */
		const uint8_t *nl = memchr(b + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - b) : len;
		size_t start = i;
		while (start > 0 && b[start - 1] != '\n')
			start--;
		memcpy(set, p->sets + (size_t)out[s] * p->words, p->words * sizeof *set);
		for (i++; i < end; i++) {
			s = delta[(size_t)s * ncls + p->cls[b[i]]];
			if (out[s] >= 0) {
				const uint64_t *o = p->sets + (size_t)out[s] * p->words;
				for (size_t w = 0; w < p->words; w++)
					set[w] |= o[w];
			}
		}
		stop = cb(ctx, buf + start, end - start, start, set);
		if (stop)
			break;
		s = 0;
		i = end + 1;
	}
	if (set != dets)
		free(set);
	return stop;
}

bool ips_prefilter_scan_record(const ips_prefilter_t *p, const char *buf, size_t len,
			       uint64_t *dets)
{
	const uint8_t *b = (const uint8_t *)buf;
	memset(dets, 0, p->words * sizeof *dets);
	bool any = false;
	uint32_t s = 0;
	for (size_t i = 0; i < len; i++) {
		s = p->delta[(size_t)s * p->ncls + p->cls[b[i]]];
		if (p->out[s] >= 0) {
			const uint64_t *o = p->sets + (size_t)p->out[s] * p->words;
			for (size_t w = 0; w < p->words; w++)
				dets[w] |= o[w];
			any = true;
		}
	}
	return any;
}
