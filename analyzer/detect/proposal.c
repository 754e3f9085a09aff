/* SPDX-License-Identifier: Apache-2.0 */
/* proposal.c - see proposal.h. */
#include "detect/proposal.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum { K_ENC, K_INTEG, K_PRF, K_DH, K_ESN, K_COUNT };
static const char *const kind_name[K_COUNT] = {"encryption algorithm", "integrity algorithm",
					       "PRF", "DH group", "ESN setting"};

#define MAX_ALGS 32
#define ALG_LEN 48

typedef struct algset {
	char alg[K_COUNT][MAX_ALGS][ALG_LEN];
	int n[K_COUNT];
} algset_t;

static bool starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Which kind an algorithm token is, from strongSwan's and libreswan's names. */
static int kind_of(const char *t)
{
	if (starts(t, "PRF"))
		return K_PRF;
	if (starts(t, "MODP") || starts(t, "ECP") || starts(t, "CURVE") || starts(t, "ECP_") ||
	    starts(t, "DH") || starts(t, "MLKEM") || starts(t, "NO_KE") || starts(t, "KE"))
		return K_DH;
	if (starts(t, "NO_EXT_SEQ") || starts(t, "EXT_SEQ"))
		return K_ESN;
	if (starts(t, "HMAC") || starts(t, "AES_XCBC") || starts(t, "AES_CMAC") ||
	    starts(t, "AUTH_") || starts(t, "NONE") || starts(t, "INTEG"))
		return K_INTEG;
	if (starts(t, "AES") || starts(t, "3DES") || starts(t, "DES") || starts(t, "CHACHA") ||
	    starts(t, "CAMELLIA") || starts(t, "BLOWFISH") || starts(t, "CAST") ||
	    starts(t, "NULL") || starts(t, "ENCR"))
		return K_ENC;
	return -1;
}

static void add(algset_t *s, int k, const char *t, size_t len)
{
	if (len >= ALG_LEN)
		len = ALG_LEN - 1;
	for (int i = 0; i < s->n[k]; i++)
		if (strlen(s->alg[k][i]) == len && !memcmp(s->alg[k][i], t, len))
			return;
	if (s->n[k] < MAX_ALGS) {
		memcpy(s->alg[k][s->n[k]], t, len);
		s->alg[k][s->n[k]][len] = '\0';
		s->n[k]++;
	}
}

/*
 * Read "IKE:A/B/C, IKE:D/E" (strongSwan), "1:IKE:ENCR=A;INTEG=B;PRF=C;DH=D"
 * and "IKE=A-B-C-D" (libreswan). A "KIND=" label decides the kind; without
 * one, the algorithm's name does.
 */
