/*
 * backend_tty.c — pty: and tty: backends: a terminal device path, opened
 * for a session (as libvirt does for pty consoles) or held while no
 * session is open (capture). tty: sets a baud rate; pty: is bound to one
 * pseudo-terminal, not to its number.
 *
 * pty: identity. The kernel hands a freed pty number to the next opener of
 * /dev/ptmx, so /dev/pts/11 can become another program's terminal (a new
 * tmux window, another user's shell) once the guest behind it has died.
 * When the device is configured, it is bound to the pseudo-terminal at its
 * path then: its owner, and an inotify watch on that very node (watch.c).
 * devpts makes a new node, a new inode, for every pair, and removes the
 * node when the master closes: the watch then reports IN_DELETE_SELF and
 * the device is lost, absent until a reload or a new backend string names
 * it again. Every open re-checks that the path still leads to the watched
 * inode and that its owner is the one seen at configuration; a path with
 * no pseudo-terminal at configuration is never bound (it could only be
 * someone else's later). The cost: one inotify watch per pty: device and
 * a path walk and inotify_add_watch per open; no /proc walk. Without a
 * watch (inotify limits), the node's device number and change time stand
 * in for the inode.
 *
 * Every path here is walked with path.c, never into our own mount.
 *
 * A pty: path that is a symbolic link (QEMU 9's -chardev pty,path=) is
 * followed at each open: a link made anew (another inode or change time)
 * names a new pseudo-terminal, accepted when its owner is the one the
 * device was configured with.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "core/backend_impl.h"
#include "core/line.h"
#include "core/log.h"
#include "core/path.h"

static int
backend_ts_equal(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static void
backend_pty_lose(struct backend *b, const char *why)
{
	if (!b->lost)
		log_warn("%s: %s: %s: absent until the configuration names it again",
		    __func__, b->spec->text, why);
	b->lost = 1;
}

/* Describe UID for a log line: "1000 (alice)". */
static void
backend_describe_uid(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, len, "%u (%s)", (unsigned int)uid, pw->pw_name);
	else
		snprintf(buf, len, "%u", (unsigned int)uid);
}

#define BACKEND_PATHDIR_EVENTS	(IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM)

static void
backend_pty_dir_event(void *arg, uint32_t mask, const char *name)
{
	struct backend *b = arg;

	(void)name;
	if (mask & IN_IGNORED) {
		/* The directory went: looked at every second from now on. */
		watch_del(b->pathdir);
		b->pathdir = NULL;
	}
	backend_notify(b);
}

/*
 * A plain path with no pseudo-terminal bound: nothing there will be taken
 * but a link made at it later (QEMU 9 makes one when it starts). Rather
 * than looking every second (10,000 such devices: 10,000 lstat calls a
 * second, and never idle), watch its directory for that one name (the
 * directory's events go only to the devices whose names they carry,
 * watch_names). If the watch cannot be made, the console looks every
 * second as before (backend_polls_absent).
 */
static void
backend_pty_watch_dir(struct backend *b)
{
	char dir[PATH_MAX];
	const char *base = strrchr(b->spec->path, '/');

	if (b->pathdir != NULL || base == NULL || base[1] == '\0')
		return;
	snprintf(dir, sizeof dir, "%.*s", base == b->spec->path ? 1 :
	    (int)(base - b->spec->path), b->spec->path);
	base++;
	b->pathdir = backend_watch_path(b->loop, dir, BACKEND_PATHDIR_EVENTS,
	    backend_pty_dir_event, b);
	if (b->pathdir != NULL && watch_names(b->pathdir, &base, 1) == -1) {
		watch_del(b->pathdir);
		b->pathdir = NULL;
	}
}

