/*
 * test_libvirt_conn.c — unit tests of core/libvirt_conn.c: the device list
 * read from domain XML (live aliases, inactive XML named the way libvirt's
 * QEMU driver names at start, a <console> that is serial0 again, pty only),
 * and a real connection to libvirt's in-process test driver (test:///default,
 * no daemon) on our loop: the guests are listed when it comes up, define,
 * start, stop and undefine reach listeners as events, a listener that
 * unlistens inside its callback, and the last reference closing it all.
 * Not for a real libvirtd or console streams (tests/behave/libvirt-guest.sh).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/libvirt_conn.h"
#include "core/libvirt_loop.h"
#include "core/loop.h"

static struct loop *lp;

static void
check_devices(const char *xml, const char *want)
{
	char **aliases, **ptys, got[512] = "";
	size_t n;

	assert_int_equal(libvirt_conn_parse_devices(xml, &aliases, &ptys, &n), 0);
	for (size_t i = 0; i < n; i++) {
		char one[128];

		snprintf(one, sizeof one, "%s%s=%s", i ? " " : "", aliases[i],
		    ptys[i] ? ptys[i] : "-");
		strcat(got, one);
		free(aliases[i]);
		free(ptys[i]);
	}
	free(aliases);
	free(ptys);
	assert_string_equal(got, want);
}

static void
test_parse_devices(void **state)
{
	char **a, **p;
	size_t n;

	(void)state;
	/* Live XML: aliases given; the console repeats serial0. */
	check_devices("<domain><devices>"
	    "<serial type='pty'><source path='/dev/pts/9'/><target type='isa-serial' port='0'/>"
	    "<alias name='serial0'/></serial>"
	    "<console type='pty' tty='/dev/pts/9'><source path='/dev/pts/9'/>"
	    "<target type='serial' port='0'/><alias name='serial0'/></console>"
	    "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/>"
	    "<alias name='channel0'/></channel>"
	    "<channel type='pty'><source path='/dev/pts/10'/><target type='virtio' name='x'/>"
	    "<alias name='channel1'/></channel>"
	    "<console type='pty'><source path='/dev/pts/11'/><target type='virtio' port='1'/>"
	    "<alias name='console1'/></console>"
	    "</devices></domain>",
	    "serial0=/dev/pts/9 channel1=/dev/pts/10 console1=/dev/pts/11");
	/* Inactive XML: no aliases, made by position; file serials skipped
	 * but counted. */
	check_devices("<domain type='qemu'><name>g</name><devices>"
	    "<serial type='file'><source path='/tmp/x'/><target port='0'/></serial>"
	    "<serial type='pty'><target port='1'/></serial>"
	    "<console type='pty'><target type='serial' port='0'/></console>"
	    "<console type='pty'><target type='virtio' port='1'/></console>"
	    "<parallel type='pty'/>"
	    "</devices></domain>",
	    "serial1=- serial0=- console1=- parallel0=-");
	/* User aliases survive in inactive XML. */
	check_devices("<domain><devices><serial type='pty'><alias name='ua-bmc'/></serial>"
	    "</devices></domain>", "ua-bmc=-");
	check_devices("<domain><name>x</name></domain>", "");
	assert_int_equal(libvirt_conn_parse_devices("<notdomain/>", &a, &p, &n), -1);
	assert_int_equal(libvirt_conn_parse_devices("<domain>", &a, &p, &n), -1);
	assert_int_equal(libvirt_conn_parse_devices("", &a, &p, &n), -1);
}

/* What a listener heard, as letters: U up, D down, d domain, g gone. */
struct heard {
	char	 log[256];
	int	 n;
	char	 last[64];
	int	 last_active;
	int	 last_ndevs;
	int	 unlisten;	/* unlisten at the next event */
	struct libvirt_conn_listener *l;
};

static void
hear(void *arg, struct libvirt_conn *c, enum libvirt_conn_event ev,
    struct libvirt_conn_domain *d)
{
	struct heard *h = arg;

	(void)c;
	h->log[h->n++] = "UDdg"[ev];
	if (d != NULL) {
		snprintf(h->last, sizeof h->last, "%s", libvirt_conn_domain_name(d));
		h->last_active = libvirt_conn_domain_active(d);
		h->last_ndevs = (int)libvirt_conn_domain_ndevs(d);
	}
	if (h->unlisten) {
		libvirt_conn_unlisten(h->l);
		h->unlisten = 0;
	}
	loop_stop(lp);
}

static void
stop_timer(struct loop *l, void *arg)
{
	*(int *)arg = 1;
	loop_stop(l);
}

/* Run the loop until a listener stops it (1) or MS pass (0). */
static int
run_until_event(long ms)
{
	int timed_out = 0;
	struct loop_timer *t = loop_add_timer(lp, ms, stop_timer, &timed_out);

	assert_int_equal(loop_run(lp), 0);
	if (!timed_out)
		loop_del_timer(lp, t);
	return !timed_out;
}

