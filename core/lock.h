/*
 * lock.h — FHS/UUCP (HDB) lock files, the exclusion that minicom, picocom,
 * lockdev and ser2net honour. Not for the in-process registry (console.c)
 * nor for flock() on the backend fd (the backends take that).
 */
#ifndef CONSOLEFS_LOCK_H
#define CONSOLEFS_LOCK_H

#include <stddef.h>
#include <sys/types.h>

struct lock;

/* Write the lock file name for DEVPATH ("/dev/pts/7" -> "LCK..pts_7") into
 * BUF; -1 with EINVAL when DEVPATH is not under /dev/ or ERANGE when BUF is
 * too small. */
int lock_name(const char *devpath, char *buf, size_t len);

/* Parse lock file content (HDB "%10d\n", also tolerating ASCII without
 * padding, and 4-byte binary pids as old UUCP wrote them): 0 and *PID, or
 * -1 with EINVAL when empty or malformed. */
int lock_parse(const char *data, size_t len, pid_t *pid);

/* Take the lock for DEVPATH in DIR on behalf of PID.
 *   0:  *OUT is the lock, or NULL when DIR cannot be written (EACCES, EROFS,
 *       EPERM): existing locks were honoured, none was created, and this
 *       was logged once per directory.
 *  -1, EBUSY: a live process holds it; *HOLDER is its pid, or 0 when the
 *       lock is empty, malformed or unreadable (those count as held).
 *  -1, other errno: something else went wrong.
 * A lock whose pid is gone (kill(pid, 0) == ESRCH) is removed, logged, and
 * replaced. Never writes through a symbolic link. */
int lock_acquire(const char *dir, const char *devpath, pid_t pid,
    struct lock **out, pid_t *holder);

/* Look without taking: 0 when free (or stale), -1/EBUSY with *HOLDER as in
 * lock_acquire. Stale locks are left in place. */
int lock_check(const char *dir, const char *devpath, pid_t *holder);

/* As lock_acquire and lock_check, for the lock file NAME in DIR given
 * whole: the names other tools give the same device (libvirt's
 * "LCK.._pts_7", lockdev's "LCK.136.007"). EINVAL when NAME is empty or
 * has a '/'. */
int lock_acquire_file(const char *dir, const char *name, pid_t pid,
    struct lock **out, pid_t *holder);
int lock_check_file(const char *dir, const char *name, pid_t *holder);

/* The full path of a held lock. */
const char *lock_path(const struct lock *lk);

/* Remove the lock file if it still names our pid, and free LK (NULL is ok). */
void lock_release(struct lock *lk);

#endif