/* Bind to the pseudo-terminal at the path now. */
static void
backend_pty_bind(struct backend *b)
{
	struct stat st, lst;
	int lr;

	backend_dev_unbind(b);
	b->bound = 0;
	b->lost = 0;
	b->link = 0;
	b->refused = 0;
	if ((lr = backend_lstat(b->spec->path, &lst)) == -1)
		lr = errno;
	if (lr == 0 && S_ISLNK(lst.st_mode)) {
		b->link = 1;
		b->link_dev = lst.st_dev;
		b->link_ino = lst.st_ino;
		b->link_ctime = lst.st_ctim;
		/* Until a pty is behind it: whoever made the link. */
		b->uid = lst.st_uid;
	}
	/* Nothing at the path: no need to walk it again (a reload of 3,000
	 * absent devices did for each). */
	if (lr == ENOENT || backend_dev_bind(b, b->spec->path, &st) == -1) {
		/* Never bound: absent, looked at again now and then in case a
		 * link appears (backend_pty_resolve), but no pseudo-terminal
		 * appearing at a plain path is ever taken.
		 * Said once: a reload naming it again, still with nothing there,
		 * logs nothing (3,000 such lines made a reload slow). */
		if (!b->link)
			backend_pty_watch_dir(b);
		if (b->absent_said == 1 + b->link)
			return;
		b->absent_said = 1 + b->link;
		if (b->link)
			log_info("%s: %s: nothing behind the link yet", __func__, b->spec->text);
		else
			log_info("%s: %s: no pseudo-terminal there: absent until the "
			    "configuration names it again (or a link is made there)",
			    __func__, b->spec->text);
		return;
	}
	b->absent_said = 0;
	watch_del(b->pathdir);
	b->pathdir = NULL;
	b->rdev = st.st_rdev;
	b->uid = st.st_uid;
	b->ctime = st.st_ctim;
	b->bound = 1;
}

/* A link made anew (QEMU restarted with path=): follow it to its pty when
 * that belongs to the owner the device was configured with. 0, or -1. */
