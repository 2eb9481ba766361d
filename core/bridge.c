/*
 * bridge.c — DEV.tty: a pseudo-terminal per console, made when first asked
 * for, whose master we hold and relay to the console through an ordinary
 * console session (so back-pressure, force, locks, logs and spies work as
 * for the console file). Not for FUSE (fs/fs_tty.c), nor for the console's
 * own relay (console.c).
 *
 * Life of a bridge:
 *  - made by bridge_path (a readlink of DEV.tty), never by a listing or a
 *    stat, so 10,000 consoles need no pty until one is used;
 *  - IDLE: no program has the slave open. Kept for BRIDGE_IDLE_MS after
 *    the last use (readlink, or a client's last close), then closed; at
 *    most BRIDGE_MAX_IDLE idle ptys are kept: past that, the least recently
 *    used one is closed if it has not been used for BRIDGE_EVICT_MS, else
 *    the readlink fails with EAGAIN (a colored `ls` reads every link);
 *  - OPENING: a program opened the slave. Refused at once (CLOSING) when
 *    the console is held; else the program is looked for in /proc, a slice
 *    per loop pass (a whole walk took 100-400 ms on a host with 10,000
 *    processes), and a session named after it is taken, or refused;
 *  - ACTIVE: we hold the session and relay until the client's last close,
 *    then go back to IDLE (the slave's input is flushed and its settings
 *    reset for the next);
 *  - CLOSING: the session ended for another reason (taken over, the
 *    backend ended, the console was removed) or could not be had (busy,
 *    absent): the client gets what was still to come, plus one line
 *    "[consolefs: ...]" saying why when there is one, and once it has read
 *    that (or after BRIDGE_CLOSE_MS) the master is closed, which hangs the
 *    client up (read 0, write EIO). The next readlink makes a new pty.
 *
 * Kernel behaviour this relies on (seen on 6.18, and in drivers/tty/pty.c):
 *  - Opening a pty slave wakes nobody on the master side: no epoll event,
 *    so an open is heard through inotify (IN_OPEN on /dev/pts/N), taken as
 *    a hint and checked against the master's poll bits;
 *  - the master reports POLLHUP while no slave fd is open, but only after
 *    a first slave close (a fresh pair reports nothing): hence our own
 *    open and close of the slave (TIOCGPTPEER) when the pair is made;
 *  - after the last slave close the master's read gives the data still
 *    queued, then EIO: nothing the client wrote before closing is lost;
 *  - closing the master hangs the slave up and discards what the client
 *    has not read yet: hence CLOSING waits until FIONREAD on a slave fd of
 *    our own says the client has read everything;
 *  - TIOCEXCL (set on the slave for the client's time) refuses a second
 *    open with EBUSY, except to root (CAP_SYS_ADMIN); it stays set after
 *    the last close, so it is cleared before the next client;
 *  - the slave's settings are read and set through the master (TCGETS2,
 *    TCSETSF2); pty_set_termios forces CS8 without parity, so a client's
 *    data bits and parity never reach us (speed, stop bits, RTS/CTS do);
 *  - in packet mode (TIOCPKT, CLOSING only) the master hears the client
 *    flush its input (TIOCPKT_FLUSHREAD): pyserial and picocom do right
 *    after they open, which would throw our one line away.
 *
 * Why not CUSE or a character device node on our mount: no CUSE here, and
 * a node with a pty slave's numbers opens only through devpts (seen: EIO
 * from a mknod'd copy of /dev/pts/N).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bridge.h"
#include "core/console.h"
#include "core/hash.h"
#include "core/line.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/proc.h"

#define BRIDGE_BUF		16384
#define BRIDGE_MSG		512	/* room for a "[consolefs: ...]" line */
#define BRIDGE_TICK_MS		20	/* CLOSING: how often to look */
#define BRIDGE_ZERO_LOOKS	3	/* CLOSING: nothing unread, so many times */
#define BRIDGE_CLOSE_MS		5000	/* CLOSING: how long at most */
#define BRIDGE_EVICT_MS		2000	/* an idle pty used this recently stays */
#define BRIDGE_PUMP_ROUNDS	16
#define BRIDGE_SCAN_SLICE	64	/* processes looked at per loop pass */

enum bridge_state { BRIDGE_IDLE, BRIDGE_OPENING, BRIDGE_ACTIVE, BRIDGE_CLOSING };

