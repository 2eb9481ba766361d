/*
 * mountpoint.c — look at the mount point before mounting. Not for the
 * mount itself (fs.c) nor for paths the daemon follows later (core/path.c).
 *
 * After kill -9 the kernel keeps the dead consolefs mount: every call on it
 * fails with ENOTCONN ("Transport endpoint is not connected"), and a new
 * daemon failed right there until someone ran fusermount3 -uz. Here the
 * top mount at the mount point is looked up in /proc/self/mountinfo (which
 * asks no file system) and, when it is a consolefs mount, probed with a
 * statx(AT_STATX_FORCE_SYNC) in a child process: the child may wait on a daemon that is alive
 * but stopped, and only a child can be given up on (FUSE waits are
 * killable). ENOTCONN means its daemon is gone: the mount is detached and
 * the next one down is looked at. An answer, or no answer within
 * MOUNTPOINT_PROBE_MS, means a daemon is there: we refuse, before any
 * exec: program is started (one daemon per mount point). A dead mount of
 * another file system is not ours to clear; anything else live is mounted
 * over, as mount(8) would.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs/mountpoint.h"

#define MOUNTPOINT_TYPE		"fuse.consolefs"
#define MOUNTPOINT_PROBE_MS	2000
#define MOUNTPOINT_TRIES	8

/* The absolute path of the mount point ARG, without looking into it. */
int
mountpoint_resolve(const char *arg, char *mnt, size_t len)
{
	char dir[PATH_MAX], real[PATH_MAX], *copy, *slash, *base;
	struct statx sx;
	size_t n;
	int r = -1;

	/*
	 * realpath() stat()s the last component: a dead mount fails with
	 * ENOTCONN, a live one whose daemon is stopped never answers. So the
	 * parent is resolved and the name appended, unless the name is a
	 * symbolic link (asked with a statx that sends no FUSE request, see
	 * core/path.c) or not a plain name.
	 */
	if ((copy = strdup(arg)) == NULL)
		return -1;
	n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	slash = strrchr(copy, '/');
	base = slash != NULL ? slash + 1 : copy;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
	    (statx(AT_FDCWD, copy, AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
	    STATX_TYPE, &sx) == 0 && (sx.stx_mask & STATX_TYPE) &&
	    S_ISLNK(sx.stx_mode))) {
		if (realpath(copy, real) == NULL)
			goto out;
	} else {
		if (slash == NULL)
			snprintf(dir, sizeof dir, ".");
		else if (slash == copy)
			snprintf(dir, sizeof dir, "/");
		else
			snprintf(dir, sizeof dir, "%.*s", (int)(slash - copy), copy);
		if (realpath(dir, real) == NULL)
			goto out;
		n = strlen(real);
		if (n + 1 + strlen(base) >= sizeof real) {
			errno = ENAMETOOLONG;
			goto out;
		}
		snprintf(real + n, sizeof real - n, "%s%s",
		    real[n - 1] == '/' ? "" : "/", base);
	}
	if (strlen(real) >= len) {
		errno = ENAMETOOLONG;
		goto out;
	}
	memcpy(mnt, real, strlen(real) + 1);
	r = 0;
out:
	free(copy);
	return r;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void
mountpoint_unescape(char *s)
{
	char *out = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0');
			s += 3;
		} else
			*out++ = *s;
	}
	*out = '\0';
}

/*
 * The type of the top mount at MNT into TYPE: 1, 0 when nothing is mounted
 * there, -1 when mountinfo cannot be read. The top one is the mount at MNT
 * that no other mount at MNT sits on.
 */
static int
mountpoint_top(const char *mnt, char *type, size_t len)
{
	struct { unsigned long id, parent; char type[64]; } at[16];
	char *line = NULL, *f[5], *sep, *save;
	size_t size = 0, n = 0;
	FILE *fp = fopen("/proc/self/mountinfo", "re");
	int i, found = 0;

	if (fp == NULL)
		return -1;
	while (getline(&line, &size, fp) != -1 && n < sizeof at / sizeof at[0]) {
		if ((sep = strstr(line, " - ")) == NULL)
			continue;
		*sep = '\0';
		for (i = 0; i < 5; i++)
			if ((f[i] = strtok_r(i == 0 ? line : NULL, " ", &save)) == NULL)
				break;
		if (i < 5)
			continue;
		mountpoint_unescape(f[4]);
		if (strcmp(f[4], mnt) != 0)
			continue;
		at[n].id = strtoul(f[0], NULL, 10);
		at[n].parent = strtoul(f[1], NULL, 10);
		snprintf(at[n].type, sizeof at[n].type, "%.*s",
		    (int)strcspn(sep + 3, " \n"), sep + 3);
		n++;
	}
	free(line);
	fclose(fp);
	for (size_t a = n; a-- > 0 && !found;) {
		int below = 0;

		for (size_t b = 0; b < n; b++)
			if (at[b].parent == at[a].id)
				below = 1;
		if (!below) {
			snprintf(type, len, "%s", at[a].type);
			found = 1;
		}
	}
	return found;
}

