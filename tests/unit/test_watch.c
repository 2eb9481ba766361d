/*
 * test_watch.c — unit tests of core/watch.c on a real loop and real files in
 * a temporary directory: directory events with names, two interests on one
 * inode each filtered by its own mask, watch_same telling the same inode
 * from a new file at the same name, IN_IGNORED when the inode goes,
 * watch_poll handling what is queued at once, deleting interests from
 * inside a callback, and interests that name the entries they want
 * (watch_names). Not for what the events mean to a backend
 * (test_console.c, the behaviour tests).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/loop.h"
#include "core/watch.h"

struct fixture {
	struct loop	*lp;
	char		 dir[64];
	char		 path[128];	/* DIR/file */
};

/* What an interest's callback saw. */
struct seen {
	int		 calls;
	uint32_t	 mask;		/* or'd */
	char		 name[64];	/* the last name */
	struct watch	*del;		/* delete this interest when called */
};

static void
seen_cb(void *arg, uint32_t mask, const char *name)
{
	struct seen *s = arg;

	s->calls++;
	s->mask |= mask;
	if (name != NULL)
		snprintf(s->name, sizeof s->name, "%s", name);
	if (s->del != NULL) {
		watch_del(s->del);
		s->del = NULL;
	}
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/test_watch.XXXXXX");
	if (mkdtemp(f->dir) == NULL || (f->lp = loop_create()) == NULL)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/file", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	loop_free(f->lp);
	free(f);
	return 0;
}

static void
stop_cb(struct loop *lp, void *arg)
{
	(void)arg;
	loop_stop(lp);
}

/* Run the loop for MS milliseconds. */
static void
run_for(struct fixture *f, long ms)
{
	assert_non_null(loop_add_timer(f->lp, ms, stop_cb, NULL));
	assert_int_equal(loop_run(f->lp), 0);
}

static void
touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd != -1);
	close(fd);
}

/* A directory's events come with the entry's name, from the loop. */
static void
test_dir_names(void **state)
{
	struct fixture *f = *state;
	struct seen s = { 0 };
	struct watch *w = watch_add(f->lp, f->dir, IN_CREATE | IN_DELETE, seen_cb, &s);

	assert_non_null(w);
	touch(f->path);
	run_for(f, 50);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.mask, IN_CREATE);
	assert_string_equal(s.name, "file");
	assert_int_equal(unlink(f->path), 0);
	run_for(f, 50);
	assert_int_equal(s.calls, 2);
	assert_true(s.mask & IN_DELETE);
	watch_del(w);
}

/* Two interests on one inode: each sees only what its mask asks, and one
 * going leaves the other working. */
static void
test_shared_inode(void **state)
{
	struct fixture *f = *state;
	struct seen a = { 0 }, b = { 0 };
	struct watch *wa, *wb;
	int fd;

	touch(f->path);
	wa = watch_add(f->lp, f->path, IN_OPEN, seen_cb, &a);
	wb = watch_add(f->lp, f->path, IN_CLOSE_WRITE, seen_cb, &b);
	assert_non_null(wa);
	assert_non_null(wb);
	fd = open(f->path, O_WRONLY);
	close(fd);
	run_for(f, 50);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.mask, IN_OPEN);
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.mask, IN_CLOSE_WRITE);
	watch_del(wa);
	fd = open(f->path, O_WRONLY);
	close(fd);
	run_for(f, 50);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 2);
	watch_del(wb);
}

/* watch_same: the same inode through another name is the same; a new file
 * at the watched name is not, nor is no file; the inode's removal comes as
 * IN_IGNORED, after which the watch is gone. */
static void
test_same_and_gone(void **state)
{
	struct fixture *f = *state;
	struct seen s = { 0 };
	char other[160];
	struct watch *w;

	touch(f->path);
	w = watch_add(f->lp, f->path, IN_DELETE_SELF, seen_cb, &s);
	assert_non_null(w);
	assert_int_equal(watch_same(w, f->path), 1);
	snprintf(other, sizeof other, "%s/link", f->dir);
	assert_int_equal(link(f->path, other), 0);
	assert_int_equal(watch_same(w, other), 1);
	assert_int_equal(unlink(other), 0);
	/* Moved away and a new file made at the name: not the same. */
	assert_int_equal(rename(f->path, other), 0);
	touch(f->path);
	assert_int_equal(watch_same(w, f->path), 0);
	assert_int_equal(watch_same(w, "/nonexistent/file"), 0);
	assert_int_equal(unlink(other), 0);
	run_for(f, 50);
	assert_true(s.mask & IN_DELETE_SELF);
	assert_true(s.mask & IN_IGNORED);
	assert_true(watch_gone(w));
	assert_int_equal(watch_same(w, f->path), 0);
	watch_del(w);
}