struct bridge {
	struct bridge_set *set;
	uint64_t	 id;
	struct console	*con;		/* NULL once CLOSING */
	char		*name;		/* "domain/dev", for messages */
	char		 path[32];	/* the slave: /dev/pts/N */
	int		 master;
	int		 wd;		/* inotify watch, or -1 */
	enum bridge_state state;
	struct console_session *sess;
	int		 mask;		/* what the loop watches on master, -1: nothing */
	int		 hup;		/* ACTIVE: the client's last close was seen */
	int		 gone;		/* ACTIVE: and everything it wrote was read */
	char		*end_msg;	/* ACTIVE: end the session, with this line */
	char		 last_words[BRIDGE_MSG];	/* CLOSING: said to the client */
	int		 ending;
	char		*out;		/* console -> client */
	size_t		 out_off, out_len;
	char		*in;		/* client -> console */
	size_t		 in_off, in_len;
	struct line	 cfg;		/* the slave's settings when a client comes */
	struct line	 line;		/* serial: what the backend was last given */
	int		 serial;
	struct bridge_perm perm;
	long long	 used_at;
	long long	 close_by;
	long long	 wrote_at;	/* the last write to the client */
	int		 zero_looks;	/* CLOSING: FIONREAD said 0 so many times */
	struct loop_timer *timer;	/* OPENING: scan; ACTIVE: settle; CLOSING: look */
	struct proc_scan *scan;		/* OPENING: looking for the client */
	struct bridge	*all_prev, *all_next;
	struct bridge	*idle_prev, *idle_next;
	int		 in_idle;
};

struct bridge_set {
	struct loop	*loop;
	struct bridge_limits lim;
	struct hash	*by_id;		/* console key -> bridge (not CLOSING) */
	struct hash	*by_wd;		/* inotify watch -> bridge */
	int		 inotify;	/* -1 until the first bridge */
	struct bridge	*all;
	struct bridge	*idle_first, *idle_last;
	size_t		 nidle;
	size_t		 count;
	struct loop_timer *idle_timer;
	long long	 refused_at;	/* last "too many idle ptys" log line */
};

static void bridge_master_event(struct loop *lp, int fd, int events, void *arg);
static void bridge_idle_arm(struct bridge_set *bs);
static void bridge_attach(struct bridge *b);

/* ---- lists ---- */

static void
bridge_idle_remove(struct bridge *b)
{
	struct bridge_set *bs = b->set;

	if (!b->in_idle)
		return;
	if (b->idle_prev != NULL)
		b->idle_prev->idle_next = b->idle_next;
	else
		bs->idle_first = b->idle_next;
	if (b->idle_next != NULL)
		b->idle_next->idle_prev = b->idle_prev;
	else
		bs->idle_last = b->idle_prev;
	b->idle_prev = b->idle_next = NULL;
	b->in_idle = 0;
	bs->nidle--;
}

/* Put B at the end of the idle list (used now). */
static void
bridge_idle_touch(struct bridge *b)
{
	struct bridge_set *bs = b->set;

	bridge_idle_remove(b);
	b->used_at = loop_now_ms();
	b->idle_prev = bs->idle_last;
	if (bs->idle_last != NULL)
		bs->idle_last->idle_next = b;
	else
		bs->idle_first = b;
	bs->idle_last = b;
	b->in_idle = 1;
	bs->nidle++;
	bridge_idle_arm(bs);
}

/* ---- the pty ---- */

/* The slave's mode: read and write for each class that may write the
 * device file (every open of a console is a session, which needs write
 * permission; a class that may only read gets nothing here). */
static mode_t
bridge_slave_mode(mode_t mode)
{
	mode_t w = mode & 0222;

	return w | (w << 1);
}

