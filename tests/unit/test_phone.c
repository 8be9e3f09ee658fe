/*
 * Unit tests of phone/: E.164 normalisation (international, and national
 * with a default country), allowed_countries, masking, the phones file,
 * the command source (real /bin/sh programs written to a temporary folder:
 * output rules, exit statuses, floods, the timeout ending the whole
 * process group, one exact argument, a clean environment, no inherited
 * fds or signal state), GECOS, and the order of the sources.
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
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../phone/phone.h"
#include "testlib.h"

static const struct {
	const char *in;
	const char *out;	/* NULL: refused */
} norm_cases[] = {
	{ "+447700900123", "+447700900123" },
	{ "+44 7700 900123", "+447700900123" },
	{ "+44 (0) 7700-900.123", "+447700900123" },
	{ "+44(0)7700900123", "+447700900123" },
	{ "+1 (555) 555-0123", "+15555550123" },
	{ "+44 (01) 7700900123", "+44017700900123" },
	{ "0044 7700 900123", "+447700900123" },
	{ "  +1 (555) 555-0123", "+15555550123" },
	{ "+123456789012345", "+123456789012345" },
	{ "+1234567890123456", NULL },	/* 16 digits */
	{ "+1234567", NULL },		/* 7 digits */
	{ "+12345678", "+12345678" },
	{ "07700 900123", NULL },	/* national: needs default_country */
	{ "+0447700900123", NULL },	/* no country code starts with 0 */
	{ "+44 7700 9001x3", NULL },
	{ "+44+7700900123", NULL },
	{ "", NULL },
	{ "+", NULL },
	{ "+44 7700 900123; rm -rf /", NULL },
	{ "+44\n7700900123", NULL },
};

static void
test_normalize(void **state)
{
	char out[PHONE_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		int rc = phone_normalize(norm_cases[i].in, out);

		if (norm_cases[i].out == NULL) {
			if (rc != PHONE_EINVAL)
				fail_msg("case %zu '%s': accepted as %s", i, norm_cases[i].in, out);
		} else {
			if (rc != PHONE_OK || strcmp(out, norm_cases[i].out) != 0)
				fail_msg("case %zu '%s': got rc %d '%s', want '%s'", i,
					 norm_cases[i].in, rc, out, norm_cases[i].out);
		}
	}
}

static void
test_mask(void **state)
{
	char out[PHONE_MAX];

	(void)state;
	phone_mask("+447700900123", out);
	assert_string_equal(out, "+44*******123");
	phone_mask("+15555550123", out);
	assert_string_equal(out, "+15******123");
	phone_mask("+12345678", out);
	assert_string_equal(out, "+12***678");
	phone_mask("", out);
	assert_string_equal(out, "+**********");
}

static char dir[] = "/tmp/test_phone.XXXXXX";

