/*
 * test_child.c — unit tests of core/child.c with a real loop and real
 * programs: the start queue (programs start from the loop in order, an
 * early start jumps the queue, a dropped start never runs and hangs up its
 * pty), a failed start (the reason, and EIO on the master as when a program
 * exits), the environment and PATH lookup, signalling a process group, and
 * reaping through SIGCHLD on a signalfd as the daemon does.
 * Not for what an exit means to a console (test_console.c).
 */
#include <sys/signalfd.h>
#include <sys/wait.h>

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

#include "core/child.h"
#include "core/loop.h"

#define TIMEOUT	5000
/* String literals as the char * that argv and environments are. */
#define W(s)	((char *)(s))

struct fixture {
	struct loop	*lp;
	int		 sigfd;
};

/* What the callbacks of one child saw. */
struct seen {
	int	 order;		/* start order, from 1 */
	pid_t	 pid;		/* from the start callback; -1: failed */
	char	 cause[256];
	int	 exited;
	int	 status;
};

static int start_count;

static void
started_cb(struct child *c, pid_t pid, const char *cause, void *arg)
{
	struct seen *s = arg;

	(void)c;
	s->order = ++start_count;
	s->pid = pid;
	snprintf(s->cause, sizeof s->cause, "%s", cause != NULL ? cause : "");
}

