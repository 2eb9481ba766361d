/*
 * fs.c — the filesystem: domains as directories, devices as stream files,
 * <dev>.log snapshots, by-uuid symlinks; each FUSE request answered exactly
 * once, many of them later, from the event loop.
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
 *  - /dev/fuse is non-blocking; after an unmount it reports only EPOLLERR
 *    and reads give ENODEV.
 *  - The kernel remembers ENOSYS for xattr calls, so every xattr op exists
 *    and answers ENODATA/EOPNOTSUPP/EPERM for names it does not know.
 *  - release comes asynchronously after the last close, once.
 */
#define FUSE_USE_VERSION 314

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "core/config.h"
#include "core/console.h"
#include "core/log.h"
#include "core/loop.h"
#include "fs/fs.h"
#include "fs/stream.h"

#define FS_READ_MAX	(1024 * 1024)

enum node_kind { NODE_ROOT, NODE_BYUUID, NODE_DOMAIN, NODE_DEVICE, NODE_LOG, NODE_LINK };

struct node {
	fuse_ino_t	 ino;
	enum node_kind	 kind;
	char		*name;
	struct node	*parent;
	struct node	*children;	/* in creation order */
	struct node	*next;
	struct node	*target;	/* LOG: its device; LINK: its domain;
					   DEVICE: its log; DOMAIN: its link */
	struct console	*con;		/* DEVICE */
	char		 uuid[37];	/* DOMAIN */
	uid_t		 uid;		/* DEVICE; DOMAIN: for its devices */
	gid_t		 gid;
	mode_t		 mode;		/* DEVICE, LOG, LINK, directories */
	mode_t		 dev_mode;	/* DOMAIN: for its devices */
};

struct fs_pending {
	fuse_req_t		 req;
	struct fs_handle	*h;
	size_t			 size;		/* read: asked */
	char			*data;		/* write: what is still to queue */
	size_t			 len;
	size_t			 done;
	size_t			 base;		/* write: queued before it waited */
	int			 interrupted;
	struct fs_pending	*next;
};

struct fs_handle {
	struct fs		*fs;
	struct console_session	*sess;
	struct fs_pending	*reads;
	struct fs_pending	*writes;
	struct fuse_pollhandle	*ph;
	char			*snap;		/* LOG: the snapshot */
	size_t			 snaplen;
	struct fs_handle	*next;
	struct fs_handle	*prev;
};

struct fs {
	struct fuse_session	*se;
	struct loop		*loop;
	char			*mountpoint;
	int			 fd;
	int			 unmounted;
	int			 stopping;
	int			 kept_fd;	/* served after the unmount, or -1 */
	int			 interrupts;	/* some pending request was interrupted */
	struct node	       **nodes;		/* indexed by ino */
	size_t			 nnodes;
	struct node		*root;
	struct node		*byuuid;
	struct fs_handle	*handles;
	struct node		*removed;	/* out of the tree, freed at the end */
	struct console_opts	 opts;
	char			*lock_dir;
	struct fuse_buf		 buf;
	char			*rbuf;
	time_t			 start;
};

/* ---- the tree ---- */

static struct node *
fs_node_new(struct fs *fs, struct node *parent, enum node_kind kind, const char *name)
{
	struct node *n = calloc(1, sizeof *n), **np;

	if (n == NULL || (n->name = strdup(name)) == NULL) {
		free(n);
		return NULL;
	}
	if (fs->nnodes % 64 == 0) {
		struct node **nn = realloc(fs->nodes, (fs->nnodes + 64) * sizeof *nn);

		if (nn == NULL) {
			free(n->name);
			free(n);
			return NULL;
		}
		fs->nodes = nn;
	}
	n->ino = fs->nnodes + 1;	/* FUSE_ROOT_ID is 1 */
	fs->nodes[fs->nnodes++] = n;
	n->kind = kind;
	n->parent = parent;
	n->mode = (kind == NODE_ROOT || kind == NODE_BYUUID || kind == NODE_DOMAIN) ? 0755 : 0777;
	if (parent != NULL) {
		for (np = &parent->children; *np != NULL; np = &(*np)->next)
			;
		*np = n;
	}
	return n;
}

static struct node *
fs_node(struct fs *fs, fuse_ino_t ino)
{
	if (ino == 0 || ino > fs->nnodes)
		return NULL;
	return fs->nodes[ino - 1];
}

