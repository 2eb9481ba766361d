/*
 * backend_exec.c — exec: backends: a command consolefs starts itself on a
 * new pseudo-terminal when the device is created. Its output is read all
 * the time (console.c), also with no session open, so the program never
 * stalls on a full terminal.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backend_impl.h"
#include "core/child.h"
#include "core/log.h"

static void
backend_exec_exited(pid_t pid, int status, void *arg)
{
	struct backend *b = arg;

	child_describe(status, b->state, sizeof b->state);
	log_info("%s: %s (pid %d): %s", __func__, b->spec->argv[0], (int)pid, b->state);
	b->pid = 0;
	if (b->fn != NULL)
		b->fn(b, b->arg);
}

static int
backend_exec_start(struct backend *b)
{
	char *cause = NULL;
	int master = -1;

	b->pid = child_spawn_pty(b->spec->argv, &master, backend_exec_exited, b, &cause);
	if (b->pid == -1) {
		b->pid = 0;
		snprintf(b->state, sizeof b->state, "failed: %s",
		    cause != NULL ? cause : strerror(errno));
		log_error("%s: %s", __func__, b->state);
		free(cause);
		return -1;
	}
	snprintf(b->state, sizeof b->state, "running");
	log_info("%s: started %s (pid %d)", __func__, b->spec->argv[0], (int)b->pid);
	return master;
}

static int
backend_exec_open(struct backend *b)
{
	(void)b;
	errno = ENXIO;	/* only reached when the child is gone */
	return -1;
}

static void
backend_exec_close(struct backend *b, int fd)
{
	(void)b, (void)fd;
}

/* The master reads EIO once no slave is open; the child may still run and
 * open its terminal again, so the end is when it has also been reaped. */
static int
backend_exec_gone(struct backend *b, int fd)
{
	(void)fd;
	return b->pid == 0;
}

static void
backend_exec_stop(struct backend *b)
{
	if (b->pid > 0)
		kill(b->pid, SIGTERM);
}

static void
backend_exec_release(struct backend *b)
{
	/* Reaping goes on in child.c, but this backend is about to go. */
	if (b->pid > 0)
		child_forget(b->pid);
}

static const char *
backend_exec_state(struct backend *b)
{
	return b->state[0] != '\0' ? b->state : "not started";
}

const struct backend_ops backend_exec_ops = {
	.start = backend_exec_start,
	.open = backend_exec_open,
	.close = backend_exec_close,
	.gone = backend_exec_gone,
	.stop = backend_exec_stop,
	.release = backend_exec_release,
	.state = backend_exec_state,
};
