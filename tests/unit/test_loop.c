/*
 * test_loop.c — unit tests of core/loop.c on real pipes and the real clock:
 * read and write watches, changing a mask, edge-triggered watches, hang-ups
 * on a silent watch, timers (order, cancelling, adding from a callback), the
 * before-sleep hook, and the rule that a callback may delete any watch:
 * deleted watches are freed after the dispatch and never called again, even
 * when their event is already in the batch or their fd number is reused.
 * Not for what the daemon registers (test_console.c, the behaviour tests).
 *
 * Which dispatch a callback runs in is told by the before-sleep hook, which
 * runs once before every epoll_wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/loop.h"

/* What a watch's callback saw. */
struct rec {
	int	 calls;
	int	 fd;
	int	 events;	/* of the last call */
	int	 dispatch;	/* the hook count at the last call */
	int	 stop_after;	/* loop_stop at this many calls (0: never) */
	int	 drain;		/* read what is there */
};

static int dispatches;	/* hook calls: bumped before every epoll_wait */

static void
count_hook(struct loop *lp, void *arg)
{
	(void)lp, (void)arg;
	dispatches++;
}

static struct loop *
new_loop(void)
{
	struct loop *lp = loop_create();

	assert_non_null(lp);
	dispatches = 0;
	loop_set_before_sleep(lp, count_hook, NULL);
	return lp;
}

static void
record(struct loop *lp, int fd, int events, void *arg)
{
	struct rec *r = arg;
	char buf[256];

	r->calls++;
	r->fd = fd;
	r->events = events;
	r->dispatch = dispatches;
	if (r->drain)
		while (read(fd, buf, sizeof buf) > 0)
			;
	if (r->stop_after != 0 && r->calls >= r->stop_after)
		loop_stop(lp);
}

static void
stop_timer(struct loop *lp, void *arg)
{
	*(int *)arg = 1;
	loop_stop(lp);
}

/* Run LP until something stops it or MS milliseconds have passed; returns
 * whether the time ran out. */
static int
run_for(struct loop *lp, long ms)
{
	int fired = 0;
	struct loop_timer *t = loop_add_timer(lp, ms, stop_timer, &fired);

	assert_non_null(t);
	assert_int_equal(loop_run(lp), 0);
	if (!fired)
		loop_del_timer(lp, t);
	return fired;
}

static void
make_pipe(int p[2])
{
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
}

static void
test_read_watch(void **state)
{
	struct loop *lp = new_loop();
	struct rec r = { .drain = 1, .stop_after = 1 };
	int p[2], other[2];

	(void)state;
	make_pipe(p);
	make_pipe(other);
	assert_int_equal(loop_add_fd(lp, p[0], LOOP_READ, record, &r), 0);
	/* A silent pipe next to it changes nothing. */
	assert_int_equal(loop_add_fd(lp, other[0], LOOP_READ, record, &r), 0);

	assert_true(run_for(lp, 50));
	assert_int_equal(r.calls, 0);

	assert_int_equal(write(p[1], "x", 1), 1);
	assert_false(run_for(lp, 2000));
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.fd, p[0]);
	assert_int_equal(r.events, LOOP_READ);

	/* Drained: quiet again. */
	assert_true(run_for(lp, 50));
	assert_int_equal(r.calls, 1);

	/* Level-triggered: unread data calls back on every dispatch. */
	r.drain = 0;
	r.stop_after = 4;
	assert_int_equal(write(p[1], "y", 1), 1);
	assert_false(run_for(lp, 2000));
	assert_int_equal(r.calls, 4);

	/* Removed: never called again, the loop just sleeps. */
	loop_del_fd(lp, p[0]);
	loop_del_fd(lp, p[0]);		/* twice is a no-op */
	loop_del_fd(lp, 1000);		/* never watched */
	r.calls = 0;
	assert_true(run_for(lp, 50));
	assert_int_equal(r.calls, 0);

	loop_free(lp);
	close(p[0]), close(p[1]), close(other[0]), close(other[1]);
}

