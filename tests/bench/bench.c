/*
 * bench.c — the measuring half of `make bench`. Reads or pings a console
 * either through a consolefs file or straight from a pty master running the
 * same command, so that both figures come from the same run.
 *
 *   bench throughput FILE [BYTES]  read FILE to its end (or BYTES) after
 *                                  sending one byte
 *   bench throughput-pty CMD...    the same on a pty master running CMD
 *   bench latency FILE N           N one-byte round trips through FILE
 *   bench latency-pty N CMD...     the same on a pty master running CMD
 *   bench openclose FILE...        open (O_RDWR) and close each FILE once
 *
 * Prints one line of figures: "bytes=… seconds=… mib_s=… cpu_ms_mib=…"
 * (cpu: this reader's own user+system time per MiB), "n=… median_us=…
 * p99_us=…" or "n=… failed=… seconds=… per_s=…".
 */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* This process's user+system CPU seconds so far. */
static double
cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
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
throughput(int fd, long long want)
{
	static char buf[1 << 20];
	long long total = 0;
	double t0, c0;
	ssize_t n;

	if (write(fd, "x", 1) != 1) {
		perror("write");
		exit(1);
	}
	t0 = now();
	c0 = cpu();
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n > 0) {
			total += n;
			if (want > 0 && total >= want)
				break;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		break;	/* 0, or EIO on a pty master once the child is gone */
	}
	t0 = now() - t0;
	c0 = cpu() - c0;
	printf("bytes=%lld seconds=%.3f mib_s=%.1f cpu_ms_mib=%.3f\n", total, t0,
	    total / t0 / 1048576, c0 * 1000 / (total / 1048576.0));
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

	/* Warm up, and make sure the echo works and is single: a terminal
	 * still echoing (its command's stty not run yet) answers every byte
	 * twice, the second time at once, which would pass for a fast round
	 * trip. */
	for (int i = 0; i < 100; i++)
		if (write(fd, "a", 1) != 1 || read(fd, &c, 1) != 1) {
			fprintf(stderr, "no echo\n");
			exit(1);
		}
	usleep(100000);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (read(fd, &c, 1) == 1) {
		fprintf(stderr, "every byte comes back twice: is the terminal still echoing?\n");
		exit(1);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
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

/* Open and close each of the N files once: how fast, how many failed. */
static void
openclose(char **files, int n)
{
	double t0 = now();
	int failed = 0;

	for (int i = 0; i < n; i++) {
		int fd = open(files[i], O_RDWR | O_NOCTTY);

		if (fd == -1) {
			if (failed++ == 0)
				perror(files[i]);
			continue;
		}
		close(fd);
	}
	t0 = now() - t0;
	printf("n=%d failed=%d seconds=%.3f per_s=%.0f\n", n, failed, t0, n / t0);
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
		throughput(fd, argc >= 4 ? atoll(argv[3]) : 0);
	} else if (argc >= 3 && strcmp(argv[1], "throughput-pty") == 0) {
		fd = spawn_pty(argv + 2, &pid);
		throughput(fd, 0);
	} else if (argc >= 4 && strcmp(argv[1], "latency") == 0) {
		if ((fd = open(argv[2], O_RDWR)) == -1) {
			perror(argv[2]);
			return 1;
		}
		latency(fd, atoi(argv[3]));
	} else if (argc >= 3 && strcmp(argv[1], "openclose") == 0) {
		openclose(argv + 2, argc - 2);
		return 0;
	} else if (argc >= 4 && strcmp(argv[1], "latency-pty") == 0) {
		fd = spawn_pty(argv + 3, &pid);
		/* Let the command's stty -echo run before the first byte. */
		for (int i = 0; i < 500; i++) {
			struct termios t;

			if (tcgetattr(fd, &t) == 0 && !(t.c_lflag & ECHO))
				break;
			usleep(10000);
		}
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
