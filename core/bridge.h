/*
 * bridge.h — DEV.tty: a pseudo-terminal whose master consolefs holds and
 * relays to a console through an ordinary console session, so that any
 * program that wants a terminal (screen, picocom, tio, cu, pyserial) can
 * use a console. A bridge is made when first asked for (bridge_path), takes
 * a session when a program opens its slave and ends it on the last close.
 * Not for FUSE (fs/fs_tty.c serves the link) nor for relaying anything but
 * a pty master (console.c does the rest).
 */
#ifndef CONSOLEFS_BRIDGE_H
#define CONSOLEFS_BRIDGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct console;
struct loop;
struct bridge_set;

/* Owner, group and mode for a bridge's slave: those of the device file. */
struct bridge_perm {
	uid_t	uid;
	gid_t	gid;
	mode_t	mode;
};

/* How long a pty nobody uses is kept, and how many such ptys at most. */
struct bridge_limits {
	long	idle_ms;	/* since the last use (readlink or client) */
	size_t	max_idle;	/* ptys without a client */
};

#define BRIDGE_IDLE_MS		30000
#define BRIDGE_MAX_IDLE		128

/* The daemon's bridges, on LP; LIMITS NULL: the defaults above. NULL with
 * errno on failure. */
struct bridge_set *bridge_set_new(struct loop *lp, const struct bridge_limits *limits);
/* Hang up every client at once and close every pty (NULL is ok). */
void bridge_set_free(struct bridge_set *bs);

/* The slave path ("/dev/pts/N") of the bridge of the console with key ID
 * (C, named NAME in messages), made now when there is none. NULL with
 * errno: EAGAIN (too many unused ptys held, see bridge.c), or why a pty
 * could not be made. */
const char *bridge_path(struct bridge_set *bs, uint64_t id, struct console *c,
    const char *name, const struct bridge_perm *perm);
/* The slave path of ID's bridge if it has one now, else NULL; makes none. */
const char *bridge_peek(const struct bridge_set *bs, uint64_t id);
/* ID's console goes away (before it is freed): its client is hung up. */
void bridge_forget(struct bridge_set *bs, uint64_t id);
/* New owner, group and mode for ID's slave, if it has a bridge. */
void bridge_set_perm(struct bridge_set *bs, uint64_t id, const struct bridge_perm *perm);
/* Whether ID's console is held by a client of its bridge (its session is
 * the bridge's, and named after that client). */
int bridge_holds(const struct bridge_set *bs, uint64_t id);
/* How many ptys the set holds now (with or without a client). */
size_t bridge_count(const struct bridge_set *bs);

#endif
