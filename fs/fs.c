/*
 * fs.c — the filesystem's tree and dispatch: the root, by-uuid/, domain
 * directories and, beside each device, one file of each kind (fs_impl.h's
 * table: the console, DEV.log, ...); every FUSE request answered exactly
 * once, many of them later, from the event loop. What is in the tree comes
 * from the registry (core/registry.c); inode numbers are derived from its
 * ids, so looking anything up is a hash lookup, never a list walk.
 *
 * Quirks of FUSE on Linux that shaped this file (seen with libfuse 3.14,
 * kernel 6.x):
 *  - console files are opened direct_io + nonseekable + FOPEN_STREAM
 *    (stream.c): without direct_io, cat sees a size of 0 and stops at once;
 *    without the stream flag, a blocked read holds up a write on the same
 *    open file.
 *  - A read with nothing to return is kept (deferred reply). The kernel
 *    waits for its answer uninterruptibly once it has been handed to us, so
 *    an INTERRUPT must always be answered: fs_interrupt only marks the
 *    request (libfuse may call it from inside fuse_req_interrupt_func, when
 *    replying would free the request under its caller) and the loop's
 *    before-sleep hook replies EINTR.
 *  - A write whose reply we keep (the input ring is full) keeps the
 *    kernel's lock on the file's inode for as long: setxattr on that file
 *    (user.force) and any other write to it wait in D state, even through
 *    SIGKILL. Seen: `exec 3>F; head -c 8M /dev/zero >&3 & echo hi >&3` and
 *    `setfattr -n user.force F` both stuck in D until the writer was
 *    drained. Hence user.force also on the domain directory (fs_xattr.c),
 *    whose inode nobody locks, and FOPEN_PARALLEL_DIRECT_WRITES (stream.c):
 *    with it the kernel takes the inode lock shared for a direct write
 *    that does not pass the end of file, so a second writer reaches us
 *    (and can be interrupted) instead of waiting on the lock. That is why a
 *    console file reports a size of FS_STREAM_SIZE: a write at position 0
 *    of a file of size 0 is "past the end of file" and would still take the
 *    lock exclusively (fuse_dio_wr_exclusive_lock in fs/fuse/file.c).
 *  - /dev/fuse is non-blocking; after an unmount it reports only EPOLLERR
 *    and reads give ENODEV.
 *  - The kernel remembers ENOSYS for xattr calls, so every xattr op exists
 *    and answers ENODATA/EOPNOTSUPP/EPERM for names it does not know.
 *  - release comes asynchronously after the last close, once.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bridge.h"
#include "core/config.h"
#include "core/console.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/registry.h"
#include "core/source_runtime.h"
#include "fs/fs.h"
#include "fs/fs_impl.h"
#include "fs/fs_notify.h"
#include "fs/stream.h"

/* The kinds of file beside each device, in the order readdir lists them. */
static const struct fs_file_ops *const fs_kinds[] = {
	&fs_console_ops, &fs_log_ops, &fs_spy_ops, &fs_tty_ops, NULL,
};

/* ---- the tree ---- */

static const struct fs_file_ops *
fs_kind_ops(enum fs_kind kind)
{
	for (int i = 0; fs_kinds[i] != NULL; i++)
		if (fs_kinds[i]->kind == kind)
			return fs_kinds[i];
	return NULL;
}

/* What INO names now: 0, or -1. */
int
fs_resolve(struct fs *fs, fuse_ino_t ino, struct fs_ent *e)
{
	uint64_t id = ino >> 3;

	memset(e, 0, sizeof *e);
	if (ino == FS_INO_ROOT || ino == FS_INO_BYUUID) {
		e->kind = ino == FS_INO_ROOT ? FS_K_ROOT : FS_K_BYUUID;
		return 0;
	}
	e->kind = ino & 7;
	switch (e->kind) {
	case FS_K_DOMAIN:
		e->d = registry_domain_by_id(fs->reg, id);
		return e->d != NULL ? 0 : -1;
	case FS_K_LINK:
		if ((e->d = registry_domain_by_id(fs->reg, id)) != NULL)
			return 0;
		/* The symbolic link ln -s made, named by the device's id. */
		if ((e->v = registry_device_by_id(fs->reg, id)) == NULL)
			return -1;
		e->d = registry_device_domain(e->v);
		return 0;
	case FS_K_ROOT:
	case FS_K_BYUUID:
		return -1;
	default:
		if (fs_kind_ops(e->kind) == NULL ||
		    (e->v = registry_device_by_id(fs->reg, id)) == NULL)
			return -1;
		e->d = registry_device_domain(e->v);
		return 0;
	}
}

static fuse_ino_t
fs_ino(const struct fs_ent *e)
{
	switch (e->kind) {
	case FS_K_ROOT:
		return FS_INO_ROOT;
	case FS_K_BYUUID:
		return FS_INO_BYUUID;
	case FS_K_DOMAIN:
		return FS_INO(registry_domain_id(e->d), e->kind);
	case FS_K_LINK:
		return e->v != NULL ? FS_INO(registry_device_id(e->v), e->kind) :
		    FS_INO(registry_domain_id(e->d), e->kind);
	default:
		return FS_INO(registry_device_id(e->v), e->kind);
	}
}

