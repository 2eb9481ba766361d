/*
 * source_runtime.h — domains and devices made at run time through the
 * mounted tree (mkdir, ln -s, rm, rmdir), the way configfs is driven. They
 * last until the daemon stops; a reload of the configuration keeps them.
 * Not for deciding who may do it (fs/ lets only root).
 */
#ifndef CONSOLEFS_SOURCE_RUNTIME_H
#define CONSOLEFS_SOURCE_RUNTIME_H

#include "core/registry.h"

struct opts;

/* What runtime calls added (registry_domain_source says). */
extern const registry_source source_runtime;

/* The settings of devices made from now on: [global]'s of the
 * configuration in force (copied; NULL: the defaults). */
void source_runtime_set_opts(const struct opts *o);
/* Forget the settings (at exit). */
void source_runtime_free(void);

/* A new empty domain NAME (UUID derived from the name). NULL and errno
 * EINVAL, ENAMETOOLONG, EEXIST (the name or the UUID is taken), ENOMEM. */
struct registry_domain *source_runtime_mkdir(struct registry *r, const char *name);
/* A new device NAME in D whose backend is TARGET (a backend string, or a
 * bare /dev path: pty: under /dev/pts, else tty:). NULL and errno EINVAL
 * (*CAUSE says why, malloc'd, when TARGET is no backend), ENAMETOOLONG,
 * EEXIST, ENOMEM. */
struct registry_device *source_runtime_link(struct registry_domain *d, const char *name,
    const char *target, char **cause);
/* Remove device NAME of D: 0, or -1 ENOENT. */
int source_runtime_unlink(struct registry_domain *d, const char *name);
/* Remove the empty domain NAME: 0, or -1 ENOENT or ENOTEMPTY. */
int source_runtime_rmdir(struct registry *r, const char *name);

#endif
