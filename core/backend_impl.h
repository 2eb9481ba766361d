/*
 * backend_impl.h — what the backend kinds share with backend.c: the
 * operations table and the backend's fields. Included only by backend*.c.
 */
#ifndef CONSOLEFS_BACKEND_IMPL_H
#define CONSOLEFS_BACKEND_IMPL_H

#include <limits.h>
#include <sys/stat.h>
#include <time.h>

#include "core/backend.h"
#include "core/spec.h"
#include "core/watch.h"

struct backend_libvirt;
struct child;
struct line;
struct line_saved;
struct lock;
struct loop;
struct loop_timer;
struct opts;
struct watch;

/* The lock file names one device has, all honoured and all taken by a
 * session: minicom's and lockdev's "LCK..pts_7", libvirt's "LCK.._pts_7",
 * and lockdev's "LCK.136.007" by device number, which another node of the
 * same device (a mknod elsewhere) shares. */
#define BACKEND_LOCKS		3

struct backend_ops {
	int	(*init)(struct backend *b, const struct opts *o, char **cause);	/* optional */
	int	(*start)(struct backend *b);			/* persistent kinds */
	int	(*ready)(struct backend *b);			/* persistent kinds */
	int	(*resume)(struct backend *b);	/* persistent: a new fd after the end */
	/* The device node to open now, after the kind's checks (pty:
	 * identity): 0 with b->real set (backend_dev_bind), or -1 ENXIO.
	 * Device kinds only. */
	int	(*resolve)(struct backend *b);
	int	(*open)(struct backend *b, int session);
	int	(*opened)(struct backend *b);			/* unix: */
	void	(*cancel)(struct backend *b);			/* unix: */
	void	(*close)(struct backend *b, int fd);
	int	(*gone)(struct backend *b, int fd);
	int	(*brk)(struct backend *b, int fd, int on);	/* tty:, udev: */
	void	(*stop)(struct backend *b);
	int	(*force)(struct backend *b, unsigned int hold_ms);	/* libvirt: only */
	int	(*holder)(struct backend *b, char *buf, size_t len);	/* optional */
	void	(*release)(struct backend *b);		/* before the free */
	void	(*rebind)(struct backend *b);			/* pty: */
	int	(*current)(struct backend *b);		/* pty: */
	const char *(*state)(struct backend *b);
};

struct backend {
	const struct backend_ops *ops;
	struct loop		*loop;
	struct spec		*spec;
	char			*lock_dir;
	int			 capture;	/* the console holds it with no session */
	backend_event_fn	*fn;
	void			*arg;
	char			 state[256];
	/* exec: */
	pid_t			 pid;		/* child not yet reaped, or 0 */
	struct child		*child;		/* the program's start and end (child.c) */
	char		       **env;		/* extra KEY=VALUE (backend_set_env) */
	char		       **envp;		/* the program's whole environment */
	int			 exited;	/* the program ran and has been reaped */
	int			 status;	/* ... with this wait status */
	int			 failed;	/* the program could not start */
	int			 hup;		/* its terminal has hung up (no slave left) */
	int			 stopped;	/* backend_stop was called */
	char			 held[320];	/* the state with "(pty still held by pid N)" */
	/* pty:, tty:, udev: the device */
	char			*real;		/* the node opened, the path resolved ("" before) */
	int			 resolved;	/* real, names and node watch are set */
	char			 names[BACKEND_LOCKS][NAME_MAX + 1];	/* "" when none */
	struct lock		*locks[BACKEND_LOCKS];
	int			 flocked;
	struct line_saved	*saved;		/* termios before the open */
	struct watch		*node;		/* the device node: opens, closes, removal */
	struct watch		*lockdir;	/* the lock directory (capture) */
	struct watch		*pathdir;	/* pty: an absent path's directory */
	int			 foreign;	/* other programs' open files on the node */
	int			 own_opens;	/* our opens whose IN_OPEN is still to come */
	int			 own_closes;
	unsigned int		 node_gen;	/* changes with every new node watch */
	unsigned int		 fd_gen;	/* node_gen when the fd was opened */
	/* pty: what the device is bound to */
	int			 bound;
	int			 lost;		/* the bound pty went away: absent until rebind */
	int			 absent_said;	/* 1 plain path, 2 link: logged as absent */
	dev_t			 rdev;
	uid_t			 uid;
	struct timespec		 ctime;		/* without a node watch: the identity */
	int			 link;		/* the path is a symbolic link */
	dev_t			 link_dev;
	ino_t			 link_ino;
	struct timespec		 link_ctime;
	int			 refused_mount;	/* said that the path enters our mount */
	int			 refused;	/* a pty at the path was refused: which */
	dev_t			 refused_rdev;
	struct timespec		 refused_ctime;
	/* udev: */
	struct backend_udev	*udev;
	/* libvirt: */
	struct backend_libvirt	*lv;
	/* unix: a connect in progress */
	int			 cfd;
	int			 cresult;	/* 0 connected, EINPROGRESS, or an errno */
	long long		 cdeadline;
	struct loop_timer	*ctimer;
};

extern const struct backend_ops backend_exec_ops;
extern const struct backend_ops backend_pty_ops;
extern const struct backend_ops backend_tty_ops;
extern const struct backend_ops backend_unix_ops;
extern const struct backend_ops backend_udev_ops;
extern const struct backend_ops backend_libvirt_ops;
extern const struct backend_ops backend_libvirt_capture_ops;

/* Follow the ttys for a udev: backend (backend_udev.c): 0, or -1. */
int backend_udev_watch(struct backend *b);
/* The node of the tty a udev: backend matches now, or NULL. */
const char *backend_udev_path(const struct backend *b);

/* Open the device b->ops->resolve names: for a SESSION with its locks and
 * flock, else (capture) holding none and refusing (EBUSY) when another
 * program has it; non-blocking, raw mode with LINE's settings. Shared by
 * pty:, tty: and udev:. */
int backend_dev_open(struct backend *b, int session, const struct line *line);
/* Undo backend_dev_open. */
void backend_dev_close(struct backend *b, int fd);
/* Make PATH (resolved safely, path.c) the device node b->real: watch it
 * (unless that inode is watched already) and name its locks; *ST gets its
 * attributes. 0, or -1 ENXIO (not there, not a character device). */
/* watch_add on PATH resolved safely (path.c). */
struct watch *backend_watch_path(struct loop *lp, const char *path, uint32_t mask,
    watch_fn *fn, void *arg);
int backend_dev_bind(struct backend *b, const char *path, struct stat *st);
/* Whether b->real still leads to the inode the node watch has: 1, 0 (not
 * there, or another inode), -1 (no watch); *ST gets its attributes. */
int backend_dev_same(struct backend *b, struct stat *st);
/* Forget the node watch (its inode is gone or is no longer ours). */
void backend_dev_unbind(struct backend *b);
/* lstat(2) of PATH itself (a symbolic link is not followed), its
 * directory reached safely (path.c). */
int backend_lstat(const char *path, struct stat *st);
/* The state of a backend that is a path: "present" or "absent". */
const char *backend_path_state(struct backend *b);
/* Describe a process for a holder string: "pid=N comm=X". */
void backend_describe_pid(pid_t pid, char *buf, size_t len);
/* Tell the console that something changed. */
void backend_notify(struct backend *b);

#endif
