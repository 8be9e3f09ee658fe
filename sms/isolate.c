/*
 * sms/isolate: HTTP sends run in a child process.
 *
 * Why a child: the module runs inside sshd, sudo, su and display managers.
 * libcurl and OpenSSL read the environment (proxies, CA bundles,
 * SSLKEYLOGFILE) and keep global state; sudo's caller owns that
 * environment.  In a child the environment is cleared before libcurl is
 * loaded, nothing global is left in the host (libcurl is never even
 * mapped there, see curl.c), a crash in the TLS stack costs one failed
 * send instead of the host, and a hard kill bounds the time whatever
 * libcurl does.
 *
 * Why ahead of time: loading libcurl and its dependencies is most of what
 * a send costs besides the network.  sms_sender_start() forks the child
 * before the message exists; it loads libcurl while the module locks the
 * user's state, draws the code and writes it down, and the message then
 * goes to it over a socket.  Without a started child (the admin tool, a
 * resend, a child that died), each send forks one of its own.
 *
 * The child serves requests until its socket closes: the provider's index
 * in the list it was forked with (so no configuration crosses the socket),
 * then the number, the text and the secret; it answers with struct wire.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../util/util.h"
#include "http.h"
#include "isolate.h"

/* How long a child waits for a request before it ends by itself: beyond
 * anything the module does between starting it and sending (the state
 * lock waits 10 s at most). */
#define IDLE_LIMIT_MS 60000L
/* Bounds on a request, checked by the child. */
#define PHONE_MAX_LEN 64u
#define TEXT_MAX_LEN (1u << 22)
#define SECRET_MAX_LEN 256u
#define NO_SECRET UINT32_MAX

static int isolation = 1;

void
sms_set_isolation(int on)
{
	isolation = on;
}

struct sms_sender {
	struct sms_provider *const *list;
	size_t n;
	const struct smsotp_log *log;
	pid_t pid;		/* 0: none, or reaped */
	int fd;			/* our end of the socket, -1: closed */
	int asked;		/* a request went to it */
};

struct request {
	uint32_t index;		/* into the list the child was forked with */
	uint32_t phone_len;
	uint32_t text_len;
	uint32_t secret_len;	/* NO_SECRET: none */
};

/* What the child tells the parent: the whole sms_result but its pointer. */
struct wire {
	int rc;
	int left;
	long status;
	char error[sizeof(((struct sms_result *)0)->error)];
};

/* Waits for fd to be ready for events until deadline: 1, or 0 when time
 * ran out or the wait failed. */
static int
wait_fd(int fd, short events, long deadline)
{
	for (;;) {
		struct pollfd pfd = { fd, events, 0 };
		long left = deadline - util_now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		return r > 0;
	}
}