/* Attributes common to the device kinds: inode, owner, times. */
void
fs_stat_device(struct fs *fs, const struct fs_ent *e, struct stat *st)
{
	const struct registry_perm *perm = registry_device_perm(e->v);

	memset(st, 0, sizeof *st);
	st->st_ino = fs_ino(e);
	st->st_uid = perm->uid;
	st->st_gid = perm->gid;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	st->st_atime = st->st_mtime = st->st_ctime = fs->start;
}

/* The mode of domain D's directory: root's 0755 plus the write bits of
 * its devices, with their owner and group, so that whoever may write a
 * device may also set user.force on the directory (the kernel checks write
 * permission on the inode an xattr is set on). Creating or removing
 * entries stays root's: the daemon refuses anyone else (EPERM). */
static void
fs_stat_domain(const struct registry_domain *d, struct stat *st)
{
	const struct registry_perm *perm = registry_domain_perm(d);

	st->st_mode = S_IFDIR | 0755 | (perm->mode & 0222);
	st->st_uid = perm->uid;
	st->st_gid = perm->gid;
	st->st_nlink = 2;
}

static void
fs_stat(struct fs *fs, const struct fs_ent *e, struct stat *st, double *timeout)
{
	const struct fs_file_ops *ops;

	*timeout = FS_TIMEOUT;
	memset(st, 0, sizeof *st);
	st->st_atime = st->st_mtime = st->st_ctime = fs->start;
	switch (e->kind) {
	case FS_K_ROOT:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 3 + registry_ndomains(fs->reg);
		break;
	case FS_K_BYUUID:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		break;
	case FS_K_DOMAIN:
		fs_stat_domain(e->d, st);
		break;
	case FS_K_LINK:
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = e->v != NULL ?
		    strlen(console_backend(registry_device_console(e->v))) :
		    strlen(registry_domain_name(e->d)) + 3;
		*timeout = e->v != NULL ? 0.0 : FS_TIMEOUT;
		break;
	default:
		ops = fs_kind_ops(e->kind);
		ops->stat(fs, e, st, timeout);
		break;
	}
	st->st_ino = fs_ino(e);
}

/* Look NAME up in directory DIR: 0 and *E, or an errno. */
static int
fs_find(struct fs *fs, const struct fs_ent *dir, const char *name, struct fs_ent *e)
{
	size_t len = strlen(name);

	memset(e, 0, sizeof *e);
	switch (dir->kind) {
	case FS_K_ROOT:
		if (strcmp(name, "by-uuid") == 0) {
			e->kind = FS_K_BYUUID;
			return 0;
		}
		e->kind = FS_K_DOMAIN;
		e->d = registry_domain_find(fs->reg, name);
		break;
	case FS_K_BYUUID:
		e->kind = FS_K_LINK;
		e->d = registry_domain_by_uuid(fs->reg, name);
		/* The links are named in lower case; the lookup is exact. */
		if (e->d != NULL && strcmp(registry_domain_uuid_text(e->d), name) != 0)
			e->d = NULL;
		break;
	case FS_K_DOMAIN:
		e->d = dir->d;
		for (int i = 0; fs_kinds[i] != NULL && e->v == NULL; i++) {
			const struct fs_file_ops *ops = fs_kinds[i];
			size_t sl = strlen(ops->suffix);
			char stem[CONFIG_NAME_MAX + 1];

			if (len <= sl || len - sl > CONFIG_NAME_MAX ||
			    strcmp(name + len - sl, ops->suffix) != 0)
				continue;
			memcpy(stem, name, len - sl);
			stem[len - sl] = '\0';
			e->kind = ops->kind;
			e->v = registry_device_find(dir->d, stem);
		}
		if (e->v == NULL)
			e->d = NULL;
		break;
	default:
		return ENOTDIR;
	}
	if (e->d == NULL)
		return len > CONFIG_NAME_MAX + 4 ? ENAMETOOLONG : ENOENT;
	return 0;
}

/* ---- waiting requests ---- */

void
fs_pending_free(struct fs_pending *p)
{
	if (p == NULL)
		return;
	free(p->data);
	free(p);
}

/* End a waiting request that cannot complete: a write that already queued
 * bytes reports them (a short write), anything else gets ERR. */
void
fs_pending_fail(struct fs_pending *p, int err)
{
	if (p->base + p->done > 0)
		fuse_reply_write(p->req, p->base + p->done);
	else
		fuse_reply_err(p->req, err);
	fs_pending_free(p);
}

static void
fs_interrupt(fuse_req_t req, void *arg)
{
	struct fs_pending *p = arg;

	(void)req;
	p->interrupted = 1;
	p->h->fs->interrupts = 1;
}

