/*
 * hash.h — a hash table from string keys or 64-bit ids to pointers, for
 * lookups that must not walk lists (10,000 domains). The table does not
 * copy keys: a string key must stay valid while it is in the table (the
 * value usually owns it). Not ordered: keep a list beside it for order.
 */
#ifndef CONSOLEFS_HASH_H
#define CONSOLEFS_HASH_H

#include <stddef.h>
#include <stdint.h>

struct hash;

/* An empty table; NULL with errno on failure. */
struct hash *hash_new(void);
/* Free the table, not the values (NULL is ok). */
void hash_free(struct hash *h);
/* How many entries. */
size_t hash_count(const struct hash *h);

/* Map KEY to VAL (replacing an existing mapping): 0, or -1 ENOMEM. */
int hash_put(struct hash *h, const char *key, void *val);
/* The value of KEY, or NULL. */
void *hash_get(const struct hash *h, const char *key);
/* Remove KEY; its value, or NULL when it was not there. */
void *hash_del(struct hash *h, const char *key);

/* The same for ids. */
int hash_put_id(struct hash *h, uint64_t id, void *val);
void *hash_get_id(const struct hash *h, uint64_t id);
void *hash_del_id(struct hash *h, uint64_t id);
/* Call FN with every id and value (the table must not change meanwhile). */
void hash_each_id(const struct hash *h, void (*fn)(uint64_t id, void *val, void *arg),
    void *arg);

#endif
