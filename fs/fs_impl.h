/*
 * fs_impl.h — what the FUSE side's files share: the daemon-wide state, the
 * open-file handle, requests that wait for an answer, and the table each
 * kind of file in a domain directory implements (the console itself in
 * fs_console.c, DEV.log in fs_log.c, ...), the way the kernel gives each
 * device its file_operations. Included only by the files in fs/.
 *
 * Inode numbers are derived, not stored: a domain or device id from the
 * registry shifted left by three, or'd with the kind of file. Ids are never
 * reused, so a number the kernel still holds for something that was
 * removed finds nothing (ENOENT) and can never name something new.
 */
#ifndef CONSOLEFS_FS_IMPL_H
#define CONSOLEFS_FS_IMPL_H

#define FUSE_USE_VERSION 314

#include <fuse_lowlevel.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

struct fs_notify;
struct bridge_perm;
struct bridge_set;
struct hash;
struct loop;
struct registry;
struct registry_domain;
struct registry_device;

enum fs_kind {
	FS_K_DOMAIN = 0,	/* a domain directory */
	FS_K_LINK = 1,		/* by-uuid/UUID -> ../DOMAIN; with a device's id,
				   what ln -s made, for the moment of its reply */
	FS_K_DEVICE = 2,	/* the console */
	FS_K_LOG = 3,		/* DEV.log */
	FS_K_SPY = 4,		/* DEV.spy */
	FS_K_TTY = 5,		/* DEV.tty */
	FS_K_ROOT = 6,		/* only ever FS_INO_ROOT */
	FS_K_BYUUID = 7,	/* only ever FS_INO_BYUUID */
};

#define FS_INO_ROOT	1
#define FS_INO_BYUUID	2
#define FS_INO(id, kind) (((fuse_ino_t)(id) << 3) | (fuse_ino_t)(kind))
#define FS_READ_MAX	(1024 * 1024)
/* How long the kernel may keep entries and attributes (seconds). Long:
 * whatever goes away or changes is invalidated at once (fs_registry_event),
 * so the timeout only bounds the damage if a notice is lost to a lack of
 * memory. Files whose attributes change on their own (DEV.log's size) and
 * the link ln -s answers with say 0. */
#define FS_TIMEOUT	3600.0

/* What an inode number names now. */
struct fs_ent {
	enum fs_kind		 kind;
	struct registry_domain	*d;	/* DOMAIN, LINK, and the device kinds */
	struct registry_device	*v;	/* the device kinds */
};

/* A request that waits for its answer (a read with nothing to read, a
 * write with no room). */
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

struct fs_file_ops;

/* An open file. */
struct fs_handle {
	struct fs		*fs;
	const struct fs_file_ops *ops;
	void			*priv;		/* the kind's own state */
	struct fs_pending	*opening;	/* an open waiting to be answered */
	struct fuse_file_info	 open_fi;	/* ... and its flags, */
	uint64_t		 open_dev;	/* its device's id, */
	pid_t			 open_sid;	/* its opener's session */
	struct fs_pending	*reads;
	struct fs_pending	*writes;
	struct fuse_pollhandle	*ph;
	struct fs_handle	*next;
	struct fs_handle	*prev;
};

/* A kind of file beside each device in a domain directory. Each op
 * replies to REQ exactly once (open: fuse_reply_open through
 * fs_reply_open, or an error). */
struct fs_file_ops {
	enum fs_kind	 kind;
	const char	*suffix;	/* after the device name: "" for the device */
	/* Attributes (st_ino, type and mode, owner, size, nlink) and how long
	 * the kernel may keep them. */
	void	(*stat)(struct fs *fs, const struct fs_ent *e, struct stat *st,
		    double *timeout);
	void	(*open)(struct fs *fs, fuse_req_t req, const struct fs_ent *e,
		    struct fuse_file_info *fi);
	void	(*read)(struct fs_handle *h, fuse_req_t req, size_t size, off_t off,
		    struct fuse_file_info *fi);
	void	(*write)(struct fs_handle *h, fuse_req_t req, const char *buf,
		    size_t size, struct fuse_file_info *fi);
	void	(*poll)(struct fs_handle *h, fuse_req_t req, struct fuse_pollhandle *ph);
	/* Free the kind's state (waiting requests are already answered). */
	void	(*release)(struct fs_handle *h);
	/* Symbolic links: the target (0), or an errno. */
	int	(*readlink)(struct fs *fs, const struct fs_ent *e, char *buf, size_t len);
};