/* Our own descriptor of the slave (TIOCGPTPEER), or -1. */
static int
bridge_peer(struct bridge *b)
{
	return ioctl(b->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
}

static void
bridge_apply_perm(struct bridge *b, int peer)
{
	if (fchown(peer, b->perm.uid, b->perm.gid) == -1 ||
	    fchmod(peer, bridge_slave_mode(b->perm.mode)) == -1)
		log_warn("%s: %s: cannot give %s the device file's owner and mode: %s",
		    __func__, b->name, b->path, strerror(errno));
}

static void
bridge_set_mask(struct bridge *b, int mask)
{
	if (mask == b->mask)
		return;
	if (mask == -1)
		loop_del_fd(b->set->loop, b->master);
	else if (loop_add_fd(b->set->loop, b->master, mask, bridge_master_event, b) == -1) {
		log_error("%s: %s: cannot watch the pty: %s", __func__, b->name, strerror(errno));
		mask = -1;
	}
	b->mask = mask;
}

/* Close B's pty (a client is hung up) and free B. */
static void
bridge_retire(struct bridge *b)
{
	struct bridge_set *bs = b->set;

	log_debug("%s: %s: %s closed", __func__, b->name, b->path);
	bridge_idle_remove(b);
	if (hash_get_id(bs->by_id, b->id) == b)
		hash_del_id(bs->by_id, b->id);
	if (b->wd != -1) {
		hash_del_id(bs->by_wd, (uint64_t)b->wd);
		inotify_rm_watch(bs->inotify, b->wd);
	}
	loop_del_timer(bs->loop, b->timer);
	proc_scan_free(b->scan);
	bridge_set_mask(b, -1);
	console_close(b->sess);
	close(b->master);
	if (b->all_prev != NULL)
		b->all_prev->all_next = b->all_next;
	else
		bs->all = b->all_next;
	if (b->all_next != NULL)
		b->all_next->all_prev = b->all_prev;
	bs->count--;
	free(b->end_msg);
	free(b->out);
	free(b->in);
	free(b->name);
	free(b);
	bridge_idle_arm(bs);
}

static void
bridge_idle_fire(struct loop *lp, void *arg)
{
	struct bridge_set *bs = arg;
	long long now = loop_now_ms();

	(void)lp;
	bs->idle_timer = NULL;
	while (bs->idle_first != NULL && now - bs->idle_first->used_at >= bs->lim.idle_ms)
		bridge_retire(bs->idle_first);
	bridge_idle_arm(bs);
}

/* One timer, for the idle pty that expires first. */
static void
bridge_idle_arm(struct bridge_set *bs)
{
	long long due;

	loop_del_timer(bs->loop, bs->idle_timer);
	bs->idle_timer = NULL;
	if (bs->idle_first == NULL)
		return;
	due = bs->idle_first->used_at + bs->lim.idle_ms - loop_now_ms();
	bs->idle_timer = loop_add_timer(bs->loop, due > 0 ? due : 0, bridge_idle_fire, bs);
}

static void
bridge_inotify_event(struct loop *lp, int fd, int events, void *arg)
{
	struct bridge_set *bs = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)lp, (void)events;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			struct bridge *b = hash_get_id(bs->by_wd, (uint64_t)ev->wd);

			p += sizeof *ev + ev->len;
			/* A hint only (our own TIOCGPTPEER opens come here too):
			 * the master's poll bits say whether a client is there. */
			if (b != NULL && b->state == BRIDGE_IDLE && (ev->mask & IN_OPEN)) {
				struct pollfd pfd = { .fd = b->master, .events = POLLIN };

				poll(&pfd, 1, 0);
				log_debug("%s: %s: %s opened (poll %#x)", __func__, b->name,
				    b->path, pfd.revents);
				if (!(pfd.revents & POLLHUP))
					bridge_attach(b);
			}
		}
	}
}

