/*
 * state: what the module keeps across logins, under limits.state_dir.
 */
#ifndef SMSOTP_STATE_H
#define SMSOTP_STATE_H

#include <stddef.h>

#define STATE_KEY_LEN 32

/* The host key of the keyed hashes (kept codes, stand-in numbers, stand-in
 * records), read from path: a regular file of root or the effective uid,
 * mode 0600, exactly STATE_KEY_LEN bytes; created with a random key (O_EXCL,
 * written whole, then linked in) when missing.  Kept away from state_dir
 * (/etc/security/pam_smsotp.key by default).  Returns 0, or -1 with a
 * reason in err. */
int state_key(const char *path, unsigned char key[STATE_KEY_LEN], char *err,
	      size_t errlen);

/* The key as state_key() reads it, never created: 0, 1 when there is no
 * file at path, or -1 with a reason in err (smsotp check). */
int state_key_read(const char *path, unsigned char key[STATE_KEY_LEN],
		   char *err, size_t errlen);

/* Make sure dir exists as a directory owned by root or the effective uid
 * with mode 0700 (created so when missing; an existing one with group or
 * other bits, another owner or a symlink is refused).  Returns 0, or -1
 * with a reason in err. */
int state_dir_prepare(const char *dir, char *err, size_t errlen);

/* The same checks, never creating it: 0, 1 when dir is not there (the
 * first login makes it), or -1 with a reason in err. */
int state_dir_check(const char *dir, char *err, size_t errlen);

/*
 * Per-user state, kept across logins in dir/<sha256 of the name>: no user
 * name can make a path that leaves dir.  Every change is read, modified
 * and written under an exclusive lock (flock on a lock file beside it), to
 * a temporary file that is fsynced and renamed over the old one, so that
 * concurrent logins never lose a count and a crash never leaves half a
 * file.  A code kept for reuse is stored as a salted hash only.
 */
#define STATE_SALT_LEN 16
#define STATE_HASH_LEN 32

/* The user's record: what the file holds.  The code is kept as
 * HMAC-SHA256(key, salt || code), keyed with state_key(): a copy of the
 * records alone (a backup of state_dir, a database dump) cannot be brute-
 * forced offline. */
struct state_user {
	char user[256];		/* the name, for the admin tool's listing */
	long long window_start;	/* start of the current send window */
	long sends;		/* SMS sent in that window */
	long long last_send;	/* time of the last SMS, 0 = never */
	long wrong;		/* consecutive wrong codes, across logins */
	long long locked_until;	/* 0 = not locked */
	int has_code;		/* a code sent and not spent */
	long long code_issued;	/* when that code was sent */
	unsigned char salt[STATE_SALT_LEN];
	unsigned char hash[STATE_HASH_LEN];	/* HMAC(key, salt || code) */
};

struct state_handle;

#define STATE_OK 0
#define STATE_EINVAL (-1)	/* corrupt, unreadable, untrusted: err says */
#define STATE_ENOMEM (-2)
#define STATE_EUNAVAIL (-3)	/* the store cannot be used now (a database
				   down, refused, timed out): err says */
#define STATE_ECHANGED (-4)	/* a second write found the record changed
				   by another login since the first: nothing
				   written; open it again to decide anew */

/*
 * Lock user's state in dir (waiting for another login of the same user to
 * finish its change) and read it into *u; a user without a file gets a
 * zeroed state with the name filled in.  Returns STATE_OK with *h to pass
 * to state_save / state_unlock, or an error with err (the file, the line,
 * what is wrong) and no lock held.
 */
int state_lock(const char *dir, const char *user, struct state_handle **h,
	       struct state_user *u, char *err, size_t errlen);

/*
 * The same for a name that gets no SMS (an unknown user, a user without a
 * number), so that its logins show what a real user's would (a code "sent"
 * N s ago, the send limit, the lock) while bots trying names cannot fill
 * the disk: such records live in STATE_STAND_IN_SLOTS files of dir,
 * "standin-XXX", the slot chosen by an HMAC of the name with key.  A slot
 * holding another name reads as a fresh record (the older name is
 * forgotten).  The files have the format, and so the size, of a user's.
 */
#define STATE_STAND_IN_SLOTS 1024

/* The slot of user's stand-in record (0..STATE_STAND_IN_SLOTS-1), from an
 * HMAC of the name with key: 0, or -1 when the HMAC failed. */
int state_stand_in_slot(const char *user, const unsigned char key[STATE_KEY_LEN],
			unsigned *slot);
int state_lock_stand_in(const char *dir, const char *user,
			const unsigned char key[STATE_KEY_LEN],
			struct state_handle **h, struct state_user *u,
			char *err, size_t errlen);

