/*
 * source_host.c — `host_serial = yes`: the machine's serial ports as the
 * devices of a domain "host", named by what udev knows about them so the
 * name survives a replug (by id: ID_SERIAL plus the USB interface; else by
 * path: ID_PATH; else the kernel name) and following hotplug through
 * udev.c. Each device is a tty: backend on the port's node, so it gets the
 * UUCP lock and flock of any tty:. Not for following ttys (udev.c) nor for
 * sessions that survive an unplug (those are udev: devices).
 *
 * A port is listed when a hardware device is behind it (udev_tty_hardware:
 * ttyS with a UART, ttyUSB, ttyACM, ttyAMA...) or its kernel name is in
 * host_serial_include (ports with no parent device, such as USB gadget
 * serial ttyGS0), and never when it is one of the machine's consoles
 * (/sys/class/tty/console/active: /dev/console's tty and any other
 * console=) or in host_serial_exclude. The machine's consoles are only
 * ever read about in sysfs here, never opened.
 *
 * Every change recomputes the whole domain from the tty table: tens of
 * ports, rare events, hashed lookups in the registry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/console.h"
#include "core/log.h"
#include "core/opts.h"
#include "core/registry.h"
#include "core/source_host.h"
#include "core/udev.h"
#include "core/words.h"

#define SOURCE_HOST_CONSOLES "/sys/class/tty/console/active"

static const char source_host_tag = 'h';
const registry_source source_host = &source_host_tag;

static struct {
	struct registry		*reg;
	struct registry_domain	*dom;
	int			 subscribed;
	struct opts		 opts;		/* [global]'s device settings */
	char		       **exclude;	/* kernel names never listed */
	char		       **include;	/* listed without a parent device */
	char		       **consoles;	/* the machine's consoles */
} host;

/* One port to list. */
struct source_host_port {
	const struct udev_tty	*tty;
	char			*base;		/* from the identity alone */
	char			*name;		/* base, or base-KERNELNAME */
};

static int
source_host_in(char *const *list, const char *word)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(*list, word) == 0)
			return 1;
	return 0;
}

/* The device name of a port (see source_host.h). */
char *
source_host_name(const char *serial, const char *ifnum, const char *path,
    const char *sysname)
{
	char *name;
	int n;

	if (serial != NULL && serial[0] != '\0')
		n = asprintf(&name, "%s%s%s", serial, ifnum != NULL ? "-if" : "",
		    ifnum != NULL ? ifnum : "");
	else if (path != NULL && path[0] != '\0')
		n = asprintf(&name, "%s", path);
	else
		n = asprintf(&name, "%s", sysname);
	if (n == -1)
		return NULL;
	/* Names are A-Z a-z 0-9 _ . - (udev's ID_PATH has ':'), not starting
	 * with '.', at most CONFIG_NAME_MAX long. */
	for (char *p = name; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    (*p == '.' && p != name)))
			*p = '_';
	if (strlen(name) > CONFIG_NAME_MAX)
		name[CONFIG_NAME_MAX] = '\0';
	return name;
}

/* Whether T is listed. */
static int
source_host_wanted(const struct udev_tty *t)
{
	const char *k = udev_tty_sysname(t);

	if (source_host_in(host.consoles, k) || source_host_in(host.exclude, k))
		return 0;
	return udev_tty_hardware(t) || source_host_in(host.include, k);
}

static void
source_host_ports_free(struct source_host_port *ports, size_t n)
{
	for (size_t i = 0; ports != NULL && i < n; i++) {
		if (ports[i].name != ports[i].base)
			free(ports[i].name);
		free(ports[i].base);
	}
	free(ports);
}

