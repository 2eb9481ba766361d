/*
 * log.c — one place that decides where daemon messages go.
 * Lines carry their function name by convention: log_info("%s: ...", __func__).
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include "core/log.h"

static int log_foreground = 1;
static int log_verbosity = LOG_LEVEL_INFO;

/* Start logging: to stderr when foreground, else to syslog as IDENT. */
void
log_init(const char *ident, int foreground, int verbosity)
{
	log_foreground = foreground;
	log_verbosity = verbosity;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Log one line at LEVEL (dropped when above the verbosity). */
void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const word[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if ((int)level > log_verbosity)
		return;
	va_start(ap, fmt);
	if (log_foreground) {
		char line[1024];

		vsnprintf(line, sizeof line, fmt, ap);
		fprintf(stderr, "consolefs: %s: %s\n", word[level], line);
	} else
		vsyslog(prio[level], fmt, ap);
	va_end(ap);
}
