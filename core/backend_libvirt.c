/*
 * backend_libvirt.c — libvirt: backends ("libvirt:URI#DOMAIN/ALIAS"): a
 * session is a libvirt console stream, virDomainOpenConsole with
 * VIR_DOMAIN_CONSOLE_SAFE, so libvirt's own registry of console streams
 * does the exclusion against virsh console and every other client:
 * "Active console session exists" is EBUSY here, and user.force opens with
 * VIR_DOMAIN_CONSOLE_FORCE, which ends the other client's stream (never a
 * foreign lock file: libvirt refuses those too, and we check minicom's
 * name ourselves for guests of this host). Not for knowing which guests
 * and devices exist (libvirt_conn.c, source_libvirt.c).
 *
 * How a stream meets the relay: console.c moves bytes between an fd and a
 * session. This backend gives it one end of a socketpair and pumps the
 * other end to and from the non-blocking stream on the loop: the stream is
 * read only while the socket takes what was read, and the socket only
 * while the stream takes what was read from it, so back-pressure passes
 * through both ways and nothing is dropped. The end of the stream (the
 * guest stopped, libvirtd went away, another client forced it) shuts the
 * socket down after what was read has been passed on: the session reads
 * end of file. The pump's buffers exist only while a stream is open.
 */
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/backend_impl.h"
#include "core/libvirt_conn.h"
#include "core/libvirt_loop.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/opts.h"
#include "core/proc.h"

/* Where libvirtd takes its console lock files ("LCK.._pts_7", with its own
 * pid): Debian's and upstream's build default. */
#define LIBVIRT_LOCK_DIR	"/var/lock"
#define LV_BUF			(64 * 1024)
#define LV_PUMPS_PER_EVENT	16
#define LV_RETRY_MS		2000	/* capture: while someone else has it */

struct lv_pump {
	char	 out[LV_BUF];	/* stream -> socket */
	size_t	 olen, ooff;
	char	 in[LV_BUF];	/* socket -> stream */
	size_t	 ilen, ioff;
};

struct backend_libvirt {
	struct backend			*b;
	struct libvirt_conn		*conn;
	struct libvirt_conn_listener	*listener;
	int				 capture;	/* hold the console while idle */
	int				 stopped;	/* capture: the console is going */
	virStreamPtr			 st;		/* the open stream, or NULL */
	int				 st_events;	/* what its callback asks for */
	int				 st_cb;		/* a callback is registered */
	int				 sock;		/* the pump's end, -1 */
	int				 sock_mask;
	int				 console_fd;	/* the console's end until handed over */
	int				 eof;		/* the stream ended */
	int				 failed;	/* ... with an error */
	int				 shut;		/* the socket was shut down */
	struct lv_pump			*pump;
	struct loop_timer		*hold;		/* a forced stream waits for its opener */
	struct loop_timer		*retry;		/* capture: open again */
	struct loop_timer		*reap;		/* capture: close an ended stream */
	int				 busy;		/* a remote SAFE open was refused */
	char				 busy_why[128];
};

static void lv_update(struct backend_libvirt *lv);
static void lv_sock_event(struct loop *lp, int fd, int events, void *arg);
static void lv_reap(struct loop *lp, void *arg);

static struct loop *
lv_loop(void)
{
	return libvirt_loop_get();
}

/* The guest and the pty of this device while it runs; NULL when absent. */
static const struct libvirt_conn_domain *
lv_domain(struct backend_libvirt *lv, const char **pty)
{
	const struct libvirt_conn_domain *d;
	int i;

	*pty = NULL;
	if (lv->conn == NULL || libvirt_conn_ptr(lv->conn) == NULL)
		return NULL;
	d = libvirt_conn_domain_find(lv->conn, lv->b->spec->domain);
	if (d == NULL || !libvirt_conn_domain_active(d) ||
	    (i = libvirt_conn_domain_dev_find(d, lv->b->spec->alias)) == -1)
		return NULL;
	*pty = libvirt_conn_domain_dev_pty(d, i);
	return d;
}

/* ---- the pump ---- */

static void
lv_stream_cb(virStreamPtr st, int events, void *opaque);

/* The stream ended (end of file, error, the connection or the guest went):
 * pass on what was read, then end of file on the socket. */
