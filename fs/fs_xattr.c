/*
 * fs_xattr.c — extended attributes: what a console is and who holds it
 * (user.backend, user.state, user.holder, user.buffers, a domain's
 * user.uuid), and the controls (user.force, user.break, user.restart,
 * user.replay). One table says which names exist on
 * which kind of file and what getting or setting them does.
 *
 * The kernel remembers an ENOSYS from any xattr op for the whole mount, so
 * every op answers: ENODATA for a name that does not exist, EPERM for
 * setting or removing one that is read-only, EOPNOTSUPP for setting an
 * unknown one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bridge.h"
#include "core/config.h"
#include "core/console.h"
#include "core/fdscan.h"
#include "core/proc.h"
#include "core/registry.h"
#include "fs/fs_impl.h"

#define FS_ON(kind)	(1u << (kind))
#define FS_BREAK_MAX_MS	10000

struct fs_xattr {
	const char	*name;
	unsigned int	 on;		/* FS_ON() of the kinds that have it */
	/* Get: 0 and the value in BUF, or -1 with errno (ENODATA: none now). */
	int		(*get)(struct fs *fs, const struct fs_ent *e, char *buf, size_t len);
	/* Set: 0, or an errno. */
	int		(*set)(fuse_req_t req, const struct fs_ent *e, const char *value,
			    size_t size);
};

static int
fs_xattr_uuid(struct fs *fs, const struct fs_ent *e, char *buf, size_t len)
{
	(void)fs;
	snprintf(buf, len, "%s", registry_domain_uuid_text(e->d));
	return 0;
}

static int
fs_xattr_backend(struct fs *fs, const struct fs_ent *e, char *buf, size_t len)
{
	(void)fs;
	snprintf(buf, len, "%s", console_backend(registry_device_console(e->v)));
	return 0;
}

static int
fs_xattr_state(struct fs *fs, const struct fs_ent *e, char *buf, size_t len)
{
	(void)fs;
	snprintf(buf, len, "%s", console_state(registry_device_console(e->v)));
	return 0;
}

static int
fs_xattr_buffers(struct fs *fs, const struct fs_ent *e, char *buf, size_t len)
{
	(void)fs;
	console_buffers(registry_device_console(e->v), buf, len);
	return 0;
}

/* Append "pid=N uid=N comm=X" of PID to BUF (LEN bytes), comma-separated. */
static void
fs_xattr_name_pid(char *buf, size_t len, pid_t pid)
{
	size_t used = strlen(buf);
	char comm[PROC_COMM_MAX];
	uid_t uids[4];

	proc_comm(pid, comm, sizeof comm);
	if (proc_uids(pid, uids) == -1)
		return;		/* gone meanwhile */
	if (used < len)
		snprintf(buf + used, len - used, "%spid=%d uid=%d comm=%s",
		    used > 0 ? ", " : "", (int)pid, (int)uids[0], comm);
}

/*
 * user.holder. While a session is open: its opener while the opener still
 * has the file open; once it has not (it exited, or handed the descriptor
 * on), whoever has the console file open now, found through /proc, those
 * in the opener's login session first (a session displaced by user.force
 * may still be open elsewhere). With no session: a force reservation, or
 * another program's lock.
 */
static int
fs_xattr_holder(struct fs *fs, const struct fs_ent *e, char *buf, size_t len)
{
	struct console *con = registry_device_console(e->v);
	unsigned long long ino = FS_INO(registry_device_id(e->v), FS_K_DEVICE);
	struct console_peer peer;
	long long left;
	pid_t pids[16], sid;
	size_t n, shown = 0;

	if (console_session_peer(con, &peer) == -1) {
		if (console_reservation(con, &sid, &left) == 0) {
			snprintf(buf, len, "reserved for sid=%d, %lld s left", (int)sid,
			    (left + 999) / 1000);
			return 0;
		}
		return console_holder(con, buf, len);
	}
	/* A DEV.tty client holds no console file: the bridge named it. */
	if (fs->bridges != NULL && bridge_holds(fs->bridges, registry_device_id(e->v)))
		return console_holder(con, buf, len);
	if (fs->mnt_id <= 0)
		fs->mnt_id = fdscan_mnt_id(fs->mountpoint);
	if (fs->mnt_id <= 0 || fdscan_has(peer.pid, fs->mountpoint, fs->mnt_id, ino))
		return console_holder(con, buf, len);
	n = fdscan_holders(fs->mountpoint, fs->mnt_id, ino, pids, 16);
	if (n > 16)
		n = 16;
	buf[0] = '\0';
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if ((getsid(pids[i]) == peer.sid) != (pass == 0))
				continue;
			fs_xattr_name_pid(buf, len, pids[i]);
			shown++;
		}
	if (shown == 0 || buf[0] == '\0')
		snprintf(buf, len, "opener pid=%d has exited; no process has it open",
		    (int)peer.pid);
	return 0;
}