static void
test_write_watch_and_mask(void **state)
{
	struct loop *lp = new_loop();
	struct rec w = { .stop_after = 1 }, w2 = { .stop_after = 1 };
	char buf[65536];
	int p[2];

	(void)state;
	make_pipe(p);
	assert_int_equal(loop_add_fd(lp, p[1], LOOP_WRITE, record, &w), 0);
	assert_false(run_for(lp, 2000));
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.fd, p[1]);
	assert_int_equal(w.events, LOOP_WRITE);

	/* Mask 0: registered but silent. */
	assert_int_equal(loop_add_fd(lp, p[1], 0, record, &w), 0);
	assert_true(run_for(lp, 50));
	assert_int_equal(w.calls, 1);

	/* Only READ on a write end: nothing to report either. */
	assert_int_equal(loop_add_fd(lp, p[1], LOOP_READ, record, &w), 0);
	assert_true(run_for(lp, 50));
	assert_int_equal(w.calls, 1);

	/* Back to WRITE with another callback argument: the new one is used. */
	assert_int_equal(loop_add_fd(lp, p[1], LOOP_WRITE, record, &w2), 0);
	assert_false(run_for(lp, 2000));
	assert_int_equal(w.calls, 1);
	assert_int_equal(w2.calls, 1);

	/* Same mask, another argument: replaced without an epoll change. */
	assert_int_equal(loop_add_fd(lp, p[1], LOOP_WRITE, record, &w), 0);
	assert_false(run_for(lp, 2000));
	assert_int_equal(w.calls, 2);
	assert_int_equal(w2.calls, 1);

	/* A full pipe is not writable until the reader takes something. */
	while (write(p[1], buf, sizeof buf) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	assert_true(run_for(lp, 50));
	assert_int_equal(w.calls, 2);
	while (read(p[0], buf, sizeof buf) > 0)
		;
	assert_false(run_for(lp, 2000));
	assert_int_equal(w.calls, 3);
	assert_int_equal(w.events, LOOP_WRITE);

	/* READ|WRITE on both ends at once: each reports what it can do. */
	struct rec rd = { .stop_after = 0 };
	w.stop_after = 0;
	assert_int_equal(write(p[1], "z", 1), 1);
	assert_int_equal(loop_add_fd(lp, p[0], LOOP_READ | LOOP_WRITE, record, &rd), 0);
	assert_int_equal(loop_add_fd(lp, p[1], LOOP_READ | LOOP_WRITE, record, &w), 0);
	assert_true(run_for(lp, 20));
	assert_true(rd.calls > 0);
	assert_int_equal(rd.events, LOOP_READ);
	assert_int_equal(w.events, LOOP_WRITE);

	/* Errors. */
	assert_int_equal(loop_add_fd(lp, -1, LOOP_READ, record, &w), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(loop_add_fd(lp, 999, LOOP_READ, record, &w), -1);
	assert_int_equal(errno, EBADF);
	loop_free(lp);
	close(p[0]), close(p[1]);
}

/* A regular file cannot be watched: EPERM, and nothing is left behind. */
static void
test_add_regular_file(void **state)
{
	struct loop *lp = new_loop();
	struct rec r = { 0 };
	int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	(void)state;
	assert_true(fd != -1);
	assert_int_equal(loop_add_fd(lp, fd, LOOP_READ, record, &r), -1);
	assert_int_equal(errno, EPERM);
	loop_del_fd(lp, fd);
	assert_true(run_for(lp, 20));
	assert_int_equal(r.calls, 0);
	loop_free(lp);
	close(fd);
}

/* A silent watch (mask 0) still hears a hang-up. */
static void
test_silent_watch_hup(void **state)
{
	struct loop *lp = new_loop();
	struct rec r = { .stop_after = 1 };
	int p[2];

	(void)state;
	make_pipe(p);
	assert_int_equal(write(p[1], "data", 4), 4);
	assert_int_equal(loop_add_fd(lp, p[0], 0, record, &r), 0);
	assert_true(run_for(lp, 50));
	assert_int_equal(r.calls, 0);

	close(p[1]);
	assert_false(run_for(lp, 2000));
	assert_int_equal(r.calls, 1);
	assert_true(r.events & LOOP_HUP);
	assert_false(r.events & LOOP_READ);
	loop_free(lp);
	close(p[0]);
}

static void
test_edge(void **state)
{
	struct loop *lp = new_loop();
	struct rec r = { 0 };
	int p[2];

	(void)state;
	make_pipe(p);
	/* Edge-triggered: one call per arrival, read or not. */
	assert_int_equal(loop_add_fd(lp, p[0], LOOP_READ | LOOP_EDGE, record, &r), 0);
	assert_int_equal(write(p[1], "a", 1), 1);
	assert_true(run_for(lp, 100));
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.events, LOOP_READ);
	assert_int_equal(write(p[1], "b", 1), 1);
	assert_true(run_for(lp, 100));
	assert_int_equal(r.calls, 2);

	/* Made level-triggered again with the data still unread: called on
	 * every dispatch. */
	r.stop_after = r.calls + 5;
	assert_int_equal(loop_add_fd(lp, p[0], LOOP_READ, record, &r), 0);
	assert_false(run_for(lp, 2000));
	assert_int_equal(r.calls, 7);

	/* And back to edge: quiet until something new comes. */
	r.stop_after = 0;
	assert_int_equal(loop_add_fd(lp, p[0], LOOP_READ | LOOP_EDGE, record, &r), 0);
	run_for(lp, 100);	/* the MOD may report the level once */
	r.calls = 0;
	assert_true(run_for(lp, 100));
	assert_int_equal(r.calls, 0);
	assert_int_equal(write(p[1], "c", 1), 1);
	assert_true(run_for(lp, 100));
	assert_int_equal(r.calls, 1);
	loop_free(lp);
	close(p[0]), close(p[1]);
}

