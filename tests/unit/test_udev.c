/*
 * test_udev.c — unit tests of core/udev.c's event handler: events made
 * here (the fake of this test) for sysfs entries made in a temporary
 * directory, fed to udev_handle without a monitor; the table and what the
 * subscribers are told are checked, and the daemon's log (stderr) must stay
 * free of errors and warnings — libvirt's race (an add handled after the
 * device went or was renamed) is skipped quietly.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/log.h"
#include "core/udev.h"

/* A NULL-terminated match list from string literals. */
#define MATCH(...) ((char *const *)(const char *const[]){ __VA_ARGS__, NULL })

static char root[] = "/tmp/udev-unit.XXXXXX";
static char logpath[4200];
static int saved_stderr = -1;

/* What subscribers were told, as "+ttyA" / "-ttyA" words. */
static char told[1024];

static void
record(void *arg, const struct udev_tty *t, int present)
{
	(void)arg;
	snprintf(told + strlen(told), sizeof told - strlen(told), "%s%c%s",
	    told[0] != '\0' ? " " : "", present ? '+' : '-', udev_tty_sysname(t));
}

/* The sysfs path of NAME under the fake root. */
static const char *
sys(const char *name)
{
	static char buf[4][4200];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/devices/virtual/tty/%s", root, name);
	return buf[k];
}

static void
make_entry(const char *name)
{
	char cmd[8600];

	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", sys(name));
	assert_int_equal(system(cmd), 0);
}

static void
drop_entry(const char *name)
{
	char cmd[8600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", sys(name));
	assert_int_equal(system(cmd), 0);
}

static void
event(const char *action, const char *name, const char *old, const char *major_minor)
{
	char devname[64], devpath[4300], maj[32], min[32];
	unsigned int a = 4, b = 0;
	char *props[6] = { devname, devpath, maj, min, (char *)"SUBSYSTEM=tty", NULL };
	struct udev_event ev = {
		.action = action, .syspath = sys(name), .syspath_old = old ? sys(old) : NULL,
		.props = props,
	};

	if (major_minor != NULL)
		sscanf(major_minor, "%u:%u", &a, &b);
	snprintf(devname, sizeof devname, "DEVNAME=%s", name);	/* the kernel's: relative */
	snprintf(devpath, sizeof devpath, "DEVPATH=%s", ev.syspath + strlen(root));
	snprintf(maj, sizeof maj, "MAJOR=%u", a);
	snprintf(min, sizeof min, "MINOR=%u", b);
	udev_handle(&ev);
}

/* The kernel names in the table, sorted, space-separated. */
static const char *
table(void)
{
	static char buf[1024];
	const char *names[64];
	size_t n = udev_tty_count();

	assert_true(n < 64);
	for (size_t i = 0; i < n; i++)
		names[i] = udev_tty_sysname(udev_tty_at(i));
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *x = names[j];

			names[j] = names[j - 1];
			names[j - 1] = x;
		}
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", names[i]);
	return buf;
}