static bool parse(const char *list, algset_t *s)
{
	memset(s, 0, sizeof *s);
	int tokens = 0;
	/* libreswan's unlabelled forms are positional: IKE=ENCR-PRF-INTEG-DH,
	 * ESP=ENCR-INTEG-DH-ESN (a DH of NONE: no PFS) */
	static const int ike_pos[] = {K_ENC, K_PRF, K_INTEG, K_DH};
	static const int esp_pos[] = {K_ENC, K_INTEG, K_DH, K_ESN};
	const int *pos = NULL;
	int npos = 0;
	const char *eqp = strchr(list, '=');
	if (eqp && eqp - list >= 3 && !strchr(list, ';')) {
		if (!strncmp(eqp - 3, "IKE", 3))
			pos = ike_pos;
		else if (!strncmp(eqp - 3, "ESP", 3))
			pos = esp_pos;
	}
	const char *p = list;
	while (*p) {
		if (pos && (*p == ',' || *p == ' '))
			npos = 0; /* the next proposal starts over */
		while (*p == ' ' || *p == ',' || *p == '/' || *p == ';' || *p == '-' || *p == '+')
			p++;
		const char *t = p;
		while (*p && *p != '/' && *p != ',' && *p != ' ' && *p != ';' && *p != '-' && *p != '+')
			p++;
		size_t len = (size_t)(p - t);
		if (!len)
			continue;
		const char *colon = memchr(t, ':', len);
		while (colon) { /* "1:IKE:ENCR=...": drop numbers and the protocol */
			len -= (size_t)(colon + 1 - t);
			t = colon + 1;
			colon = memchr(t, ':', len);
		}
		int forced = -1;
		const char *eq = memchr(t, '=', len);
		if (eq) {
			size_t ln = (size_t)(eq - t);
			forced = (ln == 4 && !memcmp(t, "ENCR", 4)) ? K_ENC
				 : (ln == 5 && !memcmp(t, "INTEG", 5)) ? K_INTEG
				 : (ln == 3 && !memcmp(t, "PRF", 3)) ? K_PRF
				 : (ln == 2 && !memcmp(t, "DH", 2)) ? K_DH
				 : (ln == 3 && !memcmp(t, "ESN", 3)) ? K_ESN : -1;
			len -= ln + 1;
			t = eq + 1;
		}
		const char *br = memchr(t, '[', len); /* "MODP2048[first-match]": a note */
		if (br)
			len = (size_t)(br - t);
		while (*p && br && *p != ']' && *p != ',' && *p != ' ')
			p++; /* the note's own separators are not tokens */
		char tok[ALG_LEN];
		snprintf(tok, sizeof tok, "%.*s", (int)(len < ALG_LEN ? len : ALG_LEN - 1), t);
		int k = forced >= 0 ? forced : kind_of(tok);
		if (pos && forced < 0) {
			if (npos < 4)
				k = pos[npos];
			npos++;
		}
		if (k >= 0 && len) {
			add(s, k, t, len);
			tokens++;
		}
	}
	return tokens > 0;
}

const char *ips_proposal_protocol(const char *list)
{
	static const char *const protos[] = {"IKE", "ESP", "AH", NULL};
	for (const char *p = list; *p; p++)
		for (int i = 0; protos[i]; i++) {
			size_t n = strlen(protos[i]);
			bool start = p == list || p[-1] == ' ' || p[-1] == ':' || p[-1] == ',';
			if (start && !strncmp(p, protos[i], n) && (p[n] == ':' || p[n] == '='))
				return protos[i];
		}
	return NULL;
}

static size_t join(char *out, size_t n, const algset_t *s, int k)
{
	size_t w = 0;
	for (int i = 0; i < s->n[k] && w < n; i++) {
		int r = snprintf(out + w, n - w, "%s%s", i ? ", " : "", s->alg[k][i]);
		if (r < 0)
			break;
		w += (size_t)r;
	}
	return w < n ? w : n - 1;
}

size_t ips_proposal_diff(const char *offered, const char *accepted, char *out, size_t n)
{
	algset_t a, b; /* about 15 KiB together */
	if (!n)
		return 0;
	out[0] = '\0';
	const char *pa = ips_proposal_protocol(offered), *pb = ips_proposal_protocol(accepted);
	if (pa && pb && strcmp(pa, pb))
		return 0; /* an IKE offer against an ESP configuration says nothing */
	if (!parse(offered, &a) || !parse(accepted, &b))
		return 0;
	size_t w = 0;
	for (int k = 0; k < K_COUNT; k++) {
		if (!a.n[k] || !b.n[k])
			continue; /* a kind one side does not list (AEAD has no integrity) */
		bool common = false;
		for (int i = 0; i < a.n[k] && !common; i++)
			for (int j = 0; j < b.n[k] && !common; j++)
				common = !strcmp(a.alg[k][i], b.alg[k][j]);
		if (common)
			continue;
		char oa[512], ob[512];
		join(oa, sizeof oa, &a, k);
		join(ob, sizeof ob, &b, k);
		int r = snprintf(out + w, n - w, "%sno %s in common: peer offers %s, we accept %s",
				 w ? "; " : "", kind_name[k], oa, ob);
		if (r < 0 || (size_t)r >= n - w)
			break;
		w += (size_t)r;
	}
	return w;
}
