/*
 * tree.h — the consolefs mount as consolectl sees it: domains found by name
 * or by UUID, their console files, extended attributes. Not for talking to
 * the user: failures come back as errno and a sentence, and the caller
 * decides how to say them.
 */
#ifndef CONSOLECTL_TREE_H
#define CONSOLECTL_TREE_H

/* A domain, or one device of it, as named on the command line. */
struct tree_target {
	char	*domain;	/* the directory name under the mount */
	char	*device;	/* NULL for the domain itself */
	char	*path;		/* MOUNT/DOMAIN or MOUNT/DOMAIN/DEVICE */
	char	*label;		/* "DOMAIN" or "DOMAIN/DEVICE", for messages */
};

/* The mount point every path is relative to. */
extern const char *tree_mount;

/* "A/B", malloc'd; prints "out of memory" and exits 1 when it cannot. */
char *tree_join(const char *a, const char *b);

/* An extended attribute of PATH as a string (malloc'd), or NULL with errno
 * (ENODATA when it is not set). */
char *tree_xattr(const char *path, const char *name);

/* The domains (WANT_DIRS) or console files (regular files not ending in
 * .log or .spy) in DIR, sorted bytewise; a NULL-terminated malloc'd array, or NULL
 * with errno. Hidden names and by-uuid are left out. */
char **tree_entries(const char *dir, int want_dirs);

/* Free what tree_entries returned (NULL is ok). */
void tree_free_entries(char **v);

/* Resolve "DOMAIN[/DEV]" (DOMAIN a name or a UUID) into T. With PICK, a
 * missing DEV means the default device: console0, else serial0, else the
 * first. 0, or -1 with errno (ENOENT: no such domain or device) and *CAUSE
 * set to a malloc'd sentence. */
int tree_resolve(const char *arg, int pick, struct tree_target *t, char **cause);

/* Free the strings of T (T itself is the caller's). */
void tree_target_free(struct tree_target *t);

/* A sentence saying why the mount point is not the top of a consolefs
 * mount (not reachable, nothing or something else mounted there, a
 * directory inside one), malloc'd; NULL when it is. */
char *tree_mount_hint(void);

/* Is S a name that can only mean an entry of its directory (not empty, no
 * '/', not starting with '.')? */
int tree_plain_name(const char *s);

/* Does S end in ".log" (a scrollback snapshot)? */
int tree_is_log(const char *s);

/* Does S end in ".spy" (a read-only follower)? */
int tree_is_spy(const char *s);

#endif