/* The ports to list now, named; *N of them. NULL with *N 0 on ENOMEM. */
static struct source_host_port *
source_host_ports(size_t *n)
{
	size_t count = udev_tty_count(), k = 0;
	struct source_host_port *ports = calloc(count + 1, sizeof *ports);

	*n = 0;
	if (ports == NULL)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		const struct udev_tty *t = udev_tty_at(i);

		if (!source_host_wanted(t))
			continue;
		ports[k].tty = t;
		ports[k].base = source_host_name(udev_tty_property(t, "ID_SERIAL"),
		    udev_tty_property(t, "ID_USB_INTERFACE_NUM"),
		    udev_tty_property(t, "ID_PATH"), udev_tty_sysname(t));
		if (ports[k].base == NULL)
			goto nomem;
		k++;
	}
	for (size_t i = 0; i < k; i++)
		ports[i].name = ports[i].base;
	/* Two ports with one identity (adapters that all say serial 0001):
	 * never guess which is which; each gets its kernel name added, cut
	 * so that the kernel name stays whole. */
	for (size_t i = 0; i < k; i++) {
		const char *sys = udev_tty_sysname(ports[i].tty);
		size_t j, room = strlen(sys) < CONFIG_NAME_MAX ? CONFIG_NAME_MAX - strlen(sys) - 1 : 0;
		char *longer;

		for (j = 0; j < k; j++)
			if (j != i && ports[j].base != NULL &&
			    strcmp(ports[i].base, ports[j].base) == 0)
				break;
		if (j == k)
			continue;
		if (asprintf(&longer, "%.*s-%s", (int)room, ports[i].base, sys) == -1)
			goto nomem;
		ports[i].name = longer;
	}
	*n = k;
	return ports;
nomem:
	source_host_ports_free(ports, k);
	log_error("%s: out of memory", __func__);
	return NULL;
}


/* Make the domain's devices match the ports there are now. */
static void
source_host_sync(void)
{
	struct registry_device *v, *next;
	struct source_host_port *ports;
	char backend[4200], *cause = NULL;
	size_t n, i;

	if (host.dom == NULL || (ports = source_host_ports(&n)) == NULL)
		return;
	for (v = registry_device_first(host.dom); v != NULL; v = next) {
		next = registry_device_next(v);
		if (registry_device_source(v) != source_host)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(ports[i].name, registry_device_name(v)) == 0)
				break;
		snprintf(backend, sizeof backend, "tty:%s",
		    i < n ? udev_tty_devnode(ports[i].tty) : "");
		if (i < n && strcmp(console_backend(registry_device_console(v)), backend) == 0 &&
		    opts_equal(registry_device_opts(v), &host.opts))
			continue;
		log_info("%s: %s/%s (%s): gone", __func__, SOURCE_HOST_DOMAIN,
		    registry_device_name(v), console_backend(registry_device_console(v)) + 4);
		registry_device_remove(v);
	}
	for (i = 0; i < n; i++) {
		if (registry_device_find(host.dom, ports[i].name) != NULL)
			continue;
		snprintf(backend, sizeof backend, "tty:%s", udev_tty_devnode(ports[i].tty));
		if (registry_device_add(host.dom, ports[i].name, backend, &host.opts,
		    source_host, &cause) == NULL)
			log_error("%s: %s/%s (%s): %s", __func__, SOURCE_HOST_DOMAIN,
			    ports[i].name, backend + 4, cause != NULL ? cause : strerror(errno));
		else
			log_info("%s: %s/%s (%s): there", __func__, SOURCE_HOST_DOMAIN,
			    ports[i].name, backend + 4);
		free(cause);
		cause = NULL;
	}
	source_host_ports_free(ports, n);
}

static void
source_host_event(void *arg, const struct udev_tty *t, int present)
{
	(void)arg, (void)t, (void)present;
	source_host_sync();
}

