/*
 * test_libvirt_loop.c — unit tests of core/libvirt_loop.c through libvirt's
 * own public event API (virEventAddHandle, virEventAddTimeout, ...), which
 * calls the implementation we registered, on real pipes and the real clock:
 * handles fire for the events asked, updates change them, two handles on
 * one fd each get theirs, hang-ups come even with no events asked, a
 * handle removed inside a dispatch is never called again, free callbacks
 * never run inside the remove call but soon after on a clean stack;
 * timeouts: periodic, 0 = every iteration, -1 = off, updates restart them.
 * Not for connections or streams (the behaviour test libvirt-guest.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/libvirt_loop.h"
#include "core/loop.h"

static struct loop *lp;
static int in_remove;		/* a remove call is on the stack */
static int freed_in_remove;	/* a free callback ran inside it */
static int dispatches;

static void
count_hook(struct loop *l, void *arg)
{
	(void)l, (void)arg;
	dispatches++;
}

struct h {
	int	 id;
	int	 calls;
	int	 events;
	int	 freed;
	int	 stop_after;
	int	 remove_other;	/* id of a handle to remove when called */
	int	 drain;
};

static void
h_cb(int watch, int fd, int events, void *opaque)
{
	struct h *h = opaque;
	char buf[64];

	assert_int_equal(watch, h->id);
	h->calls++;
	h->events = events;
	if (h->drain)
		while (read(fd, buf, sizeof buf) > 0)
			;
	if (h->remove_other) {
		in_remove = 1;
		assert_int_equal(virEventRemoveHandle(h->remove_other), 0);
		in_remove = 0;
		h->remove_other = 0;
	}
	if (h->stop_after && h->calls >= h->stop_after)
		loop_stop(lp);
}

static void
h_free(void *opaque)
{
	struct h *h = opaque;

	if (in_remove)
		freed_in_remove = 1;
	h->freed++;
}

static void
stop_timer(struct loop *l, void *arg)
{
	*(struct loop_timer **)arg = NULL;
	loop_stop(l);
}

/* Run the loop until something stops it, at most MS. */
static void
run_for(long ms)
{
	static struct loop_timer *t;

	t = loop_add_timer(lp, ms, stop_timer, &t);
	assert_non_null(t);
	assert_int_equal(loop_run(lp), 0);
	if (t != NULL)
		loop_del_timer(lp, t);
}

static void
test_handle_read_write_update(void **state)
{
	struct h r = { .stop_after = 1, .drain = 1 }, w = { .stop_after = 1 };
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	r.id = virEventAddHandle(p[0], VIR_EVENT_HANDLE_READABLE, h_cb, &r, h_free);
	assert_true(r.id > 0);
	run_for(50);
	assert_int_equal(r.calls, 0);		/* nothing to read yet */
	assert_int_equal(write(p[1], "x", 1), 1);
	run_for(1000);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.events, VIR_EVENT_HANDLE_READABLE);
	/* Events 0: silent, though readable. */
	virEventUpdateHandle(r.id, 0);
	assert_int_equal(write(p[1], "y", 1), 1);
	run_for(50);
	assert_int_equal(r.calls, 1);
	virEventUpdateHandle(r.id, VIR_EVENT_HANDLE_READABLE);
	run_for(1000);
	assert_int_equal(r.calls, 2);
	/* A write handle on the other end. */
	w.id = virEventAddHandle(p[1], VIR_EVENT_HANDLE_WRITABLE, h_cb, &w, h_free);
	assert_true(w.id > 0 && w.id != r.id);
	run_for(1000);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.events, VIR_EVENT_HANDLE_WRITABLE);
	in_remove = 1;
	assert_int_equal(virEventRemoveHandle(r.id), 0);
	assert_int_equal(virEventRemoveHandle(w.id), 0);
	in_remove = 0;
	assert_int_equal(virEventRemoveHandle(w.id), -1);	/* twice: no */
	assert_int_equal(r.freed + w.freed, 0);		/* not inside remove */
	run_for(20);
	assert_int_equal(r.freed, 1);
	assert_int_equal(w.freed, 1);
	assert_false(freed_in_remove);
	assert_int_equal(libvirt_loop_nhandles(), 0);
	close(p[0]);
	close(p[1]);
}