static void
write_file(const char *name, const char *text, mode_t mode, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_lookup(void **state)
{
	char path[256], out[PHONE_MAX], err[512];

	(void)state;
	write_file("phones", "# users\n"
		   "alice +44 7700 900123\n"
		   "\n"
		   "bob:+15555550123   # desk phone\n"
		   "carol : 0044-7700-900999\n"
		   "dave 07700900123\n"
		   "erin\n"
		   "alice +10000000000\n", 0644, path, sizeof(path));
	assert_int_equal(phone_lookup_file(path, "alice", out, err, sizeof(err)), PHONE_OK);
	assert_string_equal(out, "+447700900123");
	assert_int_equal(phone_lookup_file(path, "bob", out, err, sizeof(err)), PHONE_OK);
	assert_string_equal(out, "+15555550123");
	assert_int_equal(phone_lookup_file(path, "carol", out, err, sizeof(err)), PHONE_OK);
	assert_string_equal(out, "+447700900999");
	assert_int_equal(phone_lookup_file(path, "dave", out, err, sizeof(err)), PHONE_EINVAL);
	assert_non_null(strstr(err, ":6:"));
	assert_int_equal(phone_lookup_file(path, "erin", out, err, sizeof(err)), PHONE_EINVAL);
	assert_int_equal(phone_lookup_file(path, "mallory", out, err, sizeof(err)),
			 PHONE_NOTFOUND);
	assert_int_equal(phone_lookup_file(path, "alic", out, err, sizeof(err)),
			 PHONE_NOTFOUND);
	assert_int_equal(phone_lookup_file(path, "#", out, err, sizeof(err)), PHONE_NOTFOUND);
	unlink(path);
	/* NULL: the first valid number, whoever's it is */
	write_file("phones", "# none yet\nerin\ndave 07700900123\nbob +1 555 555 0123\n",
		   0644, path, sizeof(path));
	assert_int_equal(phone_lookup_file(path, NULL, out, err, sizeof(err)), PHONE_OK);
	assert_string_equal(out, "+15555550123");
	unlink(path);
	write_file("phones", "# none\n", 0644, path, sizeof(path));
	assert_int_equal(phone_lookup_file(path, NULL, out, err, sizeof(err)), PHONE_NOTFOUND);
	unlink(path);
}

static void
test_lookup_trust(void **state)
{
	char path[256], link[256], out[PHONE_MAX], err[512];

	(void)state;
	write_file("writable", "alice +447700900123\n", 0666, path, sizeof(path));
	assert_int_equal(phone_lookup_file(path, "alice", out, err, sizeof(err)), PHONE_EFILE);
	assert_non_null(strstr(err, "mode"));
	unlink(path);
	write_file("target", "alice +447700900123\n", 0644, path, sizeof(path));
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(phone_lookup_file(link, "alice", out, err, sizeof(err)), PHONE_EFILE);
	assert_non_null(strstr(err, "symbolic link"));
	unlink(link);
	unlink(path);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(phone_lookup_file(path, "alice", out, err, sizeof(err)), PHONE_EFILE);
	assert_int_equal(phone_lookup_file("relative", "alice", out, err, sizeof(err)),
			 PHONE_EFILE);
}

/* ------------------------------------------------------------------ */
/* National numbers and default_country */

static const struct {
	const char *in;
	const char *cc;		/* default_country */
	const char *out;	/* NULL: refused */
} nat_cases[] = {
	/* UK: trunk 0 dropped, separators of every kind */
	{ "07700 900123", "44", "+447700900123" },
	{ "07700-900-123", "44", "+447700900123" },
	{ "07700.900.123", "44", "+447700900123" },
	{ "(07700) 900123", "44", "+447700900123" },
	{ "(0)7700 900123", "44", "+447700900123" },
	{ "  07700 900123", "44", "+447700900123" },
	{ "7700 900123", "44", "+447700900123" },	/* no trunk 0 */
	{ "020 7946 0018", "44", "+442079460018" },
	/* France, Germany */
	{ "06 12 34 56 78", "33", "+33612345678" },
	{ "06.12.34.56.78", "33", "+33612345678" },
	{ "0151 2345 6789", "49", "+4915123456789" },
	{ "0151-23456789", "49", "+4915123456789" },
	{ "0151/23456789", "49", NULL },		/* '/' is no separator */
	/* North America: 10 digits, optional trunk 1 */
	{ "(555) 555-0123", "1", "+15555550123" },
	{ "555.555.0123", "1", "+15555550123" },
	{ "1 (555) 555-0123", "1", "+15555550123" },
	{ "1-555-555-0123", "1", "+15555550123" },
	{ "555-0123", "1", NULL },			/* 7 digits */
	{ "555 555 01234", "1", NULL },			/* 11 digits */
	{ "11 555 555 0123", "1", NULL },
	/* international numbers ignore the default country */
	{ "+33 6 12 34 56 78", "44", "+33612345678" },
	{ "0033 6 12 34 56 78", "44", "+33612345678" },
	{ "+44 (0) 7700 900123", "33", "+447700900123" },
	{ "  00 44 7700 900123", "49", "+447700900123" },
	{ "+44 (0) 7700 900123", NULL, "+447700900123" },
	/* without a default country, national is refused */
	{ "07700 900123", NULL, NULL },
	{ "7700 900123", NULL, NULL },
	{ "(555) 555-0123", NULL, NULL },
	/* lengths: 8..15 digits with the country code */
	{ "0123 456", "44", "+44123456" },		/* 8 */
	{ "012 345", "44", NULL },			/* 7 */
	{ "01234 567890123", "44", "+441234567890123" },	/* 15 */
	{ "012345 678901234", "44", NULL },		/* 16 */
	{ "0", "44", NULL },
	{ "", "44", NULL },
	{ " - ", "44", NULL },
	/* letters, control characters, double trunk */
	{ "07700 9OO123", "44", NULL },
	{ "call 07700900123", "44", NULL },
	{ "07700900123\n", "44", NULL },
	{ "0 07700900123", "44", NULL },
	{ "0-0447700900123", "44", NULL },
	/* a default country that is no calling code */
	{ "07700900123", "", NULL },
	{ "07700900123", "044", NULL },
	{ "07700900123", "4444", NULL },
	{ "07700900123", "4a", NULL },
};

static void
test_normalize_national(void **state)
{
	char out[PHONE_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nat_cases) / sizeof(nat_cases[0]); i++) {
		int rc = phone_normalize_national(nat_cases[i].in, nat_cases[i].cc,
						  out);

		if (nat_cases[i].out == NULL) {
			if (rc != PHONE_EINVAL || out[0] != '\0')
				fail_msg("case %zu '%s' (%s): accepted as %s", i,
					 nat_cases[i].in, nat_cases[i].cc, out);
		} else if (rc != PHONE_OK || strcmp(out, nat_cases[i].out) != 0) {
			fail_msg("case %zu '%s' (%s): got rc %d '%s', want '%s'",
				 i, nat_cases[i].in, nat_cases[i].cc, rc, out,
				 nat_cases[i].out);
		}
	}
	/* the international table gives the same with or without a code */
	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		const char *in = norm_cases[i].in;
		int rc;

		if (in[strspn(in, " ")] != '+' && strncmp(in, "00", 2) != 0)
			continue;
		rc = phone_normalize_national(in, "44", out);
		if (norm_cases[i].out == NULL ? rc != PHONE_EINVAL :
		    (rc != PHONE_OK || strcmp(out, norm_cases[i].out) != 0))
			fail_msg("international case %zu '%s': rc %d '%s'", i, in,
				 rc, out);
	}
	assert_int_equal(phone_normalize_national(NULL, "44", out), PHONE_EINVAL);
}

/* ------------------------------------------------------------------ */
/* allowed_countries */

