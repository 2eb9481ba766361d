/*
 * proc.h — what /proc says about a process, for messages and holder
 * strings. Not for our own children (child.c).
 */
#ifndef CONSOLEFS_PROC_H
#define CONSOLEFS_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* The command name of PID into BUF: 0, or -1 (BUF set to "?") when it
 * cannot be read. */
int proc_comm(pid_t pid, char *buf, size_t len);

#endif
