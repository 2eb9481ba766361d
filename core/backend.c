/*
 * backend.c — dispatch to the backend kinds, and what the device-path kinds
 * (pty:, tty:, udev:) share: the lock file names of a device, flock(), line
 * settings (line.c), and watching for other programs that want the device.
 *
 * Sharing a device with other programs while capturing (no session open):
 * consolefs then holds the device open but takes no lock and no flock, so
 * that minicom, picocom and virsh console can start. It watches the lock
 * directory for the device's lock names and the device node for opens
 * (inotify IN_OPEN/IN_CLOSE: there is no event for a flock), counts the open
 * files other programs have on the node, and tells the console, which
 * closes the device at once (console.c) and opens it again once no lock is
 * live, no flock is held and no other program has the node open. Our own
 * opens and closes are counted out of the events: each of our opens is
 * owed one IN_OPEN and each close one IN_CLOSE_*, in order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/backend_impl.h"
#include "core/line.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/opts.h"
#include "core/path.h"
#include "core/proc.h"
#include "core/watch.h"

#define BACKEND_NODE_EVENTS	(IN_OPEN | IN_CLOSE | IN_DELETE_SELF | IN_ATTRIB)
#define BACKEND_LOCKDIR_EVENTS	(IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | \
				 IN_CLOSE_WRITE)

static int
backend_is_device(const struct backend *b)
{
	return b->spec->kind == SPEC_PTY || b->spec->kind == SPEC_TTY ||
	    b->spec->kind == SPEC_UDEV;
}

/* Tell the console that something changed. */
void
backend_notify(struct backend *b)
{
	if (b->fn != NULL)
		b->fn(b, b->arg);
}

/* watch_add on PATH resolved safely (path.c): inotify_add_watch walks its
 * path like open(), so it gets the checked file through /proc/self/fd. */
struct watch *
backend_watch_path(struct loop *lp, const char *path, uint32_t mask, watch_fn *fn,
    void *arg)
{
	char proc[64];
	struct watch *w;
	int fd, saverr;

	if ((fd = path_resolve(path, NULL, 0)) == -1)
		return NULL;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	w = watch_add(lp, proc, mask, fn, arg);
	saverr = errno;
	close(fd);
	errno = saverr;
	return w;
}

static void
backend_lockdir_event(void *arg, uint32_t mask, const char *name)
{
	struct backend *b = arg;
	int ours = 0;

	if (mask & IN_IGNORED) {
		log_warn("%s: %s: the lock directory %s went away: another program's "
		    "lock will not be seen while capturing", __func__, b->spec->text,
		    b->lock_dir);
		watch_del(b->lockdir);
		b->lockdir = NULL;
		return;
	}
	for (int i = 0; name != NULL && i < BACKEND_LOCKS; i++)
		if (b->names[i][0] != '\0' && strcmp(b->names[i], name) == 0)
			ours = 1;
	if (ours || (mask & IN_Q_OVERFLOW))
		backend_notify(b);
}

/* Parse TEXT into a backend; NULL and *CAUSE when it is not one. */
struct backend *
backend_new(struct loop *lp, const char *text, const char *lock_dir,
    const struct opts *o, backend_event_fn *fn, void *arg, char **cause)
{
	struct backend *b = calloc(1, sizeof *b);

	*cause = NULL;
	if (b == NULL || (b->lock_dir = strdup(lock_dir)) == NULL ||
	    (b->real = strdup("")) == NULL) {
		*cause = strdup("out of memory");
		goto fail;
	}
	b->cfd = -1;
	b->loop = lp;
	if ((b->spec = spec_parse(text, cause)) == NULL)
		goto fail;
	switch (b->spec->kind) {
	case SPEC_EXEC:
		b->ops = &backend_exec_ops;
		break;
	case SPEC_PTY:
		b->ops = &backend_pty_ops;
		break;
	case SPEC_TTY:
		b->ops = &backend_tty_ops;
		break;
	case SPEC_UNIX:
		b->ops = &backend_unix_ops;
		break;
	case SPEC_LIBVIRT:
		b->ops = o != NULL && o->capture ? &backend_libvirt_capture_ops :
		    &backend_libvirt_ops;
		break;
	case SPEC_UDEV:
		b->ops = &backend_udev_ops;
		break;
	}
	b->fn = fn;
	b->arg = arg;
	if (b->spec->kind == SPEC_UDEV && backend_udev_watch(b) == -1) {
		*cause = strdup("out of memory");
		goto fail;
	}
	if (b->ops->init != NULL && b->ops->init(b, o, cause) == -1)
		goto fail;
	b->capture = (o == NULL || o->capture) && backend_capturable(b);
	if (b->capture && backend_is_device(b)) {
		b->lockdir = backend_watch_path(lp, lock_dir, BACKEND_LOCKDIR_EVENTS,
		    backend_lockdir_event, b);
		if (b->lockdir == NULL)
			log_warn("%s: %s: cannot watch the lock directory %s (%s): not "
			    "capturing, so as never to keep another program out", __func__,
			    text, lock_dir, strerror(errno));
	}
	if (b->ops->rebind != NULL)
		b->ops->rebind(b);
	return b;
fail:
	backend_free(b);
	errno = EINVAL;
	return NULL;
}

