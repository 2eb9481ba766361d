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
#include <stdio.h>
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
	check_spec_error("exec:''", "empty command");
	check_spec_error("exec:\"\" arg", "empty command");
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
	assert_int_equal(sp->line.baud, SPEC_DEFAULT_BAUD);
	spec_free(sp);
	sp = parse_ok("/dev/ttyUSB0,9600");
	assert_int_equal(sp->kind, SPEC_TTY);
	assert_string_equal(sp->path, "/dev/ttyUSB0");
	assert_int_equal(sp->line.baud, 9600);
	spec_free(sp);

	check_spec_error("pty:", "absolute");
	check_spec_error("pty:pts/7", "absolute");
	check_spec_error("unix:vm.sock", "absolute");

	/* sun_path holds 108 bytes with the NUL: 107 is the longest path. */
	{
		char path[200], spec[220];

		memset(path, 'a', sizeof path);
		path[0] = '/';
		path[107] = '\0';
		snprintf(spec, sizeof spec, "unix:%s", path);
		sp = parse_ok(spec);
		spec_free(sp);
		path[107] = 'a';
		path[108] = '\0';
		snprintf(spec, sizeof spec, "unix:%s", path);
		check_spec_error(spec, "too long");
		/* A pty: path has no such limit. */
		snprintf(spec, sizeof spec, "pty:%s", path);
		spec_free(parse_ok(spec));
	}
}

/* SP's line settings must be BAUD, BITS PARITY STOP, FLOW, HUPCL. */
static void
check_line(const struct spec *sp, unsigned int baud, const char *frame,
    enum line_flow flow, int hupcl)
{
	assert_int_equal(sp->line.baud, baud);
	assert_int_equal(sp->line.bits, frame[0] - '0');
	assert_int_equal(sp->line.parity, frame[1]);
	assert_int_equal(sp->line.stop, frame[2] - '0');
	assert_int_equal(sp->line.flow, flow);
	assert_int_equal(sp->line.hupcl, hupcl);
}