/* A new pty for console C: IDLE, or NULL with errno. */
static struct bridge *
bridge_make(struct bridge_set *bs, uint64_t id, struct console *c, const char *name,
    const struct bridge_perm *perm)
{
	struct bridge *b = calloc(1, sizeof *b);
	const struct line *l = console_line(c);
	int peer = -1, saverr;
	unsigned int n;

	if (b == NULL)
		return NULL;
	b->set = bs;
	b->id = id;
	b->con = c;
	b->perm = *perm;
	b->wd = -1;
	b->mask = -1;
	if ((b->name = strdup(name)) == NULL)
		goto fail_free;
	if (l != NULL) {
		b->serial = 1;
		b->cfg = *l;
		b->line = *l;
	} else
		line_init(&b->cfg);	/* 115200 8n1, raw */
	if ((b->master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) == -1)
		goto fail_free;
	if (unlockpt(b->master) == -1 || ioctl(b->master, TIOCGPTN, &n) == -1)
		goto fail;
	snprintf(b->path, sizeof b->path, "/dev/pts/%u", n);
	if (bs->inotify == -1) {
		if ((bs->inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
			goto fail;
		if (loop_add_fd(bs->loop, bs->inotify, LOOP_READ, bridge_inotify_event, bs) == -1) {
			saverr = errno;
			close(bs->inotify);
			bs->inotify = -1;
			errno = saverr;
			goto fail;
		}
	}
	/* Owner and mode first, then the watch: nobody can have opened the
	 * slave before it is there (root aside, who could guess the number). */
	if ((peer = bridge_peer(b)) == -1)
		goto fail;
	bridge_apply_perm(b, peer);
	if (line_reset(b->master, &b->cfg) == -1)
		goto fail;
	close(peer);	/* from now on the master reports POLLHUP while nobody has it */
	peer = -1;
	if ((b->wd = inotify_add_watch(bs->inotify, b->path, IN_OPEN)) == -1)
		goto fail;
	if (hash_put_id(bs->by_wd, (uint64_t)b->wd, b) == -1 ||
	    hash_put_id(bs->by_id, id, b) == -1) {
		hash_del_id(bs->by_wd, (uint64_t)b->wd);
		errno = ENOMEM;
		goto fail;
	}
	b->all_next = bs->all;
	if (bs->all != NULL)
		bs->all->all_prev = b;
	bs->all = b;
	bs->count++;
	bridge_idle_touch(b);
	log_debug("%s: %s: %s made", __func__, name, b->path);
	return b;
fail:
	saverr = errno;
	if (peer != -1)
		close(peer);
	if (b->wd != -1)
		inotify_rm_watch(bs->inotify, b->wd);
	close(b->master);
	errno = saverr;
fail_free:
	saverr = errno;
	free(b->name);
	free(b);
	errno = saverr;
	return NULL;
}

/* ---- the relay ---- */

/* What the master is watched for while a client is there. */
static void
bridge_watch(struct bridge *b)
{
	int mask = 0;

	if (b->state != BRIDGE_ACTIVE)
		return;
	if (b->in_len == 0 && !b->gone)
		mask |= LOOP_READ;
	/* Once the client has gone, writing to it is pointless, and a level
	 * POLLHUP would wake us for nothing while it cannot be read. */
	if (b->out_len > 0 && !b->hup)
		mask |= LOOP_WRITE;
	bridge_set_mask(b, mask == 0 ? -1 : mask);
}

static void bridge_settle(struct loop *lp, void *arg);

/* End the session after the current callback (the console may be calling
 * us): with MSG for the client when there is one. */
static void
bridge_end(struct bridge *b, const char *msg)
{
	if (b->ending)
		return;
	b->ending = 1;
	if (msg != NULL)
		b->end_msg = strdup(msg);
	if (b->timer == NULL)
		b->timer = loop_add_timer(b->set->loop, 0, bridge_settle, b);
}

/* The client changed the slave's speed, stop bits or RTS/CTS: give them
 * to a serial backend. Data bits and parity cannot be seen (pty.c resets
 * them); XON/XOFF is done by the pty's own line discipline already. */
static void
bridge_sync_line(struct bridge *b)
{
	struct line now, want;

	if (!b->serial || b->sess == NULL || line_get(b->master, &now) == -1)
		return;
	want = b->line;
	if (now.baud != 0)
		want.baud = now.baud;
	want.stop = now.stop;
	if (now.flow == LINE_FLOW_RTSCTS)
		want.flow = LINE_FLOW_RTSCTS;
	else if (want.flow == LINE_FLOW_RTSCTS)
		want.flow = LINE_FLOW_NONE;
	if (want.baud == b->line.baud && want.stop == b->line.stop &&
	    want.flow == b->line.flow)
		return;
	if (console_set_line(b->sess, &want) == -1)
		log_warn("%s: %s: cannot pass on the client's line settings: %s",
		    __func__, b->name, strerror(errno));
	else
		log_info("%s: %s: line settings from %s: %u baud, %d stop bit%s%s",
		    __func__, b->name, b->path, want.baud, want.stop,
		    want.stop == 1 ? "" : "s", want.flow == LINE_FLOW_RTSCTS ? ", RTS/CTS" : "");
	b->line = want;
}

/* Move what can be moved between the session and the master. */
static void
bridge_pump(struct bridge *b)
{
	for (int round = 0; round < BRIDGE_PUMP_ROUNDS && !b->ending; round++) {
		int progress = 0;
		ssize_t n;

		if (b->in_len > 0) {
			n = console_write(b->sess, b->in + b->in_off, b->in_len);
			if (n < 0) {
				bridge_end(b, errno == ECONNRESET ?
				    "was taken over (user.force)" : NULL);
				break;
			}
			b->in_off += n;
			b->in_len -= n;
			if (b->in_len == 0)
				b->in_off = 0;
			progress |= n > 0;
		}
		if (b->out_len == 0) {
			bridge_sync_line(b);
			n = console_read(b->sess, b->out, BRIDGE_BUF);
			if (n == 0) {
				bridge_end(b, NULL);	/* the backend ended */
				break;
			}
			if (n < 0 && errno != EAGAIN) {
				bridge_end(b, errno == ECONNRESET ?
				    "was taken over (user.force)" : NULL);
				break;
			}
			if (n > 0) {
				b->out_off = 0;
				b->out_len = n;
				progress = 1;
			}
		}
		if (b->out_len > 0 && !b->hup) {
			n = write(b->master, b->out + b->out_off, b->out_len);
			if (n > 0) {
				b->out_off += n;
				b->out_len -= n;
				b->wrote_at = loop_now_ms();
				progress = 1;
			} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
				log_info("%s: %s: write to %s: %s", __func__, b->name,
				    b->path, strerror(errno));
				bridge_end(b, NULL);
				break;
			}
		}
		if (!progress)
			break;
	}
	if (b->gone && b->in_len == 0)
		bridge_end(b, NULL);	/* the client closed: back to IDLE */
	bridge_watch(b);
}

static void bridge_activate(struct bridge *b);

static void
bridge_wake(struct console_session *s, void *arg)
{
	struct bridge *b = arg;
	char msg[BRIDGE_MSG - 64];
	int st;

	if (b->state == BRIDGE_ACTIVE) {
		bridge_pump(b);
		return;
	}
	if (b->state != BRIDGE_OPENING || b->sess != s ||
	    (st = console_open_status(s)) == EINPROGRESS)
		return;
	if (st == 0) {
		bridge_activate(b);
		return;
	}
	/* The backend could not be had after all: a failed session is only
	 * good for console_close, which bridge_end leaves to a clean stack. */
	snprintf(msg, sizeof msg, "is not there (%s)", strerror(st));
	bridge_end(b, msg);
}

static void
bridge_closing_look(struct loop *lp, void *arg);

/* Queue the last words for the client (CLOSING). */
static void
bridge_say(struct bridge *b)
{
	size_t len = strlen(b->last_words), room;

	if (len == 0 || b->out == NULL)
		return;
	if (b->out_off > 0) {
		memmove(b->out, b->out + b->out_off, b->out_len);
		b->out_off = 0;
	}
	room = BRIDGE_BUF + BRIDGE_MSG - b->out_len;
	if (len > room)
		len = room;
	memcpy(b->out + b->out_len, b->last_words, len);
	b->out_len += len;
}

/* Stop relaying: hang the client up once it has read what is still to
 * come and the line "[consolefs: MSG]" (when MSG is not NULL). */
static void
bridge_hangup(struct bridge *b, const char *msg)
{
	struct bridge_set *bs = b->set;

	console_close(b->sess);
	b->sess = NULL;
	b->con = NULL;
	bridge_idle_remove(b);
	if (hash_get_id(bs->by_id, b->id) == b)
		hash_del_id(bs->by_id, b->id);
	if (b->wd != -1) {
		hash_del_id(bs->by_wd, (uint64_t)b->wd);
		inotify_rm_watch(bs->inotify, b->wd);
		b->wd = -1;
	}
	bridge_set_mask(b, -1);
	loop_del_timer(bs->loop, b->timer);
	b->timer = NULL;
	proc_scan_free(b->scan);
	b->scan = NULL;
	b->state = BRIDGE_CLOSING;
	if (b->hup) {
		bridge_retire(b);	/* nobody is left to tell */
		return;
	}
	if (msg != NULL && b->out != NULL) {
		snprintf(b->last_words, sizeof b->last_words, "\r\n[consolefs: %s %s]\r\n",
		    b->name, msg);
		bridge_say(b);
	}
	/* Packet mode, to hear the client flush its input (pyserial does at
	 * the end of its open, picocom too): what we told it is then said
	 * again. From now on what it writes is dropped. */
	if (ioctl(b->master, TIOCPKT, &(int){ 1 }) == -1)
		log_debug("%s: %s: TIOCPKT: %s", __func__, b->name, strerror(errno));
	log_info("%s: %s: hanging up %s%s%s", __func__, b->name, b->path,
	    msg != NULL ? ": " : "", msg != NULL ? msg : "");
	b->close_by = loop_now_ms() + BRIDGE_CLOSE_MS;
	bridge_closing_look(bs->loop, b);
}

/* CLOSING: write what is left; close once the client has read it all,
 * has gone, or has had BRIDGE_CLOSE_MS. */
static void
bridge_closing_look(struct loop *lp, void *arg)
{
	struct bridge *b = arg;
	struct pollfd pfd = { .fd = b->master, .events = POLLIN };
	int unread = 0, peer;

	b->timer = NULL;
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP)) {
		bridge_retire(b);
		return;
	}
	for (;;) {
		unsigned char pkt[512];
		ssize_t n = read(b->master, pkt, sizeof pkt);

		if (n <= 0)
			break;
		if (pkt[0] != TIOCPKT_DATA && (pkt[0] & TIOCPKT_FLUSHREAD) && b->out_len == 0)
			bridge_say(b);
	}
	while (b->out_len > 0) {
		ssize_t n = write(b->master, b->out + b->out_off, b->out_len);

		if (n <= 0)
			break;
		b->out_off += n;
		b->out_len -= n;
		b->wrote_at = loop_now_ms();
	}
	/* What was written reaches the slave's input queue through the tty
	 * layer's buffers and work queue, not at once, and only as fast as
	 * the client makes room: FIONREAD (what is queued for the client to
	 * read) may say 0 while more is on its way (seen: a pyserial reader
	 * lost the end of 10 MiB). So it is believed only a tick after the
	 * last write, and only when it says 0 BRIDGE_ZERO_LOOKS times in a row. */
	if (b->out_len > 0)
		b->zero_looks = 0;
	else if (loop_now_ms() - b->wrote_at >= BRIDGE_TICK_MS) {
		/* Our own slave fd, briefly: the only way to ask how much the
		 * client has not read. */
		if ((peer = bridge_peer(b)) != -1) {
			if (ioctl(peer, FIONREAD, &unread) == -1)
				unread = 0;
			close(peer);
		}
		if (unread > 0)
			b->zero_looks = 0;
		else if (++b->zero_looks >= BRIDGE_ZERO_LOOKS) {
			bridge_retire(b);
			return;
		}
	}
	if (loop_now_ms() >= b->close_by) {
		bridge_retire(b);
		return;
	}
	b->timer = loop_add_timer(lp, BRIDGE_TICK_MS, bridge_closing_look, b);
}

