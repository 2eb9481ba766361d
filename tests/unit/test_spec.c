/*
 * test_spec.c — unit tests of core/spec.c (backend strings) and
 * core/words.c (shell-like word splitting for exec:).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/spec.h"
#include "core/words.h"

/* Split S and compare with the NULL-terminated WANT. */
static void
check_words(const char *s, const char *const *want)
{
	const char *cause = NULL;
	char **argv = words_split(s, &cause);
	size_t i;

	if (argv == NULL) {
		print_error("words_split(%s): %s\n", s, cause);
		fail();
	}
	for (i = 0; want[i] != NULL; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
	words_free(argv);
}

static void
check_words_error(const char *s, const char *want)
{
	const char *cause = NULL;
	char **argv;

	errno = 0;
	argv = words_split(s, &cause);
	assert_null(argv);
	assert_int_equal(errno, EINVAL);
	assert_non_null(cause);
	assert_string_equal(cause, want);
}

/* Parse S, which must be fine. */
static struct spec *
parse_ok(const char *s)
{
	char *cause = (char *)"unset";
	struct spec *sp = spec_parse(s, &cause);

	if (sp == NULL) {
		print_error("spec_parse(%s): %s\n", s, cause);
		fail();
	}
	assert_null(cause);
	assert_string_equal(sp->text, s);
	return sp;
}

/* S must be refused with a cause containing WORD. */
static void
check_spec_error(const char *s, const char *word)
{
	char *cause = NULL;
	struct spec *sp;

	errno = 0;
	sp = spec_parse(s, &cause);
	if (sp != NULL || cause == NULL || strstr(cause, word) == NULL) {
		print_error("spec_parse(%s): expected an error with '%s', got %s\n", s, word,
		    cause != NULL ? cause : "(success)");
		fail();
	}
	assert_int_equal(errno, EINVAL);
	free(cause);
}

static void
test_words(void **state)
{
	(void)state;
	check_words("/bin/echo a  b\tc", (const char *const[]){ "/bin/echo", "a", "b", "c", NULL });
	check_words("  lead trail  ", (const char *const[]){ "lead", "trail", NULL });
	check_words("echo 'a b'", (const char *const[]){ "echo", "a b", NULL });
	check_words("echo \"a\\\"b\"", (const char *const[]){ "echo", "a\"b", NULL });
	check_words("echo a\\ b", (const char *const[]){ "echo", "a b", NULL });
	check_words("echo \\'x\\'", (const char *const[]){ "echo", "'x'", NULL });
	/* Inside double quotes only \\ \" \$ \` are escapes. */
	check_words("echo \"\\\\ \\$ \\` \\n\"", (const char *const[]){ "echo", "\\ $ ` \\n", NULL });
	/* Inside single quotes nothing is. */
	check_words("echo 'a\\b\"c'", (const char *const[]){ "echo", "a\\b\"c", NULL });
	check_words("echo a'b'\"c\"d", (const char *const[]){ "echo", "abcd", NULL });
	check_words("echo '' \"\"", (const char *const[]){ "echo", "", "", NULL });
	/* No shell: nothing is expanded or interpreted. */
	check_words("echo $HOME *.c ; a|b", (const char *const[]){ "echo", "$HOME", "*.c", ";", "a|b", NULL });
}

static void
test_words_errors(void **state)
{
	(void)state;
	check_words_error("echo 'a b", "unterminated single quote");
	check_words_error("echo \"a b", "unterminated double quote");
	/* A backslash just before the end, inside double quotes: once read
	 * past the end of the string. */
	check_words_error("echo \"abc\\", "unterminated double quote");
	check_words_error("echo abc\\", "backslash at end of command");
	check_words_error("", "empty command");
	check_words_error("  \t ", "empty command");
	words_free(NULL);
}

static void
test_exec(void **state)
{
	struct spec *sp;

	(void)state;
	sp = parse_ok("exec:/usr/bin/qemu-system-x86_64 -nographic -append 'console=ttyS0 quiet'");
	assert_int_equal(sp->kind, SPEC_EXEC);
	assert_string_equal(sp->argv[0], "/usr/bin/qemu-system-x86_64");
	assert_string_equal(sp->argv[1], "-nographic");
	assert_string_equal(sp->argv[2], "-append");
	assert_string_equal(sp->argv[3], "console=ttyS0 quiet");
	assert_null(sp->argv[4]);
	assert_null(sp->path);
	spec_free(sp);

	check_spec_error("exec:", "empty command");
	check_spec_error("exec:/bin/sh -c 'x", "unterminated single quote");
	check_spec_error("exec:/bin/echo \"x", "unterminated double quote");
}

static void
test_paths(void **state)
{
	struct spec *sp;

	(void)state;
	sp = parse_ok("pty:/dev/pts/7");
	assert_int_equal(sp->kind, SPEC_PTY);
	assert_string_equal(sp->path, "/dev/pts/7");
	spec_free(sp);

	sp = parse_ok("unix:/run/vm.sock");
	assert_int_equal(sp->kind, SPEC_UNIX);
	assert_string_equal(sp->path, "/run/vm.sock");
	spec_free(sp);

	/* The ln -s form: a bare /dev path. */
	sp = parse_ok("/dev/pts/3");
	assert_int_equal(sp->kind, SPEC_PTY);
	assert_string_equal(sp->path, "/dev/pts/3");
	spec_free(sp);
	sp = parse_ok("/dev/ttyUSB0");
	assert_int_equal(sp->kind, SPEC_TTY);
	assert_string_equal(sp->path, "/dev/ttyUSB0");
	assert_int_equal(sp->baud, SPEC_DEFAULT_BAUD);
	spec_free(sp);
	sp = parse_ok("/dev/ttyUSB0,9600");
	assert_int_equal(sp->kind, SPEC_TTY);
	assert_string_equal(sp->path, "/dev/ttyUSB0");
	assert_int_equal(sp->baud, 9600);
	spec_free(sp);

	check_spec_error("pty:", "absolute");
	check_spec_error("pty:pts/7", "absolute");
	check_spec_error("unix:vm.sock", "absolute");
}

static void
test_tty(void **state)
{
	struct spec *sp;

	(void)state;
	sp = parse_ok("tty:/dev/ttyUSB0");
	assert_int_equal(sp->kind, SPEC_TTY);
	assert_string_equal(sp->path, "/dev/ttyUSB0");
	assert_int_equal(sp->baud, 115200);
	spec_free(sp);

	sp = parse_ok("tty:/dev/ttyUSB0,9600");
	assert_string_equal(sp->path, "/dev/ttyUSB0");
	assert_int_equal(sp->baud, 9600);
	spec_free(sp);

	sp = parse_ok("tty:/dev/ttyACM0,4000000");
	assert_int_equal(sp->baud, 4000000);
	spec_free(sp);

	check_spec_error("tty:/dev/ttyUSB0,12345", "bad baud rate '12345'");
	check_spec_error("tty:/dev/ttyUSB0,fast", "bad baud rate");
	check_spec_error("tty:/dev/ttyUSB0,", "bad baud rate");
	check_spec_error("tty:/dev/ttyUSB0,9600x", "bad baud rate");
	check_spec_error("tty:/dev/ttyUSB0,-9600", "bad baud rate");
	check_spec_error("tty:ttyUSB0", "absolute");
}

static void
test_udev(void **state)
{
	struct spec *sp;

	(void)state;
	sp = parse_ok("udev:ID_SERIAL_SHORT=A9XK3");
	assert_int_equal(sp->kind, SPEC_UDEV);
	assert_string_equal(sp->match[0], "ID_SERIAL_SHORT=A9XK3");
	assert_null(sp->match[1]);
	assert_int_equal(sp->baud, SPEC_DEFAULT_BAUD);
	assert_null(sp->path);
	spec_free(sp);

	sp = parse_ok("udev:ID_VENDOR_ID=0403,ID_MODEL_ID=6001,ID_SERIAL_SHORT=A9XK3,9600");
	assert_string_equal(sp->match[0], "ID_VENDOR_ID=0403");
	assert_string_equal(sp->match[1], "ID_MODEL_ID=6001");
	assert_string_equal(sp->match[2], "ID_SERIAL_SHORT=A9XK3");
	assert_null(sp->match[3]);
	assert_int_equal(sp->baud, 9600);
	spec_free(sp);

	sp = parse_ok("udev:ID_VENDOR_ID=0403,ID_MODEL_ID=6001");
	assert_string_equal(sp->match[1], "ID_MODEL_ID=6001");
	assert_null(sp->match[2]);
	assert_int_equal(sp->baud, 115200);
	spec_free(sp);

	check_spec_error("udev:", "KEY=VALUE");
	check_spec_error("udev:A9XK3", "KEY=VALUE");
	check_spec_error("udev:=A9XK3", "KEY=VALUE");
	check_spec_error("udev:115200", "KEY=VALUE");
	check_spec_error("udev:ID_SERIAL_SHORT=A9XK3,12345", "bad baud rate");
}

static void
test_schemes(void **state)
{
	(void)state;
	check_spec_error("ssh:host", "unknown backend scheme 'ssh:'");
	check_spec_error("file:/tmp/x", "'file:'");
	check_spec_error("EXEC:/bin/cat", "'EXEC:'");
	check_spec_error("/bin/cat", "no backend scheme");
	check_spec_error("", "no backend scheme");
	assert_string_equal(spec_kind_name(SPEC_EXEC), "exec");
	assert_string_equal(spec_kind_name(SPEC_PTY), "pty");
	assert_string_equal(spec_kind_name(SPEC_TTY), "tty");
	assert_string_equal(spec_kind_name(SPEC_UDEV), "udev");
	assert_string_equal(spec_kind_name(SPEC_UNIX), "unix");
	spec_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_words_errors),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_tty),
		cmocka_unit_test(test_udev),
		cmocka_unit_test(test_schemes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
