/*
 * What more than one unit test needs; included after the system headers
 * and cmocka.h.  Functions are static inline: a test that does not use
 * one gets no warning.
 */
#ifndef SMSOTP_TESTLIB_H
#define SMSOTP_TESTLIB_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../util/util.h"	/* util_now_ms() for timings */

/* Writes a /bin/sh program to path: body, with every "%D" replaced by
 * folder; mode 0700. */
static inline void
write_script(const char *path, const char *folder, const char *body)
{
	const char *s;
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("#!/bin/sh\n", f);
	for (s = body; *s != '\0'; s++) {
		if (s[0] == '%' && s[1] == 'D') {
			fputs(folder, f);
			s++;
		} else {
			fputc(*s, f);
		}
	}
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0700), 0);
}

/* Removes a test's folder (from mkdtemp: no quote in its name) and all in
 * it; for a teardown: 0, or -1. */
static inline int
remove_dir(const char *folder)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", folder);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs fn(arg) in a child process, for a test that changes what is the
 * whole process's (resource limits, ids, fds); fn's result is the child's
 * exit status, which must be 0. */
static inline void
in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(arg));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Is pid gone (or a zombie nobody has collected yet)?  Waits up to 2 s. */
static inline int
gone(pid_t pid)
{
	char path[64], buf[512], *rp;
	ssize_t n;
	int i, fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	for (i = 0; i < 200; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 1;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return 1;
		buf[n] = '\0';
		rp = strrchr(buf, ')');
		if (rp != NULL && (rp[2] == 'Z' || rp[2] == 'X'))
			return 1;
		usleep(10000);
	}
	return 0;
}

#ifdef TESTLIB_LOG
/* A log sink that keeps everything, to look for leaks of secrets (only in
 * the tests that define TESTLIB_LOG: it is data, not inline code). */
#include <stdarg.h>

static char logbuf[16384];

static void __attribute__((format(printf, 3, 0)))
log_keep(void *ud, int priority, const char *fmt, va_list ap)
{
	size_t n = strlen(logbuf);

	(void)ud;
	if (n + 8 >= sizeof(logbuf))
		return;
	n += (size_t)snprintf(logbuf + n, sizeof(logbuf) - n, "<%d>", priority);
	vsnprintf(logbuf + n, sizeof(logbuf) - n, fmt, ap);
	n = strlen(logbuf);
	if (n + 1 < sizeof(logbuf)) {
		logbuf[n] = '\n';
		logbuf[n + 1] = '\0';
	}
}

static const struct smsotp_log test_log = { log_keep, NULL, 1 };
#endif

#endif