/* Forget the node watch. */
void
backend_dev_unbind(struct backend *b)
{
	watch_del(b->node);
	b->node = NULL;
	b->resolved = 0;
	b->foreign = 0;
	b->own_opens = 0;
	b->own_closes = 0;
}

/* Free a backend, stopping what it started (NULL is ok). */
void
backend_free(struct backend *b)
{
	if (b == NULL)
		return;
	if (b->ops != NULL && b->ops->cancel != NULL)
		b->ops->cancel(b);
	if (b->ops != NULL && b->ops->stop != NULL)
		b->ops->stop(b);
	if (b->ops != NULL && b->ops->release != NULL)
		b->ops->release(b);
	for (int i = 0; i < BACKEND_LOCKS; i++)
		lock_release(b->locks[i]);
	backend_dev_unbind(b);
	watch_del(b->lockdir);
	watch_del(b->pathdir);
	line_restore(-1, b->saved);
	backend_set_env(b, NULL);
	spec_free(b->spec);
	free(b->lock_dir);
	free(b->real);
	free(b);
}

/* Whether the backend runs without sessions (exec:). */
int
backend_persistent(const struct backend *b)
{
	return b->ops->start != NULL;
}

/* Whether the backend can be held open with no session. (A libvirt:
 * backend captures in its own way: backend_libvirt.c.) */
int
backend_capturable(const struct backend *b)
{
	return backend_is_device(b) || b->spec->kind == SPEC_UNIX;
}

/* Whether an absent backend must be looked at again to see it come back:
 * a udev: backend hears of its tty from udev.c. */
int
backend_polls_absent(const struct backend *b)
{
	if (b->spec->kind == SPEC_UDEV)
		return 0;	/* udev.c tells it */
	/* A pty: path with nothing bound: its directory is watched for the
	 * name (backend_tty.c), unless a link is there (what it leads to may
	 * appear anywhere) or the watch could not be made. */
	return !(b->spec->kind == SPEC_PTY && !b->bound && !b->link && b->pathdir != NULL);
}

/* Whether the device can go and come back while a session waits (udev:). */
int
backend_hotplug(const struct backend *b)
{
	return b->spec->kind == SPEC_UDEV;
}

/* Whether the backend runs a program that can be started again. */
int
backend_restartable(const struct backend *b)
{
	return b->spec->kind == SPEC_EXEC;
}

/* A persistent backend's new fd after its end, or -1. */
int
backend_resume(struct backend *b)
{
	return b->ops->resume != NULL ? b->ops->resume(b) : -1;
}

/* Whether what capturing needs is in place. */
int
backend_can_capture(const struct backend *b)
{
	if (!b->capture)
		return 0;
	return !backend_is_device(b) || b->lockdir != NULL;
}

/* Start a persistent backend: its fd, or -1. */
int
backend_start(struct backend *b)
{
	return b->ops->start(b);
}

/* Before a session uses a persistent backend: 0, or -1 ENXIO. */
int
backend_ready(struct backend *b)
{
	return b->ops->ready != NULL ? b->ops->ready(b) : 0;
}

