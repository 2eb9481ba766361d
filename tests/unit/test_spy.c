/*
 * test_spy.c — unit tests of core/spy.c: the shared ring behind DEV.spy.
 * Spies read what is put after they were made, byte for byte across the
 * wrap; one that falls behind reads one skip marker with the right count
 * and then the oldest bytes still held; many spies cost no copies.
 * Not for the FUSE file (tests/behave/spy-*.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/spy.h"

static void
seq(char *buf, size_t len, unsigned int from)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('A' + (from + i) % 53);
}

static void
test_reads_in_order(void **state)
{
	struct spy_hub *h = spy_hub_new(16);
	struct spy *s, *late;
	char in[64], out[64];

	(void)state;
	assert_non_null(h);
	spy_hub_put(h, "before", 6);
	s = spy_new(h);
	assert_false(spy_ready(s));
	assert_int_equal(spy_read(s, out, sizeof out), 0);
	/* Across the wrap, in small reads. */
	for (unsigned int round = 0; round < 10; round++) {
		seq(in, 11, round * 11);
		spy_hub_put(h, in, 11);
		assert_true(spy_ready(s));
		assert_int_equal(spy_read(s, out, 5), 5);
		assert_int_equal(spy_read(s, out + 5, 64), 6);
		assert_memory_equal(in, out, 11);
		assert_false(spy_ready(s));
	}
	late = spy_new(h);
	assert_int_equal(spy_hub_count(h), 2);
	spy_hub_put(h, "x", 1);
	assert_int_equal(spy_read(late, out, sizeof out), 1);
	spy_free(late);
	spy_free(s);
	assert_int_equal(spy_hub_count(h), 0);
	spy_hub_free(h);
}

static void
test_skip_marker(void **state)
{
	struct spy_hub *h = spy_hub_new(16);
	struct spy *s = spy_new(h), *keep = spy_new(h);
	char in[100], out[200];
	size_t n;

	(void)state;
	seq(in, 100, 0);
	spy_hub_put(h, in, 3);
	assert_int_equal(spy_read(keep, out, sizeof out), 3);
	/* 3 + 40 + 57 = 100 bytes put; the ring keeps the last 16. */
	spy_hub_put(h, in + 3, 40);
	spy_hub_put(h, in + 43, 57);
	/* The marker, then the 16 bytes held, in one read. */
	n = spy_read(s, out, sizeof out);
	assert_int_equal(n, 31 + 16);
	assert_memory_equal(out, "[consolefs: 84 bytes skipped]\r\n", 31);
	assert_memory_equal(out + 31, in + 84, 16);
	assert_false(spy_ready(s));
	/* The other spy had read 3 (no newline): its marker starts a line;
	 * small reads get it piece by piece. */
	n = spy_read(keep, out, 2);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "\r\n", 2);
	n = spy_read(keep, out, 10);
	assert_int_equal(n, 10);
	n += spy_read(keep, out + 10, 21);
	assert_int_equal(n, 31);
	assert_memory_equal(out, "[consolefs: 81 bytes skipped]\r\n", 31);
	assert_int_equal(spy_read(keep, out, sizeof out), 16);
	assert_memory_equal(out, in + 84, 16);
	spy_free(s);
	spy_free(keep);
	spy_hub_free(h);
}

/* A spy that falls behind twice before reading gets one marker with the
 * sum. */
static void
test_one_marker(void **state)
{
	struct spy_hub *h = spy_hub_new(8);
	struct spy *s = spy_new(h);
	char in[64], out[128];
	size_t n;

	(void)state;
	seq(in, 64, 0);
	spy_hub_put(h, in, 20);
	assert_true(spy_ready(s));
	spy_hub_put(h, in + 20, 20);
	n = spy_read(s, out, sizeof out);
	assert_int_equal(n, 31 + 8);
	assert_memory_equal(out, "[consolefs: 32 bytes skipped]\r\n", 31);
	assert_memory_equal(out + 31, in + 32, 8);
	spy_free(s);
	spy_hub_free(h);
}

/* A put larger than the ring keeps its tail. */
static void
test_big_put(void **state)
{
	struct spy_hub *h = spy_hub_new(10);
	struct spy *s = spy_new(h);
	char in[100], out[128];
	size_t n;

	(void)state;
	seq(in, 100, 7);
	spy_hub_put(h, in, 100);
	n = spy_read(s, out, sizeof out);
	assert_int_equal(n, 31 + 10);
	assert_memory_equal(out, "[consolefs: 90 bytes skipped]\r\n", 31);
	assert_memory_equal(out + 31, in + 90, 10);
	spy_free(s);
	spy_hub_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_in_order),
		cmocka_unit_test(test_skip_marker),
		cmocka_unit_test(test_one_marker),
		cmocka_unit_test(test_big_put),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
