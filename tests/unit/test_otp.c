/* Unit tests: code generation, comparison and expiry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../otp/otp.h"

static const unsigned char *script;
static size_t script_len, script_pos;

/* A random source that replays a script, then zeros. */
static int
scripted(unsigned char *buf, int num)
{
	int i;

	for (i = 0; i < num; i++)
		buf[i] = script_pos < script_len ? script[script_pos++] : 0;
	return 1;
}

static int
failing(unsigned char *buf, int num)
{
	(void)buf;
	(void)num;
	return 0;
}

static int
rejecting(unsigned char *buf, int num)
{
	memset(buf, 0xff, (size_t)num);
	return 1;
}

static void
test_generate_shape(void **state)
{
	char code[OTP_MAX_LENGTH + 1];
	size_t len, i;

	(void)state;
	otp_set_random_source(NULL);
	for (len = 4; len <= OTP_MAX_LENGTH; len++) {
		assert_int_equal(otp_generate(code, sizeof(code), len, "0123456789"), 0);
		assert_int_equal(strlen(code), len);
		for (i = 0; i < len; i++)
			assert_non_null(strchr("0123456789", code[i]));
	}
	assert_int_equal(otp_generate(code, sizeof(code), 8, "ABCDEF"), 0);
	assert_int_equal(strspn(code, "ABCDEF"), 8);
}

static void
test_generate_rejects_biased_bytes(void **state)
{
	/* With 10 symbols, bytes 250..255 would favour 0..5: they must be
	 * skipped, not folded. */
	static const unsigned char bytes[] = { 250, 255, 3, 251, 14, 99, 252, 7, 208, 1 };
	char code[OTP_MAX_LENGTH + 1];

	(void)state;
	script = bytes;
	script_len = sizeof(bytes);
	script_pos = 0;
	otp_set_random_source(scripted);
	assert_int_equal(otp_generate(code, sizeof(code), 6, "0123456789"), 0);
	assert_string_equal(code, "349781");
	otp_set_random_source(NULL);
}

static void
test_generate_uniform(void **state)
{
	/* 60000 draws over 3 symbols (256 % 3 != 0): each near 20000. */
	unsigned counts[3] = { 0, 0, 0 };
	char code[OTP_MAX_LENGTH + 1];
	int i, j;

	(void)state;
	otp_set_random_source(NULL);
	for (i = 0; i < 5000; i++) {
		assert_int_equal(otp_generate(code, sizeof(code), 12, "abc"), 0);
		for (j = 0; j < 12; j++)
			counts[code[j] - 'a']++;
	}
	for (i = 0; i < 3; i++) {
		assert_true(counts[i] > 19000);
		assert_true(counts[i] < 21000);
	}
}

static void
test_generate_failures(void **state)
{
	char code[OTP_MAX_LENGTH + 1];

	(void)state;
	otp_set_random_source(failing);
	assert_int_equal(otp_generate(code, sizeof(code), 6, "0123456789"), -1);
	assert_string_equal(code, "");
	otp_set_random_source(rejecting);
	assert_int_equal(otp_generate(code, sizeof(code), 6, "0123456789"), -1);
	otp_set_random_source(NULL);
	assert_int_equal(otp_generate(code, sizeof(code), 13, "0123456789"), -1);
	assert_int_equal(otp_generate(code, sizeof(code), 0, "0123456789"), -1);
	assert_int_equal(otp_generate(code, 5, 6, "0123456789"), -1);
	assert_int_equal(otp_generate(code, sizeof(code), 6, "0"), -1);
}

static void
test_expired(void **state)
{
	(void)state;
	assert_false(otp_expired(1000, 300, 1000));
	assert_false(otp_expired(1000, 300, 1299));
	assert_true(otp_expired(1000, 300, 1300));
	assert_true(otp_expired(1000, 300, 999));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_shape),
		cmocka_unit_test(test_generate_rejects_biased_bytes),
		cmocka_unit_test(test_generate_uniform),
		cmocka_unit_test(test_generate_failures),
		cmocka_unit_test(test_expired),
	};

	return cmocka_run_group_tests_name("otp", tests, NULL, NULL);
}
