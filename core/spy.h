/*
 * spy.h — read-only followers of a console's output: one shared ring per
 * console (a spy_hub) and any number of readers (spies), each only a
 * position in the ring. A reader that falls more than the ring's size
 * behind loses the oldest bytes it had not read and reads one marker line
 * "[consolefs: N bytes skipped]" in their place. Writing never waits for a
 * reader. Not for FUSE (fs/fs_spy.c) nor for the console's session.
 */
#ifndef CONSOLEFS_SPY_H
#define CONSOLEFS_SPY_H

#include <stddef.h>

#define SPY_RING_SIZE	(1024 * 1024)	/* how far a spy may fall behind */

struct spy_hub;
struct spy;

/* A hub whose ring holds CAP bytes (allocated at the first byte); NULL
 * with errno on failure. */
struct spy_hub *spy_hub_new(size_t cap);
/* Free a hub; its spies must be gone (NULL is ok). */
void spy_hub_free(struct spy_hub *h);
/* Add LEN bytes of output. */
void spy_hub_put(struct spy_hub *h, const void *buf, size_t len);
/* How many spies the hub has. */
size_t spy_hub_count(const struct spy_hub *h);

/* A spy on H that reads what is put from now on; NULL with errno. */
struct spy *spy_new(struct spy_hub *h);
/* Free a spy (NULL is ok). */
void spy_free(struct spy *s);
/* Copy up to LEN bytes the spy has not read into BUF (a skip marker first
 * when it fell behind); returns the count, 0 when nothing is there. */
size_t spy_read(struct spy *s, void *buf, size_t len);
/* Whether the spy has something to read. */
int spy_ready(const struct spy *s);

#endif
