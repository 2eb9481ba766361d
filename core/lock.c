/*
 * lock.c — FHS/UUCP (HDB) lock files: LOCKDIR/LCK..NAME holding the owner's
 * pid as "%10d\n", the exclusion minicom, picocom, lockdev and ser2net look
 * at before opening a serial line. Not for the in-process registry (that
 * stops one consolefs from opening a device twice) nor for flock() on the
 * backend fd.
 *
 * Every lock file is opened with O_NOFOLLOW: a symbolic link planted at a
 * lock path is never written through nor removed, and counts as held. The
 * directory itself is walked with path.c (never into our own mount) and
 * the lock files are reached with openat() and friends from that walk.
 *
 * Forged locks: /var/lock is mode 1777 on Debian, so anyone can plant
 * LCK..pts_7 naming pid 1 and keep the console busy for ever. A live pid
 * is honoured only when the file belongs to root or to a uid the named
 * process runs as (the tools that make locks write them as themselves);
 * any other lock is logged and treated as stale. A zombie holds no files,
 * so a lock naming one is stale too.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/lock.h"
#include "core/log.h"
#include "core/path.h"
#include "core/proc.h"

/* How many times a stale lock may be removed and creation retried. */
#define LOCK_TRIES 3

/*
 * The largest pid Linux can hand out (PID_MAX_LIMIT on 64-bit). Binary
 * locks above it are garbage: without this bound any four bytes that are
 * not ASCII ("abcd") would read as the pid of a dead process, and the lock
 * would be removed as stale instead of counting as malformed.
 */
#define LOCK_PID_MAX (4 * 1024 * 1024)

struct lock {
	pid_t	 pid;
	char	*dir;		/* the lock directory, as configured */
	char	*name;		/* LCK..NAME, inside path */
	char	 path[];	/* DIR/LCK..NAME, for messages */
};

/* Directories already reported as not writable, so that is said once. */
struct lock_seen {
	struct lock_seen	*next;
	char			 dir[];
};
static struct lock_seen *lock_seen;

/* Write the lock file name for DEVPATH ("/dev/pts/7" -> "LCK..pts_7"). */
int
lock_name(const char *devpath, char *buf, size_t len)
{
	const char *rest, *p;
	size_t n, i;

	if (strncmp(devpath, "/dev/", 5) != 0)
		goto fail;
	rest = devpath + 5;

	/*
	 * Every component must be a plain name: "." and ".." could name
	 * something outside /dev, and empty ones ("//", a trailing "/") would
	 * give the same device a second lock name the other tools never use.
	 */
	for (p = rest;; p++) {
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			goto fail;
		p += n;
		if (*p == '\0')
			break;
	}
	n = p - rest;
	if (len < sizeof "LCK.." + n) {
		errno = ERANGE;
		return -1;
	}
	memcpy(buf, "LCK..", 5);
	for (i = 0; i < n; i++)
		buf[5 + i] = rest[i] == '/' ? '_' : rest[i];
	buf[5 + n] = '\0';
	return 0;
fail:
	errno = EINVAL;
	return -1;
}

/* Parse lock file content: HDB ASCII, or a 4-byte binary pid. */
int
lock_parse(const char *data, size_t len, pid_t *pid)
{
	size_t i = 0, digits = 0;
	int v = 0, overflow = 0;
	int32_t b;

	while (i < len && (data[i] == ' ' || data[i] == '\t'))
		i++;
	for (; i < len && data[i] >= '0' && data[i] <= '9'; i++, digits++) {
		if (v > (INT_MAX - (data[i] - '0')) / 10)
			overflow = 1;
		else
			v = v * 10 + (data[i] - '0');
	}
	while (i < len && (data[i] == ' ' || data[i] == '\t' ||
	    data[i] == '\n' || data[i] == '\r'))
		i++;
	if (digits > 0 && i == len && !overflow && v > 0) {
		*pid = v;
		return 0;
	}

	/*
	 * Old UUCP wrote the pid as a native int. On little-endian machines
	 * four ASCII bytes read as a binary int are above LOCK_PID_MAX, so
	 * the two forms cannot be confused.
	 */
	if (digits == 0 || i != len) {
		if (len == sizeof b) {
			memcpy(&b, data, sizeof b);
			if (b > 0 && b <= LOCK_PID_MAX) {
				*pid = b;
				return 0;
			}
		}
	}
	errno = EINVAL;
	return -1;
}

/*
 * Read the lock NAME in the directory DFD (PATH for messages): 0 with
 * *PID, which is 0 when the lock cannot be read or makes no sense (a
 * symbolic link, not a regular file, malformed), and *ST (zeroed when not
 * opened); -1 with ENOENT when there is no lock. With FDP, the file is left
 * open there (-1 when not opened).
 */
