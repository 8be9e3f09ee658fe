/*
 * state: the PostgreSQL store, one database that every host of a fleet
 * shares (limits.store = "postgresql").
 *
 * A record is a row of smsotp_users, held in a transaction that locks it
 * (SELECT ... FOR UPDATE), with the database's clock read under the lock:
 * one clock decides every window on every host.  A write is an UPDATE of
 * the version read, then a COMMIT, so it is durable when it returns; a
 * second write on the same record updates only that version (another
 * login's change in between makes it fail, closed).  The server ends a
 * transaction left idle (a login stopped with the record held) after the
 * timeout, so a stopped sudo holds a row no longer than that.
 *
 * One connection per login, made at the first record.  When it cannot be
 * made, the store is not available (STATE_EUNAVAIL), or with fallback =
 * "file" this host's state_dir serves the login, with a warning.  Rows
 * that hold nothing any more are deleted at most once an hour, by the
 * login that finds it due.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/config.h"
#include "../policy/policy.h"
#include "../util/util.h"
#include "pq.h"
#include "store_ops.h"

struct pg_store {
	char *conninfo, *password, *state_dir;
	long timeout;			/* seconds */
	int fallback_file;
	char key_id[33];		/* hex, from the host key */
	struct policy_limits lim;
	const struct smsotp_log *log;
	PGconn *conn;
	int prune_due;
	int used;			/* a record of this login was read here */
	int unreachable;		/* the last connect failed */
	struct store *file;		/* the fallback, when it serves */
};

struct pg_txn {
	struct pg_store *ps;
	char slot[300];		/* the name, or stand-in:NNN */
	long long version;		/* of the row as read or last written */
	int open;			/* a transaction is open */
};

/* The row, the database's time, and the schema's version and key (checked
 * at every record: no round trip of its own). */
static const char sql_select[] =
	"SELECT u.username, u.window_start, u.sends, u.last_send, u.wrong, "
	"u.locked_until, u.code_issued, encode(u.code_salt, 'hex'), "
	"encode(u.code_hash, 'hex'), u.version, "
	"floor(extract(epoch FROM clock_timestamp()))::bigint, "
	"m.schema_version, m.key_id, m.pruned_at < now() - interval '1 hour' "
	"FROM smsotp_users u CROSS JOIN smsotp_meta m WHERE u.slot = $1 "
	"FOR UPDATE OF u";
/* A new row holds nothing yet: prunable until a write says otherwise. */
static const char sql_insert[] =
	"INSERT INTO smsotp_users (slot, username, forget_at) VALUES ($1, $2, 0) "
	"ON CONFLICT (slot) DO NOTHING";
static const char sql_update[] =
	"UPDATE smsotp_users SET username = $2, window_start = $3, sends = $4, "
	"last_send = $5, wrong = $6, locked_until = $7, code_issued = $8, "
	"code_salt = decode($9, 'hex'), code_hash = decode($10, 'hex'), "
	"forget_at = $11, version = version + 1, updated = now() "
	"WHERE slot = $1 AND version = $12 RETURNING version";
static const char sql_meta[] =
	"SELECT schema_version, key_id, pruned_at < now() - interval '1 hour' "
	"FROM smsotp_meta";
static const char sql_prune[] =
	"WITH due AS (UPDATE smsotp_meta SET pruned_at = now() "
	"WHERE pruned_at < now() - interval '1 hour' RETURNING 1) "
	"DELETE FROM smsotp_users WHERE forget_at < "
	"floor(extract(epoch FROM now()))::bigint AND EXISTS (SELECT 1 FROM due)";

/* Statements in one round trip on the store's connection; a connection
 * lost (or late) is dropped, and made again at the next record. */
