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

/* The same, with a default country (calling code digits, or NULL): a
 * national number ("07700 900123", trunk 0 dropped) becomes international
 * ("+447700900123"). */
int phone_normalize_national(const char *in, const char *default_country,
			     char out[PHONE_MAX]);

/* 1 when e164 starts with one of the calling codes (none given: any). */
int phone_country_allowed(const char *e164, char *const *codes, size_t n);

/* Where numbers come from, tried in this order. */
struct phone_sources {
	const char *file;		/* phones file, or NULL */
	const char *command;		/* absolute path, or NULL */
	int gecos;			/* the GECOS field (user-editable!) */
	const char *default_country;	/* NULL: numbers must be international */
	char *const *allowed_countries;	/* NULL/0: any */
	size_t n_allowed_countries;
};

#define PHONE_SRC_FILE 1
#define PHONE_SRC_COMMAND 2
#define PHONE_SRC_GECOS 3

/*
 * Find user's number: the phones file, then the command (run with the user
 * name as its only argument, no shell, a clean environment, killed after
 * 5 s; exit 0 with one line of output: the number; exit 0 with nothing
 * printed: no number; any other exit (1 included), a signal or the time
 * limit: PHONE_EFILE, err with the first line of its stderr, sanitized),
 * then the GECOS field gecos (the caller passes pw_gecos; the
 * first comma-separated field that is a number wins).  Each number is
 * normalised and checked against allowed_countries.  Returns PHONE_OK with
 * *source set, PHONE_NOTFOUND, PHONE_EINVAL (a number found but invalid or
 * not allowed: err says where), PHONE_EFILE (a source failed: err), or
 * PHONE_ENOMEM.  A source that answers with a bad number or fails ends the
 * lookup: the next one is not tried.  A phones file that does not exist is
 * skipped when command or gecos is set; then err says so (worth a debug
 * line) even on PHONE_OK and PHONE_NOTFOUND.  err never holds a whole
 * number.
 */
int phone_lookup(const struct phone_sources *src, const char *user,
		 const char *gecos, char out[PHONE_MAX], int *source,
		 char *err, size_t errlen);

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
