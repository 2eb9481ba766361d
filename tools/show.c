/*
 * show.c — print text from the file system on a terminal without letting
 * it control the terminal: C0 and C1 controls, DEL and bytes that are not
 * UTF-8 become \xNN. Not for the console's bytes (attach.c relays those as
 * they are) nor for JSON (consolectl.c escapes that its own way).
 */
#include <string.h>

#include "tools/show.h"

/* The length of the printable character at P, or 0. */
int
show_char_len(const unsigned char *p)
{
	unsigned int c;
	int n;

	if (p[0] < 0x80)
		return p[0] >= 0x20 && p[0] != 0x7f ? 1 : 0;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond Unicode, and the C1 controls
	 * (U+0080..U+009F: U+009B is a CSI to many terminals). */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff) || c < 0xa0)
		return 0;
	return n;
}

/* Print S to F, escaped, in at most MAXCOLS columns; the columns printed. */
int
show_put(FILE *f, const char *s, int maxcols)
{
	const unsigned char *p = (const unsigned char *)s;
	int cols = 0, n, w, cut = (int)strlen(SHOW_CUT);

	if (maxcols >= 0 && show_width(s) > maxcols) {
		/* Leave room for the mark; a limit below it shows only that. */
		maxcols -= cut;
		if (maxcols < 0) {
			fputs(SHOW_CUT, f);
			return cut;
		}
	} else
		maxcols = -1, cut = 0;
	while (*p != '\0') {
		n = show_char_len(p);
		w = n == 0 ? 4 : 1;
		if (maxcols >= 0 && cols + w > maxcols)
			break;
		if (n == 0)
			fprintf(f, "\\x%02x", *p++);
		else {
			fwrite(p, 1, n, f);
			p += n;
		}
		cols += w;
	}
	if (cut > 0) {
		fputs(SHOW_CUT, f);
		cols += cut;
	}
	return cols;
}

/* How many columns show_put prints for S without a limit. */
int
show_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int cols = 0, n;

	while (*p != '\0') {
		n = show_char_len(p);
		cols += n == 0 ? 4 : 1;
		p += n == 0 ? 1 : n;
	}
	return cols;
}
