/*
 * child.c — fork and exec on a pseudo-terminal, and reaping.
 *
 * The order in child_spawn_pty follows what tmux's spawn.c and libvirt's
 * virExec learned: block every signal before fork so the child cannot run a
 * parent's handler in the window before exec; reset dispositions and the
 * mask in the child; report an exec failure through a close-on-exec pipe,
 * so "command not found" reaches the parent as an errno instead of as an
 * exit status that looks like the guest's own.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "core/child.h"
#include "core/log.h"

struct child {
	pid_t		 pid;
	child_exit_fn	*fn;
	void		*arg;
	struct child	*next;
};

static struct child *child_list;

static void
child_exec(char *const argv[], const char *slave, int errfd)
{
	struct sigaction sa;
	sigset_t none;
	int fd, e;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() == -1)
		goto fail;
	/* Opening the slave as a session leader makes it the controlling
	 * terminal; TIOCSCTTY says so explicitly. */
	if ((fd = open(slave, O_RDWR)) == -1)
		goto fail;
	ioctl(fd, TIOCSCTTY, 0);
	if (dup2(fd, 0) == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
		goto fail;
	if (fd > 2)
		close(fd);
	/* Close everything else but the error pipe, which closes on exec. */
	for (int i = 3; i < errfd; i++)
		close(i);
	if (close_range(errfd + 1, ~0U, 0) == -1)
		for (int i = errfd + 1; i < 1024; i++)
			close(i);
	execvp(argv[0], argv);
fail:
	e = errno;
	if (write(errfd, &e, sizeof e) != (ssize_t)sizeof e)
		_exit(126);
	_exit(127);
}

/* Start ARGV on a new pseudo-terminal; pid and master, or -1 and *CAUSE. */
pid_t
child_spawn_pty(char *const argv[], int *master, child_exit_fn *fn, void *arg,
    char **cause)
{
	struct child *c = NULL;
	int m = -1, pfd[2] = { -1, -1 }, e = 0, saverr;
	char slave[64];
	sigset_t all, old;
	pid_t pid = -1;
	ssize_t n;

	*cause = NULL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		goto sysfail;
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m == -1 || grantpt(m) == -1 || unlockpt(m) == -1 ||
	    ptsname_r(m, slave, sizeof slave) != 0)
		goto sysfail;
	if (pipe2(pfd, O_CLOEXEC) == -1)
		goto sysfail;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child_exec(argv, slave, pfd[1]);
	saverr = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		errno = saverr;
		goto sysfail;
	}
	close(pfd[1]);
	pfd[1] = -1;
	do
		n = read(pfd[0], &e, sizeof e);
	while (n == -1 && errno == EINTR);
	close(pfd[0]);
	pfd[0] = -1;
	if (n == (ssize_t)sizeof e) {
		/* exec failed: collect the child now, it has nothing to say. */
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		if (asprintf(cause, "cannot execute %s: %s", argv[0], strerror(e)) == -1)
			*cause = NULL;
		pid = -1;
		errno = e;
		goto fail;
	}
	if (fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK) == -1)
		log_warn("%s: cannot make the pty master non-blocking: %s", __func__,
		    strerror(errno));
	c->pid = pid;
	c->fn = fn;
	c->arg = arg;
	c->next = child_list;
	child_list = c;
	*master = m;
	return pid;
sysfail:
	saverr = errno;
	if (asprintf(cause, "cannot start a pseudo-terminal: %s", strerror(saverr)) == -1)
		*cause = NULL;
	errno = saverr;
fail:
	saverr = errno;
	if (m != -1)
		close(m);
	if (pfd[0] != -1)
		close(pfd[0]);
	if (pfd[1] != -1)
		close(pfd[1]);
	free(c);
	errno = saverr;
	return -1;
}

/* Reap every exited child (call on SIGCHLD) and call their callbacks. */
void
child_reap(void)
{
	for (;;) {
		struct child **cp, *c;
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid <= 0)
			break;
		for (cp = &child_list; (c = *cp) != NULL; cp = &c->next)
			if (c->pid == pid)
				break;
		if (c == NULL)
			continue;
		*cp = c->next;
		if (c->fn != NULL)
			c->fn(pid, status, c->arg);
		free(c);
	}
}

/* Forget a child's callback (it will still be reaped). */
void
child_forget(pid_t pid)
{
	for (struct child *c = child_list; c != NULL; c = c->next)
		if (c->pid == pid)
			c->fn = NULL;
}

/* How many spawned children have not been reaped yet. */
int
child_count(void)
{
	int n = 0;

	for (struct child *c = child_list; c != NULL; c = c->next)
		n++;
	return n;
}

/* Send SIG to PID if it is a child not yet reaped (never to a stranger
 * that was given a reaped child's pid). */
void
child_signal(pid_t pid, int sig)
{
	for (struct child *c = child_list; c != NULL; c = c->next)
		if (c->pid == pid)
			kill(pid, sig);
}

/* Send SIG to every child not yet reaped. */
void
child_kill_all(int sig)
{
	for (struct child *c = child_list; c != NULL; c = c->next)
		kill(c->pid, sig);
}

/* Describe a wait status: "exited 0", "killed 9". */
void
child_describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed %d", WTERMSIG(status));
	else
		snprintf(buf, len, "status %d", status);
}
