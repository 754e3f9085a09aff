/* SPDX-License-Identifier: Apache-2.0 */
/*
 * help.h - the text of `ipsec-scan --help` (the options of every run mode).
 * Owns and borrows nothing.
 */
#ifndef IPS_HELP_H
#define IPS_HELP_H

#include <stdio.h>

void ips_print_help(FILE *out);

#endif
