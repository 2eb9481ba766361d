/*
 * test_config.c — unit tests of core/config.c: real files under /tmp,
 * parsed by config_load; errors checked for "FILE:LINE:" and a word of the
 * reason. No mount, no daemon.
 */
#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <uuid/uuid.h>

#include "core/config.h"

/* A derived UUID computed once (Python: uuid.uuid5(ns, "web1") with the
 * namespace in config.c); it must never change. */
#define WEB1_UUID "8a432dc0-8c33-534e-b28c-1642549cd821"

static char *
conf_write_len(const char *text, size_t len)
{
	char *path = strdup("/tmp/consolefs-test-config.XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static char *
conf_write(const char *text)
{
	return conf_write_len(text, strlen(text));
}

/* Load TEXT, which must be fine. *PATHP gets the file (unlink and free). */
static struct config *
load_ok(const char *text, char **pathp)
{
	char *path = conf_write(text), *cause = NULL;
	struct config *cf = config_load(path, 0, &cause);

	if (cf == NULL) {
		print_error("config:\n%s\nunexpected error: %s\n", text, cause);
		fail();
	}
	assert_null(cause);
	if (pathp != NULL)
		*pathp = path;
	else {
		unlink(path);
		free(path);
	}
	return cf;
}

/* TEXT (LEN bytes) must fail with "FILE:LINE: ...WORD..." ("FILE: " when
 * LINE is 0). */
static void
check_error_len(const char *text, size_t len, int line, const char *word)
{
	char *path = conf_write_len(text, len), *cause = NULL, *prefix;
	struct config *cf = config_load(path, 0, &cause);
	int n;

	n = line > 0 ? asprintf(&prefix, "%s:%d: ", path, line) : asprintf(&prefix, "%s: ", path);
	assert_true(n > 0);
	if (cf != NULL || cause == NULL || strncmp(cause, prefix, strlen(prefix)) != 0 ||
	    strstr(cause + strlen(prefix), word) == NULL) {
		print_error("config:\n%s\nexpected: %s...%s...\ngot: %s\n", text, prefix, word,
		    cause != NULL ? cause : "(no error)");
		fail();
	}
	assert_int_equal(errno, EINVAL);
	free(prefix);
	free(cause);
	unlink(path);
	free(path);
}

static void
check_error(const char *text, int line, const char *word)
{
	check_error_len(text, strlen(text), line, word);
}

static void
uuid_is(const unsigned char *u, const char *text)
{
	char s[UUID_STR_LEN];

	uuid_unparse_lower(u, s);
	assert_string_equal(s, text);
}

static void
test_spec_example(void **state)
{
	struct group *gr = getgrnam("tty");
	struct config_domain *d;
	struct config_device *dev;
	struct config *cf;

	(void)state;
	assert_non_null(gr);
	cf = load_ok(
	    "[global]\n"
	    "lock_dir = /var/lock        ; same as --lock-dir\n"
	    "scrollback = 256K           ; bytes of recent output kept per device\n"
	    "force_reserve = 5\n"
	    "\n"
	    "[domain web1]\n"
	    "uuid = 3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10  ; optional\n"
	    "owner = root                ; owner, group, mode of the device files\n"
	    "group = tty\n"
	    "mode = 0660\n"
	    "console0 = pty:/dev/pts/7\n"
	    "serial0 = exec:/usr/bin/qemu-system-x86_64 -nographic -kernel /srv/vmlinuz\n"
	    "\n"
	    "[domain board3]\n"
	    "serial0 = tty:/dev/ttyUSB0,115200\n", NULL);
	assert_string_equal(cf->lock_dir, "/var/lock");
	assert_int_equal(cf->scrollback, 262144);
	assert_int_equal(cf->force_reserve, 5);

	d = cf->domains;
	assert_non_null(d);
	assert_string_equal(d->name, "web1");
	assert_int_equal(d->line, 6);
	uuid_is(d->uuid, "3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10");
	assert_int_equal(d->owner, 0);
	assert_int_equal(d->group, gr->gr_gid);
	assert_int_equal(d->mode, 0660);
	dev = d->devices;
	assert_string_equal(dev->name, "console0");
	assert_string_equal(dev->backend, "pty:/dev/pts/7");
	assert_int_equal(dev->line, 11);
	dev = dev->next;
	assert_string_equal(dev->name, "serial0");
	assert_string_equal(dev->backend,
	    "exec:/usr/bin/qemu-system-x86_64 -nographic -kernel /srv/vmlinuz");
	assert_int_equal(dev->line, 12);
	assert_null(dev->next);

	d = d->next;
	assert_non_null(d);
	assert_string_equal(d->name, "board3");
	assert_int_equal(d->mode, CONFIG_DEFAULT_MODE);
	assert_string_equal(d->devices->backend, "tty:/dev/ttyUSB0,115200");
	assert_null(d->next);
	config_free(cf);
}

static void
test_defaults(void **state)
{
	struct config *cf;
	struct config_domain *d;

	(void)state;
	cf = load_ok("[domain a]\nconsole0 = pty:/dev/pts/1\n", NULL);
	assert_null(cf->lock_dir);
	assert_int_equal(cf->scrollback, CONFIG_DEFAULT_SCROLLBACK);
	assert_int_equal(cf->scrollback, 262144);
	assert_int_equal(cf->force_reserve, 5);
	d = cf->domains;
	assert_int_equal(d->mode, 0600);
	assert_int_equal(d->owner, 0);
	assert_int_equal(d->group, 0);
	config_free(cf);

	/* Numeric ids, other sizes, a section with nothing in it. */
	cf = load_ok("[global]\nscrollback = 1M\nforce_reserve = 0\n"
	    "[domain a]\nowner = 1000\ngroup = 4242\nmode = 644\n[domain empty]\n", NULL);
	assert_int_equal(cf->scrollback, 1048576);
	assert_int_equal(cf->force_reserve, 0);
	d = cf->domains;
	assert_int_equal(d->owner, 1000);
	assert_int_equal(d->group, 4242);
	assert_int_equal(d->mode, 0644);
	assert_null(d->devices);
	assert_string_equal(d->next->name, "empty");
	assert_null(d->next->devices);
	config_free(cf);

	/* Empty file, only comments, byte order mark, CRLF line ends. */
	cf = load_ok("", NULL);
	assert_null(cf->domains);
	config_free(cf);
	cf = load_ok("; nothing\n# nothing either\n\n", NULL);
	assert_null(cf->domains);
	config_free(cf);
	cf = load_ok("\xef\xbb\xbf[domain a]\r\nconsole0 = pty:/dev/pts/1\r\n", NULL);
	assert_string_equal(cf->domains->name, "a");
	assert_string_equal(cf->domains->devices->backend, "pty:/dev/pts/1");
	config_free(cf);
}

static void
test_uuid(void **state)
{
	unsigned char a[16], b[16], c[16];
	struct config *cf;

	(void)state;
	config_uuid_from_name("web1", a);
	config_uuid_from_name("web1", b);
	config_uuid_from_name("web2", c);
	assert_memory_equal(a, b, 16);
	assert_memory_not_equal(a, c, 16);
	uuid_is(a, WEB1_UUID);
	assert_int_equal(uuid_type(a), UUID_TYPE_DCE_SHA1);

	cf = load_ok("[domain web1]\n[domain web2]\nuuid = 3C1F0D4E-8A55-4A5E-9D2B-6F1E2A7C9B10\n", NULL);
	uuid_is(cf->domains->uuid, WEB1_UUID);
	uuid_is(cf->domains->next->uuid, "3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10");
	config_free(cf);
}

static void
test_errors(void **state)
{
	(void)state;
	check_error("[global]\n\n[bogus]\n", 3, "unknown section");
	check_error("[domain]\n", 1, "unknown section");
	check_error("[domain a b]\n", 1, "bad domain name 'a b': a name is one word");
	check_error("[domain web 1]\n", 1, "bad domain name 'web 1'");
	check_error("[libvirt x y]\n", 1, "bad libvirt name 'x y'");
	check_error("[Global]\n", 1, "unknown section");
	check_error("[global\n", 1, "without ']'");
	check_error("[global] x\n", 1, "after ']'");
	check_error("[global]\nlock_dir = /x\nfoo = 1\n", 3, "unknown key 'foo' in [global]");
	check_error("[domain web1]\n[domain a/b]\n", 2, "bad domain name");
	check_error("[domain .x]\n", 1, "bad domain name");
	check_error("[domain by-uuid]\n", 1, "bad domain name");
	check_error("[domain a]\n\nx.log = pty:/dev/pts/1\n", 3, "bad device name");
	check_error("[domain a]\nse rial = pty:/dev/pts/1\n", 2, "bad device name");
	check_error("[domain a]\n[domain b]\n[domain a]\n", 3, "duplicate domain");
	check_error("[domain a]\nserial0 = pty:/dev/pts/1\n; x\nserial0 = pty:/dev/pts/2\n",
	    4, "duplicate device");
	check_error("[domain a]\nuuid = 3c1f0d4e-8a55\n", 2, "bad uuid");
	check_error("[domain a]\nuuid = 3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10\n"
	    "[domain b]\nconsole0 = pty:/dev/pts/1\nuuid = 3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10\n",
	    5, "duplicate uuid");
	/* A configured uuid equal to another domain's derived one, either way. */
	check_error("[domain web1]\n[domain b]\nuuid = " WEB1_UUID "\n", 3, "duplicate uuid");
	check_error("[domain b]\nuuid = " WEB1_UUID "\n[domain web1]\n", 3, "duplicate uuid");
	check_error("[domain a]\nowner = no-such-user-xyzzy\n", 2, "unknown user");
	check_error("[domain a]\ngroup = no-such-group-xyzzy\n", 2, "unknown group");
	check_error("[domain a]\nowner = 4294967295\n", 2, "unknown user");
	check_error("[domain a]\nmode = 0778\n", 2, "bad mode");
	check_error("[domain a]\nmode = 01777\n", 2, "bad mode");
	check_error("[domain a]\nmode = rw\n", 2, "bad mode");
	check_error("[domain a]\nmode =\n", 2, "bad mode");
	check_error("[global]\nscrollback = 12X\n", 2, "bad size");
	check_error("[global]\nscrollback = 2048M\n", 2, "bad size");
	check_error("[global]\nscrollback = -1\n", 2, "bad size");
	check_error("[global]\nforce_reserve = 3601\n", 2, "force_reserve");
	check_error("[global]\nforce_reserve = -1\n", 2, "force_reserve");
	check_error("[global]\nlock_dir = var/lock\n", 2, "absolute");
	check_error("[domain a]\nserial0 = foo:bar\n", 2, "unknown backend scheme 'foo:'");
	check_error("[domain a]\nserial0 = tty:/dev/ttyUSB0,96OO\n", 2, "baud");
	check_error("[domain a]\nserial0 = tty:/dev/ttyUSB0,9600,9n1\n", 2, "data bits");
	check_error("[domain a]\nserial0 = udev:ID_SERIAL=x,flow=yes\n", 2, "flow");
	check_error("[domain a]\nserial0 =\n", 2, "no backend scheme");
	check_error("[domain a]\nserial0 = exec:/bin/sh -c 'x\n", 2, "unterminated");
	check_error("console0 = pty:/dev/pts/1\n", 1, "outside any section");
	check_error("[global]\nnonsense\n", 2, "syntax error");
	check_error("[domain a]\nconsole0: pty:/dev/pts/1\n", 2, "NAME = VALUE");
	check_error("[domain a]\n  console0 = pty:/dev/pts/1\n", 2, "indented key");
	check_error("[domain a]\nuuid = " WEB1_UUID "\nuuid = " WEB1_UUID "\n", 3, "duplicate key");
	check_error("[global]\nscrollback = 1K\n[global]\n", 3, "duplicate section");
	check_error_len("[domain a]\nx = pty:/dev/\0pts/1\n", 30, 2, "NUL");
	check_error("[domain a]\n= pty:/dev/pts/1\n", 2, "bad device name");
}

/* Only the first error in the file is shown, also when it is found late. */
static void
test_first_error(void **state)
{
	(void)state;
	check_error("[global]\nfoo = 1\n[bogus]\n", 2, "unknown key");
	check_error("[global]\nnonsense\nfoo = 1\n", 2, "syntax error");
	check_error("[global]\nfoo = 1\nnonsense\n", 2, "unknown key");
	/* A backend is checked when its continuation lines end. */
	check_error("[domain a]\nserial0 = foo:x\nbar.log = pty:/dev/pts/1\n", 2, "unknown backend");
	check_error("[domain a]\nserial0 = foo:x\ngarbage\n", 2, "unknown backend");
	check_error("[domain a]\nserial0 = foo:x\n[bogus]\n", 2, "unknown backend");
	/* A derived uuid is known when its section ends. */
	check_error("[domain b]\nuuid = " WEB1_UUID "\n[domain web1]\nfoo.log = x\n",
	    3, "duplicate uuid");
	check_error("[domain a]\nuuid = " WEB1_UUID "\n[domain b]\nuuid = " WEB1_UUID "\n"
	    "foo.log = x\n", 4, "duplicate uuid");
}

static void
test_continuation(void **state)
{
	struct config_device *dev;
	struct config *cf;
	char name64[65];

	(void)state;
	cf = load_ok("[domain a]\n"
	    "serial0 = exec:/usr/bin/qemu-system-x86_64 -nographic\n"
	    "    -kernel /srv/vmlinuz ; the kernel\n"
	    "; a comment does not end it\n"
	    "\n"
	    "\t-append \"console=ttyS0 quiet\"\n"
	    "serial1 =\n"
	    "    exec:/bin/cat\n"
	    "console0 = pty:/dev/pts/1\n", NULL);
	dev = cf->domains->devices;
	assert_string_equal(dev->name, "serial0");
	assert_string_equal(dev->backend, "exec:/usr/bin/qemu-system-x86_64 -nographic "
	    "-kernel /srv/vmlinuz -append \"console=ttyS0 quiet\"");
	assert_int_equal(dev->line, 2);
	dev = dev->next;
	assert_string_equal(dev->name, "serial1");
	assert_string_equal(dev->backend, "exec:/bin/cat");
	dev = dev->next;
	assert_string_equal(dev->name, "console0");
	assert_string_equal(dev->backend, "pty:/dev/pts/1");
	assert_int_equal(dev->line, 9);
	config_free(cf);

	/* inih keeps only 49 bytes of the previous key's name: the
	 * continuation must still land on the right device. */
	memset(name64, 'd', 64);
	name64[64] = '\0';
	{
		char *text;

		assert_true(asprintf(&text, "[domain a]\n%s = exec:/bin/echo\n  one two\n", name64) > 0);
		cf = load_ok(text, NULL);
		free(text);
	}
	assert_string_equal(cf->domains->devices->name, name64);
	assert_string_equal(cf->domains->devices->backend, "exec:/bin/echo one two");
	config_free(cf);

	/* A bad backend is reported at its first line, even when the mistake
	 * is on a continuation line. */
	check_error("[domain a]\nserial0 = exec:/bin/echo\n  'unterminated\n", 2, "unterminated");
	check_error("[domain a]\nconsole0 = pty:/dev/pts/1\n  serial0 = pty:/dev/pts/2\n",
	    3, "continuation");
	check_error("[domain a]\nuuid = " WEB1_UUID "\n   more\n", 3, "continuation");
	check_error("[global]\nscrollback = 1K\n   2K\n", 3, "continuation");
	check_error("[domain a]\nserial0 = exec:/bin/echo\n  [domain b]\n", 3, "'['");
	check_error("[domain a]\nserial0 = exec:/bin/echo\n  console0 = pty:/dev/pts/1\n",
	    3, "looks like a key");
	/* Not indented: a real duplicate. */
	check_error("[domain a]\nserial0 = exec:/bin/echo\nserial0 = more\n", 3, "duplicate device");
}

static void
test_line_length(void **state)
{
	char line[256], *text;
	struct config *cf;

	(void)state;
	/* 199 characters: the longest line accepted. */
	memset(line, 'x', sizeof line);
	memcpy(line, "serial0 = exec:/bin/echo ", 25);
	line[199] = '\0';
	assert_true(asprintf(&text, "[domain a]\n; c\n%s\n", line) > 0);
	cf = load_ok(text, NULL);
	assert_int_equal(strlen(cf->domains->devices->backend), 199 - 10);
	config_free(cf);
	free(text);

	/* 200: refused, not cut in two. */
	line[199] = 'x';
	line[200] = '\0';
	assert_true(asprintf(&text, "[domain a]\n; c\n%s\n", line) > 0);
	check_error(text, 3, "line too long (at most 199 characters)");
	free(text);
	/* Also a comment, also the last line without a newline. */
	line[0] = ';';
	assert_true(asprintf(&text, "[domain a]\n%s", line) > 0);
	check_error(text, 2, "line too long");
	free(text);
}

static void
test_names(void **state)
{
	char name[80], *text;
	struct config *cf;

	(void)state;
	memset(name, 'a', sizeof name);
	name[64] = '\0';
	assert_int_equal(config_check_name(name, 0), 0);
	assert_int_equal(config_check_name(name, 1), 0);
	name[64] = 'a';
	name[65] = '\0';
	errno = 0;
	assert_int_equal(config_check_name(name, 0), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(config_check_name(name, 1), -1);
	assert_int_equal(errno, ENAMETOOLONG);

	assert_int_equal(config_check_name("web1", 0), 0);
	assert_int_equal(config_check_name("A-Z_a-z.0-9", 1), 0);
	assert_int_equal(config_check_name("x.", 1), 0);
	errno = 0;
	assert_int_equal(config_check_name(".x", 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(config_check_name(".x", 1), -1);
	assert_int_equal(config_check_name("..", 1), -1);
	assert_int_equal(config_check_name("a/b", 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(config_check_name("a b", 1), -1);
	assert_int_equal(config_check_name("caf\xc3\xa9", 1), -1);
	assert_int_equal(config_check_name("", 0), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(config_check_name("by-uuid", 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(config_check_name("by-uuid", 1), 0);
	errno = 0;
	assert_int_equal(config_check_name("x.log", 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(config_check_name("x.log", 0), 0);
	assert_int_equal(config_check_name("x.logs", 1), 0);

	/* In a file: a 64-character domain name survives inih's 49-byte
	 * section buffer; 65 is refused. */
	name[64] = '\0';
	assert_true(asprintf(&text, "[domain %s]\nby-uuid = pty:/dev/pts/1\n", name) > 0);
	cf = load_ok(text, NULL);
	assert_string_equal(cf->domains->name, name);
	assert_string_equal(cf->domains->devices->name, "by-uuid");
	config_free(cf);
	free(text);
	name[64] = 'a';
	assert_true(asprintf(&text, "[domain %s]\n", name) > 0);
	check_error(text, 1, "longer than 64");
	free(text);
	assert_true(asprintf(&text, "[domain a]\n%s = pty:/dev/pts/1\n", name) > 0);
	check_error(text, 2, "bad device name");
	free(text);
}

static void
test_missing(void **state)
{
	const char *path = "/tmp/consolefs-test-no-such-file.conf";
	char *cause = (char *)"unset";
	struct config *cf;

	(void)state;
	unlink(path);
	cf = config_load(path, 1, &cause);
	assert_non_null(cf);
	assert_null(cause);
	assert_null(cf->domains);
	assert_int_equal(cf->scrollback, CONFIG_DEFAULT_SCROLLBACK);
	config_free(cf);

	errno = 0;
	cf = config_load(path, 0, &cause);
	assert_null(cf);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(cause, "/tmp/consolefs-test-no-such-file.conf: No such file or directory");
	free(cause);

	/* missing_ok covers only a missing file. */
	cf = config_load("/tmp", 1, &cause);
	assert_null(cf);
	assert_string_equal(cause, "/tmp: Is a directory");
	free(cause);
	config_free(NULL);
}

/* Device settings: inherited [global] -> section -> DEV.KEY. */
static void
test_options(void **state)
{
	struct config_device *v;
	struct config_libvirt *l;
	struct config *cf;

	(void)state;
	cf = load_ok(
	    "[global]\n"
	    "capture = no\n"
	    "log_dir = /var/log/consoles\n"
	    "env = LANG=C.UTF-8\n"
	    "scrollback = 64K\n"
	    "[domain a]\n"
	    "restart = on-failure\n"
	    "env = A=1\n"
	    "env = B=2\n"
	    "serial0.capture = yes\n"	/* before its device: fine */
	    "serial0 = pty:/dev/pts/1\n"
	    "serial1 = tty:/dev/ttyUSB0\n"
	    "serial1.replay = 20l\n"
	    "serial1.env = A=3\n"
	    "serial1.unplug = end\n"
	    "serial1.log_max = 10M\n"
	    "serial1.log_keep = 3\n"
	    "serial1.spy_mode = 0640\n"
	    "serial1.log_timestamps = yes\n"
	    "[libvirt local]\n"
	    "uri = qemu:///system\n"
	    "prefix = hv1\n"
	    "mode = 0660\n"
	    "[libvirt cap]\n"
	    "uri = test:///default\n"
	    "capture = yes\n"
	    "replay = 1K\n", NULL);
	assert_int_equal(cf->opts.capture, 0);
	assert_int_equal(cf->scrollback, 65536);
	v = cf->domains->devices;
	assert_int_equal(v->opts.capture, 1);
	assert_int_equal(v->opts.restart, OPTS_RESTART_ON_FAILURE);
	assert_string_equal(v->opts.log_dir, "/var/log/consoles");
	assert_int_equal(v->opts.scrollback, 65536);
	assert_string_equal(v->opts.env[0], "LANG=C.UTF-8");
	assert_string_equal(v->opts.env[1], "A=1");
	assert_string_equal(v->opts.env[2], "B=2");
	assert_null(v->opts.env[3]);
	assert_int_equal(v->opts.replay, 0);
	v = v->next;
	assert_int_equal(v->opts.capture, 0);
	assert_int_equal(v->opts.replay, 20);
	assert_int_equal(v->opts.replay_lines, 1);
	assert_string_equal(v->opts.env[1], "A=3");
	assert_int_equal(v->opts.unplug_end, 1);
	assert_int_equal(v->opts.log_max, 10 * 1048576);
	assert_int_equal(v->opts.log_keep, 3);
	assert_int_equal(v->opts.spy_mode_set, 1);
	assert_int_equal(v->opts.spy_mode, 0640);
	assert_int_equal(v->opts.log_timestamps, 1);
	l = cf->libvirts;
	assert_string_equal(l->name, "local");
	assert_string_equal(l->uri, "qemu:///system");
	assert_string_equal(l->prefix, "hv1");
	assert_int_equal(l->perm.mode, 0660);
	assert_int_equal(l->opts.capture, 0);	/* not [global]'s */
	assert_string_equal(l->opts.log_dir, "/var/log/consoles");
	l = l->next;
	assert_int_equal(l->opts.capture, 1);
	assert_int_equal(l->opts.replay, 1024);
	assert_null(l->prefix);
	assert_int_equal(l->perm.mode, CONFIG_DEFAULT_MODE);
	assert_null(l->next);
	config_free(cf);

	/* A libvirt: line in a [domain] captures only when it or its section
	 * says so, not by [global]'s default. */
	cf = load_ok("[domain a]\nserial0 = libvirt:qemu:///system#a/serial0\n"
	    "pty0 = pty:/dev/pts/9\n"
	    "[domain b]\ncapture = yes\nserial0 = libvirt:qemu:///system#b/serial0\n"
	    "[domain c]\nserial0 = libvirt:qemu:///system#c/serial0\nserial0.capture = yes\n",
	    NULL);
	v = cf->domains->devices;
	assert_int_equal(v->opts.capture, 0);
	assert_int_equal(v->next->opts.capture, 1);		/* pty: keeps the default */
	assert_int_equal(cf->domains->next->devices->opts.capture, 1);
	assert_int_equal(cf->domains->next->next->devices->opts.capture, 1);
	config_free(cf);

	cf = load_ok("[global]\nhost_serial = yes\nhost_serial_exclude = ttyS0 ttyS1\n", NULL);
	assert_int_equal(cf->host_serial, 1);
	assert_string_equal(cf->host_serial_exclude[1], "ttyS1");
	assert_int_equal(cf->opts.capture, 1);
	assert_null(cf->host_serial_include);
	config_free(cf);
	cf = load_ok("[global]\nhost_serial = yes\nhost_serial_include = ttyGS0\n", NULL);
	assert_string_equal(cf->host_serial_include[0], "ttyGS0");
	assert_null(cf->host_serial_include[1]);
	config_free(cf);
	/* Without host_serial a domain may be called host. */
	cf = load_ok("[domain host]\nx = pty:/dev/pts/1\n", NULL);
	config_free(cf);

	check_error("[global]\ncapture = maybe\n", 2, "bad capture 'maybe' (yes or no)");
	check_error("[global]\nrestart = always\n", 2, "on-exit");
	check_error("[global]\nunplug = never\n", 2, "wait or end");
	check_error("[global]\nreplay = 12x\n", 2, "bad replay");
	check_error("[global]\nreplay = l\n", 2, "bad replay");
	check_error("[global]\nlog_dir = logs\n", 2, "absolute");
	check_error("[global]\nlog_keep = 1001\n", 2, "bad log_keep");
	check_error("[global]\nlog_max = 5G\n", 2, "bad size '5G' for log_max");
	check_error("[global]\nenv = 1A=b\n", 2, "bad env");
	check_error("[global]\nenv = A\n", 2, "bad env");
	check_error("[global]\nspy_mode = 0999\n", 2, "bad spy_mode");
	check_error("[global]\nhost_serial = 2\n", 2, "bad host_serial");
	check_error("[global]\nhost_serial_exclude = /dev/ttyS0\n", 2, "kernel name");
	check_error("[global]\nhost_serial_include = /dev/ttyGS0\n", 2,
	    "host_serial_include: '/dev/ttyGS0' is not a kernel name");
	check_error("[global]\nhost_serial = yes\n[domain a]\n[domain host]\n", 4,
	    "domain name 'host' is taken by host_serial");
	check_error("[global]\ncapture = no\ncapture = yes\n", 3, "duplicate key 'capture'");
	check_error("[domain a]\nx = pty:/dev/pts/1\nx.capture = no\nx.capture = yes\n",
	    4, "duplicate key 'x.capture'");
	check_error("[domain a]\nx = pty:/dev/pts/1\ny.capture = no\n", 3, "no device 'y'");
	check_error("[domain a]\nx = pty:/dev/pts/1\nx.capture = nope\n", 3, "bad capture");
	check_error("[domain a]\nx = pty:/dev/pts/1\n.x.capture = no\n", 3, "not a device name");
	check_error("[libvirt l]\nprefix = p\n", 1, "has no 'uri");
	check_error("[libvirt l]\nuri = a\n[libvirt l]\nuri = b\n", 3, "duplicate section [libvirt l]");
	check_error("[libvirt l]\nuri = a\nserial0 = pty:/dev/pts/1\n", 3, "devices come from libvirt");
	check_error("[libvirt l]\nuri = a\nprefix = a/b\n", 3, "bad prefix");
	check_error("[libvirt l]\nuri =\n", 2, "empty uri");
	check_error("[libvirt l]\nuri = a\nmode = 0778\n", 3, "bad mode");
	check_error("[domain a]\nenv = A=1\nenv = B=2\nenv = x\n", 4, "bad env");
}

/* Messages for a newcomer's mistakes. */
static void
test_hints(void **state)
{
	(void)state;
	check_error("[domain a]\nmod = 0660\n", 2, "unknown key 'mod' (did you mean 'mode'?)");
	check_error("[domain a]\nuiid = 3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10\n", 2,
	    "did you mean 'uuid'?");
	check_error("[domain a]\ncaptur = no\n", 2, "did you mean 'capture'?");
	check_error("[domain a]\nlog dir = /x\n", 2, "did you mean 'log_dir'?");
	check_error("[global]\nlockdir = /x\n", 2, "unknown key 'lockdir' in [global] "
	    "(did you mean 'lock_dir'?)");
	/* A device that merely looks like a key is still a device. */
	check_error("[domain a]\nserial0 = 0660\n", 2, "no backend scheme");
	check_error("[domain a]\nserial0 = exec:/bin/sh -c \"echo a ; echo b\"\n", 2,
	    "' ;' starts a comment");
	check_error("[domain a]\nserial0 = exec:/bin/sh -c 'x\n", 2, "unterminated");
}

static void
test_size(void **state)
{
	size_t v;

	(void)state;
	assert_int_equal(config_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(config_parse_size("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(config_parse_size("256K", &v), 0);
	assert_int_equal(v, 262144);
	assert_int_equal(config_parse_size("256k", &v), 0);
	assert_int_equal(v, 262144);
	assert_int_equal(config_parse_size("1M", &v), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(config_parse_size("3m", &v), 0);
	assert_int_equal(v, 3 * 1048576);
	const char *bad[] = { "", "K", "-1", "+1", " 1", "1 K", "1G", "1KK", "1.5M",
	    "99999999999999999999", "18446744073709551615K" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		if (config_parse_size(bad[i], &v) != -1 || errno != EINVAL) {
			print_error("'%s' was accepted\n", bad[i]);
			fail();
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_first_error),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_hints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
