/*
 * backend.h — where a device's bytes really come from: an exec: child on
 * its own pseudo-terminal, a pty: or tty: device, a unix: socket, a libvirt
 * console stream. Each kind is a small table of operations in its own file
 * (backend_exec.c, backend_tty.c, backend_unix.c, backend_udev.c,
 * backend_libvirt.c); this is the face console.c sees.
 * Not for relaying bytes: the console does that on the fd a backend gives.
 *
 * Device kinds are opened either for a session (with every lock file name
 * other tools use for the device, and a flock) or, when the console
 * captures, with no session and no lock: then the backend watches the lock
 * directory and the device node, and tells the console when another
 * program takes the device, so that it can step aside.
 */
#ifndef CONSOLEFS_BACKEND_H
#define CONSOLEFS_BACKEND_H

#include <stddef.h>
#include <sys/types.h>

struct backend;
struct line;
struct loop;

/* Called when something changed on its own: an exec: child exited, another
 * program's lock appeared or went, another program opened or closed the
 * device, the device went away, an open in progress finished, a capturing
 * libvirt: backend has a new stream for backend_resume. */
typedef void backend_event_fn(struct backend *b, void *arg);

struct opts;

/* Parse TEXT into a backend on LP with the device's settings O (NULL:
 * defaults); locks go to LOCK_DIR; with O's capture a device is held with
 * no session (the backend watches for other programs). FN hears of changes
 * the backend makes on its own. NULL and *CAUSE (malloc'd) when TEXT is
 * not a backend string. */
struct backend *backend_new(struct loop *lp, const char *text, const char *lock_dir,
    const struct opts *o, backend_event_fn *fn, void *arg, char **cause);
/* Free a backend, stopping what it started (NULL is ok). */
void backend_free(struct backend *b);
/* Whether the backend runs without sessions (exec:), started at creation. */
int backend_persistent(const struct backend *b);
/* Whether the backend can be held open with no session (pty:, tty:, unix:). */
int backend_capturable(const struct backend *b);
/* Whether an absent backend must be looked at again now and then to see it
 * come back (a path, a socket), rather than being told (udev:). */
int backend_polls_absent(const struct backend *b);
/* Whether the device can go and come back while a session waits for it
 * (udev:: an adapter unplugged and plugged in again). */
int backend_hotplug(const struct backend *b);
/* Whether the backend runs a program that can be started again (exec:). */
int backend_restartable(const struct backend *b);
/* Whether backend_new could set up what capturing needs (the watches). */
int backend_can_capture(const struct backend *b);
/* Start a persistent backend: its fd (non-blocking), or -1 (the state
 * says why). An exec: program starts a moment later, from the loop, in
 * its turn (state "starting" until then); the fd is its pty master, which
 * reads EIO if it cannot start, as when it exits. Calling it again (a
 * restart) gives a new pty and forgets the previous program, which it
 * does not stop: backend_stop first if it may still run. */
int backend_start(struct backend *b);
/* Before a session uses a persistent backend: an exec: program still
 * waiting for its turn starts now. 0, or -1 with ENXIO when it could not
 * start (the state says why). */
int backend_ready(struct backend *b);
/* The extra environment of an exec: program, "KEY=VALUE" strings (copied;
 * NULL: none), for the next start: 0, or -1 ENOMEM. */
int backend_set_env(struct backend *b, char *const env[]);
/* A persistent backend whose fd ended and that can produce again (a
 * capturing libvirt: console reopened): its new fd, or -1. */
int backend_resume(struct backend *b);
/* Open for a session: a non-blocking fd, or -1 with errno ENXIO (absent),
 * EBUSY (another program holds it: backend_holder says who) or
 * EINPROGRESS (unix: connecting; backend_opened after the next event). */
int backend_open(struct backend *b);
/* Open with no session (capture), holding no lock: as backend_open, and
 * EBUSY also when another program merely has the device open. */
int backend_attach(struct backend *b);
/* After EINPROGRESS: the fd, or -1 with EINPROGRESS (not yet) or ENXIO. */
int backend_opened(struct backend *b);
/* Give up an open in progress (no-op when none). */
void backend_cancel(struct backend *b);
/* Whether the device held open is still the one the backend names (a pty:
 * link may have been made anew, to another pseudo-terminal). */
int backend_current(struct backend *b);
/* A session takes FD, opened by backend_attach: its locks and flock. 0,
 * or -1 EBUSY (another program holds one: backend_holder says who). */
int backend_lock(struct backend *b, int fd);
/* The session is over: drop what backend_lock took, keep FD open. */
void backend_unlock(struct backend *b, int fd);
/* Undo backend_open or backend_attach: restore, unlock and close FD. */
void backend_close(struct backend *b, int fd);
/* After a hang-up on FD: 1 when the backend can never produce again. */
int backend_gone(struct backend *b, int fd);
/* Whether another program holds or uses the device now: a live lock under
 * any of its names, a flock, or an open file on its node. 1 and *PID (0
 * when not known), else 0. */
int backend_foreign(struct backend *b, pid_t *pid);
/* The pid of another process with the device open (a /proc walk), or 0. */
pid_t backend_user(struct backend *b);
/* pty: whether the pseudo-terminal it was bound to is gone for good. */
int backend_lost(const struct backend *b);
/* pty: bind again to whatever pseudo-terminal is at the path now (a
 * reload names the device anew), when the one it was bound to went away or
 * it never had one; nothing otherwise. */
void backend_rebind(struct backend *b);
/* Start (ON) or end a serial BREAK on FD: 0, or -1 with EOPNOTSUPP (not a
 * serial backend) or ENXIO (FD is -1: not open). */
int backend_break(struct backend *b, int fd, int on);
/* Take the device from the other program that holds it, where that is
 * allowed (libvirt: another console client, with VIR_DOMAIN_CONSOLE_FORCE),
 * and keep it HOLD_MS for the next backend_open: 0, or -1 with EBUSY (a lock
 * file or flock, never broken; other kinds) or ENXIO (absent). */
int backend_force(struct backend *b, unsigned int hold_ms);
/* The configured line settings of a serial backend (tty:, udev:), or NULL
 * for the other kinds. */
const struct line *backend_line(const struct backend *b);
/* Put line settings L on a serial backend's session fd FD until it closes:
 * 0, or -1 with EOPNOTSUPP (not serial), ENXIO (not open) or the ioctl's. */
int backend_set_line(struct backend *b, int fd, const struct line *l);
/* Ask a persistent backend to stop (SIGTERM to an exec: child). */
void backend_stop(struct backend *b);
/* The pid of a persistent backend's process not yet reaped, or 0. */
pid_t backend_pid(const struct backend *b);
/* exec: whether the last run failed (a non-zero exit, a signal). */
int backend_failed(const struct backend *b);
/* The backend string as configured. */
const char *backend_text(const struct backend *b);
/* "running", "exited 0", "killed 9", "present", "absent", "failed: ...". */
const char *backend_state(struct backend *b);
/* Who else holds the device ("lock=PATH pid=N comm=X"): 0, or -1 ENODATA. */
int backend_holder(struct backend *b, char *buf, size_t len);

#endif
