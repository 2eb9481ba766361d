/*
 * watch.h — inotify on the one event loop: a file or directory watched for
 * some events, a callback per interest. Consoles use it to see another
 * program's lock file appear in the lock directory, and to see a device
 * node opened by another program or removed (a pseudo-terminal whose
 * master went away). Not for deciding what an event means (backend*.c).
 */
#ifndef CONSOLEFS_WATCH_H
#define CONSOLEFS_WATCH_H

#include <stdint.h>
#include <sys/inotify.h>

struct loop;
struct watch;

/* Called for an event in the interest's mask; NAME is the entry's name for
 * an event inside a watched directory, else NULL. IN_IGNORED (the inode is
 * gone, the interest is dead) and IN_Q_OVERFLOW (events were lost: look
 * again) come whatever the mask. */
typedef void watch_fn(void *arg, uint32_t mask, const char *name);

/* Watch PATH (following symbolic links) for MASK on LP, calling FN with
 * ARG. Several interests may watch one inode. NULL with errno. */
struct watch *watch_add(struct loop *lp, const char *path, uint32_t mask,
    watch_fn *fn, void *arg);
/* The most entries one interest in a directory may name. */
#define WATCH_NAMES_MAX 4

/* Hand W only the events of the directory entries NAMES (N of them, empty
 * strings skipped), or every event again with N 0: 0, or -1 ENOMEM (W
 * then gets every event). */
int watch_names(struct watch *w, const char *const *names, int n);
/* Stop an interest (NULL is ok). Safe inside any callback. */
void watch_del(struct watch *w);
/* Whether PATH leads to the very inode W watches (not a new file with the
 * same name): 1 yes, 0 no (another inode, no file, or W's inode is gone),
 * -1 with errno when that cannot be told. */
int watch_same(struct watch *w, const char *path);
/* Whether W's inode has gone (IN_IGNORED seen). */
int watch_gone(const struct watch *w);
/* Handle every event queued so far now, rather than on the loop's next
 * turn. */
void watch_poll(void);

#endif
