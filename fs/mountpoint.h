/*
 * mountpoint.h — what is already mounted where the daemon is to mount,
 * decided before anything starts: a dead consolefs mount left by a daemon
 * that was killed is cleared, a live one is never touched (one daemon per
 * mount point). Not for mounting itself (fs.c).
 */
#ifndef CONSOLEFS_MOUNTPOINT_H
#define CONSOLEFS_MOUNTPOINT_H

#include <stddef.h>

/* The absolute path of the mount point ARG into MNT (LEN bytes), found
 * without looking into a dead mount there (realpath() of such a path fails
 * with ENOTCONN): 0, or -1 with errno. */
int mountpoint_resolve(const char *arg, char *mnt, size_t len);

/* Make MNT ready for our mount: 0 when nothing of ours is there, or when
 * dead consolefs mounts were cleared (each one logged through *NOTE, a
 * malloc'd sentence, or NULL); -1 and *CAUSE (malloc'd) when a consolefs
 * serves MNT (or does not answer), or a dead mount of another file system
 * is in the way. */
int mountpoint_prepare(const char *mnt, char **note, char **cause);

#endif
