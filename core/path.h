/*
 * path.h — follow a path one component at a time without ever entering the
 * daemon's own mount. Every path the daemon follows on its loop thread
 * (backend paths, the lock directory) goes through here, because a lookup
 * inside our own FUSE mount is a request only our loop can answer: the loop
 * would wait for itself for ever. Not for paths a child process follows
 * after fork (it does not block the loop), nor for parsing backend strings.
 */
#ifndef CONSOLEFS_PATH_H
#define CONSOLEFS_PATH_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The state word of a backend whose path leads into the guarded mount. */
#define PATH_REFUSED_STATE "refused: path enters the consolefs mount"

/* Guard the filesystem mounted at MNT (the daemon's own mount, already
 * mounted): no walk may enter it from now on. Asks the kernel without a
 * FUSE request, so it works before the loop serves. 0, or -1 with errno. */
int path_guard(const char *mnt);

/* Guard the filesystem with device number DEV (0: guard nothing). */
void path_guard_dev(dev_t dev);

/* Resolve PATH (absolute, or relative to the working directory), following
 * symbolic links (at most 40) as the kernel would: an O_PATH descriptor of
 * the file it names, and in REAL (when not NULL, LEN bytes) the absolute
 * path without symbolic links, "." or "..". -1 with errno: EDEADLK when
 * the walk would enter the guarded mount, else what the kernel would say
 * (ENOENT, ENOTDIR, ELOOP, EACCES, ENAMETOOLONG, ...). */
int path_resolve(const char *path, char *real, size_t len);

/* Open PATH with FLAGS (not O_CREAT) after resolving it with path_resolve:
 * the file opened is the one that was checked. -1 with errno as there. */
int path_open(const char *path, int flags);

/* stat(2) of the file PATH names, resolved with path_resolve. */
int path_stat(const char *path, struct stat *st);

/* Open the directory DIR for use with openat() and friends (O_PATH),
 * resolved with path_resolve. -1 with errno as there (ENOTDIR too). */
int path_open_dir(const char *dir);

#endif
