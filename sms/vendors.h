/*
 * sms internals: the vendor table (vendors.c), the one place that knows a
 * vendor.  Each row is data: the credentials it takes (which are required,
 * which are secret), its documented endpoint, body, headers, auth and what
 * its answer says when the message was accepted.  preset.c turns a row and
 * a provider's values into a plain HTTP request description when the
 * configuration is loaded; config reads the credential names through
 * sms_cred_slot().  Adding a vendor: one row here and its enum sms_type.
 */
#ifndef SMSOTP_SMS_VENDORS_H
#define SMSOTP_SMS_VENDORS_H

#include <stddef.h>

#include "sms.h"

enum sms_part_when {
	SMS_PART_END = 0,	/* ends the list */
	SMS_PART_ALWAYS,
	SMS_PART_SENDER,	/* only when sender is set */
	SMS_PART_NO_SENDER,	/* only when sender is unset */
	SMS_PART_GSM7,		/* only when the text is all GSM-7 */
	SMS_PART_UCS2		/* only when it is not (the unicode flag) */
};

/* A piece of a body template, used when its condition holds; the pieces
 * that hold, in order, make the template. */
struct sms_body_part {
	enum sms_part_when when;
	const char *tmpl;
};

enum sms_auth {
	SMS_AUTH_NONE = 0,	/* credentials in the body or a header */
	SMS_AUTH_BASIC,		/* Authorization: Basic user:pass */
	SMS_AUTH_SIGV4		/* AWS Signature V4, by libcurl */
};

enum sms_sender_rule {
	SMS_SENDER_OPTIONAL = 0,
	SMS_SENDER_REQUIRED,
	SMS_SENDER_OR_CRED	/* sender xor the credential sender_alt */
};

/* Credential flags. */
#define SMS_CRED_REQUIRED 1u	/* named when missing */
#define SMS_CRED_SECRET 2u	/* blanked in every excerpt of an answer */

enum sms_cred_rule {
	SMS_CRED_ANY = 0,	/* non-empty, no control characters */
	SMS_CRED_CHOICE,	/* one of choices; unset: dflt */
	SMS_CRED_AWS_REGION	/* [a-z][a-z0-9-]*, at most 32 */
};

struct sms_cred {
	const char *name;	/* its key in the configuration, and its
				   placeholder in the row's templates */
	size_t off;		/* its field in struct sms_provider */
	unsigned flags;
	enum sms_cred_rule rule;
	const char *dflt;		/* SMS_CRED_CHOICE: the value when unset */
	const char *const *choices;	/* SMS_CRED_CHOICE, NULL-terminated */
};

#define SMS_VENDOR_MAX_PARTS 8
#define SMS_VENDOR_MAX_HEADERS 3

struct sms_vendor {
	enum sms_type type;
	const char *name;			/* the type's name */
	struct sms_cred creds[SMS_MAX_CREDS];
	/* the request: templates over the request placeholders and the
	 * credential names, each value encoded for where it lands */
	const char *url;			/* the documented endpoint */
	enum sms_format format;			/* json or form */
	struct sms_body_part body[SMS_VENDOR_MAX_PARTS];
	const char *headers[SMS_VENDOR_MAX_HEADERS];
	enum sms_auth auth;
	const char *basic_user;		/* credential names, SMS_AUTH_BASIC */
	const char *basic_pass;
	const char *sigv4;		/* template, SMS_AUTH_SIGV4 */
	const char *sigv4_key;		/* credential names, SMS_AUTH_SIGV4 */
	const char *sigv4_secret;
	enum sms_sender_rule sender;
	const char *sender_alt;		/* SMS_SENDER_OR_CRED: its credential */
	/* the answer */
	long status;			/* the one status that means accepted */
	const char *success_json;	/* "path=value" with '*', or NULL */
	const char *need_json;		/* a path that must hold a non-empty
					   value or array, or NULL */
	const char *xml_element;	/* an element that must hold a
					   non-empty text, or NULL */
};

/* The rows, and the row of a type (NULL: http, file, command, unknown). */
extern const struct sms_vendor sms_vendors[];
extern const size_t sms_n_vendors;
const struct sms_vendor *sms_vendor_get(enum sms_type type);

/* The slot of credential name in v->creds, or -1. */
int sms_vendor_slot(const struct sms_vendor *v, const char *name);

/* The value p holds for c (NULL: unset). */
const char *sms_vendor_value(const struct sms_provider *p, const struct sms_cred *c);

/* Wipe and free every credential p holds. */
void sms_vendor_free_creds(struct sms_provider *p);

/* The value of credential name for p (its default when unset and the row
 * has one); NULL when unset or not a credential of p's vendor. */
const char *sms_vendor_cred(const struct sms_provider *p, const char *name);

#endif