/* The deferred free. */

struct pair {
	int		 fd[2];		/* the two watched read ends */
	int		 wr[2];		/* their write ends */
	int		 calls[2];
	int		 dispatch[2];
	int		 deletes;	/* the first callback deletes the other */
	int		 reuse;		/* ... and puts a new pipe on its number */
	int		 newwr;		/* that pipe's write end */
	struct rec	 fresh;		/* what the new watch saw */
};

static void
pair_cb(struct loop *lp, int fd, int events, void *arg)
{
	struct pair *pr = arg;
	int me = fd == pr->fd[0] ? 0 : 1, other = 1 - me;
	char c;

	assert_true(fd == pr->fd[me]);
	assert_true(events & LOOP_READ);
	assert_int_equal(read(fd, &c, 1), 1);
	pr->calls[me]++;
	pr->dispatch[me] = dispatches;
	loop_stop(lp);
	if (!pr->deletes || pr->calls[other] > 0)
		return;
	loop_del_fd(lp, pr->fd[other]);
	if (pr->reuse) {
		int p[2];

		/* A new, empty pipe whose read end takes the deleted fd's
		 * number: the event already queued for that number is stale. */
		make_pipe(p);
		assert_int_equal(close(pr->fd[other]), 0);
		assert_int_equal(dup2(p[0], pr->fd[other]), pr->fd[other]);
		close(p[0]);
		pr->newwr = p[1];
		assert_int_equal(loop_add_fd(lp, pr->fd[other], LOOP_READ, record, &pr->fresh), 0);
	}
}

static void
pair_open(struct loop *lp, struct pair *pr)
{
	for (int i = 0; i < 2; i++) {
		int p[2];

		make_pipe(p);
		pr->fd[i] = p[0];
		pr->wr[i] = p[1];
		assert_int_equal(loop_add_fd(lp, p[0], LOOP_READ, pair_cb, pr), 0);
	}
	pr->newwr = -1;
	/* Both readable before the loop sleeps: one epoll batch. */
	assert_int_equal(write(pr->wr[0], "a", 1), 1);
	assert_int_equal(write(pr->wr[1], "b", 1), 1);
}

