/*
 * spec.c — parse backend strings. Every check a user can fail here is
 * reported with a sentence, because it ends up as "FILE:LINE: reason".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core/spec.h"
#include "core/words.h"

static const char *const spec_names[] = {
	[SPEC_EXEC] = "exec", [SPEC_PTY] = "pty", [SPEC_TTY] = "tty",
	[SPEC_UDEV] = "udev", [SPEC_UNIX] = "unix", [SPEC_LIBVIRT] = "libvirt",
};

/* The scheme word of KIND ("exec", "pty", ...). */
const char *
spec_kind_name(enum spec_kind kind)
{
	return spec_names[kind];
}

/* Apply the comma-separated line settings in S (modified) to L. */
static int
spec_take_line(char *s, struct line *l, char **cause)
{
	char *w, *next;

	for (w = s; w != NULL; w = next) {
		if ((next = strchr(w, ',')) != NULL)
			*next++ = '\0';
		if (line_parse_word(l, w, cause) == -1)
			return -1;
	}
	return 0;
}

/* Parse S into a struct spec; NULL with EINVAL and *CAUSE on error. */
struct spec *
spec_parse(const char *s, char **cause)
{
	struct spec *sp = calloc(1, sizeof *sp);
	const char *colon, *rest, *wcause;
	char *comma;
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
			why = "no backend scheme (expected exec:, pty:, tty:, udev:, unix: or libvirt:)";
			goto bad;
		}
		n = colon - s;
		for (k = 0; k <= SPEC_LIBVIRT; k++)
			if (strlen(spec_names[k]) == n && strncmp(s, spec_names[k], n) == 0)
				break;
		if (k > SPEC_LIBVIRT) {
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
		/* exec:'' splits into one empty word: no program to run. */
		if (sp->argv[0][0] == '\0') {
			why = "exec: empty command (the program name is an empty word)";
			goto bad;
		}
		break;
	case SPEC_PTY:
	case SPEC_TTY:
	case SPEC_UNIX:
		if ((sp->path = strdup(rest)) == NULL)
			goto nomem;
		line_init(&sp->line);
		if (sp->kind == SPEC_TTY && (comma = strchr(sp->path, ',')) != NULL) {
			*comma = '\0';
			if (spec_take_line(comma + 1, &sp->line, cause) == -1)
				goto fail;
		}
		if (sp->path[0] != '/') {
			why = "backend path must be absolute";
			goto bad;
		}
		/* A socket address holds the path with its NUL in sun_path:
		 * longer paths can never be connected to. */
		if (sp->kind == SPEC_UNIX &&
		    strlen(sp->path) >= sizeof ((struct sockaddr_un *)0)->sun_path) {
			if (asprintf(cause, "unix: socket path too long (%zu bytes; "
			    "a socket address holds at most %zu)", strlen(sp->path),
			    sizeof ((struct sockaddr_un *)0)->sun_path - 1) < 0)
				goto nomem;
			goto fail;
		}
		break;
	case SPEC_UDEV: {
		char *copy = strdup(rest), *tok, *next;
		size_t n = 0;

		if (copy == NULL)
			goto nomem;
		line_init(&sp->line);
		sp->match = calloc(strlen(copy) / 2 + 2, sizeof *sp->match);
		if (sp->match == NULL) {
			free(copy);
			goto nomem;
		}
		/* Line settings are told from matches by their look: udev
		 * property names are never numbers nor "flow"/"hupcl". */
		for (tok = copy; tok != NULL; tok = next) {
			if ((next = strchr(tok, ',')) != NULL)
				*next++ = '\0';
			if (line_is_word(tok)) {
				if (line_parse_word(&sp->line, tok, cause) == -1) {
					free(copy);
					goto fail;
				}
				continue;
			}
			if (strchr(tok, '=') == NULL || tok[0] == '=') {
				if (tok[0] == '\0' && n > 0)
					why = "udev: empty setting (two commas, or one at the end)";
				else
					why = "udev: expects KEY=VALUE[,KEY=VALUE...][,LINE SETTINGS]";
				free(copy);
				goto bad;
			}
			if ((sp->match[n++] = strdup(tok)) == NULL) {
				free(copy);
				goto nomem;
			}
		}
		free(copy);
		if (n == 0) {
			why = "udev: expects KEY=VALUE[,KEY=VALUE...][,LINE SETTINGS]";
			goto bad;
		}
		break;
	}
	case SPEC_LIBVIRT: {
		/* URI#DOMAIN/ALIAS: the URI may hold '/' and '?', a libvirt
		 * domain name never holds '/', an alias neither. */
		const char *hash = strrchr(rest, '#'), *slash;

		slash = hash != NULL ? strrchr(hash + 1, '/') : NULL;
		if (hash == NULL || slash == NULL || hash == rest || slash == hash + 1 ||
		    slash[1] == '\0') {
			why = "libvirt: expects URI#DOMAIN/ALIAS (libvirt:qemu:///system#web1/serial0)";
			goto bad;
		}
		if ((sp->uri = strndup(rest, hash - rest)) == NULL ||
		    (sp->domain = strndup(hash + 1, slash - hash - 1)) == NULL ||
		    (sp->alias = strdup(slash + 1)) == NULL)
			goto nomem;
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
	free(sp->uri);
	free(sp->domain);
	free(sp->alias);
	free(sp);
}
