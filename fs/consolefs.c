/*
 * consolefs.c — the daemon: command line, configuration, mount, signals,
 * and the order of shutting down. Everything runs on one event loop.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include "core/child.h"
#include "core/config.h"
#include "core/console.h"
#include "core/libvirt_loop.h"
#include "core/log.h"
#include "core/logfile.h"
#include "core/loop.h"
#include "core/path.h"
#include "core/registry.h"
#include "core/source_config.h"
#include "core/source_host.h"
#include "core/udev.h"
#include "core/source_runtime.h"
#include "core/source_libvirt.h"
#include "fs/fs.h"
#include "fs/mountpoint.h"

#define CONSOLEFS_VERSION "0.1"
#define STOP_GRACE_MS 5000
#define STOP_HANGUP_MS 1000
#define STOP_FILES_MS 500
#define LOOP_SPIN_US 30

struct daemon {
	const char		*config_path;
	int			 config_missing_ok;
	struct loop		*loop;
	struct registry		*reg;
	struct source_libvirt	*libvirt;
	struct fs		*fs;
	int			 sigfd;
	int			 stopping;
	struct loop_timer	*kill_timer;
	long long		 deadline;
	long long		 files_deadline;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: consolefs [OPTIONS] MOUNTPOINT\n"
	    "  -c, --config FILE   configuration file (default %s)\n"
	    "  -f, --foreground    stay in the foreground, log to stderr\n"
	    "      --lock-dir DIR  directory of UUCP lock files (default /var/lock)\n"
	    "      --pid-file FILE write the daemon's pid to FILE (removed at exit)\n"
	    "  -o OPT[,OPT]        extra FUSE mount options\n"
	    "  -v, --verbose       more logging\n"
	    "  -q, --quiet         less logging\n"
	    "  -h, --help          this help\n"
	    "      --version       print the version\n", CONFIG_DEFAULT_PATH);
}

/* PATH made absolute (its directory must exist) into BUF: 0, or -1. */
static int
daemon_abspath(const char *path, char *buf, size_t len)
{
	char dir[PATH_MAX], *slash, *copy = strdup(path);
	const char *base;
	int n;

	if (copy == NULL)
		return -1;
	slash = strrchr(copy, '/');
	base = slash != NULL ? slash + 1 : copy;
	if (slash == copy)
		strcpy(dir, "/");
	else if (realpath(slash != NULL ? (*slash = '\0', copy) : ".", dir) == NULL) {
		free(copy);
		return -1;
	}
	if (*base == '\0') {
		free(copy);
		errno = EISDIR;
		return -1;
	}
	n = snprintf(buf, len, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", base);
	free(copy);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Write our pid to PATH ("%d\n"), replaced atomically: 0, or -1. */
static int
daemon_pid_file_write(const char *path)
{
	char tmp[PATH_MAX + 16];
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
	if ((f = fopen(tmp, "we")) == NULL)
		return -1;
	fprintf(f, "%d\n", (int)getpid());
	if (fclose(f) != 0 || rename(tmp, path) == -1) {
		int saverr = errno;

		unlink(tmp);
		errno = saverr;
		return -1;
	}
	return 0;
}

/* Remove the pid file PATH if it still names us (NULL is ok). */
static void
daemon_pid_file_remove(const char *path)
{
	char buf[32];
	FILE *f;

	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return;
	if (fgets(buf, sizeof buf, f) != NULL && atoi(buf) == (int)getpid())
		unlink(path);
	fclose(f);
}

static void
daemon_hangup_timer(struct loop *lp, void *arg)
{
	struct daemon *d = arg;

	(void)lp;
	if (child_count() > 0) {
		log_info("%s: %d child(ren) still running %d ms after SIGTERM: hanging up "
		    "their terminals", __func__, child_count(), STOP_HANGUP_MS);
		fs_hangup(d->fs);
	}
}

static void
daemon_kill_timer(struct loop *lp, void *arg)
{
	struct daemon *d = arg;

	(void)lp;
	d->kill_timer = NULL;
	if (child_count() > 0) {
		log_warn("%s: %d child(ren) still running %d ms after SIGTERM: SIGKILL",
		    __func__, child_count(), STOP_GRACE_MS);
		child_kill_all(SIGKILL);
	}
}

/* While stopping: end the loop once every child is reaped and no file is
 * open (a reader that was between two reads still gets its end of file),
 * but wait for open files at most STOP_FILES_MS, and for anything at most
 * a second past the grace period. */
static void
daemon_check_timer(struct loop *lp, void *arg)
{
	struct daemon *d = arg;
	long long now = loop_now_ms();

	if ((child_count() == 0 && (fs_idle(d->fs) || now > d->files_deadline)) ||
	    now > d->deadline) {
		loop_stop(lp);
		return;
	}
	loop_add_timer(lp, 20, daemon_check_timer, d);
}

/* SIGTERM/SIGINT: sessions see end of file, the mount goes, exec: children
 * get SIGTERM, after 1 s a hang-up of their terminal (interactive shells
 * ignore SIGTERM but not SIGHUP), and SIGKILL after the grace period. */
static void
daemon_stop(struct daemon *d, const char *why)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	log_info("%s: %s: stopping", __func__, why);
	fs_shutdown(d->fs);
	d->deadline = loop_now_ms() + STOP_GRACE_MS + 1000;
	d->files_deadline = loop_now_ms() + STOP_FILES_MS;
	loop_add_timer(d->loop, STOP_HANGUP_MS, daemon_hangup_timer, d);
	d->kill_timer = loop_add_timer(d->loop, STOP_GRACE_MS, daemon_kill_timer, d);
	/* From the loop, not now: when the mount went away by itself the loop
	 * has already returned, and loop_run clears a stop made before it
	 * runs (that left the daemon waiting for ever after fusermount -u). */
	loop_add_timer(d->loop, 0, daemon_check_timer, d);
}

/* Apply CF to the sources that read it: the file's domains and the host's
 * serial ports. The host domain goes first when it is switched off and
 * last when on, so a reload that moves the name "host" between them finds
 * it free. 0, or -1 with the first error in *CAUSE. */
static int
daemon_apply(struct registry *r, const struct config *cf, char **cause)
{
	char *hcause = NULL;
	int rc = 0;

	*cause = NULL;
	if (!cf->host_serial && source_host_apply(r, cf, &hcause) == -1)
		rc = -1;
	if (source_config_apply(r, cf, cause) == -1)
		rc = -1;
	if (cf->host_serial && source_host_apply(r, cf, &hcause) == -1)
		rc = -1;
	if (*cause == NULL)
		*cause = hcause;
	else
		free(hcause);
	return rc;
}

/* SIGHUP: re-read the configuration; a bad file is logged and the running
 * configuration kept. */
static void
daemon_reload(struct daemon *d)
{
	struct config *cf;
	char *cause = NULL;

	int fd;

	if (d->stopping)
		return;
	/* logrotate's postrotate sends SIGHUP: on-disk logs open anew. */
	logfile_reopen_all();
	/* The file is read on the loop thread: never through our own mount
	 * (start-up refuses a file under the mount point; this catches links
	 * made since). */
	if ((fd = path_resolve(d->config_path, NULL, 0)) == -1 && errno == EDEADLK) {
		log_error("%s: %s: %s; keeping the running configuration", __func__,
		    d->config_path, "the path enters the consolefs mount");
		return;
	}
	if (fd != -1)
		close(fd);
	cf = config_load(d->config_path, d->config_missing_ok, &cause);
	if (cf == NULL) {
		log_error("%s: %s; keeping the running configuration", __func__,
		    cause ? cause : "cannot read the configuration");
		goto out;
	}
	source_runtime_set_opts(&cf->opts);
	/* libvirt first: it gives up names the file now claims. */
	source_libvirt_apply(d->libvirt, cf);
	if (daemon_apply(d->reg, cf, &cause) == -1)
		log_error("%s: reloaded %s with errors: %s", __func__, d->config_path,
		    cause ? cause : "?");
	else
		log_info("%s: reloaded %s", __func__, d->config_path);
out:
	config_free(cf);
	free(cause);
}

static void
daemon_signal(struct loop *lp, int fd, int events, void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	(void)lp, (void)events;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			child_reap();
			break;
		case SIGTERM:
		case SIGINT:
			daemon_stop(d, strsignal(si.ssi_signo));
			break;
		case SIGHUP:
			daemon_reload(d);
			break;
		}
	}
}

