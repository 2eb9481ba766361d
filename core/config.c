/*
 * config.c — read consolefs.conf: [global] settings, [domain NAME]
 * sections of settings and devices, [libvirt NAME] sections, checked
 * completely (names, backend strings, users, UUIDs, every setting) so that
 * a bad file is refused with "FILE:LINE: reason" before anything is
 * mounted. Device settings are inherited [global] -> section -> "DEV.KEY"
 * and resolved when the file has been read. Not for applying a
 * configuration to the tree, and not for opening any backend.
 *
 * inih does the lexing (comments, "name = value", trimming). Debian's
 * libinih is built with INI_HANDLER_LINENO 0, a 200-byte stack line buffer,
 * 49-byte section and key buffers, and no handler call for a section without
 * keys, so we feed it one physical line at a time through our own reader
 * (config_reader). Whatever inih does while handling a line, it does right
 * after our reader returned that line and before it asks for the next one:
 * so the reader's line counter is the line number in the handler, the
 * reader sees (and parses) every section header itself, complete and even
 * when no key follows, and the raw text of the line is at hand in the
 * handler to tell a continuation from a new key (see config_handler).
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "core/config.h"
#include "core/hash.h"
#include "core/spec.h"
#include "core/words.h"

#define CONFIG_SCROLLBACK_MAX		(1024UL * 1024 * 1024)	/* 1024M */
#define CONFIG_FORCE_RESERVE_MAX	3600			/* seconds */

/*
 * The namespace of name-based domain UUIDs: a domain without "uuid =" gets
 * the RFC 4122 version 5 (SHA-1) UUID of its name in this namespace,
 * 3e36ef25-27da-4323-92b6-e92c5c31ec57 (drawn at random once). It must never
 * change: users and tools keep these UUIDs (by-uuid links, user.uuid).
 */
static const uuid_t config_uuid_ns = {
	0x3e, 0x36, 0xef, 0x25, 0x27, 0xda, 0x43, 0x23,
	0x92, 0xb6, 0xe9, 0x2c, 0x5c, 0x31, 0xec, 0x57,
};

enum config_section { CONFIG_NONE, CONFIG_GLOBAL, CONFIG_DOMAIN, CONFIG_LIBVIRT };

/* Keys of one kind of section only. */
enum { G_LOCK_DIR, G_FORCE_RESERVE, G_HOST_SERIAL, G_HOST_SERIAL_EXCLUDE,
	G_HOST_SERIAL_INCLUDE };
static const char *const config_global_keys[] = {
	"lock_dir", "force_reserve", "host_serial", "host_serial_exclude",
	"host_serial_include", NULL,
};
enum { D_UUID, D_OWNER, D_GROUP, D_MODE };
static const char *const config_domain_keys[] = {
	"uuid", "owner", "group", "mode", NULL,
};
enum { L_URI, L_PREFIX, L_OWNER, L_GROUP, L_MODE };
static const char *const config_libvirt_keys[] = {
	"uri", "prefix", "owner", "group", "mode", NULL,
};
/* Device settings: in every section, and per device as "DEV.KEY". */
enum { O_CAPTURE, O_RESTART, O_UNPLUG, O_REPLAY, O_SCROLLBACK, O_LOG_DIR,
    O_LOG_TIMESTAMPS, O_LOG_MAX, O_LOG_KEEP, O_ENV, O_SPY_MODE };
static const char *const config_opt_keys[] = {
	"capture", "restart", "unplug", "replay", "scrollback", "log_dir",
	"log_timestamps", "log_max", "log_keep", "env", "spy_mode", NULL,
};
#define CONFIG_LOG_KEEP_MAX 1000

/* A "DEV.KEY = VALUE" line, applied when the section has ended and every
 * device of it is known. */
struct config_devopt {
	char			*dev;
	int			 k;
	char			*value;
	int			 line;
	struct config_devopt	*next;
};

struct config_parse {
	const char		*path;
	FILE			*fp;
	struct config		*cf;

	char			*buf;		/* getline buffer */
	size_t			 bufsize;
	const char		*text;		/* the line inih is handling */
	int			 lineno;
	int			 indented;	/* text starts with a blank */
	int			 have_key;	/* inih's prev_name is not empty */

	enum config_section	 section;
	int			 global_line;	/* of [global], 0 if none yet */
	struct hash		*seen;		/* key -> line, in this section */
	char		       **seen_keys;	/* the keys' storage */
	size_t			 nseen;
	struct hash		*domains;	/* name -> struct config_domain */
	struct hash		*uuids;		/* uuid text -> struct config_domain */
	char		       **uuid_keys;	/* their storage */
	size_t			 nuuids;
	struct hash		*libvirts;	/* name -> struct config_libvirt */
	struct config_domain	*domain;	/* the [domain] being read */
	struct config_domain   **domain_tail;
	struct config_libvirt	*libvirt;	/* the [libvirt] being read */
	struct config_libvirt **libvirt_tail;
	int			 uuid_line;	/* 0: derive from the name */
	struct hash		*devices;	/* of this domain: name -> device */
	struct config_device	*device;	/* open to continuation lines */
	struct config_device   **device_tail;
	int			 device_cut;	/* an inline comment was cut off it */
	struct config_devopt	*devopts;	/* of this section */

	int			 failed;
	int			 err_line;	/* 0: about the whole file */
	char			*err;		/* NULL after failed: out of memory */
};

/* Record an error at LINE, unless one at an earlier line (or the same) is
 * already recorded: some checks run after later lines were read (a device's
 * backend when its continuation lines end, a domain's UUID when its section
 * ends), and the error shown must be the first in the file. */
static void __attribute__((format(printf, 3, 4)))
config_error(struct config_parse *p, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (p->failed && p->err_line <= line)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	free(p->err);
	p->err = msg;
	p->err_line = line;
	p->failed = 1;
}

static void
config_nomem(struct config_parse *p)
{
	free(p->err);
	p->err = NULL;
	p->err_line = 0;
	p->failed = 1;
}

