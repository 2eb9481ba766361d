/*
 * libvirt_loop.c — libvirt's event loop implementation on core/loop, so
 * libvirt runs on the daemon's one thread: virEventRegisterImpl's six
 * calls (add/update/remove a handle, add/update/remove a timeout) become
 * loop_add_fd/loop_del_fd and loop_add_timer/loop_del_timer. No threads;
 * every call comes from the loop's thread (libvirt's client library makes
 * them from inside our own API calls and callbacks).
 *
 * libvirt's rules, from libvirt-event.h and its default implementation:
 *  - the same fd may be registered by several handles with different
 *    events, so the loop's one watch per fd carries the union of their
 *    events and dispatches to each;
 *  - error and hang-up are reported whatever the events asked (poll(2)
 *    semantics);
 *  - a timeout of -1 is off, 0 fires on every iteration, N every N ms
 *    (periodic), and an update restarts the period;
 *  - a free callback must never run inside the remove call (libvirt holds
 *    its own locks there and would deadlock): removed handles and timeouts
 *    are only marked, and their free callbacks run from a 0 ms loop timer,
 *    on a clean stack. A removed handle is never called again, not even
 *    for an event already fetched in the same dispatch.
 * Handles and timeouts live in slot tables; an id is its slot plus a
 * generation, so a stale id never reaches a slot that was reused.
 */
#include <errno.h>
#include <libvirt/libvirt.h>
#include <stdlib.h>
#include <string.h>

#include "core/libvirt_loop.h"
#include "core/log.h"
#include "core/loop.h"

#define LVL_SLOT_BITS	16
#define LVL_SLOT_MASK	((1 << LVL_SLOT_BITS) - 1)
#define LVL_GEN_MASK	((1 << 14) - 1)

struct lvl_handle {
	int			 id;
	int			 fd;
	int			 events;	/* VIR_EVENT_HANDLE_* asked for */
	int			 dead;
	virEventHandleCallback	 cb;
	void			*opaque;
	virFreeCallback		 ff;
	struct lvl_handle	*fd_next;	/* the other handles of fd */
	struct lvl_handle	*free_next;
};

struct lvl_timeout {
	int			 id;
	int			 ms;		/* -1 off, 0 every iteration, N period */
	int			 dead;
	struct loop_timer	*t;
	virEventTimeoutCallback	 cb;
	void			*opaque;
	virFreeCallback		 ff;
	struct lvl_timeout	*free_next;
};

/* A table of slots; an id is slot + 1 + (generation << LVL_SLOT_BITS). */
struct lvl_slots {
	void		**ptr;
	unsigned short	 *gen;
	int		  n;
	int		  used;
};

static struct {
	struct loop		*lp;
	struct lvl_slots	 handles;
	struct lvl_slots	 timeouts;
	struct lvl_handle      **byfd;		/* handles per fd */
	int			 nbyfd;
	struct lvl_handle	*free_handles;	/* removed, free callback pending */
	struct lvl_timeout	*free_timeouts;
	struct loop_timer	*free_timer;
} lvl;

static int
lvl_slot_take(struct lvl_slots *s, void *p)
{
	int i;

	for (i = 0; i < s->n && s->ptr[i] != NULL; i++)
		;
	if (i == s->n) {
		int n = s->n ? s->n * 2 : 16;
		void **np;
		unsigned short *ng;

		if (n > LVL_SLOT_MASK)
			return -1;
		if ((np = realloc(s->ptr, n * sizeof *np)) == NULL)
			return -1;
		s->ptr = np;
		if ((ng = realloc(s->gen, n * sizeof *ng)) == NULL)
			return -1;
		s->gen = ng;
		memset(s->ptr + s->n, 0, (n - s->n) * sizeof *np);
		memset(s->gen + s->n, 0, (n - s->n) * sizeof *ng);
		s->n = n;
	}
	s->ptr[i] = p;
	s->used++;
	return (i + 1) | ((s->gen[i] & LVL_GEN_MASK) << LVL_SLOT_BITS);
}

static void *
lvl_slot_get(const struct lvl_slots *s, int id)
{
	int i = (id & LVL_SLOT_MASK) - 1;

	if (id <= 0 || i < 0 || i >= s->n ||
	    (s->gen[i] & LVL_GEN_MASK) != ((id >> LVL_SLOT_BITS) & LVL_GEN_MASK))
		return NULL;
	return s->ptr[i];
}

static void
lvl_slot_release(struct lvl_slots *s, int id)
{
	int i = (id & LVL_SLOT_MASK) - 1;

	s->ptr[i] = NULL;
	s->gen[i]++;
	s->used--;
}

/* ---- deferred free callbacks ---- */

