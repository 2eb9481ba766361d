/*
 * attach.c — the interactive half of `consolectl attach`: raw terminal,
 * one poll() loop relaying stdin to the console and the console to stdout,
 * the escape character and the commands after it (help, leave, BREAK,
 * the last lines again, a literal escape character), and signals through a signalfd so that every way
 * out restores the terminal. Not for opening the console or for telling the
 * user why it ended (consolectl.c does both).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/xattr.h>

#include "tools/attach.h"
#include "tools/show.h"

#define ATTACH_BUFSIZE	65536
#define ATTACH_DRAIN_MS	3000	/* how long typed bytes may take after ^] */

struct attach_buf {
	char	 data[ATTACH_BUFSIZE];
	size_t	 len;
};

static struct termios	 attach_saved_term;
static int		 attach_term_raw;
static int		 attach_saved_fl[2] = { -1, -1 };

/* The escape character named by S, or -1. */
int
attach_escape_parse(const char *s)
{
	int c;

	if (s[0] == '^' && s[1] != '\0' && s[2] == '\0') {
		if (s[1] == '?')
			return 0x7f;
		c = toupper((unsigned char)s[1]);
		return c >= '@' && c <= '_' ? c - '@' : -1;
	}
	if (s[0] != '\0' && s[1] == '\0' && (unsigned char)s[0] < 0x80)
		return s[0];
	return -1;
}

/* How ESC is shown to the user. */
void
attach_escape_show(int esc, char out[3])
{
	if (esc < 0x20 || esc == 0x7f) {
		out[0] = '^';
		out[1] = esc == 0x7f ? '?' : esc + '@';
		out[2] = '\0';
	} else {
		out[0] = esc;
		out[1] = '\0';
	}
}

/* Put the stdio file flags and the terminal back, leaving the cursor at
 * the start of a fresh line (the console may have left it anywhere). */
static void
attach_restore(void)
{
	for (int fd = 1; fd >= 0; fd--)
		if (attach_saved_fl[fd] != -1) {
			fcntl(fd, F_SETFL, attach_saved_fl[fd]);
			attach_saved_fl[fd] = -1;
		}
	if (attach_term_raw) {
		fputs("\r\n", stderr);
		fflush(stderr);
		tcsetattr(STDIN_FILENO, TCSADRAIN, &attach_saved_term);
		attach_term_raw = 0;
	}
}

/*
 * Make FD non-blocking, remembering its flags for attach_restore. This
 * changes the open file description, which a terminal shares with the
 * shell that started us: that is why every way out restores it.
 */
static void
attach_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || (fl & O_NONBLOCK))
		return;
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0)
		attach_saved_fl[fd] = fl;
}

