/*
 * opts.h — the settings a device can have that are not its backend
 * string: capture, restart, unplug, replay, scrollback, on-disk logs,
 * the environment of exec: programs, the mode of its .spy file. The
 * configuration file sets them in [global], per domain, per device
 * ("DEV.KEY = VALUE") or in a [libvirt NAME] section; a device sees the
 * result of that inheritance. Not for parsing (config.c) nor for acting
 * on them (console.c, backends, fs/).
 */
#ifndef CONSOLEFS_OPTS_H
#define CONSOLEFS_OPTS_H

#include <stddef.h>
#include <sys/types.h>

enum opts_restart { OPTS_RESTART_NO, OPTS_RESTART_ON_EXIT, OPTS_RESTART_ON_FAILURE };

#define OPTS_DEFAULT_SCROLLBACK	(256 * 1024)
#define OPTS_DEFAULT_LOG_KEEP	5

struct opts {
	int		 capture;	/* keep pty:/tty:/udev:/unix: open and read while
					   no session is open (default 1; libvirt: 0) */
	enum opts_restart restart;	/* exec: (default no) */
	int		 unplug_end;	/* udev: unplug ends sessions (default: wait) */
	size_t		 replay;	/* bytes (or lines) of scrollback sent to a new session */
	int		 replay_lines;	/* replay counts lines, not bytes */
	size_t		 scrollback;	/* bytes kept for <dev>.log */
	char		*log_dir;	/* on-disk logs DIR/DOMAIN/DEV.log, or NULL */
	int		 log_timestamps;
	size_t		 log_max;	/* rotate past this size; 0: never */
	unsigned int	 log_keep;	/* rotated files kept */
	char	       **env;		/* extra "KEY=VALUE" for exec:, NULL-terminated, or NULL */
	int		 spy_mode_set;	/* spy_mode given; else read bits of the device mode */
	mode_t		 spy_mode;
};

/* The defaults of every setting. */
void opts_init(struct opts *o);
/* Copy SRC into DST (deep: DST owns its strings); 0, or -1 ENOMEM. */
int opts_copy(struct opts *dst, const struct opts *src);
/* Free what O owns and reset it to the defaults. */
void opts_clear(struct opts *o);
/* Add or replace "KEY=VALUE" in O's environment; 0, or -1 ENOMEM/EINVAL. */
int opts_setenv(struct opts *o, const char *kv);
/* Whether A and B are the same settings. */
int opts_equal(const struct opts *a, const struct opts *b);

#endif