static int
run_all(struct pg_store *ps, const struct pq_stmt *st, size_t n, PGresult **res,
	char *err, size_t errlen)
{
	char why[512];
	int dead = 0;

	if (ps->conn == NULL) {
		snprintf(err, errlen, "postgresql: the connection was lost");
		return STATE_EUNAVAIL;
	}
	/* a second more than the server's own limits, whose error says more */
	if (pq_exec_all(ps->conn, ps->timeout * 1000 + 1000, st, n, res, &dead,
			why, sizeof(why)) != 0) {
		snprintf(err, errlen, "postgresql: %s", why);
		if (dead) {
			pq.finish(ps->conn);
			ps->conn = NULL;
		}
		return STATE_EUNAVAIL;
	}
	return STATE_OK;
}

/* One statement; its result in *res, or dropped when res is NULL. */
static int
run(struct pg_store *ps, const char *sql, int n, const char *const *vals,
    PGresult **res, char *err, size_t errlen)
{
	const struct pq_stmt st = { sql, n, vals };
	PGresult *r = NULL;
	int rc = run_all(ps, &st, 1, &r, err, errlen);

	if (rc == STATE_OK && res != NULL)
		*res = r;
	else if (r != NULL)
		pq.clear(r);
	return rc;
}

/* The schema and the key the database was set up with must be this
 * module's: else every code would read as wrong on some host.  r's
 * columns col.. are the version, the key's fingerprint and whether the
 * pruning is due. */
static int
meta_verdict(struct pg_store *ps, const PGresult *r, int col, char *err,
	     size_t errlen)
{
	long version = pq.ntuples(r) == 1 ?
		strtol(pq.getvalue(r, 0, col), NULL, 10) : 0;

	if (version != STORE_PG_SCHEMA_VERSION) {
		snprintf(err, errlen, "postgresql: the database's pam_smsotp schema is "
			 "version %ld, this module's is %d: run `smsotp db init`%s",
			 version, STORE_PG_SCHEMA_VERSION,
			 version > STORE_PG_SCHEMA_VERSION ? " of the newer release" : "");
		return STATE_EUNAVAIL;
	}
	if (strcmp(pq.getvalue(r, 0, col + 1), ps->key_id) != 0) {
		snprintf(err, errlen, "postgresql: this host's key_file is not the one "
			 "the database was set up with: copy it from a host of the "
			 "fleet");
		return STATE_EUNAVAIL;
	}
	ps->prune_due = strcmp(pq.getvalue(r, 0, col + 2), "t") == 0;
	return STATE_OK;
}

/* A missing table is a database not set up. */
static void
explain_missing(char *err, size_t errlen)
{
	if (strncmp(err, "postgresql: 42P01", 17) == 0)
		snprintf(err, errlen, "postgresql: the database has no pam_smsotp "
			 "schema: run `smsotp db init`");
}

static int
check_meta(struct pg_store *ps, char *err, size_t errlen)
{
	PGresult *r = NULL;
	int rc = run(ps, sql_meta, 0, NULL, &r, err, errlen);

	if (rc != STATE_OK) {
		explain_missing(err, errlen);
		return rc;
	}
	rc = meta_verdict(ps, r, 0, err, errlen);
	pq.clear(r);
	return rc;
}

/* Connects (once per login; again after a lost connection). */
static int
pg_connect(struct pg_store *ps, char *err, size_t errlen)
{
	char why[512];

	if (ps->conn != NULL)
		return STATE_OK;
	ps->conn = pq_connect(ps->conninfo, ps->password, ps->timeout, why,
			      sizeof(why));
	ps->unreachable = ps->conn == NULL;
	if (ps->conn == NULL) {
		snprintf(err, errlen, "postgresql: %s", why);
		return STATE_EUNAVAIL;
	}
	return STATE_OK;
}

/* The database cannot be used at a login's first record (err says why):
 * with fallback = "file", this host's state_dir serves the login, said at
 * every one. */
