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
 * Cost: interests are grouped by descriptor (a hash), and an interest in a
 * directory may name the entries it cares about (watch_names): an event is
 * handed only to the interests of its descriptor that want its name. Every
 * captured console watches the one lock directory; without the names, each
 * lock file any session made would call all 10,000 of them (seen: 11 s to
 * start 10,000 pty: consoles, 87 opens a second).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/watch.h"

struct watch_group;

/* One name an interest wants, in its group's table of names. */
struct watch_name {
	struct watch		*w;
	struct watch_name	*next;	/* the other interests in this name */
	char			 name[];
};

struct watch {
	struct watch_group	*g;		/* NULL once the inode is gone */
	uint32_t		 mask;
	watch_fn		*fn;
	void			*arg;
	int			 dead;		/* deleted during a dispatch */
	struct watch		*next_dead;	/* freed after the dispatch */
	int			 named;		/* only the entries in names */
	struct watch_name	*names[WATCH_NAMES_MAX];
	struct watch		*gprev, *gnext;	/* in its group */
	struct watch		*pprev, *pnext;	/* in its group's plain list */
	struct watch		*prev, *next;	/* every interest */
};

/* The interests of one watch descriptor. */
struct watch_group {
	int			 wd;
	struct watch		*list;		/* all of them */
	struct watch		*plain;		/* those that name no entries */
	struct hash		*names;		/* name -> struct watch_name chain */
};

static void
watch_plain_add(struct watch *w)
{
	w->pprev = NULL;
	w->pnext = w->g->plain;
	if (w->g->plain != NULL)
		w->g->plain->pprev = w;
	w->g->plain = w;
}

static void
watch_plain_del(struct watch *w)
{
	if (w->pprev != NULL)
		w->pprev->pnext = w->pnext;
	else
		w->g->plain = w->pnext;
	if (w->pnext != NULL)
		w->pnext->pprev = w->pprev;
	w->pprev = w->pnext = NULL;
}

static struct {
	struct loop	*lp;
	int		 fd;
	struct hash	*groups;	/* wd -> struct watch_group */
	struct watch	*list;		/* every interest, dead ones too */
	int		 dispatching;
	struct watch	*dead;		/* deleted during the dispatch */
} watch_set = { .fd = -1 };

static void watch_event(struct loop *lp, int fd, int events, void *arg);

