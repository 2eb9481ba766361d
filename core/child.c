/*
 * child.c — starting programs on pseudo-terminals, signalling and reaping
 * them.
 *
 * Spawning costs the same whatever the daemon's size: clone(CLONE_VM |
 * CLONE_VFORK) on a stack of its own never copies the daemon's page tables,
 * where fork copied them all: with 1,000 consoles holding their rings a
 * fork took ~2.6 ms, and 10,000 consoles took 220 s to start (perf: 86% in
 * fork -> dup_mmap -> copy_page_range). Not posix_spawn: glibc 2.36's
 * leaves its internal signals 32 and 33 ignored in the child, and ignored
 * survives exec (seen in /proc/PID/status SigIgn: 0000000180000000).
 *
 * The guarantees of the fork path it replaced are kept, in the order
 * tmux's spawn.c and libvirt's virExec learned: every signal is blocked
 * across the clone, so the child cannot run one of our handlers; the child
 * resets every disposition to default, takes an fd table of its own with
 * only fds 0-2 (it shares ours until then, so that the clone never copies
 * thousands of fds), calls setsid, opens the slave as the new session
 * leader (which makes it the controlling terminal; TIOCSCTTY says so
 * explicitly) onto fds 0-2, empties its signal mask and execs; an exec failure comes back as an
 * errno in memory we share, so "command not found" is reported as a
 * reason instead of an exit status that looks like the program's own.
 *
 * The command is looked up in the PATH of the environment it is given, not
 * the daemon's (as execvpe would if it took the child's environment); a
 * file without a #! line is run by /bin/sh, as execvp does.
 *
 * The daemon holds the slave open (O_NOCTTY) while it spawns: it sets the
 * terminal modes there first, and when the spawn fails its close is the
 * last one, so the master reads EIO exactly as when a program exits.
 *
 * Queue: starts are queued and run from a zero-delay loop timer in batches
 * of at most CHILD_BATCH_US, so a daemon starting 10,000 consoles answers
 * requests between batches and consoles come up one by one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "core/child.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/path.h"
#include "core/proc.h"

#define CHILD_BATCH_US		10000
#define CHILD_STACK		(64 * 1024)
#define CHILD_DEFAULT_PATH	"/usr/local/bin:/usr/bin:/bin"

enum child_state { CHILD_QUEUED, CHILD_RUNNING, CHILD_DONE };

struct child {
	enum child_state state;
	pid_t		 pid;		/* while CHILD_RUNNING */
	char *const	*argv;
	char *const	*env;
	char		 tty[32];
	child_start_fn	*started;
	child_exit_fn	*exited;
	void		*arg;
	int		 released;	/* nobody to tell: free when reaped */
	struct child	*qprev, *qnext;	/* the start queue */
	struct child	*hnext;		/* running children by pid */
};

/* A session whose other process groups get a signal (child_sweep). */
struct child_sweep {
	pid_t	sid;
	int	sig;
};

static struct {
	struct loop		*loop;
	struct loop_timer	*timer;
	struct loop_timer	*sweep_timer;
	struct child_sweep	*sweep;		/* sorted by sid when swept */
	size_t			 nsweep, sweep_cap;
	struct child		*qhead, *qtail;
	struct child	       **hash;	/* running children by pid */
	size_t			 nbuckets;
	size_t			 nrunning;
} children;

static long long
child_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct child **
child_bucket(pid_t pid)
{
	return &children.hash[(size_t)pid & (children.nbuckets - 1)];
}

static struct child *
child_find(pid_t pid)
{
	struct child *c;

	if (children.nbuckets == 0)
		return NULL;
	for (c = *child_bucket(pid); c != NULL; c = c->hnext)
		if (c->pid == pid)
			return c;
	return NULL;
}

