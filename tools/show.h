/*
 * show.h — text that came from the file system (names, extended
 * attributes, a holder's command name) made safe to print on a terminal:
 * anything that is not a printable character is escaped, so that a
 * process named "\e]0;PWN\a\e[2J" cannot retitle or clear the operator's
 * terminal through a message. Not for the console's own bytes, which
 * attach relays untouched on purpose.
 */
#ifndef CONSOLECTL_SHOW_H
#define CONSOLECTL_SHOW_H

#include <stdio.h>

/* The length of the printable character at P: valid UTF-8 that is not a
 * C0 or C1 control nor DEL; 0 when the byte must be escaped. */
int show_char_len(const unsigned char *p);

/* Print S to F, each byte that does not belong to a printable character
 * as \xNN, at most MAXCOLS columns (-1: no limit); when S does not fit, it
 * is cut and ends in SHOW_CUT. The columns printed. */
int show_put(FILE *f, const char *s, int maxcols);

/* How many columns show_put prints for S without a limit. */
int show_width(const char *s);

/* What ends a cut string. */
#define SHOW_CUT "~"

#endif