static void
lv_end(struct backend_libvirt *lv, int failed, const char *why)
{
	if (lv->eof)
		return;
	log_info("%s: %s: console stream ended (%s)", __func__, lv->b->spec->text, why);
	lv->eof = 1;
	lv->failed |= failed;
	if (lv->st_cb) {
		virStreamEventRemoveCallback(lv->st);
		lv->st_cb = 0;
	}
	if (lv->pump != NULL)
		lv->pump->ilen = lv->pump->ioff = 0;
	lv_update(lv);
}

/* Stream -> socket, as far as the socket takes it. */
static void
lv_pump_out(struct backend_libvirt *lv)
{
	struct lv_pump *p = lv->pump;

	for (int i = 0; i < LV_PUMPS_PER_EVENT && lv->sock != -1; i++) {
		int n;

		if (p->ooff < p->olen) {
			ssize_t w = write(lv->sock, p->out + p->ooff, p->olen - p->ooff);

			if (w > 0)
				p->ooff += w;
			else if (w == -1 && errno != EAGAIN && errno != EINTR) {
				/* The console closed its end: nobody to give it to. */
				p->ooff = p->olen;
			}
			if (p->ooff < p->olen)
				break;		/* back-pressure: wait for room */
			p->olen = p->ooff = 0;
		}
		if (lv->eof)
			break;
		n = virStreamRecv(lv->st, p->out, sizeof p->out);
		if (n > 0) {
			p->olen = n;
			continue;
		}
		if (n == -2)
			break;
		if (n == 0)
			lv_end(lv, 0, "end of file");
		else {
			virErrorPtr e = virGetLastError();

			lv_end(lv, 1, e != NULL && e->message != NULL ? e->message : "error");
		}
		break;
	}
}

/* Socket -> stream, as far as the stream takes it. */
static void
lv_pump_in(struct backend_libvirt *lv)
{
	struct lv_pump *p = lv->pump;

	for (int i = 0; i < LV_PUMPS_PER_EVENT && lv->sock != -1 && !lv->eof; i++) {
		ssize_t r;

		if (p->ioff < p->ilen) {
			int n = virStreamSend(lv->st, p->in + p->ioff, p->ilen - p->ioff);

			if (n > 0)
				p->ioff += n;
			else if (n == -1) {
				virErrorPtr e = virGetLastError();

				lv_end(lv, 1, e != NULL && e->message != NULL ? e->message :
				    "send failed");
				return;
			}
			if (p->ioff < p->ilen)
				break;		/* -2 or partial: wait until writable */
			p->ilen = p->ioff = 0;
		}
		r = read(lv->sock, p->in, sizeof p->in);
		if (r > 0) {
			p->ilen = r;
			continue;
		}
		break;		/* EAGAIN, or 0: the console closed its end */
	}
}

/* Ask the stream and the loop for what the pump can use now; shut the
 * socket down once an ended stream's last bytes are passed on. */
static void
lv_update(struct backend_libvirt *lv)
{
	struct lv_pump *p = lv->pump;
	int ev = 0, mask = 0;

	if (lv->sock == -1 || p == NULL)
		return;
	if (!lv->eof) {
		if (p->olen == 0)
			ev |= VIR_STREAM_EVENT_READABLE;
		if (p->ioff < p->ilen)
			ev |= VIR_STREAM_EVENT_WRITABLE;
		else
			mask |= LOOP_READ;
		ev |= VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;
	}
	if (p->ooff < p->olen)
		mask |= LOOP_WRITE;
	if (lv->eof && p->ooff == p->olen && !lv->shut) {
		shutdown(lv->sock, SHUT_WR);
		lv->shut = 1;
		/* Capture: the console closes its end without telling us; the
		 * stream is finished from a clean stack (not inside its own
		 * callback), and what is in the socket stays readable. */
		if (lv->capture && lv->reap == NULL)
			lv->reap = loop_add_timer(lv_loop(), 0, lv_reap, lv);
	}
	if (lv->st_cb && ev != lv->st_events) {
		virStreamEventUpdateCallback(lv->st, ev);
		lv->st_events = ev;
	}
	if (mask != lv->sock_mask) {
		if (loop_add_fd(lv_loop(), lv->sock, mask, lv_sock_event, lv) == -1)
			log_error("%s: cannot watch the stream's socket: %s", __func__,
			    strerror(errno));
		lv->sock_mask = mask;
	}
}

