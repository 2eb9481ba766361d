/*
 * watch.c — one inotify instance on the event loop, shared by every
 * interest: created with the first watch_add and closed with the last
 * watch_del. Not for what the events mean (backend.c, backend_tty.c).
 *
 * inotify gives one watch descriptor per inode, whatever path led there, and
 * inotify_add_watch on an inode already watched returns the same
 * descriptor: several interests (two consoles on one lock directory) share
 * it, and the mask given is always OR'ed in (IN_MASK_ADD), so one interest
 * never narrows another's; each interest filters by its own mask. The same
 * property answers watch_same: adding a watch for a path gives back our
 * descriptor exactly when the path still leads to our inode. devpts gives a
 * new pseudo-terminal a new inode even when it reuses a number (seen on
 * 6.x: the old node reports IN_DELETE_SELF, then IN_IGNORED, when the
 * master closes), so this tells "the same pty" from "a pty with the same
 * name" exactly, for the price of one watch.
 *
 * Interests are found by walking a list: events are rare (a lock file
 * appearing, a device opened), and the list is as long as the number of
 * device-path consoles.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/watch.h"

struct watch {
	int		 wd;		/* -1 once the inode is gone */
	uint32_t	 mask;
	watch_fn	*fn;
	void		*arg;
	int		 dead;		/* deleted during a dispatch */
	struct watch	*next;
};

static struct {
	struct loop	*lp;
	int		 fd;
	struct watch	*list;
	int		 dispatching;
	int		 ndead;
} watch_set = { .fd = -1 };

static void watch_event(struct loop *lp, int fd, int events, void *arg);

static int
watch_open(struct loop *lp)
{
	if (watch_set.fd != -1)
		return 0;
	watch_set.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (watch_set.fd == -1)
		return -1;
	if (loop_add_fd(lp, watch_set.fd, LOOP_READ, watch_event, NULL) == -1) {
		int saverr = errno;

		close(watch_set.fd);
		watch_set.fd = -1;
		errno = saverr;
		return -1;
	}
	watch_set.lp = lp;
	return 0;
}

static void
watch_close_if_unused(void)
{
	if (watch_set.list != NULL || watch_set.fd == -1 || watch_set.dispatching)
		return;
	loop_del_fd(watch_set.lp, watch_set.fd);
	close(watch_set.fd);
	watch_set.fd = -1;
	watch_set.lp = NULL;
}

static int
watch_wd_used(int wd, const struct watch *except)
{
	for (struct watch *w = watch_set.list; w != NULL; w = w->next)
		if (w != except && !w->dead && w->wd == wd)
			return 1;
	return 0;
}

/* Watch PATH for MASK, calling FN with ARG. */
struct watch *
watch_add(struct loop *lp, const char *path, uint32_t mask, watch_fn *fn, void *arg)
{
	struct watch *w;
	int saverr;

	if (watch_set.fd != -1 && watch_set.lp != lp) {
		/* One loop per process; a second one is a broken invariant. */
		errno = EINVAL;
		return NULL;
	}
	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	if (watch_open(lp) == -1)
		goto fail;
	w->wd = inotify_add_watch(watch_set.fd, path, mask | IN_MASK_ADD);
	if (w->wd == -1)
		goto fail;
	w->mask = mask;
	w->fn = fn;
	w->arg = arg;
	w->next = watch_set.list;
	watch_set.list = w;
	return w;
fail:
	saverr = errno;
	free(w);
	watch_close_if_unused();
	errno = saverr;
	return NULL;
}

static void
watch_unlink(struct watch *w)
{
	struct watch **wp;

	for (wp = &watch_set.list; *wp != NULL && *wp != w; wp = &(*wp)->next)
		;
	if (*wp == w)
		*wp = w->next;
	free(w);
}

/* Stop an interest (NULL is ok). Safe inside any callback. */
void
watch_del(struct watch *w)
{
	if (w == NULL || w->dead)
		return;
	if (w->wd != -1 && !watch_wd_used(w->wd, w))
		inotify_rm_watch(watch_set.fd, w->wd);
	if (watch_set.dispatching) {
		w->dead = 1;
		w->wd = -1;
		watch_set.ndead++;
		return;
	}
	watch_unlink(w);
	watch_close_if_unused();
}

/* Whether PATH leads to the inode W watches: 1, 0, or -1 with errno. */
int
watch_same(struct watch *w, const char *path)
{
	int wd;

	if (w->wd == -1 || w->dead)
		return 0;
	wd = inotify_add_watch(watch_set.fd, path, w->mask | IN_MASK_ADD);
	if (wd == -1)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	if (wd == w->wd)
		return 1;
	/* Another inode: drop the watch we just made, unless it is someone
	 * else's (another console bound to the new file). */
	if (!watch_wd_used(wd, NULL))
		inotify_rm_watch(watch_set.fd, wd);
	return 0;
}

/* Whether W's inode has gone. */
int
watch_gone(const struct watch *w)
{
	return w->wd == -1;
}

static void
watch_dispatch(const struct inotify_event *e)
{
	struct watch *w;

	for (w = watch_set.list; w != NULL; w = w->next) {
		uint32_t m;

		if (w->dead)
			continue;
		if (e->mask & IN_Q_OVERFLOW)
			m = IN_Q_OVERFLOW;
		else if (w->wd != e->wd)
			continue;
		else if (e->mask & IN_IGNORED) {
			w->wd = -1;
			m = IN_IGNORED;
		} else if ((m = e->mask & w->mask) == 0)
			continue;
		w->fn(w->arg, m, e->len > 0 ? e->name : NULL);
	}
}

/* Handle every event queued so far. */
void
watch_poll(void)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	if (watch_set.fd == -1 || watch_set.dispatching)
		return;
	watch_set.dispatching = 1;
	while ((n = read(watch_set.fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			if (e->mask & IN_Q_OVERFLOW)
				log_warn("%s: inotify queue overflow: looking at every watch again",
				    __func__);
			watch_dispatch(e);
			p += sizeof *e + e->len;
		}
	}
	if (n == -1 && errno != EAGAIN && errno != EINTR)
		log_error("%s: reading inotify events: %s", __func__, strerror(errno));
	watch_set.dispatching = 0;
	if (watch_set.ndead > 0) {
		struct watch **wp = &watch_set.list, *w;

		while ((w = *wp) != NULL) {
			if (w->dead) {
				*wp = w->next;
				free(w);
			} else
				wp = &w->next;
		}
		watch_set.ndead = 0;
	}
	watch_close_if_unused();
}

static void
watch_event(struct loop *lp, int fd, int events, void *arg)
{
	(void)lp, (void)fd, (void)events, (void)arg;
	watch_poll();
}
