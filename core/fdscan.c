/*
 * fdscan.c — finding the processes that hold a file of our mount through
 * /proc (fdscan.h). Each fd's link target is read first (readlink of
 * /proc/PID/fd/N is answered by the kernel from its dentry, it does not
 * reach the filesystem) and only targets under the mount point have their
 * fdinfo read for the exact mount id and inode. The cost is one readlink
 * per fd of every process, paid only when someone asks who holds a console
 * whose opener has gone.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fdscan.h"

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void
fdscan_unescape(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++, o++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else
			*o = *s;
	}
	*o = '\0';
}

/* The mount id of the FUSE mount on MOUNTPOINT. */
int
fdscan_mnt_id(const char *mountpoint)
{
	char *line = NULL;
	size_t cap = 0;
	int found = -1;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (f == NULL)
		return -1;
	while (getline(&line, &cap, f) != -1) {
		char mnt[4096], *dash;
		int id;

		if (sscanf(line, "%d %*d %*s %*s %4095s", &id, mnt) != 2)
			continue;
		dash = strstr(line, " - ");
		if (dash == NULL || strncmp(dash + 3, "fuse", 4) != 0)
			continue;
		fdscan_unescape(mnt);
		if (strcmp(mnt, mountpoint) == 0)
			found = id;	/* the last one is on top */
	}
	free(line);
	fclose(f);
	return found;
}

/* Whether fd FD of PID is file INO of mount MNT_ID (its target under
 * MOUNTPOINT). */
static int
fdscan_fd_is(pid_t pid, const char *fd, const char *mountpoint, int mnt_id,
    unsigned long long ino)
{
	char path[64], target[4096], line[128];
	size_t ml = strlen(mountpoint);
	int got_mnt = 0, got_ino = 0;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/fd/%s", (int)pid, fd);
	n = readlink(path, target, sizeof target - 1);
	if (n <= 0 || (size_t)n <= ml || strncmp(target, mountpoint, ml) != 0 ||
	    target[ml] != '/')
		return 0;
	snprintf(path, sizeof path, "/proc/%d/fdinfo/%s", (int)pid, fd);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long long v;

		if (sscanf(line, "mnt_id: %llu", &v) == 1)
			got_mnt = v == (unsigned long long)mnt_id;
		else if (sscanf(line, "ino: %llu", &v) == 1)
			got_ino = v == ino;
	}
	fclose(f);
	return got_mnt && got_ino;
}

/* Whether PID has file INO of mount MNT_ID open. */
int
fdscan_has(pid_t pid, const char *mountpoint, int mnt_id, unsigned long long ino)
{
	char path[64];
	struct dirent *de;
	int found = 0;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL)
		if (isdigit((unsigned char)de->d_name[0]))
			found = fdscan_fd_is(pid, de->d_name, mountpoint, mnt_id, ino);
	closedir(d);
	return found;
}

static int
fdscan_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

/* The processes that have it open. */
size_t
fdscan_holders(const char *mountpoint, int mnt_id, unsigned long long ino,
    pid_t *pids, size_t max)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		pid_t pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if (pid == getpid() || !fdscan_has(pid, mountpoint, mnt_id, ino))
			continue;
		if (n < max)
			pids[n] = pid;
		n++;
	}
	closedir(d);
	qsort(pids, n < max ? n : max, sizeof *pids, fdscan_cmp);
	return n;
}
