/*
 * test_path.c — unit tests of core/path.c on real directories under /tmp:
 * resolution as the kernel does it (links, "..", relative paths, errors),
 * and refusal of any walk that enters the guarded filesystem. /proc plays
 * the guarded mount here (a filesystem of its own on every Linux); the
 * behaviour test path-into-mount.sh does the same with a real consolefs
 * mount. Not for the backends' use of it.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/path.h"

struct fixture {
	char	dir[64];
	char	path[PATH_MAX];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/test_path.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	path_guard_dev(0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	path_guard_dev(0);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* F->path = F->dir + "/" + NAME. */
static const char *
at(struct fixture *f, const char *name)
{
	snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
	return f->path;
}

static void
make_link(struct fixture *f, const char *target, const char *name)
{
	assert_int_equal(symlink(target, at(f, name)), 0);
}

/* Resolve PATH: its real path, or NULL with errno. */
static const char *
resolve(const char *path)
{
	static char real[PATH_MAX];
	int fd = path_resolve(path, real, sizeof real);

	if (fd == -1)
		return NULL;
	close(fd);
	return real;
}

static void
test_plain(void **state)
{
	struct stat st;
	int fd;

	(void)state;
	assert_string_equal(resolve("/dev/null"), "/dev/null");
	assert_string_equal(resolve("/"), "/");
	assert_string_equal(resolve("//dev/./null"), "/dev/null");
	assert_string_equal(resolve("/dev/../dev/null"), "/dev/null");
	assert_string_equal(resolve("/.."), "/");
	fd = path_resolve("/dev/null", NULL, 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	close(fd);
}

static void
test_links(void **state)
{
	struct fixture *f = *state;
	char want[PATH_MAX];

	assert_int_equal(mkdir(at(f, "d"), 0755), 0);
	assert_int_equal(mkdir(at(f, "d/e"), 0755), 0);
	make_link(f, "/dev/null", "abs");
	make_link(f, "abs", "chain");
	make_link(f, "../chain", "d/up");
	make_link(f, "e/..", "d/dotdot");
	make_link(f, "d", "dl");
	assert_string_equal(resolve(at(f, "abs")), "/dev/null");
	assert_string_equal(resolve(at(f, "chain")), "/dev/null");
	assert_string_equal(resolve(at(f, "d/up")), "/dev/null");
	/* ".." after a link is taken from where the link led (physically). */
	snprintf(want, sizeof want, "%s/d", f->dir);
	assert_string_equal(resolve(at(f, "d/dotdot")), want);
	assert_string_equal(resolve(at(f, "dl/e/..")), want);
	snprintf(want, sizeof want, "%s/d/e", f->dir);
	assert_string_equal(resolve(at(f, "dl/e/")), want);
}

static void
test_relative(void **state)
{
	struct fixture *f = *state;
	char old[PATH_MAX], want[PATH_MAX];

	assert_int_equal(mkdir(at(f, "d"), 0755), 0);
	make_link(f, "/dev/null", "d/n");
	assert_non_null(getcwd(old, sizeof old));
	assert_int_equal(chdir(f->dir), 0);
	assert_string_equal(resolve("d/n"), "/dev/null");
	snprintf(want, sizeof want, "%s/d", f->dir);
	assert_string_equal(resolve("d"), want);
	assert_string_equal(resolve("./d/../d"), want);
	assert_int_equal(chdir(old), 0);
}

static void
test_errors(void **state)
{
	struct fixture *f = *state;
	char longname[NAME_MAX + 2];

	make_link(f, "loop", "loop");
	make_link(f, "nowhere", "dangling");
	make_link(f, "/dev/null/", "slash");
	assert_null(resolve(at(f, "loop")));
	assert_int_equal(errno, ELOOP);
	assert_null(resolve(at(f, "dangling")));
	assert_int_equal(errno, ENOENT);
	assert_null(resolve("/dev/null/x"));
	assert_int_equal(errno, ENOTDIR);
	assert_null(resolve("/dev/null/"));
	assert_int_equal(errno, ENOTDIR);
	assert_null(resolve(at(f, "slash")));
	assert_int_equal(errno, ENOTDIR);
	assert_null(resolve(""));
	assert_int_equal(errno, ENOENT);
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_null(resolve(at(f, longname)));
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(path_open_dir("/dev/null"), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(path_open("/dev/null", O_RDONLY | O_CREAT), -1);
	assert_int_equal(errno, EINVAL);
}

/* Every way into the guarded filesystem is refused with EDEADLK. */
static void
test_guard(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(mkdir(at(f, "d"), 0755), 0);
	make_link(f, "/proc/version", "file");
	make_link(f, "/proc", "dir");
	make_link(f, "../dir/self", "d/rel");
	make_link(f, "/dev/null", "ok");

	/* Unguarded, all of them resolve. */
	assert_string_equal(resolve(at(f, "file")), "/proc/version");
	assert_int_equal(path_stat(at(f, "d/rel"), &st), 0);

	assert_int_equal(path_guard("/proc"), 0);
	assert_null(resolve("/proc"));
	assert_int_equal(errno, EDEADLK);
	assert_null(resolve("/proc/version"));
	assert_int_equal(errno, EDEADLK);
	assert_null(resolve(at(f, "file")));
	assert_int_equal(errno, EDEADLK);
	assert_null(resolve(at(f, "dir")));
	assert_int_equal(errno, EDEADLK);
	/* In and straight out again still went in. */
	assert_null(resolve("/proc/../dev/null"));
	assert_int_equal(errno, EDEADLK);
	assert_int_equal(path_stat(at(f, "d/rel"), &st), -1);
	assert_int_equal(errno, EDEADLK);
	assert_int_equal(path_open(at(f, "file"), O_RDONLY), -1);
	assert_int_equal(errno, EDEADLK);
	assert_int_equal(path_open_dir(at(f, "dir")), -1);
	assert_int_equal(errno, EDEADLK);

	/* Everything else still works. */
	assert_string_equal(resolve(at(f, "ok")), "/dev/null");
	assert_string_equal(resolve("/dev/null"), "/dev/null");
}

/* path_open opens what was checked; O_NOFOLLOW is not in the way. */
static void
test_open(void **state)
{
	struct fixture *f = *state;
	char buf[8] = { 0 };
	int fd, dfd;

	fd = open(at(f, "real"), O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello", 5), 5);
	close(fd);
	make_link(f, "real", "link");
	fd = path_open(at(f, "link"), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof buf), 5);
	assert_string_equal(buf, "hello");
	close(fd);

	dfd = path_open_dir(f->dir);
	assert_true(dfd >= 0);
	fd = openat(dfd, "new", O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(unlinkat(dfd, "new", 0), 0);
	close(dfd);
}

/* A unix socket is reached through the checked descriptor too. */
static void
test_socket(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int srv, cli, pfd;

	srv = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(srv >= 0);
	assert_true(strlen(at(f, "sock")) < sizeof sun.sun_path);
	memcpy(sun.sun_path, f->path, strlen(f->path) + 1);
	assert_int_equal(bind(srv, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(srv, 1), 0);
	make_link(f, "sock", "socklink");

	pfd = path_resolve(at(f, "socklink"), NULL, 0);
	assert_true(pfd >= 0);
	snprintf(sun.sun_path, sizeof sun.sun_path, "/proc/self/fd/%d", pfd);
	cli = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(cli, (struct sockaddr *)&sun, sizeof sun), 0);
	close(cli);
	close(pfd);
	close(srv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
