/*
 * console.h — one device: its backend, the relay between the backend fd and
 * the one session that may hold it (the in-process registry of exclusive
 * sessions), the scrollback, capture while no session is open (stepping
 * aside for other programs), restarting an exec: program, and the takeover
 * reservation.
 * Not for FUSE: fs/ turns requests into these calls and back.
 */
#ifndef CONSOLEFS_CONSOLE_H
#define CONSOLEFS_CONSOLE_H

#include <stddef.h>
#include <sys/types.h>

struct line;
struct loop;
struct opts;
struct console;
struct console_session;

struct console_opts {
	const char	*lock_dir;
	size_t		 scrollback;	/* bytes */
	unsigned int	 reserve_ms;	/* force reservation */
	const struct opts *opts;	/* the device's settings (core/opts.h), valid
					   as long as the console; NULL: defaults */
};

/* Who opens a session. */
struct console_peer {
	pid_t	pid;
	pid_t	sid;	/* session id, for the force reservation */
	uid_t	uid;
};

/* What an observer hears about besides output. */
enum console_event {
	CONSOLE_EV_ATTACH,	/* a session opened: "pid=N uid=N comm=X" */
	CONSOLE_EV_DETACH,	/* a session closed: "pid=N uid=N comm=X" */
	CONSOLE_EV_TAKEOVER,	/* a session was taken over: its "pid=N uid=N comm=X" */
	CONSOLE_EV_BREAK,	/* a BREAK was sent: "N ms" */
};

/* A watcher of a console that never holds it (spies, on-disk logs): OUTPUT
 * gets every chunk read from the backend, with or without a session, in
 * order; EVENT the session events with a short text. Owned by the caller,
 * linked into the console by console_observe until console_unobserve. */
struct console_observer {
	void	(*output)(void *arg, const char *buf, size_t len);
	void	(*event)(void *arg, enum console_event ev, const char *text);
	void	*arg;
	struct console_observer *next;	/* console.c's */
};

/* Called when a session may make progress (data, end, room, takeover). */
typedef void console_wake_fn(struct console_session *s, void *arg);

/* Make a console NAME ("domain/dev") for BACKEND with OPTS (the daemon's
 * and the device's settings: capture, restart, scrollback, environment);
 * starts an exec: child, or opens a pty:/tty:/udev:/unix: backend to
 * capture it. NULL with *CAUSE (malloc'd) when BACKEND is not a backend
 * string. */
struct console *console_new(struct loop *lp, const char *name,
    const char *backend, const struct console_opts *opts, char **cause);
/* End the session (it reads end of file), stop the backend, free (NULL ok). */
void console_free(struct console *c);
/* Daemon stopping: the session reads end of file, exec: children get SIGTERM. */
void console_stop(struct console *c);

/* Daemon stopping, after console_stop: hang up an exec: child's terminal. */
void console_hangup(struct console *c);

/* Start a session: NULL with errno EBUSY (held, reserved, or locked by
 * another program) or ENXIO (backend absent). WAKE is called on progress.
 * The session may still be opening (a unix: connect waiting for the
 * server): console_open_status says so, and WAKE is called once it is
 * done. */
struct console_session *console_open(struct console *c,
    const struct console_peer *peer, console_wake_fn *wake, void *arg);
/* 0 when S is open, EINPROGRESS while it is opening, or the errno its open
 * failed with (ENXIO); a failed session is only good for console_close. */
int console_open_status(const struct console_session *s);
/* End a session (the last close) and free it. */
void console_close(struct console_session *s);
/* Read: >0 bytes, 0 at end of file, -1 with EAGAIN (nothing yet) or
 * ECONNRESET (taken over). */
ssize_t console_read(struct console_session *s, void *buf, size_t len);
/* Write: how many bytes were queued (0: no room yet), or -1 with
 * ECONNRESET (taken over) or EIO (the backend has ended). */
ssize_t console_write(struct console_session *s, const void *buf, size_t len);
/* poll(2) bits for the session: POLLIN, POLLOUT, POLLERR, POLLHUP. */
int console_poll(struct console_session *s);

/* Take over: end the current session (ECONNRESET) and reserve the console
 * for opens from SID for the reservation time. -1 with EBUSY when another
 * program holds the backend's lock. */
int console_force(struct console *c, pid_t sid);
/* Who holds it ("pid=N uid=N comm=X" or the foreign lock): 0, or -1 ENODATA. */
int console_holder(struct console *c, char *buf, size_t len);
/* The state of the backend ("running", "exited 0", ...). */
const char *console_state(struct console *c);
/* The backend string. */
/* Whether consoles made from now on capture at once (0) or a slice at a
 * time from the loop (1: the daemon's start). */
void console_defer_captures(int on);
/* The memory C's buffers hold now: "out=N in=N scrollback=N". */
void console_buffers(const struct console *c, char *buf, size_t len);
const char *console_backend(const struct console *c);
/* A copy of the scrollback (malloc'd, *LEN bytes); NULL on failure. */
char *console_scrollback(const struct console *c, size_t *len);
/* How many bytes the scrollback holds now. */
size_t console_scrollback_size(const struct console *c);
/* A count that changes whenever the scrollback does (bytes ever kept). */
unsigned long long console_scrollback_gen(const struct console *c);
/* Send a serial BREAK of MS milliseconds (0: 250 ms; at most 10 s), ended
 * by a timer: 0, or -1 with EOPNOTSUPP (not tty:), ENXIO (no session holds
 * the device) or EBUSY (a BREAK is in progress). */
int console_break(struct console *c, unsigned int ms);
/* Start telling O about C's output and sessions. */
void console_observe(struct console *c, struct console_observer *o);
/* Stop telling O (no-op when it is not observing C). */
void console_unobserve(struct console *c, struct console_observer *o);
/* Give session S, which has read nothing yet, the last N bytes (LINES: the
 * last N lines) of the scrollback before any live output, at most as much
 * as the session's buffer holds. Nothing when S continues a session that
 * closed a moment ago (it already reads where that one stopped). Returns
 * the number of bytes queued. */
size_t console_replay(struct console_session *s, size_t n, int lines);
/* The peer of the session holding C now: 0, or -1 when none does. */
int console_session_peer(const struct console *c, struct console_peer *peer);
/* The force reservation of C: 0 with its session id and the milliseconds
 * left, or -1 when there is none. */
int console_reservation(const struct console *c, pid_t *sid, long long *ms_left);
/* Whether the console's backend process still has to be reaped. */
int console_running(const struct console *c);
/* Start an exec: program again now (user.restart): one that runs is
 * stopped first and started again once it has exited; an open session
 * stays. 0, or -1 with EOPNOTSUPP (not exec:). */
int console_restart(struct console *c);
/* Bind a pty: device again to the pseudo-terminal at its path now (a
 * reload names it anew); nothing for other kinds. */
void console_rebind(struct console *c);

/* The configured line settings of a serial (tty:, udev:) console, or
 * NULL for the other kinds. */
const struct line *console_line(const struct console *c);
/* Change the line settings of the backend S holds until S ends (a .tty
 * client set a speed): 0, or -1 with EOPNOTSUPP (not serial), ECONNRESET
 * (taken over), ENXIO, or the terminal's error. */
int console_set_line(struct console_session *s, const struct line *l);

#endif
