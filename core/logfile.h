/*
 * logfile.h — a console's on-disk log, DIR/DOMAIN/DEV.log: every byte the
 * console prints (with or without a session), optionally an ISO 8601
 * timestamp at the start of every line, marked lines for attach, detach,
 * takeover and BREAK, rotation by size, reopening on SIGHUP. Writing goes
 * through a bounded queue on the loop and never holds up the console: what
 * cannot be written is dropped and counted in one marker line. Not for the
 * daemon's own log (log.c) nor for DEV.log in the mount (the scrollback).
 */
#ifndef CONSOLEFS_LOGFILE_H
#define CONSOLEFS_LOGFILE_H

#include <stddef.h>

#define LOGFILE_QUEUE_SIZE	(1024 * 1024)	/* bytes waiting for the disk */

struct console;
struct loop;
struct opts;
struct logfile;

/* Log console C (named DOMAIN/DEV) under O's log_dir on LP; NULL with
 * errno when O has no log_dir or memory is short. A file that cannot be
 * opened yet is logged and tried again later. */
struct logfile *logfile_attach(struct loop *lp, struct console *c, const char *domain,
    const char *dev, const struct opts *o);
/* Write what is queued (as far as the disk takes it now), stop observing
 * the console, close and free (NULL is ok). */
void logfile_free(struct logfile *lf);
/* Add LEN bytes of console output (what the console observer does). */
void logfile_output(struct logfile *lf, const char *buf, size_t len);
/* Add a marked line "[consolefs: TEXT]". */
void logfile_mark(struct logfile *lf, const char *text);
/* SIGHUP: every log closes its file and opens its path again (after a
 * logrotate mv, a new file). */
void logfile_reopen_all(void);

#endif