static void
pair_close(struct pair *pr)
{
	for (int i = 0; i < 2; i++)
		close(pr->fd[i]), close(pr->wr[i]);
	if (pr->newwr != -1)
		close(pr->newwr);
}

/* Control: without deletion both callbacks run in the same dispatch, and a
 * loop_stop in the first still lets the rest of the batch run. */
static void
test_pair_same_batch(void **state)
{
	struct loop *lp = new_loop();
	struct pair pr = { 0 };

	(void)state;
	pair_open(lp, &pr);
	assert_false(run_for(lp, 2000));
	assert_int_equal(pr.calls[0], 1);
	assert_int_equal(pr.calls[1], 1);
	assert_int_equal(pr.dispatch[0], pr.dispatch[1]);
	loop_free(lp);
	pair_close(&pr);
}

/* The first callback of the batch deletes the other watch, whose event is
 * already in the batch: the other callback must not run (then or later). */
static void
test_delete_other_in_batch(void **state)
{
	struct loop *lp = new_loop();
	struct pair pr = { .deletes = 1 };

	(void)state;
	pair_open(lp, &pr);
	assert_false(run_for(lp, 2000));
	assert_int_equal(pr.calls[0] + pr.calls[1], 1);
	assert_true(run_for(lp, 50));
	assert_int_equal(pr.calls[0] + pr.calls[1], 1);
	loop_free(lp);
	pair_close(&pr);
}

/* As above, and the other fd is closed and its number reused at once for a
 * new watch on an empty pipe: the queued event for the old fd must not
 * reach the new watch. It gets its own data later. */
static void
test_delete_other_reuse_number(void **state)
{
	struct loop *lp = new_loop();
	struct pair pr = { .deletes = 1, .reuse = 1 };
	int first;

	(void)state;
	pair_open(lp, &pr);
	assert_false(run_for(lp, 2000));
	assert_int_equal(pr.calls[0] + pr.calls[1], 1);
	first = pr.calls[0] ? 0 : 1;
	assert_int_equal(pr.fresh.calls, 0);
	assert_true(run_for(lp, 50));
	assert_int_equal(pr.fresh.calls, 0);
	assert_int_equal(pr.calls[1 - first], 0);

	pr.fresh.stop_after = 1;
	pr.fresh.drain = 1;
	assert_int_equal(write(pr.newwr, "n", 1), 1);
	assert_false(run_for(lp, 2000));
	assert_int_equal(pr.fresh.calls, 1);
	assert_int_equal(pr.fresh.fd, pr.fd[1 - first]);
	assert_int_equal(pr.fresh.events, LOOP_READ);
	assert_int_equal(pr.calls[1 - first], 0);
	loop_free(lp);
	pair_close(&pr);
}

/* A callback deletes its own watch, closes its fd and watches a new empty
 * pipe on the same number; another fd in the same batch is still served. */
struct self {
	int		 fd, wr;	/* the watch that replaces itself */
	int		 newwr;
	int		 replaced;
	struct rec	 fresh;		/* the replacement's calls */
	struct rec	 bystander;	/* the other fd in the batch */
};

static void
self_cb(struct loop *lp, int fd, int events, void *arg)
{
	struct self *s = arg;
	int p[2];

	(void)events;
	assert_int_equal(fd, s->fd);
	assert_int_equal(s->replaced, 0);
	s->replaced = 1;
	make_pipe(p);
	loop_del_fd(lp, fd);
	assert_int_equal(close(fd), 0);
	assert_int_equal(dup2(p[0], fd), fd);
	close(p[0]);
	s->newwr = p[1];
	assert_int_equal(loop_add_fd(lp, fd, LOOP_READ, record, &s->fresh), 0);
}