/* ACTIVE -> IDLE: the client closed and everything it wrote went on. */
static void
bridge_detach(struct bridge *b)
{
	struct pollfd pfd = { .fd = b->master, .events = POLLIN };
	int peer;

	log_info("%s: %s: %s closed by its client", __func__, b->name, b->path);
	console_close(b->sess);
	b->sess = NULL;
	bridge_set_mask(b, -1);
	free(b->out);
	free(b->in);
	b->out = b->in = NULL;
	b->out_len = b->in_len = b->out_off = b->in_off = 0;
	b->hup = b->gone = 0;
	b->state = BRIDGE_IDLE;
	/* The next client finds the configured settings, no stale input and
	 * no TIOCEXCL. An unprivileged daemon cannot reopen a slave that has
	 * TIOCEXCL set: that pty is given up and the next readlink makes one. */
	line_reset(b->master, &b->cfg);
	if ((peer = bridge_peer(b)) == -1) {
		bridge_retire(b);
		return;
	}
	ioctl(peer, TIOCNXCL);
	close(peer);
	bridge_idle_touch(b);
	/* A new client may have opened meanwhile (its IN_OPEN came while we
	 * were ACTIVE and was not looked at). */
	if (poll(&pfd, 1, 0) == 1 && !(pfd.revents & POLLHUP))
		bridge_attach(b);
}

