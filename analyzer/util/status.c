/* SPDX-License-Identifier: Apache-2.0 */
/* status.c - see status.h. */
#include "util/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

ips_status_t ips_error_set(ips_error_t *err, ips_status_t st, const char *fmt, ...)
{
	if (!err || err->status != IPS_OK || st == IPS_OK)
		return st;
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL; /* out of memory: the status alone */
	va_end(ap);
	err->status = st;
	err->msg = msg;
	return st;
}

void ips_error_clear(ips_error_t *err)
{
	if (!err)
		return;
	free(err->msg);
	err->msg = NULL;
	err->status = IPS_OK;
}
