/*
 * udev.h — the tty devices of the machine as libudev shows them, kept up
 * to date by a monitor on the one event loop: a table of present ttys
 * (kernel name, device node, udev properties) and subscribers told about
 * every change. Used by udev: backends (backend_udev.c) and the host-serial
 * source (source_host.c). Not for opening devices or naming locks.
 *
 * The table is process-wide, like the machine's devices: the daemon gives
 * it the loop with udev_init, the first subscriber starts the monitor and
 * the enumeration, udev_free ends it.
 */
#ifndef CONSOLEFS_UDEV_H
#define CONSOLEFS_UDEV_H

#include <stddef.h>

struct loop;
struct udev_tty;

/* One uevent, as the monitor hands it over (or a unit test makes it). */
struct udev_event {
	const char	*action;	/* "add", "remove", "change", "move", ... */
	const char	*syspath;	/* "/sys/devices/virtual/tty/tty63" */
	const char	*syspath_old;	/* move: where it was; else NULL */
	char *const	*props;		/* "KEY=VALUE", NULL-terminated */
};

/* A tty appeared or changed (PRESENT) or went; T is valid during the call. */
typedef void udev_fn(void *arg, const struct udev_tty *t, int present);

/* Monitor on LP once someone subscribes (the daemon, at start). */
void udev_init(struct loop *lp);
/* Stop the monitor, forget every tty and subscriber (at exit). */
void udev_free(void);
/* Call FN on every change from now on; starts the monitor and enumerates
 * the ttys first when this is the first subscriber. */
int udev_subscribe(udev_fn *fn, void *arg);
/* Stop calling FN with ARG (safe inside a callback). */
void udev_unsubscribe(udev_fn *fn, void *arg);

/* Apply one event to the table and tell the subscribers. An add, change
 * or move whose sysfs entry has gone already is skipped quietly (libvirt's
 * race: the event is handled after the device went or was renamed; a
 * later event puts the table right). */
void udev_handle(const struct udev_event *ev);

/* The ttys present now: how many, and the Ith (in no particular order). */
size_t udev_tty_count(void);
const struct udev_tty *udev_tty_at(size_t i);
/* Kernel name ("ttyUSB0"), device node ("/dev/ttyUSB0"), sysfs path. */
const char *udev_tty_sysname(const struct udev_tty *t);
const char *udev_tty_devnode(const struct udev_tty *t);
const char *udev_tty_syspath(const struct udev_tty *t);
/* A property's value ("ID_SERIAL"), or NULL. */
const char *udev_tty_property(const struct udev_tty *t, const char *key);
/* Whether a hardware port is behind it: a parent device, and a UART where
 * the port says which (8250 ports without one report type 0). */
int udev_tty_hardware(const struct udev_tty *t);
/* Whether every "KEY=VALUE" of MATCH (NULL-terminated) is a property of T.
 * DEVNAME also matches without "/dev/" (DEVNAME=ttyUSB0). */
int udev_tty_match(const struct udev_tty *t, char *const *match);

#endif
