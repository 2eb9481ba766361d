/*
 * log.h — the daemon's log: stderr in the foreground, syslog otherwise.
 * Not for messages a command-line tool prints to its user.
 */
#ifndef CONSOLEFS_LOG_H
#define CONSOLEFS_LOG_H

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Start logging: to stderr when foreground, else to syslog as IDENT. */
void log_init(const char *ident, int foreground, int verbosity);
/* Log one line at LEVEL (dropped when above the verbosity). */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