static void
test_delete_self_reuse_number(void **state)
{
	struct loop *lp = new_loop();
	struct self s = { .bystander = { .drain = 1 } };
	int p[2], q[2];

	(void)state;
	make_pipe(p);
	make_pipe(q);
	s.fd = p[0];
	s.wr = p[1];
	assert_int_equal(loop_add_fd(lp, p[0], LOOP_READ, self_cb, &s), 0);
	assert_int_equal(loop_add_fd(lp, q[0], LOOP_READ, record, &s.bystander), 0);
	assert_int_equal(write(p[1], "a", 1), 1);
	assert_int_equal(write(q[1], "b", 1), 1);
	assert_true(run_for(lp, 100));
	assert_int_equal(s.replaced, 1);
	assert_int_equal(s.bystander.calls, 1);
	assert_int_equal(s.bystander.dispatch, 1);
	assert_int_equal(s.fresh.calls, 0);

	s.fresh.stop_after = 1;
	assert_int_equal(write(s.newwr, "n", 1), 1);
	assert_false(run_for(lp, 2000));
	assert_int_equal(s.fresh.calls, 1);
	assert_int_equal(s.fresh.fd, s.fd);
	loop_free(lp);
	close(s.fd), close(s.wr), close(s.newwr), close(q[0]), close(q[1]);
}

/* Timers. */

struct tlog {
	char		 order[32];
	int		 n;
	long long	 at[32];
	struct loop_timer *victim;	/* cancelled by the 'c' timer */
	int		 rearm;		/* the 'r' timer adds itself again */
	struct loop	*lp;
};

static struct tlog *tl;

static void
note(struct loop *lp, void *arg)
{
	char id = (char)(long)arg;

	(void)lp;
	tl->at[tl->n] = loop_now_ms();
	tl->order[tl->n++] = id;
	if (id == 'c')
		loop_del_timer(lp, tl->victim);
	if (id == 's')
		loop_stop(lp);
	if (id == 'a') {
		/* Added from a callback: one due at once, one later. */
		assert_non_null(loop_add_timer(lp, 0, note, (void *)'0'));
		assert_non_null(loop_add_timer(lp, 60, note, (void *)'L'));
	}
	if (id == 'r' && --tl->rearm > 0)
		assert_non_null(loop_add_timer(lp, 5, note, (void *)'r'));
}

static void
test_timer_order(void **state)
{
	struct loop *lp = new_loop();
	struct tlog log = { .lp = lp };
	long long start = loop_now_ms();

	(void)state;
	tl = &log;
	assert_non_null(loop_add_timer(lp, 60, note, (void *)'s'));
	assert_non_null(loop_add_timer(lp, 20, note, (void *)'1'));
	assert_non_null(loop_add_timer(lp, 40, note, (void *)'3'));
	assert_non_null(loop_add_timer(lp, 20, note, (void *)'2'));	/* after '1' */
	assert_non_null(loop_add_timer(lp, -5, note, (void *)'0'));	/* at once */
	assert_int_equal(loop_run(lp), 0);
	log.order[log.n] = '\0';
	assert_string_equal(log.order, "0123s");
	/* None early, and the loop slept rather than spun. */
	assert_true(log.at[0] - start < 20);
	assert_true(log.at[1] - start >= 20);
	assert_true(log.at[3] - start >= 40);
	assert_true(log.at[4] - start >= 60);
	assert_true(dispatches < 20);
	loop_free(lp);
}

