/*
 * fs_spy.c — DEV.spy: a read-only live stream of what the console prints,
 * for any number of watchers. A spy never takes the console's session or
 * lock, is never refused with EBUSY, and never slows the session or the
 * guest: it is a position in a ring shared by the device's spies
 * (core/spy.c), filled by a console observer whether or not a session
 * holds the console. The ring is made when the first spy of a device opens
 * and freed when the last one closes. Not for the console's own stream
 * (fs_console.c) nor for the scrollback snapshot (fs_log.c).
 *
 * A spy reads end of file when its device is removed or the daemon stops;
 * an exec: program that ends (and maybe starts again) does not end it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "core/console.h"
#include "core/hash.h"
#include "core/opts.h"
#include "core/registry.h"
#include "core/spy.h"
#include "fs/fs_impl.h"

/* The spies of one device. */
struct fs_spy_hub {
	struct fs		*fs;
	uint64_t		 id;
	struct console		*con;		/* NULL once the device is gone */
	struct spy_hub		*ring;
	struct console_observer	 obs;
	struct fs_spy		*spies;
	int			 ended;
};

/* One open DEV.spy. */
struct fs_spy {
	struct fs_handle	*h;
	struct fs_spy_hub	*hub;
	struct spy		*spy;
	struct fs_spy		*next, *prev;
};

/* The mode of device V's .spy: spy_mode when set, else the read bits of
 * the device's mode. */
static mode_t
fs_spy_mode(const struct registry_device *v)
{
	const struct opts *o = registry_device_opts(v);

	if (o != NULL && o->spy_mode_set)
		return o->spy_mode & 0444;
	return registry_device_perm(v)->mode & 0444;
}

static void
fs_spy_stat(struct fs *fs, const struct fs_ent *e, struct stat *st, double *timeout)
{
	fs_stat_device(fs, e, st);
	st->st_mode = S_IFREG | fs_spy_mode(e->v);
	st->st_size = 0;
	*timeout = 1.0;
}

/* Answer what H's waiting reads can have now; tell a poller. */
static void
fs_spy_progress(struct fs_spy *s)
{
	struct fs_handle *h = s->h;
	struct fs *fs = h->fs;
	struct fs_pending *p;

	while ((p = h->reads) != NULL) {
		size_t n = spy_read(s->spy, fs->rbuf, p->size);

		if (n == 0 && !s->hub->ended)
			break;
		h->reads = p->next;
		fuse_reply_buf(p->req, fs->rbuf, n);
		fs_pending_free(p);
	}
	fs_notify_poll(h);
}

static void
fs_spy_wake_all(struct fs_spy_hub *hub)
{
	struct fs_spy *s, *next;

	for (s = hub->spies; s != NULL; s = next) {
		next = s->next;
		if (s->h->reads != NULL || s->h->ph != NULL)
			fs_spy_progress(s);
	}
}

static void
fs_spy_output(void *arg, const char *buf, size_t len)
{
	struct fs_spy_hub *hub = arg;

	spy_hub_put(hub->ring, buf, len);
	fs_spy_wake_all(hub);
}

/* The device is gone or the daemon stops: spies read what is left, then
 * end of file. */
static void
fs_spy_end(struct fs_spy_hub *hub)
{
	if (hub->ended)
		return;
	hub->ended = 1;
	if (hub->con != NULL)
		console_unobserve(hub->con, &hub->obs);
	hub->con = NULL;
	fs_spy_wake_all(hub);
}

static struct fs_spy_hub *
fs_spy_hub(struct fs *fs, struct registry_device *v)
{
	uint64_t id = registry_device_id(v);
	struct fs_spy_hub *hub = hash_get_id(fs->spies, id);

	if (hub != NULL)
		return hub;
	if ((hub = calloc(1, sizeof *hub)) == NULL)
		return NULL;
	if ((hub->ring = spy_hub_new(SPY_RING_SIZE)) == NULL ||
	    hash_put_id(fs->spies, id, hub) == -1) {
		spy_hub_free(hub->ring);
		free(hub);
		return NULL;
	}
	hub->fs = fs;
	hub->id = id;
	hub->con = registry_device_console(v);
	hub->obs.output = fs_spy_output;
	hub->obs.arg = hub;
	console_observe(hub->con, &hub->obs);
	return hub;
}

