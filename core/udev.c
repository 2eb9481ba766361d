/*
 * udev.c — the machine's tty devices through libudev: enumerated when the
 * first subscriber comes, then followed by a netlink monitor on the one
 * event loop (no thread). Not for opening devices (backends) nor for
 * deciding what a change means to a console (backend_udev.c,
 * source_host.c).
 *
 * Source: the "udev" netlink group when a udev daemon runs (it exists once
 * /run/udev/control does), carrying everything udevd knows (ID_SERIAL,
 * ID_PATH...); else the "kernel" group, whose events carry only what the
 * kernel says (DEVNAME, DEVPATH, MAJOR, MINOR, SUBSYSTEM) and for which
 * there is no udev database. The monitor is set up before the enumeration,
 * as libvirt does, so a tty plugged in meanwhile is not missed; an event
 * for a tty the enumeration already saw just replaces its entry.
 *
 * The table is a plain array: a machine has tens of ttys, events are rare,
 * and no lookup on a FUSE request path walks it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libudev.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/udev.h"
#include "core/words.h"

#define UDEV_CONTROL		"/run/udev/control"
#define UDEV_RCVBUF		(1024 * 1024)

struct udev_tty {
	char	*syspath;
	char	*sysname;
	char	*devnode;
	char   **props;		/* "KEY=VALUE", NULL-terminated */
	int	 hardware;
};

struct udev_sub {
	udev_fn	*fn;		/* NULL: unsubscribed during a notification */
	void	*arg;
};

static struct {
	struct loop		*loop;
	struct udev		*udev;
	struct udev_monitor	*mon;
	int			 fd;
	int			 started;	/* tried: do not retry on every subscribe */
	struct udev_tty	       **ttys;
	size_t			 nttys;
	struct udev_sub		*subs;
	size_t			 nsubs;
	int			 notifying;
	int			 enumerating;	/* quiet: one summary line instead */
} udev_state = { .fd = -1 };

static void
udev_tty_free(struct udev_tty *t)
{
	if (t == NULL)
		return;
	free(t->syspath);
	free(t->sysname);
	free(t->devnode);
	words_free(t->props);
	free(t);
}

static void
udev_notify(const struct udev_tty *t, int present)
{
	size_t i, j;

	udev_state.notifying++;
	/* A subscriber added by a callback is told from the next change on. */
	for (i = 0, j = udev_state.nsubs; i < j && i < udev_state.nsubs; i++)
		if (udev_state.subs[i].fn != NULL)
			udev_state.subs[i].fn(udev_state.subs[i].arg, t, present);
	if (--udev_state.notifying > 0)
		return;
	for (i = j = 0; i < udev_state.nsubs; i++)
		if (udev_state.subs[i].fn != NULL)
			udev_state.subs[j++] = udev_state.subs[i];
	udev_state.nsubs = j;
}

static ssize_t
udev_find(const char *syspath)
{
	for (size_t i = 0; i < udev_state.nttys; i++)
		if (strcmp(udev_state.ttys[i]->syspath, syspath) == 0)
			return i;
	return -1;
}

static void
udev_forget(const char *syspath)
{
	ssize_t i = udev_find(syspath);
	struct udev_tty *t;

	if (i == -1)
		return;
	t = udev_state.ttys[i];
	udev_state.ttys[i] = udev_state.ttys[--udev_state.nttys];
	log_debug("%s: %s (%s) went", __func__, t->sysname, t->devnode);
	udev_notify(t, 0);
	udev_tty_free(t);
}

/* Whether a hardware port is behind SYSPATH: a "device" link to its parent,
 * and not an 8250 port slot without a UART (its "type" reads 0,
 * PORT_UNKNOWN: ttyS1-3 on most PCs). */
static int
udev_is_hardware(const char *syspath)
{
	char path[4096], type[16] = "";
	FILE *f;

	snprintf(path, sizeof path, "%s/device", syspath);
	if (access(path, F_OK) == -1)
		return 0;
	snprintf(path, sizeof path, "%s/type", syspath);
	if ((f = fopen(path, "re")) == NULL)
		return 1;
	if (fgets(type, sizeof type, f) == NULL)
		type[0] = '\0';
	fclose(f);
	return strtol(type, NULL, 10) != 0;
}

