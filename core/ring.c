/*
 * ring.c — fixed-size byte rings. Reads and writes on fds go straight
 * between the ring and the kernel with readv/writev, so relaying a byte
 * costs no copy beyond the one the reply itself needs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ring.h"

struct ring {
	size_t	 cap;
	size_t	 head;	/* index of the oldest byte */
	size_t	 used;
	unsigned long long total;	/* bytes ever added */
	char	*buf;
};

/* A ring of CAP bytes; NULL with errno on failure. */
struct ring *
ring_new(size_t cap)
{
	struct ring *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	/* A ring of 0 bytes is allowed (scrollback = 0): it holds nothing. */
	r->cap = cap;
	if ((r->buf = malloc(cap ? cap : 1)) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

/* Free a ring (NULL is ok). */
void
ring_free(struct ring *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

/* Bytes held. */
size_t
ring_used(const struct ring *r)
{
	return r->used;
}

/* Bytes ever added. */
unsigned long long
ring_total(const struct ring *r)
{
	return r->total;
}

/* Bytes that can still be added. */
size_t
ring_space(const struct ring *r)
{
	return r->cap - r->used;
}

/* Drop everything. */
void
ring_clear(struct ring *r)
{
	r->head = r->used = 0;
}

static int
ring_space_iov(const struct ring *r, struct iovec iov[2])
{
	size_t tail = (r->head + r->used) % r->cap, space = r->cap - r->used;
	size_t first = r->cap - tail < space ? r->cap - tail : space;

	iov[0].iov_base = r->buf + tail;
	iov[0].iov_len = first;
	iov[1].iov_base = r->buf;
	iov[1].iov_len = space - first;
	return space - first > 0 ? 2 : 1;
}

/* Up to two iovecs covering the first MAX held bytes; returns their count. */
int
ring_data_iov(const struct ring *r, struct iovec iov[2], size_t max)
{
	size_t n = r->used < max ? r->used : max;
	size_t first = r->cap - r->head < n ? r->cap - r->head : n;

	iov[0].iov_base = r->buf + r->head;
	iov[0].iov_len = first;
	iov[1].iov_base = r->buf;
	iov[1].iov_len = n - first;
	return n - first > 0 ? 2 : 1;
}

/* Drop the first LEN held bytes. */
void
ring_drop(struct ring *r, size_t len)
{
	if (len > r->used)
		len = r->used;
	if (len == 0)
		return;
	r->head = (r->head + len) % r->cap;
	r->used -= len;
	if (r->used == 0)
		r->head = 0;
}

/* Append up to LEN bytes from BUF; returns how many were taken. */
size_t
ring_put(struct ring *r, const void *buf, size_t len)
{
	struct iovec iov[2];
	size_t done = 0;
	int n;

	if (r->cap == 0)
		return 0;
	n = ring_space_iov(r, iov);
	for (int i = 0; i < n && done < len; i++) {
		size_t k = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;

		memcpy(iov[i].iov_base, (const char *)buf + done, k);
		done += k;
	}
	r->used += done;
	r->total += done;
	return done;
}

/* Append LEN bytes, dropping the oldest bytes when full (scrollback). */
void
ring_put_over(struct ring *r, const void *buf, size_t len)
{
	if (len >= r->cap) {
		buf = (const char *)buf + (len - r->cap);
		len = r->cap;
		ring_clear(r);
	} else if (len > ring_space(r))
		ring_drop(r, len - ring_space(r));
	ring_put(r, buf, len);
}

/* Copy up to LEN held bytes into BUF and drop them; returns the count. */
size_t
ring_get(struct ring *r, void *buf, size_t len)
{
	struct iovec iov[2];
	size_t done = 0;
	int n = ring_data_iov(r, iov, len);

	for (int i = 0; i < n; i++) {
		memcpy((char *)buf + done, iov[i].iov_base, iov[i].iov_len);
		done += iov[i].iov_len;
	}
	ring_drop(r, done);
	return done;
}

/* Copy all held bytes into BUF without dropping them. */
void
ring_copy(const struct ring *r, void *buf)
{
	struct iovec iov[2];
	int n = ring_data_iov(r, iov, r->used);

	memcpy(buf, iov[0].iov_base, iov[0].iov_len);
	if (n == 2)
		memcpy((char *)buf + iov[0].iov_len, iov[1].iov_base, iov[1].iov_len);
}

/* read(2) from FD into the free space: the result of readv. */
ssize_t
ring_read_fd(struct ring *r, int fd)
{
	struct iovec iov[2];
	int n;
	ssize_t got;

	if (ring_space(r) == 0) {
		errno = ENOBUFS;
		return -1;
	}
	n = ring_space_iov(r, iov);
	got = readv(fd, iov, n);
	if (got > 0) {
		r->used += got;
		r->total += got;
	}
	return got;
}

/* write(2) held bytes to FD and drop what was written: the result of writev. */
ssize_t
ring_write_fd(struct ring *r, int fd)
{
	struct iovec iov[2];
	int n = ring_data_iov(r, iov, r->used);
	ssize_t put = writev(fd, iov, n);

	if (put > 0)
		ring_drop(r, put);
	return put;
}
