/*
 * state: the state directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
