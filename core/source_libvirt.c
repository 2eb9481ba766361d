/*
 * source_libvirt.c — [libvirt NAME] sections fill the tree with the guests
 * of their connections (see source_libvirt.h).
 *
 * Each section is a registry source of its own, so a reload, another
 * section or the configuration file never touch its entries, and it
 * touches only its own: a name that is already taken (a [domain] section,
 * runtime mkdir, another hypervisor's guest of the same name without a
 * prefix) is logged and left out; the configured one wins, also when it
 * arrives later with a reload (source_libvirt_apply runs before the file is
 * applied and gives up the names the file now claims).
 *
 * What libvirt says is mirrored, not interpreted: a defined guest is a
 * directory whether it runs or not; its devices are always listed (from
 * the inactive XML while it is shut off) and their state says present or
 * absent. The work per event is one guest; a full pass over a section's
 * guests runs only when its connection comes up (start, reconnect) and
 * after a reload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/hash.h"
#include "core/libvirt_conn.h"
#include "core/libvirt_loop.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/opts.h"
#include "core/registry.h"
#include "core/source_libvirt.h"

struct slv_section {
	struct source_libvirt		*sl;
	char				*name;
	char				*uri;
	char				*prefix;	/* NULL: none */
	struct registry_perm		 perm;
	struct opts			 opts;
	struct libvirt_conn		*conn;
	struct libvirt_conn_listener	*listener;
	struct slv_section		*next;
};

struct source_libvirt {
	struct registry		*reg;
	struct slv_section	*sections;
	struct hash		*claimed;	/* names of the file's [domain]s */
	char		       **claimed_names;	/* the keys' storage */
	size_t			 nclaimed;
	struct loop_timer	*resync;
};

/* The domain name of guest NAME in section SEC: "PREFIX-NAME" or "NAME";
 * -1 when it is not a usable name. */
static int
slv_domain_name(const struct slv_section *sec, const char *name, char *buf, size_t len)
{
	int n = sec->prefix != NULL ? snprintf(buf, len, "%s-%s", sec->prefix, name) :
	    snprintf(buf, len, "%s", name);

	if (n < 0 || (size_t)n >= len || config_check_name(buf, 0) == -1)
		return -1;
	return 0;
}

/* The guest name of domain NAME of SEC, or NULL when it is not one. */
static const char *
slv_guest_name(const struct slv_section *sec, const char *name)
{
	size_t n;

	if (sec->prefix == NULL)
		return name;
	n = strlen(sec->prefix);
	return strncmp(name, sec->prefix, n) == 0 && name[n] == '-' ? name + n + 1 : NULL;
}