static void
lv_stream_cb(virStreamPtr st, int events, void *opaque)
{
	struct backend_libvirt *lv = opaque;

	(void)st;
	if (lv->st == NULL || lv->eof)
		return;
	if (events & VIR_STREAM_EVENT_WRITABLE)
		lv_pump_in(lv);
	if (events & (VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_HANGUP |
	    VIR_STREAM_EVENT_ERROR))
		lv_pump_out(lv);
	lv_update(lv);
}

static void
lv_sock_event(struct loop *lp, int fd, int events, void *arg)
{
	struct backend_libvirt *lv = arg;

	(void)lp, (void)fd;
	if (lv->sock == -1)
		return;
	if (events & LOOP_WRITE)
		lv_pump_out(lv);
	if (events & (LOOP_READ | LOOP_HUP | LOOP_ERROR))
		lv_pump_in(lv);
	lv_update(lv);
}

/* Close the stream and the pump: what the console wrote before closing is
 * sent first, then the stream is finished (aborted after an error). */
static void
lv_stream_close(struct backend_libvirt *lv)
{
	if (lv->hold != NULL) {
		loop_del_timer(lv_loop(), lv->hold);
		lv->hold = NULL;
	}
	if (lv->reap != NULL) {
		loop_del_timer(lv_loop(), lv->reap);
		lv->reap = NULL;
	}
	if (lv->st == NULL)
		return;
	if (lv->sock != -1 && !lv->eof && lv->pump != NULL) {
		struct lv_pump *p = lv->pump;

		/* The console's end is closed: what it wrote is in the socket,
		 * up to its end of file. Send it before finishing. */
		for (;;) {
			ssize_t r;

			if (p->ioff < p->ilen) {
				int n = virStreamSend(lv->st, p->in + p->ioff, p->ilen - p->ioff);

				if (n <= 0)
					break;
				p->ioff += n;
				continue;
			}
			if ((r = read(lv->sock, p->in, sizeof p->in)) <= 0)
				break;
			p->ilen = r;
			p->ioff = 0;
		}
	}
	if (lv->st_cb)
		virStreamEventRemoveCallback(lv->st);
	lv->st_cb = 0;
	if (lv->failed || virStreamFinish(lv->st) == -1)
		virStreamAbort(lv->st);
	virStreamFree(lv->st);
	lv->st = NULL;
	if (lv->sock != -1) {
		loop_del_fd(lv_loop(), lv->sock);
		close(lv->sock);
	}
	lv->sock = -1;
	lv->sock_mask = 0;
	if (lv->console_fd != -1)
		close(lv->console_fd);
	lv->console_fd = -1;
	free(lv->pump);
	lv->pump = NULL;
	lv->eof = lv->failed = lv->shut = 0;
}

/* Open the console stream (FORCE: take it from another client; QUIET: a
 * retry, logged only at debug level). 0, or -1 with errno ENXIO (absent)
 * or EBUSY (held by another client or a lock). */
static int
lv_stream_open(struct backend_libvirt *lv, int force, int quiet)
{
	const struct spec *sp = lv->b->spec;
	virConnectPtr vc;
	virDomainPtr dom;
	virStreamPtr st;
	unsigned int flags = VIR_DOMAIN_CONSOLE_SAFE | (force ? VIR_DOMAIN_CONSOLE_FORCE : 0);
	int sv[2];
	const char *pty;

	if (lv_domain(lv, &pty) == NULL) {
		errno = ENXIO;
		return -1;
	}
	vc = libvirt_conn_ptr(lv->conn);
	if ((dom = virDomainLookupByName(vc, sp->domain)) == NULL) {
		errno = ENXIO;
		return -1;
	}
	if ((st = virStreamNew(vc, VIR_STREAM_NONBLOCK)) == NULL) {
		virDomainFree(dom);
		errno = ENXIO;
		return -1;
	}
	if (virDomainOpenConsole(dom, sp->alias, st, flags) == -1) {
		virErrorPtr e = virGetLastError();
		int code = e != NULL ? e->code : 0;

		/* "Active console session exists for this domain" and
		 * "Requested console pty ... is locked by another process" are
		 * both OPERATION_FAILED; anything else means the device cannot
		 * be opened now (not running, no such alias). */
		log_msg(quiet ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, "%s: %s: %s", __func__,
		    sp->text, e != NULL && e->message != NULL ? e->message :
		    "cannot open the console");
		if (code == VIR_ERR_OPERATION_FAILED) {
			lv->busy = 1;
			snprintf(lv->busy_why, sizeof lv->busy_why, "%s",
			    e->message != NULL ? e->message : "");
		}
		virStreamFree(st);
		virDomainFree(dom);
		errno = code == VIR_ERR_OPERATION_FAILED ? EBUSY : ENXIO;
		return -1;
	}
	virDomainFree(dom);
	lv->busy = 0;
	if ((lv->pump = calloc(1, sizeof *lv->pump)) == NULL ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == -1) {
		log_error("%s: %s: %s", __func__, sp->text, strerror(errno));
		goto fail;
	}
	lv->st = st;
	lv->console_fd = sv[0];
	lv->sock = sv[1];
	lv->st_events = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
	    VIR_STREAM_EVENT_HANGUP;
	if (virStreamEventAddCallback(st, lv->st_events, lv_stream_cb, lv, NULL) == -1) {
		log_error("%s: %s: cannot watch the stream", __func__, sp->text);
		lv_stream_close(lv);
		errno = ENXIO;
		return -1;
	}
	lv->st_cb = 1;
	lv_update(lv);
	log_debug("%s: %s: console stream open%s", __func__, sp->text, force ? " (forced)" : "");
	return 0;
fail:
	free(lv->pump);
	lv->pump = NULL;
	virStreamAbort(st);
	virStreamFree(st);
	errno = ENXIO;
	return -1;
}