static int
child_hash_add(struct child *c)
{
	struct child **cp;

	if (children.nrunning >= children.nbuckets) {
		size_t n = children.nbuckets == 0 ? 64 : children.nbuckets * 2;
		struct child **h = calloc(n, sizeof *h), **old = children.hash;
		size_t oldn = children.nbuckets;

		if (h == NULL)
			return -1;
		children.hash = h;
		children.nbuckets = n;
		for (size_t i = 0; i < oldn; i++) {
			struct child *e, *next;

			for (e = old[i]; e != NULL; e = next) {
				next = e->hnext;
				cp = child_bucket(e->pid);
				e->hnext = *cp;
				*cp = e;
			}
		}
		free(old);
	}
	cp = child_bucket(c->pid);
	c->hnext = *cp;
	*cp = c;
	children.nrunning++;
	return 0;
}

static void
child_hash_del(struct child *c)
{
	struct child **cp;

	for (cp = child_bucket(c->pid); *cp != NULL; cp = &(*cp)->hnext)
		if (*cp == c) {
			*cp = c->hnext;
			children.nrunning--;
			return;
		}
}

static void
child_dequeue(struct child *c)
{
	if (c->qprev != NULL)
		c->qprev->qnext = c->qnext;
	else
		children.qhead = c->qnext;
	if (c->qnext != NULL)
		c->qnext->qprev = c->qprev;
	else
		children.qtail = c->qprev;
	c->qprev = c->qnext = NULL;
}

/* stat() FILE into *ST, or (ST NULL) check it may be executed, walking its
 * path with core/path.c: -1 with EDEADLK when it leads into our mount. */
static int
child_check(const char *file, struct stat *st)
{
	int fd = path_resolve(file, NULL, 0), r, saverr;

	if (fd == -1)
		return -1;
	r = st != NULL ? fstat(fd, st) : faccessat(fd, "", X_OK, AT_EMPTY_PATH);
	saverr = errno;
	close(fd);
	errno = saverr;
	return r;
}

/* A #! line names an interpreter that the kernel looks up in the child,
 * while the loop waits: check it the same way, as deep as the kernel
 * follows interpreters. -1 with EDEADLK when one leads into our mount. */
static int
child_check_script(const char *file, int depth)
{
	char line[256], *p;
	struct stat st;
	ssize_t n;
	int fd;

	if (depth > 4 || child_check(file, &st) == -1 || !S_ISREG(st.st_mode))
		return 0;
	if ((fd = path_open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)) == -1)
		return errno == EDEADLK ? -1 : 0;
	n = read(fd, line, sizeof line - 1);
	close(fd);
	if (n < 3 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = '\0';
	p = line + 2 + strspn(line + 2, " \t");
	p[strcspn(p, " \t\n")] = '\0';
	if (child_check(p, NULL) == -1 && errno == EDEADLK)
		return -1;
	return child_check_script(p, depth + 1);
}

/* Find CMD the way execvp does, but in ENV's PATH: 0 and the file in BUF,
 * or an errno (EACCES when one was found but cannot be executed). */
static int
child_lookup(const char *cmd, char *const env[], char *buf, size_t len)
{
	const char *path = CHILD_DEFAULT_PATH, *p, *end;
	int e = ENOENT;

	if (cmd[0] == '\0')
		return ENOENT;
	if (strchr(cmd, '/') != NULL) {
		if (snprintf(buf, len, "%s", cmd) >= (int)len)
			return ENAMETOOLONG;
		/* The loop waits for the clone(CLONE_VFORK) child's execve: a
		 * path into our own mount would have it wait for itself
		 * (core/path.c). Other errors are execve's to report. */
		if ((child_check(buf, NULL) == -1 && errno == EDEADLK) ||
		    child_check_script(buf, 0) == -1)
			return EDEADLK;
		return 0;
	}
	for (char *const *v = env; v != NULL && *v != NULL; v++)
		if (strncmp(*v, "PATH=", 5) == 0)
			path = *v + 5;
	for (p = path;; p = end + 1) {
		struct stat st;
		int n;

		end = strchrnul(p, ':');
		/* An empty element is the current directory, as for execvp. */
		if (end == p)
			n = snprintf(buf, len, "%s", cmd);
		else
			n = snprintf(buf, len, "%.*s/%s", (int)(end - p), p, cmd);
		if (n < (int)len && child_check(buf, &st) == -1) {
			if (errno == EDEADLK)
				return EDEADLK;
		} else if (n < (int)len && S_ISREG(st.st_mode)) {
			if (child_check(buf, NULL) == 0)
				return child_check_script(buf, 0) == -1 ? EDEADLK : 0;
			e = EACCES;
		}
		if (*end == '\0')
			break;
	}
	return e;
}

