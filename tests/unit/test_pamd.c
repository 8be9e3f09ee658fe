/*
 * Unit tests: the PAM stack reader.  Every expected argv is what Linux-PAM
 * 1.5.2 hands a module, derived from its source (_pam_assemble_line and
 * _pam_parse_conf_file in libpam/pam_handlers.c, _pam_StrTok and
 * _pam_mkargv in libpam/pam_misc.c) and checked against Debian 12's
 * libpam0g with a module that wrote out its argv, for the same lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../config/pamd.h"
#include "testlib.h"

/* One argument text and the argv Linux-PAM makes of it ('|' between). */
struct split_row {
	const char *text;
	int argc;
	const char *argv;
	int unclosed;
};

static const struct split_row split_rows[] = {
	{ "a b=c  d", 3, "a|b=c|d", 0 },
	{ "\ta\tb\n", 2, "a|b", 0 },
	{ "", 0, "", 0 },
	/* brackets carry blanks and lose their edges */
	{ "[template=Code {code} for {host}] x", 2, "template=Code {code} for {host}|x", 0 },
	/* unbracketed, the same text is three arguments */
	{ "template=sudo on {host}", 3, "template=sudo|on|{host}", 0 },
	/* "\]" is a ']' that does not close; "\\]" keeps one '\' */
	{ "[a\\]b c] [\\\\]] z", 3, "a]b c|\\]|z", 0 },
	/* an unclosed '[' takes the rest, newline included */
	{ "x [a b  c\n", 2, "x|a b  c\n", 1 },
	/* text right after ']' is a field; a '[' inside a field is not special */
	{ "[a b]c x[y z]", 4, "a b|c|x[y|z]", 0 },
	{ "[] [ ] a", 3, "| |a", 0 },
	/* a CR is no blank (a CRLF line end) */
	{ "a b\r\n", 2, "a|b\r", 0 },
};

static void
join(char *out, size_t outlen, const char *const *argv, int argc)
{
	int i;

	out[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strncat(out, "|", outlen - strlen(out) - 1);
		strncat(out, argv[i], outlen - strlen(out) - 1);
	}
}

static void
test_split_args(void **state)
{
	char **argv, joined[512];
	const char *problem;
	size_t i;
	int argc;

	(void)state;
	for (i = 0; i < sizeof(split_rows) / sizeof(split_rows[0]); i++) {
		const struct split_row *r = &split_rows[i];

		assert_int_equal(pamd_split_args(r->text, &argv, &argc, &problem), 0);
		assert_int_equal(argc, r->argc);
		assert_null(argv[argc]);
		join(joined, sizeof(joined), (const char *const *)argv, argc);
		assert_string_equal(joined, r->argv);
		if (r->unclosed)
			assert_non_null(strstr(problem, "unclosed"));
		else
			assert_null(problem);
		pamd_free_args(argv);
	}
}

/* What the scan handed out, one record per call. */
#define MAX_SEEN 16
struct seen {
	char where[64];		/* "name:line" */
	char type[16], control[64], module[128];
	int argc;
	char argv[1200];
	char problem[256];	/* "" for none */
};

static struct seen seen[MAX_SEEN];
static int n_seen;
static int stop_after;	/* stop the scan after this many calls (0: never) */

static int
keep(const struct pamd_line *e, void *ud)
{
	struct seen *s = &seen[n_seen];
	const char *base = strrchr(e->file, '/');

	(void)ud;
	assert_true(n_seen < MAX_SEEN);
	memset(s, 0, sizeof(*s));
	snprintf(s->where, sizeof(s->where), "%s:%d", base + 1, e->line);
	if (e->module != NULL) {
		snprintf(s->type, sizeof(s->type), "%s", e->type);
		snprintf(s->control, sizeof(s->control), "%s", e->control);
		snprintf(s->module, sizeof(s->module), "%s", e->module);
		s->argc = e->argc;
		join(s->argv, sizeof(s->argv), e->argv, e->argc);
		assert_null(e->argv[e->argc]);
	}
	snprintf(s->problem, sizeof(s->problem), "%s", e->problem ? e->problem : "");
	n_seen++;
	return stop_after != 0 && n_seen >= stop_after;
}

static char dir[] = "/tmp/test_pamd.XXXXXX";

/* The i-th call was for where ("name:line"), with argv ('|' between) and
 * a problem holding the text problem (NULL: none). */
static void
expect(int i, const char *where, const char *argv, const char *problem)
{
	assert_true(i < n_seen);
	assert_string_equal(seen[i].where, where);
	assert_string_equal(seen[i].argv, argv);
	if (problem == NULL)
		assert_string_equal(seen[i].problem, "");
	else
		assert_non_null(strstr(seen[i].problem, problem));
}

