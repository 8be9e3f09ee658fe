/*
 * Unit tests of the command provider (sms/command.c): the configuration
 * checks ({message} never in argv), and real runs of small /bin/sh
 * programs written to a temporary folder: arguments passed exactly and
 * never through a shell, the text on stdin byte for byte, a clean
 * environment, no inherited fds, signal and process-group state, exit
 * statuses (the program's "no") against signals and lost statuses (no
 * verdict: SMS_EBROKEN), whether the message may have left (res.left),
 * output floods, timeouts that end the whole process group, a missing
 * program, EPIPE, and a host that reaps its own children.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../sms/provider.h"
#include "../../sms/sms.h"
#define TESTLIB_LOG
#include "testlib.h"

#define PHONE "+447700900123"
#define CODE "493817"
#define TEXT "Your code is " CODE

static const struct sms_message msg = { PHONE, TEXT, CODE };

static char dir[64];		/* the test's folder, for scripts and output */

/* ------------------------------------------------------------------ */
/* The log sink (testlib.h) keeps everything, to look for leaks of secrets. */

static void
assert_clean(const char *s)
{
	assert_null(strstr(s, TEXT));
	assert_null(strstr(s, CODE));
	assert_null(strstr(s, PHONE));
	assert_null(strstr(s, &PHONE[1]));
}

/* ------------------------------------------------------------------ */
/* Helpers */

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