static struct node *
fs_child(struct node *dir, const char *name)
{
	for (struct node *n = dir->children; n != NULL; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

/* Take N and everything that hangs off it (children, a device's log, a
 * domain's uuid link) out of the tree. Consoles are freed (their sessions
 * read end of file); the nodes themselves are kept until fs_free, so no
 * pointer to them dangles, and their inode numbers answer ENOENT. The
 * kernel's cached entries expire after the entry timeout (1 s): telling it
 * sooner (notify_inval_entry) could deadlock this single thread against a
 * lookup that holds the directory lock and waits for us. */
static void
fs_node_remove(struct fs *fs, struct node *n)
{
	struct node **np;

	while (n->children != NULL)
		fs_node_remove(fs, n->children);
	if ((n->kind == NODE_DEVICE || n->kind == NODE_DOMAIN) && n->target != NULL) {
		struct node *t = n->target;

		n->target = NULL;
		fs_node_remove(fs, t);
	}
	if (n->parent != NULL) {
		for (np = &n->parent->children; *np != NULL && *np != n; np = &(*np)->next)
			;
		if (*np == n)
			*np = n->next;
	}
	fs->nodes[n->ino - 1] = NULL;
	console_free(n->con);
	n->con = NULL;
	n->next = fs->removed;
	fs->removed = n;
}

static void
fs_stat(struct fs *fs, struct node *n, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = n->ino;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_atime = st->st_mtime = st->st_ctime = fs->start;
	switch (n->kind) {
	case NODE_ROOT:
	case NODE_BYUUID:
	case NODE_DOMAIN:
		st->st_uid = 0;
		st->st_gid = 0;
		st->st_mode = S_IFDIR | n->mode;
		st->st_nlink = 2;
		for (struct node *c = n->children; c != NULL; c = c->next)
			if (c->kind == NODE_DOMAIN || c->kind == NODE_BYUUID)
				st->st_nlink++;
		break;
	case NODE_DEVICE:
		st->st_mode = S_IFREG | n->mode;
		st->st_nlink = 1;
		st->st_blksize = 4096;
		break;
	case NODE_LOG:
		st->st_mode = S_IFREG | (n->target->mode & 0444);
		st->st_uid = n->target->uid;
		st->st_gid = n->target->gid;
		st->st_nlink = 1;
		st->st_size = console_scrollback_size(n->target->con);
		break;
	case NODE_LINK:
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = strlen(n->target->name) + 3;
		break;
	}
}

/* Add device NAME with BACKEND to domain DN; -1 and *CAUSE on failure. */
static struct node *
fs_add_device(struct fs *fs, struct node *dn, const char *name, const char *backend,
    char **cause)
{
	char what[2 * CONFIG_NAME_MAX + 8], *why = NULL;
	struct node *vn, *lg;

	snprintf(what, sizeof what, "%s/%s", dn->name, name);
	if ((vn = fs_node_new(fs, dn, NODE_DEVICE, name)) == NULL)
		goto nomem;
	vn->uid = dn->uid;
	vn->gid = dn->gid;
	vn->mode = dn->dev_mode;
	vn->con = console_new(fs->loop, what, backend, &fs->opts, &why);
	if (vn->con == NULL) {
		if (asprintf(cause, "%s: %s", what, why ? why : "cannot create") == -1)
			*cause = NULL;
		free(why);
		fs_node_remove(fs, vn);
		return NULL;
	}
	snprintf(what, sizeof what, "%s.log", name);
	if ((lg = fs_node_new(fs, dn, NODE_LOG, what)) == NULL) {
		fs_node_remove(fs, vn);
		goto nomem;
	}
	lg->target = vn;
	vn->target = lg;
	return vn;
nomem:
	*cause = strdup("out of memory");
	return NULL;
}

static int
fs_set_link(struct fs *fs, struct node *dn, const unsigned char uuid[16])
{
	char text[37];
	struct node *ln;

	uuid_unparse_lower(uuid, text);
	if (dn->target != NULL && strcmp(dn->uuid, text) == 0)
		return 0;
	if (dn->target != NULL)
		fs_node_remove(fs, dn->target);
	dn->target = NULL;
	if ((ln = fs_node_new(fs, fs->byuuid, NODE_LINK, text)) == NULL)
		return -1;
	memcpy(dn->uuid, text, sizeof text);
	ln->target = dn;
	dn->target = ln;
	return 0;
}

static const struct config_device *
fs_config_device(const struct config_domain *d, const char *name)
{
	for (const struct config_device *cd = d->devices; cd != NULL; cd = cd->next)
		if (strcmp(cd->name, name) == 0)
			return cd;
	return NULL;
}

/* Make domain node DN (new or existing) match D: its uuid link, the owner,
 * group and mode of its devices, and its devices. A device whose backend
 * string is unchanged is left alone, open session and all. */
static int
fs_apply_domain(struct fs *fs, struct node *dn, const struct config_domain *d,
    char **cause)
{
	struct node *n, *next;

	if (fs_set_link(fs, dn, d->uuid) == -1)
		goto nomem;
	/* The directory stays root's and 0755; these are for its devices. */
	dn->uid = d->owner;
	dn->gid = d->group;
	dn->dev_mode = d->mode & 07777;
	for (n = dn->children; n != NULL; n = next) {
		const struct config_device *cd;

		next = n->next;
		if (n->kind != NODE_DEVICE)
			continue;
		cd = fs_config_device(d, n->name);
		if (cd == NULL || strcmp(console_backend(n->con), cd->backend) != 0) {
			log_info("%s: %s/%s: %s", __func__, dn->name, n->name,
			    cd == NULL ? "removed" : "backend changed");
			/* the log node may be NEXT: start over from the head */
			fs_node_remove(fs, n);
			next = dn->children;
			continue;
		}
		n->uid = dn->uid;
		n->gid = dn->gid;
		n->mode = dn->dev_mode;
	}
	for (const struct config_device *cd = d->devices; cd != NULL; cd = cd->next) {
		if (fs_child(dn, cd->name) != NULL)
			continue;
		if (fs_add_device(fs, dn, cd->name, cd->backend, cause) == NULL)
			return -1;
	}
	return 0;
nomem:
	*cause = strdup("out of memory");
	return -1;
}

/* Make the tree match CF: domains and devices that went are removed (their
 * sessions read end of file), new ones appear, unchanged ones keep their
 * sessions. Errors are collected into *CAUSE but do not stop the rest. */
static int
fs_apply(struct fs *fs, const struct config *cf, char **cause)
{
	struct node *n, *next;
	int rc = 0;

	fs->opts.scrollback = cf->scrollback;
	fs->opts.reserve_ms = cf->force_reserve * 1000;
	for (n = fs->root->children; n != NULL; n = next) {
		const struct config_domain *d;

		next = n->next;
		if (n->kind != NODE_DOMAIN)
			continue;
		for (d = cf->domains; d != NULL && strcmp(d->name, n->name) != 0; d = d->next)
			;
		if (d == NULL) {
			log_info("%s: domain %s removed", __func__, n->name);
			fs_node_remove(fs, n);
		}
	}
	for (const struct config_domain *d = cf->domains; d != NULL; d = d->next) {
		struct node *dn = fs_child(fs->root, d->name);
		char *why = NULL;

		if (dn == NULL && (dn = fs_node_new(fs, fs->root, NODE_DOMAIN, d->name)) == NULL) {
			why = strdup("out of memory");
		} else if (fs_apply_domain(fs, dn, d, &why) == 0)
			continue;
		log_error("%s: %s", __func__, why ? why : "out of memory");
		if (*cause == NULL)
			*cause = why;
		else
			free(why);
		rc = -1;
	}
	return rc;
}

/* ---- replies that wait ---- */

static void
fs_pending_free(struct fs_pending *p)
{
	if (p == NULL)
		return;
	free(p->data);
	free(p);
}

/* End a waiting request that cannot complete: a write that already queued
 * bytes reports them (a short write), anything else gets ERR. */
static void
fs_pending_fail(struct fs_pending *p, int err)
{
	if (p->base + p->done > 0)
		fuse_reply_write(p->req, p->base + p->done);
	else
		fuse_reply_err(p->req, err);
	fs_pending_free(p);
}

static void
fs_reply_read(struct fs *fs, struct fs_pending *p, ssize_t n)
{
	if (n >= 0)
		fuse_reply_buf(p->req, fs->rbuf, n);
	else
		fuse_reply_err(p->req, errno);
}

/* Let a session's waiting requests make progress; notify pollers. */
static void
fs_progress(struct fs_handle *h)
{
	struct fs *fs = h->fs;
	struct fs_pending *p;

	while ((p = h->reads) != NULL) {
		ssize_t n = console_read(h->sess, fs->rbuf, p->size);

		if (n == -1 && errno == EAGAIN)
			break;
		h->reads = p->next;
		fs_reply_read(fs, p, n);
		fs_pending_free(p);
	}
	while ((p = h->writes) != NULL) {
		ssize_t n = console_write(h->sess, p->data + p->done, p->len - p->done);

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
	if (h->ph != NULL) {
		fuse_lowlevel_notify_poll(h->ph);
		fuse_pollhandle_destroy(h->ph);
		h->ph = NULL;
	}
}

static void
fs_wake(struct console_session *s, void *arg)
{
	(void)s;
	fs_progress(arg);
}

static void
fs_interrupt(fuse_req_t req, void *arg)
{
	struct fs_pending *p = arg;

	(void)req;
	p->interrupted = 1;
	p->h->fs->interrupts = 1;
}

/* Answer interrupted requests: EINTR, or the count a write already queued. */
static void
fs_answer_interrupts(struct fs *fs)
{
	if (!fs->interrupts)
		return;
	fs->interrupts = 0;
	for (struct fs_handle *h = fs->handles; h != NULL; h = h->next) {
		struct fs_pending **lists[] = { &h->reads, &h->writes };

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

static void
fs_before_sleep(struct loop *lp, void *arg)
{
	(void)lp;
	fs_answer_interrupts(arg);
}

static struct fs_pending *
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
	return p;
}

/* ---- operations ---- */

static void
fs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fuse_req_userdata(req);
	struct node *dir = fs_node(fs, parent), *n;
	struct fuse_entry_param e;

	if (dir == NULL || (n = fs_child(dir, name)) == NULL) {
		fuse_reply_err(req, strlen(name) > CONFIG_NAME_MAX + 4 ? ENAMETOOLONG : ENOENT);
		return;
	}
	memset(&e, 0, sizeof e);
	e.ino = n->ino;
	e.attr_timeout = n->kind == NODE_LOG ? 0.0 : 1.0;
	e.entry_timeout = 1.0;
	fs_stat(fs, n, &e.attr);
	fuse_reply_entry(req, &e);
}

static void
fs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct node *n = fs_node(fs, ino);
	struct stat st;

	(void)fi;
	if (n == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fs_stat(fs, n, &st);
	fuse_reply_attr(req, &st, n->kind == NODE_LOG ? 0.0 : 1.0);
}

static void
fs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
    struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct node *n = fs_node(fs, ino);
	struct stat st;

	(void)attr, (void)fi;
	if (n == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	/* Truncation (open with O_TRUNC, as `echo x > console` does) means
	 * nothing for a stream: accept it. A .log file is read-only. */
	if ((to_set & FUSE_SET_ATTR_SIZE) && n->kind != NODE_DEVICE) {
		fuse_reply_err(req, n->kind == NODE_LOG ? EACCES : EISDIR);
		return;
	}
	fs_stat(fs, n, &st);
	fuse_reply_attr(req, &st, 1.0);
}

static void
fs_op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = fuse_req_userdata(req);
	struct node *n = fs_node(fs, ino);
	char target[CONFIG_NAME_MAX + 8];

	if (n == NULL || n->kind != NODE_LINK) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	snprintf(target, sizeof target, "../%s", n->target->name);
	fuse_reply_readlink(req, target);
}

static void
fs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct node *dir = fs_node(fs, ino), *c;
	char *buf;
	size_t used = 0;
	off_t i = 0;

	(void)fi;
	if (dir == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if ((buf = malloc(size)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	c = dir->children;
	for (i = 0;; i++) {
		struct stat st;
		const char *name;
		size_t need;

		memset(&st, 0, sizeof st);
		if (i == 0) {
			name = ".";
			st.st_ino = dir->ino;
			st.st_mode = S_IFDIR;
		} else if (i == 1) {
			name = "..";
			st.st_ino = dir->parent ? dir->parent->ino : dir->ino;
			st.st_mode = S_IFDIR;
		} else {
			if (c == NULL)
				break;
			name = c->name;
			fs_stat(fs, c, &st);
			c = c->next;
		}
		if (i < off)
			continue;
		need = fuse_add_direntry(req, buf + used, size - used, name, &st, i + 1);
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static struct fs_handle *
fs_handle_new(struct fs *fs)
{
	struct fs_handle *h = calloc(1, sizeof *h);

	if (h == NULL)
		return NULL;
	h->fs = fs;
	h->next = fs->handles;
	if (fs->handles != NULL)
		fs->handles->prev = h;
	fs->handles = h;
	return h;
}

/* Free a handle; waiting requests get EBADF when REPLY (the kernel is
 * still there to hear it). */
static void
fs_handle_free(struct fs_handle *h, int reply)
{
	struct fs *fs = h->fs;
	struct fs_pending *p;

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
	console_close(h->sess);
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		fs->handles = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	free(h->snap);
	free(h);
}

static void
fs_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct node *n = fs_node(fs, ino);
	struct console_peer peer;
	struct fs_handle *h;

	if (n == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (n->kind != NODE_DEVICE && n->kind != NODE_LOG) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (n->kind == NODE_LOG && (fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EACCES);
		return;
	}
	if ((h = fs_handle_new(fs)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (n->kind == NODE_LOG) {
		h->snap = console_scrollback(n->target->con, &h->snaplen);
		if (h->snap == NULL) {
			fs_handle_free(h, 1);
			fuse_reply_err(req, ENOMEM);
			return;
		}
		fi->direct_io = 1;
		fi->noflush = 1;
		fi->fh = (uintptr_t)h;
		fuse_reply_open(req, fi);
		return;
	}
	peer.pid = ctx->pid;
	peer.uid = ctx->uid;
	peer.sid = getsid(ctx->pid);
	if (peer.sid == -1)
		peer.sid = ctx->pid;
	h->sess = console_open(n->con, &peer, fs_wake, h);
	if (h->sess == NULL) {
		int saverr = errno;

		fs_handle_free(h, 1);
		fuse_reply_err(req, saverr);
		return;
	}
	fi->direct_io = 1;
	fi->nonseekable = 1;
	fi->keep_cache = 0;
	/* No FLUSH on close: nothing to flush, and a close after the daemon
	 * has gone would otherwise fail with ECONNABORTED. */
	fi->noflush = 1;
	fi->fh = (uintptr_t)h;
	stream_mark_next();
	if (fuse_reply_open(req, fi) != 0) {
		/* The opener is gone (interrupted): no release will come. */
		fs_handle_free(h, 1);
	}
}

static void
fs_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
	struct fs_pending *p;
	ssize_t n;

	(void)ino;
	if (size > FS_READ_MAX)
		size = FS_READ_MAX;
	if (h->snap != NULL) {
		if (off < 0 || (size_t)off >= h->snaplen)
			fuse_reply_buf(req, NULL, 0);
		else
			fuse_reply_buf(req, h->snap + off,
			    h->snaplen - off < size ? h->snaplen - off : size);
		return;
	}
	/* Earlier readers first: only answer now if nobody is waiting. */
	if (h->reads == NULL) {
		n = console_read(h->sess, fs->rbuf, size);
		if (n >= 0 || errno != EAGAIN) {
			if (n >= 0)
				fuse_reply_buf(req, fs->rbuf, n);
			else
				fuse_reply_err(req, errno);
			return;
		}
		if (fi->flags & O_NONBLOCK) {
			fuse_reply_err(req, EAGAIN);
			return;
		}
	} else if (fi->flags & O_NONBLOCK) {
		fuse_reply_err(req, EAGAIN);
		return;
	}
	if ((p = fs_pending_add(&h->reads, h, req)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	p->size = size;
	fuse_req_interrupt_func(req, fs_interrupt, p);
}

static void
fs_op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
    off_t off, struct fuse_file_info *fi)
{
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
	struct fs_pending *p;
	ssize_t n = 0;
	char *rest;

	(void)ino, (void)off;
	if (h->sess == NULL) {
		fuse_reply_err(req, EBADF);
		return;
	}
	/* Keep the order of writes: queue behind a waiting one. */
	if (h->writes == NULL) {
		n = console_write(h->sess, buf, size);
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
	fuse_req_interrupt_func(req, fs_interrupt, p);
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
	if (h->snap != NULL) {
		if (ph != NULL)
			fuse_pollhandle_destroy(ph);
		fuse_reply_poll(req, POLLIN | POLLRDNORM);
		return;
	}
	if (ph != NULL) {
		if (h->ph != NULL)
			fuse_pollhandle_destroy(h->ph);
		h->ph = ph;
	}
	fuse_reply_poll(req, console_poll(h->sess));
}

/* Write permission as the kernel would judge it (default_permissions may
 * have been left out of -o). */
static int
fs_may_write(fuse_req_t req, struct node *n)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t groups[64];
	int ngroups;

	if (ctx->uid == 0)
		return 1;
	if (ctx->uid == n->uid)
		return (n->mode & 0200) != 0;
	if (ctx->gid == n->gid)
		return (n->mode & 0020) != 0;
	/* Supplementary groups count too, as they do for the kernel. */
	ngroups = fuse_req_getgroups(req, 64, groups);
	for (int i = 0; i < ngroups && i < 64; i++)
		if (groups[i] == n->gid)
			return (n->mode & 0020) != 0;
	return (n->mode & 0002) != 0;
}

static const char *const fs_device_xattrs[] = {
	"user.backend", "user.state", "user.holder", NULL
};

static int
fs_xattr_value(struct node *n, const char *name, char *buf, size_t len)
{
	if (n->kind == NODE_DOMAIN && strcmp(name, "user.uuid") == 0) {
		snprintf(buf, len, "%s", n->uuid);
		return 0;
	}
	if (n->kind != NODE_DEVICE) {
		errno = ENODATA;
		return -1;
	}
	if (strcmp(name, "user.backend") == 0)
		snprintf(buf, len, "%s", console_backend(n->con));
	else if (strcmp(name, "user.state") == 0)
		snprintf(buf, len, "%s", console_state(n->con));
	else if (strcmp(name, "user.holder") == 0)
		return console_holder(n->con, buf, len);
	else {
		errno = ENODATA;
		return -1;
	}
	return 0;
}

static void
fs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct fs *fs = fuse_req_userdata(req);
	struct node *n = fs_node(fs, ino);
	char val[512];
	size_t len;

	if (n == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (fs_xattr_value(n, name, val, sizeof val) == -1) {
		fuse_reply_err(req, errno);
		return;
	}
	len = strlen(val);
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, val, len);
}

static void
fs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct fs *fs = fuse_req_userdata(req);
	struct node *n = fs_node(fs, ino);
	char list[256], val[512];
	size_t len = 0;

	if (n == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (n->kind == NODE_DOMAIN) {
		memcpy(list, "user.uuid", sizeof "user.uuid");
		len = sizeof "user.uuid";
	} else if (n->kind == NODE_DEVICE) {
		for (int i = 0; fs_device_xattrs[i] != NULL; i++) {
			size_t l = strlen(fs_device_xattrs[i]) + 1;

			if (fs_xattr_value(n, fs_device_xattrs[i], val, sizeof val) == -1)
				continue;
			memcpy(list + len, fs_device_xattrs[i], l);
			len += l;
		}
	}
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, list, len);
}

static void
fs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
    const char *value, size_t size, int flags)
{
	struct fs *fs = fuse_req_userdata(req);
	struct node *n = fs_node(fs, ino);
	char val[32];

	(void)flags;
	if (n == NULL) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (n->kind == NODE_DEVICE && strcmp(name, "user.force") == 0) {
		const struct fuse_ctx *ctx = fuse_req_ctx(req);
		pid_t sid = getsid(ctx->pid);

		if (!fs_may_write(req, n)) {
			fuse_reply_err(req, EACCES);
			return;
		}
		if (console_force(n->con, sid == -1 ? ctx->pid : sid) == -1) {
			fuse_reply_err(req, errno);
			return;
		}
		fuse_reply_err(req, 0);
		return;
	}
	if (n->kind == NODE_DEVICE && strcmp(name, "user.break") == 0) {
		unsigned long ms;

		if (!fs_may_write(req, n)) {
			fuse_reply_err(req, EACCES);
			return;
		}
		snprintf(val, sizeof val, "%.*s", (int)(size < sizeof val ? size : sizeof val - 1), value);
		ms = strtoul(val, NULL, 10);
		fuse_reply_err(req, console_break(n->con, ms) == -1 ? errno : 0);
		return;
	}
	if (strcmp(name, "user.backend") == 0 || strcmp(name, "user.state") == 0 ||
	    strcmp(name, "user.holder") == 0 || strcmp(name, "user.uuid") == 0) {
		fuse_reply_err(req, EPERM);
		return;
	}
	fuse_reply_err(req, EOPNOTSUPP);
}

static void
fs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	char val[512];
	struct fs *fs = fuse_req_userdata(req);
	struct node *n = fs_node(fs, ino);

	if (n == NULL)
		fuse_reply_err(req, ENOENT);
	else if (fs_xattr_value(n, name, val, sizeof val) == 0)
		fuse_reply_err(req, EPERM);
	else
		fuse_reply_err(req, ENODATA);
}

/* The tree changes only through the configuration in this version. */
static void
fs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	(void)parent, (void)name, (void)mode, (void)rdev;
	fuse_reply_err(req, EPERM);
}

static void
fs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)parent, (void)name, (void)mode;
	fuse_reply_err(req, EPERM);
}

static void
fs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent, (void)name;
	fuse_reply_err(req, EPERM);
}

