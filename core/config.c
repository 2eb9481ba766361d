/*
 * config.c — read consolefs.conf: [global] settings and [domain NAME]
 * sections of settings and devices, checked completely (names, backend
 * strings, users, UUIDs) so that a bad file is refused with "FILE:LINE:
 * reason" before anything is mounted. Not for applying a configuration to
 * the tree, and not for opening any backend.
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
#include "core/spec.h"

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

enum config_section { CONFIG_NONE, CONFIG_GLOBAL, CONFIG_DOMAIN };

static const char *const config_global_keys[] = {
	"lock_dir", "scrollback", "force_reserve",
};
static const char *const config_domain_keys[] = {
	"uuid", "owner", "group", "mode",
};
#define CONFIG_NKEYS(a) (sizeof (a) / sizeof (a)[0])

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
	int			 key_lines[4];	/* settings seen in this section */
	struct config_domain	*domain;	/* the [domain] being read */
	struct config_domain   **domain_tail;
	int			 uuid_line;	/* 0: derive from the name */
	struct config_device	*device;	/* open to continuation lines */
	struct config_device   **device_tail;

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
config_key_index(const char *const *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i], name) == 0)
			return i;
	return -1;
}

/* The device above has no more continuation lines: check its backend. */
static void
config_end_device(struct config_parse *p)
{
	struct config_device *dev = p->device;
	struct spec *sp;
	char *why;

	if (dev == NULL)
		return;
	p->device = NULL;
	if ((sp = spec_parse(dev->backend, &why)) == NULL) {
		config_error(p, dev->line, "%s", why != NULL ? why : "out of memory");
		free(why);
	}
	spec_free(sp);
}

/* The section above has ended: give its domain its UUID and check that no
 * earlier domain has the same one. */
static void
config_end_section(struct config_parse *p)
{
	struct config_domain *dom = p->domain, *d;
	char text[UUID_STR_LEN];

	config_end_device(p);
	p->domain = NULL;
	if (dom == NULL)
		return;
	if (p->uuid_line == 0)
		config_uuid_from_name(dom->name, dom->uuid);
	for (d = p->cf->domains; d != dom; d = d->next) {
		if (memcmp(d->uuid, dom->uuid, sizeof dom->uuid) != 0)
			continue;
		uuid_unparse_lower(dom->uuid, text);
		config_error(p, p->uuid_line != 0 ? p->uuid_line : dom->line,
		    "duplicate uuid %s: domain '%s' (line %d) has it too%s",
		    text, d->name, d->line, p->uuid_line != 0 ? "" :
		    " (this domain's uuid is derived from its name)");
		break;
	}
}

/* A "[...]" line: T points at the '['. */
static void
config_section_line(struct config_parse *p, const char *t)
{
	const char *close = strchr(t, ']'), *rest;
	char *copy = NULL, *words[3] = { NULL }, *save = NULL;
	struct config_domain *dom, *d;
	const char *why;
	int n = 0, err;

	config_end_section(p);
	p->section = CONFIG_NONE;
	p->have_key = 0;
	memset(p->key_lines, 0, sizeof p->key_lines);
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
	} else if (n == 2 && strcmp(words[0], "domain") == 0) {
		if ((why = config_name_problem(words[1], 0, &err)) != NULL) {
			config_error(p, p->lineno, "bad domain name '%s': %s", words[1], why);
			goto out;
		}
		for (d = p->cf->domains; d != NULL; d = d->next) {
			if (strcmp(d->name, words[1]) == 0) {
				config_error(p, p->lineno,
				    "duplicate domain '%s' (first at line %d)", d->name, d->line);
				goto out;
			}
		}
		if ((dom = calloc(1, sizeof *dom)) == NULL ||
		    (dom->name = strdup(words[1])) == NULL) {
			free(dom);
			config_nomem(p);
			goto out;
		}
		dom->mode = CONFIG_DEFAULT_MODE;
		dom->line = p->lineno;
		*p->domain_tail = dom;
		p->domain_tail = &dom->next;
		p->domain = dom;
		p->device_tail = &dom->devices;
		p->uuid_line = 0;
		p->section = CONFIG_DOMAIN;
	} else
		config_error(p, p->lineno,
		    "unknown section '[%.*s]' (expected [global] or [domain NAME])",
		    (int)(close - t - 1), t + 1);
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
	unsigned long v;

	switch (k) {
	case 0:
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
	case 1:
		if (config_parse_size(value, &cf->scrollback) == -1 ||
		    cf->scrollback > CONFIG_SCROLLBACK_MAX) {
			config_error(p, p->lineno, "bad size '%s' for scrollback (bytes, "
			    "with an optional K or M suffix, at most 1024M)", value);
			return -1;
		}
		return 0;
	default:
		if (config_parse_uint(value, 10, CONFIG_FORCE_RESERVE_MAX, &v) == -1) {
			config_error(p, p->lineno, "bad force_reserve '%s' "
			    "(whole seconds, 0 to %d)", value, CONFIG_FORCE_RESERVE_MAX);
			return -1;
		}
		cf->force_reserve = v;
		return 0;
	}
}

