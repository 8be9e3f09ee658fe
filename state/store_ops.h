/*
 * state: what a store implements (state.h's store_* dispatch to it).
 * Internal to state/: the module and the tool see only state.h.
 */
#ifndef SMSOTP_STORE_OPS_H
#define SMSOTP_STORE_OPS_H

#include <stddef.h>

#include "../util/util.h"
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
	const struct smsotp_log *log;	/* store_set_log(); may be NULL */
};

/* The PostgreSQL store (store_pg.c) of a configuration with store =
 * "postgresql": the conninfo checked, nothing connected yet. */
struct smsotp_config;
int store_open_pg(const struct smsotp_config *cfg, struct store **s, char *err,
		  size_t errlen);

/* Lowercase hex of n bytes into out (2n + 1 bytes), and back (exactly 2n
 * lowercase digits): 0, or -1. */
void state_hex_encode(const unsigned char *in, size_t n, char *out);
int state_hex_decode(const char *s, unsigned char *out, size_t n);

/* The version of the database schema store_pg.c reads and writes. */
#define STORE_PG_SCHEMA_VERSION 1

struct store_txn {
	const struct store_ops *ops;
	void *priv;
};

#endif