/* dir/name */
static const char *
in_dir(const char *name)
{
	static char buf[8][256];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* A /bin/sh program dir/name whose body is printf(fmt, ...) with every
 * "%D" meaning the test folder; returns its path. */
static const char *
script(const char *name, const char *body)
{
	const char *path = in_dir(name);

	write_script(path, dir, body);
	return path;
}

/* A command provider "cmd" with argv (NULL-terminated) and timeout. */
static struct sms_provider *
new_cmd(long timeout, const char *const *argv)
{
	struct sms_provider *p = calloc(1, sizeof(*p));
	size_t n = 0, i;

	assert_non_null(p);
	p->name = xstrdup("cmd");
	p->type = SMS_TYPE_COMMAND;
	p->timeout = timeout;
	p->connect_timeout = 1;
	p->retries = SMS_DEFAULT_RETRIES;
	while (argv != NULL && argv[n] != NULL)
		n++;
	if (argv != NULL) {
		p->argv = calloc(n + 1, sizeof(*p->argv));
		assert_non_null(p->argv);
		for (i = 0; i < n; i++)
			p->argv[i] = xstrdup(argv[i]);
		p->n_argv = n;
	}
	return p;
}

/* The whole file into a heap buffer (NUL-terminated), its length in *len. */
static char *
slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0, n = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		r = read(fd, buf + n, cap - n - 1);
		assert_true(r >= 0);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

/* One send through the provider; the result and the time it took. */
static int
run(const struct sms_provider *p, const struct sms_message *m,
    struct sms_result *res, long *ms)
{
	long t0 = util_now_ms();
	int rc;

	memset(res, 0, sizeof(*res));
	rc = sms_command_send(p, m, &test_log, res);
	if (ms != NULL)
		*ms = util_now_ms() - t0;
	return rc;
}

/* A send through a provider that runs prog alone: rc, an error holding
 * want, and left as given. */
static void
expect_send(const char *prog, int rc, const char *want, int left)
{
	const char *argv[] = { prog, NULL };
	struct sms_provider *p = new_cmd(10, argv);
	struct sms_result res;

	assert_int_equal(run(p, &msg, &res, NULL), rc);
	if (strstr(res.error, want) == NULL)
		fail_msg("error '%s' lacks '%s'", res.error, want);
	assert_int_equal(res.left, left);
	sms_provider_free(p);
}

static pid_t
read_pid(const char *path)
{
	char *s = slurp(path, NULL);
	long pid = strtol(s, NULL, 10);

	free(s);
	assert_true(pid > 1);
	return (pid_t)pid;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_command.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	logbuf[0] = '\0';
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return remove_dir(dir);
}

/* ------------------------------------------------------------------ */
/* sms_command_check */

struct check_case {
	const char *argv[5];	/* NULL-terminated */
	int n;			/* -1: argv NULL */
	const char *url;
	const char *want;	/* NULL: accepted; else part of the error */
};

static const struct check_case check_cases[] = {
	{ { "/usr/bin/gammu-smsd-inject", "TEXT", "{phone}", "-unicode" }, 4,
	  NULL, NULL },
	{ { "/bin/true" }, 1, NULL, NULL },
	{ { "/opt/sms/send", "--to={phone_digits}", "--from={sender}",
	    "{phone}" }, 4, NULL, NULL },
	{ { "/opt/sms/send", "{{literal}}", "" }, 3, NULL, NULL },
	{ { "/opt/sms/send", "{{message}}" }, 2, NULL, NULL },
	/* the message holds the code; argv is readable by every user */
	{ { "/opt/sms/send", "{phone}", "{message}" }, 3, NULL,
	  "argv[2]: {message} is not allowed in argv" },
	{ { "/opt/sms/send", "--text={message}" }, 2, NULL, "/proc/PID/cmdline" },
	{ { "/opt/sms/send", "{{{message}}}" }, 2, NULL, "standard input" },
	{ { NULL }, -1, NULL, "argv is required" },
	{ { NULL }, 0, NULL, "argv is required" },
	{ { "send", "{phone}" }, 2, NULL, "absolute path" },
	{ { "bin/send" }, 1, NULL, "absolute path" },
	{ { "" }, 1, NULL, "absolute path" },
	{ { "~/send" }, 1, NULL, "absolute path" },
	{ { "/opt/{sender}/send" }, 1, NULL, "without placeholders" },
	{ { "{phone}" }, 1, NULL, "absolute path" },
	{ { "/opt/x{{y}}" }, 1, NULL, "without placeholders" },
	{ { "/opt/sms/send", "{code}" }, 2, NULL, "argv[1]" },
	{ { "/opt/sms/send", "{phone}", "{nope}" }, 3, NULL, "argv[2]" },
	{ { "/opt/sms/send", "{phone" }, 2, NULL, "argv[1]" },
	{ { "/opt/sms/send", "a}b" }, 2, NULL, "argv[1]" },
	{ { "/opt/sms/send", "a\nb" }, 2, NULL, "control characters" },
	{ { "/opt/sms/send\t" }, 1, NULL, "control characters" },
	{ { "/opt/sms/send" }, 1, "https://example.com/", "url" },
};

static void
test_check_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		const struct check_case *c = &check_cases[i];
		struct sms_provider *p;
		char err[256];
		int rc;

		p = new_cmd(10, c->n < 0 ? NULL : c->argv);
		if (c->n >= 0)
			p->n_argv = (size_t)c->n;
		if (c->url != NULL)
			p->url = xstrdup(c->url);
		err[0] = '\0';
		rc = sms_provider_check(p, err, sizeof(err));
		if (c->want == NULL && rc != 0)
			fail_msg("case %zu refused: %s", i, err);
		if (c->want != NULL && rc == 0)
			fail_msg("case %zu accepted, wanted '%s'", i, c->want);
		if (c->want != NULL && strstr(err, c->want) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, err,
				 c->want);
		sms_provider_free(p);
	}
}

static void
test_check_limits(void **state)
{
	const char *argv[40];
	struct sms_provider *p;
	char err[256];
	size_t i;

	(void)state;
	argv[0] = "/opt/sms/send";
	for (i = 1; i < 32; i++)
		argv[i] = "{phone}";
	argv[32] = NULL;
	p = new_cmd(10, argv);
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), 0);
	sms_provider_free(p);
	argv[32] = "x";
	argv[33] = NULL;
	p = new_cmd(10, argv);
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 32"));
	sms_provider_free(p);
	/* Not looked at at check time: may live on another host. */
	argv[0] = "/nonexistent/sms-send";
	argv[1] = NULL;
	p = new_cmd(10, argv);
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), 0);
	sms_provider_free(p);
}

/* ------------------------------------------------------------------ */
/* What the program gets */

