/*
 * source_runtime.c — mkdir, ln -s, rm and rmdir on the mounted tree, as a
 * source of the registry. A device made here gets [global]'s settings of
 * the configuration in force. Removing works on whatever source added the
 * entry (root asked for it); a reload brings back what the file names.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/config.h"
#include "core/log.h"
#include "core/opts.h"
#include "core/registry.h"
#include "core/source_runtime.h"

static const char source_runtime_tag = 'r';
const registry_source source_runtime = &source_runtime_tag;

static struct opts source_runtime_opts;
static int source_runtime_have_opts;

/* The settings of devices made from now on. */
void
source_runtime_set_opts(const struct opts *o)
{
	struct opts copy;

	if (o == NULL) {
		source_runtime_free();
		return;
	}
	if (opts_copy(&copy, o) == -1) {
		log_error("%s: out of memory: runtime devices keep the old settings", __func__);
		return;
	}
	source_runtime_free();
	source_runtime_opts = copy;
	source_runtime_have_opts = 1;
}

/* Forget the settings. */
void
source_runtime_free(void)
{
	if (source_runtime_have_opts)
		opts_clear(&source_runtime_opts);
	source_runtime_have_opts = 0;
}

/* A new empty domain NAME. */
struct registry_domain *
source_runtime_mkdir(struct registry *r, const char *name)
{
	struct registry_perm perm = { .uid = 0, .gid = 0, .mode = CONFIG_DEFAULT_MODE };
	struct registry_domain *d;
	unsigned char uuid[16];

	config_uuid_from_name(name, uuid);
	if ((d = registry_domain_add(r, name, uuid, &perm, source_runtime)) != NULL)
		log_info("%s: domain %s made", __func__, name);
	return d;
}

/* A new device NAME in D whose backend is TARGET. */
struct registry_device *
source_runtime_link(struct registry_domain *d, const char *name, const char *target,
    char **cause)
{
	struct registry_device *v;

	v = registry_device_add(d, name, target,
	    source_runtime_have_opts ? &source_runtime_opts : NULL, source_runtime, cause);
	if (v != NULL)
		log_info("%s: device %s/%s made: %s", __func__, registry_domain_name(d),
		    name, target);
	return v;
}

/* Remove device NAME of D. */
int
source_runtime_unlink(struct registry_domain *d, const char *name)
{
	struct registry_device *v = registry_device_find(d, name);

	if (v == NULL) {
		errno = ENOENT;
		return -1;
	}
	log_info("%s: device %s/%s removed", __func__, registry_domain_name(d), name);
	registry_device_remove(v);
	return 0;
}

/* Remove the empty domain NAME. */
int
source_runtime_rmdir(struct registry *r, const char *name)
{
	struct registry_domain *d = registry_domain_find(r, name);

	if (d == NULL) {
		errno = ENOENT;
		return -1;
	}
	if (registry_domain_ndevices(d) > 0) {
		errno = ENOTEMPTY;
		return -1;
	}
	log_info("%s: domain %s removed", __func__, name);
	registry_domain_remove(d);
	return 0;
}