/* Take device V over for REQ's caller: 0, or an errno. */
static int
fs_force(fuse_req_t req, struct registry_device *v)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	pid_t sid = getsid(ctx->pid);

	if (!fs_may_write(req, v))
		return EACCES;
	if (console_force(registry_device_console(v), sid == -1 ? ctx->pid : sid) == -1)
		return errno;
	return 0;
}

/* user.force on a device: any value. */
static int
fs_xattr_force_device(fuse_req_t req, const struct fs_ent *e, const char *value, size_t size)
{
	(void)value, (void)size;
	return fs_force(req, e->v);
}

/* user.force on a domain directory: the value names the device. This way
 * needs no lock of the device file's inode, which a writer blocked in a
 * full console holds (see fs.c). */
static int
fs_xattr_force_domain(fuse_req_t req, const struct fs_ent *e, const char *value, size_t size)
{
	char name[CONFIG_NAME_MAX + 1];
	struct registry_device *v;

	/* setfattr -v NAME sends NAME without its terminating NUL, other
	 * tools may send it: either is fine. */
	if (size > 0 && value[size - 1] == '\0')
		size--;
	if (size == 0 || size > CONFIG_NAME_MAX || memchr(value, '\0', size) != NULL)
		return EINVAL;
	memcpy(name, value, size);
	name[size] = '\0';
	if ((v = registry_device_find(e->d, name)) == NULL)
		return ENOENT;
	return fs_force(req, v);
}

/* user.break: a BREAK of VALUE milliseconds (empty: 250), 0 to 10000. */
static int
fs_xattr_break(fuse_req_t req, const struct fs_ent *e, const char *value, size_t size)
{
	unsigned long ms = 0;

	if (!fs_may_write(req, e->v))
		return EACCES;
	if (size > 0 && value[size - 1] == '\0')
		size--;
	if (size > 5)
		return EINVAL;
	for (size_t i = 0; i < size; i++) {
		if (value[i] < '0' || value[i] > '9')
			return EINVAL;
		ms = ms * 10 + (value[i] - '0');
	}
	if (ms > FS_BREAK_MAX_MS)
		return EINVAL;
	if (console_break(registry_device_console(e->v), ms) == -1)
		return errno;
	return 0;
}

/* user.replay: "N" bytes (K, M allowed) or "Nl" lines of scrollback for
 * the caller's login session's next open of the device. */
static int
fs_xattr_replay(fuse_req_t req, const struct fs_ent *e, const char *value, size_t size)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	unsigned long long n = 0;
	int lines = 0;
	size_t i = 0;
	pid_t sid;

	if (!fs_may_write(req, e->v))
		return EACCES;
	if (size > 0 && value[size - 1] == '\0')
		size--;
	for (; i < size && value[i] >= '0' && value[i] <= '9'; i++) {
		n = n * 10 + (value[i] - '0');
		if (n > (1ULL << 32))
			return EINVAL;
	}
	if (i == 0)
		return EINVAL;
	if (i + 1 == size && (value[i] == 'l' || value[i] == 'L'))
		lines = 1;
	else if (i + 1 == size && (value[i] == 'k' || value[i] == 'K'))
		n *= 1024;
	else if (i + 1 == size && (value[i] == 'm' || value[i] == 'M'))
		n *= 1024 * 1024;
	else if (i != size)
		return EINVAL;
	sid = getsid(ctx->pid);
	return fs_console_ask_replay(fuse_req_userdata(req), e->v, sid == -1 ? ctx->pid : sid,
	    n, lines);
}

