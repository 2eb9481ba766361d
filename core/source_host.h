/*
 * source_host.h — the host's serial ports as a source of devices: with
 * `host_serial = yes`, a domain "host" with one device per hardware serial
 * port, named by udev identity and following hotplug. Not for following the
 * ttys (udev.c) nor for opening them (backend_tty.c).
 */
#ifndef CONSOLEFS_SOURCE_HOST_H
#define CONSOLEFS_SOURCE_HOST_H

#include "core/registry.h"

struct config;

#define SOURCE_HOST_DOMAIN "host"

/* What the host-serial source added (registry_domain_source says). */
extern const registry_source source_host;

/* Show or stop showing the host's serial ports in R as CF says
 * (host_serial, host_serial_exclude, host_serial_include and [global]'s
 * device settings); at start and after each reload. Devices that stay the
 * same keep their sessions. 0, or -1 with *CAUSE (malloc'd) when the
 * domain cannot be made (its name is taken). */
int source_host_apply(struct registry *r, const struct config *cf, char **cause);
/* Remove the domain and stop following the ports (NULL-safe; at exit). */
void source_host_free(void);

/* The device name of a port (malloc'd): ID_SERIAL plus "-ifNN" (the
 * interface), else ID_PATH, else the kernel name, with characters a name
 * cannot have turned into '_' and cut to a name's length; NULL on ENOMEM.
 * SERIAL, IFNUM and PATH may be NULL. */
char *source_host_name(const char *serial, const char *ifnum, const char *path,
    const char *sysname);

#endif