static void
bridge_settle(struct loop *lp, void *arg)
{
	struct bridge *b = arg;
	char *msg = b->end_msg;

	(void)lp;
	b->timer = NULL;
	if (!b->ending)
		return;
	b->end_msg = NULL;
	b->ending = 0;
	if (b->gone && b->in_len == 0 && msg == NULL)
		bridge_detach(b);
	else
		bridge_hangup(b, msg);
	free(msg);
}

static void
bridge_master_event(struct loop *lp, int fd, int events, void *arg)
{
	struct bridge *b = arg;

	(void)lp, (void)fd;
	if (b->state != BRIDGE_ACTIVE)
		return;
	if (events & LOOP_HUP)
		b->hup = 1;
	if (b->in_len == 0 && !b->gone && (events & (LOOP_READ | LOOP_HUP | LOOP_ERROR))) {
		ssize_t n = read(b->master, b->in, BRIDGE_BUF);

		bridge_sync_line(b);
		if (n > 0) {
			b->in_off = 0;
			b->in_len = n;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			/* EIO: the last slave fd closed and its data is all read. */
			b->hup = b->gone = 1;
		}
	}
	bridge_pump(b);
}

/* OPENING -> ACTIVE: the session is open. */
static void
bridge_activate(struct bridge *b)
{
	b->state = BRIDGE_ACTIVE;
	if (b->serial)
		b->line = b->cfg;
	bridge_sync_line(b);
	bridge_set_mask(b, LOOP_READ);
	bridge_pump(b);
}

