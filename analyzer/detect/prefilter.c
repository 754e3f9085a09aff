/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prefilter.c - find the lines that hold detector literals (see prefilter.h).
 *
 * Three searches share one pass over a block, 64 bytes at a time:
 *  - long literals (7 bytes or more): a hashed 4-byte window every 4 bytes
 *    against a bitmap, then 8 bytes against a second bitmap, then the exact
 *    literals that have that window (AVX2 hashes 16 windows at once);
 *  - short literals: anchors of 1 to 3 bytes at every position (Teddy
 *    nibble tables with SSSE3/AVX2, plain compares with SSE2);
 *  - phrases (message texts): found through one word, kept only when its
 *    neighbours stand next to it and the line holds the other words.
 * A line with a confirmed literal goes through the Aho-Corasick automaton,
 * which tells every literal, and so every candidate detector, of the line.
 * docs/performance.md has the numbers behind the choices.
 */
#include "detect/prefilter.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_SSSE3_TARGET 1
#endif

#include "util/util.h"

/*
 * Literals of LONG_MIN bytes or more are found by the window filter: one
 * 4-byte window every STRIDE bytes of the text is hashed into a bitmap. A
 * literal occurrence covers STRIDE consecutive window positions (it is long
 * enough), one of which is sampled, so each long literal enters the STRIDE
 * windows at its offsets j0..j0+STRIDE-1 - the run of windows least likely
 * in log text. With 7 and 4 the filter costs about 2 instructions a byte.
 */
#define LONG_MIN 7
#define STRIDE (LONG_MIN - 3)
_Static_assert(STRIDE == 4, "scan_chunk reads two windows per 8-byte load");
#define BM_BITS 17              /* 16 KiB bitmap: stays in L1 */
/*
 * Shorter literals: at most MAX_ANCHORS runs of 1 to ANCHOR_LEN bytes
 * compared at every position. With SSSE3 (checked at run time) that is one
 * table lookup per nibble for all anchors at once (Hyperscan's "Teddy"),
 * else one SSE2 compare per anchor byte. Three bytes, not two, when that
 * fires less: "138" for the codes 1380 to 1389, where "38" is in every
 * other address and time of a log.
 */
#define ANCHOR_LEN 3
#define MAX_ANCHORS 16
#define BUCKETS 8              /* Teddy's lanes: anchors share them */
/* The filters walk the text in chunks; the last bytes go to the automaton. */
#define CHUNK 64
#define TAIL (CHUNK + 40) /* AVX2 Teddy reads the 32 bytes after a chunk */
/*
 * The filters read the text once, front to back; a large file comes from
 * its mapping (framer_lines.c), straight from memory rather than from a
 * buffer read() has just filled, so the loops ask for the bytes 1 KiB ahead
 * (the hardware's own prefetcher stops at a page's end). On the 1 GB noise:
 * 0.05 s less user time a GB.
 */
#define PREFETCH 1024
/* Distinct group literals remembered per line; past it groups count as met. */
#define MAX_FOUND 256
/* Phrase words a line must hold: those of this many bytes or more. */
#define PHRASE_WORD_MIN 3

typedef struct lit {
	uint8_t *s;            /* ASCII-folded bytes */
	uint32_t len;
	uint32_t *det;         /* detectors this literal selects alone */
	uint32_t ndet;
	uint32_t *grp;         /* groups it is a member of */
	uint32_t ngrp;
	uint32_t *trig;        /* groups the filters find through it */
	uint32_t ntrig;
	uint32_t rare;         /* offset of its least likely byte */
	int tier;              /* word_tier(), at build time */
	uint8_t side;          /* a word of phrases only: white space before (1), after (2) it in all */
	bool filter;           /* the filters must find it (alone, or a group's anchor) */
	bool lone;             /* it triggers a phrase of this one word */
	bool gated;            /* each of its detectors has a second set (ips_prefilter_also) */
	/* a trigger: the first bytes of the words after it in its phrases, the
	 * last bytes of those before it, and whether it ends or starts one */
	uint64_t next1[4], prev1[4];
	bool ends, starts;
} lit_t;

typedef struct grp {
	uint32_t det;
	uint32_t n;
	uint32_t *lits;        /* the words a line must hold (folded literals) */
	uint32_t ntok;
	uint8_t **tok;         /* every word of the phrase, in order (folded) */
	uint32_t *toklen;
	uint32_t trig;         /* the literal the filters find the phrase through */
	uint32_t *at;          /* the places of trig among the words (at build) */
	uint32_t nat;
} grp_t;

/* A detector that is a candidate only if its line also holds one of these. */
typedef struct also {
	uint32_t det;
	uint32_t n;
	lit_t *lits;           /* folded; rare set at build; not in the automaton */
} also_t;

typedef struct vent {
	uint32_t lit;          /* literal */
	int32_t off;           /* offset of the window or anchor in it (-1: the white space before) */
	uint32_t at;           /* where its quick check starts in it */
	bool whole;            /* the quick check is the whole literal: 8 letters or fewer */
	uint64_t head, mask;   /* 8 bytes (or all, if fewer) from at, 0x20 set */
} vent_t;

typedef struct vslot {
	uint32_t key, first, count;
} vslot_t;

typedef struct anchor {
	uint8_t b[ANCHOR_LEN];
	uint8_t n;             /* its bytes: 1 to ANCHOR_LEN */
	bool fold[ANCHOR_LEN]; /* a letter: compare the case-folded text */
	uint32_t first, count; /* entries in aents */
} anchor_t;

struct ips_prefilter {
	size_t ndet, words;
	lit_t *lits;
	size_t nlits, caplits;
	also_t *also;          /* second literal sets (ips_prefilter_also) */
	size_t nalso;
	uint32_t *lhash;       /* interning: literal index + 1, 0 = empty */
	size_t lhcap;
	grp_t *grps;
	size_t ngrps, capgrps;
	bool built;
	/* automaton */
	uint8_t cls[256];      /* byte -> class of its folded form; 0 = in no literal */
	size_t ncls, nstates;
	size_t maxlen;         /* longest literal */
	uint32_t *delta;       /* [state * ncls + class] = next * ncls | OUT_BIT */
	uint32_t *out_first, *out_n; /* per state: literals ending here */
	uint32_t *out_ids;
	/* long-literal filter */
	uint64_t *bm;          /* hashed window -> bit set if some literal has it */
	uint64_t *bms;         /* ... if one whose window is its last 4 to 7 bytes (bms_hash) */
	uint64_t *bm8;         /* hashed 8 bytes from a window on -> bit set */
	vslot_t *vtab;         /* exact window -> vent range; key 0 = empty */
	size_t vcap;
	vent_t *vents;
	size_t nlong;
	/* short-literal filter */
	anchor_t anchors[MAX_ANCHORS];
	size_t nanchors, nshort;
	uint16_t bucket[BUCKETS];      /* the anchors (bit a) of each Teddy bucket */
	vent_t *aents;
	bool exact_only;       /* short literals without few anchors: automaton everywhere */
#if defined(__SSE2__)
	__m128i want[MAX_ANCHORS][ANCHOR_LEN]; /* the anchors' bytes, in every lane */
	/* nibble -> buckets (bit k) with an anchor whose byte k has it */
	__m128i nib_lo[ANCHOR_LEN], nib_hi[ANCHOR_LEN];
	bool teddy3;           /* some anchor has a third byte */
#endif
};

#if defined(HAVE_SSSE3_TARGET)
static bool have_ssse3, have_avx2;
#endif

#define OUT_BIT 0x80000000u

static uint8_t fold_tab[256];

static void init_fold(void)
{
	for (int c = 0; c < 256; c++)
		fold_tab[c] = (uint8_t)((c >= 'A' && c <= 'Z') ? c + 32 : c);
}

static uint8_t fold(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* ---- a model of log text: how likely a byte or a word is --------------- */

/*
 * Rough byte frequencies (per ten thousand) of syslog-style text, case
 * folded, measured on the loghub and strongSwan logs of the corpus: English
 * letters, many digits (times, addresses, ids), spaces and the punctuation
 * of key=value and bracketed fields. They decide which windows and anchors
 * of a literal the filters use.
 */
static double byte_freqs[256];

static void init_byte_freqs(void)
{
	static const struct {
		char c;
		short f;
	} tab[] = {
		{' ', 1400}, {'e', 700}, {'t', 500}, {'a', 500}, {'o', 450}, {'i', 450},
		{'n', 500}, {'s', 400}, {'r', 450}, {'l', 250}, {'c', 320}, {'d', 220},
		{'h', 200}, {'u', 200}, {'m', 150}, {'p', 170}, {'g', 200}, {'f', 120},
		{'b', 100}, {'w', 150}, {'y', 80}, {'v', 60}, {'k', 70}, {'x', 30}, {'j', 15},
		{'q', 10}, {'z', 10}, {'0', 250}, {'1', 350}, {'2', 150}, {'3', 80},
		{'4', 100}, {'5', 70}, {'6', 70}, {'7', 50}, {'8', 70}, {'9', 60},
		{'.', 100}, {':', 170}, {'-', 100}, {'/', 30}, {'_', 100}, {'=', 50},
		{'[', 120}, {']', 120}, {'(', 30}, {')', 30}, {',', 30}, {'\'', 10},
		{'"', 10}, {'\t', 10}, {';', 5}, {'<', 40}, {'>', 40}, {'|', 40},
		{'#', 5}, {'%', 5}, {'@', 5}, {'*', 5}, {'+', 5}, {'!', 5}, {'?', 5},
		{'&', 5}, {'{', 5}, {'}', 5}, {'\\', 5}, {'~', 5},
	};
	for (int c = 0; c < 256; c++)
		byte_freqs[c] = 1 / 10000.0;
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
		uint8_t c = (uint8_t)tab[i].c;
		byte_freqs[c] = tab[i].f / 10000.0;
		if (c >= 'a' && c <= 'z')
			byte_freqs[c - 32] = byte_freqs[c];
	}
}

static double byte_freq(uint8_t c)
{
	return byte_freqs[c];
}

/*
 * The 640 most frequent 4-byte windows of log text, most frequent first
 * (case folded, without digits), from the loghub, strongSwan, libreswan and
 * other logs of the corpus: bench/common-4grams.py prints this list.
 */
