/*
 * consolectl.c — the command-line tool of consolefs: list the consoles,
 * attach to one the way `virsh console` does, take one over, add and remove
 * domains and devices. It talks to the daemon only through the mounted
 * filesystem (directories, files, symbolic links, extended attributes), so
 * everything it does can also be done with ls, cat, getfattr and setfattr.
 * Not for reading the configuration file: that is the daemon's business.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "tools/attach.h"
#include "tools/show.h"
#include "tools/tree.h"

#define CTL_VERSION "0.1"

/* Exit codes, documented in consolectl(1). */
enum {
	CTL_EXIT_OK = 0,	/* done; for attach: left with the escape */
	CTL_EXIT_ERROR = 1,	/* usage or other error */
	CTL_EXIT_NOENT = 2,	/* no such domain or device */
	CTL_EXIT_BUSY = 3,
	CTL_EXIT_CLOSED = 4,	/* the console reached end of file */
	CTL_EXIT_TAKEN = 5,	/* taken over by user.force */
	CTL_EXIT_ABSENT = 6,	/* the backend is not there (ENXIO) */
	CTL_EXIT_SIGNAL = 7,
};

static const char ctl_usage_text[] =
"usage: consolectl [-m MOUNTPOINT] COMMAND [ARGS]\n"
"\n"
"  list [--json] [--wide]             list domains and their consoles\n"
"  attach [-f] [-w] [-e ESC] [-r N] DOMAIN[/DEV]\n"
"                                     connect the terminal to a console\n"
"  force DOMAIN[/DEV]                 end the session holding a console\n"
"  restart DOMAIN[/DEV]               start an exec: console's program again\n"
"  add DOMAIN [DEV BACKEND]           add a domain, or a device to it\n"
"  remove DOMAIN[/DEV]                remove a device, or an empty domain\n"
"\n"
"  -m, --mount DIR  mount point (default $CONSOLEFS_MOUNT, else /run/consoles)\n"
"  -f, --force      (attach) take the console over first\n"
"  -e, --escape C   (attach) escape character, ^X or one character (^])\n"
"  -w, --wait       (attach) wait for an absent console to appear\n"
"  -r, --replay N   (attach) first show the last N bytes (Nl: lines) it printed\n"
"  -h, --help       this help;  --version  print the version\n"
"\n"
"A DOMAIN is a name or a UUID; without /DEV, attach and force use\n"
"console0, else serial0, else the first device. See consolectl(1).\n";

static void ctl_warn(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Print "consolectl: MESSAGE" on stderr. A message may carry names and
 * attribute values from the file system (a holder's command name among
 * them): every byte that is not a printable character is escaped. */
static void
ctl_warn(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	fputs("consolectl: ", stderr);
	show_put(stderr, msg != NULL ? msg : "out of memory", -1);
	fputc('\n', stderr);
	free(msg);
}

/* A usage error: the synopsis of the command, and where to read more. */
static int
ctl_usage(const char *synopsis)
{
	fprintf(stderr, "usage: consolectl [-m MOUNTPOINT] %s\n"
	    "Try 'consolectl --help' or man consolectl.\n", synopsis);
	return CTL_EXIT_ERROR;
}

/* tree_resolve, saying what went wrong; 0 or an exit code. */
static int
ctl_resolve(const char *arg, int pick, struct tree_target *t)
{
	char *cause;
	int saverr;

	if (tree_resolve(arg, pick, t, &cause) == 0)
		return 0;
	saverr = errno;
	ctl_warn("%s", cause != NULL ? cause : strerror(saverr));
	free(cause);
	return saverr == ENOENT ? CTL_EXIT_NOENT : CTL_EXIT_ERROR;
}

/* Print S in a table cell of WIDTH columns (unpadded when LAST), escaped
 * (show.h) and cut to WIDTH. */
static void
ctl_cell(const char *s, int width, int last)
{
	int w = show_put(stdout, s, width);

	if (!last)
		printf("%*s", width - w + 2, "");
}

/* Print S as a JSON string (null for NULL): controls (C1 too, which a
 * terminal showing the output would obey) as \u00XX, bad UTF-8 as U+FFFD. */
static void
ctl_json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	if (s == NULL) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			printf("\\%c", *p++);
		} else if ((n = show_char_len(p)) > 0) {
			fwrite(p, 1, n, stdout);
			p += n;
		} else if (*p < 0x80) {
			printf("\\u%04x", *p++);
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			printf("\\u%04x", p[1]);
			p += 2;
		} else {
			fputs("\\ufffd", stdout);
			p++;
		}
	}
	putchar('"');
}