static const char *
udev_prop(char *const *props, const char *key)
{
	size_t n = strlen(key);

	for (; props != NULL && *props != NULL; props++)
		if (strncmp(*props, key, n) == 0 && (*props)[n] == '=')
			return *props + n + 1;
	return NULL;
}

/* Put the tty of EV in the table (replacing what was there). */
static void
udev_learn(const struct udev_event *ev)
{
	const char *slash = strrchr(ev->syspath, '/'), *devname;
	struct udev_tty *t = calloc(1, sizeof *t), **grown;
	size_t n = 0;
	ssize_t i;

	if (t == NULL)
		goto nomem;
	devname = udev_prop(ev->props, "DEVNAME");
	if (devname == NULL) {
		/* No device node (a tty class entry without one): nothing
		 * anyone could open. */
		log_debug("%s: %s has no DEVNAME: ignored", __func__, ev->syspath);
		udev_tty_free(t);
		return;
	}
	while (ev->props != NULL && ev->props[n] != NULL)
		n++;
	if ((t->syspath = strdup(ev->syspath)) == NULL ||
	    (t->sysname = strdup(slash != NULL ? slash + 1 : ev->syspath)) == NULL ||
	    (t->props = calloc(n + 1, sizeof *t->props)) == NULL)
		goto nomem;
	/* The kernel's DEVNAME is relative ("tty63"); libudev's absolute. */
	if (asprintf(&t->devnode, "%s%s", devname[0] == '/' ? "" : "/dev/", devname) == -1) {
		t->devnode = NULL;
		goto nomem;
	}
	for (size_t k = 0; k < n; k++)
		if ((t->props[k] = strdup(ev->props[k])) == NULL)
			goto nomem;
	t->hardware = udev_is_hardware(ev->syspath);
	if ((i = udev_find(ev->syspath)) != -1) {
		udev_tty_free(udev_state.ttys[i]);
		udev_state.ttys[i] = t;
	} else {
		grown = realloc(udev_state.ttys, (udev_state.nttys + 1) * sizeof *grown);
		if (grown == NULL)
			goto nomem;
		udev_state.ttys = grown;
		udev_state.ttys[udev_state.nttys++] = t;
	}
	if (!udev_state.enumerating)
		log_debug("%s: %s (%s) %s", __func__, t->sysname, t->devnode,
		    i != -1 ? "changed" : "is there");
	udev_notify(t, 1);
	return;
nomem:
	log_error("%s: %s: out of memory", __func__, ev->syspath);
	udev_tty_free(t);
}

/* Apply one event to the table and tell the subscribers. */
void
udev_handle(const struct udev_event *ev)
{
	if (ev->action == NULL || ev->syspath == NULL)
		return;
	if (strcmp(ev->action, "remove") == 0) {
		udev_forget(ev->syspath);
		return;
	}
	if (strcmp(ev->action, "move") == 0 && ev->syspath_old != NULL)
		udev_forget(ev->syspath_old);
	else if (strcmp(ev->action, "add") != 0 && strcmp(ev->action, "change") != 0 &&
	    strcmp(ev->action, "move") != 0)
		return;		/* bind, unbind, online...: nothing for a tty */
	if (access(ev->syspath, F_OK) == -1) {
		/* Gone or renamed before we got here; the remove or move that
		 * follows says what happened. */
		log_debug("%s: %s %s: no longer in sysfs: skipped", __func__, ev->action,
		    ev->syspath);
		return;
	}
	udev_learn(ev);
}

/* DEV's properties as a NULL-terminated "KEY=VALUE" array (malloc'd). */
static char **
udev_device_props(struct udev_device *dev)
{
	struct udev_list_entry *e, *first = udev_device_get_properties_list_entry(dev);
	size_t n = 0, k = 0;
	char **props;

	udev_list_entry_foreach(e, first)
		n++;
	if ((props = calloc(n + 1, sizeof *props)) == NULL)
		return NULL;
	udev_list_entry_foreach(e, first) {
		const char *v = udev_list_entry_get_value(e);

		if (k < n && asprintf(&props[k], "%s=%s", udev_list_entry_get_name(e),
		    v != NULL ? v : "") == -1) {
			props[k] = NULL;
			words_free(props);
			return NULL;
		}
		k++;
	}
	return props;
}

