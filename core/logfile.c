/*
 * logfile.c — on-disk console logs (logfile.h). The console observer
 * formats output as it arrives (timestamps are the arrival time) into a
 * bounded queue; a timer on the loop writes the queue out in batches.
 *
 * What can block on a regular file, and what this does about it:
 *  - O_NONBLOCK means nothing for regular files. pwritev2(RWF_NOWAIT) is
 *    used where the filesystem supports it for buffered writes (XFS;
 *    it fails with EOPNOTSUPP elsewhere, e.g. ext4 and tmpfs on 6.x, and
 *    the plain write is used from then on): EAGAIN means "would block",
 *    and the batch is tried again a little later while the queue fills.
 *  - A plain write to the page cache blocks only under dirty-page
 *    throttling or on a stalled device; each batch writes at most
 *    LOGFILE_BATCH bytes, so the loop is held up by one batch at most.
 *    Nothing else waits on the disk: opening, renaming and closing happen
 *    at rotation and SIGHUP only.
 *  - A full disk (ENOSPC/EDQUOT) returns at once: what is queued is
 *    dropped and counted.
 * The queue holds LOGFILE_QUEUE_SIZE bytes; past that output is dropped
 * (never held back: the console does not wait for its log).
 *
 * The drop marker: "[consolefs: N bytes dropped]" goes where the loss
 * began, as one line. On a full disk there is no room to write it, so
 * space for it is kept: before each batch, fallocate(KEEP_SIZE) reserves
 * the batch plus LOGFILE_RESERVE bytes past the end of the file, and a
 * batch that cannot get that is not written (it is dropped). The reserve
 * is then still there for the marker, which is written once the loss is
 * over: when writing works again, or after LOGFILE_QUIET_MS without
 * output. Where fallocate is not supported, markers need free space.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/console.h"
#include "core/log.h"
#include "core/logfile.h"
#include "core/loop.h"
#include "core/opts.h"
#include "core/path.h"
#include "core/ring.h"

#define LOGFILE_FLUSH_MS	20	/* batch writes this long after output */
#define LOGFILE_RETRY_MS	50	/* after EAGAIN */
#define LOGFILE_REOPEN_MS	1000	/* a file that could not be opened */
#define LOGFILE_QUIET_MS	500	/* a loss is over after this long */
#define LOGFILE_BATCH		(256 * 1024)
#define LOGFILE_RESERVE		4096
#define LOGFILE_MIN_PIECE	512	/* smallest part of a batch tried on a full disk */
#define LOGFILE_STAMP_MAX	40

struct logfile {
	struct loop		*loop;
	struct console		*con;
	struct console_observer	 obs;
	char			*path;		/* DIR/DOMAIN/DEV.log, for messages */
	char			*dir;		/* DIR/DOMAIN */
	char			*name;		/* DEV.log */
	int			 dfd;		/* O_PATH of DIR while the file is open */
	int			 fd;
	off_t			 size;
	off_t			 reserved;	/* space allocated up to here */
	int			 timestamps;
	size_t			 max;		/* rotate past this; 0: never */
	unsigned int		 keep;
	int			 bol;		/* the last byte queued ended a line */
	int			 file_bol;	/* the last byte written ended a line */
	struct ring		*q;
	unsigned long long	 dropped;	/* bytes lost and not yet marked */
	unsigned long long	 mark_at;	/* queue position of the loss */
	int			 nowait;	/* RWF_NOWAIT may work */
	int			 can_reserve;	/* fallocate works */
	int			 failing;	/* an error was logged */
	long long		 open_after;	/* do not try opening before */
	struct loop_timer	*flush_timer;
	struct loop_timer	*quiet_timer;
	struct logfile		*next, *prev;
};

static struct logfile *logfile_all;

static void logfile_flush(struct logfile *lf);

