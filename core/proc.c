/*
 * proc.c — reading /proc: the command name shown for the holder of a
 * console (a session's opener, or the program behind a foreign lock),
 * whether and as whom the process behind a lock file is running, and
 * walks of every process, for who holds a terminal and which processes
 * are in a session. Never stat()s what a /proc/PID/fd link points to: it
 * may be a file of our own mount, and the loop thread would wait for
 * itself.
 *
 * A command name is chosen by whoever runs the program (prctl(PR_SET_NAME),
 * or the name of the file executed), so it may hold terminal escapes: a
 * process named "\e]0;PWN\a\e[2J" must not retitle and clear the terminal
 * of an operator who reads user.holder. Every byte that is not printable
 * ASCII is escaped before it leaves this file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/proc.h"

/* Escape S into BUF: printable ASCII stays, the rest becomes \xNN. */
void
proc_escape(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	char esc[5];

	if (len == 0)
		return;
	for (; *p != '\0'; p++) {
		if (*p == '\\')
			snprintf(esc, sizeof esc, "\\\\");
		else if (*p < 0x20 || *p > 0x7e)
			snprintf(esc, sizeof esc, "\\x%02x", *p);
		else
			snprintf(esc, sizeof esc, "%c", *p);
		if (n + strlen(esc) >= len)
			break;
		memcpy(buf + n, esc, strlen(esc));
		n += strlen(esc);
	}
	buf[n] = '\0';
}

/* The command name of PID into BUF, escaped: 0, or -1 (BUF set to "?"). */
int
proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64], raw[64];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	if ((f = fopen(path, "re")) != NULL) {
		/* Read it whole: a name may hold a newline of its own; only
		 * the last one is the kernel's. */
		n = fread(raw, 1, sizeof raw - 1, f);
		fclose(f);
	}
	if (n > 0 && raw[n - 1] == '\n')
		n--;
	raw[n] = '\0';
	if (n > 0 && strlen(raw) == n) {
		proc_escape(raw, buf, len);
		return 0;
	}
	snprintf(buf, len, "?");
	return -1;
}

/* Whether PID exists and is not a zombie. */
int
proc_alive(pid_t pid)
{
	char path[64], line[512], *p;
	FILE *f;
	int alive = 1;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 0;
	/* "PID (COMM) S ...": COMM may hold ") ", so the state follows the
	 * last ')'. A zombie (Z) or a dying process (X) has closed its files. */
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 0 : 1;
	if (fgets(line, sizeof line, f) != NULL && (p = strrchr(line, ')')) != NULL &&
	    (p[1] == ' ') && (p[2] == 'Z' || p[2] == 'X'))
		alive = 0;
	fclose(f);
	return alive;
}

/* The real, effective, saved and filesystem uids of PID. */
int
proc_uids(pid_t pid, uid_t uids[4])
{
	char path[64], line[256];
	unsigned long u[4];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (!found && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "Uid: %lu %lu %lu %lu", &u[0], &u[1], &u[2], &u[3]) == 4)
			found = 1;
	fclose(f);
	if (!found)
		return -1;
	for (int i = 0; i < 4; i++)
		uids[i] = u[i];
	return 0;
}

/* Call FN for every process in /proc but us, with its directory fd. */
void
proc_each(void (*fn)(pid_t pid, int dfd, void *arg), void *arg)
{
	DIR *d = opendir("/proc");
	pid_t self = getpid();
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int dfd;

		if (*end != '\0' || pid <= 0 || pid == self)
			continue;
		if ((dfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
			continue;
		fn((pid_t)pid, dfd, arg);
		close(dfd);
	}
	closedir(d);
}

struct proc_holders {
	const char	*tty;
	pid_t		*pids;
	size_t		 max, n;
};

static void
proc_holder_check(pid_t pid, int dfd, void *arg)
{
	struct proc_holders *h = arg;
	int fdd = openat(dfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fdd == -1 || (d = fdopendir(fdd)) == NULL) {
		if (fdd != -1)
			close(fdd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char link[64];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		/* readlink, never stat: the target may be a file of our own
		 * mount, and a stat of it would wait for this very thread. */
		n = readlinkat(fdd, de->d_name, link, sizeof link - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, h->tty) == 0) {
			if (h->n < h->max)
				h->pids[h->n] = pid;
			h->n++;
			break;
		}
	}
	closedir(d);
}

/* Processes other than us holding TTY open (a walk of /proc). */
size_t
proc_tty_holders(const char *tty, pid_t *pids, size_t max)
{
	struct proc_holders h = { tty, pids, max, 0 };

	proc_each(proc_holder_check, &h);
	return h.n < max ? h.n : max;
}

/* The process group and session of the process whose /proc directory is
 * DFD: 0, or -1. */
int
proc_ids(int dfd, pid_t *pgrp, pid_t *sid)
{
	char buf[512], *p;
	int fd = openat(dfd, "stat", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int ppid;

	if (fd == -1)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "pid (comm) state ppid pgrp session ...": comm may hold anything. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %d %d %d", &ppid, pgrp, sid) != 3)
		return -1;
	return 0;
}

struct proc_scan {
	DIR	*dir;
	char	*tty;
};

/* Start looking for a process other than us that has TTY open. */
struct proc_scan *
proc_scan_new(const char *tty)
{
	struct proc_scan *ps = calloc(1, sizeof *ps);

	if (ps == NULL)
		return NULL;
	if ((ps->tty = strdup(tty)) == NULL || (ps->dir = opendir("/proc")) == NULL) {
		proc_scan_free(ps);
		return NULL;
	}
	return ps;
}

/* Look at up to N more processes: 1 when done, 0 when there are more. */
int
proc_scan_step(struct proc_scan *ps, int n, pid_t *pid, uid_t *uid)
{
	pid_t self = getpid(), found;
	struct proc_holders h = { ps->tty, &found, 1, 0 };
	struct dirent *de;

	*pid = 0;
	while (n-- > 0) {
		struct stat st;
		char *end;
		long v;
		int dfd;

		if ((de = readdir(ps->dir)) == NULL)
			return 1;
		v = strtol(de->d_name, &end, 10);
		if (*end != '\0' || v <= 0 || (pid_t)v == self)
			continue;
		dfd = openat(dirfd(ps->dir), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd == -1)
			continue;
		proc_holder_check((pid_t)v, dfd, &h);
		if (h.n > 0 && fstat(dfd, &st) == 0) {
			*pid = found;
			*uid = st.st_uid;
			close(dfd);
			return 1;
		}
		close(dfd);
	}
	return 0;
}

/* Stop looking (NULL is ok). */
void
proc_scan_free(struct proc_scan *ps)
{
	if (ps == NULL)
		return;
	if (ps->dir != NULL)
		closedir(ps->dir);
	free(ps->tty);
	free(ps);
}