enum { COL_DOMAIN, COL_UUID, COL_DEVICE, COL_BACKEND, COL_STATE, COL_HOLDER,
    COL_TTY, COL_N };
static const char *const ctl_columns[COL_N] = {
	"domain", "uuid", "device", "backend", "state", "holder", "tty"
};

/* The width the table must fit in: the terminal's when the output is one,
 * else $COLUMNS when set, else 0 (no limit: a pipe gets whole values). */
static int
ctl_term_width(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	char *end;
	long v;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 0)
		return ws.ws_col;
	if (env != NULL && (v = strtol(env, &end, 10)) > 0 && *end == '\0' &&
	    v < 100000)
		return v;
	return 0;
}

/*
 * Narrow the columns in WIDTH so that the table fits in LIMIT columns
 * (0: no limit): the backend first (a long exec: line), then the holder,
 * the UUID (down to its first 8 digits, still enough to tell domains
 * apart) and the state, each to a minimum. Domain and device names are
 * never cut: they are what the user types next. Cut cells end in "~".
 */
static void
ctl_fit(int width[COL_N], int ncols, int limit)
{
	static const struct { int col, min; } order[] = {
		{ COL_BACKEND, 12 }, { COL_HOLDER, 16 }, { COL_UUID, 9 },
		{ COL_STATE, 10 },
	};
	int total = 2 * (ncols - 1), take;

	for (int k = 0; k < ncols; k++)
		total += width[k];
	for (size_t i = 0; limit > 0 && total > limit &&
	    i < sizeof order / sizeof order[0]; i++) {
		take = width[order[i].col] - order[i].min;
		if (take <= 0)
			continue;
		if (take > total - limit)
			take = total - limit;
		width[order[i].col] -= take;
		total -= take;
	}
}

/* The path of DEV's terminal link (DEV.tty), or NULL when it has none. Only
 * lstat: reading the link would make the daemon allocate its pty. */
static char *
ctl_list_tty(const char *dev)
{
	struct stat st;
	char *path;

	if (dev == NULL || asprintf(&path, "%s.tty", dev) == -1)
		return NULL;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return path;
	free(path);
	return NULL;
}

/*
 * An attribute for `list`: its value, or NULL when missing. *SHOW is what
 * the table prints: the value, "-" when absent (ENODATA, or not a device)
 * or "?" when it could not be read (usually no read permission).
 */
static char *
ctl_list_attr(const char *path, const char *name, const char **show)
{
	char *v;

	if (path == NULL) {
		*show = "-";
		return NULL;
	}
	if ((v = tree_xattr(path, name)) == NULL)
		*show = errno == ENODATA ? "-" : "?";
	else
		*show = v;
	return v;
}