static void
test_tty(void **state)
{
	struct spec *sp;

	(void)state;
	sp = parse_ok("tty:/dev/ttyUSB0");
	assert_int_equal(sp->kind, SPEC_TTY);
	assert_string_equal(sp->path, "/dev/ttyUSB0");
	check_line(sp, 115200, "8n1", LINE_FLOW_NONE, -1);
	spec_free(sp);

	sp = parse_ok("tty:/dev/ttyUSB0,9600");
	assert_string_equal(sp->path, "/dev/ttyUSB0");
	check_line(sp, 9600, "8n1", LINE_FLOW_NONE, -1);
	spec_free(sp);

	sp = parse_ok("tty:/dev/ttyACM0,4000000");
	assert_int_equal(sp->line.baud, 4000000);
	spec_free(sp);

	/* Rates without a B constant go through termios2 (BOTHER). */
	sp = parse_ok("tty:/dev/ttyUSB0,250000");
	check_line(sp, 250000, "8n1", LINE_FLOW_NONE, -1);
	spec_free(sp);
	sp = parse_ok("tty:/dev/ttyUSB0,12345");
	assert_int_equal(sp->line.baud, 12345);
	spec_free(sp);
	sp = parse_ok("tty:/dev/ttyUSB0,50000000");
	assert_int_equal(sp->line.baud, 50000000);
	spec_free(sp);

	sp = parse_ok("tty:/dev/ttyUSB0,9600,7e1");
	assert_string_equal(sp->path, "/dev/ttyUSB0");
	check_line(sp, 9600, "7e1", LINE_FLOW_NONE, -1);
	spec_free(sp);
	/* Framing alone keeps the default speed; any order. */
	sp = parse_ok("tty:/dev/ttyS1,8n2");
	check_line(sp, 115200, "8n2", LINE_FLOW_NONE, -1);
	spec_free(sp);
	sp = parse_ok("tty:/dev/ttyS1,flow=rtscts,5o2,hupcl=no,300");
	check_line(sp, 300, "5o2", LINE_FLOW_RTSCTS, 0);
	spec_free(sp);
	sp = parse_ok("tty:/dev/ttyS1,flow=xonxoff,hupcl=yes,6M1");
	check_line(sp, 115200, "6m1", LINE_FLOW_XONXOFF, 1);
	spec_free(sp);
	sp = parse_ok("tty:/dev/ttyS1,7s1,flow=none");
	check_line(sp, 115200, "7s1", LINE_FLOW_NONE, -1);
	spec_free(sp);
	sp = parse_ok("tty:/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0,57600");
	assert_string_equal(sp->path, "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0");
	spec_free(sp);

	check_spec_error("tty:/dev/ttyUSB0,fast", "bad line setting 'fast'");
	check_spec_error("tty:/dev/ttyUSB0,", "empty line setting");
	check_spec_error("tty:/dev/ttyUSB0,9600,", "empty line setting");
	check_spec_error("tty:/dev/ttyUSB0,9600,,8n1", "empty line setting");
	check_spec_error("tty:/dev/ttyUSB0,9600x", "bad baud rate '9600x'");
	check_spec_error("tty:/dev/ttyUSB0,-9600", "bad baud rate '-9600'");
	check_spec_error("tty:/dev/ttyUSB0,0", "bad baud rate '0'");
	check_spec_error("tty:/dev/ttyUSB0,50000001", "bad baud rate");
	check_spec_error("tty:/dev/ttyUSB0,99999999999999999999", "bad baud rate");
	check_spec_error("tty:/dev/ttyUSB0,9600,115200", "a baud rate is given twice");
	check_spec_error("tty:/dev/ttyUSB0,8n1,7e1", "the framing is given twice");
	check_spec_error("tty:/dev/ttyUSB0,flow=none,flow=rtscts", "flow control is given twice");
	check_spec_error("tty:/dev/ttyUSB0,hupcl=no,hupcl=no", "hupcl is given twice");
	check_spec_error("tty:/dev/ttyUSB0,9n1", "bad data bits in '9n1'");
	check_spec_error("tty:/dev/ttyUSB0,4n1", "bad data bits");
	check_spec_error("tty:/dev/ttyUSB0,8x1", "bad parity in '8x1'");
	check_spec_error("tty:/dev/ttyUSB0,8n3", "bad stop bits in '8n3'");
	check_spec_error("tty:/dev/ttyUSB0,8n0", "bad stop bits");
	check_spec_error("tty:/dev/ttyUSB0,flow=hardware", "bad flow control 'flow=hardware'");
	check_spec_error("tty:/dev/ttyUSB0,flow=", "bad flow control");
	check_spec_error("tty:/dev/ttyUSB0,hupcl=1", "bad hang-up setting 'hupcl=1'");
	check_spec_error("tty:/dev/ttyUSB0,parity=even", "bad line setting 'parity=even'");
	check_spec_error("tty:ttyUSB0", "absolute");
	check_spec_error("tty:ttyUSB0,9600", "absolute");
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
	check_line(sp, SPEC_DEFAULT_BAUD, "8n1", LINE_FLOW_NONE, -1);
	assert_null(sp->path);
	spec_free(sp);

	sp = parse_ok("udev:ID_VENDOR_ID=0403,ID_MODEL_ID=6001,ID_SERIAL_SHORT=A9XK3,9600");
	assert_string_equal(sp->match[0], "ID_VENDOR_ID=0403");
	assert_string_equal(sp->match[1], "ID_MODEL_ID=6001");
	assert_string_equal(sp->match[2], "ID_SERIAL_SHORT=A9XK3");
	assert_null(sp->match[3]);
	assert_int_equal(sp->line.baud, 9600);
	spec_free(sp);

	sp = parse_ok("udev:ID_VENDOR_ID=0403,ID_MODEL_ID=6001");
	assert_string_equal(sp->match[1], "ID_MODEL_ID=6001");
	assert_null(sp->match[2]);
	assert_int_equal(sp->line.baud, 115200);
	spec_free(sp);

	sp = parse_ok("udev:MAJOR=4,MINOR=63,250000,7o2,flow=rtscts,hupcl=no");
	assert_string_equal(sp->match[0], "MAJOR=4");
	assert_string_equal(sp->match[1], "MINOR=63");
	assert_null(sp->match[2]);
	check_line(sp, 250000, "7o2", LINE_FLOW_RTSCTS, 0);
	spec_free(sp);

	/* Settings may come between matches; a value may hold '=' and ':'. */
	sp = parse_ok("udev:ID_PATH=pci-0000:00:14.0-usb-0:1:1.0,8n1,ID_USB_INTERFACE_NUM=01");
	assert_string_equal(sp->match[0], "ID_PATH=pci-0000:00:14.0-usb-0:1:1.0");
	assert_string_equal(sp->match[1], "ID_USB_INTERFACE_NUM=01");
	assert_null(sp->match[2]);
	spec_free(sp);

	check_spec_error("udev:", "KEY=VALUE");
	check_spec_error("udev:A9XK3", "KEY=VALUE");
	check_spec_error("udev:=A9XK3", "KEY=VALUE");
	check_spec_error("udev:115200", "KEY=VALUE");
	check_spec_error("udev:ID_SERIAL_SHORT=A9XK3,", "empty setting");
	check_spec_error("udev:ID_SERIAL_SHORT=A9XK3,,9600", "empty setting");
	check_spec_error("udev:ID_SERIAL_SHORT=A9XK3,96k", "bad baud rate '96k'");
	check_spec_error("udev:ID_SERIAL_SHORT=A9XK3,8z1", "bad parity");
	check_spec_error("udev:ID_SERIAL_SHORT=A9XK3,flow=cts", "bad flow control");
	check_spec_error("udev:ID_SERIAL_SHORT=A9XK3,hupcl=off", "bad hang-up setting");
	check_spec_error("udev:ID_SERIAL_SHORT=A9XK3,9600,9600", "given twice");
}

