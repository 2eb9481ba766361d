/*
 * ring.h — a bounded byte ring: the relay's output and input queues and
 * the scrollback. Its memory is allocated as bytes arrive and can be given
 * back when it is empty. Not a general container: it holds bytes, nothing
 * else.
 */
#ifndef CONSOLEFS_RING_H
#define CONSOLEFS_RING_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

struct ring;

/* A ring of at most CAP bytes, none of them allocated yet; NULL with errno
 * on failure. */
struct ring *ring_new(size_t cap);
/* Give the memory back if the ring is empty. */
void ring_release(struct ring *r);
/* Bytes of memory the ring holds now. */
size_t ring_allocated(const struct ring *r);
/* Free a ring (NULL is ok). */
void ring_free(struct ring *r);
/* Bytes held. */
size_t ring_used(const struct ring *r);
/* Bytes ever added (a generation count: unchanged means same content). */
unsigned long long ring_total(const struct ring *r);
/* Bytes that can still be added. */
size_t ring_space(const struct ring *r);
/* Drop everything. */
void ring_clear(struct ring *r);
/* Append up to LEN bytes from BUF; returns how many were taken. */
size_t ring_put(struct ring *r, const void *buf, size_t len);
/* Append LEN bytes, dropping the oldest bytes when full (scrollback). */
void ring_put_over(struct ring *r, const void *buf, size_t len);
/* Up to two iovecs covering the first MAX held bytes; returns their count. */
int ring_data_iov(const struct ring *r, struct iovec iov[2], size_t max);
/* Drop the first LEN held bytes (after they were consumed through iovecs). */
void ring_drop(struct ring *r, size_t len);
/* Copy up to LEN held bytes into BUF and drop them; returns the count. */
size_t ring_get(struct ring *r, void *buf, size_t len);
/* Copy all held bytes into BUF (ring_used bytes) without dropping them. */
void ring_copy(const struct ring *r, void *buf);
/* read(2) from FD into the free space: the result of readv. */
ssize_t ring_read_fd(struct ring *r, int fd);
/* write(2) held bytes to FD and drop what was written: the result of writev. */
ssize_t ring_write_fd(struct ring *r, int fd);

#endif
