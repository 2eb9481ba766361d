/*
 * bench.c — the measuring half of `make bench`. Reads or pings a console
 * either through a consolefs file or straight from a pty master running the
 * same command, so that both figures come from the same run.
 *
 *   bench throughput FILE          read FILE to its end after sending one byte
 *   bench throughput-pty CMD...    the same on a pty master running CMD
 *   bench latency FILE N           N one-byte round trips through FILE
 *   bench latency-pty N CMD...     the same on a pty master running CMD
 *
 * Prints one line of figures: "bytes=… seconds=… mib_s=…" or
 * "n=… median_us=… p99_us=…".
 */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
spawn_pty(char **argv, pid_t *pid)
{
	int master;

	*pid = forkpty(&master, NULL, NULL, NULL);
	if (*pid == -1) {
		perror("forkpty");
		exit(1);
	}
	if (*pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	return master;
}

static void
throughput(int fd)
{
	static char buf[1 << 20];
	long long total = 0;
	double t0;
	ssize_t n;

	if (write(fd, "x", 1) != 1) {
		perror("write");
		exit(1);
	}
	t0 = now();
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n > 0) {
			total += n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		break;	/* 0, or EIO on a pty master once the child is gone */
	}
	t0 = now() - t0;
	printf("bytes=%lld seconds=%.3f mib_s=%.1f\n", total, t0, total / t0 / 1048576);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
latency(int fd, int n)
{
	double *us = calloc(n, sizeof *us);
	char c;

	/* Warm up, and make sure the echo works. */
	for (int i = 0; i < 100; i++)
		if (write(fd, "a", 1) != 1 || read(fd, &c, 1) != 1) {
			fprintf(stderr, "no echo\n");
			exit(1);
		}
	for (int i = 0; i < n; i++) {
		double t0 = now();

		if (write(fd, "b", 1) != 1 || read(fd, &c, 1) != 1) {
			fprintf(stderr, "round trip %d failed\n", i);
			exit(1);
		}
		us[i] = (now() - t0) * 1e6;
	}
	qsort(us, n, sizeof *us, cmp);
	printf("n=%d median_us=%.1f p99_us=%.1f\n", n, us[n / 2], us[n * 99 / 100]);
	free(us);
}

int
main(int argc, char **argv)
{
	pid_t pid = 0;
	int fd;

	if (argc >= 3 && strcmp(argv[1], "throughput") == 0) {
		if ((fd = open(argv[2], O_RDWR)) == -1) {
			perror(argv[2]);
			return 1;
		}
		throughput(fd);
	} else if (argc >= 3 && strcmp(argv[1], "throughput-pty") == 0) {
		fd = spawn_pty(argv + 2, &pid);
		throughput(fd);
	} else if (argc >= 4 && strcmp(argv[1], "latency") == 0) {
		if ((fd = open(argv[2], O_RDWR)) == -1) {
			perror(argv[2]);
			return 1;
		}
		latency(fd, atoi(argv[3]));
	} else if (argc >= 4 && strcmp(argv[1], "latency-pty") == 0) {
		fd = spawn_pty(argv + 3, &pid);
		usleep(200000);	/* let stty run before the first byte */
		latency(fd, atoi(argv[2]));
	} else {
		fprintf(stderr, "usage: see the comment at the top of bench.c\n");
		return 2;
	}
	close(fd);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return 0;
}
