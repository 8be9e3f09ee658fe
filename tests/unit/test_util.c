/*
 * Unit tests of util/: util_sanitize against terminal escape sequences,
 * C1 controls and invalid UTF-8, by a table and by random bytes;
 * util_blank_digits; util_run's stderr kept apart from stdout, bounded
 * and drained; util_child_harden, alone and in util_run's child, under a
 * parent that has a caller's real uid (as under sudo) and low limits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../util/util.h"
#include "testlib.h"

/* A string before and after a function that changes it in place. */
struct str_case {
	const char *in;
	const char *want;
};

/* Each case through fn, which must give want; then fn(NULL) is fine. */
static void
check_str_cases(const struct str_case *cases, size_t n, void (*fn)(char *))
{
	char buf[256];
	size_t i;

	for (i = 0; i < n; i++) {
		util_strlcpy(buf, cases[i].in, sizeof(buf));
		fn(buf);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, buf,
				 cases[i].want);
	}
	fn(NULL);
}

/* ------------------------------------------------------------------ */
/* util_is_ctl, util_has_ctl: the one control-character test */

static void
test_ctl(void **state)
{
	unsigned c;

	(void)state;
	for (c = 0; c < 256; c++) {
		int want = c < 0x20 || c == 0x7f;

		assert_int_equal(util_is_ctl((unsigned char)c, 0), want);
		assert_int_equal(util_is_ctl((unsigned char)c, 1),
				 want && c != '\t');
	}
	assert_false(util_has_ctl("", 0));
	assert_false(util_has_ctl(NULL, 0));
	assert_false(util_has_ctl("plain text, caf\xc3\xa9 ~!", 0));
	/* C1 controls are UTF-8 sequences, not single bytes: not here */
	assert_false(util_has_ctl("\xc2\x85", 0));
	assert_true(util_has_ctl("a\nb", 0));
	assert_true(util_has_ctl("a\nb", 1));
	assert_true(util_has_ctl("a\rb", 1));
	assert_true(util_has_ctl("end\x7f", 1));
	assert_true(util_has_ctl("\x1b[31m", 1));
	assert_true(util_has_ctl("a\tb", 0));
	assert_false(util_has_ctl("a\tb", 1));
	assert_true(util_has_ctl("a\tb\x01", 1));
}

/* ------------------------------------------------------------------ */
/* util_sanitize */