/* Queue REQ on LIST of H, answerable when interrupted. */
struct fs_pending *
fs_pending_add(struct fs_pending **list, struct fs_handle *h, fuse_req_t req)
{
	struct fs_pending *p = calloc(1, sizeof *p), **pp;

	if (p == NULL)
		return NULL;
	p->req = req;
	p->h = h;
	for (pp = list; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = p;
	fuse_req_interrupt_func(req, fs_interrupt, p);
	return p;
}

/* A read of H with nothing to return now: EAGAIN when the file is
 * non-blocking, else REQ waits on H's reads for SIZE bytes. */
void
fs_read_wait(struct fs_handle *h, fuse_req_t req, size_t size, const struct fuse_file_info *fi)
{
	struct fs_pending *p;

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

/* Answer interrupted requests: EINTR, or the count a write already queued. */
static void
fs_answer_interrupts(struct fs *fs)
{
	if (!fs->interrupts)
		return;
	fs->interrupts = 0;
	for (struct fs_handle *h = fs->handles, *next; h != NULL; h = next) {
		struct fs_pending **lists[] = { &h->reads, &h->writes };

		next = h->next;
		if (h->opening != NULL && h->opening->interrupted) {
			/* An open still waiting (fs_console.c): its opener was
			 * interrupted, so no release will come. */
			fuse_reply_err(h->opening->req, EINTR);
			fs_pending_free(h->opening);
			h->opening = NULL;
			fs_handle_free(h, 1);
			continue;
		}

		for (int i = 0; i < 2; i++) {
			struct fs_pending **pp, *p;

			for (pp = lists[i]; (p = *pp) != NULL;) {
				if (!p->interrupted) {
					pp = &p->next;
					continue;
				}
				*pp = p->next;
				fs_pending_fail(p, EINTR);
			}
		}
	}
}

static void fs_tell_dirty(uint64_t id, void *val, void *arg);

static void
fs_before_sleep(struct loop *lp, void *arg)
{
	struct fs *fs = arg;
	struct hash *dirty = fs->dirty;

	(void)lp;
	fs_answer_interrupts(fs);
	if (dirty != NULL && hash_count(dirty) > 0 && (fs->dirty = hash_new()) != NULL) {
		hash_each_id(dirty, fs_tell_dirty, fs->notify);
		hash_free(dirty);
	} else if (fs->dirty == NULL)
		fs->dirty = dirty;
}

/* Tell a poller of H that its file may be ready. */
void
fs_notify_poll(struct fs_handle *h)
{
	if (h->ph != NULL) {
		fuse_lowlevel_notify_poll(h->ph);
		fuse_pollhandle_destroy(h->ph);
		h->ph = NULL;
	}
}

/* ---- handles ---- */

/* A new handle of kind OPS. */
struct fs_handle *
fs_handle_new(struct fs *fs, const struct fs_file_ops *ops)
{
	struct fs_handle *h = calloc(1, sizeof *h);

	if (h == NULL)
		return NULL;
	h->fs = fs;
	h->ops = ops;
	h->next = fs->handles;
	if (fs->handles != NULL)
		fs->handles->prev = h;
	fs->handles = h;
	return h;
}

/* Free a handle; waiting requests get EBADF when REPLY. */
void
fs_handle_free(struct fs_handle *h, int reply)
{
	struct fs *fs = h->fs;
	struct fs_pending *p;

	if ((p = h->opening) != NULL) {
		h->opening = NULL;
		if (reply)
			fuse_reply_err(p->req, EBADF);
		fs_pending_free(p);
	}
	while ((p = h->reads) != NULL || (p = h->writes) != NULL) {
		if (p == h->reads)
			h->reads = p->next;
		else
			h->writes = p->next;
		if (reply)
			fs_pending_fail(p, EBADF);
		else
			fs_pending_free(p);
	}
	if (h->ph != NULL)
		fuse_pollhandle_destroy(h->ph);
	if (h->ops->release != NULL)
		h->ops->release(h);
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		fs->handles = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	free(h);
}

/* Reply to an open with H: direct_io (no page cache: sizes mean nothing),
 * no FLUSH on close (nothing to flush, and a close after the daemon has
 * gone would otherwise fail with ECONNABORTED); STREAM files also get
 * nonseekable and FOPEN_STREAM (stream.c). */
void
fs_reply_open(fuse_req_t req, struct fuse_file_info *fi, struct fs_handle *h, int stream)
{
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->noflush = 1;
	fi->fh = (uintptr_t)h;
	if (stream) {
		fi->nonseekable = 1;
		stream_mark_next();
	}
	if (fuse_reply_open(req, fi) != 0) {
		/* The opener is gone (interrupted): no release will come. */
		fs_handle_free(h, 1);
	}
}

/* Permission WANT (4 read, 2 write) on a file of UID, GID and MODE as the
 * kernel would judge it (the mount may lack default_permissions). */
int
fs_may_access(fuse_req_t req, uid_t uid, gid_t gid, mode_t mode, mode_t want)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t groups[64];
	int ngroups;

	if (ctx->uid == 0)
		return 1;
	if (ctx->uid == uid)
		return ((mode >> 6) & want) == want;
	if (ctx->gid == gid)
		return ((mode >> 3) & want) == want;
	/* Supplementary groups count too, as they do for the kernel. */
	ngroups = fuse_req_getgroups(req, 64, groups);
	for (int i = 0; i < ngroups && i < 64; i++)
		if (groups[i] == gid)
			return ((mode >> 3) & want) == want;
	return (mode & want) == want;
}

/* Write permission on device V as the kernel would judge it. */
int
fs_may_write(fuse_req_t req, const struct registry_device *v)
{
	const struct registry_perm *perm = registry_device_perm(v);

	return fs_may_access(req, perm->uid, perm->gid, perm->mode, 2);
}

/* ---- operations ---- */

static void
fs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fuse_req_userdata(req);
	struct fuse_entry_param e;
	struct fs_ent dir, ent;
	int err;

	if (fs_resolve(fs, parent, &dir) == -1) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if ((err = fs_find(fs, &dir, name, &ent)) != 0) {
		fuse_reply_err(req, err);
		return;
	}
	memset(&e, 0, sizeof e);
	fs_stat(fs, &ent, &e.attr, &e.attr_timeout);
	e.ino = e.attr.st_ino;
	e.entry_timeout = ent.kind == FS_K_LINK && ent.v != NULL ? 0.0 : FS_TIMEOUT;
	fuse_reply_entry(req, &e);
}

