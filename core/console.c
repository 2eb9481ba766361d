/*
 * console.c — one device and its relay. This is the in-process half of
 * the exclusion (the UUCP locks taken by the backend are the other half):
 * at most one session holds a console.
 *
 * Flow control: the backend fd is read only while the output ring has room,
 * so a slow reader pushes back on the guest and nothing is dropped; with no
 * session, the backend is still read (into the scrollback only) so the
 * program never stalls on a full terminal. Writes are queued in the input
 * ring and a writer waits (fs/ holds its request) while the ring is full.
 *
 * Capture: an exec: console is read all the time. A pty:, tty: or unix:
 * console is too (capture = yes, the default): its backend is opened when
 * the console is made and stays open across sessions, because QEMU throws
 * away what its serial port prints while nobody has the pty or socket open.
 * With no session open it holds no lock, and steps aside for any other
 * program that takes the device: when the backend reports another
 * program's lock file, flock or open file (backend.c watches for them) the
 * fd is closed at once, user.state says "yielded to PID (comm)", and the
 * device is opened again once the other program has let go (an event, or
 * the CONSOLE_RETRY_MS timer for a lock whose holder died). Before each
 * read with no session the pending inotify events are handled (watch_poll),
 * so nothing the guest prints after another program's lock appeared is
 * read by us. capture = no opens the backend per session instead.
 *
 * Reopening: minicom closes and reopens its port whenever tcgetattr fails,
 * which on a console file is every pass of its main loop. So a session's
 * unread output is kept when it closes, and output goes on being kept for
 * CONSOLE_LINGER_MS after the close: an open within that window continues
 * where the last session stopped reading; a later one starts afresh.
 *
 * Restart: an exec: program that ends is started again when restart says
 * so, after a back-off (1 s, doubling up to 60 s, back to 1 s once a run
 * lasted 60 s); a session stays open across it and reads the new program's
 * output.
 *
 * Unplug: when the device of a udev: session goes (its tty is removed, or
 * hangs up and is gone), the session does not end (unplug = wait, the
 * default): the device is closed (its locks go), reads find nothing and
 * wait, writes wait (no room), poll shows neither, user.state says
 * "unplugged, waiting"; when a matching tty comes back the session opens
 * it again (locks, flock, line settings) and goes on. unplug = end gives
 * the session end of file instead.
 *
 * Hang-ups: a pty keeps reporting EPOLLHUP once its other side is gone, so a
 * level-triggered watch would wake the loop forever. On EIO/HUP the watch is
 * made edge-triggered (libvirt's LXC controller does the same), and the
 * session is given end of file once the backend says it is gone for good.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/backend.h"
#include "core/child.h"
#include "core/console.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/opts.h"
#include "core/proc.h"
#include "core/ring.h"
#include "core/watch.h"

#define CONSOLE_OUT_SIZE	(1024 * 1024)
#define CONSOLE_IN_SIZE		(64 * 1024)
#define CONSOLE_READS_PER_EVENT	16
#define CONSOLE_LINGER_MS	1000
#define CONSOLE_KILL_MS		5000
#define CONSOLE_RETRY_MS	1000	/* capture: look again while absent or yielded */
#define CONSOLE_BACKOFF_MIN_MS	1000
#define CONSOLE_BACKOFF_MAX_MS	60000
#define CONSOLE_BATCH_US	10000	/* first captures per loop pass, at most */
#define CONSOLE_BACKOFF_RESET_MS 60000	/* a run this long starts the back-off afresh */

struct console_session {
	struct console	*con;		/* NULL once detached */
	int		 reset;		/* taken over: ECONNRESET */
	int		 ended;		/* the backend ended: end of file once drained */
	int		 status;	/* 0, EINPROGRESS, or why the open failed */
	struct console_peer peer;
	char		 comm[PROC_COMM_MAX];
	console_wake_fn	*wake;
	void		*arg;
};

struct console {
	char		*name;
	struct loop	*loop;
	struct backend	*be;
	int		 fd;		/* backend fd, -1 when closed */
	int		 mask;		/* what the loop watches on fd */
	int		 hup;		/* hang-up seen: edge-triggered */
	int		 draining;	/* session gone, its input still going out */
	int		 capture;	/* keep the backend open with no session */
	int		 opening;	/* an open is in progress (unix: connect) */
	int		 yielded;	/* another program took the device */
	int		 stopping;
	int		 in_capture;
	int		 unplug_end;	/* unplug = end: a session reads end of file */
	int		 unplugged;	/* the session waits for its device */
	struct loop_timer *retry;	/* capture: look again; unplugged: open again */
	struct loop_timer *trim_timer;	/* gives the rings back after the linger */
	struct ring	*out;		/* backend -> session */
	struct ring	*in;		/* session -> backend */
	struct ring	*scroll;
	struct console_session *sess;
	long long	 closed_at;	/* when the last session ended */
	pid_t		 reserve_sid;
	long long	 reserve_until;
	unsigned int	 reserve_ms;
	struct loop_timer *break_timer;	/* ends a BREAK in progress */
	struct console_observer *observers;	/* spies, on-disk logs */
	/* exec: restart */
	enum opts_restart restart;
	struct loop_timer *restart_timer;
	long long	 restart_at;
	long		 backoff_ms;
	long long	 started_at;
	int		 start_failed;
	int		 restart_now;	/* user.restart: start again at once */
	struct loop_timer *kill_timer;	/* user.restart of a program ignoring SIGTERM */
	char		 state[320];
	struct console	*qprev, *qnext;	/* waiting for its first capture */
	int		 queued;
};

