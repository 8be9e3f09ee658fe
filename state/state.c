/*
 * state: the state directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "../util/util.h"
#include "state.h"

int
state_dir_prepare(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (dir == NULL || dir[0] != '/') {
		snprintf(err, errlen, "state_dir %s: not an absolute path",
			 dir != NULL ? dir : "(null)");
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "state_dir %s: cannot create: %s", dir,
			 strerror(errno));
		return -1;
	}
	/* lstat: a symlink planted in place of the directory is refused. */
	if (lstat(dir, &st) != 0) {
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
state_secret(const char *dir, unsigned char key[STATE_SECRET_LEN], char *err,
	     size_t errlen)
{
	char path[4096], *buf = NULL;
	size_t len = 0;
	int fd, tries;

	if (snprintf(path, sizeof(path), "%s/secret.key", dir) >= (int)sizeof(path)) {
		snprintf(err, errlen, "state_dir %s: path too long", dir);
		return -1;
	}
	for (tries = 0; tries < 3; tries++) {
		ssize_t w;

		if (util_read_trusted(path, UTIL_TRUST_PRIVATE, STATE_SECRET_LEN, &buf,
				      &len, err, errlen) == 0) {
			if (len != STATE_SECRET_LEN) {
				snprintf(err, errlen, "%s: not %d bytes, refused (remove "
					 "it to make a new one)", path, STATE_SECRET_LEN);
				util_wipe(buf, len);
				free(buf);
				return -1;
			}
			memcpy(key, buf, STATE_SECRET_LEN);
			util_wipe(buf, len);
			free(buf);
			return 0;
		}
		if (access(path, F_OK) == 0 || errno != ENOENT)
			return -1;
		/* O_EXCL: of two first logins, one writes and both read it.
		 * Written in a temporary name and linked in whole, so nobody
		 * reads a short key. */
		if (RAND_bytes(key, STATE_SECRET_LEN) != 1) {
			snprintf(err, errlen, "the random number generator failed");
			return -1;
		}
		{
			char tmp[4096 + 16];

			snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				  0600);
			if (fd < 0) {
				snprintf(err, errlen, "%s: cannot create: %s", tmp,
					 strerror(errno));
				util_wipe(key, STATE_SECRET_LEN);
				return -1;
			}
			w = write(fd, key, STATE_SECRET_LEN);
			if (w != STATE_SECRET_LEN || fsync(fd) != 0) {
				close(fd);
				unlink(tmp);
				snprintf(err, errlen, "%s: cannot write", tmp);
				util_wipe(key, STATE_SECRET_LEN);
				return -1;
			}
			close(fd);
			if (link(tmp, path) != 0 && errno != EEXIST) {
				snprintf(err, errlen, "%s: cannot create: %s", path,
					 strerror(errno));
				unlink(tmp);
				util_wipe(key, STATE_SECRET_LEN);
				return -1;
			}
			unlink(tmp);
			util_wipe(key, STATE_SECRET_LEN);
		}
	}
	snprintf(err, errlen, "%s: cannot be read or created", path);
	return -1;
}