/* What the spawned child needs; ERR is how it reports back (shared memory). */
struct child_exec_args {
	const char	*tty;
	const char	*file;
	char *const	*argv;
	char *const	*shargv;	/* /bin/sh FILE ARGS, for a file without #! */
	char *const	*env;
	long		 maxfd;		/* RLIMIT_NOFILE, for a kernel without close_range */
	int		 err;
};

/* The kernel's struct sigaction (rt_sigaction), for SIG_DFL. */
struct child_ksigaction {
	void		*handler;
	unsigned long	 flags;
	void		*restorer;
	unsigned long	 mask;
};

/* The child, between clone and exec. It shares our memory and runs on its
 * own small stack while we wait, so it makes raw system calls only: no
 * allocation, no locks, nothing a sanitizer would intercept. */
__attribute__((no_sanitize_address, no_sanitize_undefined))
static int
child_main(void *arg)
{
	struct child_exec_args *a = arg;
	struct child_ksigaction dfl = { SIG_DFL, 0, NULL, 0 };
	unsigned long none = 0;
	long fd;

	for (int sig = 1; sig <= 64; sig++)
		syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof none);
	/* Our fd table is shared (CLONE_FILES) until here: a table of its own
	 * holding only 0-2, every other fd closed. Nothing before this line
	 * may touch an fd. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_UNSHARE) == -1) {
		if (syscall(SYS_unshare, CLONE_FILES) == -1)
			goto fail;
		for (long i = 3; i < a->maxfd; i++)
			syscall(SYS_close, i);
	}
	if (syscall(SYS_setsid) == -1)
		goto fail;
	/* Opened without O_NOCTTY by a session leader with no terminal: it
	 * becomes the controlling terminal; TIOCSCTTY says so explicitly. */
	if ((fd = syscall(SYS_openat, AT_FDCWD, a->tty, O_RDWR)) == -1 ||
	    syscall(SYS_ioctl, fd, TIOCSCTTY, 0) == -1)
		goto fail;
	for (long i = 0; i < 3; i++)
		if (fd != i && syscall(SYS_dup2, fd, i) == -1)
			goto fail;
	if (fd > 2)
		syscall(SYS_close, fd);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof none);
	syscall(SYS_execve, a->file, a->argv, a->env);
	if (errno == ENOEXEC)
		syscall(SYS_execve, "/bin/sh", a->shargv, a->env);
fail:
	a->err = errno != 0 ? errno : EINVAL;
	syscall(SYS_exit_group, 127);
	return 127;
}

/* The child's stack: one, reused, as the parent waits until the child has
 * exec'd or exited (CLONE_VFORK); a guard page below it. */