static int
use_fallback(struct pg_store *ps, char *err, size_t errlen)
{
	char why[512];
	int rc;

	/* Only when no connection could be made (a statement that failed
	 * on one, a lock wait too long, is the database's answer), and only
	 * before the login read a record here: its code and counts are in
	 * the database, and a login that lost it fails closed. */
	if (!ps->fallback_file || !ps->unreachable || ps->used)
		return STATE_EUNAVAIL;
	util_strlcpy(why, strncmp(err, "postgresql: ", 12) == 0 ? err + 12 : err,
		     sizeof(why));
	rc = store_open_file(ps->state_dir, NULL, &ps->file, err, errlen);
	if (rc != STATE_OK)
		return rc;
	smsotp_logf(ps->log, LOG_WARNING, "state: postgresql not available (%s); "
		    "using this host's state_dir %s (fallback = \"file\")", why,
		    ps->state_dir);
	return STATE_OK;
}

static long long
num(const PGresult *r, int row, int col)
{
	return pq.getisnull(r, row, col) ? 0 :
		strtoll(pq.getvalue(r, row, col), NULL, 10);
}

/* The row read into *u; a stand-in slot that held another name reads as
 * a fresh record of this one. */
static int
row_to_user(const PGresult *r, int row, const char *user, struct state_user *u,
	    char *err, size_t errlen)
{
	memset(u, 0, sizeof(*u));
	util_strlcpy(u->user, user, sizeof(u->user));
	if (strcmp(pq.getvalue(r, row, 0), user) != 0)
		return STATE_OK;
	u->window_start = num(r, row, 1);
	u->sends = (long)num(r, row, 2);
	u->last_send = num(r, row, 3);
	u->wrong = (long)num(r, row, 4);
	u->locked_until = num(r, row, 5);
	if (!pq.getisnull(r, row, 6)) {
		u->has_code = 1;
		u->code_issued = num(r, row, 6);
		if (state_hex_decode(pq.getvalue(r, row, 7), u->salt,
				     sizeof(u->salt)) != 0 ||
		    state_hex_decode(pq.getvalue(r, row, 8), u->hash,
				     sizeof(u->hash)) != 0) {
			snprintf(err, errlen, "postgresql: the record of %s holds a "
				 "code hash of the wrong size", user);
			return STATE_EINVAL;
		}
	}
	return STATE_OK;
}

/* A database not set up for this module (no schema, another version or
 * key) is one that cannot be used, as an unreachable one: the fallback
 * applies. */
static void
not_set_up(struct pg_store *ps)
{
	ps->unreachable = 1;
	pq.finish(ps->conn);
	ps->conn = NULL;
}

/* Locks the slot's row (made when missing) and reads it: BEGIN and the
 * SELECT in one round trip. */
static int
lock_row(struct pg_txn *t, const char *user, struct state_user *u,
	 long long *now, char *err, size_t errlen)
{
	const char *vals[2] = { t->slot, user };
	const struct pq_stmt first[2] = { { "BEGIN", 0, NULL }, { sql_select, 1, vals } };
	const struct pq_stmt again[2] = { { sql_insert, 2, vals }, { sql_select, 1, vals } };
	PGresult *r[2] = { NULL, NULL };
	int rc;

	t->open = 1;	/* a ROLLBACK at the end, whatever happens now */
	rc = run_all(t->ps, first, 2, r, err, errlen);
	if (rc == STATE_OK && pq.ntuples(r[1]) == 0) {
		pq.clear(r[0]);
		pq.clear(r[1]);
		rc = run_all(t->ps, again, 2, r, err, errlen);
	}
	if (rc != STATE_OK) {
		explain_missing(err, errlen);
		if (t->ps->conn != NULL && strstr(err, "db init") != NULL &&
		    !t->ps->used)
			not_set_up(t->ps);
		return rc;
	}
	/* no row even now: no meta row to join, a schema half set up */
	rc = meta_verdict(t->ps, r[1], 11, err, errlen);
	if (rc == STATE_OK) {
		rc = row_to_user(r[1], 0, user, u, err, errlen);
		t->ps->used = 1;
		t->version = num(r[1], 0, 9);
		*now = num(r[1], 0, 10);
	} else if (!t->ps->used) {
		not_set_up(t->ps);
	}
	pq.clear(r[0]);
	pq.clear(r[1]);
	return rc;
}

