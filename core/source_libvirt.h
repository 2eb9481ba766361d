/*
 * source_libvirt.h — [libvirt NAME] sections as a source of domains: every
 * guest of the section's connection is a domain directory (PREFIX-NAME, or
 * NAME), with its libvirt UUID and the owner/group/mode of the section, and
 * each of its console devices (serial, console, parallel and pty channel
 * aliases) a device whose backend is libvirt:URI#NAME/ALIAS. Guests appear,
 * change and go with libvirt's events, at once; while the connection is
 * down they stay (their devices absent) and are brought up to date when it
 * is back. Not for the connection (libvirt_conn.c) nor streams
 * (backend_libvirt.c).
 */
#ifndef CONSOLEFS_SOURCE_LIBVIRT_H
#define CONSOLEFS_SOURCE_LIBVIRT_H

struct config;
struct registry;
struct source_libvirt;

/* The libvirt source for registry R (libvirt_loop_register first). NULL
 * with errno on failure. */
struct source_libvirt *source_libvirt_new(struct registry *r);
/* Make the sections match CF's [libvirt] sections: new ones connect, gone
 * ones take their domains with them, changed ones follow (a new URI or
 * prefix starts over; new permissions or settings apply to their domains).
 * Names CF gives [domain] sections are the file's: a guest of the same name
 * is left out (logged) and the configured domain wins. Call it before
 * source_config_apply, at start and at every reload; guests whose names
 * were freed appear right after. */
void source_libvirt_apply(struct source_libvirt *sl, const struct config *cf);
/* Remove every domain of the source, close its connections, free it (NULL
 * is ok); before the registry is freed. */
void source_libvirt_free(struct source_libvirt *sl);

#endif