static void
lvl_free_pass(struct loop *lp, void *arg)
{
	(void)lp, (void)arg;
	lvl.free_timer = NULL;
	libvirt_loop_drain();
}

static void
lvl_schedule_free(void)
{
	if (lvl.free_timer == NULL && lvl.lp != NULL)
		lvl.free_timer = loop_add_timer(lvl.lp, 0, lvl_free_pass, NULL);
	if (lvl.free_timer == NULL)
		log_error("%s: cannot add a timer: %s", __func__, strerror(errno));
}

/* Run pending free callbacks now (a free callback may remove more). */
void
libvirt_loop_drain(void)
{
	struct lvl_handle *h;
	struct lvl_timeout *to;

	while (lvl.free_handles != NULL || lvl.free_timeouts != NULL) {
		while ((h = lvl.free_handles) != NULL) {
			lvl.free_handles = h->free_next;
			if (h->ff != NULL)
				h->ff(h->opaque);
			lvl_slot_release(&lvl.handles, h->id);
			free(h);
		}
		while ((to = lvl.free_timeouts) != NULL) {
			lvl.free_timeouts = to->free_next;
			if (to->ff != NULL)
				to->ff(to->opaque);
			lvl_slot_release(&lvl.timeouts, to->id);
			free(to);
		}
	}
	if (lvl.free_timer != NULL && lvl.lp != NULL) {
		loop_del_timer(lvl.lp, lvl.free_timer);
		lvl.free_timer = NULL;
	}
}

/* ---- handles ---- */

static void lvl_fd_event(struct loop *lp, int fd, int events, void *arg);

/* Watch FD on the loop for the union of its live handles' events. */
static int
lvl_fd_update(int fd)
{
	struct lvl_handle *h;
	int mask = 0, any = 0;

	for (h = lvl.byfd[fd]; h != NULL; h = h->fd_next) {
		if (h->dead)
			continue;
		any = 1;
		if (h->events & VIR_EVENT_HANDLE_READABLE)
			mask |= LOOP_READ;
		if (h->events & VIR_EVENT_HANDLE_WRITABLE)
			mask |= LOOP_WRITE;
	}
	if (!any) {
		loop_del_fd(lvl.lp, fd);
		return 0;
	}
	return loop_add_fd(lvl.lp, fd, mask, lvl_fd_event, NULL);
}

static void
lvl_fd_event(struct loop *lp, int fd, int events, void *arg)
{
	struct lvl_handle *h, *next;
	int rev = 0;

	(void)lp, (void)arg;
	if (events & LOOP_READ)
		rev |= VIR_EVENT_HANDLE_READABLE;
	if (events & LOOP_WRITE)
		rev |= VIR_EVENT_HANDLE_WRITABLE;
	if (events & LOOP_ERROR)
		rev |= VIR_EVENT_HANDLE_ERROR;
	if (events & LOOP_HUP)
		rev |= VIR_EVENT_HANDLE_HANGUP;
	if (fd >= lvl.nbyfd)
		return;
	/* A callback may remove handles (they stay in memory, marked, until
	 * the free pass) or add new ones (at the head: not called now). */
	for (h = lvl.byfd[fd]; h != NULL; h = next) {
		int ev;

		next = h->fd_next;
		if (h->dead)
			continue;
		ev = rev & (h->events | VIR_EVENT_HANDLE_ERROR | VIR_EVENT_HANDLE_HANGUP);
		if (ev != 0)
			h->cb(h->id, fd, ev, h->opaque);
	}
}

static int
lvl_add_handle(int fd, int events, virEventHandleCallback cb, void *opaque,
    virFreeCallback ff)
{
	struct lvl_handle *h;

	if (fd < 0 || lvl.lp == NULL)
		return -1;
	if (fd >= lvl.nbyfd) {
		int n = fd + 64;
		struct lvl_handle **nb = realloc(lvl.byfd, n * sizeof *nb);

		if (nb == NULL)
			return -1;
		memset(nb + lvl.nbyfd, 0, (n - lvl.nbyfd) * sizeof *nb);
		lvl.byfd = nb;
		lvl.nbyfd = n;
	}
	if ((h = calloc(1, sizeof *h)) == NULL)
		return -1;
	if ((h->id = lvl_slot_take(&lvl.handles, h)) == -1) {
		free(h);
		return -1;
	}
	h->fd = fd;
	h->events = events;
	h->cb = cb;
	h->opaque = opaque;
	h->ff = ff;
	h->fd_next = lvl.byfd[fd];
	lvl.byfd[fd] = h;
	if (lvl_fd_update(fd) == -1) {
		log_error("%s: cannot watch fd %d: %s", __func__, fd, strerror(errno));
		lvl.byfd[fd] = h->fd_next;
		lvl_slot_release(&lvl.handles, h->id);
		free(h);
		return -1;
	}
	return h->id;
}