static void pg_end(struct store_txn *t);

static int
txn_new(struct store *s, const char *user, const unsigned char *stand_in_key,
	struct store_txn **t, char *err, size_t errlen)
{
	struct pg_txn *pt;
	unsigned slot;

	*t = calloc(1, sizeof(**t));
	pt = calloc(1, sizeof(*pt));
	if (*t == NULL || pt == NULL) {
		free(*t);
		free(pt);
		*t = NULL;
		snprintf(err, errlen, "out of memory");
		return STATE_ENOMEM;
	}
	(*t)->ops = s->ops;
	(*t)->priv = pt;
	pt->ps = s->priv;
	if (stand_in_key == NULL) {
		util_strlcpy(pt->slot, user, sizeof(pt->slot));
		return STATE_OK;
	}
	if (state_stand_in_slot(user, stand_in_key, &slot) != 0) {
		snprintf(err, errlen, "state: HMAC failed");
		pg_end(*t);
		*t = NULL;
		return STATE_EINVAL;
	}
	snprintf(pt->slot, sizeof(pt->slot), "stand-in:%03x", slot);
	return STATE_OK;
}

/* The row locked on the connection; a connection found lost (idle for
 * the whole prompt, or its server gone in a failover) is made again once
 * and the row locked there: nothing was written on the lost one. */
static int
locked_row(struct store *s, const char *user, const unsigned char *stand_in_key,
	   struct store_txn **t, struct state_user *u, long long *now, char *err,
	   size_t errlen)
{
	struct pg_store *ps = s->priv;
	int rc = STATE_OK, tries, fresh;

	for (tries = 0; tries < 2; tries++) {
		fresh = ps->conn == NULL;
		rc = pg_connect(ps, err, errlen);
		if (rc == STATE_OK)
			rc = txn_new(s, user, stand_in_key, t, err, errlen);
		if (rc == STATE_OK)
			rc = lock_row((*t)->priv, user, u, now, err, errlen);
		if (rc == STATE_OK)
			return rc;
		if (*t != NULL)
			pg_end(*t);
		*t = NULL;
		if (fresh || ps->conn != NULL)
			break;
	}
	return rc;
}

static int
pg_begin(struct store *s, const char *user, const unsigned char *stand_in_key,
	 struct store_txn **t, struct state_user *u, long long *now, char *err,
	 size_t errlen)
{
	struct pg_store *ps = s->priv;
	int rc;

	*t = NULL;
	memset(u, 0, sizeof(*u));
	ps->log = s->log;
	if (ps->file == NULL) {
		rc = locked_row(s, user, stand_in_key, t, u, now, err, errlen);
		if (rc != STATE_EUNAVAIL || use_fallback(ps, err, errlen) != STATE_OK)
			return rc;
	}
	/* the file store's own ops: its records are its own */
	return ps->file->ops->begin(ps->file, user, stand_in_key, t, u, now, err,
				    errlen);
}

/* The UPDATE's parameters, as text. */
struct row_text {
	char n[8][24];
	char salt[2 * STATE_SALT_LEN + 1], hash[2 * STATE_HASH_LEN + 1];
	const char *vals[12];
};

static void
user_to_row(const struct pg_txn *t, const struct state_user *u,
	    struct row_text *rt)
{
	long long forget = policy_forget_at(&t->ps->lim, u);
	const long long v[] = { u->window_start, u->sends, u->last_send, u->wrong,
				u->locked_until, u->code_issued, forget, t->version };
	size_t i;

