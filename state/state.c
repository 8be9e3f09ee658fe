/*
 * state: the state directory, per-user state files, the host secret.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "../util/util.h"
#include "state.h"
#include "store_ops.h"

/* dir as the store needs it, when it is there: 0, 1 when missing, -1
 * with err. */
static int
dir_trusted(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	/* lstat: a symlink planted in place of the directory is refused. */
	if (lstat(dir, &st) != 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "state_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "state_dir %s: not a directory, refused", dir);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "state_dir %s: owned by uid %lu, refused", dir,
			 (unsigned long)st.st_uid);
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, errlen, "state_dir %s: mode %04o gives group or others "
			 "access, refused (chmod 700)", dir,
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int
state_dir_check(const char *dir, char *err, size_t errlen)
{
	if (dir == NULL || dir[0] != '/') {
		snprintf(err, errlen, "state_dir %s: not an absolute path",
			 dir != NULL ? dir : "(null)");
		return -1;
	}
	return dir_trusted(dir, err, errlen);
}

int
state_dir_prepare(const char *dir, char *err, size_t errlen)
{
	int r = state_dir_check(dir, err, errlen);

	if (r <= 0)
		return r;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "state_dir %s: cannot create: %s", dir,
			 strerror(errno));
		return -1;
	}
	r = dir_trusted(dir, err, errlen);
	if (r > 0)
		snprintf(err, errlen, "state_dir %s: gone right after it was made",
			 dir);
	return r == 0 ? 0 : -1;
}

int
state_key_read(const char *path, unsigned char key[STATE_KEY_LEN], char *err,
	 size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;

	/* Looked for first, then read: a key another first login links in
	 * between is read, never taken for an unreadable one.  lstat, not
	 * access(): access() asks with the real uid, which under sudo is the
	 * caller's. */
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "key_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (util_read_trusted(path, UTIL_TRUST_PRIVATE, STATE_KEY_LEN, &buf, &len,
			      err, errlen) == 0) {
		if (len != STATE_KEY_LEN) {
			snprintf(err, errlen, "key_file %s: not %d bytes, refused "
				 "(remove it to make a new one; codes kept until "
				 "then are lost)", path, STATE_KEY_LEN);
			util_wipe(buf, len);
			free(buf);
			return -1;
		}
		memcpy(key, buf, STATE_KEY_LEN);
		util_wipe(buf, len);
		free(buf);
		return 0;
	}
	return -1;
}

/* Creates the key file with a random key: 0, or -1 with err.  O_EXCL: of
 * two first logins, one writes and both read it.  Written under a
 * temporary name and linked in whole, so nobody reads a short key. */
static int
create_key(const char *path, char *err, size_t errlen)
{
	unsigned char key[STATE_KEY_LEN];
	char tmp[4096 + 32];
	ssize_t w;
	int fd;

	if (RAND_bytes(key, STATE_KEY_LEN) != 1) {
		snprintf(err, errlen, "the random number generator failed");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "key_file %s: cannot create: %s", tmp,
			 strerror(errno));
		util_wipe(key, STATE_KEY_LEN);
		return -1;
	}
	w = write(fd, key, STATE_KEY_LEN);
	util_wipe(key, STATE_KEY_LEN);
	if (w != STATE_KEY_LEN || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "key_file %s: cannot write", tmp);
		return -1;
	}
	close(fd);
	if (link(tmp, path) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "key_file %s: cannot create: %s", path,
			 strerror(errno));
		unlink(tmp);
		return -1;
	}
	unlink(tmp);
	return 0;
}

int
state_key(const char *path, unsigned char key[STATE_KEY_LEN], char *err,
	  size_t errlen)
{
	int tries, r;

	if (path == NULL || path[0] != '/' || strlen(path) > 4096) {
		snprintf(err, errlen, "key_file %s: not an absolute path",
			 path != NULL ? path : "(null)");
		return -1;
	}
	for (tries = 0; tries < 3; tries++) {
		r = state_key_read(path, key, err, errlen);
		if (r <= 0)
			return r;
		if (create_key(path, err, errlen) != 0)
			return -1;
	}
	snprintf(err, errlen, "key_file %s: cannot be read or created", path);
	return -1;
}

/*
 * Per-user state.  A user's files are dir/HEX (the state) and dir/HEX.lock,
 * where HEX is the SHA-256 of the name: whatever bytes the name holds
 * ("../x", "/", newlines), the module only ever opens 64 hex digits in dir.
 */

#define STATE_HEX_LEN (2 * STATE_HASH_LEN)
#define STATE_MAX_USER 255
#define STATE_MAX_CODE 64
/* A state file is a few hundred bytes; anything much larger is not ours. */
#define STATE_MAX_SIZE 4096
#define STATE_HEADER "pam_smsotp-state 2"
/* Version 1 kept codes as a salted SHA-256, without the key: read, its
 * kept code dropped (a login after the upgrade sends a new one). */
