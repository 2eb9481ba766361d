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
#include "core/hash.h"
#include "core/loop.h"
#include "core/opts.h"
#include "core/registry.h"
#include "fs/fs_impl.h"

/* The size a console file reports. Not a size (it is a stream, opened
 * direct_io), but the kernel takes its inode lock exclusively for a direct
 * write that ends past the size, and only a shared lock otherwise, with
 * FOPEN_PARALLEL_DIRECT_WRITES (see fs.c): at 2^31-1 every write(2) is
 * below it (the kernel caps one write at MAX_RW_COUNT, less than that). */
#define FS_CONSOLE_SIZE	0x7fffffff
/* How long a replay asked for with user.replay waits for its open. */
#define FS_REPLAY_ASK_MS	10000

/* A replay asked for with user.replay, for one open. */
struct fs_replay_ask {
	pid_t		 sid;
	size_t		 n;
	int		 lines;
	long long	 until;
};

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

static void fs_console_replay(struct fs *fs, const struct registry_device *v,
    struct console_session *s, pid_t sid);

/* Let a session's waiting requests make progress; notify pollers. An
 * open waiting for the backend (a unix: connect) is answered first. */
static void
fs_console_progress(struct fs_handle *h)
{
	struct fs *fs = h->fs;
	struct fs_pending *p;

	if ((p = h->opening) != NULL) {
		int st = console_open_status(fs_console_sess(h));
		struct registry_device *v;

		if (st == EINPROGRESS)
			return;
		h->opening = NULL;
		if (st != 0) {
			fuse_reply_err(p->req, st);
			fs_pending_free(p);
			fs_handle_free(h, 1);
			return;
		}
		if ((v = registry_device_by_id(fs->reg, h->open_dev)) != NULL)
			fs_console_replay(fs, v, fs_console_sess(h), h->open_sid);
		fs_reply_open(p->req, &h->open_fi, h, 1);
		fs_pending_free(p);
		return;
	}

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

/* A new session S of device V opened from SID: the replay asked for by
 * that login session with user.replay, else the device's replay setting. */
static void
fs_console_replay(struct fs *fs, const struct registry_device *v,
    struct console_session *s, pid_t sid)
{
	const struct opts *o = registry_device_opts(v);
	uint64_t id = registry_device_id(v);
	struct fs_replay_ask *ask = hash_get_id(fs->replays, id);
	size_t n = o != NULL ? o->replay : 0;
	int lines = o != NULL ? o->replay_lines : 0;

	if (ask != NULL && ask->sid == sid && loop_now_ms() < ask->until) {
		n = ask->n;
		lines = ask->lines;
	}
	if (ask != NULL && (ask->sid == sid || loop_now_ms() >= ask->until))
		free(hash_del_id(fs->replays, id));
	if (n > 0)
		console_replay(s, n, lines);
}

/* user.replay: the next open of V from SID replays N bytes or lines. */
int
fs_console_ask_replay(struct fs *fs, const struct registry_device *v, pid_t sid,
    size_t n, int lines)
{
	uint64_t id = registry_device_id(v);
	struct fs_replay_ask *ask = hash_get_id(fs->replays, id);

	if (ask == NULL) {
		if ((ask = calloc(1, sizeof *ask)) == NULL)
			return ENOMEM;
		if (hash_put_id(fs->replays, id, ask) == -1) {
			free(ask);
			return ENOMEM;
		}
	}
	ask->sid = sid;
	ask->n = n;
	ask->lines = lines;
	ask->until = loop_now_ms() + FS_REPLAY_ASK_MS;
	return 0;
}

static void
fs_console_forget_one(uint64_t id, void *val, void *arg)
{
	(void)id, (void)arg;
	free(val);
}

/* Forget what was asked for device ID (0: every device). */
void
fs_console_forget(struct fs *fs, uint64_t id)
{
	if (fs->replays == NULL)
		return;
	if (id != 0) {
		free(hash_del_id(fs->replays, id));
		return;
	}
	hash_each_id(fs->replays, fs_console_forget_one, NULL);
	hash_free(fs->replays);
	fs->replays = hash_new();
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
	if (console_open_status(h->priv) == EINPROGRESS) {
		/* The backend is still connecting (unix:): the open is
		 * answered when the console wakes us, never by blocking. */
		h->open_fi = *fi;
		h->open_dev = registry_device_id(e->v);
		h->open_sid = peer.sid;
		if (fs_pending_add(&h->opening, h, req) == NULL) {
			fs_handle_free(h, 1);
			fuse_reply_err(req, ENOMEM);
		}
		return;
	}
	fs_console_replay(fs, e->v, h->priv, peer.sid);
	fs_reply_open(req, fi, h, 1);
}

static void
fs_console_read(struct fs_handle *h, fuse_req_t req, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fs *fs = h->fs;
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
	fs_read_wait(h, req, size, fi);
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
