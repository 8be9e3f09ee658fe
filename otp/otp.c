/*
 * otp: one-time codes from OpenSSL's RNG.
 */
#include <ctype.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "otp.h"

static int (*random_source)(unsigned char *, int) = RAND_bytes;

void
otp_set_random_source(int (*fn)(unsigned char *buf, int num))
{
	random_source = fn != NULL ? fn : RAND_bytes;
}

int
otp_generate(char *out, size_t outsize, size_t length, const char *alphabet)
{
	unsigned char pool[64];
	size_t n, limit, have = 0, used = 0, i = 0, refills = 0;

	if (out == NULL || outsize == 0)
		return -1;
	out[0] = '\0';
	n = alphabet != NULL ? strlen(alphabet) : 0;
	if (length == 0 || length > OTP_MAX_LENGTH || outsize < length + 1 ||
	    n < 2 || n > OTP_MAX_ALPHABET)
		return -1;
	/* Rejection sampling: only bytes below the largest multiple of n are
	 * used, so every character is equally likely (no modulo bias). */
	limit = 256 - (256 % n);
	while (i < length) {
		if (used == have) {
			/* Bounded: a broken source that only yields rejected
			 * bytes fails instead of hanging the login. */
			if (++refills > 64 ||
			    random_source(pool, (int)sizeof(pool)) != 1) {
				explicit_bzero(pool, sizeof(pool));
				explicit_bzero(out, outsize);
				return -1;
			}
			have = sizeof(pool);
			used = 0;
		}
		if (pool[used] < limit)
			out[i++] = alphabet[pool[used] % n];
		used++;
	}
	out[length] = '\0';
	explicit_bzero(pool, sizeof(pool));
	return 0;
}

int
otp_verify(const char *expected, const char *answer)
{
	char buf[OTP_MAX_LENGTH + 1];
	size_t elen, alen;
	const char *end;
	int diff;

	if (expected == NULL || answer == NULL)
		return 0;
	elen = strlen(expected);
	if (elen == 0 || elen > OTP_MAX_LENGTH)
		return 0;
	while (*answer != '\0' && isspace((unsigned char)*answer))
		answer++;
	end = answer + strlen(answer);
	while (end > answer && isspace((unsigned char)end[-1]))
		end--;
	alen = (size_t)(end - answer);
	/* Compare a fixed-size copy at the code's full length whatever the
	 * answer's length, so timing reveals neither length nor position. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, answer, alen < elen ? alen : elen);
	diff = CRYPTO_memcmp(buf, expected, elen) != 0;
	diff |= alen != elen;
	explicit_bzero(buf, sizeof(buf));
	return !diff;
}

int
otp_expired(time_t issued, long ttl, time_t now)
{
	if (now < issued)
		return 1;
	return now - issued >= (time_t)ttl;
}