/* Not isalnum(): names must not depend on the locale. */
static int
config_name_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Skip what inih's lskip() skips. */
static const char *
config_skip_space(const char *s)
{
	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	return s;
}

/* Why NAME is not a good domain or device name, or NULL; *ERR gets the
 * errno config_check_name reports. */
static const char *
config_name_problem(const char *name, int is_device, int *err)
{
	size_t len = strlen(name);

	*err = EINVAL;
	if (len == 0)
		return "empty name";
	if (len > CONFIG_NAME_MAX) {
		*err = ENAMETOOLONG;
		return "longer than 64 characters";
	}
	for (const char *s = name; *s != '\0'; s++)
		if (!config_name_char((unsigned char)*s))
			return "only A-Z a-z 0-9 _ . - are allowed";
	if (name[0] == '.')
		return "must not start with '.'";
	if (!is_device && strcmp(name, "by-uuid") == 0)
		return "'by-uuid' is reserved";
	if (is_device && len >= 4 && strcmp(name + len - 4, ".log") == 0)
		return "must not end in '.log' (that is the scrollback file)";
	if (is_device && len >= 4 && strcmp(name + len - 4, ".spy") == 0)
		return "must not end in '.spy' (that is the watchers' file)";
	if (is_device && len >= 4 && strcmp(name + len - 4, ".tty") == 0)
		return "must not end in '.tty' (that is the terminal bridge)";
	return NULL;
}

/* Check a domain or device name: 0, or -1 with errno EINVAL or ENAMETOOLONG. */
int
config_check_name(const char *name, int is_device)
{
	int err;

	if (config_name_problem(name, is_device, &err) == NULL)
		return 0;
	errno = err;
	return -1;
}

/* The name-based (SHA-1) UUID of a domain that has none configured. */
void
config_uuid_from_name(const char *name, unsigned char uuid[16])
{
	uuid_generate_sha1(uuid, config_uuid_ns, name, strlen(name));
}

/* Parse a size such as "4096", "256K", "1M": 0, or -1 with EINVAL. */
int
config_parse_size(const char *s, size_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		goto fail;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		goto fail;
	if (*end == 'K' || *end == 'k')
		mult = 1024;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024;
	if (mult != 1)
		end++;
	if (*end != '\0' || v > SIZE_MAX / mult)
		goto fail;
	*out = v * mult;
	return 0;
fail:
	errno = EINVAL;
	return -1;
}