/* Whether PATH is MNT or lies under it (both absolute, without links). */
static int
daemon_under(const char *path, const char *mnt)
{
	size_t n = strlen(mnt);

	if (strcmp(mnt, "/") == 0)
		return 1;
	return strncmp(path, mnt, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/*
 * The lock directory as an absolute path into BUF (PATH_MAX bytes): DIR
 * itself when absolute; else resolved against the directory we were
 * started in, since a daemon works in / (a relative --lock-dir used to
 * name a directory under / and silently turn UUCP locking off). -1 with
 * errno when the working directory cannot be named.
 */
static int
daemon_lock_dir(const char *dir, char *buf)
{
	char cwd[PATH_MAX];

	if (dir[0] == '/') {
		snprintf(buf, PATH_MAX, "%s", dir);
		return 0;
	}
	if (realpath(dir, buf) != NULL)
		return 0;
	if (getcwd(cwd, sizeof cwd) == NULL)
		return -1;
	if (snprintf(buf, PATH_MAX, "%s/%s", cwd, dir) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Refuse a lock directory or configuration file that the mount will hide:
 * after mounting they would be reached through our own mount, and the loop
 * would wait for itself (core/path.c). "FILE: reason" in *CAUSE.
 */
static int
daemon_check_paths(const char *mnt, const char *lock_dir, const char *config_path,
    char **cause)
{
	char real[PATH_MAX];
	const char *what = NULL, *path = NULL;

	if (realpath(lock_dir, real) == NULL)
		snprintf(real, sizeof real, "%s", lock_dir);
	if (daemon_under(real, mnt)) {
		what = "lock directory";
		path = lock_dir;
	} else if (realpath(config_path, real) != NULL && daemon_under(real, mnt)) {
		what = "configuration file";
		path = config_path;
	}
	if (what == NULL)
		return 0;
	if (asprintf(cause, "%s: the %s is under the mount point %s, which the "
	    "mount would hide (the daemon would have to ask itself for it)",
	    path, what, mnt) == -1)
		*cause = NULL;
	return -1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "lock-dir", required_argument, NULL, 'L' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL, *lock_dir = NULL, *pid_file_arg = NULL;
	char pid_file_buf[PATH_MAX], *pid_file = NULL;
	char *mount_opts = NULL;
	int foreground = 0, verbosity = LOG_LEVEL_INFO, opt, rc = 1;
	struct daemon d = { .sigfd = -1 };
	struct config *cf = NULL;
	struct console_opts copts = { 0 };
	char *cause = NULL, *note = NULL, mnt[PATH_MAX], cfpath[PATH_MAX];
	char lockpath[PATH_MAX];
	sigset_t sigs;

	while ((opt = getopt_long(argc, argv, "c:fo:vqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'L':
			lock_dir = optarg;
			break;
		case 'P':
			pid_file_arg = optarg;
			break;
		case 'o':
			/* -o a -o b means -o a,b, as for mount(8). */
			if (mount_opts == NULL)
				mount_opts = strdup(optarg);
			else {
				char *both;

				if (asprintf(&both, "%s,%s", mount_opts, optarg) == -1)
					both = NULL;
				free(mount_opts);
				mount_opts = both;
			}
			if (mount_opts == NULL) {
				fprintf(stderr, "consolefs: out of memory\n");
				return 1;
			}
			break;
		case 'v':
			verbosity++;
			break;
		case 'q':
			verbosity--;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("consolefs %s\n", CONSOLEFS_VERSION);
			return 0;
		default:
			usage(stderr);
			rc = 2;
			goto out;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "consolefs: expected one MOUNTPOINT\n");
		usage(stderr);
		rc = 2;
		goto out;
	}
	if (verbosity < LOG_LEVEL_ERROR)
		verbosity = LOG_LEVEL_ERROR;
	if (mountpoint_resolve(argv[optind], mnt, sizeof mnt) == -1) {
		fprintf(stderr, "consolefs: %s: %s\n", argv[optind], strerror(errno));
		rc = 2;
		goto out;
	}
	/* Absolute, since a daemon works in /. */
	if (pid_file_arg != NULL && daemon_abspath(pid_file_arg, pid_file_buf,
	    sizeof pid_file_buf) == -1) {
		fprintf(stderr, "consolefs: --pid-file %s: %s\n", pid_file_arg, strerror(errno));
		rc = 2;
		goto out;
	}
	/* Absolute, since a daemon works in / and SIGHUP reads it again. */
	if (config_path != NULL && realpath(config_path, cfpath) != NULL)
		config_path = cfpath;
	d.config_path = config_path ? config_path : CONFIG_DEFAULT_PATH;
	d.config_missing_ok = config_path == NULL;
	cf = config_load(d.config_path, d.config_missing_ok, &cause);
	if (cf == NULL) {
		fprintf(stderr, "consolefs: %s\n", cause ? cause : "cannot read the configuration");
		rc = 2;
		goto out;
	}
	if (lock_dir == NULL)
		lock_dir = cf->lock_dir != NULL ? cf->lock_dir : "/var/lock";
	if (daemon_lock_dir(lock_dir, lockpath) == -1) {
		fprintf(stderr, "consolefs: --lock-dir %s: %s\n", lock_dir, strerror(errno));
		rc = 2;
		goto out;
	}
	lock_dir = lockpath;
	if (daemon_check_paths(mnt, lock_dir, d.config_path, &cause) == -1) {
		fprintf(stderr, "consolefs: %s\n", cause ? cause : "out of memory");
		rc = 2;
		goto out;
	}
	log_init("consolefs", foreground, verbosity);

	/* A dead consolefs mount (its daemon was killed) is cleared; a live
	 * one means another daemon serves here: refuse before mounting, and so
	 * before any exec: program starts. */
	if (mountpoint_prepare(mnt, &note, &cause) == -1) {
		fprintf(stderr, "consolefs: %s\n", cause ? cause : "out of memory");
		goto out;
	}
	if (note != NULL)
		log_info("%s: %s", __func__, note);

	/* Signals arrive on the loop through a signalfd; SIGPIPE is ignored so
	 * a closed socket backend is an EPIPE, not the end of the daemon. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGCHLD);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	/* Mount first so a failure is reported to the caller; requests wait in
	 * /dev/fuse until the loop runs, after the consoles exist. */
	if ((d.fs = fs_mount(mnt, mount_opts, &cause)) == NULL) {
		fprintf(stderr, "consolefs: %s\n", cause ? cause : "cannot mount");
		goto out;
	}
	/* From now on no path the loop follows may enter our own mount: the
	 * lookup would wait for the loop itself (core/path.c). */
	if (path_guard(mnt) == -1) {
		fprintf(stderr, "consolefs: %s: %s\n", mnt, strerror(errno));
		goto out;
	}
	if (fuse_daemonize(foreground) != 0) {
		log_error("%s: cannot daemonize", __func__);
		goto out;
	}
	if (pid_file_arg != NULL) {
		if (daemon_pid_file_write(pid_file_buf) == -1) {
			log_error("%s: cannot write the pid file %s: %s", __func__,
			    pid_file_buf, strerror(errno));
			goto out;
		}
		pid_file = pid_file_buf;
	}
	if ((d.loop = loop_create()) == NULL) {
		log_error("%s: cannot create the event loop: %s", __func__, strerror(errno));
		goto out;
	}
	udev_init(d.loop);
	/* Spin briefly after activity, for latency (see core/loop.c); not on a
	 * single CPU, where it would only hold up the guest. */
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
		loop_set_spin(d.loop, LOOP_SPIN_US);
	/* exec: programs start from the loop, a batch at a time. */
	child_use_loop(d.loop);
	/* libvirt runs on our loop; registered before any connection. */
	if (libvirt_loop_register(d.loop) == -1) {
		log_error("%s: cannot register the libvirt event loop: %s", __func__,
		    strerror(errno));
		goto out;
	}
	if ((d.sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    loop_add_fd(d.loop, d.sigfd, LOOP_READ, daemon_signal, &d) == -1) {
		log_error("%s: cannot watch signals: %s", __func__, strerror(errno));
		goto out;
	}
	copts.lock_dir = lock_dir;
	copts.reserve_ms = cf->force_reserve * 1000;
	if ((d.reg = registry_new(d.loop, &copts)) == NULL) {
		log_error("%s: %s", __func__, strerror(errno));
		goto out;
	}
	source_runtime_set_opts(&cf->opts);
	/* Devices start capturing from the loop, a slice at a time: the mount
	 * is served from the start, however many there are (console.c). */
	console_defer_captures(1);
	if ((d.libvirt = source_libvirt_new(d.reg)) == NULL) {
		log_error("%s: %s", __func__, strerror(errno));
		goto out;
	}
	source_libvirt_apply(d.libvirt, cf);
	if (daemon_apply(d.reg, cf, &cause) == -1) {
		log_error("%s: %s", __func__, cause ? cause : "cannot start");
		goto out;
	}
	if (fs_start(d.fs, d.loop, d.reg, &cause) == -1) {
		log_error("%s: %s", __func__, cause ? cause : "cannot start");
		goto out;
	}
	log_info("%s: serving %s (lock directory %s)", __func__, mnt, lock_dir);
	if (loop_run(d.loop) == -1) {
		log_error("%s: event loop: %s", __func__, strerror(errno));
		goto out;
	}
	if (!d.stopping) {
		/* The mount went away under us (fusermount -u): tidy up the same way. */
		log_info("%s: %s was unmounted", __func__, mnt);
		daemon_stop(&d, "unmounted");
		if (loop_run(d.loop) == -1)
			goto out;
	}
	rc = 0;
out:
	if (rc != 0 && d.fs != NULL && d.loop != NULL && !d.stopping) {
		/* fatal after mount: still end sessions, stop children, unmount. */
		fs_shutdown(d.fs);
		child_kill_all(SIGKILL);
	}
	fs_free(d.fs);
	source_host_free();
	source_libvirt_free(d.libvirt);
	registry_free(d.reg);
	udev_free();
	source_runtime_free();
	daemon_pid_file_remove(pid_file);
	child_use_loop(NULL);
	/* The last libvirt connections closed with the consoles: run the free
	 * callbacks libvirt left with us while the loop still exists. */
	libvirt_loop_drain();
	if (d.sigfd != -1)
		close(d.sigfd);
	loop_free(d.loop);
	config_free(cf);
	free(cause);
	free(note);
	free(mount_opts);
	return rc;
}