/* "2025-01-31T12:34:56.789+01:00 " into OUT; returns its length. */
static size_t
logfile_stamp(char out[LOGFILE_STAMP_MAX])
{
	struct timespec ts;
	struct tm tm;
	char zone[8];
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(out, LOGFILE_STAMP_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	if (strftime(zone, sizeof zone, "%z", &tm) != 5)
		strcpy(zone, "+0000");
	n += snprintf(out + n, LOGFILE_STAMP_MAX - n, ".%03ld%.3s:%.2s ",
	    ts.tv_nsec / 1000000, zone, zone + 3);
	return n;
}

static void
logfile_fail(struct logfile *lf, const char *what)
{
	if (lf->failing)
		return;
	lf->failing = 1;
	log_error("%s: %s: %s: %s (console output is dropped until it works again)",
	    __func__, lf->path, what, strerror(errno));
}

/* An O_PATH descriptor of directory DIR, made (mode 0750) with its missing
 * parents. Every step goes through path.c, so a log directory inside our
 * own mount is refused (EDEADLK) instead of hanging the loop on a request
 * only the loop could answer. -1 with errno. */
static int
logfile_dir(const char *dir)
{
	char prefix[PATH_MAX];
	size_t len = strlen(dir);
	int fd, parent, saverr;

	if (len >= sizeof prefix) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = path_open_dir(dir)) != -1 || errno != ENOENT)
		return fd;
	if ((parent = path_open_dir("/")) == -1)
		return -1;
	for (size_t i = 1; i <= len; i++) {
		if (dir[i] != '/' && dir[i] != '\0')
			continue;
		memcpy(prefix, dir, i);
		prefix[i] = '\0';
		if ((fd = path_open_dir(prefix)) == -1) {
			const char *base = strrchr(prefix, '/') + 1;

			if (errno != ENOENT ||
			    (mkdirat(parent, base, 0750) == -1 && errno != EEXIST) ||
			    (fd = path_open_dir(prefix)) == -1)
				goto fail;
		}
		close(parent);
		parent = fd;
	}
	return parent;
fail:
	saverr = errno;
	close(parent);
	errno = saverr;
	return -1;
}

static int
logfile_open(struct logfile *lf)
{
	struct stat st;

	if (lf->fd != -1)
		return 0;
	if (loop_now_ms() < lf->open_after)
		return -1;
	lf->dfd = logfile_dir(lf->dir);
	if (lf->dfd != -1)
		lf->fd = openat(lf->dfd, lf->name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		    O_NOFOLLOW | O_NONBLOCK, 0640);
	if (lf->fd == -1 || fstat(lf->fd, &st) == -1) {
		if (errno == EDEADLK)
			errno = ELOOP;	/* "the path enters the consolefs mount" */
		logfile_fail(lf, errno == ELOOP ? "the path enters the consolefs mount "
		    "or loops; cannot open" : "cannot open");
		if (lf->fd != -1)
			close(lf->fd);
		if (lf->dfd != -1)
			close(lf->dfd);
		lf->fd = lf->dfd = -1;
		lf->open_after = loop_now_ms() + LOGFILE_REOPEN_MS;
		return -1;
	}
	lf->size = lf->reserved = st.st_size;
	lf->file_bol = 1;
	lf->nowait = 1;
	lf->can_reserve = 1;
	return 0;
}

static void
logfile_close(struct logfile *lf)
{
	if (lf->fd == -1)
		return;
	/* Give back the space reserved past the end (a hole punched there
	 * frees nothing on ext4; a truncate to the same size does). */
	if (lf->reserved > lf->size && ftruncate(lf->fd, lf->size) == -1)
		log_debug("%s: %s: %s", __func__, lf->path, strerror(errno));
	close(lf->fd);
	close(lf->dfd);
	lf->fd = lf->dfd = -1;
}

