/*
 * registry.c — domains and devices, in hashes by name (and domains by
 * UUID), in tables by id, and in lists in the order they were added.
 *
 * Ids come from one counter that never goes back, so an id (and the inode
 * number fs/ derives from it) never names two things: a lookup of a
 * removed entry's id simply finds nothing. Removing frees at once; nothing
 * waits for the kernel to forget.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "core/config.h"
#include "core/console.h"
#include "core/logfile.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/opts.h"
#include "core/registry.h"

struct registry_device {
	struct registry_domain	*dom;
	uint64_t		 id;
	char			*name;
	struct console		*con;
	struct logfile		*log;		/* on-disk log (log_dir), or NULL */
	struct opts		 opts;
	registry_source		 src;
	struct registry_device	*prev, *next;
};

struct registry_domain {
	struct registry		*reg;
	uint64_t		 id;
	char			*name;
	unsigned char		 uuid[16];
	char			 uuid_text[37];
	struct registry_perm	 perm;
	registry_source		 src;
	struct hash		*devices;	/* by name */
	struct registry_device	*first, *last;
	size_t			 ndevices;
	struct registry_domain	*prev, *next;
};

struct registry {
	struct loop		*loop;
	struct console_opts	 copts;
	char			*lock_dir;
	struct hash		*by_name;
	struct hash		*by_uuid;
	struct hash		*domain_ids;
	struct hash		*device_ids;
	struct registry_domain	*first, *last;
	size_t			 ndevices;
	uint64_t		 last_id;
	registry_event_fn	*fn;
	void			*arg;
};

static void
registry_event(struct registry *r, enum registry_event ev, struct registry_domain *d,
    struct registry_device *v)
{
	if (r->fn != NULL)
		r->fn(r->arg, ev, d, v);
}