static int
lock_read(int dfd, const char *name, const char *path, pid_t *pid,
    struct stat *st, int *fdp)
{
	char buf[64];
	size_t len = 0;
	ssize_t n;
	pid_t found;
	int fd;

	*pid = 0;
	memset(st, 0, sizeof *st);
	if (fdp != NULL)
		*fdp = -1;

	/*
	 * O_NONBLOCK so that a FIFO planted here cannot hang the daemon,
	 * O_NOCTTY so that a device node cannot become our terminal.
	 */
	fd = openat(dfd, name, O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK|O_NOCTTY);
	if (fd == -1) {
		if (errno == ENOENT)
			return -1;
		log_debug("%s: %s: %s", __func__, path, strerror(errno));
		return 0;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		log_debug("%s: %s: not a regular file", __func__, path);
		goto out;
	}
	while (len < sizeof buf) {
		n = read(fd, buf + len, sizeof buf - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_debug("%s: %s: %s", __func__, path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += n;
	}
	if (len < sizeof buf && lock_parse(buf, len, &found) == 0)
		*pid = found;
out:
	if (fdp != NULL)
		*fdp = fd;
	else
		close(fd);
	return 0;
}

/*
 * Remove NAME in DFD if it is still the file described by ST: 1 when
 * removed, 0 when it was gone or is another file by now, -1 on error.
 * Narrows, without closing, the window in which another process replaces
 * the lock between our reading it and our removing it.
 */
static int
lock_unlink_same(int dfd, const char *name, const struct stat *st)
{
	struct stat now;

	if (fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		return 0;
	if (unlinkat(dfd, name, 0) == -1)
		return errno == ENOENT ? 0 : -1;
	return 1;
}

/*
 * Whether the live process PID may own the lock file described by ST: the
 * file belongs to root, or to one of the uids PID runs as. With LOUD, a
 * lock that fails this is logged as forged.
 */
static int
lock_owner_ok(const char *path, pid_t pid, const struct stat *st, int loud)
{
	uid_t uids[4];

	if (st->st_uid == 0)
		return 1;
	if (proc_uids(pid, uids) == -1)
		return 1;	/* cannot tell (gone meanwhile?): err on held */
	for (int i = 0; i < 4; i++)
		if (uids[i] == st->st_uid)
			return 1;
	log_msg(loud ? LOG_LEVEL_WARN : LOG_LEVEL_DEBUG,
	    "%s: %s names pid %d (uid %d) but belongs to uid %d: forged, "
	    "treated as stale", __func__, path, (int)pid, (int)uids[1],
	    (int)st->st_uid);
	return 0;
}

/* Whether ERR from creating a lock means the directory cannot be written. */
static int
lock_unwritable(int err)
{
	return err == EACCES || err == EROFS || err == EPERM || err == ENOENT;
}

/*
 * Decide about the lock NAME in DFD (PATH for messages): 0 when there is
 * none or it is stale (and removed first when MAY_REMOVE is set); -1 with
 * EBUSY and *HOLDER when held (or being removed by another consolefs); -1
 * with another errno when a stale lock could not be removed.
 */
static int
lock_look(int dfd, const char *name, const char *path, int may_remove,
    pid_t *holder)
{
	struct stat st;
	pid_t pid;
	int fd, r = -1, saverr;

	*holder = 0;
	if (lock_read(dfd, name, path, &pid, &st, &fd) == -1)
		return 0;
	if (pid == 0) {
		errno = EBUSY;
		goto out;
	}

	/*
	 * proc_alive counts a process of another user (kill() says EPERM).
	 * Our own pid is held like any other: the in-process registry is what
	 * stops this daemon from opening a device twice, so a lock naming us
	 * here means something else is wrong and must not be taken over.
	 */
	if (proc_alive(pid) && lock_owner_ok(path, pid, &st, may_remove)) {
		*holder = pid;
		errno = EBUSY;
		goto out;
	}
	if (!may_remove) {
		r = 0;
		goto out;
	}

	/*
	 * Two processes that both found this stale lock must not both remove
	 * "it": the second would remove the first one's fresh lock (seen
	 * about once in 500 rounds of 8 racing processes). Whoever holds
	 * flock() on the stale file removes it, and only while the path still
	 * names that file; the other stands back. minicom and lockdev do not
	 * flock, so against them the read-back in lock_acquire is what is left.
	 */
	if (flock(fd, LOCK_EX|LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			errno = EBUSY;
		goto out;
	}
	if ((r = lock_unlink_same(dfd, name, &st)) == -1) {
		saverr = errno;
		/* An unwritable directory is reported once by the caller. */
		log_msg(lock_unwritable(saverr) ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN,
		    "%s: cannot remove stale lock %s of pid %d: %s",
		    __func__, path, (int)pid, strerror(saverr));
		errno = saverr;
		goto out;
	}
	if (r == 1)
		log_info("%s: removed stale lock %s of pid %d", __func__, path,
		    (int)pid);
	r = 0;
out:
	saverr = errno;
	if (fd != -1)
		close(fd);
	errno = saverr;
	return r;
}

/* Log, once per DIR, that locks there are honoured but not created. */
static void
lock_note_unwritable(const char *dir, int err)
{
	struct lock_seen *seen;
	size_t len = strlen(dir) + 1;

	for (seen = lock_seen; seen != NULL; seen = seen->next)
		if (strcmp(seen->dir, dir) == 0)
			return;
	if ((seen = malloc(sizeof *seen + len)) != NULL) {
		memcpy(seen->dir, dir, len);
		seen->next = lock_seen;
		lock_seen = seen;
	}
	log_warn("%s: lock directory %s is not writable (%s): honouring "
	    "existing locks, creating none", __func__, dir, strerror(err));
}

/* Allocate a lock for the lock file NAME in DIR on behalf of PID. */
static struct lock *
lock_new_file(const char *dir, const char *name, pid_t pid)
{
	struct lock *lk;
	size_t dlen = strlen(dir), nlen = strlen(name);

	if (*dir == '\0' || *name == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		errno = EINVAL;
		return NULL;
	}
	/* PATH, then a copy of DIR: "DIR/NAME\0DIR\0". */
	if ((lk = malloc(sizeof *lk + 2 * (dlen + 1) + nlen + 1)) == NULL)
		return NULL;
	memcpy(lk->path, dir, dlen);
	lk->path[dlen] = '/';
	memcpy(lk->path + dlen + 1, name, nlen + 1);
	lk->name = lk->path + dlen + 1;
	lk->dir = lk->name + nlen + 1;
	memcpy(lk->dir, dir, dlen + 1);
	lk->pid = pid;
	return lk;
}

/* Allocate a lock for DEVPATH in DIR on behalf of PID. */
static struct lock *
lock_new(const char *dir, const char *devpath, pid_t pid)
{
	char name[NAME_MAX + 1];

	if (*dir == '\0') {
		errno = EINVAL;
		return NULL;
	}
	if (lock_name(devpath, name, sizeof name) == -1) {
		if (errno == ERANGE)
			errno = ENAMETOOLONG;
		return NULL;
	}
	return lock_new_file(dir, name, pid);
}

/* Open the lock directory of LK (path.c: never into our own mount). */
static int
lock_open_dir(const struct lock *lk)
{
	return path_open_dir(lk->dir);
}

/* Write all of BUF to FD. */
static int
lock_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Take the lock LK (freed on failure and when the directory cannot be
 * written) in DIR: as lock_acquire. */
static int
lock_take(const char *dir, struct lock *lk, struct lock **out, pid_t *holder)
{
	struct stat mine, st;
	char line[16];
	int dfd = -1, fd = -1, created = 0, tries, len, r, saverr;
	pid_t pid = lk->pid, found;

	len = snprintf(line, sizeof line, "%10d\n", (int)pid);
	if ((dfd = lock_open_dir(lk)) == -1) {
		/* A missing or unsearchable directory holds no lock we could
		 * see: as unwritable. Anything else (a walk into our own
		 * mount, a file where the directory should be) is an error. */
		if (!lock_unwritable(errno))
			goto fail;
		lock_note_unwritable(dir, errno);
		free(lk);
		return 0;
	}

	for (tries = 0; tries < LOCK_TRIES; tries++) {
		fd = openat(dfd, lk->name,
		    O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC|O_NOCTTY, 0644);
		if (fd == -1 && errno == EEXIST) {
			if (lock_look(dfd, lk->name, lk->path, 1, holder) == 0)
				continue;
			if (errno == EBUSY)
				goto fail;
			/* A stale lock we may not remove: as unwritable. */
		}
		if (fd == -1) {
			if (!lock_unwritable(errno))
				goto fail;
			saverr = errno;
			if (lock_look(dfd, lk->name, lk->path, 0, holder) == -1)
				goto fail;
			lock_note_unwritable(dir, saverr);
			close(dfd);
			free(lk);
			return 0;
		}
		created = 1;

		/* The umask must not make the lock unreadable to others. */
		if (fchmod(fd, 0644) == -1)
			log_warn("%s: chmod %s: %s", __func__, lk->path,
			    strerror(errno));
		if (lock_write_all(fd, line, len) == -1 || fstat(fd, &mine) == -1)
			goto fail;
		saverr = close(fd);
		fd = -1;
		if (saverr == -1)
			goto fail;

		/*
		 * A tool that does not flock() (see lock_look) and read the
		 * stale lock before we replaced it may have removed our fresh
		 * lock as "it" and made its own. Reading back catches that
		 * when it happened before now; we then stand down.
		 */
		r = lock_read(dfd, lk->name, lk->path, &found, &st, NULL);
		if (r == 0 && st.st_dev == mine.st_dev && st.st_ino == mine.st_ino) {
			if (found != pid) {
				errno = EIO;
				goto fail;
			}
			close(dfd);
			*out = lk;
			return 0;
		}
		created = 0;
		if (r == -1)
			continue;
		log_info("%s: lost the race for %s", __func__, lk->path);
		*holder = found;
		errno = EBUSY;
		goto fail;
	}
	log_warn("%s: %s keeps changing, giving up", __func__, lk->path);
	errno = EBUSY;
fail:
	saverr = errno;
	if (fd != -1)
		close(fd);
	/* Only a file we created ourselves with O_EXCL and failed to fill. */
	if (created)
		unlinkat(dfd, lk->name, 0);
	if (dfd != -1)
		close(dfd);
	free(lk);
	errno = saverr;
	return -1;
}

/* Take the lock for DEVPATH in DIR on behalf of PID. */
int
lock_acquire(const char *dir, const char *devpath, pid_t pid,
    struct lock **out, pid_t *holder)
{
	struct lock *lk;

	*out = NULL;
	*holder = 0;
	if (pid <= 0) {
		errno = EINVAL;
		return -1;
	}
	if ((lk = lock_new(dir, devpath, pid)) == NULL)
		return -1;
	return lock_take(dir, lk, out, holder);
}

/* Take the lock file NAME in DIR on behalf of PID: as lock_acquire. */
int
lock_acquire_file(const char *dir, const char *name, pid_t pid,
    struct lock **out, pid_t *holder)
{
	struct lock *lk;

	*out = NULL;
	*holder = 0;
	if (pid <= 0) {
		errno = EINVAL;
		return -1;
	}
	if ((lk = lock_new_file(dir, name, pid)) == NULL)
		return -1;
	return lock_take(dir, lk, out, holder);
}

/* Look at the lock LK without taking or removing it, and free it. */
static int
lock_check_lk(struct lock *lk, pid_t *holder)
{
	int dfd, r = 0, saverr;

	if ((dfd = lock_open_dir(lk)) == -1) {
		/* No directory we can see into: no lock we could honour. */
		if (!lock_unwritable(errno))
			r = -1;
	} else {
		r = lock_look(dfd, lk->name, lk->path, 0, holder);
		saverr = errno;
		close(dfd);
		errno = saverr;
	}
	saverr = errno;
	free(lk);
	errno = saverr;
	return r;
}

/* Look at the lock for DEVPATH in DIR without taking or removing it. */
int
lock_check(const char *dir, const char *devpath, pid_t *holder)
{
	struct lock *lk;

	*holder = 0;
	if ((lk = lock_new(dir, devpath, 0)) == NULL)
		return -1;
	return lock_check_lk(lk, holder);
}

/* Look at the lock file NAME in DIR without taking or removing it. */
int
lock_check_file(const char *dir, const char *name, pid_t *holder)
{
	struct lock *lk;

	*holder = 0;
	if ((lk = lock_new_file(dir, name, 0)) == NULL)
		return -1;
	return lock_check_lk(lk, holder);
}

/* The full path of a held lock. */
const char *
lock_path(const struct lock *lk)
{
	return lk->path;
}

/* Remove the lock file if it still names our pid, and free LK. */
void
lock_release(struct lock *lk)
{
	struct stat st;
	pid_t found;
	int dfd;

	if (lk == NULL)
		return;
	if ((dfd = lock_open_dir(lk)) == -1)
		log_warn("%s: cannot remove %s: %s", __func__, lk->path,
		    strerror(errno));
	else if (lock_read(dfd, lk->name, lk->path, &found, &st, NULL) == -1)
		log_warn("%s: %s was already removed", __func__, lk->path);
	else if (found != lk->pid)
		log_warn("%s: %s no longer names pid %d, left in place",
		    __func__, lk->path, (int)lk->pid);
	else if (lock_unlink_same(dfd, lk->name, &st) == -1)
		log_warn("%s: cannot remove %s: %s", __func__, lk->path,
		    strerror(errno));
	if (dfd != -1)
		close(dfd);
	free(lk);
}
