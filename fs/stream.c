/*
 * stream.c — set FOPEN_STREAM in open replies, through libfuse's custom io.
 *
 * Without FOPEN_STREAM the kernel gives a FUSE file FMODE_ATOMIC_POS, and
 * read() and write() on one open file take the same f_pos lock: with
 * `exec 3<>console; cat <&3 &` the cat's blocked read holds the lock and
 * `echo x >&3` waits for the read, i.e. for the console to print something.
 * libfuse 3.14 has no field for the flag, so fs.c marks the reply it is
 * about to send and this writev ORs the bit into fuse_open_out on its way to
 * /dev/fuse. The loop is single-threaded, so "the next reply" is exact.
 * The same goes for FOPEN_PARALLEL_DIRECT_WRITES (why: see fs.c).
 *
 * The same hooks let the daemon go on serving open files on a dup of the
 * /dev/fuse fd after libfuse's unmount has closed its own (fs_shutdown).
 * This file includes the kernel's <linux/fuse.h> and nothing of libfuse's,
 * whose headers redefine some of the same names.
 */
#include <linux/fuse.h>
#include <unistd.h>

#include "fs/stream.h"

static int stream_next;
static int stream_fd = -1;

/* Read and write FD instead of the fd libfuse passes (-1: libfuse's). */
void
stream_use_fd(int fd)
{
	stream_fd = fd;
}

/* Mark the next reply written as an open reply that wants FOPEN_STREAM
 * (and FOPEN_PARALLEL_DIRECT_WRITES). */
void
stream_mark_next(void)
{
	stream_next = 1;
}

/* Set FOPEN_STREAM and FOPEN_PARALLEL_DIRECT_WRITES in a marked open
 * reply, then write it. */
ssize_t
stream_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	(void)userdata;
	if (stream_next && count == 2 &&
	    iov[0].iov_len == sizeof(struct fuse_out_header) &&
	    iov[1].iov_len == sizeof(struct fuse_open_out)) {
		struct fuse_out_header *oh = iov[0].iov_base;
		struct fuse_open_out *oo = iov[1].iov_base;

		if (oh->error == 0)
			oo->open_flags |= FOPEN_STREAM | FOPEN_PARALLEL_DIRECT_WRITES;
	}
	stream_next = 0;
	return writev(stream_fd != -1 ? stream_fd : fd, iov, count);
}

/* A plain read(2) of /dev/fuse. */
ssize_t
stream_read(int fd, void *buf, size_t len, void *userdata)
{
	(void)userdata;
	return read(stream_fd != -1 ? stream_fd : fd, buf, len);
}
