/*
 * path.c — follow a path one component at a time, refusing to enter the
 * daemon's own mount. Not for paths that a child process follows after
 * fork (an exec: program's own lookups block that child, not the loop).
 *
 * Why: a lookup, stat, open, connect or access() on a path inside our own
 * FUSE mount becomes a request that only our loop thread can answer, and
 * the loop thread is the one waiting in the system call. Seen: a pty: path
 * /dir/vm.pty that an unprivileged owner of /dir made a symbolic link to
 * MOUNT/d/e; getfattr user.state ran access() on it and the daemon sat in
 * fuse_lookup_name -> request_wait_answer for ever, every request on every
 * console stopped, and only kill -9 helped.
 *
 * Why not realpath() and then a check: realpath() itself lstat()s each
 * component, so it walks into the mount before anyone could check, and the
 * path may change between the check and the use anyway. Why not openat2():
 * RESOLVE_NO_XDEV refuses every mount crossing (/dev/pts is one), and there
 * is no flag for "not this one filesystem".
 *
 * How: start from an O_PATH descriptor of "/" (or the working directory)
 * and, for each component, openat(dir, name, O_PATH|O_NOFOLLOW), then ask
 * which filesystem the result is on before doing anything else with it.
 *  - The openat() looks NAME up in DIR, which we have already checked is
 *    not on our mount. When NAME is the mount point of our mount, the
 *    kernel steps onto our root dentry without asking the filesystem
 *    (mount traversal is VFS work; O_PATH opens call no ->open).
 *  - The question is statx(fd, "", AT_EMPTY_PATH|AT_STATX_DONT_SYNC): FUSE
 *    then answers from the attributes the inode already has and sends no
 *    request (fs/fuse/dir.c, fuse_update_get_attr). Seen: on a daemon stuck
 *    as above, this statx on MOUNT returned at once while stat() hung. The
 *    device number is always filled in. When it is our mount's, the walk
 *    stops with EDEADLK; nothing else is ever done with that descriptor.
 *  - A symbolic link is read with readlinkat(fd, "") on that checked
 *    descriptor, and its target is put in front of what is left to walk,
 *    so every component of every link is checked the same way; ".." is
 *    taken physically (as the kernel does), from the checked directory.
 * The result is an O_PATH descriptor of the checked file. path_open()
 * opens that very file through /proc/self/fd/N (a jump to the file, not a
 * second walk), so a link swapped after the check changes nothing.
 *
 * Bind mounts of our mount share its device number, so they are refused
 * too. What this does not cover: another FUSE filesystem whose server
 * never answers (its owner's problem, as for any program), and another
 * consolefs whose paths lead into ours while ours lead into it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/path.h"

/* As the kernel's MAXSYMLINKS. */
#define PATH_MAX_LINKS 40

/* The device number of our own mount; 0 when nothing is guarded. */
static dev_t path_guarded;

/* Guard the filesystem with device number DEV. */
void
path_guard_dev(dev_t dev)
{
	path_guarded = dev;
}

/* Guard the filesystem mounted at MNT. */
int
path_guard(const char *mnt)
{
	struct statx sx;

	/* A mask of 0 and AT_STATX_DONT_SYNC: no FUSE request (see above), so
	 * this works before our loop serves anything. */
	if (statx(AT_FDCWD, mnt, AT_STATX_DONT_SYNC, 0, &sx) == -1)
		return -1;
	path_guarded = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	return 0;
}

/*
 * Which filesystem FD is on, and its type, asked without a FUSE request:
 * 0 and *MODE, or -1 with EDEADLK when FD is on the guarded mount.
 */
static int
path_check(int fd, mode_t *mode)
{
	struct statx sx;
	struct stat st;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
	    STATX_TYPE, &sx) == -1)
		return -1;
	if (path_guarded != 0 &&
	    makedev(sx.stx_dev_major, sx.stx_dev_minor) == path_guarded) {
		errno = EDEADLK;
		return -1;
	}
	if (sx.stx_mask & STATX_TYPE) {
		*mode = sx.stx_mode;
		return 0;
	}
	/* Not ours, so a plain stat is safe where statx left the type out. */
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	*mode = st.st_mode;
	return 0;
}