/* Parse digits only (BASE 8 or 10) into a number of at most MAX; 0 or -1. */
static int
config_parse_uint(const char *s, int base, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (s[0] == '\0' || strspn(s, base == 8 ? "01234567" : "0123456789") != strlen(s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Look up user or group S (a name, or a decimal number taken as the id
 * itself): 0 and *ID, or -1 with errno ENOENT when there is none. */
static int
config_lookup_id(const char *s, int is_group, unsigned int *id)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	unsigned long v;
	long size = sysconf(is_group ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
	char *buf = NULL;
	int rc;

	/* (uid_t)-1 means "unchanged" to chown(), so it is never an id. */
	if (config_parse_uint(s, 10, UINT32_MAX - 1, &v) == 0) {
		*id = v;
		return 0;
	}
	if (size <= 0)
		size = 16384;
	for (;;) {
		if ((buf = malloc(size)) == NULL)
			return -1;
		if (is_group)
			rc = getgrnam_r(s, &gr, buf, size, &grp);
		else
			rc = getpwnam_r(s, &pw, buf, size, &pwp);
		if (rc != ERANGE || size > 1024 * 1024)
			break;
		free(buf);
		size *= 2;
	}
	free(buf);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	if (pwp == NULL && grp == NULL) {
		errno = ENOENT;
		return -1;
	}
	*id = is_group ? grp->gr_gid : pwp->pw_uid;
	return 0;
}

static int
config_key_index(const char *const *keys, const char *name)
{
	for (int i = 0; keys[i] != NULL; i++)
		if (strcmp(keys[i], name) == 0)
			return i;
	return -1;
}

/* The edit distance of A and B, for "did you mean" (short words only). */
static size_t
config_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[32], i, j;

	if (la >= 31 || lb >= 31)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0], up;

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = diag + (a[i - 1] != b[j - 1]);

			up = row[j];
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* A known key of the current section close to NAME, or NULL. */
static const char *
config_suggest(const struct config_parse *p, const char *name)
{
	const char *const *tables[3] = { config_opt_keys, NULL, NULL };
	const char *best = NULL;
	size_t bestd = 3;

	switch (p->section) {
	case CONFIG_GLOBAL:
		tables[1] = config_global_keys;
		break;
	case CONFIG_DOMAIN:
		tables[1] = config_domain_keys;
		break;
	case CONFIG_LIBVIRT:
		tables[1] = config_libvirt_keys;
		break;
	default:
		return NULL;
	}
	for (int t = 0; t < 3 && tables[t] != NULL; t++)
		for (int i = 0; tables[t][i] != NULL; i++) {
			size_t d = config_distance(name, tables[t][i]);

			/* One edit for short keys, two for longer ones. */
			if (d < bestd && d <= (strlen(tables[t][i]) > 4 ? 2u : 1u)) {
				bestd = d;
				best = tables[t][i];
			}
		}
	return best;
}

static int
config_parse_bool(const char *s, int *out)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 || strcmp(s, "on") == 0 ||
	    strcmp(s, "1") == 0)
		*out = 1;
	else if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0 || strcmp(s, "off") == 0 ||
	    strcmp(s, "0") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/* Whether S is KEY=VALUE with KEY a portable environment variable name. */
static int
config_env_ok(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");

	return n > 0 && s[n] == '=' && !(s[0] >= '0' && s[0] <= '9');
}

/* Set device setting K from VALUE in O (recording it in *SET); errors at
 * LINE. 0 or -1. */
static int
config_opt(struct config_parse *p, struct opts *o, unsigned int *set, int k,
    const char *value, int line)
{
	unsigned long v;
	size_t n;
	int b;

	switch (k) {
	case O_CAPTURE:
	case O_LOG_TIMESTAMPS:
		if (config_parse_bool(value, &b) == -1) {
			config_error(p, line, "bad %s '%s' (yes or no)", config_opt_keys[k], value);
			return -1;
		}
		if (k == O_CAPTURE)
			o->capture = b;
		else
			o->log_timestamps = b;
		break;
	case O_RESTART:
		if (strcmp(value, "no") == 0)
			o->restart = OPTS_RESTART_NO;
		else if (strcmp(value, "on-exit") == 0)
			o->restart = OPTS_RESTART_ON_EXIT;
		else if (strcmp(value, "on-failure") == 0)
			o->restart = OPTS_RESTART_ON_FAILURE;
		else {
			config_error(p, line, "bad restart '%s' (no, on-exit or on-failure)", value);
			return -1;
		}
		break;
	case O_UNPLUG:
		if (strcmp(value, "wait") != 0 && strcmp(value, "end") != 0) {
			config_error(p, line, "bad unplug '%s' (wait or end)", value);
			return -1;
		}
		o->unplug_end = strcmp(value, "end") == 0;
		break;
	case O_REPLAY: {
		size_t len = strlen(value);
		int lines = len > 1 && value[len - 1] == 'l';
		char *num = strndup(value, lines ? len - 1 : len);

		if (num == NULL) {
			config_nomem(p);
			return -1;
		}
		b = lines ? config_parse_uint(num, 10, 1000000, &v) : config_parse_size(num, &n);
		free(num);
		if (b == -1 || (!lines && n > CONFIG_SCROLLBACK_MAX)) {
			config_error(p, line, "bad replay '%s' (bytes, with an optional K or M "
			    "suffix, or lines as Nl, e.g. 20l)", value);
			return -1;
		}
		o->replay = lines ? v : n;
		o->replay_lines = lines;
		break;
	}
	case O_SCROLLBACK:
	case O_LOG_MAX:
		if (config_parse_size(value, &n) == -1 || n > CONFIG_SCROLLBACK_MAX) {
			config_error(p, line, "bad size '%s' for %s (bytes, with an optional K or "
			    "M suffix, at most 1024M)", value, config_opt_keys[k]);
			return -1;
		}
		if (k == O_SCROLLBACK)
			o->scrollback = n;
		else
			o->log_max = n;
		break;
	case O_LOG_DIR:
		if (value[0] != '/') {
			config_error(p, line, "log_dir must be an absolute path");
			return -1;
		}
		free(o->log_dir);
		if ((o->log_dir = strdup(value)) == NULL) {
			config_nomem(p);
			return -1;
		}
		break;
	case O_LOG_KEEP:
		if (config_parse_uint(value, 10, CONFIG_LOG_KEEP_MAX, &v) == -1) {
			config_error(p, line, "bad log_keep '%s' (a number of files, 0 to %d)",
			    value, CONFIG_LOG_KEEP_MAX);
			return -1;
		}
		o->log_keep = v;
		break;
	case O_ENV:
		if (!config_env_ok(value)) {
			config_error(p, line, "bad env '%s' (expected NAME=VALUE, NAME of "
			    "A-Z a-z 0-9 _ not starting with a digit)", value);
			return -1;
		}
		if (opts_setenv(o, value) == -1) {
			config_nomem(p);
			return -1;
		}
		break;
	case O_SPY_MODE:
		if (config_parse_uint(value, 8, 0777, &v) == -1) {
			config_error(p, line, "bad spy_mode '%s' (octal, at most 0777)", value);
			return -1;
		}
		o->spy_mode = v;
		o->spy_mode_set = 1;
		break;
	}
	*set |= 1u << k;
	return 0;
}

/* Apply the settings of SRC named in SET over DST (inheritance). The
 * environment accumulates: SRC's variables are added to DST's. */
static int
config_opts_apply(struct opts *dst, const struct opts *src, unsigned int set)
{
	if (set & (1u << O_CAPTURE))
		dst->capture = src->capture;
	if (set & (1u << O_RESTART))
		dst->restart = src->restart;
	if (set & (1u << O_UNPLUG))
		dst->unplug_end = src->unplug_end;
	if (set & (1u << O_REPLAY)) {
		dst->replay = src->replay;
		dst->replay_lines = src->replay_lines;
	}
	if (set & (1u << O_SCROLLBACK))
		dst->scrollback = src->scrollback;
	if (set & (1u << O_LOG_DIR)) {
		free(dst->log_dir);
		if ((dst->log_dir = strdup(src->log_dir)) == NULL)
			return -1;
	}
	if (set & (1u << O_LOG_TIMESTAMPS))
		dst->log_timestamps = src->log_timestamps;
	if (set & (1u << O_LOG_MAX))
		dst->log_max = src->log_max;
	if (set & (1u << O_LOG_KEEP))
		dst->log_keep = src->log_keep;
	if (set & (1u << O_SPY_MODE)) {
		dst->spy_mode = src->spy_mode;
		dst->spy_mode_set = 1;
	}
	for (size_t i = 0; src->env != NULL && src->env[i] != NULL; i++)
		if (opts_setenv(dst, src->env[i]) == -1)
			return -1;
	return 0;
}

/* Replace O by BASE with O's own settings (SET) applied over it. */
static int
config_opts_inherit(struct opts *o, unsigned int set, const struct opts *base)
{
	struct opts r;

	if (opts_copy(&r, base) == -1)
		return -1;
	if (config_opts_apply(&r, o, set) == -1) {
		opts_clear(&r);
		return -1;
	}
	opts_clear(o);
	*o = r;
	return 0;
}

/* Resolve every device's settings once the whole file has been read:
 * defaults, then [global], then its section, then its own lines. A
 * [libvirt] section does not inherit [global]'s capture: libvirt devices
 * capture only when their section says so (and a libvirt: backend line in a
 * [domain] section only when it or its section says so). */
static int
config_resolve(struct config *cf)
{
	struct opts def, lv;

	opts_init(&def);
	if (config_opts_inherit(&cf->opts, cf->opts_set, &def) == -1)
		return -1;
	cf->scrollback = cf->opts.scrollback;
	for (struct config_domain *d = cf->domains; d != NULL; d = d->next) {
		if (config_opts_inherit(&d->opts, d->opts_set, &cf->opts) == -1)
			return -1;
		for (struct config_device *v = d->devices; v != NULL; v = v->next) {
			if (config_opts_inherit(&v->opts, v->opts_set, &d->opts) == -1)
				return -1;
			/* A libvirt: console captures only when its line or its
			 * section asks, as in [libvirt]: holding it idle makes
			 * virsh console need --force. */
			if (strncmp(v->backend, "libvirt:", 8) == 0 &&
			    !((v->opts_set | d->opts_set) & (1u << O_CAPTURE)))
				v->opts.capture = 0;
		}
	}
	for (struct config_libvirt *l = cf->libvirts; l != NULL; l = l->next) {
		if (opts_copy(&lv, &cf->opts) == -1)
			return -1;
		lv.capture = 0;
		if (config_opts_inherit(&l->opts, l->opts_set, &lv) == -1) {
			opts_clear(&lv);
			return -1;
		}
		opts_clear(&lv);
	}
	return 0;
}

/* Forget the keys seen in the section that ended. */
static void
config_seen_reset(struct config_parse *p)
{
	for (size_t i = 0; i < p->nseen; i++)
		free(p->seen_keys[i]);
	free(p->seen_keys);
	p->seen_keys = NULL;
	p->nseen = 0;
	hash_free(p->seen);
	p->seen = hash_new();
	if (p->seen == NULL)
		config_nomem(p);
}

/* A key given a second time in one section: -1 after the error. */
static int
config_seen(struct config_parse *p, const char *key)
{
	intptr_t first;
	char **keys, *copy;

	if (p->seen == NULL)
		return -1;
	if ((first = (intptr_t)hash_get(p->seen, key)) != 0) {
		config_error(p, p->lineno, "duplicate key '%s' (first at line %d)", key,
		    (int)first);
		return -1;
	}
	if ((copy = strdup(key)) == NULL ||
	    (keys = realloc(p->seen_keys, (p->nseen + 1) * sizeof *keys)) == NULL) {
		free(copy);
		config_nomem(p);
		return -1;
	}
	p->seen_keys = keys;
	keys[p->nseen++] = copy;
	if (hash_put(p->seen, copy, (void *)(intptr_t)p->lineno) == -1) {
		config_nomem(p);
		return -1;
	}
	return 0;
}

/* The device above has no more continuation lines: check its backend. A
 * value that is no backend at all under a name close to a known key was
 * meant as that key ("mod = 0660"); an unterminated quote after an inline
 * comment was cut off is most likely that comment's doing. */
static void
config_end_device(struct config_parse *p)
{
	struct config_device *dev = p->device;
	const char *near;
	struct spec *sp;
	char *why;

	if (dev == NULL)
		return;
	p->device = NULL;
	if ((sp = spec_parse(dev->backend, &why)) == NULL) {
		if (why != NULL && strncmp(why, "no backend scheme", 17) == 0 &&
		    (near = config_suggest(p, dev->name)) != NULL)
			config_error(p, dev->line, "unknown key '%s' (did you mean '%s'?)",
			    dev->name, near);
		else if (why != NULL && strstr(why, "unterminated") != NULL && p->device_cut)
			config_error(p, dev->line, "%s (note: ' ;' starts a comment, so the rest "
			    "of the line after it was ignored; write ';' with no blank before it, "
			    "or quote it as ' ;' inside the command)", why);
		else
			config_error(p, dev->line, "%s", why != NULL ? why : "out of memory");
		free(why);
	}
	spec_free(sp);
}

/* Apply the "DEV.KEY = VALUE" lines of the section that ended. */
static void
config_end_devopts(struct config_parse *p)
{
	struct config_devopt *o, *next;

	for (o = p->devopts; o != NULL; o = next) {
		struct config_device *dev = p->devices != NULL ? hash_get(p->devices, o->dev) : NULL;

		next = o->next;
		if (dev == NULL)
			config_error(p, o->line, "'%s.%s': no device '%s' in this section",
			    o->dev, config_opt_keys[o->k], o->dev);
		else
			config_opt(p, &dev->opts, &dev->opts_set, o->k, o->value, o->line);
		free(o->dev);
		free(o->value);
		free(o);
	}
	p->devopts = NULL;
}

/* The section above has ended: apply its per-device settings, give its
 * domain its UUID and check that no earlier domain has the same one; a
 * [libvirt] section must have said where to connect. */
static void
config_end_section(struct config_parse *p)
{
	struct config_domain *dom = p->domain, *d;
	struct config_libvirt *lv = p->libvirt;

	config_end_device(p);
	config_end_devopts(p);
	hash_free(p->devices);
	p->devices = NULL;
	p->domain = NULL;
	p->libvirt = NULL;
	if (lv != NULL && lv->uri == NULL && (p->seen == NULL || hash_get(p->seen, "uri") == NULL))
		config_error(p, lv->line, "[libvirt %s] has no 'uri = ...' "
		    "(for example uri = qemu:///system)", lv->name);
	if (dom == NULL)
		return;
	if (p->uuid_line == 0)
		config_uuid_from_name(dom->name, dom->uuid);
	{
		char text[UUID_STR_LEN];

		uuid_unparse_lower(dom->uuid, text);
		if ((d = hash_get(p->uuids, text)) != NULL) {
			config_error(p, p->uuid_line != 0 ? p->uuid_line : dom->line,
			    "duplicate uuid %s: domain '%s' (line %d) has it too%s",
			    text, d->name, d->line, p->uuid_line != 0 ? "" :
			    " (this domain's uuid is derived from its name)");
			return;
		}
		/* The table's keys are freed with the parse state. */
		char *key = strdup(text), **keys;

		if (key == NULL ||
		    (keys = realloc(p->uuid_keys, (p->nuuids + 1) * sizeof *keys)) == NULL) {
			free(key);
			config_nomem(p);
			return;
		}
		p->uuid_keys = keys;
		keys[p->nuuids++] = key;
		if (hash_put(p->uuids, key, dom) == -1)
			config_nomem(p);
	}
}

/* Start a [domain NAME] or [libvirt NAME] section (KIND) at this line. */
static void
config_new_section(struct config_parse *p, const char *kind, const char *name)
{
	const char *why;
	int err;

	if ((why = config_name_problem(name, 0, &err)) != NULL) {
		config_error(p, p->lineno, "bad %s name '%s': %s", kind, name, why);
		return;
	}
	if (strcmp(kind, "domain") == 0) {
		struct config_domain *dom = hash_get(p->domains, name);

		if (dom != NULL) {
			config_error(p, p->lineno, "duplicate domain '%s' (first at line %d)",
			    dom->name, dom->line);
			return;
		}
		if ((dom = calloc(1, sizeof *dom)) == NULL ||
		    (opts_init(&dom->opts), (dom->name = strdup(name)) == NULL) ||
		    hash_put(p->domains, dom->name, dom) == -1) {
			if (dom != NULL)
				free(dom->name);
			free(dom);
			config_nomem(p);
			return;
		}
		dom->mode = CONFIG_DEFAULT_MODE;
		dom->line = p->lineno;
		*p->domain_tail = dom;
		p->domain_tail = &dom->next;
		p->domain = dom;
		p->device_tail = &dom->devices;
		p->uuid_line = 0;
		p->section = CONFIG_DOMAIN;
	} else {
		struct config_libvirt *lv = hash_get(p->libvirts, name);

		if (lv != NULL) {
			config_error(p, p->lineno, "duplicate section [libvirt %s] (first at "
			    "line %d)", lv->name, lv->line);
			return;
		}
		if ((lv = calloc(1, sizeof *lv)) == NULL ||
		    (opts_init(&lv->opts), (lv->name = strdup(name)) == NULL) ||
		    hash_put(p->libvirts, lv->name, lv) == -1) {
			if (lv != NULL)
				free(lv->name);
			free(lv);
			config_nomem(p);
			return;
		}
		lv->perm.mode = CONFIG_DEFAULT_MODE;
		lv->line = p->lineno;
		*p->libvirt_tail = lv;
		p->libvirt_tail = &lv->next;
		p->libvirt = lv;
		p->section = CONFIG_LIBVIRT;
	}
	if ((p->devices = hash_new()) == NULL)
		config_nomem(p);
}

/* A "[...]" line: T points at the '['. */
static void
config_section_line(struct config_parse *p, const char *t)
{
	const char *close = strchr(t, ']'), *rest;
	char *copy = NULL, *words[3] = { NULL }, *save = NULL, *name;
	int n = 0;

	config_end_section(p);
	config_seen_reset(p);
	p->section = CONFIG_NONE;
	p->have_key = 0;
	if (close == NULL) {
		config_error(p, p->lineno, "section header without ']'");
		return;
	}
	rest = config_skip_space(close + 1);
	if (*rest != '\0' && *rest != ';') {
		config_error(p, p->lineno, "unexpected text after ']'");
		return;
	}
	if ((copy = strndup(t + 1, close - t - 1)) == NULL) {
		config_nomem(p);
		return;
	}
	for (char *w = strtok_r(copy, " \t\f\v", &save); w != NULL;
	    w = strtok_r(NULL, " \t\f\v", &save), n++)
		if (n < 3)
			words[n] = w;
	if (n == 1 && strcmp(words[0], "global") == 0) {
		if (p->global_line != 0)
			config_error(p, p->lineno,
			    "duplicate section [global] (first at line %d)", p->global_line);
		p->global_line = p->lineno;
		p->section = CONFIG_GLOBAL;
	} else if (n == 2 && (strcmp(words[0], "domain") == 0 || strcmp(words[0], "libvirt") == 0)) {
		config_new_section(p, words[0], words[1]);
	} else if (n > 2 && (strcmp(words[0], "domain") == 0 || strcmp(words[0], "libvirt") == 0)) {
		/* "[domain web 1]": say what is wrong with the name. */
		const char *start = config_skip_space(config_skip_space(t + 1) + strlen(words[0]));
		size_t len = close - start;

		while (len > 0 && isspace((unsigned char)start[len - 1]))
			len--;
		if ((name = strndup(start, len)) == NULL) {
			config_nomem(p);
			goto out;
		}
		config_error(p, p->lineno, "bad %s name '%s': a name is one word of "
		    "A-Z a-z 0-9 _ . - (no blanks)", words[0], name);
		free(name);
	} else
		config_error(p, p->lineno,
		    "unknown section '[%.*s]' (expected [global], [domain NAME] or "
		    "[libvirt NAME])", (int)(close - t - 1), t + 1);
out:
	free(copy);
}

/* inih's line reader: hand it the next physical line, whole. */
static char *
config_reader(char *str, int num, void *user)
{
	struct config_parse *p = user;
	const char *t;
	ssize_t n;
	char *s;

	if (p->failed)
		return NULL;	/* only the first error is shown: stop reading */
	if ((n = getline(&p->buf, &p->bufsize, p->fp)) == -1) {
		if (ferror(p->fp))	/* EISDIR, EIO: about the whole file */
			config_error(p, 0, "%s", strerror(errno));
		return NULL;
	}
	p->lineno++;
	s = p->buf;
	if (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '\r')
		s[--n] = '\0';
	if (p->lineno == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;		/* a UTF-8 byte order mark, as inih allows */
		n -= 3;
	}
	if (memchr(s, '\0', n) != NULL) {
		config_error(p, p->lineno, "NUL byte in line");
		return NULL;
	}
	/* inih would read a longer line as two (its buffer is NUM bytes on
	 * the stack, and cannot grow): refuse it instead. */
	if (n >= num) {
		config_error(p, p->lineno, "line too long (at most %d characters)", num - 1);
		return NULL;
	}
	memcpy(str, s, n + 1);
	p->text = s;
	p->indented = isspace((unsigned char)s[0]);
	/* The same test inih makes: an indented line after a key continues
	 * that key's value, whatever it looks like; otherwise a line whose
	 * first non-blank character is '[' is a section header. */
	t = config_skip_space(s);
	if (*t == '[' && !(p->indented && p->have_key)) {
		config_section_line(p, t);
		if (p->failed)
			return NULL;
	}
	return str;
}

/* An indented line after a device line: it continues the device's exec:
 * command, joined with one space. */
static int
config_continue(struct config_parse *p, const char *name, const char *value)
{
	struct config_device *dev = p->device;
	size_t old, len, i;
	char *b;

	if (dev == NULL || (dev->backend[0] != '\0' && strncmp(dev->backend, "exec:", 5) != 0)) {
		config_error(p, p->lineno, "indented continuation line after '%s': "
		    "only an exec: command may continue on the next line "
		    "(keys must start at the beginning of a line)", name);
		return -1;
	}
	if (value[0] == '[') {
		config_error(p, p->lineno, "indented continuation line starts with '[' "
		    "(section headers must start at the beginning of a line)");
		return -1;
	}
	/* "  NAME = ..." is far more likely an indented key than words of a
	 * command, since a lone "=" word is rare in a command line. */
	i = strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");
	if (i > 0 && (value[i] == ' ' || value[i] == '\t') &&
	    value[i + strspn(value + i, " \t")] == '=') {
		config_error(p, p->lineno, "indented continuation line looks like a key "
		    "(keys must start at the beginning of a line)");
		return -1;
	}
	/* inih 55 does not cut inline comments off continuation lines (later
	 * versions do): cut at the first ';' after a blank, as on key lines,
	 * so that " ;" starts a comment on every line. */
	for (len = 0; value[len] != '\0'; len++)
		if (value[len] == ';' && len > 0 && isspace((unsigned char)value[len - 1]))
			break;
	while (len > 0 && isspace((unsigned char)value[len - 1]))
		len--;
	old = strlen(dev->backend);
	if ((b = realloc(dev->backend, old + 1 + len + 1)) == NULL) {
		config_nomem(p);
		return -1;
	}
	if (old > 0)
		b[old++] = ' ';
	memcpy(b + old, value, len);
	b[old + len] = '\0';
	dev->backend = b;
	return 0;
}

static int
config_global(struct config_parse *p, int k, const char *value)
{
	struct config *cf = p->cf;
	const char *why = NULL;
	unsigned long v;

	switch (k) {
	case G_LOCK_DIR:
		if (value[0] != '/') {
			config_error(p, p->lineno, "lock_dir must be an absolute path");
			return -1;
		}
		free(cf->lock_dir);
		if ((cf->lock_dir = strdup(value)) == NULL) {
			config_nomem(p);
			return -1;
		}
		return 0;
	case G_FORCE_RESERVE:
		if (config_parse_uint(value, 10, CONFIG_FORCE_RESERVE_MAX, &v) == -1) {
			config_error(p, p->lineno, "bad force_reserve '%s' "
			    "(whole seconds, 0 to %d)", value, CONFIG_FORCE_RESERVE_MAX);
			return -1;
		}
		cf->force_reserve = v;
		return 0;
	case G_HOST_SERIAL:
		if (config_parse_bool(value, &cf->host_serial) == -1) {
			config_error(p, p->lineno, "bad host_serial '%s' (yes or no)", value);
			return -1;
		}
		return 0;
	default: {	/* G_HOST_SERIAL_EXCLUDE, G_HOST_SERIAL_INCLUDE */
		char ***list = k == G_HOST_SERIAL_EXCLUDE ? &cf->host_serial_exclude :
		    &cf->host_serial_include;

		words_free(*list);
		*list = NULL;
		if (value[0] == '\0')
			return 0;
		if ((*list = words_split(value, &why)) == NULL) {
			config_error(p, p->lineno, "%s: %s", config_global_keys[k], why);
			return -1;
		}
		for (char **w = *list; *w != NULL; w++)
			if (strchr(*w, '/') != NULL) {
				config_error(p, p->lineno, "%s: '%s' is not a "
				    "kernel name such as ttyS0", config_global_keys[k], *w);
				return -1;
			}
		return 0;
	}
	}
}

/* owner, group or mode (K of config_domain_keys) into PERM. */
static int
config_perm(struct config_parse *p, int k, const char *value, struct registry_perm *perm)
{
	unsigned long v;
	unsigned int id;

	if (k == D_MODE) {
		if (config_parse_uint(value, 8, 0777, &v) == -1) {
			config_error(p, p->lineno,
			    "bad mode '%s' (octal, at most 0777)", value);
			return -1;
		}
		perm->mode = v;
		return 0;
	}
	if (config_lookup_id(value, k == D_GROUP, &id) == -1) {
		if (errno == ENOENT)
			config_error(p, p->lineno, "unknown %s '%s'",
			    k == D_GROUP ? "group" : "user", value);
		else
			config_error(p, p->lineno, "cannot look up %s '%s': %s",
			    k == D_GROUP ? "group" : "user", value, strerror(errno));
		return -1;
	}
	if (k == D_OWNER)
		perm->uid = id;
	else
		perm->gid = id;
	return 0;
}

static int
config_setting(struct config_parse *p, int k, const char *value)
{
	struct config_domain *dom = p->domain;
	struct registry_perm perm;

	if (k == D_UUID) {
		if (uuid_parse(value, dom->uuid) != 0) {
			config_error(p, p->lineno, "bad uuid '%s' "
			    "(expected the form 3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10)", value);
			return -1;
		}
		p->uuid_line = p->lineno;
		return 0;
	}
	perm.uid = dom->owner;
	perm.gid = dom->group;
	perm.mode = dom->mode;
	if (config_perm(p, k, value, &perm) == -1)
		return -1;
	dom->owner = perm.uid;
	dom->group = perm.gid;
	dom->mode = perm.mode;
	return 0;
}

static int
config_libvirt_setting(struct config_parse *p, int k, const char *value)
{
	struct config_libvirt *lv = p->libvirt;
	const char *why;
	char **field;
	int err;

	switch (k) {
	case L_URI:
	case L_PREFIX:
		field = k == L_URI ? &lv->uri : &lv->prefix;
		if (value[0] == '\0') {
			config_error(p, p->lineno, "empty %s", config_libvirt_keys[k]);
			return -1;
		}
		/* PREFIX-NAME must be a domain name: check the prefix's part. */
		if (k == L_PREFIX && (why = config_name_problem(value, 0, &err)) != NULL) {
			config_error(p, p->lineno, "bad prefix '%s': %s", value, why);
			return -1;
		}
		free(*field);
		if ((*field = strdup(value)) == NULL) {
			config_nomem(p);
			return -1;
		}
		return 0;
	default:
		return config_perm(p, k - L_OWNER + D_OWNER, value, &lv->perm);
	}
}

/* "DEV.KEY = VALUE" with KEY a device setting: kept for the section's end.
 * 1 when NAME is such a line (handled, maybe with an error), 0 when not. */
static int
config_devopt(struct config_parse *p, const char *name, const char *value)
{
	const char *dot = strrchr(name, '.');
	struct config_devopt *o;
	int k, err;

	if (dot == NULL || (k = config_key_index(config_opt_keys, dot + 1)) == -1)
		return 0;
	if ((o = calloc(1, sizeof *o)) == NULL ||
	    (o->dev = strndup(name, dot - name)) == NULL ||
	    (o->value = strdup(value)) == NULL) {
		if (o != NULL) {
			free(o->dev);
			free(o);
		}
		config_nomem(p);
		return 1;
	}
	if (config_name_problem(o->dev, 1, &err) != NULL) {
		config_error(p, p->lineno, "'%s': '%s' is not a device name", name, o->dev);
		free(o->dev);
		free(o->value);
		free(o);
		return 1;
	}
	o->k = k;
	o->line = p->lineno;
	o->next = p->devopts;
	p->devopts = o;
	return 1;
}

static int
config_device(struct config_parse *p, const char *name, const char *value)
{
	struct config_device *dev;
	const char *why, *near;
	int err;

	if ((why = config_name_problem(name, 1, &err)) != NULL) {
		if ((near = config_suggest(p, name)) != NULL)
			config_error(p, p->lineno, "unknown key '%s' (did you mean '%s'?)",
			    name, near);
		else
			config_error(p, p->lineno, "bad device name '%s': %s", name, why);
		return -1;
	}
	if ((dev = hash_get(p->devices, name)) != NULL) {
		config_error(p, p->lineno,
		    "duplicate device '%s' in [domain %s] (first at line %d)",
		    name, p->domain->name, dev->line);
		return -1;
	}
	if ((dev = calloc(1, sizeof *dev)) == NULL ||
	    (opts_init(&dev->opts), (dev->name = strdup(name)) == NULL) ||
	    (dev->backend = strdup(value)) == NULL ||
	    hash_put(p->devices, dev->name, dev) == -1) {
		if (dev != NULL) {
			free(dev->name);
			free(dev->backend);
		}
		free(dev);
		config_nomem(p);
		return -1;
	}
	dev->line = p->lineno;
	*p->device_tail = dev;
	p->device_tail = &dev->next;
	p->device = dev;	/* checked when its continuation lines end */
	/* inih cut a comment off: "x ; y" or "x\t; y" after the '='. */
	{
		const char *eq = strchr(p->text, '='), *semi;

		p->device_cut = 0;
		for (semi = eq != NULL ? strchr(eq, ';') : NULL; semi != NULL; semi = strchr(semi + 1, ';'))
			if (isspace((unsigned char)semi[-1]))
				p->device_cut = 1;
	}
	return 0;
}

/*
 * inih's handler, called for each "name = value" line and again, with the
 * same name, for each continuation line. inih takes a line for a
 * continuation exactly when it starts with a blank, is not blank or a
 * comment, and a key line came before it in the same section (its
 * prev_name is set); p->indented and p->have_key follow the same rule, so
 * a repeated name that is not indented is a real duplicate.
 */
static int
config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct config_parse *p = user;
	const char *const *keys;
	unsigned int *set;
	struct opts *o;
	const char *t;
	int k;

	(void)section;	/* cut at 49 bytes by inih: the reader tracks it */
	if (p->failed)
		return 0;
	if (p->indented && p->have_key)
		return config_continue(p, name, value) == 0;
	config_end_device(p);
	p->have_key = name[0] != '\0';
	if (p->failed)
		return 0;
	/* inih also takes "name: value"; we document and accept only '='. */
	t = config_skip_space(p->text);
	if (strncmp(t, name, strlen(name)) != 0 ||
	    *config_skip_space(t + strlen(name)) != '=') {
		config_error(p, p->lineno, "expected 'NAME = VALUE'");
		return 0;
	}
	if (p->indented) {
		config_error(p, p->lineno, "indented key '%s' (keys must start at the "
		    "beginning of a line; an indented line continues the one above)", name);
		return 0;
	}
	switch (p->section) {
	case CONFIG_NONE:
		config_error(p, p->lineno, "'%s' outside any section "
		    "(expected [global], [domain NAME] or [libvirt NAME] first)", name);
		return 0;
	case CONFIG_GLOBAL:
		keys = config_global_keys;
		o = &p->cf->opts;
		set = &p->cf->opts_set;
		break;
	case CONFIG_DOMAIN:
		keys = config_domain_keys;
		o = &p->domain->opts;
		set = &p->domain->opts_set;
		break;
	default:
		keys = config_libvirt_keys;
		o = &p->libvirt->opts;
		set = &p->libvirt->opts_set;
		break;
	}
	/* env accumulates; every other key is said once per section. */
	if ((k = config_key_index(config_opt_keys, name)) != -1) {
		if (k != O_ENV && config_seen(p, name) == -1)
			return 0;
		return config_opt(p, o, set, k, value, p->lineno) == 0;
	}
	if ((k = config_key_index(keys, name)) != -1) {
		if (config_seen(p, name) == -1)
			return 0;
		if (p->section == CONFIG_GLOBAL)
			return config_global(p, k, value) == 0;
		if (p->section == CONFIG_DOMAIN)
			return config_setting(p, k, value) == 0;
		return config_libvirt_setting(p, k, value) == 0;
	}
	if (p->section == CONFIG_DOMAIN || p->section == CONFIG_LIBVIRT) {
		const char *dot = strrchr(name, '.');

		if (dot != NULL && config_key_index(config_opt_keys, dot + 1) != -1 &&
		    strcmp(dot + 1, "env") != 0 && config_seen(p, name) == -1)
			return 0;
		if (config_devopt(p, name, value))
			return !p->failed;
		if (p->section == CONFIG_DOMAIN)
			return config_device(p, name, value) == 0;
	}
	t = config_suggest(p, name);
	if (t != NULL)
		config_error(p, p->lineno, "unknown key '%s' in [%s] (did you mean '%s'?)",
		    name, p->section == CONFIG_GLOBAL ? "global" : "libvirt", t);
	else if (p->section == CONFIG_GLOBAL)
		config_error(p, p->lineno, "unknown key '%s' in [global]", name);
	else
		config_error(p, p->lineno, "unknown key '%s' in [libvirt %s] (devices come "
		    "from libvirt)", name, p->libvirt->name);
	return 0;
}

