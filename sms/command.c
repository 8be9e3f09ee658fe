/*
 * sms/command: the command provider.  Runs an administrator's program (a
 * GSM modem tool such as gammu-smsd-inject or smstools, an in-house
 * gateway client) with argv templates, no shell, a fixed environment and
 * the message on its stdin; exit status 0 within `timeout` means accepted.
 *
 * The module lives inside sshd, sudo or a display manager: the child is
 * started with fork and execve and nothing between them but async-signal-
 * safe calls, the host's signal dispositions are never changed, and every
 * fd, process and byte of the program's output is accounted for before
 * returning.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../template/template.h"
#include "provider.h"
#include "sms.h"

#define CMD_MAX_ARGS 32
/* What is kept of the program's stdout and stderr for the error excerpt;
 * the rest is read and dropped so that the program never blocks on a full
 * pipe. */
#define CMD_MAX_OUTPUT 4096
/* The fd-closing loop's bound when close_range() is missing: a login
 * process does not hold fds beyond it, and RLIMIT_NOFILE may be 2^30. */
#define CMD_MAX_FD_LOOP 65536

/* The only environment the program gets: the caller of sudo controls
 * sudo's environment (LD_PRELOAD, proxies, IFS, ...). */
static char cmd_env_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
static char cmd_env_lang[] = "LANG=C.UTF-8";
static char *const cmd_envp[] = { cmd_env_path, cmd_env_lang, NULL };

/* What the child reports through the status pipe when it cannot run the
 * program: the step and its errno, in one write. */
enum cmd_step {
	CMD_STEP_SETUP = 1,	/* fds, process group, directory */
	CMD_STEP_EXEC		/* execve itself */
};

static int
cmd_has_ctl(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 1;
	}
	return 0;
}

