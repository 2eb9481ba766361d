/*
 * fs.h — the FUSE side: the tree of domains and devices under the mount
 * point, and every request answered from the event loop.
 * Not for relaying bytes (core/console.c) or parsing configuration.
 */
#ifndef CONSOLEFS_FS_H
#define CONSOLEFS_FS_H

struct fs;
struct loop;
struct config;

/* Create the FUSE session with mount options OPTS ("-o" string, may be
 * NULL) and mount it on MOUNTPOINT; NULL with *CAUSE (malloc'd). */
struct fs *fs_mount(const char *mountpoint, const char *opts, char **cause);
/* Build the tree from CF (starting exec: consoles) and serve on LP. */
int fs_start(struct fs *fs, struct loop *lp, const struct config *cf,
    const char *lock_dir, char **cause);
/* Make the tree match a re-read configuration (SIGHUP): removed domains
 * and devices go, new ones appear, unchanged ones keep their sessions. */
int fs_reload(struct fs *fs, const struct config *cf, char **cause);
/* Stop: sessions read end of file, exec: children get SIGTERM, unmount. */
void fs_shutdown(struct fs *fs);
/* Hang up every exec: child's terminal (the second step of stopping). */
void fs_hangup(struct fs *fs);
/* Whether no file is open any more (or the connection is gone). */
int fs_idle(const struct fs *fs);
/* Free everything (NULL is ok). */
void fs_free(struct fs *fs);

#endif