/* Write *u for the locked user (temporary file, fsync, rename, fsync of
 * the directory).  The lock stays held.  The temporary file has one name
 * per user (HEX.tmp), written only under the lock: one left by a login
 * killed in the middle is replaced by the next save.  SIGXFSZ is held
 * back while writing, so that a file size limit is an error here (the
 * temporary file removed), not the end of the process. */
int state_save(struct state_handle *h, const struct state_user *u,
	       char *err, size_t errlen);

/* Release the lock and free h.  NULL is fine. */
void state_unlock(struct state_handle *h);

/* Keep code for reuse: a new random salt and HMAC(key, salt || code). */
int state_set_code(struct state_user *u, const char *code, long long now,
		   const unsigned char key[STATE_KEY_LEN]);

/* 1 when answer (trimmed of white space) is the kept code; compared in
 * constant time.  0 when not, or when no code is kept. */
int state_code_matches(const struct state_user *u, const char *answer,
		       const unsigned char key[STATE_KEY_LEN]);

/* Every user with a state file in dir, for the admin tool: calls fn for
 * each (read under its lock); stops and returns the first error. */
int state_foreach(const char *dir, int (*fn)(const struct state_user *u,
					      void *ud), void *ud,
		  char *err, size_t errlen);

/*
 * The store: where the records are kept, behind one interface, so that
 * the module and the admin tool never know which store it is.  The file
 * store (state_dir, the functions above) is the first; another (a
 * database) is one more file implementing state/store_ops.h.
 *
 * A record is held open between store_begin and store_end: under the
 * user's lock (the file store) or in a transaction with the row locked (a
 * database).  The time every decision about it uses comes from the store
 * when it opens the record, so that one clock decides every window.
 */
struct smsotp_config;
struct store;
struct store_txn;

/* Opens the store the configuration names: the file store on state_dir
 * (made sure of as state_dir_prepare does), or the PostgreSQL store
 * (limits.store = "postgresql": libpq loaded, the conninfo checked, the
 * connection made at the first store_begin).  Returns STATE_OK,
 * STATE_ENOMEM or STATE_EINVAL with err. */
int store_open(const struct smsotp_config *cfg, struct store **s, char *err,
	       size_t errlen);

/* Where a store says what a login should know but does not fail it (the
 * PostgreSQL store's fallback to state_dir).  log must outlive s. */
struct smsotp_log;
void store_set_log(struct store *s, const struct smsotp_log *log);

/* `smsotp db init`: creates or upgrades the PostgreSQL schema (safe to run
 * again; a newer schema or another host key is refused).  STATE_OK with a
 * summary in msg, or an error with msg saying why. */
int store_db_init(const struct smsotp_config *cfg, char *msg, size_t msglen);

/* `smsotp check`: connects as a login would and checks the schema and the
 * key.  STATE_OK with what was found in msg (server, TLS, schema), or an
 * error with msg. */
int store_db_check(const struct smsotp_config *cfg, char *msg, size_t msglen);

/* The file store on dir; clock NULL is time(NULL) (a seam for tests). */
int store_open_file(const char *dir, long long (*clock)(void), struct store **s,
		    char *err, size_t errlen);

/* Closes s.  NULL is fine. */
void store_close(struct store *s);

/*
 * Opens user's record for a change: *u read (a user without one gets a
 * zeroed record with the name), *now the store's time.  stand_in_key
 * non-NULL: the stand-in record of a name that gets no SMS
 * (state_lock_stand_in), its slot chosen with that key.  Returns STATE_OK
 * with *t, or an error with err and nothing held.
 */
int store_begin(struct store *s, const char *user,
		const unsigned char *stand_in_key, struct store_txn **t,
		struct state_user *u, long long *now, char *err, size_t errlen);

/* Makes *u the record, durably, before it returns (the file store:
 * state_save; a database: a commit); the record stays held for another
 * write (a database: that write fails with STATE_ECHANGED, nothing
 * written, if another login changed the record in between). */
int store_write(struct store_txn *t, const struct state_user *u, char *err,
		size_t errlen);

/* Releases the record; what was not written is rolled back.  NULL is
 * fine. */
void store_end(struct store_txn *t);

/* Calls fn for each record (held while fn runs) with the store's time;
 * stops at and returns the first error, fn's own included. */
int store_foreach(struct store *s, int (*fn)(const struct state_user *u,
					     long long now, void *ud),
		  void *ud, char *err, size_t errlen);

/* Clears user's counts, lock and kept code, under the record's lock. */
int store_reset(struct store *s, const char *user, char *err, size_t errlen);

#endif