static void
fs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link, (void)parent, (void)name;
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
	.rmdir = fs_op_unlink,
	.symlink = fs_op_symlink,
	.rename = fs_op_rename,
	.open = fs_op_open,
	.read = fs_op_read,
	.write = fs_op_write,
	.release = fs_op_release,
	.readdir = fs_op_readdir,
	.setxattr = fs_op_setxattr,
	.getxattr = fs_op_getxattr,
	.listxattr = fs_op_listxattr,
	.removexattr = fs_op_removexattr,
	.poll = fs_op_poll,
};

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
	    (fs->mountpoint = strdup(mountpoint)) == NULL)
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
	if ((fs->root = fs_node_new(fs, NULL, NODE_ROOT, "")) == NULL ||
	    (fs->byuuid = fs_node_new(fs, fs->root, NODE_BYUUID, "by-uuid")) == NULL)
		goto nomem;
	return fs;
nomem:
	free(*cause);
	*cause = strdup("out of memory");
fail:
	fs_free(fs);
	return NULL;
}

/* Build the tree from CF (starting exec: consoles) and serve on LP. */
int
fs_start(struct fs *fs, struct loop *lp, const struct config *cf,
    const char *lock_dir, char **cause)
{
	*cause = NULL;
	fs->loop = lp;
	if ((fs->lock_dir = strdup(lock_dir)) == NULL) {
		*cause = strdup("out of memory");
		return -1;
	}
	fs->opts.lock_dir = fs->lock_dir;
	if (fs_apply(fs, cf, cause) == -1)
		return -1;
	loop_set_before_sleep(lp, fs_before_sleep, fs);
	if (loop_add_fd(lp, fs->fd, LOOP_READ, fs_fuse_event, fs) == -1) {
		if (asprintf(cause, "cannot watch /dev/fuse: %s", strerror(errno)) == -1)
			*cause = NULL;
		return -1;
	}
	return 0;
}

