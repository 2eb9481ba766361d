/*
 * backend_tty.c — pty: and tty: backends: a terminal device path opened
 * when a session starts and closed when it ends, as libvirt does for
 * pty consoles. The two differ only in the line settings (tty: sets a
 * speed, framing, flow control; pty: only raw mode).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "core/backend_impl.h"
#include "core/path.h"

static int
backend_pty_open(struct backend *b)
{
	struct line raw;

	line_init_raw(&raw);
	return backend_dev_open(b, b->spec->path, &raw);
}

static int
backend_tty_open(struct backend *b)
{
	return backend_dev_open(b, b->spec->path, &b->spec->line);
}

/* A pty slave hangs up for good when its master closes: devpts then removes
 * the node, so the path no longer leads to the device we hold. A tty that
 * hung up (carrier loss) may come back; an unplugged one loses its node. */
static int
backend_tty_gone(struct backend *b, int fd)
{
	struct stat held, now;

	if (fstat(fd, &held) == -1 || path_stat(b->spec->path, &now) == -1)
		return 1;
	if (b->spec->kind == SPEC_PTY)
		return 1;
	return held.st_rdev != now.st_rdev;
}

static int
backend_tty_break(struct backend *b, int fd, int on)
{
	(void)b;
	if (fd == -1) {
		errno = ENXIO;
		return -1;
	}
	return ioctl(fd, on ? TIOCSBRK : TIOCCBRK);
}

const struct backend_ops backend_pty_ops = {
	.open = backend_pty_open,
	.close = backend_dev_close,
	.gone = backend_tty_gone,
	.state = backend_path_state,
};

const struct backend_ops backend_tty_ops = {
	.open = backend_tty_open,
	.close = backend_dev_close,
	.gone = backend_tty_gone,
	.brk = backend_tty_break,
	.state = backend_path_state,
};
