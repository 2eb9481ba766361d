/*
 * proc.c — reading /proc/PID/comm, the name shown for the holder of a
 * console (a session's opener, or the program behind a foreign lock).
 */
#include <stdio.h>
#include <string.h>

#include "core/proc.h"

/* The command name of PID into BUF: 0, or -1 (BUF set to "?"). */
int
proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(buf, len, f) != NULL)
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
	if (buf[0] != '\0')
		return 0;
	snprintf(buf, len, "?");
	return -1;
}
