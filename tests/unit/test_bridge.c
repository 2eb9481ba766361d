/*
 * test_bridge.c — unit tests of core/bridge.c with a real loop, real
 * consoles (an exec: cat on its own pty) and real pseudo-terminals: the
 * test opens the slave a bridge hands out, as a client would. Not for the
 * FUSE link (tests/behave/tty-*.sh) nor for the console relay itself
 * (test_console.c).
 *
 * The test process is the daemon here, so the bridge's search for the
 * client (which skips the daemon's own pid) finds nobody: sessions are
 * named pid=0.
 */
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
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

#include "core/bridge.h"
#include "core/child.h"
#include "core/console.h"
#include "core/loop.h"

#define CAT	"exec:/bin/sh -c 'stty raw -echo; echo READY; exec cat'"
#define TIMEOUT	5000

struct fixture {
	struct loop	*lp;
	int		 sigfd;
	struct console_opts opts;
	struct bridge_set *bs;
	struct console	*con[3];
	struct bridge_perm perm;
	int		 client;	/* the test's fd of a slave, or -1 */
	char		 got[4096];	/* what the client read */
	size_t		 len;
	int		 end;		/* the client read 0 or EIO */
};

static void
sig_event(struct loop *lp, int fd, int events, void *arg)
{
	struct signalfd_siginfo si;

	(void)lp, (void)events, (void)arg;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
		if (si.ssi_signo == SIGCHLD)
			child_reap();
}

/* The client's side: read what there is into f->got. */
static void
client_event(struct loop *lp, int fd, int events, void *arg)
{
	struct fixture *f = arg;
	ssize_t n;

	(void)lp, (void)events;
	n = read(fd, f->got + f->len, sizeof f->got - 1 - f->len);
	if (n > 0) {
		f->len += n;
		f->got[f->len] = '\0';
	} else if (n == 0 || errno != EAGAIN) {
		f->end = 1;
		loop_del_fd(f->lp, fd);
	}
}

static int
setup_limits(void **state, const struct bridge_limits *lim)
{
	struct fixture *f = calloc(1, sizeof *f);
	sigset_t chld;

	if (f == NULL)
		return -1;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if ((f->lp = loop_create()) == NULL ||
	    (f->sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    loop_add_fd(f->lp, f->sigfd, LOOP_READ, sig_event, NULL) == -1 ||
	    (f->bs = bridge_set_new(f->lp, lim)) == NULL)
		return -1;
	f->opts.lock_dir = "/nonexistent";
	f->opts.scrollback = 4096;
	f->opts.reserve_ms = 400;
	f->perm.uid = getuid();
	f->perm.gid = getgid();
	f->perm.mode = 0660;
	f->client = -1;
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_limits(state, NULL);
}

static int
setup_short(void **state)
{
	struct bridge_limits lim = { .idle_ms = 200, .max_idle = 2 };

	return setup_limits(state, &lim);
}

typedef int cond_fn(struct fixture *f);

static void
until_hook(struct loop *lp, void *arg)
{
	void **u = arg;
	cond_fn *cond = (cond_fn *)u[0];

	if (cond != NULL && cond(u[1]))
		loop_stop(lp);
}

static void
until_timeout(struct loop *lp, void *arg)
{
	*(int *)arg = 1;
	loop_stop(lp);
}

/* Run the loop until COND holds (checked before every sleep) or MS ms. */
static int
run_until(struct fixture *f, cond_fn *cond, long ms)
{
	void *u[2] = { (void *)cond, f };
	int fired = 0;
	struct loop_timer *t = loop_add_timer(f->lp, ms, until_timeout, &fired);

	assert_non_null(t);
	loop_set_before_sleep(f->lp, until_hook, u);
	assert_int_equal(loop_run(f->lp), 0);
	loop_set_before_sleep(f->lp, NULL, NULL);
	if (!fired)
		loop_del_timer(f->lp, t);
	return cond == NULL ? 0 : cond(f);
}

static int
no_children(struct fixture *f)
{
	(void)f;
	return child_count() == 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->client != -1) {
		loop_del_fd(f->lp, f->client);
		close(f->client);
	}
	bridge_set_free(f->bs);
	for (int i = 0; i < 3; i++)
		console_free(f->con[i]);
	child_kill_all(SIGKILL);
	run_until(f, no_children, TIMEOUT);
	loop_free(f->lp);
	close(f->sigfd);
	free(f);
	return 0;
}

static int
con0_ready(struct fixture *f)
{
	size_t len;
	char *s = console_scrollback(f->con[0], &len);
	int ok = s != NULL && memmem(s, len, "READY", 5) != NULL;

	free(s);
	return ok;
}

/* Console I (an exec: cat, raw once READY). */
static struct console *
cat_console(struct fixture *f, int i)
{
	char *cause = NULL, name[16];

	snprintf(name, sizeof name, "d/c%d", i);
	f->con[i] = console_new(f->lp, name, CAT, &f->opts, &cause);
	assert_non_null(f->con[i]);
	if (i == 0)
		assert_true(run_until(f, con0_ready, TIMEOUT));
	return f->con[i];
}

static const char *
path_of(struct fixture *f, int i)
{
	char name[16];

	snprintf(name, sizeof name, "d/c%d", i);
	return bridge_path(f->bs, i + 1, f->con[i], name, &f->perm);
}

/* Open PATH as a client would and watch what it reads. */
static void
client_open(struct fixture *f, const char *path)
{
	f->client = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	assert_int_not_equal(f->client, -1);
	f->len = 0;
	f->got[0] = '\0';
	f->end = 0;
	assert_int_equal(loop_add_fd(f->lp, f->client, LOOP_READ, client_event, f), 0);
}