/* ---- what other programs hold ---- */

/* A live foreign lock on PTY in DIR under NAME: its pid, else 0. */
static pid_t
lv_lock_holder(const char *dir, const char *name)
{
	char path[512], buf[64];
	pid_t pid;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0 || lock_parse(buf, n, &pid) == -1 || pid <= 0)
		return 0;
	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 0;
	return pid;
}

/* libvirt's name for PTY's lock: /dev/pts/7 -> LCK.._pts_7. */
static int
lv_libvirt_lock_name(const char *pty, char *buf, size_t len)
{
	size_t k;

	if (strncmp(pty, "/dev/", 5) != 0 ||
	    (size_t)snprintf(buf, len, "LCK..%s", pty + 4) >= len)
		return -1;
	for (k = 5; buf[k] != '\0'; k++)
		if (buf[k] == '/')
			buf[k] = '_';
	return 0;
}

static int
lv_holder(struct backend *b, char *buf, size_t len)
{
	struct backend_libvirt *lv = b->lv;
	char name[256], who[128];
	const char *pty;
	pid_t pid = 0;

	if (lv->st != NULL || lv_domain(lv, &pty) == NULL)
		goto none;
	if (libvirt_conn_local(lv->conn) && pty != NULL) {
		/* minicom's name in our lock directory: another program. */
		if (lock_check(b->lock_dir, pty, &pid) == -1 && errno == EBUSY &&
		    pid != getpid()) {
			lock_name(pty, name, sizeof name);
			backend_describe_pid(pid, who, sizeof who);
			snprintf(buf, len, "lock=%s/%s %s", b->lock_dir, name, who);
			return 0;
		}
		/* libvirt's name: libvirtd's pid while any client (virsh
		 * console) has the console, or another program's. */
		if (lv_libvirt_lock_name(pty, name, sizeof name) == 0 &&
		    (pid = lv_lock_holder(LIBVIRT_LOCK_DIR, name)) > 0) {
			char comm[64];

			backend_describe_pid(pid, who, sizeof who);
			proc_comm(pid, comm, sizeof comm);
			if (strcmp(comm, "libvirtd") == 0 || strcmp(comm, "virtqemud") == 0)
				snprintf(buf, len, "libvirt session (lock=%s/%s %s)",
				    LIBVIRT_LOCK_DIR, name, who);
			else
				snprintf(buf, len, "lock=%s/%s %s", LIBVIRT_LOCK_DIR, name, who);
			return 0;
		}
		goto none;
	}
	if (lv->busy) {
		/* Remote: no lock file to look at; what libvirt said last. */
		snprintf(buf, len, "libvirt session (%s)", lv->busy_why);
		return 0;
	}
none:
	errno = ENODATA;
	return -1;
}

/* ---- the operations ---- */

/* The console's end, handed over: the console closes it from now on. */
static int
lv_hand(struct backend_libvirt *lv)
{
	int fd = lv->console_fd;

	lv->console_fd = -1;
	return fd;
}

/* Whether another program holds the guest's pty under minicom's name in
 * our lock directory (guests of this host only): never taken from it. */