int
sms_command_check(const struct sms_provider *p, char *err, size_t errlen)
{
	char why[200];
	size_t i;

	if (p->argv == NULL || p->n_argv == 0) {
		snprintf(err, errlen, "argv is required: an array with the "
			 "program's absolute path first");
		return -1;
	}
	if (p->n_argv > CMD_MAX_ARGS) {
		snprintf(err, errlen, "argv has more than %d items",
			 CMD_MAX_ARGS);
		return -1;
	}
	for (i = 0; i < p->n_argv; i++) {
		if (p->argv[i] == NULL) {
			snprintf(err, errlen, "argv[%zu] is missing", i);
			return -1;
		}
	}
	/* The program is named as is: no placeholder (a number or a text
	 * must never choose what runs) and no PATH search.  It is not
	 * looked at here: `smsotp check` may run on another host. */
	if (p->argv[0][0] != '/' || strpbrk(p->argv[0], "{}") != NULL) {
		snprintf(err, errlen, "argv[0] must be the program's absolute "
			 "path, without placeholders");
		return -1;
	}
	for (i = 0; i < p->n_argv; i++) {
		if (cmd_has_ctl(p->argv[i])) {
			snprintf(err, errlen, "argv[%zu] must not contain "
				 "control characters", i);
			return -1;
		}
		why[0] = '\0';
		if (tpl_check(p->argv[i], sms_request_placeholders,
			      sms_n_request_placeholders, 0, why,
			      sizeof(why)) != TPL_OK) {
			snprintf(err, errlen, "argv[%zu]: %s", i,
				 why[0] != '\0' ? why : "bad template");
			return -1;
		}
	}
	if (p->url != NULL) {
		snprintf(err, errlen, "url is not used by type command");
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * The arguments
 */

static void
cmd_free_args(char **args, size_t n)
{
	size_t i;

	if (args == NULL)
		return;
	for (i = 0; i < n; i++)
		util_free_secret(args[i]);
	free(args);
}

/* Why argument i (template tmpl) was refused: the placeholder that brought
 * the control character, never the value. */
static void
cmd_ctl_reason(const char *tmpl, size_t i, const struct tpl_var *vars,
	       size_t nvars, char *err, size_t errlen)
{
	char ph[24];
	size_t j;

	for (j = 0; j < nvars; j++) {
		snprintf(ph, sizeof(ph), "{%s}", vars[j].name);
		if (!cmd_has_ctl(vars[j].value) || strstr(tmpl, ph) == NULL)
			continue;
		snprintf(err, errlen, "argv[%zu]: the value of %s holds a "
			 "newline or another control character, which an "
			 "argument cannot carry%s", i, ph,
			 strcmp(vars[j].name, "message") == 0 ?
			 " (the message is on the program's stdin)" : "");
		return;
	}
	snprintf(err, errlen, "argv[%zu] holds a control character", i);
}

/*
 * The program's argv, NULL-terminated, argv[0] as configured and every
 * other item expanded as is.  A value with a control character is refused:
 * a newline in an argument is how option and line injection start, and
 * the message has stdin for its newlines.  SMS_OK with *out (secrets),
 * SMS_FAILED with err, SMS_ENOMEM.
 */
static int
cmd_build_args(const struct sms_provider *p, const struct sms_message *m,
	       char ***out, char *err, size_t errlen)
{
	struct tpl_var vars[4];
	char **args, why[200];
	size_t i;
	int rc;

	*out = NULL;
	vars[0].name = "phone";
	vars[0].value = m->phone;
	vars[1].name = "phone_digits";
	vars[1].value = m->phone[0] == '+' ? m->phone + 1 : m->phone;
	vars[2].name = "message";
	vars[2].value = m->text;
	vars[3].name = "sender";
	vars[3].value = p->sender != NULL ? p->sender : "";

	args = calloc(p->n_argv + 1, sizeof(*args));
	if (args == NULL)
		return SMS_ENOMEM;
	args[0] = strdup(p->argv[0]);
	if (args[0] == NULL) {
		rc = SMS_ENOMEM;
		goto fail;
	}
	for (i = 1; i < p->n_argv; i++) {
		why[0] = '\0';
		rc = tpl_expand(p->argv[i], vars, 4, TPL_ENC_NONE, 0, &args[i],
				why, sizeof(why));
		if (rc == TPL_ENOMEM) {
			rc = SMS_ENOMEM;
			goto fail;
		}
		if (rc != TPL_OK || args[i] == NULL) {
			/* why names a column, never a value */
			snprintf(err, errlen, "argv[%zu]: %s", i,
				 why[0] != '\0' ? why : "cannot be expanded");
			rc = SMS_FAILED;
			goto fail;
		}
		if (!cmd_has_ctl(args[i]))
			continue;
		cmd_ctl_reason(p->argv[i], i, vars, 4, err, errlen);
		rc = SMS_FAILED;
		goto fail;
	}
	*out = args;
	return SMS_OK;
fail:
	cmd_free_args(args, p->n_argv);
	return rc;
}

/* ---------------------------------------------------------------------
 * The child, between fork and execve: async-signal-safe calls only.
 */

static void
cmd_child_report(int fd, int step, int e)
{
	int msg[2];
	ssize_t w;

	msg[0] = step;
	msg[1] = e;
	/* 8 bytes: one atomic pipe write */
	do {
		w = write(fd, msg, sizeof(msg));
	} while (w < 0 && errno == EINTR);
}

static void
cmd_close_from(int lowfd, long maxfd)
{
	long fd;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0U) == 0)
		return;
#endif
	for (fd = lowfd; fd < maxfd; fd++)
		(void)close((int)fd);
}

struct cmd_child {
	char *const *argv;
	const sigset_t *empty;	/* the signal mask the program starts with */
	const struct sigaction *dfl;	/* SIG_DFL, no flags */
	long maxfd;		/* bound for the fd loop, from before fork */
	int in_fd;		/* read end of the stdin pipe */
	int out_fd;		/* write end of the output pipe */
	int st_fd;		/* write end of the status pipe (CLOEXEC) */
};