static const char common_grams[] =
	"    ing authion tionusertingsshd sshaug  aug ikefromrom  use fro[enc autatinenc]nc] "
	"c] <loadgw-gw-gwname] <g <gw<gw--gw|rati con|   geneenereratconnnera genatiofailonne"
	"nnecnecton ficatjul  comuid= for faicombombombo  labdec ser labsabszbsz sz sz ssshd["
	"entifor >   ng r cbspackticapaylayloyloacatiruleule g ru rulinfo payecti pacuthethen"
	"hentntic sevsev= rptrpt=enumm_en_enujam_am_e   c   j  ja jamser=   g  gectionfo d pa"
	" infhost, inshorhort[cfgfo  o     cbackackagkages   cbs bs  sionpam_am_um_un_uniunix"
	"ed pessiatchstat to on: tateent  logssio sessessort num_   s....matcattrroot matame "
	"ame=n faikev   mn frnov ]: creceeceiceiveive rec: coived: pattritribribuibutbute att"
	"tranrans: ok: aussh initailuilurlureved aileiled uid  match : %a %as%asaasa-formled "
	"t frer= passsh r; lo ttylognognagnamme= e= u= ui euieuidtty= rusruser= r= rh rhorhos"
	"ost=h ruikedure;re; e; l tra ftptypeftpd at bo fo fttpd[serv) atate:certvalialid]   "
	"nvalerve: repliclicainvabo s appappl(pamnix)ix)[ppli chaoad icabipsepsecport resbyte"
	"codegrouroup sa d foike_ byebye ansfnsfosforion: pro passiteablejun ientage  out dev"
	"niti jul  usitiacharharoaronest lengad oded  by engtngth reastruity decoecodtrucruct"
	"ul  clieliendbg/er=rr=ro=roo ini cliiscointe   rizedwestdingzed o ssshd(hd(pd(pacfg]"
	"fg] _intrent_namisaksakmakmp of uth)uestaddr -> cessreadted item pam  re]: ped b() a"
	"kedbedbg typ () ect (sshth):h): ate ] <s <si<sitite|ort_:autnix(ix(sx(ssshd:hd:ad:au"
	" isareaueaut sho[iket_naout  [pr[prepreauth]with load byint_  shhed m_sht chnum  wit"
	"mpleestarequ u_iu_innter_shoum_srt_num_hm_hu_humhumaumanman  cur> geith  intqueseque"
	"reseabilbiliilit poreastng ieserwordasswsswoswor: innone: faoup ord ectecteded fst c"
	"cheduth/ sta gronode dis): arvede = discagengentron:]: atialturehmaced_bed dampl req"
	"prop  seead ctinge: te: next]: fdate: sewindindondowrd fdevst wived_sconorm_at s]: r"
	"age:alizdowsiality=ny=no=nododevevssvsshexamxamp=sshsagety=sy=sser =r = e_fo_formess"
	"essassagcurrurrerrentes ropooposlizeytesupdapdattestode by c winent.y clnt wowsuwsup"
	"supdateateageageng por pd out cakmp_lid_ct fposaosalopen invult t = d diy fo mes ips"
	" cacr paype singbstr.exactursubscachentsuctuacheubstblesng tn jucable apage_lityaes_"
	"e : d -  cerke_sut cty fng amac_ge acabi~amd, aplest, cuntsttstased ckete pacces not"
	"catefor_ lene: pg paresuid_ige_for_kr_kbike checheck_shae [p: by_invcons [sh[shoort]"
	"rt]:t]: ]: oute  chelocamay uth_r usye be byye [oaklaklekley_bytot ftifisize) n(ific"
	"oot : ip roohand decshed_subishelid g ik hanay  ficang c bytrong] lon = or id_byhres"
	"ed:  non oak.comike]ke] esulsult is e_sa";

/* The 256 most frequent byte pairs of the same logs, most frequent first. */
static const char common_pairs[] =
	"   0 1: 0 enin00 c s aatertiond see  r f.1 ire20edteect esg ss p 210n neorstsh:0au12"
	":1ro11de01congpaleut5 7 2.am4:th] 141 nt053 ke o0204r 0.23omio t u lge8 0:o 162 foid"
	".2adm_it17ulli, locasa1:gw6  e1918acunusev:4:5c 9 m 4 ab= ra dcts maic:2asikbs> 22al"
	"]:anninome30si b9:095:trilchnart8:6-ea| 25 gcel ruokhe <401.hdeth 241>ho 30656ug15nc"
	":3-2312:ve mfr (e:|103aioaagy lajufa) a ndd[ n26t=ta28ha_sc]osotsuty[2 5tour3:t_6.nn"
	" j[eprckns_i =-g/013is 8ttouar=0umw-by_e<g46e_w|80-1-0d= 6ui [3.poptriay.0 wbocb509."
	"pep  44[";

static uint16_t pair_rank[65536]; /* pair -> its rank in common_pairs + 1 */

#define GRAM_SLOTS 2048
static uint32_t gram_key[GRAM_SLOTS];
static uint16_t gram_rank[GRAM_SLOTS];

static void init_grams(void)
{
	for (size_t i = 0; i + 1 < sizeof common_pairs; i += 2) {
		unsigned k = (uint8_t)common_pairs[i] | (uint8_t)common_pairs[i + 1] << 8;
		if (!pair_rank[k])
			pair_rank[k] = (uint16_t)(i / 2 + 1);
	}
	size_t n = (sizeof common_grams - 1) / 4;
	for (size_t i = 0; i < n; i++) {
		uint32_t k;
		memcpy(&k, common_grams + 4 * i, 4);
		size_t s = (k * 0x9E3779B1u) >> 21;
		while (gram_key[s])
			s = (s + 1) & (GRAM_SLOTS - 1);
		gram_key[s] = k;
		gram_rank[s] = (uint16_t)i;
	}
}

/* A window of n bytes: neighbouring letters correlate, so scale a little. */
static double window_freq(const uint8_t *s, size_t n)
{
	double f = 1;
	for (size_t i = 0; i < n; i++)
		f *= byte_freq(s[i]) * (i ? 4 : 1);
	return f;
}

/* How often an anchor (1 to 3 bytes, folded) fires in log text. */
static double anchor_freq(const uint8_t *b, size_t n)
{
	if (n == 1)
		return byte_freq(b[0]);
	if (n == 3) {
		/* a chain: the first pair, then the second given its first byte */
		double f01 = anchor_freq(b, 2), f12 = anchor_freq(b + 1, 2);
		double f = f01 * f12 / byte_freq(b[1]);
		f = f < f01 ? f : f01;
		return f < f12 ? f : f12;
	}
	unsigned r = pair_rank[b[0] | b[1] << 8];
	if (r)
		return 0.02 / (1 + (double)(r - 1) / 6.0);
	double f = window_freq(b, 2);
	if (b[0] >= '0' && b[0] <= '9' && b[1] >= '0' && b[1] <= '9')
		f *= 25; /* digits come in runs: times, addresses, ids */
	return f < 3e-4 ? f : 3e-4;
}

/* How often a 4-byte window (folded) occurs in log text, roughly (Zipf). */
static double gram_freq(const uint8_t *w)
{
	uint32_t k;
	memcpy(&k, w, 4);
	for (size_t s = (k * 0x9E3779B1u) >> 21; gram_key[s]; s = (s + 1) & (GRAM_SLOTS - 1))
		if (gram_key[s] == k)
			return 0.01 / (1 + gram_rank[s] / 8.0);
	double f = window_freq(w, 4);
	return f < 1e-4 ? f : 1e-4;
}

/*
 * Words that log lines use all the time, the most frequent first (tier 2)
 * then the merely common (tier 1). A group of message words is searched for
 * through its least common long word.
 */
static const char *const frequent_words[] = {
	"access", "address", "attempt", "authentication", "certificate", "client",
	"connection", "default", "error", "failed", "failure", "found", "initiating",
	"invalid", "message", "network", "package", "packet", "payload", "policy",
	"received", "remote", "request", "response", "sending", "server", "service",
	"session", "started", "status", "success", "successfully", "support", "system",
	"unknown", "windows",
};

static const char *const common_words[] = {
	"after", "allowed", "already", "attempted", "authenticate", "authenticated",
	"authenticates", "available", "because", "before", "between", "cannot",
	"certificates", "completed", "computer", "configuration", "configured",
	"connections", "could", "delete", "deleted", "during", "enabled", "established",
	"filter", "function", "internal", "loaded", "machine", "negotiation", "number",
	"payloads", "please", "problem", "process", "processing", "proposal", "protocol",
	"requested", "required", "security", "specified", "supported", "there", "these",
	"timeout", "transform", "unable", "version", "which", "while", "with", "would",
};

static bool in_list(const char *const *list, size_t n, const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && !memcmp(list[i], s, len))
			return true;
	return false;
}

/* How often a word of each tier occurs in log text, roughly (per byte). */
static const double tier_freq[] = {3e-3, 5e-4, 5e-5};

/* 0: a frequent word, 1: a common word, 2: neither. */
static int word_tier(const uint8_t *s, size_t n)
{
	if (in_list(frequent_words, sizeof frequent_words / sizeof frequent_words[0], s, n))
		return 0;
	if (in_list(common_words, sizeof common_words / sizeof common_words[0], s, n))
		return 1;
	return 2;
}

/* ---- literals and groups ------------------------------------------------ */

static void init_tables(void)
{
	init_fold();
	init_byte_freqs();
	init_grams();
#if defined(HAVE_SSSE3_TARGET)
	/* IPSEC_SCAN_SIMD=sse2 or =ssse3 caps what is used (for tests) */
	const char *e = getenv("IPSEC_SCAN_SIMD");
	bool cap_sse2 = e && !strcmp(e, "sse2"), cap_ssse3 = e && !strcmp(e, "ssse3");
	have_ssse3 = !cap_sse2 && __builtin_cpu_supports("ssse3");
	have_avx2 = have_ssse3 && !cap_ssse3 && __builtin_cpu_supports("avx2");
#endif
}

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

void ips_prefilter_simd(int max)
{
	pthread_once(&tables_once, init_tables);
#if defined(HAVE_SSSE3_TARGET)
	have_ssse3 = max >= 1 && __builtin_cpu_supports("ssse3");
	have_avx2 = max >= 2 && have_ssse3 && __builtin_cpu_supports("avx2");
#else
	(void)max;
#endif
}

ips_prefilter_t *ips_prefilter_new(size_t ndetectors)
{
	pthread_once(&tables_once, init_tables);
	ips_prefilter_t *p = ips_xcalloc(1, sizeof *p);
	p->ndet = ndetectors;
	p->words = (ndetectors + 63) / 64;
	if (!p->words)
		p->words = 1;
	p->lhcap = 64;
	p->lhash = ips_xcalloc(p->lhcap, sizeof *p->lhash);
	return p;
}

size_t ips_prefilter_words(const ips_prefilter_t *p)
{
	return p->words;
}

static uint32_t lit_hash(const uint8_t *s, size_t n)
{
	return (uint32_t)ips_fnv1a(IPS_FNV_INIT, s, n);
}

static void rehash(ips_prefilter_t *p)
{
	free(p->lhash);
	p->lhcap *= 2;
	p->lhash = ips_xcalloc(p->lhcap, sizeof *p->lhash);
	for (size_t i = 0; i < p->nlits; i++) {
		size_t h = lit_hash(p->lits[i].s, p->lits[i].len) & (p->lhcap - 1);
		while (p->lhash[h])
			h = (h + 1) & (p->lhcap - 1);
		p->lhash[h] = (uint32_t)i + 1;
	}
}

/* The index of a literal (folded), adding it if new. */
static uint32_t intern(ips_prefilter_t *p, const char *lit, size_t len)
{
	uint8_t *f = ips_xmalloc(len);
	for (size_t i = 0; i < len; i++)
		f[i] = fold((uint8_t)lit[i]);
	size_t h = lit_hash(f, len) & (p->lhcap - 1);
	for (; p->lhash[h]; h = (h + 1) & (p->lhcap - 1)) {
		lit_t *l = &p->lits[p->lhash[h] - 1];
		if (l->len == len && !memcmp(l->s, f, len)) {
			free(f);
			return p->lhash[h] - 1;
		}
	}
	if (p->nlits == p->caplits) {
		p->caplits = p->caplits ? p->caplits * 2 : 64;
		p->lits = ips_xrealloc(p->lits, p->caplits * sizeof *p->lits);
	}
	lit_t *l = &p->lits[p->nlits];
	memset(l, 0, sizeof *l);
	l->s = f;
	l->len = (uint32_t)len;
	p->lhash[h] = (uint32_t)++p->nlits;
	if (p->nlits * 2 > p->lhcap)
		rehash(p);
	return (uint32_t)(p->nlits - 1);
}

static void push_u32(uint32_t **a, uint32_t *n, uint32_t v)
{
	for (uint32_t i = 0; i < *n; i++)
		if ((*a)[i] == v)
			return;
	if ((*n & (*n - 1)) == 0) /* 0, 1, 2, 4, ...: grow to the next power of two */
		*a = ips_xrealloc(*a, (*n ? *n * 2 : 1) * sizeof **a);
	(*a)[(*n)++] = v;
}

void ips_prefilter_add(ips_prefilter_t *p, const char *lit, size_t len, size_t det)
{
	if (!len || det >= p->ndet || p->built)
		return;
	uint32_t id = intern(p, lit, len);
	push_u32(&p->lits[id].det, &p->lits[id].ndet, (uint32_t)det);
	p->lits[id].filter = true;
}

