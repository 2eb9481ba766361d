/*
 * test_logfile.c — unit tests of core/logfile.c without a console or a
 * mount: what reaches the file (timestamps at the start of every line,
 * marker lines on lines of their own), rotation keeping log_keep files,
 * reopening after a rename, and a full queue giving one drop marker where
 * the loss began. Not for the full-disk case (tests/behave/log-full.sh).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/logfile.h"
#include "core/loop.h"
#include "core/opts.h"

struct fixture {
	char		 dir[64];
	struct loop	*loop;
	struct opts	 o;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/test_logfile.XXXXXX");
	if (mkdtemp(f->dir) == NULL || (f->loop = loop_create()) == NULL)
		return -1;
	opts_init(&f->o);
	f->o.log_dir = f->dir;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	loop_free(f->loop);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* The contents of DIR/d/NAME (malloc'd, NUL-terminated), or NULL. */
static char *
slurp(const struct fixture *f, const char *name, size_t *len)
{
	char path[PATH_MAX];
	char *buf = NULL;
	size_t cap = 0, n = 0;
	FILE *fp;

	snprintf(path, sizeof path, "%s/d/%s", f->dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, 4096, fp);

		if (got == 0)
			break;
		n += got;
	}
	fclose(fp);
	if (buf == NULL)
		buf = calloc(1, 1);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

static void
test_timestamps_and_marks(void **state)
{
	struct fixture *f = *state;
	struct logfile *lf;
	regex_t re;
	char *text, *line, *save;
	int lines = 0;

	f->o.log_timestamps = 1;
	lf = logfile_attach(f->loop, NULL, "d", "c0", &f->o);
	assert_non_null(lf);
	logfile_output(lf, "boot\r\nlogin: ", 13);
	logfile_mark(lf, "attached pid=1 uid=0 comm=x");
	logfile_output(lf, "root\n", 5);
	logfile_output(lf, "", 0);
	logfile_output(lf, "a\nb", 3);
	logfile_output(lf, "c\n", 2);
	logfile_free(lf);
	text = slurp(f, "c0.log", NULL);
	assert_non_null(text);
	assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
	    "\\.[0-9]{3}[+-][0-9]{2}:[0-9]{2} (.*)$", REG_EXTENDED), 0);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), lines++)
		assert_int_equal(regexec(&re, line, 0, NULL, 0), 0);
	regfree(&re);
	free(text);
	/* boot, login: (ended by the marker), the marker, root, a, bc */
	assert_int_equal(lines, 6);
	text = slurp(f, "c0.log", NULL);
	assert_non_null(strstr(text, " login: \n"));
	assert_non_null(strstr(text, " [consolefs: attached pid=1 uid=0 comm=x]\n"));
	assert_non_null(strstr(text, " bc\n"));
	free(text);
}

static void
test_rotation(void **state)
{
	struct fixture *f = *state;
	struct logfile *lf;
	char line[64], *text;
	size_t len;

	f->o.log_max = 1000;
	f->o.log_keep = 2;
	lf = logfile_attach(f->loop, NULL, "d", "r", &f->o);
	assert_non_null(lf);
	for (int i = 0; i < 300; i++)
		logfile_output(lf, line, snprintf(line, sizeof line, "line %d\n", i));
	logfile_free(lf);
	/* Each file at most 1000 bytes; .3 never made; the newest last. */
	text = slurp(f, "r.log", &len);
	assert_non_null(text);
	assert_true(len <= 1000);
	assert_non_null(strstr(text, "line 299\n"));
	free(text);
	text = slurp(f, "r.log.1", &len);
	assert_non_null(text);
	assert_int_equal(len, 1000);
	free(text);
	text = slurp(f, "r.log.2", &len);
	assert_non_null(text);
	assert_int_equal(len, 1000);
	free(text);
	assert_null(slurp(f, "r.log.3", NULL));
}

static void
test_reopen(void **state)
{
	struct fixture *f = *state;
	struct logfile *lf = logfile_attach(f->loop, NULL, "d", "m", &f->o);
	char from[PATH_MAX], to[PATH_MAX], *text;

	assert_non_null(lf);
	logfile_output(lf, "before\n", 7);
	logfile_reopen_all();		/* writes what is queued first */
	snprintf(from, sizeof from, "%s/d/m.log", f->dir);
	snprintf(to, sizeof to, "%s/d/m.log.moved", f->dir);
	assert_int_equal(rename(from, to), 0);
	logfile_reopen_all();
	logfile_output(lf, "after\n", 6);
	logfile_free(lf);
	text = slurp(f, "m.log.moved", NULL);
	assert_string_equal(text, "before\n");
	free(text);
	text = slurp(f, "m.log", NULL);
	assert_string_equal(text, "after\n");
	free(text);
}

/* More than the queue holds before the loop gets to write: the overflow is
 * dropped and one marker sits where the loss began. */
static void
test_queue_overflow(void **state)
{
	struct fixture *f = *state;
	struct logfile *lf = logfile_attach(f->loop, NULL, "d", "q", &f->o);
	char *chunk = malloc(100 * 1024), *text, *mark;
	size_t len;

	assert_non_null(lf);
	assert_non_null(chunk);
	memset(chunk, 'x', 100 * 1024);
	chunk[100 * 1024 - 1] = '\n';
	for (int i = 0; i < 15; i++)		/* 1.5 MiB, the queue holds 1 */
		logfile_output(lf, chunk, 100 * 1024);
	logfile_output(lf, "tail\n", 5);
	logfile_free(lf);
	text = slurp(f, "q.log", &len);
	assert_non_null(text);
	mark = strstr(text, "[consolefs: ");
	assert_non_null(mark);
	assert_int_equal(mark - text, 10 * 100 * 1024);
	assert_string_equal(mark, "[consolefs: 512000 bytes dropped]\ntail\n");
	free(text);
	free(chunk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timestamps_and_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_overflow, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
