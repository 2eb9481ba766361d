/*
 * config.h — the INI configuration file: [global], [domain NAME] and
 * [libvirt NAME] sections, read with inih, checked completely before
 * anything is mounted. Device settings (core/opts.h) are inherited
 * [global] -> section -> "DEV.KEY = VALUE" and resolved here, so every
 * device carries its final settings. Not for applying a configuration to
 * the tree (core/source_config.c does that).
 */
#ifndef CONSOLEFS_CONFIG_H
#define CONSOLEFS_CONFIG_H

#include <stddef.h>
#include <sys/types.h>

#include "core/opts.h"
#include "core/registry.h"

#define CONFIG_NAME_MAX 64
#define CONFIG_DEFAULT_PATH "/etc/consolefs/consolefs.conf"
#define CONFIG_DEFAULT_SCROLLBACK OPTS_DEFAULT_SCROLLBACK
#define CONFIG_DEFAULT_FORCE_RESERVE 5	/* seconds */
#define CONFIG_DEFAULT_MODE 0600

struct config_device {
	char			*name;
	char			*backend;	/* the backend string, as written */
	int			 line;
	struct opts		 opts;		/* resolved settings */
	unsigned int		 opts_set;	/* (while parsing) given for this device */
	struct config_device	*next;		/* file order */
};

struct config_domain {
	char			*name;
	unsigned char		 uuid[16];	/* configured, or derived from the name */
	uid_t			 owner;		/* default 0 */
	gid_t			 group;		/* default 0 */
	mode_t			 mode;		/* default CONFIG_DEFAULT_MODE */
	int			 line;
	struct opts		 opts;		/* resolved settings of the section */
	unsigned int		 opts_set;	/* (while parsing) given in the section */
	struct config_device	*devices;
	struct config_domain	*next;		/* file order */
};

/* A [libvirt NAME] section: every guest of one libvirt connection. */
struct config_libvirt {
	char			*name;
	char			*uri;
	char			*prefix;	/* NULL: none */
	struct registry_perm	 perm;
	struct opts		 opts;		/* capture defaults to no here */
	unsigned int		 opts_set;
	int			 line;
	struct config_libvirt	*next;		/* file order */
};

struct config {
	char			*lock_dir;	/* NULL when not set */
	size_t			 scrollback;	/* [global]'s, = opts.scrollback */
	unsigned int		 force_reserve;	/* seconds */
	struct opts		 opts;		/* [global]'s device settings, resolved */
	unsigned int		 opts_set;
	int			 host_serial;	/* a "host" domain of serial ports */
	char		       **host_serial_exclude;	/* kernel names, or NULL */
	char		       **host_serial_include;	/* listed without a parent device */
	struct config_domain	*domains;
	struct config_libvirt	*libvirts;
};

/* Read PATH. A missing file is an empty configuration when MISSING_OK, else
 * an error. On error returns NULL and sets *CAUSE to "FILE:LINE: reason"
 * (malloc'd; "FILE: reason" when no line applies). */
struct config *config_load(const char *path, int missing_ok, char **cause);

/* Free a configuration (NULL is ok). */
void config_free(struct config *cf);

/* Check a domain or device name: 0, or -1 with errno EINVAL (bad
 * characters, leading '.', "by-uuid" as a domain, a ".log", ".spy" or
 * ".tty" ending on a device) or ENAMETOOLONG (over CONFIG_NAME_MAX). */
int config_check_name(const char *name, int is_device);

/* The name-based (SHA-1) UUID of a domain that has none configured. */
void config_uuid_from_name(const char *name, unsigned char uuid[16]);

/* Parse a size such as "4096", "256K", "1M": 0, or -1 with EINVAL. */
int config_parse_size(const char *s, size_t *out);

#endif