/*
 * First captures may wait in a queue run from the loop in slices of
 * CONSOLE_BATCH_US, the way exec: programs start (child.c): the daemon
 * turns this on for its start (console_defer_captures), so a configuration
 * of 10,000 pty: consoles is served at once and each starts capturing a
 * moment later (opening the device, its termios, its watches: 0.1 ms
 * each), instead of the mount waiting for all of them. An open in the
 * meantime opens the device for its session as it would anyway.
 */
static struct {
	int			 defer;
	struct loop		*loop;
	struct console		*head, *tail;
	struct loop_timer	*timer;
} console_queue;

static void console_fd_event(struct loop *lp, int fd, int events, void *arg);
static void console_capture(struct console *c);
static void console_replug(struct console *c);

static void
console_wake(struct console *c)
{
	struct console_session *s = c->sess;

	if (s != NULL && s->wake != NULL)
		s->wake(s, s->arg);
}

/* Whether a session is open and reading. */
static int
console_live(const struct console *c)
{
	return c->sess != NULL && !c->sess->ended && c->sess->status == 0;
}

/* Whether output is still kept for a session that closed a moment ago. */
static int
console_lingering(const struct console *c)
{
	return c->sess == NULL && c->closed_at != 0 &&
	    loop_now_ms() - c->closed_at < CONSOLE_LINGER_MS;
}

/* Give back the session buffers when no session needs them: the output
 * ring once nobody can read it any more (no session, and the reopen window
 * of CONSOLE_LINGER_MS has passed), the input ring once it has drained.
 * They are made again, small, when bytes come (ring.c). */
static void console_trim(struct console *c);

static void
console_trim_fire(struct loop *lp, void *arg)
{
	struct console *c = arg;

	(void)lp;
	c->trim_timer = NULL;
	console_trim(c);
}

static void
console_trim(struct console *c)
{
	if (c->sess != NULL)
		return;
	if (!console_lingering(c)) {
		ring_clear(c->out);
		ring_release(c->out);
	} else if (c->trim_timer == NULL)
		/* Look again when the reopen window has passed. */
		c->trim_timer = loop_add_timer(c->loop, CONSOLE_LINGER_MS + 10,
		    console_trim_fire, c);
	ring_release(c->in);
}

/* Set the loop's watch on the backend fd from what the relay needs now. */
static void
console_watch(struct console *c)
{
	int mask = 0;

	if (c->fd == -1)
		return;
	if (!console_live(c) || ring_space(c->out) > 0)
		mask |= LOOP_READ;
	if (ring_used(c->in) > 0)
		mask |= LOOP_WRITE;
	if (c->hup)
		mask |= LOOP_EDGE;
	if (mask == c->mask)
		return;
	if (loop_add_fd(c->loop, c->fd, mask, console_fd_event, c) == -1)
		log_error("%s: %s: cannot watch the backend: %s", __func__, c->name,
		    strerror(errno));
	c->mask = mask;
}

static void
console_close_fd(struct console *c)
{
	if (c->fd == -1)
		return;
	if (c->break_timer != NULL) {
		backend_break(c->be, c->fd, 0);
		loop_del_timer(c->loop, c->break_timer);
		c->break_timer = NULL;
	}
	loop_del_fd(c->loop, c->fd);
	if (backend_persistent(c->be))
		close(c->fd);
	else
		backend_close(c->be, c->fd);
	c->fd = -1;
	c->mask = 0;
	c->hup = 0;
	c->draining = 0;
}

/* A session is over with the fd: keep it (without the session's locks)
 * when capturing, else close it. */
static void
console_release_fd(struct console *c)
{
	if (c->fd == -1 || backend_persistent(c->be))
		return;
	c->draining = 0;
	if (c->capture && !c->stopping)
		backend_unlock(c->be, c->fd);
	else
		console_close_fd(c);
}

static void
console_retry_fire(struct loop *lp, void *arg)
{
	struct console *c = arg;

	(void)lp;
	c->retry = NULL;
	if (c->unplugged)
		console_replug(c);
	else
		console_capture(c);
}

static void
console_retry_later(struct console *c)
{
	if (c->retry != NULL || c->stopping || !c->capture || backend_lost(c->be))
		return;
	c->retry = loop_add_timer(c->loop, CONSOLE_RETRY_MS, console_retry_fire, c);
}

static void
console_yield(struct console *c, pid_t pid)
{
	char comm[PROC_COMM_MAX];

	proc_comm(pid, comm, sizeof comm);
	log_info("%s: %s: another program (pid %d, %s) takes the device: letting go",
	    __func__, c->name, (int)pid, comm);
	console_close_fd(c);
	c->yielded = 1;
	console_retry_later(c);
}

/* Hold the backend with no session when capturing: open it if it is free,
 * let it go if another program wants it. */
static void
console_capture(struct console *c)
{
	pid_t pid = 0;
	int fd;

	if (!c->capture || c->stopping || c->sess != NULL || c->draining ||
	    c->opening || c->in_capture)
		return;
	c->in_capture = 1;
	if (c->fd != -1 && !backend_current(c->be)) {
		/* The device held is no longer the one the backend names (a
		 * udev: device unplugged, a pty: link made anew). */
		log_info("%s: %s: the device changed: letting the old one go", __func__,
		    c->name);
		console_close_fd(c);
	}
	if (c->fd != -1) {
		if (backend_foreign(c->be, &pid))
			console_yield(c, pid);
		goto out;
	}
	if (backend_lost(c->be))
		goto out;
	fd = backend_attach(c->be);
	if (fd != -1) {
		if (c->yielded)
			log_info("%s: %s: the device is free again: capturing", __func__,
			    c->name);
		c->yielded = 0;
		c->fd = fd;
		loop_del_timer(c->loop, c->retry);
		c->retry = NULL;
		console_watch(c);
		goto out;
	}
	if (errno == EINPROGRESS) {
		c->opening = 1;
		goto out;
	}
	if (errno == EBUSY && !c->yielded) {
		backend_foreign(c->be, &pid);
		log_info("%s: %s: another program (pid %d) has the device: not capturing "
		    "until it lets go", __func__, c->name, (int)pid);
		c->yielded = 1;
	} else if (errno != EBUSY) {
		c->yielded = 0;
		/* Absent: a udev: backend is told when its tty comes back. */
		if (!backend_polls_absent(c->be))
			goto out;
	}
	console_retry_later(c);
out:
	c->in_capture = 0;
}

