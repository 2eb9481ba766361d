/*
 * line.c — serial line settings: the words of a backend string after the
 * device ("9600", "7e1", "flow=rtscts", "hupcl=no") and putting them on a
 * terminal. Not for locks or opening devices (backend.c).
 *
 * Everything goes through the kernel's termios2 (TCGETS2/TCSETS2), as tio
 * and picocom do for speeds that have no B constant: a standard rate is
 * still set as its B constant, so tcgetattr/cfgetospeed read it back as
 * usual, and any other rate as BOTHER with the number in c_ospeed. This
 * file cannot include <termios.h>: glibc's struct termios and the
 * kernel's (asm/termbits.h) share a name.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <asm/termbits.h>

#include "core/line.h"

#define LINE_GIVEN_BAUD		0x1
#define LINE_GIVEN_FRAME	0x2
#define LINE_GIVEN_FLOW		0x4
#define LINE_GIVEN_HUPCL	0x8

struct line_saved {
	struct termios2	 t;
};

/* The settings of a tty: or udev: backend no word changed. */
void
line_init(struct line *l)
{
	memset(l, 0, sizeof *l);
	l->baud = LINE_DEFAULT_BAUD;
	l->bits = 8;
	l->parity = 'n';
	l->stop = 1;
	l->flow = LINE_FLOW_NONE;
	l->hupcl = -1;
}

/* The settings of a pty: backend: raw mode only. */
void
line_init_raw(struct line *l)
{
	line_init(l);
	l->baud = 0;
	l->bits = 0;
}

static int
line_is_frame(const char *w)
{
	return strlen(w) == 3 && isdigit((unsigned char)w[0]) &&
	    !isdigit((unsigned char)w[1]) && isdigit((unsigned char)w[2]);
}

/* Whether WORD is meant as a line setting. */
int
line_is_word(const char *w)
{
	return (w[0] >= '0' && w[0] <= '9') || w[0] == '-' || w[0] == '+' ||
	    strncmp(w, "flow=", 5) == 0 || strncmp(w, "hupcl=", 6) == 0;
}

static int __attribute__((format(printf, 2, 3)))
line_fail(char **cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
	errno = EINVAL;
	return -1;
}

/* Apply one WORD to L: 0, or -1 with EINVAL and *CAUSE. */
int
line_parse_word(struct line *l, const char *w, char **cause)
{
	unsigned int bit;

	*cause = NULL;
	if (line_is_frame(w)) {
		bit = LINE_GIVEN_FRAME;
		if (w[0] < '5' || w[0] > '8')
			return line_fail(cause, "bad data bits in '%s' (5 to 8)", w);
		if (strchr("neomsNEOMS", w[1]) == NULL)
			return line_fail(cause, "bad parity in '%s' (n, e, o, m or s)", w);
		if (w[2] != '1' && w[2] != '2')
			return line_fail(cause, "bad stop bits in '%s' (1 or 2)", w);
		l->bits = w[0] - '0';
		l->parity = tolower((unsigned char)w[1]);
		l->stop = w[2] - '0';
	} else if (strncmp(w, "flow=", 5) == 0) {
		bit = LINE_GIVEN_FLOW;
		if (strcmp(w + 5, "none") == 0)
			l->flow = LINE_FLOW_NONE;
		else if (strcmp(w + 5, "rtscts") == 0)
			l->flow = LINE_FLOW_RTSCTS;
		else if (strcmp(w + 5, "xonxoff") == 0)
			l->flow = LINE_FLOW_XONXOFF;
		else
			return line_fail(cause, "bad flow control '%s' (flow=rtscts, "
			    "flow=xonxoff or flow=none)", w);
	} else if (strncmp(w, "hupcl=", 6) == 0) {
		bit = LINE_GIVEN_HUPCL;
		if (strcmp(w + 6, "yes") == 0)
			l->hupcl = 1;
		else if (strcmp(w + 6, "no") == 0)
			l->hupcl = 0;
		else
			return line_fail(cause, "bad hang-up setting '%s' (hupcl=yes or hupcl=no)", w);
	} else if (w[0] >= '0' && w[0] <= '9') {
		char *end;
		unsigned long v;

		bit = LINE_GIVEN_BAUD;
		errno = 0;
		v = strtoul(w, &end, 10);
		if (errno != 0 || *end != '\0' || v == 0 || v > LINE_MAX_BAUD)
			return line_fail(cause, "bad baud rate '%s' (a number from 1 to "
			    "50000000, or framing such as 8n1)", w);
		l->baud = v;
	} else if (w[0] == '\0')
		return line_fail(cause, "empty line setting (two commas, or one at the end)");
	else if (w[0] == '-' || w[0] == '+')
		return line_fail(cause, "bad baud rate '%s'", w);
	else
		return line_fail(cause, "bad line setting '%s' (expected a baud rate, "
		    "framing such as 8n1, flow=... or hupcl=...)", w);
	if (l->given & bit) {
		static const char *const what[] = { "a baud rate", "the framing",
		    "flow control", "hupcl" };

		return line_fail(cause, "%s is given twice", what[__builtin_ctz(bit)]);
	}
	l->given |= bit;
	return 0;
}