/* Move DEV.log to DEV.log.1, .1 to .2, ... keeping KEEP files. */
static void
logfile_rotate(struct logfile *lf)
{
	char from[NAME_MAX + 16], to[NAME_MAX + 16];
	int dfd = dup(lf->dfd);

	logfile_close(lf);
	if (dfd == -1)
		return;
	if (lf->keep == 0)
		unlinkat(dfd, lf->name, 0);
	for (unsigned int i = lf->keep; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof from, "%s", lf->name);
		else
			snprintf(from, sizeof from, "%s.%u", lf->name, i - 1);
		snprintf(to, sizeof to, "%s.%u", lf->name, i);
		if (renameat(dfd, from, dfd, to) == -1 && errno != ENOENT)
			log_warn("%s: %s: rename %s %s: %s", __func__, lf->dir, from, to,
			    strerror(errno));
	}
	close(dfd);
	lf->open_after = 0;
	logfile_open(lf);
}

/* Write LEN bytes at BUF at the end of the file; USE_RESERVE: into the
 * space reserved earlier, without asking for more. The write's result. */
static ssize_t
logfile_write(struct logfile *lf, const char *buf, size_t len, int use_reserve)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	ssize_t n;

	/* Reserve the batch and the marker's room; on a nearly full disk,
	 * less of the batch (halving down to LOGFILE_MIN_PIECE). */
	while (!use_reserve && lf->can_reserve &&
	    lf->size + (off_t)len + LOGFILE_RESERVE > lf->reserved) {
		if (fallocate(lf->fd, FALLOC_FL_KEEP_SIZE, lf->size, len + LOGFILE_RESERVE) == 0)
			lf->reserved = lf->size + len + LOGFILE_RESERVE;
		else if (errno == EOPNOTSUPP || errno == ENOSYS)
			lf->can_reserve = 0;
		else if (len > LOGFILE_MIN_PIECE && (errno == ENOSPC || errno == EDQUOT))
			len /= 2;
		else
			return -1;
	}
	if (use_reserve && lf->can_reserve && lf->size + (off_t)len > lf->reserved) {
		errno = ENOSPC;
		return -1;
	}
	n = -1;
	if (lf->nowait) {
		n = pwritev2(lf->fd, &iov, 1, -1, RWF_NOWAIT);
		if (n == -1 && (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS))
			lf->nowait = 0;
	}
	if (!lf->nowait)
		n = write(lf->fd, buf, len);
	if (n > 0) {
		lf->size += n;
		lf->file_bol = buf[n - 1] == '\n';
		if (lf->failing && !use_reserve) {
			log_info("%s: %s: writing again", __func__, lf->path);
			lf->failing = 0;
		}
	}
	return n;
}

/* Write the drop marker; 0, or -1 (still pending). */
static int
logfile_write_marker(struct logfile *lf, int use_reserve)
{
	char line[LOGFILE_STAMP_MAX + 80];
	size_t n = 0;

	if (lf->fd == -1)
		return -1;
	if (!lf->file_bol)
		line[n++] = '\n';
	if (lf->timestamps)
		n += logfile_stamp(line + n);
	n += snprintf(line + n, sizeof line - n, "[consolefs: %llu bytes dropped]\n",
	    lf->dropped);
	if (logfile_write(lf, line, n, use_reserve) != (ssize_t)n)
		return -1;
	lf->dropped = 0;
	return 0;
}

/* Count what is queued as dropped (the disk refused it). */
static void
logfile_drop_queue(struct logfile *lf)
{
	size_t used = ring_used(lf->q);

	if (used == 0)
		return;
	if (lf->dropped == 0)
		lf->mark_at = ring_total(lf->q) - used;
	lf->dropped += used;
	ring_clear(lf->q);
}

static void
logfile_quiet_fire(struct loop *lp, void *arg)
{
	struct logfile *lf = arg;

	(void)lp;
	lf->quiet_timer = NULL;
	if (lf->dropped > 0 && ring_used(lf->q) == 0 &&
	    logfile_write_marker(lf, 1) == -1 && logfile_write_marker(lf, 0) == -1)
		return;	/* not even the reserve: when space comes back */
}