/* OPENING -> ACTIVE: take the session for the client PEER, or refuse. */
static void
bridge_open_session(struct bridge *b, const struct console_peer *peer)
{
	struct pollfd pfd = { .fd = b->master, .events = POLLIN };
	char who[256], msg[BRIDGE_MSG - 64];

	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP)) {
		bridge_detach(b);	/* it has gone already */
		return;
	}
	b->sess = console_open(b->con, peer, bridge_wake, b);
	if (b->sess == NULL) {
		if (errno == EBUSY && console_holder(b->con, who, sizeof who) == 0)
			snprintf(msg, sizeof msg, "is busy, held by %s", who);
		else if (errno == EBUSY)
			snprintf(msg, sizeof msg, "is busy (kept for whoever took it over)");
		else if (errno == ENXIO)
			snprintf(msg, sizeof msg, "is not there (%s)", console_state(b->con));
		else
			snprintf(msg, sizeof msg, "cannot be opened: %s", strerror(errno));
		log_info("%s: %s: refused pid %d on %s: %s", __func__, b->name,
		    (int)peer->pid, b->path, msg);
		bridge_hangup(b, msg);
		return;
	}
	log_info("%s: %s: %s opened by pid %d", __func__, b->name, b->path, (int)peer->pid);
	/* A unix: backend may still be connecting: the client waits (what it
	 * types stays in the pty) until the console says how that went. */
	if (console_open_status(b->sess) == 0)
		bridge_activate(b);
}

/* OPENING: look for the client in /proc, a slice per loop pass (reading
 * every /proc/PID/fd took 100-200 ms on a host with 10,000 processes:
 * never in one go). */
static void
bridge_scan(struct loop *lp, void *arg)
{
	struct bridge *b = arg;
	struct console_peer peer = { 0 };
	uid_t uid = 0;

	b->timer = NULL;
	if (!proc_scan_step(b->scan, BRIDGE_SCAN_SLICE, &peer.pid, &uid)) {
		b->timer = loop_add_timer(lp, 0, bridge_scan, b);
		if (b->timer != NULL)
			return;
	}
	proc_scan_free(b->scan);
	b->scan = NULL;
	log_debug("%s: %s: client pid %d found in %lld ms", __func__, b->name,
	    (int)peer.pid, loop_now_ms() - b->used_at);
	peer.uid = uid;
	peer.sid = peer.pid > 0 ? getsid(peer.pid) : -1;
	if (peer.sid == -1)
		peer.sid = peer.pid;
	bridge_open_session(b, &peer);
}

/* IDLE -> OPENING: a client opened the slave. Refuse it at once when the
 * console is held, else find out who it is, then take a session. */
static void
bridge_attach(struct bridge *b)
{
	char who[256], msg[BRIDGE_MSG - 64];
	int p;

	bridge_idle_remove(b);
	b->state = BRIDGE_OPENING;
	b->used_at = loop_now_ms();
	if ((b->out = malloc(BRIDGE_BUF + BRIDGE_MSG)) == NULL ||
	    (b->in = malloc(BRIDGE_BUF)) == NULL) {
		bridge_hangup(b, NULL);
		return;
	}
	/* Only one client: a second open of the slave gets EBUSY (root aside). */
	if ((p = bridge_peer(b)) != -1) {
		ioctl(p, TIOCEXCL);
		close(p);
	}
	if (console_holder(b->con, who, sizeof who) == 0) {
		snprintf(msg, sizeof msg, "is busy, held by %s", who);
		log_info("%s: %s: refused an open of %s: %s", __func__, b->name, b->path, msg);
		bridge_hangup(b, msg);
		return;
	}
	if ((b->scan = proc_scan_new(b->path)) == NULL ||
	    (b->timer = loop_add_timer(b->set->loop, 0, bridge_scan, b)) == NULL) {
		struct console_peer peer = { 0 };

		/* Nobody to name: the session is still had. */
		proc_scan_free(b->scan);
		b->scan = NULL;
		bridge_open_session(b, &peer);
	}
}

