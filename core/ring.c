/*
 * ring.c — bounded byte rings. Reads and writes on fds go straight
 * between the ring and the kernel with readv/writev, so relaying a byte
 * costs no copy beyond the one the reply itself needs.
 *
 * Memory follows use: a ring has a bound (what ring_space counts against)
 * but its buffer is allocated when bytes first arrive, grows by doubling
 * (from RING_MIN) as they accumulate, and can be given back when the ring
 * is empty (ring_release). So 10,000 consoles nobody opens hold no session
 * buffers, and a scrollback holds memory for what was printed, not for
 * its bound.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ring.h"

#define RING_MIN	4096	/* the first buffer */
#define RING_STEP	16384	/* room made for one read from an fd */

struct ring {
	size_t	 cap;		/* the bound */
	size_t	 size;		/* of buf: 0 (none yet), then up to cap */
	size_t	 head;		/* index of the oldest byte in buf */
	size_t	 used;
	unsigned long long total;	/* bytes ever added */
	char	*buf;
};

/* A ring of at most CAP bytes (none allocated yet); NULL with errno. */
struct ring *
ring_new(size_t cap)
{
	struct ring *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	/* A ring of 0 bytes is allowed (scrollback = 0): it holds nothing. */
	r->cap = cap;
	return r;
}

/* Make the buffer hold at least WANT more bytes than it holds now (within
 * the bound), doubling. On ENOMEM it stays as it is: callers then see less
 * room this time, never an error. */
static void
ring_reserve(struct ring *r, size_t want)
{
	size_t need = r->used + (want < r->cap - r->used ? want : r->cap - r->used);
	size_t size = r->size != 0 ? r->size : RING_MIN;
	char *buf;

	if (need <= r->size)
		return;
	while (size < need)
		size *= 2;
	if (size > r->cap)
		size = r->cap;
	if ((buf = malloc(size)) == NULL)
		return;
	/* Move what is held to the start of the new buffer. */
	ring_copy(r, buf);
	free(r->buf);
	r->buf = buf;
	r->size = size;
	r->head = 0;
}

/* Give the buffer back when the ring is empty (it is made again when bytes
 * come). */
void
ring_release(struct ring *r)
{
	if (r->used != 0)
		return;
	free(r->buf);
	r->buf = NULL;
	r->size = 0;
	r->head = 0;
}

/* Bytes of memory the ring holds now. */
size_t
ring_allocated(const struct ring *r)
{
	return r->size;
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

/* The free part of the buffer (not of the bound) as up to two iovecs. */
static int
ring_space_iov(const struct ring *r, struct iovec iov[2])
{
	size_t tail = r->size ? (r->head + r->used) % r->size : 0, space = r->size - r->used;
	size_t first = r->size - tail < space ? r->size - tail : space;

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
	size_t first = r->size - r->head < n ? r->size - r->head : n;

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
	r->head = (r->head + len) % r->size;
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
	ring_reserve(r, len);
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

	for (int i = 0; i < n && iov[i].iov_len > 0; i++) {
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
	int n;

	if (r->used == 0)
		return;		/* maybe no buffer at all */
	n = ring_data_iov(r, iov, r->used);

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
	ring_reserve(r, RING_STEP);
	if (r->size == r->used) {	/* no memory for more */
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