static int
watch_open(struct loop *lp)
{
	if (watch_set.fd != -1)
		return 0;
	if ((watch_set.groups = hash_new()) == NULL)
		return -1;
	watch_set.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (watch_set.fd == -1 ||
	    loop_add_fd(lp, watch_set.fd, LOOP_READ, watch_event, NULL) == -1) {
		int saverr = errno;

		if (watch_set.fd != -1)
			close(watch_set.fd);
		watch_set.fd = -1;
		hash_free(watch_set.groups);
		watch_set.groups = NULL;
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
	hash_free(watch_set.groups);
	watch_set.groups = NULL;
}

/* Take W's names out of its group's table. */
static void
watch_unname(struct watch *w)
{
	for (int i = 0; i < WATCH_NAMES_MAX; i++) {
		struct watch_name *n = w->names[i], **np;

		if (n == NULL)
			continue;
		w->names[i] = NULL;
		if (w->g != NULL) {
			struct watch_name *head = hash_get(w->g->names, n->name);

			for (np = &head; *np != NULL && *np != n; np = &(*np)->next)
				;
			if (*np == n)
				*np = n->next;
			/* The chain's head may have changed; the key is the
			 * head's own copy of the name. */
			hash_del(w->g->names, n->name);
			if (head != NULL && hash_put(w->g->names, head->name, head) == -1)
				log_error("%s: out of memory: events for %s are lost", __func__,
				    head->name);
		}
		free(n);
	}
	if (w->named && w->g != NULL)
		watch_plain_add(w);
	w->named = 0;
}

/* Take W out of its group; the group goes with its last interest. */
static void
watch_ungroup(struct watch *w)
{
	struct watch_group *g = w->g;

	if (g == NULL)
		return;
	watch_unname(w);
	watch_plain_del(w);
	if (w->gprev != NULL)
		w->gprev->gnext = w->gnext;
	else
		g->list = w->gnext;
	if (w->gnext != NULL)
		w->gnext->gprev = w->gprev;
	w->gprev = w->gnext = NULL;
	w->g = NULL;
	if (g->list == NULL) {
		/* EINVAL when the inode went first (IN_IGNORED): nothing to do. */
		inotify_rm_watch(watch_set.fd, g->wd);
		hash_del_id(watch_set.groups, (uint64_t)g->wd);
		hash_free(g->names);
		free(g);
	}
}

/* Watch PATH for MASK, calling FN with ARG. */
struct watch *
watch_add(struct loop *lp, const char *path, uint32_t mask, watch_fn *fn, void *arg)
{
	struct watch_group *g = NULL;
	struct watch *w;
	int saverr, wd;

	if (watch_set.fd != -1 && watch_set.lp != lp) {
		/* One loop per process; a second one is a broken invariant. */
		errno = EINVAL;
		return NULL;
	}
	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	if (watch_open(lp) == -1)
		goto fail;
	if ((wd = inotify_add_watch(watch_set.fd, path, mask | IN_MASK_ADD)) == -1)
		goto fail;
	if ((g = hash_get_id(watch_set.groups, (uint64_t)wd)) == NULL) {
		if ((g = calloc(1, sizeof *g)) == NULL || (g->names = hash_new()) == NULL ||
		    hash_put_id(watch_set.groups, (uint64_t)wd, g) == -1) {
			if (g != NULL)
				hash_free(g->names);
			free(g);
			errno = ENOMEM;
			goto fail;
		}
		g->wd = wd;
	}
	w->g = g;
	w->mask = mask;
	w->fn = fn;
	w->arg = arg;
	w->gnext = g->list;
	if (g->list != NULL)
		g->list->gprev = w;
	g->list = w;
	watch_plain_add(w);
	w->next = watch_set.list;
	if (watch_set.list != NULL)
		watch_set.list->prev = w;
	watch_set.list = w;
	return w;
fail:
	saverr = errno;
	free(w);
	watch_close_if_unused();
	errno = saverr;
	return NULL;
}

/* Hand W only the events of the directory entries NAMES (N of them, at
 * most WATCH_NAMES_MAX; empty strings are skipped), or every event again
 * with N 0. 0, or -1 ENOMEM (W then gets every event). */
int
watch_names(struct watch *w, const char *const *names, int n)
{
	if (w == NULL || w->dead)
		return 0;
	watch_unname(w);
	if (w->g == NULL || n == 0)
		return 0;
	for (int i = 0; i < n && i < WATCH_NAMES_MAX; i++) {
		size_t len = strlen(names[i]);
		struct watch_name *e;

		if (len == 0)
			continue;
		if ((e = malloc(sizeof *e + len + 1)) == NULL)
			goto nomem;
		memcpy(e->name, names[i], len + 1);
		e->w = w;
		e->next = hash_get(w->g->names, e->name);
		/* The new head's copy is the key from now on. */
		if (e->next != NULL)
			hash_del(w->g->names, e->name);
		if (hash_put(w->g->names, e->name, e) == -1) {
			if (e->next != NULL)
				hash_put(w->g->names, e->next->name, e->next);
			free(e);
			goto nomem;
		}
		w->names[i] = e;
	}
	watch_plain_del(w);
	w->named = 1;
	return 0;
nomem:
	watch_unname(w);
	errno = ENOMEM;
	return -1;
}

/* Free W, taken out of every list. */
static void
watch_free(struct watch *w)
{
	watch_ungroup(w);
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		watch_set.list = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	free(w);
}

/* Stop an interest (NULL is ok). Safe inside any callback. */
void
watch_del(struct watch *w)
{
	if (w == NULL || w->dead)
		return;
	if (watch_set.dispatching) {
		/* Freed after the dispatch: a chain may be being walked. */
		w->dead = 1;
		w->next_dead = watch_set.dead;
		watch_set.dead = w;
		return;
	}
	watch_free(w);
	watch_close_if_unused();
}

/* Whether PATH leads to the inode W watches: 1, 0, or -1 with errno. */
int
watch_same(struct watch *w, const char *path)
{
	int wd;

	if (w->g == NULL || w->dead)
		return 0;
	wd = inotify_add_watch(watch_set.fd, path, w->mask | IN_MASK_ADD);
	if (wd == -1)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	if (wd == w->g->wd)
		return 1;
	/* Another inode: drop the watch we just made, unless it is someone
	 * else's (another console bound to the new file). */
	if (hash_get_id(watch_set.groups, (uint64_t)wd) == NULL)
		inotify_rm_watch(watch_set.fd, wd);
	return 0;
}

/* Whether W's inode has gone. */
int
watch_gone(const struct watch *w)
{
	return w->g == NULL;
}

static void
watch_call(struct watch *w, uint32_t m, const char *name)
{
	if (!w->dead)
		w->fn(w->arg, m, name);
}

static void
watch_dispatch(const struct inotify_event *e)
{
	const char *name = e->len > 0 ? e->name : NULL;
	struct watch_group *g;
	struct watch *w;

	if (e->mask & IN_Q_OVERFLOW) {
		/* Events were lost: everyone looks again. */
		for (w = watch_set.list; w != NULL; w = w->next)
			watch_call(w, IN_Q_OVERFLOW, NULL);
		return;
	}
	if ((g = hash_get_id(watch_set.groups, (uint64_t)e->wd)) == NULL)
		return;
	if (e->mask & IN_IGNORED) {
		/* The inode is gone: every interest in it hears so, once (the
		 * group goes with the last; callbacks only mark deletions). */
		struct watch *next;

		for (w = g->list; w != NULL; w = next) {
			next = w->gnext;
			watch_ungroup(w);
			watch_call(w, IN_IGNORED, NULL);
		}
		return;
	}
	for (w = g->plain; w != NULL; w = w->pnext)
		if ((e->mask & w->mask) != 0)
			watch_call(w, e->mask & w->mask, name);
	if (name != NULL) {
		/* Collect first: a callback may change the names (watch_names)
		 * of the chain being walked; watches themselves stay until the
		 * dispatch is over. */
		struct watch *hit[16];
		int k = 0;

		for (struct watch_name *n = hash_get(g->names, name); n != NULL; n = n->next)
			if ((e->mask & n->w->mask) != 0 && k < 16)
				hit[k++] = n->w;
		for (int i = 0; i < k; i++)
			watch_call(hit[i], e->mask & hit[i]->mask, name);
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
	while (watch_set.dead != NULL) {
		struct watch *w = watch_set.dead;

		watch_set.dead = w->next_dead;
		watch_free(w);
	}
	watch_close_if_unused();
}

static void
watch_event(struct loop *lp, int fd, int events, void *arg)
{
	(void)lp, (void)fd, (void)events, (void)arg;
	watch_poll();
}