static int
backend_pty_follow(struct backend *b, const struct stat *lst)
{
	char real[PATH_MAX], who[64], want[64];
	struct stat st;
	int fd;

	/* Refused links are remembered, so they are logged once. */
	b->link_dev = lst->st_dev;
	b->link_ino = lst->st_ino;
	b->link_ctime = lst->st_ctim;
	if ((fd = path_resolve(b->spec->path, real, sizeof real)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISCHR(st.st_mode)) {
		close(fd);
		return -1;
	}
	close(fd);
	if (st.st_uid != b->uid) {
		backend_describe_uid(st.st_uid, who, sizeof who);
		backend_describe_uid(b->uid, want, sizeof want);
		log_warn("%s: %s: refusing %s where the link leads now, owned by uid %s, "
		    "not by %s as when the device was configured", __func__, b->spec->text,
		    real, who, want);
		b->bound = 0;
		return -1;
	}
	if (backend_dev_bind(b, b->spec->path, &st) == -1) {
		b->bound = 0;
		return -1;
	}
	b->rdev = st.st_rdev;
	b->ctime = st.st_ctim;
	b->lost = 0;
	b->bound = 1;
	log_info("%s: %s: following the link to %s", __func__, b->spec->text, b->real);
	return 0;
}

/* Say once per pseudo-terminal found at the path why it is refused,
 * naming its owner. */
static void
backend_pty_refuse(struct backend *b, const char *path, const struct stat *st,
    const char *why)
{
	char who[64], want[64];

	if (b->refused && b->refused_rdev == st->st_rdev &&
	    backend_ts_equal(&b->refused_ctime, &st->st_ctim))
		return;
	b->refused = 1;
	b->refused_rdev = st->st_rdev;
	b->refused_ctime = st->st_ctim;
	backend_describe_uid(st->st_uid, who, sizeof who);
	if (st->st_uid != b->uid && b->bound) {
		backend_describe_uid(b->uid, want, sizeof want);
		log_warn("%s: %s: refusing %s, owned by uid %s now, not by %s as when the "
		    "device was configured", __func__, b->spec->text, path, who, want);
	} else
		log_warn("%s: %s: refusing %s (owned by uid %s): %s", __func__,
		    b->spec->text, path, who, why);
}

/* Whether the path still leads to the bound pseudo-terminal: 0 (b->real
 * is it), or -1 ENXIO. */
static int
backend_pty_resolve(struct backend *b)
{
	struct stat st, lst;
	int same, lr = 0;

	if (!b->link && !b->bound && (lr = backend_lstat(b->spec->path, &lst)) == -1 &&
	    errno == ENOENT)
		goto absent;	/* nothing there: nothing to refuse or follow */
	if (!b->link && !b->bound && lr == 0 && S_ISLNK(lst.st_mode)) {
		/* A link made after the configuration (QEMU 9 makes it when it
		 * starts): followed as one there from the start, its owner
		 * standing for the device's. */
		b->link = 1;
		b->uid = lst.st_uid;
		b->link_dev = 0;
		b->link_ino = 0;
	}
	if (b->link) {
		if (backend_lstat(b->spec->path, &lst) == -1 || !S_ISLNK(lst.st_mode))
			goto absent;
		if ((lst.st_dev != b->link_dev || lst.st_ino != b->link_ino ||
		    !backend_ts_equal(&lst.st_ctim, &b->link_ctime)) &&
		    backend_pty_follow(b, &lst) == -1)
			goto absent;
	}
	if (!b->bound) {
		if (path_stat(b->spec->path, &st) == 0)
			backend_pty_refuse(b, b->spec->path, &st, b->link ? "not where the "
			    "link led when the device was configured" : "no pseudo-terminal "
			    "was there when the device was configured");
		else if (errno == EDEADLK && !b->refused_mount) {
			log_warn("%s: %s: %s", __func__, b->spec->path, PATH_REFUSED_STATE);
			b->refused_mount = 1;
		}
		goto absent;
	}
	same = backend_dev_same(b, &st);
	if (same == 0 && path_stat(b->real, &st) == -1) {
		backend_pty_lose(b, "the pseudo-terminal went away");
		goto absent;
	}
	if (st.st_uid != b->uid) {
		backend_pty_refuse(b, b->real, &st, NULL);
		backend_pty_lose(b, "another pseudo-terminal has its number");
		goto absent;
	}
	if (b->lost) {
		backend_pty_refuse(b, b->real, &st, "not the pseudo-terminal the device "
		    "was configured with");
		goto absent;
	}
	if (same == -1)
		same = st.st_rdev == b->rdev && backend_ts_equal(&st.st_ctim, &b->ctime);
	if (!same) {
		backend_pty_lose(b, "another pseudo-terminal has its number");
		backend_pty_refuse(b, b->real, &st, "not the pseudo-terminal the device "
		    "was configured with");
		goto absent;
	}
	return 0;
absent:
	errno = ENXIO;
	return -1;
}

/* Whether the link (if the path is one) still is the one followed. */
static int
backend_pty_current(struct backend *b)
{
	struct stat lst;

	if (!b->link)
		return 1;
	return backend_lstat(b->spec->path, &lst) == 0 && lst.st_dev == b->link_dev &&
	    lst.st_ino == b->link_ino && backend_ts_equal(&lst.st_ctim, &b->link_ctime);
}

static int
backend_tty_resolve(struct backend *b)
{
	struct stat st;

	return backend_dev_bind(b, b->spec->path, &st);
}

static int
backend_pty_open(struct backend *b, int session)
{
	struct line raw;

	line_init_raw(&raw);
	return backend_dev_open(b, session, &raw);
}

static int
backend_tty_open(struct backend *b, int session)
{
	return backend_dev_open(b, session, &b->spec->line);
}

/* A pty slave hangs up for good when its master closes: devpts then removes
 * the node, so the path no longer leads to the device we hold. A tty that
 * hung up (carrier loss) may come back; an unplugged one loses its node. */
static int
backend_tty_gone(struct backend *b, int fd)
{
	struct stat held, now;

	if (b->spec->kind == SPEC_PTY) {
		backend_pty_lose(b, "the pseudo-terminal hung up");
		return 1;
	}
	if (fstat(fd, &held) == -1 || path_stat(b->real, &now) == -1)
		return 1;
	return held.st_rdev != now.st_rdev;
}

static int
backend_tty_break(struct backend *b, int fd, int on)
{
	(void)b;
	if (fd == -1) {
		errno = ENXIO;
		return -1;
	}
	return ioctl(fd, on ? TIOCSBRK : TIOCCBRK);
}

static const char *
backend_pty_state(struct backend *b)
{
	struct stat st;
	const char *s = "present";

	if (backend_pty_resolve(b) == -1)
		s = path_stat(b->spec->path, &st) == -1 && errno == EDEADLK ?
		    PATH_REFUSED_STATE : "absent";
	snprintf(b->state, sizeof b->state, "%s", s);
	return b->state;
}

const struct backend_ops backend_pty_ops = {
	.resolve = backend_pty_resolve,
	.open = backend_pty_open,
	.close = backend_dev_close,
	.gone = backend_tty_gone,
	.rebind = backend_pty_bind,
	.current = backend_pty_current,
	.state = backend_pty_state,
};

const struct backend_ops backend_tty_ops = {
	.resolve = backend_tty_resolve,
	.open = backend_tty_open,
	.close = backend_dev_close,
	.gone = backend_tty_gone,
	.brk = backend_tty_break,
	.state = backend_path_state,
};
