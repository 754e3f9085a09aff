/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state_priv.h - what state.c (the records) and state_file.c (the file)
 * share and nothing else uses. Include after run/state.h.
 */
#ifndef IPS_STATE_PRIV_H
#define IPS_STATE_PRIV_H

/* Index keys of a record: by path, by device and inode. */
uint64_t ips_state_key_path_of(const ips_state_t *st, const ips_state_input_t *r);
uint64_t ips_state_key_id_of(const ips_state_t *st, const ips_state_input_t *r);
/* Add a record (a copy of v, or zeroes) for path (copied into the arena
 * unless it is an arena string: ips_state_name()); indexed, live. */
ips_state_input_t *ips_state_append(ips_state_t *st, const ips_state_input_t *v, const char *path);
/* Neither replaced by a newer record of this run nor gone. */
bool ips_state_live(const ips_state_input_t *r);

#endif
