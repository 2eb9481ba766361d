/*
 * fuzz_lock_name.c — libFuzzer target: any string as a device path for
 * lock_name, with buffers of several sizes, each allocated to its exact
 * size so that AddressSanitizer sees a byte written past it. Not for the
 * lock files themselves.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/lock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether DEV is a path lock_name must accept: under /dev/, every
 * component a plain name (not empty, ".", ".."). Written independently
 * of lock.c on purpose. */
static int
valid(const char *dev)
{
	const char *p, *slash;
	size_t n;

	if (strncmp(dev, "/dev/", 5) != 0)
		return 0;
	for (p = dev + 5;; p = slash + 1) {
		slash = strchr(p, '/');
		n = slash == NULL ? strlen(p) : (size_t)(slash - p);
		if (n == 0 || strncmp(p, ".", n) == 0 || strncmp(p, "..", n) == 0)
			return 0;
		if (slash == NULL)
			return 1;
	}
}

/* Call lock_name on DATA as a C string with buffers of several sizes. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t sizes[] = { 0, 1, 5, 6, 16, 64, 300, 0, 0, 0 };
	char *dev, *buf;
	size_t len, need;
	int ok;

	if ((dev = malloc(size + 1)) == NULL)
		return 0;
	memcpy(dev, data, size);
	dev[size] = '\0';
	len = strlen(dev);
	ok = valid(dev);
	need = len + 1;		/* "/dev/" becomes "LCK..": same length */
	sizes[7] = need - 1;
	sizes[8] = need;
	sizes[9] = need + 1;

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t n = sizes[i];
		int r;

		if ((buf = malloc(n)) == NULL)
			continue;
		memset(buf, 0x5a, n);
		errno = 0;
		r = lock_name(dev, buf, n);
		if (!ok) {
			assert(r == -1 && errno == EINVAL);
		} else if (n < need) {
			assert(r == -1 && errno == ERANGE);
		} else {
			assert(r == 0);
			assert(strlen(buf) == len);
			assert(strncmp(buf, "LCK..", 5) == 0);
			assert(strchr(buf, '/') == NULL);
			for (size_t j = 5; j < len; j++)
				assert(buf[j] == (dev[j] == '/' ? '_' : dev[j]));
		}
		free(buf);
	}
	free(dev);
	return 0;
}