static void
udev_handle_device(struct udev_device *dev, const char *action)
{
	struct udev_event ev = { .action = action, .syspath = udev_device_get_syspath(dev) };
	char **props = udev_device_props(dev), *old = NULL;
	const char *devpath_old = udev_device_get_property_value(dev, "DEVPATH_OLD");

	if (props == NULL) {
		log_error("%s: %s: out of memory", __func__, ev.syspath);
		return;
	}
	if (devpath_old != NULL && asprintf(&old, "/sys%s", devpath_old) == -1)
		old = NULL;
	ev.props = props;
	ev.syspath_old = old;
	udev_handle(&ev);
	free(old);
	words_free(props);
}

static void
udev_monitor_event(struct loop *lp, int fd, int events, void *arg)
{
	struct udev_device *dev;

	(void)lp, (void)fd, (void)events, (void)arg;
	/* Drain what is queued: the watch is level-triggered, but a burst
	 * (a hub with four adapters) is better handled in one go. */
	while ((dev = udev_monitor_receive_device(udev_state.mon)) != NULL) {
		const char *action = udev_device_get_action(dev);

		if (action != NULL)
			udev_handle_device(dev, action);
		udev_device_unref(dev);
	}
}

/* Enumerate the ttys there are now. One that goes between the listing and
 * the look at it is skipped quietly, as for events. */
static void
udev_enumerate(void)
{
	struct udev_enumerate *en = udev_enumerate_new(udev_state.udev);
	struct udev_list_entry *e;

	if (en == NULL || udev_enumerate_add_match_subsystem(en, "tty") < 0 ||
	    udev_enumerate_scan_devices(en) < 0) {
		log_error("%s: cannot list the tty devices: %s", __func__, strerror(errno));
		udev_enumerate_unref(en);
		return;
	}
	udev_state.enumerating = 1;
	udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en)) {
		struct udev_device *dev = udev_device_new_from_syspath(udev_state.udev,
		    udev_list_entry_get_name(e));

		if (dev == NULL)
			continue;
		udev_handle_device(dev, "add");
		udev_device_unref(dev);
	}
	udev_state.enumerating = 0;
	udev_enumerate_unref(en);
	log_debug("%s: %zu ttys", __func__, udev_state.nttys);
}

static int
udev_start(void)
{
	const char *source = access(UDEV_CONTROL, F_OK) == 0 ? "udev" : "kernel";

	udev_state.started = 1;
	if ((udev_state.udev = udev_new()) == NULL ||
	    (udev_state.mon = udev_monitor_new_from_netlink(udev_state.udev, source)) == NULL ||
	    udev_monitor_filter_add_match_subsystem_devtype(udev_state.mon, "tty", NULL) < 0 ||
	    udev_monitor_enable_receiving(udev_state.mon) < 0)
		goto fail;
	/* Like udevd and libvirt: a burst of events must not overflow the
	 * socket (needs root; a smaller buffer still works). */
	udev_monitor_set_receive_buffer_size(udev_state.mon, UDEV_RCVBUF);
	udev_state.fd = udev_monitor_get_fd(udev_state.mon);
	if (loop_add_fd(udev_state.loop, udev_state.fd, LOOP_READ, udev_monitor_event,
	    NULL) == -1)
		goto fail;
	if (strcmp(source, "udev") == 0)
		log_info("%s: following tty devices through udev events (a udev daemon "
		    "runs: %s exists)", __func__, UDEV_CONTROL);
	else
		log_info("%s: following tty devices through kernel uevents (no udev daemon: "
		    "%s is missing); only kernel properties such as DEVNAME, MAJOR and "
		    "MINOR can be matched", __func__, UDEV_CONTROL);
	udev_enumerate();
	return 0;
fail:
	log_error("%s: cannot follow tty devices through %s events: %s; udev: devices "
	    "stay absent", __func__, source, strerror(errno));
	udev_state.fd = -1;
	udev_monitor_unref(udev_state.mon);
	udev_state.mon = NULL;
	udev_unref(udev_state.udev);
	udev_state.udev = NULL;
	return -1;
}

