/*
 * util: logging sink, trusted file reading, wiping.
 */
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

void
smsotp_logf(const struct smsotp_log *log, int priority, const char *fmt, ...)
{
	va_list ap;

	if (log == NULL || log->fn == NULL)
		return;
	if (priority == LOG_DEBUG && !log->debug)
		return;
	va_start(ap, fmt);
	log->fn(log->ud, priority, fmt, ap);
	va_end(ap);
}

void
util_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void
util_free_secret(char *s)
{
	if (s == NULL)
		return;
	util_wipe(s, strlen(s));
	free(s);
}

void
util_sanitize(char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			*s = '?';
	}
}

size_t
util_strlcpy(char *dst, const char *src, size_t dstsize)
{
	size_t len = strlen(src);

	if (dstsize > 0) {
		size_t n = len < dstsize - 1 ? len : dstsize - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/* Reads fd to the end, at most maxsize bytes. */
static int
read_all(int fd, size_t maxsize, char **buf, size_t *len)
{
	size_t cap = 4096, used = 0;
	char *b = malloc(cap);

	if (b == NULL)
		return -1;
	for (;;) {
		ssize_t r;

		if (used + 1 >= cap) {
			char *nb;

			if (cap > maxsize) {
				util_wipe(b, used);
				free(b);
				errno = EFBIG;
				return -1;
			}
			nb = malloc(cap * 2);
			if (nb == NULL) {
				util_wipe(b, used);
				free(b);
				errno = ENOMEM;
				return -1;
			}
			memcpy(nb, b, used);
			util_wipe(b, used);
			free(b);
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + used, cap - used - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			util_wipe(b, used);
			free(b);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		used += (size_t)r;
		if (used > maxsize) {
			util_wipe(b, used);
			free(b);
			errno = EFBIG;
			return -1;
		}
	}
	b[used] = '\0';
	*buf = b;
	*len = used;
	return 0;
}

int
util_read_trusted(const char *path, int policy, size_t maxsize,
		  char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	mode_t forbidden;
	int fd, e;

	*buf = NULL;
	*len = 0;
	if (path == NULL || path[0] != '/') {
		snprintf(err, errlen, "%s: not an absolute path",
			 path != NULL ? path : "(null)");
		errno = EINVAL;
		return -1;
	}
	/* O_NOFOLLOW: a symlink would let whoever owns its directory choose
	 * what the module trusts.  O_NONBLOCK: a FIFO must not hang a login. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		if (e == ELOOP)
			snprintf(err, errlen, "%s: is a symbolic link, refused", path);
		else
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
		errno = e == ENOMEM ? ENOMEM : EACCES;
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		e = errno;
		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(e));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file, refused", path);
		goto fail;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %lu, not root or uid %lu, refused",
			 path, (unsigned long)st.st_uid, (unsigned long)geteuid());
		goto fail;
	}
	forbidden = policy == UTIL_TRUST_READABLE ? (S_IWGRP | S_IWOTH | S_IXGRP | S_IXOTH)
		: (S_IRWXG | S_IRWXO);
	if ((st.st_mode & forbidden) != 0) {
		snprintf(err, errlen, "%s: mode %04o gives group or others access, refused "
			 "(chmod %s)", path, (unsigned)(st.st_mode & 07777),
			 policy == UTIL_TRUST_READABLE ? "go-wx" : "600");
		goto fail;
	}
	if ((size_t)st.st_size > maxsize) {
		snprintf(err, errlen, "%s: larger than %zu bytes, refused", path, maxsize);
		goto fail;
	}
	if (read_all(fd, maxsize, buf, len) != 0) {
		e = errno;
		if (e == EFBIG)
			snprintf(err, errlen, "%s: larger than %zu bytes, refused", path, maxsize);
		else
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
		close(fd);
		errno = e == ENOMEM ? ENOMEM : EACCES;
		return -1;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	errno = EACCES;
	return -1;
}

int
util_getpw(const char *user, char **name, char **gecos)
{
	struct passwd pw, *found = NULL;
	long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t size = hint > 0 ? (size_t)hint : 4096;
	char *buf = NULL;
	int e;

	*name = NULL;
	*gecos = NULL;
	for (;;) {
		char *nb = realloc(buf, size);

		if (nb == NULL) {
			free(buf);
			errno = ENOMEM;
			return -1;
		}
		buf = nb;
		e = getpwnam_r(user, &pw, buf, size, &found);
		if (e != ERANGE || size >= 1024 * 1024)
			break;
		size *= 2;
	}
	if (found == NULL) {
		free(buf);
		/* getpwnam_r(3): these mean "not found" on some services */
		if (e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM)
			return 0;
		errno = e;
		return -1;
	}
	*name = strdup(pw.pw_name);
	*gecos = strdup(pw.pw_gecos != NULL ? pw.pw_gecos : "");
	free(buf);
	if (*name == NULL || *gecos == NULL) {
		free(*name);
		free(*gecos);
		*name = NULL;
		*gecos = NULL;
		errno = ENOMEM;
		return -1;
	}
	return 1;
}