#define STATE_HEADER_V1 "pam_smsotp-state 1"
/* A login holds the lock for one read and one write, never across the
 * network: waiting longer than this means something is stuck. */
#define STATE_LOCK_WAIT_MS 10000
/* read_state: no state file (a user removed while state_foreach runs). */
#define STATE_NOFILE 1

struct state_handle {
	int dirfd;		/* every file is opened relative to it */
	int lockfd;
	char *dir;		/* for messages */
	char hex[STATE_HEX_LEN + 1];	/* the file's name: the name's
					   SHA-256, or standin-XXX */
	char user[STATE_MAX_USER + 1];	/* empty in state_foreach */
	int stand_in;		/* a slot: another name's record reads as
				   a fresh one */
};

enum {
	K_USER, K_WINDOW_START, K_SENDS, K_LAST_SEND, K_WRONG, K_LOCKED_UNTIL,
	K_CODE_ISSUED, K_CODE_SALT, K_CODE_HASH, K_COUNT
};

static const char *const state_keys[K_COUNT] = {
	"user", "window_start", "sends", "last_send", "wrong", "locked_until",
	"code_issued", "code_salt", "code_hash",
};

#define K_REQUIRED ((1u << K_CODE_ISSUED) - 1)
#define K_CODE ((1u << K_CODE_ISSUED) | (1u << K_CODE_SALT) | (1u << K_CODE_HASH))

