/*
 * fs.h — the FUSE side: serves the registry's tree of domains and devices
 * under the mount point, every request answered from the event loop.
 * Not for relaying bytes (core/console.c), for deciding what is in the
 * tree (the sources in core/) or parsing configuration.
 */
#ifndef CONSOLEFS_FS_H
#define CONSOLEFS_FS_H

struct fs;
struct loop;
struct registry;

/* Create the FUSE session with mount options OPTS ("-o" string, may be
 * NULL) and mount it on MOUNTPOINT; NULL with *CAUSE (malloc'd). */
struct fs *fs_mount(const char *mountpoint, const char *opts, char **cause);
/* Serve the tree of REG on LP (REG outlives the fs). */
int fs_start(struct fs *fs, struct loop *lp, struct registry *reg, char **cause);
/* Stop: sessions read end of file, exec: children get SIGTERM, unmount. */
void fs_shutdown(struct fs *fs);
/* Hang up every exec: child's terminal (the second step of stopping). */
void fs_hangup(struct fs *fs);
/* Whether no file is open any more (or the connection is gone). */
int fs_idle(const struct fs *fs);
/* Free everything but the registry (NULL is ok). */
void fs_free(struct fs *fs);

#endif