static int
lv_foreign_lock(struct backend_libvirt *lv, const char *pty)
{
	pid_t pid;

	if (!libvirt_conn_local(lv->conn) || pty == NULL)
		return 0;
	if (lock_check(lv->b->lock_dir, pty, &pid) == -1 && errno == EBUSY &&
	    pid != getpid()) {
		log_debug("%s: %s: %s is locked by pid %d", __func__, lv->b->spec->text,
		    pty, (int)pid);
		return 1;
	}
	return 0;
}

static void lv_capture_try(struct backend_libvirt *lv);

static void
lv_retry_timer(struct loop *lp, void *arg)
{
	struct backend_libvirt *lv = arg;

	(void)lp;
	lv->retry = NULL;
	lv_capture_try(lv);
}

static void
lv_retry_later(struct backend_libvirt *lv)
{
	if (lv->retry == NULL && !lv->stopped)
		lv->retry = loop_add_timer(lv_loop(), LV_RETRY_MS, lv_retry_timer, lv);
}

/* Capture: open the console while the guest runs and nobody else has it,
 * and give it to the console (backend_resume). A refusal (virsh console
 * has it, maybe after taking it from us with --force) is retried quietly
 * every LV_RETRY_MS while the guest runs. */
static void
lv_capture_try(struct backend_libvirt *lv)
{
	const char *pty;

	if (!lv->capture || lv->stopped || lv->st != NULL || lv_domain(lv, &pty) == NULL)
		return;
	if (lv_foreign_lock(lv, pty) || lv_stream_open(lv, 0, 1) == -1) {
		lv_retry_later(lv);
		return;
	}
	log_info("%s: %s: capturing", __func__, lv->b->spec->text);
	lv->b->fn(lv->b, lv->b->arg);
}

/* Capture: the ended stream's last bytes are in the socket; close it, and
 * try again later if the guest still runs (someone forced it away). */
static void
lv_reap(struct loop *lp, void *arg)
{
	struct backend_libvirt *lv = arg;

	(void)lp;
	lv->reap = NULL;
	lv_stream_close(lv);
	lv_retry_later(lv);
}

static void
lv_conn_event(void *arg, struct libvirt_conn *c, enum libvirt_conn_event ev,
    struct libvirt_conn_domain *d)
{
	struct backend_libvirt *lv = arg;

	(void)c;
	switch (ev) {
	case LIBVIRT_CONN_DOWN:
		lv->busy = 0;
		if (lv->st != NULL)
			lv_end(lv, 1, "the libvirt connection went away");
		break;
	case LIBVIRT_CONN_UP:
		lv_capture_try(lv);
		break;
	case LIBVIRT_CONN_DOMAIN:
	case LIBVIRT_CONN_DOMAIN_GONE:
		if (strcmp(libvirt_conn_domain_name(d), lv->b->spec->domain) != 0)
			break;
		if (ev == LIBVIRT_CONN_DOMAIN_GONE || !libvirt_conn_domain_active(d))
			lv->busy = 0;	/* the stream itself reports the end */
		else
			lv_capture_try(lv);
		break;
	}
}

static int
lv_init(struct backend *b, const struct opts *o, char **cause)
{
	struct backend_libvirt *lv = calloc(1, sizeof *lv);

	if (lv == NULL) {
		*cause = strdup("out of memory");
		return -1;
	}
	lv->b = b;
	lv->sock = lv->console_fd = -1;
	lv->capture = o != NULL && o->capture;
	b->lv = lv;
	/* Without the libvirt loop (a unit test of something else) the
	 * backend is simply absent. */
	if ((lv->conn = libvirt_conn_get(b->spec->uri)) != NULL)
		lv->listener = libvirt_conn_listen(lv->conn, lv_conn_event, lv);
	return 0;
}

static void
lv_release(struct backend *b)
{
	struct backend_libvirt *lv = b->lv;

	if (lv == NULL)
		return;
	if (lv->retry != NULL)
		loop_del_timer(lv_loop(), lv->retry);
	lv_stream_close(lv);
	libvirt_conn_unlisten(lv->listener);
	libvirt_conn_put(lv->conn);
	free(lv);
	b->lv = NULL;
}