/* Make the tree's copy of guest D match what the connection knows. */
static void
slv_sync_domain(struct slv_section *sec, const struct libvirt_conn_domain *d)
{
	struct registry *r = sec->sl->reg;
	const char *gname = libvirt_conn_domain_name(d);
	const unsigned char *uuid = libvirt_conn_domain_uuid(d);
	struct registry_domain *rd;
	struct registry_device *v, *vnext;
	char name[CONFIG_NAME_MAX + 2], backend[4096], *why = NULL;

	if (slv_domain_name(sec, gname, name, sizeof name) == -1) {
		log_info("%s: [libvirt %s] guest '%s' is left out: not a usable domain "
		    "name (1 to %d of A-Z a-z 0-9 _ . -)", __func__, sec->name, gname,
		    CONFIG_NAME_MAX);
		return;
	}
	if (hash_get(sec->sl->claimed, name) != NULL) {
		log_debug("%s: [libvirt %s] guest %s: the configuration file has a "
		    "[domain %s]; it wins", __func__, sec->name, gname, name);
		return;
	}
	rd = registry_domain_find(r, name);
	if (rd != NULL && registry_domain_source(rd) != sec) {
		log_warn("%s: [libvirt %s] guest %s is left out: the name %s is taken",
		    __func__, sec->name, gname, name);
		return;
	}
	if (rd == NULL) {
		rd = registry_domain_add(r, name, uuid, &sec->perm, sec);
		if (rd == NULL) {
			log_warn("%s: [libvirt %s] guest %s is left out: %s", __func__,
			    sec->name, gname, errno == EEXIST ?
			    "its UUID is another domain's" : strerror(errno));
			return;
		}
		log_info("%s: [libvirt %s] guest %s is domain %s", __func__, sec->name,
		    gname, name);
	} else if (memcmp(registry_domain_uuid(rd), uuid, 16) != 0 &&
	    registry_domain_set_uuid(rd, uuid) == -1)
		log_warn("%s: [libvirt %s] guest %s: its new UUID is another domain's",
		    __func__, sec->name, gname);
	for (size_t i = 0; i < libvirt_conn_domain_ndevs(d); i++) {
		const char *alias = libvirt_conn_domain_dev_alias(d, i);
		int n;

		if (registry_device_find(rd, alias) != NULL)
			continue;
		if (config_check_name(alias, 1) == -1) {
			log_info("%s: %s: device alias '%s' is left out: not a usable name",
			    __func__, name, alias);
			continue;
		}
		n = snprintf(backend, sizeof backend, "libvirt:%s#%s/%s", sec->uri, gname, alias);
		if (n < 0 || (size_t)n >= sizeof backend ||
		    registry_device_add(rd, alias, backend, &sec->opts, sec, &why) == NULL)
			log_warn("%s: %s/%s: %s", __func__, name, alias,
			    why != NULL ? why : "cannot add it");
		else
			log_debug("%s: %s/%s added", __func__, name, alias);
		free(why);
		why = NULL;
	}
	for (v = registry_device_first(rd); v != NULL; v = vnext) {
		vnext = registry_device_next(v);
		if (registry_device_source(v) == sec &&
		    libvirt_conn_domain_dev_find(d, registry_device_name(v)) == -1) {
			log_info("%s: %s/%s: libvirt no longer has it", __func__, name,
			    registry_device_name(v));
			registry_device_remove(v);
		}
	}
}

static void
slv_remove_domain(struct slv_section *sec, const char *gname)
{
	struct registry_domain *rd;
	char name[CONFIG_NAME_MAX + 2];

	if (slv_domain_name(sec, gname, name, sizeof name) == -1)
		return;
	rd = registry_domain_find(sec->sl->reg, name);
	if (rd != NULL && registry_domain_source(rd) == sec) {
		log_info("%s: [libvirt %s] guest %s is gone: domain %s removed", __func__,
		    sec->name, gname, name);
		registry_domain_remove(rd);
	}
}

/* A full pass: every guest of the connection, and none that it lost. */
static void
slv_sync_all(struct slv_section *sec)
{
	struct registry_domain *rd, *rnext;
	struct libvirt_conn_domain *d;

	if (sec->conn == NULL || libvirt_conn_ptr(sec->conn) == NULL)
		return;
	for (d = libvirt_conn_domain_first(sec->conn); d != NULL; d = libvirt_conn_domain_next(d))
		slv_sync_domain(sec, d);
	for (rd = registry_domain_first(sec->sl->reg); rd != NULL; rd = rnext) {
		const char *g;

		rnext = registry_domain_next(rd);
		if (registry_domain_source(rd) != sec)
			continue;
		g = slv_guest_name(sec, registry_domain_name(rd));
		if (g == NULL || libvirt_conn_domain_find(sec->conn, g) == NULL ||
		    hash_get(sec->sl->claimed, registry_domain_name(rd)) != NULL) {
			log_info("%s: [libvirt %s] domain %s removed", __func__, sec->name,
			    registry_domain_name(rd));
			registry_domain_remove(rd);
		}
	}
}

static void
slv_conn_event(void *arg, struct libvirt_conn *c, enum libvirt_conn_event ev,
    struct libvirt_conn_domain *d)
{
	struct slv_section *sec = arg;

	(void)c;
	switch (ev) {
	case LIBVIRT_CONN_UP:
		slv_sync_all(sec);
		break;
	case LIBVIRT_CONN_DOWN:
		/* The guests stay, their devices absent, until it is back. */
		break;
	case LIBVIRT_CONN_DOMAIN:
		slv_sync_domain(sec, d);
		break;
	case LIBVIRT_CONN_DOMAIN_GONE:
		slv_remove_domain(sec, libvirt_conn_domain_name(d));
		break;
	}
}