static int
ctl_cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "wide", no_argument, NULL, 'w' },
		{ "mount", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char **doms = NULL, **devs, ***rows = NULL, *hint;
	size_t nrows = 0;
	int json = 0, wide = 0, c, width[COL_N] = { 0 }, ncols = COL_N, rc = CTL_EXIT_ERROR;

	while ((c = getopt_long(argc, argv, "jwm:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'w': wide = 1; break;
		case 'm': tree_mount = optarg; break;
		case 'h': fputs(ctl_usage_text, stdout); return CTL_EXIT_OK;
		default: return ctl_usage("list [--json] [--wide]");
		}
	}
	if (optind != argc)
		return ctl_usage("list [--json] [--wide]");
	/* Nothing mounted, another file system, a directory inside ours: an
	 * empty or random table would read as an answer. */
	if ((hint = tree_mount_hint()) != NULL) {
		ctl_warn("%s", hint);
		free(hint);
		return CTL_EXIT_ERROR;
	}
	if ((doms = tree_entries(tree_mount, 1)) == NULL) {
		ctl_warn("%s: %s", tree_mount, strerror(errno));
		return CTL_EXIT_ERROR;
	}

	/* Rows of 2 * COL_N strings: the values (NULL when missing), then what
	 * the table shows. */
	for (size_t i = 0; doms[i] != NULL; i++) {
		char *dir = tree_join(tree_mount, doms[i]);

		if ((devs = tree_entries(dir, 0)) == NULL) {
			ctl_warn("%s: %s", dir, strerror(errno));
			free(dir);
			continue;
		}
		for (size_t j = 0; j == 0 || devs[j] != NULL; j++) {
			char **r = calloc(2 * COL_N, sizeof *r), ***nr;
			char *dev = NULL;
			const char *show;

			nr = realloc(rows, (nrows + 1) * sizeof *rows);
			if (r == NULL || nr == NULL) {
				ctl_warn("out of memory");
				exit(CTL_EXIT_ERROR);
			}
			rows = nr;
			rows[nrows++] = r;
			r[COL_DOMAIN] = strdup(doms[i]);
			r[COL_N + COL_DOMAIN] = strdup(doms[i]);
			r[COL_UUID] = ctl_list_attr(dir, "user.uuid", &show);
			r[COL_N + COL_UUID] = strdup(show);
			if (devs[j] != NULL) {
				dev = tree_join(dir, devs[j]);
				r[COL_DEVICE] = strdup(devs[j]);
			}
			r[COL_N + COL_DEVICE] = strdup(dev != NULL ? devs[j] : "-");
			r[COL_BACKEND] = ctl_list_attr(dev, "user.backend", &show);
			r[COL_N + COL_BACKEND] = strdup(show);
			r[COL_STATE] = ctl_list_attr(dev, "user.state", &show);
			r[COL_N + COL_STATE] = strdup(show);
			r[COL_HOLDER] = ctl_list_attr(dev, "user.holder", &show);
			r[COL_N + COL_HOLDER] = strdup(show);
			r[COL_TTY] = ctl_list_tty(dev);
			r[COL_N + COL_TTY] = strdup(r[COL_TTY] != NULL ? r[COL_TTY] : "-");
			free(dev);
			if (devs[j] == NULL)
				break;
		}
		tree_free_entries(devs);
		free(dir);
	}

	for (size_t i = 0; i < nrows; i++)
		for (int k = 0; k < COL_N; k++)
			if (rows[i][COL_N + k] == NULL) {
				ctl_warn("out of memory");
				goto fail;
			}
	if (json) {
		fputs("[", stdout);
		for (size_t i = 0; i < nrows; i++) {
			fputs(i == 0 ? "\n  {" : ",\n  {", stdout);
			for (int k = 0; k < COL_N; k++) {
				printf("%s\"%s\": ", k == 0 ? "" : ", ",
				    ctl_columns[k]);
				ctl_json_string(rows[i][k]);
			}
			fputs("}", stdout);
		}
		fputs(nrows == 0 ? "]\n" : "\n]\n", stdout);
	} else {
		for (int k = 0; k < COL_N; k++)
			width[k] = strlen(ctl_columns[k]);
		for (size_t i = 0; i < nrows; i++)
			for (int k = 0; k < COL_N; k++)
				if (show_width(rows[i][COL_N + k]) > width[k])
					width[k] = show_width(rows[i][COL_N + k]);
		if (!wide) {
			int limit = ctl_term_width(), total = 2 * (COL_N - 1);

			/* The TTY column goes first when the table does not
			 * fit: it is always MOUNT/DOMAIN/DEVICE.tty. */
			for (int k = 0; k < COL_N; k++)
				total += width[k];
			if (limit > 0 && total > limit)
				ncols = COL_TTY;
			ctl_fit(width, ncols, limit);
		}
		for (int k = 0; k < ncols; k++) {
			char head[16];

			for (int l = 0; l <= (int)strlen(ctl_columns[k]); l++)
				head[l] = toupper((unsigned char)ctl_columns[k][l]);
			ctl_cell(head, width[k], k == ncols - 1);
		}
		putchar('\n');
		for (size_t i = 0; i < nrows; i++) {
			for (int k = 0; k < ncols; k++)
				ctl_cell(rows[i][COL_N + k], width[k], k == ncols - 1);
			putchar('\n');
		}
	}
	rc = CTL_EXIT_OK;
fail:
	for (size_t i = 0; i < nrows; i++) {
		for (int k = 0; k < 2 * COL_N; k++)
			free(rows[i][k]);
		free(rows[i]);
	}
	free(rows);
	tree_free_entries(doms);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ctl_warn("standard output: %s", strerror(errno));
		rc = CTL_EXIT_ERROR;
	}
	return rc;
}