static void console_exec_start(struct console *c);

/* A persistent backend whose fd ended may come back by itself with a new
 * one (backend_resume: a capturing libvirt: console reopened after its
 * guest started again or virsh let go of it). A session that read its end
 * of file stays ended. */
static void
console_resume(struct console *c)
{
	int fd;

	if (c->fd != -1 || !backend_persistent(c->be) || (fd = backend_resume(c->be)) == -1)
		return;
	log_info("%s: %s: backend back", __func__, c->name);
	c->fd = fd;
	c->hup = 0;
	c->mask = 0;
	console_watch(c);
	console_wake(c);
}

static void
console_restart_fire(struct loop *lp, void *arg)
{
	struct console *c = arg;

	(void)lp;
	c->restart_timer = NULL;
	console_exec_start(c);
}

/* Whether the exec: program that just ended is to be started again. */
static int
console_will_restart(const struct console *c)
{
	if (c->stopping || !backend_restartable(c->be))
		return 0;
	if (c->restart_now)
		return 1;
	if (c->restart == OPTS_RESTART_ON_EXIT)
		return 1;
	return c->restart == OPTS_RESTART_ON_FAILURE &&
	    (c->start_failed || backend_failed(c->be));
}

/* The exec: program ended (or could not start): start it again after the
 * back-off, or give the session end of file. */
static void
console_exec_ended(struct console *c)
{
	long delay;

	if (!console_will_restart(c)) {
		if (c->sess != NULL)
			c->sess->ended = 1;
		return;
	}
	if (c->restart_now) {
		c->restart_now = 0;
		delay = 0;
	} else {
		if (!c->start_failed &&
		    loop_now_ms() - c->started_at >= CONSOLE_BACKOFF_RESET_MS)
			c->backoff_ms = CONSOLE_BACKOFF_MIN_MS;
		delay = c->backoff_ms;
		c->backoff_ms *= 2;
		if (c->backoff_ms > CONSOLE_BACKOFF_MAX_MS)
			c->backoff_ms = CONSOLE_BACKOFF_MAX_MS;
	}
	loop_del_timer(c->loop, c->restart_timer);
	c->restart_at = loop_now_ms() + delay;
	c->restart_timer = loop_add_timer(c->loop, delay, console_restart_fire, c);
	if (c->restart_timer == NULL) {
		log_error("%s: %s: cannot start it again: %s", __func__, c->name,
		    strerror(errno));
		if (c->sess != NULL)
			c->sess->ended = 1;
		return;
	}
	log_info("%s: %s: starting it again in %ld ms", __func__, c->name, delay);
}

static void
console_exec_start(struct console *c)
{
	int fd;

	loop_del_timer(c->loop, c->kill_timer);
	c->kill_timer = NULL;
	c->started_at = loop_now_ms();
	fd = backend_start(c->be);
	c->start_failed = fd == -1;
	if (fd == -1) {
		console_exec_ended(c);
		console_wake(c);
		return;
	}
	c->fd = fd;
	c->hup = 0;
	c->mask = 0;
	console_watch(c);
	console_wake(c);
}

/* The backend will produce nothing more on this fd. */
static void
console_finish(struct console *c, const char *why)
{
	log_info("%s: %s: backend ended (%s)", __func__, c->name, why);
	ring_clear(c->in);
	console_close_fd(c);
	if (backend_persistent(c->be))
		console_exec_ended(c);
	else {
		if (c->sess != NULL)
			c->sess->ended = 1;
		console_retry_later(c);
	}
	console_wake(c);
	console_resume(c);
}

/* The device of the open session went (unplugged): end the session
 * (unplug = end), or let the device go and have the session wait for it
 * to come back. */
static void
console_unplug(struct console *c)
{
	if (c->unplug_end) {
		console_finish(c, "unplugged");
		return;
	}
	log_info("%s: %s: device unplugged: the session waits for it", __func__, c->name);
	console_close_fd(c);
	c->unplugged = 1;
	console_wake(c);
}

/* A session waits for its device: open it again if it is back. Bytes
 * queued before the unplug go out first. */
static void
console_replug(struct console *c)
{
	int fd;

	if (!c->unplugged || c->sess == NULL || c->fd != -1)
		return;
	fd = backend_open(c->be);
	if (fd == -1) {
		/* ENXIO: not back yet (udev.c tells when it is). EBUSY:
		 * another program took it meanwhile: look again. */
		if (errno == EBUSY && c->retry == NULL)
			c->retry = loop_add_timer(c->loop, CONSOLE_RETRY_MS,
			    console_retry_fire, c);
		return;
	}
	loop_del_timer(c->loop, c->retry);
	c->retry = NULL;
	log_info("%s: %s: device back: the session goes on", __func__, c->name);
	c->unplugged = 0;
	c->fd = fd;
	c->hup = 0;
	c->mask = 0;
	console_watch(c);
	console_wake(c);
}

/* Whether the open session's device went: a udev: device that no longer
 * matches, or matches another tty now. */
static int
console_device_went(struct console *c)
{
	return console_live(c) && c->fd != -1 && !c->draining &&
	    backend_hotplug(c->be) && !backend_current(c->be);
}