/* Remove SEC's domains (and its devices in other domains: none, since it
 * adds devices only to its own domains). */
static void
slv_remove_all(struct slv_section *sec)
{
	struct registry_domain *rd, *rnext;

	for (rd = registry_domain_first(sec->sl->reg); rd != NULL; rd = rnext) {
		rnext = registry_domain_next(rd);
		if (registry_domain_source(rd) == sec)
			registry_domain_remove(rd);
	}
}

static void
slv_section_free(struct slv_section *sec)
{
	libvirt_conn_unlisten(sec->listener);
	slv_remove_all(sec);
	libvirt_conn_put(sec->conn);
	opts_clear(&sec->opts);
	free(sec->name);
	free(sec->uri);
	free(sec->prefix);
	free(sec);
}

static struct slv_section *
slv_section_new(struct source_libvirt *sl, const struct config_libvirt *cl)
{
	struct slv_section *sec = calloc(1, sizeof *sec);

	if (sec == NULL)
		return NULL;
	sec->sl = sl;
	opts_init(&sec->opts);
	if ((sec->name = strdup(cl->name)) == NULL || (sec->uri = strdup(cl->uri)) == NULL ||
	    (cl->prefix != NULL && (sec->prefix = strdup(cl->prefix)) == NULL) ||
	    opts_copy(&sec->opts, &cl->opts) == -1) {
		slv_section_free(sec);
		return NULL;
	}
	sec->perm = cl->perm;
	if ((sec->conn = libvirt_conn_get(sec->uri)) == NULL) {
		log_error("%s: [libvirt %s] cannot use %s: %s", __func__, sec->name,
		    sec->uri, strerror(errno));
		return sec;
	}
	if ((sec->listener = libvirt_conn_listen(sec->conn, slv_conn_event, sec)) == NULL) {
		slv_section_free(sec);
		return NULL;
	}
	log_info("%s: [libvirt %s] %s%s%s", __func__, sec->name, sec->uri,
	    sec->prefix != NULL ? ", domains named " : "",
	    sec->prefix != NULL ? sec->prefix : "");
	return sec;
}

static int
slv_same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static void
slv_resync(struct loop *lp, void *arg)
{
	struct source_libvirt *sl = arg;

	(void)lp;
	sl->resync = NULL;
	for (struct slv_section *sec = sl->sections; sec != NULL; sec = sec->next)
		slv_sync_all(sec);
}

static void
slv_claim(struct source_libvirt *sl, const struct config *cf)
{
	size_t n = 0;

	for (size_t i = 0; i < sl->nclaimed; i++)
		free(sl->claimed_names[i]);
	free(sl->claimed_names);
	sl->claimed_names = NULL;
	sl->nclaimed = 0;
	hash_free(sl->claimed);
	sl->claimed = hash_new();
	for (const struct config_domain *cd = cf->domains; cd != NULL; cd = cd->next)
		n++;
	if (sl->claimed == NULL ||
	    (n > 0 && (sl->claimed_names = calloc(n, sizeof *sl->claimed_names)) == NULL)) {
		log_error("%s: out of memory", __func__);
		return;
	}
	for (const struct config_domain *cd = cf->domains; cd != NULL; cd = cd->next) {
		char *name = strdup(cd->name);

		if (name == NULL || hash_put(sl->claimed, name, name) == -1) {
			free(name);
			log_error("%s: out of memory", __func__);
			return;
		}
		sl->claimed_names[sl->nclaimed++] = name;
	}
}

