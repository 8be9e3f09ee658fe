/*
 * util/run: run an administrator's program and supervise it, for the
 * number lookup (phones.command) and the command SMS provider.
 *
 * The module lives inside sshd, sudo or a display manager: the child is
 * started with fork and execve and nothing between them but async-signal-
 * safe calls, the host's signal dispositions are never changed, and every
 * fd, process and byte of the program's output is accounted for before
 * returning.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* The fd-closing loop's bound when close_range() is missing: a login
 * process does not hold fds beyond it, and RLIMIT_NOFILE may be 2^30. */
#define RUN_MAX_FD_LOOP 65536

/* The only environment the program gets: the caller of sudo controls
 * sudo's environment (LD_PRELOAD, proxies, IFS, ...). */
static char run_env_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
static char run_env_lang[] = "LANG=C.UTF-8";
static char *const run_envp[] = { run_env_path, run_env_lang, NULL };

/* What the child reports through the status pipe when it cannot run the
 * program: the step and its errno, in one write. */
enum run_step {
	RUN_STEP_SETUP = 1,	/* fds, process group, directory */
	RUN_STEP_EXEC		/* execve itself */
};

long
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Close *fd if it is open and mark it closed (-1). */
static void
run_close(int *fd)
{
	if (*fd >= 0) {
		(void)close(*fd);
		*fd = -1;
	}
}

/* ---------------------------------------------------------------------
 * The child, between fork and execve: async-signal-safe calls only.
 */

/* Tell the parent which step failed with which errno: 8 bytes, one atomic
 * pipe write. */
static void
run_child_report(int fd, int step, int e)
{
	int msg[2];
	ssize_t w;

	msg[0] = step;
	msg[1] = e;
	do {
		w = write(fd, msg, sizeof(msg));
	} while (w < 0 && errno == EINTR);
}

/* Close every fd from lowfd up: close_range(), else a loop to maxfd. */
static void
run_close_from(int lowfd, long maxfd)
{
	long fd;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0U) == 0)
		return;
#endif
	for (fd = lowfd; fd < maxfd; fd++)
		(void)close((int)fd);
}

/* Everything the child needs, made before fork. */
struct run_child {
	char *const *argv;
	int (*fn)(void *arg);	/* instead of execve */
	void *fn_arg;
	sigset_t empty;		/* the signal mask the program starts with */
	struct sigaction dfl;	/* SIG_DFL, no flags */
	long maxfd;		/* bound for the fd loop, from before fork */
	int in_fd;		/* its stdin: the text pipe's read end, or /dev/null */
	int out_fd;		/* its stdout: the output pipe's write end */
	int err_fd;		/* its stderr: the error pipe's write end,
				 * out_fd, or /dev/null */
	int st_fd;		/* write end of the status pipe (CLOEXEC) */
};

/* Set the child up and execve the program; on failure, report the step
 * and errno on the status pipe and _exit(127). */
