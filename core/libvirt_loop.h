/*
 * libvirt_loop.h — libvirt's event loop implementation (virEventRegisterImpl)
 * mapped onto core/loop: libvirt's sockets, keepalive timers and stream
 * events run on the daemon's one loop, with FUSE and every backend. Not for
 * connections (libvirt_conn.c) nor streams (backend_libvirt.c).
 */
#ifndef CONSOLEFS_LIBVIRT_LOOP_H
#define CONSOLEFS_LIBVIRT_LOOP_H

struct loop;

/* Register LP as libvirt's event loop; call once, before any libvirt
 * connection is opened. 0, or -1 with errno (already registered: EBUSY). */
int libvirt_loop_register(struct loop *lp);
/* The registered loop, or NULL. */
struct loop *libvirt_loop_get(void);
/* Run the free callbacks libvirt handed over with removed handles and
 * timeouts now (they normally run from a timer, on a clean stack). Call
 * only where no libvirt callback is on the stack: at shutdown, after the
 * last connection was closed. */
void libvirt_loop_drain(void);
/* In a child forked from the daemon: forget the daemon's handles and
 * timeouts (their fds and epoll set are shared with the parent and must not
 * be touched) and give libvirt a loop of the child's own. 0, or -1. */
int libvirt_loop_forked(void);
/* Live handles and timeouts (tests, leak checks). */
int libvirt_loop_nhandles(void);
int libvirt_loop_ntimeouts(void);

#endif