/* The machine's consoles from sysfs ("tty0 ttyS0"), as a word list. */
static char **
source_host_read_consoles(void)
{
	char line[512] = "";
	const char *why;
	char **words;
	FILE *f = fopen(SOURCE_HOST_CONSOLES, "re");

	if (f != NULL) {
		if (fgets(line, sizeof line, f) == NULL)
			line[0] = '\0';
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	if (line[0] == '\0' || (words = words_split(line, &why)) == NULL)
		return calloc(1, sizeof (char *));
	return words;
}

static char **
source_host_copy_words(char *const *src)
{
	size_t n = 0;
	char **dst;

	while (src != NULL && src[n] != NULL)
		n++;
	if ((dst = calloc(n + 1, sizeof *dst)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((dst[i] = strdup(src[i])) == NULL) {
			words_free(dst);
			return NULL;
		}
	return dst;
}

/* " ttyS0 tty0" for a log line (static buffer). */
static const char *
source_host_list(char *const *words)
{
	static char buf[256];

	buf[0] = '\0';
	for (; words != NULL && *words != NULL; words++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " %s", *words);
	return buf;
}

/* Stop showing the ports. */
static void
source_host_stop(void)
{
	if (host.subscribed)
		udev_unsubscribe(source_host_event, NULL);
	host.subscribed = 0;
	if (host.dom != NULL) {
		log_info("%s: domain %s removed", __func__, SOURCE_HOST_DOMAIN);
		registry_domain_remove(host.dom);
	}
	host.dom = NULL;
}

/* Show or stop showing the host's serial ports as CF says. */
int
source_host_apply(struct registry *r, const struct config *cf, char **cause)
{
	struct registry_perm perm = { 0, 0, CONFIG_DEFAULT_MODE };
	unsigned char uuid[16];
	struct registry_domain *d;

	*cause = NULL;
	host.reg = r;
	if (!cf->host_serial) {
		source_host_stop();
		return 0;
	}
	words_free(host.exclude);
	words_free(host.include);
	words_free(host.consoles);
	opts_clear(&host.opts);
	host.exclude = source_host_copy_words(cf->host_serial_exclude);
	host.include = source_host_copy_words(cf->host_serial_include);
	host.consoles = source_host_read_consoles();
	if (host.exclude == NULL || host.include == NULL || host.consoles == NULL ||
	    opts_copy(&host.opts, &cf->opts) == -1) {
		*cause = strdup("host_serial: out of memory");
		return -1;
	}
	if (host.dom == NULL) {
		d = registry_domain_find(r, SOURCE_HOST_DOMAIN);
		if (d != NULL && registry_domain_source(d) != source_host) {
			if (asprintf(cause, "host_serial: the domain name '%s' is taken "
			    "(by the configuration file or another source): the host's serial "
			    "ports are not shown", SOURCE_HOST_DOMAIN) == -1)
				*cause = NULL;
			log_error("%s: %s", __func__, *cause != NULL ? *cause : "out of memory");
			return -1;
		}
		config_uuid_from_name(SOURCE_HOST_DOMAIN, uuid);
		if ((host.dom = registry_domain_add(r, SOURCE_HOST_DOMAIN, uuid, &perm,
		    source_host)) == NULL) {
			if (asprintf(cause, "host_serial: cannot make domain '%s': %s",
			    SOURCE_HOST_DOMAIN, strerror(errno)) == -1)
				*cause = NULL;
			log_error("%s: %s", __func__, *cause != NULL ? *cause : "out of memory");
			return -1;
		}
		log_info("%s: domain %s: the host's serial ports (never the machine's "
		    "console%s)", __func__, SOURCE_HOST_DOMAIN, source_host_list(host.consoles));
	}
	if (!host.subscribed) {
		/* The first subscriber's enumeration calls source_host_event
		 * for every tty there is. */
		if (udev_subscribe(source_host_event, NULL) == -1) {
			*cause = strdup("host_serial: out of memory");
			return -1;
		}
		host.subscribed = 1;
	}
	source_host_sync();
	return 0;
}

/* Remove the domain and stop following the ports. */
void
source_host_free(void)
{
	source_host_stop();
	words_free(host.exclude);
	words_free(host.include);
	words_free(host.consoles);
	opts_clear(&host.opts);
	memset(&host, 0, sizeof host);
}
