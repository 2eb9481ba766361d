/*
 * hash.c — chained hash tables keyed by strings (FNV-1a) or ids, doubling
 * when the load passes 1 and never shrinking. A table holds either kind of
 * key; mixing them in one table is a bug of the caller.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

struct hash_entry {
	uint64_t		 hv;
	const char		*key;	/* NULL for an id */
	uint64_t		 id;
	void			*val;
	struct hash_entry	*next;
};

struct hash {
	struct hash_entry	**b;
	size_t			 nb;	/* a power of two */
	size_t			 n;
};

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
hash_mix(uint64_t x)
{
	/* splitmix64's finaliser: ids are sequential, spread them. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* An empty table; NULL with errno on failure. */
struct hash *
hash_new(void)
{
	struct hash *h = calloc(1, sizeof *h);

	if (h == NULL)
		return NULL;
	h->nb = 16;
	if ((h->b = calloc(h->nb, sizeof *h->b)) == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

/* Free the table, not the values (NULL is ok). */
void
hash_free(struct hash *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->nb; i++) {
		struct hash_entry *e, *next;

		for (e = h->b[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(h->b);
	free(h);
}

/* How many entries. */
size_t
hash_count(const struct hash *h)
{
	return h->n;
}

static void
hash_grow(struct hash *h)
{
	size_t nb = h->nb * 2;
	struct hash_entry **b = calloc(nb, sizeof *b);

	if (b == NULL)
		return;		/* longer chains, still correct */
	for (size_t i = 0; i < h->nb; i++) {
		struct hash_entry *e, *next;

		for (e = h->b[i]; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hv & (nb - 1)];
			b[e->hv & (nb - 1)] = e;
		}
	}
	free(h->b);
	h->b = b;
	h->nb = nb;
}

static struct hash_entry **
hash_find(const struct hash *h, uint64_t hv, const char *key, uint64_t id)
{
	struct hash_entry **ep;

	for (ep = &h->b[hv & (h->nb - 1)]; *ep != NULL; ep = &(*ep)->next) {
		struct hash_entry *e = *ep;

		if (e->hv != hv)
			continue;
		if (key != NULL ? (e->key != NULL && strcmp(e->key, key) == 0) :
		    (e->key == NULL && e->id == id))
			return ep;
	}
	return ep;
}

static int
hash_insert(struct hash *h, uint64_t hv, const char *key, uint64_t id, void *val)
{
	struct hash_entry **ep = hash_find(h, hv, key, id), *e;

	if (*ep != NULL) {
		(*ep)->val = val;
		(*ep)->key = key;	/* the new value's copy of the key */
		return 0;
	}
	if ((e = malloc(sizeof *e)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	e->hv = hv;
	e->key = key;
	e->id = id;
	e->val = val;
	e->next = NULL;
	*ep = e;
	if (++h->n > h->nb)
		hash_grow(h);
	return 0;
}

static void *
hash_remove(struct hash *h, uint64_t hv, const char *key, uint64_t id)
{
	struct hash_entry **ep = hash_find(h, hv, key, id), *e = *ep;
	void *val;

	if (e == NULL)
		return NULL;
	*ep = e->next;
	val = e->val;
	free(e);
	h->n--;
	return val;
}

/* Map KEY to VAL: 0, or -1 ENOMEM. */
int
hash_put(struct hash *h, const char *key, void *val)
{
	return hash_insert(h, hash_str(key), key, 0, val);
}

/* The value of KEY, or NULL. */
void *
hash_get(const struct hash *h, const char *key)
{
	struct hash_entry *e = *hash_find(h, hash_str(key), key, 0);

	return e != NULL ? e->val : NULL;
}

/* Remove KEY; its value, or NULL. */
void *
hash_del(struct hash *h, const char *key)
{
	return hash_remove(h, hash_str(key), key, 0);
}

/* Map ID to VAL: 0, or -1 ENOMEM. */
int
hash_put_id(struct hash *h, uint64_t id, void *val)
{
	return hash_insert(h, hash_mix(id), NULL, id, val);
}

/* The value of ID, or NULL. */
void *
hash_get_id(const struct hash *h, uint64_t id)
{
	struct hash_entry *e = *hash_find(h, hash_mix(id), NULL, id);

	return e != NULL ? e->val : NULL;
}

/* Remove ID; its value, or NULL. */
void *
hash_del_id(struct hash *h, uint64_t id)
{
	return hash_remove(h, hash_mix(id), NULL, id);
}

/* Call FN with every id and value. */
void
hash_each_id(const struct hash *h, void (*fn)(uint64_t id, void *val, void *arg), void *arg)
{
	for (size_t i = 0; i < h->nb; i++)
		for (struct hash_entry *e = h->b[i]; e != NULL; e = e->next)
			if (e->key == NULL)
				fn(e->id, e->val, arg);
}
