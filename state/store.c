/*
 * state: the store interface (state.h), dispatched to the store that is
 * open.  What is the same for every store (a reset) is written here once.
 */
#include <stdio.h>
#include <string.h>

#include "../config/config.h"
#include "../util/util.h"
#include "store_ops.h"

int
store_open(const struct smsotp_config *cfg, struct store **s, char *err,
	   size_t errlen)
{
	if (cfg->store == CONFIG_STORE_POSTGRESQL)
		return store_open_pg(cfg, s, err, errlen);
	return store_open_file(cfg->state_dir, NULL, s, err, errlen);
}

void
store_set_log(struct store *s, const struct smsotp_log *log)
{
	if (s != NULL)
		s->log = log;
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

int
store_begin(struct store *s, const char *user, const unsigned char *stand_in_key,
	    struct store_txn **t, struct state_user *u, long long *now, char *err,
	    size_t errlen)
{
	*t = NULL;
	if (s == NULL) {
		memset(u, 0, sizeof(*u));
		snprintf(err, errlen, "state: no store is open");
		return STATE_EINVAL;
	}
	return s->ops->begin(s, user, stand_in_key, t, u, now, err, errlen);
}

int
store_write(struct store_txn *t, const struct state_user *u, char *err,
	    size_t errlen)
{
	if (t == NULL) {
		snprintf(err, errlen, "state: no record is held");
		return STATE_EINVAL;
	}
	return t->ops->write(t, u, err, errlen);
}

void
store_end(struct store_txn *t)
{
	if (t != NULL)
		t->ops->end(t);
}

int
store_foreach(struct store *s, int (*fn)(const struct state_user *u,
					 long long now, void *ud),
	      void *ud, char *err, size_t errlen)
{
	if (s == NULL) {
		snprintf(err, errlen, "state: no store is open");
		return STATE_EINVAL;
	}
	return s->ops->foreach(s, fn, ud, err, errlen);
}

/* A record with nothing counted, locked or kept: only the name stays. */
static void
record_clear(struct state_user *u)
{
	char user[sizeof(u->user)];

	memcpy(user, u->user, sizeof(user));
	util_wipe(u, sizeof(*u));
	memcpy(u->user, user, sizeof(user));
}

int
store_reset(struct store *s, const char *user, char *err, size_t errlen)
{
	struct store_txn *t = NULL;
	struct state_user u;
	long long now = 0;
	int rc;

	rc = store_begin(s, user, NULL, &t, &u, &now, err, errlen);
	if (rc != STATE_OK)
		return rc;
	record_clear(&u);
	rc = store_write(t, &u, err, errlen);
	store_end(t);
	util_wipe(&u, sizeof(u));
	return rc;
}
