/*
 * state: the file store, on state_dir (state.c's locked files): a record
 * is held under the user's flock, a write is state_save (temporary file,
 * fsync, rename), and releasing without a write leaves the file as it
 * was.  Its clock is this host's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/util.h"
#include "store_ops.h"

struct file_store {
	char *dir;
	long long (*clock)(void);
};

static long long
host_clock(void)
{
	return (long long)time(NULL);
}

static int
file_begin(struct store *s, const char *user, const unsigned char *stand_in_key,
	   struct store_txn **t, struct state_user *u, long long *now, char *err,
	   size_t errlen)
{
	const struct file_store *fs = s->priv;
	struct state_handle *h = NULL;
	int rc;

	*t = calloc(1, sizeof(**t));
	if (*t == NULL) {
		memset(u, 0, sizeof(*u));
		snprintf(err, errlen, "out of memory");
		return STATE_ENOMEM;
	}
	if (stand_in_key != NULL)
		rc = state_lock_stand_in(fs->dir, user, stand_in_key, &h, u, err,
					 errlen);
	else
		rc = state_lock(fs->dir, user, &h, u, err, errlen);
	if (rc != STATE_OK) {
		free(*t);
		*t = NULL;
		return rc;
	}
	(*t)->ops = s->ops;
	(*t)->priv = h;
	/* read under the lock: no other login's change can come between */
	*now = fs->clock();
	return STATE_OK;
}

static int
file_write(struct store_txn *t, const struct state_user *u, char *err,
	   size_t errlen)
{
	return state_save(t->priv, u, err, errlen);
}

static void
file_end(struct store_txn *t)
{
	state_unlock(t->priv);
	free(t);
}

struct file_each {
	int (*fn)(const struct state_user *u, long long now, void *ud);
	void *ud;
	long long (*clock)(void);
};

static int
file_each_one(const struct state_user *u, void *ud)
{
	const struct file_each *e = ud;

	return e->fn(u, e->clock(), e->ud);
}

static int
file_foreach(struct store *s, int (*fn)(const struct state_user *u,
					long long now, void *ud),
	     void *ud, char *err, size_t errlen)
{
	const struct file_store *fs = s->priv;
	struct file_each e = { fn, ud, fs->clock };

	return state_foreach(fs->dir, file_each_one, &e, err, errlen);
}

static void
file_close(struct store *s)
{
	struct file_store *fs = s->priv;

	free(fs->dir);
	free(fs);
	free(s);
}

static const struct store_ops file_ops = {
	file_begin, file_write, file_end, file_foreach, file_close,
};

int
store_open_file(const char *dir, long long (*clock)(void), struct store **s,
		char *err, size_t errlen)
{
	struct file_store *fs;

	*s = NULL;
	if (state_dir_prepare(dir, err, errlen) != 0)
		return STATE_EINVAL;
	*s = calloc(1, sizeof(**s));
	fs = calloc(1, sizeof(*fs));
	if (*s == NULL || fs == NULL || (fs->dir = strdup(dir)) == NULL) {
		free(fs);
		free(*s);
		*s = NULL;
		snprintf(err, errlen, "out of memory");
		return STATE_ENOMEM;
	}
	fs->clock = clock != NULL ? clock : host_clock;
	(*s)->ops = &file_ops;
	(*s)->priv = fs;
	return STATE_OK;
}
