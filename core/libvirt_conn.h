/*
 * libvirt_conn.h — watched connections to libvirt, one per URI, shared by
 * everything that uses that URI (a [libvirt] source, libvirt: backends),
 * and what each connection knows of its guests: name, UUID, running or
 * not, and the aliases of their console devices (serial, console,
 * parallel, pty channels) with the pty each has while it runs. Lifecycle
 * events keep it current; a connection that drops is reopened with
 * back-off. Not for the tree (source_libvirt.c) nor for console streams
 * (backend_libvirt.c). Runs on the loop given to libvirt_loop_register.
 */
#ifndef CONSOLEFS_LIBVIRT_CONN_H
#define CONSOLEFS_LIBVIRT_CONN_H

#include <stddef.h>

#include <libvirt/libvirt.h>

struct libvirt_conn;
struct libvirt_conn_domain;
struct libvirt_conn_listener;

enum libvirt_conn_event {
	LIBVIRT_CONN_UP,		/* connected; the guests are known (D: NULL) */
	LIBVIRT_CONN_DOWN,		/* the connection went (D: NULL); the guests
					   are still listed, none running */
	LIBVIRT_CONN_DOMAIN,		/* D appeared or changed (started, stopped,
					   devices changed) while up */
	LIBVIRT_CONN_DOMAIN_GONE,	/* D is about to be forgotten */
};

/* What a listener hears; D is valid during the call only. */
typedef void libvirt_conn_fn(void *arg, struct libvirt_conn *c,
    enum libvirt_conn_event ev, struct libvirt_conn_domain *d);

/* The connection to URI, shared: a new reference (created, and connecting,
 * when it is the first). NULL with errno on failure (no libvirt loop:
 * ENXIO). */
struct libvirt_conn *libvirt_conn_get(const char *uri);
/* Drop a reference; the last one closes the connection (NULL is ok). */
void libvirt_conn_put(struct libvirt_conn *c);
/* Tell FN about C's events until libvirt_conn_unlisten. NULL on ENOMEM. */
struct libvirt_conn_listener *libvirt_conn_listen(struct libvirt_conn *c,
    libvirt_conn_fn *fn, void *arg);
/* Stop telling (NULL is ok); safe inside a callback. */
void libvirt_conn_unlisten(struct libvirt_conn_listener *l);

const char *libvirt_conn_uri(const struct libvirt_conn *c);
/* Whether the URI names this host's libvirt (no host part, unix socket):
 * its ptys and lock files are ours to see. */
int libvirt_conn_local(const struct libvirt_conn *c);
/* The open connection, or NULL while down. */
virConnectPtr libvirt_conn_ptr(const struct libvirt_conn *c);

/* The guests, in the order first seen: first, next (NULL at the end). */
struct libvirt_conn_domain *libvirt_conn_domain_first(const struct libvirt_conn *c);
struct libvirt_conn_domain *libvirt_conn_domain_next(const struct libvirt_conn_domain *d);
/* A guest by name, or NULL. */
struct libvirt_conn_domain *libvirt_conn_domain_find(const struct libvirt_conn *c,
    const char *name);
const char *libvirt_conn_domain_name(const struct libvirt_conn_domain *d);
const unsigned char *libvirt_conn_domain_uuid(const struct libvirt_conn_domain *d);
/* Whether it runs (always 0 while the connection is down). */
int libvirt_conn_domain_active(const struct libvirt_conn_domain *d);
/* How many times it was seen starting (a new run, a new pty). */
unsigned int libvirt_conn_domain_runs(const struct libvirt_conn_domain *d);
/* Its console devices: how many, the alias of the Ith, and its pty while
 * running (NULL otherwise, or when libvirt did not say). */
size_t libvirt_conn_domain_ndevs(const struct libvirt_conn_domain *d);
const char *libvirt_conn_domain_dev_alias(const struct libvirt_conn_domain *d, size_t i);
const char *libvirt_conn_domain_dev_pty(const struct libvirt_conn_domain *d, size_t i);
/* The index of device ALIAS, or -1. */
int libvirt_conn_domain_dev_find(const struct libvirt_conn_domain *d, const char *alias);

/* Parse a domain's XML (libvirt's virDomainGetXMLDesc) into console device
 * aliases and ptys: *ALIASES and *PTYS get N malloc'd entries (a pty may be
 * NULL). Aliases missing from inactive XML are made the way libvirt's QEMU
 * driver makes them at start. 0, or -1 (not domain XML, ENOMEM). */
int libvirt_conn_parse_devices(const char *xml, char ***aliases, char ***ptys,
    size_t *n);

#endif
