/*
 * test_console.c — unit tests of core/console.c, the in-process registry of
 * exclusive sessions and the relay, with a real loop and real backends: an
 * exec: child on its own pseudo-terminal (/bin/sh, stty, cat) and a pty:
 * backend on a pair the test makes and whose master it holds. Children are
 * reaped as the daemon does: SIGCHLD through a signalfd on the loop.
 * Not for FUSE requests (fs/, the behaviour tests) nor for the lock file
 * format (test_lock.c).
 *
 * Every exec: command first sets raw mode and says READY, so nothing is
 * written before its terminal stops echoing (the tty would otherwise echo
 * our bytes back and they would be counted twice).
 */
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/child.h"
#include "core/console.h"
#include "core/loop.h"
#include "core/opts.h"

#define CAT	"exec:/bin/sh -c 'stty raw -echo; echo READY; exec cat'"
#define TIMEOUT	5000

struct fixture {
	struct loop	*lp;
	int		 sigfd;
	char		 dir[64];	/* the lock directory */
	struct console_opts opts;
	struct opts	 dopts;		/* the device's settings */
	int		 master;	/* a pty the test holds, or -1 */
	char		 slave[64];
};

/* What a session's wake callback saw. */
struct wake {
	int			 n;
	struct console_session	*s;
	int			 bits;	/* console_poll at each wake, or'd */
};

static void
wake_cb(struct console_session *s, void *arg)
{
	struct wake *w = arg;

	w->n++;
	w->s = s;
	w->bits |= console_poll(s);
}

