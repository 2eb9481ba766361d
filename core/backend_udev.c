/*
 * backend_udev.c — udev: backends: a host serial device found by its udev
 * properties ("udev:ID_SERIAL_SHORT=A9XK3,115200"), present while exactly
 * one tty matches. Opened per session like tty: (lock, flock, line
 * settings) on whichever node the match has now, so an adapter that comes
 * back as ttyUSB1 instead of ttyUSB0 is found again. Not for following the
 * devices (udev.c) nor for what a session sees across an unplug
 * (console.c).
 *
 * More than one match is never guessed at: the device is absent and the
 * log names the candidates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "core/backend_impl.h"
#include "core/log.h"
#include "core/udev.h"

struct backend_udev {
	char	*devnode;	/* the one matching tty, or NULL */
	size_t	 nmatch;	/* how many match */
};

/* Count the ttys that match; the node of the only one, else NULL; the
 * candidates' nodes in CANDIDATES when there are several. */
static size_t
backend_udev_scan(struct backend *b, const char **only, char *candidates, size_t len)
{
	size_t n = 0;

	*only = NULL;
	candidates[0] = '\0';
	for (size_t i = 0; i < udev_tty_count(); i++) {
		const struct udev_tty *t = udev_tty_at(i);
		size_t used = strlen(candidates);

		if (!udev_tty_match(t, b->spec->match))
			continue;
		if (n++ == 0)
			*only = udev_tty_devnode(t);
		snprintf(candidates + used, len - used, "%s%s (%s)", used ? ", " : "",
		    udev_tty_devnode(t), udev_tty_syspath(t));
	}
	if (n != 1)
		*only = NULL;
	return n;
}

/* Work out the state again after a change in the ttys; tell the console
 * when it changed. */
static void
backend_udev_update(void *arg, const struct udev_tty *changed, int present)
{
	struct backend *b = arg;
	struct backend_udev *u = b->udev;
	const char *only;
	char candidates[2048];
	size_t n;

	(void)changed, (void)present;
	n = backend_udev_scan(b, &only, candidates, sizeof candidates);
	if (n == u->nmatch && (only == NULL) == (u->devnode == NULL) &&
	    (only == NULL || strcmp(only, u->devnode) == 0))
		return;
	free(u->devnode);
	u->devnode = only != NULL ? strdup(only) : NULL;
	if (only != NULL && u->devnode == NULL)
		log_error("%s: %s: out of memory", __func__, b->spec->text);
	u->nmatch = n;
	if (u->devnode != NULL)
		log_info("%s: %s: present as %s", __func__, b->spec->text, u->devnode);
	else if (n > 1)
		log_warn("%s: %s: absent: %zu ttys match, never guessing which: %s", __func__,
		    b->spec->text, n, candidates);
	else
		log_info("%s: %s: absent (no tty matches)", __func__, b->spec->text);
	if (b->fn != NULL)
		b->fn(b, b->arg);
}

/* Follow the ttys for a udev: backend; the state is known on return. */
int
backend_udev_watch(struct backend *b)
{
	backend_event_fn *fn = b->fn;

	int rc = -1;

	if ((b->udev = calloc(1, sizeof *b->udev)) == NULL)
		return -1;
	/* The first state is logged, but there is nobody to tell yet. The
	 * first subscriber's enumeration may already bring it. */
	b->fn = NULL;
	b->udev->nmatch = (size_t)-1;
	if (udev_subscribe(backend_udev_update, b) == 0) {
		backend_udev_update(b, NULL, 0);
		rc = 0;
	}
	b->fn = fn;
	return rc;
}

/* The node of the matching tty now, or NULL. */
const char *
backend_udev_path(const struct backend *b)
{
	return b->udev != NULL ? b->udev->devnode : NULL;
}

/* The node of the one matching tty (backend_dev_open's resolve). */
static int
backend_udev_resolve(struct backend *b)
{
	struct stat st;

	if (b->udev->devnode == NULL) {
		errno = ENXIO;
		return -1;
	}
	return backend_dev_bind(b, b->udev->devnode, &st);
}

/* Whether the node held open is still the one that matches. */
static int
backend_udev_current(struct backend *b)
{
	return b->udev->devnode != NULL && b->resolved &&
	    strcmp(b->udev->devnode, b->real) == 0;
}

static int
backend_udev_open(struct backend *b, int session)
{
	return backend_dev_open(b, session, &b->spec->line);
}

/* After a hang-up: gone when no tty matches now, or the one that does is
 * another device than the one open. */
static int
backend_udev_gone(struct backend *b, int fd)
{
	struct stat held, now;

	if (b->udev->devnode == NULL || fstat(fd, &held) == -1 ||
	    stat(b->udev->devnode, &now) == -1)
		return 1;
	return held.st_rdev != now.st_rdev;
}

static int
backend_udev_break(struct backend *b, int fd, int on)
{
	(void)b;
	if (fd == -1) {
		errno = ENXIO;
		return -1;
	}
	return ioctl(fd, on ? TIOCSBRK : TIOCCBRK);
}

static const char *
backend_udev_state(struct backend *b)
{
	if (b->udev->devnode != NULL)
		snprintf(b->state, sizeof b->state, "present %s", b->udev->devnode);
	else
		snprintf(b->state, sizeof b->state, "absent");
	return b->state;
}

static void
backend_udev_release(struct backend *b)
{
	if (b->udev == NULL)
		return;
	udev_unsubscribe(backend_udev_update, b);
	free(b->udev->devnode);
	free(b->udev);
	b->udev = NULL;
}

const struct backend_ops backend_udev_ops = {
	.resolve = backend_udev_resolve,
	.current = backend_udev_current,
	.open = backend_udev_open,
	.close = backend_dev_close,
	.gone = backend_udev_gone,
	.brk = backend_udev_break,
	.state = backend_udev_state,
	.release = backend_udev_release,
};