static void
fs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct fs_ent e;
	struct stat st;
	double timeout;

	(void)fi;
	if (fs_resolve(fs, ino, &e) == -1) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fs_stat(fs, &e, &st, &timeout);
	fuse_reply_attr(req, &st, timeout);
}

static void
fs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
    struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct fs_ent e;
	struct stat st;
	double timeout;

	(void)attr, (void)fi;
	if (fs_resolve(fs, ino, &e) == -1) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	/* Truncation (open with O_TRUNC, as `echo x > console` does) means
	 * nothing for a stream: accept it. The other files are read-only. */
	if ((to_set & FUSE_SET_ATTR_SIZE) && e.kind != FS_K_DEVICE) {
		fuse_reply_err(req, e.kind == FS_K_DOMAIN || e.kind == FS_K_ROOT ||
		    e.kind == FS_K_BYUUID ? EISDIR : EACCES);
		return;
	}
	fs_stat(fs, &e, &st, &timeout);
	fuse_reply_attr(req, &st, timeout);
}

static void
fs_op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = fuse_req_userdata(req);
	const struct fs_file_ops *ops;
	char target[4096];
	struct fs_ent e;
	int err;

	if (fs_resolve(fs, ino, &e) == -1) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (e.kind == FS_K_LINK) {
		if (e.v != NULL)
			snprintf(target, sizeof target, "%s",
			    console_backend(registry_device_console(e.v)));
		else
			snprintf(target, sizeof target, "../%s", registry_domain_name(e.d));
		fuse_reply_readlink(req, target);
		return;
	}
	ops = fs_kind_ops(e.kind);
	if (ops == NULL || ops->readlink == NULL) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if ((err = ops->readlink(fs, &e, target, sizeof target)) != 0)
		fuse_reply_err(req, err);
	else
		fuse_reply_readlink(req, target);
}

/*
 * Directory offsets are cookies that survive entries coming and going
 * between two readdir calls: 1 and 2 after "." and "..", 3 after by-uuid
 * in the root, and (id << 3 | kind + 1) after a domain's or device file's
 * entry (kind + 1 is 1 for a domain or link, 3.. for the device kinds).
 * Ids only grow along the registry's lists, so a listing resumes after the
 * entry it stopped at, or after where it was when it has been removed.
 */
struct fs_dirbuf {
	fuse_req_t	 req;
	char		*buf;
	size_t		 size;
	size_t		 used;
	int		 plus;		/* READDIRPLUS: entries with attributes */
};

/* Add entry NAME (whose attributes are in ST; for READDIRPLUS, E says what
 * it is: NULL for "." and "..", which the kernel does not look up). */
static int
fs_dir_add(struct fs_dirbuf *db, const char *name, const struct stat *st, off_t next,
    struct fs *fs, const struct fs_ent *e)
{
	size_t need;

	if (db->plus) {
		struct fuse_entry_param ep;

		memset(&ep, 0, sizeof ep);
		if (e != NULL) {
			fs_stat(fs, e, &ep.attr, &ep.attr_timeout);
			ep.ino = ep.attr.st_ino;
			ep.entry_timeout = FS_TIMEOUT;
		} else
			ep.attr = *st;
		need = fuse_add_direntry_plus(db->req, db->buf + db->used,
		    db->size - db->used, name, &ep, next);
	} else
		need = fuse_add_direntry(db->req, db->buf + db->used, db->size - db->used,
		    name, st, next);
	if (need > db->size - db->used)
		return -1;
	db->used += need;
	return 0;
}

/* List domain D's device files after cookie OFF. */
static void
fs_readdir_domain(struct fs *fs, struct fs_dirbuf *db, struct registry_domain *d, off_t off)
{
	struct registry_device *v;
	int first = 0;

	if (off <= 2)
		v = registry_device_first(d);
	else {
		v = registry_device_by_id(fs->reg, (uint64_t)off >> 3);
		if (v != NULL && registry_device_domain(v) == d)
			first = off & 7;	/* the next kind of the same device */
		else
			v = registry_device_after(d, (uint64_t)off >> 3);
	}
	for (; v != NULL; v = registry_device_next(v), first = 0) {
		for (int i = 0; fs_kinds[i] != NULL; i++) {
			const struct fs_file_ops *ops = fs_kinds[i];
			struct fs_ent e = { .kind = ops->kind, .d = d, .v = v };
			char name[CONFIG_NAME_MAX + 8];
			struct stat st;
			double timeout;

			if ((int)ops->kind + 1 <= first)
				continue;
			snprintf(name, sizeof name, "%s%s", registry_device_name(v), ops->suffix);
			fs_stat(fs, &e, &st, &timeout);
			if (fs_dir_add(db, name, &st, (off_t)(registry_device_id(v) << 3 |
			    (ops->kind + 1)), fs, &e) == -1)
				return;
		}
	}
}