static void
test_timer_cancel(void **state)
{
	struct loop *lp = new_loop();
	struct tlog log = { .lp = lp };
	struct loop_timer *t;

	(void)state;
	tl = &log;
	/* Cancelled before the loop runs. */
	t = loop_add_timer(lp, 5, note, (void *)'x');
	assert_non_null(t);
	loop_del_timer(lp, t);
	loop_del_timer(lp, NULL);
	/* Cancelled by another timer due at the same moment, and by one due
	 * earlier. */
	assert_non_null(loop_add_timer(lp, 20, note, (void *)'c'));
	log.victim = loop_add_timer(lp, 20, note, (void *)'y');
	assert_non_null(log.victim);
	assert_non_null(loop_add_timer(lp, 60, note, (void *)'s'));
	assert_int_equal(loop_run(lp), 0);
	log.order[log.n] = '\0';
	assert_string_equal(log.order, "cs");

	log.n = 0;
	log.victim = loop_add_timer(lp, 40, note, (void *)'z');
	assert_non_null(loop_add_timer(lp, 10, note, (void *)'c'));
	assert_non_null(loop_add_timer(lp, 60, note, (void *)'s'));
	assert_int_equal(loop_run(lp), 0);
	log.order[log.n] = '\0';
	assert_string_equal(log.order, "cs");

	/* A cancelled timer does not keep the loop waking up for it. */
	dispatches = 0;
	t = loop_add_timer(lp, 10, note, (void *)'x');
	loop_del_timer(lp, t);
	assert_true(run_for(lp, 100));
	assert_true(dispatches <= 3);
	loop_free(lp);
}

static void
test_timer_from_callback(void **state)
{
	struct loop *lp = new_loop();
	struct tlog log = { .lp = lp, .rearm = 5 };

	(void)state;
	tl = &log;
	assert_non_null(loop_add_timer(lp, 10, note, (void *)'a'));
	assert_non_null(loop_add_timer(lp, 150, note, (void *)'s'));
	assert_non_null(loop_add_timer(lp, 1, note, (void *)'r'));
	assert_int_equal(loop_run(lp), 0);
	log.order[log.n] = '\0';
	/* 'r' five times (about 1, 6, 11, 16, 21 ms), interleaved with 'a'
	 * and its '0' at 10 ms; 'L' at about 70 ms; 's' last. */
	assert_int_equal(log.n, 9);
	assert_int_equal(log.order[log.n - 1], 's');
	assert_int_equal(log.order[log.n - 2], 'L');
	assert_non_null(strstr(log.order, "a"));
	assert_true(strchr(log.order, '0') > strchr(log.order, 'a'));
	assert_int_equal(strspn(log.order, "ra0"), 7);
	loop_free(lp);
}

/* A timer that adds itself again at 0 ms from its callback (libvirt's "on
 * every iteration" timeouts) fires once per dispatch, never twice in one,
 * so fd events still get their turn. */
struct zero {
	struct loop	*lp;
	int		 fires;
	int		 last_dispatch;
	int		 twice;		/* fired twice in one dispatch */
	int		 fd_seen;	/* the fires when the pipe's event came */
};

static void
zero_timer(struct loop *lp, void *arg)
{
	struct zero *z = arg;

	if (z->fires > 0 && z->last_dispatch == dispatches)
		z->twice = 1;
	z->last_dispatch = dispatches;
	if (++z->fires < 1000)
		assert_non_null(loop_add_timer(lp, 0, zero_timer, z));
	else
		loop_stop(lp);
}

static void
zero_fd(struct loop *lp, int fd, int events, void *arg)
{
	struct zero *z = arg;
	char c;

	(void)events;
	assert_int_equal(read(fd, &c, 1), 1);
	z->fd_seen = z->fires;
	loop_del_fd(lp, fd);
}

static void
test_timer_zero_rearm(void **state)
{
	struct loop *lp = new_loop();
	struct zero z = { .lp = lp };
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_non_null(loop_add_timer(lp, 0, zero_timer, &z));
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_add_fd(lp, p[0], LOOP_READ, zero_fd, &z), 0);
	assert_int_equal(loop_run(lp), 0);
	assert_int_equal(z.fires, 1000);
	assert_false(z.twice);
	assert_true(z.fd_seen <= 2);
	loop_free(lp);
	close(p[0]);
	close(p[1]);
}

/* The before-sleep hook. */

struct trace {
	char	 s[64];
	int	 n;
	int	 stop_at;	/* the hook stops the loop at its Nth call */
	int	 hooks;
};

static void
trace_hook(struct loop *lp, void *arg)
{
	struct trace *t = arg;

	t->s[t->n++] = 'H';
	if (++t->hooks == t->stop_at)
		loop_stop(lp);
}

