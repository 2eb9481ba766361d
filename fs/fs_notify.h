/*
 * fs_notify.h — telling the kernel to forget cached directory entries and
 * attributes (FUSE_NOTIFY_INVAL_ENTRY / _INODE), from a thread of its own.
 * Not for poll notifications (libfuse's, on the loop).
 */
#ifndef CONSOLEFS_FS_NOTIFY_H
#define CONSOLEFS_FS_NOTIFY_H

#include <stdint.h>

struct fs_notify;

/* Start a notifier writing to (a dup of) the /dev/fuse fd FD; NULL with
 * errno on failure. */
struct fs_notify *fs_notify_new(int fd);
/* Stop the notifier (waiting a moment for what is queued) (NULL is ok). */
void fs_notify_free(struct fs_notify *n);
/* Queue: forget the entry NAME of directory inode PARENT. */
void fs_notify_entry(struct fs_notify *n, uint64_t parent, const char *name);
/* Queue: forget the attributes of inode INO, and with DATA its cached
 * contents too (a directory's listing). */
void fs_notify_inode(struct fs_notify *n, uint64_t ino, int data);

#endif