/* Two handles on the same fd with different events, as libvirt allows. */
static void
test_handle_shared_fd(void **state)
{
	struct h r = { .drain = 0 }, w = { 0 };
	int sv[2];
	char c;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	r.id = virEventAddHandle(sv[0], VIR_EVENT_HANDLE_READABLE, h_cb, &r, h_free);
	w.id = virEventAddHandle(sv[0], VIR_EVENT_HANDLE_WRITABLE, h_cb, &w, h_free);
	assert_true(r.id > 0 && w.id > 0);
	run_for(30);
	assert_int_equal(r.calls, 0);
	assert_true(w.calls > 0);
	assert_int_equal(w.events, VIR_EVENT_HANDLE_WRITABLE);
	virEventUpdateHandle(w.id, 0);
	w.calls = 0;
	assert_int_equal(write(sv[1], "x", 1), 1);
	r.stop_after = 1;
	run_for(1000);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.events, VIR_EVENT_HANDLE_READABLE);
	assert_int_equal(w.calls, 0);
	assert_int_equal(read(sv[0], &c, 1), 1);
	/* Both are due in the same dispatch (data to read, room to write);
	 * whichever is called first removes the other, which is then not
	 * called. */
	virEventUpdateHandle(w.id, VIR_EVENT_HANDLE_WRITABLE);
	r.remove_other = w.id;
	w.remove_other = r.id;
	r.calls = w.calls = 0;
	r.stop_after = w.stop_after = 1;
	assert_int_equal(write(sv[1], "y", 1), 1);
	run_for(1000);
	assert_int_equal(r.calls + w.calls, 1);
	run_for(20);
	assert_int_equal(r.freed + w.freed, 1);
	assert_false(freed_in_remove);
	if (r.freed) {
		assert_int_equal(virEventRemoveHandle(w.id), 0);
		run_for(20);
		assert_int_equal(w.freed, 1);
	} else {
		assert_int_equal(virEventRemoveHandle(r.id), 0);
		run_for(20);
		assert_int_equal(r.freed, 1);
	}
	assert_int_equal(libvirt_loop_nhandles(), 0);
	close(sv[0]);
	close(sv[1]);
}

/* A hang-up is reported with no events asked, as poll(2) does. */
static void
test_handle_hangup(void **state)
{
	struct h r = { .stop_after = 1 };
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	r.id = virEventAddHandle(p[0], 0, h_cb, &r, NULL);
	close(p[1]);
	run_for(1000);
	assert_int_equal(r.calls, 1);
	assert_true(r.events & VIR_EVENT_HANDLE_HANGUP);
	assert_false(r.events & VIR_EVENT_HANDLE_READABLE);
	assert_int_equal(virEventRemoveHandle(r.id), 0);
	close(p[0]);
	run_for(10);
}

struct t {
	int	 id;
	int	 calls;
	int	 dispatch[64];
	long long at[64];
	int	 freed;
	int	 stop_after;
	int	 set_after;	/* update to SET_MS at this call */
	int	 set_ms;
};

static void
t_cb(int timer, void *opaque)
{
	struct t *t = opaque;

	assert_int_equal(timer, t->id);
	if (t->calls < 64) {
		t->dispatch[t->calls] = dispatches;
		t->at[t->calls] = loop_now_ms();
	}
	t->calls++;
	if (t->set_after && t->calls == t->set_after)
		virEventUpdateTimeout(t->id, t->set_ms);
	if (t->stop_after && t->calls >= t->stop_after)
		loop_stop(lp);
}

static void
t_free(void *opaque)
{
	struct t *t = opaque;

	if (in_remove)
		freed_in_remove = 1;
	t->freed++;
}

