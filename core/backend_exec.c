/*
 * backend_exec.c — exec: backends: a command consolefs starts itself on a
 * new pseudo-terminal when the device is created. Its output is read all
 * the time (console.c), also with no session open, so the program never
 * stalls on a full terminal. Spawning itself (the queue, posix_spawn, the
 * terminal modes) is child.c's.
 *
 * The program gets a clean environment: PATH, TERM, LANG and HOME (below),
 * then the device's "env = KEY=VALUE" settings, which may replace them.
 * Nothing else of the daemon's environment reaches it.
 *
 * Stopping signals the program's process group (it is a session leader, so
 * its group is its pid), which takes its background children with it. A
 * program that exited while something else still holds its terminal (a
 * grandchild that made a group of its own) is "exited N (pty still held by
 * pid M)"; stopping then signals those holders.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/backend_impl.h"
#include "core/child.h"
#include "core/log.h"
#include "core/proc.h"

#define BACKEND_EXEC_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define BACKEND_EXEC_TERM	"vt220"
#define BACKEND_EXEC_LANG	"C.UTF-8"
#define BACKEND_EXEC_HOLDERS	8

/* The daemon's home (its user's), looked up once. */
static const char *
backend_exec_home(void)
{
	static char home[256];

	if (home[0] == '\0') {
		struct passwd *pw = getpwuid(geteuid());

		snprintf(home, sizeof home, "%s",
		    pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/' ? pw->pw_dir : "/");
	}
	return home;
}

static int
backend_exec_has_key(char *const *env, const char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, kv, klen) == 0 && (*env)[klen] == '=')
			return 1;
	return 0;
}

static void
backend_exec_free_envp(struct backend *b)
{
	for (size_t i = 0; b->envp != NULL && b->envp[i] != NULL; i++)
		free(b->envp[i]);
	free(b->envp);
	b->envp = NULL;
}

/* The program's environment: the clean base, less what EXTRA replaces,
 * then EXTRA. */
static int
backend_exec_environ(struct backend *b)
{
	const char *lang = getenv("LANG");
	char *base[4] = { NULL, NULL, NULL, NULL };
	size_t n = 0, nextra = 0;
	char **envp;

	while (b->env != NULL && b->env[nextra] != NULL)
		nextra++;
	if (asprintf(&base[0], "PATH=%s", BACKEND_EXEC_PATH) == -1 ||
	    asprintf(&base[1], "TERM=%s", BACKEND_EXEC_TERM) == -1 ||
	    asprintf(&base[2], "LANG=%s", lang != NULL && lang[0] != '\0' ?
	    lang : BACKEND_EXEC_LANG) == -1 ||
	    asprintf(&base[3], "HOME=%s", backend_exec_home()) == -1)
		goto nomem;
	if ((envp = calloc(4 + nextra + 1, sizeof *envp)) == NULL)
		goto nomem;
	for (int i = 0; i < 4; i++) {
		if (backend_exec_has_key(b->env, base[i]))
			free(base[i]);
		else
			envp[n++] = base[i];
		base[i] = NULL;
	}
	for (size_t i = 0; i < nextra; i++)
		if ((envp[n++] = strdup(b->env[i])) == NULL) {
			b->envp = envp;
			backend_exec_free_envp(b);
			goto nomem;
		}
	backend_exec_free_envp(b);
	b->envp = envp;
	return 0;
nomem:
	for (int i = 0; i < 4; i++)
		free(base[i]);
	errno = ENOMEM;
	return -1;
}

static void
backend_exec_started(struct child *c, pid_t pid, const char *cause, void *arg)
{
	struct backend *b = arg;

	(void)c;
	if (pid > 0) {
		b->pid = pid;
		snprintf(b->state, sizeof b->state, "running");
		log_info("%s: started %s (pid %d)", __func__, b->spec->argv[0], (int)pid);
		return;
	}
	b->failed = 1;
	snprintf(b->state, sizeof b->state, "failed: %s", cause);
	log_error("%s: %s", __func__, b->state);
	if (b->fn != NULL)
		b->fn(b, b->arg);
}