/* Milliseconds on the monotonic clock. */
static long long
mountpoint_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * stat() MNT in a child: 1 when it answered, 0 when its server is gone
 * (ENOTCONN), -1 when it did not answer in time (the child is killed) or
 * failed otherwise (*ERR says how; 0 for no answer).
 */
static int
mountpoint_probe(const char *mnt, int *err)
{
	long long deadline = mountpoint_now_ms() + MOUNTPOINT_PROBE_MS;
	struct statx sx;
	int status;
	pid_t pid, r;

	*err = 0;
	if ((pid = fork()) == -1) {
		*err = errno;
		return -1;
	}
	/* AT_STATX_FORCE_SYNC: FUSE must ask its server; a plain stat() may
	 * be answered from cached attributes even when the server is gone. */
	if (pid == 0)
		_exit(statx(AT_FDCWD, mnt, AT_STATX_FORCE_SYNC, STATX_BASIC_STATS,
		    &sx) == 0 ? 0 : errno == ENOTCONN ? 1 : 2);
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 &&
	    mountpoint_now_ms() < deadline)
		usleep(10000);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	if (r == -1 || !WIFEXITED(status) || WEXITSTATUS(status) == 2) {
		*err = EIO;
		return -1;
	}
	return WEXITSTATUS(status) == 0 ? 1 : 0;
}

/* Detach the mount at MNT: umount2 as root, fusermount3 otherwise. */
static int
mountpoint_detach(const char *mnt)
{
	int status;
	pid_t pid;

	if (umount2(mnt, MNT_DETACH) == 0)
		return 0;
	if (errno != EPERM)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "-z", "--", mnt, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* Append a sentence to *NOTE. */
static void
mountpoint_note(char **note, const char *mnt)
{
	char *s;

	if (asprintf(&s, "%s%scleared a dead consolefs mount on %s (its daemon "
	    "was gone)", *note != NULL ? *note : "", *note != NULL ? "; " : "",
	    mnt) == -1)
		return;
	free(*note);
	*note = s;
}

/* Make MNT ready for our mount; see mountpoint.h. */
int
mountpoint_prepare(const char *mnt, char **note, char **cause)
{
	char type[64];
	int tries, probe, err, r = 0;

	*note = NULL;
	*cause = NULL;
	for (tries = 0; tries < MOUNTPOINT_TRIES; tries++) {
		if (mountpoint_top(mnt, type, sizeof type) <= 0)
			return 0;
		/* Only FUSE mounts can lose their server. */
		if (strncmp(type, "fuse", 4) != 0)
			return 0;
		probe = mountpoint_probe(mnt, &err);
		if (strcmp(type, MOUNTPOINT_TYPE) != 0) {
			if (probe != 0)
				return 0;
			r = asprintf(cause, "%s: %s: a dead %s mount is there; it is "
			    "not consolefs's to clear (fusermount3 -u -z %s)", mnt,
			    strerror(ENOTCONN), type, mnt);
			goto fail;
		}
		if (probe == 1) {
			r = asprintf(cause, "%s: a consolefs already serves this "
			    "mount point (one daemon per mount point: stop that one "
			    "first)", mnt);
			goto fail;
		}
		if (probe == -1) {
			r = asprintf(cause, "%s: the consolefs mount there %s; it "
			    "is left alone (is its daemon stopped?)", mnt,
			    err == 0 ? "does not answer" : "cannot be examined");
			goto fail;
		}
		if (mountpoint_detach(mnt) == -1) {
			r = asprintf(cause, "%s: cannot clear the dead consolefs "
			    "mount there: %s", mnt, strerror(errno));
			goto fail;
		}
		mountpoint_note(note, mnt);
	}
	r = asprintf(cause, "%s: mounts keep appearing there", mnt);
fail:
	if (r == -1)
		*cause = NULL;
	return -1;
}
