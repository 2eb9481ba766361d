/*
 * tree.c — find domains and console files in a consolefs mount, and read
 * their extended attributes. Only ordinary file system calls: whatever
 * consolectl learns here, ls and getfattr would show too. Not for changing
 * the tree (consolectl.c does mkdir, symlink, unlink, rmdir itself).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>

#include "tools/tree.h"

#define TREE_FUSE_MAGIC 0x65735546	/* statfs f_type of every FUSE mount */

const char *tree_mount = "/run/consoles";

/* "A/B", malloc'd; exits on failure. */
char *
tree_join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s/%s", a, b) < 0) {
		fputs("consolectl: out of memory\n", stderr);
		exit(1);
	}
	return s;
}

/* An extended attribute as a string (malloc'd), or NULL with errno. */
char *
tree_xattr(const char *path, const char *name)
{
	char *v = NULL, *nv;
	ssize_t n = 256;
	int saverr;

	for (;;) {
		if ((nv = realloc(v, n + 1)) == NULL)
			goto fail;
		v = nv;
		if ((n = getxattr(path, name, v, n)) >= 0)
			break;
		if (errno != ERANGE)
			goto fail;
		/* It grew between the two calls: ask for its size again. */
		if ((n = getxattr(path, name, NULL, 0)) < 0)
			goto fail;
	}
	while (n > 0 && (v[n - 1] == '\0' || v[n - 1] == '\n'))
		n--;
	v[n] = '\0';
	return v;
fail:
	saverr = errno;
	free(v);
	errno = saverr;
	return NULL;
}

/*
 * The file system type of the mount whose ID is MNT_ID, from
 * /proc/self/mountinfo ("36 35 0:39 / /run/consoles rw - fuse.consolefs
 * consolefs rw,..."), into BUF; 0, or -1 when it is not found.
 */
static int
tree_mount_type(unsigned long long mnt_id, char *buf, size_t len)
{
	char *line = NULL, *sep;
	size_t size = 0;
	unsigned long long id;
	int r = -1;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (f == NULL)
		return -1;
	while (r == -1 && getline(&line, &size, f) != -1) {
		if (sscanf(line, "%llu", &id) != 1 || id != mnt_id ||
		    (sep = strstr(line, " - ")) == NULL)
			continue;
		sep += 3;
		snprintf(buf, len, "%.*s", (int)strcspn(sep, " \n"), sep);
		r = 0;
	}
	free(line);
	fclose(f);
	return r;
}