/* Say that T is busy, and who holds it when that can be read. */
static void
ctl_say_busy(const struct tree_target *t, int foreign)
{
	char *who = tree_xattr(t->path, "user.holder");

	if (who == NULL)
		ctl_warn("%s is busy", t->label);
	else
		ctl_warn("%s is busy: held by %s", t->label, who);
	if (foreign || (who != NULL && (strncmp(who, "lock=", 5) == 0 ||
	    strncmp(who, "flock=", 6) == 0)))
		ctl_warn("a program outside consolefs holds its lock; "
		    "consolefs never breaks such a lock");
	else
		ctl_warn("use 'consolectl attach -f' or 'consolectl force' "
		    "to take it over");
	free(who);
}

/* Take T over with user.force; 0 or an exit code (the message said).
 * Through the domain directory first (the value names the device): that
 * works even while the holder is blocked writing to a full console, which
 * keeps the device file's inode locked. The device file's own user.force
 * is the fallback for a daemon that has no such path. */
static int
ctl_force(const struct tree_target *t)
{
	char *dir = tree_join(tree_mount, t->domain);
	int rc = setxattr(dir, "user.force", t->device, strlen(t->device), 0);

	free(dir);
	if (rc == -1 && (errno == ENOTSUP || errno == EPERM))
		rc = setxattr(t->path, "user.force", "1", 1, 0);
	if (rc == 0)
		return 0;
	switch (errno) {
	case EBUSY:
		ctl_say_busy(t, 1);
		return CTL_EXIT_BUSY;
	case ENOENT:
		ctl_warn("no such device: %s", t->label);
		return CTL_EXIT_NOENT;
	case EACCES:
	case EPERM:
		ctl_warn("cannot take over %s: permission denied (it needs "
		    "write permission on %s)", t->label, t->path);
		return CTL_EXIT_ERROR;
	case ENOTSUP:
		ctl_warn("cannot take over %s: %s does not support user.force "
		    "(is it a consolefs mount?)", t->label, tree_mount);
		return CTL_EXIT_ERROR;
	default:
		ctl_warn("cannot take over %s: %s", t->label, strerror(errno));
		return CTL_EXIT_ERROR;
	}
}

/* The options of a command that has only -m and -h (OPTSTRING "m:h", or
 * "+m:h" to stop at the first word): -1 to go on with argv[optind...],
 * else the exit code to return. */
