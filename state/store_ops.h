/*
 * state: what a store implements (state.h's store_* dispatch to it).
 * Internal to state/: the module and the tool see only state.h.
 */
#ifndef SMSOTP_STORE_OPS_H
#define SMSOTP_STORE_OPS_H

#include <stddef.h>

#include "state.h"

struct store_ops {
	int (*begin)(struct store *s, const char *user,
		     const unsigned char *stand_in_key, struct store_txn **t,
		     struct state_user *u, long long *now, char *err,
		     size_t errlen);
	int (*write)(struct store_txn *t, const struct state_user *u, char *err,
		     size_t errlen);
	void (*end)(struct store_txn *t);
	int (*foreach)(struct store *s, int (*fn)(const struct state_user *u,
						  long long now, void *ud),
		       void *ud, char *err, size_t errlen);
	void (*close)(struct store *s);
};

/* An open store and an open record: the ops, and the store's own data. */
struct store {
	const struct store_ops *ops;
	void *priv;
};

struct store_txn {
	const struct store_ops *ops;
	void *priv;
};

#endif
