/*
 * phone: where a user's number comes from, and E.164.
 */
#ifndef SMSOTP_PHONE_H
#define SMSOTP_PHONE_H

#include <stddef.h>

#define PHONE_MAX 17		/* "+" 15 digits NUL */

#define PHONE_OK 0
#define PHONE_NOTFOUND 1	/* no line for this user */
#define PHONE_EINVAL (-1)	/* the number found is not a valid number */
#define PHONE_EFILE (-2)	/* file missing, untrusted or unreadable */
#define PHONE_ENOMEM (-3)

/* Normalise to E.164 ("+" and 8..15 digits).  Accepts spaces, dashes, dots,
 * brackets and a "00" prefix for "+".  Returns PHONE_OK or PHONE_EINVAL. */
int phone_normalize(const char *in, char out[PHONE_MAX]);

/* All digits but the last 3 as '*': "+447700900123" -> "+44*******123".
 * Keeps the "+" and the first two digits (a country code hint). */
void phone_mask(const char *e164, char out[PHONE_MAX]);

/* Look user up in a phones file: lines "user number" separated by white
 * space or ':', '#' starts a comment.  The file gets the trust checks of
 * util_read_trusted(UTIL_TRUST_READABLE).  The first line for the user
 * wins.  err names the file and line on PHONE_EINVAL / PHONE_EFILE.
 * With user NULL: the first valid number of the file, whoever's it is. */
int phone_lookup_file(const char *path, const char *user, char out[PHONE_MAX],
		      char *err, size_t errlen);

#endif