/* Write what B holds to FD; 0, or -1 with errno (EAGAIN: wait for POLLOUT). */
static int
attach_flush(int fd, struct attach_buf *b)
{
	ssize_t n;

	while (b->len > 0) {
		n = write(fd, b->data, b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
	}
	return 0;
}

static long
attach_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void
attach_fail(struct attach_result *res, int err, const char *what)
{
	res->end = ATTACH_FAILED;
	res->err = err;
	res->what = what;
}

/* Add LEN bytes to B as far as they fit; returns how many did. */
static size_t
attach_buf_add(struct attach_buf *b, const char *data, size_t len)
{
	if (len > sizeof b->data - b->len)
		len = sizeof b->data - b->len;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return len;
}

/* A message of ours on the terminal, on a line of its own, in the output
 * stream so it keeps its place among the console's output. */
static void __attribute__((format(printf, 2, 3)))
attach_say(struct attach_buf *out, const char *fmt, ...)
{
	va_list ap;
	char line[512];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0)
		attach_buf_add(out, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void
attach_help(struct attach_buf *out, int esc)
{
	char e[3], line[512];

	attach_escape_show(esc, e);
	snprintf(line, sizeof line,
	    "\r\n[consolectl: commands after %s:\r\n"
	    "  %s.   leave\r\n"
	    "  %sb   send a BREAK (serial consoles)\r\n"
	    "  %sr   show the last %d lines again\r\n"
	    "  %s?   this help\r\n"
	    "  %s%s  send %s itself]\r\n",
	    e, e, e, e, ATTACH_REPLAY_LINES, e, e, e, e);
	attach_buf_add(out, line, strlen(line));
}

/* TG's label as show_put prints it (escaped), into BUF. */
static const char *
attach_label(const struct attach_target *tg, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	buf[0] = '\0';
	if (f == NULL)
		return "?";
	show_put(f, tg->label, 64);
	fclose(f);
	return buf;
}

/* ESC b: a BREAK through user.break. */
static void
attach_break(struct attach_buf *out, const struct attach_target *tg)
{
	char label[300];

	if (setxattr(tg->path, "user.break", "", 0, 0) == 0) {
		attach_say(out, "\r\n[consolectl: BREAK sent to %s]\r\n",
		    attach_label(tg, label, sizeof label));
		return;
	}
	if (errno == EOPNOTSUPP || errno == ENOTSUP)
		attach_say(out, "\r\n[consolectl: BREAK is not supported by this "
		    "console (%s)]\r\n", attach_label(tg, label, sizeof label));
	else
		attach_say(out, "\r\n[consolectl: cannot send a BREAK: %s]\r\n",
		    strerror(errno));
}

/* ESC r: the last lines of DEV.log, on the terminal only. */
static void
attach_replay(struct attach_buf *out, const struct attach_target *tg)
{
	static char data[65536];
	char label[300];
	size_t len = 0, start;
	int fd, lines = 0;
	ssize_t n;

	if ((fd = open(tg->log_path, O_RDONLY | O_CLOEXEC)) == -1) {
		attach_say(out, "\r\n[consolectl: cannot read the scrollback: %s]\r\n",
		    strerror(errno));
		return;
	}
	/* Keep the last sizeof data bytes of the snapshot. */
	for (;;) {
		if (len == sizeof data) {
			memmove(data, data + sizeof data / 2, sizeof data / 2);
			len = sizeof data / 2;
		}
		n = read(fd, data + len, sizeof data - len);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	start = len;
	if (start > 0 && data[start - 1] == '\n')
		start--;
	while (start > 0 && !(data[start - 1] == '\n' && ++lines == ATTACH_REPLAY_LINES))
		start--;
	attach_say(out, "\r\n[consolectl: the last lines of %s]\r\n",
	    attach_label(tg, label, sizeof label));
	/* Room for the closing line. */
	if (len - start > sizeof out->data - out->len - 128)
		start = len - (sizeof out->data - out->len - 128);
	attach_buf_add(out, data + start, len - start);
	attach_say(out, "%s[consolectl: end of the last lines]\r\n",
	    len > 0 && data[len - 1] != '\n' ? "\r\n" : "");
}

/*
 * The loop. Once something ends the session from the console side (end of
 * file, takeover, error) it stops reading and only gives stdout what the
 * console already said. Once the escape character is seen it stops reading
 * and only gives the console what was typed before it, for at most
 * ATTACH_DRAIN_MS (a console that takes no input must not keep the user).
 */
static void
attach_relay(int cfd, int sfd, int esc, const struct attach_target *tg,
    struct attach_result *res)
{
	static struct attach_buf tocons, toout;
	struct pollfd pfd[4];
	struct signalfd_siginfo si;
	int in_open = 1, ending = 0, leaving = 0, command = 0, timeout;
	long deadline = 0;
	ssize_t n;

	tocons.len = toout.len = 0;
	for (;;) {
		if (ending && toout.len == 0)
			return;
		if (leaving && tocons.len == 0) {
			res->end = ATTACH_ESCAPE;
			return;
		}
		pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = -1, .events = POLLIN };
		if (in_open && !leaving && !ending &&
		    tocons.len + 1 < sizeof tocons.data)
			pfd[1].fd = STDIN_FILENO;
		pfd[2] = (struct pollfd){ .fd = cfd, .events = 0 };
		if (!leaving && !ending && toout.len < sizeof toout.data)
			pfd[2].events |= POLLIN;
		if (tocons.len > 0 && !ending)
			pfd[2].events |= POLLOUT;
		if (pfd[2].events == 0)
			pfd[2].fd = -1;
		pfd[3] = (struct pollfd){ .fd = -1, .events = POLLOUT };
		if (toout.len > 0)
			pfd[3].fd = STDOUT_FILENO;

		timeout = -1;
		if (leaving && (timeout = deadline - attach_now_ms()) < 0)
			timeout = 0;
		if (poll(pfd, 4, timeout) < 0) {
			if (errno == EINTR)
				continue;
			attach_fail(res, errno, "poll");
			return;
		}
		if (leaving && attach_now_ms() >= deadline) {
			res->end = ATTACH_ESCAPE;
			return;
		}

		if (pfd[0].revents != 0 &&
		    read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
			res->end = ATTACH_SIGNAL;
			res->err = si.ssi_signo;
			return;
		}

		if (pfd[3].revents != 0 && attach_flush(STDOUT_FILENO, &toout) != 0 &&
		    errno != EAGAIN) {
			attach_fail(res, errno, "standard output");
			return;
		}

		if (pfd[1].revents & POLLNVAL)
			in_open = 0;	/* stdin is not even open */
		else if (pfd[1].revents != 0) {
			char keys[ATTACH_BUFSIZE];

			/* One byte less than the room: an escape character that
			 * ended the last read and a plain key make two bytes. */
			n = read(STDIN_FILENO, keys, sizeof tocons.data - tocons.len - 1);
			if (n == 0 || (n < 0 && errno == EIO)) {
				/* The end of a script, or a terminal that hung
				 * up (SIGHUP follows): keep showing output. */
				in_open = 0;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				attach_fail(res, errno, "standard input");
				return;
			}
			for (ssize_t i = 0; i < n && !leaving; i++) {
				unsigned char k = keys[i];

				if (!command) {
					if (k == esc)
						command = 1;
					else
						tocons.data[tocons.len++] = k;
					continue;
				}
				command = 0;
				if (k == '.') {
					leaving = 1;
					deadline = attach_now_ms() + ATTACH_DRAIN_MS;
				} else if (k == '?')
					attach_help(&toout, esc);
				else if (k == 'b' || k == 'B')
					attach_break(&toout, tg);
				else if (k == 'r' || k == 'R')
					attach_replay(&toout, tg);
				else if (k == esc)
					tocons.data[tocons.len++] = k;
				else {
					tocons.data[tocons.len++] = esc;
					tocons.data[tocons.len++] = k;
				}
			}
		}

		if ((pfd[2].revents & (POLLOUT | POLLERR | POLLHUP)) &&
		    tocons.len > 0 && attach_flush(cfd, &tocons) != 0 &&
		    errno != EAGAIN) {
			if (leaving) {
				res->end = ATTACH_ESCAPE;
				return;
			}
			if (errno == ECONNRESET)
				res->end = ATTACH_TAKEN;
			else
				attach_fail(res, errno, "write");
			ending = 1;
			continue;
		}

		if ((pfd[2].revents & (POLLIN | POLLERR | POLLHUP)) &&
		    !leaving && !ending && toout.len < sizeof toout.data) {
			n = read(cfd, toout.data + toout.len,
			    sizeof toout.data - toout.len);
			if (n > 0)
				toout.len += n;
			else if (n == 0) {
				res->end = ATTACH_CLOSED;
				ending = 1;
			} else if (errno == ECONNRESET) {
				res->end = ATTACH_TAKEN;
				ending = 1;
			} else if (errno != EAGAIN && errno != EINTR) {
				attach_fail(res, errno, "read");
				ending = 1;
			}
		}
	}
}

/* Run a session on CFD; see attach.h. */
void
attach_run(int cfd, int esc, const struct attach_target *tg, struct attach_result *res)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	struct termios raw;
	sigset_t mask;
	char shown[3];
	int sfd = -1;

	memset(res, 0, sizeof *res);

	/*
	 * Signals arrive through the poll set, so a kill ends the relay at a
	 * point where the terminal can be restored. They stay blocked after
	 * the return: unblocking would deliver a second pending one with its
	 * default action, and the caller only has to say why and exit.
	 */
	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&mask, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0 ||
	    (sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) == -1) {
		attach_fail(res, errno, "signalfd");
		goto fail;
	}
	signal(SIGPIPE, SIG_IGN);	/* a closed stdout is EPIPE, said in words */

	if (isatty(STDIN_FILENO) &&
	    tcgetattr(STDIN_FILENO, &attach_saved_term) == 0) {
		raw = attach_saved_term;
		cfmakeraw(&raw);
		/* TCSADRAIN, not TCSAFLUSH: keys typed before the connection
		 * was made still reach the console. */
		if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) != 0) {
			attach_fail(res, errno, "terminal");
			goto fail;
		}
		attach_term_raw = 1;
	}
	attach_escape_show(esc, shown);
	/* The label names a directory of the mount: shown escaped (show.h). */
	fputs("Connected to ", stderr);
	show_put(stderr, tg->label, -1);
	fprintf(stderr, " (escape %s, %s? for help)\r\n", shown, shown);
	fflush(stderr);
	attach_nonblock(STDIN_FILENO);
	attach_nonblock(STDOUT_FILENO);

	attach_relay(cfd, sfd, esc, tg, res);
fail:
	attach_restore();
	if (sfd != -1)
		close(sfd);
}