static struct {
	const char *e164;
	char codes[3][5];
	size_t n;
	int want;
} allow_cases[] = {
	{ "+447700900123", { "" }, 0, 1 },		/* none: any */
	{ "+447700900123", { "44" }, 1, 1 },
	{ "+447700900123", { "33", "49" }, 2, 0 },
	{ "+447700900123", { "33", "49", "44" }, 3, 1 },
	{ "+33612345678", { "44", "33" }, 2, 1 },
	{ "+15555550123", { "1" }, 1, 1 },		/* all of NANP */
	{ "+18765550123", { "1" }, 1, 1 },		/* Jamaica is NANP too */
	{ "+15555550123", { "44" }, 1, 0 },
	{ "+4412345678", { "44" }, 1, 1 },		/* prefix-free codes */
	{ "+3545551234", { "354" }, 1, 1 },		/* Iceland: 3 digits */
	{ "+3545551234", { "35" }, 1, 1 },		/* a zone: all of 35x */
	{ "+3545551234", { "353" }, 1, 0 },
	{ "447700900123", { "44" }, 1, 0 },		/* not E.164 */
	{ "", { "44" }, 1, 0 },
	{ "+447700900123", { "" }, 1, 0 },		/* never a wildcard */
	{ "+447700900123", { "+44" }, 1, 0 },
};

static void
test_country_allowed(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(allow_cases) / sizeof(allow_cases[0]); i++) {
		char *codes[3];

		for (j = 0; j < 3; j++)
			codes[j] = allow_cases[i].codes[j];
		if (phone_country_allowed(allow_cases[i].e164, codes,
					  allow_cases[i].n) != allow_cases[i].want)
			fail_msg("case %zu '%s' with %zu codes: want %d", i,
				 allow_cases[i].e164, allow_cases[i].n,
				 allow_cases[i].want);
	}
	assert_int_equal(phone_country_allowed(NULL, NULL, 0), 1);
	assert_int_equal(phone_country_allowed(NULL, allow_cases[1].codes[0] != NULL ?
					       (char *[]){ allow_cases[1].codes[0] } :
					       NULL, 1), 0);
}

/* ------------------------------------------------------------------ */
/* Helpers for the sources */

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

/* A /bin/sh program dir/name whose body has every "%D" replaced by the
 * test folder; returns its path (valid until the next call). */
static const char *
script(const char *name, const char *body)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_script(path, dir, body);
	return path;
}