	for (i = 0; i < 8; i++)
		snprintf(rt->n[i], sizeof(rt->n[i]), "%lld", v[i]);
	state_hex_encode(u->salt, sizeof(u->salt), rt->salt);
	state_hex_encode(u->hash, sizeof(u->hash), rt->hash);
	rt->vals[0] = t->slot;
	rt->vals[1] = u->user;
	for (i = 0; i < 5; i++)
		rt->vals[2 + i] = rt->n[i];
	rt->vals[7] = u->has_code ? rt->n[5] : NULL;
	rt->vals[8] = u->has_code ? rt->salt : NULL;
	rt->vals[9] = u->has_code ? rt->hash : NULL;
	rt->vals[10] = forget == POLICY_KEEP ? NULL : rt->n[6];
	rt->vals[11] = rt->n[7];
}

/* The UPDATE of the version read and the COMMIT in one round trip (with
 * a BEGIN first for a second write: the row is free between). */
static int
pg_write(struct store_txn *st, const struct state_user *u, char *err,
	 size_t errlen)
{
	struct pg_txn *t = st->priv;
	struct row_text rt;
	struct pq_stmt stmts[3];
	PGresult *r[3] = { NULL, NULL, NULL };
	size_t n = 0, i;
	int rc;

	user_to_row(t, u, &rt);
	if (!t->open)
		stmts[n++] = (struct pq_stmt){ "BEGIN", 0, NULL };
	stmts[n++] = (struct pq_stmt){ sql_update, 12, rt.vals };
	stmts[n++] = (struct pq_stmt){ "COMMIT", 0, NULL };
	t->open = 1;
	rc = run_all(t->ps, stmts, n, r, err, errlen);
	if (rc == STATE_OK) {
		t->open = 0;
		if (pq.ntuples(r[n - 2]) == 1) {
			t->version = num(r[n - 2], 0, 0);
		} else {
			/* only for a second write: the first one's row is
			 * locked since it was read */
			snprintf(err, errlen, "postgresql: the record of %s was "
				 "changed by another login meanwhile", u->user);
			rc = STATE_ECHANGED;
		}
	}
	for (i = 0; i < n; i++)
		if (r[i] != NULL)
			pq.clear(r[i]);
	util_wipe(&rt, sizeof(rt));
	return rc;
}

static void
pg_end(struct store_txn *st)
{
	struct pg_txn *t = st->priv;
	char err[256];

	if (t != NULL && t->open)
		run(t->ps, "ROLLBACK", 0, NULL, NULL, err, sizeof(err));
	free(t);
	free(st);
}

static const char sql_all[] =
	"SELECT username, window_start, sends, last_send, wrong, locked_until, "
	"code_issued, encode(code_salt, 'hex'), encode(code_hash, 'hex'), version, "
	"floor(extract(epoch FROM clock_timestamp()))::bigint "
	"FROM smsotp_users WHERE slot NOT LIKE 'stand-in:%' ORDER BY slot";

/* Every user's record (the stand-in slots are nobody's), as one snapshot
 * of the table. */
static int
pg_foreach(struct store *s, int (*fn)(const struct state_user *u,
				      long long now, void *ud),
	   void *ud, char *err, size_t errlen)
{
	struct pg_store *ps = s->priv;
	PGresult *r = NULL;
	struct state_user u;
	int i, rc;

	if (ps->file != NULL)
		return ps->file->ops->foreach(ps->file, fn, ud, err, errlen);
	rc = pg_connect(ps, err, errlen);
	if (rc == STATE_OK)
		rc = check_meta(ps, err, errlen);
	if (rc == STATE_OK)
		rc = run(ps, sql_all, 0, NULL, &r, err, errlen);
	for (i = 0; rc == STATE_OK && i < pq.ntuples(r); i++) {
		rc = row_to_user(r, i, pq.getvalue(r, i, 0), &u, err, errlen);
		if (rc == STATE_OK)
			rc = fn(&u, num(r, i, 10), ud);
		util_wipe(&u, sizeof(u));
	}
	if (r != NULL)
		pq.clear(r);
	return rc;
}