static int
ctl_mount_opts(int argc, char **argv, const char *optstring, const char *usage)
{
	static const struct option opts[] = {
		{ "mount", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
		switch (c) {
		case 'm': tree_mount = optarg; break;
		case 'h': fputs(ctl_usage_text, stdout); return CTL_EXIT_OK;
		default: return ctl_usage(usage);
		}
	}
	return -1;
}

static int
ctl_cmd_force(int argc, char **argv)
{
	struct tree_target t;
	char *before, *after = NULL;
	int rc;

	if ((rc = ctl_mount_opts(argc, argv, "m:h", "force DOMAIN[/DEV]")) != -1)
		return rc;
	if (optind != argc - 1)
		return ctl_usage("force DOMAIN[/DEV]");
	if ((rc = ctl_resolve(argv[optind], 1, &t)) != 0)
		return rc;
	before = tree_xattr(t.path, "user.holder");
	if ((rc = ctl_force(&t)) == 0) {
		after = tree_xattr(t.path, "user.holder");
		printf("%s %s", before != NULL && strncmp(before, "reserved ", 9) != 0 ?
		    "Took over" : "Reserved", t.label);
		if (before != NULL && strncmp(before, "reserved ", 9) != 0) {
			fputs(" from ", stdout);
			show_put(stdout, before, -1);
		} else
			fputs(" (nobody held it)", stdout);
		if (after != NULL && strncmp(after, "reserved ", 9) == 0) {
			fputs(": ", stdout);
			show_put(stdout, after, -1);
			fputs(" (opens from this login session only)", stdout);
		}
		putchar('\n');
		if (fflush(stdout) != 0)
			rc = CTL_EXIT_ERROR;
	}
	free(before);
	free(after);
	tree_target_free(&t);
	return rc;
}

/* Is S a replay amount: digits, then nothing, K, M or l? */
static int
ctl_replay_ok(const char *s)
{
	size_t i = strspn(s, "0123456789");

	return i > 0 && i < 12 && (s[i] == '\0' ||
	    (strchr("kKmMlL", s[i]) != NULL && s[i + 1] == '\0'));
}

static int
ctl_cmd_restart(int argc, char **argv)
{
	struct tree_target t;
	int rc;

	if ((rc = ctl_mount_opts(argc, argv, "m:h", "restart DOMAIN[/DEV]")) != -1)
		return rc;
	if (optind != argc - 1)
		return ctl_usage("restart DOMAIN[/DEV]");
	if ((rc = ctl_resolve(argv[optind], 1, &t)) != 0)
		return rc;
	if (setxattr(t.path, "user.restart", "1", 1, 0) == -1) {
		switch (errno) {
		case ENOENT:
			ctl_warn("no such device: %s", t.label);
			rc = CTL_EXIT_NOENT;
			break;
		case EACCES:
		case EPERM:
			ctl_warn("cannot restart %s: permission denied (it needs write "
			    "permission on %s)", t.label, t.path);
			rc = CTL_EXIT_ERROR;
			break;
		case ENOTSUP:
			ctl_warn("cannot restart %s: only an exec: console runs a program "
			    "consolefs can start", t.label);
			rc = CTL_EXIT_ERROR;
			break;
		default:
			ctl_warn("cannot restart %s: %s", t.label, strerror(errno));
			rc = CTL_EXIT_ERROR;
		}
	}
	tree_target_free(&t);
	return rc;
}

static int
ctl_cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "wait", no_argument, NULL, 'w' },
		{ "replay", required_argument, NULL, 'r' },
		{ "escape", required_argument, NULL, 'e' },
		{ "mount", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char synopsis[] =
	    "attach [-f] [-w] [-e ESC] [-r N|Nl] DOMAIN[/DEV]";
	struct tree_target t = { 0 };
	struct attach_result res;
	struct attach_target tg;
	const char *replay = NULL;
	char *state, *log_path = NULL;
	int c, rc, force = 0, wait = 0, waiting = 0, esc = ATTACH_ESCAPE_DEFAULT, cfd = -1;

	while ((c = getopt_long(argc, argv, "fwr:e:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': force = 1; break;
		case 'w': wait = 1; break;
		case 'r':
			if (!ctl_replay_ok(optarg)) {
				ctl_warn("bad replay '%s': a number of bytes (K, M "
				    "allowed) or of lines (Nl)", optarg);
				return CTL_EXIT_ERROR;
			}
			replay = optarg;
			break;
		case 'e':
			if ((esc = attach_escape_parse(optarg)) == -1) {
				ctl_warn("bad escape character '%s': use ^X "
				    "or a single character", optarg);
				return CTL_EXIT_ERROR;
			}
			break;
		case 'm': tree_mount = optarg; break;
		case 'h': fputs(ctl_usage_text, stdout); return CTL_EXIT_OK;
		default: return ctl_usage(synopsis);
		}
	}
	if (optind != argc - 1)
		return ctl_usage(synopsis);
	/* --wait: an absent console (ENXIO: a stopped guest, an unplugged
	 * adapter) or one not in the tree yet is tried again until it is
	 * there; anything else (busy, no permission) is said at once. */
	for (;;) {
		char *cause = NULL;
		int saverr;

		if (tree_resolve(argv[optind], 1, &t, &cause) == 0) {
			free(cause);
			if (replay != NULL && setxattr(t.path, "user.replay", replay,
			    strlen(replay), 0) == -1 && !waiting)
				ctl_warn("cannot ask for a replay: %s", strerror(errno));
			cfd = open(t.path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
			if (cfd != -1 || !wait || (errno != ENXIO && errno != ENOENT))
				break;
			tree_target_free(&t);
		} else {
			saverr = errno;
			if (!wait || saverr != ENOENT) {
				ctl_warn("%s", cause != NULL ? cause : strerror(saverr));
				free(cause);
				return saverr == ENOENT ? CTL_EXIT_NOENT : CTL_EXIT_ERROR;
			}
			free(cause);
		}
		if (!waiting) {
			fprintf(stderr, "Waiting for %s to appear (Ctrl-C to give up)...\n",
			    argv[optind]);
			waiting = 1;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 200 * 1000 * 1000 }, NULL);
	}
	if (force && cfd == -1 && errno == EBUSY) {
		if ((rc = ctl_force(&t)) != 0)
			goto fail;
		if (replay != NULL)
			setxattr(t.path, "user.replay", replay, strlen(replay), 0);
		cfd = open(t.path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	}
	if (cfd == -1) {
		switch (errno) {
		case EBUSY:
			ctl_say_busy(&t, 0);
			rc = CTL_EXIT_BUSY;
			break;
		case ENXIO:
			if ((state = tree_xattr(t.path, "user.state")) != NULL)
				ctl_warn("%s is not available (state: %s)",
				    t.label, state);
			else
				ctl_warn("%s is not available", t.label);
			free(state);
			rc = CTL_EXIT_ABSENT;
			break;
		case ENOENT:
			ctl_warn("no such device: %s", t.label);
			rc = CTL_EXIT_NOENT;
			break;
		case EACCES:
		case EPERM:
			ctl_warn("cannot attach to %s: permission denied (it needs "
			    "write permission on %s; see owner, group and mode in "
			    "consolefs.conf(5); read permission alone gives %s.spy "
			    "to watch)", t.label, t.path, t.path);
			rc = CTL_EXIT_ERROR;
			break;
		default:
			ctl_warn("cannot open %s: %s", t.path, strerror(errno));
			rc = CTL_EXIT_ERROR;
			break;
		}
		goto fail;
	}

	if (asprintf(&log_path, "%s.log", t.path) == -1) {
		ctl_warn("out of memory");
		rc = CTL_EXIT_ERROR;
		goto fail;
	}
	tg.label = t.label;
	tg.path = t.path;
	tg.log_path = log_path;
	attach_run(cfd, esc, &tg, &res);
	switch (res.end) {
	case ATTACH_ESCAPE:
		rc = CTL_EXIT_OK;
		break;
	case ATTACH_CLOSED:
		ctl_warn("console closed: %s reached its end", t.label);
		rc = CTL_EXIT_CLOSED;
		break;
	case ATTACH_TAKEN:
		ctl_warn("session taken over by another user: %s was forced "
		    "away from you", t.label);
		rc = CTL_EXIT_TAKEN;
		break;
	case ATTACH_SIGNAL:
		ctl_warn("ended by a signal (%s)", strsignal(res.err));
		rc = CTL_EXIT_SIGNAL;
		break;
	case ATTACH_FAILED:
		ctl_warn("%s: %s", res.what, strerror(res.err));
		rc = CTL_EXIT_ERROR;
		break;
	}
fail:
	if (cfd != -1)
		close(cfd);
	free(log_path);
	tree_target_free(&t);
	return rc;
}

/* Say why changing the tree failed; returns the exit code. */
static int
ctl_tree_error(const char *doing, const char *name)
{
	int e = errno;

	if (e == ENOSYS || e == EOPNOTSUPP || e == ENOTSUP) {
		ctl_warn("this consolefs does not support changing the tree at "
		    "run time (cannot %s %s: %s)", doing, name, strerror(e));
		return CTL_EXIT_ERROR;
	}
	if ((e == EPERM || e == EACCES) && geteuid() != 0) {
		ctl_warn("cannot %s %s: permission denied (changing the tree "
		    "needs root)", doing, name);
		return CTL_EXIT_ERROR;
	}
	ctl_warn("cannot %s %s: %s", doing, name, strerror(e));
	return e == ENOENT ? CTL_EXIT_NOENT : CTL_EXIT_ERROR;
}

static int
ctl_cmd_add(int argc, char **argv)
{
	const char *dom, *dev = NULL, *backend = NULL;
	char *dir = NULL, *path = NULL, *label = NULL;
	int rc;

	if ((rc = ctl_mount_opts(argc, argv, "+m:h", "add DOMAIN [DEV BACKEND]")) != -1)
		return rc;
	rc = CTL_EXIT_ERROR;
	/* "+": stop at the first word, so a backend such as "exec:sh -c x"
	 * given as separate words is never taken for options. */
	if (argc - optind != 1 && argc - optind != 3)
		return ctl_usage("add DOMAIN [DEV BACKEND]");
	dom = argv[optind];
	if (argc - optind == 3) {
		dev = argv[optind + 1];
		backend = argv[optind + 2];
	}
	if (!tree_plain_name(dom) || (dev != NULL && !tree_plain_name(dev))) {
		ctl_warn("bad name '%s': names are 1 to 64 characters of "
		    "A-Z a-z 0-9 _ . - and do not start with '.'",
		    tree_plain_name(dom) ? dev : dom);
		return CTL_EXIT_ERROR;
	}
	dir = tree_join(tree_mount, dom);
	if (mkdir(dir, 0755) != 0 && (errno != EEXIST || dev == NULL)) {
		if (errno == EEXIST)
			ctl_warn("domain %s already exists", dom);
		else if (errno == EINVAL || errno == ENAMETOOLONG)
			ctl_warn("cannot add %s: %s (names are 1 to 64 "
			    "characters of A-Z a-z 0-9 _ . -)", dom,
			    strerror(errno));
		else
			ctl_tree_error("add", dom);
		goto fail;
	}
	if (dev != NULL) {
		path = tree_join(dir, dev);
		label = tree_join(dom, dev);
		if (symlink(backend, path) != 0) {
			if (errno == EEXIST)
				ctl_warn("device %s already exists", label);
			else if (errno == EINVAL || errno == ENAMETOOLONG)
				ctl_warn("cannot add %s: %s (check the device "
				    "name and the backend string '%s')", label,
				    strerror(errno), backend);
			else
				ctl_tree_error("add", label);
			goto fail;
		}
	}
	rc = CTL_EXIT_OK;
fail:
	free(label);
	free(path);
	free(dir);
	return rc;
}

static int
ctl_cmd_remove(int argc, char **argv)
{
	struct tree_target t;
	char *arg;
	int rc;

	if ((rc = ctl_mount_opts(argc, argv, "m:h", "remove DOMAIN[/DEV]")) != -1)
		return rc;
	/* "remove DOMAIN DEV" is accepted too, to mirror "add". */
	if (argc - optind == 2) {
		if (strchr(argv[optind], '/') != NULL)
			return ctl_usage("remove DOMAIN[/DEV]");
		arg = tree_join(argv[optind], argv[optind + 1]);
	} else if (argc - optind == 1)
		arg = strdup(argv[optind]);
	else
		return ctl_usage("remove DOMAIN[/DEV]");
	if (arg == NULL)
		return CTL_EXIT_ERROR;
	rc = ctl_resolve(arg, 0, &t);
	free(arg);
	if (rc != 0)
		return rc;
	if ((t.device != NULL ? unlink(t.path) : rmdir(t.path)) != 0) {
		if (errno == ENOTEMPTY || errno == EEXIST) {
			ctl_warn("cannot remove %s: the domain still has "
			    "devices; remove them first", t.label);
			rc = CTL_EXIT_ERROR;
		} else
			rc = ctl_tree_error("remove", t.label);
	}
	tree_target_free(&t);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mount", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct {
		const char	*name;
		int		(*fn)(int, char **);
	} cmds[] = {
		{ "list", ctl_cmd_list }, { "attach", ctl_cmd_attach },
		{ "force", ctl_cmd_force }, { "restart", ctl_cmd_restart },
		{ "add", ctl_cmd_add }, { "remove", ctl_cmd_remove },
	};
	const char *env;
	int c;

	if ((env = getenv("CONSOLEFS_MOUNT")) != NULL && *env != '\0')
		tree_mount = env;
	/* "+": stop at the command word; its own options follow it. */
	while ((c = getopt_long(argc, argv, "+m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': tree_mount = optarg; break;
		case 'h': fputs(ctl_usage_text, stdout); return CTL_EXIT_OK;
		case 'V': puts("consolectl " CTL_VERSION); return CTL_EXIT_OK;
		default: return ctl_usage("COMMAND [ARGS]");
		}
	}
	if (optind >= argc) {
		ctl_warn("no command given");
		return ctl_usage("COMMAND [ARGS]");
	}
	if (strcmp(argv[optind], "help") == 0) {
		fputs(ctl_usage_text, stdout);
		return CTL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (strcmp(argv[optind], cmds[i].name) != 0)
			continue;
		argc -= optind;
		argv += optind;
		optind = 0;	/* glibc: start over on the command's words */
		return cmds[i].fn(argc, argv);
	}
	ctl_warn("unknown command '%s'", argv[optind]);
	return ctl_usage("COMMAND [ARGS]");
}