void ips_prefilter_also(ips_prefilter_t *p, size_t det, const char *const *lits,
			const size_t *lens, size_t n)
{
	if (det >= p->ndet || p->built || !n)
		return;
	also_t a = {(uint32_t)det, 0, ips_xcalloc(n, sizeof(lit_t))};
	for (size_t i = 0; i < n; i++) {
		if (!lens[i])
			continue; /* an empty literal is in every line: no requirement */
		lit_t *l = &a.lits[a.n++];
		l->s = ips_xmalloc(lens[i]);
		for (size_t k = 0; k < lens[i]; k++)
			l->s[k] = fold((uint8_t)lits[i][k]);
		l->len = (uint32_t)lens[i];
	}
	if (a.n < n) { /* one was empty */
		for (uint32_t i = 0; i < a.n; i++)
			free(a.lits[i].s);
		free(a.lits);
		return;
	}
	p->also = ips_xrealloc(p->also, (p->nalso + 1) * sizeof *p->also);
	p->also[p->nalso++] = a;
}

/*
 * How often the sampled window at offset j of the n bytes s lets a check
 * through; the 8 bytes from it are checked too where j + 8 <= n8.
 */
static double window_cost(const uint8_t *s, size_t n8, size_t j)
{
	double f = gram_freq(s + j);
	if (j + 8 <= n8) {
		double g = f * gram_freq(s + j + 4) * 50;
		f = g < f ? g : f;
	}
	return f;
}

/* The run of STRIDE windows of n bytes (LONG_MIN or more) least likely in logs: its start. */
static size_t best_windows(const uint8_t *s, size_t n, size_t n8, double *cost)
{
	size_t best = 0;
	*cost = 0;
	for (size_t j0 = 0; j0 + STRIDE + 3 <= n; j0++) {
		double c = 0;
		for (size_t j = j0; j < j0 + STRIDE; j++)
			c += window_cost(s, n8, j);
		if (j0 == 0 || c < *cost) {
			best = j0;
			*cost = c;
		}
	}
	return best;
}

/*
 * A word of phrases only that is too short for the windows alone, but that
 * every phrase has white space next to (\s+ between its words): the window
 * filter searches it with that white space, one key for each white space
 * byte (" offers", "load "). The span with a space there goes to span (at
 * least LONG_MIN + 1 bytes), *left is 1 if it starts with the white space;
 * returns its length, or 0 when the word cannot be searched so.
 */
#define WS_BYTES 6
static const uint8_t ws_bytes[WS_BYTES] = {' ', '\t', '\n', '\v', '\f', '\r'};

static size_t ws_span(const lit_t *l, uint8_t *span, size_t *left)
{
	bool before = l->side & 1, after = l->side & 2;
	*left = 0;
	if (l->len >= LONG_MIN || l->len + before + after < LONG_MIN)
		return 0;
	size_t n = 0;
	if (before) {
		span[n++] = ' ';
		*left = 1;
	}
	memcpy(span + n, l->s, l->len);
	n += l->len;
	if (after)
		span[n++] = ' ';
	return n;
}

/*
 * What the filters search for to find a group: its long member whose hits
 * cost least - the windows the filter samples (a quarter of their frequency
 * per byte), plus the word itself, as often as its tier of common words.
 * Returns false when all members are short: then the anchors cover the
 * group through any member.
 */
static bool group_choice(const ips_prefilter_t *p, const grp_t *g, uint32_t *out)
{
	double best_score = 0;
	bool any = false;
	for (uint32_t i = 0; i < g->n; i++) {
		const lit_t *l = &p->lits[g->lits[i]];
		uint8_t span[LONG_MIN + 1];
		size_t left, n = ws_span(l, span, &left);
		double windows;
		if (l->len >= LONG_MIN)
			best_windows(l->s, l->len, l->len, &windows);
		else if (n)
			best_windows(span, n, 0, &windows);
		else
			continue;
		double score = windows / STRIDE + tier_freq[l->tier];
		if (!any || score < best_score) {
			best_score = score;
			*out = g->lits[i];
			any = true;
		}
	}
	return any;
}

/* Members in the order a line is checked for them: rare ones first. */
static int member_rank(const ips_prefilter_t *p, uint32_t id)
{
	const lit_t *l = &p->lits[id];
	return l->tier * 1000 + (int)l->len;
}

static void order_members(const ips_prefilter_t *p, grp_t *g)
{
	for (uint32_t i = 1; i < g->n; i++)
		for (uint32_t k = i; k > 0 && member_rank(p, g->lits[k - 1]) < member_rank(p, g->lits[k]);
		     k--) {
			uint32_t t = g->lits[k];
			g->lits[k] = g->lits[k - 1];
			g->lits[k - 1] = t;
		}
}

void ips_prefilter_add_phrase(ips_prefilter_t *p, const char *const *words, const size_t *lens,
			      size_t n, size_t det)
{
	if (det >= p->ndet || p->built)
		return;
	grp_t g;
	memset(&g, 0, sizeof g);
	g.det = (uint32_t)det;
	g.trig = UINT32_MAX;
	g.tok = ips_xmalloc((n ? n : 1) * sizeof *g.tok);
	g.toklen = ips_xmalloc((n ? n : 1) * sizeof *g.toklen);
	size_t longest = 0;
	for (size_t i = 0; i < n; i++) {
		if (!lens[i])
			continue;
		g.tok[g.ntok] = ips_xmalloc(lens[i]);
		for (size_t k = 0; k < lens[i]; k++)
			g.tok[g.ntok][k] = fold((uint8_t)words[i][k]);
		g.toklen[g.ntok++] = (uint32_t)lens[i];
		longest = lens[i] > longest ? lens[i] : longest;
	}
	/* the words a line must hold: all but the tiny ones (unless all are) */
	size_t min = longest >= PHRASE_WORD_MIN ? PHRASE_WORD_MIN : 1;
	for (uint32_t i = 0; i < g.ntok; i++)
		if (g.toklen[i] >= min)
			push_u32(&g.lits, &g.n, intern(p, (const char *)g.tok[i], g.toklen[i]));
	if (!g.n) {
		free(g.tok);
		free(g.toklen);
		return;
	}
	if (p->ngrps == p->capgrps) {
		p->capgrps = p->capgrps ? p->capgrps * 2 : 16;
		p->grps = ips_xrealloc(p->grps, p->capgrps * sizeof *p->grps);
	}
	uint32_t gi = (uint32_t)p->ngrps;
	p->grps[p->ngrps++] = g;
	for (uint32_t i = 0; i < g.n; i++)
		push_u32(&p->lits[g.lits[i]].grp, &p->lits[g.lits[i]].ngrp, gi);
}

/* ---- build: the automaton ----------------------------------------------- */

static void build_automaton(ips_prefilter_t *p)
{
	bool used[256] = {false};
	size_t total = 1;
	for (size_t i = 0; i < p->nlits; i++) {
		for (uint32_t k = 0; k < p->lits[i].len; k++)
			used[p->lits[i].s[k]] = true;
		total += p->lits[i].len;
	}
	uint8_t fcls[256] = {0};
	p->ncls = 1;
	for (int c = 0; c < 256; c++)
		if (used[c])
			fcls[c] = (uint8_t)p->ncls++;
	for (int c = 0; c < 256; c++)
		p->cls[c] = fcls[fold((uint8_t)c)];
	size_t nc = p->ncls;

	/* trie over classes */
	int32_t *next = ips_xmalloc(total * nc * sizeof *next);
	int32_t *own = ips_xmalloc(total * sizeof *own);
	memset(next, 0xff, nc * sizeof *next);
	own[0] = -1;
	size_t n = 1;
	for (size_t i = 0; i < p->nlits; i++) {
		size_t s = 0;
		for (uint32_t k = 0; k < p->lits[i].len; k++) {
			uint8_t c = fcls[p->lits[i].s[k]];
			if (next[s * nc + c] < 0) {
				memset(next + n * nc, 0xff, nc * sizeof *next);
				own[n] = -1;
				next[s * nc + c] = (int32_t)n++;
			}
			s = (size_t)next[s * nc + c];
		}
		own[s] = (int32_t)i;
	}
	p->nstates = n;

	/* breadth first: failure links, then outputs and transitions in that order */
	int32_t *fail = ips_xcalloc(n, sizeof *fail);
	uint32_t *queue = ips_xmalloc(n * sizeof *queue);
	size_t qh = 0, qt = 0;
	queue[qt++] = 0;
	while (qh < qt) {
		uint32_t s = queue[qh++];
		for (size_t c = 1; c < nc; c++) {
			int32_t t = next[s * nc + c];
			if (t < 0)
				continue;
			if (s) {
				int32_t f = fail[s];
				while (f && next[(size_t)f * nc + c] < 0)
					f = fail[f];
				int32_t ft = next[(size_t)f * nc + c];
				fail[t] = (ft >= 0 && ft != t) ? ft : 0;
			}
			queue[qt++] = (uint32_t)t;
		}
	}
	p->out_first = ips_xcalloc(n, sizeof *p->out_first);
	p->out_n = ips_xcalloc(n, sizeof *p->out_n);
	size_t nout = 0, capout = 64;
	p->out_ids = ips_xmalloc(capout * sizeof *p->out_ids);
	for (size_t i = 0; i < qt; i++) {
		uint32_t s = queue[i], f = (uint32_t)fail[s];
		size_t need = nout + (own[s] >= 0) + (s ? p->out_n[f] : 0);
		if (need > capout) {
			while (capout < need)
				capout *= 2;
			p->out_ids = ips_xrealloc(p->out_ids, capout * sizeof *p->out_ids);
		}
		p->out_first[s] = (uint32_t)nout;
		if (own[s] >= 0)
			p->out_ids[nout++] = (uint32_t)own[s];
		if (s)
			for (uint32_t k = 0; k < p->out_n[f]; k++)
				p->out_ids[nout++] = p->out_ids[p->out_first[f] + k];
		p->out_n[s] = (uint32_t)nout - p->out_first[s];
	}
	p->delta = ips_xcalloc(n * nc, sizeof *p->delta);
	for (size_t i = 0; i < qt; i++) {
		uint32_t s = queue[i];
		for (size_t c = 1; c < nc; c++) {
			int32_t t = next[s * nc + c];
			uint32_t to;
			if (t >= 0)
				to = (uint32_t)t;
			else if (s)
				to = (p->delta[(size_t)fail[s] * nc + c] & ~OUT_BIT) / (uint32_t)nc;
			else
				to = 0;
			p->delta[s * nc + c] = (uint32_t)(to * nc) | (p->out_n[to] ? OUT_BIT : 0);
		}
		/* class 0 (a byte in no literal, such as '\n') goes back to the root */
	}
	free(next);
	free(own);
	free(fail);
	free(queue);
}

/* ---- build: the filters ------------------------------------------------- */

static uint32_t load32(const uint8_t *b)
{
	uint32_t x;
	memcpy(&x, b, 4);
	return x;
}

/* Windows are compared with every byte's 0x20 bit set: a coarser folding
 * than the literals' (it also pairs some punctuation), fine for a filter. */
static uint32_t window_key(const uint8_t *b)
{
	return load32(b) | 0x20202020u;
}

/*
 * A literal and an offset in it, with the 8 bytes (all, when it is shorter)
 * around the offset that a hit compares first: most windows and anchors that
 * fire are in words that only share a few bytes with the literal.
 */
static vent_t make_vent(const ips_prefilter_t *p, uint32_t lit, int32_t off)
{
	const lit_t *l = &p->lits[lit];
	uint32_t at = l->len < 8 ? 0 : ((uint32_t)off < l->len - 8 ? (uint32_t)off : l->len - 8);
	uint8_t h[8] = {0}, m[8] = {0};
	for (uint32_t i = 0; i < 8 && at + i < l->len; i++) {
		h[i] = l->s[at + i] | 0x20;
		m[i] = 0xff;
	}
	vent_t e = {lit, off, at, l->len <= 8, 0, 0};
	for (uint32_t i = 0; i < l->len && e.whole; i++)
		e.whole = l->s[i] >= 'a' && l->s[i] <= 'z'; /* c | 0x20 is only c or C */
	memcpy(&e.head, h, 8);
	memcpy(&e.mask, m, 8);
	return e;
}