/* What the log got since the test began. */
static char *
log_text(void)
{
	static char buf[8192];
	ssize_t n;
	int fd;

	fflush(stderr);
	fd = open(logpath, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int
setup(void **state)
{
	int fd;

	(void)state;
	strcpy(root, "/tmp/udev-unit.XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(logpath, sizeof logpath, "%s/log", root);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
	log_init("test_udev", 1, LOG_LEVEL_INFO);
	told[0] = '\0';
	return udev_subscribe(record, NULL);
}

static int
teardown(void **state)
{
	char cmd[4300];

	(void)state;
	udev_free();
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	/* cmocka's own messages went to the log too: show them. */
	fputs(log_text(), stderr);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd);
}

/* libvirt's race: the add is handled after the entry went (renamed): it is
 * skipped without a word; the move that follows puts the table right. */
static void
test_add_gone_then_move(void **state)
{
	(void)state;
	make_entry("ttyUSB1");		/* where the device is now */
	event("add", "ttyUSB0", NULL, "188:0");	/* its sysfs entry is gone */
	assert_string_equal(table(), "");
	assert_string_equal(told, "");
	event("move", "ttyUSB1", "ttyUSB0", "188:0");
	assert_string_equal(table(), "ttyUSB1");
	assert_string_equal(told, "+ttyUSB1");
	assert_string_equal(udev_tty_devnode(udev_tty_at(0)), "/dev/ttyUSB1");
	assert_string_equal(udev_tty_syspath(udev_tty_at(0)), sys("ttyUSB1"));
	assert_string_equal(log_text(), "");
}

/* Add, change, remove; a second remove and a remove of something never
 * seen are nothing. */
static void
test_add_change_remove(void **state)
{
	const char *match[] = { "MAJOR=4", "MINOR=63", NULL };

	(void)state;
	make_entry("tty63");
	event("add", "tty63", NULL, "4:63");
	assert_string_equal(table(), "tty63");
	assert_true(udev_tty_match(udev_tty_at(0), (char *const *)match));
	event("change", "tty63", NULL, "4:63");
	assert_string_equal(table(), "tty63");
	assert_string_equal(told, "+tty63 +tty63");
	/* A synthetic remove: the entry is still in sysfs, the tty goes. */
	event("remove", "tty63", NULL, "4:63");
	assert_string_equal(table(), "");
	event("remove", "tty63", NULL, "4:63");
	event("remove", "ttyNever", NULL, "4:99");
	assert_string_equal(told, "+tty63 +tty63 -tty63");
	event("add", "tty63", NULL, "4:63");
	assert_string_equal(table(), "tty63");
	/* Actions a tty does not care about. */
	event("bind", "tty63", NULL, "4:63");
	event("online", "tty63", NULL, "4:63");
	assert_string_equal(told, "+tty63 +tty63 -tty63 +tty63");
	assert_string_equal(log_text(), "");
}

/* A move whose new entry has gone too: the old name goes, the new one is
 * skipped (the remove that follows has nothing left to do); a change for a
 * gone entry is skipped. */
static void
test_move_both_gone(void **state)
{
	(void)state;
	make_entry("ttyACM0");
	event("add", "ttyACM0", NULL, "166:0");
	drop_entry("ttyACM0");
	event("change", "ttyACM0", NULL, "166:0");
	assert_string_equal(table(), "ttyACM0");
	event("move", "ttyACM1", "ttyACM0", "166:1");
	assert_string_equal(table(), "");
	event("remove", "ttyACM1", NULL, "166:1");
	assert_string_equal(told, "+ttyACM0 -ttyACM0");
	assert_string_equal(log_text(), "");
}

static void
test_match(void **state)
{
	const struct udev_tty *t;

	(void)state;
	make_entry("ttyS4");
	event("add", "ttyS4", NULL, "4:68");
	t = udev_tty_at(0);
	assert_non_null(t);
	assert_string_equal(udev_tty_property(t, "MAJOR"), "4");
	assert_string_equal(udev_tty_property(t, "DEVNAME"), "ttyS4");
	assert_null(udev_tty_property(t, "ID_SERIAL"));
	assert_null(udev_tty_property(t, "MAJ"));
	assert_true(udev_tty_match(t, MATCH("DEVNAME=ttyS4")));
	assert_true(udev_tty_match(t, MATCH("DEVNAME=/dev/ttyS4")));
	assert_true(udev_tty_match(t, MATCH("MAJOR=4", "MINOR=68")));
	assert_false(udev_tty_match(t, MATCH("MAJOR=4", "MINOR=6")));
	assert_false(udev_tty_match(t, MATCH("ID_SERIAL=x")));
	assert_false(udev_tty_match(t, MATCH("MAJOR=")));
	assert_false(udev_tty_hardware(t));
}

/* A parent device makes a hardware port, unless the port says it has no
 * UART (type 0). */
static void
test_hardware(void **state)
{
	char path[4400];
	FILE *f;

	(void)state;
	make_entry("ttyS1/device");
	make_entry("ttyS2/device");
	snprintf(path, sizeof path, "%s/type", sys("ttyS1"));
	assert_non_null(f = fopen(path, "w"));
	fputs("4\n", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/type", sys("ttyS2"));
	assert_non_null(f = fopen(path, "w"));
	fputs("0\n", f);
	fclose(f);
	make_entry("ttyUSB9/device");
	event("add", "ttyS1", NULL, "4:65");
	event("add", "ttyS2", NULL, "4:66");
	event("add", "ttyUSB9", NULL, "188:9");
	for (size_t i = 0; i < udev_tty_count(); i++) {
		const struct udev_tty *t = udev_tty_at(i);

		assert_int_equal(udev_tty_hardware(t), strcmp(udev_tty_sysname(t), "ttyS2") != 0);
	}
}

static void
unsubscribe_self(void *arg, const struct udev_tty *t, int present)
{
	(void)t, (void)present;
	(*(int *)arg)++;
	udev_unsubscribe(unsubscribe_self, arg);
}

/* A subscriber may leave inside its callback; the others are still told. */
static void
test_unsubscribe_in_callback(void **state)
{
	int calls = 0;

	(void)state;
	assert_int_equal(udev_subscribe(unsubscribe_self, &calls), 0);
	make_entry("ttyX");
	event("add", "ttyX", NULL, "4:70");
	event("change", "ttyX", NULL, "4:70");
	assert_int_equal(calls, 1);
	assert_string_equal(told, "+ttyX +ttyX");
	udev_unsubscribe(record, NULL);
	event("remove", "ttyX", NULL, "4:70");
	assert_string_equal(told, "+ttyX +ttyX");
	assert_string_equal(table(), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_gone_then_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_change_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_both_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hardware, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsubscribe_in_callback, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
