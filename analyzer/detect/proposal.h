/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proposal.h - say in words what differs between two IKE/ESP proposal
 * lists as strongSwan and libreswan print them
 * ("IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048, ...").
 */
#ifndef IPS_PROPOSAL_H
#define IPS_PROPOSAL_H

#include <stddef.h>

/*
 * Compare what the peer offered with what we accept, per transform kind
 * (encryption, integrity, PRF, DH group, ESN). Writes a sentence such as
 * "no DH group in common: peer offers MODP_2048, we accept ECP_384" into
 * out (several kinds joined by "; "), or "" when every kind shares an
 * algorithm (or a list cannot be read). Returns the length written.
 */
size_t ips_proposal_diff(const char *offered, const char *accepted, char *out, size_t n);

/* The protocol a list is for ("IKE", "ESP", "AH"), or NULL. Static storage. */
const char *ips_proposal_protocol(const char *list);

#endif
