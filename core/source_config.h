/*
 * source_config.h — the configuration file as a source of domains and
 * devices. Not for reading the file (config.c).
 */
#ifndef CONSOLEFS_SOURCE_CONFIG_H
#define CONSOLEFS_SOURCE_CONFIG_H

#include "core/registry.h"

struct config;

/* What the configuration file added (registry_domain_source says). */
extern const registry_source source_config;

/* Make the registry match CF: domains and devices the file added before
 * and no longer names go (sessions read end of file), new ones appear, a
 * device whose backend string or settings changed is restarted, unchanged
 * ones are left alone (sessions and all). What other sources added stays.
 * Errors (a backend that cannot be created, a name or UUID another source
 * holds) are logged and collected into *CAUSE (the first, malloc'd) but do
 * not stop the rest: 0, or -1 when there was any. */
int source_config_apply(struct registry *r, const struct config *cf, char **cause);

#endif