static void __attribute__((noreturn))
cmd_child(const struct cmd_child *c)
{
	int a, b, s, sig, step = CMD_STEP_SETUP, rfd = c->st_fd;

	/* Its own process group: a timeout kills the program and whatever
	 * it started. */
	if (setpgid(0, 0) != 0)
		goto fail;
	/* The host's handlers and ignored signals are not the program's
	 * business (SIG_IGN would survive execve).  glibc refuses its own
	 * two (32 and 33): the program's libc sets those up itself. */
	for (sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, c->dfl, NULL);
	}
	/* Out of the way of 0..3 first, so that no dup2 below overwrites an
	 * fd still needed, whatever numbers the pipes got (a host may run
	 * with fd 0, 1 or 2 closed). */
	s = fcntl(c->st_fd, F_DUPFD_CLOEXEC, 4);
	if (s < 0)
		goto fail;
	rfd = s;
	a = fcntl(c->in_fd, F_DUPFD_CLOEXEC, 4);
	b = fcntl(c->out_fd, F_DUPFD_CLOEXEC, 4);
	if (a < 0 || b < 0)
		goto fail;
	/* dup2 clears FD_CLOEXEC on 0, 1 and 2; the status pipe stays at 3
	 * with it set, to close at a successful execve. */
	if (dup2(a, 0) < 0 || dup2(b, 1) < 0 || dup2(b, 2) < 0 ||
	    dup2(s, 3) < 0)
		goto fail;
	rfd = 3;
	if (fcntl(3, F_SETFD, FD_CLOEXEC) != 0)
		goto fail;
	/* Whatever the host had open (its sockets, the PAM handle's files,
	 * other logins' pipes) stays with the host. */
	cmd_close_from(4, c->maxfd);
	umask(077);
	if (chdir("/") != 0)
		goto fail;
	if (sigprocmask(SIG_SETMASK, c->empty, NULL) != 0)
		goto fail;
	step = CMD_STEP_EXEC;
	execve(c->argv[0], c->argv, cmd_envp);
fail:
	cmd_child_report(rfd, step, errno);
	_exit(127);
}

/* ---------------------------------------------------------------------
 * The parent
 */

struct cmd_run {
	pid_t pid;
	int in_fd;		/* our ends, -1 once closed */
	int out_fd;
	int st_fd;
	const char *text;
	size_t len, off;	/* of the text written so far */
	char out[CMD_MAX_OUTPUT];
	size_t out_len;
	int st[2];		/* cmd_child_report()'s message */
	size_t st_len;
	int exited;		/* the child is a zombie, not yet reaped */
	int lost;		/* someone else reaped it */
};

static void
cmd_close(int *fd)
{
	if (*fd >= 0) {
		(void)close(*fd);
		*fd = -1;
	}
}

static int
cmd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static long
cmd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The next piece of the text into the program's stdin.  A program that
 * closed its stdin makes write() fail with EPIPE and raise SIGPIPE, whose
 * default action would end the host: SIGPIPE is blocked around the write
 * and a SIGPIPE it raised is consumed, then the host's mask comes back.
 * The disposition is never touched.
 */
static void
cmd_write_text(struct cmd_run *r)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pipe_set, old, pending;
	int was_pending, e;
	ssize_t w;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old) != 0) {
		cmd_close(&r->in_fd);
		return;
	}
	/* A SIGPIPE the host already had pending is the host's. */
	was_pending = sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE) == 1;
	do {
		w = write(r->in_fd, r->text + r->off, r->len - r->off);
	} while (w < 0 && errno == EINTR);
	e = errno;
	if (w < 0 && e == EPIPE && !was_pending) {
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 &&
		       errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (w > 0)
		r->off += (size_t)w;
	/* EPIPE: the program does not want (more of) the text; its exit
	 * status says whether it sent the message. */
	if ((w < 0 && e != EAGAIN) || r->off == r->len)
		cmd_close(&r->in_fd);
}

