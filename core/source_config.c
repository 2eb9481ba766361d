/*
 * source_config.c — apply a parsed configuration file to the registry,
 * at start and at every reload (SIGHUP). The work is proportional to the
 * file and to what changed: lookups go through the registry's hashes, and
 * an unchanged device is compared (backend string, settings) and left as it
 * is, its session untouched.
 *
 * Ownership: the file only removes what it added. Domains and devices made
 * at run time (mkdir, ln -s) stay across reloads; when the file names one
 * of them, the file's version takes over. Entries of other sources (the
 * host-serial domain, libvirt guests) are never touched: a clash is logged
 * and the file's entry is left out until the name is free.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/console.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/registry.h"
#include "core/source_config.h"
#include "core/source_runtime.h"

static const char source_config_tag = 'c';
const registry_source source_config = &source_config_tag;

/* Note an error: log it, keep the first for the caller. */
static void __attribute__((format(printf, 2, 3)))
source_config_error(char **cause, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	log_error("%s: %s", __func__, msg != NULL ? msg : "out of memory");
	if (*cause == NULL)
		*cause = msg;
	else
		free(msg);
}

static int
source_config_ours(registry_source src)
{
	return src == source_config || src == source_runtime;
}

/* Make domain D's devices match CD's. */
static void
source_config_devices(struct registry_domain *d, const struct config_domain *cd,
    char **cause)
{
	struct registry_device *v, *next;
	const struct config_device *dev;
	struct hash *want = hash_new();
	char *why = NULL;

	if (want == NULL) {
		source_config_error(cause, "%s: out of memory", cd->name);
		return;
	}
	for (dev = cd->devices; dev != NULL; dev = dev->next)
		if (hash_put(want, dev->name, (void *)dev) == -1) {
			source_config_error(cause, "%s: out of memory", cd->name);
			hash_free(want);
			return;
		}
	for (v = registry_device_first(d); v != NULL; v = next) {
		next = registry_device_next(v);
		dev = hash_get(want, registry_device_name(v));
		if (dev == NULL) {
			if (registry_device_source(v) == source_config) {
				log_info("%s: %s/%s: removed", __func__, cd->name,
				    registry_device_name(v));
				registry_device_remove(v);
			}
			continue;
		}
		if (strcmp(console_backend(registry_device_console(v)), dev->backend) == 0 &&
		    opts_equal(registry_device_opts(v), &dev->opts)) {
			registry_device_set_source(v, source_config);
			/* Named anew: a pty: device whose pseudo-terminal went
			 * away binds to the one there now. */
			console_rebind(registry_device_console(v));
			continue;
		}
		log_info("%s: %s/%s: %s changed: restarting it", __func__, cd->name,
		    dev->name, strcmp(console_backend(registry_device_console(v)),
		    dev->backend) != 0 ? "backend" : "settings");
		registry_device_remove(v);
	}
	for (dev = cd->devices; dev != NULL; dev = dev->next) {
		if (registry_device_find(d, dev->name) != NULL)
			continue;
		if (registry_device_add(d, dev->name, dev->backend, &dev->opts,
		    source_config, &why) == NULL)
			source_config_error(cause, "%s/%s: %s", cd->name, dev->name,
			    why != NULL ? why : strerror(errno));
		free(why);
		why = NULL;
	}
	hash_free(want);
}

/* Make the registry match CF. */
int
source_config_apply(struct registry *r, const struct config *cf, char **cause)
{
	struct registry_domain *d, *next;
	const struct config_domain *cd;
	struct hash *want = hash_new();
	struct registry_perm perm;

	*cause = NULL;
	if (want == NULL) {
		source_config_error(cause, "out of memory");
		return -1;
	}
	for (cd = cf->domains; cd != NULL; cd = cd->next)
		if (hash_put(want, cd->name, (void *)cd) == -1) {
			source_config_error(cause, "out of memory");
			hash_free(want);
			return -1;
		}
	/* Gone from the file: its domains go, and with them any device made
	 * in them at run time. */
	for (d = registry_domain_first(r); d != NULL; d = next) {
		next = registry_domain_next(d);
		if (registry_domain_source(d) == source_config &&
		    hash_get(want, registry_domain_name(d)) == NULL) {
			log_info("%s: domain %s removed", __func__, registry_domain_name(d));
			registry_domain_remove(d);
		}
	}
	for (cd = cf->domains; cd != NULL; cd = cd->next) {
		perm.uid = cd->owner;
		perm.gid = cd->group;
		perm.mode = cd->mode & 07777;
		d = registry_domain_find(r, cd->name);
		if (d != NULL && !source_config_ours(registry_domain_source(d))) {
			source_config_error(cause, "domain %s: the name is taken by another "
			    "source (libvirt or the host's serial ports): left out", cd->name);
			continue;
		}
		if (d == NULL) {
			d = registry_domain_add(r, cd->name, cd->uuid, &perm, source_config);
			if (d == NULL) {
				source_config_error(cause, "domain %s: %s", cd->name,
				    errno == EEXIST ? "its uuid is taken by another domain" :
				    strerror(errno));
				continue;
			}
		} else {
			registry_domain_set_source(d, source_config);
			registry_domain_set_perm(d, &perm);
			if (registry_domain_set_uuid(d, cd->uuid) == -1)
				source_config_error(cause, "domain %s: its new uuid is taken by "
				    "another domain: keeping the old one", cd->name);
		}
		source_config_devices(d, cd, cause);
	}
	hash_free(want);
	return *cause == NULL ? 0 : -1;
}