/* Open "/" or the working directory and check it; the real path into REAL. */
static int
path_start(int absolute, char *real, size_t len)
{
	mode_t mode;
	int fd, saverr;

	fd = open(absolute ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (path_check(fd, &mode) == -1)
		goto fail;
	if (absolute)
		real[0] = '\0';
	/* getcwd() reads the dentry cache; it asks no filesystem. */
	else if (getcwd(real, len) == NULL)
		goto fail;
	else if (strcmp(real, "/") == 0)
		real[0] = '\0';
	return fd;
fail:
	saverr = errno;
	close(fd);
	errno = saverr;
	return -1;
}

/* Resolve PATH without entering the guarded mount: an O_PATH fd, or -1. */
int
path_resolve(const char *path, char *real, size_t len)
{
	char rbuf[PATH_MAX], name[NAME_MAX + 1], target[PATH_MAX];
	char *todo = NULL, *more;
	const char *p;
	size_t n, rlen;
	ssize_t tlen;
	int cur = -1, next = -1, links = 0, saverr;
	mode_t mode;

	if (*path == '\0') {
		errno = ENOENT;
		return -1;
	}
	if ((todo = strdup(path)) == NULL)
		return -1;
	if ((cur = path_start(path[0] == '/', rbuf, sizeof rbuf)) == -1)
		goto fail;
	p = todo;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, "/");
		if (n > NAME_MAX) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			next = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (next == -1 || path_check(next, &mode) == -1)
				goto fail;
			close(cur);
			cur = next;
			next = -1;
			if ((more = strrchr(rbuf, '/')) != NULL)
				*more = '\0';
			continue;
		}
		next = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next == -1 || path_check(next, &mode) == -1)
			goto fail;
		if (S_ISLNK(mode)) {
			if (++links > PATH_MAX_LINKS) {
				errno = ELOOP;
				goto fail;
			}
			tlen = readlinkat(next, "", target, sizeof target);
			if (tlen == -1)
				goto fail;
			if (tlen == 0 || (size_t)tlen >= sizeof target) {
				errno = tlen == 0 ? ENOENT : ENAMETOOLONG;
				goto fail;
			}
			close(next);
			next = -1;
			/* The link's target, then what was left after the link. */
			if (asprintf(&more, "%.*s%s", (int)tlen, target, p) == -1)
				goto fail;
			free(todo);
			todo = more;
			p = todo;
			if (todo[0] == '/') {
				close(cur);
				if ((cur = path_start(1, rbuf, sizeof rbuf)) == -1)
					goto fail;
			}
			continue;
		}
		/* Anything after the name (even a lone "/") needs a directory. */
		if (*p != '\0' && !S_ISDIR(mode)) {
			errno = ENOTDIR;
			goto fail;
		}
		rlen = strlen(rbuf);
		if (rlen + 1 + n >= sizeof rbuf) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		rbuf[rlen] = '/';
		memcpy(rbuf + rlen + 1, name, n + 1);
		close(cur);
		cur = next;
		next = -1;
	}
	if (real != NULL) {
		if (snprintf(real, len, "%s", rbuf[0] != '\0' ? rbuf : "/") >= (int)len) {
			errno = ENAMETOOLONG;
			goto fail;
		}
	}
	free(todo);
	return cur;
fail:
	saverr = errno;
	if (next != -1)
		close(next);
	if (cur != -1)
		close(cur);
	free(todo);
	errno = saverr;
	return -1;
}

/* Open PATH with FLAGS: the very file path_resolve checked. */
int
path_open(const char *path, int flags)
{
	char proc[64];
	int pfd, fd, saverr;

	if (flags & O_CREAT) {
		errno = EINVAL;
		return -1;
	}
	if ((pfd = path_resolve(path, NULL, 0)) == -1)
		return -1;
	/* /proc/self/fd/N is a jump to the file itself, not a second walk; it
	 * is a link, so O_NOFOLLOW would refuse it (the path had its links
	 * followed and checked already). */
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
	fd = open(proc, flags & ~O_NOFOLLOW);
	saverr = errno;
	close(pfd);
	errno = saverr;
	return fd;
}

/* stat(2) of the file PATH names. */
int
path_stat(const char *path, struct stat *st)
{
	int fd, r, saverr;

	if ((fd = path_resolve(path, NULL, 0)) == -1)
		return -1;
	r = fstat(fd, st);
	saverr = errno;
	close(fd);
	errno = saverr;
	return r;
}

/* Open the directory DIR (O_PATH) for openat() and friends. */
int
path_open_dir(const char *dir)
{
	struct stat st;
	int fd, saverr;

	if ((fd = path_resolve(dir, NULL, 0)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		saverr = errno;
	else if (!S_ISDIR(st.st_mode))
		saverr = ENOTDIR;
	else
		return fd;
	close(fd);
	errno = saverr;
	return -1;
}