void
state_hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/* Lowercase only: the module writes nothing else. */
static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
state_hex_decode(const char *s, unsigned char *out, size_t n)
{
	size_t i;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		int hi = hex_value((unsigned char)s[2 * i]);
		int lo = hex_value((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static int
is_state_name(const char *name)
{
	size_t i;

	for (i = 0; i < STATE_HEX_LEN; i++) {
		if (hex_value((unsigned char)name[i]) < 0)
			return 0;
	}
	return name[STATE_HEX_LEN] == '\0';
}

static int
user_hex(const char *user, char hex[STATE_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(user, strlen(user), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != STATE_HASH_LEN)
		return -1;
	state_hex_encode(md, STATE_HASH_LEN, hex);
	return 0;
}

/* HMAC-SHA256(key, salt || s[0..len)), len <= STATE_MAX_CODE. */
static int
keyed_hash(const unsigned char key[STATE_KEY_LEN],
	   const unsigned char salt[STATE_SALT_LEN], const char *s, size_t len,
	   unsigned char out[STATE_HASH_LEN])
{
	unsigned char in[STATE_SALT_LEN + STATE_MAX_CODE], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int ok;

	memcpy(in, salt, STATE_SALT_LEN);
	memcpy(in + STATE_SALT_LEN, s, len);
	ok = HMAC(EVP_sha256(), key, STATE_KEY_LEN, in, STATE_SALT_LEN + len, md,
		  &mdlen) != NULL && mdlen == STATE_HASH_LEN;
	if (ok)
		memcpy(out, md, STATE_HASH_LEN);
	util_wipe(in, sizeof(in));
	util_wipe(md, sizeof(md));
	return ok ? 0 : -1;
}

/* The name in a state file: bytes that would break the line or hide in it
 * (controls, space, DEL) and '%' itself are written as %xx. */
static void
encode_user(const char *user, char *out)
{
	const unsigned char *p;

	for (p = (const unsigned char *)user; *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f || *p == '%') {
			state_hex_encode(p, 1, out + 1);
			out[0] = '%';
			out += 3;
		} else {
			*out++ = (char)*p;
		}
	}
	*out = '\0';
}

static int
decode_user(const char *s, char out[STATE_MAX_USER + 1])
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		int c = (unsigned char)*s, hi, lo;

		if (c == '%') {
			hi = hex_value((unsigned char)s[1]);
			lo = hi >= 0 ? hex_value((unsigned char)s[2]) : -1;
			if (lo < 0 || (hi == 0 && lo == 0))
				return -1;
			c = hi << 4 | lo;
			s += 2;
		}
		if (n >= STATE_MAX_USER)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}

/* A non-negative decimal number, digits only, at most max. */
static int
parse_number(const char *s, long long max, long long *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
check_user(const char *user, char *err, size_t errlen)
{
	if (user == NULL || user[0] == '\0') {
		snprintf(err, errlen, "state: empty user name, refused");
		return -1;
	}
	if (strnlen(user, STATE_MAX_USER + 1) > STATE_MAX_USER) {
		snprintf(err, errlen, "state: user name longer than %d bytes, refused",
			 STATE_MAX_USER);
		return -1;
	}
	return 0;
}

/* "state file DIR/HEX (user NAME), line N: reason; remove it to reset the
 * user"; line 0 for a fault of the whole file.  Returns STATE_EINVAL. */
static int
file_error(const struct state_handle *h, unsigned line, char *err, size_t errlen,
	   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
file_error(const struct state_handle *h, unsigned line, char *err, size_t errlen,
	   const char *fmt, ...)
{
	char reason[512], who[STATE_MAX_USER + 16], where[32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	util_sanitize(reason);
	who[0] = '\0';
	if (h->user[0] != '\0') {
		snprintf(who, sizeof(who), " (user %s)", h->user);
		util_sanitize(who);
	}
	where[0] = '\0';
	if (line > 0)
		snprintf(where, sizeof(where), ", line %u", line);
	snprintf(err, errlen, "state file %s/%s%s%s: %s; remove it to reset the user",
		 h->dir, h->hex, who, where, reason);
	return STATE_EINVAL;
}

/* The name of h's user for a message: sanitized, or its file name. */
static void
user_label(const struct state_handle *h, char *out, size_t outlen)
{
	if (h->user[0] != '\0')
		util_strlcpy(out, h->user, outlen);
	else
		snprintf(out, outlen, "%s/%s", h->dir, h->hex);
	util_sanitize(out);
}

static int
open_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (dir == NULL) {
		snprintf(err, errlen, "state_dir is not set");
		return -1;
	}
	/* Everything below is opened relative to this descriptor: a
	 * directory swapped for a symlink after it was checked cannot
	 * redirect a write. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		/* O_DIRECTORY | O_NOFOLLOW on a symlink: ENOTDIR or ELOOP */
		snprintf(err, errlen, "state_dir %s: cannot open: %s", dir,
			 errno == ELOOP || errno == ENOTDIR ? "a symbolic link or "
			 "not a directory, refused" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, errlen, "state_dir %s: not a private directory of root "
			 "or uid %lu, refused", dir, (unsigned long)geteuid());
		close(fd);
		return -1;
	}
	return fd;
}

/* Takes dirfd (closed on failure). */
static int
handle_new(const char *dir, int dirfd, struct state_handle **hp)
{
	struct state_handle *h;

	*hp = NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL || (h->dir = strdup(dir)) == NULL) {
		free(h);
		if (dirfd >= 0)
			close(dirfd);
		return STATE_ENOMEM;
	}
	h->dirfd = dirfd;
	h->lockfd = -1;
	*hp = h;
	return STATE_OK;
}

/* Polled rather than blocking, so that a stuck holder costs a clear
 * error instead of a login that hangs forever. */
static int
flock_wait(struct state_handle *h, const char *name, long start, char *err,
	   size_t errlen)
{
	char label[STATE_MAX_USER + 1];
	struct timespec pause;
	long sleep_ms = 1;
	int e;

	while (flock(h->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			e = errno;
			snprintf(err, errlen, "state lock %s/%s: cannot lock: %s",
				 h->dir, name, strerror(e));
			return STATE_EINVAL;
		}
		if (util_now_ms() - start >= STATE_LOCK_WAIT_MS) {
			user_label(h, label, sizeof(label));
			snprintf(err, errlen, "state of %s is locked by another "
				 "login for too long", label);
			return STATE_EINVAL;
		}
		pause.tv_sec = 0;
		pause.tv_nsec = sleep_ms * 1000000L;
		nanosleep(&pause, NULL);
		if (sleep_ms < 16)
			sleep_ms *= 2;
	}
	return STATE_OK;
}

static int
lock_file(struct state_handle *h, char *err, size_t errlen)
{
	char name[STATE_HEX_LEN + 8];
	long start = util_now_ms();
	struct stat st, cur;
	int e, rc;

	snprintf(name, sizeof(name), "%s.lock", h->hex);
	for (;;) {
		h->lockfd = openat(h->dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW |
				   O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
		if (h->lockfd < 0) {
			e = errno;
			snprintf(err, errlen, "state lock %s/%s: cannot open: %s", h->dir,
				 name, e == ELOOP ? "a symbolic link, refused" : strerror(e));
			return e == ENOMEM ? STATE_ENOMEM : STATE_EINVAL;
		}
		if (fstat(h->lockfd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (st.st_uid != 0 && st.st_uid != geteuid())) {
			snprintf(err, errlen, "state lock %s/%s: not a regular file of "
				 "root or uid %lu, refused", h->dir, name,
				 (unsigned long)geteuid());
			return STATE_EINVAL;
		}
		rc = flock_wait(h, name, start, err, errlen);
		if (rc != STATE_OK)
			return rc;
		/* The module never removes a lock file (that would let two
		 * logins lock two different files); if someone else did, the
		 * one we locked must still be the one in the directory. */
		if (fstatat(h->dirfd, name, &cur, AT_SYMLINK_NOFOLLOW) == 0 &&
		    cur.st_dev == st.st_dev && cur.st_ino == st.st_ino)
			return STATE_OK;
		close(h->lockfd);
		h->lockfd = -1;
		if (util_now_ms() - start >= STATE_LOCK_WAIT_MS) {
			snprintf(err, errlen, "state lock %s/%s keeps being replaced",
				 h->dir, name);
			return STATE_EINVAL;
		}
	}
}

/* The whole text, before its lines: no NUL byte, not empty, a newline at
 * the end (len bytes, buf[len] writable: made the end). */
static int
check_text(const struct state_handle *h, char *buf, size_t len, char *err,
	   size_t errlen)
{
	const char *nul = memchr(buf, '\0', len), *p;
	unsigned lineno = 1;

	if (nul != NULL) {
		for (p = buf; p < nul; p++)
			lineno += *p == '\n';
		return file_error(h, lineno, err, errlen, "a NUL byte");
	}
	if (len == 0)
		return file_error(h, 1, err, errlen, "empty file");
	if (buf[len - 1] != '\n') {
		for (p = buf; p < buf + len; p++)
			lineno += *p == '\n';
		return file_error(h, lineno, err, errlen,
				  "no newline at the end (a cut-off write?)");
	}
	buf[len] = '\0';
	return STATE_OK;
}

/* The value of key k (not K_USER) on line lineno into *u. */
static int
parse_value(const struct state_handle *h, int k, const char *value,
	    unsigned lineno, struct state_user *u, char *err, size_t errlen)
{
	long long v;

	if (k == K_CODE_SALT && state_hex_decode(value, u->salt, STATE_SALT_LEN) != 0)
		return file_error(h, lineno, err, errlen, "code_salt= is not %d "
				  "lowercase hex digits", 2 * STATE_SALT_LEN);
	if (k == K_CODE_HASH && state_hex_decode(value, u->hash, STATE_HASH_LEN) != 0)
		return file_error(h, lineno, err, errlen, "code_hash= is not %d "
				  "lowercase hex digits", 2 * STATE_HASH_LEN);
	if (k == K_CODE_SALT || k == K_CODE_HASH)
		return STATE_OK;
	if (parse_number(value, k == K_SENDS || k == K_WRONG ? LONG_MAX : LLONG_MAX,
			 &v) != 0)
		return file_error(h, lineno, err, errlen, "%s= is not a "
				  "non-negative number", state_keys[k]);
	if (k == K_WINDOW_START)
		u->window_start = v;
	else if (k == K_SENDS)
		u->sends = (long)v;
	else if (k == K_LAST_SEND)
		u->last_send = v;
	else if (k == K_WRONG)
		u->wrong = (long)v;
	else if (k == K_LOCKED_UNTIL)
		u->locked_until = v;
	else
		u->code_issued = v;
	return STATE_OK;
}

/* One key=value line (not the header); *seen collects the keys. */
static int
parse_line(const struct state_handle *h, char *line, unsigned lineno,
	   unsigned *seen, struct state_user *u, char *err, size_t errlen)
{
	char *value = strchr(line, '=');
	int k;

	if (value == NULL)
		return file_error(h, lineno, err, errlen, "not key=value");
	*value++ = '\0';
	for (k = 0; k < K_COUNT && strcmp(line, state_keys[k]) != 0; k++)
		;
	if (k == K_COUNT)
		return file_error(h, lineno, err, errlen, "unknown key \"%.40s\"",
				  line);
	if ((*seen & (1u << k)) != 0)
		return file_error(h, lineno, err, errlen, "%s= given twice",
				  state_keys[k]);
	*seen |= 1u << k;
	if (k != K_USER)
		return parse_value(h, k, value, lineno, u, err, errlen);
	if (decode_user(value, u->user) != 0)
		return file_error(h, lineno, err, errlen, "user= is not a user "
				  "name of 1..%d bytes", STATE_MAX_USER);
	return STATE_OK;
}

/* After the last line (lineno): every key needed, the code's three
 * together, and the file the one of h's user. */
static int
check_parsed(const struct state_handle *h, unsigned seen, unsigned lineno,
	     unsigned user_line, int v1, struct state_user *u, char *err,
	     size_t errlen)
{
	char hex[STATE_HEX_LEN + 1];
	int k;

	for (k = 0; k < K_COUNT; k++) {
		if ((K_REQUIRED & (1u << k)) != 0 && (seen & (1u << k)) == 0)
			return file_error(h, lineno, err, errlen, "the file ends "
					  "without a %s= line", state_keys[k]);
	}
	if ((seen & K_CODE) != 0 && (seen & K_CODE) != K_CODE)
		return file_error(h, lineno, err, errlen, "code_issued=, code_salt= "
				  "and code_hash= go together");
	u->has_code = (seen & K_CODE) == K_CODE && !v1;
	if (v1) {
		util_wipe(u->salt, sizeof(u->salt));
		util_wipe(u->hash, sizeof(u->hash));
		u->code_issued = 0;
	}
	/* A stand-in slot that holds another name: that name is forgotten,
	 * this one starts afresh. */
	if (h->stand_in && strcmp(u->user, h->user) != 0) {
		memset(u, 0, sizeof(*u));
		util_strlcpy(u->user, h->user, sizeof(u->user));
		return STATE_OK;
	}
	/* A name that does not hash to the file name is a planted file (or,
	 * in theory, a SHA-256 collision): never another user's counts. */
	if (h->user[0] != '\0' ? strcmp(u->user, h->user) != 0 :
	    user_hex(u->user, hex) != 0 || strcmp(hex, h->hex) != 0)
		return file_error(h, user_line, err, errlen, "user= names another "
				  "user");
	return STATE_OK;
}

/* Parses the text of a state file (len bytes, buf[len] writable).  With
 * h->user set, the file must be that user's; without, its name must hash
 * to the file name. */
static int
parse_state(const struct state_handle *h, char *buf, size_t len,
	    struct state_user *u, char *err, size_t errlen)
{
	char *line, *next;
	unsigned seen = 0, lineno = 0, user_line = 0;
	int v1 = 0, rc;

	rc = check_text(h, buf, len, err, errlen);
	for (line = buf; rc == STATE_OK && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		lineno++;
		if (lineno > 1) {
			rc = parse_line(h, line, lineno, &seen, u, err, errlen);
			if (rc == STATE_OK && user_line == 0 && (seen & (1u << K_USER)))
				user_line = lineno;
			continue;
		}
		v1 = strcmp(line, STATE_HEADER_V1) == 0;
		if (!v1 && strcmp(line, STATE_HEADER) != 0)
			return file_error(h, 1, err, errlen, "not a pam_smsotp state "
					  "file (no \"%s\" header)", STATE_HEADER);
	}
	if (rc != STATE_OK)
		return rc;
	return check_parsed(h, seen, lineno, user_line, v1, u, err, errlen);
}

/* Reads h's state file into *u: STATE_OK, STATE_NOFILE or an error. */
/* Reads fd into buf until its end or more than STATE_MAX_SIZE bytes (of at
 * most cap); *len the bytes read.  -1 with errno on a read error. */
static ssize_t
read_some(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t r;

	for (;;) {
		r = read(fd, buf + *len, cap - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r;
		*len += (size_t)r;
		if (*len > STATE_MAX_SIZE)
			return 0;
	}
}

static int
read_state(const struct state_handle *h, struct state_user *u, char *err,
	   size_t errlen)
{
	char buf[STATE_MAX_SIZE + 2];
	struct stat st;
	size_t len = 0;
	ssize_t r;
	int fd, e, rc;

	memset(u, 0, sizeof(*u));
	/* O_NONBLOCK: a FIFO planted here must not hang a login. */
	fd = openat(h->dirfd, h->hex, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
		    O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT)
			return STATE_NOFILE;
		if (e == ENOMEM) {
			snprintf(err, errlen, "out of memory");
			return STATE_ENOMEM;
		}
		return file_error(h, 0, err, errlen, "%s", e == ELOOP ?
				  "a symbolic link, refused" : strerror(e));
	}
	if (fstat(fd, &st) != 0) {
		e = errno;
		close(fd);
		return file_error(h, 0, err, errlen, "cannot stat: %s", strerror(e));
	}
	if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		close(fd);
		return file_error(h, 0, err, errlen, "not a regular file of root or "
				  "uid %lu with mode 0600 (it is %s, uid %lu, mode "
				  "%04o), refused", (unsigned long)geteuid(),
				  S_ISREG(st.st_mode) ? "a file" : "not a file",
				  (unsigned long)st.st_uid,
				  (unsigned)(st.st_mode & 07777));
	}
	r = read_some(fd, buf, sizeof(buf) - 1, &len);
	e = errno;
	close(fd);
	if (r < 0)
		rc = file_error(h, 0, err, errlen, "cannot read: %s", strerror(e));
	else if (len > STATE_MAX_SIZE)
		rc = file_error(h, 0, err, errlen, "larger than %d bytes",
				STATE_MAX_SIZE);
	else
		rc = parse_state(h, buf, len, u, err, errlen);
	util_wipe(buf, sizeof(buf));
	if (rc != STATE_OK)
		util_wipe(u, sizeof(*u));
	return rc;
}

/* Locks and reads h's file (h->hex and h->user set).  Takes h: it is
 * freed on failure. */
static int
lock_and_read(struct state_handle *h, struct state_handle **hp,
	      struct state_user *u, char *err, size_t errlen)
{
	int rc = lock_file(h, err, errlen);

	if (rc == STATE_OK)
		rc = read_state(h, u, err, errlen);
	if (rc == STATE_NOFILE) {
		memset(u, 0, sizeof(*u));
		util_strlcpy(u->user, h->user, sizeof(u->user));
		rc = STATE_OK;
	}
	if (rc != STATE_OK) {
		if (rc == STATE_ENOMEM)
			snprintf(err, errlen, "out of memory");
		state_unlock(h);
		return rc;
	}
	*hp = h;
	return STATE_OK;
}

/* A handle for user in dir, its file not yet named. */
static int
handle_for(const char *dir, const char *user, struct state_handle **hp,
	   struct state_user *u, char *err, size_t errlen)
{
	int dirfd, rc;

	*hp = NULL;
	memset(u, 0, sizeof(*u));
	if (check_user(user, err, errlen) != 0)
		return STATE_EINVAL;
	dirfd = open_dir(dir, err, errlen);
	if (dirfd < 0)
		return STATE_EINVAL;
	rc = handle_new(dir, dirfd, hp);
	if (rc != STATE_OK) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	util_strlcpy((*hp)->user, user, sizeof((*hp)->user));
	return STATE_OK;
}

int
state_lock(const char *dir, const char *user, struct state_handle **hp,
	   struct state_user *u, char *err, size_t errlen)
{
	struct state_handle *h = NULL;
	int rc;

	*hp = NULL;
	rc = handle_for(dir, user, &h, u, err, errlen);
	if (rc != STATE_OK)
		return rc;
	if (user_hex(user, h->hex) != 0) {
		snprintf(err, errlen, "state: SHA-256 failed");
		state_unlock(h);
		return STATE_EINVAL;
	}
	return lock_and_read(h, hp, u, err, errlen);
}

int
state_stand_in_slot(const char *user, const unsigned char key[STATE_KEY_LEN],
		    unsigned *slot)
{
	static const char label[] = "stand-in slot";
	unsigned char in[sizeof(label) + STATE_MAX_USER], md[EVP_MAX_MD_SIZE];
	char cut[STATE_MAX_USER + 1];
	unsigned int mdlen = 0;
	size_t n;

	/* Any name may be tried: one longer than a user's may be is kept
	 * cut short (its slot still comes from all of it). */
	util_strlcpy(cut, user != NULL ? user : "", sizeof(cut));
	/* Keyed: nobody can pick names that share a slot with another. */
	n = strlen(cut);
	memcpy(in, label, sizeof(label));
	memcpy(in + sizeof(label), cut, n);
	if (HMAC(EVP_sha256(), key, STATE_KEY_LEN, in, sizeof(label) + n, md,
		 &mdlen) == NULL || mdlen < 4)
		return -1;
	*slot = ((unsigned)md[0] << 24 | (unsigned)md[1] << 16 |
		 (unsigned)md[2] << 8 | md[3]) % STATE_STAND_IN_SLOTS;
	util_wipe(md, sizeof(md));
	return 0;
}

int
state_lock_stand_in(const char *dir, const char *user,
		    const unsigned char key[STATE_KEY_LEN], struct state_handle **hp,
		    struct state_user *u, char *err, size_t errlen)
{
	struct state_handle *h = NULL;
	char cut[STATE_MAX_USER + 1];
	unsigned slot;
	int rc;

	*hp = NULL;
	util_strlcpy(cut, user != NULL ? user : "", sizeof(cut));
	rc = handle_for(dir, cut, &h, u, err, errlen);
	if (rc != STATE_OK)
		return rc;
	if (state_stand_in_slot(user, key, &slot) != 0) {
		snprintf(err, errlen, "state: HMAC failed");
		state_unlock(h);
		return STATE_EINVAL;
	}
	snprintf(h->hex, sizeof(h->hex), "standin-%03x", slot);
	h->stand_in = 1;
	return lock_and_read(h, hp, u, err, errlen);
}

/*
 * A file size limit (RLIMIT_FSIZE, which sudo's caller chooses) raises
 * SIGXFSZ at the write that crosses it, and its default action ends the
 * process, in the middle of a save.  Held back (blocked) while a state
 * file is written, the write fails with EFBIG instead: the save fails
 * cleanly, its temporary file removed.  A SIGXFSZ raised meanwhile is
 * taken off again; one pending before is left as it was.
 */
struct xfsz {
	int held;
	int was_pending;
	sigset_t old;
};

static void
xfsz_hold(struct xfsz *x)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGXFSZ);
	if (pthread_sigmask(SIG_BLOCK, &set, &x->old) != 0)
		return;
	x->held = 1;
	x->was_pending = sigpending(&pending) == 0 &&
		sigismember(&pending, SIGXFSZ) == 1;
}

static void
xfsz_release(struct xfsz *x)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGXFSZ);
	if (!x->was_pending && sigismember(&x->old, SIGXFSZ) != 1) {
		while (sigtimedwait(&set, NULL, &zero) == SIGXFSZ)
			;
	}
	pthread_sigmask(SIG_SETMASK, &x->old, NULL);
	x->held = 0;
}