static void
fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, int plus)
{
	struct fs *fs = fuse_req_userdata(req);
	struct fs_dirbuf db = { .req = req, .size = size, .plus = plus };
	struct registry_domain *d;
	struct fs_ent dir;
	struct stat st;

	if (fs_resolve(fs, ino, &dir) == -1) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (dir.kind != FS_K_ROOT && dir.kind != FS_K_BYUUID && dir.kind != FS_K_DOMAIN) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if ((db.buf = malloc(size)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memset(&st, 0, sizeof st);
	st.st_mode = S_IFDIR;
	if (off < 1) {
		st.st_ino = ino;
		if (fs_dir_add(&db, ".", &st, 1, fs, NULL) == -1)
			goto out;
	}
	if (off < 2) {
		st.st_ino = dir.kind == FS_K_ROOT ? ino : FS_INO_ROOT;
		if (fs_dir_add(&db, "..", &st, 2, fs, NULL) == -1)
			goto out;
	}
	if (dir.kind == FS_K_DOMAIN) {
		fs_readdir_domain(fs, &db, dir.d, off);
		goto out;
	}
	if (dir.kind == FS_K_ROOT && off < 3) {
		struct fs_ent e = { .kind = FS_K_BYUUID };

		st.st_ino = FS_INO_BYUUID;
		if (fs_dir_add(&db, "by-uuid", &st, 3, fs, &e) == -1)
			goto out;
	}
	d = off <= 3 ? registry_domain_first(fs->reg) :
	    registry_domain_after(fs->reg, (uint64_t)off >> 3);
	for (; d != NULL; d = registry_domain_next(d)) {
		struct fs_ent e = { .kind = dir.kind == FS_K_ROOT ? FS_K_DOMAIN : FS_K_LINK, .d = d };
		double timeout;

		fs_stat(fs, &e, &st, &timeout);
		if (fs_dir_add(&db, dir.kind == FS_K_ROOT ? registry_domain_name(d) :
		    registry_domain_uuid_text(d), &st,
		    (off_t)(registry_domain_id(d) << 3 | 1), fs, &e) == -1)
			break;
	}
out:
	fuse_reply_buf(req, db.buf, db.used);
	free(db.buf);
}

static void
fs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	(void)fi;
	fs_readdir(req, ino, size, off, 0);
}

/* READDIRPLUS: the entries with their attributes, so that `ls -R` or
 * `find` need no LOOKUP for each one. */
static void
fs_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	(void)fi;
	fs_readdir(req, ino, size, off, 1);
}

/* Directories are opened with their listing cached by the kernel across
 * opens (FOPEN_CACHE_DIR, keep_cache): a second `ls` reads no READDIR. The
 * cache goes when the kernel changes the directory itself (mkdir, unlink,
 * ... bump its version) or when fs_registry_event tells it to.
 *
 * Where the kernel can open directories by itself (FUSE_CAP_NO_OPENDIR_SUPPORT,
 * Linux 5.1), the first OPENDIR is answered ENOSYS: from then on it sends
 * neither OPENDIR nor RELEASEDIR and opens every directory with exactly
 * those two flags, so a warm `ls -R` of 10,000 domains is answered by the
 * kernel alone (with an OPENDIR round trip per directory it took 170-290
 * ms; a directory that went away then fails its READDIR with ENOENT
 * instead of its open). */
static void
fs_op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct fs *fs = userdata;

	fs->no_opendir = (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) != 0;
}

static void
fs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct fs_ent dir;

	if (fs->no_opendir) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	if (fs_resolve(fs, ino, &dir) == -1) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fi->cache_readdir = 1;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

static void
fs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	const struct fs_file_ops *ops;
	struct fs_ent e;

	if (fs_resolve(fs, ino, &e) == -1) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	ops = fs_kind_ops(e.kind);
	if (ops == NULL || ops->open == NULL) {
		/* The kernel follows a link before it opens; only O_NOFOLLOW
		 * (or O_PATH games) gets here with one. */
		fuse_reply_err(req, e.kind == FS_K_LINK ||
		    (ops != NULL && ops->readlink != NULL) ? ELOOP : EISDIR);
		return;
	}
	ops->open(fs, req, &e, fi);
}

static void
fs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;

	(void)ino;
	if (size > FS_READ_MAX)
		size = FS_READ_MAX;
	if (h->ops->read == NULL)
		fuse_reply_err(req, EBADF);
	else
		h->ops->read(h, req, size, off, fi);
}

static void
fs_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
    off_t off, struct fuse_file_info *fi)
{
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;

	(void)ino, (void)off;
	if (h->ops->write == NULL)
		fuse_reply_err(req, EBADF);
	else
		h->ops->write(h, req, buf, size, fi);
}

static void
fs_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	fs_handle_free((struct fs_handle *)(uintptr_t)fi->fh, 1);
	fuse_reply_err(req, 0);
}

static void
fs_op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
    struct fuse_pollhandle *ph)
{
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;

	(void)ino;
	if (h->ops->poll != NULL) {
		h->ops->poll(h, req, ph);
		return;
	}
	if (ph != NULL)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, POLLIN | POLLRDNORM);
}

/* Changing the tree at run time is root's alone, whatever the modes: 0 when
 * REQ may, else the errno to answer. */
static int
fs_may_change(fuse_req_t req)
{
	return fuse_req_ctx(req)->uid == 0 ? 0 : EPERM;
}

