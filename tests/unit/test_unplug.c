/*
 * test_unplug.c — unit tests of what a session on a udev: device sees when
 * the device goes and comes back (core/console.c with core/backend_udev.c
 * and core/udev.c). The "device" is a pseudo-terminal the test makes and
 * holds the master of; udev events for it are made here (the fake of this
 * test: a sysfs entry in a temporary directory, DEVNAME naming the pty
 * slave) and fed to udev_handle, with no monitor.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/console.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/opts.h"
#include "core/udev.h"

struct fixture {
	char		 dir[64];	/* sysfs entry and lock directory */
	char		 syspath[128];
	struct loop	*lp;
	struct opts	 dopts;
	struct console_opts copts;
	int		 master;
	char		 slave[64];
	char		 lock[160];
	struct console	*con;
	int		 wakes;
};

static void
wake_cb(struct console_session *s, void *arg)
{
	(void)s;
	((struct fixture *)arg)->wakes++;
}

static void
stop_cb(struct loop *lp, void *arg)
{
	(void)arg;
	loop_stop(lp);
}

/* Run the loop for MS milliseconds. */
static void
spin(struct fixture *f, long ms)
{
	assert_non_null(loop_add_timer(f->lp, ms, stop_cb, NULL));
	assert_int_equal(loop_run(f->lp), 0);
}

/* A udev event ACTION for the pty. */
static void
event(struct fixture *f, const char *action)
{
	char devname[96];
	char *props[] = { devname, (char *)"ID_SERIAL_SHORT=UNIT1", (char *)"SUBSYSTEM=tty",
	    NULL };
	struct udev_event ev = { .action = action, .syspath = f->syspath, .props = props };

	snprintf(devname, sizeof devname, "DEVNAME=%s", f->slave);
	udev_handle(&ev);
}

/* Read from the pty master until WANT came (or 2 s). */
static void
master_sees(struct fixture *f, const char *want)
{
	char got[256] = "";
	size_t len = 0;

	for (int i = 0; i < 100 && strstr(got, want) == NULL; i++) {
		ssize_t n;

		spin(f, 20);
		n = read(f->master, got + len, sizeof got - 1 - len);
		if (n > 0)
			got[len += n] = '\0';
	}
	if (strstr(got, want) == NULL) {
		print_error("the device got '%s', not '%s'\n", got, want);
		fail();
	}
}

static int
setup(struct fixture *f, int capture, int unplug_end)
{
	char cmd[200], *cause = NULL;
	int s;

	memset(f, 0, sizeof *f);
	strcpy(f->dir, "/tmp/test_unplug.XXXXXX");
	if (mkdtemp(f->dir) == NULL || (f->lp = loop_create()) == NULL)
		return -1;
	snprintf(f->syspath, sizeof f->syspath, "%s/devices/virtual/tty/ttyUNIT", f->dir);
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", f->syspath);
	if (system(cmd) != 0)
		return -1;
	f->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (f->master == -1 || grantpt(f->master) == -1 || unlockpt(f->master) == -1)
		return -1;
	snprintf(f->slave, sizeof f->slave, "%s", ptsname(f->master));
	/* Keep the slave from hanging up while the console has it closed. */
	if ((s = open(f->slave, O_RDWR | O_NOCTTY)) == -1)
		return -1;
	close(s);
	snprintf(f->lock, sizeof f->lock, "%s/LCK..%s", f->dir, f->slave + 5);
	f->lock[strlen(f->dir) + 6 + 3] = '_';	/* "pts/N" -> "pts_N" */
	log_init("test_unplug", 1, LOG_LEVEL_WARN);
	event(f, "add");
	opts_init(&f->dopts);
	f->dopts.capture = capture;
	f->dopts.unplug_end = unplug_end;
	f->copts.lock_dir = f->dir;
	f->copts.scrollback = 4096;
	f->copts.opts = &f->dopts;
	f->con = console_new(f->lp, "b/serial0", "udev:ID_SERIAL_SHORT=UNIT1", &f->copts,
	    &cause);
	if (f->con == NULL) {
		print_error("console_new: %s\n", cause);
		return -1;
	}
	return 0;
}