static void
console_backend_hup(struct console *c)
{
	if (backend_gone(c->be, c->fd)) {
		if (console_live(c) && backend_hotplug(c->be))
			console_unplug(c);
		else
			console_finish(c, "hang-up");
		return;
	}
	if (!c->hup) {
		c->hup = 1;
		console_watch(c);
	}
}

/* Tell the observers about a session event. */
static void
console_notify(struct console *c, enum console_event ev, const char *text)
{
	struct console_observer *o, *next;

	for (o = c->observers; o != NULL; o = next) {
		next = o->next;
		if (o->event != NULL)
			o->event(o->arg, ev, text);
	}
}

static void
console_notify_peer(struct console *c, enum console_event ev,
    const struct console_session *s)
{
	char text[128];

	if (c->observers == NULL)
		return;
	snprintf(text, sizeof text, "pid=%d uid=%d comm=%s", (int)s->peer.pid,
	    (int)s->peer.uid, s->comm);
	console_notify(c, ev, text);
}

/* LEN bytes were read from the backend: keep them in the scrollback and
 * hand them to the observers. Every byte read goes through here once. */
static void
console_output(struct console *c, const char *buf, size_t len)
{
	struct console_observer *o, *next;

	ring_put_over(c->scroll, buf, len);
	for (o = c->observers; o != NULL; o = next) {
		next = o->next;
		o->output(o->arg, buf, len);
	}
}

/* Copy the LEN bytes that just arrived at the end of the output ring into
 * the scrollback. */
static void
console_scroll_tail(struct console *c, size_t len)
{
	struct iovec iov[2];
	size_t used = ring_used(c->out), skip = used - len;
	int k = ring_data_iov(c->out, iov, used);

	for (int j = 0; j < k; j++) {
		size_t l = iov[j].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		console_output(c, (char *)iov[j].iov_base + skip, l - skip);
		skip = 0;
	}
}

static void
console_read_backend(struct console *c)
{
	char tmp[16384];
	int got = 0, keep_all;

	if (!console_live(c) && c->capture) {
		/* Another program's lock may have appeared since the loop
		 * woke: what the guest prints from then on is that program's. */
		watch_poll();
		if (c->fd == -1)
			return;
	}
	keep_all = console_live(c) || console_lingering(c);
	if (!keep_all)
		console_trim(c);
	for (int i = 0; i < CONSOLE_READS_PER_EVENT; i++) {
		int keep = keep_all;
		ssize_t n;

		if (keep && ring_space(c->out) == 0) {
			if (console_live(c))
				break;		/* back-pressure on the guest */
			keep = 0;		/* nobody to push back for */
		}
		if (keep) {
			n = ring_read_fd(c->out, c->fd);
			if (n > 0)
				console_scroll_tail(c, n);
		} else {
			n = read(c->fd, tmp, sizeof tmp);
			if (n > 0)
				console_output(c, tmp, n);
		}
		if (n > 0) {
			got = 1;
			/* Data again after a hang-up: back to level-triggered. */
			c->hup = 0;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		/* 0 or EIO: the other side hung up (pty master with no slave,
		 * pty slave with no master, socket closed). */
		if (got)
			console_wake(c);
		console_backend_hup(c);
		return;
	}
	if (got)
		console_wake(c);
	console_watch(c);
}

static void
console_write_backend(struct console *c)
{
	ssize_t n = ring_write_fd(c->in, c->fd);

	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		log_info("%s: %s: write: %s", __func__, c->name, strerror(errno));
		ring_clear(c->in);
		console_backend_hup(c);
		return;
	}
	if (n > 0)
		console_wake(c);
	if (c->draining && ring_used(c->in) == 0) {
		console_release_fd(c);
		console_trim(c);
		console_capture(c);
		return;
	}
	console_watch(c);
}

static void
console_fd_event(struct loop *lp, int fd, int events, void *arg)
{
	struct console *c = arg;

	(void)lp, (void)fd;
	if ((events & LOOP_WRITE) && c->fd != -1)
		console_write_backend(c);
	if ((events & (LOOP_READ | LOOP_HUP | LOOP_ERROR)) && c->fd != -1)
		console_read_backend(c);
}

/* An open in progress (unix: connect) is over: give the fd to the session
 * waiting for it, or keep it for capture. */
static void
console_open_done(struct console *c)
{
	struct console_session *s = c->sess;
	int fd = backend_opened(c->be);

	if (fd == -1 && errno == EINPROGRESS)
		return;
	c->opening = 0;
	if (fd != -1) {
		c->fd = fd;
		c->yielded = 0;
		loop_del_timer(c->loop, c->retry);
		c->retry = NULL;
	}
	if (s != NULL && s->status == EINPROGRESS) {
		if (fd == -1) {
			/* The console is free again; fs/ answers the open with
			 * the error and closes the session. */
			s->status = ENXIO;
			c->sess = NULL;
			s->con = NULL;
			if (s->wake != NULL)
				s->wake(s, s->arg);
			console_retry_later(c);
			return;
		}
		s->status = 0;
		c->reserve_until = 0;
		console_watch(c);
		console_notify_peer(c, CONSOLE_EV_ATTACH, s);
		if (s->wake != NULL)
			s->wake(s, s->arg);
		return;
	}
	if (fd == -1)
		console_retry_later(c);
	else
		console_watch(c);
}

static void
console_backend_event(struct backend *b, void *arg)
{
	struct console *c = arg;

	(void)b;
	if (backend_persistent(c->be)) {
		console_resume(c);
		/* An exec: child was reaped. If its terminal already hung up,
		 * that was the end; otherwise the EIO after the last output
		 * will be, unless it is to be started again: then what it left
		 * is read now and the old terminal closed (a grandchild may
		 * hold it open for ever). */
		if (c->fd != -1 && !c->hup && backend_pid(c->be) == 0 &&
		    console_will_restart(c)) {
			console_read_backend(c);
			if (c->fd != -1)
				console_finish(c, console_state(c));
		} else if (c->hup && c->fd != -1)
			console_finish(c, console_state(c));
		else if (c->fd == -1)
			console_wake(c);
		return;
	}
	if (c->opening)
		console_open_done(c);
	if (console_device_went(c))
		console_unplug(c);
	if (c->unplugged)
		console_replug(c);
	console_capture(c);
}