static int
save_error(const struct state_handle *h, const char *step, int e, char *err,
	   size_t errlen)
{
	char label[STATE_MAX_USER + 1];

	user_label(h, label, sizeof(label));
	snprintf(err, errlen, "state of %s: cannot save %s/%s (%s): %s", label,
		 h->dir, h->hex, step,
		 e == ENOSPC ? "no space left on device" : strerror(e));
	return STATE_EINVAL;
}

/* The text of *u, as h's user (the name written is the one locked,
 * whatever u->user says), into buf: its length, or -1 with err. */
static int
format_state(const struct state_handle *h, const struct state_user *u,
	     char *buf, size_t bufsize, char *err, size_t errlen)
{
	char name[3 * STATE_MAX_USER + 1];
	char salt[2 * STATE_SALT_LEN + 1], hash[2 * STATE_HASH_LEN + 1];
	size_t len;
	int n;

	/* The reader refuses these: saving one would lock the user out. */
	if (u->window_start < 0 || u->sends < 0 || u->last_send < 0 ||
	    u->wrong < 0 || u->locked_until < 0 || u->code_issued < 0) {
		user_label(h, name, sizeof(name));
		snprintf(err, errlen, "state of %s: a negative count or time, not "
			 "saved", name);
		return -1;
	}
	encode_user(h->user, name);
	n = snprintf(buf, bufsize, STATE_HEADER "\nuser=%s\nwindow_start=%lld\n"
		     "sends=%ld\nlast_send=%lld\nwrong=%ld\nlocked_until=%lld\n",
		     name, u->window_start, u->sends, u->last_send, u->wrong,
		     u->locked_until);
	if (n > 0 && (size_t)n < bufsize && u->has_code) {
		state_hex_encode(u->salt, STATE_SALT_LEN, salt);
		state_hex_encode(u->hash, STATE_HASH_LEN, hash);
		len = (size_t)n;
		n = snprintf(buf + len, bufsize - len, "code_issued=%lld\n"
			     "code_salt=%s\ncode_hash=%s\n", u->code_issued, salt,
			     hash);
		n = n < 0 ? n : n + (int)len;
		util_wipe(salt, sizeof(salt));
		util_wipe(hash, sizeof(hash));
	}
	if (n < 0 || (size_t)n >= bufsize) {
		save_error(h, "format", EOVERFLOW, err, errlen);
		return -1;
	}
	return n;
}