/* The extra environment of an exec: program (copied): 0, or -1 ENOMEM. */
int
backend_set_env(struct backend *b, char *const env[])
{
	size_t n = 0;
	char **copy = NULL;

	while (env != NULL && env[n] != NULL)
		n++;
	if (env != NULL) {
		if ((copy = calloc(n + 1, sizeof *copy)) == NULL)
			return -1;
		for (size_t i = 0; i < n; i++)
			if ((copy[i] = strdup(env[i])) == NULL) {
				while (i > 0)
					free(copy[--i]);
				free(copy);
				errno = ENOMEM;
				return -1;
			}
	}
	for (size_t i = 0; b->env != NULL && b->env[i] != NULL; i++)
		free(b->env[i]);
	free(b->env);
	b->env = copy;
	return 0;
}

/* Open for a session. */
int
backend_open(struct backend *b)
{
	return b->ops->open(b, 1);
}

/* Open with no session, holding no lock. */
int
backend_attach(struct backend *b)
{
	return b->ops->open(b, 0);
}

/* After EINPROGRESS: the fd, or -1. */
int
backend_opened(struct backend *b)
{
	if (b->ops->opened == NULL) {
		errno = ENXIO;
		return -1;
	}
	return b->ops->opened(b);
}

/* Give up an open in progress. */
void
backend_cancel(struct backend *b)
{
	if (b->ops->cancel != NULL)
		b->ops->cancel(b);
}

/* Undo backend_open or backend_attach. */
void
backend_close(struct backend *b, int fd)
{
	b->ops->close(b, fd);
}

/* After a hang-up on FD: 1 when the backend can never produce again. */
int
backend_gone(struct backend *b, int fd)
{
	return b->ops->gone(b, fd);
}

/* Start (ON) or end a serial BREAK on FD. */
int
backend_break(struct backend *b, int fd, int on)
{
	if (b->ops->brk == NULL) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return b->ops->brk(b, fd, on);
}

/* Take the device from another program that holds it, where allowed. */
int
backend_force(struct backend *b, unsigned int hold_ms)
{
	if (b->ops->force == NULL) {
		errno = EBUSY;
		return -1;
	}
	return b->ops->force(b, hold_ms);
}

/* The line settings of a serial backend (tty:, udev:), or NULL. */
const struct line *
backend_line(const struct backend *b)
{
	if (b->spec->kind != SPEC_TTY && b->spec->kind != SPEC_UDEV)
		return NULL;
	return &b->spec->line;
}

/* Change a serial backend's line settings on FD for the rest of the
 * session (the next open applies the configured ones again). */
int
backend_set_line(struct backend *b, int fd, const struct line *l)
{
	if (backend_line(b) == NULL) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (fd == -1) {
		errno = ENXIO;
		return -1;
	}
	return line_apply(fd, l, NULL);
}

/* Ask a persistent backend to stop. */
void
backend_stop(struct backend *b)
{
	if (b->ops->stop != NULL)
		b->ops->stop(b);
}

/* The pid of a persistent backend's process not yet reaped, or 0. */
pid_t
backend_pid(const struct backend *b)
{
	return b->pid;
}

/* exec: whether the last run failed (or could not start). */
int
backend_failed(const struct backend *b)
{
	return b->failed || !WIFEXITED(b->status) || WEXITSTATUS(b->status) != 0;
}

/* The backend string as configured. */
const char *
backend_text(const struct backend *b)
{
	return b->spec->text;
}

/* The backend's state word(s). */
const char *
backend_state(struct backend *b)
{
	return b->ops->state(b);
}

/* pty: whether the bound pseudo-terminal is gone for good. A symbolic link
 * may be made anew and lead to another one: never for good. */
int
backend_lost(const struct backend *b)
{
	return b->lost && !b->link;
}

/* Whether the device held open is still the one the backend names. */
int
backend_current(struct backend *b)
{
	return b->ops->current == NULL || b->ops->current(b);
}

/* pty: bind again to what is at the path now, when the pseudo-terminal it
 * was bound to went away or it never had one. */