/* A registry on LP; NULL with errno on failure. */
struct registry *
registry_new(struct loop *lp, const struct console_opts *copts)
{
	struct registry *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	r->loop = lp;
	r->copts = *copts;
	r->copts.opts = NULL;
	if ((copts->lock_dir != NULL && (r->lock_dir = strdup(copts->lock_dir)) == NULL) ||
	    (r->by_name = hash_new()) == NULL || (r->by_uuid = hash_new()) == NULL ||
	    (r->domain_ids = hash_new()) == NULL || (r->device_ids = hash_new()) == NULL) {
		registry_free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->copts.lock_dir = r->lock_dir;
	return r;
}

/* Free the registry and everything in it (NULL is ok). */
void
registry_free(struct registry *r)
{
	if (r == NULL)
		return;
	r->fn = NULL;		/* nobody to tell any more */
	while (r->first != NULL)
		registry_domain_remove(r->first);
	hash_free(r->by_name);
	hash_free(r->by_uuid);
	hash_free(r->domain_ids);
	hash_free(r->device_ids);
	free(r->lock_dir);
	free(r);
}

/* Tell FN about every entry that appears or goes (one listener). */
void
registry_set_listener(struct registry *r, registry_event_fn *fn, void *arg)
{
	r->fn = fn;
	r->arg = arg;
}

/* The number of domains. */
size_t
registry_ndomains(const struct registry *r)
{
	return hash_count(r->by_name);
}

/* The number of devices in all domains. */
size_t
registry_ndevices(const struct registry *r)
{
	return r->ndevices;
}

/* Call FN for every console. */
void
registry_each_console(struct registry *r, void (*fn)(struct console *))
{
	for (struct registry_domain *d = r->first; d != NULL; d = d->next)
		for (struct registry_device *v = d->first; v != NULL; v = v->next)
			fn(v->con);
}

/* ---- domains ---- */

/* Add domain NAME with UUID whose devices get PERM. */
struct registry_domain *
registry_domain_add(struct registry *r, const char *name, const unsigned char uuid[16],
    const struct registry_perm *perm, registry_source src)
{
	struct registry_domain *d;
	char text[37];

	if (config_check_name(name, 0) == -1)
		return NULL;
	uuid_unparse_lower(uuid, text);
	if (hash_get(r->by_name, name) != NULL || hash_get(r->by_uuid, text) != NULL) {
		errno = EEXIST;
		return NULL;
	}
	if ((d = calloc(1, sizeof *d)) == NULL || (d->name = strdup(name)) == NULL ||
	    (d->devices = hash_new()) == NULL)
		goto nomem;
	d->reg = r;
	d->id = ++r->last_id;
	memcpy(d->uuid, uuid, sizeof d->uuid);
	memcpy(d->uuid_text, text, sizeof text);
	d->perm = *perm;
	d->src = src;
	if (hash_put(r->by_name, d->name, d) == -1)
		goto nomem;
	if (hash_put(r->by_uuid, d->uuid_text, d) == -1 ||
	    hash_put_id(r->domain_ids, d->id, d) == -1) {
		hash_del(r->by_name, d->name);
		hash_del(r->by_uuid, d->uuid_text);
		goto nomem;
	}
	d->prev = r->last;
	if (r->last != NULL)
		r->last->next = d;
	else
		r->first = d;
	r->last = d;
	registry_event(r, REGISTRY_DOMAIN_ADDED, d, NULL);
	return d;
nomem:
	if (d != NULL) {
		hash_free(d->devices);
		free(d->name);
		free(d);
	}
	errno = ENOMEM;
	return NULL;
}

/* Remove D and its devices (NULL is ok). */
void
registry_domain_remove(struct registry_domain *d)
{
	struct registry *r;

	if (d == NULL)
		return;
	r = d->reg;
	while (d->last != NULL)
		registry_device_remove(d->last);
	registry_event(r, REGISTRY_DOMAIN_REMOVED, d, NULL);
	hash_del(r->by_name, d->name);
	hash_del(r->by_uuid, d->uuid_text);
	hash_del_id(r->domain_ids, d->id);
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		r->first = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		r->last = d->prev;
	hash_free(d->devices);
	free(d->name);
	free(d);
}

struct registry_domain *
registry_domain_find(const struct registry *r, const char *name)
{
	return hash_get(r->by_name, name);
}

/* By UUID text, any case. */
struct registry_domain *
registry_domain_by_uuid(const struct registry *r, const char *uuid)
{
	char lower[37];
	size_t i;

	for (i = 0; uuid[i] != '\0' && i < sizeof lower - 1; i++)
		lower[i] = tolower((unsigned char)uuid[i]);
	if (uuid[i] != '\0')
		return NULL;
	lower[i] = '\0';
	return hash_get(r->by_uuid, lower);
}

struct registry_domain *
registry_domain_by_id(const struct registry *r, uint64_t id)
{
	return hash_get_id(r->domain_ids, id);
}

struct registry_domain *
registry_domain_first(const struct registry *r)
{
	return r->first;
}

struct registry_domain *
registry_domain_next(const struct registry_domain *d)
{
	return d->next;
}

/* The first domain added after id AFTER. The list is in id order, so when
 * AFTER still exists this is its successor; otherwise walk (rare: only
 * when a listing is resumed after its last entry was removed). */
struct registry_domain *
registry_domain_after(const struct registry *r, uint64_t after)
{
	struct registry_domain *d = registry_domain_by_id(r, after);

	if (d != NULL)
		return d->next;
	for (d = r->first; d != NULL && d->id <= after; d = d->next)
		;
	return d;
}

const char *
registry_domain_name(const struct registry_domain *d)
{
	return d->name;
}

uint64_t
registry_domain_id(const struct registry_domain *d)
{
	return d->id;
}

const unsigned char *
registry_domain_uuid(const struct registry_domain *d)
{
	return d->uuid;
}

const char *
registry_domain_uuid_text(const struct registry_domain *d)
{
	return d->uuid_text;
}

registry_source
registry_domain_source(const struct registry_domain *d)
{
	return d->src;
}

void
registry_domain_set_source(struct registry_domain *d, registry_source src)
{
	d->src = src;
}

const struct registry_perm *
registry_domain_perm(const struct registry_domain *d)
{
	return &d->perm;
}

/* New owner/group/mode for the domain's devices. */
void
registry_domain_set_perm(struct registry_domain *d, const struct registry_perm *perm)
{
	if (memcmp(&d->perm, perm, sizeof *perm) == 0)
		return;
	d->perm = *perm;
	registry_event(d->reg, REGISTRY_DOMAIN_PERM, d, NULL);
}

/* Change the UUID: 0, or -1 EEXIST. */
int
registry_domain_set_uuid(struct registry_domain *d, const unsigned char uuid[16])
{
	struct registry *r = d->reg;
	char text[37];

	if (memcmp(d->uuid, uuid, sizeof d->uuid) == 0)
		return 0;
	uuid_unparse_lower(uuid, text);
	if (hash_get(r->by_uuid, text) != NULL) {
		errno = EEXIST;
		return -1;
	}
	registry_event(r, REGISTRY_DOMAIN_UUID, d, NULL);
	hash_del(r->by_uuid, d->uuid_text);
	memcpy(d->uuid, uuid, sizeof d->uuid);
	memcpy(d->uuid_text, text, sizeof text);
	if (hash_put(r->by_uuid, d->uuid_text, d) == -1)
		log_error("%s: %s: out of memory: by-uuid/%s is missing", __func__,
		    d->name, text);
	return 0;
}

size_t
registry_domain_ndevices(const struct registry_domain *d)
{
	return d->ndevices;
}

struct registry *
registry_domain_registry(const struct registry_domain *d)
{
	return d->reg;
}

/* ---- devices ---- */

/* Add device NAME with BACKEND and settings O to D, creating its console. */
struct registry_device *
registry_device_add(struct registry_domain *d, const char *name, const char *backend,
    const struct opts *o, registry_source src, char **cause)
{
	struct registry *r = d->reg;
	struct registry_device *v;
	struct console_opts co;
	char what[2 * CONFIG_NAME_MAX + 2];
	int saverr = ENOMEM;

	*cause = NULL;
	if (config_check_name(name, 1) == -1)
		return NULL;
	if (hash_get(d->devices, name) != NULL) {
		errno = EEXIST;
		return NULL;
	}
	if ((v = calloc(1, sizeof *v)) == NULL)
		goto fail;
	opts_init(&v->opts);
	if ((v->name = strdup(name)) == NULL || (o != NULL && opts_copy(&v->opts, o) == -1))
		goto fail;
	v->dom = d;
	v->src = src;
	co = r->copts;
	co.scrollback = v->opts.scrollback;
	co.opts = &v->opts;
	snprintf(what, sizeof what, "%s/%s", d->name, name);
	if ((v->con = console_new(r->loop, what, backend, &co, cause)) == NULL) {
		saverr = *cause != NULL ? EINVAL : ENOMEM;
		goto fail;
	}
	if (v->opts.log_dir != NULL &&
	    (v->log = logfile_attach(r->loop, v->con, d->name, name, &v->opts)) == NULL)
		goto fail;
	v->id = ++r->last_id;
	if (hash_put(d->devices, v->name, v) == -1)
		goto fail;
	if (hash_put_id(r->device_ids, v->id, v) == -1) {
		hash_del(d->devices, v->name);
		goto fail;
	}
	v->prev = d->last;
	if (d->last != NULL)
		d->last->next = v;
	else
		d->first = v;
	d->last = v;
	d->ndevices++;
	r->ndevices++;
	registry_event(r, REGISTRY_DEVICE_ADDED, d, v);
	return v;
fail:
	if (v != NULL) {
		logfile_free(v->log);
		console_free(v->con);
		opts_clear(&v->opts);
		free(v->name);
		free(v);
	}
	errno = saverr;
	return NULL;
}

/* Remove a device: its session reads end of file, its program is stopped. */
void
registry_device_remove(struct registry_device *v)
{
	struct registry_domain *d;
	struct registry *r;

	if (v == NULL)
		return;
	d = v->dom;
	r = d->reg;
	registry_event(r, REGISTRY_DEVICE_REMOVED, d, v);
	hash_del(d->devices, v->name);
	hash_del_id(r->device_ids, v->id);
	if (v->prev != NULL)
		v->prev->next = v->next;
	else
		d->first = v->next;
	if (v->next != NULL)
		v->next->prev = v->prev;
	else
		d->last = v->prev;
	d->ndevices--;
	r->ndevices--;
	logfile_free(v->log);
	console_free(v->con);
	opts_clear(&v->opts);
	free(v->name);
	free(v);
}

struct registry_device *
registry_device_find(const struct registry_domain *d, const char *name)
{
	return hash_get(d->devices, name);
}

struct registry_device *
registry_device_by_id(const struct registry *r, uint64_t id)
{
	return hash_get_id(r->device_ids, id);
}

struct registry_device *
registry_device_first(const struct registry_domain *d)
{
	return d->first;
}

struct registry_device *
registry_device_next(const struct registry_device *v)
{
	return v->next;
}

/* The first device of D added after id AFTER (see registry_domain_after). */
struct registry_device *
registry_device_after(const struct registry_domain *d, uint64_t after)
{
	struct registry_device *v = registry_device_by_id(d->reg, after);

	if (v != NULL && v->dom == d)
		return v->next;
	for (v = d->first; v != NULL && v->id <= after; v = v->next)
		;
	return v;
}

const char *
registry_device_name(const struct registry_device *v)
{
	return v->name;
}

uint64_t
registry_device_id(const struct registry_device *v)
{
	return v->id;
}

struct registry_domain *
registry_device_domain(const struct registry_device *v)
{
	return v->dom;
}

struct console *
registry_device_console(const struct registry_device *v)
{
	return v->con;
}

const struct opts *
registry_device_opts(const struct registry_device *v)
{
	return &v->opts;
}

registry_source
registry_device_source(const struct registry_device *v)
{
	return v->src;
}

void
registry_device_set_source(struct registry_device *v, registry_source src)
{
	v->src = src;
}

/* Owner, group, mode of the device file: the domain's. */
const struct registry_perm *
registry_device_perm(const struct registry_device *v)
{
	return &v->dom->perm;
}
