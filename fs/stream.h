/*
 * stream.h — the FOPEN_STREAM flag that libfuse 3.14 cannot set.
 */
#ifndef CONSOLEFS_STREAM_H
#define CONSOLEFS_STREAM_H

#include <sys/types.h>
#include <sys/uio.h>

/* Read and write FD instead of the fd libfuse passes (-1: libfuse's). */
void stream_use_fd(int fd);
/* Mark the next reply written as an open reply that wants FOPEN_STREAM. */
void stream_mark_next(void);
/* The writev of our custom io: sets FOPEN_STREAM in a marked open reply,
 * then writes the reply to /dev/fuse. */
ssize_t stream_writev(int fd, struct iovec *iov, int count, void *userdata);
/* The read of our custom io: a plain read(2) of /dev/fuse. */
ssize_t stream_read(int fd, void *buf, size_t len, void *userdata);

#endif