/* Read what the program wrote; keep the first CMD_MAX_OUTPUT bytes. */
static void
cmd_read_output(struct cmd_run *r)
{
	char sink[4096];
	ssize_t n;

	for (;;) {
		if (r->out_len < sizeof(r->out))
			n = read(r->out_fd, r->out + r->out_len,
				 sizeof(r->out) - r->out_len);
		else
			n = read(r->out_fd, sink, sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			cmd_close(&r->out_fd);
			break;
		}
		if (r->out_len < sizeof(r->out))
			r->out_len += (size_t)n;
	}
	util_wipe(sink, sizeof(sink));
}

static void
cmd_read_status(struct cmd_run *r)
{
	ssize_t n;

	for (;;) {
		n = read(r->st_fd, (char *)r->st + r->st_len,
			 sizeof(r->st) - r->st_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			cmd_close(&r->st_fd);
			break;
		}
		r->st_len += (size_t)n;
		if (r->st_len == sizeof(r->st)) {
			cmd_close(&r->st_fd);
			break;
		}
	}
}

/*
 * Has the child ended?  WNOWAIT leaves it a zombie, so that its pid (and
 * with it the process group id) cannot be reused before the group is
 * killed and the child reaped.  ECHILD: a SIGCHLD handler of the host, or
 * SIGCHLD set to SIG_IGN, took it.
 */
static void
cmd_peek(struct cmd_run *r)
{
	siginfo_t si;
	int rc;

	memset(&si, 0, sizeof(si));
	do {
		rc = waitid(P_PID, (id_t)r->pid, &si,
			    WEXITED | WNOHANG | WNOWAIT);
	} while (rc < 0 && errno == EINTR);
	if (rc == 0 && si.si_pid == r->pid)
		r->exited = 1;
	else if (rc < 0 && errno == ECHILD)
		r->lost = 1;
}

/*
 * Feed the text, collect the output and the status pipe until the child
 * ends or the deadline passes.  Returns 0, 1 on timeout, or -1 with errno
 * when poll() fails.
 */
static int
cmd_supervise(struct cmd_run *r, long deadline)
{
	struct pollfd pfd[3];
	nfds_t n;
	long left;
	int rc, i;

	for (;;) {
		cmd_peek(r);
		if (r->exited || r->lost)
			return 0;
		left = deadline - cmd_now_ms();
		if (left <= 0)
			return 1;
		n = 0;
		if (r->st_fd >= 0) {
			pfd[n].fd = r->st_fd;
			pfd[n++].events = POLLIN;
		}
		if (r->in_fd >= 0) {
			pfd[n].fd = r->in_fd;
			pfd[n++].events = POLLOUT;
		}
		if (r->out_fd >= 0) {
			pfd[n].fd = r->out_fd;
			pfd[n++].events = POLLIN;
		}
		/* End of output is usually the end of the program, a few
		 * microseconds before it can be waited for; a helper it left
		 * in the background may hold the output open: look at the
		 * child now and then either way. */
		if (r->out_fd >= 0 && left > 100)
			left = 100;
		else if (r->out_fd < 0 && left > 5)
			left = 5;
		rc = poll(n > 0 ? pfd : NULL, n, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		for (i = 0; i < (int)n; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].fd == r->st_fd)
				cmd_read_status(r);
			else if (pfd[i].fd == r->in_fd)
				cmd_write_text(r);
			else if (pfd[i].fd == r->out_fd)
				cmd_read_output(r);
		}
	}
}

/*
 * End the program's process group and reap the child.  The child is not
 * reaped yet (or lost), so -pid still names its group.  Returns 0 with the
 * wait status, or -1 when the status is gone.
 */
