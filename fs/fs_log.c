/*
 * fs_log.c — DEV.log: what the console printed recently, as a read-only
 * regular file holding a snapshot of the scrollback taken at open. Any
 * number of readers; it never touches the console's session or locks.
 *
 * Snapshots are shared: opens that find the scrollback unchanged since the
 * last snapshot (the console's count of bytes ever kept says so) take a
 * reference to that one instead of copying again, so a thousand opens of an
 * unchanged 4 MiB log cost one copy, not a thousand.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "core/console.h"
#include "core/hash.h"
#include "core/registry.h"
#include "fs/fs_impl.h"

struct fs_snap {
	unsigned int	 refs;
	uint64_t	 gen;		/* console_scrollback_gen when taken */
	size_t		 len;
	char		*data;
};

static void
fs_snap_unref(struct fs_snap *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	free(s->data);
	free(s);
}

static void
fs_log_stat(struct fs *fs, const struct fs_ent *e, struct stat *st, double *timeout)
{
	fs_stat_device(fs, e, st);
	st->st_mode = S_IFREG | (registry_device_perm(e->v)->mode & 0444);
	st->st_size = console_scrollback_size(registry_device_console(e->v));
	*timeout = 0.0;		/* the size changes with every byte printed */
}

/* The snapshot of device V's scrollback now, with a reference for the
 * caller: the cached one when nothing was printed since, else a new one
 * (which becomes the cached one). NULL on ENOMEM. */
static struct fs_snap *
fs_log_snapshot(struct fs *fs, const struct registry_device *v)
{
	struct console *con = registry_device_console(v);
	uint64_t id = registry_device_id(v), gen = console_scrollback_gen(con);
	struct fs_snap *s = hash_get_id(fs->snaps, id);

	if (s != NULL && s->gen == gen) {
		s->refs++;
		return s;
	}
	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	if ((s->data = console_scrollback(con, &s->len)) == NULL) {
		free(s);
		return NULL;
	}
	s->gen = gen;
	s->refs = 2;		/* the cache's and the caller's */
	fs_snap_unref(hash_del_id(fs->snaps, id));
	if (hash_put_id(fs->snaps, id, s) == -1)
		s->refs--;	/* not cached: only the caller's */
	return s;
}

static void
fs_log_open(struct fs *fs, fuse_req_t req, const struct fs_ent *e, struct fuse_file_info *fi)
{
	struct fs_handle *h;

	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if ((h = fs_handle_new(fs, &fs_log_ops)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if ((h->priv = fs_log_snapshot(fs, e->v)) == NULL) {
		fs_handle_free(h, 1);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fs_reply_open(req, fi, h, 0);
}

static void
fs_log_read(struct fs_handle *h, fuse_req_t req, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fs_snap *s = h->priv;

	(void)fi;
	if (off < 0 || (size_t)off >= s->len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, s->data + off, s->len - off < size ? s->len - off : size);
}

static void
fs_log_release(struct fs_handle *h)
{
	fs_snap_unref(h->priv);
	h->priv = NULL;
}

static void
fs_log_drop(uint64_t id, void *val, void *arg)
{
	(void)id, (void)arg;
	fs_snap_unref(val);
}

/* Forget the cached snapshot of device ID (0: all of them). */
void
fs_log_forget(struct fs *fs, uint64_t id)
{
	if (fs->snaps == NULL)
		return;
	if (id != 0) {
		fs_snap_unref(hash_del_id(fs->snaps, id));
		return;
	}
	hash_each_id(fs->snaps, fs_log_drop, NULL);
	hash_free(fs->snaps);
	fs->snaps = hash_new();
}

const struct fs_file_ops fs_log_ops = {
	.kind = FS_K_LOG,
	.suffix = ".log",
	.stat = fs_log_stat,
	.open = fs_log_open,
	.read = fs_log_read,
	.release = fs_log_release,
};