static char *
child_stack(void)
{
	static char *top;

	if (top == NULL) {
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		char *base = mmap(NULL, CHILD_STACK + page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

		if (base == MAP_FAILED)
			return NULL;
		mprotect(base, page, PROT_NONE);
		top = base + page + CHILD_STACK;
	}
	return top;
}

/* Start FILE (ARGV[0] as given) on TTY: 0 and *PID, or an errno. */
static int
child_clone(pid_t *pid, const char *file, char *const argv[], char *const env[],
    const char *tty)
{
	struct child_exec_args a = { tty, file, argv, NULL, env, sysconf(_SC_OPEN_MAX), 0 };
	char *stack = child_stack(), **shargv;
	sigset_t all, old;
	size_t n = 0;
	int e = 0;

	if (stack == NULL)
		return errno;
	while (argv[n] != NULL)
		n++;
	if ((shargv = calloc(n + 2, sizeof *shargv)) == NULL)
		return ENOMEM;
	shargv[0] = (char *)"/bin/sh";
	shargv[1] = (char *)file;
	for (size_t i = 1; i < n; i++)
		shargv[i + 1] = argv[i];
	a.shargv = shargv;
	/* Every signal blocked across the clone: the child must not run one
	 * of our handlers on our memory before it has reset them. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	/* CLONE_FILES too: copying a table of 10,000 masters into every child
	 * only for it to close them made each spawn cost O(consoles) (10,000
	 * exec: consoles took 31 s to start, 3,000 vs 300: 20x); the child
	 * unshares a table of just fds 0-2 (close_range's UNSHARE flag). */
	*pid = clone(child_main, stack, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &a);
	if (*pid == -1)
		e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(shargv);
	if (e != 0)
		return e;
	if (a.err != 0) {
		/* It never ran the program: collect it now. */
		while (waitpid(*pid, NULL, 0) == -1 && errno == EINTR)
			;
		return a.err;
	}
	return 0;
}

/* Start C's program now: its pid, or -1 and *CAUSE (malloc'd). */
static pid_t
child_exec(struct child *c, char **cause)
{
	char file[PATH_MAX];
	struct termios t;
	pid_t pid = -1;
	int slave, e;

	*cause = NULL;
	slave = open(c->tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave == -1) {
		e = errno;
		if (asprintf(cause, "cannot open %s: %s", c->tty, strerror(e)) == -1)
			*cause = NULL;
		errno = e;
		return -1;
	}
	/* A console, not a login line: the program's output passes unchanged
	 * (no \n -> \r\n). QEMU -nographic sets its stdio raw but for OPOST,
	 * which it turns on and leaves ONLCR as it found it: on a default pty
	 * a guest's "\r\n" reached the log as "\r\r\n". OPOST stays on with
	 * every translation off, so `stty onlcr` alone gives a shell for
	 * people its carriage returns back. Input stays cooked and echoing: a
	 * program that wants raw input sets it. */
	if (tcgetattr(slave, &t) == 0) {
		t.c_oflag &= ~(ONLCR | OCRNL | ONOCR | ONLRET | TABDLY);
		tcsetattr(slave, TCSANOW, &t);
	}
	e = child_lookup(c->argv[0], c->env, file, sizeof file);
	if (e == 0)
		e = child_clone(&pid, file, c->argv, c->env, c->tty);
	close(slave);
	if (e != 0) {
		if (asprintf(cause, "cannot execute %s: %s", c->argv[0], e == EDEADLK ?
		    "path enters the consolefs mount" : strerror(e)) == -1)
			*cause = NULL;
		errno = e;
		return -1;
	}
	return pid;
}

/* Hang up a pty whose program never started: open and close its slave, so
 * the master reads EIO as if a program had come and gone. */
static void
child_hangup_tty(struct child *c)
{
	int fd = open(c->tty, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);

	if (fd != -1)
		close(fd);
}

static void
child_free(struct child *c)
{
	free(c);
}

/* Dequeue C and run it; its callback is the last thing that touches C. */
static void
child_start(struct child *c)
{
	char *cause = NULL;
	pid_t pid;

	child_dequeue(c);
	pid = child_exec(c, &cause);
	if (pid > 0) {
		c->pid = pid;
		c->state = CHILD_RUNNING;
		if (child_hash_add(c) == -1) {
			/* Cannot track it: it would never be reaped for us. */
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
				;
			c->state = CHILD_DONE;
			c->pid = 0;
			pid = -1;
			free(cause);
			cause = strdup("out of memory");
		}
	} else
		c->state = CHILD_DONE;
	if (c->started != NULL)
		c->started(c, pid, pid > 0 ? NULL : (cause != NULL ? cause : "cannot execute"),
		    c->arg);
	free(cause);
}

static void child_arm(void);
static void child_sweep_run(struct loop *lp, void *arg);

static void
child_run_queue(struct loop *lp, void *arg)
{
	long long until = child_now_us() + CHILD_BATCH_US;

	(void)lp, (void)arg;
	children.timer = NULL;
	while (children.qhead != NULL && child_now_us() < until)
		child_start(children.qhead);
	child_arm();
}

static void
child_arm(void)
{
	if (children.qhead == NULL || children.loop == NULL || children.timer != NULL)
		return;
	children.timer = loop_add_timer(children.loop, 0, child_run_queue, NULL);
	if (children.timer == NULL) {
		log_error("%s: cannot schedule program starts: %s; starting them now",
		    __func__, strerror(errno));
		while (children.qhead != NULL)
			child_start(children.qhead);
	}
}

/* Run queued starts from LP (NULL: start at once). */
void
child_use_loop(struct loop *lp)
{
	/* The old loop's timers go with that loop; a sweep left is done now. */
	children.timer = NULL;
	children.sweep_timer = NULL;
	if (lp == NULL) {
		child_sweep_run(NULL, NULL);
		free(children.sweep);
		children.sweep = NULL;
		children.nsweep = children.sweep_cap = 0;
	}
	children.loop = lp;
	child_arm();
}

/* Make a new pseudo-terminal for ARGV and queue its start; the master. */
int
child_spawn_pty(char *const argv[], char *const env[], child_start_fn *started,
    child_exit_fn *exited, void *arg, struct child **cp, char **cause)
{
	struct child *c;
	int m = -1, saverr;

	*cause = NULL;
	*cp = NULL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		goto fail;
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (m == -1 || grantpt(m) == -1 || unlockpt(m) == -1 ||
	    ptsname_r(m, c->tty, sizeof c->tty) != 0)
		goto fail;
	c->state = CHILD_QUEUED;
	c->argv = argv;
	c->env = env;
	c->started = started;
	c->exited = exited;
	c->arg = arg;
	c->qprev = children.qtail;
	if (children.qtail != NULL)
		children.qtail->qnext = c;
	else
		children.qhead = c;
	children.qtail = c;
	*cp = c;
	if (children.loop == NULL)
		child_start(c);
	else
		child_arm();
	return m;
fail:
	saverr = errno;
	if (asprintf(cause, "cannot make a pseudo-terminal: %s", strerror(saverr)) == -1)
		*cause = NULL;
	if (m != -1)
		close(m);
	free(c);
	errno = saverr;
	return -1;
}

/* Start C now if it is still queued. */
void
child_start_now(struct child *c)
{
	if (c != NULL && c->state == CHILD_QUEUED)
		child_start(c);
}

/* Whether C is still waiting in the queue. */
int
child_queued(const struct child *c)
{
	return c != NULL && c->state == CHILD_QUEUED;
}

/* The pid of C's program while it runs, else 0. */
pid_t
child_pid(const struct child *c)
{
	return c != NULL && c->state == CHILD_RUNNING ? c->pid : 0;
}

/* The path of C's pseudo-terminal slave. */
const char *
child_tty(const struct child *c)
{
	return c->tty;
}

/* Also signal the other process groups of session SID (a job-control
 * shell's jobs), in one walk of /proc for every session named before the
 * loop comes round: stopping 10,000 consoles walks /proc once, not 10,000
 * times. SID must be an unreaped child's, so the session is ours; it stays
 * so while any of its processes lives, as a session id keeps its pid from
 * being reused. */
static void
child_sweep_add(pid_t sid, int sig)
{
	if (children.nsweep == children.sweep_cap) {
		size_t n = children.sweep_cap == 0 ? 16 : children.sweep_cap * 2;
		struct child_sweep *a = realloc(children.sweep, n * sizeof *a);

		if (a == NULL)
			return;
		children.sweep = a;
		children.sweep_cap = n;
	}
	children.sweep[children.nsweep].sid = sid;
	children.sweep[children.nsweep].sig = sig;
	children.nsweep++;
	if (children.loop == NULL)
		child_sweep_run(NULL, NULL);
	else if (children.sweep_timer == NULL &&
	    (children.sweep_timer = loop_add_timer(children.loop, 0, child_sweep_run,
	    NULL)) == NULL)
		child_sweep_run(NULL, NULL);
}

/* Signal C's program and its process group; drop a queued start. */
void
child_kill(struct child *c, int sig)
{
	if (c == NULL)
		return;
	if (c->state == CHILD_QUEUED) {
		child_dequeue(c);
		c->state = CHILD_DONE;
		child_hangup_tty(c);
	} else if (c->state == CHILD_RUNNING) {
		/* Not yet reaped, so the pid (and with it the process group
		 * of the session leader it is) cannot be someone else's. */
		kill(-c->pid, sig);
		child_sweep_add(c->pid, sig);
	}
}

/* The caller is done with C. */
void
child_release(struct child *c)
{
	if (c == NULL)
		return;
	switch (c->state) {
	case CHILD_QUEUED:
		child_dequeue(c);
		child_free(c);
		break;
	case CHILD_RUNNING:
		c->released = 1;
		c->started = NULL;
		c->exited = NULL;
		break;
	case CHILD_DONE:
		child_free(c);
		break;
	}
}

/* Reap every exited child (call on SIGCHLD) and call their callbacks. */
void
child_reap(void)
{
	for (;;) {
		struct child *c;
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid <= 0)
			break;
		if ((c = child_find(pid)) == NULL)
			continue;
		child_hash_del(c);
		c->state = CHILD_DONE;
		c->pid = 0;
		if (c->released)
			child_free(c);
		else if (c->exited != NULL)
			c->exited(c, pid, status, c->arg);
	}
}