static void
teardown(struct fixture *f)
{
	char cmd[100];

	console_free(f->con);
	spin(f, 10);
	udev_free();
	loop_free(f->lp);
	close(f->master);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
}

static struct console_session *
open_session(struct fixture *f)
{
	struct console_peer peer = { getpid(), getsid(0), getuid() };
	struct console_session *s = console_open(f->con, &peer, wake_cb, f);

	assert_non_null(s);
	assert_int_equal(console_open_status(s), 0);
	return s;
}

/* unplug = wait: nothing to read (EAGAIN, not end of file), no room to
 * write, poll quiet, the lock gone; back: the same session writes to and
 * reads from the device again, with the lock. */
static void
run_wait(int capture)
{
	struct fixture f;
	struct console_session *s;
	char want[128], buf[64];
	ssize_t n;

	assert_int_equal(setup(&f, capture, 0), 0);
	snprintf(want, sizeof want, "present %s", f.slave);
	assert_string_equal(console_state(f.con), want);
	s = open_session(&f);
	assert_int_equal(console_write(s, "one", 3), 3);
	master_sees(&f, "one");
	assert_int_equal(access(f.lock, F_OK), 0);

	event(&f, "remove");
	spin(&f, 10);
	assert_string_equal(console_state(f.con), "unplugged, waiting");
	errno = 0;
	assert_int_equal(console_read(s, buf, sizeof buf), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(console_write(s, "two", 3), 0);
	assert_int_equal(console_poll(s), 0);
	assert_int_equal(access(f.lock, F_OK), -1);

	f.wakes = 0;
	event(&f, "add");
	spin(&f, 10);
	assert_true(f.wakes > 0);	/* a waiting writer is told */
	assert_string_equal(console_state(f.con), want);
	assert_int_equal(console_poll(s) & POLLOUT, POLLOUT);
	assert_int_equal(access(f.lock, F_OK), 0);
	assert_int_equal(console_write(s, "three", 5), 5);
	master_sees(&f, "three");
	assert_int_equal(write(f.master, "four", 4), 4);
	n = -1;
	for (int i = 0; i < 100 && n <= 0; i++) {
		spin(&f, 20);
		n = console_read(s, buf, sizeof buf - 1);
	}
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "four", 4);

	/* The session ends while unplugged: nothing waits any more. */
	event(&f, "remove");
	spin(&f, 10);
	assert_string_equal(console_state(f.con), "unplugged, waiting");
	console_close(s);
	assert_string_equal(console_state(f.con), "absent");
	teardown(&f);
}

static void
test_wait_capture(void **state)
{
	(void)state;
	run_wait(1);
}

static void
test_wait_per_session(void **state)
{
	(void)state;
	run_wait(0);
}

/* unplug = end: what was read before is still read, then end of file. */
static void
test_end(void **state)
{
	struct fixture f;
	struct console_session *s;
	char buf[64];
	ssize_t n = -1;

	(void)state;
	assert_int_equal(setup(&f, 1, 1), 0);
	s = open_session(&f);
	assert_int_equal(write(f.master, "last", 4), 4);
	spin(&f, 50);
	event(&f, "remove");
	spin(&f, 10);
	assert_string_equal(console_state(f.con), "absent");
	assert_int_equal(console_poll(s) & POLLHUP, POLLHUP);
	n = console_read(s, buf, sizeof buf);
	assert_int_equal(n, 4);
	assert_int_equal(console_read(s, buf, sizeof buf), 0);
	console_close(s);
	teardown(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wait_capture),
		cmocka_unit_test(test_wait_per_session),
		cmocka_unit_test(test_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