static int
config_setting(struct config_parse *p, int k, const char *value)
{
	struct config_domain *dom = p->domain;
	unsigned long v;
	unsigned int id;

	switch (k) {
	case 0:
		if (uuid_parse(value, dom->uuid) != 0) {
			config_error(p, p->lineno, "bad uuid '%s' "
			    "(expected the form 3c1f0d4e-8a55-4a5e-9d2b-6f1e2a7c9b10)", value);
			return -1;
		}
		p->uuid_line = p->lineno;
		return 0;
	case 1:
	case 2:
		if (config_lookup_id(value, k == 2, &id) == -1) {
			if (errno == ENOENT)
				config_error(p, p->lineno, "unknown %s '%s'",
				    k == 2 ? "group" : "user", value);
			else
				config_error(p, p->lineno, "cannot look up %s '%s': %s",
				    k == 2 ? "group" : "user", value, strerror(errno));
			return -1;
		}
		if (k == 1)
			dom->owner = id;
		else
			dom->group = id;
		return 0;
	default:
		if (config_parse_uint(value, 8, 0777, &v) == -1) {
			config_error(p, p->lineno,
			    "bad mode '%s' (octal, at most 0777)", value);
			return -1;
		}
		dom->mode = v;
		return 0;
	}
}

static int
config_device(struct config_parse *p, const char *name, const char *value)
{
	struct config_device *dev;
	const char *why;
	int err;

	if ((why = config_name_problem(name, 1, &err)) != NULL) {
		config_error(p, p->lineno, "bad device name '%s': %s", name, why);
		return -1;
	}
	for (dev = p->domain->devices; dev != NULL; dev = dev->next) {
		if (strcmp(dev->name, name) == 0) {
			config_error(p, p->lineno,
			    "duplicate device '%s' in [domain %s] (first at line %d)",
			    name, p->domain->name, dev->line);
			return -1;
		}
	}
	if ((dev = calloc(1, sizeof *dev)) == NULL ||
	    (dev->name = strdup(name)) == NULL ||
	    (dev->backend = strdup(value)) == NULL) {
		if (dev != NULL)
			free(dev->name);
		free(dev);
		config_nomem(p);
		return -1;
	}
	dev->line = p->lineno;
	*p->device_tail = dev;
	p->device_tail = &dev->next;
	p->device = dev;	/* checked when its continuation lines end */
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
		    "(expected [global] or [domain NAME] first)", name);
		return 0;
	case CONFIG_GLOBAL:
		k = config_key_index(config_global_keys, CONFIG_NKEYS(config_global_keys), name);
		if (k == -1) {
			config_error(p, p->lineno, "unknown key '%s' in [global]", name);
			return 0;
		}
		break;
	default:	/* CONFIG_DOMAIN */
		k = config_key_index(config_domain_keys, CONFIG_NKEYS(config_domain_keys), name);
		if (k == -1)
			return config_device(p, name, value) == 0;
		break;
	}
	if (p->key_lines[k] != 0) {
		config_error(p, p->lineno, "duplicate key '%s' (first at line %d)",
		    name, p->key_lines[k]);
		return 0;
	}
	p->key_lines[k] = p->lineno;
	if (p->section == CONFIG_GLOBAL)
		return config_global(p, k, value) == 0;
	return config_setting(p, k, value) == 0;
}

/* Read PATH into a struct config; NULL and *CAUSE "FILE:LINE: reason". */
struct config *
config_load(const char *path, int missing_ok, char **cause)
{
	struct config_parse p;
	struct config *cf;
	int rc, saverr = EINVAL;

	*cause = NULL;
	memset(&p, 0, sizeof p);
	p.path = path;
	if ((cf = calloc(1, sizeof *cf)) == NULL)
		goto nomem;
	cf->scrollback = CONFIG_DEFAULT_SCROLLBACK;
	cf->force_reserve = CONFIG_DEFAULT_FORCE_RESERVE;
	p.cf = cf;
	p.domain_tail = &cf->domains;
	if ((p.fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT && missing_ok)
			return cf;
		saverr = errno;
		if (asprintf(cause, "%s: %s", path, strerror(saverr)) < 0)
			*cause = NULL;
		goto fail;
	}
	rc = ini_parse_stream(config_reader, &p, config_handler, &p);
	config_end_section(&p);
	if (rc == -2)
		config_nomem(&p);
	else if (rc > 0)
		/* Not one of ours (those are recorded at the same line and win
		 * the tie): inih's own "no '=' on this line". */
		config_error(&p, rc, "syntax error (expected 'NAME = VALUE', "
		    "'[SECTION]' or a ';' comment)");
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

	if (cf == NULL)
		return;
	for (dom = cf->domains; dom != NULL; dom = dnext) {
		dnext = dom->next;
		for (dev = dom->devices; dev != NULL; dev = next) {
			next = dev->next;
			free(dev->name);
			free(dev->backend);
			free(dev);
		}
		free(dom->name);
		free(dom);
	}
	free(cf->lock_dir);
	free(cf);
}
