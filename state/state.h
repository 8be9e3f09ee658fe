/*
 * state: what the module keeps across logins, under limits.state_dir.
 */
#ifndef SMSOTP_STATE_H
#define SMSOTP_STATE_H

#include <stddef.h>

/* Make sure dir exists as a directory owned by root or the effective uid
 * with mode 0700 (created so when missing; an existing one with group or
 * other bits, another owner or a symlink is refused).  Returns 0, or -1
 * with a reason in err. */
int state_dir_prepare(const char *dir, char *err, size_t errlen);

#define STATE_SECRET_LEN 32

/* A random secret of this host, kept in dir/secret.key (0600, created on
 * first use), for values that must be stable but unguessable.  Returns 0,
 * or -1 with a reason in err. */
int state_secret(const char *dir, unsigned char key[STATE_SECRET_LEN],
		 char *err, size_t errlen);

#endif
