/*
 * test_ring.c — unit tests of core/ring.c: the byte rings behind the relay's
 * queues and the scrollback. Contents are checked byte for byte, across the
 * wrap, against a plain array model, and the fd calls against real pipes.
 * Not for how console.c uses the rings (test_console.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/ring.h"

/* Fill BUF with LEN bytes of the sequence starting at FROM. */
static void
seq(char *buf, size_t len, unsigned int from)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('A' + (from + i) % 53);
}

/* Take everything out of R and compare with WANT. */
static void
check_held(struct ring *r, const char *want, size_t len)
{
	char buf[4096], copy[4096];

	assert_true(len <= sizeof buf);
	assert_int_equal(ring_used(r), len);
	memset(copy, '#', sizeof copy);
	ring_copy(r, copy);
	assert_memory_equal(copy, want, len);
	assert_int_equal(copy[len], '#');
	assert_int_equal(ring_used(r), len);	/* ring_copy does not drop */
	assert_int_equal(ring_get(r, buf, sizeof buf), len);
	assert_memory_equal(buf, want, len);
	assert_int_equal(ring_used(r), 0);
}

static void
nonblock(int fd)
{
	assert_int_not_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), -1);
}

static void
test_new(void **state)
{
	struct ring *r = ring_new(8);

	(void)state;
	assert_non_null(r);
	assert_int_equal(ring_used(r), 0);
	assert_int_equal(ring_space(r), 8);
	ring_free(r);

	ring_free(NULL);	/* a zero size: test_zero */
}

static void
test_put_get(void **state)
{
	struct ring *r = ring_new(8);
	char buf[16];

	(void)state;
	assert_int_equal(ring_put(r, "abcde", 5), 5);
	assert_int_equal(ring_used(r), 5);
	assert_int_equal(ring_space(r), 3);
	/* Short: only what fits is taken. */
	assert_int_equal(ring_put(r, "fghij", 5), 3);
	assert_int_equal(ring_space(r), 0);
	assert_int_equal(ring_put(r, "k", 1), 0);

	assert_int_equal(ring_get(r, buf, 3), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(ring_space(r), 3);
	/* These go round the end of the buffer. */
	assert_int_equal(ring_put(r, "XYZW", 4), 3);
	check_held(r, "defghXYZ", 8);

	/* Empty: get returns 0 and leaves BUF alone. */
	memset(buf, '#', sizeof buf);
	assert_int_equal(ring_get(r, buf, sizeof buf), 0);
	assert_int_equal(buf[0], '#');

	assert_int_equal(ring_put(r, "12", 2), 2);
	ring_clear(r);
	assert_int_equal(ring_used(r), 0);
	assert_int_equal(ring_space(r), 8);
	assert_int_equal(ring_put(r, "12345678", 8), 8);
	check_held(r, "12345678", 8);
	ring_free(r);
}

/*
 * Many rounds of put, get and put_over of awkward sizes on a 13-byte ring,
 * so that the head visits every position and every split of the two
 * halves: the ring must always hold what a flat array model holds.
 */
static void
test_model(void **state)
{
	enum { CAP = 13 };
	struct ring *r = ring_new(CAP);
	char model[CAP], in[64], out[64], copy[CAP];
	size_t mlen = 0;
	unsigned int next = 0, rnd = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t len, took;
		int op;

		rnd = rnd * 1103515245 + 12345;
		op = (rnd >> 16) % 3;
		len = (rnd >> 20) % (2 * CAP + 2);
		switch (op) {
		case 0:
			seq(in, len, next);
			took = ring_put(r, in, len);
			assert_int_equal(took, len < CAP - mlen ? len : CAP - mlen);
			memcpy(model + mlen, in, took);
			mlen += took;
			next += took;
			break;
		case 1:
			took = ring_get(r, out, len);
			assert_int_equal(took, len < mlen ? len : mlen);
			assert_memory_equal(out, model, took);
			memmove(model, model + took, mlen - took);
			mlen -= took;
			break;
		case 2:
			seq(in, len, next);
			ring_put_over(r, in, len);
			next += len;
			if (len >= CAP) {
				memcpy(model, in + len - CAP, CAP);
				mlen = CAP;
			} else {
				size_t drop = mlen + len > CAP ? mlen + len - CAP : 0;

				memmove(model, model + drop, mlen - drop);
				mlen -= drop;
				memcpy(model + mlen, in, len);
				mlen += len;
			}
			break;
		}
		assert_int_equal(ring_used(r), mlen);
		assert_int_equal(ring_space(r), CAP - mlen);
		ring_copy(r, copy);
		assert_memory_equal(copy, model, mlen);
	}
	ring_free(r);
}