static void
logfile_flush_fire(struct loop *lp, void *arg)
{
	struct logfile *lf = arg;

	(void)lp;
	lf->flush_timer = NULL;
	logfile_flush(lf);
}

static void
logfile_arm(struct logfile *lf, long ms)
{
	if (lf->flush_timer == NULL)
		lf->flush_timer = loop_add_timer(lf->loop, ms, logfile_flush_fire, lf);
}

/* Write what is queued, as far as the disk takes it now. */
static void
logfile_flush(struct logfile *lf)
{
	struct iovec iov[2];

	if (logfile_open(lf) == -1) {
		logfile_drop_queue(lf);
		return;
	}
	for (;;) {
		unsigned long long at = ring_total(lf->q) - ring_used(lf->q);
		size_t len;
		ssize_t n;

		if (lf->dropped > 0 && at == lf->mark_at) {
			if (logfile_write_marker(lf, 0) == -1)
				goto refused;
			continue;
		}
		if (ring_used(lf->q) == 0)
			break;
		ring_data_iov(lf->q, iov, LOGFILE_BATCH);
		len = iov[0].iov_len;
		if (lf->dropped > 0 && lf->mark_at > at && lf->mark_at - at < len)
			len = lf->mark_at - at;
		if (lf->max > 0) {
			if (lf->size >= (off_t)lf->max) {
				logfile_rotate(lf);
				if (lf->fd == -1) {
					logfile_drop_queue(lf);
					break;
				}
			}
			if ((off_t)len > (off_t)lf->max - lf->size)
				len = lf->max - lf->size;
		}
		n = logfile_write(lf, iov[0].iov_base, len, 0);
		if (n > 0) {
			ring_drop(lf->q, n);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			logfile_arm(lf, LOGFILE_RETRY_MS);
			return;
		}
		goto refused;
	}
	return;
refused:
	/* The disk is full (or failing): drop what waits, and write the
	 * marker into the reserve once output has been quiet a while. */
	logfile_fail(lf, "cannot write");
	logfile_drop_queue(lf);
	loop_del_timer(lf->loop, lf->quiet_timer);
	lf->quiet_timer = loop_add_timer(lf->loop, LOGFILE_QUIET_MS, logfile_quiet_fire, lf);
}

/* Queue a formatted piece, or count it as dropped when the queue is full. */
static void
logfile_queue(struct logfile *lf, const char *buf, size_t len)
{
	if (len > ring_space(lf->q)) {
		if (lf->dropped == 0)
			lf->mark_at = ring_total(lf->q);
		lf->dropped += len;
	} else
		ring_put(lf->q, buf, len);
	logfile_arm(lf, LOGFILE_FLUSH_MS);
}

/* Add LEN bytes of console output. */
void
logfile_output(struct logfile *lf, const char *buf, size_t len)
{
	char stack[16384], stamp[LOGFILE_STAMP_MAX], *out = stack;
	size_t lines = 1, need = len, slen = 0, n = 0;

	if (len == 0)
		return;
	if (lf->timestamps) {
		for (size_t i = 0; i < len; i++)
			lines += buf[i] == '\n';
		slen = logfile_stamp(stamp);
		need += lines * slen;
	}
	if (need > sizeof stack && (out = malloc(need)) == NULL) {
		if (lf->dropped == 0)
			lf->mark_at = ring_total(lf->q);
		lf->dropped += len;
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (lf->bol && slen > 0) {
			memcpy(out + n, stamp, slen);
			n += slen;
		}
		out[n++] = buf[i];
		lf->bol = buf[i] == '\n';
	}
	logfile_queue(lf, out, n);
	if (out != stack)
		free(out);
}

