/*
 * child.h — child processes: starting a command on a new pseudo-terminal
 * (queued, and run from the loop in short batches so that thousands of
 * them never hold up requests), signalling them and their process group,
 * and reaping them when SIGCHLD arrives on the loop.
 * Not for deciding what a child's exit means to a console (backend_exec.c,
 * console.c). Children are process-wide state, as SIGCHLD is.
 */
#ifndef CONSOLEFS_CHILD_H
#define CONSOLEFS_CHILD_H

#include <stddef.h>
#include <sys/types.h>

struct child;
struct loop;

/* A queued program has started (PID > 0) or could not start (PID -1, CAUSE
 * says why: "cannot execute CMD: reason"). */
typedef void child_start_fn(struct child *c, pid_t pid, const char *cause, void *arg);
/* A started program has been reaped; STATUS is its wait status. */
typedef void child_exit_fn(struct child *c, pid_t pid, int status, void *arg);

/* Run queued starts from LP, a batch at a time between the loop's other
 * work (NULL: start at once, in child_spawn_pty itself). */
void child_use_loop(struct loop *lp);
/* Make a new pseudo-terminal for ARGV (with environment ENV; both must
 * stay valid until started or released) and queue its start. Returns the
 * master (non-blocking, close-on-exec) at once, or -1 with *CAUSE
 * (malloc'd). The program becomes a session leader with the pty as
 * controlling terminal and fds 0-2, default signal dispositions, an empty
 * signal mask and no other fds; STARTED then says how it went, EXITED
 * when it has been reaped. A program that could not start leaves the
 * master hung up (EIO), as one that exited does. *CP is the handle. */
int child_spawn_pty(char *const argv[], char *const env[], child_start_fn *started,
    child_exit_fn *exited, void *arg, struct child **cp, char **cause);
/* Start C now if it is still queued (an open must not wait for the queue). */
void child_start_now(struct child *c);
/* Whether C is still waiting in the queue. */
int child_queued(const struct child *c);
/* The pid of C's program while it runs (not yet reaped), else 0. */
pid_t child_pid(const struct child *c);
/* The path of C's pseudo-terminal slave ("/dev/pts/N"). */
const char *child_tty(const struct child *c);
/* Send SIG to C's program and its process group (a queued start is
 * dropped instead, its terminal hung up); no-op once reaped. */
void child_kill(struct child *c, int sig);
/* The caller is done with C (NULL is ok): a queued start is dropped, a
 * running program is still reaped but nobody is told. */
void child_release(struct child *c);
/* Reap every exited child (call on SIGCHLD) and call their callbacks. */
void child_reap(void);
/* How many started children have not been reaped yet. */
int child_count(void);
/* Send SIG to PID and its process group if it is a child not yet reaped. */
void child_signal(pid_t pid, int sig);
/* Send SIG to every child not yet reaped, their process groups, and the
 * other processes of their sessions (one walk of /proc). */
void child_kill_all(int sig);
/* Describe a wait status: "exited 0", "killed 9". */
void child_describe(int status, char *buf, size_t len);

#endif