/* Writes buf to h's temporary file, fsyncs it and renames it over h's
 * file, then fsyncs the directory.  SIGXFSZ held back meanwhile. */
static int
write_atomic(const struct state_handle *h, const char *buf, size_t len,
	     char *err, size_t errlen)
{
	char tmp[STATE_HEX_LEN + 32];
	struct xfsz xfsz;
	size_t off = 0;
	ssize_t w;
	int fd, rc = STATE_EINVAL;

	memset(&xfsz, 0, sizeof(xfsz));
	snprintf(tmp, sizeof(tmp), "%s.tmp", h->hex);
	/* Under the user's lock a file of this name can only be left over
	 * from a login that died in the middle of a save. */
	(void)unlinkat(h->dirfd, tmp, 0);
	xfsz_hold(&xfsz);
	fd = openat(h->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		save_error(h, "create", errno, err, errlen);
		goto out;
	}
	while (off < len) {
		w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			save_error(h, "write", w < 0 ? errno : EIO, err, errlen);
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0) {
		save_error(h, "fsync", errno, err, errlen);
		goto fail;
	}
	w = close(fd);
	fd = -1;
	if (w != 0) {
		save_error(h, "close", errno, err, errlen);
		goto fail;
	}
	if (renameat(h->dirfd, tmp, h->dirfd, h->hex) != 0) {
		save_error(h, "rename", errno, err, errlen);
		goto fail;
	}
	/* The rename survives a crash only once the directory is synced. */
	if (fsync(h->dirfd) != 0)
		save_error(h, "fsync of the directory", errno, err, errlen);
	else
		rc = STATE_OK;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	(void)unlinkat(h->dirfd, tmp, 0);
out:
	if (xfsz.held)
		xfsz_release(&xfsz);
	return rc;
}

