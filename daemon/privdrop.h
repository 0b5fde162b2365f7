/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * privdrop: once the sample source and the control socket are set up,
 * xenprofd keeps only the capabilities its loop needs (see xenprofd(8),
 * SECURITY): CAP_SYS_PTRACE to read every process's /proc/PID/maps and exe
 * (attribution of user samples), CAP_DAC_READ_SEARCH to read the mapped
 * files' build-id notes.  Everything else is dropped from the effective,
 * permitted, inheritable and bounding sets, and no_new_privs is set.
 */
#ifndef XP_PRIVDROP_H
#define XP_PRIVDROP_H

/* 0, or -1 with errno. */
int privdrop(void);

#endif /* XP_PRIVDROP_H */