static void __attribute__((noreturn))
run_child(const struct run_child *c)
{
	int a, b, d, s, sig, step = RUN_STEP_SETUP, rfd = c->st_fd;

	/* Out of reach of sudo's caller (signals, resource limits). */
	util_child_harden();
	/* Its own process group: the deadline kills the program and
	 * whatever it started. */
	if (setpgid(0, 0) != 0)
		goto fail;
	/* The host's handlers and ignored signals are not the program's
	 * business (SIG_IGN would survive execve).  glibc refuses its own
	 * two (32 and 33): the program's libc sets those up itself. */
	for (sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &c->dfl, NULL);
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
	d = fcntl(c->err_fd, F_DUPFD_CLOEXEC, 4);
	if (a < 0 || b < 0 || d < 0)
		goto fail;
	/* dup2 clears FD_CLOEXEC on 0, 1 and 2; the status pipe stays at 3
	 * with it set, to close at a successful execve. */
	if (dup2(a, 0) < 0 || dup2(b, 1) < 0 || dup2(d, 2) < 0 ||
	    dup2(s, 3) < 0)
		goto fail;
	rfd = 3;
	if (fcntl(3, F_SETFD, FD_CLOEXEC) != 0)
		goto fail;
	/* Whatever the host had open (its sockets, the PAM handle's files,
	 * other logins' pipes) stays with the host. */
	run_close_from(4, c->maxfd);
	umask(077);
	if (chdir("/") != 0)
		goto fail;
	if (sigprocmask(SIG_SETMASK, &c->empty, NULL) != 0)
		goto fail;
	step = RUN_STEP_EXEC;
	if (c->fn != NULL) {
		extern char **environ;

		/* the function's own output is all there is to read: the
		 * status pipe is for failures to get this far */
		(void)close(3);
		environ = (char **)(uintptr_t)run_envp;
		_exit(c->fn(c->fn_arg));
	}
	execve(c->argv[0], c->argv, run_envp);
fail:
	run_child_report(rfd, step, errno);
	_exit(127);
}

/* ---------------------------------------------------------------------
 * The parent
 */

struct run_state {
	struct util_run *run;	/* the caller's request and result */
	pid_t pid;
	int in_fd;		/* our ends, -1 once closed */
	int out_fd;
	int err_fd;		/* -1 unless run->errout */
	int st_fd;
	size_t len, off;	/* of the text, and written so far */
	int st[2];		/* run_child_report()'s message */
	size_t st_len;
	int exited;		/* the child is a zombie, not yet reaped */
};

/* Has it printed more than out_cap, and is that the end of the run? */
static int
run_overflowed(const struct run_state *s)
{
	return s->run->overflow && !(s->run->flags & UTIL_RUN_DRAIN);
}

/* Set O_NONBLOCK on fd.  Returns 0, or -1 with errno. */
static int
run_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * The next piece of the text into the program's stdin.  A program that
 * closed its stdin makes write() fail with EPIPE and raise SIGPIPE, whose
 * default action would end the host: SIGPIPE is blocked around the write
 * and a SIGPIPE it raised is consumed, then the host's mask comes back.
 * The disposition is never touched.
 */
static void
run_write_text(struct run_state *s)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pipe_set, old, pending;
	int was_pending, e;
	ssize_t w;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old) != 0) {
		run_close(&s->in_fd);
		return;
	}
	/* A SIGPIPE the host already had pending is the host's. */
	was_pending = sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE) == 1;
	do {
		w = write(s->in_fd, s->run->text + s->off, s->len - s->off);
	} while (w < 0 && errno == EINTR);
	e = errno;
	if (w < 0 && e == EPIPE && !was_pending) {
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 &&
		       errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (w > 0)
		s->off += (size_t)w;
	/* EPIPE: the program does not want (more of) the text; its exit
	 * status says what it made of it. */
	if ((w < 0 && e != EAGAIN) || s->off == s->len)
		run_close(&s->in_fd);
}

/* One read from *fd, EINTR retried.  Returns the byte count, 0 when
 * there is nothing to read now, or -1 at end of file or on an error, with
 * *fd closed. */
static ssize_t
run_read(int *fd, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = read(*fd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0) {
		run_close(fd);
		return -1;
	}
	return n;
}

/*
 * Read what is there on *fd: the first cap bytes into buf (*len so far),
 * the rest, with drain, read and dropped (the program never blocks on a
 * full pipe); without drain reading stops at the first byte beyond cap.
 * Returns 1 when a byte beyond cap came.
 */
static int
run_collect(int *fd, char *buf, size_t cap, size_t *len, int drain)
{
	char sink[4096];
	int over = 0;
	ssize_t n;

	while (*fd >= 0 && (drain || !over)) {
		if (*len < cap)
			n = run_read(fd, buf + *len, cap - *len);
		else
			n = run_read(fd, sink, sizeof(sink));
		if (n <= 0)
			break;
		if (*len < cap)
			*len += (size_t)n;
		else
			over = 1;
	}
	/* it may hold the text the program echoed */
	util_wipe(sink, sizeof(sink));
	return over;
}