static const struct str_case sanitize_cases[] = {
	{ "", "" },
	{ "alice", "alice" },
	/* C0 controls and DEL: '?' as always */
	{ "a\nb\tc\rd\x7f", "a?b?c?d?" },
	{ "line\nuser=root result=ok", "line?user=root result=ok" },
	/* printable UTF-8 unchanged */
	{ "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac" },
	{ "\xf0\x9f\x94\x91 key", "\xf0\x9f\x94\x91 key" },
	{ "nbsp\xc2\xa0x", "nbsp\xc2\xa0x" },
	{ "\xef\xbf\xbd", "\xef\xbf\xbd" },
	{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },
	/* CSI, whole */
	{ "\x1b[31mred\x1b[0m", "red" },
	{ "user\x1b[2J\x1b[Hroot", "userroot" },
	{ "\x1b[1;2;3Hx", "x" },
	{ "\x1b[?25lhidden", "hidden" },
	{ "\x1b[ q", "" },
	{ "\x1b[31", "" },
	{ "\x1b[", "" },
	/* a control inside CSI ends it and is shown as '?' */
	{ "\x1b[3\nx", "?x" },
	/* OSC, DCS, APC, PM, SOS: up to BEL, ST or the end */
	{ "\x1b]0;title\x07" "after", "after" },
	{ "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\", "link" },
	{ "\x1bPq#0;2;0;0;0\x1b\\ok", "ok" },
	{ "\x1b_apc\x07x", "x" },
	{ "\x1b^pm\x07x", "x" },
	{ "\x1bXsos\x07x", "x" },
	{ "\x1b]0;t\xc2\x9cx", "x" },
	{ "\x1b]0;unterminated\nuser=root", "" },
	{ "\x1b]", "" },
	/* two-byte and intermediate escapes */
	{ "\x1b" "c reset", " reset" },
	{ "\x1b" "7saved\x1b" "8", "saved" },
	{ "\x1b(Bx", "x" },
	{ "\x1b#8x", "x" },
	/* a lone ESC, or ESC before something no sequence starts with */
	{ "\x1b", "" },
	{ "a\x1b", "a" },
	{ "a\x1b\nb", "a?b" },
	{ "a\x1b\xc3\xa9", "a\xc3\xa9" },
	{ "\x1b\x1b[31mx", "x" },
	/* UTF-8 encoded C1 controls: gone, with their sequence */
	{ "\xc2\x9b" "31mred", "red" },
	{ "\xc2\x9b?25lx", "x" },
	{ "\xc2\x9d" "0;title\x07x", "x" },
	{ "\xc2\x9d" "0;title\xc2\x9cx", "x" },
	{ "\xc2\x9d" "0;title\x1b\\x", "x" },
	{ "\xc2\x90q\x1b\\x", "x" },
	{ "\xc2\x98s\x07x", "x" },
	{ "\xc2\x9ep\x07x", "x" },
	{ "\xc2\x9f" "a\x07x", "x" },
	{ "\xc2\x85next", "next" },
	{ "a\xc2\x80\xc2\x8a" "b", "ab" },
	{ "\xc2\x9c", "" },
	/* not valid UTF-8: '?' */
	{ "\x80", "?" },
	{ "a\xffz", "a?z" },
	{ "\x9b" "31m", "?31m" },
	{ "\xc0\x80", "??" },
	{ "\xc1\xbf", "??" },
	{ "\xe0\x80\xaf", "???" },
	{ "\xf0\x80\x80\xaf", "????" },
	{ "\xed\xa0\x80", "???" },
	{ "\xed\xbf\xbf", "???" },
	{ "\xf4\x90\x80\x80", "????" },
	{ "\xf5\x80\x80\x80", "????" },
	{ "\xe6\x97", "?" },
	{ "\xe6\x97x", "?x" },
	{ "\xf0\x9f\x94", "?" },
	{ "\xf0\x9f\x94\xc3\xa9", "?\xc3\xa9" },
	{ "\xc3", "?" },
	{ "\xc3\x1b[1mx", "?x" },
	/* characters that reorder or break the line where it is shown:
	 * '?' (a name "alice\u202Etoor" must not read "alice root" reversed) */
	{ "alice\xe2\x80\xaetoor", "alice?toor" },
	{ "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", "????" },
	{ "\xe2\x81\xa6x\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "?x???" },
	{ "a\xe2\x80\x8e\xe2\x80\x8f" "b", "a??b" },
	{ "\xd8\x9c", "?" },
	{ "line\xe2\x80\xa8user=root\xe2\x80\xa9", "line?user=root?" },
	/* their neighbours stay: U+202F, U+2065, U+2070, U+061B, U+200D */
	{ "\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xb0\xd8\x9b\xe2\x80\x8d",
	  "\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xb0\xd8\x9b\xe2\x80\x8d" },
};

static void
test_sanitize_table(void **state)
{
	(void)state;
	check_str_cases(sanitize_cases, sizeof(sanitize_cases) /
			sizeof(sanitize_cases[0]), util_sanitize);
}

/* Is s valid UTF-8 with no control character, C0 or C1? */
static int
clean_utf8(const unsigned char *s)
{
	while (*s != '\0') {
		size_t n, k;
		unsigned long cp;

		if (*s < 0x20 || *s == 0x7f)
			return 0;
		if (*s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf) {
			n = 2;
			cp = *s & 0x1f;
		} else if (*s >= 0xe0 && *s <= 0xef) {
			n = 3;
			cp = *s & 0x0f;
		} else if (*s >= 0xf0 && *s <= 0xf4) {
			n = 4;
			cp = *s & 0x07;
		} else {
			return 0;
		}
		for (k = 1; k < n; k++) {
			if ((s[k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (cp >= 0x80 && cp <= 0x9f))
			return 0;
		s += n;
	}
	return 1;
}

/* Random bytes, weighted toward ESC, C1 leads and sequence bytes: the
 * result is never longer, always clean UTF-8, and sanitizing it again
 * changes nothing. */
static void
test_sanitize_random(void **state)
{
	static const unsigned char pick[] = { 0x1b, 0x1b, '[', ']', 'P', '\\',
		0x07, 0xc2, 0xc2, 0x9b, 0x9c, 0x9d, 0x85, 0xe6, 0x97, 0xa5,
		0xf0, 0x9f, 0xed, 0xa0, 0x80, 0xff, '\n', '3', '1', 'm', 'a',
		';', ' ' };
	unsigned char buf[64], again[64];
	unsigned seed = 12345;
	size_t i, j, len;

	(void)state;
	for (i = 0; i < 200000; i++) {
		len = (size_t)(rand_r(&seed) % (int)(sizeof(buf) - 1));
		for (j = 0; j < len; j++) {
			int r = rand_r(&seed);

			buf[j] = r % 3 == 0 ? (unsigned char)(r >> 8) :
				 pick[(size_t)(r >> 8) % sizeof(pick)];
			if (buf[j] == '\0')
				buf[j] = 'x';
		}
		buf[len] = '\0';
		util_sanitize((char *)buf);
		if (strlen((char *)buf) > len)
			fail_msg("round %zu: longer than its input", i);
		if (!clean_utf8(buf))
			fail_msg("round %zu: not clean UTF-8", i);
		memcpy(again, buf, sizeof(buf));
		util_sanitize((char *)again);
		if (strcmp((char *)again, (char *)buf) != 0)
			fail_msg("round %zu: a second pass changed it", i);
	}
}

/* ------------------------------------------------------------------ */
/* util_blank_digits */

static void
test_blank_digits(void **state)
{
	static const struct str_case cases[] = {
		{ "", "" },
		{ "no digits", "no digits" },
		{ "port 389, 10.0.0.1", "port 389, 10.0.0.1" },
		{ "+447700900123", "+############" },
		{ "+44 7700 900123 x", "+44 #### ###### x" },
		{ "code 1234", "code ####" },
		{ "1234", "####" },
		{ "a123b4567", "a123b####" },
	};

	(void)state;
	check_str_cases(cases, sizeof(cases) / sizeof(cases[0]),
			util_blank_digits);
}

/* ------------------------------------------------------------------ */
/* util_run */

static char dir[64];		/* the test's folder, for scripts */

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_util.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return remove_dir(dir);
}

/* The text of the file name in the test's folder, into buf (size). */
static const char *
in_dir_text(const char *name, char *buf, size_t size)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	buf[fread(buf, 1, size - 1, f)] = '\0';
	fclose(f);
	return buf;
}

/* Runs a /bin/sh program with body ("%D": the folder) under util_run,
 * with out and errout (errout NULL: not kept apart) and flags; returns
 * util_run's result.  NUL-terminates both buffers. */
static int
run_body(const char *body, struct util_run *run, char *out, size_t outcap,
	 char *errout, size_t errcap, int flags)
{
	char path[128], err[256];
	char *argv[2];
	int rc;

	snprintf(path, sizeof(path), "%s/prog.sh", dir);
	write_script(path, dir, body);
	argv[0] = path;
	argv[1] = NULL;
	memset(run, 0, sizeof(*run));
	run->argv = argv;
	run->out = out;
	run->out_cap = outcap - 1;
	run->errout = errout;
	run->errout_cap = errout != NULL ? errcap - 1 : 0;
	run->timeout_ms = 10000;
	run->flags = flags;
	rc = util_run(run, err, sizeof(err));
	if (rc != 0)
		fail_msg("util_run: %d: %s", rc, err);
	out[run->out_len] = '\0';
	if (errout != NULL)
		errout[run->errout_len] = '\0';
	run->argv = NULL;
	return rc;
}

static void
test_run_errout(void **state)
{
	struct util_run run;
	char out[64], errout[64];
	long t0;

	(void)state;
	/* apart: each in its own buffer */
	run_body("echo out\necho err >&2\necho more\nexit 3\n", &run, out,
		 sizeof(out), errout, sizeof(errout), 0);
	assert_string_equal(out, "out\nmore\n");
	assert_string_equal(errout, "err\n");
	assert_true(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 3);
	/* UTIL_RUN_STDERR gives way to errout */
	run_body("echo out\necho err >&2\n", &run, out, sizeof(out), errout,
		 sizeof(errout), UTIL_RUN_STDERR);
	assert_string_equal(out, "out\n");
	assert_string_equal(errout, "err\n");
	/* without errout: /dev/null, or into out with UTIL_RUN_STDERR */
	run_body("echo out\necho err >&2\n", &run, out, sizeof(out), NULL, 0,
		 0);
	assert_string_equal(out, "out\n");
	run_body("echo out\necho err >&2\n", &run, out, sizeof(out), NULL, 0,
		 UTIL_RUN_STDERR);
	assert_string_equal(out, "out\nerr\n");
	/* 1 MiB on stderr: the first bytes kept, the rest drained, no
	 * overflow (that is stdout's), and no wait for the deadline */
	t0 = util_now_ms();
	run_body("head -c 1048576 /dev/zero | tr '\\0' e >&2\necho done\n",
		 &run, out, sizeof(out), errout, sizeof(errout), 0);
	assert_true(util_now_ms() - t0 < 5000);
	assert_int_equal(run.errout_len, sizeof(errout) - 1);
	assert_int_equal(strspn(errout, "e"), sizeof(errout) - 1);
	assert_string_equal(out, "done\n");
	assert_int_equal(run.overflow, 0);
	assert_int_equal(run.timed_out, 0);
	assert_true(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0);
}

/* ------------------------------------------------------------------ */
/* util_child_harden */

/* The uid a caller of sudo has in these tests. */
#define CALLER 1000

/* What a child had after util_child_harden. */
#define N_HARDEN 8

struct harden_seen {
	struct rlimit lim[N_HARDEN];	/* in the order of harden_limits */
	uid_t uid[3];		/* real, effective, saved */
	gid_t gid[3];
	int nice;
};

static const int harden_limits[N_HARDEN] = { RLIMIT_FSIZE, RLIMIT_CPU,
	RLIMIT_AS, RLIMIT_DATA, RLIMIT_NOFILE, RLIMIT_CORE, RLIMIT_STACK,
	RLIMIT_NPROC };

/* Limits a caller could leave: low soft limits under higher hard ones,
 * too few fds, core dumps on, a small stack, few processes; and a nice
 * value of 10. */
static int
caller_limits(void)
{
	static const struct rlimit want[N_HARDEN] = {
		{ 4096, 1 << 20 }, { 5, 100 }, { 1UL << 40, RLIM_INFINITY },
		{ 1UL << 40, RLIM_INFINITY }, { 32, 64 }, { 0, RLIM_INFINITY },
		{ 256 << 10, 16 << 20 }, { 1, 1000 },
	};
	struct rlimit core = { RLIM_INFINITY, RLIM_INFINITY };
	size_t i;

	if (setpriority(PRIO_PROCESS, 0, 10) != 0)
		return -1;
	for (i = 0; i < N_HARDEN; i++) {
		if (setrlimit(harden_limits[i], &want[i]) != 0)
			return -1;
	}
	/* a core dump on, where allowed */
	if (setrlimit(RLIMIT_CORE, &core) != 0) {
		core.rlim_max = want[5].rlim_max;
		core.rlim_cur = 1 << 20;
		(void)setrlimit(RLIMIT_CORE, &core);
	}
	return 0;
}

/*
 * In a child: the caller's limits; with ruid, real ids CALLER and, with
 * all, the effective and saved ones too (a plain user); then
 * util_child_harden.  What it had then is in *seen.  Returns 0, or -1
 * when the child could not be set up.
 */
static int
harden_in_child(int ruid, int all, struct harden_seen *seen)
{
	int fd[2], status;
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct harden_seen h;
		size_t i;
		uid_t u = all ? CALLER : 0;

		close(fd[0]);
		if (caller_limits() != 0)
			_exit(2);
		if (ruid && (setresgid(CALLER, u, u) != 0 ||
			     setresuid(CALLER, u, u) != 0))
			_exit(3);
		util_child_harden();
		for (i = 0; i < N_HARDEN; i++)
			(void)getrlimit(harden_limits[i], &h.lim[i]);
		errno = 0;
		h.nice = getpriority(PRIO_PROCESS, 0);
		(void)getresuid(&h.uid[0], &h.uid[1], &h.uid[2]);
		(void)getresgid(&h.gid[0], &h.gid[1], &h.gid[2]);
		n = write(fd[1], &h, sizeof(h));
		_exit(n == (ssize_t)sizeof(h) ? 0 : 4);
	}
	close(fd[1]);
	n = read(fd[0], seen, sizeof(*seen));
	close(fd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    n != (ssize_t)sizeof(*seen))
		return -1;
	return 0;
}

/* May this process raise a hard limit (root with CAP_SYS_RESOURCE; a
 * container may withhold it)?  Tried in a child. */
static int
can_raise_hard(void)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit low = { 4096, 4096 }, up = { RLIM_INFINITY,
			RLIM_INFINITY };

		_exit(setrlimit(RLIMIT_FSIZE, &low) == 0 &&
		      setrlimit(RLIMIT_FSIZE, &up) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
assert_limit(const struct rlimit *rl, rlim_t cur, rlim_t max)
{
	assert_true(rl->rlim_cur == cur);
	assert_true(rl->rlim_max == max);
}

/* Under sudo: the caller's real uid, euid 0.  All ids 0 afterwards,
 * limits reset: beyond the caller's hard limits where root may (with
 * CAP_SYS_RESOURCE), else up to them. */
static void
test_harden_root(void **state)
{
	struct harden_seen h;
	int i, up;

	(void)state;
	if (geteuid() != 0)
		skip();
	up = can_raise_hard();
	assert_int_equal(harden_in_child(1, 0, &h), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(h.uid[i], 0);
		assert_int_equal(h.gid[i], 0);
	}
	if (up) {
		assert_limit(&h.lim[0], RLIM_INFINITY, RLIM_INFINITY);
		assert_limit(&h.lim[1], RLIM_INFINITY, RLIM_INFINITY);
		assert_limit(&h.lim[4], 1024, 1024);
		assert_limit(&h.lim[7], RLIM_INFINITY, RLIM_INFINITY);
	} else {
		print_message("no CAP_SYS_RESOURCE: soft limits up to the "
			      "caller's hard ones only\n");
		assert_limit(&h.lim[0], 1 << 20, 1 << 20);
		assert_limit(&h.lim[1], 100, 100);
		assert_limit(&h.lim[4], 64, 64);
		assert_limit(&h.lim[7], 1000, 1000);
	}
	assert_limit(&h.lim[2], RLIM_INFINITY, RLIM_INFINITY);
	assert_limit(&h.lim[3], RLIM_INFINITY, RLIM_INFINITY);
	assert_limit(&h.lim[5], 0, 0);
	assert_limit(&h.lim[6], 8 << 20, 16 << 20);
	assert_int_equal(h.nice, 0);
}

/* Not root: the ids stay, soft limits rise as far as the hard ones. */
static void
test_harden_user(void **state)
{
	struct harden_seen h;
	uid_t u = geteuid() == 0 ? CALLER : getuid();
	int i;

	(void)state;
	assert_int_equal(harden_in_child(geteuid() == 0, 1, &h), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(h.uid[i], u);
	assert_limit(&h.lim[0], 1 << 20, 1 << 20);
	assert_limit(&h.lim[1], 100, 100);
	assert_limit(&h.lim[2], RLIM_INFINITY, RLIM_INFINITY);
	assert_limit(&h.lim[3], RLIM_INFINITY, RLIM_INFINITY);
	assert_limit(&h.lim[4], 64, 64);
	assert_true(h.lim[5].rlim_cur == 0);
	assert_limit(&h.lim[6], 8 << 20, 16 << 20);
	assert_limit(&h.lim[7], 1000, 1000);
	assert_int_equal(h.nice, 10);	/* only root may lower it */
}

/*
 * util_run's child, from a parent as sudo runs PAM (real uid CALLER,
 * effective 0, the caller's limits): root's ids and sane limits in the
 * program, and the caller can no longer signal it (setpriv plays the
 * caller, before the program ends).
 */
static void
test_harden_run(void **state)
{
	static const char body[] =
	    "grep -E '^(Uid|Gid):' /proc/$$/status > %D/ids\n"
	    "{ ulimit -f; ulimit -t; ulimit -v; ulimit -d; ulimit -n; "
	    "ulimit -c; } > %D/limits\n"
	    "setpriv --reuid=1000 --regid=1000 --clear-groups true && "
	    "echo ran > %D/setpriv\n"
	    "if setpriv --reuid=1000 --regid=1000 --clear-groups "
	    "kill -0 $$ 2>/dev/null; then echo signalable; else "
	    "echo protected; fi > %D/kill\n";
	char path[128], got[512];
	int status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0)
		skip();
	snprintf(path, sizeof(path), "%s/prog.sh", dir);
	write_script(path, dir, body);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[2] = { path, NULL };
		char out[16], err[256];
		struct util_run run;

		if (caller_limits() != 0 ||
		    setresgid(CALLER, 0, 0) != 0 || setresuid(CALLER, 0, 0) != 0)
			_exit(2);
		memset(&run, 0, sizeof(run));
		run.argv = argv;
		run.out = out;
		run.out_cap = sizeof(out);
		run.timeout_ms = 10000;
		_exit(util_run(&run, err, sizeof(err)) == 0 &&
		      WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0 ?
		      0 : 3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	/* 3: the program failed (without the reset, a shell run with a
	 * real uid not 0 drops to it and cannot write its files) */
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(in_dir_text("ids", got, sizeof(got)),
			    "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
	/* dash counts -f in 512-byte blocks: the caller's hard 1 MiB */
	assert_string_equal(in_dir_text("limits", got, sizeof(got)),
			    can_raise_hard() ?
			    "unlimited\nunlimited\nunlimited\nunlimited\n1024\n0\n" :
			    "2048\n100\nunlimited\nunlimited\n64\n0\n");
	assert_string_equal(in_dir_text("setpriv", got, sizeof(got)), "ran\n");
	assert_string_equal(in_dir_text("kill", got, sizeof(got)),
			    "protected\n");
}

/* {host}: the name up to its first dot, never empty, never cut into a
 * too small buffer's neighbour. */
/* util_run with a function instead of a program: it runs in the child
 * with PATH and LANG alone as its environment, its output is collected,
 * its return is the exit status, and the deadline kills it. */
static int
fn_env(void *arg)
{
	extern char **environ;
	char **e;

	(void)arg;
	for (e = environ; *e != NULL; e++)
		if (write(1, *e, strlen(*e)) < 0 || write(1, ";", 1) < 0)
			return 2;
	return 7;
}

static int
fn_hang(void *arg)
{
	(void)arg;
	while (pause() != 0)
		;
	return 0;
}

static void
test_run_fn(void **state)
{
	char label[] = "a function", out[256], err[256];
	char *argv[2] = { label, NULL };
	struct util_run run;

	(void)state;
	/* NOLINTNEXTLINE(cert-err33-c): the test's own environment */
	setenv("SMSOTP_TEST_SECRET", "x", 1);
	memset(&run, 0, sizeof(run));
	run.argv = argv;
	run.fn = fn_env;
	run.out = out;
	run.out_cap = sizeof(out) - 1;
	run.timeout_ms = 10000;
	assert_int_equal(util_run(&run, err, sizeof(err)), 0);
	out[run.out_len] = '\0';
	assert_string_equal(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin;LANG=C.UTF-8;");
	assert_true(WIFEXITED(run.status));
	assert_int_equal(WEXITSTATUS(run.status), 7);
	assert_false(run.timed_out);

	run.fn = fn_hang;
	run.timeout_ms = 300;
	assert_int_equal(util_run(&run, err, sizeof(err)), 0);
	assert_true(run.timed_out);
	assert_int_equal(run.out_len, 0);
	/* NOLINTNEXTLINE(cert-err33-c): the test's own environment */
	unsetenv("SMSOTP_TEST_SECRET");
}

static void
test_short_hostname(void **state)
{
	char full[256], want[256], got[256], tiny[4];

	(void)state;
	assert_int_equal(gethostname(full, sizeof(full)), 0);
	full[sizeof(full) - 1] = '\0';
	util_strlcpy(want, full, sizeof(want));
	want[strcspn(want, ".")] = '\0';
	util_short_hostname(got, sizeof(got));
	assert_string_equal(got, want);
	assert_null(strchr(got, '.'));
	memset(tiny, 'x', sizeof(tiny));
	util_short_hostname(tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
	util_short_hostname(tiny, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize_table),
		cmocka_unit_test(test_sanitize_random),
		cmocka_unit_test(test_blank_digits),
		cmocka_unit_test(test_short_hostname),
		cmocka_unit_test(test_run_fn),
		cmocka_unit_test_setup_teardown(test_run_errout, setup, teardown),
		cmocka_unit_test(test_ctl),
		cmocka_unit_test(test_harden_root),
		cmocka_unit_test(test_harden_user),
		cmocka_unit_test_setup_teardown(test_harden_run, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