/* ---- the set ---- */

/* The daemon's bridges, on LP. */
struct bridge_set *
bridge_set_new(struct loop *lp, const struct bridge_limits *limits)
{
	struct bridge_set *bs = calloc(1, sizeof *bs);

	if (bs == NULL)
		return NULL;
	bs->loop = lp;
	bs->inotify = -1;
	bs->lim.idle_ms = limits != NULL ? limits->idle_ms : BRIDGE_IDLE_MS;
	bs->lim.max_idle = limits != NULL ? limits->max_idle : BRIDGE_MAX_IDLE;
	if ((bs->by_id = hash_new()) == NULL || (bs->by_wd = hash_new()) == NULL) {
		bridge_set_free(bs);
		return NULL;
	}
	return bs;
}

/* Hang up every client at once and close every pty (NULL is ok). */
void
bridge_set_free(struct bridge_set *bs)
{
	if (bs == NULL)
		return;
	while (bs->all != NULL)
		bridge_retire(bs->all);
	loop_del_timer(bs->loop, bs->idle_timer);
	if (bs->inotify != -1) {
		loop_del_fd(bs->loop, bs->inotify);
		close(bs->inotify);
	}
	hash_free(bs->by_id);
	hash_free(bs->by_wd);
	free(bs);
}

/* The slave path of ID's bridge, made now when there is none. */
const char *
bridge_path(struct bridge_set *bs, uint64_t id, struct console *c, const char *name,
    const struct bridge_perm *perm)
{
	struct bridge *b = hash_get_id(bs->by_id, id);
	long long now = loop_now_ms();

	if (b != NULL) {
		if (b->state == BRIDGE_IDLE)
			bridge_idle_touch(b);
		return b->path;
	}
	if (bs->nidle >= bs->lim.max_idle && bs->idle_first != NULL) {
		if (now - bs->idle_first->used_at < BRIDGE_EVICT_MS) {
			if (now - bs->refused_at > 10000)
				log_warn("%s: %zu pseudo-terminals are held for .tty links "
				    "nobody opened; no more for a while", __func__, bs->nidle);
			bs->refused_at = now;
			errno = EAGAIN;
			return NULL;
		}
		bridge_retire(bs->idle_first);
	}
	if ((b = bridge_make(bs, id, c, name, perm)) == NULL) {
		int saverr = errno;

		log_warn("%s: %s: cannot make a pseudo-terminal: %s", __func__, name,
		    strerror(errno));
		errno = saverr;
		return NULL;
	}
	return b->path;
}

/* The slave path of ID's bridge if it has one now. */
const char *
bridge_peek(const struct bridge_set *bs, uint64_t id)
{
	struct bridge *b = hash_get_id(bs->by_id, id);

	return b != NULL ? b->path : NULL;
}

/* ID's console goes away: its client is hung up. */
void
bridge_forget(struct bridge_set *bs, uint64_t id)
{
	struct bridge *b = hash_get_id(bs->by_id, id);

	if (b == NULL)
		return;
	if (b->state == BRIDGE_ACTIVE || b->state == BRIDGE_OPENING)
		bridge_hangup(b, "was removed");
	else
		bridge_retire(b);
}

/* New owner, group and mode for ID's slave. */
void
bridge_set_perm(struct bridge_set *bs, uint64_t id, const struct bridge_perm *perm)
{
	struct bridge *b = hash_get_id(bs->by_id, id);
	int peer;

	if (b == NULL)
		return;
	b->perm = *perm;
	if ((peer = bridge_peer(b)) != -1) {
		bridge_apply_perm(b, peer);
		close(peer);
	}
}

/* Whether ID's console is held by a client of its bridge. */
int
bridge_holds(const struct bridge_set *bs, uint64_t id)
{
	struct bridge *b = hash_get_id(bs->by_id, id);

	return b != NULL && b->state == BRIDGE_ACTIVE && b->sess != NULL;
}

/* How many ptys the set holds now. */
size_t
bridge_count(const struct bridge_set *bs)
{
	return bs->count;
}