void
backend_rebind(struct backend *b)
{
	if (b->ops->rebind != NULL && (b->lost || !b->bound))
		b->ops->rebind(b);
}

/* The state of a backend that is a path: "present", "absent", or refused
 * when it leads into our own mount (path.c: the walk never enters it). */
const char *
backend_path_state(struct backend *b)
{
	struct stat st;
	const char *s = "present";

	if (path_stat(b->spec->path, &st) == -1)
		s = errno == EDEADLK ? PATH_REFUSED_STATE : "absent";
	snprintf(b->state, sizeof b->state, "%s", s);
	return b->state;
}

/* lstat(2) of PATH itself, its directory reached safely. */
int
backend_lstat(const char *path, struct stat *st)
{
	char dir[PATH_MAX];
	const char *base = strrchr(path, '/');
	int dfd, r, saverr;

	if (base == NULL) {
		snprintf(dir, sizeof dir, ".");
		base = path;
	} else {
		snprintf(dir, sizeof dir, "%.*s", base == path ? 1 : (int)(base - path), path);
		base++;
	}
	if (*base == '\0' || (dfd = path_open_dir(dir)) == -1)
		return -1;
	r = fstatat(dfd, base, st, AT_SYMLINK_NOFOLLOW);
	saverr = errno;
	close(dfd);
	errno = saverr;
	return r;
}

/* Describe a process for a holder string: "pid=N comm=X". */
void
backend_describe_pid(pid_t pid, char *buf, size_t len)
{
	char comm[PROC_COMM_MAX];

	if (proc_comm(pid, comm, sizeof comm) == 0)
		snprintf(buf, len, "pid=%d comm=%s", (int)pid, comm);
	else
		snprintf(buf, len, "pid=%d", (int)pid);
}

/* The pid of a process holding a flock() on PATH, from /proc/locks (whose
 * lines read "1: FLOCK  ADVISORY  WRITE 1234 00:19:3 0 EOF": pid, then the
 * filesystem's major:minor in hex and the inode); 0 when none is found. */
static pid_t
backend_flock_holder(const char *path)
{
	char line[256], kind[16], mode[16], rw[16];
	unsigned int maj, min;
	unsigned long ino;
	struct stat st;
	pid_t found = 0;
	FILE *f;
	int pid;

	if (path_stat(path, &st) == -1 || (f = fopen("/proc/locks", "re")) == NULL)
		return 0;
	while (found == 0 && fgets(line, sizeof line, f) != NULL) {
		char *p = strchr(line, ':');

		if (p == NULL || sscanf(p + 1, "%15s %15s %15s %d %x:%x:%lu", kind, mode,
		    rw, &pid, &maj, &min, &ino) != 7)
			continue;
		if (strcmp(kind, "FLOCK") == 0 && ino == st.st_ino &&
		    maj == major(st.st_dev) && min == minor(st.st_dev) && pid != getpid())
			found = pid;
	}
	fclose(f);
	return found;
}

/* The device path to look at for locks and flocks without opening: the
 * resolved one, else the configured one as it resolves now. */
static int
backend_dev_path(struct backend *b, char *buf, size_t len)
{
	const char *path;
	int fd;

	if (b->resolved) {
		snprintf(buf, len, "%s", b->real);
		return 0;
	}
	path = b->spec->kind == SPEC_UDEV ? backend_udev_path(b) : b->spec->path;
	/* Not realpath(): it lstat()s its way into our own mount when the
	 * path leads there, and the loop would wait for itself (path.c). */
	if (path == NULL || (fd = path_resolve(path, buf, len)) == -1)
		return -1;
	close(fd);
	return 0;
}

