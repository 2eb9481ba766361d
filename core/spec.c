/*
 * spec.c — parse backend strings. Every check a user can fail here is
 * reported with a sentence, because it ends up as "FILE:LINE: reason".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

#include "core/spec.h"
#include "core/words.h"

static const char *const spec_names[] = {
	[SPEC_EXEC] = "exec", [SPEC_PTY] = "pty", [SPEC_TTY] = "tty",
	[SPEC_UDEV] = "udev", [SPEC_UNIX] = "unix",
};

/* The scheme word of KIND ("exec", "pty", ...). */
const char *
spec_kind_name(enum spec_kind kind)
{
	return spec_names[kind];
}

static int
spec_baud_ok(unsigned long baud)
{
	static const unsigned long rates[] = { 50, 75, 110, 134, 150, 200, 300,
	    600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200,
	    230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000,
	    2000000, 2500000, 3000000, 3500000, 4000000 };

	for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
		if (rates[i] == baud)
			return 1;
	return 0;
}

/* Parse ",BAUD" at the end of S (modified in place); 0 or -1. */
static int
spec_take_baud(char *s, unsigned int *baud, char **cause)
{
	char *comma = strrchr(s, ','), *end;
	unsigned long v;

	*baud = SPEC_DEFAULT_BAUD;
	if (comma == NULL || strchr(comma, '=') != NULL)
		return 0;
	errno = 0;
	v = strtoul(comma + 1, &end, 10);
	if (errno != 0 || *end != '\0' || comma[1] == '\0' || !spec_baud_ok(v)) {
		if (asprintf(cause, "bad baud rate '%s'", comma + 1) < 0)
			*cause = NULL;
		return -1;
	}
	*baud = v;
	*comma = '\0';
	return 0;
}

/* Parse S into a struct spec; NULL with EINVAL and *CAUSE on error. */
struct spec *
spec_parse(const char *s, char **cause)
{
	struct spec *sp = calloc(1, sizeof *sp);
	const char *colon, *rest, *wcause;
	const char *why = NULL;

	*cause = NULL;
	if (sp == NULL || (sp->text = strdup(s)) == NULL)
		goto nomem;
	if (strncmp(s, "/dev/", 5) == 0) {
		sp->kind = strncmp(s, "/dev/pts/", 9) == 0 ? SPEC_PTY : SPEC_TTY;
		rest = s;
	} else {
		size_t n;
		int k;

		colon = strchr(s, ':');
		if (colon == NULL) {
			why = "no backend scheme (expected exec:, pty:, tty:, udev: or unix:)";
			goto bad;
		}
		n = colon - s;
		for (k = 0; k <= SPEC_UNIX; k++)
			if (strlen(spec_names[k]) == n && strncmp(s, spec_names[k], n) == 0)
				break;
		if (k > SPEC_UNIX) {
			if (asprintf(cause, "unknown backend scheme '%.*s:'", (int)n, s) < 0)
				goto nomem;
			goto fail;
		}
		sp->kind = k;
		rest = colon + 1;
	}
	switch (sp->kind) {
	case SPEC_EXEC:
		if ((sp->argv = words_split(rest, &wcause)) == NULL) {
			if (asprintf(cause, "exec: %s", wcause) < 0)
				goto nomem;
			goto fail;
		}
		break;
	case SPEC_PTY:
	case SPEC_TTY:
	case SPEC_UNIX:
		if ((sp->path = strdup(rest)) == NULL)
			goto nomem;
		if (sp->kind == SPEC_TTY && spec_take_baud(sp->path, &sp->baud, cause) == -1)
			goto fail;
		if (sp->path[0] != '/') {
			why = "backend path must be absolute";
			goto bad;
		}
		break;
	case SPEC_UDEV: {
		char *copy = strdup(rest), *tok, *save = NULL;
		size_t n = 0;

		if (copy == NULL)
			goto nomem;
		if (spec_take_baud(copy, &sp->baud, cause) == -1) {
			free(copy);
			goto fail;
		}
		sp->match = calloc(strlen(copy) / 2 + 2, sizeof *sp->match);
		for (tok = strtok_r(copy, ",", &save); sp->match != NULL && tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			if (strchr(tok, '=') == NULL || tok[0] == '=') {
				free(copy);
				why = "udev: expects KEY=VALUE[,KEY=VALUE...][,BAUD]";
				goto bad;
			}
			if ((sp->match[n++] = strdup(tok)) == NULL) {
				free(copy);
				goto nomem;
			}
		}
		free(copy);
		if (sp->match == NULL)
			goto nomem;
		if (n == 0) {
			why = "udev: expects KEY=VALUE[,KEY=VALUE...][,BAUD]";
			goto bad;
		}
		break;
	}
	}
	return sp;
nomem:
	why = "out of memory";
bad:
	free(*cause);
	*cause = strdup(why);
fail:
	spec_free(sp);
	errno = EINVAL;
	return NULL;
}

/* Free a parsed backend string (NULL is ok). */
void
spec_free(struct spec *sp)
{
	if (sp == NULL)
		return;
	free(sp->text);
	free(sp->path);
	words_free(sp->argv);
	words_free(sp->match);
	free(sp);
}
