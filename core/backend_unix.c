/*
 * backend_unix.c — unix: backends: a stream socket a hypervisor listens on
 * (QEMU -serial unix:PATH,server=on,wait=off), connected for a session or
 * held while no session is open (capture).
 *
 * The connect never blocks the loop. A blocking connect() to a listening
 * socket whose queue is full (QEMU accepts one client and then no more)
 * waits in unix_wait_for_peer until the server accepts, uninterruptibly for
 * the daemon's whole loop: every console stopped. Non-blocking, Linux
 * answers EAGAIN at once instead, and nothing tells when the queue has room,
 * so the connect is retried every BACKEND_UNIX_RETRY_MS until
 * BACKEND_UNIX_CONNECT_MS have passed, then the open fails with ENXIO.
 * (EINPROGRESS, which unix sockets do not give today, would be waited for
 * with a write watch and the same bound.) The opener waits meanwhile: fs/
 * answers its open when the console says the open is done.
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
#include "core/loop.h"
#include "core/path.h"

#define BACKEND_UNIX_CONNECT_MS	2000
#define BACKEND_UNIX_RETRY_MS	50

static void backend_unix_retry(struct loop *lp, void *arg);

/* One connect() of FD to the socket: 0, or an errno. connect() walks its
 * path like open(): the path is walked safely (path.c) and the socket that
 * was checked is connected to through /proc/self/fd. */
static int
backend_unix_connect(struct backend *b, int fd)
{
	struct sockaddr_un sun;
	int pfd, err;

	if ((pfd = path_resolve(b->spec->path, NULL, 0)) == -1) {
		err = errno;
		if (err == EDEADLK)
			log_warn("%s: %s: %s", __func__, b->spec->path, PATH_REFUSED_STATE);
		return err == EAGAIN || err == EINPROGRESS ? ENXIO : err;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "/proc/self/fd/%d", pfd);
	err = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0 ? 0 : errno;
	close(pfd);
	return err;
}

/* The connect in progress is over with RESULT (0 or an errno). */
static void
backend_unix_done(struct backend *b, int result)
{
	if (result != 0)
		log_info("%s: %s: %s", __func__, b->spec->path,
		    result == ETIMEDOUT ? "the server accepts no connection (its queue "
		    "stayed full)" : strerror(result));
	b->cresult = result;
	loop_del_timer(b->loop, b->ctimer);
	b->ctimer = NULL;
	loop_del_fd(b->loop, b->cfd);
	backend_notify(b);
}

static void
backend_unix_writable(struct loop *lp, int fd, int events, void *arg)
{
	struct backend *b = arg;
	socklen_t len = sizeof(int);
	int err = 0;

	(void)lp, (void)events;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	backend_unix_done(b, err);
}

/* Wait for the connect on b->cfd, which said ERR: retry after a while
 * (EAGAIN: the queue is full) or wait until writable. 0, or -1. */
static int
backend_unix_wait(struct backend *b, int err)
{
	if (err == EAGAIN)
		b->ctimer = loop_add_timer(b->loop, BACKEND_UNIX_RETRY_MS,
		    backend_unix_retry, b);
	else if (loop_add_fd(b->loop, b->cfd, LOOP_WRITE, backend_unix_writable, b) == 0)
		b->ctimer = loop_add_timer(b->loop, b->cdeadline - loop_now_ms(),
		    backend_unix_retry, b);
	return b->ctimer != NULL ? 0 : -1;
}

/* Try the connect on b->cfd again: done, or wait some more. */
static void
backend_unix_step(struct backend *b)
{
	int err = backend_unix_connect(b, b->cfd);

	if (err == 0 || err == EISCONN)
		backend_unix_done(b, 0);
	else if (err != EAGAIN && err != EINPROGRESS && err != EALREADY)
		backend_unix_done(b, err);
	else if (loop_now_ms() >= b->cdeadline)
		backend_unix_done(b, ETIMEDOUT);
	else if (backend_unix_wait(b, err) == -1)
		backend_unix_done(b, ENOMEM);
}

static void
backend_unix_retry(struct loop *lp, void *arg)
{
	struct backend *b = arg;

	(void)lp;
	b->ctimer = NULL;
	loop_del_fd(b->loop, b->cfd);
	backend_unix_step(b);
}

static void
backend_unix_cancel(struct backend *b)
{
	if (b->cfd == -1)
		return;
	loop_del_timer(b->loop, b->ctimer);
	b->ctimer = NULL;
	loop_del_fd(b->loop, b->cfd);
	close(b->cfd);
	b->cfd = -1;
}

static int
backend_unix_open(struct backend *b, int session)
{
	int fd, err;

	(void)session;
	if (b->cfd != -1) {
		errno = EBUSY;	/* one open at a time: console.c waits for it */
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if ((err = backend_unix_connect(b, fd)) == 0)
		return fd;
	if (err != EAGAIN && err != EINPROGRESS) {
		log_info("%s: %s: %s", __func__, b->spec->path, strerror(err));
		close(fd);
		errno = ENXIO;
		return -1;
	}
	/* Nothing is told to the console before this returns: the retry
	 * comes from the loop. */
	b->cfd = fd;
	b->cresult = EINPROGRESS;
	b->cdeadline = loop_now_ms() + BACKEND_UNIX_CONNECT_MS;
	log_debug("%s: %s: the connect waits: trying for %d ms", __func__,
	    b->spec->path, BACKEND_UNIX_CONNECT_MS);
	if (backend_unix_wait(b, err) == -1) {
		backend_unix_cancel(b);
		errno = ENXIO;
		return -1;
	}
	errno = EINPROGRESS;
	return -1;
}

static int
backend_unix_opened(struct backend *b)
{
	int fd = b->cfd;

	if (fd == -1) {
		errno = ENXIO;
		return -1;
	}
	if (b->cresult == EINPROGRESS) {
		errno = EINPROGRESS;
		return -1;
	}
	b->cfd = -1;
	if (b->cresult == 0)
		return fd;
	close(fd);
	errno = ENXIO;
	return -1;
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
	.opened = backend_unix_opened,
	.cancel = backend_unix_cancel,
	.close = backend_unix_close,
	.gone = backend_unix_gone,
	.state = backend_path_state,
};