static uint32_t bm_hash(uint32_t key)
{
	return (key * 0x9E3779B1u) >> (32 - BM_BITS);
}

/*
 * The short-window bitmap has a hash of its own: with bm_hash() every window
 * that collided with a short window in the first bitmap passed it too.
 */
static uint32_t bms_hash(uint32_t key)
{
	return (key * 0xC2B2AE35u) >> (32 - BM_BITS);
}

static uint32_t bm8_hash(uint64_t key)
{
	return (uint32_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - BM_BITS));
}

static uint64_t bm_test(const uint64_t *bm, uint32_t k)
{
	return bm[k >> 6] >> (k & 63) & 1;
}

static size_t vslot(uint32_t key, size_t cap)
{
	return (size_t)((key * 0x85EBCA6Bu) >> 7) & (cap - 1);
}

static int cmp_vent_key(const void *a, const void *b)
{
	const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void build_long(ips_prefilter_t *p)
{
	/* (key << 32 | vent index) pairs, sorted, give each key a vent range */
	size_t cap = 0, n = 0;
	uint64_t *pairs = NULL;
	vent_t *vents = NULL;
	for (size_t i = 0; i < p->nlits; i++) {
		const lit_t *l = &p->lits[i];
		uint8_t span[LONG_MIN + 1];
		size_t left, ns = ws_span(l, span, &left);
		if (!l->filter || (l->len < LONG_MIN && !ns))
			continue;
		p->nlong++;
		const uint8_t *s = ns ? span : l->s;
		size_t sn = ns ? ns : l->len;
		double cost;
		size_t best = best_windows(s, sn, ns ? 0 : sn, &cost);
		for (size_t j = best; j < best + STRIDE; j++) {
			/* a window over the white space: one key for each byte of it */
			size_t ws = 4;
			for (size_t k = 0; k < 4; k++)
				if (j + k < left || j + k >= left + l->len)
					ws = k;
			for (size_t v = 0; v < (ws < 4 ? WS_BYTES : 1); v++) {
				if (n == cap) {
					cap = cap ? cap * 2 : 256;
					pairs = ips_xrealloc(pairs, cap * sizeof *pairs);
					vents = ips_xrealloc(vents, cap * sizeof *vents);
				}
				uint8_t w[4];
				memcpy(w, s + j, 4);
				if (ws < 4)
					w[ws] = ws_bytes[v];
				uint32_t key = window_key(w);
				vents[n] = make_vent(p, (uint32_t)i, (int32_t)j - (int32_t)left);
				pairs[n] = (uint64_t)key << 32 | n;
				n++;
				uint32_t k = bm_hash(key);
				p->bm[k >> 6] |= 1ULL << (k & 63);
				if (!ns && j + 8 <= l->len) {
					uint64_t w8;
					memcpy(&w8, l->s + j, 8);
					k = bm8_hash(w8 | 0x2020202020202020ULL);
					p->bm8[k >> 6] |= 1ULL << (k & 63);
				} else {
					k = bms_hash(key);
					p->bms[k >> 6] |= 1ULL << (k & 63);
				}
			}
		}
	}
	if (!n)
		return;
	qsort(pairs, n, sizeof *pairs, cmp_vent_key);
	p->vents = ips_xmalloc(n * sizeof *p->vents);
	p->vcap = 16;
	while (p->vcap < 2 * n)
		p->vcap *= 2;
	p->vtab = ips_xcalloc(p->vcap, sizeof *p->vtab);
	for (size_t i = 0; i < n; i++) {
		uint32_t key = (uint32_t)(pairs[i] >> 32);
		p->vents[i] = vents[(uint32_t)pairs[i]];
		if (i && (uint32_t)(pairs[i - 1] >> 32) == key)
			continue;
		size_t s = vslot(key, p->vcap);
		while (p->vtab[s].key)
			s = (s + 1) & (p->vcap - 1);
		p->vtab[s].key = key;
		p->vtab[s].first = (uint32_t)i;
		size_t e = i;
		while (e < n && (uint32_t)(pairs[e] >> 32) == key)
			e++;
		p->vtab[s].count = (uint32_t)(e - i);
	}
	free(pairs);
	free(vents);
}

/* Where literal l holds the anchor, or -1. */
static long anchor_at(const lit_t *l, const uint8_t *b, size_t n)
{
	for (size_t j = 0; j + n <= l->len; j++)
		if (!memcmp(l->s + j, b, n))
			return (long)j;
	return -1;
}

/* Something the anchors must find: a short literal, or any member of a group
 * whose members are all short. */
typedef struct item {
	const uint32_t *opt;
	uint32_t nopt;
	int32_t grp;           /* the group, or -1 for a literal */
} item_t;

/* The first option of an item that holds the anchor, with its offset. */
static bool item_has(const ips_prefilter_t *p, const item_t *it, const uint8_t *b, size_t n,
		     vent_t *e)
{
	for (uint32_t i = 0; i < it->nopt; i++) {
		long j = anchor_at(&p->lits[it->opt[i]], b, n);
		if (j >= 0) {
			*e = make_vent(p, it->opt[i], (int32_t)j);
			return true;
		}
	}
	return false;
}

/*
 * Short literals are found by anchors: 1 to ANCHOR_LEN bytes compared at
 * every position, each firing checked against the literals that hold it.
 * Anchors are picked greedily: each time the one that covers the most items
 * still uncovered for the least work per byte of text (how often it fires
 * times the checks a firing costs, plus a price per anchor: its compares,
 * with SSE2, and its place among the MAX_ANCHORS). Returns the number of
 * anchors, or MAX_ANCHORS + 1 when the price is too low to fit; owner[k]
 * and ents[k] tell which anchor covers item k through which literal.
 */
/* A possible anchor and the items it covers (a bitset over the items). */
typedef struct cand {
	uint8_t b[ANCHOR_LEN];
	uint8_t n;
	bool common;           /* its freq counts a common word it is in */
	double freq;
	uint64_t *cover;
} cand_t;

/* Every byte and pair the items' options hold, with what each covers. */
static cand_t *anchor_cands(const ips_prefilter_t *p, const item_t *items, size_t ni,
			    size_t *ncand)
{
	size_t words = (ni + 63) / 64, n = 0, cap = 0;
	cand_t *c = NULL;
	for (size_t i = 0; i < ni; i++)
		for (uint32_t o = 0; o < items[i].nopt; o++) {
			const lit_t *l = &p->lits[items[i].opt[o]];
			for (size_t len = 1; len <= ANCHOR_LEN; len++)
				for (size_t j = 0; j + len <= l->len; j++) {
					size_t k = 0;
					while (k < n && !(c[k].n == len && !memcmp(c[k].b, l->s + j, len)))
						k++;
					if (k == n) {
						if (n == cap) {
							cap = cap ? cap * 2 : 64;
							c = ips_xrealloc(c, cap * sizeof *c);
						}
						memset(&c[n], 0, sizeof c[n]);
						memcpy(c[n].b, l->s + j, len);
						c[n].n = (uint8_t)len;
						c[n].freq = anchor_freq(l->s + j, len);
						c[n].cover = ips_xcalloc(words, sizeof(uint64_t));
						n++;
					}
					/* in a word logs use all the time ("fai" of "failed"),
					 * it fires as often as the word, and more */
					if (l->tier < 2 && !(c[k].cover[i / 64] >> (i % 64) & 1) &&
					    !c[k].common) {
						c[k].freq += tier_freq[l->tier];
						c[k].common = true;
					}
					c[k].cover[i / 64] |= 1ULL << (i % 64);
				}
		}
	*ncand = n;
	return c;
}

/*
 * Pick anchors greedily: each time the candidate that covers the most items
 * still uncovered for the least work per byte of text (how often it fires
 * times the checks a firing costs, plus a price per anchor: its compares,
 * with SSE2, and its place among the MAX_ANCHORS). Returns the number of
 * anchors, or MAX_ANCHORS + 1 when the price is too low to fit; owner[k]
 * and ents[k] tell which anchor covers item k through which literal.
 */
static size_t plan_anchors(const ips_prefilter_t *p, item_t *items, size_t ni, double price,
			   const cand_t *cand, size_t ncand, anchor_t *an, uint32_t *owner,
			   vent_t *ents)
{
	size_t words = (ni + 63) / 64, na = 0, left = ni;
	uint64_t *done = ips_xcalloc(words, sizeof *done);
	while (left) {
		if (na == MAX_ANCHORS) {
			na = MAX_ANCHORS + 1;
			break;
		}
		double best_score = 0;
		const cand_t *best = NULL;
		for (size_t k = 0; k < ncand; k++) {
			size_t covered = 0;
			for (size_t w = 0; w < words; w++)
				covered += (size_t)__builtin_popcountll(cand[k].cover[w] & ~done[w]);
			if (!covered)
				continue;
			double ops = price + cand[k].freq * (20.0 + 10.0 * (double)covered);
#if defined(HAVE_SSSE3_TARGET)
			if (!have_ssse3)
#endif
				ops += 2.0 * cand[k].n / 16;
			double score = ops / (double)covered;
			if (!best || score < best_score) {
				best_score = score;
				best = &cand[k];
			}
		}
		anchor_t *a = &an[na];
		memset(a, 0, sizeof *a);
		memcpy(a->b, best->b, ANCHOR_LEN);
		a->n = best->n;
		for (size_t k = 0; k < a->n; k++)
			a->fold[k] = a->b[k] >= 'a' && a->b[k] <= 'z';
		for (size_t k = 0; k < ni; k++)
			if (!(done[k / 64] >> (k % 64) & 1) && (best->cover[k / 64] >> (k % 64) & 1)) {
				item_has(p, &items[k], best->b, best->n, &ents[k]);
				done[k / 64] |= 1ULL << (k % 64);
				owner[k] = (uint32_t)na;
				left--;
			}
		na++;
	}
	free(done);
	return na;
}

/*
 * Teddy compares nibbles: a bucket lets through every byte whose nibbles
 * some member byte has, so sharing a bucket adds byte pairs nobody asked
 * for. The bytes a bucket's position k lets through:
 */
static void bucket_bytes(const ips_prefilter_t *p, unsigned members, size_t k, bool *ok)
{
	bool lo[16] = {false}, hi[16] = {false};
	for (unsigned m = members; m; m &= m - 1) {
		const anchor_t *a = &p->anchors[__builtin_ctz(m)];
		if (k >= a->n) {
			for (int v = 0; v < 16; v++)
				lo[v] = hi[v] = true;
			continue;
		}
		uint8_t c = a->b[k], u = a->fold[k] ? (uint8_t)(c - 32) : c;
		lo[c & 15] = hi[c >> 4] = lo[u & 15] = hi[u >> 4] = true;
	}
	for (int v = 0; v < 256; v++)
		ok[v] = lo[v & 15] && hi[v >> 4];
}

/*
 * How often a bucket with these members fires, roughly (as anchor_freq);
 * the third byte as if it did not depend on the others.
 */
static double bucket_cost(const ips_prefilter_t *p, unsigned members)
{
	bool ok0[256], ok1[256], ok2[256];
	bucket_bytes(p, members, 0, ok0);
	bucket_bytes(p, members, 1, ok1);
	bucket_bytes(p, members, 2, ok2);
	double all = 0, third = 0;
	for (int z = 0; z < 256; z++) {
		all += byte_freq((uint8_t)z);
		third += ok2[z] ? byte_freq((uint8_t)z) : 0;
	}
	double f = 0;
	for (int x = 1; x < 256; x++)
		if (ok0[x])
			for (int y = 1; y < 256; y++)
				if (ok1[y]) {
					uint8_t pair[2] = {fold((uint8_t)x), fold((uint8_t)y)};
					f += anchor_freq(pair, 2);
				}
	return f * third / all;
}

/* The bucket for anchor a: a free one, unless sharing one costs (almost) nothing. */
static size_t pick_bucket(const ips_prefilter_t *p, size_t a)
{
	size_t best = BUCKETS, nb = 0;
	double best_cost = 0;
	while (nb < BUCKETS && p->bucket[nb])
		nb++;
	double alone = bucket_cost(p, 1u << a);
	for (size_t k = 0; k < nb; k++) {
		double extra = bucket_cost(p, p->bucket[k] | 1u << a) - bucket_cost(p, p->bucket[k]) - alone;
		if (best == BUCKETS || extra < best_cost) {
			best = k;
			best_cost = extra;
		}
	}
	if (nb < BUCKETS && (best == BUCKETS || best_cost > 1e-7))
		return nb;
	return best;
}

static void build_short(ips_prefilter_t *p, item_t *items, size_t ni)
{
	p->nshort = ni;
	if (!ni)
		return;
	anchor_t an[MAX_ANCHORS];
	uint32_t *owner = ips_xmalloc(ni * sizeof *owner);
	vent_t *ents = ips_xmalloc(ni * sizeof *ents);
	static const double prices[] = {0.02, 0.1, 0.5, 2, 10, 100};
	size_t na = MAX_ANCHORS + 1, ncand;
	cand_t *cand = anchor_cands(p, items, ni, &ncand);
	for (size_t i = 0; i < sizeof prices / sizeof prices[0] && na > MAX_ANCHORS; i++)
		na = plan_anchors(p, items, ni, prices[i], cand, ncand, an, owner, ents);
	for (size_t k = 0; k < ncand; k++)
		free(cand[k].cover);
	free(cand);
	if (na > MAX_ANCHORS) {
		p->exact_only = true;
		free(owner);
		free(ents);
		return;
	}
	uint8_t nlo[ANCHOR_LEN][16] = {{0}}, nhi[ANCHOR_LEN][16] = {{0}};
	p->aents = ips_xmalloc(ni * sizeof *p->aents);
	size_t n = 0;
	for (size_t a = 0; a < na; a++) {
		p->anchors[a] = an[a];
		p->anchors[a].first = (uint32_t)n;
		for (size_t k = 0; k < ni; k++) {
			if (owner[k] != a)
				continue;
			p->aents[n++] = ents[k];
			if (items[k].grp >= 0) {
				push_u32(&p->lits[ents[k].lit].trig, &p->lits[ents[k].lit].ntrig,
					 (uint32_t)items[k].grp);
				p->grps[items[k].grp].trig = ents[k].lit;
			}
		}
		p->anchors[a].count = (uint32_t)n - p->anchors[a].first;
		const anchor_t *x = &p->anchors[a];
		size_t bk = pick_bucket(p, a);
		p->bucket[bk] |= (uint16_t)(1u << a);
		for (size_t k = 0; k < ANCHOR_LEN; k++) {
			uint8_t bit = (uint8_t)(1u << bk);
			if (k >= x->n) { /* a shorter anchor: anything may follow */
				for (int v = 0; v < 16; v++) {
					nlo[k][v] |= bit;
					nhi[k][v] |= bit;
				}
				continue;
			}
			uint8_t c = x->b[k], u = x->fold[k] ? (uint8_t)(c - 32) : c;
			nlo[k][c & 15] |= bit;
			nhi[k][c >> 4] |= bit;
			nlo[k][u & 15] |= bit;
			nhi[k][u >> 4] |= bit;
		}
#if defined(__SSE2__)
		for (size_t k = 0; k < ANCHOR_LEN; k++)
			p->want[a][k] = _mm_set1_epi8((char)x->b[k]);
#endif
	}
	p->nanchors = na;
#if defined(__SSE2__)
	for (size_t a = 0; a < na; a++)
		p->teddy3 |= p->anchors[a].n == 3;
	for (size_t k = 0; k < ANCHOR_LEN; k++) {
		p->nib_lo[k] = _mm_loadu_si128((const __m128i *)(const void *)nlo[k]);
		p->nib_hi[k] = _mm_loadu_si128((const __m128i *)(const void *)nhi[k]);
	}
#endif
	free(owner);
	free(ents);
}

/*
 * Which sides of a word of phrases only every phrase that holds it puts
 * white space on: not before a first word, not after a last one.
 */
static void word_sides(ips_prefilter_t *p)
{
	for (size_t i = 0; i < p->nlits; i++)
		p->lits[i].side = p->lits[i].ndet ? 0 : 3;
	for (size_t g = 0; g < p->ngrps; g++) {
		const grp_t *gr = &p->grps[g];
		for (uint32_t m = 0; m < gr->n; m++) {
			lit_t *l = &p->lits[gr->lits[m]];
			for (uint32_t i = 0; i < gr->ntok; i++) {
				if (gr->toklen[i] != l->len || memcmp(gr->tok[i], l->s, l->len))
					continue;
				if (i == 0)
					l->side &= (uint8_t)~1u;
				if (i + 1 == gr->ntok)
					l->side &= (uint8_t)~2u;
			}
		}
	}
}

void ips_prefilter_build(ips_prefilter_t *p)
{
	if (p->built)
		return;
	p->built = true;
	build_automaton(p);
	for (size_t i = 0; i < p->nlits; i++) {
		lit_t *l = &p->lits[i];
		for (uint32_t k = 1; k < l->len; k++)
			if (byte_freq(l->s[k]) < byte_freq(l->s[l->rare]))
				l->rare = k;
		if (l->len > p->maxlen)
			p->maxlen = l->len;
		l->tier = word_tier(l->s, l->len);
	}
	word_sides(p);
	for (size_t i = 0; i < p->nalso; i++)
		for (uint32_t j = 0; j < p->also[i].n; j++) {
			lit_t *l = &p->also[i].lits[j];
			for (uint32_t k = 1; k < l->len; k++)
				if (byte_freq(l->s[k]) < byte_freq(l->s[l->rare]))
					l->rare = k;
		}
	/* a literal whose detectors all need a second literal: its hits are
	 * checked for that before the automaton reads their line */
	for (size_t i = 0; i < p->nlits; i++) {
		lit_t *l = &p->lits[i];
		l->gated = l->ndet > 0;
		for (uint32_t k = 0; k < l->ndet && l->gated; k++) {
			bool has = false;
			for (size_t a = 0; a < p->nalso && !has; a++)
				has = p->also[a].det == l->det[k];
			l->gated = has;
		}
	}
	/* what the filters search for: literals alone, one long member of each
	 * group, and the short rest (with groups of short members) as items */
	item_t *items = ips_xmalloc((p->nlits + p->ngrps + 1) * sizeof *items);
	uint32_t *ids = ips_xmalloc((p->nlits + 1) * sizeof *ids);

	size_t ni = 0;
	for (size_t g = 0; g < p->ngrps; g++) {
		uint32_t a = 0;
		order_members(p, &p->grps[g]);
		if (group_choice(p, &p->grps[g], &a)) {
			p->lits[a].filter = true;
			push_u32(&p->lits[a].trig, &p->lits[a].ntrig, (uint32_t)g);
			p->grps[g].trig = a;
		} else {
			items[ni++] = (item_t){p->grps[g].lits, p->grps[g].n, (int32_t)g};
		}
	}
	for (size_t i = 0; i < p->nlits; i++) {
		ids[i] = (uint32_t)i;
		if (p->lits[i].ndet && p->lits[i].len < LONG_MIN)
			items[ni++] = (item_t){&ids[i], 1, -1};
	}
	p->bm = ips_xcalloc((1u << BM_BITS) / 64, sizeof *p->bm);
	p->bms = ips_xcalloc((1u << BM_BITS) / 64, sizeof *p->bms);
	p->bm8 = ips_xcalloc((1u << BM_BITS) / 64, sizeof *p->bm8);
	build_long(p);
	build_short(p, items, ni);
	/* without anchors (too many short literals) a phrase still needs a
	 * trigger word for the automaton's pass */
	for (size_t g = 0; g < p->ngrps; g++)
		if (p->grps[g].trig == UINT32_MAX) {
			p->grps[g].trig = p->grps[g].lits[0];
			push_u32(&p->lits[p->grps[g].trig].trig, &p->lits[p->grps[g].trig].ntrig,
				 (uint32_t)g);
		}
	/* where each phrase's trigger stands among its words: phrase_near()
	 * runs on every hit of a trigger, most of them in lines of other text */
	for (size_t g = 0; g < p->ngrps; g++) {
		grp_t *gr = &p->grps[g];
		lit_t *l = &p->lits[gr->trig];
		l->lone |= gr->ntok == 1;
		for (uint32_t i = 0; i < gr->ntok; i++) {
			if (gr->toklen[i] != l->len || memcmp(gr->tok[i], l->s, l->len))
				continue;
			push_u32(&gr->at, &gr->nat, i);
			if (i + 1 < gr->ntok) {
				uint8_t c = gr->tok[i + 1][0];
				l->next1[c >> 6] |= 1ULL << (c & 63);
			} else {
				l->ends = true;
			}
			if (i > 0) {
				uint8_t c = gr->tok[i - 1][gr->toklen[i - 1] - 1];
				l->prev1[c >> 6] |= 1ULL << (c & 63);
			} else {
				l->starts = true;
			}
		}
	}
	free(items);
	free(ids);
	free(p->lhash);
	p->lhash = NULL;
}

void ips_prefilter_free(ips_prefilter_t *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nalso; i++) {
		for (uint32_t j = 0; j < p->also[i].n; j++)
			free(p->also[i].lits[j].s);
		free(p->also[i].lits);
	}
	free(p->also);
	for (size_t i = 0; i < p->nlits; i++) {
		free(p->lits[i].s);
		free(p->lits[i].det);
		free(p->lits[i].grp);
		free(p->lits[i].trig);
	}
	free(p->lits);
	for (size_t i = 0; i < p->ngrps; i++) {
		free(p->grps[i].lits);
		free(p->grps[i].at);
		for (uint32_t k = 0; k < p->grps[i].ntok; k++)
			free(p->grps[i].tok[k]);
		free(p->grps[i].tok);
		free(p->grps[i].toklen);
	}
	free(p->grps);
	free(p->lhash);
	free(p->delta);
	free(p->out_first);
	free(p->out_n);
	free(p->out_ids);
	free(p->bm);
	free(p->bms);
	free(p->bm8);
	free(p->vtab);
	free(p->vents);
	free(p->aents);
	free(p);
}