static void
put(const char *name, const char *text, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

#define PUT(name, text) put(name, text, sizeof(text) - 1)

static const char login[] =
	"# a comment line\n"
	"\n"
	"auth required pam_unix.so nullok\n"
	"@include common\n"
	"auth include common\n"
	"auth substack pam_smsotp.so\n"
	"auth [success=1 default=ignore] pam_smsotp.so [template=Code {code} for {host}] debug\n"
	"-auth sufficient /usr/lib/x86_64-linux-gnu/security/pam_smsotp.so template=sudo on {host}\n"
	"auth required pam_smsotp.so a \\\n"
	"   b \\  \n"
	"# a comment inside the entry is skipped\n"
	" c # a comment after the arguments\n"
	"auth required pam_smsotp.so [a\\]b c] [x y\n"
	"auth required pam_smsotp.so [code #{code}] z\n"
	"auth required pam_smsotp.so.1 x\n";

static void
test_scan_folder(void **state)
{
	char path[256], err[256];

	(void)state;
	PUT("a-login", login);
	PUT("common", "password required pam_smsotp.so x\r\n");
	/* a NUL byte ends its line's text */
	PUT("b-nul", "auth required pam_smsotp.so a\0 b\nauth required pam_smsotp.so c\n");
	PUT("sshd.dpkg-old", "auth required pam_smsotp.so old\n");
	PUT("x~", "auth required pam_smsotp.so old\n");
	PUT(".hidden", "auth required pam_smsotp.so old\n");
	PUT("c.ucf-dist", "auth required pam_smsotp.so old\n");
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/dangling", dir);
	assert_int_equal(symlink("/nonexistent/pamd", path), 0);
	n_seen = stop_after = 0;
	assert_int_equal(pamd_scan(dir, "pam_smsotp.so", keep, NULL, err, sizeof(err)), 0);
	assert_int_equal(n_seen, 9);

	expect(0, "a-login:7", "template=Code {code} for {host}|debug", NULL);
	assert_string_equal(seen[0].type, "auth");
	assert_string_equal(seen[0].control, "success=1 default=ignore");
	assert_string_equal(seen[0].module, "pam_smsotp.so");
	expect(1, "a-login:8", "template=sudo|on|{host}", NULL);
	assert_string_equal(seen[1].type, "-auth");
	assert_string_equal(seen[1].module, "/usr/lib/x86_64-linux-gnu/security/pam_smsotp.so");
	/* the continued entry has its first line's number; each '\' is a
	 * space, blank and comment lines inside it are skipped */
	expect(2, "a-login:9", "a|b|c", NULL);
	expect(3, "a-login:13", "a]b c|x y\n", "unclosed '['");
	/* '#' cuts the line even inside brackets: "code " is all PAM gets */
	expect(4, "a-login:14", "code ", "'#' inside");
	expect(5, "b-nul:1", "a", NULL);
	expect(6, "b-nul:2", "c", NULL);
	expect(7, "common:1", "x\r", "carriage return");
	assert_string_equal(seen[7].type, "password");
	expect(8, "dangling:0", "", "cannot read: No such file or directory");
	assert_string_equal(seen[8].module, "");
}

static void
test_scan_flaws(void **state)
{
	char long_line[1200], hang[1100], err[256];
	const char *head = "auth required pam_smsotp.so ";
	size_t n;

	(void)state;
	/* over 1023 bytes: PAM cuts the entry and reads the rest as a line
	 * (whose type "tail"-less junk makes every login fail) */
	n = (size_t)snprintf(long_line, sizeof(long_line), "%s", head);
	memset(long_line + n, 'x', 1100 - n);
	snprintf(long_line + 1100, sizeof(long_line) - 1100, " tail\n");
	put("long", long_line, strlen(long_line));
	/* a '\' continuing past the end: PAM refuses the file */
	PUT("open", "auth required pam_unix.so\nauth required pam_smsotp.so a \\\n");
	/* a '\' as byte 1023 of the entry: PAM 1.5.2 reads forever */
	n = (size_t)snprintf(hang, sizeof(hang), "%s", head);
	memset(hang + n, 'y', 1022 - n);
	snprintf(hang + 1022, sizeof(hang) - 1022, "\\\nauth required pam_smsotp.so z\n");
	put("zhang", hang, strlen(hang));
	n_seen = stop_after = 0;
	assert_int_equal(pamd_scan(dir, "pam_smsotp.so", keep, NULL, err, sizeof(err)), 0);
	assert_int_equal(n_seen, 4);
	assert_int_equal(seen[0].argc, 1);
	assert_int_equal(strlen(seen[0].argv), 1023 - strlen(head));
	expect(0, "long:1", seen[0].argv, "longer than 1023 bytes");
	expect(1, "long:1", "", "longer than 1023 bytes");
	assert_string_equal(seen[1].module, "");
	expect(2, "open:2", "", "refuses the whole file");
	expect(3, "zhang:1", "", "never finishes");

	/* fn's non-zero answer stops the scan */
	n_seen = 0;
	stop_after = 1;
	assert_int_equal(pamd_scan(dir, "pam_smsotp.so", keep, NULL, err, sizeof(err)), 0);
	assert_int_equal(n_seen, 1);
}

static void
test_scan_unreadable(void **state)
{
	char err[256] = "";

	(void)state;
	n_seen = stop_after = 0;
	assert_int_equal(pamd_scan("/nonexistent/pam.d", "pam_smsotp.so", keep, NULL,
				   err, sizeof(err)), -1);
	assert_string_equal(err, "cannot read /nonexistent/pam.d: No such file or directory");
	assert_int_equal(n_seen, 0);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return remove_dir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_args),
		cmocka_unit_test(test_scan_folder),
		cmocka_unit_test(test_scan_unreadable),
	};
	const struct CMUnitTest flaws[] = {
		cmocka_unit_test(test_scan_flaws),
	};
	int rc;

	rc = cmocka_run_group_tests(tests, setup, teardown);
	/* a folder of its own: the flawed files must not mix with the others */
	memcpy(dir, "/tmp/test_pamd.XXXXXX", sizeof(dir));
	return rc | cmocka_run_group_tests(flaws, setup, teardown);
}
