/*
 * fs_tty.c — DEV.tty: a symbolic link to the pseudo-terminal slave that
 * core/bridge.c relays to the console, for programs that want a terminal
 * (screen, picocom, tio, cu, pyserial). Only reading the link (which is
 * what opening it does) makes the pty; a listing or a stat never does.
 * Not for the relay itself (bridge.c) nor for the console file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/bridge.h"
#include "core/registry.h"
#include "fs/fs_impl.h"

static void
fs_tty_stat(struct fs *fs, const struct fs_ent *e, struct stat *st, double *timeout)
{
	const char *path = bridge_peek(fs->bridges, registry_device_id(e->v));

	fs_stat_device(fs, e, st);
	st->st_mode = S_IFLNK | 0777;
	/* The length of the target when there is one; 0 before the first
	 * readlink (the number of the pty is not known yet). */
	st->st_size = path != NULL ? strlen(path) : 0;
	*timeout = 0.0;
}

/* The perm of device V, as the bridge wants it. */
void
fs_tty_perm(const struct registry_device *v, struct bridge_perm *bp)
{
	const struct registry_perm *perm = registry_device_perm(v);

	bp->uid = perm->uid;
	bp->gid = perm->gid;
	bp->mode = perm->mode;
}

static int
fs_tty_readlink(struct fs *fs, const struct fs_ent *e, char *buf, size_t len)
{
	char name[2 * 64 + 2];
	struct bridge_perm bp;
	const char *path;

	snprintf(name, sizeof name, "%s/%s", registry_domain_name(e->d),
	    registry_device_name(e->v));
	fs_tty_perm(e->v, &bp);
	path = bridge_path(fs->bridges, registry_device_id(e->v),
	    registry_device_console(e->v), name, &bp);
	if (path == NULL)
		return errno != 0 ? errno : EIO;
	snprintf(buf, len, "%s", path);
	return 0;
}

const struct fs_file_ops fs_tty_ops = {
	.kind = FS_K_TTY,
	.suffix = ".tty",
	.stat = fs_tty_stat,
	.readlink = fs_tty_readlink,
};