/* Answer REQ with the entry E (a new directory or link). A link made by
 * ln -s is only a stand-in for the moment of this reply: the kernel wants
 * a symbolic link's inode back from SYMLINK (another type is EIO), but
 * the device is a stream file. With timeouts of 0, the next path walk
 * asks again and finds the file. */
static void
fs_reply_new(struct fs *fs, fuse_req_t req, const struct fs_ent *e)
{
	struct fuse_entry_param ep;

	memset(&ep, 0, sizeof ep);
	fs_stat(fs, e, &ep.attr, &ep.attr_timeout);
	ep.ino = ep.attr.st_ino;
	ep.entry_timeout = e->kind == FS_K_LINK ? 0.0 : FS_TIMEOUT;
	fuse_reply_entry(req, &ep);
}

static void
fs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct fs *fs = fuse_req_userdata(req);
	struct fs_ent e = { .kind = FS_K_DOMAIN };
	int err;

	(void)mode;
	if ((err = fs_may_change(req)) != 0) {
		fuse_reply_err(req, err);
		return;
	}
	if (parent != FS_INO_ROOT) {
		/* Domains are the only directories one can make. */
		fuse_reply_err(req, EPERM);
		return;
	}
	if (strcmp(name, "by-uuid") == 0) {
		fuse_reply_err(req, EEXIST);
		return;
	}
	if ((e.d = source_runtime_mkdir(fs->reg, name)) == NULL) {
		fuse_reply_err(req, errno);
		return;
	}
	fs_reply_new(fs, req, &e);
}

static void
fs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fuse_req_userdata(req);
	struct fs_ent dir, e = { .kind = FS_K_LINK };
	char *cause = NULL;
	int err;

	if ((err = fs_may_change(req)) != 0) {
		fuse_reply_err(req, err);
		return;
	}
	if (fs_resolve(fs, parent, &dir) == -1) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (dir.kind != FS_K_DOMAIN) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if ((e.v = source_runtime_link(dir.d, name, link, &cause)) == NULL) {
		err = errno;
		if (cause != NULL)
			log_info("%s: ln -s %s %s/%s: %s", __func__, link,
			    registry_domain_name(dir.d), name, cause);
		free(cause);
		fuse_reply_err(req, err);
		return;
	}
	e.d = dir.d;
	fs_reply_new(fs, req, &e);
}

static void
fs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fuse_req_userdata(req);
	struct fs_ent dir, e;
	int err;

	if ((err = fs_may_change(req)) != 0 || fs_resolve(fs, parent, &dir) == -1 ||
	    (err = fs_find(fs, &dir, name, &e)) != 0) {
		fuse_reply_err(req, err != 0 ? err : ENOENT);
		return;
	}
	/* A device goes with its .log and the others; those alone cannot. */
	if (e.kind != FS_K_DEVICE) {
		fuse_reply_err(req, e.kind == FS_K_DOMAIN ? EISDIR : EPERM);
		return;
	}
	source_runtime_unlink(e.d, name);
	fuse_reply_err(req, 0);
}

static void
fs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fuse_req_userdata(req);
	struct fs_ent dir, e;
	int err;

	if ((err = fs_may_change(req)) != 0 || fs_resolve(fs, parent, &dir) == -1 ||
	    (err = fs_find(fs, &dir, name, &e)) != 0) {
		fuse_reply_err(req, err != 0 ? err : ENOENT);
		return;
	}
	if (e.kind != FS_K_DOMAIN) {
		fuse_reply_err(req, e.kind == FS_K_BYUUID ? EBUSY : ENOTDIR);
		return;
	}
	fuse_reply_err(req, source_runtime_rmdir(fs->reg, name) == -1 ? errno : 0);
}

static void
fs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	(void)parent, (void)name, (void)mode, (void)rdev;
	fuse_reply_err(req, EPERM);
}

static void
fs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
    fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	(void)parent, (void)name, (void)newparent, (void)newname, (void)flags;
	fuse_reply_err(req, EPERM);
}

static const struct fuse_lowlevel_ops fs_ops = {
	.lookup = fs_op_lookup,
	.getattr = fs_op_getattr,
	.setattr = fs_op_setattr,
	.readlink = fs_op_readlink,
	.mknod = fs_op_mknod,
	.mkdir = fs_op_mkdir,
	.unlink = fs_op_unlink,
	.rmdir = fs_op_rmdir,
	.symlink = fs_op_symlink,
	.rename = fs_op_rename,
	.open = fs_op_open,
	.read = fs_op_read,
	.write = fs_op_write,
	.release = fs_op_release,
	.init = fs_op_init,
	.opendir = fs_op_opendir,
	.readdir = fs_op_readdir,
	.readdirplus = fs_op_readdirplus,
	.setxattr = fs_op_setxattr,
	.getxattr = fs_op_getxattr,
	.listxattr = fs_op_listxattr,
	.removexattr = fs_op_removexattr,
	.poll = fs_op_poll,
};

/* ---- the registry's changes ---- */

/* Directory INO's listing changed: drop the kernel's copy before the loop
 * sleeps (once, however many entries a reload added). */
static void
fs_dirty(struct fs *fs, fuse_ino_t ino)
{
	if (hash_put_id(fs->dirty, ino, (void *)(uintptr_t)ino) == -1)
		fs_notify_inode(fs->notify, ino, 1);
}

