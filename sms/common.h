/*
 * sms internals: the helpers every type uses (common.c), at the bottom of
 * sms/: it calls nothing in sms/ but the vendor table's data.  The request
 * values, log-safe excerpts, type names and wiping json-c trees.
 */
#ifndef SMSOTP_SMS_COMMON_H
#define SMSOTP_SMS_COMMON_H

#include <stddef.h>

#include "sms.h"

struct tpl_var;
struct json_object;

/* The request placeholders' values for m (sms_request_placeholders, in
 * that order: "+E.164", digits, text, sender or ""): SMS_REQUEST_VARS
 * entries of vars filled, their number returned. */
#define SMS_REQUEST_VARS 4
size_t sms_request_vars(const struct sms_provider *p, const struct sms_message *m,
			struct tpl_var *vars);

/* How much of a provider's error answer goes into a log line. */
#define SMS_EXCERPT_MAX 120

/*
 * A one-line, log-safe excerpt of an untrusted text into out: every
 * occurrence of a secret (NULL-terminated list; short ones are skipped)
 * replaced by "***", control characters by '?', cut at SMS_EXCERPT_MAX
 * bytes on a UTF-8 boundary.
 */
void sms_excerpt(const char *text, size_t len, const char *const *secrets,
		 char *out, size_t outlen);

/* m's text, secret, number and the number's digits (the longer first) into
 * out, which has room for 4 more; their count. */
size_t sms_message_secrets(const struct sms_message *m, const char **out);

/* Wipe every string in a json-c tree (a parsed answer may echo the text;
 * the file provider's line holds it), then release the tree. */
void sms_json_put_wiped(struct json_object *o);

/* a and b in a new string, or NULL when out of memory. */
char *sms_concat(const char *a, const char *b);

/* "a", "a and b", "a, b and c" (last: " and ", or " or ") into out. */
void sms_join_names(const char *const *names, size_t n, const char *last,
		    char *out, size_t outlen);

#endif