static void
console_queue_del(struct console *c)
{
	if (!c->queued)
		return;
	if (c->qprev != NULL)
		c->qprev->qnext = c->qnext;
	else
		console_queue.head = c->qnext;
	if (c->qnext != NULL)
		c->qnext->qprev = c->qprev;
	else
		console_queue.tail = c->qprev;
	c->qprev = c->qnext = NULL;
	c->queued = 0;
}

static void console_queue_arm(void);

static void
console_queue_run(struct loop *lp, void *arg)
{
	long long until = loop_now_us() + CONSOLE_BATCH_US;

	(void)lp, (void)arg;
	console_queue.timer = NULL;
	while (console_queue.head != NULL) {
		struct console *c = console_queue.head;

		console_queue_del(c);
		console_capture(c);
		if (loop_now_us() >= until)
			break;
	}
	console_queue_arm();
}

static void
console_queue_arm(void)
{
	if (console_queue.head == NULL || console_queue.timer != NULL)
		return;
	console_queue.timer = loop_add_timer(console_queue.loop, 0, console_queue_run, NULL);
	if (console_queue.timer == NULL) {
		log_error("%s: cannot schedule captures: %s; capturing now", __func__,
		    strerror(errno));
		while (console_queue.head != NULL) {
			struct console *c = console_queue.head;

			console_queue_del(c);
			console_capture(c);
		}
	}
}

/* Queue C's first capture. */
static void
console_queue_add(struct console *c)
{
	console_queue.loop = c->loop;
	c->qnext = NULL;
	c->qprev = console_queue.tail;
	if (console_queue.tail != NULL)
		console_queue.tail->qnext = c;
	else
		console_queue.head = c;
	console_queue.tail = c;
	c->queued = 1;
	console_queue_arm();
}

/* Whether consoles made from now on capture at once (0) or a slice at a
 * time from the loop (1). */
void
console_defer_captures(int on)
{
	console_queue.defer = on;
}

/* Make a console NAME for BACKEND; starts an exec: child or captures. */
struct console *
console_new(struct loop *lp, const char *name, const char *backend,
    const struct console_opts *copts, char **cause)
{
	struct console *c = calloc(1, sizeof *c);
	struct opts defaults;
	const struct opts *o = copts->opts;

	*cause = NULL;
	if (o == NULL) {
		opts_init(&defaults);
		o = &defaults;
	}
	if (c == NULL)
		goto nomem;
	c->fd = -1;
	c->loop = lp;
	c->reserve_ms = copts->reserve_ms;
	c->restart = o->restart;
	c->unplug_end = o->unplug_end;
	c->backoff_ms = CONSOLE_BACKOFF_MIN_MS;
	if ((c->name = strdup(name)) == NULL ||
	    (c->out = ring_new(CONSOLE_OUT_SIZE)) == NULL ||
	    (c->in = ring_new(CONSOLE_IN_SIZE)) == NULL ||
	    (c->scroll = ring_new(copts->scrollback)) == NULL)
		goto nomem;
	c->be = backend_new(lp, backend, copts->lock_dir, copts->opts,
	    console_backend_event, c, cause);
	if (c->be == NULL)
		goto fail;
	if (backend_set_env(c->be, o->env) == -1)
		goto nomem;
	c->capture = backend_can_capture(c->be);
	if (backend_persistent(c->be))
		console_exec_start(c);
	else if (console_queue.defer && c->capture)
		console_queue_add(c);
	else
		console_capture(c);
	return c;
nomem:
	*cause = strdup("out of memory");
fail:
	console_free(c);
	return NULL;
}

/* Daemon stopping: the session reads end of file, exec: children get SIGTERM. */
void
console_stop(struct console *c)
{
	struct console_session *s = c->sess;

	c->stopping = 1;
	c->unplugged = 0;
	loop_del_timer(c->loop, c->retry);
	c->retry = NULL;
	loop_del_timer(c->loop, c->restart_timer);
	c->restart_timer = NULL;
	loop_del_timer(c->loop, c->kill_timer);
	c->kill_timer = NULL;
	if (s != NULL) {
		s->con = NULL;	/* detached: it reads end of file */
		if (s->status == EINPROGRESS)
			s->status = ENXIO;
		c->sess = NULL;
		if (s->wake != NULL)
			s->wake(s, s->arg);
	}
	/* A device fd goes now (and with it our lock files). An exec:
	 * master stays open and is still read until the child is gone:
	 * closing it would hang up the child's terminal, a SIGHUP before the
	 * SIGTERM it is owed. */
	if (!backend_persistent(c->be)) {
		if (c->opening)
			backend_cancel(c->be);
		c->opening = 0;
		console_close_fd(c);
	}
	backend_stop(c->be);
}

/* Daemon stopping, a while after console_stop: close an exec: master, so
 * a child that ignores SIGTERM (an interactive shell) gets the SIGHUP of a
 * terminal that went away. */
void
console_hangup(struct console *c)
{
	console_close_fd(c);
}

static void
console_kill_late(struct loop *lp, void *arg)
{
	(void)lp;
	child_signal((pid_t)(intptr_t)arg, SIGKILL);
}

/* End the session, stop the backend, free (NULL is ok). An exec: child
 * gets SIGTERM, a hang-up, and SIGKILL if it is still there 5 s later. */
