/*
 * fdscan.h — which processes have a given file open, found through /proc
 * (a link's target and fdinfo's mnt_id and ino), never by touching the file
 * itself: a stat of /proc/PID/fd/N would ask our own FUSE mount, which is
 * busy answering the question. For naming who holds a console after its
 * opener has gone. Not for our own children (child.c).
 */
#ifndef CONSOLEFS_FDSCAN_H
#define CONSOLEFS_FDSCAN_H

#include <stddef.h>
#include <sys/types.h>

/* The mount id of the FUSE mount on MOUNTPOINT (the topmost one), from
 * /proc/self/mountinfo; -1 when there is none. */
int fdscan_mnt_id(const char *mountpoint);
/* Whether PID has file INO of mount MNT_ID (under MOUNTPOINT) open. */
int fdscan_has(pid_t pid, const char *mountpoint, int mnt_id, unsigned long long ino);
/* The processes that have it open, at most MAX into PIDS, in pid order;
 * returns how many were found (may exceed MAX). */
size_t fdscan_holders(const char *mountpoint, int mnt_id, unsigned long long ino,
    pid_t *pids, size_t max);

#endif
