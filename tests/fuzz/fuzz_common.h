/*
 * Helpers shared by the libFuzzer harnesses: private temporary directories
 * and files.  Header-only: each harness is one translation unit plus the
 * library sources it needs (see run.sh).
 */
#ifndef SMSOTP_FUZZ_COMMON_H
#define SMSOTP_FUZZ_COMMON_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh directory of mode 0700 under $TMPDIR (or /tmp), into buf; aborts
 * on failure (a harness that cannot set up must not pass silently).  The
 * directory is removed at exit by the caller's cleanup, if any. */
static inline void
fuzz_tempdir(char *buf, size_t size)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] != '/')
		base = "/tmp";
	if ((size_t)snprintf(buf, size, "%s/smsotp-fuzz.XXXXXX", base) >= size ||
	    mkdtemp(buf) == NULL || chmod(buf, 0700) != 0) {
		perror("fuzz: mkdtemp");
		abort();
	}
}

/* Replace path with data[0..size) and mode; aborts on failure. */
static inline void
fuzz_write_file(const char *path, const uint8_t *data, size_t size, mode_t mode)
{
	int fd;
	size_t off = 0;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) != 0) {
		perror("fuzz: create");
		abort();
	}
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);

		if (w <= 0) {
			perror("fuzz: write");
			abort();
		}
		off += (size_t)w;
	}
	close(fd);
}

/* A NUL-terminated heap copy of data[0..size). */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
