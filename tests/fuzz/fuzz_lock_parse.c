/*
 * fuzz_lock_parse.c — libFuzzer target: any bytes as the content of a lock
 * file, as lock_parse would meet them in a directory others write to. Not
 * for the file handling around it (tests/unit/test_lock.c).
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/lock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse DATA; what is accepted must be a plausible pid that survives a
 * round trip through the HDB form. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char line[16];
	pid_t pid = -1, again = -1;
	int n;

	if (lock_parse(s, size, &pid) == -1) {
		assert(errno == EINVAL);
		assert(pid == -1);
		return 0;
	}
	assert(pid > 0);

	/* Only the 4-byte binary form may hold anything but ASCII. */
	if (size != 4) {
		for (size_t i = 0; i < size; i++)
			assert(strchr(" \t\r\n0123456789", s[i]) != NULL && s[i] != '\0');
	}

	n = snprintf(line, sizeof line, "%10d\n", (int)pid);
	assert(n == 11);
	assert(lock_parse(line, n, &again) == 0 && again == pid);
	return 0;
}