/* watch_poll handles what is queued now, before the loop turns; a callback
 * may delete another interest (and its own) while events are dispatched. */
static void
test_poll_and_delete(void **state)
{
	struct fixture *f = *state;
	struct seen a = { 0 }, b = { 0 };
	struct watch *wa, *wb;

	wa = watch_add(f->lp, f->dir, IN_CREATE, seen_cb, &a);
	wb = watch_add(f->lp, f->dir, IN_CREATE, seen_cb, &b);
	assert_non_null(wa);
	assert_non_null(wb);
	/* Whichever runs first deletes the other: it is never called. */
	a.del = wb;
	b.del = wa;
	touch(f->path);
	watch_poll();
	assert_int_equal(a.calls + b.calls, 1);
	/* The survivor still works; the loop has nothing left to deliver. */
	assert_int_equal(unlink(f->path), 0);
	touch(f->path);
	watch_poll();
	assert_int_equal(a.calls + b.calls, 2);
	run_for(f, 50);
	assert_int_equal(a.calls + b.calls, 2);
	watch_del(a.calls == 2 ? wa : wb);
}

/* Interests that name entries (watch_names) get only those entries'
 * events; two may name the same entry; one that names none gets them all;
 * and IN_IGNORED (the directory went) reaches every one. */
static void
test_named_interests(void **state)
{
	struct fixture *f = *state;
	struct seen a = { 0 }, b = { 0 }, c = { 0 }, all = { 0 };
	const char *na[] = { "a", "" }, *nb[] = { "b" }, *nc[] = { "a" };
	uint32_t mask = IN_CREATE | IN_DELETE;
	struct watch *wa = watch_add(f->lp, f->dir, mask, seen_cb, &a);
	struct watch *wb = watch_add(f->lp, f->dir, mask, seen_cb, &b);
	struct watch *wc = watch_add(f->lp, f->dir, mask, seen_cb, &c);
	struct watch *wall = watch_add(f->lp, f->dir, mask, seen_cb, &all);
	char pa[160], pb[160], px[160];

	assert_non_null(wa);
	assert_non_null(wb);
	assert_non_null(wc);
	assert_non_null(wall);
	assert_int_equal(watch_names(wa, na, 2), 0);	/* "" is skipped */
	assert_int_equal(watch_names(wb, nb, 1), 0);
	assert_int_equal(watch_names(wc, nc, 1), 0);
	snprintf(pa, sizeof pa, "%s/a", f->dir);
	snprintf(pb, sizeof pb, "%s/b", f->dir);
	snprintf(px, sizeof px, "%s/x", f->dir);
	touch(px);
	touch(pa);
	touch(pb);
	run_for(f, 50);
	assert_int_equal(a.calls, 1);
	assert_string_equal(a.name, "a");
	assert_int_equal(c.calls, 1);
	assert_string_equal(c.name, "a");
	assert_int_equal(b.calls, 1);
	assert_string_equal(b.name, "b");
	assert_int_equal(all.calls, 3);

	/* The first to name "a" goes: the other still hears it. */
	watch_del(wa);
	assert_int_equal(unlink(pa), 0);
	run_for(f, 50);
	assert_int_equal(c.calls, 2);
	assert_int_equal(a.calls, 1);

	/* Naming nothing again: every event. */
	assert_int_equal(watch_names(wb, NULL, 0), 0);
	assert_int_equal(unlink(px), 0);
	run_for(f, 50);
	assert_int_equal(b.calls, 2);
	assert_string_equal(b.name, "x");
	assert_int_equal(c.calls, 2);

	/* The directory goes: everyone is told. */
	assert_int_equal(unlink(pb), 0);
	assert_int_equal(rmdir(f->dir), 0);
	run_for(f, 50);
	assert_true(c.mask & IN_IGNORED);
	assert_true(b.mask & IN_IGNORED);
	assert_true(all.mask & IN_IGNORED);
	watch_del(wb);
	watch_del(wc);
	watch_del(wall);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dir_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_inode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_and_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_interests, setup, teardown),
	};

	return cmocka_run_group_tests_name("watch", tests, NULL, NULL);
}
