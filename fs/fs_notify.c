/*
 * fs_notify.c — invalidation notices to the kernel, written by a thread.
 *
 * Why a thread (the only one in the daemon): the kernel handles
 * FUSE_NOTIFY_INVAL_ENTRY inside the write(2) to /dev/fuse, and takes the
 * directory's inode lock to do it. A lookup in that directory holds the
 * same lock while it waits for our answer. If the event loop wrote the
 * notice itself while such a lookup was queued (and nothing stops one from
 * arriving between any check and the write), the loop would sleep on the
 * lock, the lookup would wait for the loop, and both would wait for ever.
 * Written from here, the notice waits while the loop goes on answering;
 * once the lookup is answered the lock is free and the notice goes in.
 * This thread touches nothing but its queue and its own dup of the fd:
 * notices are built here from <linux/fuse.h>, not through libfuse (whose
 * session and our stream.c hooks belong to the loop's thread).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fs/fs_notify.h"

struct fs_notice {
	int			 entry;		/* else an inode */
	int			 data;		/* inode: its contents too */
	uint64_t		 ino;		/* the directory, or the inode */
	struct fs_notice	*next;
	char			 name[];
};

struct fs_notify {
	int			 fd;
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct fs_notice	*head, **tail;
	int			 stop;
};

static void
fs_notify_send(int fd, const struct fs_notice *no)
{
	struct fuse_out_header oh;
	struct fuse_notify_inval_entry_out eo;
	struct fuse_notify_inval_inode_out io;
	struct iovec iov[3];
	int n;

	memset(&oh, 0, sizeof oh);
	iov[0].iov_base = &oh;
	iov[0].iov_len = sizeof oh;
	if (no->entry) {
		memset(&eo, 0, sizeof eo);
		eo.parent = no->ino;
		eo.namelen = strlen(no->name);
		oh.error = FUSE_NOTIFY_INVAL_ENTRY;
		iov[1].iov_base = &eo;
		iov[1].iov_len = sizeof eo;
		iov[2].iov_base = (void *)no->name;
		iov[2].iov_len = eo.namelen + 1;
		n = 3;
	} else {
		memset(&io, 0, sizeof io);
		io.ino = no->ino;
		io.off = no->data ? 0 : -1;	/* 0 and len 0: all pages; -1: none */
		oh.error = FUSE_NOTIFY_INVAL_INODE;
		iov[1].iov_base = &io;
		iov[1].iov_len = sizeof io;
		n = 2;
	}
	oh.len = iov[0].iov_len + iov[1].iov_len + (n == 3 ? iov[2].iov_len : 0);
	/* ENOENT: the kernel had nothing cached; ENODEV: unmounted. Either
	 * way there is nothing left to forget. */
	while (writev(fd, iov, n) == -1 && errno == EINTR)
		;
}

static void *
fs_notify_main(void *arg)
{
	struct fs_notify *n = arg;

	pthread_mutex_lock(&n->lock);
	for (;;) {
		struct fs_notice *no;

		while (n->head == NULL && !n->stop)
			pthread_cond_wait(&n->cond, &n->lock);
		if ((no = n->head) == NULL)
			break;	/* stopping, and everything was sent */
		n->head = no->next;
		if (n->head == NULL)
			n->tail = &n->head;
		pthread_mutex_unlock(&n->lock);
		fs_notify_send(n->fd, no);
		free(no);
		pthread_mutex_lock(&n->lock);
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

/* Start a notifier writing to a dup of FD. */
struct fs_notify *
fs_notify_new(int fd)
{
	struct fs_notify *n = calloc(1, sizeof *n);
	sigset_t all, old;
	int err;

	if (n == NULL)
		return NULL;
	n->tail = &n->head;
	if ((n->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		free(n);
		return NULL;
	}
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	/* Signals belong to the loop (signalfd): the thread takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&n->thread, NULL, fs_notify_main, n);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		close(n->fd);
		pthread_mutex_destroy(&n->lock);
		pthread_cond_destroy(&n->cond);
		free(n);
		errno = err;
		return NULL;
	}
	return n;
}

/* Stop the notifier (NULL is ok). It may be stuck in a write that waits
 * for a request nobody will answer any more (the daemon is exiting): then
 * it is left behind after a second, and ends with the process. */
void
fs_notify_free(struct fs_notify *n)
{
	struct timespec ts;

	if (n == NULL)
		return;
	pthread_mutex_lock(&n->lock);
	n->stop = 1;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	if (pthread_timedjoin_np(n->thread, NULL, &ts) != 0)
		return;
	while (n->head != NULL) {
		struct fs_notice *no = n->head;

		n->head = no->next;
		free(no);
	}
	close(n->fd);
	pthread_mutex_destroy(&n->lock);
	pthread_cond_destroy(&n->cond);
	free(n);
}

static void
fs_notify_queue(struct fs_notify *n, int entry, int data, uint64_t ino, const char *name)
{
	size_t len = name != NULL ? strlen(name) : 0;
	struct fs_notice *no;

	if (n == NULL)
		return;
	/* Out of memory: the kernel's cached entry expires by itself (1 s). */
	if ((no = malloc(sizeof *no + len + 1)) == NULL)
		return;
	no->entry = entry;
	no->data = data;
	no->ino = ino;
	no->next = NULL;
	memcpy(no->name, name != NULL ? name : "", len + 1);
	pthread_mutex_lock(&n->lock);
	*n->tail = no;
	n->tail = &no->next;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

/* Queue: forget the entry NAME of directory inode PARENT. */
void
fs_notify_entry(struct fs_notify *n, uint64_t parent, const char *name)
{
	fs_notify_queue(n, 1, 0, parent, name);
}

/* Queue: forget the attributes (and with DATA the contents) of inode INO. */
void
fs_notify_inode(struct fs_notify *n, uint64_t ino, int data)
{
	fs_notify_queue(n, 0, data, ino, NULL);
}
