/* Unit tests: E.164 normalisation, masking, the phones file. */
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

#include "../../phone/phone.h"

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
	};

	return cmocka_run_group_tests_name("phone", tests, setup, teardown);
}