static void
test_argv_exact(void **state)
{
	const char *prog = script("args.sh",
		"for a in \"$@\"; do printf '%s\\0' \"$a\"; done > %D/args\n"
		"cat > /dev/null\n");
	char hostile[256];
	const char *argv[] = { prog, "{phone}", "--to={phone_digits}",
		"--from={sender}", "a b  c", hostile, "", "{{message}}",
		"{{literal}}", NULL };
	const char *want[] = { PHONE, "--to=447700900123", "--from=ACME Ltd",
		"a b  c", hostile, "", "{message}", "{literal}" };
	struct sms_provider *p;
	struct sms_result res;
	char *got, *s;
	size_t len, i;

	(void)state;
	/* What a shell would run, glob, split or redirect. */
	snprintf(hostile, sizeof(hostile), "it's \"q\" $(touch %s/pwned) "
		 "`touch %s/pwned` ; | & > * $HOME \\n", dir, dir);
	p = new_cmd(10, argv);
	p->sender = xstrdup("ACME Ltd");
	assert_int_equal(sms_provider_check(p, res.error, sizeof(res.error)), 0);
	assert_int_equal(run(p, &msg, &res, NULL), SMS_OK);
	assert_int_equal(res.left, 1);
	got = slurp(in_dir("args"), &len);
	s = got;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_true(s < got + len);
		assert_string_equal(s, want[i]);
		s += strlen(s) + 1;
	}
	assert_true(s == got + len);
	free(got);
	/* No shell anywhere: nothing ran the $(...) or `...`. */
	assert_int_equal(access(in_dir("pwned"), F_OK), -1);
	sms_provider_free(p);
}

static void
test_stdin_exact(void **state)
{
	const char *prog = script("stdin.sh", "cat > %D/stdin\n");
	const char *argv[] = { prog, NULL };
	static const char text[] = "Code: " CODE "\n\xe2\x80\x9cGr\xc3\xbc\xc3\x9f"
	    "e\xe2\x80\x9d 'single' \"double\" $(id) `id` \\ \t\r\n\n"
	    "\xf0\x9f\x94\x91 end";
	const struct sms_message m = { PHONE, text, CODE };
	struct sms_provider *p = new_cmd(10, argv);
	struct sms_result res;
	char *got;
	size_t len;

	(void)state;
	assert_int_equal(run(p, &m, &res, NULL), SMS_OK);
	got = slurp(in_dir("stdin"), &len);
	/* Byte for byte, no newline added. */
	assert_int_equal(len, sizeof(text) - 1);
	assert_memory_equal(got, text, len);
	free(got);
	sms_provider_free(p);
}

static void
test_empty_text(void **state)
{
	const char *prog = script("empty.sh", "cat > %D/stdin\n");
	const char *argv[] = { prog, NULL };
	const struct sms_message m = { PHONE, "", NULL };
	struct sms_provider *p = new_cmd(10, argv);
	struct sms_result res;
	size_t len;
	char *got;

	(void)state;
	assert_int_equal(run(p, &m, &res, NULL), SMS_OK);
	got = slurp(in_dir("stdin"), &len);
	assert_int_equal(len, 0);
	free(got);
	sms_provider_free(p);
}

/* Arguments refused at the send, before anything runs (nothing left):
 * {message}, even where no check ran before (the code must never be in
 * argv), and a value with a control character (option and line
 * injection). */
static void
test_refused_args(void **state)
{
	static const struct {
		const char *item;	/* argv[2] */
		const char *sender;
		const char *want;
	} cases[] = {
		{ "{message}", NULL, "{message}" },
		{ "--text={message}", NULL, "{message}" },
		{ "{sender}", "AC\x1bME\n--evil", "the value of {sender} holds a newline" },
	};
	const char *prog = script("ran.sh", "touch %D/ran\n");
	const char *argv[] = { prog, "--x", NULL, NULL };
	struct sms_provider *p;
	struct sms_result res;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		argv[2] = cases[i].item;
		p = new_cmd(10, argv);
		if (cases[i].sender != NULL)
			p->sender = xstrdup(cases[i].sender);
		assert_int_equal(run(p, &msg, &res, NULL), SMS_FAILED);
		assert_non_null(strstr(res.error, "argv[2]"));
		assert_non_null(strstr(res.error, cases[i].want));
		assert_int_equal(res.left, 0);
		assert_clean(res.error);
		assert_int_equal(access(in_dir("ran"), F_OK), -1);
		sms_provider_free(p);
	}
}

