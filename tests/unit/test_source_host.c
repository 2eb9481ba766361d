/*
 * test_source_host.c — unit tests of core/source_host.c: the names ports
 * get, and the domain "host" kept in step with the tty table. Ports are
 * made by feeding core/udev.c events for sysfs entries in a temporary
 * directory (the fake of this test: no monitor runs), into a real
 * registry whose devices are tty: backends (never opened here).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/console.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/registry.h"
#include "core/source_host.h"
#include "core/udev.h"

static char root[] = "/tmp/host-unit.XXXXXX";
static struct loop *lp;
static struct registry *reg;
static struct config cf;

/* Make the sysfs entry of tty NAME (with a parent device when HW) and
 * send an add with the "KEY=VALUE" properties in PROPS (NULL-terminated). */
static void
plug(const char *name, int hw, const char *const *props)
{
	char syspath[4200], cmd[8600], devname[64];
	char *all[16];
	size_t n = 0;
	struct udev_event ev = { .action = "add", .syspath = syspath };

	snprintf(syspath, sizeof syspath, "%s/devices/x/tty/%s", root, name);
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'%s", syspath, hw ? "/device" : "");
	assert_int_equal(system(cmd), 0);
	snprintf(devname, sizeof devname, "DEVNAME=%s", name);
	all[n++] = devname;
	for (; props != NULL && *props != NULL && n < 15; props++)
		all[n++] = (char *)*props;
	all[n] = NULL;
	ev.props = all;
	udev_handle(&ev);
}

static void
unplug(const char *name)
{
	char syspath[4200];
	char *none[] = { NULL };
	struct udev_event ev = { .action = "remove", .syspath = syspath, .props = none };

	snprintf(syspath, sizeof syspath, "%s/devices/x/tty/%s", root, name);
	udev_handle(&ev);
}

/* The devices of domain host as "NAME=BACKEND" words, sorted. */
static const char *
devices(void)
{
	static char buf[4096];
	char *items[64];
	size_t n = 0;
	struct registry_domain *d = registry_domain_find(reg, SOURCE_HOST_DOMAIN);

	buf[0] = '\0';
	if (d == NULL)
		return "(no domain)";
	for (struct registry_device *v = registry_device_first(d); v != NULL && n < 64;
	    v = registry_device_next(v))
		assert_true(asprintf(&items[n++], "%s=%s", registry_device_name(v),
		    console_backend(registry_device_console(v))) > 0);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(items[j - 1], items[j]) > 0; j--) {
			char *x = items[j];

			items[j] = items[j - 1];
			items[j - 1] = x;
		}
	for (size_t i = 0; i < n; i++) {
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", items[i]);
		free(items[i]);
	}
	return buf;
}

static int
setup(void **state)
{
	struct console_opts co = { .lock_dir = "/nonexistent-lock-dir", .scrollback = 4096 };

	(void)state;
	strcpy(root, "/tmp/host-unit.XXXXXX");
	if (mkdtemp(root) == NULL || (lp = loop_create()) == NULL ||
	    (reg = registry_new(lp, &co)) == NULL)
		return -1;
	log_init("test_source_host", 1, LOG_LEVEL_WARN);
	memset(&cf, 0, sizeof cf);
	opts_init(&cf.opts);
	cf.host_serial = 1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[4300];

	(void)state;
	source_host_free();
	registry_free(reg);
	udev_free();
	loop_free(lp);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd);
}

static void
test_names(void **state)
{
	char *n;

	(void)state;
	n = source_host_name("FTDI_FT232R_USB_UART_A9XK3", "00", "pci-0000:00:14.0-usb-0:2:1.0",
	    "ttyUSB0");
	assert_string_equal(n, "FTDI_FT232R_USB_UART_A9XK3-if00");
	free(n);
	n = source_host_name("Prolific_2303", NULL, "pci-0000:00:14.0-usb-0:1:1.0", "ttyUSB1");
	assert_string_equal(n, "Prolific_2303");
	free(n);
	n = source_host_name(NULL, NULL, "pci-0000:00:14.0-usb-0:1:1.0", "ttyUSB1");
	assert_string_equal(n, "pci-0000_00_14.0-usb-0_1_1.0");
	free(n);
	n = source_host_name("", NULL, "", "ttyAMA0");
	assert_string_equal(n, "ttyAMA0");
	free(n);
	n = source_host_name(".hidden/odd name", NULL, NULL, "ttyS1");
	assert_string_equal(n, "_hidden_odd_name");
	free(n);
	n = source_host_name("A_very_long_serial_number_that_goes_on_and_on_and_on_and_on_beyond",
	    "01", NULL, "ttyUSB2");
	assert_int_equal(strlen(n), CONFIG_NAME_MAX);
	assert_int_equal(config_check_name(n, 1), 0);
	free(n);
}