/* Fill NAMES for the device node REAL with device number RDEV. */
static void
backend_lock_names(const char *real, dev_t rdev, char names[BACKEND_LOCKS][NAME_MAX + 1])
{
	size_t i;

	for (i = 0; i < BACKEND_LOCKS; i++)
		names[i][0] = '\0';
	/* A path outside /dev has no name other tools would look for. */
	if (lock_name(real, names[0], sizeof names[0]) == 0) {
		/* libvirt (virChrdevLockFilePath): the path after "/dev", every
		 * '/' made '_': /dev/pts/7 -> LCK.._pts_7. */
		if (strlen(real + 4) + 5 < sizeof names[1]) {
			snprintf(names[1], sizeof names[1], "LCK..%s", real + 4);
			for (char *p = names[1] + 5; *p != '\0'; p++)
				if (*p == '/')
					*p = '_';
		}
	}
	snprintf(names[2], sizeof names[2], "LCK.%03u.%03u", major(rdev), minor(rdev));
}

static void
backend_node_event(void *arg, uint32_t mask, const char *name)
{
	struct backend *b = arg;

	(void)name;
	if (mask & IN_OPEN) {
		if (b->own_opens > 0)
			b->own_opens--;
		else
			b->foreign++;
	}
	if (mask & IN_CLOSE) {
		if (b->own_closes > 0)
			b->own_closes--;
		else if (b->foreign > 0)
			b->foreign--;
	}
	if (mask & IN_Q_OVERFLOW) {
		/* Events were lost: forget the counts (a flock still shows). */
		b->foreign = 0;
		b->own_opens = 0;
		b->own_closes = 0;
	}
	if (mask & (IN_DELETE_SELF | IN_IGNORED)) {
		/* devpts removes a pty's node when its master closes; a tty's
		 * node goes when it is unplugged. */
		if (b->spec->kind == SPEC_PTY && !b->lost) {
			log_info("%s: %s: the pseudo-terminal %s went away: absent until the "
			    "configuration names it again", __func__, b->spec->text, b->real);
			b->lost = 1;
		}
		if (mask & IN_IGNORED)
			backend_dev_unbind(b);
	}
	backend_notify(b);
}

/* Make PATH the device node b->real: watch it, name its locks. */
int
backend_dev_bind(struct backend *b, const char *path, struct stat *st)
{
	char proc[64], real[PATH_MAX], *copy;
	int fd;

	if ((fd = path_resolve(path, real, sizeof real)) == -1) {
		if (errno == EDEADLK)
			log_warn("%s: %s: %s", __func__, path, PATH_REFUSED_STATE);
		errno = ENXIO;
		return -1;
	}
	/* Held at its length: a PATH_MAX array in every backend was half of
	 * an idle console's memory. */
	if (strcmp(real, b->real) != 0) {
		if ((copy = strdup(real)) == NULL) {
			close(fd);
			errno = ENXIO;
			return -1;
		}
		free(b->real);
		b->real = copy;
	}
	if (fstat(fd, st) == -1 || !S_ISCHR(st->st_mode)) {
		close(fd);
		errno = ENXIO;
		return -1;
	}
	/* inotify_add_watch walks its path like open(): give it the file
	 * that was checked. */
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if (b->node == NULL || watch_same(b->node, proc) != 1) {
		backend_dev_unbind(b);
		b->node = watch_add(b->loop, proc, BACKEND_NODE_EVENTS,
		    backend_node_event, b);
		b->node_gen++;
		if (b->node == NULL)
			log_warn("%s: %s: cannot watch %s (%s): other programs opening it "
			    "will not be seen", __func__, b->spec->text, b->real,
			    strerror(errno));
	}
	close(fd);
	backend_lock_names(b->real, st->st_rdev, b->names);
	{
		/* Only these entries of the lock directory concern us: the
		 * watch hands us no other (watch.c says why that matters). */
		const char *names[BACKEND_LOCKS];

		for (int i = 0; i < BACKEND_LOCKS; i++)
			names[i] = b->names[i];
		if (watch_names(b->lockdir, names, BACKEND_LOCKS) == -1)
			log_warn("%s: %s: out of memory: every lock file event is "
			    "looked at", __func__, b->spec->text);
	}
	b->resolved = 1;
	return 0;
}

/* Whether b->real still leads to the watched inode: 1, 0, or -1 (no
 * watch, or it cannot be told). *ST gets its attributes. */
int
backend_dev_same(struct backend *b, struct stat *st)
{
	char proc[64];
	int fd, r = -1;

	if ((fd = path_resolve(b->real, NULL, 0)) == -1)
		return 0;
	if (fstat(fd, st) == -1) {
		close(fd);
		return 0;
	}
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if (b->node != NULL)
		r = watch_same(b->node, proc);
	close(fd);
	return r;
}

