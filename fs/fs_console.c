/*
 * fs_console.c — the console file itself: every open is a session of the
 * device (core/console.c's exclusive registry), reads stream what the
 * console prints, writes type into it. Reads with nothing to return and
 * writes with no room wait here (fs_pending) until the console wakes the
 * handle. Not for DEV.log or other kinds of file.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/console.h"
#include "core/registry.h"
#include "fs/fs_impl.h"

/* The size a console file reports. Not a size (it is a stream, opened
 * direct_io), but the kernel takes its inode lock exclusively for a direct
 * write that ends past the size, and only a shared lock otherwise, with
 * FOPEN_PARALLEL_DIRECT_WRITES (see fs.c): at 2^31-1 every write(2) is
 * below it (the kernel caps one write at MAX_RW_COUNT, less than that). */
#define FS_CONSOLE_SIZE	0x7fffffff

static struct console_session *
fs_console_sess(const struct fs_handle *h)
{
	return h->priv;
}

static void
fs_console_stat(struct fs *fs, const struct fs_ent *e, struct stat *st, double *timeout)
{
	fs_stat_device(fs, e, st);
	st->st_mode = S_IFREG | (registry_device_perm(e->v)->mode & 07777);
	st->st_size = FS_CONSOLE_SIZE;
	*timeout = FS_TIMEOUT;
}

static void
fs_console_reply_read(struct fs *fs, fuse_req_t req, ssize_t n)
{
	if (n >= 0)
		fuse_reply_buf(req, fs->rbuf, n);
	else
		fuse_reply_err(req, errno);
}

/* Let a session's waiting requests make progress; notify pollers. */
static void
fs_console_progress(struct fs_handle *h)
{
	struct fs *fs = h->fs;
	struct fs_pending *p;

	while ((p = h->reads) != NULL) {
		ssize_t n = console_read(fs_console_sess(h), fs->rbuf, p->size);

		if (n == -1 && errno == EAGAIN)
			break;
		h->reads = p->next;
		fs_console_reply_read(fs, p->req, n);
		fs_pending_free(p);
	}
	while ((p = h->writes) != NULL) {
		ssize_t n = console_write(fs_console_sess(h), p->data + p->done,
		    p->len - p->done);

		if (n == 0)
			break;
		if (n > 0) {
			p->done += n;
			if (p->done < p->len)
				break;
		}
		h->writes = p->next;
		if (n > 0) {
			fuse_reply_write(p->req, p->base + p->len);
			fs_pending_free(p);
		} else
			fs_pending_fail(p, errno);
	}
	fs_notify_poll(h);
}

static void
fs_console_wake(struct console_session *s, void *arg)
{
	(void)s;
	fs_console_progress(arg);
}

static void
fs_console_open(struct fs *fs, fuse_req_t req, const struct fs_ent *e,
    struct fuse_file_info *fi)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct console_peer peer;
	struct fs_handle *h;

	/* Every open takes the exclusive session, whatever its access mode,
	 * so it needs write permission: read permission alone gives .spy and
	 * .log, and a watcher's `cat` cannot lock the operator out. */
	if (!fs_may_write(req, e->v)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if ((h = fs_handle_new(fs, &fs_console_ops)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	peer.pid = ctx->pid;
	peer.uid = ctx->uid;
	peer.sid = getsid(ctx->pid);
	if (peer.sid == -1)
		peer.sid = ctx->pid;
	h->priv = console_open(registry_device_console(e->v), &peer, fs_console_wake, h);
	if (h->priv == NULL) {
		int saverr = errno;

		fs_handle_free(h, 1);
		fuse_reply_err(req, saverr);
		return;
	}
	fs_reply_open(req, fi, h, 1);
}

static void
fs_console_read(struct fs_handle *h, fuse_req_t req, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fs *fs = h->fs;
	struct fs_pending *p;
	ssize_t n;

	(void)off;
	/* Earlier readers first: only answer now if nobody is waiting. */
	if (h->reads == NULL) {
		n = console_read(fs_console_sess(h), fs->rbuf, size);
		if (n >= 0 || errno != EAGAIN) {
			fs_console_reply_read(fs, req, n);
			return;
		}
	}
	if (fi->flags & O_NONBLOCK) {
		fuse_reply_err(req, EAGAIN);
		return;
	}
	if ((p = fs_pending_add(&h->reads, h, req)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	p->size = size;
}

static void
fs_console_write(struct fs_handle *h, fuse_req_t req, const char *buf, size_t size,
    struct fuse_file_info *fi)
{
	struct fs_pending *p;
	ssize_t n = 0;
	char *rest;

	/* Keep the order of writes: queue behind a waiting one. */
	if (h->writes == NULL) {
		n = console_write(fs_console_sess(h), buf, size);
		if (n < 0) {
			fuse_reply_err(req, errno);
			return;
		}
		if ((size_t)n == size) {
			fuse_reply_write(req, n);
			return;
		}
		if (fi->flags & O_NONBLOCK) {
			if (n > 0)
				fuse_reply_write(req, n);
			else
				fuse_reply_err(req, EAGAIN);
			return;
		}
	} else if (fi->flags & O_NONBLOCK) {
		fuse_reply_err(req, EAGAIN);
		return;
	}
	rest = malloc(size - n);
	if (rest == NULL || (p = fs_pending_add(&h->writes, h, req)) == NULL) {
		/* Out of memory: say what was queued, as a short write. */
		free(rest);
		if (n > 0)
			fuse_reply_write(req, n);
		else
			fuse_reply_err(req, ENOMEM);
		return;
	}
	p->data = rest;
	memcpy(p->data, buf + n, size - n);
	p->len = size - n;
	p->base = n;
}

static void
fs_console_poll(struct fs_handle *h, fuse_req_t req, struct fuse_pollhandle *ph)
{
	if (ph != NULL) {
		if (h->ph != NULL)
			fuse_pollhandle_destroy(h->ph);
		h->ph = ph;
	}
	fuse_reply_poll(req, console_poll(fs_console_sess(h)));
}

static void
fs_console_release(struct fs_handle *h)
{
	console_close(fs_console_sess(h));
	h->priv = NULL;
}

const struct fs_file_ops fs_console_ops = {
	.kind = FS_K_DEVICE,
	.suffix = "",
	.stat = fs_console_stat,
	.open = fs_console_open,
	.read = fs_console_read,
	.write = fs_console_write,
	.poll = fs_console_poll,
	.release = fs_console_release,
};