void ips_prefilter_stats(const ips_prefilter_t *p, ips_prefilter_stats_t *st)
{
	st->literals = p->nlits;
	st->long_literals = p->nlong;
	st->short_literals = p->nshort;
	st->anchors = p->nanchors;
	st->exact_only = p->exact_only;
	st->states = p->nstates;
	st->classes = p->ncls;
}

/* ---- the exact pass: which detectors a line (or record) selects ----------- */

typedef struct found {
	uint32_t ids[MAX_FOUND];
	size_t n;
	bool overflow;
} found_t;

static void note_lit(const ips_prefilter_t *p, uint32_t id, uint64_t *set, found_t *f)
{
	const lit_t *l = &p->lits[id];
	for (uint32_t k = 0; k < l->ndet; k++)
		set[l->det[k] / 64] |= 1ULL << (l->det[k] % 64);
	if (!l->ngrp)
		return;
	for (size_t k = 0; k < f->n; k++)
		if (f->ids[k] == id)
			return;
	if (f->n < MAX_FOUND)
		f->ids[f->n++] = id;
	else
		f->overflow = true;
}

static bool was_found(const found_t *f, uint32_t id)
{
	for (size_t k = 0; k < f->n; k++)
		if (f->ids[k] == id)
			return true;
	return false;
}

