/*
 * opts.c — a device's settings besides its backend string: defaults, deep
 * copies, the environment list of exec: programs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/opts.h"

/* The defaults of every setting. */
void
opts_init(struct opts *o)
{
	memset(o, 0, sizeof *o);
	o->capture = 1;
	o->restart = OPTS_RESTART_NO;
	o->scrollback = OPTS_DEFAULT_SCROLLBACK;
	o->log_keep = OPTS_DEFAULT_LOG_KEEP;
}

static size_t
opts_envc(char *const *env)
{
	size_t n = 0;

	while (env != NULL && env[n] != NULL)
		n++;
	return n;
}

/* Copy SRC into DST (deep); 0, or -1 ENOMEM. */
int
opts_copy(struct opts *dst, const struct opts *src)
{
	size_t n = opts_envc(src->env);

	*dst = *src;
	dst->log_dir = NULL;
	dst->env = NULL;
	if (src->log_dir != NULL && (dst->log_dir = strdup(src->log_dir)) == NULL)
		goto fail;
	if (src->env != NULL) {
		if ((dst->env = calloc(n + 1, sizeof *dst->env)) == NULL)
			goto fail;
		for (size_t i = 0; i < n; i++)
			if ((dst->env[i] = strdup(src->env[i])) == NULL)
				goto fail;
	}
	return 0;
fail:
	opts_clear(dst);
	errno = ENOMEM;
	return -1;
}

/* Free what O owns and reset it to the defaults. */
void
opts_clear(struct opts *o)
{
	free(o->log_dir);
	for (size_t i = 0; o->env != NULL && o->env[i] != NULL; i++)
		free(o->env[i]);
	free(o->env);
	opts_init(o);
}

/* Add or replace "KEY=VALUE" in O's environment; 0, or -1. */
int
opts_setenv(struct opts *o, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen, n = opts_envc(o->env);
	char *copy, **env;

	if (eq == NULL || eq == kv) {
		errno = EINVAL;
		return -1;
	}
	klen = eq - kv + 1;
	if ((copy = strdup(kv)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(o->env[i], kv, klen) == 0) {
			free(o->env[i]);
			o->env[i] = copy;
			return 0;
		}
	}
	if ((env = realloc(o->env, (n + 2) * sizeof *env)) == NULL) {
		free(copy);
		return -1;
	}
	env[n] = copy;
	env[n + 1] = NULL;
	o->env = env;
	return 0;
}

static int
opts_streq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Whether A and B are the same settings. */
int
opts_equal(const struct opts *a, const struct opts *b)
{
	size_t n = opts_envc(a->env);

	if (a->capture != b->capture || a->restart != b->restart ||
	    a->unplug_end != b->unplug_end || a->replay != b->replay ||
	    a->replay_lines != b->replay_lines || a->scrollback != b->scrollback ||
	    !opts_streq(a->log_dir, b->log_dir) || a->log_timestamps != b->log_timestamps ||
	    a->log_max != b->log_max || a->log_keep != b->log_keep ||
	    a->spy_mode_set != b->spy_mode_set || a->spy_mode != b->spy_mode ||
	    n != opts_envc(b->env))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(a->env[i], b->env[i]) != 0)
			return 0;
	return 1;
}
