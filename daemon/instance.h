/*
 * The daemon's instance name: one name per running daemon, unique among the daemons of one
 * host and stable across its restarts. The dq producer's transactional.id and the consumers'
 * group.instance.id are derived from it, so two daemons on one host never fence each other and
 * a restarted daemon takes over exactly what its previous run held.
 */
#ifndef FK_INSTANCE_H
#define FK_INSTANCE_H

#include <stddef.h>

/* Settles the name: CONFIGURED when not empty (instance.name), otherwise "<hostname>-<slot>"
 * with the lowest slot no other live daemon on this host holds. A slot is held by binding an
 * abstract Unix socket (Linux), so it is released by the kernel whenever the process ends, even
 * by SIGKILL, and needs no file system. 0, or -1 with errstr when no slot is free.
 * Called once by main before any thread starts. */
int fk_instance_init(const char *configured, char *errstr, size_t errstr_size);

/* The name settled by fk_instance_init(); "<hostname>" before it ran (tests). */
const char *fk_instance_name(void);

/* Releases the slot (shutdown; tests). */
void fk_instance_release(void);

#endif
