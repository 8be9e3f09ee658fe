/*
 * fuzz_phone: phone-number normalisation and the phones file (phone/phone.h).
 * The input is one number for phone_normalize, phone_normalize_national
 * (several default countries), phone_mask and phone_country_allowed, and
 * a phones file (0644, in a private directory) for phone_lookup_file with a
 * few users and with user NULL, and for phone_check_file (smsotp check's
 * judge of every line).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "phone/phone.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[256], file[300];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_tempdir(dir, sizeof(dir));
	snprintf(file, sizeof(file), "%s/pam_smsotp.phones", dir);
	return 0;
}

/* A valid E.164 number: '+' and 8..15 digits. */
static void
check_e164(const char *out)
{
	size_t n = strlen(out), i;

	if (n < 9 || n > 16 || out[0] != '+')
		abort();
	for (i = 1; i < n; i++)
		if (out[i] < '0' || out[i] > '9')
			abort();
}

static void
try_number(const char *in)
{
	static const char *const countries[] = { "44", "1", "49", "33", "353",
		"61", "" };
	static char *const allowed[] = { (char *)"44", (char *)"1",
		(char *)"353" };
	char out[PHONE_MAX], again[PHONE_MAX], masked[PHONE_MAX];
	size_t i;

	memset(out, 0, sizeof(out));
	if (phone_normalize(in, out) == PHONE_OK) {
		check_e164(out);
		/* normalising a normalised number changes nothing */
		if (phone_normalize(out, again) != PHONE_OK ||
		    strcmp(out, again) != 0)
			abort();
		phone_mask(out, masked);
		(void)phone_country_allowed(out, allowed, 3);
		(void)phone_country_allowed(out, NULL, 0);
	}
	phone_mask(in, masked);
	if (memchr(masked, '\0', sizeof(masked)) == NULL)
		abort();
	(void)phone_country_allowed(in, allowed, 3);
	for (i = 0; i < sizeof(countries) / sizeof(countries[0]); i++) {
		if (phone_normalize_national(in, countries[i], out) == PHONE_OK)
			check_e164(out);
	}
	if (phone_normalize_national(in, NULL, out) == PHONE_OK)
		check_e164(out);
}

/* smsotp check's judge of each line: a line number inside the file, a
 * reason, and in it no run of digits long enough to be most of a number. */
static void
line_judged(void *ud, unsigned line, const char *user, const char *why, int fails)
{
	size_t run = 0;

	(void)fails;
	if (line == 0 || line > *(unsigned *)ud || user == NULL || why == NULL)
		abort();
	for (; *why != '\0'; why++) {
		run = *why >= '0' && *why <= '9' ? run + 1 : 0;
		if (run >= 5)
			abort();
	}
}

static void
check_whole_file(const uint8_t *data, size_t size)
{
	static char *const gb[] = { (char *)"44" };
	struct phone_sources src;
	char err[512];
	unsigned lines = 1;
	size_t i;
	int rc;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	memset(&src, 0, sizeof(src));
	src.file = file;
	src.default_country = size > 0 && data[0] & 1 ? "44" : NULL;
	src.allowed_countries = gb;
	src.n_allowed_countries = size > 0 && data[0] & 2 ? 1 : 0;
	rc = phone_check_file(&src, line_judged, &lines, err, sizeof(err));
	if (rc != PHONE_OK && rc != PHONE_EFILE && rc != PHONE_ENOMEM)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const users[] = { "alice", "bob", "root", "a b",
		"" };
	char *in = fuzz_strndup(data, size);
	char out[PHONE_MAX], err[512];
	size_t i;
	int rc;

	try_number(in);
	fuzz_write_file(file, data, size, 0644);
	for (i = 0; i <= sizeof(users) / sizeof(users[0]); i++) {
		const char *user = i < sizeof(users) / sizeof(users[0]) ?
		    users[i] : NULL;

		err[0] = '\0';
		memset(out, 0, sizeof(out));
		rc = phone_lookup_file(file, user, out, err, sizeof(err));
		if (rc == PHONE_OK)
			check_e164(out);
		else if (rc != PHONE_NOTFOUND && rc != PHONE_EINVAL &&
			 rc != PHONE_EFILE && rc != PHONE_ENOMEM)
			abort();
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
	}
	check_whole_file(data, size);
	free(in);
	return 0;
}
