/*
 * sms/isolate: each HTTP send runs in a child process of its own.
 *
 * Why a child: the module runs inside sshd, sudo, su and display managers.
 * libcurl and OpenSSL read the environment (proxies, CA bundles,
 * SSLKEYLOGFILE) and keep global state; sudo's caller owns that
 * environment.  In a child the environment is cleared before libcurl is
 * touched, nothing global is left in the host (no curl_global_init, no
 * cleanup that would break another libcurl user), a crash in the TLS stack
 * costs one failed send instead of the host, and a hard kill bounds the
 * time whatever libcurl does.  The cost is one fork per SMS, small against
 * a TLS handshake over the network.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../util/util.h"
#include "isolate.h"

static int isolation = 1;

void
sms_set_isolation(int on)
{
	isolation = on;
}

/* What the child tells the parent: the whole sms_result but its pointer. */
struct wire {
	int rc;
	long status;
	char error[sizeof(((struct sms_result *)0)->error)];
};

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
child(sms_send_fn fn, const struct sms_provider *p, const struct sms_message *m,
      const struct smsotp_log *log, int fd)
{
	struct sms_result res;
	struct wire w;
	size_t off = 0;

	/* Nothing of the caller's environment reaches libcurl or OpenSSL. */
	clearenv();
	/* NOLINTNEXTLINE(cert-err33-c): cannot fail for SIGPIPE */
	signal(SIGPIPE, SIG_DFL);
	memset(&res, 0, sizeof(res));
	memset(&w, 0, sizeof(w));
	w.rc = fn(p, m, log, &res);
	w.status = res.status;
	util_strlcpy(w.error, res.error, sizeof(w.error));
	while (off < sizeof(w)) {
		ssize_t n = write(fd, (char *)&w + off, sizeof(w) - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	/* _exit: the host's atexit handlers and stdio buffers are not ours. */
	_exit(0);
}

/* Reaps the child; kills it first when it still runs.  A host whose
 * SIGCHLD handler reaps children makes waitpid fail with ECHILD: then the
 * child is gone and must not be signalled (its PID may be reused). */
static void
reap(pid_t pid)
{
	int status, i;

	/* The child exits right after its answer: poll in short steps (up
	 * to 1 s) so that a login does not wait longer than it takes. */
	for (i = 0; i < 2000; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return;
		if (r == 0) {
			struct timespec ts = { 0, 500 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

int
sms_isolated(sms_send_fn fn, const struct sms_provider *p,
	     const struct sms_message *m, const struct smsotp_log *log,
	     struct sms_result *res, long limit_ms)
{
	struct wire w;
	size_t got = 0;
	long deadline;
	int fds[2], rc;
	pid_t pid;

	if (!isolation)
		return fn(p, m, log, res);
	if (pipe2(fds, O_CLOEXEC) != 0) {
		util_strlcpy(res->error, "cannot create a pipe", sizeof(res->error));
		return errno == ENOMEM ? SMS_ENOMEM : SMS_FAILED;
	}
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		util_strlcpy(res->error, "cannot fork", sizeof(res->error));
		return SMS_FAILED;
	}
	if (pid == 0) {
		close(fds[0]);
		child(fn, p, m, log, fds[1]);
	}
	close(fds[1]);
	memset(&w, 0, sizeof(w));
	deadline = now_ms() + limit_ms;
	while (got < sizeof(w)) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		long left = deadline - now_ms();
		ssize_t n;
		int r;

		if (left <= 0)
			break;
		r = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n = read(fds[0], (char *)&w + got, sizeof(w) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	reap(pid);
	if (got != sizeof(w)) {
		/* Killed, crashed or out of time: fail closed. */
		util_strlcpy(res->error, got == 0 && now_ms() >= deadline ?
			     "no answer within the timeout, send stopped" :
			     "the send process ended without a result",
			     sizeof(res->error));
		return SMS_FAILED;
	}
	rc = w.rc;
	res->status = w.status;
	w.error[sizeof(w.error) - 1] = '\0';
	util_strlcpy(res->error, w.error, sizeof(res->error));
	util_wipe(&w, sizeof(w));
	/* Anything but the three known answers is a failure. */
	if (rc != SMS_OK && rc != SMS_ENOMEM)
		return SMS_FAILED;
	return rc;
}