static void
fs_tell_dirty(uint64_t id, void *val, void *arg)
{
	(void)val;
	fs_notify_inode(arg, id, 1);
}

/*
 * Entries that go away by any other way than our own unlink and rmdir (a
 * reload, a source) would stay in the kernel's dentry cache until their
 * timeout, and the directory's cached listing (fs_op_opendir) would stay
 * as it was: tell the kernel to forget them now. A new entry needs only
 * the listing dropped: a failed lookup leaves a negative dentry the kernel
 * asks about again next time. The notices are sent by fs_notify.c's
 * thread (why: see there).
 */
static void
fs_registry_event(void *arg, enum registry_event ev, struct registry_domain *d,
    struct registry_device *v)
{
	struct fs *fs = arg;
	fuse_ino_t dino = FS_INO(registry_domain_id(d), FS_K_DOMAIN);
	char name[CONFIG_NAME_MAX + 8];

	switch (ev) {
	case REGISTRY_DEVICE_REMOVED:
		fs_log_forget(fs, registry_device_id(v));
		fs_spy_forget(fs, registry_device_id(v));
		fs_console_forget(fs, registry_device_id(v));
		/* Before its console is freed: a .tty client is hung up. */
		if (fs->bridges != NULL)
			bridge_forget(fs->bridges, registry_device_id(v));
		for (int i = 0; fs_kinds[i] != NULL; i++) {
			snprintf(name, sizeof name, "%s%s", registry_device_name(v),
			    fs_kinds[i]->suffix);
			fs_notify_entry(fs->notify, dino, name);
		}
		/* FALLTHROUGH */
	case REGISTRY_DEVICE_ADDED:
		fs_dirty(fs, dino);
		break;
	case REGISTRY_DOMAIN_REMOVED:
		fs_notify_entry(fs->notify, FS_INO_ROOT, registry_domain_name(d));
		fs_notify_entry(fs->notify, FS_INO_BYUUID, registry_domain_uuid_text(d));
		/* FALLTHROUGH */
	case REGISTRY_DOMAIN_ADDED:
		fs_dirty(fs, FS_INO_ROOT);
		fs_dirty(fs, FS_INO_BYUUID);
		break;
	case REGISTRY_DOMAIN_UUID:
		fs_notify_entry(fs->notify, FS_INO_BYUUID, registry_domain_uuid_text(d));
		fs_dirty(fs, FS_INO_BYUUID);
		break;
	case REGISTRY_DOMAIN_PERM:
		fs_notify_inode(fs->notify, dino, 0);
		for (v = registry_device_first(d); v != NULL; v = registry_device_next(v)) {
			struct bridge_perm bp;

			for (int i = 0; fs_kinds[i] != NULL; i++)
				fs_notify_inode(fs->notify, FS_INO(registry_device_id(v),
				    fs_kinds[i]->kind), 0);
			/* A .tty's pty slave follows the device file. */
			fs_tty_perm(v, &bp);
			if (fs->bridges != NULL)
				bridge_set_perm(fs->bridges, registry_device_id(v), &bp);
		}
		break;
	}
}

/* ---- the session on the loop ---- */

static void
fs_fuse_gone(struct fs *fs)
{
	fs->unmounted = 1;
	loop_del_fd(fs->loop, fs->fd);
	/* While stopping, the daemon decides when the loop ends. */
	if (!fs->stopping)
		loop_stop(fs->loop);
}

static void
fs_fuse_event(struct loop *lp, int fd, int events, void *arg)
{
	struct fs *fs = arg;

	(void)lp, (void)fd;
	if (events & LOOP_ERROR && !(events & LOOP_READ)) {
		/* Unmounted (and every file closed): only EPOLLERR is reported. */
		fs_fuse_gone(fs);
		return;
	}
	/* Several requests per wake-up, so one busy file cannot starve the rest. */
	for (int i = 0; i < 32 && !fuse_session_exited(fs->se); i++) {
		int res = fuse_session_receive_buf(fs->se, &fs->buf);

		if (res == -EAGAIN || res == -EINTR)
			break;
		if (res <= 0) {
			fs_fuse_gone(fs);
			return;
		}
		fuse_session_process_buf(fs->se, &fs->buf);
	}
	if (fuse_session_exited(fs->se))
		fs_fuse_gone(fs);
}