static void
test_put_over(void **state)
{
	struct ring *r = ring_new(8);
	char big[20];

	(void)state;
	/* Room enough: nothing dropped. */
	ring_put_over(r, "abc", 3);
	check_held(r, "abc", 3);

	/* Full: the oldest bytes make way. */
	ring_put_over(r, "abcde", 5);
	ring_put_over(r, "fghij", 5);
	check_held(r, "cdefghij", 8);

	/* Exactly the capacity: replaces everything. */
	ring_put_over(r, "abc", 3);
	ring_put_over(r, "01234567", 8);
	check_held(r, "01234567", 8);

	/* More than the capacity: only the newest CAP bytes of it. */
	ring_put_over(r, "xy", 2);
	memcpy(big, "0123456789ABCDEFGHIJ", 20);
	ring_put_over(r, big, 20);
	check_held(r, "CDEFGHIJ", 8);

	/* With the head in the middle, dropping and writing across the end. */
	assert_int_equal(ring_put(r, "abcdef", 6), 6);
	assert_int_equal(ring_get(r, big, 5), 5);	/* head at 5, "f" held */
	ring_put_over(r, "123456", 6);			/* fits: 7 held */
	ring_put_over(r, "789", 3);			/* drops "f1" */
	check_held(r, "23456789", 8);

	/* Empty input: no change. */
	ring_put_over(r, "ab", 2);
	ring_put_over(r, "", 0);
	check_held(r, "ab", 2);
	ring_free(r);
}

static void
test_data_iov_drop(void **state)
{
	struct ring *r = ring_new(8);
	struct iovec iov[2];
	char buf[8];

	(void)state;
	/* Empty: one iovec of nothing. */
	assert_int_equal(ring_data_iov(r, iov, 100), 1);
	assert_int_equal(iov[0].iov_len, 0);

	/* Contiguous. */
	assert_int_equal(ring_put(r, "abcdef", 6), 6);
	assert_int_equal(ring_data_iov(r, iov, 100), 1);
	assert_int_equal(iov[0].iov_len, 6);
	assert_memory_equal(iov[0].iov_base, "abcdef", 6);
	assert_int_equal(ring_data_iov(r, iov, 2), 1);
	assert_int_equal(iov[0].iov_len, 2);

	/* Head at 4 with 7 held: "efgh" at the end, "ijk" at the start. */
	ring_drop(r, 4);
	assert_int_equal(ring_used(r), 2);
	assert_int_equal(ring_put(r, "ghijk", 5), 5);
	assert_int_equal(ring_data_iov(r, iov, 100), 2);
	assert_int_equal(iov[0].iov_len, 4);
	assert_memory_equal(iov[0].iov_base, "efgh", 4);
	assert_int_equal(iov[1].iov_len, 3);
	assert_memory_equal(iov[1].iov_base, "ijk", 3);
	/* MAX stops in the first half, exactly at its end, in the second. */
	assert_int_equal(ring_data_iov(r, iov, 3), 1);
	assert_int_equal(iov[0].iov_len, 3);
	assert_int_equal(ring_data_iov(r, iov, 4), 1);
	assert_int_equal(iov[0].iov_len, 4);
	assert_int_equal(ring_data_iov(r, iov, 5), 2);
	assert_int_equal(iov[0].iov_len, 4);
	assert_int_equal(iov[1].iov_len, 1);
	assert_memory_equal(iov[1].iov_base, "i", 1);

	/* Dropping across the wrap. */
	ring_drop(r, 5);
	assert_int_equal(ring_used(r), 2);
	assert_int_equal(ring_data_iov(r, iov, 100), 1);
	assert_memory_equal(iov[0].iov_base, "jk", 2);
	assert_int_equal(ring_space(r), 6);

	/* Dropping more than is held empties it, and it is whole again. */
	ring_drop(r, 50);
	assert_int_equal(ring_used(r), 0);
	assert_int_equal(ring_space(r), 8);
	assert_int_equal(ring_put(r, "12345678", 8), 8);
	assert_int_equal(ring_data_iov(r, iov, 100), 1);
	assert_int_equal(iov[0].iov_len, 8);
	ring_drop(r, 0);
	assert_int_equal(ring_get(r, buf, 8), 8);
	assert_memory_equal(buf, "12345678", 8);
	ring_free(r);
}

