/*
 * line.h — serial line settings of tty: and udev: backends (speed,
 * framing, flow control, hang-up on close): parsed from the words after
 * the device in a backend string ("9600", "7e1", "flow=rtscts",
 * "hupcl=no") and put on a terminal. Not for locks or opening devices
 * (backend.c).
 */
#ifndef CONSOLEFS_LINE_H
#define CONSOLEFS_LINE_H

#define LINE_DEFAULT_BAUD	115200
#define LINE_MAX_BAUD		50000000

enum line_flow { LINE_FLOW_NONE, LINE_FLOW_RTSCTS, LINE_FLOW_XONXOFF };

struct line {
	unsigned int	 baud;		/* bits per second; 0: leave the speed */
	unsigned char	 bits;		/* data bits, 5..8 */
	char		 parity;	/* 'n', 'e', 'o', 'm' (mark), 's' (space) */
	unsigned char	 stop;		/* stop bits, 1 or 2 */
	enum line_flow	 flow;
	int		 hupcl;		/* -1: leave as found, 0: off, 1: on */
	unsigned int	 given;		/* which words were given (duplicates) */
};

/* What a terminal's settings were before line_apply, to put back. */
struct line_saved;

/* The settings of a tty: or udev: backend no word changed: 115200 8n1, no
 * flow control, HUPCL as found. */
void line_init(struct line *l);
/* The settings of a pty: backend: raw mode only, nothing else touched. */
void line_init_raw(struct line *l);

/* Whether WORD is meant as a line setting (a number, "8n1"-like, "flow=",
 * "hupcl="): what a udev: string tells from its KEY=VALUE matches. */
int line_is_word(const char *word);
/* Apply one WORD to L: 0, or -1 with EINVAL and *CAUSE (malloc'd) saying
 * why ("bad baud rate '9600x'", "flow given twice", ...). */
int line_parse_word(struct line *l, const char *word, char **cause);

/* Put terminal FD in raw mode with L's settings (termios2, so any baud
 * rate works); *SAVED gets what was there before (NULL when FD's settings
 * could not be read; SAVED may be NULL: nothing kept). 0, or -1 with errno
 * when they could not be set. */
int line_apply(int fd, const struct line *l, struct line_saved **saved);
/* The same, and discard input FD has not read (TCSETSF2): on a pty master
 * this sets and flushes its slave. 0, or -1 with errno. */
int line_reset(int fd, const struct line *l);
/* What terminal FD is set to now (speed, framing, flow, hupcl) into L:
 * 0, or -1 with errno. */
int line_get(int fd, struct line *l);
/* Put back what line_apply saved and free it (NULL is ok). */
void line_restore(int fd, struct line_saved *saved);

#endif
