/*
 * words.c — shell-like word splitting for exec: backends. It exists so that
 * a configured command never passes through /bin/sh: what is written is
 * what runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/words.h"

/* Split S into a NULL-terminated, malloc'd argv (free with words_free). */
char **
words_split(const char *s, const char **cause)
{
	size_t len = strlen(s), nwords = 0;
	char **argv = calloc(len / 2 + 2, sizeof *argv);
	char *word = malloc(len + 1);
	const char *p = s;

	if (argv == NULL || word == NULL) {
		*cause = "out of memory";
		goto fail;
	}
	for (;;) {
		size_t n = 0;
		int have = 0;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n') {
			have = 1;
			if (*p == '\'') {
				const char *end = strchr(p + 1, '\'');

				if (end == NULL) {
					*cause = "unterminated single quote";
					goto fail;
				}
				memcpy(word + n, p + 1, end - p - 1);
				n += end - p - 1;
				p = end + 1;
			} else if (*p == '"') {
				for (p++; *p != '"'; p++) {
					if (*p == '\0') {
						*cause = "unterminated double quote";
						goto fail;
					}
					/* p[1] may be the terminator, which
					 * strchr() would find too. */
					if (*p == '\\' && p[1] != '\0' &&
					    strchr("\\\"$`", p[1]) != NULL)
						p++;
					word[n++] = *p;
				}
				p++;
			} else if (*p == '\\') {
				if (p[1] == '\0') {
					*cause = "backslash at end of command";
					goto fail;
				}
				word[n++] = p[1];
				p += 2;
			} else
				word[n++] = *p++;
		}
		if (have) {
			word[n] = '\0';
			if ((argv[nwords] = strdup(word)) == NULL) {
				*cause = "out of memory";
				goto fail;
			}
			nwords++;
		}
	}
	if (nwords == 0) {
		*cause = "empty command";
		goto fail;
	}
	free(word);
	return argv;
fail:
	free(word);
	words_free(argv);
	errno = EINVAL;
	return NULL;
}

/* Free what words_split returned (NULL is ok). */
void
words_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **a = argv; *a != NULL; a++)
		free(*a);
	free(argv);
}