/* Whether another program holds or uses the device now. */
int
backend_foreign(struct backend *b, pid_t *pid)
{
	pid_t holder;

	*pid = 0;
	if (!backend_is_device(b) || !b->resolved)
		return 0;
	for (int i = 0; i < BACKEND_LOCKS; i++) {
		if (b->names[i][0] == '\0')
			continue;
		if (lock_check_file(b->lock_dir, b->names[i], &holder) == -1 &&
		    errno == EBUSY) {
			*pid = holder;
			return 1;
		}
	}
	if ((holder = backend_flock_holder(b->real)) > 0) {
		*pid = holder;
		return 1;
	}
	return b->foreign > 0;
}

/* The pid of another process with the device open, or 0: walks /proc, so
 * only for user.state while the console has stepped aside. */
pid_t
backend_user(struct backend *b)
{
	char path[64], link[PATH_MAX];
	struct dirent *p, *f;
	pid_t found = 0, self = getpid();
	DIR *proc, *fds;
	ssize_t n;

	if (!b->resolved || (proc = opendir("/proc")) == NULL)
		return 0;
	while (found == 0 && (p = readdir(proc)) != NULL) {
		pid_t pid = (pid_t)strtol(p->d_name, NULL, 10);

		if (pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
		if ((fds = opendir(path)) == NULL)
			continue;
		while (found == 0 && (f = readdir(fds)) != NULL) {
			char fdpath[PATH_MAX];

			if (f->d_name[0] == '.')
				continue;
			snprintf(fdpath, sizeof fdpath, "%s/%s", path, f->d_name);
			/* The link's text only: stat() would follow it, into
			 * our own mount for a process with a console open. */
			n = readlink(fdpath, link, sizeof link - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (strcmp(link, b->real) == 0)
				found = pid;
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

/* Who else holds the device: 0, or -1 ENODATA. Looked up afresh each time,
 * so it never names a holder that has gone. A device that is not there
 * has the lock names of its configured path. */
int
backend_holder(struct backend *b, char *buf, size_t len)
{
	char names[BACKEND_LOCKS][NAME_MAX + 1], real[PATH_MAX], who[128];
	struct stat st;
	pid_t pid = 0;

	if (b->ops->holder != NULL)
		return b->ops->holder(b, buf, len);
	if (!backend_is_device(b))
		goto none;
	if (b->resolved)
		memcpy(names, b->names, sizeof names);
	else if (backend_dev_path(b, real, sizeof real) == 0 && path_stat(real, &st) == 0)
		backend_lock_names(real, st.st_rdev, names);
	else if (b->spec->path != NULL) {
		backend_lock_names(b->spec->path, 0, names);
		names[2][0] = '\0';
	} else
		goto none;
	for (int i = 0; i < BACKEND_LOCKS; i++) {
		if (names[i][0] == '\0')
			continue;
		if (lock_check_file(b->lock_dir, names[i], &pid) == -1 && errno == EBUSY &&
		    pid != getpid()) {
			if (pid > 0) {
				backend_describe_pid(pid, who, sizeof who);
				snprintf(buf, len, "lock=%s/%s %s", b->lock_dir, names[i], who);
			} else
				snprintf(buf, len, "lock=%s/%s (unreadable or malformed)",
				    b->lock_dir, names[i]);
			return 0;
		}
	}
	if (backend_dev_path(b, real, sizeof real) == 0 &&
	    (pid = backend_flock_holder(real)) > 0) {
		backend_describe_pid(pid, who, sizeof who);
		snprintf(buf, len, "flock=%s %s", real, who);
		return 0;
	}
none:
	errno = ENODATA;
	return -1;
}

static void
backend_unlock_files(struct backend *b)
{
	for (int i = 0; i < BACKEND_LOCKS; i++) {
		lock_release(b->locks[i]);
		b->locks[i] = NULL;
	}
}

/* Take every lock name of the device for a session: 0, or -1 EBUSY. */
static int
backend_lock_files(struct backend *b)
{
	pid_t holder = 0;
	int saverr;

	for (int i = 0; i < BACKEND_LOCKS; i++) {
		if (b->names[i][0] == '\0')
			continue;
		if (lock_acquire_file(b->lock_dir, b->names[i], getpid(), &b->locks[i],
		    &holder) == 0)
			continue;
		saverr = errno;
		if (saverr != EBUSY)
			log_warn("%s: %s/%s: cannot take the lock: %s", __func__,
			    b->lock_dir, b->names[i], strerror(saverr));
		goto busy;
	}
	return 0;
busy:
	backend_unlock_files(b);
	errno = EBUSY;
	return -1;
}

/* A session takes FD: the locks and flock. */
int
backend_lock(struct backend *b, int fd)
{
	if (!backend_is_device(b))
		return 0;
	if (backend_lock_files(b) == -1)
		return -1;
	/* picocom takes only a flock() by default: honour it, and take one. */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_info("%s: %s: another program holds a flock on it", __func__, b->real);
		backend_unlock_files(b);
		errno = EBUSY;
		return -1;
	}
	b->flocked = 1;
	return 0;
}

/* The session is over: drop what backend_lock took, keep FD. */
void
backend_unlock(struct backend *b, int fd)
{
	if (!backend_is_device(b))
		return;
	if (b->flocked)
		flock(fd, LOCK_UN);
	b->flocked = 0;
	backend_unlock_files(b);
	/* A session may have changed the line (a .tty client's speed): the
	 * device stays open, so the configured settings go back now. */
	if (backend_line(b) != NULL && line_apply(fd, backend_line(b), NULL) == -1)
		log_warn("%s: %s: cannot set the line settings again: %s", __func__,
		    b->real, strerror(errno));
}

/* Close FD, counting its IN_CLOSE as ours when it was opened on the node
 * watched now. */
static void
backend_dev_close_fd(struct backend *b, int fd)
{
	if (b->node != NULL && b->fd_gen == b->node_gen)
		b->own_closes++;
	close(fd);
}

/* Open the device for a session (locks, flock) or for capture (none). */
int
backend_dev_open(struct backend *b, int session, const struct line *line)
{
	pid_t holder = 0;
	int fd = -1, saverr;

	if (b->ops->resolve(b) == -1)
		return -1;
	if (session) {
		if (backend_lock_files(b) == -1)
			return -1;
	} else if (backend_foreign(b, &holder)) {
		errno = EBUSY;
		return -1;
	}
	if (b->node != NULL)
		b->own_opens++;
	b->fd_gen = b->node_gen;
	fd = path_open(b->real, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		saverr = errno;
		if (b->node != NULL)
			b->own_opens--;
		if (saverr == EDEADLK)
			log_warn("%s: %s: %s", __func__, b->real, PATH_REFUSED_STATE);
		else
			log_info("%s: %s: %s", __func__, b->real, strerror(saverr));
		errno = ENXIO;
		goto fail;
	}
	if (!isatty(fd)) {
		log_info("%s: %s is not a terminal", __func__, b->real);
		errno = ENXIO;
		goto fail;
	}
	/* picocom takes only a flock() by default: honour it. A session takes
	 * one; capture only looks. */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_info("%s: %s: another program holds a flock on it", __func__, b->real);
		errno = EBUSY;
		goto fail;
	}
	if (session)
		b->flocked = 1;
	else
		flock(fd, LOCK_UN);
	if (line_apply(fd, line, &b->saved) == -1)
		log_warn("%s: %s: cannot set the line settings: %s", __func__, b->real,
		    strerror(errno));
	return fd;
fail:
	saverr = errno;
	if (fd != -1)
		backend_dev_close_fd(b, fd);
	b->flocked = 0;
	backend_unlock_files(b);
	errno = saverr;
	return -1;
}

/* Undo backend_dev_open. */
void
backend_dev_close(struct backend *b, int fd)
{
	line_restore(fd, b->saved);
	b->saved = NULL;
	b->flocked = 0;
	backend_dev_close_fd(b, fd);
	backend_unlock_files(b);
}