/* Create the FUSE session and mount it on MOUNTPOINT. */
struct fs *
fs_mount(const char *mountpoint, const char *opts, char **cause)
{
	static const struct fuse_custom_io io = {
		.writev = stream_writev,
		.read = stream_read,
	};
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fs *fs = calloc(1, sizeof *fs);
	char optbuf[1024];

	*cause = NULL;
	if (fs == NULL || (fs->rbuf = malloc(FS_READ_MAX)) == NULL ||
	    (fs->mountpoint = strdup(mountpoint)) == NULL || (fs->snaps = hash_new()) == NULL ||
	    (fs->dirty = hash_new()) == NULL || (fs->spies = hash_new()) == NULL ||
	    (fs->replays = hash_new()) == NULL)
		goto nomem;
	fs->fd = -1;
	fs->kept_fd = -1;
	fs->start = time(NULL);
	snprintf(optbuf, sizeof optbuf, "fsname=consolefs,subtype=consolefs%s%s%s",
	    geteuid() == 0 ? ",allow_other,default_permissions" : "",
	    opts != NULL ? "," : "", opts != NULL ? opts : "");
	if (fuse_opt_add_arg(&args, "consolefs") == -1 ||
	    fuse_opt_add_arg(&args, "-o") == -1 || fuse_opt_add_arg(&args, optbuf) == -1)
		goto nomem;
	fs->se = fuse_session_new(&args, &fs_ops, sizeof fs_ops, fs);
	fuse_opt_free_args(&args);
	if (fs->se == NULL) {
		if (asprintf(cause, "bad mount options '%s'", optbuf) == -1)
			*cause = NULL;
		goto fail;
	}
	if (fuse_session_mount(fs->se, mountpoint) != 0) {
		if (asprintf(cause, "cannot mount on %s", mountpoint) == -1)
			*cause = NULL;
		goto fail;
	}
	fs->fd = fuse_session_fd(fs->se);
	if (fuse_session_custom_io(fs->se, &io, fs->fd) != 0) {
		*cause = strdup("cannot install the FUSE io hooks");
		goto fail;
	}
	fcntl(fs->fd, F_SETFL, fcntl(fs->fd, F_GETFL) | O_NONBLOCK);
	return fs;
nomem:
	free(*cause);
	*cause = strdup("out of memory");
fail:
	fs_free(fs);
	return NULL;
}

/* Serve the tree of REG on LP. */
int
fs_start(struct fs *fs, struct loop *lp, struct registry *reg, char **cause)
{
	*cause = NULL;
	fs->loop = lp;
	fs->reg = reg;
	if ((fs->notify = fs_notify_new(fs->fd)) == NULL)
		log_warn("%s: cannot start the notifier (%s): removed entries stay "
		    "visible for up to a second", __func__, strerror(errno));
	if ((fs->bridges = bridge_set_new(lp, NULL)) == NULL) {
		*cause = strdup("out of memory");
		return -1;
	}
	registry_set_listener(reg, fs_registry_event, fs);
	loop_set_before_sleep(lp, fs_before_sleep, fs);
	if (loop_add_fd(lp, fs->fd, LOOP_READ, fs_fuse_event, fs) == -1) {
		if (asprintf(cause, "cannot watch /dev/fuse: %s", strerror(errno)) == -1)
			*cause = NULL;
		return -1;
	}
	return 0;
}

/* Stop: sessions read end of file, exec: children get SIGTERM, unmount.
 * The mount goes at once, but the connection is still served for a while,
 * so a reader that was between two reads gets end of file rather than
 * ENOTCONN; fs_idle says when nobody holds a file any more.
 *
 * How: libfuse's unmount closes its /dev/fuse fd and then detaches the
 * mount (umount2 MNT_DETACH as root, fusermount -u -z otherwise). We hand it
 * that fd only after taking a dup, on which stream.c goes on reading and
 * replying. Detaching by hand and calling libfuse's unmount at exit instead
 * would unmount the path a second time, and after a restart that path may
 * be the new daemon's mount. */
void
fs_shutdown(struct fs *fs)
{
	int keep;

	if (fs->stopping)
		return;
	fs->stopping = 1;
	fs_spy_shutdown(fs);
	if (fs->reg != NULL)
		registry_each_console(fs->reg, console_stop);
	if (fs->unmounted || fs->fd == -1)
		return;
	if (fs->loop != NULL)
		loop_del_fd(fs->loop, fs->fd);
	keep = fcntl(fs->fd, F_DUPFD_CLOEXEC, 0);
	fuse_session_unmount(fs->se);
	fs->fd = keep;
	if (keep == -1 || fs->loop == NULL ||
	    loop_add_fd(fs->loop, keep, LOOP_READ, fs_fuse_event, fs) == -1) {
		fs->unmounted = 1;
		return;
	}
	stream_use_fd(keep);
	fs->kept_fd = keep;
}

/* Hang up every exec: child's terminal (the second step of stopping). */
void
fs_hangup(struct fs *fs)
{
	if (fs->reg != NULL)
		registry_each_console(fs->reg, console_hangup);
}

/* Whether no file is open any more (or the connection is gone). */
int
fs_idle(const struct fs *fs)
{
	return fs->unmounted || fs->handles == NULL;
}

/* Free everything but the registry (NULL is ok). */
void
fs_free(struct fs *fs)
{
	if (fs == NULL)
		return;
	while (fs->handles != NULL) {
		struct fs_handle *h = fs->handles;

		/* The kernel connection is gone: nothing to reply to. */
		fs_handle_free(h, 0);
	}
	/* Before the registry frees the consoles their sessions are of. */
	bridge_set_free(fs->bridges);
	fs->bridges = NULL;
	if (fs->reg != NULL)
		registry_set_listener(fs->reg, NULL, NULL);
	fs_notify_free(fs->notify);
	hash_free(fs->dirty);
	fs_log_forget(fs, 0);
	hash_free(fs->snaps);
	hash_free(fs->spies);
	fs_console_forget(fs, 0);
	hash_free(fs->replays);
	if (fs->se != NULL) {
		fuse_session_unmount(fs->se);	/* no-op after fs_shutdown */
		fuse_session_destroy(fs->se);
	}
	if (fs->kept_fd != -1) {
		stream_use_fd(-1);
		close(fs->kept_fd);
	}
	free(fs->buf.mem);
	free(fs->rbuf);
	free(fs->mountpoint);
	free(fs);
}
