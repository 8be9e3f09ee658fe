/*
 * otp: one-time codes from OpenSSL's RNG.
 */
#include <string.h>

#include <openssl/rand.h>

#include "otp.h"

static int (*random_source)(unsigned char *, int) = RAND_bytes;

int
otp_ready(void)
{
	return RAND_status() == 1 ? 0 : -1;
}

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
otp_expired(time_t issued, long ttl, time_t now)
{
	if (now < issued)
		return 1;
	return now - issued >= (time_t)ttl;
}