/* Per session: open the stream (or take the one forced for us). */
static int
lv_open(struct backend *b, int session)
{
	struct backend_libvirt *lv = b->lv;
	const char *pty;

	(void)session;
	if (lv->hold != NULL) {
		/* Taken by force a moment ago for this opener. */
		loop_del_timer(lv_loop(), lv->hold);
		lv->hold = NULL;
		if (!lv->eof)
			return lv_hand(lv);
		lv_stream_close(lv);
	}
	if (lv->st != NULL) {
		errno = EBUSY;
		return -1;
	}
	if (lv_domain(lv, &pty) == NULL) {
		errno = ENXIO;
		return -1;
	}
	if (lv_foreign_lock(lv, pty)) {
		errno = EBUSY;
		return -1;
	}
	if (lv_stream_open(lv, 0, 0) == -1)
		return -1;
	return lv_hand(lv);
}

static void
lv_close(struct backend *b, int fd)
{
	/* The console's end first, so the pump reads it to its end. */
	close(fd);
	lv_stream_close(b->lv);
}

static int
lv_gone(struct backend *b, int fd)
{
	(void)b, (void)fd;
	return 1;	/* the stream ended: the next one is a new stream */
}

/* Capture: the console is made; the stream, if it can be had now. */
static int
lv_start(struct backend *b)
{
	struct backend_libvirt *lv = b->lv;
	const char *pty;

	if (lv_domain(lv, &pty) == NULL)
		return -1;
	if (lv_foreign_lock(lv, pty) || lv_stream_open(lv, 0, 1) == -1) {
		lv_retry_later(lv);
		return -1;
	}
	return lv_hand(lv);
}

/* Capture: a stream opened since the console's fd ended. */
static int
lv_resume(struct backend *b)
{
	struct backend_libvirt *lv = b->lv;

	if (lv->console_fd == -1 || lv->eof)
		return -1;
	return lv_hand(lv);
}

/* Capture: the console goes (the daemon stops): end the stream. */
static void
lv_stop(struct backend *b)
{
	struct backend_libvirt *lv = b->lv;

	lv->stopped = 1;
	if (lv->retry != NULL)
		loop_del_timer(lv_loop(), lv->retry);
	lv->retry = NULL;
	if (lv->st != NULL)
		lv_end(lv, 0, "stopping");
}

static void
lv_hold_expired(struct loop *lp, void *arg)
{
	struct backend_libvirt *lv = arg;

	(void)lp;
	lv->hold = NULL;
	log_info("%s: %s: nobody opened the forced console: letting it go", __func__,
	    lv->b->spec->text);
	lv_stream_close(lv);
}

/* Take the console from another libvirt client now (its stream ends) and
 * give it to the console: per session, kept HOLD_MS for the next open;
 * capturing, at once. */
static int
lv_force(struct backend *b, unsigned int hold_ms)
{
	struct backend_libvirt *lv = b->lv;
	const char *pty;

	if (lv->st != NULL && !lv->eof)
		return 0;
	if (lv_domain(lv, &pty) == NULL) {
		errno = ENXIO;
		return -1;
	}
	if (lv_foreign_lock(lv, pty)) {
		errno = EBUSY;
		return -1;
	}
	lv_stream_close(lv);
	if (lv_stream_open(lv, 1, 0) == -1) {
		errno = EBUSY;
		return -1;
	}
	log_info("%s: %s: taken from another libvirt client", __func__, b->spec->text);
	if (lv->capture)
		b->fn(b, b->arg);
	else
		lv->hold = loop_add_timer(lv_loop(), hold_ms, lv_hold_expired, lv);
	return 0;
}

static const char *
lv_state(struct backend *b)
{
	const char *pty;

	snprintf(b->state, sizeof b->state, "%s",
	    lv_domain(b->lv, &pty) != NULL ? "present" : "absent");
	return b->state;
}

/* capture = no (the default): a stream per session. */
const struct backend_ops backend_libvirt_ops = {
	.init = lv_init,
	.open = lv_open,
	.close = lv_close,
	.gone = lv_gone,
	.force = lv_force,
	.holder = lv_holder,
	.release = lv_release,
	.state = lv_state,
};

/* capture = yes: the stream is held while the guest runs, session or not. */
const struct backend_ops backend_libvirt_capture_ops = {
	.init = lv_init,
	.start = lv_start,
	.resume = lv_resume,
	.gone = lv_gone,
	.stop = lv_stop,
	.force = lv_force,
	.holder = lv_holder,
	.release = lv_release,
	.state = lv_state,
};