/* Make the sections match CF's. */
void
source_libvirt_apply(struct source_libvirt *sl, const struct config *cf)
{
	struct slv_section **sp, *sec;
	const struct config_libvirt *cl;

	slv_claim(sl, cf);
	for (sp = &sl->sections; (sec = *sp) != NULL;) {
		for (cl = cf->libvirts; cl != NULL; cl = cl->next)
			if (strcmp(cl->name, sec->name) == 0)
				break;
		if (cl == NULL || strcmp(cl->uri, sec->uri) != 0 || !slv_same(cl->prefix, sec->prefix)) {
			log_info("%s: [libvirt %s] %s", __func__, sec->name,
			    cl == NULL ? "removed" : "changed: starting over");
			*sp = sec->next;
			slv_section_free(sec);
			continue;
		}
		if (cl->perm.uid != sec->perm.uid || cl->perm.gid != sec->perm.gid ||
		    cl->perm.mode != sec->perm.mode) {
			sec->perm = cl->perm;
			for (struct registry_domain *rd = registry_domain_first(sl->reg);
			    rd != NULL; rd = registry_domain_next(rd))
				if (registry_domain_source(rd) == sec)
					registry_domain_set_perm(rd, &sec->perm);
		}
		if (!opts_equal(&cl->opts, &sec->opts)) {
			struct opts o;

			/* New settings: the devices are made again with them by the
			 * pass below (their sessions end). */
			opts_init(&o);
			if (opts_copy(&o, &cl->opts) == 0) {
				opts_clear(&sec->opts);
				sec->opts = o;
				log_info("%s: [libvirt %s] settings changed: devices restarted",
				    __func__, sec->name);
				for (struct registry_domain *rd = registry_domain_first(sl->reg);
				    rd != NULL; rd = registry_domain_next(rd)) {
					struct registry_device *v, *vnext;

					if (registry_domain_source(rd) != sec)
						continue;
					for (v = registry_device_first(rd); v != NULL; v = vnext) {
						vnext = registry_device_next(v);
						if (registry_device_source(v) == sec)
							registry_device_remove(v);
					}
				}
			}
		}
		sp = &sec->next;
	}
	for (cl = cf->libvirts; cl != NULL; cl = cl->next) {
		for (sec = sl->sections; sec != NULL; sec = sec->next)
			if (strcmp(cl->name, sec->name) == 0)
				break;
		if (sec != NULL)
			continue;
		if ((sec = slv_section_new(sl, cl)) == NULL) {
			log_error("%s: [libvirt %s]: out of memory", __func__, cl->name);
			continue;
		}
		/* File order, for the order guests of several sections appear. */
		for (sp = &sl->sections; *sp != NULL; sp = &(*sp)->next)
			;
		*sp = sec;
	}
	/* Names the file now claims are given up before it is applied. */
	for (struct registry_domain *rd = registry_domain_first(sl->reg), *rnext; rd != NULL;
	    rd = rnext) {
		rnext = registry_domain_next(rd);
		for (sec = sl->sections; sec != NULL; sec = sec->next)
			if (registry_domain_source(rd) == sec &&
			    hash_get(sl->claimed, registry_domain_name(rd)) != NULL) {
				log_info("%s: domain %s goes to the configuration file's "
				    "[domain %s]", __func__, registry_domain_name(rd),
				    registry_domain_name(rd));
				registry_domain_remove(rd);
				break;
			}
	}
	/* The guests, once the file has been applied (the same loop turn). */
	if (sl->resync == NULL && libvirt_loop_get() != NULL)
		sl->resync = loop_add_timer(libvirt_loop_get(), 0, slv_resync, sl);
}

/* The libvirt source for registry R. */
struct source_libvirt *
source_libvirt_new(struct registry *r)
{
	struct source_libvirt *sl = calloc(1, sizeof *sl);

	if (sl == NULL)
		return NULL;
	sl->reg = r;
	return sl;
}

/* Remove everything of the source, close its connections, free it. */
void
source_libvirt_free(struct source_libvirt *sl)
{
	struct slv_section *sec;

	if (sl == NULL)
		return;
	if (sl->resync != NULL)
		loop_del_timer(libvirt_loop_get(), sl->resync);
	while ((sec = sl->sections) != NULL) {
		sl->sections = sec->next;
		slv_section_free(sec);
	}
	for (size_t i = 0; i < sl->nclaimed; i++)
		free(sl->claimed_names[i]);
	free(sl->claimed_names);
	hash_free(sl->claimed);
	free(sl);
}