/* All of buf, before deadline: 0, or -1. */
static int
write_all(int fd, const void *buf, size_t len, long deadline)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n;

		if (!wait_fd(fd, POLLOUT, deadline))
			return -1;
		/* MSG_NOSIGNAL: a child gone must not raise SIGPIPE in the
		 * host */
		n = send(fd, (const char *)buf + off, len - off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* All of buf, before deadline: 0, or -1 (end of stream, error, time). */
static int
read_all(int fd, void *buf, size_t len, long deadline, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t n;

		if (!wait_fd(fd, POLLIN, deadline))
			return -1;
		n = recv(fd, (char *)buf + *got, len - *got, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		*got += (size_t)n;
	}
	return 0;
}

/* One string of a request into a fresh buffer, NUL-terminated. */
static char *
read_string(int fd, uint32_t len, long deadline)
{
	char *s = malloc((size_t)len + 1);
	size_t got;

	if (s == NULL)
		return NULL;
	if (read_all(fd, s, len, deadline, &got) != 0 ||
	    memchr(s, '\0', len) != NULL) {
		util_wipe(s, got);
		free(s);
		return NULL;
	}
	s[len] = '\0';
	return s;
}

/* The http type and every vendor preset: what the child may send. */
static int
speaks_http(const struct sms_provider *p)
{
	return p != NULL && p->type != SMS_TYPE_NONE && p->type != SMS_TYPE_FILE &&
		p->type != SMS_TYPE_COMMAND && p->type != SMS_TYPE_COUNT;
}

/* One request, read and sent, its answer written back: 0, or -1 when
 * the socket closed, a request was not valid, or the answer could not be
 * written (the child ends then). */
static int
serve_one(const struct sms_sender *s, int fd)
{
	struct request rq;
	struct sms_message m;
	struct sms_result res;
	struct wire w;
	char *phone = NULL, *text = NULL, *secret = NULL;
	long deadline = util_now_ms() + IDLE_LIMIT_MS;
	size_t got;
	int ok;

	if (read_all(fd, &rq, sizeof(rq), deadline, &got) != 0)
		return -1;
	ok = rq.index < s->n && speaks_http(s->list[rq.index]) &&
		rq.phone_len <= PHONE_MAX_LEN &&
		rq.text_len <= TEXT_MAX_LEN &&
		(rq.secret_len <= SECRET_MAX_LEN || rq.secret_len == NO_SECRET);
	if (ok)
		ok = (phone = read_string(fd, rq.phone_len, deadline)) != NULL &&
			(text = read_string(fd, rq.text_len, deadline)) != NULL &&
			(rq.secret_len == NO_SECRET ||
			 (secret = read_string(fd, rq.secret_len, deadline)) != NULL);
	if (ok) {
		m.phone = phone;
		m.text = text;
		m.secret = secret;
		memset(&res, 0, sizeof(res));
		memset(&w, 0, sizeof(w));
		w.rc = sms_http_send(s->list[rq.index], &m, s->log, &res);
		w.left = res.left;
		w.status = res.status;
		util_strlcpy(w.error, res.error, sizeof(w.error));
	}
	util_free_secret(phone);
	util_free_secret(text);
	util_free_secret(secret);
	if (!ok)
		return -1;
	return write_all(fd, &w, sizeof(w), util_now_ms() + IDLE_LIMIT_MS);
}

/* The child: requests until the socket closes; never returns. */
static void
serve(const struct sms_sender *s, int fd, int warm)
{
	/* Root's ids (sudo's caller may no longer signal or stop this
	 * process) and sane resource limits, whatever the caller set. */
	util_child_harden();
	/* Nothing of the caller's environment reaches libcurl or OpenSSL.
	 * One variable is set: GnuTLS, which libcurl's RTMP support pulls
	 * in and which never runs here (only http and https are allowed),
	 * then skips its set-up at load. */
	clearenv();
	/* NOLINTNEXTLINE(cert-err33-c): a failure only costs time */
	setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 1);
	/* NOLINTNEXTLINE(cert-err33-c): cannot fail for SIGPIPE */
	signal(SIGPIPE, SIG_DFL);
	if (warm) {
		char err[256];

		/* A failure here is met again, and told, by the send. */
		(void)sms_curl_load(err, sizeof(err));
	}
	while (serve_one(s, fd) == 0)
		;
	/* _exit: the host's atexit handlers and stdio buffers are not ours. */
	_exit(0);
}

/* Forks the child of s: 0, or -1 with s unchanged. */
static int
spawn(struct sms_sender *s, int warm)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(sv[0]);
		close(sv[1]);
		errno = e;
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		serve(s, sv[1], warm);
	}
	close(sv[1]);
	s->pid = pid;
	s->fd = sv[0];
	s->asked = 0;
	return 0;
}

/* A pidfd for pid, -1 where the kernel (before 5.3) or the C library has
 * none: through the system call, as glibc has a wrapper only since 2.36. */
static int
pid_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* SIGKILL through a pidfd: 0, or -1. */
static int
pid_kill(int pidfd)
{
#ifdef SYS_pidfd_send_signal
	return (int)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
#else
	(void)pidfd;
	errno = ENOSYS;
	return -1;
#endif
}

/* The child has ended (a zombie now), or wait_ms passed: 1, or 0. */
static int
ended(pid_t pid, int pidfd, long wait_ms)
{
	long deadline = util_now_ms() + wait_ms;
	siginfo_t si;

	if (pidfd >= 0)
		return wait_fd(pidfd, POLLIN, deadline);
	/* no pidfd (kernel before 5.3): look in short steps */
	for (;;) {
		struct timespec ts = { 0, 200 * 1000 };

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
			return errno != EINTR;
		if (si.si_pid == pid)
			return 1;
		if (util_now_ms() >= deadline)
			return 0;
		nanosleep(&ts, NULL);
	}
}

/*
 * Ends the child of s: its socket closed, it ends by itself, and it is
 * reaped, waiting up to wait_ms; one never asked, or still running after
 * that, is killed.  A host whose SIGCHLD handler reaps children makes
 * waitpid fail with ECHILD: the child is gone then and must not be
 * signalled (its PID may be reused).  While waitpid finds it running it
 * is still ours, and so is a pidfd opened then, through which it is
 * waited for and killed.
 */
