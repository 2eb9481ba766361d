/*
 * child.h — child processes: spawning a command on a new pseudo-terminal,
 * and reaping every exited child when SIGCHLD arrives on the loop.
 * Not for deciding what a child's exit means to a console (console.c).
 */
#ifndef CONSOLEFS_CHILD_H
#define CONSOLEFS_CHILD_H

#include <sys/types.h>

typedef void child_exit_fn(pid_t pid, int status, void *arg);

/* Start ARGV on a new pseudo-terminal: the child is a session leader with
 * the pty as controlling terminal and stdio, default signal dispositions,
 * an empty signal mask and no other fds. Returns the pid and the master in
 * *MASTER (non-blocking, close-on-exec), or -1 with *CAUSE (malloc'd) when
 * the pty could not be made or the command could not be executed. FN is
 * called with the wait status once the child has been reaped. */
pid_t child_spawn_pty(char *const argv[], int *master, child_exit_fn *fn,
    void *arg, char **cause);
/* Reap every exited child (call on SIGCHLD) and call their callbacks. */
void child_reap(void);
/* Forget a child's callback (it will still be reaped). */
void child_forget(pid_t pid);
/* How many spawned children have not been reaped yet. */
int child_count(void);
/* Send SIG to PID if it is a child not yet reaped. */
void child_signal(pid_t pid, int sig);
/* Send SIG to every child not yet reaped. */
void child_kill_all(int sig);
/* Describe a wait status: "exited 0", "killed 9". */
void child_describe(int status, char *buf, size_t len);

#endif
