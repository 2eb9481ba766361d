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
#include "core/path.h"

static int
backend_unix_open(struct backend *b)
{
	struct sockaddr_un sun;
	int fd, pfd, r, saverr;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(b->spec->path) >= sizeof sun.sun_path) {
		errno = ENXIO;
		return -1;
	}
	/* connect() walks its path like open(): walk it safely (path.c) and
	 * connect to the socket that was checked, through /proc/self/fd. */
	if ((pfd = path_resolve(b->spec->path, NULL, 0)) == -1) {
		if (errno == EDEADLK)
			log_warn("%s: %s: %s", __func__, b->spec->path, PATH_REFUSED_STATE);
		else
			log_info("%s: %s: %s", __func__, b->spec->path, strerror(errno));
		errno = ENXIO;
		return -1;
	}
	snprintf(sun.sun_path, sizeof sun.sun_path, "/proc/self/fd/%d", pfd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		saverr = errno;
		close(pfd);
		errno = saverr;
		return -1;
	}
	/* Connect blocking: a listening unix socket answers at once or refuses. */
	r = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	saverr = errno;
	close(pfd);
	if (r == -1) {
		log_info("%s: %s: %s", __func__, b->spec->path, strerror(saverr));
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