static void
stop(struct sms_sender *s, long wait_ms)
{
	int status, pidfd;
	pid_t r;

	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	if (s->pid <= 0)
		return;
	while ((r = waitpid(s->pid, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r != 0) {		/* reaped, or reaped by the host */
		s->pid = 0;
		return;
	}
	pidfd = pid_open(s->pid);
	if (!s->asked || !ended(s->pid, pidfd, wait_ms)) {
		/* through the pidfd when there is one: a failure there
		 * means the child is gone, and its PID may be another's */
		if (pidfd >= 0)
			(void)pid_kill(pidfd);
		else
			kill(s->pid, SIGKILL);
	}
	while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
	s->pid = 0;
}

/*
 * One request to the child of s.  *delivered is 0 when the request did not
 * reach it whole: the child never acted on it and another may take it.  A
 * child that does not answer in time is killed.
 */
static int
ask(struct sms_sender *s, size_t index, const struct sms_message *m,
    struct sms_result *res, long limit_ms, int *delivered)
{
	struct request rq;
	struct wire w;
	long deadline = util_now_ms() + limit_ms;
	size_t got = 0, plen = strlen(m->phone), tlen = strlen(m->text),
		slen = m->secret != NULL ? strlen(m->secret) : 0;
	int rc;

	/* no child takes this one: no other may be asked either */
	*delivered = 1;
	res->left = 0;
	if (plen > PHONE_MAX_LEN || tlen > TEXT_MAX_LEN || slen > SECRET_MAX_LEN) {
		util_strlcpy(res->error, "message too long", sizeof(res->error));
		return SMS_FAILED;
	}
	*delivered = 0;
	rq.index = (uint32_t)index;
	rq.phone_len = (uint32_t)plen;
	rq.text_len = (uint32_t)tlen;
	rq.secret_len = m->secret != NULL ? (uint32_t)slen : NO_SECRET;
	s->asked = 1;
	if (write_all(s->fd, &rq, sizeof(rq), deadline) != 0 ||
	    write_all(s->fd, m->phone, plen, deadline) != 0 ||
	    write_all(s->fd, m->text, tlen, deadline) != 0 ||
	    (m->secret != NULL &&
	     write_all(s->fd, m->secret, slen, deadline) != 0)) {
		util_strlcpy(res->error, "the send process took no request",
			     sizeof(res->error));
		return SMS_FAILED;
	}
	*delivered = 1;
	/* From here the request may leave at any time. */
	res->left = 1;
	memset(&w, 0, sizeof(w));
	if (read_all(s->fd, &w, sizeof(w), deadline, &got) != 0) {
		/* Killed, stopped, crashed or out of time: no provider's
		 * verdict, and the message may be out. */
		util_strlcpy(res->error, got == 0 && util_now_ms() >= deadline ?
			     "no answer within the timeout, send stopped" :
			     "the send process ended without a result",
			     sizeof(res->error));
		stop(s, 0);
		return SMS_EBROKEN;
	}
	rc = w.rc;
	res->left = w.left != 0;
	res->status = w.status;
	w.error[sizeof(w.error) - 1] = '\0';
	util_strlcpy(res->error, w.error, sizeof(res->error));
	util_wipe(&w, sizeof(w));
	/* Anything but the three known answers is a broken send. */
	if (rc != SMS_OK && rc != SMS_ENOMEM && rc != SMS_FAILED) {
		res->left = 1;
		return SMS_EBROKEN;
	}
	return rc;
}

struct sms_sender *
sms_sender_start(struct sms_provider *const *list, size_t n,
		 const struct smsotp_log *log)
{
	struct sms_sender *s;
	size_t i;

	if (!isolation || list == NULL)
		return NULL;
	for (i = 0; i < n && !speaks_http(list[i]); i++)
		;
	if (i == n)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->list = list;
	s->n = n;
	s->log = log;
	s->fd = -1;
	if (spawn(s, 1) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

pid_t
sms_sender_pid(const struct sms_sender *s)
{
	return s != NULL ? s->pid : 0;
}

void
sms_sender_done(struct sms_sender *s)
{
	if (s != NULL && s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
}

void
sms_sender_end(struct sms_sender *s)
{
	if (s == NULL)
		return;
	stop(s, 1000);
	free(s);
}

int
sms_isolated(struct sms_sender *warm, const struct sms_provider *p,
	     const struct sms_message *m, const struct smsotp_log *log,
	     struct sms_result *res, long limit_ms)
{
	struct sms_provider *one[1];
	struct sms_sender cold;
	size_t i;
	int rc, delivered;

	if (!isolation)
		return sms_http_send(p, m, log, res);
	for (i = 0; warm != NULL && warm->fd >= 0 && i < warm->n; i++) {
		if (warm->list[i] != p)
			continue;
		rc = ask(warm, i, m, res, limit_ms, &delivered);
		if (delivered)
			return rc;
		/* it never took the request: another child may */
		stop(warm, 0);
		break;
	}
	memset(&cold, 0, sizeof(cold));
	one[0] = (struct sms_provider *)(uintptr_t)p;
	cold.list = one;
	cold.n = 1;
	cold.log = log;
	cold.fd = -1;
	if (spawn(&cold, 0) != 0) {
		/* a process limit, no descriptors left: nothing left, and
		 * no provider said no */
		util_strlcpy(res->error, "cannot start the send process",
			     sizeof(res->error));
		res->left = 0;
		return errno == ENOMEM ? SMS_ENOMEM : SMS_EBROKEN;
	}
	rc = ask(&cold, 0, m, res, limit_ms, &delivered);
	stop(&cold, 1000);
	return rc;
}