/* How many started children have not been reaped yet. */
int
child_count(void)
{
	return (int)children.nrunning;
}

/* Send SIG to PID and its process group if it is a child not yet reaped
 * (never to a stranger that was given a reaped child's pid). */
void
child_signal(pid_t pid, int sig)
{
	if (child_find(pid) != NULL)
		kill(-pid, sig);
}

static int
child_sweep_cmp(const void *a, const void *b)
{
	pid_t x = ((const struct child_sweep *)a)->sid, y = ((const struct child_sweep *)b)->sid;

	return (x > y) - (x < y);
}

static void
child_sweep_one(pid_t pid, int dfd, void *arg)
{
	struct child_sweep key, *e;
	pid_t pgrp;

	(void)arg;
	if (proc_ids(dfd, &pgrp, &key.sid) == 0 && pgrp != key.sid &&
	    (e = bsearch(&key, children.sweep, children.nsweep, sizeof key,
	    child_sweep_cmp)) != NULL)
		kill(pid, e->sig);
}

static void
child_sweep_run(struct loop *lp, void *arg)
{
	(void)lp, (void)arg;
	children.sweep_timer = NULL;
	if (children.nsweep == 0)
		return;
	qsort(children.sweep, children.nsweep, sizeof *children.sweep, child_sweep_cmp);
	proc_each(child_sweep_one, NULL);
	children.nsweep = 0;
}

/* Send SIG to every child not yet reaped, their groups and sessions. */
void
child_kill_all(int sig)
{
	for (size_t i = 0; i < children.nbuckets; i++)
		for (struct child *c = children.hash[i]; c != NULL; c = c->hnext) {
			kill(-c->pid, sig);
			child_sweep_add(c->pid, sig);
		}
	child_sweep_run(NULL, NULL);
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