static void
pg_close(struct store *s)
{
	struct pg_store *ps = s->priv;
	char err[256];

	/* the login that finds the hourly pruning due does it, last */
	if (ps->conn != NULL && ps->prune_due)
		run(ps, sql_prune, 0, NULL, NULL, err, sizeof(err));
	if (ps->conn != NULL)
		pq.finish(ps->conn);
	if (ps->file != NULL)
		ps->file->ops->close(ps->file);
	util_free_secret(ps->conninfo);
	util_free_secret(ps->password);
	free(ps->state_dir);
	util_wipe(ps, sizeof(*ps));
	free(ps);
	free(s);
}

static const struct store_ops pg_ops = {
	pg_begin, pg_write, pg_end, pg_foreach, pg_close,
};

/* The key's fingerprint the database keeps: an HMAC, so the key cannot be
 * found from it.  create 0 (smsotp check): a missing key is an error. */
static int
key_id(const char *key_file, int create, char out[33], char *err, size_t errlen)
{
	static const char label[] = "pam_smsotp key id";
	unsigned char key[STATE_KEY_LEN], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int ok, r;

	r = create ? state_key(key_file, key, err, errlen) :
		state_key_read(key_file, key, err, errlen);
	if (r == 1)
		snprintf(err, errlen, "key_file %s: missing: every host of the fleet "
			 "needs the same key (copy it from the host where `smsotp db "
			 "init` ran; a login would make another one and be refused)",
			 key_file);
	if (r != 0)
		return STATE_EINVAL;
	ok = HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)label,
		  sizeof(label) - 1, md, &mdlen) != NULL && mdlen >= 16;
	util_wipe(key, sizeof(key));
	if (!ok) {
		snprintf(err, errlen, "state: HMAC failed");
		return STATE_EINVAL;
	}
	state_hex_encode(md, 16, out);
	util_wipe(md, sizeof(md));
	return STATE_OK;
}

static char *
dup_or_null(const char *s, int *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*failed = 1;
	return d;
}

/* The store, not connected; create: make the key file when missing. */
static int
open_pg(const struct smsotp_config *cfg, int create, struct store **s,
	char *err, size_t errlen)
{
	struct pg_store *ps;
	int failed = 0, rc;

	*s = NULL;
	if (pq_check_conninfo(cfg->pg_conninfo, err, errlen) != 0) {
		char why[512];

		util_strlcpy(why, err, sizeof(why));
		snprintf(err, errlen, "limits.postgresql.conninfo: %s", why);
		return STATE_EINVAL;
	}
	*s = calloc(1, sizeof(**s));
	ps = calloc(1, sizeof(*ps));
	if (*s == NULL || ps == NULL) {
		free(*s);
		free(ps);
		*s = NULL;
		snprintf(err, errlen, "out of memory");
		return STATE_ENOMEM;
	}
	(*s)->ops = &pg_ops;
	(*s)->priv = ps;
	ps->conninfo = dup_or_null(cfg->pg_conninfo, &failed);
	ps->password = dup_or_null(cfg->pg_password, &failed);
	ps->state_dir = dup_or_null(cfg->state_dir, &failed);
	ps->timeout = cfg->pg_timeout;
	ps->fallback_file = cfg->pg_fallback_file;
	policy_limits_from(&ps->lim, cfg);
	rc = failed ? STATE_ENOMEM : key_id(cfg->key_file, create, ps->key_id, err,
					    errlen);
	if (failed)
		snprintf(err, errlen, "out of memory");
	if (rc != STATE_OK) {
		pg_close(*s);
		*s = NULL;
	}
	return rc;
}

int
store_open_pg(const struct smsotp_config *cfg, struct store **s, char *err,
	      size_t errlen)
{
	return open_pg(cfg, 1, s, err, errlen);
}