/* What the program wrote on stdout: a byte beyond out_cap sets overflow,
 * and without UTIL_RUN_DRAIN nothing more is read. */
static void
run_read_output(struct run_state *s)
{
	struct util_run *run = s->run;

	if (!run_overflowed(s) &&
	    run_collect(&s->out_fd, run->out, run->out_cap, &run->out_len,
			run->flags & UTIL_RUN_DRAIN))
		run->overflow = 1;
}

/* What it wrote on stderr, when the caller keeps it apart: the first
 * errout_cap bytes, the rest dropped. */
static void
run_read_errout(struct run_state *s)
{
	struct util_run *run = s->run;

	(void)run_collect(&s->err_fd, run->errout, run->errout_cap,
			  &run->errout_len, 1);
}

/* Read the child's report from the status pipe, if any; closed at end of
 * file or once the report is whole. */
static void
run_read_status(struct run_state *s)
{
	ssize_t n;

	while (s->st_fd >= 0) {
		n = run_read(&s->st_fd, (char *)s->st + s->st_len,
			     sizeof(s->st) - s->st_len);
		if (n <= 0)
			break;
		s->st_len += (size_t)n;
		if (s->st_len == sizeof(s->st))
			run_close(&s->st_fd);
	}
}

/*
 * Has the child ended?  WNOWAIT leaves it a zombie, so that its pid (and
 * with it the process group id) cannot be reused before the group is
 * killed and the child reaped.  ECHILD: a SIGCHLD handler of the host, or
 * SIGCHLD set to SIG_IGN, took it (lost).
 */
static void
run_peek(struct run_state *s)
{
	siginfo_t si;
	int rc;

	memset(&si, 0, sizeof(si));
	do {
		rc = waitid(P_PID, (id_t)s->pid, &si,
			    WEXITED | WNOHANG | WNOWAIT);
	} while (rc < 0 && errno == EINTR);
	if (rc == 0 && si.si_pid == s->pid)
		s->exited = 1;
	else if (rc < 0 && errno == ECHILD)
		s->run->lost = 1;
}

/*
 * Feed the text, collect the output and the status pipe until the child
 * ends, overflows (without UTIL_RUN_DRAIN) or the deadline passes.
 * Returns 0, 1 on timeout, or -1 with errno when poll() fails.
 */
static int
run_supervise(struct run_state *s, long deadline)
{
	struct pollfd pfd[4];
	nfds_t n;
	long left;
	int rc, i;

	for (;;) {
		run_peek(s);
		if (s->exited || s->run->lost || run_overflowed(s))
			return 0;
		left = deadline - util_now_ms();
		if (left <= 0)
			return 1;
		n = 0;
		if (s->st_fd >= 0) {
			pfd[n].fd = s->st_fd;
			pfd[n++].events = POLLIN;
		}
		if (s->in_fd >= 0) {
			pfd[n].fd = s->in_fd;
			pfd[n++].events = POLLOUT;
		}
		if (s->out_fd >= 0) {
			pfd[n].fd = s->out_fd;
			pfd[n++].events = POLLIN;
		}
		if (s->err_fd >= 0) {
			pfd[n].fd = s->err_fd;
			pfd[n++].events = POLLIN;
		}
		/* End of output is usually the end of the program, a few
		 * microseconds before it can be waited for; a helper it left
		 * in the background may hold the output open: look at the
		 * child now and then either way. */
		if ((s->out_fd >= 0 || s->err_fd >= 0) && left > 100)
			left = 100;
		else if (s->out_fd < 0 && s->err_fd < 0 && left > 5)
			left = 5;
		rc = poll(n > 0 ? pfd : NULL, n, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		for (i = 0; i < (int)n; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].fd == s->st_fd)
				run_read_status(s);
			else if (pfd[i].fd == s->in_fd)
				run_write_text(s);
			else if (pfd[i].fd == s->out_fd)
				run_read_output(s);
			else if (pfd[i].fd == s->err_fd)
				run_read_errout(s);
		}
	}
}

