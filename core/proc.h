/*
 * proc.h — what /proc says about processes, for messages, holder strings,
 * deciding whether a lock's process is still there and finding who holds
 * a terminal. Not for our own children (child.c).
 */
#ifndef CONSOLEFS_PROC_H
#define CONSOLEFS_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* The longest proc_comm result: 15 bytes of comm, each escaped to 4. */
#define PROC_COMM_MAX 64

/* The command name of PID into BUF, every byte that is not printable ASCII
 * (and the backslash) escaped as \xNN (\\): 0, or -1 (BUF set to "?") when
 * it cannot be read. */
int proc_comm(pid_t pid, char *buf, size_t len);

/* Escape S into BUF as proc_comm does (truncated to fit LEN). */
void proc_escape(const char *s, char *buf, size_t len);

/* Whether PID can still hold anything: it exists (kill(pid, 0) succeeds or
 * fails with EPERM) and is not a zombie, which holds no files. */
int proc_alive(pid_t pid);

/* The real, effective, saved and filesystem uids of PID into UIDS: 0, or
 * -1 when they cannot be read. */
int proc_uids(pid_t pid, uid_t uids[4]);

/* Call FN for every process but us, with its /proc directory open (DFD). */
void proc_each(void (*fn)(pid_t pid, int dfd, void *arg), void *arg);
/* The process group and session of the process whose /proc directory is
 * DFD: 0, or -1. */
int proc_ids(int dfd, pid_t *pgrp, pid_t *sid);
/* Processes other than us holding TTY ("/dev/pts/N") open: up to MAX pids
 * into PIDS; how many (a walk of /proc: use sparingly). */
size_t proc_tty_holders(const char *tty, pid_t *pids, size_t max);

struct proc_scan;

/* Start looking for a process other than us that has TTY ("/dev/pts/N")
 * open, the way proc_tty_holders does but a few processes at a time, so
 * that the loop never waits for a whole walk (100-200 ms on a host with
 * 10,000 processes). NULL with errno on failure. */
struct proc_scan *proc_scan_new(const char *tty);
/* Look at up to N more processes: 1 when done (*PID the one found, *UID
 * its owner; *PID 0: none), 0 when there are more to look at. */
int proc_scan_step(struct proc_scan *ps, int n, pid_t *pid, uid_t *uid);
/* Stop looking (NULL is ok). */
void proc_scan_free(struct proc_scan *ps);

#endif
