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
#define PHONE_EUNAVAIL (-4)	/* a directory could not be asked, or its
				   answer was not one (phones.ldap) */

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

/* phones.ldap: a directory server that holds the numbers. */
struct phone_ldap {
	const char *uri;	/* one or more, space-separated; NULL: unused */
	const char *base;
	const char *filter;	/* "{user}" is the user name, escaped */
	const char *attribute;
	const char *bind_dn;	/* NULL: anonymous */
	const char *bind_password;	/* a secret: never logged */
	const char *ca_file;	/* NULL: the TLS library's trusted CAs */
	int starttls;		/* ldap:// URIs with StartTLS */
	long timeout;		/* seconds, for each server */
};

/* Where numbers come from, tried in this order. */
struct phone_sources {
	const char *file;		/* phones file, or NULL */
	const char *command;		/* absolute path, or NULL */
	struct phone_ldap ldap;		/* ldap.uri NULL: none */
	int gecos;			/* the GECOS field (user-editable!) */
	const char *default_country;	/* NULL: numbers must be international */
	char *const *allowed_countries;	/* NULL/0: any */
	size_t n_allowed_countries;
};

#define PHONE_SRC_FILE 1
#define PHONE_SRC_COMMAND 2
#define PHONE_SRC_GECOS 3
#define PHONE_SRC_LDAP 4

/*
 * Find user's number: the phones file, then the command (run with the user
 * name as its only argument, no shell, a clean environment, killed after
 * 5 s; exit 0 with one line of output: the number; exit 0 with nothing
 * printed: no number; any other exit (1 included), a signal or the time
 * limit: PHONE_EFILE, err with the first line of its stderr, sanitized),
 * then the directory (phone_ldap_value(); a failure is PHONE_EUNAVAIL,
 * never "no number"), then the GECOS field gecos (the caller passes
 * pw_gecos; the first comma-separated field that is a number wins).  Each
 * number is normalised and checked against allowed_countries.  Returns
 * PHONE_OK with *source set, PHONE_NOTFOUND, PHONE_EINVAL (a number found
 * but invalid or not allowed: err says where), PHONE_EFILE (a source
 * failed: err), PHONE_EUNAVAIL (the directory failed: err), or
 * PHONE_ENOMEM.  A source that answers with a bad number or fails ends
 * the lookup: the next one is not tried.  A phones file that does not
 * exist is skipped when command, ldap or gecos is set; then err says so
 * (worth a debug line) even on PHONE_OK and PHONE_NOTFOUND.  err never
 * holds a whole number.
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

/*
 * `smsotp check`: every line of src->file judged as a login would judge
 * it (default_country, allowed_countries): bad() gets each line that would
 * fail the login of its user (fails 1: the first line for the user, the
 * one a login reads), and each later line for a user already listed
 * (fails 0: a login never reads it).  The number, in part or whole, is
 * never passed on.  PHONE_OK, PHONE_EFILE with err (the file cannot be
 * trusted or read), or PHONE_ENOMEM.
 */
int phone_check_file(const struct phone_sources *src,
		     void (*bad)(void *ud, unsigned line, const char *user,
				 const char *why, int fails),
		     void *ud, char *err, size_t errlen);

/* ---------------------------------------------------------------------
 * phones.ldap (phone/ldap.c).  libldap is never loaded in the calling
 * process: each server is asked by a child of its own (util_run()), which
 * empties its environment and sets LDAPNOINIT before it opens libldap (so
 * LDAPCONF, LDAPRC, LDAPTLS_* and ~/.ldaprc change nothing), verifies the
 * server's certificate (ca_file), binds, searches, writes its answer on a
 * pipe and is killed at the timeout.
 */

/* The filter for user: every "{user}" in tmpl replaced by user escaped
 * as RFC 4515 says (every byte but letters, digits and "-._@" as \XX:
 * "*)(uid=*" gives "\2A\29\28uid\3D\2A").  0, or -1 when it does not
 * fit in outlen. */
int phone_ldap_filter(const char *tmpl, const char *user, char *out,
		      size_t outlen);

/* The settings as the configuration must give them: uri (ldaps://, or
 * ldap:// with starttls, plain ldap:// only to a loopback address; no
 * DN, filter or extension after the host and port), base, a filter with
 * "{user}" in balanced brackets, an attribute name, bind_dn and
 * bind_password both or neither, timeout 1..60.  0, or -1 with err. */
int phone_ldap_check_config(const struct phone_ldap *l, char *err,
			    size_t errlen);

/*
 * The attribute's value in user's entry, as the directory holds it (the
 * caller normalises it), into value (vlen bytes; a secret: wiped by the
 * caller).  The URIs are tried in order; the next only when a server
 * could not be reached or did not answer within the timeout.  PHONE_OK;
 * PHONE_NOTFOUND (no entry, or no such attribute: err says which);
 * PHONE_EUNAVAIL (every server failed, more than one entry, more than
 * one value, a value that is no text: err says what, per server, never
 * the bind password or a whole number); PHONE_ENOMEM.
 */
int phone_ldap_value(const struct phone_ldap *l, const char *user,
		     char *value, size_t vlen, char *err, size_t errlen);

/*
 * `smsotp check`: every URI in turn connects, verifies the certificate,
 * binds and searches base with the filter for an empty name (which finds
 * nobody).  report gets one line per URI ("URI: OK, ..." or "URI: what
 * is wrong").  0 when every server passed, -1 when one did not.
 */
int phone_ldap_check(const struct phone_ldap *l, char *report,
		     size_t reportlen);

#endif