static void
client_close(struct fixture *f)
{
	loop_del_fd(f->lp, f->client);
	close(f->client);
	f->client = -1;
}

static int
held(struct fixture *f)
{
	char who[256];

	return console_holder(f->con[0], who, sizeof who) == 0;
}

static int
free_again(struct fixture *f)
{
	return !held(f);
}

static int
got_hello(struct fixture *f)
{
	return strstr(f->got, "hello\n") != NULL;
}

static int
ended(struct fixture *f)
{
	return f->end;
}

/* A client's bytes reach the console and its answer comes back; the
 * session is the bridge's while the client has the slave open, and ends
 * at its last close; the same pty serves the next client. */
static void
test_relay(void **state)
{
	struct fixture *f = *state;
	const char *p;
	char path[64], who[256];
	struct stat st;

	cat_console(f, 0);
	assert_non_null(p = path_of(f, 0));
	snprintf(path, sizeof path, "%s", p);
	assert_int_equal(strncmp(path, "/dev/pts/", 9), 0);
	assert_int_equal(bridge_count(f->bs), 1);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	/* Asked again: the same one. */
	assert_string_equal(path_of(f, 0), path);
	assert_int_equal(bridge_count(f->bs), 1);

	client_open(f, path);
	assert_true(run_until(f, held, TIMEOUT));
	assert_int_equal(console_holder(f->con[0], who, sizeof who), 0);
	assert_int_equal(write(f->client, "hello\n", 6), 6);
	assert_true(run_until(f, got_hello, TIMEOUT));
	/* The file cannot be had meanwhile. */
	{
		struct console_peer other = { getpid(), getsid(0), getuid() };

		assert_null(console_open(f->con[0], &other, NULL, NULL));
		assert_int_equal(errno, EBUSY);
	}

	client_close(f);
	assert_true(run_until(f, free_again, TIMEOUT));
	assert_string_equal(bridge_peek(f->bs, 1), path);

	/* The next client, on the same pty. */
	client_open(f, path);
	assert_true(run_until(f, held, TIMEOUT));
	assert_int_equal(write(f->client, "hello\n", 6), 6);
	assert_true(run_until(f, got_hello, TIMEOUT));
}

static int
got_busy(struct fixture *f)
{
	return strstr(f->got, "]\r\n") != NULL;
}

/* While another session holds the console, a client is told who holds it
 * and hung up; the holder keeps the console. */
static void
test_refused_when_held(void **state)
{
	struct fixture *f = *state;
	struct console_peer other = { getpid(), getsid(0), getuid() };
	struct console_session *s;
	char want[128];

	cat_console(f, 0);
	assert_non_null(s = console_open(f->con[0], &other, NULL, NULL));
	client_open(f, path_of(f, 0));
	assert_true(run_until(f, got_busy, TIMEOUT));
	snprintf(want, sizeof want, "\r\n[consolefs: d/c0 is busy, held by pid=%d uid=%d comm=",
	    (int)getpid(), (int)getuid());
	assert_non_null(strstr(f->got, want));
	assert_true(run_until(f, ended, TIMEOUT));
	/* The holder still has it; the next readlink makes another pty. */
	assert_true(held(f));
	assert_int_equal(bridge_count(f->bs), 0);
	assert_null(bridge_peek(f->bs, 1));
	console_close(s);
}

/* A takeover hangs the client up with a word; the forcer gets the console. */
static void
test_force_hangs_up(void **state)
{
	struct fixture *f = *state;
	struct console_peer other = { getpid(), getsid(0), getuid() };
	struct console_session *s;

	cat_console(f, 0);
	client_open(f, path_of(f, 0));
	assert_true(run_until(f, held, TIMEOUT));
	assert_int_equal(console_force(f->con[0], getsid(0)), 0);
	assert_non_null(s = console_open(f->con[0], &other, NULL, NULL));
	assert_true(run_until(f, ended, TIMEOUT));
	assert_non_null(strstr(f->got, "[consolefs: d/c0 was taken over (user.force)]\r\n"));
	console_close(s);
}

/* The console goes away: its client is told and hung up. */
static void
test_forget(void **state)
{
	struct fixture *f = *state;

	cat_console(f, 0);
	client_open(f, path_of(f, 0));
	assert_true(run_until(f, held, TIMEOUT));
	bridge_forget(f->bs, 1);
	console_free(f->con[0]);
	f->con[0] = NULL;
	assert_true(run_until(f, ended, TIMEOUT));
	assert_non_null(strstr(f->got, "[consolefs: d/c0 was removed]\r\n"));
	assert_int_equal(bridge_count(f->bs), 0);
}

static int
none_left(struct fixture *f)
{
	return bridge_count(f->bs) == 0;
}

/* Idle ptys go after idle_ms; at most max_idle are kept, and one used a
 * moment ago is not given up for a new one (EAGAIN). */
static void
test_idle_and_cap(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 3; i++)
		cat_console(f, i);
	assert_non_null(path_of(f, 0));
	assert_non_null(path_of(f, 1));
	assert_int_equal(bridge_count(f->bs), 2);
	assert_null(path_of(f, 2));
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(bridge_count(f->bs), 2);
	/* Unused, they are closed after 200 ms. */
	assert_true(run_until(f, none_left, TIMEOUT));
	assert_null(bridge_peek(f->bs, 1));
	assert_non_null(path_of(f, 2));
	assert_int_equal(bridge_count(f->bs), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_relay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_when_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_force_hangs_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_and_cap, setup_short, teardown),
	};
	sigset_t chld;

	/* SIGCHLD comes through the signalfd only. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
