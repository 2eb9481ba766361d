/*
 * spy.c — the shared ring behind DEV.spy. Every byte the console prints
 * gets a sequence number (the count of bytes put before it); the ring keeps
 * the last CAP of them, at index seq % CAP. A spy is a sequence number: the
 * next byte it wants. Memory is one ring per console that has spies plus a
 * few dozen bytes per spy, whatever their number or speed, and putting
 * bytes costs the same with one spy or a thousand (no copy per spy).
 *
 * A spy whose next byte has been overwritten skips to the oldest byte still
 * held and first reads a marker line saying how many it lost. The marker
 * starts on a fresh line: "\r\n" before it when the last byte the spy read
 * did not end a line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/spy.h"

struct spy_hub {
	char		*buf;		/* CAP bytes, allocated at the first put */
	size_t		 cap;
	uint64_t	 head;		/* sequence number of the next byte put */
	size_t		 nspies;
};

struct spy {
	struct spy_hub	*hub;
	uint64_t	 pos;		/* sequence number of the next byte to read */
	int		 bol;		/* the last byte read ended a line */
	unsigned long long skipped;	/* bytes lost, not yet in a marker */
	char		 mark[64];	/* a skip marker being read */
	size_t		 mark_len;
	size_t		 mark_off;
};

/* A hub whose ring holds CAP bytes. */
struct spy_hub *
spy_hub_new(size_t cap)
{
	struct spy_hub *h;

	if (cap == 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((h = calloc(1, sizeof *h)) == NULL)
		return NULL;
	h->cap = cap;
	return h;
}

/* Free a hub (NULL is ok). */
void
spy_hub_free(struct spy_hub *h)
{
	if (h == NULL)
		return;
	free(h->buf);
	free(h);
}

/* Add LEN bytes of output. */
void
spy_hub_put(struct spy_hub *h, const void *buf, size_t len)
{
	const char *p = buf;

	if (h->buf == NULL && (h->buf = malloc(h->cap)) == NULL) {
		/* No memory: the bytes count as put, so spies see a skip. */
		h->head += len;
		return;
	}
	if (len > h->cap) {
		h->head += len - h->cap;
		p += len - h->cap;
		len = h->cap;
	}
	while (len > 0) {
		size_t at = h->head % h->cap, n = h->cap - at;

		if (n > len)
			n = len;
		memcpy(h->buf + at, p, n);
		h->head += n;
		p += n;
		len -= n;
	}
}

/* How many spies the hub has. */
size_t
spy_hub_count(const struct spy_hub *h)
{
	return h->nspies;
}

/* A spy that reads what is put from now on. */
struct spy *
spy_new(struct spy_hub *h)
{
	struct spy *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->hub = h;
	s->pos = h->head;
	s->bol = 1;
	h->nspies++;
	return s;
}

/* Free a spy (NULL is ok). */
void
spy_free(struct spy *s)
{
	if (s == NULL)
		return;
	s->hub->nspies--;
	free(s);
}

/* The oldest sequence number the ring still holds. */
static uint64_t
spy_oldest(const struct spy_hub *h)
{
	if (h->buf == NULL)
		return h->head;
	return h->head > h->cap ? h->head - h->cap : 0;
}

/* If S fell behind, skip it to the oldest byte held, counting the loss;
 * a loss not yet shown is shown as one marker with the total. */
static void
spy_catch_up(struct spy *s)
{
	uint64_t oldest = spy_oldest(s->hub);
	int n;

	if (s->pos < oldest) {
		s->skipped += oldest - s->pos;
		s->pos = oldest;
	}
	if (s->skipped == 0 || s->mark_off < s->mark_len)
		return;
	n = snprintf(s->mark, sizeof s->mark, "%s[consolefs: %llu bytes skipped]\r\n",
	    s->bol ? "" : "\r\n", s->skipped);
	s->mark_len = n > 0 ? (size_t)n : 0;
	s->mark_off = 0;
	s->skipped = 0;
}

/* Copy up to LEN unread bytes into BUF; 0 when nothing is there. */
size_t
spy_read(struct spy *s, void *buf, size_t len)
{
	struct spy_hub *h = s->hub;
	char *out = buf;
	size_t done = 0;

	spy_catch_up(s);
	if (s->mark_off < s->mark_len) {
		size_t n = s->mark_len - s->mark_off;

		if (n > len)
			n = len;
		memcpy(out, s->mark + s->mark_off, n);
		s->mark_off += n;
		done += n;
		if (s->mark_off < s->mark_len)
			return done;
		s->bol = 1;
	}
	while (done < len && s->pos < h->head) {
		size_t at = s->pos % h->cap, n = h->cap - at;

		if (n > h->head - s->pos)
			n = h->head - s->pos;
		if (n > len - done)
			n = len - done;
		memcpy(out + done, h->buf + at, n);
		s->pos += n;
		done += n;
		s->bol = out[done - 1] == '\n';
	}
	return done;
}

/* Whether the spy has something to read. */
int
spy_ready(const struct spy *s)
{
	return s->mark_off < s->mark_len || s->skipped > 0 || s->pos < s->hub->head;
}