void
console_free(struct console *c)
{
	if (c == NULL)
		return;
	if (c->be != NULL) {
		pid_t pid = backend_pid(c->be);

		console_stop(c);
		console_close_fd(c);
		if (pid > 0)
			loop_add_timer(c->loop, CONSOLE_KILL_MS, console_kill_late,
			    (void *)(intptr_t)pid);
	}
	loop_del_timer(c->loop, c->break_timer);
	loop_del_timer(c->loop, c->trim_timer);
	console_queue_del(c);
	backend_free(c->be);
	ring_free(c->out);
	ring_free(c->in);
	ring_free(c->scroll);
	free(c->name);
	free(c);
}

/* Start a session: NULL with errno EBUSY or ENXIO. */
struct console_session *
console_open(struct console *c, const struct console_peer *peer,
    console_wake_fn *wake, void *arg)
{
	struct console_session *s;
	int fd, saverr;

	if (c->sess != NULL) {
		errno = EBUSY;
		return NULL;
	}
	if (c->reserve_until != 0 && loop_now_ms() < c->reserve_until &&
	    peer->sid != c->reserve_sid) {
		errno = EBUSY;
		return NULL;
	}
	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	if (c->fd != -1 && !c->draining && !backend_persistent(c->be) &&
	    !backend_current(c->be)) {
		/* Held for capture, but the path names another device now (a
		 * pty: link made anew): open what it names. */
		console_close_fd(c);
	}
	if (backend_persistent(c->be)) {
		/* Waiting for a restart counts as there. An exec: program
		 * still waiting for its turn starts now: the open waits for
		 * that one spawn, not for the queue. */
		if (c->fd == -1 ? c->restart_timer == NULL : backend_ready(c->be) == -1) {
			char who[256];

			/* Ended or not there; or held by another program (virsh
			 * console took a capturing libvirt: console). */
			errno = c->fd == -1 && backend_holder(c->be, who, sizeof who) == 0 ?
			    EBUSY : ENXIO;
			goto fail;
		}
	} else if (c->draining) {
		/* The last session's input is still going out under our
		 * locks: the fd is simply handed on. */
	} else if (c->fd != -1) {
		/* Held for capture: the session takes the locks now. */
		if (backend_lock(c->be, c->fd) == -1) {
			saverr = errno;
			console_capture(c);
			errno = saverr;
			goto fail;
		}
	} else if (c->opening) {
		s->status = EINPROGRESS;
	} else {
		fd = backend_open(c->be);
		if (fd == -1 && errno != EINPROGRESS)
			goto fail;
		if (fd == -1) {
			c->opening = 1;
			s->status = EINPROGRESS;
		} else {
			c->fd = fd;
			c->yielded = 0;
			loop_del_timer(c->loop, c->retry);
			c->retry = NULL;
		}
	}
	/* Only an open that succeeds uses up a reservation. */
	if (s->status == 0)
		c->reserve_until = 0;
	c->draining = 0;
	s->con = c;
	s->peer = *peer;
	proc_comm(peer->pid, s->comm, sizeof s->comm);
	s->wake = wake;
	s->arg = arg;
	if (!console_lingering(c))
		ring_clear(c->out);
	c->closed_at = 0;
	c->sess = s;
	console_watch(c);
	log_debug("%s: %s: opened by pid %d (%s)%s", __func__, c->name, (int)peer->pid,
	    s->comm, s->status == EINPROGRESS ? ", waiting for the backend" : "");
	if (s->status == 0)
		console_notify_peer(c, CONSOLE_EV_ATTACH, s);
	return s;
fail:
	saverr = errno;
	free(s);
	errno = saverr;
	return NULL;
}

/* 0, EINPROGRESS, or why the open failed. */
int
console_open_status(const struct console_session *s)
{
	return s->status;
}

static void
console_detach(struct console_session *s)
{
	struct console *c = s->con;

	if (c == NULL)
		return;
	c->sess = NULL;
	s->con = NULL;
	c->closed_at = s->reset ? 0 : loop_now_ms();
	if (c->unplugged) {
		/* Nobody waits for the device any more. */
		c->unplugged = 0;
		loop_del_timer(c->loop, c->retry);
		c->retry = NULL;
	}
	if (s->reset)
		ring_clear(c->out);
	if (s->status == EINPROGRESS) {
		/* The opener went away (interrupted): a capture goes on with
		 * the connect, else it is given up. */
		if (!c->capture) {
			backend_cancel(c->be);
			c->opening = 0;
		}
		return;
	}
	if (!backend_persistent(c->be) && c->fd != -1) {
		/* Bytes a writer was told were taken still go out; the locks
		 * are dropped once they have. */
		if (ring_used(c->in) > 0)
			c->draining = 1;
		else
			console_release_fd(c);
	}
	console_trim(c);
	console_watch(c);
	console_capture(c);
}

/* End a session (the last close) and free it. */
void
console_close(struct console_session *s)
{
	if (s == NULL)
		return;
	if (s->con != NULL) {
		log_debug("%s: %s: closed", __func__, s->con->name);
		if (s->status == 0)
			console_notify_peer(s->con, CONSOLE_EV_DETACH, s);
	}
	console_detach(s);
	free(s);
}

/* Read: >0 bytes, 0 at end of file, -1 with EAGAIN or ECONNRESET. */
ssize_t
console_read(struct console_session *s, void *buf, size_t len)
{
	struct console *c = s->con;
	size_t n;

	if (s->reset) {
		errno = ECONNRESET;
		return -1;
	}
	if (c == NULL)
		return 0;
	n = ring_get(c->out, buf, len);
	if (n > 0) {
		console_watch(c);
		return n;
	}
	if (s->ended)
		return 0;
	errno = EAGAIN;
	return -1;
}