/* A sentence saying why the mount point is not a consolefs mount, or NULL. */
char *
tree_mount_hint(void)
{
	struct statx sx;
	struct statfs sf;
	char type[64], *s = NULL;
	int r = 0;

	if (statfs(tree_mount, &sf) != 0)
		r = asprintf(&s, "%s: %s; is consolefs running?", tree_mount,
		    strerror(errno));
	else if (sf.f_type != TREE_FUSE_MAGIC)
		r = asprintf(&s, "%s is not a consolefs mount (not a FUSE file "
		    "system); is consolefs running? -m or CONSOLEFS_MOUNT name "
		    "another mount point", tree_mount);
	/* Another FUSE file system, or a directory inside ours: ask the
	 * kernel which mount this is, and whether it is that mount's root. */
	else if (statx(AT_FDCWD, tree_mount, 0, STATX_MNT_ID, &sx) != 0)
		;	/* FUSE, and nothing more to learn: let it be */
	else if ((sx.stx_mask & STATX_MNT_ID) &&
	    tree_mount_type(sx.stx_mnt_id, type, sizeof type) == 0 &&
	    strcmp(type, "fuse.consolefs") != 0)
		r = asprintf(&s, "%s is not a consolefs mount (a %s mount); "
		    "-m or CONSOLEFS_MOUNT name another mount point",
		    tree_mount, type);
	else if ((sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	    !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		r = asprintf(&s, "%s is inside a consolefs mount, not its top; "
		    "-m or CONSOLEFS_MOUNT name the mount point", tree_mount);
	return r < 0 ? NULL : s;
}

/* Is S a plain entry name? */
int
tree_plain_name(const char *s)
{
	return s[0] != '\0' && s[0] != '.' && strchr(s, '/') == NULL;
}

/* Does S end in ".log"? */
int
tree_is_log(const char *s)
{
	size_t n = strlen(s);

	return n >= 4 && strcmp(s + n - 4, ".log") == 0;
}

/* Does S end in ".spy"? */
int
tree_is_spy(const char *s)
{
	size_t n = strlen(s);

	return n >= 4 && strcmp(s + n - 4, ".spy") == 0;
}

static int
tree_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The domains or console files in DIR, sorted; NULL with errno. */
char **
tree_entries(const char *dir, int want_dirs)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	char **v = NULL, **nv;
	size_t n = 0;
	int saverr;

	if (d == NULL)
		return NULL;
	if ((v = calloc(1, sizeof *v)) == NULL)
		goto fail;
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (want_dirs && strcmp(de->d_name, "by-uuid") == 0)
			continue;
		if (!want_dirs && (tree_is_log(de->d_name) || tree_is_spy(de->d_name)))
			continue;
		/* FUSE may report DT_UNKNOWN: ask for the type. */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;	/* removed meanwhile */
		if (want_dirs ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
			continue;
		if ((nv = realloc(v, (n + 2) * sizeof *v)) == NULL)
			goto fail;
		v = nv;
		if ((v[n] = strdup(de->d_name)) == NULL)
			goto fail;
		v[++n] = NULL;
	}
	if (errno != 0)
		goto fail;
	closedir(d);
	qsort(v, n, sizeof *v, tree_cmp);
	return v;
fail:
	saverr = errno;
	tree_free_entries(v);
	closedir(d);
	errno = saverr;
	return NULL;
}

/* Free what tree_entries returned (NULL is ok). */
void
tree_free_entries(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* The domain whose by-uuid link is UUID, or NULL. */
static char *
tree_find_uuid(const char *uuid)
{
	char *path = tree_join(tree_mount, "by-uuid"), *link, *slash;
	char *lpath = tree_join(path, uuid), *name = NULL;
	ssize_t n;

	free(path);
	if ((link = malloc(PATH_MAX)) == NULL)
		goto fail;
	if ((n = readlink(lpath, link, PATH_MAX - 1)) <= 0)
		goto fail;
	link[n] = '\0';	/* "../DOMAIN" */
	slash = strrchr(link, '/');
	name = strdup(slash != NULL ? slash + 1 : link);
fail:
	free(link);
	free(lpath);
	return name;
}

/* The directory name of the domain called or numbered ARG, or NULL. */
static char *
tree_find_domain(const char *arg)
{
	char *path, *name, *lower;
	struct stat st;

	if (!tree_plain_name(arg) || strcmp(arg, "by-uuid") == 0)
		return NULL;
	path = tree_join(tree_mount, arg);
	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		free(path);
		return strdup(arg);
	}
	free(path);

	/* Not a name: a UUID, as given or in the lower case libuuid writes. */
	if ((name = tree_find_uuid(arg)) == NULL && (lower = strdup(arg)) != NULL) {
		for (char *p = lower; *p != '\0'; p++)
			*p = tolower((unsigned char)*p);
		name = tree_find_uuid(lower);
		free(lower);
	}
	if (name == NULL)
		return NULL;
	path = tree_join(tree_mount, name);
	if (!tree_plain_name(name) || lstat(path, &st) != 0 ||
	    !S_ISDIR(st.st_mode)) {
		free(name);
		name = NULL;
	}
	free(path);
	return name;
}

/* Free the strings of T. */
void
tree_target_free(struct tree_target *t)
{
	free(t->domain);
	free(t->device);
	free(t->path);
	free(t->label);
	memset(t, 0, sizeof *t);
}

/* The default device of DEVS: console0, else serial0, else the first. */
static const char *
tree_pick(char **devs)
{
	for (size_t i = 0; devs[i] != NULL; i++)
		if (strcmp(devs[i], "console0") == 0)
			return devs[i];
	for (size_t i = 0; devs[i] != NULL; i++)
		if (strcmp(devs[i], "serial0") == 0)
			return devs[i];
	return devs[0];
}

/* Resolve "DOMAIN[/DEV]" into T; 0, or -1 with errno and *CAUSE. */
int
tree_resolve(const char *arg, int pick, struct tree_target *t, char **cause)
{
	char *dom = strdup(arg), *dir = NULL, **devs = NULL, *slash;
	const char *dev = NULL;
	struct stat st;
	int saverr = ENOENT, r = 0;

	memset(t, 0, sizeof *t);
	*cause = NULL;
	if (dom == NULL) {
		saverr = errno;
		goto fail;
	}
	if ((slash = strchr(dom, '/')) != NULL) {
		*slash = '\0';
		dev = slash + 1;
	}
	if (dev != NULL && *dev == '\0')
		dev = NULL;	/* "web1/" is the domain */
	if ((t->domain = tree_find_domain(dom)) == NULL) {
		char *hint = tree_mount_hint();

		r = asprintf(cause, "no such domain: %s%s%s%s", dom,
		    hint != NULL ? " (" : "", hint != NULL ? hint : "",
		    hint != NULL ? ")" : "");
		free(hint);
		goto fail;
	}
	dir = tree_join(tree_mount, t->domain);
	if (dev == NULL && pick) {
		if ((devs = tree_entries(dir, 0)) == NULL) {
			saverr = errno;
			r = asprintf(cause, "%s: %s", dir, strerror(errno));
			goto fail;
		}
		if ((dev = tree_pick(devs)) == NULL) {
			r = asprintf(cause, "domain %s has no devices",
			    t->domain);
			goto fail;
		}
	}
	if (dev == NULL) {
		t->path = dir;
		dir = NULL;
		t->label = strdup(t->domain);
	} else {
		t->path = tree_join(dir, dev);
		t->label = tree_join(t->domain, dev);
		if (tree_is_log(dev)) {
			r = asprintf(cause, "%s is a scrollback snapshot, not "
			    "a console: read it with cat or less", t->label);
			goto fail;
		}
		if (tree_is_spy(dev)) {
			r = asprintf(cause, "%s is a read-only follower, not "
			    "a console: watch it with cat", t->label);
			goto fail;
		}
		/* Named explicitly, anything but a directory will do: the
		 * open says whether it is a console. */
		if (!tree_plain_name(dev) || lstat(t->path, &st) != 0 ||
		    S_ISDIR(st.st_mode)) {
			r = asprintf(cause, "no such device: %s", t->label);
			goto fail;
		}
		t->device = strdup(dev);
	}
	if (t->label == NULL || (dev != NULL && t->device == NULL)) {
		saverr = ENOMEM;
		goto fail;
	}
	tree_free_entries(devs);
	free(dir);
	free(dom);
	return 0;
fail:
	if (r < 0)
		*cause = NULL;
	tree_free_entries(devs);
	free(dir);
	free(dom);
	tree_target_free(t);
	errno = saverr;
	return -1;
}
