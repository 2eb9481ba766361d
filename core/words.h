/*
 * words.h — split a command line into words with shell-like quoting
 * ('single', "double" with \\ \" \$ \` escapes, backslash outside quotes),
 * without a shell: no expansion, no globbing, no operators.
 */
#ifndef CONSOLEFS_WORDS_H
#define CONSOLEFS_WORDS_H

/* Split S into a NULL-terminated, malloc'd argv (free with words_free).
 * NULL with errno EINVAL and *CAUSE set (static text) on an unterminated
 * quote or an empty command. */
char **words_split(const char *s, const char **cause);

/* Free what words_split returned (NULL is ok). */
void words_free(char **argv);

#endif