static bool lit_at(const lit_t *l, const uint8_t *b, size_t len, size_t t)
{
	if (t + l->len > len)
		return false;
	for (uint32_t i = 0; i < l->len; i++)
		if (fold_tab[b[t + i]] != l->s[i])
			return false;
	return true;
}

/* White space as PCRE2's \s (a record's phrase may wrap a line). */
static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool word_at(const uint8_t *b, size_t len, size_t t, const uint8_t *w, size_t n)
{
	if (t + n > len)
		return false;
	for (size_t i = 0; i < n; i++)
		if (fold_tab[b[t + i]] != w[i])
			return false;
	return true;
}

/*
 * The words next to a hit of n bytes at t (in the line that starts at lo):
 * where the one after it starts and where the one before it ends, past
 * white space; SIZE_MAX where no white space follows or precedes the hit.
 */
typedef struct near {
	size_t after, before;
} near_t;

static inline __attribute__((always_inline)) near_t near_of(const uint8_t *b, size_t len,
							      size_t lo, size_t t, size_t n)
{
	near_t nr = {SIZE_MAX, SIZE_MAX};
	size_t e = t + n, s = t;
	while (e < len && is_space(b[e]))
		e++;
	if (e > t + n)
		nr.after = e;
	while (s > lo && is_space(b[s - 1]))
		s--;
	if (s < t)
		nr.before = s;
	return nr;
}

/*
 * Does the phrase's trigger word, with these neighbours, stand between the
 * words before and after it in the phrase? The cheap check on the text next
 * to a hit, before looking for the other words in the whole line.
 */
static inline __attribute__((always_inline)) bool phrase_fits(const grp_t *g, const uint8_t *b,
								size_t len, size_t lo,
								const near_t *nr)
{
	for (uint32_t k = 0; k < g->nat; k++) {
		uint32_t i = g->at[k];
		if (i + 1 < g->ntok &&
		    (nr->after == SIZE_MAX ||
		     !word_at(b, len, nr->after, g->tok[i + 1], g->toklen[i + 1])))
			continue;
		if (i > 0 && (nr->before == SIZE_MAX || nr->before < lo + g->toklen[i - 1] ||
			      !word_at(b, len, nr->before - g->toklen[i - 1], g->tok[i - 1],
				       g->toklen[i - 1])))
			continue;
		return true;
	}
	return false;
}

/* The same for one hit of the trigger at t. */
static bool phrase_near(const ips_prefilter_t *p, const grp_t *g, const uint8_t *b, size_t len,
			size_t lo, size_t t)
{
	near_t nr = near_of(b, len, lo, t, p->lits[g->trig].len);
	return phrase_fits(g, b, len, lo, &nr);
}

/* Does the phrase stand somewhere in text (its trigger next to its neighbours)? */
static bool phrase_in(const ips_prefilter_t *p, const grp_t *g, const uint8_t *b, size_t len)
{
	const lit_t *l = &p->lits[g->trig];
	for (size_t t = 0; t + l->len <= len; t++)
		if (fold_tab[b[t]] == l->s[0] && lit_at(l, b, len, t) && phrase_near(p, g, b, len, 0, t))
			return true;
	return false;
}

/* Run the automaton over text; fills set; true if any detector is selected. */
static bool gather(const ips_prefilter_t *p, const uint8_t *b, size_t len, uint64_t *set)
{
	memset(set, 0, p->words * sizeof *set);
	const uint32_t *delta = p->delta;
	const uint8_t *cls = p->cls;
	found_t f;
	f.n = 0;
	f.overflow = false;
	uint32_t s = 0;
	for (size_t i = 0; i < len; i++) {
		s = delta[(s & ~OUT_BIT) + cls[b[i]]];
		if (s & OUT_BIT) {
			uint32_t st = (s & ~OUT_BIT) / (uint32_t)p->ncls;
			for (uint32_t k = 0; k < p->out_n[st]; k++)
				note_lit(p, p->out_ids[p->out_first[st] + k], set, &f);
		}
	}
	/* a phrase is complete when all its words are found: look at those
	 * whose trigger word is (every phrase has one) */
	for (size_t k = 0; k < f.n; k++) {
		const lit_t *l = &p->lits[f.ids[k]];
		for (uint32_t g = 0; g < l->ntrig; g++) {
			const grp_t *gr = &p->grps[l->trig[g]];
			bool all = true;
			for (uint32_t m = 0; m < gr->n && all && !f.overflow; m++)
				all = was_found(&f, gr->lits[m]);
			if (all && (f.overflow || phrase_in(p, gr, b, len)))
				set[gr->det / 64] |= 1ULL << (gr->det % 64);
		}
	}
	for (size_t w = 0; w < p->words; w++)
		if (set[w])
			return true;
	return false;
}

/* ---- the filters -------------------------------------------------------- */


/*
 * What the filters confirmed in a chunk: literal starts not before lo (the
 * lines before are done), in the order found; past MAX_HITS, overflow.
 */
#define MAX_HITS 16

typedef struct hunt {
	size_t lo;
	size_t n;
	bool overflow;
	size_t t[MAX_HITS];
	uint32_t lit[MAX_HITS];
} hunt_t;

/* The cheap half: does any phrase of literal id stand right at t? */
static bool phrase_possible(const ips_prefilter_t *p, uint32_t id, const uint8_t *b, size_t len,
			    size_t lo, size_t t)
{
	const lit_t *l = &p->lits[id];
	/* a word of many phrases ("invalid"): its neighbours are found once */
	near_t nr = near_of(b, len, lo, t, l->len);
	if (nr.after == SIZE_MAX && nr.before == SIZE_MAX && !l->lone)
		return false; /* no phrase of two words or more stands here */
	/* the bytes next to the white space: can any of its phrases go on so? */
	if (!l->ends) {
		if (nr.after == SIZE_MAX || nr.after >= len)
			return false; /* no word after it */
		uint8_t c = fold_tab[b[nr.after]];
		if (!(l->next1[c >> 6] >> (c & 63) & 1))
			return false;
	}
	if (!l->starts) {
		if (nr.before == SIZE_MAX || nr.before <= lo)
			return false; /* no word before it in its line */
		uint8_t c = fold_tab[b[nr.before - 1]];
		if (!(l->prev1[c >> 6] >> (c & 63) & 1))
			return false;
	}
	for (uint32_t g = 0; g < l->ntrig; g++)
		if (phrase_fits(&p->grps[l->trig[g]], b, len, lo, &nr))
			return true;
	return false;
}

static inline __attribute__((always_inline)) void confirm(const ips_prefilter_t *p, const uint8_t *b, size_t len, hunt_t *h, size_t x,
		    const vent_t *e)
{
	if (e->off > 0 && (size_t)e->off > x)
		return;
	size_t t = x - (size_t)(ptrdiff_t)e->off; /* off -1: the word starts after x */
	if (t < h->lo)
		return;
	if (t + e->at + 8 <= len) {
		uint64_t w;
		memcpy(&w, b + t + e->at, 8);
		if (((w | 0x2020202020202020ULL) & e->mask) != e->head)
			return;
		if (!e->whole && !lit_at(&p->lits[e->lit], b, len, t))
			return;
	} else if (!lit_at(&p->lits[e->lit], b, len, t)) {
		return;
	}
	/* a word of phrases only, none of which stands here: not worth a hit
	 * (the search checks again, with the line's true start) */
	if (!p->lits[e->lit].ndet && !phrase_possible(p, e->lit, b, len, h->lo, t))
		return;
	if (h->n == MAX_HITS) {
		h->overflow = true;
		return;
	}
	/* keep them sorted by start */
	size_t i = h->n++;
	for (; i > 0 && h->t[i - 1] > t; i--) {
		h->t[i] = h->t[i - 1];
		h->lit[i] = h->lit[i - 1];
	}
	h->t[i] = t;
	h->lit[i] = e->lit;
}

/*
 * A window at q passed the bitmap: may it start a literal? Most long
 * literals have 8 bytes from each of their windows on; a second bitmap of
 * those turns away most windows that only share 4 bytes with one. Inlined
 * in the loops: it turns away about two windows in three.
 */
static inline __attribute__((always_inline)) bool long_may(const ips_prefilter_t *p,
							    const uint8_t *b, size_t q)
{
	if (bm_test(p->bms, bms_hash(window_key(b + q))))
		return true;
	uint64_t w8;
	memcpy(&w8, b + q, 8);
	return bm_test(p->bm8, bm8_hash(w8 | 0x2020202020202020ULL));
}

/* Then check the literals that have the window at q. */
static void verify_long(const ips_prefilter_t *p, const uint8_t *b, size_t len, hunt_t *h,
			size_t q)
{
	uint32_t key = window_key(b + q);
	for (size_t s = vslot(key, p->vcap); p->vtab[s].key; s = (s + 1) & (p->vcap - 1)) {
		if (p->vtab[s].key != key)
			continue;
		for (uint32_t k = 0; k < p->vtab[s].count; k++)
			confirm(p, b, len, h, q, &p->vents[p->vtab[s].first + k]);
		break;
	}
}

/* Anchor a fired at x: check the literals that hold it. */
static void verify_short(const ips_prefilter_t *p, const anchor_t *a, const uint8_t *b,
			 size_t len, hunt_t *h, size_t x)
{
	for (uint32_t k = 0; k < a->count; k++)
		confirm(p, b, len, h, x, &p->aents[a->first + k]);
}

#if defined(__SSE2__)
static __m128i anchor_eq(const ips_prefilter_t *p, size_t i, const __m128i v[ANCHOR_LEN],
			 const __m128i f[ANCHOR_LEN])
{
	const anchor_t *a = &p->anchors[i];
	__m128i e = _mm_cmpeq_epi8(a->fold[0] ? f[0] : v[0], p->want[i][0]);
	for (size_t k = 1; k < a->n; k++)
		e = _mm_and_si128(e, _mm_cmpeq_epi8(a->fold[k] ? f[k] : v[k], p->want[i][k]));
	return e;
}
#endif

static bool anchor_fires(const anchor_t *a, const uint8_t *b)
{
	for (size_t k = 0; k < a->n; k++) {
		uint8_t c = a->fold[k] ? (uint8_t)(b[k] | 0x20) : b[k];
		if (c != a->b[k])
			return false;
	}
	return true;
}

/*
 * Bit i set: anchor `which` (or any anchor, for SIZE_MAX) fires at b[i].
 * Reads b[0..CHUNK + ANCHOR_LEN - 1).
 */
static uint64_t anchor_mask(const ips_prefilter_t *p, size_t which, const uint8_t *b)
{
	uint64_t m = 0;
#if defined(__SSE2__)
	const __m128i x20 = _mm_set1_epi8(0x20);
	for (int k = 0; k < CHUNK / 16; k++) {
		__m128i v[ANCHOR_LEN], f[ANCHOR_LEN];
		for (int j = 0; j < ANCHOR_LEN; j++) {
			v[j] = _mm_loadu_si128((const __m128i *)(const void *)(b + 16 * k + j));
			f[j] = _mm_or_si128(v[j], x20);
		}
		__m128i acc;
		if (which != SIZE_MAX) {
			acc = anchor_eq(p, which, v, f);
		} else {
			acc = anchor_eq(p, 0, v, f);
			for (size_t i = 1; i < p->nanchors; i++)
				acc = _mm_or_si128(acc, anchor_eq(p, i, v, f));
		}
		m |= (uint64_t)(uint16_t)_mm_movemask_epi8(acc) << (16 * k);
	}
#else
	for (size_t i = 0; i < CHUNK; i++)
		for (size_t a = 0; a < p->nanchors; a++)
			if ((which == SIZE_MAX || which == a) && anchor_fires(&p->anchors[a], b + i)) {
				m |= 1ULL << i;
				break;
			}
#endif
	return m;
}

#if defined(HAVE_SSSE3_TARGET) && defined(__SSE2__)
/*
 * Teddy: per position, the buckets with an anchor whose first byte may be
 * the position's byte, whose second the next one (and third the one after,
 * if any anchor has three), by nibble tables (a byte matches when both its
 * nibbles do, a superset). bits[i] gets the
 * buckets at b[i]; returns the positions with any.
 */