/* Read PATH into a struct config; NULL and *CAUSE "FILE:LINE: reason". */
struct config *
config_load(const char *path, int missing_ok, char **cause)
{
	struct config_parse p;
	struct config *cf;
	int rc, saverr = EINVAL;
	char iobuf[8192];

	*cause = NULL;
	memset(&p, 0, sizeof p);
	p.path = path;
	if ((cf = calloc(1, sizeof *cf)) == NULL)
		goto nomem;
	opts_init(&cf->opts);
	cf->scrollback = CONFIG_DEFAULT_SCROLLBACK;
	cf->force_reserve = CONFIG_DEFAULT_FORCE_RESERVE;
	p.cf = cf;
	p.domain_tail = &cf->domains;
	p.libvirt_tail = &cf->libvirts;
	if ((p.domains = hash_new()) == NULL || (p.uuids = hash_new()) == NULL ||
	    (p.libvirts = hash_new()) == NULL || (p.seen = hash_new()) == NULL)
		goto nomem;
	if ((p.fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT && missing_ok) {
			if (config_resolve(cf) == -1)
				goto nomem;
			goto out;
		}
		saverr = errno;
		if (asprintf(cause, "%s: %s", path, strerror(saverr)) < 0)
			*cause = NULL;
		goto fail;
	}
	/* A buffer of our own: stdio's malloc'd one, asked for after a reload
	 * freed thousands of small blocks, made glibc consolidate them all
	 * there (a fifth of an unchanged reload of 3,000 domains). */
	setvbuf(p.fp, iobuf, _IOFBF, sizeof iobuf);
	rc = ini_parse_stream(config_reader, &p, config_handler, &p);
	config_end_section(&p);
	if (rc == -2)
		config_nomem(&p);
	else if (rc > 0)
		/* Not one of ours (those are recorded at the same line and win
		 * the tie): inih's own "no '=' on this line". */
		config_error(&p, rc, "syntax error (expected 'NAME = VALUE', "
		    "'[SECTION]' or a ';' comment)");
	if (!p.failed && config_resolve(cf) == -1)
		config_nomem(&p);
	if (!p.failed && cf->host_serial) {
		/* host_serial makes a domain "host" (source_host.c). */
		for (struct config_domain *d = cf->domains; d != NULL; d = d->next)
			if (strcmp(d->name, "host") == 0)
				config_error(&p, d->line, "domain name 'host' is taken by "
				    "host_serial = yes (the host's serial ports)");
	}
	if (!p.failed)
		goto out;
	if (p.err == NULL) {
		saverr = ENOMEM;
		rc = asprintf(cause, "%s: out of memory", path);
	} else if (p.err_line > 0)
		rc = asprintf(cause, "%s:%d: %s", path, p.err_line, p.err);
	else
		rc = asprintf(cause, "%s: %s", path, p.err);
	if (rc < 0)
		*cause = NULL;
	goto fail;
nomem:
	saverr = ENOMEM;
	*cause = strdup("out of memory");
fail:
	config_free(cf);
	cf = NULL;
out:
	if (p.fp != NULL)
		fclose(p.fp);
	config_seen_reset(&p);
	hash_free(p.seen);
	hash_free(p.domains);
	hash_free(p.libvirts);
	hash_free(p.devices);
	hash_free(p.uuids);
	for (size_t i = 0; i < p.nuuids; i++)
		free(p.uuid_keys[i]);
	free(p.uuid_keys);
	while (p.devopts != NULL) {
		struct config_devopt *o = p.devopts;

		p.devopts = o->next;
		free(o->dev);
		free(o->value);
		free(o);
	}
	free(p.buf);
	free(p.err);
	if (cf == NULL)
		errno = saverr;
	return cf;
}

/* Free a configuration (NULL is ok). */
void
config_free(struct config *cf)
{
	struct config_domain *dom, *dnext;
	struct config_device *dev, *next;
	struct config_libvirt *lv, *lnext;

	if (cf == NULL)
		return;
	for (dom = cf->domains; dom != NULL; dom = dnext) {
		dnext = dom->next;
		for (dev = dom->devices; dev != NULL; dev = next) {
			next = dev->next;
			free(dev->name);
			free(dev->backend);
			opts_clear(&dev->opts);
			free(dev);
		}
		opts_clear(&dom->opts);
		free(dom->name);
		free(dom);
	}
	for (lv = cf->libvirts; lv != NULL; lv = lnext) {
		lnext = lv->next;
		free(lv->name);
		free(lv->uri);
		free(lv->prefix);
		opts_clear(&lv->opts);
		free(lv);
	}
	opts_clear(&cf->opts);
	words_free(cf->host_serial_exclude);
	words_free(cf->host_serial_include);
	free(cf->lock_dir);
	free(cf);
}
