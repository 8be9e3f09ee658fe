/*
 * template: fills text with named placeholders.  Knows nothing about SMS or
 * PAM: the caller names the placeholders and their values.
 *
 * Syntax: "{name}" is replaced by the value of name; "{{" and "}}" are a
 * literal "{" and "}"; any other brace, and any unknown name, is an error
 * (fail closed: a typo in a template must never reach a user's phone).
 * With TPL_COMPAT, Keycloak's forms are understood too: "%1$s" is the value
 * of "code", "%2$d" the value of "ttl_min", "%sms-code%" the value of
 * "code" and "%phonenumber%" the value of "phone"; any other '%' is literal.
 */
#ifndef SMSOTP_TEMPLATE_H
#define SMSOTP_TEMPLATE_H

#include <stddef.h>

#define TPL_OK 0
#define TPL_EINVAL (-1)	/* bad template or value; err says why */
#define TPL_ENOMEM (-2)

#define TPL_COMPAT 0x1u

/* How each value is encoded where it lands; literal text is never touched. */
enum tpl_encoding {
	TPL_ENC_NONE = 0,	/* as is */
	TPL_ENC_URL,	/* percent-encoding of all but RFC 3986 unreserved */
	TPL_ENC_JSON,	/* the inside of a JSON string: \" \\ \n \uXXXX ... */
	TPL_ENC_FORM,	/* application/x-www-form-urlencoded: space as '+' */
	TPL_ENC_HEADER	/* as is, but a value with CR, LF or NUL... control
			   characters (other than tab) is an error */
};

struct tpl_var {
	const char *name;
	const char *value;	/* NULL expands to "" */
};

/*
 * Expand tmpl into a new heap string *out (wipe with util_free_secret: it
 * may hold a code).  Returns TPL_OK, TPL_EINVAL with a one-line reason in
 * err (e.g. "unknown placeholder {foo} at column 12"), or TPL_ENOMEM.
 */
int tpl_expand(const char *tmpl, const struct tpl_var *vars, size_t nvars,
	       enum tpl_encoding enc, unsigned flags, char **out,
	       char *err, size_t errlen);

/* Check tmpl against the allowed placeholder names without expanding it.
 * Returns TPL_OK or TPL_EINVAL with the reason in err. */
int tpl_check(const char *tmpl, const char *const *names, size_t nnames,
	      unsigned flags, char *err, size_t errlen);

/* A text shown to a user (a message of the conversation): valid UTF-8
 * (no overlong forms, surrogates or code points past U+10FFFF) and no
 * control character (C0, DEL, C1).  TPL_OK, or TPL_EINVAL with the reason
 * and the byte's position (from 1) in err. */
int tpl_check_text(const char *text, char *err, size_t errlen);

/* How a text travels as SMS. */
struct tpl_sms_info {
	int gsm7;		/* 1 if every character is in the GSM 03.38
				   default alphabet or its extension table */
	size_t units;		/* septets (extension chars count 2) or UTF-16
				   code units */
	size_t segments;	/* 1 up to 160 septets / 70 units; beyond that
				   153 / 67 per segment (concatenation header) */
};

/* Invalid UTF-8 counts as UCS-2 with one unit per byte. */
void tpl_sms_info(const char *utf8, struct tpl_sms_info *info);

#endif
