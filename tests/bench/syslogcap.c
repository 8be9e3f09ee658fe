/* syslogcap.c: preloaded into pamtester by the PostgreSQL part of the
 * bench (pgbench.py) for the logins at once, which run without pam_wrapper
 * (and on a machine that may have no /dev/log): every syslog message of
 * the login (libpam's pam_syslog, the module's own) is appended as one
 * line "PRIORITY MESSAGE" to the file named by SMSOTP_BENCH_SYSLOG, so
 * that the bench can say why a login failed.  The name is read once, at
 * load (the module's send process clears its environment). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static char out[4096];

__attribute__((constructor)) static void
init(void)
{
	const char *o = getenv("SMSOTP_BENCH_SYSLOG");

	if (o != NULL && strlen(o) < sizeof(out))
		strcpy(out, o);
}

void
vsyslog(int pri, const char *fmt, va_list ap)
{
	char line[2048];
	int n, fd;

	if (out[0] == '\0')
		return;
	n = snprintf(line, sizeof(line), "%d ", LOG_PRI(pri));
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	fd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		/* one write: lines of processes at once do not mix */
		if (write(fd, line, (size_t)n) < 0)
			(void)0;
		close(fd);
	}
}

void
syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}

void
__vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	vsyslog(pri, fmt, ap);
}

void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}