/* Add a marked line "[consolefs: TEXT]". */
void
logfile_mark(struct logfile *lf, const char *text)
{
	char line[512];
	size_t n = 0;

	if (!lf->bol)
		line[n++] = '\n';
	if (lf->timestamps)
		n += logfile_stamp(line + n);
	n += snprintf(line + n, sizeof line - n, "[consolefs: %s]\n", text);
	if (n >= sizeof line) {
		n = sizeof line;
		line[n - 2] = ']';
		line[n - 1] = '\n';
	}
	lf->bol = 1;
	logfile_queue(lf, line, n);
}

static void
logfile_observe_output(void *arg, const char *buf, size_t len)
{
	logfile_output(arg, buf, len);
}

static void
logfile_observe_event(void *arg, enum console_event ev, const char *text)
{
	static const char *const verbs[] = {
		[CONSOLE_EV_ATTACH] = "attached",
		[CONSOLE_EV_DETACH] = "detached",
		[CONSOLE_EV_TAKEOVER] = "taken over from",
		[CONSOLE_EV_BREAK] = "BREAK",
	};
	char line[256];

	snprintf(line, sizeof line, "%s %s", verbs[ev], text);
	logfile_mark(arg, line);
}

/* Log console C under O's log_dir. */
struct logfile *
logfile_attach(struct loop *lp, struct console *c, const char *domain, const char *dev,
    const struct opts *o)
{
	struct logfile *lf;

	if (o == NULL || o->log_dir == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((lf = calloc(1, sizeof *lf)) == NULL)
		return NULL;
	lf->fd = lf->dfd = -1;
	lf->loop = lp;
	lf->bol = 1;
	lf->timestamps = o->log_timestamps;
	lf->max = o->log_max;
	lf->keep = o->log_keep;
	if (asprintf(&lf->path, "%s/%s/%s.log", o->log_dir, domain, dev) == -1)
		lf->path = NULL;
	if (asprintf(&lf->dir, "%s/%s", o->log_dir, domain) == -1)
		lf->dir = NULL;
	if (asprintf(&lf->name, "%s.log", dev) == -1)
		lf->name = NULL;
	if (lf->path == NULL || lf->dir == NULL || lf->name == NULL)
		goto fail;
	if ((lf->q = ring_new(LOGFILE_QUEUE_SIZE)) == NULL)
		goto fail;
	logfile_open(lf);
	lf->con = c;
	lf->obs.output = logfile_observe_output;
	lf->obs.event = logfile_observe_event;
	lf->obs.arg = lf;
	if (c != NULL)
		console_observe(c, &lf->obs);
	lf->next = logfile_all;
	if (logfile_all != NULL)
		logfile_all->prev = lf;
	logfile_all = lf;
	return lf;
fail:
	free(lf->path);
	free(lf->dir);
	free(lf->name);
	free(lf);
	errno = ENOMEM;
	return NULL;
}

/* Write what is queued, stop observing, close and free (NULL is ok). */
void
logfile_free(struct logfile *lf)
{
	if (lf == NULL)
		return;
	if (lf->con != NULL)
		console_unobserve(lf->con, &lf->obs);
	logfile_flush(lf);
	if (lf->dropped > 0 && ring_used(lf->q) == 0)
		logfile_write_marker(lf, 1);
	loop_del_timer(lf->loop, lf->flush_timer);
	loop_del_timer(lf->loop, lf->quiet_timer);
	logfile_close(lf);
	if (lf->prev != NULL)
		lf->prev->next = lf->next;
	else
		logfile_all = lf->next;
	if (lf->next != NULL)
		lf->next->prev = lf->prev;
	ring_free(lf->q);
	free(lf->path);
	free(lf->dir);
	free(lf->name);
	free(lf);
}

/* SIGHUP: every log opens its path again. */
void
logfile_reopen_all(void)
{
	for (struct logfile *lf = logfile_all; lf != NULL; lf = lf->next) {
		logfile_flush(lf);
		logfile_close(lf);
		lf->open_after = 0;
		lf->failing = 0;
		if (logfile_open(lf) == 0 && ring_used(lf->q) > 0)
			logfile_arm(lf, 0);
	}
}