static void
test_timeouts(void **state)
{
	struct t per = { .stop_after = 4 }, zero = { .set_after = 5, .set_ms = -1 },
	    off = { 0 };
	long long start = loop_now_ms();

	(void)state;
	per.id = virEventAddTimeout(30, t_cb, &per, t_free);
	off.id = virEventAddTimeout(-1, t_cb, &off, t_free);
	zero.id = virEventAddTimeout(0, t_cb, &zero, t_free);
	assert_true(per.id > 0 && off.id > 0 && zero.id > 0);
	assert_int_equal(libvirt_loop_ntimeouts(), 3);
	run_for(2000);
	/* Periodic: 4 calls at 30 ms intervals, none early. */
	assert_int_equal(per.calls, 4);
	for (int i = 0; i < 4; i++)
		assert_true(per.at[i] - start >= 30 * (i + 1));
	/* 0: every iteration, once per dispatch, until turned off at 5. */
	assert_int_equal(zero.calls, 5);
	for (int i = 1; i < 5; i++)
		assert_true(zero.dispatch[i] > zero.dispatch[i - 1]);
	assert_int_equal(off.calls, 0);
	/* Turning one on; an update restarts the period. */
	virEventUpdateTimeout(off.id, 20);
	off.stop_after = 1;
	start = loop_now_ms();
	run_for(2000);
	assert_int_equal(off.calls, 1);
	assert_true(loop_now_ms() - start >= 20);
	in_remove = 1;
	assert_int_equal(virEventRemoveTimeout(per.id), 0);
	assert_int_equal(virEventRemoveTimeout(off.id), 0);
	assert_int_equal(virEventRemoveTimeout(zero.id), 0);
	assert_int_equal(virEventRemoveTimeout(zero.id), -1);
	in_remove = 0;
	assert_int_equal(per.freed + off.freed + zero.freed, 0);
	per.calls = off.calls = 0;
	run_for(100);
	assert_int_equal(per.calls + off.calls, 0);	/* removed: never again */
	assert_int_equal(per.freed + off.freed + zero.freed, 3);
	assert_false(freed_in_remove);
	assert_int_equal(libvirt_loop_ntimeouts(), 0);
}

/* A timeout removed by a handle in the same dispatch never fires; ids of
 * removed entries are never valid again, even when the slot is reused. */
static void
test_stale_ids(void **state)
{
	struct t a = { 0 }, b = { .stop_after = 1 };
	int first;

	(void)state;
	a.id = virEventAddTimeout(0, t_cb, &a, t_free);
	first = a.id;
	assert_int_equal(virEventRemoveTimeout(a.id), 0);
	run_for(10);
	assert_int_equal(a.calls, 0);
	assert_int_equal(a.freed, 1);
	b.id = virEventAddTimeout(10, t_cb, &b, t_free);
	assert_true(b.id != first);
	virEventUpdateTimeout(first, 0);		/* stale: ignored */
	assert_int_equal(virEventRemoveTimeout(first), -1);
	run_for(1000);
	assert_int_equal(b.calls, 1);
	assert_int_equal(virEventRemoveTimeout(b.id), 0);
	libvirt_loop_drain();
	assert_int_equal(b.freed, 1);
}

static int
setup(void **state)
{
	(void)state;
	lp = loop_create();
	assert_non_null(lp);
	loop_set_before_sleep(lp, count_hook, NULL);
	assert_int_equal(libvirt_loop_register(lp), 0);
	assert_int_equal(libvirt_loop_register(lp), -1);
	assert_int_equal(errno, EBUSY);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	libvirt_loop_drain();
	loop_free(lp);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handle_read_write_update),
		cmocka_unit_test(test_handle_shared_fd),
		cmocka_unit_test(test_handle_hangup),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_stale_ids),
	};

	return cmocka_run_group_tests_name("libvirt_loop", tests, setup, teardown);
}
