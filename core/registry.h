/*
 * registry.h — the tree of domains and devices. Sources fill it (the
 * configuration file, runtime mkdir/ln -s, the udev host-serial domain,
 * libvirt connections) and fs/ serves it. Every domain and device has an
 * id that is never reused (fs/ derives inode numbers from it), names are
 * looked up in hashes, domains also by UUID, and children keep the order
 * they were added in (readdir). Not for FUSE, not for relaying bytes
 * (console.c).
 *
 * A device owns its struct console, created from the backend string and
 * settings when the device is added and freed when it is removed (its
 * session, if any, then reads end of file).
 */
#ifndef CONSOLEFS_REGISTRY_H
#define CONSOLEFS_REGISTRY_H

#include <stdint.h>
#include <sys/types.h>

struct console;
struct console_opts;
struct loop;
struct opts;
struct registry;
struct registry_domain;
struct registry_device;

/* Owner, group and mode of a domain's device files. */
struct registry_perm {
	uid_t	uid;
	gid_t	gid;
	mode_t	mode;
};

/* Who added a domain or device: a reload of the configuration file touches
 * only what the file added; runtime mkdir/ln -s, host-serial and libvirt
 * entries are kept. A source is any unique address (its own state). */
typedef const void *registry_source;

enum registry_event {
	REGISTRY_DOMAIN_ADDED,		/* after the add */
	REGISTRY_DOMAIN_REMOVED,	/* before the removal (its devices went first) */
	REGISTRY_DOMAIN_UUID,		/* before the UUID changes */
	REGISTRY_DOMAIN_PERM,		/* after the permissions changed */
	REGISTRY_DEVICE_ADDED,
	REGISTRY_DEVICE_REMOVED,
};

/* The listener (fs/, keeping the kernel's caches right): D and V (V only
 * for device events) are still valid during the call. */
typedef void registry_event_fn(void *arg, enum registry_event ev,
    struct registry_domain *d, struct registry_device *v);

/* A registry on LP; devices get console options from COPTS (lock dir, force
 * reservation), copied. NULL with errno on failure. */
struct registry *registry_new(struct loop *lp, const struct console_opts *copts);
/* Free the registry and everything in it (NULL is ok). */
void registry_free(struct registry *r);
/* Tell FN about every entry that appears or goes (one listener). */
void registry_set_listener(struct registry *r, registry_event_fn *fn, void *arg);
/* The number of domains; of devices in all domains. */
size_t registry_ndomains(const struct registry *r);
size_t registry_ndevices(const struct registry *r);
/* Call FN for every console (stopping the daemon, hanging up children). */
void registry_each_console(struct registry *r, void (*fn)(struct console *));

/* Add domain NAME with UUID (16 bytes) whose devices get PERM. NULL and
 * errno EINVAL (bad name), ENAMETOOLONG, EEXIST (name or UUID taken) or
 * ENOMEM. */
struct registry_domain *registry_domain_add(struct registry *r, const char *name,
    const unsigned char uuid[16], const struct registry_perm *perm,
    registry_source src);
/* Remove D and its devices (NULL is ok). */
void registry_domain_remove(struct registry_domain *d);
struct registry_domain *registry_domain_find(const struct registry *r, const char *name);
/* By UUID text ("3c1f0d4e-..."), any case. */
struct registry_domain *registry_domain_by_uuid(const struct registry *r, const char *uuid);
struct registry_domain *registry_domain_by_id(const struct registry *r, uint64_t id);
/* Domains in the order they were added: first, next (NULL at the end). */
struct registry_domain *registry_domain_first(const struct registry *r);
struct registry_domain *registry_domain_next(const struct registry_domain *d);
/* The first domain added after id AFTER (resuming a listing). */
struct registry_domain *registry_domain_after(const struct registry *r, uint64_t after);
const char *registry_domain_name(const struct registry_domain *d);
uint64_t registry_domain_id(const struct registry_domain *d);
/* The UUID as 16 bytes and as lower-case text. */
const unsigned char *registry_domain_uuid(const struct registry_domain *d);
const char *registry_domain_uuid_text(const struct registry_domain *d);
registry_source registry_domain_source(const struct registry_domain *d);
void registry_domain_set_source(struct registry_domain *d, registry_source src);
const struct registry_perm *registry_domain_perm(const struct registry_domain *d);
/* New owner/group/mode for the domain's devices (those added with the
 * domain's permissions follow). */
void registry_domain_set_perm(struct registry_domain *d, const struct registry_perm *perm);
/* Change the UUID: 0, or -1 EEXIST when another domain has it. */
int registry_domain_set_uuid(struct registry_domain *d, const unsigned char uuid[16]);
size_t registry_domain_ndevices(const struct registry_domain *d);
struct registry *registry_domain_registry(const struct registry_domain *d);

/* Add device NAME with BACKEND (a backend string) and settings O to D,
 * creating its console (an exec: program starts). NULL and errno EINVAL
 * (bad name, or not a backend string: *CAUSE says why, malloc'd),
 * ENAMETOOLONG, EEXIST, ENOMEM. */
struct registry_device *registry_device_add(struct registry_domain *d, const char *name,
    const char *backend, const struct opts *o, registry_source src, char **cause);
/* Remove a device: its session reads end of file, its program is stopped
 * (NULL is ok). */
void registry_device_remove(struct registry_device *v);
struct registry_device *registry_device_find(const struct registry_domain *d, const char *name);
struct registry_device *registry_device_by_id(const struct registry *r, uint64_t id);
struct registry_device *registry_device_first(const struct registry_domain *d);
struct registry_device *registry_device_next(const struct registry_device *v);
struct registry_device *registry_device_after(const struct registry_domain *d, uint64_t after);
const char *registry_device_name(const struct registry_device *v);
uint64_t registry_device_id(const struct registry_device *v);
struct registry_domain *registry_device_domain(const struct registry_device *v);
struct console *registry_device_console(const struct registry_device *v);
const struct opts *registry_device_opts(const struct registry_device *v);
registry_source registry_device_source(const struct registry_device *v);
void registry_device_set_source(struct registry_device *v, registry_source src);
/* Owner, group, mode of the device file (the domain's). */
const struct registry_perm *registry_device_perm(const struct registry_device *v);

#endif