static void
test_copy(void **state)
{
	struct ring *r = ring_new(6);
	char buf[8];

	(void)state;
	memset(buf, '#', sizeof buf);
	ring_copy(r, buf);
	assert_int_equal(buf[0], '#');

	assert_int_equal(ring_put(r, "abcd", 4), 4);
	assert_int_equal(ring_get(r, buf, 3), 3);
	assert_int_equal(ring_put(r, "efghi", 5), 5);	/* "defghi", split 3+3 */
	memset(buf, '#', sizeof buf);
	ring_copy(r, buf);
	assert_memory_equal(buf, "defghi", 6);
	assert_int_equal(buf[6], '#');
	/* Twice: nothing was taken. */
	memset(buf, '#', sizeof buf);
	ring_copy(r, buf);
	assert_memory_equal(buf, "defghi", 6);
	assert_int_equal(ring_used(r), 6);
	ring_free(r);
}

static void
test_read_fd(void **state)
{
	struct ring *r = ring_new(8);
	char buf[16];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	nonblock(p[0]);

	/* Nothing there. */
	assert_int_equal(ring_read_fd(r, p[0]), -1);
	assert_int_equal(errno, EAGAIN);

	/* Less than the room: all of it. */
	assert_int_equal(write(p[1], "abc", 3), 3);
	assert_int_equal(ring_read_fd(r, p[0]), 3);
	assert_int_equal(write(p[1], "de", 2), 2);
	assert_int_equal(ring_read_fd(r, p[0]), 2);
	assert_int_equal(ring_used(r), 5);

	/* Room at both ends (head 2, tail 5): one readv fills the end and
	 * then the start; more than the room stays in the pipe. */
	assert_int_equal(ring_get(r, buf, 2), 2);
	assert_memory_equal(buf, "ab", 2);
	assert_int_equal(write(p[1], "fghijklmno", 10), 10);
	assert_int_equal(ring_read_fd(r, p[0]), 5);
	assert_int_equal(ring_space(r), 0);
	errno = 0;
	assert_int_equal(ring_read_fd(r, p[0]), -1);
	assert_int_equal(errno, ENOBUFS);
	check_held(r, "cdefghij", 8);
	assert_int_equal(ring_read_fd(r, p[0]), 5);
	check_held(r, "klmno", 5);

	/* The writer gone: end of file. */
	assert_int_equal(close(p[1]), 0);
	assert_int_equal(ring_read_fd(r, p[0]), 0);
	assert_int_equal(ring_used(r), 0);
	close(p[0]);
	ring_free(r);
}