/* The whole of dir/name (NUL-terminated, at most 4 KiB), "" if missing. */
static const char *
slurp(const char *name)
{
	static char buf[4097];
	ssize_t n;
	int fd = open(in_dir(name), O_RDONLY | O_CLOEXEC);

	buf[0] = '\0';
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static pid_t
read_pid(const char *name)
{
	long pid = strtol(slurp(name), NULL, 10);

	assert_true(pid > 1);
	return (pid_t)pid;
}

/* phone_lookup with only a command. */
static int
run_cmd(const char *cmd, const char *user, const char *cc, char out[PHONE_MAX],
	char *err, size_t errlen)
{
	struct phone_sources src;
	int source = -1, rc;

	memset(&src, 0, sizeof(src));
	src.command = cmd;
	src.default_country = cc;
	rc = phone_lookup(&src, user, NULL, out, &source, err, errlen);
	assert_int_equal(source, rc == PHONE_OK ? PHONE_SRC_COMMAND : 0);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The command: what it prints and how it ends */

static const struct {
	const char *body;
	const char *cc;
	int rc;
	const char *out;	/* on PHONE_OK */
	const char *err;	/* in err otherwise */
} cmd_cases[] = {
	{ "echo '+44 7700 900123'\n", NULL, PHONE_OK, "+447700900123", NULL },
	{ "printf '+447700900123'\n", NULL, PHONE_OK, "+447700900123", NULL },
	{ "printf '  +447700900123 \\r\\n\\n \\n'\n", NULL, PHONE_OK,
	  "+447700900123", NULL },
	{ "echo 07700900123\n", "44", PHONE_OK, "+447700900123", NULL },
	{ "echo '(555) 555-0123'\n", "1", PHONE_OK, "+15555550123", NULL },
	/* no number: exit 0 and nothing printed, whatever stderr says */
	{ "exit 0\n", NULL, PHONE_NOTFOUND, NULL, NULL },
	{ "printf '\\n \\n'\n", NULL, PHONE_NOTFOUND, NULL, NULL },
	{ "echo 'no entry' >&2\n", NULL, PHONE_NOTFOUND, NULL, NULL },
	{ "echo 'warning' >&2; echo +447700900123\n", NULL, PHONE_OK,
	  "+447700900123", NULL },
	/* a bad number: the source's answer, not a failure to answer */
	{ "echo 07700900123\n", NULL, PHONE_EINVAL, NULL, "not a valid number" },
	{ "echo 'no such user'\n", NULL, PHONE_EINVAL, NULL, "not a valid number" },
	{ "echo '+44 7700 900123 ext 5'\n", NULL, PHONE_EINVAL, NULL,
	  "not a valid number" },
	{ "echo +1234\n", NULL, PHONE_EINVAL, NULL, "not a valid number" },
	/* a broken program */
	{ "echo +447700900123; echo +447700900999\n", NULL, PHONE_EFILE, NULL,
	  "more than one line" },
	{ "printf '+447700900123\\0\\n'\n", NULL, PHONE_EFILE, NULL, "NUL" },
	{ "i=0; while [ $i -lt 1024 ]; do printf 0123456789; i=$((i+1)); done\n",
	  NULL, PHONE_EFILE, NULL, "too much output" },
	{ "yes +447700900123\n", NULL, PHONE_EFILE, NULL, "too much output" },
	{ "exit 3\n", NULL, PHONE_EFILE, NULL, "exited with status 3" },
	{ "echo +447700900123; exit 3\n", NULL, PHONE_EFILE, NULL,
	  "exited with status 3" },
	{ "echo 'lookup failed'; exit 1\n", NULL, PHONE_EFILE, NULL,
	  "exited with status 1" },
	{ "printf '\\0'; exit 1\n", NULL, PHONE_EFILE, NULL,
	  "exited with status 1" },
	{ "kill -KILL $$\n", NULL, PHONE_EFILE, NULL, "killed by signal 9" },
	/* exit 1 is a failure, not "no number" (a crashed lookup script
	 * must not let nullok pass), told with its first line of stderr */
	{ "exit 1\n", NULL, PHONE_EFILE, NULL, "exited with status 1" },
	{ "echo 'ldap: server down' >&2; exit 1\n", NULL, PHONE_EFILE, NULL,
	  "exited with status 1: ldap: server down" },
	{ "echo 'ldap down' >&2; exit 2\n", NULL, PHONE_EFILE, NULL,
	  "exited with status 2: ldap down" },
	{ "printf '  first line \\r\\nsecond line\\n' >&2; exit 1\n", NULL,
	  PHONE_EFILE, NULL, "exited with status 1: first line" },
	{ "printf 'a\\033[31mred\\033[0m\\033]0;title\\007 \\302\\2332Jb\\001c\\n' >&2\n"
	  "exit 1\n", NULL, PHONE_EFILE, NULL, "exited with status 1: ared b?c" },
	{ "echo 'no entry for +44 7700 900123' >&2; exit 1\n", NULL,
	  PHONE_EFILE, NULL, "status 1: no entry for +44 #### ######" },
	{ "head -c 1048576 /dev/zero | tr '\\0' e >&2; exit 3\n", NULL,
	  PHONE_EFILE, NULL, "exited with status 3: eeee" },
	{ "echo dying >&2; kill -TERM $$\n", NULL, PHONE_EFILE, NULL,
	  "killed by signal 15: dying" },
	/* stdin is /dev/null; stderr is its own pipe */
	{ "[ \"$(readlink /proc/$$/fd/0)\" = /dev/null ] || exit 4\n"
	  "[ \"$(readlink /proc/$$/fd/2)\" != \"$(readlink /proc/$$/fd/1)\" ] || exit 5\n"
	  "echo +447700900123\n", NULL, PHONE_OK, "+447700900123", NULL },
};

static void
test_command_output(void **state)
{
	char out[PHONE_MAX], err[512], name[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		const char *prog;
		long t0 = util_now_ms();
		int rc;

		snprintf(name, sizeof(name), "cmd%zu.sh", i);
		prog = script(name, cmd_cases[i].body);
		strcpy(err, "");
		rc = run_cmd(prog, "alice", cmd_cases[i].cc, out, err, sizeof(err));
		if (rc != cmd_cases[i].rc)
			fail_msg("case %zu: rc %d, want %d (%s)", i, rc,
				 cmd_cases[i].rc, err);
		if (rc == PHONE_OK && strcmp(out, cmd_cases[i].out) != 0)
			fail_msg("case %zu: got %s", i, out);
		if (rc != PHONE_OK && out[0] != '\0')
			fail_msg("case %zu: out '%s' on failure", i, out);
		if (cmd_cases[i].err != NULL && strstr(err, cmd_cases[i].err) == NULL)
			fail_msg("case %zu: err '%s' lacks '%s'", i, err,
				 cmd_cases[i].err);
		/* syslog never sees the number, nor anything of stdout (the
		 * start of stderr, sanitized, is what it is for), nor more
		 * than stderr's first line, nor an ESC */
		if (strstr(err, "900123") != NULL ||
		    strstr(err, "lookup failed") != NULL ||
		    strstr(err, "second") != NULL || strchr(err, '\033') != NULL)
			fail_msg("case %zu: err '%s' echoes the output", i, err);
		/* the stderr excerpt is bounded */
		if (strlen(err) > strlen(prog) + 40 + 200)
			fail_msg("case %zu: err is %zu bytes", i, strlen(err));
		/* none of these waits for the timeout */
		if (util_now_ms() - t0 > 3000)
			fail_msg("case %zu took %ld ms", i, util_now_ms() - t0);
		unlink(prog);
	}
}

/* What is refused before anything runs, and what cannot run. */
static void
test_command_refused(void **state)
{
	static const struct {
		const char *user;
		int rc;
		const char *err;
	} users[] = {
		{ "-rf", PHONE_EINVAL, "user name not passed to the command" },
		{ "--help", PHONE_EINVAL, "user name not passed to the command" },
		{ "", PHONE_EINVAL, "user name not passed to the command" },
		{ "ali\nce", PHONE_EINVAL, "user name not passed to the command" },
		{ "ali\tce", PHONE_EINVAL, "user name not passed to the command" },
		{ "ali\x7f", PHONE_EINVAL, "user name not passed to the command" },
		{ "a-b", PHONE_OK, NULL },
	};
	const char *prog = script("ran.sh", "echo ran >> %D/ran\n"
				  "echo +447700900123\n");
	char out[PHONE_MAX], err[512], rel[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		assert_int_equal(run_cmd(prog, users[i].user, NULL, out, err,
					 sizeof(err)), users[i].rc);
		if (users[i].err != NULL)
			assert_non_null(strstr(err, users[i].err));
	}
	/* only the last one ran */
	assert_string_equal(slurp("ran"), "ran\n");
	unlink(in_dir("ran"));
	/* a relative path is never looked up in PATH or the cwd */
	assert_int_equal(chdir(dir), 0);
	snprintf(rel, sizeof(rel), "%s", strrchr(prog, '/') + 1);
	assert_int_equal(run_cmd(rel, "alice", NULL, out, err, sizeof(err)),
			 PHONE_EFILE);
	assert_non_null(strstr(err, "absolute path"));
	assert_int_equal(run_cmd("./ran.sh", "alice", NULL, out, err, sizeof(err)),
			 PHONE_EFILE);
	assert_int_equal(chdir("/"), 0);
	assert_string_equal(slurp("ran"), "");
	/* missing, not executable */
	assert_int_equal(run_cmd(in_dir("missing.sh"), "alice", NULL, out, err,
				 sizeof(err)), PHONE_EFILE);
	assert_non_null(strstr(err, "cannot run"));
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(chmod(prog, 0600), 0);
	assert_int_equal(run_cmd(prog, "alice", NULL, out, err, sizeof(err)),
			 PHONE_EFILE);
	assert_non_null(strstr(err, "cannot run"));
	unlink(prog);
}

/* One argument, the user name exactly as given: no shell to expand it. */
static void
test_command_argument(void **state)
{
	const char *user = "a b $(touch " "/tmp/phone-pwned) `id` ; *";
	const char *prog = script("args.sh",
		"printf '%s\\n' \"$#\" \"$1\" \"$0\" > %D/args\n"
		"echo +447700900123\n");
	char out[PHONE_MAX], err[512], want[600];

	(void)state;
	unlink("/tmp/phone-pwned");
	assert_int_equal(run_cmd(prog, user, NULL, out, err, sizeof(err)), PHONE_OK);
	assert_string_equal(out, "+447700900123");
	snprintf(want, sizeof(want), "1\n%s\n%s\n", user, prog);
	assert_string_equal(slurp("args"), want);
	assert_int_equal(access("/tmp/phone-pwned", F_OK), -1);
	unlink(in_dir("args"));
	unlink(prog);
}

/* The environment, fds and signal state of the host stay with it. */
static void
test_command_clean(void **state)
{
	/* The status first, read by the shell itself: a fork of dash may
	 * catch it with signals blocked for a moment. */
	const char *prog = script("env.sh",
		"while read -r l; do echo \"$l\"; done < /proc/$$/status "
		"> %D/status\n"
		"tr '\\0' '\\n' < /proc/$$/environ > %D/env\n"
		"pwd > %D/pwd\n"
		"exec ls /proc/self/fd > %D/fds\n");
	char out[PHONE_MAX], err[512];
	const char *s;
	sigset_t usr1, old;
	int leak;

	(void)state;
	/* what a sudo caller could set */
	setenv("LD_PRELOAD", "/nonexistent/evil.so", 1);
	setenv("http_proxy", "http://203.0.113.1:3128", 1);
	setenv("IFS", "/", 1);
	setenv("PATH", "/tmp/evil:/usr/bin:/bin", 1);
	/* an fd without FD_CLOEXEC, a blocked and an ignored signal */
	leak = open("/dev/null", O_RDONLY);
	assert_true(leak > 2);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	assert_int_equal(sigprocmask(SIG_BLOCK, &usr1, &old), 0);
	assert_true(signal(SIGUSR2, SIG_IGN) != SIG_ERR);
	assert_int_equal(run_cmd(prog, "alice", NULL, out, err, sizeof(err)),
			 PHONE_NOTFOUND);
	assert_true(signal(SIGUSR2, SIG_DFL) != SIG_ERR);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	close(leak);
	unsetenv("LD_PRELOAD");
	unsetenv("http_proxy");
	unsetenv("IFS");
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	assert_string_equal(slurp("env"), "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
			    "LANG=C.UTF-8\n");
	/* 0, 1, 2 and the directory ls reads: nothing of the host's */
	assert_string_equal(slurp("fds"), "0\n1\n2\n3\n");
	s = slurp("status");
	assert_non_null(strstr(s, "SigBlk:\t0000000000000000"));
	{
		/* glibc keeps its internal signals 32 and 33 as they are; the
		 * sanitizer runtime may ignore them in the test process */
		const char *ign = strstr(s, "SigIgn:\t");

		assert_non_null(ign);
		assert_int_equal(strtoull(ign + 8, NULL, 16) &
				 ~((1ULL << 31) | (1ULL << 32)), 0);
	}
	assert_string_equal(slurp("pwd"), "/\n");
	unlink(in_dir("env"));
	unlink(in_dir("fds"));
	unlink(in_dir("status"));
	unlink(in_dir("pwd"));
	unlink(prog);
}

/* 5 s, then the whole process group is killed. */
static void
test_command_timeout(void **state)
{
	const char *prog = script("slow.sh",
		"sleep 30 &\n"
		"echo $! > %D/bg\n"
		"echo $$ > %D/pid\n"
		"sleep 30\n"
		"echo +447700900123\n");
	char out[PHONE_MAX], err[512];
	long t0, ms;

	(void)state;
	t0 = util_now_ms();
	assert_int_equal(run_cmd(prog, "alice", NULL, out, err, sizeof(err)),
			 PHONE_EFILE);
	ms = util_now_ms() - t0;
	assert_non_null(strstr(err, "timed out after 5 s"));
	assert_true(ms >= 4900 && ms < 8000);
	assert_true(gone(read_pid("pid")));
	assert_true(gone(read_pid("bg")));
	unlink(in_dir("bg"));
	unlink(in_dir("pid"));
	unlink(prog);
}

/* A helper left in the background, holding stdout open, neither delays the
 * answer nor outlives it. */
static void
test_command_helper(void **state)
{
	const char *prog = script("helper.sh",
		"sleep 30 &\n"
		"echo $! > %D/bg\n"
		"echo +447700900123\n");
	char out[PHONE_MAX], err[512];
	long t0;

	(void)state;
	t0 = util_now_ms();
	assert_int_equal(run_cmd(prog, "alice", NULL, out, err, sizeof(err)),
			 PHONE_OK);
	assert_string_equal(out, "+447700900123");
	assert_true(util_now_ms() - t0 < 3000);
	assert_true(gone(read_pid("bg")));
	unlink(in_dir("bg"));
	unlink(prog);
}

/* A host that reaps its children itself: without an exit status, no
 * answer can be trusted. */
static void
test_command_lost(void **state)
{
	const char *prog = script("lost.sh", "echo +447700900123\n");
	char out[PHONE_MAX], err[512];

	(void)state;
	assert_true(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
	assert_int_equal(run_cmd(prog, "alice", NULL, out, err, sizeof(err)),
			 PHONE_EFILE);
	assert_true(signal(SIGCHLD, SIG_DFL) != SIG_ERR);
	assert_non_null(strstr(err, "exit status lost"));
	unlink(prog);
}

/* ------------------------------------------------------------------ */
/* GECOS */

static const struct {
	const char *gecos;
	const char *cc;
	int rc;
	const char *out;
} gecos_cases[] = {
	{ "Alice Smith,,+44 7700 900123,", NULL, PHONE_OK, "+447700900123" },
	{ "Bob,Room 1,07700900123", "44", PHONE_OK, "+447700900123" },
	{ "Bob,Room 1,07700900123", NULL, PHONE_NOTFOUND, NULL },
	{ "Carol,Room 12,,", NULL, PHONE_NOTFOUND, NULL },
	{ "Carol", "44", PHONE_NOTFOUND, NULL },
	{ "", "44", PHONE_NOTFOUND, NULL },
	{ ",,,", "44", PHONE_NOTFOUND, NULL },
	{ "+447700900123", NULL, PHONE_OK, "+447700900123" },
	{ "Dan,+33 6 12 34 56 78,+447700900123", NULL, PHONE_OK, "+33612345678" },
	{ "Eve,ext 4711,0151 2345 6789", "49", PHONE_OK, "+4915123456789" },
	{ "Frank,4711,,", "49", PHONE_NOTFOUND, NULL },
	{ "Gina,+44 7700 9001x3,+44 12", NULL, PHONE_NOTFOUND, NULL },
	{ "Hal,+4477009001230000000000000000000000000000000000000000000000000000",
	  NULL, PHONE_NOTFOUND, NULL },
};

static void
test_gecos(void **state)
{
	struct phone_sources src;
	char out[PHONE_MAX], err[512];
	size_t i;
	int source, rc;

	(void)state;
	memset(&src, 0, sizeof(src));
	src.gecos = 1;
	for (i = 0; i < sizeof(gecos_cases) / sizeof(gecos_cases[0]); i++) {
		src.default_country = gecos_cases[i].cc;
		rc = phone_lookup(&src, "alice", gecos_cases[i].gecos, out, &source,
				  err, sizeof(err));
		if (rc != gecos_cases[i].rc)
			fail_msg("case %zu '%s': rc %d", i, gecos_cases[i].gecos, rc);
		if (rc == PHONE_OK && (strcmp(out, gecos_cases[i].out) != 0 ||
				       source != PHONE_SRC_GECOS))
			fail_msg("case %zu: got %s from %d", i, out, source);
	}
	/* opt-in */
	src.gecos = 0;
	assert_int_equal(phone_lookup(&src, "alice", "Alice,,+447700900123", out,
				      &source, err, sizeof(err)), PHONE_NOTFOUND);
	src.gecos = 1;
	assert_int_equal(phone_lookup(&src, "alice", NULL, out, &source, err,
				      sizeof(err)), PHONE_NOTFOUND);
}

/* ------------------------------------------------------------------ */
/* The sources together */

static const char MISSING[] = "(missing)";

static const struct {
	const char *name;
	const char *file;	/* its text, NULL: not configured */
	mode_t mode;		/* 0: 0644 */
	const char *cmd;	/* the program's body, NULL: none */
	const char *gecos;	/* NULL: gecos off */
	const char *cc;
	const char *allowed;	/* "44" or "44,33", NULL: any */
	int rc;
	const char *out;
	int source;
	const char *err;
} order_cases[] = {
	{ "file wins over command and gecos", "alice +447700900111\n", 0,
	  "echo +447700900222\n", "Alice,,+447700900333", NULL, NULL,
	  PHONE_OK, "+447700900111", PHONE_SRC_FILE, NULL },
	{ "no line in the file: the command", "bob +447700900111\n", 0,
	  "echo +447700900222\n", "Alice,,+447700900333", NULL, NULL,
	  PHONE_OK, "+447700900222", PHONE_SRC_COMMAND, NULL },
	{ "command prints nothing: gecos", "bob +447700900111\n", 0,
	  "exit 0\n", "Alice,,+447700900333", NULL, NULL,
	  PHONE_OK, "+447700900333", PHONE_SRC_GECOS, NULL },
	{ "command exits 1: a failure, GECOS is not tried", NULL, 0,
	  "echo 'directory down' >&2; exit 1\n", "Alice,,+447700900333", NULL,
	  NULL, PHONE_EFILE, NULL, 0, "status 1: directory down" },
	{ "nothing anywhere", "bob +447700900111\n", 0,
	  "exit 0\n", "Alice,Room 1,,", NULL, NULL,
	  PHONE_NOTFOUND, NULL, 0, NULL },
	{ "no source at all", NULL, 0, NULL, NULL, NULL, NULL,
	  PHONE_NOTFOUND, NULL, 0, NULL },
	{ "file with a national number and no default_country stops",
	  "alice 07700900111\n", 0, "echo +447700900222\n",
	  "Alice,,+447700900333", NULL, NULL,
	  PHONE_EINVAL, NULL, 0, ":1: the number for this user: not an international number" },
	{ "file with a typo stops", "\nalice +44 7700 9OO111\n", 0,
	  NULL, "Alice,,+447700900333", NULL, NULL,
	  PHONE_EINVAL, NULL, 0, ":2:" },
	{ "file user without a number stops", "alice\n", 0,
	  NULL, "Alice,,+447700900333", NULL, NULL,
	  PHONE_EINVAL, NULL, 0, ":1:" },
	{ "file, national with default_country", "alice 07700 900111\n", 0,
	  NULL, NULL, "44", NULL,
	  PHONE_OK, "+447700900111", PHONE_SRC_FILE, NULL },
	{ "file, national, error names default_country", "alice 0770\n", 0,
	  NULL, NULL, "44", NULL,
	  PHONE_EINVAL, NULL, 0, "default_country 44" },
	{ "command with a bad number stops", NULL, 0,
	  "echo 12345\n", "Alice,,+447700900333", NULL, NULL,
	  PHONE_EINVAL, NULL, 0, "not a valid number" },
	{ "command failing stops", "bob +447700900111\n", 0,
	  "exit 7\n", "Alice,,+447700900333", NULL, NULL,
	  PHONE_EFILE, NULL, 0, "status 7" },
	{ "missing file, command configured: skipped", MISSING, 0,
	  "echo +447700900222\n", NULL, NULL, NULL,
	  PHONE_OK, "+447700900222", PHONE_SRC_COMMAND, "does not exist" },
	{ "missing file, gecos configured: skipped", MISSING, 0,
	  NULL, "Alice,,+447700900333", NULL, NULL,
	  PHONE_OK, "+447700900333", PHONE_SRC_GECOS, "does not exist" },
	{ "missing file alone: fails closed", MISSING, 0,
	  NULL, NULL, NULL, NULL,
	  PHONE_EFILE, NULL, 0, "cannot open" },
	{ "untrusted file: refused whatever else there is",
	  "alice +447700900111\n", 0666,
	  "echo +447700900222\n", "Alice,,+447700900333", NULL, NULL,
	  PHONE_EFILE, NULL, 0, "mode" },
	{ "allowed: file", "alice +447700900111\n", 0, NULL, NULL, NULL, "44",
	  PHONE_OK, "+447700900111", PHONE_SRC_FILE, NULL },
	{ "not allowed: file", "alice +33 6 12 34 56 78\n", 0,
	  "echo +447700900222\n", NULL, NULL, "44",
	  PHONE_EINVAL, NULL, 0,
	  "phones file %D/phones: the number of alice (+33******678) is not "
	  "in allowed_countries" },
	{ "allowed among several", "alice +33 6 12 34 56 78\n", 0, NULL, NULL,
	  NULL, "44,33", PHONE_OK, "+33612345678", PHONE_SRC_FILE, NULL },
	{ "not allowed: command, national", NULL, 0, "echo 06 12 34 56 78\n",
	  NULL, "33", "44,49", PHONE_EINVAL, NULL, 0,
	  "phones command %D/order.sh: the number of alice (+33******678)" },
	{ "not allowed: gecos", NULL, 0, NULL, "A,,+1 555 555 0123", NULL, "44",
	  PHONE_EINVAL, NULL, 0,
	  "GECOS field (user-editable): the number of alice (+15******123)" },
};

static void
test_order(void **state)
{
	char out[PHONE_MAX], err[512], want[512], codes[2][4], allowed[8];
	char *codev[2] = { codes[0], codes[1] };
	struct phone_sources src;
	const char *prog = NULL, *s;
	size_t i, k;
	int source, rc;

	(void)state;
	for (i = 0; i < sizeof(order_cases) / sizeof(order_cases[0]); i++) {
		memset(&src, 0, sizeof(src));
		if (order_cases[i].file != NULL) {
			src.file = in_dir("phones");
			if (order_cases[i].file != MISSING) {
				char path[256];

				write_file("phones", order_cases[i].file,
					   order_cases[i].mode != 0 ?
					   order_cases[i].mode : 0644,
					   path, sizeof(path));
			}
		}
		if (order_cases[i].cmd != NULL)
			src.command = prog = script("order.sh", order_cases[i].cmd);
		src.gecos = order_cases[i].gecos != NULL;
		src.default_country = order_cases[i].cc;
		if (order_cases[i].allowed != NULL) {
			snprintf(allowed, sizeof(allowed), "%s", order_cases[i].allowed);
			for (k = 0, s = strtok(allowed, ","); s != NULL && k < 2;
			     s = strtok(NULL, ","))
				snprintf(codes[k++], sizeof(codes[0]), "%s", s);
			src.allowed_countries = codev;
			src.n_allowed_countries = k;
		}
		source = -1;
		strcpy(out, "junk");
		rc = phone_lookup(&src, "alice", order_cases[i].gecos, out, &source,
				  err, sizeof(err));
		if (rc != order_cases[i].rc)
			fail_msg("'%s': rc %d, want %d (%s)", order_cases[i].name,
				 rc, order_cases[i].rc, err);
		if (rc == PHONE_OK && (strcmp(out, order_cases[i].out) != 0 ||
				       source != order_cases[i].source))
			fail_msg("'%s': got %s from %d", order_cases[i].name, out,
				 source);
		if (rc != PHONE_OK && (out[0] != '\0' || source != 0))
			fail_msg("'%s': out '%s', source %d on failure",
				 order_cases[i].name, out, source);
		if (order_cases[i].err != NULL) {
			const char *d = strstr(order_cases[i].err, "%D");

			if (d != NULL)
				snprintf(want, sizeof(want), "%.*s%s%s",
					 (int)(d - order_cases[i].err),
					 order_cases[i].err, dir, d + 2);
			else
				snprintf(want, sizeof(want), "%s", order_cases[i].err);
			if (strstr(err, want) == NULL)
				fail_msg("'%s': err '%s' lacks '%s'",
					 order_cases[i].name, err, want);
		}
		/* never a whole number in a log line */
		if (strstr(err, "612345678") != NULL || strstr(err, "5550123") != NULL ||
		    strstr(err, "900111") != NULL)
			fail_msg("'%s': err '%s' holds a number", order_cases[i].name,
				 err);
		unlink(in_dir("phones"));
		if (prog != NULL)
			unlink(prog);
		prog = NULL;
	}
}

/* phones.ldap: {user} escaped as RFC 4515 says, whatever the name. */
static void
test_ldap_filter(void **state)
{
	static const struct {
		const char *tmpl, *user, *want;
	} cases[] = {
		{ "(uid={user})", "alice", "(uid=alice)" },
		{ "(uid={user})", "*)(uid=*", "(uid=\\2A\\29\\28uid\\3D\\2A)" },
		{ "(uid={user})", "a*", "(uid=a\\2A)" },
		{ "(uid={user})", "*", "(uid=\\2A)" },
		{ "(uid={user})", "a\\b", "(uid=a\\5Cb)" },
		{ "(uid={user})", "x)(|(uid=*", "(uid=x\\29\\28\\7C\\28uid\\3D\\2A)" },
		{ "(uid={user})", "j.doe-1_x@corp", "(uid=j.doe-1_x@corp)" },
		{ "(uid={user})", "J\xc3\xbcrgen", "(uid=J\\C3\\BCrgen)" },
		{ "(uid={user})", "a b\tc", "(uid=a\\20b\\09c)" },
		{ "(uid={user})", "", "(uid=)" },
		{ "(|(uid={user})(mail={user}@x))", "b*", "(|(uid=b\\2A)(mail=b\\2A@x))" },
		{ "(cn=\\2A{user})", "x", "(cn=\\2Ax)" },
		{ "(uid={use}{user}", "x", "(uid={use}x" },
	};
	char out[256], tiny[12];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(phone_ldap_filter(cases[i].tmpl, cases[i].user, out,
						   sizeof(out)), 0);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("'%s' with '%s': got '%s', want '%s'", cases[i].tmpl,
				 cases[i].user, out, cases[i].want);
	}
	/* too long: refused, never cut (a cut filter matches more) */
	assert_int_equal(phone_ldap_filter("(uid={user})", "abc", tiny, sizeof(tiny)), 0);
	assert_string_equal(tiny, "(uid=abc)");
	assert_int_equal(phone_ldap_filter("(uid={user})", "abc*", tiny, sizeof(tiny)), -1);
	assert_string_equal(tiny, "");
	assert_int_equal(phone_ldap_filter("(uid={user})", "abcdefghijkl", tiny,
					   sizeof(tiny)), -1);
}

/* A directory that cannot be reached is an error, never "no number",
 * and the next source (GECOS) is not tried. */
static void
test_ldap_down(void **state)
{
	struct phone_sources src;
	char out[PHONE_MAX], err[1024];
	int source = 0;

	(void)state;
	memset(&src, 0, sizeof(src));
	src.gecos = 1;
	src.ldap.uri = "ldap://127.0.0.1:9 ldap://[::1]:9/";
	src.ldap.base = "dc=example,dc=org";
	src.ldap.filter = "(uid={user})";
	src.ldap.attribute = "mobile";
	src.ldap.bind_dn = "cn=svc";
	src.ldap.bind_password = "secret-bind-pw";
	src.ldap.timeout = 2;
	assert_int_equal(phone_lookup(&src, "alice", "Alice,,+447700900123", out,
				      &source, err, sizeof(err)), PHONE_EUNAVAIL);
	assert_int_equal(source, 0);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "phones.ldap: ldap://127.0.0.1:9: "));
	assert_non_null(strstr(err, "; ldap://[::1]:9/: "));
	assert_non_null(strstr(err, "Can't contact LDAP server"));
	assert_null(strstr(err, "secret-bind-pw"));
	assert_int_equal(phone_ldap_check(&src.ldap, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "phones.ldap: ldap://127.0.0.1:9: "));
	assert_null(strstr(err, "secret-bind-pw"));
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_lookup_trust),
		cmocka_unit_test(test_normalize_national),
		cmocka_unit_test(test_country_allowed),
		cmocka_unit_test(test_command_output),
		cmocka_unit_test(test_command_refused),
		cmocka_unit_test(test_command_argument),
		cmocka_unit_test(test_command_clean),
		cmocka_unit_test(test_command_helper),
		cmocka_unit_test(test_command_lost),
		cmocka_unit_test(test_command_timeout),
		cmocka_unit_test(test_gecos),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_ldap_filter),
		cmocka_unit_test(test_ldap_down),
	};

	return cmocka_run_group_tests_name("phone", tests, setup, teardown);
}