static void
test_libvirt(void **state)
{
	struct spec *sp;

	(void)state;
	sp = parse_ok("libvirt:qemu:///system#web1/serial0");
	assert_int_equal(sp->kind, SPEC_LIBVIRT);
	assert_string_equal(sp->uri, "qemu:///system");
	assert_string_equal(sp->domain, "web1");
	assert_string_equal(sp->alias, "serial0");
	assert_null(sp->path);
	spec_free(sp);

	/* A URI with a query and a path; the last '#' ends it. */
	sp = parse_ok("libvirt:qemu+ssh://root@hv12:2222/system?socket=/run/x/sock&no_tty=1#db-2.a/console1");
	assert_string_equal(sp->uri, "qemu+ssh://root@hv12:2222/system?socket=/run/x/sock&no_tty=1");
	assert_string_equal(sp->domain, "db-2.a");
	assert_string_equal(sp->alias, "console1");
	spec_free(sp);

	check_spec_error("libvirt:", "URI#DOMAIN/ALIAS");
	check_spec_error("libvirt:qemu:///system", "URI#DOMAIN/ALIAS");
	check_spec_error("libvirt:qemu:///system#web1", "URI#DOMAIN/ALIAS");
	check_spec_error("libvirt:qemu:///system#web1/", "URI#DOMAIN/ALIAS");
	check_spec_error("libvirt:qemu:///system#/serial0", "URI#DOMAIN/ALIAS");
	check_spec_error("libvirt:#web1/serial0", "URI#DOMAIN/ALIAS");
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
	assert_string_equal(spec_kind_name(SPEC_LIBVIRT), "libvirt");
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
		cmocka_unit_test(test_libvirt),
		cmocka_unit_test(test_schemes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