static void
test_env_clean(void **state)
{
	const char *prog = script("env.sh",
		"tr '\\0' '\\n' < /proc/$$/environ > %D/env\n");
	const char *argv[] = { prog, NULL };
	struct sms_provider *p = new_cmd(10, argv);
	struct sms_result res;
	char *got;

	(void)state;
	/* What a sudo caller could set. */
	setenv("LD_PRELOAD", "/nonexistent/evil.so", 1);
	setenv("http_proxy", "http://203.0.113.1:3128", 1);
	setenv("HTTPS_PROXY", "http://203.0.113.1:3128", 1);
	setenv("SSLKEYLOGFILE", "/tmp/keys", 1);
	setenv("IFS", "/", 1);
	setenv("PATH", "/tmp/evil:/usr/bin", 1);
	assert_int_equal(run(p, &msg, &res, NULL), SMS_OK);
	unsetenv("LD_PRELOAD");
	unsetenv("http_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("SSLKEYLOGFILE");
	unsetenv("IFS");
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	got = slurp(in_dir("env"), NULL);
	assert_string_equal(got, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
			    "LANG=C.UTF-8\n");
	free(got);
	sms_provider_free(p);
}

static void
test_no_fd_leak(void **state)
{
	const char *prog = script("fds.sh",
		"exec ls -l /proc/self/fd/ > %D/fds\n");
	const char *argv[] = { prog, NULL };
	struct sms_provider *p = new_cmd(10, argv);
	struct sms_result res;
	char *got, *line, *save = NULL;
	int plain, pfd[2], n = 0;

	(void)state;
	/* fds the host left inheritable. */
	plain = open("/dev/null", O_RDONLY);
	assert_true(plain >= 0);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(run(p, &msg, &res, NULL), SMS_OK);
	close(plain);
	close(pfd[0]);
	close(pfd[1]);
	got = slurp(in_dir("fds"), NULL);
	/* Lines "... 3 -> /proc/123/fd": only 0, 1, 2 and ls's own look at
	 * the folder. */
	for (line = strtok_r(got, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *arrow = strstr(line, " -> "), *num;
		long fd;

		if (arrow == NULL)
			continue;
		num = arrow;
		while (num > line && num[-1] != ' ')
			num--;
		fd = strtol(num, NULL, 10);
		if (fd <= 2) {
			n++;
			continue;
		}
		if (strncmp(arrow + 4, "/proc/", 6) == 0 &&
		    strcmp(arrow + strlen(arrow) - 3, "/fd") == 0)
			continue;
		fail_msg("fd leaked into the program: %s", line);
	}
	assert_int_equal(n, 3);
	free(got);
	sms_provider_free(p);
}

/*
 * A signal set from /proc/PID/status ("SigIgn:", "SigBlk:"), without the
 * signals glibc keeps to itself (32 and 33, below SIGRTMIN): its sigaction
 * refuses them, so a host that ignores them passes that on.
 */
static unsigned long long
sig_field(const char *status, const char *name)
{
	const char *s = strstr(status, name);
	unsigned long long v;
	int sig;

	assert_non_null(s);
	v = strtoull(s + strlen(name), NULL, 16);
	for (sig = 32; sig < SIGRTMIN && sig <= 64; sig++)
		v &= ~(1ULL << (sig - 1));
	return v;
}

/* Process group, directory, umask, signal mask and ignored signals. */
static void
test_child_state(void **state)
{
	const char *prog = script("state.sh",
		"pwd > %D/pwd\n"
		"umask > %D/umask\n"
		"echo $$ > %D/pid\n"
		"cat /proc/$$/stat > %D/stat\n"
		"exec cat /proc/self/status > %D/status\n");
	const char *argv[] = { prog, NULL };
	struct sms_provider *p = new_cmd(10, argv);
	struct sms_result res;
	struct sigaction ign, old_int, old_term;
	sigset_t usr1, oldmask;
	char *got, *rp;
	long pid, pgrp;
	mode_t oldumask;

	(void)state;
	/* A host that ignores and blocks signals, with its own umask. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGTERM, &ign, &old_term);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &oldmask);
	oldumask = umask(0);
	assert_int_equal(run(p, &msg, &res, NULL), SMS_OK);
	umask(oldumask);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);

	got = slurp(in_dir("pwd"), NULL);
	assert_string_equal(got, "/\n");
	free(got);
	got = slurp(in_dir("umask"), NULL);
	assert_string_equal(got, "0077\n");
	free(got);
	pid = (long)read_pid(in_dir("pid"));
	got = slurp(in_dir("stat"), NULL);
	rp = strrchr(got, ')');
	assert_non_null(rp);
	/* ") S ppid pgrp": its own group */
	assert_int_equal(sscanf(rp + 3, "%*d %ld", &pgrp), 1);
	assert_int_equal(pgrp, pid);
	free(got);
	got = slurp(in_dir("status"), NULL);
	assert_int_equal(sig_field(got, "SigBlk:"), 0);
	assert_int_equal(sig_field(got, "SigIgn:"), 0);
	free(got);
	sms_provider_free(p);
}

/* ------------------------------------------------------------------ */
/* Exit statuses and output */

static void
test_exit_status(void **state)
{
	const char *ok = script("ok.sh", "cat > /dev/null\nexit 0\n");
	const char *bad = script("bad.sh",
		"echo \"modem: no network for $1\" >&2\n"
		"echo \"text was: $(cat)\"\n"
		"echo \"code " CODE ", number 447700900123\" >&2\n"
		"exit 3\n");
	const char *argv_ok[] = { ok, "{phone}", NULL };
	const char *argv_bad[] = { bad, "{phone}", NULL };
	struct sms_provider *p = new_cmd(10, argv_ok);
	struct sms_result res;

	(void)state;
	assert_int_equal(run(p, &msg, &res, NULL), SMS_OK);
	assert_string_equal(res.error, "");
	assert_int_equal(res.left, 1);
	sms_provider_free(p);

	/* the program's own "no": not accepted, but it ran */
	p = new_cmd(10, argv_bad);
	assert_int_equal(run(p, &msg, &res, NULL), SMS_FAILED);
	assert_non_null(strstr(res.error, "exited with status 3: "));
	assert_non_null(strstr(res.error, "modem: no network for ***"));
	assert_int_equal(res.left, 1);
	assert_clean(res.error);
	sms_provider_free(p);
}

/* A signal the supervisor did not send: no verdict (whoever sent it, the
 * message may be out), never "not accepted". */
static void
test_killed_by_signal(void **state)
{
	(void)state;
	expect_send(script("sig.sh", "echo dying\nkill -TERM $$\n"),
		    SMS_EBROKEN, "killed by signal 15: dying", 1);
	expect_send(script("segv.sh", "cat > /dev/null\nkill -SEGV $$\n"),
		    SMS_EBROKEN, "killed by signal 11", 1);
}

/* 1 MiB of output, on stdout and stderr, before reading stdin. */
static void
test_output_flood(void **state)
{
	const char *ok = script("flood.sh",
		"head -c 1048576 /dev/zero | tr '\\0' x\n"
		"head -c 1048576 /dev/zero | tr '\\0' y >&2\n"
		"cat > /dev/null\n");
	const char *bad = script("flood3.sh",
		"head -c 1048576 /dev/zero | tr '\\0' x\nexit 3\n");
	const char *argv[] = { ok, NULL };
	struct sms_provider *p = new_cmd(10, argv);
	struct sms_result res;
	long ms;

	(void)state;
	assert_int_equal(run(p, &msg, &res, &ms), SMS_OK);
	assert_true(ms < 5000);
	sms_provider_free(p);
	argv[0] = bad;
	p = new_cmd(10, argv);
	assert_int_equal(run(p, &msg, &res, &ms), SMS_FAILED);
	assert_true(ms < 5000);
	assert_non_null(strstr(res.error, "exited with status 3: xxxx"));
	/* an excerpt, not the output */
	assert_true(strlen(res.error) <= 40 + SMS_EXCERPT_MAX);
	sms_provider_free(p);
}

/* ------------------------------------------------------------------ */
/* Timeouts and process groups */

static void
test_timeout(void **state)
{
	const char *prog = script("hang.sh", "echo started\nsleep 30\n");
	const char *argv[] = { prog, NULL };
	struct sms_provider *p = new_cmd(2, argv);
	struct sms_result res;
	long ms;

	(void)state;
	/* the supervisor's kill: the provider did not answer in time */
	assert_int_equal(run(p, &msg, &res, &ms), SMS_FAILED);
	assert_string_equal(res.error, "timed out after 2 s");
	assert_int_equal(res.left, 1);
	assert_true(ms >= 1900);
	assert_true(ms < 3000);
	sms_provider_free(p);
}

/* The program's own children go with it: `sleep 30 &` and wait. */
static void
test_timeout_group(void **state)
{
	const char *prog = script("group.sh",
		"sleep 30 &\necho $! > %D/bgpid\nwait\n");
	const char *argv[] = { prog, NULL };
	struct sms_provider *p = new_cmd(1, argv);
	struct sms_result res;
	long ms;

	(void)state;
	assert_int_equal(run(p, &msg, &res, &ms), SMS_FAILED);
	assert_string_equal(res.error, "timed out after 1 s");
	assert_true(ms < 2500);
	assert_true(gone(read_pid(in_dir("bgpid"))));
	sms_provider_free(p);
}

/* A program that exits 0 but leaves a helper holding its output open:
 * accepted at once, and the helper is ended. */
static void
test_leftover_after_exit(void **state)
{
	const char *prog = script("leftover.sh",
		"cat > /dev/null\nsleep 30 &\necho $! > %D/bgpid\nexit 0\n");
	const char *argv[] = { prog, NULL };
	struct sms_provider *p = new_cmd(10, argv);
	struct sms_result res;
	long ms;

	(void)state;
	assert_int_equal(run(p, &msg, &res, &ms), SMS_OK);
	assert_true(ms < 2000);
	assert_true(gone(read_pid(in_dir("bgpid"))));
	sms_provider_free(p);
}

/* ------------------------------------------------------------------ */
/* Failures around the program */

static void
test_cannot_run(void **state)
{
	const char *noexec = script("noexec.sh", "exit 0\n");
	const char *argv[] = { in_dir("missing"), NULL };
	struct sms_provider *p = new_cmd(10, argv);
	struct sms_result res;
	char want[300];
	long ms;

	(void)state;
	/* no verdict of a program (it never ran), and nothing left */
	assert_int_equal(run(p, &msg, &res, &ms), SMS_EBROKEN);
	snprintf(want, sizeof(want), "cannot run %s: %s", in_dir("missing"),
		 strerror(ENOENT));
	assert_string_equal(res.error, want);
	assert_int_equal(res.left, 0);
	assert_true(ms < 2000);
	sms_provider_free(p);

	/* Not executable: even root needs an x bit. */
	assert_int_equal(chmod(noexec, 0600), 0);
	snprintf(want, sizeof(want), "cannot run %s: %s", noexec,
		 strerror(EACCES));
	expect_send(noexec, SMS_EBROKEN, want, 0);
	/* A folder. */
	expect_send(dir, SMS_EBROKEN, "cannot run ", 0);
}

/* In a child (in_child): every fd up to a low limit taken, then a send
 * through provider p.  0 when it was SMS_EBROKEN with nothing left. */
static int
send_without_fds(void *p)
{
	struct rlimit rl;
	struct sms_result res;
	int rc;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 2;
	rl.rlim_cur = 16;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 2;
	while (open("/dev/null", O_RDONLY) >= 0)
		;
	memset(&res, 0, sizeof(res));
	res.left = 1;
	rc = sms_command_send(p, &msg, NULL, &res);
	return rc == SMS_EBROKEN && res.left == 0 &&
	       strstr(res.error, "cannot run") != NULL ? 0 : 1;
}

/* No fd left for the pipes (sudo's caller chooses RLIMIT_NOFILE): not
 * started, nothing left, and no verdict, so no fail mode may open. */
static void
test_no_fds(void **state)
{
	const char *prog = script("ran.sh", "touch %D/ran\ncat > /dev/null\n");
	const char *argv[] = { prog, NULL };
	struct sms_provider *p = new_cmd(10, argv);

	(void)state;
	in_child(send_without_fds, p);
	assert_int_equal(access(in_dir("ran"), F_OK), -1);
	sms_provider_free(p);
}

/* The program closes stdin before the text is written: EPIPE, and the
 * SIGPIPE that comes with it must neither kill nor reach the host. */
static void
test_epipe(void **state)
{
	const char *prog = script("epipe.sh",
		"exec 0<&-\nsleep 0.3\nexit 0\n");
	const char *argv[] = { prog, NULL };
	struct sms_provider *p = new_cmd(10, argv);
	struct sms_message m = { PHONE, NULL, CODE };
	struct sms_result res;
	struct sigaction dfl, old, now;
	sigset_t pending, mask_before, mask_after;
	char *big;

	(void)state;
	/* Larger than a pipe: the write must meet the closed end. */
	big = malloc(512 * 1024 + 1);
	assert_non_null(big);
	memset(big, 'a', 512 * 1024);
	big[512 * 1024] = '\0';
	m.text = big;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &dfl, &old);
	sigprocmask(SIG_SETMASK, NULL, &mask_before);

	assert_int_equal(run(p, &m, &res, NULL), SMS_OK);

	/* Still alive, nothing pending, disposition and mask as they were. */
	sigpending(&pending);
	assert_int_equal(sigismember(&pending, SIGPIPE), 0);
	sigaction(SIGPIPE, NULL, &now);
	assert_true(now.sa_handler == SIG_DFL);
	sigprocmask(SIG_SETMASK, NULL, &mask_after);
	assert_int_equal(sigismember(&mask_after, SIGPIPE),
			 sigismember(&mask_before, SIGPIPE));
	sigaction(SIGPIPE, &old, NULL);
	free(big);
	sms_provider_free(p);
}

/* A host with SIGCHLD ignored loses its children's exit statuses: without
 * one, there is no telling whether the message went. */
static void
test_host_reaps(void **state)
{
	const char *prog = script("reaped.sh", "cat > /dev/null\nexit 0\n");
	const char *argv[] = { prog, NULL };
	struct sms_provider *p = new_cmd(10, argv);
	struct sms_result res;
	struct sigaction ign, old;
	long ms;

	(void)state;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGCHLD, &ign, &old);
	assert_int_equal(run(p, &msg, &res, &ms), SMS_EBROKEN);
	sigaction(SIGCHLD, &old, NULL);
	assert_non_null(strstr(res.error, "exit status"));
	assert_non_null(strstr(res.error, "lost"));
	assert_int_equal(res.left, 1);
	assert_true(ms < 3000);
	sms_provider_free(p);
}