static void
sig_event(struct loop *lp, int fd, int events, void *arg)
{
	struct signalfd_siginfo si;

	(void)lp, (void)events, (void)arg;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
		if (si.ssi_signo == SIGCHLD)
			child_reap();
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	sigset_t chld;

	if (f == NULL)
		return -1;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	strcpy(f->dir, "/tmp/test_console.XXXXXX");
	if (mkdtemp(f->dir) == NULL || (f->lp = loop_create()) == NULL ||
	    (f->sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    loop_add_fd(f->lp, f->sigfd, LOOP_READ, sig_event, NULL) == -1)
		return -1;
	f->opts.lock_dir = f->dir;
	f->opts.scrollback = 4096;
	f->opts.reserve_ms = 400;
	opts_init(&f->dopts);
	/* Backends opened per session unless a test captures. */
	f->dopts.capture = 0;
	f->opts.opts = &f->dopts;
	f->master = -1;
	*state = f;
	return 0;
}

typedef int cond_fn(void *arg);

struct until {
	cond_fn	*cond;
	void	*arg;
};

static void
until_hook(struct loop *lp, void *arg)
{
	struct until *u = arg;

	if (u->cond != NULL && u->cond(u->arg))
		loop_stop(lp);
}

static void
until_timeout(struct loop *lp, void *arg)
{
	*(int *)arg = 1;
	loop_stop(lp);
}

/* Run the loop until COND(ARG) holds (checked before every sleep) or MS
 * milliseconds have passed; returns COND(ARG). */
static int
run_until(struct fixture *f, cond_fn *cond, void *arg, long ms)
{
	struct until u = { cond, arg };
	int fired = 0;
	struct loop_timer *t = loop_add_timer(f->lp, ms, until_timeout, &fired);

	assert_non_null(t);
	loop_set_before_sleep(f->lp, until_hook, &u);
	assert_int_equal(loop_run(f->lp), 0);
	loop_set_before_sleep(f->lp, NULL, NULL);
	if (!fired)
		loop_del_timer(f->lp, t);
	return cond == NULL ? 0 : cond(arg);
}

/* Run the loop for MS milliseconds. */
static void
run_for(struct fixture *f, long ms)
{
	run_until(f, NULL, NULL, ms);
}

static int
no_children(void *arg)
{
	(void)arg;
	return child_count() == 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	/* Whatever a test left running is reaped before the next one. */
	child_kill_all(SIGKILL);
	run_until(f, no_children, NULL, TIMEOUT);
	if (f->master != -1)
		close(f->master);
	loop_free(f->lp);
	close(f->sigfd);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct console_peer
peer(pid_t sid)
{
	struct console_peer p = { getpid(), sid, getuid() };

	return p;
}

static struct console *
new_console(struct fixture *f, const char *backend)
{
	char *cause = NULL;
	struct console *c = console_new(f->lp, "dom/dev", backend, &f->opts, &cause);

	if (c == NULL) {
		print_error("console_new(%s): %s\n", backend, cause);
		free(cause);
		fail();
	}
	assert_null(cause);
	return c;
}

/* Free C and wait until its child, if any, has been reaped. */
static void
free_console(struct fixture *f, struct console *c)
{
	console_free(c);
	assert_true(run_until(f, no_children, NULL, TIMEOUT));
}

/* The scrollback of C, NUL-terminated (free it). */
static char *
scrollback(struct console *c)
{
	size_t len = (size_t)-1;
	char *s = console_scrollback(c, &len);

	assert_non_null(s);
	assert_int_equal(len, console_scrollback_size(c));
	s[len] = '\0';
	return s;
}

struct scroll_want {
	struct console	*c;
	const char	*text;
};

static int
scroll_has(void *arg)
{
	struct scroll_want *w = arg;
	char *s = scrollback(w->c);
	int found = strstr(s, w->text) != NULL;

	free(s);
	return found;
}

/* Run until the scrollback of C holds TEXT. */
static void
wait_scroll(struct fixture *f, struct console *c, const char *text)
{
	struct scroll_want w = { c, text };

	if (!run_until(f, scroll_has, &w, TIMEOUT)) {
		char *s = scrollback(c);

		print_error("no '%s' in the scrollback '%s'\n", text, s);
		free(s);
		fail();
	}
}

struct poll_want {
	struct console_session	*s;
	int			 bits;
};

static int
poll_has(void *arg)
{
	struct poll_want *w = arg;

	return (console_poll(w->s) & w->bits) == w->bits;
}

static void
wait_poll(struct fixture *f, struct console_session *s, int bits)
{
	struct poll_want w = { s, bits };

	if (!run_until(f, poll_has, &w, TIMEOUT)) {
		print_error("poll bits %#x, want %#x\n", console_poll(s), bits);
		fail();
	}
}

/* Read from S until exactly WANT has come (nothing more, nothing else). */
static void
read_exactly(struct fixture *f, struct console_session *s, const char *want)
{
	size_t len = strlen(want), have = 0;
	char buf[8192];

	assert_true(len < sizeof buf);
	while (have < len) {
		ssize_t n;

		wait_poll(f, s, POLLIN);
		n = console_read(s, buf + have, sizeof buf - have);
		if (n <= 0) {
			print_error("console_read: %zd (%s) after '%.*s'\n", n,
			    n == 0 ? "end of file" : strerror(errno), (int)have, buf);
			fail();
		}
		have += n;
	}
	buf[have] = '\0';
	assert_string_equal(buf, want);
}

static void
read_nothing(struct console_session *s)
{
	char buf[64];

	errno = 0;
	assert_int_equal(console_read(s, buf, sizeof buf), -1);
	assert_int_equal(errno, EAGAIN);
}

/* An exec: cat console whose READY has arrived (with no session open). */
static struct console *
ready_cat(struct fixture *f)
{
	struct console *c = new_console(f, CAT);

	wait_scroll(f, c, "READY\n");
	return c;
}

/* Make a pty pair; the test keeps the master (non-blocking). */
static void
open_pty(struct fixture *f)
{
	f->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	assert_true(f->master != -1);
	assert_int_equal(grantpt(f->master), 0);
	assert_int_equal(unlockpt(f->master), 0);
	assert_int_equal(ptsname_r(f->master, f->slave, sizeof f->slave), 0);
}

struct fd_want {
	int		 fd;
	char		 buf[256];
	size_t		 have;
	const char	*text;
};

static int
fd_has(void *arg)
{
	struct fd_want *w = arg;
	ssize_t n = read(w->fd, w->buf + w->have, sizeof w->buf - 1 - w->have);

	if (n > 0)
		w->have += n;
	w->buf[w->have] = '\0';
	return strlen(w->text) <= w->have;
}

/* Run until FD has given exactly TEXT. */
static void
wait_fd(struct fixture *f, int fd, const char *text)
{
	struct fd_want w = { .fd = fd, .text = text };

	run_until(f, fd_has, &w, TIMEOUT);
	assert_string_equal(w.buf, text);
}

/* The exec: relay: what a session writes reaches the child, what the child
 * prints reaches the session (and the scrollback), the wake callback says
 * when. */
static void
test_exec_relay(void **state)
{
	struct fixture *f = *state;
	struct wake w = { 0 };
	struct console_peer p = peer(10);
	struct console *c = ready_cat(f);
	struct console_session *s;
	char *sb;

	assert_string_equal(console_state(c), "running");
	assert_string_equal(console_backend(c), CAT);
	assert_true(console_running(c));

	s = console_open(c, &p, wake_cb, &w);
	assert_non_null(s);
	read_nothing(s);
	assert_int_equal(console_poll(s), POLLOUT);

	/* Only the loop reads the backend: nothing before it has run. */
	assert_int_equal(console_write(s, "hello\n", 6), 6);
	read_nothing(s);
	assert_int_equal(w.n, 0);
	read_exactly(f, s, "hello\n");
	assert_true(w.n >= 1);
	assert_ptr_equal(w.s, s);
	assert_true(w.bits & POLLIN);
	read_nothing(s);
	assert_int_equal(console_poll(s), POLLOUT);

	/* Bytes in order, several writes. */
	for (int i = 0; i < 100; i++) {
		char line[16];
		int n = snprintf(line, sizeof line, "%d,", i);

		assert_int_equal(console_write(s, line, n), n);
	}
	{
		char want[512] = "";

		for (int i = 0; i < 100; i++)
			snprintf(want + strlen(want), sizeof want - strlen(want), "%d,", i);
		read_exactly(f, s, want);
	}

	sb = scrollback(c);
	assert_true(strncmp(sb, "READY\nhello\n0,1,2,", 18) == 0);
	free(sb);
	console_close(s);
	free_console(f, c);
}

/* One session at a time; after the close, the next open works. */
static void
test_exclusive(void **state)
{
	struct fixture *f = *state;
	struct console *c = ready_cat(f);
	struct console_peer p1 = peer(10), p2 = peer(20);
	struct console_session *s1, *s2;
	char who[256], want[256];

	assert_int_equal(console_holder(c, who, sizeof who), -1);
	assert_int_equal(errno, ENODATA);

	s1 = console_open(c, &p1, NULL, NULL);
	assert_non_null(s1);
	errno = 0;
	assert_null(console_open(c, &p2, NULL, NULL));
	assert_int_equal(errno, EBUSY);
	errno = 0;
	assert_null(console_open(c, &p1, NULL, NULL));	/* the same sid too */
	assert_int_equal(errno, EBUSY);

	snprintf(want, sizeof want, "pid=%d uid=%d comm=test_console", (int)getpid(),
	    (int)getuid());
	assert_int_equal(console_holder(c, who, sizeof who), 0);
	assert_string_equal(who, want);

	/* The holder still works while others are refused. */
	assert_int_equal(console_write(s1, "x", 1), 1);
	read_exactly(f, s1, "x");

	console_close(s1);
	assert_int_equal(console_holder(c, who, sizeof who), -1);
	assert_int_equal(errno, ENODATA);
	s2 = console_open(c, &p2, NULL, NULL);
	assert_non_null(s2);
	assert_int_equal(console_write(s2, "y", 1), 1);
	read_exactly(f, s2, "y");
	console_close(s2);
	free_console(f, c);
}

/* The child ends: the session reads what it printed last, then end of
 * file; writes fail with EIO; a new open finds the backend absent. */
static void
test_exec_end(void **state)
{
	struct fixture *f = *state;
	struct wake w = { 0 };
	struct console *c = new_console(f,
	    "exec:/bin/sh -c 'stty raw -echo; echo READY; read x; echo BYE; exit 3'");
	struct console_session *s;
	struct console_peer p = peer(10);
	char buf[64];
	int wakes;

	s = console_open(c, &p, wake_cb, &w);
	assert_non_null(s);
	read_exactly(f, s, "READY\n");
	assert_int_equal(console_write(s, "q\n", 2), 2);

	/* Not read until the child has been reaped and the terminal is gone. */
	wakes = w.n;
	wait_poll(f, s, POLLIN | POLLHUP);
	assert_string_equal(console_state(c), "exited 3");
	assert_false(console_running(c));
	assert_true(w.n > wakes);
	assert_int_equal(console_poll(s), POLLIN | POLLHUP);

	read_exactly(f, s, "BYE\n");
	assert_int_equal(console_read(s, buf, sizeof buf), 0);
	assert_int_equal(console_read(s, buf, sizeof buf), 0);
	errno = 0;
	assert_int_equal(console_write(s, "z", 1), -1);
	assert_int_equal(errno, EIO);
	console_close(s);

	errno = 0;
	assert_null(console_open(c, &p, NULL, NULL));
	assert_int_equal(errno, ENXIO);
	free_console(f, c);
}

/* A command that cannot be run: the console exists, says why, and opens
 * give ENXIO. Not a backend string at all: no console, and a cause. */
static void
test_exec_failed(void **state)
{
	struct fixture *f = *state;
	struct console *c = new_console(f, "exec:/nonexistent/command --flag");
	struct console_peer p = peer(10);
	char *cause = NULL;

	assert_string_equal(console_state(c),
	    "failed: cannot execute /nonexistent/command: No such file or directory");
	assert_false(console_running(c));
	errno = 0;
	assert_null(console_open(c, &p, NULL, NULL));
	assert_int_equal(errno, ENXIO);
	assert_int_equal(console_scrollback_size(c), 0);
	free_console(f, c);

	assert_null(console_new(f->lp, "dom/dev", "exec:/bin/sh -c 'x", &f->opts, &cause));
	assert_non_null(cause);
	assert_string_equal(cause, "exec: unterminated single quote");
	free(cause);
}

/* A pty: path that does not exist: ENXIO, state "absent". */
static void
test_pty_absent(void **state)
{
	struct fixture *f = *state;
	struct console *c = new_console(f, "pty:/dev/pts/987654");
	struct console_peer p = peer(10);
	char who[256];

	assert_string_equal(console_state(c), "absent");
	errno = 0;
	assert_null(console_open(c, &p, NULL, NULL));
	assert_int_equal(errno, ENXIO);
	errno = 0;
	assert_null(console_open(c, &p, NULL, NULL));
	assert_int_equal(errno, ENXIO);
	assert_int_equal(console_holder(c, who, sizeof who), -1);
	assert_int_equal(errno, ENODATA);
	free_console(f, c);
}

/* The path of the UUCP lock for the fixture's pty slave. */
static void
pty_lock_path(struct fixture *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s/LCK..pts_%s", f->dir, f->slave + strlen("/dev/pts/"));
}

/* A pty: backend on a pair we hold: both directions, the lock file while a
 * session is open, and end of file when the master goes. */
static void
test_pty_relay(void **state)
{
	struct fixture *f = *state;
	struct wake w = { 0 };
	struct console_peer p = peer(10);
	struct console_session *s;
	struct console *c;
	char backend[96], lock[PATH_MAX], buf[64];

	open_pty(f);
	snprintf(backend, sizeof backend, "pty:%s", f->slave);
	c = new_console(f, backend);
	pty_lock_path(f, lock, sizeof lock);
	assert_string_equal(console_state(c), "present");
	assert_int_equal(access(lock, F_OK), -1);

	s = console_open(c, &p, wake_cb, &w);
	assert_non_null(s);
	assert_int_equal(access(lock, F_OK), 0);
	read_nothing(s);
	assert_int_equal(console_poll(s), POLLOUT);

	assert_int_equal(console_write(s, "ping\n", 5), 5);
	wait_fd(f, f->master, "ping\n");	/* raw: no \r added */

	assert_int_equal(write(f->master, "pong\r", 5), 5);
	read_exactly(f, s, "pong\r");		/* raw: no echo, no \n */
	assert_true(w.n >= 1);

	/* Closed: the lock goes, and the next open takes it again. */
	console_close(s);
	assert_int_equal(access(lock, F_OK), -1);
	s = console_open(c, &p, wake_cb, &w);
	assert_non_null(s);
	assert_int_equal(access(lock, F_OK), 0);
	assert_int_equal(write(f->master, "again", 5), 5);
	read_exactly(f, s, "again");

	/* The master goes away: end of file. */
	w.n = 0;
	close(f->master);
	f->master = -1;
	wait_poll(f, s, POLLIN | POLLHUP);
	assert_true(w.n >= 1);
	assert_int_equal(console_read(s, buf, sizeof buf), 0);
	errno = 0;
	assert_int_equal(console_write(s, "x", 1), -1);
	assert_int_equal(errno, EIO);
	console_close(s);
	assert_int_equal(access(lock, F_OK), -1);
	free_console(f, c);
}

/* Fill S's input queue (and the terminal behind it) with the sequence from
 * *NEXT on; returns how many bytes were queued. */
static size_t
fill_input(struct fixture *f, struct console_session *s, unsigned int *next)
{
	char block[4096];
	size_t queued = 0;

	for (int round = 0; round < 3; round++) {
		ssize_t n;

		do {
			for (size_t i = 0; i < sizeof block; i++)
				block[i] = (char)('a' + (*next + i) % 26);
			if ((n = console_write(s, block, sizeof block)) > 0) {
				queued += n;
				*next += n;
			}
		} while (n > 0);
		assert_int_equal(n, 0);
		run_for(f, 20);
	}
	return queued;
}

struct seq_want {
	int		 fd;
	size_t		 want, have;
	unsigned int	 next;	/* the byte expected next */
	int		 bad;
};

static int
seq_drained(void *arg)
{
	struct seq_want *w = arg;
	char buf[65536];
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++, w->have++, w->next++)
			if (buf[i] != (char)('a' + w->next % 26))
				w->bad++;
	return w->have >= w->want;
}

/* A pty: session that closes with input still queued: the bytes still go
 * out, in order, and the lock is held until they have; an open meanwhile
 * takes the fd over and its bytes follow; a force ends the draining. */
static void
test_pty_drain(void **state)
{
	struct fixture *f = *state;
	struct console_peer p = peer(10), forcer = peer(20);
	struct console_session *s;
	struct console *c;
	char backend[96], lock[PATH_MAX];
	struct seq_want w = { 0 };
	unsigned int next = 0;
	size_t queued;

	open_pty(f);
	snprintf(backend, sizeof backend, "pty:%s", f->slave);
	c = new_console(f, backend);
	pty_lock_path(f, lock, sizeof lock);
	w.fd = f->master;

	/* Closed while full: drained by the loop, then the lock goes. */
	s = console_open(c, &p, NULL, NULL);
	assert_non_null(s);
	queued = fill_input(f, s, &next);
	assert_true(queued > 64 * 1024);
	console_close(s);
	run_for(f, 20);
	assert_int_equal(access(lock, F_OK), 0);
	w.want = queued;
	assert_true(run_until(f, seq_drained, &w, TIMEOUT));
	assert_int_equal(w.have, queued);
	assert_int_equal(w.bad, 0);
	run_for(f, 20);
	assert_int_equal(access(lock, F_OK), -1);

	/* Reopened while draining: the fd is handed on, and once the reader
	 * makes room the new session's bytes follow the old ones. */
	s = console_open(c, &p, NULL, NULL);
	assert_non_null(s);
	fill_input(f, s, &next);
	console_close(s);
	s = console_open(c, &p, NULL, NULL);
	assert_non_null(s);
	assert_int_equal(access(lock, F_OK), 0);
	/* The reader takes 40,000 bytes: the room the kernel gives back in
	 * the pty is counted in its own buffer units, a little less than what
	 * was read (with 20,000 read, the queue took less than 20,000 once in
	 * 30 runs). */
	w.want = w.have + 40000;
	assert_true(run_until(f, seq_drained, &w, TIMEOUT));
	assert_true(fill_input(f, s, &next) >= 20000);
	w.want = next;
	assert_true(run_until(f, seq_drained, &w, TIMEOUT));
	assert_int_equal(w.bad, 0);
	console_close(s);
	run_for(f, 20);
	assert_int_equal(access(lock, F_OK), -1);

	/* Forced while draining: the queue is dropped, the lock goes now. */
	s = console_open(c, &p, NULL, NULL);
	assert_non_null(s);
	fill_input(f, s, &next);
	console_close(s);
	assert_int_equal(access(lock, F_OK), 0);
	assert_int_equal(console_force(c, forcer.sid), 0);
	assert_int_equal(access(lock, F_OK), -1);
	free_console(f, c);
}

/* A live foreign UUCP lock on the pty: opens and user.force get EBUSY,
 * user.holder names it, nothing of it is changed. */
static void
test_pty_foreign_lock(void **state)
{
	struct fixture *f = *state;
	struct console_peer p = peer(10);
	struct console *c;
	char backend[96], lock[PATH_MAX], who[512], want[PATH_MAX + 64];
	FILE *fp;

	open_pty(f);
	snprintf(backend, sizeof backend, "pty:%s", f->slave);
	c = new_console(f, backend);
	pty_lock_path(f, lock, sizeof lock);
	fp = fopen(lock, "w");
	assert_non_null(fp);
	fprintf(fp, "%10d\n", 1);
	fclose(fp);

	errno = 0;
	assert_null(console_open(c, &p, NULL, NULL));
	assert_int_equal(errno, EBUSY);
	errno = 0;
	assert_int_equal(console_force(c, 10), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(console_holder(c, who, sizeof who), 0);
	snprintf(want, sizeof want, "lock=%s pid=1", lock);
	assert_true(strncmp(who, want, strlen(want)) == 0);
	assert_int_equal(access(lock, F_OK), 0);

	assert_int_equal(unlink(lock), 0);
	free_console(f, c);
}

/* Another process holds a flock() on the pty slave (picocom's only lock):
 * opens and user.force get EBUSY, user.holder names it. */
static void
test_pty_foreign_flock(void **state)
{
	struct fixture *f = *state;
	struct console_peer p = peer(10);
	struct console *c;
	char backend[96], who[512], want[256], ok;
	int go[2], status;
	pid_t pid;

	open_pty(f);
	snprintf(backend, sizeof backend, "pty:%s", f->slave);
	c = new_console(f, backend);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		int fd = open(f->slave, O_RDWR | O_NOCTTY);

		if (fd == -1 || flock(fd, LOCK_EX | LOCK_NB) == -1 ||
		    write(go[1], "k", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(go[1]);
	assert_int_equal(read(go[0], &ok, 1), 1);
	close(go[0]);

	errno = 0;
	assert_null(console_open(c, &p, NULL, NULL));
	assert_int_equal(errno, EBUSY);
	assert_int_equal(console_holder(c, who, sizeof who), 0);
	snprintf(want, sizeof want, "flock=%s pid=%d", f->slave, (int)pid);
	assert_true(strncmp(who, want, strlen(want)) == 0);
	errno = 0;
	assert_int_equal(console_force(c, 10), -1);
	assert_int_equal(errno, EBUSY);

	/* Gone: free again. */
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(console_holder(c, who, sizeof who), -1);
	assert_int_equal(errno, ENODATA);
	{
		struct console_session *s = console_open(c, &p, NULL, NULL);

		assert_non_null(s);
		console_close(s);
	}
	free_console(f, c);
}

/* user.force on a pty: session: its lock file goes with it, the forcer's
 * open takes it again. */
static void
test_pty_force(void **state)
{
	struct fixture *f = *state;
	struct wake w = { 0 };
	struct console_peer victim = peer(100), forcer = peer(200);
	struct console_session *s, *s2;
	struct console *c;
	char backend[96], lock[PATH_MAX], buf[16];

	open_pty(f);
	snprintf(backend, sizeof backend, "pty:%s", f->slave);
	c = new_console(f, backend);
	pty_lock_path(f, lock, sizeof lock);
	s = console_open(c, &victim, wake_cb, &w);
	assert_non_null(s);
	assert_int_equal(write(f->master, "unread", 6), 6);
	wait_poll(f, s, POLLIN);
	assert_int_equal(access(lock, F_OK), 0);

	assert_int_equal(console_force(c, forcer.sid), 0);
	assert_int_equal(w.n >= 1, 1);
	assert_true(w.bits & POLLERR);
	assert_int_equal(access(lock, F_OK), -1);
	errno = 0;
	assert_int_equal(console_read(s, buf, sizeof buf), -1);
	assert_int_equal(errno, ECONNRESET);

	/* The forcer starts afresh: the victim's unread output is not his. */
	s2 = console_open(c, &forcer, NULL, NULL);
	assert_non_null(s2);
	assert_int_equal(access(lock, F_OK), 0);
	run_for(f, 20);
	read_nothing(s2);
	assert_int_equal(write(f->master, "mine", 4), 4);
	read_exactly(f, s2, "mine");
	console_close(s2);
	console_close(s);
	free_console(f, c);
}

/* An open by the forcer that fails does not use up the reservation. (An
 * absent path rather than a pty we close: its number could be taken at
 * once by a pty another process makes.) */
static void
test_force_failed_open(void **state)
{
	struct fixture *f = *state;
	struct console_peer forcer = peer(200), other = peer(300);
	struct console *c = new_console(f, "pty:/dev/pts/987654");

	assert_int_equal(console_force(c, forcer.sid), 0);
	errno = 0;
	assert_null(console_open(c, &forcer, NULL, NULL));
	assert_int_equal(errno, ENXIO);
	errno = 0;
	assert_null(console_open(c, &other, NULL, NULL));
	assert_int_equal(errno, EBUSY);
	errno = 0;
	assert_null(console_open(c, &forcer, NULL, NULL));
	assert_int_equal(errno, ENXIO);
	free_console(f, c);
}

/* user.force: the session is reset, the console is reserved for the
 * forcer's sid for reserve_ms, then open to anyone. */
static void
test_force(void **state)
{
	struct fixture *f = *state;
	struct wake w = { 0 };
	struct console *c = ready_cat(f);
	struct console_peer victim = peer(100), forcer = peer(200), other = peer(300);
	struct console_session *s, *s2;
	char who[256], buf[16];
	long long t0;

	s = console_open(c, &victim, wake_cb, &w);
	assert_non_null(s);
	assert_int_equal(console_holder(c, who, sizeof who), 0);
	assert_non_null(strstr(who, "comm=test_console"));
	assert_int_equal(console_write(s, "a", 1), 1);
	read_exactly(f, s, "a");

	w.n = 0;
	t0 = loop_now_ms();
	assert_int_equal(console_force(c, forcer.sid), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(console_holder(c, who, sizeof who), -1);
	assert_int_equal(errno, ENODATA);

	errno = 0;
	assert_int_equal(console_read(s, buf, sizeof buf), -1);
	assert_int_equal(errno, ECONNRESET);
	errno = 0;
	assert_int_equal(console_write(s, "b", 1), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(console_poll(s), POLLIN | POLLOUT | POLLERR);
	run_for(f, 20);
	errno = 0;
	assert_int_equal(console_read(s, buf, sizeof buf), -1);
	assert_int_equal(errno, ECONNRESET);

	/* Reserved: another sid (the displaced client's retry) is refused,
	 * also the victim's own; the forcer gets in. */
	errno = 0;
	assert_null(console_open(c, &other, NULL, NULL));
	assert_int_equal(errno, EBUSY);
	errno = 0;
	assert_null(console_open(c, &victim, NULL, NULL));
	assert_int_equal(errno, EBUSY);
	assert_true(loop_now_ms() - t0 < 400);
	s2 = console_open(c, &forcer, NULL, NULL);
	assert_non_null(s2);
	assert_int_equal(console_write(s2, "c", 1), 1);
	read_exactly(f, s2, "c");
	console_close(s2);
	console_close(s);	/* the displaced session, closed late */

	/* A force with nobody attached reserves as well, until reserve_ms. */
	t0 = loop_now_ms();
	assert_int_equal(console_force(c, forcer.sid), 0);
	errno = 0;
	assert_null(console_open(c, &other, NULL, NULL));
	assert_int_equal(errno, EBUSY);
	assert_true(loop_now_ms() - t0 < 400);
	run_for(f, 450);
	s2 = console_open(c, &other, NULL, NULL);
	assert_non_null(s2);
	console_close(s2);
	free_console(f, c);
}

/* poll bits through a session's life; POLLOUT goes while the input queue
 * is full (the child never reads). */
static void
test_poll(void **state)
{
	struct fixture *f = *state;
	struct console *c = new_console(f,
	    "exec:/bin/sh -c 'stty raw -echo; echo READY; exec sleep 1000'");
	struct console_peer p = peer(10);
	struct console_session *s;
	static char block[4096];
	size_t queued = 0;

	s = console_open(c, &p, NULL, NULL);
	assert_non_null(s);
	wait_poll(f, s, POLLIN);
	assert_int_equal(console_poll(s), POLLIN | POLLOUT);
	read_exactly(f, s, "READY\n");
	assert_int_equal(console_poll(s), POLLOUT);

	memset(block, 'x', sizeof block);
	for (int round = 0; round < 4; round++) {
		ssize_t n;

		while ((n = console_write(s, block, sizeof block)) > 0)
			queued += n;
		assert_int_equal(n, 0);
		run_for(f, 30);		/* let the write watch push what it can */
	}
	assert_true(queued >= 64 * 1024);
	assert_int_equal(console_write(s, block, sizeof block), 0);
	assert_int_equal(console_poll(s) & POLLOUT, 0);

	console_close(s);
	free_console(f, c);
}

/* Output printed while no session is open goes to the scrollback only;
 * the scrollback keeps the newest bytes. */
static void
test_scrollback(void **state)
{
	struct fixture *f = *state;
	struct console_peer p = peer(10);
	struct console_session *s;
	struct console *c;
	char *sb;

	f->opts.scrollback = 16;
	c = ready_cat(f);
	sb = scrollback(c);
	assert_string_equal(sb, "READY\n");
	free(sb);

	/* Not replayed into a session opened later. */
	s = console_open(c, &p, NULL, NULL);
	assert_non_null(s);
	run_for(f, 20);
	read_nothing(s);

	/* The scrollback holds the newest 16 of 26 bytes; the session all. */
	assert_int_equal(console_write(s, "0123456789abcdefghij", 20), 20);
	read_exactly(f, s, "0123456789abcdefghij");
	assert_int_equal(console_scrollback_size(c), 16);
	sb = scrollback(c);
	assert_string_equal(sb, "456789abcdefghij");
	free(sb);
	console_close(s);
	free_console(f, c);
}

/* The linger rule (see the top of core/console.c): output that arrives
 * just after a close is kept for an open within CONSOLE_LINGER_MS (1 s),
 * and dropped for an open after it. */
static void
test_linger(void **state)
{
	struct fixture *f = *state;
	struct console_peer p = peer(10);
	struct console_session *s;
	struct console *c = ready_cat(f);

	/* Written, then closed before the echo is read. */
	s = console_open(c, &p, NULL, NULL);
	assert_non_null(s);
	assert_int_equal(console_write(s, "one", 3), 3);
	console_close(s);
	wait_scroll(f, c, "one");
	s = console_open(c, &p, NULL, NULL);
	assert_non_null(s);
	read_exactly(f, s, "one");

	/* Unread output of a session is kept across a quick reopen too. */
	assert_int_equal(console_write(s, "two", 3), 3);
	wait_scroll(f, c, "two");
	console_close(s);
	s = console_open(c, &p, NULL, NULL);
	assert_non_null(s);
	read_exactly(f, s, "two");

	/* Past the window: what came after the close is dropped (it stays
	 * in the scrollback). */
	assert_int_equal(console_write(s, "three", 5), 5);
	console_close(s);
	wait_scroll(f, c, "three");
	run_for(f, 1100);
	s = console_open(c, &p, NULL, NULL);
	assert_non_null(s);
	run_for(f, 20);
	read_nothing(s);

	/* And a fresh session gets what comes now. */
	assert_int_equal(console_write(s, "four", 4), 4);
	read_exactly(f, s, "four");
	console_close(s);
	free_console(f, c);
}

/* A slow reader loses nothing: while it does not read, the output ring
 * fills and the guest is held back; then every byte comes, in order, and
 * end of file after the last. */
static void
test_slow_reader(void **state)
{
	struct fixture *f = *state;
	struct console *c = new_console(f,
	    "exec:/bin/sh -c 'stty raw -echo; echo READY; read x; exec seq 1 300000'");
	struct console_peer p = peer(10);
	struct console_session *s = console_open(c, &p, NULL, NULL);
	size_t cap = 4 << 20, have = 0, wlen = 0;
	char *buf = malloc(cap), *want = malloc(cap);

	assert_non_null(s);
	assert_non_null(buf);
	assert_non_null(want);
	for (int i = 1; i <= 300000; i++)
		wlen += sprintf(want + wlen, "%d\n", i);
	assert_true(wlen > 1024 * 1024 + 256 * 1024);	/* more than the ring */
	read_exactly(f, s, "READY\n");
	assert_int_equal(console_write(s, "\n", 1), 1);
	run_for(f, 300);
	assert_true(console_running(c));
	assert_string_equal(console_state(c), "running");
	for (;;) {
		ssize_t n = console_read(s, buf + have, cap - have);

		if (n > 0) {
			have += n;
			continue;
		}
		if (n == 0)
			break;
		assert_int_equal(errno, EAGAIN);
		wait_poll(f, s, POLLIN);
	}
	assert_int_equal(have, wlen);
	assert_memory_equal(buf, want, wlen);
	assert_string_equal(console_state(c), "exited 0");
	console_close(s);
	free(buf);
	free(want);
	free_console(f, c);
}

/* console_break: one BREAK at a time, timed by the loop; not for exec: or
 * pty:, and not with nothing open. A tty: backend on a pty slave stands in
 * for a serial port (the pty driver takes the BREAK ioctls as no-ops). */
static void
test_break(void **state)
{
	struct fixture *f = *state;
	struct console_peer p = peer(10);
	struct console_session *s;
	struct console *c, *e = ready_cat(f);
	char backend[96];

	errno = 0;
	assert_int_equal(console_break(e, 100), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	free_console(f, e);

	open_pty(f);
	snprintf(backend, sizeof backend, "pty:%s", f->slave);
	c = new_console(f, backend);
	s = console_open(c, &p, NULL, NULL);
	assert_non_null(s);
	errno = 0;
	assert_int_equal(console_break(c, 100), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	console_close(s);
	free_console(f, c);

	snprintf(backend, sizeof backend, "tty:%s", f->slave);
	c = new_console(f, backend);
	errno = 0;
	assert_int_equal(console_break(c, 100), -1);	/* not open */
	assert_int_equal(errno, ENXIO);
	s = console_open(c, &p, NULL, NULL);
	assert_non_null(s);
	assert_int_equal(console_break(c, 50), 0);
	errno = 0;
	assert_int_equal(console_break(c, 50), -1);
	assert_int_equal(errno, EBUSY);
	run_for(f, 100);
	assert_int_equal(console_break(c, 50), 0);
	/* Freed in the middle of one: the timer must not outlive it (ASan). */
	free_console(f, c);
	run_for(f, 100);
	console_close(s);
}

/* Freeing a console under a session: it reads end of file, is woken, and
 * can still be closed; the exec: child is stopped and reaped. */
static void
test_free_under_session(void **state)
{
	struct fixture *f = *state;
	struct wake w = { 0 };
	struct console_peer p = peer(10);
	struct console_session *s;
	struct console *c = ready_cat(f);
	char buf[16];

	s = console_open(c, &p, wake_cb, &w);
	assert_non_null(s);
	assert_int_equal(child_count(), 1);
	free_console(f, c);
	assert_int_equal(w.n, 1);
	assert_int_equal(console_read(s, buf, sizeof buf), 0);
	errno = 0;
	assert_int_equal(console_write(s, "x", 1), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(console_poll(s), POLLIN | POLLHUP);
	console_close(s);
	assert_int_equal(child_count(), 0);
}

/* A keystroke goes to the backend at once, before the loop runs again. */
static void
test_keystroke_direct(void **state)
{
	struct fixture *f = *state;
	struct wake w = { 0 };
	struct console_peer p = peer(10);
	struct console_session *s;
	struct console *c;
	char backend[96], ch = 0;

	open_pty(f);
	snprintf(backend, sizeof backend, "pty:%s", f->slave);
	c = new_console(f, backend);
	s = console_open(c, &p, wake_cb, &w);
	assert_non_null(s);
	assert_int_equal(console_write(s, "k", 1), 1);
	assert_int_equal(read(f->master, &ch, 1), 1);
	assert_int_equal(ch, 'k');
	console_close(s);
	free_console(f, c);
}

/* After console_stop, the exec: child's end is still noticed. */
static void
test_exec_state_after_stop(void **state)
{
	struct fixture *f = *state;
	struct console *c = ready_cat(f);

	assert_true(console_running(c));
	console_stop(c);
	assert_true(run_until(f, no_children, NULL, TIMEOUT));
	assert_false(console_running(c));
	assert_true(strncmp(console_state(c), "killed ", 7) == 0 ||
	    strncmp(console_state(c), "exited ", 7) == 0);
	free_console(f, c);
}

/* The console's state is WANT (a prefix when it ends in '*'). */
struct state_want {
	struct console	*c;
	const char	*want;
};

static int
state_is(void *arg)
{
	struct state_want *w = arg;
	const char *st = console_state(w->c);
	size_t n = strlen(w->want);

	if (n > 0 && w->want[n - 1] == '*')
		return strncmp(st, w->want, n - 1) == 0;
	return strcmp(st, w->want) == 0;
}

static void
wait_state(struct fixture *f, struct console *c, const char *want)
{
	struct state_want w = { c, want };

	if (!run_until(f, state_is, &w, TIMEOUT)) {
		print_error("state '%s', want '%s'\n", console_state(c), want);
		fail();
	}
}

/* capture = yes on a pty: what the far side prints with no session open
 * reaches the scrollback; a session then works both ways and takes the
 * lock, which goes when it ends while the pty stays open (still read). */
static void
test_capture_pty(void **state)
{
	struct fixture *f = *state;
	struct console_session *s;
	struct wake w = { 0 };
	char backend[96], lock[128];
	struct console *c;

	f->dopts.capture = 1;
	open_pty(f);
	snprintf(backend, sizeof backend, "pty:%s", f->slave);
	c = new_console(f, backend);
	pty_lock_path(f, lock, sizeof lock);
	assert_int_equal(write(f->master, "boot\n", 5), 5);
	wait_scroll(f, c, "boot\n");
	assert_int_equal(access(lock, F_OK), -1);
	s = console_open(c, &(struct console_peer){ getpid(), getsid(0), getuid() },
	    wake_cb, &w);
	assert_non_null(s);
	assert_int_equal(console_open_status(s), 0);
	assert_int_equal(access(lock, F_OK), 0);
	assert_int_equal(console_write(s, "typed", 5), 5);
	wait_fd(f, f->master, "typed");
	assert_int_equal(write(f->master, "seen", 4), 4);
	read_exactly(f, s, "seen");
	console_close(s);
	assert_int_equal(access(lock, F_OK), -1);
	assert_int_equal(write(f->master, "after\n", 6), 6);
	wait_scroll(f, c, "after\n");
	free_console(f, c);
}

/* A live foreign lock appearing for a captured pty makes the console let
 * go ("yielded to PID (comm)"), nothing printed meanwhile is read; when the
 * lock goes it captures again. */
static void
test_capture_yield(void **state)
{
	struct fixture *f = *state;
	char backend[96], lock[128], line[16];
	struct console *c;
	pid_t holder;
	int fd, n;
	char *sb;

	f->dopts.capture = 1;
	open_pty(f);
	snprintf(backend, sizeof backend, "pty:%s", f->slave);
	c = new_console(f, backend);
	assert_string_equal(console_state(c), "present");
	if ((holder = fork()) == 0) {
		pause();
		_exit(0);
	}
	assert_true(holder > 0);
	pty_lock_path(f, lock, sizeof lock);
	fd = open(lock, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd != -1);
	n = snprintf(line, sizeof line, "%10d\n", (int)holder);
	assert_int_equal(write(fd, line, n), n);
	close(fd);
	snprintf(line, sizeof line, "%d", (int)holder);
	wait_state(f, c, "yielded to *");
	assert_non_null(strstr(console_state(c), line));
	assert_int_equal(write(f->master, "theirs\n", 7), 7);
	run_for(f, 200);
	sb = scrollback(c);
	assert_null(strstr(sb, "theirs"));
	free(sb);
	/* The lock goes: captured again, and what was waiting is read. */
	assert_int_equal(unlink(lock), 0);
	wait_state(f, c, "present");
	wait_scroll(f, c, "theirs\n");
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	free_console(f, c);
}

/* restart = on-exit: a session stays open across the program's end and
 * reads the next run's output, not end of file; the state says when it
 * starts again. */
static void
test_restart_session(void **state)
{
	struct fixture *f = *state;
	struct console_session *s;
	struct wake w = { 0 };
	struct console *c;
	char buf[64];

	f->dopts.restart = OPTS_RESTART_ON_EXIT;
	c = new_console(f, "exec:/bin/sh -c 'stty raw -echo; echo run; read x; exit 3'");
	wait_scroll(f, c, "run\n");
	s = console_open(c, &(struct console_peer){ getpid(), getsid(0), getuid() },
	    wake_cb, &w);
	assert_non_null(s);
	assert_int_equal(console_write(s, "\n", 1), 1);
	wait_state(f, c, "exited 3, starting again in *");
	read_nothing(s);
	assert_false(console_poll(s) & POLLHUP);
	read_exactly(f, s, "run\n");
	assert_string_equal(console_state(c), "running");
	/* restart = no from now on would end it: not here, user.restart. */
	assert_int_equal(console_restart(c), 0);
	read_exactly(f, s, "run\n");
	assert_int_equal(console_read(s, buf, sizeof buf) == 0, 0);
	console_close(s);
	free_console(f, c);
}

/* restart = no: the session reads end of file; console_restart starts the
 * program again; non-exec: EOPNOTSUPP. */
static void
test_restart_off(void **state)
{
	struct fixture *f = *state;
	struct console_session *s;
	struct wake w = { 0 };
	struct console *c;
	char buf[64];

	c = new_console(f, "exec:/bin/sh -c 'stty raw -echo; echo run; exit 0'");
	wait_state(f, c, "exited 0");
	s = console_open(c, &(struct console_peer){ getpid(), getsid(0), getuid() },
	    wake_cb, &w);
	assert_null(s);
	assert_int_equal(errno, ENXIO);
	assert_int_equal(console_restart(c), 0);
	s = console_open(c, &(struct console_peer){ getpid(), getsid(0), getuid() },
	    wake_cb, &w);
	assert_non_null(s);
	wait_poll(f, s, POLLHUP);
	while (console_read(s, buf, sizeof buf) > 0)
		;
	assert_int_equal(console_read(s, buf, sizeof buf), 0);
	console_close(s);
	free_console(f, c);
	c = new_console(f, "pty:/dev/pts/987654");
	assert_int_equal(console_restart(c), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	free_console(f, c);
}

static int
opened(void *arg)
{
	return console_open_status(arg) != EINPROGRESS;
}

static void
set_flag(struct loop *lp, void *arg)
{
	(void)lp;
	*(int *)arg = 1;
}

/* A unix: server whose queue is full: the open waits without blocking the
 * loop (a timer set meanwhile fires) and fails with ENXIO after about 2 s. */
static void
test_unix_full_queue(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct console_session *s;
	struct wake w = { 0 };
	int srv, filler, fired = 0;
	char backend[128];
	struct console *c;
	long long t0;

	snprintf(sun.sun_path, sizeof sun.sun_path, "%s/sock", f->dir);
	srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(srv, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(srv, 0), 0);
	/* Never accepted: the queue (one with a backlog of 0) is full. */
	filler = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_int_equal(connect(filler, (struct sockaddr *)&sun, sizeof sun), 0);
	snprintf(backend, sizeof backend, "unix:%s", sun.sun_path);
	c = new_console(f, backend);
	t0 = loop_now_ms();
	s = console_open(c, &(struct console_peer){ getpid(), getsid(0), getuid() },
	    wake_cb, &w);
	assert_non_null(s);
	assert_int_equal(console_open_status(s), EINPROGRESS);
	assert_true(loop_now_ms() - t0 < 100);
	loop_add_timer(f->lp, 300, set_flag, &fired);
	assert_true(run_until(f, opened, s, TIMEOUT));
	assert_true(fired);
	assert_int_equal(console_open_status(s), ENXIO);
	assert_true(loop_now_ms() - t0 >= 1900);
	assert_true(w.n >= 1);
	console_close(s);
	/* The console is free again for the next open, which connects once
	 * the server takes the waiting client. */
	s = console_open(c, &(struct console_peer){ getpid(), getsid(0), getuid() },
	    wake_cb, &w);
	assert_non_null(s);
	assert_int_equal(console_open_status(s), EINPROGRESS);
	close(accept(srv, NULL, NULL));
	assert_true(run_until(f, opened, s, TIMEOUT));
	assert_int_equal(console_open_status(s), 0);
	console_close(s);
	close(filler);
	free_console(f, c);
	close(srv);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_exec_relay),
		T(test_exclusive),
		T(test_exec_end),
		T(test_exec_failed),
		T(test_pty_absent),
		T(test_pty_relay),
		T(test_pty_drain),
		T(test_pty_foreign_lock),
		T(test_pty_foreign_flock),
		T(test_pty_force),
		T(test_force_failed_open),
		T(test_force),
		T(test_poll),
		T(test_scrollback),
		T(test_linger),
		T(test_slow_reader),
		T(test_break),
		T(test_free_under_session),
		T(test_keystroke_direct),
		T(test_exec_state_after_stop),
		T(test_capture_pty),
		T(test_capture_yield),
		T(test_restart_session),
		T(test_restart_off),
		T(test_unix_full_queue),
	};
	sigset_t chld;

	/* SIGCHLD only through the signalfd, as in the daemon. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