/*
 * End the program's process group and reap the child.  It is not reaped
 * yet, so -pid still names its group; a lost child is never signalled
 * (its pid may be another process's by now).  Sets lost when there is no
 * exit status to collect.
 */
static void
run_reap(struct run_state *s)
{
	pid_t w;

	if (!s->run->lost && kill(-s->pid, SIGKILL) != 0)
		(void)kill(s->pid, SIGKILL);
	do {
		w = waitpid(s->pid, &s->run->status, 0);
	} while (w < 0 && errno == EINTR);
	if (w != s->pid)
		s->run->lost = 1;
}

/* A pipe with FD_CLOEXEC on both ends (another thread's fork+exec must
 * not get them), O_NONBLOCK on ours only (fd[ours]): the program's end
 * blocks as usual.  Returns 0, or -1 with errno. */
static int
run_pipe(int fd[2], int ours)
{
	if (pipe2(fd, O_CLOEXEC) != 0)
		return -1;
	return run_nonblock(fd[ours]);
}

/*
 * Start the program: fork with every signal blocked (no host handler may
 * run in the child), the host's mask back in the parent at once.  Returns
 * 0 with s->pid and our pipe ends in s, or -1 with errno and err.
 */
/* The descriptors of one run: the pipes (ours and the child's end of
 * each) and /dev/null for what the child gets none of. */
struct run_fds {
	int in[2], out[2], st[2], ep[2];
	int null_fd;
};

static void
fds_close_all(struct run_fds *f)
{
	int i;

	for (i = 0; i < 2; i++) {
		run_close(&f->in[i]);
		run_close(&f->out[i]);
		run_close(&f->st[i]);
		run_close(&f->ep[i]);
	}
	run_close(&f->null_fd);
}

/* Opens what the run needs: 0, or -1 with errno and the failed step. */
static int
fds_open(const struct util_run *run, struct run_fds *f, const char **step)
{
	f->in[0] = f->in[1] = f->out[0] = f->out[1] = -1;
	f->st[0] = f->st[1] = f->ep[0] = f->ep[1] = f->null_fd = -1;
	*step = "pipe";
	if (run_pipe(f->out, 0) != 0 || run_pipe(f->st, 0) != 0 ||
	    (run->text != NULL && run_pipe(f->in, 1) != 0) ||
	    (run->errout != NULL && run_pipe(f->ep, 0) != 0))
		return -1;
	if (run->text == NULL ||
	    (run->errout == NULL && !(run->flags & UTIL_RUN_STDERR))) {
		*step = "/dev/null";
		f->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (f->null_fd < 0)
			return -1;
	}
	return 0;
}

/* What the child does with them, all made before fork: between fork and
 * execve only async-signal-safe calls (sysconf is not one). */
static void
child_plan(const struct util_run *run, const struct run_fds *f,
	   struct run_child *c)
{
	long maxfd = sysconf(_SC_OPEN_MAX);

	if (maxfd < 0 || maxfd > RUN_MAX_FD_LOOP)
		maxfd = RUN_MAX_FD_LOOP;
	c->argv = run->argv;
	c->fn = run->fn;
	c->fn_arg = run->fn_arg;
	c->maxfd = maxfd;
	c->in_fd = run->text != NULL ? f->in[0] : f->null_fd;
	c->out_fd = f->out[1];
	if (run->errout != NULL)
		c->err_fd = f->ep[1];
	else
		c->err_fd = run->flags & UTIL_RUN_STDERR ? f->out[1] : f->null_fd;
	c->st_fd = f->st[1];
}