__attribute__((target("ssse3"))) static uint64_t teddy_mask(const ips_prefilter_t *p,
							      const uint8_t *b, uint8_t *bits)
{
	const __m128i low = _mm_set1_epi8(0x0f);
	uint64_t m = 0;
	for (int k = 0; k < CHUNK / 16; k++) {
		__m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)(b + 16 * k));
		__m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(b + 16 * k + 1));
		__m128i r0 = _mm_and_si128(
			_mm_shuffle_epi8(p->nib_lo[0], _mm_and_si128(v0, low)),
			_mm_shuffle_epi8(p->nib_hi[0], _mm_and_si128(_mm_srli_epi16(v0, 4), low)));
		__m128i r1 = _mm_and_si128(
			_mm_shuffle_epi8(p->nib_lo[1], _mm_and_si128(v1, low)),
			_mm_shuffle_epi8(p->nib_hi[1], _mm_and_si128(_mm_srli_epi16(v1, 4), low)));
		__m128i r = _mm_and_si128(r0, r1);
		if (p->teddy3) {
			__m128i v2 = _mm_loadu_si128((const __m128i *)(const void *)(b + 16 * k + 2));
			r = _mm_and_si128(r, _mm_and_si128(
				_mm_shuffle_epi8(p->nib_lo[2], _mm_and_si128(v2, low)),
				_mm_shuffle_epi8(p->nib_hi[2], _mm_and_si128(_mm_srli_epi16(v2, 4), low))));
		}
		uint32_t z = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(r, _mm_setzero_si128()));
		if (z != 0xffff) {
			_mm_storeu_si128((__m128i *)(void *)(bits + 16 * k), r);
			m |= (uint64_t)(~z & 0xffff) << (16 * k);
		}
	}
	return m;
}

#endif

/*
 * AVX2 Teddy, each 32 bytes looked up once: r.k has at byte i the buckets
 * whose anchors may have the byte at i in place k (the nibble tables of
 * place k, loaded once per scan_quiet_avx2() call). An anchor may start at
 * i where r.p0 at i, r.p1 at i + 1 and r.p2 at i + 2 share a bucket: the
 * next 32 bytes' r give the places past the end.
 */
typedef struct teddy_avx2 {
	__m256i lo0, hi0, lo1, hi1, lo2, hi2;
} teddy_avx2_t;

typedef struct teddy_r {
	__m256i p0, p1, p2;
} teddy_r_t;

__attribute__((target("avx2"))) static inline __attribute__((always_inline)) teddy_r_t
teddy_r_avx2(const teddy_avx2_t *t, const uint8_t *b)
{
	const __m256i low = _mm256_set1_epi8(0x0f);
	__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)b);
	__m256i lo = _mm256_and_si256(v, low), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
	teddy_r_t r;
	r.p0 = _mm256_and_si256(_mm256_shuffle_epi8(t->lo0, lo), _mm256_shuffle_epi8(t->hi0, hi));
	r.p1 = _mm256_and_si256(_mm256_shuffle_epi8(t->lo1, lo), _mm256_shuffle_epi8(t->hi1, hi));
	r.p2 = _mm256_and_si256(_mm256_shuffle_epi8(t->lo2, lo), _mm256_shuffle_epi8(t->hi2, hi));
	return r;
}

/* a moved down by n bytes (1 or 2), b's first bytes after it */
#define SHIFT_IN(a, b, n) _mm256_alignr_epi8(_mm256_permute2x128_si256((a), (b), 0x21), (a), (n))

/* The positions of the 32 bytes of r where an anchor may start (nx: the r of the next 32). */
__attribute__((target("avx2"))) static inline __attribute__((always_inline)) uint32_t
teddy_starts_avx2(const teddy_r_t *r, const teddy_r_t *nx, uint8_t *bits)
{
	__m256i m = _mm256_and_si256(r->p0, _mm256_and_si256(SHIFT_IN(r->p1, nx->p1, 1),
							       SHIFT_IN(r->p2, nx->p2, 2)));
	uint32_t z = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(m, _mm256_setzero_si256()));
	if (z != 0xffffffffu)
		_mm256_storeu_si256((__m256i *)(void *)bits, m);
	return ~z;
}

/*
 * AVX2: the 16 sampled windows of a chunk are the 32-bit lanes of two
 * 32-byte loads at q; their hashes index the bitmap through a gather.
 * Returns bit i set when the window at q + 4 * i is in the bitmap.
 */
__attribute__((target("avx2"))) static uint32_t windows_avx2(const ips_prefilter_t *p,
							       const uint8_t *b)
{
	const __m256i fold20 = _mm256_set1_epi8(0x20), mul = _mm256_set1_epi32((int)0x9E3779B1u);
	const __m256i low5 = _mm256_set1_epi32(31);
	uint32_t m = 0;
	for (int k = 0; k < 2; k++) {
		__m256i w = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)(b + 32 * k)),
					    fold20);
		__m256i h = _mm256_srli_epi32(_mm256_mullo_epi32(w, mul), 32 - BM_BITS);
		__m256i words = _mm256_i32gather_epi32((const int *)(const void *)p->bm,
						       _mm256_srli_epi32(h, 5), 4);
		__m256i bit = _mm256_srlv_epi32(words, _mm256_and_si256(h, low5));
		m |= (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32(bit, 31)))
		     << (8 * k);
	}
	return m;
}

/* Teddy's positions m (with their buckets in bits) in the chunk at c: check them. */
static inline __attribute__((always_inline)) void teddy_hits(const ips_prefilter_t *p,
							      const uint8_t *b, size_t len,
							      hunt_t *h, size_t c, uint64_t m,
							      const uint8_t *bits)
{
	for (; m; m &= m - 1) {
		size_t i = (size_t)__builtin_ctzll(m);
		unsigned ab = 0;
		for (unsigned bk = bits[i]; bk; bk &= bk - 1)
			ab |= p->bucket[__builtin_ctz(bk)];
		for (; ab; ab &= ab - 1) {
			const anchor_t *a = &p->anchors[__builtin_ctz(ab)];
			/* the nibble tables let near misses through */
			if (anchor_fires(a, b + c + i))
				verify_short(p, a, b, len, h, c + i);
		}
	}
}

/*
 * Look at the chunk at c: the literal starts it confirms go to h; *q is the
 * next sampled window position (it moves past the chunk). Each occurrence of
 * a literal is confirmed once: through the one sampled window among its
 * windows, or through its anchor. With SSSE3, SSE2 or plain C; AVX2 has its
 * own loop, scan_quiet_avx2().
 */
static void scan_chunk(const ips_prefilter_t *p, const uint8_t *b, size_t len, hunt_t *h,
		       size_t c, size_t *q)
{
#if defined(HAVE_SSSE3_TARGET) && defined(__SSE2__)
	if (p->nanchors && have_ssse3) {
		uint8_t bits[CHUNK];
		uint64_t m = teddy_mask(p, b + c, bits);
		teddy_hits(p, b, len, h, c, m, bits);
	} else
#endif
	if (p->nanchors) {
		uint64_t any = anchor_mask(p, SIZE_MAX, b + c);
		for (size_t a = 0; any && a < p->nanchors; a++) {
			uint64_t m = p->nanchors == 1 ? any : anchor_mask(p, a, b + c);
			for (; m; m &= m - 1)
				verify_short(p, &p->anchors[a], b, len, h,
					     c + (size_t)__builtin_ctzll(m));
		}
	}
	if (p->nlong) {
		/* two windows from one 8-byte load (STRIDE is 4) */
		const uint64_t *bm = p->bm;
		size_t end = c + CHUNK, x = *q;
		for (; x + 2 * STRIDE <= end; x += 2 * STRIDE) {
			uint64_t w;
			memcpy(&w, b + x, 8);
			w |= 0x2020202020202020ULL;
			uint32_t k0 = bm_hash((uint32_t)w), k1 = bm_hash((uint32_t)(w >> 32));
			if (bm_test(bm, k0) | bm_test(bm, k1)) {
				if (bm_test(bm, k0) && long_may(p, b, x))
					verify_long(p, b, len, h, x);
				if (bm_test(bm, k1) && long_may(p, b, x + STRIDE))
					verify_long(p, b, len, h, x + STRIDE);
			}
		}
		for (; x < end; x += STRIDE)
			if (bm_test(bm, bm_hash(window_key(b + x))) && long_may(p, b, x))
				verify_long(p, b, len, h, x);
		*q = x;
	}
}

#if defined(HAVE_SSSE3_TARGET) && defined(__SSE2__)
/*
 * scan_chunk() with AVX2, over the chunks from c on with the searches
 * inlined (see scan_quiet): most chunks confirm nothing, and the calls per
 * chunk were a tenth of the work.
 */
__attribute__((target("avx2"))) static size_t scan_quiet_avx2(const ips_prefilter_t *p,
							       const uint8_t *b, size_t len,
							       hunt_t *h, size_t c, size_t *q)
{
	teddy_avx2_t t = {
		_mm256_broadcastsi128_si256(p->nib_lo[0]), _mm256_broadcastsi128_si256(p->nib_hi[0]),
		_mm256_broadcastsi128_si256(p->nib_lo[1]), _mm256_broadcastsi128_si256(p->nib_hi[1]),
		_mm256_broadcastsi128_si256(p->nib_lo[2]), _mm256_broadcastsi128_si256(p->nib_hi[2]),
	};
	teddy_r_t r0 = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
	if (p->nanchors && c + TAIL <= len)
		r0 = teddy_r_avx2(&t, b + c);
	for (; c + TAIL <= len; c += CHUNK) {
		__builtin_prefetch(b + c + PREFETCH);
		if (p->nanchors) {
			uint8_t bits[CHUNK];
			teddy_r_t r1 = teddy_r_avx2(&t, b + c + 32), r2 = teddy_r_avx2(&t, b + c + 64);
			uint64_t m = teddy_starts_avx2(&r0, &r1, bits) |
				     (uint64_t)teddy_starts_avx2(&r1, &r2, bits + 32) << 32;
			r0 = r2; /* the next chunk's first 32 bytes */
			teddy_hits(p, b, len, h, c, m, bits);
		}
		if (p->nlong) {
			size_t x = *q;
			for (uint32_t m = windows_avx2(p, b + x); m; m &= m - 1) {
				size_t w = x + STRIDE * (size_t)__builtin_ctz(m);
				if (long_may(p, b, w))
					verify_long(p, b, len, h, w);
			}
			*q = x + 16 * STRIDE;
		}
		if (h->n || h->overflow)
			break;
	}
	return c;
}
#endif

/*
 * Look at the chunks from c on until one confirms a literal (its hits in h)
 * or fewer than TAIL bytes are left; returns that chunk's start.
 */
static size_t scan_quiet(const ips_prefilter_t *p, const uint8_t *b, size_t len, hunt_t *h,
			 size_t c, size_t *q)
{
#if defined(HAVE_SSSE3_TARGET) && defined(__SSE2__)
	if (have_avx2)
		return scan_quiet_avx2(p, b, len, h, c, q);
#endif
	for (; c + TAIL <= len; c += CHUNK) {
		__builtin_prefetch(b + c + PREFETCH);
		scan_chunk(p, b, len, h, c, q);
		if (h->n || h->overflow)
			break;
	}
	return c;
}

/* ---- searching ---------------------------------------------------------- */

static size_t line_start(const uint8_t *b, size_t from, size_t t)
{
	const uint8_t *nl = memrchr(b + from, '\n', t - from);
	return nl ? (size_t)(nl - b) + 1 : from;
}

static size_t line_end(const uint8_t *b, size_t len, size_t t)
{
	const uint8_t *nl = memchr(b + t, '\n', len - t);
	return nl ? (size_t)(nl - b) : len;
}

static bool also_ok(const ips_prefilter_t *p, const uint8_t *b, size_t len, uint64_t *set);

