/*
 * test_line.c — unit tests of core/line.c: line settings put on a real
 * pseudo-terminal. A pty keeps the speed, stop bits, flow control and
 * HUPCL it is given but forces CS8 and clears PARENB (the kernel's
 * pty_set_termios), so what line_apply asks for is also recorded: the
 * test is linked with -Wl,--wrap=ioctl and __wrap_ioctl keeps a copy of
 * every TCSETS2 before passing it on.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <asm/termbits.h>
#include <cmocka.h>

#include "core/line.h"

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

static struct termios2 asked;	/* the last TCSETS2 */
static int nasked;

/* Record TCSETS2, then do the real call. */
int
__wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == TCSETS2) {
		asked = *(struct termios2 *)arg;
		nasked++;
	}
	return __real_ioctl(fd, req, arg);
}

/* A pty slave (the master in *MASTER). */
static int
open_pty(int *master)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;

	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	assert_true(s >= 0);
	*master = m;
	return s;
}

static struct termios2
get2(int fd)
{
	struct termios2 t;

	assert_int_equal(ioctl(fd, TCGETS2, &t), 0);
	return t;
}

/* Parse the comma-separated WORDS over the defaults, apply them to a fresh
 * pty, check the raw mode, and return what was asked (also checking that
 * the pty kept what a pty keeps); line_restore puts the old settings back. */
static struct termios2
apply(const char *words)
{
	char *copy = strdup(words), *w, *next, *cause;
	struct line_saved *saved;
	struct termios2 before, after, want;
	struct line l;
	int m, s;

	line_init(&l);
	for (w = copy; w != NULL && *w != '\0'; w = next) {
		if ((next = strchr(w, ',')) != NULL)
			*next++ = '\0';
		if (line_parse_word(&l, w, &cause) == -1) {
			print_error("%s: %s\n", w, cause);
			fail();
		}
	}
	free(copy);
	s = open_pty(&m);
	before = get2(s);
	nasked = 0;
	assert_int_equal(line_apply(s, &l, &saved), 0);
	assert_non_null(saved);
	assert_int_equal(nasked, 1);
	want = asked;
	after = get2(s);
	/* Raw. */
	assert_int_equal(want.c_lflag & (ICANON | ECHO | ISIG | IEXTEN), 0);
	assert_int_equal(want.c_oflag & OPOST, 0);
	assert_int_equal(want.c_iflag & (ICRNL | INLCR | IGNCR | ISTRIP | BRKINT), 0);
	assert_int_equal(want.c_cflag & (CLOCAL | CREAD), CLOCAL | CREAD);
	assert_int_equal(want.c_cc[VMIN], 1);
	assert_int_equal(want.c_cc[VTIME], 0);
	/* What a pty keeps. */
	assert_int_equal(after.c_cflag & (CBAUD | CSTOPB | PARODD | CMSPAR | CRTSCTS | HUPCL),
	    want.c_cflag & (CBAUD | CSTOPB | PARODD | CMSPAR | CRTSCTS | HUPCL));
	assert_int_equal(after.c_ospeed, want.c_ospeed);
	assert_int_equal(after.c_iflag & (IXON | IXOFF), want.c_iflag & (IXON | IXOFF));
	line_restore(s, saved);
	after = get2(s);
	assert_memory_equal(&after, &before, sizeof before);
	close(s);
	close(m);
	return want;
}

static void
test_defaults(void **state)
{
	struct termios2 t;

	(void)state;
	t = apply("");
	assert_int_equal(t.c_cflag & CBAUD, B115200);
	assert_int_equal(t.c_cflag & (CBAUD << IBSHIFT), 0);	/* input = output */
	assert_int_equal(t.c_ospeed, 115200);
	assert_int_equal(t.c_cflag & CSIZE, CS8);
	assert_int_equal(t.c_cflag & (PARENB | CSTOPB | CRTSCTS), 0);
	assert_int_equal(t.c_iflag & (IXON | IXOFF | IXANY), 0);
}