/* Write: bytes queued (0: no room yet), or -1 with ECONNRESET or EIO. */
ssize_t
console_write(struct console_session *s, const void *buf, size_t len)
{
	struct console *c = s->con;
	size_t n;

	if (s->reset) {
		errno = ECONNRESET;
		return -1;
	}
	if (c == NULL || s->ended || s->status != 0) {
		errno = EIO;
		return -1;
	}
	if (c->unplugged)
		return 0;	/* no room until the device is back */
	/* When the ring was empty, try the backend now rather than after the
	 * next epoll_wait: one loop round less per keystroke. If that empties
	 * the ring again, take more: returning short with an empty ring would
	 * leave the waiting writer with no write watch to wake it. Errors and
	 * leftovers are the write watch's business. While an exec: program is
	 * being started again there is no fd: the bytes wait in the ring. */
	for (n = 0; n < len;) {
		size_t k = ring_put(c->in, (const char *)buf + n, len - n);

		n += k;
		if (k == 0 || c->fd == -1 || ring_used(c->in) != k)
			break;
		if (ring_write_fd(c->in, c->fd) <= 0 || n == len)
			break;
	}
	console_watch(c);
	return n;
}

/* poll(2) bits for the session. */
int
console_poll(struct console_session *s)
{
	struct console *c = s->con;
	int ev = 0;

	if (s->reset)
		return POLLIN | POLLOUT | POLLERR;
	if (c == NULL)
		return POLLIN | POLLHUP;
	if (ring_used(c->out) > 0)
		ev |= POLLIN;
	if (s->ended)
		ev |= POLLIN | POLLHUP;
	else if (!c->unplugged && ring_space(c->in) > 0)
		ev |= POLLOUT;
	return ev;
}

/* Take over: end the current session, reserve the console for SID. */
int
console_force(struct console *c, pid_t sid)
{
	char who[256];
	struct console_session *s = c->sess;

	if (c->draining) {
		/* The last session's input is still going out under our locks:
		 * a takeover ends that too. */
		ring_clear(c->in);
		console_release_fd(c);
	}
	if (s == NULL && backend_holder(c->be, who, sizeof who) == 0 &&
	    backend_force(c->be, c->reserve_ms) == -1) {
		/* Never break another program's lock or flock; a libvirt
		 * backend can take its console from another libvirt client
		 * (backend_force), and holds it for the reservation. */
		errno = EBUSY;
		return -1;
	}
	if (s != NULL) {
		log_info("%s: %s: taken over from pid %d (%s)", __func__, c->name,
		    (int)s->peer.pid, s->comm);
		s->reset = 1;
		console_notify_peer(c, CONSOLE_EV_TAKEOVER, s);
		ring_clear(c->in);	/* the displaced writer's bytes go nowhere */
		console_detach(s);
		if (s->wake != NULL)
			s->wake(s, s->arg);
	}
	c->reserve_sid = sid;
	c->reserve_until = loop_now_ms() + c->reserve_ms;
	return 0;
}

/* Who holds it: 0, or -1 ENODATA. */
int
console_holder(struct console *c, char *buf, size_t len)
{
	struct console_session *s = c->sess;

	if (s != NULL) {
		snprintf(buf, len, "pid=%d uid=%d comm=%s", (int)s->peer.pid,
		    (int)s->peer.uid, s->comm);
		return 0;
	}
	return backend_holder(c->be, buf, len);
}

/* The state of the backend: the backend's words, or that the console
 * stepped aside for another program, or when a program starts again. */
const char *
console_state(struct console *c)
{
	char comm[PROC_COMM_MAX];
	pid_t pid = 0;

	/* (Another console of this daemon holding the device is no
	 * program to name.) */
	if (c->yielded && c->fd == -1 && backend_foreign(c->be, &pid) &&
	    pid != getpid()) {
		if (pid <= 0)
			pid = backend_user(c->be);
		if (pid > 0) {
			proc_comm(pid, comm, sizeof comm);
			snprintf(c->state, sizeof c->state, "yielded to %d (%s)", (int)pid,
			    comm);
		} else
			snprintf(c->state, sizeof c->state, "yielded to another program");
		return c->state;
	}
	if (c->unplugged)
		return "unplugged, waiting";
	if (c->restart_timer != NULL) {
		long long left = c->restart_at - loop_now_ms();

		snprintf(c->state, sizeof c->state, "%s, starting again in %lld s",
		    backend_state(c->be), left <= 0 ? 0 : (left + 999) / 1000);
		return c->state;
	}
	return backend_state(c->be);
}

/* The backend string. */
const char *
console_backend(const struct console *c)
{
	return backend_text(c->be);
}

/* The memory C's buffers hold now, for user.buffers:
 * "out=N in=N scrollback=N" (bytes allocated, not bytes held). */
void
console_buffers(const struct console *c, char *buf, size_t len)
{
	snprintf(buf, len, "out=%zu in=%zu scrollback=%zu", ring_allocated(c->out),
	    ring_allocated(c->in), ring_allocated(c->scroll));
}

/* How many bytes the scrollback holds now. */
size_t
console_scrollback_size(const struct console *c)
{
	return ring_used(c->scroll);
}

/* A count that changes whenever the scrollback does. */
unsigned long long
console_scrollback_gen(const struct console *c)
{
	return ring_total(c->scroll);
}

/* A copy of the scrollback (malloc'd, *LEN bytes); NULL on failure. */
char *
console_scrollback(const struct console *c, size_t *len)
{
	char *copy = malloc(ring_used(c->scroll) + 1);

	if (copy == NULL)
		return NULL;
	ring_copy(c->scroll, copy);
	*len = ring_used(c->scroll);
	return copy;
}

static void
console_break_end(struct loop *lp, void *arg)
{
	struct console *c = arg;

	(void)lp;
	c->break_timer = NULL;
	if (c->fd != -1)
		backend_break(c->be, c->fd, 0);
}