/* The automaton over every byte from pos (a line start) to the end. */
static int exact_lines(const ips_prefilter_t *p, const uint8_t *b, size_t len, size_t pos,
		       ips_line_cb cb, void *ctx, uint64_t *set)
{
	const uint32_t *delta = p->delta;
	const uint8_t *cls = p->cls;
	uint32_t s = 0;
	for (size_t i = pos; i < len; i++) {
		s = delta[(s & ~OUT_BIT) + cls[b[i]]];
		if (!(s & OUT_BIT))
			continue;
		size_t ls = line_start(b, pos, i), le = line_end(b, len, i);
		if (gather(p, b + ls, le - ls, set) && also_ok(p, b + ls, le - ls, set) &&
		    cb(ctx, (const char *)b + ls, le - ls, ls, set))
			return 1;
		s = 0;
		i = le; /* the loop steps over the '\n' */
		pos = le + 1;
	}
	return 0;
}

/* The first i in [from, to) where b[i] is c (a letter: either case). */
static const uint8_t *find_byte(const uint8_t *b, size_t from, size_t to, uint8_t c)
{
	if (!(c >= 'a' && c <= 'z'))
		return from < to ? memchr(b + from, c, to - from) : NULL;
	size_t i = from;
#if defined(__SSE2__)
	const __m128i x20 = _mm_set1_epi8(0x20), want = _mm_set1_epi8((char)c);
	for (; i + 16 <= to; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
		int m = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(v, x20), want));
		if (m)
			return b + i + __builtin_ctz((unsigned)m);
	}
#endif
	for (; i < to; i++)
		if ((b[i] | 0x20) == c)
			return b + i;
	return NULL;
}

/* Does the line hold literal l (anywhere, case folded)? Searched from its rarest byte. */
static bool line_has(const uint8_t *b, size_t n, const lit_t *l)
{
	if (l->len > n)
		return false;
	size_t from = l->rare, to = n - l->len + l->rare + 1;
	const uint8_t *x;
	while ((x = find_byte(b, from, to, l->s[l->rare])) != NULL) {
		size_t i = (size_t)(x - b);
		if (lit_at(l, b, n, i - l->rare))
			return true;
		from = i + 1;
	}
	return false;
}

/*
 * Drop the candidates whose line (or record) lacks every literal of one of
 * their second sets (ips_prefilter_also); true if any candidate remains.
 * Runs only on lines the filters and the automaton already selected.
 */
static bool also_ok(const ips_prefilter_t *p, const uint8_t *b, size_t len, uint64_t *set)
{
	for (size_t i = 0; i < p->nalso; i++) {
		const also_t *a = &p->also[i];
		if (!(set[a->det / 64] >> (a->det % 64) & 1))
			continue;
		bool has = false;
		for (uint32_t k = 0; k < a->n && !has; k++)
			has = line_has(b, len, &a->lits[k]);
		if (!has)
			set[a->det / 64] &= ~(1ULL << (a->det % 64));
	}
	for (size_t w = 0; w < p->words; w++)
		if (set[w])
			return true;
	return false;
}

/*
 * A hit of a gated literal that triggers no phrase: does its line (n bytes at
 * b) keep any of its detectors after their second sets? If not, the hit adds
 * no candidate, and the line is read only for another hit in it.
 */
static bool gated_kept(const ips_prefilter_t *p, const lit_t *l, const uint8_t *b, size_t n)
{
	for (uint32_t k = 0; k < l->ndet; k++) {
		bool kept = true;
		for (size_t i = 0; i < p->nalso && kept; i++) {
			const also_t *a = &p->also[i];
			if (a->det != l->det[k])
				continue;
			bool has = false;
			for (uint32_t j = 0; j < a->n && !has; j++)
				has = line_has(b, n, &a->lits[j]);
			kept = has;
		}
		if (kept)
			return true;
	}
	return false;
}

/*
 * Can the literal at t (start of the line at b + ls ... le) complete a phrase
 * the filters find through it? (A phrase found through another word is
 * checked when that one is found.)
 */
static bool group_possible(const ips_prefilter_t *p, uint32_t id, const uint8_t *b, size_t ls,
			   size_t le, size_t t)
{
	const lit_t *l = &p->lits[id];
	for (uint32_t g = 0; g < l->ntrig; g++) {
		const grp_t *gr = &p->grps[l->trig[g]];
		if (!phrase_near(p, gr, b, le, ls, t))
			continue;
		bool all = true;
		for (uint32_t m = 0; m < gr->n && all; m++)
			all = gr->lits[m] == id || line_has(b + ls, le - ls, &p->lits[gr->lits[m]]);
		if (all)
			return true;
	}
	return false;
}


int ips_prefilter_scan_lines(const ips_prefilter_t *p, const char *buf, size_t len,
			     ips_line_cb cb, void *ctx)
{
	const uint8_t *b = (const uint8_t *)buf;
	uint64_t dets[64];
	uint64_t *set = p->words <= 64 ? dets : ips_xmalloc(p->words * sizeof *set);
	int stop = 0;
	size_t c = 0, q = 0;
	hunt_t h;
	h.lo = 0;
	if (!p->exact_only) {
		while (c + TAIL <= len && !stop) {
			h.n = 0;
			h.overflow = false;
			c = scan_quiet(p, b, len, &h, c, &q);
			if (c + TAIL > len)
				break; /* nothing found up to the tail */
			if (h.overflow) {
				/* too many hits to keep: the automaton reads these lines */
				size_t from = line_start(b, h.lo, c), to = line_end(b, len, c + CHUNK);
				to += to < len;
				stop = exact_lines(p, b, to, from, cb, ctx, set);
				h.lo = c = q = to;
				continue;
			}
			c += CHUNK;
			/*
			 * Every window and anchor before c is looked at, so the lines
			 * before a confirmed literal's hold none but those confirmed.
			 */
			for (size_t i = 0; i < h.n && !stop; i++) {
				size_t t = h.t[i];
				if (t < h.lo)
					continue; /* in a line handed over already */
				/* a word of phrases only, none of which the line completes */
				const lit_t *l = &p->lits[h.lit[i]];
				bool phrase_only = !l->ndet;
				if (phrase_only && !phrase_possible(p, h.lit[i], b, len, h.lo, t))
					continue;
				size_t ls = line_start(b, h.lo, t), le = line_end(b, len, t);
				if (phrase_only && !group_possible(p, h.lit[i], b, ls, le, t))
					continue;
				/* "error" without RAS or VPN in its line: its hits are the
				 * line's only literals before c, or another hit reads it */
				if (l->gated && !l->ntrig && !gated_kept(p, l, b + ls, le - ls))
					continue;
				if (gather(p, b + ls, le - ls, set) && also_ok(p, b + ls, le - ls, set))
					stop = cb(ctx, buf + ls, le - ls, ls, set);
				h.lo = le + 1;
			}
			if (h.lo > c)
				c = q = h.lo;
		}
		/* the line the filters stopped in, and the rest, go to the automaton */
		if (!stop && h.lo < len && c > h.lo)
			h.lo = line_start(b, h.lo, c < len ? c : len);
	}
	if (!stop && h.lo < len)
		stop = exact_lines(p, b, len, h.lo, cb, ctx, set);
	if (set != dets)
		free(set);
	return stop;
}

/* ---- counting lines ----------------------------------------------------- */

#if defined(HAVE_SSSE3_TARGET) && defined(__SSE2__) && defined(__x86_64__)
/*
 * AVX2: four 32-byte compares with '\n' a round, each subtracted from its
 * own per-lane byte counters (255 rounds before psadbw sums them). Returns
 * the count over the whole 128-byte rounds; *done their bytes.
 */
__attribute__((target("avx2"))) static uint64_t count_nl_avx2(const uint8_t *b, size_t n,
							       size_t *done)
{
	const __m256i nl = _mm256_set1_epi8('\n'), zero = _mm256_setzero_si256();
	uint64_t c = 0;
	size_t i = 0;
	while (n - i >= 128) {
		size_t rounds = (n - i) / 128;
		if (rounds > 255)
			rounds = 255;
		__m256i a0 = zero, a1 = zero, a2 = zero, a3 = zero;
		for (size_t r = 0; r < rounds; r++, i += 128) {
			const __m256i *v = (const __m256i *)(const void *)(b + i);
			a0 = _mm256_sub_epi8(a0, _mm256_cmpeq_epi8(_mm256_loadu_si256(v), nl));
			a1 = _mm256_sub_epi8(a1, _mm256_cmpeq_epi8(_mm256_loadu_si256(v + 1), nl));
			a2 = _mm256_sub_epi8(a2, _mm256_cmpeq_epi8(_mm256_loadu_si256(v + 2), nl));
			a3 = _mm256_sub_epi8(a3, _mm256_cmpeq_epi8(_mm256_loadu_si256(v + 3), nl));
		}
		__m256i sum = _mm256_add_epi64(_mm256_add_epi64(_mm256_sad_epu8(a0, zero),
								 _mm256_sad_epu8(a1, zero)),
					       _mm256_add_epi64(_mm256_sad_epu8(a2, zero),
								 _mm256_sad_epu8(a3, zero)));
		__m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(sum),
					   _mm256_extracti128_si256(sum, 1));
		c += (uint64_t)_mm_cvtsi128_si64(s2) +
		     (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(s2, s2));
	}
	*done = i;
	return c;
}
#endif

uint64_t ips_prefilter_count_nl(const char *buf, size_t n)
{
	const uint8_t *b = (const uint8_t *)buf;
	uint64_t c = 0;
	size_t i = 0;
#if defined(HAVE_SSSE3_TARGET) && defined(__SSE2__) && defined(__x86_64__)
	pthread_once(&tables_once, init_tables);
	if (have_avx2 && n >= 128)
		c = count_nl_avx2(b, n, &i);
#endif
#if defined(__SSE2__) && defined(__x86_64__)
	/* SSE2: the same with 16-byte compares, 255 rounds between sums */
	const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
	while (n - i >= 16) {
		size_t rounds = (n - i) / 16;
		if (rounds > 255)
			rounds = 255;
		__m128i acc = zero;
		for (size_t r = 0; r < rounds; r++, i += 16)
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(
				_mm_loadu_si128((const __m128i *)(const void *)(b + i)), nl));
		__m128i sum = _mm_sad_epu8(acc, zero);
		c += (uint64_t)_mm_cvtsi128_si64(sum) +
		     (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sum, sum));
	}
#else
	const uint64_t ones = 0x0101010101010101ULL, nlw = ones * '\n';
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, b + i, 8);
		uint64_t x = w ^ nlw; /* zero bytes where '\n' */
		/* exact zero-byte count: a byte is zero iff its high bit stays clear */
		uint64_t t = ((x & 0x7F7F7F7F7F7F7F7FULL) + 0x7F7F7F7F7F7F7F7FULL) | x;
		c += (uint64_t)__builtin_popcountll(~t & 0x8080808080808080ULL);
	}
#endif
	for (; i < n; i++)
		c += b[i] == '\n';
	return c;
}

bool ips_prefilter_scan_record(const ips_prefilter_t *p, const char *buf, size_t len,
			       uint64_t *dets)
{
	const uint8_t *b = (const uint8_t *)buf;
	if (!p->exact_only && len >= 4 * (CHUNK + 8)) {
		/* nothing but the filters' hits can make the record a candidate */
		size_t c = 0, q = 0;
		hunt_t h;
		h.lo = 0;
		h.n = 0;
		h.overflow = false;
		c = scan_quiet(p, b, len, &h, c, &q);
		if (!h.n && !h.overflow) {
			/* a literal may still end in the tail: start the automaton
			 * one longest literal before it */
			size_t from = c > p->maxlen ? c - p->maxlen : 0;
			return gather(p, b + from, len - from, dets) && also_ok(p, b, len, dets);
		}
	}
	return gather(p, b, len, dets) && also_ok(p, b, len, dets);
}