int
state_save(struct state_handle *h, const struct state_user *u, char *err,
	   size_t errlen)
{
	char buf[STATE_MAX_SIZE];
	int n, rc;

	if (h == NULL || h->lockfd < 0 || u == NULL) {
		snprintf(err, errlen, "state_save: no lock held");
		return STATE_EINVAL;
	}
	n = format_state(h, u, buf, sizeof(buf), err, errlen);
	rc = n < 0 ? STATE_EINVAL : write_atomic(h, buf, (size_t)n, err, errlen);
	util_wipe(buf, sizeof(buf));
	return rc;
}

void
state_unlock(struct state_handle *h)
{
	if (h == NULL)
		return;
	/* Closing the last descriptor releases the flock. */
	if (h->lockfd >= 0)
		close(h->lockfd);
	if (h->dirfd >= 0)
		close(h->dirfd);
	free(h->dir);
	util_wipe(h, sizeof(*h));
	free(h);
}

int
state_set_code(struct state_user *u, const char *code, long long now,
	       const unsigned char key[STATE_KEY_LEN])
{
	size_t len;

	if (u == NULL || code == NULL)
		return STATE_EINVAL;
	len = strlen(code);
	if (len == 0 || len > STATE_MAX_CODE)
		return STATE_EINVAL;
	if (key == NULL || RAND_bytes(u->salt, STATE_SALT_LEN) != 1 ||
	    keyed_hash(key, u->salt, code, len, u->hash) != 0) {
		util_wipe(u->salt, STATE_SALT_LEN);
		util_wipe(u->hash, STATE_HASH_LEN);
		u->has_code = 0;
		return STATE_EINVAL;
	}
	u->has_code = 1;
	u->code_issued = now;
	return STATE_OK;
}

