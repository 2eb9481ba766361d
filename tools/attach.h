/*
 * attach.h — an interactive session on an open console file: the terminal
 * in raw mode, bytes relayed both ways, the escape character to leave.
 * Not for finding or opening the console (tree.h, consolectl.c).
 */
#ifndef CONSOLECTL_ATTACH_H
#define CONSOLECTL_ATTACH_H

#define ATTACH_ESCAPE_DEFAULT 0x1d	/* ^] as in virsh console and telnet */

/* Why a session ended. */
enum attach_end {
	ATTACH_ESCAPE,		/* the user typed the escape character */
	ATTACH_CLOSED,		/* the console reached end of file */
	ATTACH_TAKEN,		/* ECONNRESET: someone took it over */
	ATTACH_SIGNAL,		/* SIGTERM, SIGINT, SIGHUP or SIGQUIT */
	ATTACH_FAILED,		/* a system call failed */
};

struct attach_result {
	enum attach_end	 end;
	int		 err;	/* the errno of ATTACH_FAILED, the signal of ATTACH_SIGNAL */
	const char	*what;	/* what failed: "read", "standard output", ... */
};

/* The escape character named by S ("^]", "^A", "^?" or one ASCII
 * character), or -1. */
int attach_escape_parse(const char *s);

/* How ESC is shown to the user ("^]" or the character) into OUT. */
void attach_escape_show(int esc, char out[3]);

#define ATTACH_REPLAY_LINES 20	/* what ESC r shows again */

/* What the escape commands act on. */
struct attach_target {
	const char	*label;		/* "DOMAIN/DEV", for messages */
	const char	*path;		/* the console file (user.break) */
	const char	*log_path;	/* its DEV.log (ESC r) */
};

/* Relay between stdin/stdout and the console CFD (opened O_NONBLOCK) until
 * the escape character and '.', end of file, a takeover, a signal or an
 * error; prints "Connected to LABEL (escape ^], ^]? for help)" first.
 * After the escape character the next key is a command: '?' help, '.'
 * leave, 'b' BREAK, 'r' the last lines again, the escape character itself
 * sends it, anything else is sent as typed (both keys). The terminal and
 * the stdio file flags are as they were when it returns. */
void attach_run(int cfd, int esc, const struct attach_target *tg,
    struct attach_result *res);

#endif