static void
test_write_fd(void **state)
{
	enum { CAP = 3 * 4096 };
	struct ring *r = ring_new(CAP);
	char *data = malloc(CAP), *got = malloc(CAP);
	size_t have = 0;
	ssize_t n, pipesz;
	int p[2];

	(void)state;
	assert_non_null(data);
	assert_non_null(got);
	assert_int_equal(pipe(p), 0);
	nonblock(p[1]);
	nonblock(p[0]);

	/* Empty ring: nothing written. */
	assert_int_equal(ring_write_fd(r, p[1]), 0);

	/* Across the wrap (head at CAP - 40), all of it when the pipe has
	 * room. Filler goes in first and comes out again, keeping the data. */
	seq(data, CAP, 0);
	memset(got, '.', CAP);
	assert_int_equal(ring_put(r, got, CAP - 40), CAP - 40);
	assert_int_equal(ring_put(r, data, 40), 40);
	assert_int_equal(ring_get(r, got, CAP - 40), CAP - 40);
	assert_int_equal(ring_put(r, data + 40, 60), 60);
	assert_int_equal(ring_write_fd(r, p[1]), 100);
	assert_int_equal(ring_used(r), 0);
	assert_int_equal(read(p[0], got, CAP), 100);
	assert_memory_equal(got, data, 100);

	/* A full ring, split round the end, into a pipe that takes less:
	 * partial writes, the rest kept in order, EAGAIN when the pipe is
	 * full, then the remainder once it has been drained. */
	pipesz = fcntl(p[1], F_SETPIPE_SZ, 4096);
	assert_true(pipesz >= 4096 && pipesz < CAP);
	memset(got, '.', CAP);
	assert_int_equal(ring_put(r, got, 5000), 5000);
	assert_int_equal(ring_put(r, data, CAP - 5000), CAP - 5000);
	assert_int_equal(ring_get(r, got, 5000), 5000);	/* head at 5000 */
	assert_int_equal(ring_put(r, data + CAP - 5000, 5000), 5000);
	n = ring_write_fd(r, p[1]);
	assert_int_equal(n, pipesz);
	assert_int_equal(ring_used(r), CAP - pipesz);
	assert_int_equal(ring_write_fd(r, p[1]), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(ring_used(r), CAP - pipesz);
	while (ring_used(r) > 0 || have < CAP) {
		n = read(p[0], got + have, CAP - have);
		if (n > 0)
			have += n;
		else
			assert_int_equal(errno, EAGAIN);
		if (ring_used(r) > 0)
			ring_write_fd(r, p[1]);
	}
	assert_int_equal(have, CAP);
	assert_memory_equal(got, data, CAP);

	/* The reader gone: EPIPE and nothing dropped. */
	signal(SIGPIPE, SIG_IGN);
	close(p[0]);
	assert_int_equal(ring_put(r, "xyz", 3), 3);
	assert_int_equal(ring_write_fd(r, p[1]), -1);
	assert_int_equal(errno, EPIPE);
	check_held(r, "xyz", 3);
	close(p[1]);
	ring_free(r);
	free(data);
	free(got);
}

/* A ring of 0 bytes (scrollback = 0) holds nothing and never fails. */
static void
test_zero(void **state)
{
	struct ring *r = ring_new(0);
	char buf[8];
	int p[2];

	(void)state;
	assert_non_null(r);
	assert_int_equal(ring_space(r), 0);
	ring_put_over(r, "hello", 5);
	assert_int_equal(ring_used(r), 0);
	assert_int_equal(ring_put(r, "x", 1), 0);
	assert_int_equal(ring_get(r, buf, sizeof buf), 0);
	ring_drop(r, 3);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(ring_read_fd(r, p[0]), -1);
	assert_int_equal(errno, ENOBUFS);
	close(p[0]);
	close(p[1]);
	ring_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new),
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_put_over),
		cmocka_unit_test(test_data_iov_drop),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_read_fd),
		cmocka_unit_test(test_write_fd),
		cmocka_unit_test(test_zero),
	};

	return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}