int
state_code_matches(const struct state_user *u, const char *answer,
		   const unsigned char key[STATE_KEY_LEN])
{
	unsigned char md[STATE_HASH_LEN];
	const char *end;
	size_t alen;
	int same;

	if (u == NULL || answer == NULL || key == NULL || !u->has_code)
		return 0;
	while (*answer != '\0' && isspace((unsigned char)*answer))
		answer++;
	end = answer + strlen(answer);
	while (end > answer && isspace((unsigned char)end[-1]))
		end--;
	alen = (size_t)(end - answer);
	/* An answer longer than any code is hashed cut short and compared
	 * all the same: its length changes the result, not the path. */
	if (keyed_hash(key, u->salt, answer, alen < STATE_MAX_CODE ? alen :
		       STATE_MAX_CODE, md) != 0)
		return 0;
	same = CRYPTO_memcmp(md, u->hash, STATE_HASH_LEN) == 0;
	same &= alen > 0 && alen <= STATE_MAX_CODE;
	util_wipe(md, sizeof(md));
	return same;
}

/* state_foreach's call of fn for the state file name in dirfd, under
 * its lock. */
static int
foreach_one(const char *dir, int dirfd, const char *name,
	    int (*fn)(const struct state_user *u, void *ud), void *ud,
	    char *err, size_t errlen)
{
	struct state_handle *h;
	struct state_user u;
	int fd, rc;

	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "state_dir %s: %s", dir, strerror(errno));
		return STATE_EINVAL;
	}
	rc = handle_new(dir, fd, &h);
	if (rc != STATE_OK) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	memcpy(h->hex, name, sizeof(h->hex));
	rc = lock_file(h, err, errlen);
	if (rc == STATE_OK)
		rc = read_state(h, &u, err, errlen);
	if (rc == STATE_OK)
		rc = fn(&u, ud);
	else if (rc == STATE_NOFILE)
		rc = STATE_OK;	/* removed since the listing */
	util_wipe(&u, sizeof(u));
	state_unlock(h);
	return rc;
}

int
state_foreach(const char *dir, int (*fn)(const struct state_user *u, void *ud),
	      void *ud, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;
	int dirfd, fd, rc = STATE_OK;

	dirfd = open_dir(dir, err, errlen);
	if (dirfd < 0)
		return STATE_EINVAL;
	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		snprintf(err, errlen, "state_dir %s: cannot list: %s", dir,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		close(dirfd);
		return errno == ENOMEM ? STATE_ENOMEM : STATE_EINVAL;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0) {
				snprintf(err, errlen, "state_dir %s: cannot list: %s",
					 dir, strerror(errno));
				rc = STATE_EINVAL;
			}
			break;
		}
		/* Lock files, temporary files and secret.key are not users. */
		if (!is_state_name(de->d_name))
			continue;
		rc = foreach_one(dir, dirfd, de->d_name, fn, ud, err, errlen);
		if (rc != STATE_OK)
			break;
	}
	closedir(d);
	close(dirfd);
	return rc;
}