static void
lvl_update_handle(int id, int events)
{
	struct lvl_handle *h = lvl_slot_get(&lvl.handles, id);

	if (h == NULL || h->dead)
		return;
	h->events = events;
	if (lvl_fd_update(h->fd) == -1)
		log_error("%s: cannot watch fd %d: %s", __func__, h->fd, strerror(errno));
}

static int
lvl_remove_handle(int id)
{
	struct lvl_handle *h = lvl_slot_get(&lvl.handles, id), **hp;

	if (h == NULL || h->dead)
		return -1;
	h->dead = 1;
	/* Out of the fd's list now (libvirt closes the fd next, and the number
	 * may come back at once); a dispatch walking the list from here still
	 * finds its way, since nothing is freed before the free pass. */
	for (hp = &lvl.byfd[h->fd]; *hp != NULL; hp = &(*hp)->fd_next)
		if (*hp == h) {
			*hp = h->fd_next;
			break;
		}
	lvl_fd_update(h->fd);
	h->free_next = lvl.free_handles;
	lvl.free_handles = h;
	lvl_schedule_free();
	return 0;
}

/* ---- timeouts ---- */

static void lvl_timer_fire(struct loop *lp, void *arg);

static void
lvl_timeout_arm(struct lvl_timeout *to)
{
	if (to->t != NULL) {
		loop_del_timer(lvl.lp, to->t);
		to->t = NULL;
	}
	if (to->ms < 0)
		return;
	if ((to->t = loop_add_timer(lvl.lp, to->ms, lvl_timer_fire, to)) == NULL)
		log_error("%s: cannot add a timer: %s", __func__, strerror(errno));
}

static void
lvl_timer_fire(struct loop *lp, void *arg)
{
	struct lvl_timeout *to = arg;

	(void)lp;
	to->t = NULL;
	/* Periodic: armed again before the callback, which may change or
	 * remove it. A 0 ms timeout comes back on the next iteration, after
	 * the fds were polled (core/loop.c). */
	lvl_timeout_arm(to);
	to->cb(to->id, to->opaque);
}

static int
lvl_add_timeout(int ms, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff)
{
	struct lvl_timeout *to;

	if (lvl.lp == NULL || (to = calloc(1, sizeof *to)) == NULL)
		return -1;
	if ((to->id = lvl_slot_take(&lvl.timeouts, to)) == -1) {
		free(to);
		return -1;
	}
	to->ms = ms < 0 ? -1 : ms;
	to->cb = cb;
	to->opaque = opaque;
	to->ff = ff;
	lvl_timeout_arm(to);
	return to->id;
}

static void
lvl_update_timeout(int id, int ms)
{
	struct lvl_timeout *to = lvl_slot_get(&lvl.timeouts, id);

	if (to == NULL || to->dead)
		return;
	to->ms = ms < 0 ? -1 : ms;
	lvl_timeout_arm(to);
}

static int
lvl_remove_timeout(int id)
{
	struct lvl_timeout *to = lvl_slot_get(&lvl.timeouts, id);

	if (to == NULL || to->dead)
		return -1;
	to->dead = 1;
	to->ms = -1;
	lvl_timeout_arm(to);
	to->free_next = lvl.free_timeouts;
	lvl.free_timeouts = to;
	lvl_schedule_free();
	return 0;
}

/* Register LP as libvirt's event loop; once, before any connection. */
int
libvirt_loop_register(struct loop *lp)
{
	if (lvl.lp != NULL) {
		errno = EBUSY;
		return -1;
	}
	lvl.lp = lp;
	virEventRegisterImpl(lvl_add_handle, lvl_update_handle, lvl_remove_handle,
	    lvl_add_timeout, lvl_update_timeout, lvl_remove_timeout);
	return 0;
}

/* In a forked child: a loop of its own, the parent's entries forgotten
 * (never freed nor touched: they belong to the parent's copy). */
int
libvirt_loop_forked(void)
{
	struct loop *lp = loop_create();

	if (lp == NULL)
		return -1;
	memset(&lvl, 0, sizeof lvl);
	lvl.lp = lp;
	return 0;
}

/* The registered loop, or NULL. */
struct loop *
libvirt_loop_get(void)
{
	return lvl.lp;
}

/* Live handles and timeouts. */
int
libvirt_loop_nhandles(void)
{
	int n = lvl.handles.used;

	for (struct lvl_handle *h = lvl.free_handles; h != NULL; h = h->free_next)
		n--;
	return n;
}

int
libvirt_loop_ntimeouts(void)
{
	int n = lvl.timeouts.used;

	for (struct lvl_timeout *to = lvl.free_timeouts; to != NULL; to = to->free_next)
		n--;
	return n;
}
