/* SPDX-License-Identifier: Apache-2.0 */
/* versions.c - see versions.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "util/versions.h"

#include <pcre2.h>
#include <stdint.h>
#include <archive.h>
#include <expat.h>
/* as in framer_evtx.c: libevtx.h without the libbfio headers */
#include <libevtx/features.h>
#undef LIBEVTX_HAVE_BFIO
#include <libevtx.h>
#include <yajl_version.h>
#include <yaml.h>

void ips_versions_print(FILE *out, const char *ours)
{
	char pcre[64] = "?";
	uint32_t jit = 0;
	pcre2_config(PCRE2_CONFIG_VERSION, pcre);
	pcre2_config(PCRE2_CONFIG_JIT, &jit);
	int yv = yajl_version();
	fprintf(out, "ipsec-scan %s\n", ours);
	fprintf(out, "PCRE2 %s (JIT %s)\n", pcre, jit ? "on" : "off");
	fprintf(out, "libyaml %s\n", yaml_get_version_string());
	fprintf(out, "%s\n", archive_version_details());
	fprintf(out, "libevtx %s\n", libevtx_get_version());
	fprintf(out, "yajl %d.%d.%d\n", yv / 10000, yv / 100 % 100, yv % 100);
	fprintf(out, "%s\n", XML_ExpatVersion());
}