/* Through sms_send: failover to the next provider, and a log without the
 * text, the code or the number. */
static void
test_failover_and_log(void **state)
{
	const char *bad = script("echo.sh",
		"cat\necho \"to $1 $2\"\nexit 1\n");
	const char *ok = script("take.sh", "cat > %D/taken\n");
	const char *argv_bad[] = { bad, "{phone}", "{phone_digits}", NULL };
	const char *argv_ok[] = { ok, NULL };
	struct sms_provider *list[2];
	struct sms_result res;
	char *got;

	(void)state;
	list[0] = new_cmd(10, argv_bad);
	list[1] = new_cmd(10, argv_ok);
	free(list[1]->name);
	list[1]->name = xstrdup("cmd2");
	logbuf[0] = '\0';
	memset(&res, 0, sizeof(res));
	assert_int_equal(sms_send(list, 2, &msg, NULL, &test_log, &res), SMS_OK);
	assert_string_equal(res.provider, "cmd2");
	assert_non_null(strstr(logbuf, "provider 'cmd' failed: exited with "
			       "status 1"));
	assert_clean(logbuf);
	got = slurp(in_dir("taken"), NULL);
	assert_string_equal(got, TEXT);
	free(got);
	sms_provider_free(list[0]);
	sms_provider_free(list[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_check_limits),
		cmocka_unit_test_setup_teardown(test_argv_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdin_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_fd_leak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_by_signal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftover_after_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cannot_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epipe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_reaps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failover_and_log, setup, teardown),
	};

	/* SIGPIPE keeps its default action here (unlike test_sms): a write
	 * the provider fails to guard ends this test. */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