/* The B constant of a standard rate, or BOTHER. */
static unsigned int
line_speed_code(unsigned int baud)
{
	static const struct { unsigned int baud, code; } map[] = {
		{ 50, B50 }, { 75, B75 }, { 110, B110 }, { 134, B134 }, { 150, B150 },
		{ 200, B200 }, { 300, B300 }, { 600, B600 }, { 1200, B1200 },
		{ 1800, B1800 }, { 2400, B2400 }, { 4800, B4800 }, { 9600, B9600 },
		{ 19200, B19200 }, { 38400, B38400 }, { 57600, B57600 },
		{ 115200, B115200 }, { 230400, B230400 }, { 460800, B460800 },
		{ 500000, B500000 }, { 576000, B576000 }, { 921600, B921600 },
		{ 1000000, B1000000 }, { 1152000, B1152000 }, { 1500000, B1500000 },
		{ 2000000, B2000000 }, { 2500000, B2500000 }, { 3000000, B3000000 },
		{ 3500000, B3500000 }, { 4000000, B4000000 },
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].baud == baud)
			return map[i].code;
	return BOTHER;
}

/* Raw mode with L's settings in T. */
static void
line_make(struct termios2 *t, const struct line *l)
{
	static const unsigned int sizes[] = { CS5, CS6, CS7, CS8 };

	/* cfmakeraw(), spelt out for termios2. */
	t->c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t->c_oflag &= ~OPOST;
	t->c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t->c_cflag |= CLOCAL | CREAD;
	t->c_cc[VMIN] = 1;
	t->c_cc[VTIME] = 0;
	if (l->bits == 0) {
		/* pty: raw, 8 bits, no parity; the rest is the other side's. */
		t->c_cflag &= ~(CSIZE | PARENB);
		t->c_cflag |= CS8;
	} else {
		t->c_cflag &= ~(CSIZE | PARENB | PARODD | CMSPAR | CSTOPB | CRTSCTS);
		t->c_iflag &= ~(IXOFF | IXANY | INPCK);
		t->c_cflag |= sizes[l->bits - 5];
		if (l->parity != 'n')
			t->c_cflag |= PARENB;
		if (l->parity == 'o' || l->parity == 'm')
			t->c_cflag |= PARODD;
		if (l->parity == 'm' || l->parity == 's')
			t->c_cflag |= CMSPAR;
		if (l->stop == 2)
			t->c_cflag |= CSTOPB;
		if (l->flow == LINE_FLOW_RTSCTS)
			t->c_cflag |= CRTSCTS;
		else if (l->flow == LINE_FLOW_XONXOFF)
			t->c_iflag |= IXON | IXOFF;
		if (l->hupcl == 1)
			t->c_cflag |= HUPCL;
		else if (l->hupcl == 0)
			t->c_cflag &= ~HUPCL;
	}
	if (l->baud != 0) {
		/* Input speed 0 in CIBAUD means "same as output". */
		t->c_cflag &= ~(CBAUD | (CBAUD << IBSHIFT));
		t->c_cflag |= line_speed_code(l->baud);
		t->c_ispeed = t->c_ospeed = l->baud;
	}
}

/* Put FD in raw mode with L's settings; *SAVED (when SAVED is not NULL)
 * gets the old ones. */
int
line_apply(int fd, const struct line *l, struct line_saved **saved)
{
	struct termios2 t;

	if (saved != NULL)
		*saved = NULL;
	if (ioctl(fd, TCGETS2, &t) == -1)
		return -1;
	if (saved != NULL && (*saved = malloc(sizeof **saved)) != NULL)
		(*saved)->t = t;
	line_make(&t, l);
	return ioctl(fd, TCSETS2, &t);
}

/* The same, discarding input not yet read (TCSETSF2). */
int
line_reset(int fd, const struct line *l)
{
	struct termios2 t;

	if (ioctl(fd, TCGETS2, &t) == -1)
		return -1;
	line_make(&t, l);
	return ioctl(fd, TCSETSF2, &t);
}

/* What terminal FD is set to now, as far as a line says it. */
int
line_get(int fd, struct line *l)
{
	struct termios2 t;

	if (ioctl(fd, TCGETS2, &t) == -1)
		return -1;
	line_init(l);
	l->hupcl = (t.c_cflag & HUPCL) != 0;
	/* The kernel keeps c_ospeed current whichever way the speed was set
	 * (tcsetattr with a B constant fills it in too). */
	l->baud = t.c_ospeed;
	switch (t.c_cflag & CSIZE) {
	case CS5: l->bits = 5; break;
	case CS6: l->bits = 6; break;
	case CS7: l->bits = 7; break;
	default: l->bits = 8; break;
	}
	if (!(t.c_cflag & PARENB))
		l->parity = 'n';
	else if (t.c_cflag & CMSPAR)
		l->parity = t.c_cflag & PARODD ? 'm' : 's';
	else
		l->parity = t.c_cflag & PARODD ? 'o' : 'e';
	l->stop = t.c_cflag & CSTOPB ? 2 : 1;
	if (t.c_cflag & CRTSCTS)
		l->flow = LINE_FLOW_RTSCTS;
	else if ((t.c_iflag & (IXON | IXOFF)) == (IXON | IXOFF))
		l->flow = LINE_FLOW_XONXOFF;
	return 0;
}

/* Put back what line_apply saved and free it. */
void
line_restore(int fd, struct line_saved *saved)
{
	if (saved == NULL)
		return;
	ioctl(fd, TCSETS2, &saved->t);
	free(saved);
}
