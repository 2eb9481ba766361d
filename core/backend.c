/*
 * backend.c — dispatch to the backend kinds, and what the device-path kinds
 * (pty:, tty:, udev:) share: the UUCP lock, flock(), line settings (line.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/backend_impl.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/path.h"
#include "core/opts.h"
#include "core/proc.h"

/* Parse TEXT into a backend; NULL and *CAUSE when it is not one. */
struct backend *
backend_new(const char *text, const char *lock_dir, const struct opts *o,
    backend_event_fn *fn, void *arg, char **cause)
{
	struct backend *b = calloc(1, sizeof *b);

	*cause = NULL;
	if (b == NULL || (b->lock_dir = strdup(lock_dir)) == NULL) {
		*cause = strdup("out of memory");
		goto fail;
	}
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
	return b;
fail:
	backend_free(b);
	errno = EINVAL;
	return NULL;
}

/* Free a backend, stopping what it started (NULL is ok). */
void
backend_free(struct backend *b)
{
	if (b == NULL)
		return;
	if (b->ops != NULL && b->ops->stop != NULL)
		b->ops->stop(b);
	if (b->ops != NULL && b->ops->release != NULL)
		b->ops->release(b);
	lock_release(b->lock);
	backend_set_env(b, NULL);
	spec_free(b->spec);
	free(b->lock_dir);
	free(b);
}

/* Whether the backend runs without sessions (exec:). */
int
backend_persistent(const struct backend *b)
{
	return b->ops->start != NULL;
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

/* A persistent backend's new fd after its end, or -1. */
int
backend_resume(struct backend *b)
{
	return b->ops->resume != NULL ? b->ops->resume(b) : -1;
}

/* Open for a session: an fd, or -1 with ENXIO or EBUSY. */
int
backend_open(struct backend *b)
{
	return b->ops->open(b);
}

/* Undo backend_open. */
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

/* The device PATH leads to, whose name the UUCP lock carries: a symlink
 * such as /dev/serial/by-id/usb-FTDI_...-port0 locks the real ttyUSB0, as
 * minicom and ser2net do for that port. PATH itself when it does not
 * resolve (the open then fails anyway). BUF has PATH_MAX bytes. */
static const char *
backend_real_path(const char *path, char *buf)
{
	/* Not realpath(): it lstat()s its way into our own mount when the
	 * path leads there, and the loop would wait for itself (path.c). */
	int fd = path_resolve(path, buf, PATH_MAX);

	if (fd == -1)
		return path;
	close(fd);
	return buf;
}

/* Who else holds the device: 0, or -1 ENODATA. Looked up afresh each time,
 * so it never names a holder that has gone. */
int
backend_holder(struct backend *b, char *buf, size_t len)
{
	char name[128], who[128], real[PATH_MAX];
	const char *path;
	pid_t pid = 0;

	if (b->ops->holder != NULL)
		return b->ops->holder(b, buf, len);
	path = b->spec->kind == SPEC_UDEV ? backend_udev_path(b) : b->spec->path;
	if (path == NULL || b->spec->kind == SPEC_UNIX)
		goto none;
	path = backend_real_path(path, real);
	if (lock_check(b->lock_dir, path, &pid) == -1 && errno == EBUSY &&
	    pid != getpid()) {
		if (lock_name(path, name, sizeof name) == -1)
			name[0] = '\0';
		if (pid > 0) {
			backend_describe_pid(pid, who, sizeof who);
			snprintf(buf, len, "lock=%s/%s %s", b->lock_dir, name, who);
		} else
			snprintf(buf, len, "lock=%s/%s (unreadable or malformed)", b->lock_dir, name);
		return 0;
	}
	if ((pid = backend_flock_holder(path)) > 0) {
		backend_describe_pid(pid, who, sizeof who);
		snprintf(buf, len, "flock=%s %s", path, who);
		return 0;
	}
none:
	errno = ENODATA;
	return -1;
}

/* Open a device path for a session: lock, open, flock, raw mode. */
int
backend_dev_open(struct backend *b, const char *path, const struct line *line)
{
	pid_t holder = 0;
	int fd = -1, saverr;
	char name[256], real[PATH_MAX];

	path = backend_real_path(path, real);
	/* A path outside /dev has no UUCP lock name that other tools would
	 * look for: it gets only the flock. */
	if (lock_name(path, name, sizeof name) == -1) {
		log_debug("%s: %s is not under /dev: no lock file, flock only", __func__, path);
	} else if (lock_acquire(b->lock_dir, path, getpid(), &b->lock, &holder) == -1) {
		saverr = errno;
		if (saverr != EBUSY) {
			log_warn("%s: %s: cannot take the lock: %s", __func__, path,
			    strerror(saverr));
			saverr = EBUSY;
		}
		errno = saverr;
		return -1;
	}
	fd = path_open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == EDEADLK)
			log_warn("%s: %s: %s", __func__, path, PATH_REFUSED_STATE);
		else
			log_info("%s: %s: %s", __func__, path, strerror(errno));
		errno = ENXIO;
		goto fail;
	}
	if (!isatty(fd)) {
		log_info("%s: %s is not a terminal", __func__, path);
		errno = ENXIO;
		goto fail;
	}
	/* picocom takes only a flock() by default: honour it, and take one. */
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_info("%s: %s: another program holds a flock on it", __func__, path);
		errno = EBUSY;
		goto fail;
	}
	if (line_apply(fd, line, &b->saved) == -1)
		log_warn("%s: %s: cannot set the line settings: %s", __func__, path,
		    strerror(errno));
	return fd;
fail:
	saverr = errno;
	if (fd != -1)
		close(fd);
	lock_release(b->lock);
	b->lock = NULL;
	errno = saverr;
	return -1;
}

/* Undo backend_dev_open. */
void
backend_dev_close(struct backend *b, int fd)
{
	line_restore(fd, b->saved);
	b->saved = NULL;
	close(fd);
	lock_release(b->lock);
	b->lock = NULL;
}