static void
backend_exec_exited(struct child *c, pid_t pid, int status, void *arg)
{
	struct backend *b = arg;

	(void)c;
	b->status = status;
	child_describe(status, b->state, sizeof b->state);
	log_info("%s: %s (pid %d): %s", __func__, b->spec->argv[0], (int)pid, b->state);
	b->pid = 0;
	b->exited = 1;
	if (b->fn != NULL)
		b->fn(b, b->arg);
}

static int
backend_exec_start(struct backend *b)
{
	char *cause = NULL;
	int master;

	/* A start after the last program ended (a restart) forgets it. */
	child_release(b->child);
	b->child = NULL;
	b->pid = 0;
	b->exited = b->failed = b->hup = b->stopped = 0;
	snprintf(b->state, sizeof b->state, "starting");
	if (backend_exec_environ(b) == -1) {
		snprintf(b->state, sizeof b->state, "failed: out of memory");
		b->failed = 1;
		return -1;
	}
	master = child_spawn_pty(b->spec->argv, b->envp, backend_exec_started,
	    backend_exec_exited, b, &b->child, &cause);
	if (master == -1) {
		snprintf(b->state, sizeof b->state, "failed: %s",
		    cause != NULL ? cause : strerror(errno));
		b->failed = 1;
		log_error("%s: %s", __func__, b->state);
		free(cause);
		return -1;
	}
	return master;
}

static int
backend_exec_ready(struct backend *b)
{
	child_start_now(b->child);
	if (b->failed) {
		errno = ENXIO;
		return -1;
	}
	return 0;
}

static int
backend_exec_open(struct backend *b, int session)
{
	(void)b, (void)session;
	errno = ENXIO;	/* only reached when the child is gone */
	return -1;
}

static void
backend_exec_close(struct backend *b, int fd)
{
	(void)b, (void)fd;
}

/* The master reads EIO once no slave is open; the program may still run
 * and open its terminal again, so the end is when it has also been reaped
 * (or never started). */
static int
backend_exec_gone(struct backend *b, int fd)
{
	(void)fd;
	b->hup = 1;
	return b->pid == 0 && !child_queued(b->child);
}

/* Processes still holding the terminal of a program that has exited:
 * only looked for while the master has not hung up, which is exactly when
 * someone has the slave open. */
static size_t
backend_exec_holders(struct backend *b, pid_t *pids, size_t max)
{
	if (!b->exited || b->hup || b->child == NULL)
		return 0;
	return proc_tty_holders(child_tty(b->child), pids, max);
}

static void
backend_exec_stop(struct backend *b)
{
	pid_t pids[BACKEND_EXEC_HOLDERS];
	size_t n;

	if (b->stopped)
		return;
	b->stopped = 1;
	if (child_queued(b->child)) {
		child_kill(b->child, SIGTERM);
		snprintf(b->state, sizeof b->state, "not started (stopped)");
		return;
	}
	if (b->pid > 0) {
		child_kill(b->child, SIGTERM);
		return;
	}
	n = backend_exec_holders(b, pids, BACKEND_EXEC_HOLDERS);
	for (size_t i = 0; i < n; i++) {
		log_info("%s: %s exited, but pid %d still holds its terminal: SIGTERM",
		    __func__, b->spec->argv[0], (int)pids[i]);
		kill(pids[i], SIGTERM);
	}
}

static void
backend_exec_release(struct backend *b)
{
	/* Reaping goes on in child.c, but this backend is about to go. */
	child_release(b->child);
	b->child = NULL;
	backend_exec_free_envp(b);
}

static const char *
backend_exec_state(struct backend *b)
{
	pid_t pid;

	if (b->state[0] == '\0')
		return "not started";
	if (backend_exec_holders(b, &pid, 1) == 1) {
		snprintf(b->held, sizeof b->held, "%s (pty still held by pid %d)", b->state,
		    (int)pid);
		return b->held;
	}
	return b->state;
}

const struct backend_ops backend_exec_ops = {
	.start = backend_exec_start,
	.ready = backend_exec_ready,
	.open = backend_exec_open,
	.close = backend_exec_close,
	.gone = backend_exec_gone,
	.stop = backend_exec_stop,
	.release = backend_exec_release,
	.state = backend_exec_state,
};
