/*
 * util: small helpers shared by every part of pam_smsotp and its admin
 * tool: a logging sink that knows nothing of PAM, opening files that hold
 * secrets with trust checks, and wiping memory that held a secret.
 */
#ifndef SMSOTP_UTIL_H
#define SMSOTP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>

/*
 * Where messages go.  The module routes them to pam_vsyslog, the admin tool
 * and the unit tests to stderr or a buffer.  A NULL sink or a NULL fn drops
 * messages.  Debug messages (LOG_DEBUG) are only passed on when debug != 0.
 */
struct smsotp_log {
	void (*fn)(void *ud, int priority, const char *fmt, va_list ap);
	void *ud;
	int debug;
};

void smsotp_logf(const struct smsotp_log *log, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Trust policies for util_read_trusted(). */
#define UTIL_TRUST_PRIVATE 0	/* no group or other permission bits at all */
#define UTIL_TRUST_READABLE 1	/* group/other may read, never write */

/*
 * Read a whole file that the module trusts.  The file must be a regular file
 * (a symlink is refused: O_NOFOLLOW), owned by root or by the effective uid,
 * with no group/other bits beyond what the policy allows, and at most
 * maxsize bytes.  On success *buf is a NUL-terminated heap copy (wipe it
 * with util_free_secret) and *len its length; returns 0.  On failure returns
 * -1 with errno set (ENOMEM for out of memory) and a one-line reason naming
 * the path in err.
 */
int util_read_trusted(const char *path, int policy, size_t maxsize,
		      char **buf, size_t *len, char *err, size_t errlen);

/* Overwrite n bytes in a way the compiler cannot drop. */
void util_wipe(void *p, size_t n);

/* Wipe a NUL-terminated string, then free it.  NULL is fine. */
void util_free_secret(char *s);

/* Replace control characters (< 0x20, 0x7f) in place by '?', so that a
 * value from the network or a user cannot forge log lines or messages. */
void util_sanitize(char *s);

/* Look user up in the system's accounts (getpwnam_r).  Returns 1 with
 * *name (the account's own name) and *gecos (its GECOS field, maybe ""),
 * heap copies the caller frees; 0 when there is no such user; -1 when the
 * lookup itself failed (errno: ENOMEM, or the name service's error), which
 * callers must not take for "no such user". */
int util_getpw(const char *user, char **name, char **gecos);

/* Copy src into dst (size dstsize), always NUL-terminated; returns the
 * length of src, so truncation shows as a result >= dstsize. */
size_t util_strlcpy(char *dst, const char *src, size_t dstsize);

#endif