/* user.restart: start an exec: program again now (any value). */
static int
fs_xattr_restart(fuse_req_t req, const struct fs_ent *e, const char *value, size_t size)
{
	(void)value, (void)size;
	if (!fs_may_write(req, e->v))
		return EACCES;
	if (console_restart(registry_device_console(e->v)) == -1)
		return errno;
	return 0;
}

static const struct fs_xattr fs_xattrs[] = {
	{ "user.uuid", FS_ON(FS_K_DOMAIN), fs_xattr_uuid, NULL },
	{ "user.backend", FS_ON(FS_K_DEVICE), fs_xattr_backend, NULL },
	{ "user.state", FS_ON(FS_K_DEVICE), fs_xattr_state, NULL },
	{ "user.holder", FS_ON(FS_K_DEVICE), fs_xattr_holder, NULL },
	{ "user.buffers", FS_ON(FS_K_DEVICE), fs_xattr_buffers, NULL },
	{ "user.force", FS_ON(FS_K_DEVICE), NULL, fs_xattr_force_device },
	{ "user.force", FS_ON(FS_K_DOMAIN), NULL, fs_xattr_force_domain },
	{ "user.break", FS_ON(FS_K_DEVICE), NULL, fs_xattr_break },
	{ "user.replay", FS_ON(FS_K_DEVICE), NULL, fs_xattr_replay },
	{ "user.restart", FS_ON(FS_K_DEVICE), NULL, fs_xattr_restart },
	{ NULL, 0, NULL, NULL },
};

/* The entry for NAME on kind KIND; NULL when it has none. With ANY_KIND,
 * an entry on any kind (to tell read-only names from unknown ones). */
static const struct fs_xattr *
fs_xattr_find(const char *name, enum fs_kind kind, int any_kind)
{
	for (const struct fs_xattr *x = fs_xattrs; x->name != NULL; x++)
		if (strcmp(x->name, name) == 0 && (any_kind || (x->on & FS_ON(kind))))
			return x;
	return NULL;
}

void
fs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct fs *fs = fuse_req_userdata(req);
	const struct fs_xattr *x;
	struct fs_ent e;
	char val[512];
	size_t len;

	if (fs_resolve(fs, ino, &e) == -1) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	x = fs_xattr_find(name, e.kind, 0);
	if (x == NULL || x->get == NULL) {
		fuse_reply_err(req, ENODATA);
		return;
	}
	if (x->get(fs, &e, val, sizeof val) == -1) {
		fuse_reply_err(req, errno);
		return;
	}
	len = strlen(val);
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, val, len);
}

void
fs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct fs *fs = fuse_req_userdata(req);
	char list[512], val[512];
	struct fs_ent e;
	size_t len = 0;

	if (fs_resolve(fs, ino, &e) == -1) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	for (const struct fs_xattr *x = fs_xattrs; x->name != NULL; x++) {
		size_t l = strlen(x->name) + 1;

		if (!(x->on & FS_ON(e.kind)) || x->get == NULL || x->get(fs, &e, val, sizeof val) == -1)
			continue;
		memcpy(list + len, x->name, l);
		len += l;
	}
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, list, len);
}

void
fs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
    const char *value, size_t size, int flags)
{
	struct fs *fs = fuse_req_userdata(req);
	const struct fs_xattr *x;
	struct fs_ent e;

	(void)flags;
	if (fs_resolve(fs, ino, &e) == -1) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	for (x = fs_xattrs; x->name != NULL; x++)
		if (strcmp(x->name, name) == 0 && (x->on & FS_ON(e.kind)) && x->set != NULL)
			break;
	if (x->name != NULL) {
		fuse_reply_err(req, x->set(req, &e, value, size));
		return;
	}
	/* A name we know (somewhere) is not writable here; others unknown. */
	fuse_reply_err(req, fs_xattr_find(name, e.kind, 1) != NULL ? EPERM : EOPNOTSUPP);
}

void
fs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct fs *fs = fuse_req_userdata(req);
	const struct fs_xattr *x;
	struct fs_ent e;
	char val[512];

	if (fs_resolve(fs, ino, &e) == -1) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	x = fs_xattr_find(name, e.kind, 0);
	if (x != NULL && x->get != NULL && x->get(fs, &e, val, sizeof val) == 0)
		fuse_reply_err(req, EPERM);
	else
		fuse_reply_err(req, ENODATA);
}
