/*
 * test_lock.c — unit tests of core/lock.c against a real temporary lock
 * directory under /tmp (no mocks): names, parsing, and what another tool
 * would see in the directory after each call. Not for the daemon's use of
 * locks around sessions (the behaviour tests cover that).
 *
 * The unwritable-directory cases: mode 0555 (stops only non-root), and as
 * root a read-only bind mount (in a private mount namespace, so nothing
 * leaks if the test dies) and the immutable attribute. Each is skipped
 * when it cannot be set up or does not stop us.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/fs.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/lock.h"

struct fixture {
	char	dir[64];	/* the lock directory */
	char	outside[64];	/* somewhere else, for symlink targets */
	int	mounted;
	int	immutable;
};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
set_immutable(const char *dir, int on)
{
	int fd, flags, r = -1;

	if ((fd = open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC)) == -1)
		return -1;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
		flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
		r = ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	close(fd);
	return r;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/test_lock.XXXXXX");
	strcpy(f->outside, "/tmp/test_lock_outside.XXXXXX");
	if (mkdtemp(f->dir) == NULL || mkdtemp(f->outside) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->immutable)
		set_immutable(f->dir, 0);
	if (f->mounted)
		umount2(f->dir, MNT_DETACH);
	chmod(f->dir, 0700);
	nftw(f->dir, rm_one, 16, FTW_DEPTH|FTW_PHYS);
	nftw(f->outside, rm_one, 16, FTW_DEPTH|FTW_PHYS);
	free(f);
	return 0;
}

/* PATH of lock NAME in the fixture's directory. */
static const char *
in_dir(const struct fixture *f, const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", f->dir, name);
	return path;
}

static void
put(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644);

	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void
put_pid(const char *path, pid_t pid)
{
	char line[32];
	int n = snprintf(line, sizeof line, "%10d\n", (int)pid);

	put(path, line, n);
}

/* Read PATH into BUF (NUL-terminated); the length, or -1. */
static ssize_t
slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY|O_CLOEXEC);
	ssize_t n;

	if (fd == -1)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* A pid that surely names no process: a child that was reaped. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid != -1);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	return pid;
}

/* Send stderr (where the log goes) to a file until capture_stop. */
static int
capture_start(void)
{
	int saved = dup(2), fd = open("/tmp", O_TMPFILE|O_RDWR|O_CLOEXEC, 0600);

	assert_true(saved != -1 && fd != -1);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	return saved;
}