static void
trace_cb(struct loop *lp, int fd, int events, void *arg)
{
	struct trace *t = arg;

	(void)lp, (void)fd, (void)events;
	t->s[t->n++] = 'c';
}

static void
test_before_sleep(void **state)
{
	struct loop *lp = loop_create();
	struct trace t = { .stop_at = 1 };
	int p[2];

	(void)state;
	assert_non_null(lp);
	/* Stopping from the hook returns without sleeping, even with nothing
	 * to wait for (a sleep here would never end). */
	loop_set_before_sleep(lp, trace_hook, &t);
	assert_int_equal(loop_run(lp), 0);
	t.s[t.n] = '\0';
	assert_string_equal(t.s, "H");

	/* Before every sleep, i.e. between dispatches. */
	make_pipe(p);
	assert_int_equal(loop_add_fd(lp, p[1], LOOP_WRITE, trace_cb, &t), 0);
	t.n = t.hooks = 0;
	t.stop_at = 3;
	assert_int_equal(loop_run(lp), 0);
	t.s[t.n] = '\0';
	assert_string_equal(t.s, "HcHcH");

	/* Replaced by NULL: not called any more. */
	loop_set_before_sleep(lp, NULL, NULL);
	loop_del_fd(lp, p[1]);
	t.n = 0;
	assert_true(run_for(lp, 30));
	assert_int_equal(t.n, 0);
	loop_free(lp);
	close(p[0]), close(p[1]);
}

/* Freed with watches, a deleted watch and timers still in it: ASan's leak
 * check (make SAN=1) is the judge. */
static void
test_free_busy(void **state)
{
	struct loop *lp = new_loop();
	struct rec r = { 0 };
	int p[2];

	(void)state;
	make_pipe(p);
	assert_int_equal(loop_add_fd(lp, p[0], LOOP_READ, record, &r), 0);
	assert_int_equal(loop_add_fd(lp, p[1], LOOP_WRITE, record, &r), 0);
	assert_non_null(loop_add_timer(lp, 100000, note, NULL));
	loop_del_timer(lp, loop_add_timer(lp, 100000, note, NULL));
	loop_del_fd(lp, p[1]);
	loop_free(lp);
	loop_free(NULL);
	close(p[0]), close(p[1]);
}

static void
spin_read(struct loop *lp, int fd, int events, void *arg)
{
	char c;

	(void)lp, (void)events;
	if (read(fd, &c, 1) == 1)
		(*(int *)arg)++;
}

static void
spin_stop(struct loop *lp, void *arg)
{
	(void)arg;
	loop_stop(lp);
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* With spinning on, events are still delivered, and an idle loop sleeps:
 * 300 ms with nothing to do after one event cost next to no CPU. */
static void
test_spin_idle(void **state)
{
	struct loop *lp = loop_create();
	int p[2], got = 0;
	double before;

	(void)state;
	assert_non_null(lp);
	loop_set_spin(lp, 30);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_add_fd(lp, p[0], LOOP_READ, spin_read, &got), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_non_null(loop_add_timer(lp, 300, spin_stop, NULL));
	before = cpu_seconds();
	assert_int_equal(loop_run(lp), 0);
	assert_int_equal(got, 1);
	assert_true(cpu_seconds() - before < 0.03);
	loop_free(lp);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_watch),
		cmocka_unit_test(test_write_watch_and_mask),
		cmocka_unit_test(test_add_regular_file),
		cmocka_unit_test(test_silent_watch_hup),
		cmocka_unit_test(test_edge),
		cmocka_unit_test(test_pair_same_batch),
		cmocka_unit_test(test_delete_other_in_batch),
		cmocka_unit_test(test_delete_other_reuse_number),
		cmocka_unit_test(test_delete_self_reuse_number),
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_timer_cancel),
		cmocka_unit_test(test_timer_from_callback),
		cmocka_unit_test(test_timer_zero_rearm),
		cmocka_unit_test(test_before_sleep),
		cmocka_unit_test(test_free_busy),
		cmocka_unit_test(test_spin_idle),
	};

	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