static int
cmd_reap(struct cmd_run *r, int *status)
{
	pid_t w;

	if (!r->lost) {
		if (kill(-r->pid, SIGKILL) != 0)
			(void)kill(r->pid, SIGKILL);
	}
	do {
		w = waitpid(r->pid, status, 0);
	} while (w < 0 && errno == EINTR);
	return w == r->pid ? 0 : -1;
}

static void
cmd_excerpt(const struct cmd_run *r, const struct sms_message *m,
	    char *ex, size_t exlen)
{
	const char *secrets[5];
	size_t n = 0, len = r->out_len;

	/* The program may echo its input or arguments. */
	secrets[n++] = m->text;
	if (m->secret != NULL)
		secrets[n++] = m->secret;
	secrets[n++] = m->phone;	/* before its digits: longer first */
	if (m->phone[0] == '+')
		secrets[n++] = m->phone + 1;
	secrets[n] = NULL;
	while (len > 0 && (r->out[len - 1] == '\n' || r->out[len - 1] == '\r' ||
			   r->out[len - 1] == ' ' || r->out[len - 1] == '\t'))
		len--;
	sms_excerpt(r->out, len, secrets, ex, exlen);
}

/* Pipes with FD_CLOEXEC: another thread's fork+exec must not get them. */
static int
cmd_pipes(int in[2], int out[2], int st[2])
{
	if (pipe2(in, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(st, O_CLOEXEC) != 0)
		return -1;
	/* Only our ends: the program's stdin and stdout block as usual. */
	if (cmd_nonblock(in[1]) != 0 || cmd_nonblock(out[0]) != 0 ||
	    cmd_nonblock(st[0]) != 0)
		return -1;
	return 0;
}

static void
cmd_close_pair(int fd[2])
{
	cmd_close(&fd[0]);
	cmd_close(&fd[1]);
}

/*
 * Start the program: fork with every signal blocked (no host handler may
 * run in the child), the host's mask back in the parent at once.  Returns
 * 0 with r->pid and our pipe ends in r, or -1 with err.
 */
static int
cmd_start(char *const *args, struct cmd_run *r, char *err, size_t errlen)
{
	struct cmd_child c;
	struct sigaction dfl;
	sigset_t all, empty, old;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, st[2] = { -1, -1 };
	long maxfd;
	int e;

	if (cmd_pipes(in, out, st) != 0) {
		e = errno;
		snprintf(err, errlen, "cannot run %s: pipe: %s", args[0],
			 strerror(e));
		goto fail;
	}
	/* sysconf is not async-signal-safe: asked before fork. */
	maxfd = sysconf(_SC_OPEN_MAX);
	if (maxfd < 0 || maxfd > CMD_MAX_FD_LOOP)
		maxfd = CMD_MAX_FD_LOOP;
	/* Everything the child uses is made here: between fork and execve
	 * only async-signal-safe calls. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	c.argv = args;
	c.dfl = &dfl;
	c.empty = &empty;
	c.maxfd = maxfd;
	c.in_fd = in[0];
	c.out_fd = out[1];
	c.st_fd = st[1];
	sigfillset(&all);
	sigemptyset(&empty);
	if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0) {
		snprintf(err, errlen, "cannot run %s: signal mask", args[0]);
		goto fail;
	}
	r->pid = fork();
	e = errno;
	if (r->pid == 0)
		cmd_child(&c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r->pid < 0) {
		snprintf(err, errlen, "cannot run %s: fork: %s", args[0],
			 strerror(e));
		goto fail;
	}
	/* Also here, so that the group exists whichever runs first; EACCES
	 * once the child has called execve is fine. */
	(void)setpgid(r->pid, r->pid);
	cmd_close(&in[0]);
	cmd_close(&out[1]);
	cmd_close(&st[1]);
	r->in_fd = in[1];
	r->out_fd = out[0];
	r->st_fd = st[0];
	return 0;
fail:
	cmd_close_pair(in);
	cmd_close_pair(out);
	cmd_close_pair(st);
	return -1;
}

/* The verdict from what the run left.  SMS_OK or SMS_FAILED with err. */
static int
cmd_verdict(const struct sms_provider *p, const struct sms_message *m,
	    const struct cmd_run *r, int timed_out, int reaped, int status,
	    char *err, size_t errlen)
{
	char ex[SMS_EXCERPT_MAX + 1];

	if (r->st_len == sizeof(r->st)) {
		snprintf(err, errlen, "cannot run %s: %s%s", p->argv[0],
			 r->st[0] == CMD_STEP_SETUP ? "setting up: " : "",
			 strerror(r->st[1]));
		return SMS_FAILED;
	}
	if (timed_out) {
		snprintf(err, errlen, "timed out after %ld s", p->timeout);
		return SMS_FAILED;
	}
	if (!reaped) {
		/* Without its exit status, there is no telling whether the
		 * message went: fail closed. */
		snprintf(err, errlen, "exit status of %s lost: the host "
			 "process reaps its children (SIGCHLD)", p->argv[0]);
		return SMS_FAILED;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return SMS_OK;
	cmd_excerpt(r, m, ex, sizeof(ex));
	if (WIFEXITED(status))
		snprintf(err, errlen, "exited with status %d%s%s",
			 WEXITSTATUS(status), ex[0] != '\0' ? ": " : "", ex);
	else if (WIFSIGNALED(status))
		snprintf(err, errlen, "killed by signal %d%s%s",
			 WTERMSIG(status), ex[0] != '\0' ? ": " : "", ex);
	else
		snprintf(err, errlen, "ended with wait status %d", status);
	return SMS_FAILED;
}

int
sms_command_send(const struct sms_provider *p, const struct sms_message *m,
		 const struct smsotp_log *log, struct sms_result *res)
{
	struct cmd_run *r = NULL;
	char **args = NULL;
	long t0, deadline;
	int rc, sup, status = 0, reaped, e;

	res->status = 0;
	rc = cmd_build_args(p, m, &args, res->error, sizeof(res->error));
	if (rc != SMS_OK)
		return rc;
	/* On the heap: it holds the program's output, which may echo the
	 * text; wiped before free. */
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		rc = SMS_ENOMEM;
		goto out;
	}
	r->in_fd = r->out_fd = r->st_fd = -1;
	r->text = m->text;
	r->len = strlen(m->text);
	t0 = cmd_now_ms();
	deadline = t0 + p->timeout * 1000;
	if (cmd_start(args, r, res->error, sizeof(res->error)) != 0) {
		rc = SMS_FAILED;
		goto out;
	}
	if (r->len == 0)
		cmd_close(&r->in_fd);
	sup = cmd_supervise(r, deadline);
	e = errno;
	/* Whatever the program wrote or reported before it ended. */
	if (r->out_fd >= 0)
		cmd_read_output(r);
	if (r->st_fd >= 0)
		cmd_read_status(r);
	cmd_close(&r->in_fd);
	cmd_close(&r->out_fd);
	cmd_close(&r->st_fd);
	/* Also after a normal end: a helper the program left behind would
	 * otherwise outlive the login. */
	reaped = cmd_reap(r, &status) == 0;
	if (sup < 0) {
		snprintf(res->error, sizeof(res->error), "waiting for %s: %s",
			 p->argv[0], strerror(e));
		rc = SMS_FAILED;
		goto out;
	}
	rc = cmd_verdict(p, m, r, sup == 1, reaped, status, res->error,
			 sizeof(res->error));
	if (rc == SMS_OK)
		smsotp_logf(log, LOG_DEBUG, "sms: provider '%s': %s exited "
			    "with status 0 after %ld ms", p->name, p->argv[0],
			    cmd_now_ms() - t0);
out:
	if (r != NULL) {
		util_wipe(r, sizeof(*r));
		free(r);
	}
	cmd_free_args(args, p->n_argv);
	return rc;
}