/* Monitor on LP once someone subscribes. */
void
udev_init(struct loop *lp)
{
	udev_state.loop = lp;
}

/* Stop the monitor, forget every tty and subscriber. */
void
udev_free(void)
{
	if (udev_state.fd != -1 && udev_state.loop != NULL)
		loop_del_fd(udev_state.loop, udev_state.fd);
	udev_monitor_unref(udev_state.mon);
	udev_unref(udev_state.udev);
	for (size_t i = 0; i < udev_state.nttys; i++)
		udev_tty_free(udev_state.ttys[i]);
	free(udev_state.ttys);
	free(udev_state.subs);
	memset(&udev_state, 0, sizeof udev_state);
	udev_state.fd = -1;
}

/* Call FN on every change from now on; the first subscriber starts the
 * monitor. */
int
udev_subscribe(udev_fn *fn, void *arg)
{
	struct udev_sub *grown = realloc(udev_state.subs,
	    (udev_state.nsubs + 1) * sizeof *grown);

	if (grown == NULL)
		return -1;
	udev_state.subs = grown;
	udev_state.subs[udev_state.nsubs++] = (struct udev_sub){ fn, arg };
	if (!udev_state.started && udev_state.loop != NULL)
		udev_start();
	return 0;
}

/* Stop calling FN with ARG. */
void
udev_unsubscribe(udev_fn *fn, void *arg)
{
	for (size_t i = 0; i < udev_state.nsubs; i++) {
		if (udev_state.subs[i].fn != fn || udev_state.subs[i].arg != arg)
			continue;
		if (udev_state.notifying > 0) {
			udev_state.subs[i].fn = NULL;	/* compacted after */
			return;
		}
		memmove(&udev_state.subs[i], &udev_state.subs[i + 1],
		    (udev_state.nsubs - i - 1) * sizeof *udev_state.subs);
		udev_state.nsubs--;
		return;
	}
}

/* How many ttys are present. */
size_t
udev_tty_count(void)
{
	return udev_state.nttys;
}

/* The Ith present tty. */
const struct udev_tty *
udev_tty_at(size_t i)
{
	return i < udev_state.nttys ? udev_state.ttys[i] : NULL;
}

/* Kernel name. */
const char *
udev_tty_sysname(const struct udev_tty *t)
{
	return t->sysname;
}

/* Device node. */
const char *
udev_tty_devnode(const struct udev_tty *t)
{
	return t->devnode;
}

/* Sysfs path. */
const char *
udev_tty_syspath(const struct udev_tty *t)
{
	return t->syspath;
}

/* A property's value, or NULL. */
const char *
udev_tty_property(const struct udev_tty *t, const char *key)
{
	return udev_prop(t->props, key);
}

/* Whether a hardware port is behind it. */
int
udev_tty_hardware(const struct udev_tty *t)
{
	return t->hardware;
}

/* Whether every "KEY=VALUE" of MATCH is a property of T. */
int
udev_tty_match(const struct udev_tty *t, char *const *match)
{
	for (; match != NULL && *match != NULL; match++) {
		const char *eq = strchr(*match, '='), *have;
		char key[256];
		size_t n;

		if (eq == NULL || (n = eq - *match) >= sizeof key)
			return 0;
		memcpy(key, *match, n);
		key[n] = '\0';
		if (strcmp(key, "DEVNAME") == 0 && eq[1] == '/')
			have = t->devnode;
		else if (strcmp(key, "DEVNAME") == 0)
			have = strncmp(t->devnode, "/dev/", 5) == 0 ? t->devnode + 5 : t->devnode;
		else
			have = udev_prop(t->props, key);
		if (have == NULL || strcmp(have, eq + 1) != 0)
			return 0;
	}
	return 1;
}