/* By id, by path, by kernel name; a port with no parent device only when
 * included; excluded ports and the machine's consoles never. */
static void
test_domain_follows_ports(void **state)
{
	char *cause = NULL;
	char *include[] = { (char *)"ttyGS0", (char *)"ttyGS1", NULL };
	char *exclude[] = { (char *)"ttyGS1", (char *)"ttyS3", NULL };
	char consoles[256] = "";
	FILE *f;

	(void)state;
	cf.host_serial_include = include;
	cf.host_serial_exclude = exclude;
	assert_int_equal(source_host_apply(reg, &cf, &cause), 0);
	assert_null(cause);
	assert_string_equal(devices(), "");
	plug("ttyUSB0", 1, (const char *const[]){ "ID_SERIAL=FTDI_FT232R_USB_UART_A9XK3",
	    "ID_USB_INTERFACE_NUM=00", "ID_PATH=pci-0000:00:14.0-usb-0:2:1.0", NULL });
	plug("ttyUSB1", 1, (const char *const[]){ "ID_PATH=pci-0000:00:14.0-usb-0:3:1.0", NULL });
	plug("ttyS1", 1, NULL);
	plug("ttyS3", 1, NULL);		/* excluded */
	plug("tty5", 0, NULL);		/* a virtual console: no parent */
	plug("ttyGS0", 0, NULL);	/* included */
	plug("ttyGS1", 0, NULL);	/* included and excluded: excluded */
	/* The machine's consoles, under their own names, with a parent. */
	if ((f = fopen("/sys/class/tty/console/active", "r")) != NULL) {
		if (fgets(consoles, sizeof consoles, f) == NULL)
			consoles[0] = '\0';
		fclose(f);
	}
	for (char *save = NULL, *c = strtok_r(consoles, " \n", &save); c != NULL;
	    c = strtok_r(NULL, " \n", &save))
		plug(c, 1, NULL);
	assert_string_equal(devices(),
	    "FTDI_FT232R_USB_UART_A9XK3-if00=tty:/dev/ttyUSB0 "
	    "pci-0000_00_14.0-usb-0_3_1.0=tty:/dev/ttyUSB1 "
	    "ttyGS0=tty:/dev/ttyGS0 ttyS1=tty:/dev/ttyS1");
	/* Unplugged: gone. Back under another number: the same name. */
	unplug("ttyUSB0");
	assert_string_equal(devices(), "pci-0000_00_14.0-usb-0_3_1.0=tty:/dev/ttyUSB1 "
	    "ttyGS0=tty:/dev/ttyGS0 ttyS1=tty:/dev/ttyS1");
	plug("ttyUSB2", 1, (const char *const[]){ "ID_SERIAL=FTDI_FT232R_USB_UART_A9XK3",
	    "ID_USB_INTERFACE_NUM=00", NULL });
	assert_non_null(strstr(devices(), "FTDI_FT232R_USB_UART_A9XK3-if00=tty:/dev/ttyUSB2"));
	/* host_serial = no: the domain goes. */
	cf.host_serial = 0;
	assert_int_equal(source_host_apply(reg, &cf, &cause), 0);
	assert_null(registry_domain_find(reg, SOURCE_HOST_DOMAIN));
	cf.host_serial = 1;
	assert_int_equal(source_host_apply(reg, &cf, &cause), 0);
	assert_non_null(strstr(devices(), "FTDI_FT232R_USB_UART_A9XK3-if00=tty:/dev/ttyUSB2"));
}

/* Two ports with the same identity: neither is guessed, both get their
 * kernel names; when one goes the other has the plain name again. */
static void
test_same_identity(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_int_equal(source_host_apply(reg, &cf, &cause), 0);
	plug("ttyUSB0", 1, (const char *const[]){ "ID_SERIAL=1a86_USB_Serial", NULL });
	plug("ttyUSB1", 1, (const char *const[]){ "ID_SERIAL=1a86_USB_Serial", NULL });
	assert_string_equal(devices(), "1a86_USB_Serial-ttyUSB0=tty:/dev/ttyUSB0 "
	    "1a86_USB_Serial-ttyUSB1=tty:/dev/ttyUSB1");
	unplug("ttyUSB0");
	assert_string_equal(devices(), "1a86_USB_Serial=tty:/dev/ttyUSB1");
}

/* The name is taken by another source: an error, nothing made. */
static void
test_name_taken(void **state)
{
	struct registry_perm perm = { 0, 0, 0600 };
	unsigned char uuid[16] = { 1 };
	char *cause = NULL;

	(void)state;
	assert_non_null(registry_domain_add(reg, SOURCE_HOST_DOMAIN, uuid, &perm, &perm));
	log_init("test_source_host", 1, -1);	/* the error line is expected */
	assert_int_equal(source_host_apply(reg, &cf, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "'host' is taken"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_domain_follows_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_taken, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