static const char guest_xml[] =
    "<domain type='test'><name>cfs-unit</name>"
    "<uuid>3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10</uuid>"
    "<memory>65536</memory><os><type>hvm</type></os>"
    "<devices><serial type='pty'/><console type='pty'/></devices></domain>";

static void
test_test_driver(void **state)
{
	struct libvirt_conn *c, *c2;
	struct libvirt_conn_domain *d;
	struct heard h = { .n = 0 }, h2 = { .n = 0 };
	virConnectPtr vc;
	virDomainPtr dom;
	int n = 0;

	(void)state;
	c = libvirt_conn_get("test:///default");
	assert_non_null(c);
	assert_true(libvirt_conn_local(c));
	/* Local: opened at once, the default guest ("test") is known. */
	vc = libvirt_conn_ptr(c);
	assert_non_null(vc);
	for (d = libvirt_conn_domain_first(c); d != NULL; d = libvirt_conn_domain_next(d))
		n++;
	assert_true(n >= 1);
	d = libvirt_conn_domain_find(c, "test");
	assert_non_null(d);
	assert_true(libvirt_conn_domain_active(d));
	/* The same URI is the same connection. */
	c2 = libvirt_conn_get("test:///default");
	assert_ptr_equal(c, c2);
	libvirt_conn_put(c2);

	h.l = libvirt_conn_listen(c, hear, &h);
	h2.l = libvirt_conn_listen(c, hear, &h2);
	dom = virDomainDefineXML(vc, guest_xml);
	assert_non_null(dom);
	assert_true(run_until_event(2000));
	assert_string_equal(h.last, "cfs-unit");
	assert_int_equal(h.last_active, 0);
	assert_int_equal(h.last_ndevs, 1);
	d = libvirt_conn_domain_find(c, "cfs-unit");
	assert_non_null(d);
	assert_string_equal(libvirt_conn_domain_dev_alias(d, 0), "serial0");
	assert_null(libvirt_conn_domain_dev_pty(d, 0));
	assert_int_equal(libvirt_conn_domain_dev_find(d, "serial0"), 0);
	assert_int_equal(libvirt_conn_domain_dev_find(d, "console0"), -1);
	assert_int_equal(libvirt_conn_domain_runs(d), 0);

	/* Start: active, one run. The second listener leaves on it. */
	h2.unlisten = 1;
	assert_int_equal(virDomainCreate(dom), 0);
	while (h.last_active == 0 && run_until_event(2000))
		;
	assert_int_equal(h.last_active, 1);
	d = libvirt_conn_domain_find(c, "cfs-unit");
	assert_true(libvirt_conn_domain_active(d));
	assert_int_equal(libvirt_conn_domain_runs(d), 1);

	/* Stop, then undefine: gone. */
	assert_int_equal(virDomainDestroy(dom), 0);
	while (h.last_active == 1 && run_until_event(2000))
		;
	assert_false(libvirt_conn_domain_active(libvirt_conn_domain_find(c, "cfs-unit")));
	assert_int_equal(virDomainUndefine(dom), 0);
	virDomainFree(dom);
	while (strchr(h.log, 'g') == NULL && run_until_event(2000))
		;
	assert_non_null(strchr(h.log, 'g'));
	assert_null(libvirt_conn_domain_find(c, "cfs-unit"));
	/* h2 heard only up to the start. */
	assert_null(strchr(h2.log, 'g'));
	assert_true(h2.n < h.n);

	libvirt_conn_unlisten(h.l);
	libvirt_conn_put(c);
	libvirt_loop_drain();
	assert_int_equal(libvirt_loop_nhandles(), 0);
	assert_int_equal(libvirt_loop_ntimeouts(), 0);
}

/* A URI nobody answers: no connection, and a retry is scheduled. */
static void
test_unreachable_local(void **state)
{
	struct libvirt_conn *c;

	(void)state;
	c = libvirt_conn_get("qemu:///system?socket=/nonexistent/libvirt-sock");
	assert_non_null(c);
	assert_null(libvirt_conn_ptr(c));
	assert_null(libvirt_conn_domain_first(c));
	libvirt_conn_put(c);
	libvirt_loop_drain();
}

static int
setup(void **state)
{
	(void)state;
	lp = loop_create();
	assert_non_null(lp);
	assert_int_equal(libvirt_loop_register(lp), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	libvirt_loop_drain();
	loop_free(lp);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_devices),
		cmocka_unit_test(test_test_driver),
		cmocka_unit_test(test_unreachable_local),
	};

	return cmocka_run_group_tests_name("libvirt_conn", tests, setup, teardown);
}