/* Schema version 1; upgrades[v] takes version v to v + 1. */
static const char *const schema_v1[] = {
	"CREATE TABLE IF NOT EXISTS smsotp_meta ("
	" id boolean PRIMARY KEY DEFAULT true CHECK (id),"
	" schema_version integer NOT NULL,"
	" key_id text NOT NULL,"
	" pruned_at timestamptz NOT NULL DEFAULT now())",
	"CREATE TABLE IF NOT EXISTS smsotp_users ("
	" slot text PRIMARY KEY,"
	" username text NOT NULL,"
	" window_start bigint NOT NULL DEFAULT 0,"
	" sends bigint NOT NULL DEFAULT 0,"
	" last_send bigint NOT NULL DEFAULT 0,"
	" wrong bigint NOT NULL DEFAULT 0,"
	" locked_until bigint NOT NULL DEFAULT 0,"
	" code_issued bigint,"
	" code_salt bytea,"
	" code_hash bytea,"
	" version bigint NOT NULL DEFAULT 0,"
	" forget_at bigint,"
	" updated timestamptz NOT NULL DEFAULT now())",
	"CREATE INDEX IF NOT EXISTS smsotp_users_forget_at ON smsotp_users (forget_at)",
	NULL
};
static const char *const *const upgrades[STORE_PG_SCHEMA_VERSION] = { schema_v1 };

/* The version the database has (0: none), and its key fingerprint. */
static int
found_version(struct pg_store *ps, long *version, char *err, size_t errlen)
{
	PGresult *r = NULL;
	int rc;

	*version = 0;
	rc = run(ps, "SELECT to_regclass('smsotp_meta') IS NOT NULL", 0, NULL, &r,
		 err, errlen);
	if (rc != STATE_OK || strcmp(pq.getvalue(r, 0, 0), "t") != 0) {
		if (r != NULL)
			pq.clear(r);
		return rc;
	}
	pq.clear(r);
	r = NULL;
	rc = run(ps, "SELECT schema_version, key_id FROM smsotp_meta", 0, NULL, &r,
		 err, errlen);
	if (rc != STATE_OK)
		return rc;
	if (pq.ntuples(r) == 1) {
		*version = strtol(pq.getvalue(r, 0, 0), NULL, 10);
		if (strcmp(pq.getvalue(r, 0, 1), ps->key_id) != 0) {
			snprintf(err, errlen, "this host's key_file is not the one the "
				 "database was set up with: copy it from a host of the "
				 "fleet");
			rc = STATE_EINVAL;
		}
	}
	pq.clear(r);
	return rc;
}

/* In one transaction, serialised against another init. */
static int
init_schema(struct pg_store *ps, long *from, char *err, size_t errlen)
{
	char version[16];
	const char *vals[2] = { version, ps->key_id };
	long v;
	int rc, i;

	rc = run(ps, "BEGIN", 0, NULL, NULL, err, errlen);
	if (rc == STATE_OK)
		rc = run(ps, "SELECT pg_advisory_xact_lock(7308895147590512)", 0, NULL,
			 NULL, err, errlen);
	if (rc == STATE_OK)
		rc = found_version(ps, from, err, errlen);
	if (rc == STATE_OK && *from > STORE_PG_SCHEMA_VERSION) {
		snprintf(err, errlen, "the database's schema is version %ld, newer "
			 "than this smsotp's (%d): use the newer release's", *from,
			 STORE_PG_SCHEMA_VERSION);
		rc = STATE_EINVAL;
	}
	for (v = *from; rc == STATE_OK && v < STORE_PG_SCHEMA_VERSION; v++)
		for (i = 0; rc == STATE_OK && upgrades[v][i] != NULL; i++)
			rc = run(ps, upgrades[v][i], 0, NULL, NULL, err, errlen);
	snprintf(version, sizeof(version), "%d", STORE_PG_SCHEMA_VERSION);
	if (rc == STATE_OK)
		rc = run(ps, "INSERT INTO smsotp_meta (schema_version, key_id) "
			 "VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET "
			 "schema_version = EXCLUDED.schema_version", 2, vals, NULL, err,
			 errlen);
	if (rc == STATE_OK)
		rc = run(ps, "COMMIT", 0, NULL, NULL, err, errlen);
	return rc;
}