/* Forks with every signal blocked (the child sets its own up, the parent
 * gets its mask back): the pid, or -1 with errno. */
static pid_t
run_fork(struct run_child *c)
{
	sigset_t all, old;
	pid_t pid;
	int e;

	memset(&c->dfl, 0, sizeof(c->dfl));
	c->dfl.sa_handler = SIG_DFL;
	sigemptyset(&c->dfl.sa_mask);
	sigemptyset(&c->empty);
	sigfillset(&all);
	e = pthread_sigmask(SIG_SETMASK, &all, &old);
	if (e != 0) {
		errno = e;
		return -1;
	}
	pid = fork();
	e = errno;
	if (pid == 0)
		run_child(c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return pid;
}

static int
run_start(struct run_state *s, char *err, size_t errlen)
{
	const struct util_run *run = s->run;
	struct run_fds f;
	struct run_child c;
	const char *step;
	int e;

	if (fds_open(run, &f, &step) == 0) {
		child_plan(run, &f, &c);
		step = "fork";
		s->pid = run_fork(&c);
		if (s->pid > 0) {
			/* Also here, so that the group exists whichever runs
			 * first; EACCES once the child has called execve is
			 * fine. */
			(void)setpgid(s->pid, s->pid);
			s->in_fd = f.in[1];
			s->out_fd = f.out[0];
			s->err_fd = f.ep[0];
			s->st_fd = f.st[0];
			f.in[1] = f.out[0] = f.ep[0] = f.st[0] = -1;
			fds_close_all(&f);	/* the child's ends, /dev/null */
			return 0;
		}
	}
	e = errno;
	snprintf(err, errlen, "cannot run %s: %s: %s", run->argv[0], step,
		 strerror(e));
	fds_close_all(&f);
	errno = e;
	return -1;
}

int
util_run(struct util_run *run, char *err, size_t errlen)
{
	struct run_state s;
	long deadline;
	int sup, e;

	run->started = 0;
	run->out_len = 0;
	run->errout_len = 0;
	run->overflow = 0;
	run->timed_out = 0;
	run->lost = 0;
	run->status = 0;
	if (run->argv == NULL || run->argv[0] == NULL ||
	    (run->argv[0][0] != '/' && run->fn == NULL)) {
		snprintf(err, errlen, "cannot run %s: not an absolute path",
			 run->argv != NULL && run->argv[0] != NULL ?
			 run->argv[0] : "(none)");
		errno = EINVAL;
		return -1;
	}
	memset(&s, 0, sizeof(s));
	s.run = run;
	s.in_fd = s.out_fd = s.err_fd = s.st_fd = -1;
	s.len = run->text != NULL ? strlen(run->text) : 0;
	deadline = util_now_ms() + run->timeout_ms;
	if (run_start(&s, err, errlen) != 0)
		return -1;
	run->started = 1;
	if (s.len == 0)
		run_close(&s.in_fd);
	sup = run_supervise(&s, deadline);
	e = errno;
	/* Whatever the program wrote before it ended (nothing more once it
	 * overflowed). */
	run_read_output(&s);
	run_read_errout(&s);
	run_close(&s.in_fd);
	run_close(&s.out_fd);
	run_close(&s.err_fd);
	/* Also after a normal end: a helper the program left behind would
	 * otherwise outlive the login. */
	run_reap(&s);
	/* The child is gone: whatever it reported is in the pipe. */
	run_read_status(&s);
	run_close(&s.st_fd);
	if (sup < 0) {
		snprintf(err, errlen, "waiting for %s: %s", run->argv[0],
			 strerror(e));
		errno = e;
		return -1;
	}
	run->timed_out = sup == 1;
	if (s.st_len == sizeof(s.st)) {
		snprintf(err, errlen, "cannot run %s: %s%s", run->argv[0],
			 s.st[0] == RUN_STEP_SETUP ? "setting up: " : "",
			 strerror(s.st[1]));
		return 1;
	}
	return 0;
}