static void
capture_stop(int saved, char *buf, size_t size)
{
	ssize_t n = pread(2, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	dup2(saved, 2);
	close(saved);
	fputs(buf, stderr);
}

static int
count(const char *haystack, const char *needle)
{
	int n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_name(void **state)
{
	static const struct { const char *dev, *name; } ok[] = {
		{ "/dev/pts/7", "LCK..pts_7" },
		{ "/dev/ttyUSB0", "LCK..ttyUSB0" },
		{ "/dev/ttyS0", "LCK..ttyS0" },
		{ "/dev/serial/by-id/usb-FTDI_A9XK3-if00", "LCK..serial_by-id_usb-FTDI_A9XK3-if00" },
		{ "/dev/..tty", "LCK....tty" },
	};
	static const char *const bad[] = {
		"/tmp/ttyUSB0", "dev/ttyUSB0", "/devttyUSB0", "/dev", "/dev/", "",
		"/dev/../etc/passwd", "/dev/pts/../ttyS0", "/dev/./ttyS0",
		"/dev/pts/.", "/dev/pts/..", "/dev//ttyS0", "/dev/pts//7",
		"/dev/ttyS0/", "/DEV/ttyS0",
	};
	char buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(lock_name(ok[i].dev, buf, sizeof buf), 0);
		assert_string_equal(buf, ok[i].name);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		assert_int_equal(lock_name(bad[i], buf, sizeof buf), -1);
		assert_int_equal(errno, EINVAL);
	}
}

static void
test_name_buffer(void **state)
{
	char buf[sizeof "LCK..ttyUSB0"];

	(void)state;
	memset(buf, 'x', sizeof buf);
	assert_int_equal(lock_name("/dev/ttyUSB0", buf, sizeof buf - 1), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(lock_name("/dev/ttyUSB0", buf, 0), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(lock_name("/dev/ttyUSB0", buf, sizeof buf), 0);
	assert_string_equal(buf, "LCK..ttyUSB0");
}

static void
test_parse(void **state)
{
	static const struct { const char *s; int pid; } ok[] = {
		{ "      1234\n", 1234 },
		{ "1234\n", 1234 },
		{ "1234", 1234 },
		{ "1", 1 },
		{ "\t  77  \r\n", 77 },
		{ "2147483647\n", INT_MAX },
		{ "0000000042\n", 42 },
	};
	static const char *const bad[] = {
		"", "\n", "          \n", "abc\n", "12ab\n", "12 34\n", "1234\nx",
		"-5\n", "     -5\n", "+5\n", "0\n", "         0\n", "0000",
		"2147483648\n", "99999999999999999999\n", "abcd", "12\0003\n",
	};
	pid_t pid;
	int32_t b;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		pid = -1;
		assert_int_equal(lock_parse(ok[i].s, strlen(ok[i].s), &pid), 0);
		assert_int_equal(pid, ok[i].pid);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t len = strlen(bad[i]);

		if (i == sizeof bad / sizeof bad[0] - 1)
			len = 5;	/* the embedded NUL */
		pid = -1;
		errno = 0;
		assert_int_equal(lock_parse(bad[i], len, &pid), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(pid, -1);
	}

	/* Old UUCP: the pid as a 4-byte native int. */
	b = 4321;
	assert_int_equal(lock_parse((const char *)&b, sizeof b, &pid), 0);
	assert_int_equal(pid, 4321);
	b = 1;
	assert_int_equal(lock_parse((const char *)&b, sizeof b, &pid), 0);
	assert_int_equal(pid, 1);
	for (int32_t v = -1; v <= 0; v++) {
		assert_int_equal(lock_parse((const char *)&v, sizeof v, &pid), -1);
		assert_int_equal(errno, EINVAL);
	}
	b = INT32_MAX;
	assert_int_equal(lock_parse((const char *)&b, sizeof b, &pid), -1);
	/* Not 4 bytes: not binary. */
	assert_int_equal(lock_parse((const char *)&b, 3, &pid), -1);
}

static void
test_acquire_content(void **state)
{
	struct fixture *f = *state;
	struct lock *lk = NULL;
	char buf[64], want[64];
	struct stat st;
	pid_t holder = -1;
	mode_t old;

	/* A restrictive umask must not make the lock unreadable to others. */
	old = umask(077);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyUSB0", getpid(), &lk, &holder), 0);
	umask(old);
	assert_non_null(lk);
	assert_int_equal(holder, 0);
	assert_string_equal(lock_path(lk), in_dir(f, "LCK..ttyUSB0"));

	snprintf(want, sizeof want, "%10d\n", (int)getpid());
	assert_int_equal(slurp(lock_path(lk), buf, sizeof buf), 11);
	assert_string_equal(buf, want);
	assert_int_equal(lstat(lock_path(lk), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);

	lock_release(lk);
	assert_int_equal(lstat(in_dir(f, "LCK..ttyUSB0"), &st), -1);
	assert_int_equal(errno, ENOENT);
	lock_release(NULL);
}

static void
test_acquire_pts(void **state)
{
	struct fixture *f = *state;
	struct lock *lk = NULL;
	pid_t holder;

	assert_int_equal(lock_acquire(f->dir, "/dev/pts/7", 4242, &lk, &holder), 0);
	assert_string_equal(lock_path(lk), in_dir(f, "LCK..pts_7"));
	lock_release(lk);
}

static void
test_acquire_bad_args(void **state)
{
	struct fixture *f = *state;
	struct lock *lk = (struct lock *)1;
	char dev[400];
	pid_t holder;

	assert_int_equal(lock_acquire(f->dir, "/tmp/ttyS0", getpid(), &lk, &holder), -1);
	assert_int_equal(errno, EINVAL);
	assert_null(lk);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", 0, &lk, &holder), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", -3, &lk, &holder), -1);
	assert_int_equal(errno, EINVAL);

	memset(dev, 'a', sizeof dev - 1);
	dev[sizeof dev - 1] = '\0';
	memcpy(dev, "/dev/", 5);
	assert_int_equal(lock_acquire(f->dir, dev, getpid(), &lk, &holder), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(lock_check(f->dir, "/tmp/ttyS0", &holder), -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_second_acquire_busy(void **state)
{
	struct fixture *f = *state;
	struct lock *lk = NULL, *lk2 = (struct lock *)1;
	char before[64], after[64];
	pid_t holder = -1;

	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", getpid(), &lk, &holder), 0);
	assert_int_equal(slurp(lock_path(lk), before, sizeof before), 11);

	/* Our own pid counts as held too: the registry prevents double opens. */
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", getpid(), &lk2, &holder), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(holder, getpid());
	assert_null(lk2);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", 4242, &lk2, &holder), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(holder, getpid());

	assert_int_equal(slurp(lock_path(lk), after, sizeof after), 11);
	assert_string_equal(before, after);
	lock_release(lk);
}

static void
test_stale_replaced(void **state)
{
	struct fixture *f = *state;
	struct lock *lk = NULL;
	char buf[1024], want[PATH_MAX + 64];
	pid_t holder = -1, dead = dead_pid();
	int saved;

	put_pid(in_dir(f, "LCK..ttyUSB0"), dead);
	saved = capture_start();
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyUSB0", getpid(), &lk, &holder), 0);
	capture_stop(saved, buf, sizeof buf);
	assert_non_null(lk);
	assert_int_equal(holder, 0);
	snprintf(want, sizeof want, "stale lock %s of pid %d", in_dir(f, "LCK..ttyUSB0"), (int)dead);
	assert_non_null(strstr(buf, want));

	snprintf(want, sizeof want, "%10d\n", (int)getpid());
	assert_int_equal(slurp(lock_path(lk), buf, sizeof buf), 11);
	assert_string_equal(buf, want);
	lock_release(lk);
}

static void
test_stale_binary_replaced(void **state)
{
	struct fixture *f = *state;
	struct lock *lk = NULL;
	int32_t dead = dead_pid();
	pid_t holder;

	put(in_dir(f, "LCK..ttyS3"), &dead, sizeof dead);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS3", getpid(), &lk, &holder), 0);
	assert_non_null(lk);
	lock_release(lk);
}

static void
test_live_honoured(void **state)
{
	struct fixture *f = *state;
	struct lock *lk = NULL;
	char buf[64];
	int32_t one = 1;
	pid_t holder = -1;

	put_pid(in_dir(f, "LCK..ttyS0"), 1);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", getpid(), &lk, &holder), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(holder, 1);
	assert_null(lk);
	assert_int_equal(slurp(in_dir(f, "LCK..ttyS0"), buf, sizeof buf), 11);
	assert_string_equal(buf, "         1\n");

	/* Unpadded and binary, as other tools may have written. */
	put(in_dir(f, "LCK..ttyS1"), "1\n", 2);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS1", getpid(), &lk, &holder), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(holder, 1);
	put(in_dir(f, "LCK..ttyS2"), &one, sizeof one);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS2", getpid(), &lk, &holder), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(holder, 1);
}

static void
test_malformed_held(void **state)
{
	static const char *const contents[] = {
		"", "\n", "garbage\n", "abcd", "0\n", "    -77\n", "99999999999\n",
	};
	struct fixture *f = *state;
	struct lock *lk = NULL;
	char buf[64];
	pid_t holder;

	for (size_t i = 0; i < sizeof contents / sizeof contents[0]; i++) {
		size_t len = strlen(contents[i]);

		put(in_dir(f, "LCK..ttyS0"), contents[i], len);
		holder = -1;
		assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", getpid(), &lk, &holder), -1);
		assert_int_equal(errno, EBUSY);
		assert_int_equal(holder, 0);
		assert_null(lk);
		assert_int_equal(slurp(in_dir(f, "LCK..ttyS0"), buf, sizeof buf), (ssize_t)len);
		assert_memory_equal(buf, contents[i], len);
		assert_int_equal(lock_check(f->dir, "/dev/ttyS0", &holder), -1);
		assert_int_equal(errno, EBUSY);
	}
}

static void
test_unreadable_held(void **state)
{
	struct fixture *f = *state;
	struct lock *lk = NULL;
	struct stat st;
	pid_t holder = -1;

	/* A FIFO must neither hang us nor be taken for a free lock. */
	assert_int_equal(mkfifo(in_dir(f, "LCK..ttyS0"), 0644), 0);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", getpid(), &lk, &holder), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(holder, 0);

	assert_int_equal(mkdir(in_dir(f, "LCK..ttyS1"), 0755), 0);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS1", getpid(), &lk, &holder), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(lstat(in_dir(f, "LCK..ttyS1"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
}

static void
test_symlink_not_followed(void **state)
{
	struct fixture *f = *state;
	struct lock *lk = NULL;
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char target[PATH_MAX], dangling[PATH_MAX], want[64], buf[PATH_MAX];
	struct stat st;
	pid_t holder = -1;

	/*
	 * The target names a dead pid: code that followed the link would call
	 * the lock stale, remove it and write its own pid into the target.
	 */
	snprintf(target, sizeof target, "%s/victim", f->outside);
	snprintf(want, sizeof want, "%10d\n", (int)dead_pid());
	put(target, want, strlen(want));
	assert_int_equal(utimensat(AT_FDCWD, target, old, 0), 0);
	assert_int_equal(symlink(target, in_dir(f, "LCK..ttyUSB0")), 0);

	assert_int_equal(lock_acquire(f->dir, "/dev/ttyUSB0", getpid(), &lk, &holder), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(holder, 0);
	assert_null(lk);
	assert_int_equal(lock_check(f->dir, "/dev/ttyUSB0", &holder), -1);
	assert_int_equal(errno, EBUSY);

	assert_int_equal(slurp(target, buf, sizeof buf), (ssize_t)strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 1000000000);
	assert_int_equal(st.st_mtim.tv_nsec, 0);
	assert_int_equal(lstat(in_dir(f, "LCK..ttyUSB0"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(readlink(in_dir(f, "LCK..ttyUSB0"), buf, sizeof buf), (ssize_t)strlen(target));

	/* A dangling link: nothing is created at its target. */
	snprintf(dangling, sizeof dangling, "%s/nothing", f->outside);
	assert_int_equal(symlink(dangling, in_dir(f, "LCK..ttyUSB1")), 0);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyUSB1", getpid(), &lk, &holder), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(lstat(dangling, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_release_only_own(void **state)
{
	struct fixture *f = *state;
	struct lock *lk = NULL;
	char path[PATH_MAX], buf[64];
	pid_t holder;

	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", getpid(), &lk, &holder), 0);
	snprintf(path, sizeof path, "%s", lock_path(lk));
	put_pid(path, 1);	/* someone else's now */
	lock_release(lk);
	assert_int_equal(slurp(path, buf, sizeof buf), 11);
	assert_string_equal(buf, "         1\n");

	/* Replaced by another file naming us: still ours to remove. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", getpid(), &lk, &holder), 0);
	assert_int_equal(unlink(path), 0);
	put_pid(path, getpid());
	lock_release(lk);
	assert_int_equal(access(path, F_OK), -1);

	/* Already gone: nothing to do, nothing created. */
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", getpid(), &lk, &holder), 0);
	assert_int_equal(unlink(path), 0);
	lock_release(lk);
	assert_int_equal(access(path, F_OK), -1);
}

static void
test_check(void **state)
{
	struct fixture *f = *state;
	char buf[64], want[64];
	pid_t holder = -1, dead = dead_pid();

	assert_int_equal(lock_check(f->dir, "/dev/ttyS0", &holder), 0);
	assert_int_equal(holder, 0);
	assert_int_equal(access(in_dir(f, "LCK..ttyS0"), F_OK), -1);

	put_pid(in_dir(f, "LCK..ttyS1"), 1);
	assert_int_equal(lock_check(f->dir, "/dev/ttyS1", &holder), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(holder, 1);

	/* Stale: free, but left in place. */
	put_pid(in_dir(f, "LCK..ttyS2"), dead);
	assert_int_equal(lock_check(f->dir, "/dev/ttyS2", &holder), 0);
	assert_int_equal(holder, 0);
	snprintf(want, sizeof want, "%10d\n", (int)dead);
	assert_int_equal(slurp(in_dir(f, "LCK..ttyS2"), buf, sizeof buf), 11);
	assert_string_equal(buf, want);
}

static void
test_missing_dir(void **state)
{
	struct fixture *f = *state;
	struct lock *lk = (struct lock *)1;
	char dir[PATH_MAX], buf[1024];
	pid_t holder = -1;
	int saved;

	snprintf(dir, sizeof dir, "%s/missing", f->dir);
	saved = capture_start();
	assert_int_equal(lock_acquire(dir, "/dev/ttyS0", getpid(), &lk, &holder), 0);
	assert_null(lk);
	assert_int_equal(lock_acquire(dir, "/dev/ttyS1", getpid(), &lk, &holder), 0);
	assert_null(lk);
	capture_stop(saved, buf, sizeof buf);
	assert_int_equal(count(buf, "creating none"), 1);
	assert_int_equal(lock_check(dir, "/dev/ttyS0", &holder), 0);
	assert_int_equal(access(dir, F_OK), -1);
}

/*
 * With F->dir unwritable (MAKE sets that up, or -1 to skip): no lock is
 * created, a live one is still honoured, a stale one is left alone, and
 * the log says so once.
 */
static void
check_unwritable(struct fixture *f, int (*make)(struct fixture *), int err)
{
	struct lock *lk = (struct lock *)1;
	char buf[2048], want[PATH_MAX + 64], probe[PATH_MAX];
	pid_t holder, dead = dead_pid();
	int fd, saved;

	put_pid(in_dir(f, "LCK..ttyS1"), 1);
	put_pid(in_dir(f, "LCK..ttyS2"), dead);
	if (make(f) == -1) {
		print_message("cannot make %s unwritable: %s\n", f->dir, strerror(errno));
		skip();
	}
	snprintf(probe, sizeof probe, "%s/probe", f->dir);
	if ((fd = open(probe, O_WRONLY|O_CREAT|O_EXCL, 0644)) != -1) {
		close(fd);
		unlink(probe);
		print_message("%s is still writable\n", f->dir);
		skip();
	}
	assert_int_equal(errno, err);

	saved = capture_start();
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", getpid(), &lk, &holder), 0);
	assert_null(lk);
	assert_int_equal(holder, 0);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", getpid(), &lk, &holder), 0);
	assert_null(lk);
	lk = (struct lock *)1;
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS1", getpid(), &lk, &holder), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(holder, 1);
	assert_null(lk);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS2", getpid(), &lk, &holder), 0);
	assert_null(lk);
	capture_stop(saved, buf, sizeof buf);

	assert_int_equal(access(in_dir(f, "LCK..ttyS0"), F_OK), -1);
	snprintf(want, sizeof want, "%10d\n", (int)dead);
	assert_int_equal(slurp(in_dir(f, "LCK..ttyS2"), probe, sizeof probe), 11);
	assert_string_equal(probe, want);
	snprintf(want, sizeof want, "lock directory %s is not writable", f->dir);
	assert_int_equal(count(buf, want), 1);
	assert_int_equal(count(buf, "honouring existing locks, creating none"), 1);
}

static int
make_readonly(struct fixture *f)
{
	static int unshared;

	/* A private mount namespace: the bind mount dies with us. */
	if (!unshared && unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC|MS_PRIVATE, NULL);
	unshared = 1;
	if (mount(f->dir, f->dir, NULL, MS_BIND, NULL) == -1)
		return -1;
	f->mounted = 1;
	return mount(NULL, f->dir, NULL, MS_REMOUNT|MS_BIND|MS_RDONLY, NULL);
}

static int
make_immutable(struct fixture *f)
{
	if (set_immutable(f->dir, 1) == -1)
		return -1;
	f->immutable = 1;
	return 0;
}

/* Only stops a process without CAP_DAC_OVERRIDE: skipped as root. */
static int
make_mode_0555(struct fixture *f)
{
	return chmod(f->dir, 0555);
}

static void
test_unwritable_mode(void **state)
{
	check_unwritable(*state, make_mode_0555, EACCES);
}

static void
test_unwritable_readonly_mount(void **state)
{
	check_unwritable(*state, make_readonly, EROFS);
}

static void
test_unwritable_immutable(void **state)
{
	check_unwritable(*state, make_immutable, EPERM);
}

/*
 * Many processes taking and dropping one lock: never two holders at once,
 * and no failure other than EBUSY.
 */
static void
test_exclusive(void **state)
{
	struct fixture *f = *state;
	enum { CHILDREN = 8, ROUNDS = 300 };
	int *shared, status, bad = 0, wins = 0;
	pid_t kids[CHILDREN];

	shared = mmap(NULL, 3 * sizeof *shared, PROT_READ|PROT_WRITE,
	    MAP_SHARED|MAP_ANONYMOUS, -1, 0);
	assert_true(shared != MAP_FAILED);
	shared[0] = shared[1] = shared[2] = 0;
	for (int i = 0; i < CHILDREN; i++) {
		kids[i] = fork();
		assert_true(kids[i] != -1);
		if (kids[i] != 0)
			continue;
		for (int r = 0; r < ROUNDS; r++) {
			struct lock *lk;
			pid_t holder;

			if (lock_acquire(f->dir, "/dev/ttyS0", getpid(), &lk, &holder) == -1) {
				if (errno != EBUSY)
					__atomic_add_fetch(&shared[1], 1, __ATOMIC_SEQ_CST);
				continue;
			}
			if (__atomic_add_fetch(&shared[0], 1, __ATOMIC_SEQ_CST) != 1)
				__atomic_add_fetch(&shared[1], 1, __ATOMIC_SEQ_CST);
			__atomic_add_fetch(&shared[2], 1, __ATOMIC_SEQ_CST);
			__atomic_sub_fetch(&shared[0], 1, __ATOMIC_SEQ_CST);
			lock_release(lk);
		}
		_exit(0);
	}
	for (int i = 0; i < CHILDREN; i++) {
		assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	bad = shared[1];
	wins = shared[2];
	munmap(shared, 3 * sizeof *shared);
	assert_int_equal(bad, 0);
	assert_true(wins > 0);
	assert_int_equal(access(in_dir(f, "LCK..ttyS0"), F_OK), -1);
}

/*
 * Processes let loose together on one stale lock: exactly one takes it
 * each round. Without the flock() in lock_look two sometimes did (about
 * once in 500 such rounds), so this guards the property more than it
 * would reliably catch its loss.
 */
static void
test_stale_race(void **state)
{
	struct fixture *f = *state;
	enum { CHILDREN = 8, ROUNDS = 25 };
	int *shared, status, go[2];
	pid_t kids[CHILDREN];

	shared = mmap(NULL, 2 * sizeof *shared, PROT_READ|PROT_WRITE,
	    MAP_SHARED|MAP_ANONYMOUS, -1, 0);
	assert_true(shared != MAP_FAILED);
	for (int r = 0; r < ROUNDS; r++) {
		put_pid(in_dir(f, "LCK..ttyS0"), dead_pid());
		shared[0] = shared[1] = 0;
		assert_int_equal(pipe(go), 0);
		for (int i = 0; i < CHILDREN; i++) {
			struct lock *lk;
			pid_t holder;
			char c;

			kids[i] = fork();
			assert_true(kids[i] != -1);
			if (kids[i] != 0)
				continue;
			close(go[1]);
			if (read(go[0], &c, 1) != 0)
				_exit(1);
			if (lock_acquire(f->dir, "/dev/ttyS0", getpid(), &lk, &holder) == 0) {
				__atomic_add_fetch(&shared[0], 1, __ATOMIC_SEQ_CST);
				usleep(20000);
				lock_release(lk);
			} else if (errno != EBUSY)
				__atomic_add_fetch(&shared[1], 1, __ATOMIC_SEQ_CST);
			_exit(0);
		}
		close(go[0]);
		close(go[1]);	/* EOF: all go at once */
		for (int i = 0; i < CHILDREN; i++) {
			assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
			assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
		assert_int_equal(shared[1], 0);
		assert_int_equal(shared[0], 1);
		assert_int_equal(access(in_dir(f, "LCK..ttyS0"), F_OK), -1);
	}
	munmap(shared, 2 * sizeof *shared);
}

/* A child running as UID until killed (it never holds anything). */
static pid_t
child_as(uid_t uid)
{
	int ready[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(ready[0]);
		if (setresuid(uid, uid, uid) != 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

static void
end_child(pid_t pid)
{
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/*
 * A lock naming a live process is honoured only when the file belongs to
 * root or to the process's uid; any other is forged: logged, treated as
 * stale (replaced by acquire, free for check). The lock the daemon then
 * takes is its own.
 */
static void
test_forged(void **state)
{
	struct fixture *f = *state;
	struct lock *lk = NULL;
	char buf[2048];
	pid_t holder = -1, nobody;
	int saved;

	if (geteuid() != 0) {
		print_message("needs root to make files of other users\n");
		skip();
	}
	/* pid 1 named by a file of uid 65534: forged. */
	put_pid(in_dir(f, "LCK..ttyS0"), 1);
	assert_int_equal(chown(in_dir(f, "LCK..ttyS0"), 65534, 65534), 0);
	saved = capture_start();
	assert_int_equal(lock_check(f->dir, "/dev/ttyS0", &holder), 0);
	assert_int_equal(holder, 0);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", getpid(), &lk, &holder), 0);
	capture_stop(saved, buf, sizeof buf);
	assert_non_null(lk);
	assert_int_equal(count(buf, "forged"), 1);
	assert_int_equal(count(buf, "belongs to uid 65534"), 1);
	lock_release(lk);
	lk = NULL;

	/* A process of uid 65534 named by a file of uid 65534: honoured, and
	 * left in place. */
	nobody = child_as(65534);
	put_pid(in_dir(f, "LCK..ttyS1"), nobody);
	assert_int_equal(chown(in_dir(f, "LCK..ttyS1"), 65534, 65534), 0);
	assert_int_equal(lock_check(f->dir, "/dev/ttyS1", &holder), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(holder, nobody);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS1", getpid(), &lk, &holder), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(holder, nobody);
	assert_null(lk);
	assert_int_equal(access(in_dir(f, "LCK..ttyS1"), F_OK), 0);

	/* The same process named by a file of another user (uid 65533): forged. */
	assert_int_equal(chown(in_dir(f, "LCK..ttyS1"), 65533, 65533), 0);
	assert_int_equal(lock_check(f->dir, "/dev/ttyS1", &holder), 0);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS1", getpid(), &lk, &holder), 0);
	assert_non_null(lk);
	lock_release(lk);
	lk = NULL;

	/* A file of root naming that process: honoured (ser2net, lockdev's
	 * helper and consolefs itself write locks as root for others). */
	put_pid(in_dir(f, "LCK..ttyS2"), nobody);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS2", getpid(), &lk, &holder), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(holder, nobody);
	end_child(nobody);
}

/* A zombie holds no files: a lock naming one is stale. */
static void
test_zombie_stale(void **state)
{
	struct fixture *f = *state;
	struct lock *lk = NULL;
	char path[64], line[256], *p;
	pid_t holder = -1, z;
	int is_zombie = 0;
	FILE *fp;

	z = fork();
	assert_true(z != -1);
	if (z == 0)
		_exit(0);
	snprintf(path, sizeof path, "/proc/%d/stat", (int)z);
	for (int i = 0; i < 500 && !is_zombie; i++) {
		if ((fp = fopen(path, "re")) != NULL) {
			if (fgets(line, sizeof line, fp) != NULL &&
			    (p = strrchr(line, ')')) != NULL && p[2] == 'Z')
				is_zombie = 1;
			fclose(fp);
		}
		if (!is_zombie)
			usleep(10000);
	}
	assert_true(is_zombie);
	assert_int_equal(kill(z, 0), 0);	/* what fooled the old check */
	put_pid(in_dir(f, "LCK..ttyS0"), z);
	assert_int_equal(lock_check(f->dir, "/dev/ttyS0", &holder), 0);
	assert_int_equal(lock_acquire(f->dir, "/dev/ttyS0", getpid(), &lk, &holder), 0);
	assert_non_null(lk);
	lock_release(lk);
	assert_int_equal(waitpid(z, NULL, 0), z);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_name_buffer),
		cmocka_unit_test(test_parse),
		T(test_acquire_content),
		T(test_acquire_pts),
		T(test_acquire_bad_args),
		T(test_second_acquire_busy),
		T(test_stale_replaced),
		T(test_stale_binary_replaced),
		T(test_live_honoured),
		T(test_forged),
		T(test_zombie_stale),
		T(test_malformed_held),
		T(test_unreadable_held),
		T(test_symlink_not_followed),
		T(test_release_only_own),
		T(test_check),
		T(test_missing_dir),
		T(test_unwritable_mode),
		T(test_unwritable_readonly_mount),
		T(test_unwritable_immutable),
		T(test_exclusive),
		T(test_stale_race),
	};

	return cmocka_run_group_tests_name("lock", tests, NULL, NULL);
}
