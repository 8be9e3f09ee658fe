/*
 * otp: one-time codes.  Drawn from OpenSSL's RNG with rejection sampling (no
 * modulo bias).  Answers are compared against the kept hash, in constant
 * time, by state_code_matches() (state/state.h).
 */
#ifndef SMSOTP_OTP_H
#define SMSOTP_OTP_H

#include <stddef.h>
#include <time.h>

#define OTP_MAX_LENGTH 12
#define OTP_MAX_ALPHABET 64

/* Fill out (size >= length + 1) with length characters drawn uniformly from
 * alphabet.  Returns 0, or -1 when the RNG fails or the arguments are out of
 * range (out is then wiped and empty). */
int otp_generate(char *out, size_t outsize, size_t length, const char *alphabet);

/* Brings the RNG up (OpenSSL's configuration, provider and generator):
 * 0 when it is ready, -1 when it cannot give codes.  A process forked
 * afterwards shares that set-up instead of doing it again. */
int otp_ready(void);

/* 1 when a code issued at `issued` with a lifetime of ttl seconds is no
 * longer valid at `now` (a clock that went backwards also expires it). */
int otp_expired(time_t issued, long ttl, time_t now);

/* Test seam: replace the random source (same contract as RAND_bytes);
 * NULL restores RAND_bytes.  Not exported from the module. */
void otp_set_random_source(int (*fn)(unsigned char *buf, int num));

#endif
