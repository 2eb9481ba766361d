/*
 * backend_unix.c — unix: backends: a stream socket a hypervisor listens on
 * (QEMU -serial unix:PATH,server=on,wait=off), connected per session.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/backend_impl.h"
#include "core/log.h"

static int
backend_unix_open(struct backend *b)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(b->spec->path) >= sizeof sun.sun_path) {
		errno = ENXIO;
		return -1;
	}
	strcpy(sun.sun_path, b->spec->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* Connect blocking: a listening unix socket answers at once or refuses. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		log_info("%s: %s: %s", __func__, b->spec->path, strerror(errno));
		close(fd);
		errno = ENXIO;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void
backend_unix_close(struct backend *b, int fd)
{
	(void)b;
	close(fd);
}

static int
backend_unix_gone(struct backend *b, int fd)
{
	(void)b, (void)fd;
	return 1;	/* the server closed our connection */
}

const struct backend_ops backend_unix_ops = {
	.open = backend_unix_open,
	.close = backend_unix_close,
	.gone = backend_unix_gone,
	.state = backend_path_state,
};
