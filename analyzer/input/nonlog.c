/* SPDX-License-Identifier: Apache-2.0 */
/* nonlog.c - files that are not logs, and --include/--exclude (see nonlog.h). */
#include "input/nonlog.h"

#include <fnmatch.h>
#include <string.h>
#include <strings.h>

typedef struct kind {
	const char *ext;   /* ".md", or a base name prefix ending in '*' ("README*") */
	const char *what;
} kind_t;

/*
 * Not here on purpose: .txt, .log, .csv, .tsv, .json, .xml, .evtx (Windows
 * exports and show-command transcripts use them), archives (opened as
 * containers).
 */
static const kind_t kinds[] = {
	{".md", "Markdown document"}, {".markdown", "Markdown document"},
	{".rst", "reStructuredText document"}, {".adoc", "AsciiDoc document"},
	{".html", "HTML page"}, {".htm", "HTML page"}, {".xhtml", "HTML page"},
	{".css", "style sheet"}, {".js", "script"},
	{".png", "picture"}, {".jpg", "picture"}, {".jpeg", "picture"}, {".gif", "picture"},
	{".bmp", "picture"}, {".svg", "picture"}, {".ico", "picture"}, {".webp", "picture"},
	{".tif", "picture"}, {".tiff", "picture"},
	{".pdf", "PDF document"}, {".doc", "office document"}, {".docx", "office document"},
	{".xls", "office document"}, {".xlsx", "office document"}, {".ppt", "office document"},
	{".pptx", "office document"}, {".odt", "office document"}, {".ods", "office document"},
	{".odp", "office document"}, {".rtf", "office document"},
	{".conf", "configuration file"}, {".cfg", "configuration file"},
	{".ini", "configuration file"}, {".yaml", "configuration file"},
	{".yml", "configuration file"}, {".toml", "configuration file"},
	{".secrets", "configuration file"}, {".properties", "configuration file"},
	{"README*", "documentation"}, {"LICENSE*", "documentation"}, {"COPYING*", "documentation"},
	{"NOTICE*", "documentation"}, {"CHANGELOG*", "documentation"},
};

static const char *const compressed[] = {".gz", ".bz2", ".xz", ".zst"};

static const char *by_magic(const unsigned char *h, size_t n)
{
	if (!h)
		return NULL;
	if (n >= 8 && !memcmp(h, "\x89PNG\r\n\x1a\n", 8))
		return "picture";
	if (n >= 3 && !memcmp(h, "\xff\xd8\xff", 3))
		return "picture";
	if (n >= 6 && (!memcmp(h, "GIF87a", 6) || !memcmp(h, "GIF89a", 6)))
		return "picture";
	if (n >= 5 && !memcmp(h, "%PDF-", 5))
		return "PDF document";
	return NULL;
}

const char *ips_nonlog_kind(const char *name, const unsigned char *head, size_t n)
{
	const char *m = by_magic(head, n);
	if (m)
		return m;
	const char *base = name;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == '!')
			base = p + 1;
	size_t len = strlen(base);
	for (size_t i = 0; i < sizeof compressed / sizeof *compressed; i++) {
		size_t cl = strlen(compressed[i]);
		if (len > cl && !strcasecmp(base + len - cl, compressed[i])) {
			len -= cl;
			break;
		}
	}
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		const char *k = kinds[i].ext;
		size_t kl = strlen(k);
		if (k[kl - 1] == '*') {
			if (len >= kl - 1 && !strncmp(base, k, kl - 1))
				return kinds[i].what;
		} else if (len > kl && !strncasecmp(base + len - kl, k, kl)) {
			return kinds[i].what;
		}
	}
	return NULL;
}

bool ips_glob_excluded(const char *const *globs, size_t n, const char *rel, bool dir,
		       bool *included)
{
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	bool any_include = false, decided = false, out = false;
	if (included)
		*included = false;
	for (size_t i = 0; i < n; i++) {
		bool inc = globs[i][0] == '+';
		const char *g = globs[i] + 1;
		any_include |= inc;
		if (dir && inc)
			continue;
		bool hit = fnmatch(g, rel, 0) == 0 || (!strchr(g, '/') && fnmatch(g, base, 0) == 0);
		if (hit) {
			decided = true;
			out = !inc;
			if (included)
				*included = inc;
		}
	}
	if (decided)
		return out;
	return any_include && !dir;
}