static void
exited_cb(struct child *c, pid_t pid, int status, void *arg)
{
	struct seen *s = arg;

	(void)c, (void)pid;
	s->exited = 1;
	s->status = status;
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
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	sigset_t chld;

	if (f == NULL)
		return -1;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	if ((f->lp = loop_create()) == NULL ||
	    (f->sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    loop_add_fd(f->lp, f->sigfd, LOOP_READ, sig_event, NULL) == -1)
		return -1;
	child_use_loop(f->lp);
	start_count = 0;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	child_use_loop(NULL);
	close(f->sigfd);
	loop_free(f->lp);
	free(f);
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

	if (u->cond(u->arg))
		loop_stop(lp);
}

static void
until_timeout(struct loop *lp, void *arg)
{
	*(int *)arg = 1;
	loop_stop(lp);
}

/* Run the loop until COND(ARG) holds or MS milliseconds pass; COND(ARG). */
static int
run_until_ms(struct fixture *f, cond_fn *cond, void *arg, long ms)
{
	struct until u = { cond, arg };
	int fired = 0;
	struct loop_timer *t = loop_add_timer(f->lp, ms, until_timeout, &fired);

	loop_set_before_sleep(f->lp, until_hook, &u);
	if (!cond(arg))
		loop_run(f->lp);
	loop_set_before_sleep(f->lp, NULL, NULL);
	/* A timer that fired is freed by the loop. */
	if (!fired)
		loop_del_timer(f->lp, t);
	return cond(arg);
}

static int
run_until(struct fixture *f, cond_fn *cond, void *arg)
{
	return run_until_ms(f, cond, arg, TIMEOUT);
}

static int
has_exited(void *arg)
{
	return ((struct seen *)arg)->exited;
}

static int
has_started(void *arg)
{
	return ((struct seen *)arg)->order != 0;
}

/* Read the master until TEXT has come (or EIO): what came, in BUF. */
static void
read_master(struct fixture *f, int m, char *buf, size_t len, const char *text)
{
	size_t have = 0;
	long long until = loop_now_ms() + TIMEOUT;

	(void)f;
	buf[0] = '\0';
	while (strstr(buf, text) == NULL && loop_now_ms() < until) {
		struct pollfd p = { m, POLLIN, 0 };
		ssize_t n;

		poll(&p, 1, 100);
		n = read(m, buf + have, len - 1 - have);
		if (n > 0) {
			have += n;
			buf[have] = '\0';
		} else if (n == -1 && errno == EIO)
			break;
	}
}

static char *const env_min[] = { W("PATH=/usr/bin:/bin"), W("MARK=child-env-ok"), NULL };

/* Starts wait for the loop, run in order; start_now jumps the queue. */
static void
test_queue_order(void **state)
{
	struct fixture *f = *state;
	char *const argv[] = { W("true"), NULL };
	struct seen s[3];
	struct child *c[3];
	char *cause;
	int m[3];

	memset(s, 0, sizeof s);
	for (int i = 0; i < 3; i++) {
		m[i] = child_spawn_pty(argv, env_min, started_cb, exited_cb, &s[i], &c[i], &cause);
		assert_true(m[i] >= 0);
		assert_true(child_queued(c[i]));
		assert_int_equal(child_pid(c[i]), 0);
	}
	assert_int_equal(start_count, 0);	/* nothing before the loop runs */
	child_start_now(c[2]);
	assert_false(child_queued(c[2]));
	assert_int_equal(s[2].order, 1);
	assert_true(s[2].pid > 0);
	assert_true(run_until(f, has_started, &s[1]));
	assert_int_equal(s[0].order, 2);
	assert_int_equal(s[1].order, 3);
	for (int i = 0; i < 3; i++) {
		assert_true(run_until(f, has_exited, &s[i]));
		assert_true(WIFEXITED(s[i].status) && WEXITSTATUS(s[i].status) == 0);
		child_release(c[i]);
		close(m[i]);
	}
	assert_int_equal(child_count(), 0);
}

/* The environment given, not ours; the command found in its PATH. */
static void
test_env_and_path(void **state)
{
	struct fixture *f = *state;
	char *const argv[] = { W("sh"), W("-c"), W("echo \"[$MARK][$CONSOLEFS_UNIT_LEAK]\""), NULL };
	struct seen s = { 0 };
	struct child *c;
	char buf[256], *cause;
	int m;

	setenv("CONSOLEFS_UNIT_LEAK", "leaked", 1);
	m = child_spawn_pty(argv, env_min, started_cb, exited_cb, &s, &c, &cause);
	assert_true(m >= 0);
	assert_true(run_until(f, has_started, &s));
	read_master(f, m, buf, sizeof buf, "]\n");
	assert_non_null(strstr(buf, "[child-env-ok][]\n"));
	/* Output passes unchanged: no \r before the \n. */
	assert_null(strstr(buf, "\r"));
	assert_true(run_until(f, has_exited, &s));
	child_release(c);
	close(m);
	unsetenv("CONSOLEFS_UNIT_LEAK");
}

/* A command that is not there: the reason, and the master hangs up. */
static void
test_failed_start(void **state)
{
	struct fixture *f = *state;
	char *const argv[] = { W("consolefs-unit-no-such-command"), NULL };
	struct seen s = { 0 };
	struct child *c;
	char *cause, buf[16];
	struct pollfd p;
	int m;

	m = child_spawn_pty(argv, env_min, started_cb, exited_cb, &s, &c, &cause);
	assert_true(m >= 0);
	assert_true(run_until(f, has_started, &s));
	assert_int_equal(s.pid, -1);
	assert_string_equal(s.cause,
	    "cannot execute consolefs-unit-no-such-command: No such file or directory");
	p.fd = m;
	p.events = POLLIN;
	assert_int_equal(poll(&p, 1, TIMEOUT), 1);
	assert_true(p.revents & POLLHUP);
	assert_int_equal(read(m, buf, sizeof buf), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(child_count(), 0);
	child_release(c);
	close(m);
}

/* A dropped start never runs; its pty hangs up; release of a queued one. */
static void
test_drop_queued(void **state)
{
	struct fixture *f = *state;
	char *const argv[] = { W("true"), NULL };
	struct seen s = { 0 }, s2 = { 0 };
	struct child *c, *c2;
	char *cause, buf[16];
	int m, m2;

	m = child_spawn_pty(argv, env_min, started_cb, exited_cb, &s, &c, &cause);
	m2 = child_spawn_pty(argv, env_min, started_cb, exited_cb, &s2, &c2, &cause);
	assert_true(m >= 0 && m2 >= 0);
	child_kill(c, SIGTERM);
	assert_false(child_queued(c));
	child_release(c2);
	assert_int_equal(read(m, buf, sizeof buf), -1);
	assert_int_equal(errno, EIO);
	/* Give the queue its turn (several batches): nothing starts. */
	assert_false(run_until_ms(f, has_started, &s, 300));
	assert_int_equal(start_count, 0);
	child_release(c);
	close(m);
	close(m2);
}

/* child_kill reaches the program's background children (its group). */
static void
test_kill_group(void **state)
{
	struct fixture *f = *state;
	char *const argv[] = { W("sh"), W("-c"), W("sleep 1000 & echo bg=$!; wait"), NULL };
	struct seen s = { 0 };
	struct child *c;
	char buf[256], *cause, *p;
	pid_t bg;
	int m;

	m = child_spawn_pty(argv, env_min, started_cb, exited_cb, &s, &c, &cause);
	assert_true(m >= 0);
	assert_true(run_until(f, has_started, &s));
	read_master(f, m, buf, sizeof buf, "\n");
	assert_non_null(p = strstr(buf, "bg="));
	bg = atoi(p + 3);
	assert_true(bg > 0);
	assert_true(child_pid(c) > 0);
	assert_int_equal(child_count(), 1);
	child_kill(c, SIGTERM);
	assert_true(run_until(f, has_exited, &s));
	assert_true(WIFSIGNALED(s.status));
	for (int i = 0; i < 100 && kill(bg, 0) == 0; i++)
		usleep(20000);
	assert_int_equal(kill(bg, 0), -1);
	child_release(c);
	close(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_and_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_queued, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_group, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