static void
fs_spy_hub_free(struct fs_spy_hub *hub)
{
	if (hub->con != NULL)
		console_unobserve(hub->con, &hub->obs);
	if (hash_get_id(hub->fs->spies, hub->id) == hub)
		hash_del_id(hub->fs->spies, hub->id);
	spy_hub_free(hub->ring);
	free(hub);
}

static void
fs_spy_open(struct fs *fs, fuse_req_t req, const struct fs_ent *e, struct fuse_file_info *fi)
{
	const struct registry_perm *perm = registry_device_perm(e->v);
	struct fs_spy_hub *hub;
	struct fs_handle *h;
	struct fs_spy *s;

	/* Never a way to write, not even for root (whom the kernel lets
	 * open a file without write bits for writing). */
	if ((fi->flags & O_ACCMODE) != O_RDONLY ||
	    !fs_may_access(req, perm->uid, perm->gid, fs_spy_mode(e->v), 4)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if ((s = calloc(1, sizeof *s)) == NULL || (hub = fs_spy_hub(fs, e->v)) == NULL) {
		free(s);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if ((s->spy = spy_new(hub->ring)) == NULL ||
	    (h = fs_handle_new(fs, &fs_spy_ops)) == NULL) {
		spy_free(s->spy);
		free(s);
		if (hub->spies == NULL)
			fs_spy_hub_free(hub);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	s->h = h;
	s->hub = hub;
	s->next = hub->spies;
	if (hub->spies != NULL)
		hub->spies->prev = s;
	hub->spies = s;
	h->priv = s;
	fs_reply_open(req, fi, h, 1);
}

static void
fs_spy_read(struct fs_handle *h, fuse_req_t req, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fs_spy *s = h->priv;
	size_t n;

	(void)off;
	if (h->reads == NULL) {
		n = spy_read(s->spy, h->fs->rbuf, size);
		if (n > 0 || s->hub->ended) {
			fuse_reply_buf(req, h->fs->rbuf, n);
			return;
		}
	}
	fs_read_wait(h, req, size, fi);
}

static void
fs_spy_write(struct fs_handle *h, fuse_req_t req, const char *buf, size_t size,
    struct fuse_file_info *fi)
{
	(void)h, (void)buf, (void)size, (void)fi;
	fuse_reply_err(req, EBADF);
}

static void
fs_spy_poll(struct fs_handle *h, fuse_req_t req, struct fuse_pollhandle *ph)
{
	struct fs_spy *s = h->priv;
	int ev = 0;

	if (ph != NULL) {
		if (h->ph != NULL)
			fuse_pollhandle_destroy(h->ph);
		h->ph = ph;
	}
	if (spy_ready(s->spy))
		ev |= POLLIN | POLLRDNORM;
	if (s->hub->ended)
		ev |= POLLIN | POLLRDNORM | POLLHUP;
	fuse_reply_poll(req, ev);
}

static void
fs_spy_release(struct fs_handle *h)
{
	struct fs_spy *s = h->priv;
	struct fs_spy_hub *hub;

	if (s == NULL)
		return;
	hub = s->hub;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		hub->spies = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	spy_free(s->spy);
	free(s);
	h->priv = NULL;
	if (hub->spies == NULL)
		fs_spy_hub_free(hub);
}

/* Device ID was removed: its spies read end of file. */
void
fs_spy_forget(struct fs *fs, uint64_t id)
{
	struct fs_spy_hub *hub = hash_del_id(fs->spies, id);

	if (hub != NULL)
		fs_spy_end(hub);
}

static void
fs_spy_end_one(uint64_t id, void *val, void *arg)
{
	(void)id, (void)arg;
	fs_spy_end(val);
}

/* The daemon stops: every spy reads end of file. */
void
fs_spy_shutdown(struct fs *fs)
{
	if (fs->spies != NULL)
		hash_each_id(fs->spies, fs_spy_end_one, NULL);
}

const struct fs_file_ops fs_spy_ops = {
	.kind = FS_K_SPY,
	.suffix = ".spy",
	.stat = fs_spy_stat,
	.open = fs_spy_open,
	.read = fs_spy_read,
	.write = fs_spy_write,
	.poll = fs_spy_poll,
	.release = fs_spy_release,
};