/* Send a serial BREAK of MS milliseconds (0: 250 ms, at most 10 s) without
 * blocking the loop: set it now, clear it from a timer. Only a session
 * sends one: a device held for capture is not ours to signal. */
int
console_break(struct console *c, unsigned int ms)
{
	if (c->break_timer != NULL) {
		errno = EBUSY;
		return -1;
	}
	if (backend_break(c->be, console_live(c) ? c->fd : -1, 1) == -1)
		return -1;
	if (ms == 0)
		ms = 250;
	if (ms > 10000)
		ms = 10000;
	c->break_timer = loop_add_timer(c->loop, ms, console_break_end, c);
	if (c->break_timer == NULL) {
		backend_break(c->be, c->fd, 0);
		return -1;
	}
	if (c->observers != NULL) {
		char text[32];

		snprintf(text, sizeof text, "%u ms", ms);
		console_notify(c, CONSOLE_EV_BREAK, text);
	}
	return 0;
}

/* Whether the console's backend process still has to be reaped. */
int
console_running(const struct console *c)
{
	return backend_pid(c->be) > 0;
}

static void
console_restart_kill(struct loop *lp, void *arg)
{
	struct console *c = arg;
	pid_t pid = backend_pid(c->be);

	(void)lp;
	c->kill_timer = NULL;
	if (pid > 0) {
		log_warn("%s: %s: pid %d ignored SIGTERM for %d ms: SIGKILL", __func__,
		    c->name, (int)pid, CONSOLE_KILL_MS);
		child_signal(pid, SIGKILL);
	}
}

/* Start an exec: program again now (user.restart). */
int
console_restart(struct console *c)
{
	if (!backend_restartable(c->be)) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (c->stopping) {
		errno = ESHUTDOWN;
		return -1;
	}
	log_info("%s: %s: restart asked for", __func__, c->name);
	if (backend_pid(c->be) > 0) {
		/* Started again once it has been reaped (console_exec_ended). */
		c->restart_now = 1;
		backend_stop(c->be);
		if (c->kill_timer == NULL)
			c->kill_timer = loop_add_timer(c->loop, CONSOLE_KILL_MS,
			    console_restart_kill, c);
		return 0;
	}
	if (c->fd != -1) {
		/* Reaped, its terminal not hung up yet (a grandchild may hold
		 * it): read what it left, close it, start again. */
		c->restart_now = 1;
		console_read_backend(c);
		if (c->fd != -1)
			console_finish(c, console_state(c));
		return 0;
	}
	loop_del_timer(c->loop, c->restart_timer);
	c->restart_timer = NULL;
	console_exec_start(c);
	return 0;
}

/* Bind a pty: device again to the pseudo-terminal at its path now. */
void
console_rebind(struct console *c)
{
	backend_rebind(c->be);
	console_capture(c);
}

/* Start telling O about C's output and sessions. */
void
console_observe(struct console *c, struct console_observer *o)
{
	o->next = c->observers;
	c->observers = o;
}

/* Stop telling O. */
void
console_unobserve(struct console *c, struct console_observer *o)
{
	for (struct console_observer **op = &c->observers; *op != NULL; op = &(*op)->next)
		if (*op == o) {
			*op = o->next;
			o->next = NULL;
			return;
		}
}

/* Where the last N lines of the LEN bytes at BUF start: after the N-th
 * newline counted back from the end, a newline that ends BUF not counted
 * (so an unfinished last line, such as a prompt, is one of the N). */
static size_t
console_lines_start(const char *buf, size_t len, size_t n)
{
	size_t i = len;

	if (n == 0)
		return len;
	if (i > 0 && buf[i - 1] == '\n')
		i--;
	while (i > 0) {
		if (buf[i - 1] == '\n' && --n == 0)
			return i;
		i--;
	}
	return 0;
}

/* Queue the tail of the scrollback for a session that has read nothing. */
size_t
console_replay(struct console_session *s, size_t n, int lines)
{
	struct console *c = s->con;
	size_t len, start, room;
	char *copy;

	if (c == NULL || n == 0 || ring_used(c->out) > 0 || ring_used(c->scroll) == 0)
		return 0;
	if ((copy = console_scrollback(c, &len)) == NULL)
		return 0;
	if (lines)
		start = console_lines_start(copy, len, n);
	else
		start = n < len ? len - n : 0;
	room = ring_space(c->out);
	if (len - start > room)
		start = len - room;
	/* Nothing was read from the backend since the scrollback was copied
	 * (same loop turn), so live output follows without a gap or overlap. */
	ring_put(c->out, copy + start, len - start);
	free(copy);
	console_watch(c);
	return len - start;
}

/* The peer of the session holding C now: 0, or -1. */
int
console_session_peer(const struct console *c, struct console_peer *peer)
{
	if (c->sess == NULL)
		return -1;
	*peer = c->sess->peer;
	return 0;
}

/* The force reservation of C: 0, or -1 when there is none. */
int
console_reservation(const struct console *c, pid_t *sid, long long *ms_left)
{
	long long now = loop_now_ms();

	if (c->sess != NULL || c->reserve_until == 0 || now >= c->reserve_until)
		return -1;
	*sid = c->reserve_sid;
	*ms_left = c->reserve_until - now;
	return 0;
}

/* For a DEV.tty client (bridge.c): the configured line settings of a
 * serial backend, or NULL. */
const struct line *
console_line(const struct console *c)
{
	return backend_line(c->be);
}

/* For a DEV.tty client (bridge.c): change the line settings of S's serial
 * backend until the session ends. */
int
console_set_line(struct console_session *s, const struct line *l)
{
	struct console *c = s->con;

	if (s->reset || c == NULL) {
		errno = ECONNRESET;
		return -1;
	}
	return backend_set_line(c->be, c->fd, l);
}