/* Make the tree match a re-read configuration (SIGHUP). */
int
fs_reload(struct fs *fs, const struct config *cf, char **cause)
{
	*cause = NULL;
	if (fs->stopping)
		return 0;
	return fs_apply(fs, cf, cause);
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
	for (size_t i = 0; i < fs->nnodes; i++)
		if (fs->nodes[i] != NULL && fs->nodes[i]->con != NULL)
			console_stop(fs->nodes[i]->con);
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
	for (size_t i = 0; i < fs->nnodes; i++)
		if (fs->nodes[i] != NULL && fs->nodes[i]->con != NULL)
			console_hangup(fs->nodes[i]->con);
}

/* Whether no file is open any more (or the connection is gone). */
int
fs_idle(const struct fs *fs)
{
	return fs->unmounted || fs->handles == NULL;
}

/* Free everything (NULL is ok). */
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
	for (size_t i = 0; i < fs->nnodes; i++) {
		struct node *n = fs->nodes[i];

		if (n == NULL)
			continue;
		console_free(n->con);
		free(n->name);
		free(n);
	}
	free(fs->nodes);
	while (fs->removed != NULL) {
		struct node *n = fs->removed;

		fs->removed = n->next;
		free(n->name);
		free(n);
	}
	free(fs->lock_dir);
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