static void
test_framing(void **state)
{
	struct termios2 t;

	(void)state;
	t = apply("9600,7e1");
	assert_int_equal(t.c_cflag & CBAUD, B9600);
	assert_int_equal(t.c_cflag & CSIZE, CS7);
	assert_int_equal(t.c_cflag & (PARENB | PARODD | CMSPAR | CSTOPB), PARENB);
	t = apply("8n2");
	assert_int_equal(t.c_cflag & CBAUD, B115200);
	assert_int_equal(t.c_cflag & CSIZE, CS8);
	assert_int_equal(t.c_cflag & (PARENB | PARODD | CMSPAR | CSTOPB), CSTOPB);
	t = apply("5o1");
	assert_int_equal(t.c_cflag & CSIZE, CS5);
	assert_int_equal(t.c_cflag & (PARENB | PARODD | CMSPAR | CSTOPB), PARENB | PARODD);
	t = apply("6m2");
	assert_int_equal(t.c_cflag & CSIZE, CS6);
	assert_int_equal(t.c_cflag & (PARENB | PARODD | CMSPAR | CSTOPB),
	    PARENB | PARODD | CMSPAR | CSTOPB);
	t = apply("7s1");
	assert_int_equal(t.c_cflag & (PARENB | PARODD | CMSPAR | CSTOPB), PARENB | CMSPAR);
}

static void
test_flow_hupcl(void **state)
{
	struct termios2 t;

	(void)state;
	t = apply("flow=rtscts,hupcl=no");
	assert_int_equal(t.c_cflag & (CRTSCTS | HUPCL), CRTSCTS);
	assert_int_equal(t.c_iflag & (IXON | IXOFF), 0);
	t = apply("flow=xonxoff,hupcl=yes");
	assert_int_equal(t.c_cflag & (CRTSCTS | HUPCL), HUPCL);
	assert_int_equal(t.c_iflag & (IXON | IXOFF), IXON | IXOFF);
	t = apply("flow=none");
	assert_int_equal(t.c_cflag & CRTSCTS, 0);
	assert_int_equal(t.c_iflag & (IXON | IXOFF), 0);
}

static void
test_speeds(void **state)
{
	struct termios2 t;

	(void)state;
	t = apply("250000");
	assert_int_equal(t.c_cflag & CBAUD, BOTHER);
	assert_int_equal(t.c_ospeed, 250000);
	assert_int_equal(t.c_ispeed, 250000);
	t = apply("4000000");
	assert_int_equal(t.c_cflag & CBAUD, B4000000);
	t = apply("50");
	assert_int_equal(t.c_cflag & CBAUD, B50);
	t = apply("31250");	/* MIDI */
	assert_int_equal(t.c_cflag & CBAUD, BOTHER);
	assert_int_equal(t.c_ospeed, 31250);
}

/* pty: raw mode only: the speed, stop bits, flow and HUPCL stay. */
static void
test_raw_only(void **state)
{
	struct line_saved *saved;
	struct termios2 before, t;
	struct line l;
	int m, s;

	(void)state;
	s = open_pty(&m);
	before = get2(s);
	before.c_cflag = (before.c_cflag & ~CBAUD) | B1200 | CSTOPB | CRTSCTS;
	before.c_iflag |= IXOFF;
	assert_int_equal(ioctl(s, TCSETS2, &before), 0);
	before = get2(s);
	line_init_raw(&l);
	assert_int_equal(line_apply(s, &l, &saved), 0);
	t = get2(s);
	assert_int_equal(t.c_cflag & (CBAUD | CSTOPB | CRTSCTS | HUPCL),
	    before.c_cflag & (CBAUD | CSTOPB | CRTSCTS | HUPCL));
	assert_int_equal(t.c_iflag & IXOFF, IXOFF);
	assert_int_equal(t.c_lflag & ICANON, 0);
	line_restore(s, saved);
	line_restore(s, NULL);
	close(s);
	close(m);
}

static void
test_not_a_tty(void **state)
{
	struct line_saved *saved = (struct line_saved *)1;
	struct line l;
	int fd = open("/dev/null", O_RDWR);

	(void)state;
	line_init(&l);
	assert_int_equal(line_apply(fd, &l, &saved), -1);
	assert_int_equal(errno, ENOTTY);
	assert_null(saved);
	close(fd);
}

static void
test_words(void **state)
{
	char *cause;
	struct line l;

	(void)state;
	assert_true(line_is_word("9600"));
	assert_true(line_is_word("8n1"));
	assert_true(line_is_word("flow=none"));
	assert_true(line_is_word("hupcl=no"));
	assert_true(line_is_word("-1"));
	assert_false(line_is_word("ID_SERIAL=x"));
	assert_false(line_is_word("MAJOR=4"));
	assert_false(line_is_word("flowers=4"));
	line_init(&l);
	assert_int_equal(line_parse_word(&l, "8N1", &cause), 0);
	assert_int_equal(l.parity, 'n');
	assert_int_equal(line_parse_word(&l, "8n1", &cause), -1);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(cause, "the framing is given twice");
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_flow_hupcl),
		cmocka_unit_test(test_speeds),
		cmocka_unit_test(test_raw_only),
		cmocka_unit_test(test_not_a_tty),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
