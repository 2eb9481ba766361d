/*
 * loop.h — the one event loop (epoll): fd watches with a read/write mask,
 * one-shot timers, and a hook that runs before each sleep. Modelled on
 * redis's ae.c. Not thread-safe: everything runs on the loop's thread.
 */
#ifndef CONSOLEFS_LOOP_H
#define CONSOLEFS_LOOP_H

#define LOOP_READ	0x01
#define LOOP_WRITE	0x02
#define LOOP_EDGE	0x04	/* edge-triggered watch (mask only) */
#define LOOP_ERROR	0x08	/* EPOLLERR (events only) */
#define LOOP_HUP	0x10	/* EPOLLHUP (events only) */

struct loop;
struct loop_timer;

typedef void loop_fd_fn(struct loop *lp, int fd, int events, void *arg);
typedef void loop_timer_fn(struct loop *lp, void *arg);
typedef void loop_hook_fn(struct loop *lp, void *arg);

/* Create an event loop; NULL with errno on failure. */
struct loop *loop_create(void);
/* Free a loop and every watch and timer still in it (NULL is ok). */
void loop_free(struct loop *lp);
/* Watch FD for MASK (LOOP_READ|LOOP_WRITE, optionally LOOP_EDGE), calling
 * FN; replaces the mask, callback and argument of an existing watch. A mask
 * of 0 keeps the fd registered but silent (errors and hang-ups still come). */
int loop_add_fd(struct loop *lp, int fd, int mask, loop_fd_fn *fn, void *arg);
/* Stop watching FD (no-op when not watched). Safe inside any callback. */
void loop_del_fd(struct loop *lp, int fd);
/* Call FN once after MS milliseconds; NULL with errno on failure. */
struct loop_timer *loop_add_timer(struct loop *lp, long ms, loop_timer_fn *fn, void *arg);
/* Cancel a timer that has not fired (NULL is ok). Safe inside any callback. */
void loop_del_timer(struct loop *lp, struct loop_timer *t);
/* Run HOOK before every sleep (one hook; NULL removes it). */
void loop_set_before_sleep(struct loop *lp, loop_hook_fn *hook, void *arg);
/* Dispatch events until loop_stop; 0, or -1 with errno on failure. */
int loop_run(struct loop *lp);
/* After a dispatch that handled events, poll for up to US microseconds
 * before sleeping (0: never, the default). See loop.c. */
void loop_set_spin(struct loop *lp, long us);
/* Make loop_run return after the current dispatch. */
void loop_stop(struct loop *lp);
/* Microseconds, milliseconds on the monotonic clock. */
long long loop_now_us(void);
long long loop_now_ms(void);

#endif