extern const struct fs_file_ops fs_console_ops;
extern const struct fs_file_ops fs_log_ops;
extern const struct fs_file_ops fs_spy_ops;
extern const struct fs_file_ops fs_tty_ops;

struct fs {
	struct fuse_session	*se;
	struct loop		*loop;
	struct registry		*reg;
	char			*mountpoint;
	int			 fd;
	int			 unmounted;
	int			 stopping;
	int			 kept_fd;	/* served after the unmount, or -1 */
	int			 mnt_id;	/* of our mount (fs_xattr.c), 0: not known yet */
	int			 interrupts;	/* some waiting request was interrupted */
	int			 no_opendir;	/* the kernel opens directories itself */
	struct fs_handle	*handles;
	struct hash		*snaps;		/* fs_log.c: device id -> snapshot */
	struct fs_notify	*notify;	/* tells the kernel what to forget */
	struct hash		*dirty;		/* directories whose listing changed
						   (ino -> ino), told before sleeping */
	struct hash		*spies;		/* fs_spy.c: device id -> its spies */
	struct hash		*replays;	/* fs_console.c: device id -> a replay asked for */
	struct bridge_set	*bridges;	/* fs_tty.c: the DEV.tty ptys */
	struct fuse_buf		 buf;
	char			*rbuf;		/* FS_READ_MAX bytes for read replies */
	time_t			 start;
};

/* fs.c */
/* What INO names now: 0, or -1 (gone or never was). */
int fs_resolve(struct fs *fs, fuse_ino_t ino, struct fs_ent *e);
/* A new handle of kind OPS on FS's list; NULL on ENOMEM. */
struct fs_handle *fs_handle_new(struct fs *fs, const struct fs_file_ops *ops);
/* Free a handle: its waiting requests get EBADF when REPLY (the kernel is
 * still there to hear it), the kind releases its state. */
void fs_handle_free(struct fs_handle *h, int reply);
/* Reply to an open with handle H; frees H when the opener is gone. */
void fs_reply_open(fuse_req_t req, struct fuse_file_info *fi, struct fs_handle *h,
    int stream);
/* Queue REQ on LIST (reads or writes) of H, answerable when interrupted. */
/* A read of H with nothing to return now: EAGAIN when the file is
 * non-blocking, else REQ waits on H's reads for SIZE bytes. */
void fs_read_wait(struct fs_handle *h, fuse_req_t req, size_t size,
    const struct fuse_file_info *fi);
struct fs_pending *fs_pending_add(struct fs_pending **list, struct fs_handle *h,
    fuse_req_t req);
/* End a waiting request that cannot complete (see fs.c). */
void fs_pending_fail(struct fs_pending *p, int err);
void fs_pending_free(struct fs_pending *p);
/* Tell a poller of H that its file may be ready. */
void fs_notify_poll(struct fs_handle *h);
/* Write permission on device V as the kernel would judge it for REQ. */
int fs_may_write(fuse_req_t req, const struct registry_device *v);
/* Permission WANT (4 read, 2 write) on a file of UID, GID and MODE. */
int fs_may_access(fuse_req_t req, uid_t uid, gid_t gid, mode_t mode, mode_t want);
/* Fill the attributes common to the device kinds. */
void fs_stat_device(struct fs *fs, const struct fs_ent *e, struct stat *st);

/* fs_log.c */
/* Forget the cached snapshot of device ID (it was removed). */
void fs_log_forget(struct fs *fs, uint64_t id);

/* fs_console.c */
/* user.replay: the next open of device V from session SID (within a few
 * seconds) replays N bytes (LINES: lines) of scrollback: 0, or an errno. */
int fs_console_ask_replay(struct fs *fs, const struct registry_device *v, pid_t sid,
    size_t n, int lines);
/* Forget what was asked for device ID (0: every device). */
void fs_console_forget(struct fs *fs, uint64_t id);

/* fs_spy.c */
/* Device ID was removed: its spies read end of file. */
void fs_spy_forget(struct fs *fs, uint64_t id);
/* The daemon stops: every spy reads end of file. */
void fs_spy_shutdown(struct fs *fs);
/* fs_tty.c */
/* The owner, group and mode device V's pty slave gets. */
void fs_tty_perm(const struct registry_device *v, struct bridge_perm *bp);

/* fs_xattr.c */
void fs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void fs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void fs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
    const char *value, size_t size, int flags);
void fs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

#endif