/* "HOST:PORT/DB" of the connection, and its TLS. */
static void
describe(PGconn *c, char *out, size_t outlen)
{
	const char *proto = pq.sslInUse(c) ? pq.sslAttribute(c, "protocol") : NULL;
	const char *host = pq.host(c);

	snprintf(out, outlen, "%s%s%s/%s, %s%s%s", host != NULL ? host : "?",
		 host != NULL && host[0] == '/' ? " port " : ":", pq.port(c),
		 pq.db(c), proto != NULL ? "TLS (" : "no TLS (a loopback address "
		 "or a unix socket)", proto != NULL ? proto : "",
		 proto != NULL ? ")" : "");
	util_sanitize(out);
}

/* Opens the PostgreSQL store of cfg and connects it, without the schema
 * check (meta 0) or with it. */
static int
open_connected(const struct smsotp_config *cfg, int meta, struct store **s,
	       char *msg, size_t msglen)
{
	struct pg_store *ps;
	char why[512];
	int rc;

	*s = NULL;
	if (cfg->store != CONFIG_STORE_POSTGRESQL) {
		snprintf(msg, msglen, "limits.store is \"file\": there is no database "
			 "to set up");
		return STATE_EINVAL;
	}
	/* the check (meta) writes nothing: no key file is made, and the
	 * pruning a login would find due is left to a login */
	rc = open_pg(cfg, !meta, s, msg, msglen);
	if (rc != STATE_OK)
		return rc;
	ps = (*s)->priv;
	if (meta) {
		rc = pg_connect(ps, msg, msglen);
		if (rc == STATE_OK)
			rc = check_meta(ps, msg, msglen);
		ps->prune_due = 0;
		return rc;
	}
	ps->conn = pq_connect(ps->conninfo, ps->password, ps->timeout, why,
			      sizeof(why));
	if (ps->conn != NULL)
		return STATE_OK;
	snprintf(msg, msglen, "postgresql: %s", why);
	return STATE_EUNAVAIL;
}

int
store_db_init(const struct smsotp_config *cfg, char *msg, size_t msglen)
{
	struct store *s = NULL;
	struct pg_store *ps;
	char where[512], why[512];
	long from = 0;
	int rc;

	rc = open_connected(cfg, 0, &s, msg, msglen);
	if (rc != STATE_OK) {
		if (s != NULL)
			pg_close(s);
		return rc;
	}
	ps = s->priv;
	rc = init_schema(ps, &from, why, sizeof(why));
	if (rc == STATE_OK) {
		describe(ps->conn, where, sizeof(where));
		if (from == STORE_PG_SCHEMA_VERSION)
			snprintf(msg, msglen, "schema version %d already in place on %s",
				 STORE_PG_SCHEMA_VERSION, where);
		else
			snprintf(msg, msglen, "schema version %d %s on %s",
				 STORE_PG_SCHEMA_VERSION, from == 0 ? "created" :
				 "upgraded to", where);
	} else {
		snprintf(msg, msglen, "postgresql: %s", why);
	}
	pg_close(s);
	return rc;
}

int
store_db_check(const struct smsotp_config *cfg, char *msg, size_t msglen)
{
	struct store *s = NULL;
	char where[512];
	int rc;

	rc = open_connected(cfg, 1, &s, msg, msglen);
	if (rc == STATE_OK) {
		describe(((struct pg_store *)s->priv)->conn, where, sizeof(where));
		snprintf(msg, msglen, "postgresql: %s, schema version %d, key matches",
			 where, STORE_PG_SCHEMA_VERSION);
	}
	if (s != NULL)
		pg_close(s);
	return rc;
}
