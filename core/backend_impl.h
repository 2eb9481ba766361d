/*
 * backend_impl.h — what the backend kinds share with backend.c: the
 * operations table and the backend's fields. Included only by backend*.c.
 */
#ifndef CONSOLEFS_BACKEND_IMPL_H
#define CONSOLEFS_BACKEND_IMPL_H

#include "core/backend.h"
#include "core/spec.h"

struct child;
struct lock;

struct backend_libvirt;
struct opts;

struct backend_ops {
	int	(*init)(struct backend *b, const struct opts *o, char **cause);	/* optional */
	int	(*start)(struct backend *b);			/* persistent kinds */
	int	(*ready)(struct backend *b);			/* persistent kinds */
	int	(*resume)(struct backend *b);	/* persistent: a new fd after the end */
	int	(*open)(struct backend *b);			/* per-session kinds */
	void	(*close)(struct backend *b, int fd);
	int	(*gone)(struct backend *b, int fd);
	int	(*brk)(struct backend *b, int fd, int on);	/* tty: only */
	void	(*stop)(struct backend *b);
	int	(*force)(struct backend *b, unsigned int hold_ms);	/* libvirt: only */
	int	(*holder)(struct backend *b, char *buf, size_t len);	/* optional */
	void	(*release)(struct backend *b);		/* before the free */
	const char *(*state)(struct backend *b);
};

struct backend {
	const struct backend_ops *ops;
	struct spec		*spec;
	char			*lock_dir;
	backend_event_fn	*fn;
	void			*arg;
	char			 state[256];
	/* exec: */
	pid_t			 pid;		/* child not yet reaped, or 0 */
	struct child		*child;		/* the program's start and end (child.c) */
	char		       **env;		/* extra KEY=VALUE (backend_set_env) */
	char		       **envp;		/* the program's whole environment */
	int			 exited;	/* the program ran and has been reaped */
	int			 failed;	/* the program could not start */
	int			 hup;		/* its terminal has hung up (no slave left) */
	int			 stopped;	/* backend_stop was called */
	char			 held[320];	/* the state with "(pty still held by pid N)" */
	/* pty:, tty:, udev: */
	struct lock		*lock;
	struct line_saved	*saved;		/* termios before the open */
	/* udev: */
	struct backend_udev	*udev;
	/* libvirt: */
	struct backend_libvirt	*lv;
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

/* Open a device path for a session: UUCP lock, open, flock, raw mode with
 * LINE's settings. Shared by pty:, tty: and udev:. */
int backend_dev_open(struct backend *b, const char *path, const struct line *line);
/* Undo backend_dev_open. */
void backend_dev_close(struct backend *b, int fd);
/* The state of a backend that is a path: "present" or "absent". */
const char *backend_path_state(struct backend *b);
/* Describe a process for a holder string: "pid=N comm=X". */
void backend_describe_pid(pid_t pid, char *buf, size_t len);

#endif
